/*
 * steps.c - the production step table: the engine steps on the artifact
 * directory, then the version history commit and the on-chain registration.
 */
#include "pipeline/circuit/circuit.h"
#include "pipeline/evm/evm.h"
#include "pipeline/pipeline.h"
#include "pipeline/quant/quant.h"
#include "pipeline/snark/snark.h"

#include <stdlib.h>
#include <string.h>

static int run_settings(const pipeline_job_ctx *job, zkml_error *err)
{
    return quant_settings_step(job->dir, &job->opts, err);
}

static int run_calibrate(const pipeline_job_ctx *job, zkml_error *err)
{
    return quant_calibrate_step(job->dir, &job->opts, err);
}

static int run_compile(const pipeline_job_ctx *job, zkml_error *err)
{
    return circuit_compile_step(job->dir, &job->opts, err);
}

static int run_setup(const pipeline_job_ctx *job, zkml_error *err)
{
    if (!job->data_dir)
        return snark_setup_step(job->dir, &job->opts, err);
    return snark_ceremony_setup(job->dir, job->data_dir, &job->opts, err);
}

/* prove = the witness for the chosen CSV row, then the Groth16 proof. */
static int prove_with_witness(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    int rc = circuit_witness_step(dir, opts, err);
    return rc ? rc : snark_prove_step(dir, opts, err);
}

static int run_prove(const pipeline_job_ctx *job, zkml_error *err)
{
    return prove_with_witness(job->dir, &job->opts, err);
}

static int run_verify(const pipeline_job_ctx *job, zkml_error *err)
{
    return circuit_verify_step(job->dir, &job->opts, err);
}

static int run_export(const pipeline_job_ctx *job, zkml_error *err)
{
    return evm_export_step(job->dir, &job->opts, err);
}

static int write_evaluation_verifier(const char *dir, zkml_error *err)
{
    char path[4096];
    uint8_t *vk = NULL;
    size_t len;
    char *sol = NULL;
    int rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_EVAL_VK, err);
    if (!rc)
        rc = zkml_read_file(path, 1u << 24, &vk, &len, err);
    if (!rc)
        rc = evm_verifier_source((const char *)vk, len, zkml_artifact_name(ZKML_A_EVAL_VK), &sol,
                                 NULL, err);
    if (!rc && !(rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_EVAL_VERIFIER_SOL, err)))
        rc = zkml_write_file_atomic(path, sol, strlen(sol), err);
    free(vk);
    free(sol);
    return rc;
}

/* evaluate: the evaluation circuit over data.csv's rows (circuit.h), then its
 * own key, proof, verification and Solidity verifier:
 *   evaluation.key, evaluation.vk.json, evaluation.proof.json,
 *   evaluation.public.json, EvaluationVerifier.sol.
 * PIPELINE_STEP_SKIPPED (with the reason) when there is nothing to evaluate. */
static int evaluate_dir(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    static const zkml_artifact_id ids[] = {ZKML_A_EVAL_R1CS,  ZKML_A_EVAL_KEY,
                                           ZKML_A_EVAL_VK,    ZKML_A_EVAL_WITNESS,
                                           ZKML_A_EVAL_PROOF, ZKML_A_EVAL_PUBLIC};
    char p[6][4096];
    int rc = circuit_eval_step(dir, opts, err);
    if (rc)
        return rc > 0 ? PIPELINE_STEP_SKIPPED : rc;
    for (int i = 0; !rc && i < 6; i++)
        rc = zkml_artifact_path(p[i], sizeof p[i], dir, ids[i], err);
    if (!rc)
        rc = groth16_setup_files(p[0], p[1], p[2], err);
    if (!rc)
        rc = groth16_prove_files(p[1], p[3], p[4], p[5], opts ? opts->threads : 0, err);
    if (!rc)
        rc = groth16_verify_files(p[2], p[5], p[4], err);
    return rc ? rc : write_evaluation_verifier(dir, err);
}

static int run_evaluate(const pipeline_job_ctx *job, zkml_error *err)
{
    return evaluate_dir(job->dir, &job->opts, err);
}

static int run_version(const pipeline_job_ctx *job, zkml_error *err)
{
    if (!job->data_dir || !job->task_id) {
        zkml_fail(err, 0, "no data dir: versions are recorded only by the service");
        return PIPELINE_STEP_SKIPPED;
    }
    return history_commit_version(job->data_dir, job->task_id, job->version, job->dir, err);
}

/* register: deploys the verifier and registers the version (registry.h);
 * with no chain configured the step is recorded as skipped, not failed. */
static int run_register(const pipeline_job_ctx *job, zkml_error *err)
{
    if (!job->chain || job->chain->mode == CHAIN_NONE) {
        zkml_fail(err, 0, "ZKML_CHAIN=none: not registered on a chain");
        return PIPELINE_STEP_SKIPPED;
    }
    if (!job->task_id) {
        zkml_fail(err, 0, "no data dir: versions are registered only by the service");
        return PIPELINE_STEP_SKIPPED;
    }
    return chain_register_step(job->chain, job->dir, job->task_id, job->version, err);
}

/* The one list of step names: the job's steps in order, the files each
 * writes (for --help), and the engine function each runs alone on a
 * directory. witness is a command only (a job's prove computes it); version
 * and register need the service, so they have no engine function. */
static const pipeline_step default_steps[] = {
    {"settings", run_settings, quant_settings_step, "model.onnx -> settings.json", 0},
    {"calibrate", run_calibrate, quant_calibrate_step, "data.csv -> calibration.json", 0},
    {"compile", run_compile, circuit_compile_step, "-> network.r1cs, circuit.json", 0},
    {"witness", NULL, circuit_witness_step, "one CSV row -> input.json, witness.wtns, output.json", 0},
    {"setup", run_setup, snark_setup_step,
     "-> circuit.zkey, ceremony.json, proving.key, verification_key.json", 1},
    {"prove", run_prove, prove_with_witness, "-> witness, proof.json, public.json", 0},
    {"verify", run_verify, circuit_verify_step, "-> verify.json", 0},
    {"export", run_export, evm_export_step, "-> Verifier.sol, Verifier.abi.json, calldata.json", 0},
    {"evaluate", run_evaluate, evaluate_dir,
     "accuracy over data.csv -> evaluation.*, EvaluationVerifier.sol", 0},
    {"version", run_version, NULL, "-> a commit in the versions repository", 0},
    {"register", run_register, NULL, "-> the verifier and the version on the chain", 0},
};

static const pipeline_step_table default_table = {default_steps,
                                                  sizeof default_steps / sizeof default_steps[0]};

const pipeline_step_table *pipeline_default_steps(void)
{
    return &default_table;
}

size_t pipeline_step_names(const char **names, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < default_table.count; i++)
        if (default_steps[i].run && n < max)
            names[n++] = default_steps[i].name;
    return n;
}

const pipeline_step *pipeline_find_step(const char *name)
{
    for (size_t i = 0; name && i < default_table.count; i++)
        if (!strcmp(default_steps[i].name, name))
            return &default_steps[i];
    return NULL;
}
