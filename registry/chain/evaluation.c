/*
 * evaluation.c - a version's evaluation on the chain, for the register step:
 * the recordEvaluation call built from the evaluate step's files (the key
 * words of evaluation.vk.json, evaluation.proof.json and
 * evaluation.public.json), and the registry's getEvaluation and bestVersion
 * answers with their JSON for chain.json. The registry checks the proof under
 * a verifier it deploys from the key, that the proof's circuit hash is the
 * version's and, with hashed parameters (recordHashedEvaluation), that its
 * parameter commitment is the one the version's inference proof shows
 * (contracts/README.md, "Evaluations").
 */
#include "registry/chain/chain_internal.h"

#include "pipeline/snark/snark.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The registry's layouts: commitment, circuit hash, rows, then the correct
 * count (classification) or SSE, threshold and within-threshold (regression). */
enum { EVAL_SIGNALS_CLASSIFICATION = 4, EVAL_SIGNALS_REGRESSION = 6 };

int chain_eval_load(const char *dir, chain_eval_inputs *in, zkml_error *err)
{
    char vk[4096], proof[4096], pub[4096];
    memset(in, 0, sizeof *in);
    int rc;
    if ((rc = zkml_artifact_path(vk, sizeof vk, dir, ZKML_A_EVAL_VK, err)) ||
        (rc = zkml_artifact_path(proof, sizeof proof, dir, ZKML_A_EVAL_PROOF, err)) ||
        (rc = zkml_artifact_path(pub, sizeof pub, dir, ZKML_A_EVAL_PUBLIC, err)))
        return rc;
    if (!zkml_file_exists(proof)) {
        snprintf(in->skipped, sizeof in->skipped,
                 "no %s: the evaluate step made no evaluation proof",
                 zkml_artifact_name(ZKML_A_EVAL_PROOF));
        return 0;
    }
    if ((rc = evm_verifier_key_words(vk, &in->key, &in->n_key, err)) ||
        (rc = evm_proof_words(proof, pub, &in->proof, &in->n_proof, err))) {
        chain_eval_free(in);
        return rc;
    }
    size_t n = in->n_proof - 8;
    /* param_visibility hashed: the parameter commitment follows the layout */
    in->hashed = n == EVAL_SIGNALS_CLASSIFICATION + 1 || n == EVAL_SIGNALS_REGRESSION + 1;
    if (n - in->hashed != EVAL_SIGNALS_CLASSIFICATION &&
        n - in->hashed != EVAL_SIGNALS_REGRESSION) {
        chain_eval_free(in);
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: %zu public signals; the registry takes %d (classification) "
                         "or %d (regression), one more with hashed parameters",
                         pub, n, EVAL_SIGNALS_CLASSIFICATION, EVAL_SIGNALS_REGRESSION);
    }
    evm_keccak256(in->vk_hash, in->key, 32 * in->n_key);
    in->present = 1;
    return 0;
}

void chain_eval_free(chain_eval_inputs *in)
{
    free(in->key);
    free(in->proof);
    in->key = in->proof = NULL;
    in->present = 0;
}

int chain_eval_calldata(const chain_eval_inputs *in, const char *task_id, uint64_t version,
                        const uint8_t *version_signals, size_t n_version_signals,
                        zkml_buf *calldata, zkml_error *err)
{
    uint8_t number[32];
    abi_word_from_u64(version, number);
    abi_arg args[8] = {
        {ABI_STRING, (const uint8_t *)task_id, strlen(task_id)},
        {ABI_WORD, number, 32},
        {ABI_WORD_ARRAY, in->key, 32 * in->n_key},
        {ABI_FIXED_WORDS, in->proof, 64},
        {ABI_FIXED_WORDS, in->proof + 64, 128},
        {ABI_FIXED_WORDS, in->proof + 192, 64},
        {ABI_WORD_ARRAY, in->proof + 256, 32 * (in->n_proof - 8)},
        {ABI_WORD_ARRAY, version_signals, 32 * n_version_signals},
    };
    if (!in->hashed)
        return abi_encode_call("recordEvaluation(string,uint256,uint256[],uint256[2],"
                               "uint256[2][2],uint256[2],uint256[])",
                               args, 7, calldata, err);
    return abi_encode_call("recordHashedEvaluation(string,uint256,uint256[],uint256[2],"
                           "uint256[2][2],uint256[2],uint256[],uint256[])",
                           args, 8, calldata, err);
}

int chain_eval_check_params(const chain_eval_inputs *in, const uint8_t *version_signals,
                            size_t n_version_signals, zkml_error *err)
{
    if (!in->present || !in->hashed ||
        (n_version_signals && !memcmp(version_signals + 32 * (n_version_signals - 1),
                                      in->proof + 32 * (in->n_proof - 1), 32)))
        return 0;
    return zkml_fail(err, ZKML_EINVAL,
                     "%s's last signal (the parameter commitment) is not %s's: the evaluation "
                     "is of other parameters than the version's",
                     zkml_artifact_name(ZKML_A_EVAL_PUBLIC), zkml_artifact_name(ZKML_A_PUBLIC));
}

/* Signal i as a uint64 (0 when it does not fit: the registry refuses those). */
static uint64_t signal_u64(const chain_eval_inputs *in, size_t i)
{
    const uint8_t *w = in->proof + 32 * (8 + i);
    uint64_t v = 0;
    for (int k = 0; k < 24; k++)
        if (w[k])
            return 0;
    for (int k = 24; k < 32; k++)
        v = (v << 8) | w[k];
    return v;
}

int chain_eval_matches(const chain_eval_inputs *in, const chain_evaluation *e)
{
    int regression = in->n_proof - 8 - in->hashed == EVAL_SIGNALS_REGRESSION;
    return !memcmp(e->vk_hash, in->vk_hash, 32) &&
           !memcmp(e->dataset_commitment, in->proof + 256, 32) && e->rows == signal_u64(in, 2) &&
           e->value == signal_u64(in, 3) && e->kind == (uint64_t)(regression ? 2 : 1) &&
           (!regression ||
            (e->threshold == signal_u64(in, 4) && e->within_threshold == signal_u64(in, 5)));
}

int chain_call_get_evaluation(chain_client *c, const uint8_t reg[20], const char *task_id,
                              uint64_t version, chain_evaluation *e, zkml_error *err)
{
    uint8_t number[32];
    abi_word_from_u64(version, number);
    abi_arg args[2] = {{ABI_STRING, (const uint8_t *)task_id, strlen(task_id)},
                       {ABI_WORD, number, 32}};
    uint8_t *out;
    size_t len;
    int rc =
        chain_registry_call(c, reg, "getEvaluation(string,uint256)", args, 2, &out, &len, err);
    if (rc == 0)
        rc = abi_decode_evaluation(out, len, 0, e, err);
    free(out);
    return rc;
}

int chain_call_best_version(chain_client *c, const uint8_t reg[20], const char *task_id,
                            const uint8_t commitment[32], uint64_t *version, chain_evaluation *e,
                            zkml_error *err)
{
    abi_arg args[2] = {{ABI_STRING, (const uint8_t *)task_id, strlen(task_id)},
                       {ABI_WORD, commitment, 32}};
    uint8_t *out;
    size_t len;
    int rc =
        chain_registry_call(c, reg, "bestVersion(string,bytes32)", args, 2, &out, &len, err);
    if (rc == 0)
        rc = abi_read_u64(out, len, 0, 0, version, err);
    if (rc == 0 && e)
        rc = abi_decode_evaluation(out, len, 32, e, err);
    free(out);
    return rc;
}

void chain_json_commitment(cJSON *o, const uint8_t commitment[32])
{
    uint8_t le[32];
    fr_t f;
    char dec[80] = "";
    for (int i = 0; i < 32; i++)
        le[i] = commitment[31 - i];
    if (fr_from_bytes_le(&f, le) == 0)
        fr_to_dec(dec, &f);
    cJSON_AddStringToObject(o, "dataset_commitment", dec);
}

void chain_json_evaluation(cJSON *o, const chain_evaluation *e)
{
    chain_json_commitment(o, e->dataset_commitment);
    cJSON_AddStringToObject(o, "metric", e->kind == 2 ? "rmse" : "accuracy");
    cJSON_AddNumberToObject(o, "rows", (double)e->rows);
    cJSON_AddNumberToObject(o, e->kind == 2 ? "sse" : "correct", (double)e->value);
    if (e->kind == 2) {
        cJSON_AddNumberToObject(o, "threshold", (double)e->threshold);
        cJSON_AddBoolToObject(o, "within_threshold", e->within_threshold != 0);
    }
    chain_json_hex(o, "vk_hash", e->vk_hash, 32, 0);
    chain_json_hex(o, "verifier", e->verifier, 20, 1);
    cJSON_AddNumberToObject(o, "timestamp", (double)e->timestamp);
}
