/*
 * dataset.c - the samples of an artifact directory: data.csv checked against
 * the model's input width (and, for a regression target, its single
 * output), or a documented deterministic fallback.
 */
#include "pipeline/quant/quant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void quant_dataset_free(quant_dataset *d)
{
    if (!d)
        return;
    csv_free(d->csv);
    free(d->generated);
    memset(d, 0, sizeof *d);
}

static int generate(quant_dataset *d, size_t features, size_t rows, zkml_error *err)
{
    size_t n = rows ? rows : 1;
    d->generated = calloc(n * features, sizeof(float));
    if (!d->generated)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory generating %zu samples", n);
    uint64_t state = 0x9E3779B97F4A7C15ull; /* fixed seed: reproducible */
    for (size_t i = 0; rows && i < n * features; i++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        d->generated[i] = (float)((double)(state >> 11) / 9007199254740992.0 * 2.0 - 1.0);
    }
    d->rows = n;
    d->features = features;
    d->x = d->generated;
    d->source = rows ? "no data.csv: deterministic pseudo-random inputs uniform in [-1, 1] "
                       "(LCG seed 0x9E3779B97F4A7C15)"
                     : "no data.csv: an all-zeros input";
    return 0;
}

int quant_dataset_load(const char *dir, const onnx_model *g, size_t fallback_rows, quant_dataset *d,
                       zkml_error *err)
{
    char path[4096];
    memset(d, 0, sizeof *d);
    if (g->n_inputs != 1)
        return zkml_fail(err, ZKML_EINVAL, "model has %d inputs; exactly one is supported",
                         g->n_inputs);
    size_t features = g->tensors[g->inputs[0]].size;
    int rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_DATA, err);
    if (rc)
        return rc;
    if (!zkml_file_exists(path))
        return generate(d, features, fallback_rows, err);
    if ((rc = csv_read_file(path, &d->csv, err)))
        return rc;
    const onnx_tensor *out = &g->tensors[g->outputs[0]];
    if (d->csv->features != features)
        rc = zkml_fail(err, ZKML_EINVAL,
                       "data.csv line 1: %zu feature columns, but the model input '%s' has %zu "
                       "values",
                       d->csv->features, g->tensors[g->inputs[0]].name, features);
    else if (d->csv->targets && out->size != 1)
        rc = zkml_fail(err, ZKML_EINVAL,
                       "data.csv line 1: column '%s' is a regression target "
                       "(numbers that are not all class indices), but the model output '%s' "
                       "has %zu values, not one",
                       d->csv->label_name, out->name, out->size);
    if (rc) {
        quant_dataset_free(d);
        return rc;
    }
    d->rows = d->csv->rows;
    d->features = features;
    d->x = d->csv->x;
    d->labels = d->csv->labels;
    d->n_classes = d->csv->n_classes;
    d->targets = d->csv->targets;
    d->target_name = d->csv->targets ? d->csv->label_name : NULL;
    d->source = zkml_artifact_name(ZKML_A_DATA);
    return 0;
}

int quant_argmax(const double *v, size_t n)
{
    if (n == 0)
        return -1;
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > v[best])
            best = i;
    return (int)best;
}

int quant_predicted_class(const quant_model *m, const double *out)
{
    const quant_tensor *t = &m->tensors[m->output];
    if (t->size != 1)
        return quant_argmax(out, t->size);
    double threshold = 0;
    if (t->def_layer != UINT32_MAX && m->layers[t->def_layer].kind == QUANT_LAYER_PWL &&
        m->layers[t->def_layer].fn == QUANT_PWL_SIGMOID)
        threshold = 0.5;
    return out[0] >= threshold ? 1 : 0;
}
