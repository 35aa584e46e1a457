/*
 * eval_step.c - the evaluate step's circuit half: data.csv's first rows
 * (ZKML_EVAL_ROWS, default 256) through the fixed-point evaluator and the
 * evaluation circuit (eval_circuit.c); writes evaluation.r1cs,
 * evaluation.wtns (checked against the constraints) and evaluation.json with
 * the proven metric beside the float model's: the correct count of a
 * classification, or a regression's sum of squared errors and whether its
 * RMSE is within settings.json's rmse_threshold. What the circuit computes
 * must equal the fixed-point evaluator's results row for row.
 */
#include "pipeline/circuit/steps_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct eval_run {
    size_t n;
    int regression;
    quant_values *vals;
    int64_t *labels; /* class index, or the target at the output's scale */
    int64_t *predicted;
    size_t correct, float_correct;
    int64_t sse;       /* the fixed-point evaluator's, at the output's scale squared */
    int64_t threshold; /* rmse_threshold at the output's scale, 0 without */
    double float_sq;   /* the float model's squared errors against the target */
    uint8_t circuit_sha256[32]; /* of network.r1cs */
    fr_t circuit_hash;          /* the same as an integer (big-endian) mod r */
} eval_run;

static size_t rows_limit(void)
{
    const char *e = getenv("ZKML_EVAL_ROWS");
    char *end;
    long v = e && *e ? strtol(e, &end, 10) : 0;
    return e && *e && !*end && v > 0 ? (size_t)v : CIRCUIT_EVAL_ROWS_DEFAULT;
}

/* The model the evaluation is bound to: network.r1cs's SHA-256, read as a
 * big-endian integer (as Solidity's uint256(bytes32)) reduced mod r. The
 * registry compares it with the version's circuit hash (contracts/README.md). */
static int circuit_binding(const char *dir, eval_run *e, zkml_error *err)
{
    char path[4096];
    fr_t byte, base;
    int rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_R1CS, err);
    if (!rc && (rc = zkml_sha256_file(path, e->circuit_sha256, err)))
        zkml_error_prefix(err, "evaluation: the inference circuit it names (run compile first)");
    fr_zero(&e->circuit_hash);
    fr_from_u64(&base, 256);
    for (int i = 0; !rc && i < 32; i++) {
        fr_mul(&e->circuit_hash, &e->circuit_hash, &base);
        fr_from_u64(&byte, e->circuit_sha256[i]);
        fr_add(&e->circuit_hash, &e->circuit_hash, &byte);
    }
    return rc;
}

/* 1 with the reason when the rows cannot be evaluated. */
static int skip_reason(const circuit_loaded *l, const quant_dataset *d, zkml_error *err)
{
    if (strcmp(d->source, zkml_artifact_name(ZKML_A_DATA)) != 0)
        return zkml_fail(err, 0, "no data.csv to evaluate on"), 1;
    if (d->targets)
        return 0; /* quant_dataset_load checked the single output */
    if (!d->labels)
        return zkml_fail(err, 0, "data.csv has no label column"), 1;
    if (l->m.tensors[l->m.output].size < 2)
        return zkml_fail(err, 0, "the model has one output: evaluation needs one per class"), 1;
    return 0;
}

/* Row r's label as the circuit takes it: a class of the model, or the
 * target at the output's scale within the output's signed width. */
static int row_label(const quant_model *m, const quant_dataset *d, size_t r, int64_t *label,
                     zkml_error *err)
{
    const quant_tensor *o = &m->tensors[m->output];
    if (!d->targets) {
        *label = d->labels[r];
        if (d->labels[r] < 0 || (uint32_t)d->labels[r] >= o->size)
            return zkml_fail(err, ZKML_EINVAL,
                             "data.csv row %zu: label %d is not one of the "
                             "model's %u classes",
                             r, d->labels[r], o->size);
        return 0;
    }
    int64_t half = (int64_t)1 << (o->bits - 1);
    if (quant_quantize(d->targets[r], o->scale, label) || *label < -half || *label >= half)
        return zkml_fail(err, ZKML_EINVAL,
                         "data.csv row %zu: target %g is outside the output's "
                         "fixed-point range (%d bits at scale %d)",
                         r, d->targets[r], o->bits, o->scale);
    return 0;
}

/* The float model's term of row r: its correct bit or its squared error. */
static void float_term(const quant_dataset *d, size_t r, const double *fd, size_t n_out,
                       eval_run *e)
{
    if (d->targets)
        e->float_sq += (fd[0] - d->targets[r]) * (fd[0] - d->targets[r]);
    else
        e->float_correct += quant_argmax(fd, n_out) == d->labels[r];
}

/* The fixed-point values of each row, and the float model's metric. */
static int run_rows(const circuit_loaded *l, const quant_dataset *d, eval_run *e, zkml_error *err)
{
    const quant_model *m = &l->m;
    int out = l->g->outputs[0];
    size_t n_out = l->g->tensors[out].size;
    int64_t *q = malloc((d->features + 1) * sizeof *q);
    double *fd = malloc((n_out + 1) * sizeof *fd);
    float **fv;
    int rc = q && fd ? 0 : zkml_fail(err, ZKML_ENOMEM, "evaluation: out of memory");
    for (size_t r = 0; !rc && r < e->n; r++) {
        const float *x = d->x + r * d->features;
        rc = row_label(m, d, r, &e->labels[r], err);
        if (!rc && (rc = quant_input(m, x, q, err)))
            zkml_error_prefix(err, "data.csv row %zu", r);
        if (!rc)
            rc = quant_eval(m, q, &e->vals[r], err);
        if (!rc && !(rc = onnx_eval_all(l->g, &x, &fv, err))) {
            for (size_t i = 0; i < n_out; i++)
                fd[i] = fv[out][i];
            float_term(d, r, fd, n_out, e);
            onnx_values_free(l->g, fv);
        }
    }
    free(q);
    free(fd);
    return rc;
}

/* The circuit's outputs must be the fixed-point evaluator's; its SSE. */
static int sum_squares(const quant_model *m, eval_run *e, zkml_error *err)
{
    for (size_t r = 0; r < e->n; r++) {
        int64_t o = e->vals[r].values[m->output][0];
        if (o != e->predicted[r])
            return zkml_fail(err, ZKML_EINTERNAL,
                             "evaluation: row %zu: the circuit's output "
                             "is %lld, the fixed-point evaluator's %lld",
                             r, (long long)e->predicted[r], (long long)o);
        e->sse += (o - e->labels[r]) * (o - e->labels[r]);
    }
    return 0;
}

/* The circuit's classes must be the fixed-point evaluator's. */
static int count_correct(const quant_model *m, eval_run *e, zkml_error *err)
{
    double *f = malloc((m->tensors[m->output].size + 1) * sizeof *f);
    if (!f)
        return zkml_fail(err, ZKML_ENOMEM, "evaluation: out of memory");
    int rc = 0;
    for (size_t r = 0; !rc && r < e->n; r++) {
        quant_output_floats(m, &e->vals[r], f);
        int want = quant_predicted_class(m, f);
        if (want != e->predicted[r])
            rc = zkml_fail(err, ZKML_EINTERNAL,
                           "evaluation: row %zu: the circuit predicts %lld, "
                           "the fixed-point evaluator %d",
                           r, (long long)e->predicted[r], want);
        e->correct += want == e->labels[r];
    }
    free(f);
    return rc;
}

static void accuracy_json(cJSON *o, const eval_run *e)
{
    cJSON_AddStringToObject(o, "metric", "accuracy");
    cJSON_AddNumberToObject(o, "correct", (double)e->correct);
    cJSON_AddNumberToObject(o, "value", (double)e->correct / (double)e->n);
    cJSON_AddNumberToObject(o, "float_correct", (double)e->float_correct);
    cJSON_AddNumberToObject(o, "float_accuracy", (double)e->float_correct / (double)e->n);
}

/* RMSE: the proven SSE at scale 2s, its RMSE in real units beside the float
 * model's, and the threshold as given and as proven. */
static void rmse_json(cJSON *o, const eval_run *e, const quant_model *m)
{
    int s = m->tensors[m->output].scale;
    double n = (double)e->n, rmse = sqrt((double)e->sse / n) / ldexp(1, s);
    cJSON_AddStringToObject(o, "metric", "rmse");
    cJSON_AddNumberToObject(o, "sse", (double)e->sse);
    cJSON_AddNumberToObject(o, "scale", s);
    cJSON_AddNumberToObject(o, "value", rmse);
    cJSON_AddNumberToObject(o, "float_rmse", sqrt(e->float_sq / n));
    if (m->settings.rmse_threshold > 0)
        cJSON_AddNumberToObject(o, "rmse_threshold", m->settings.rmse_threshold);
    else
        cJSON_AddNullToObject(o, "rmse_threshold");
    cJSON_AddNumberToObject(o, "threshold", (double)e->threshold);
    cJSON_AddBoolToObject(o, "within_threshold",
                          e->sse <= (int64_t)e->n * e->threshold * e->threshold);
}

static cJSON *evaluation_json(const eval_run *e, const circuit *c, const quant_dataset *d,
                              const quant_model *m)
{
    static const char *const cls[] = {"dataset_commitment", "circuit_hash", "rows", "correct"};
    static const char *const reg[] = {"dataset_commitment", "circuit_hash", "rows", "sse",
                                      "threshold", "within_threshold"};
    char dec[80], rows[160], hex[65];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    fr_to_dec(dec, &c->witness[1]);
    snprintf(rows, sizeof rows, "data.csv rows 0..%zu of %zu (ZKML_EVAL_ROWS, default %d)",
             e->n - 1, d->rows, CIRCUIT_EVAL_ROWS_DEFAULT);
    cJSON_AddNumberToObject(o, "rows", (double)e->n);
    cJSON_AddStringToObject(o, "rows_used", rows);
    if (e->regression)
        rmse_json(o, e, m);
    else
        accuracy_json(o, e);
    cJSON_AddStringToObject(o, "dataset_commitment", dec);
    for (int i = 0; i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", e->circuit_sha256[i]);
    cJSON_AddStringToObject(o, "circuit_sha256", hex);
    fr_to_dec(dec, &e->circuit_hash);
    cJSON_AddStringToObject(o, "circuit_hash", dec);
    cJSON_AddNumberToObject(o, "constraints", c->cs.n_constraints);
    cJSON_AddNumberToObject(o, "constraints_per_row", (double)c->cs.n_constraints / (double)e->n);
    cJSON *names = cJSON_AddArrayToObject(o, "public_signals");
    for (int i = 0; i < (e->regression ? 6 : 4); i++)
        cJSON_AddItemToArray(names, cJSON_CreateString(e->regression ? reg[i] : cls[i]));
    if (quant_params_hashed(m)) { /* hashed parameters: their commitment, last */
        fr_to_dec(dec, &c->witness[c->cs.n_pub_out]);
        cJSON_AddItemToArray(names, cJSON_CreateString("param_commitment"));
        cJSON_AddStringToObject(o, "param_commitment", dec);
    }
    cJSON_AddStringToObject(o, "definition", "docs/COMMITMENTS.md");
    return o;
}

/* settings.json's rmse_threshold at the output's scale (0 without one). */
static int threshold_fixed(const quant_model *m, int64_t *out, zkml_error *err)
{
    *out = 0;
    if (m->settings.rmse_threshold <= 0)
        return 0;
    if (quant_quantize(m->settings.rmse_threshold, m->tensors[m->output].scale, out))
        return zkml_fail(err, ZKML_EINVAL,
                         "evaluation: rmse_threshold %g does not fit the "
                         "output's fixed point (scale %d)",
                         m->settings.rmse_threshold, m->tensors[m->output].scale);
    return 0;
}

/* The address space the evaluate step takes per constraint of its circuit,
 * at its peak (building it, the key from setup, the prover's key and NTTs).
 * Measured as the growth of VmPeak of `zkml-registry evaluate` (Release, 2
 * threads) between two row counts over the growth in constraints: 1109 bytes
 * for iris_mlp (5 -> 45 rows), 1715 for mlp784 (10 -> 60 rows); rounded up.
 * Used to say how many rows fit under the job memory limit. */
#define EVAL_BYTES_PER_CONSTRAINT 2048.0

/* Fails, naming the row count that would fit, when n rows' circuit would
 * not fit in what the job memory limit leaves. A row's size: one row's
 * circuit (built here) less its commitment chain, plus its elements' share
 * of a long chain (a 16-input permutation per 16 elements). */
static int check_memory(const circuit_loaded *l, const eval_run *e, zkml_error *err)
{
    uint64_t left = zkml_memory_left();
    if (left == UINT64_MAX)
        return 0;
    circuit one;
    int64_t predicted;
    circuit_eval_spec spec = {e->vals, e->labels, 1, e->regression, e->threshold,
                              e->circuit_hash, CIRCUIT_COUNTED, NULL};
    int rc = circuit_build_eval(&l->m, &spec, &one, &predicted, err);
    if (rc)
        return rc;
    const quant_tensor *in = &l->m.tensors[l->m.input];
    size_t elems = quant_packed_signals(in->size, in->bits) + 1;
    /* hashed parameters: their range checks and commitment once for all rows */
    double once = (double)quant_param_constraints(&l->m) * EVAL_BYTES_PER_CONSTRAINT;
    double row = (double)one.cs.n_constraints - (double)poseidon_commit_constraints(elems) +
                 (double)elems * (double)poseidon_constraints(17, 0) / 16.0 -
                 (double)quant_param_constraints(&l->m);
    double per_row = row * EVAL_BYTES_PER_CONSTRAINT;
    circuit_free(&one);
    double fit = floor(((double)left - once) / per_row);
    if ((double)e->n <= fit)
        return 0;
    if (fit < 1)
        return zkml_fail(err, ZKML_EINVAL,
                         "evaluation: one row needs about %.1f MiB (%u "
                         "constraints), more than the %.1f MiB the job memory limit "
                         "(ZKML_JOB_MEMORY_MB) leaves: no row fits",
                         per_row / 1048576.0, (unsigned)(per_row / EVAL_BYTES_PER_CONSTRAINT),
                         (double)left / 1048576.0);
    return zkml_fail(err, ZKML_EINVAL,
                     "evaluation: %zu rows need about %.0f MiB (%.0f "
                     "constraints per row, about %.0f bytes each), more than the %.0f MiB the "
                     "job memory limit (ZKML_JOB_MEMORY_MB) leaves: %.0f rows would fit (set "
                     "ZKML_EVAL_ROWS=%.0f)",
                     e->n, (double)e->n * per_row / 1048576.0, per_row / EVAL_BYTES_PER_CONSTRAINT,
                     EVAL_BYTES_PER_CONSTRAINT, (double)left / 1048576.0, fit, fit);
}

static int prove_rows(const char *dir, const circuit_loaded *l, const quant_dataset *d, eval_run *e,
                      zkml_error *err)
{
    char path[4096];
    circuit c;
    circuit_eval_spec spec = {e->vals, e->labels, e->n, e->regression, e->threshold,
                              e->circuit_hash, CIRCUIT_TO_FILE, path};
    int rc = run_rows(l, d, e, err);
    if (!rc)
        rc = check_memory(l, e, err);
    if (!rc)
        rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_EVAL_R1CS, err);
    if (!rc) /* evaluation.r1cs streamed as it is built, every constraint checked */
        rc = circuit_build_eval(&l->m, &spec, &c, e->predicted, err);
    if (rc)
        return rc;
    rc = e->regression ? sum_squares(&l->m, e, err) : count_correct(&l->m, e, err);
    if (!rc && !(rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_EVAL_WITNESS, err)))
        rc = wtns_write(c.witness, c.cs.n_wires, path, err);
    if (!rc)
        rc = circuit_write_json(dir, ZKML_A_EVALUATION, evaluation_json(e, &c, d, &l->m), err);
    circuit_free(&c);
    return rc;
}

int circuit_eval_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)opts;
    circuit_loaded l;
    quant_dataset d;
    eval_run e = {0};
    int rc = circuit_load(dir, &l, err);
    if (rc)
        return rc;
    if (!(rc = quant_dataset_load(dir, l.g, 0, &d, err))) {
        if (!(rc = skip_reason(&l, &d, err))) {
            e.n = d.rows < rows_limit() ? d.rows : rows_limit();
            e.regression = d.targets != NULL;
            rc = threshold_fixed(&l.m, &e.threshold, err);
            if (!rc)
                rc = circuit_binding(dir, &e, err);
            e.vals = calloc(e.n, sizeof *e.vals);
            e.labels = calloc(e.n, sizeof *e.labels);
            e.predicted = calloc(e.n, sizeof *e.predicted);
            if (!rc)
                rc = e.vals && e.labels && e.predicted
                         ? prove_rows(dir, &l, &d, &e, err)
                         : zkml_fail(err, ZKML_ENOMEM, "evaluation: out of memory");
            for (size_t r = 0; e.vals && r < e.n; r++)
                quant_values_free(&e.vals[r]);
            free(e.vals);
            free(e.labels);
            free(e.predicted);
        }
        quant_dataset_free(&d);
    }
    circuit_unload(&l);
    return rc;
}
