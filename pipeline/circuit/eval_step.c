/*
 * eval_step.c - the evaluate step's circuit half: data.csv's first rows
 * (ZKML_EVAL_ROWS, default 256) through the fixed-point evaluator and the
 * evaluation circuit (eval_circuit.c); writes evaluation.r1cs,
 * evaluation.wtns (checked against the constraints) and evaluation.json with
 * the proven count beside the float model's. The count the circuit computes
 * must equal the fixed-point evaluator's predicted classes row for row.
 */
#include "pipeline/circuit/steps_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct eval_run {
    size_t n;
    quant_values *vals;
    int *labels;
    int64_t *predicted;
    size_t correct, float_correct;
} eval_run;

static size_t rows_limit(void)
{
    const char *e = getenv("ZKML_EVAL_ROWS");
    char *end;
    long v = e && *e ? strtol(e, &end, 10) : 0;
    return e && *e && !*end && v > 0 ? (size_t)v : CIRCUIT_EVAL_ROWS_DEFAULT;
}

/* 1 with the reason when the rows cannot be evaluated as a classification. */
static int skip_reason(const circuit_loaded *l, const quant_dataset *d, zkml_error *err)
{
    if (strcmp(d->source, zkml_artifact_name(ZKML_A_DATA)) != 0)
        return zkml_fail(err, 0, "no data.csv to evaluate on"), 1;
    if (d->targets)
        return zkml_fail(err, 0, "data.csv has a regression target: the evaluation proves "
                         "classification accuracy only (RMSE is not implemented yet)"), 1;
    if (!d->labels)
        return zkml_fail(err, 0, "data.csv has no label column"), 1;
    if (l->m.tensors[l->m.output].size < 2)
        return zkml_fail(err, 0, "the model has one output: evaluation needs one per class"), 1;
    return 0;
}

/* The fixed-point values of each row, and the float model's correct count. */
static int run_rows(const circuit_loaded *l, const quant_dataset *d, eval_run *e, zkml_error *err)
{
    const quant_model *m = &l->m;
    uint32_t classes = m->tensors[m->output].size;
    int out = l->g->outputs[0];
    size_t n_out = l->g->tensors[out].size;
    int64_t *q = malloc((d->features + 1) * sizeof *q);
    double *fd = malloc((n_out + 1) * sizeof *fd);
    float **fv;
    int rc = q && fd ? 0 : zkml_fail(err, ZKML_ENOMEM, "evaluation: out of memory");
    for (size_t r = 0; !rc && r < e->n; r++) {
        const float *x = d->x + r * d->features;
        e->labels[r] = d->labels[r];
        if (d->labels[r] < 0 || (uint32_t)d->labels[r] >= classes)
            rc = zkml_fail(err, ZKML_EINVAL, "data.csv row %zu: label %d is not one of the "
                           "model's %u classes", r, d->labels[r], classes);
        if (!rc && (rc = quant_input(m, x, q, err)))
            zkml_error_prefix(err, "data.csv row %zu", r);
        if (!rc)
            rc = quant_eval(m, q, &e->vals[r], err);
        if (!rc && !(rc = onnx_eval_all(l->g, &x, &fv, err))) {
            for (size_t i = 0; i < n_out; i++)
                fd[i] = fv[out][i];
            e->float_correct += quant_argmax(fd, n_out) == d->labels[r];
            onnx_values_free(l->g, fv);
        }
    }
    free(q);
    free(fd);
    return rc;
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
            rc = zkml_fail(err, ZKML_EINTERNAL, "evaluation: row %zu: the circuit predicts %lld, "
                           "the fixed-point evaluator %d", r, (long long)e->predicted[r], want);
        e->correct += want == e->labels[r];
    }
    free(f);
    return rc;
}

static cJSON *evaluation_json(const eval_run *e, const circuit *c, const quant_dataset *d)
{
    char dec[80], rows[160];
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    fr_to_dec(dec, &c->witness[1]);
    snprintf(rows, sizeof rows, "data.csv rows 0..%zu of %zu (ZKML_EVAL_ROWS, default %d)",
             e->n - 1, d->rows, CIRCUIT_EVAL_ROWS_DEFAULT);
    cJSON_AddNumberToObject(o, "rows", (double)e->n);
    cJSON_AddStringToObject(o, "rows_used", rows);
    cJSON_AddStringToObject(o, "metric", "accuracy");
    cJSON_AddNumberToObject(o, "correct", (double)e->correct);
    cJSON_AddNumberToObject(o, "value", (double)e->correct / (double)e->n);
    cJSON_AddNumberToObject(o, "float_correct", (double)e->float_correct);
    cJSON_AddNumberToObject(o, "float_accuracy", (double)e->float_correct / (double)e->n);
    cJSON_AddStringToObject(o, "dataset_commitment", dec);
    cJSON_AddNumberToObject(o, "constraints", c->cs.n_constraints);
    cJSON_AddNumberToObject(o, "constraints_per_row", (double)c->cs.n_constraints / (double)e->n);
    cJSON *names = cJSON_AddArrayToObject(o, "public_signals");
    cJSON_AddItemToArray(names, cJSON_CreateString("dataset_commitment"));
    cJSON_AddItemToArray(names, cJSON_CreateString("rows"));
    cJSON_AddItemToArray(names, cJSON_CreateString("correct"));
    cJSON_AddStringToObject(o, "definition", "docs/COMMITMENTS.md");
    return o;
}

static int prove_rows(const char *dir, const circuit_loaded *l, const quant_dataset *d,
                      eval_run *e, zkml_error *err)
{
    char path[4096];
    circuit c;
    int rc = run_rows(l, d, e, err);
    if (!rc)
        rc = circuit_build_eval(&l->m, e->vals, e->labels, e->n, &c, e->predicted, err);
    if (rc)
        return rc;
    if ((rc = r1cs_check_witness(&c.cs, c.witness, c.cs.n_wires, err)))
        rc = zkml_fail(err, ZKML_EINTERNAL, "evaluation: internal error, %s", err->message);
    if (!rc)
        rc = count_correct(&l->m, e, err);
    if (!rc && !(rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_EVAL_R1CS, err)))
        rc = r1cs_write(&c.cs, path, err);
    if (!rc && !(rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_EVAL_WITNESS, err)))
        rc = wtns_write(c.witness, c.cs.n_wires, path, err);
    if (!rc)
        rc = circuit_write_json(dir, ZKML_A_EVALUATION, evaluation_json(e, &c, d), err);
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
            e.vals = calloc(e.n, sizeof *e.vals);
            e.labels = calloc(e.n, sizeof *e.labels);
            e.predicted = calloc(e.n, sizeof *e.predicted);
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
