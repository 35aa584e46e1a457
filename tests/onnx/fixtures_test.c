/*
 * fixtures_test.c - the float evaluator over every row of each fixture's CSV
 * split, against the outputs numpy computed in make_fixtures.py
 * (<model>_expected.csv), at 1e-4. Prints each fixture's accuracy (MSE for
 * the regression fixture, whose CSV has a float target column).
 * Usage: onnx_fixtures_test FIXTURES_DIR
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "pipeline/onnx/onnx.h"
#include "pipeline/quant/quant.h"

static const char *const fixtures[][3] = {
    {"iris_linear", "iris_test.csv", "iris_linear_expected.csv"},
    {"iris_mlp", "iris_test.csv", "iris_mlp_expected.csv"},
    {"mlp25_sigmoid", "mlp25_test.csv", "mlp25_sigmoid_expected.csv"},
    {"digits_cnn", "digits_test.csv", "digits_cnn_expected.csv"},
    {"mlp784", "mlp784_test.csv", "mlp784_expected.csv"},
    {"mlp64", "mlp64_test.csv", "mlp64_expected.csv"},
    {"reg_sigmoid", "reg_test.csv", "reg_sigmoid_expected.csv"},
};

static int predicted(const float *out, size_t n)
{
    if (n == 1)
        return out[0] > 0.5f;
    size_t best = 0;
    for (size_t i = 1; i < n; i++)
        if (out[i] > out[best])
            best = i;
    return (int)best;
}

/* Returns the number of mismatching values (or 1 on a setup error). */
static int check_fixture(const char *dir, const char *const f[3])
{
    char path[1024];
    onnx_model *m = NULL;
    csv_table *data = NULL, *want = NULL;
    zkml_error err = {0};
    float *out = NULL;
    int bad = 0, correct = 0;
    double sq_err = 0;
    snprintf(path, sizeof(path), "%s/%s.onnx", dir, f[0]);
    if (onnx_load_file(path, &m, &err) != 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/%s", dir, f[1]);
    if (csv_read_file(path, &data, &err) != 0)
        goto fail;
    snprintf(path, sizeof(path), "%s/%s", dir, f[2]);
    if (csv_read_file(path, &want, &err) != 0)
        goto fail;
    const onnx_tensor *in = &m->tensors[m->inputs[0]], *o = &m->tensors[m->outputs[0]];
    if (in->size != data->features || o->size != want->features || data->rows != want->rows) {
        fprintf(stderr, "%s: sizes differ (input %zu, features %zu, output %zu, expected %zu)\n",
                f[0], in->size, data->features, o->size, want->features);
        bad = 1;
        goto done;
    }
    out = malloc(o->size * sizeof(float));
    if (!out)
        goto done;
    for (size_t r = 0; r < data->rows && bad < 5; r++) {
        float *outs[1] = {out};
        if (onnx_eval(m, data->x + r * data->features, outs, &err) != 0)
            goto fail;
        for (size_t k = 0; k < o->size; k++) {
            double w = want->x[r * o->size + k];
            if (fabs(out[k] - w) > 1e-4 + 1e-4 * fabs(w)) {
                fprintf(stderr, "%s row %zu output %zu: %.7g, numpy %.7g\n", f[0], r, k, out[k], w);
                bad++;
            }
        }
        if (data->targets)
            sq_err += (out[0] - data->targets[r]) * (out[0] - data->targets[r]);
        else
            correct += predicted(out, o->size) == data->labels[r];
    }
    if (data->targets)
        printf("%-14s %zu rows: outputs match numpy; float MSE %.6f\n", f[0], data->rows,
               sq_err / (double)data->rows);
    else
        printf("%-14s %zu rows: outputs match numpy; float accuracy %.4f\n", f[0], data->rows,
               (double)correct / (double)data->rows);
    goto done;
fail:
    fprintf(stderr, "%s: %s\n", f[0], err.message);
    bad = 1;
done:
    free(out);
    csv_free(data);
    csv_free(want);
    onnx_free(m);
    return bad;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    int bad = 0;
    for (size_t i = 0; i < sizeof(fixtures) / sizeof(fixtures[0]); i++)
        bad += check_fixture(argv[1], fixtures[i]);
    return bad ? 1 : 0;
}
