/*
 * test_quant_ops.c - the fixed-point evaluator on the ops_* fixtures against
 * the float evaluator (pipeline/onnx, an independent implementation): over
 * every row of the split, each output agrees within a bound that follows
 * from the scales (2^-activation_scale per rounding, a few roundings deep),
 * and the predicted class agrees. Also checks that lowering folds the
 * BatchNormalization after a Conv into it (no layer of its own) and that
 * Transpose/Concat/Pad of activations cost no constraints. And that
 * quant_quantize (inline arithmetic, for calibration's speed) rounds exactly
 * as llround(ldexp(v, scale)) does, halves and huge values included.
 */
#include "pipeline/quant/quant.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "tests/check.h"

static void settings_for(quant_settings *s, int act_scale)
{
    quant_settings_default(s);
    s->input_scale = 4;
    s->input_bits = 10;
    s->input_signed = 0;
    s->param_scale = 10;
    s->activation_scale = act_scale;
    s->activation_bits = act_scale + 9;
}

/* Counts the layers that an ONNX node of op type `op` produced. */
static uint32_t layers_of(const quant_model *m, onnx_op op)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < m->n_layers; i++)
        n += m->graph->nodes[m->layers[i].node].op == op;
    return n;
}

static void compare(const char *name, double tol)
{
    char path[4096];
    zkml_error err;
    onnx_model *g;
    csv_table *csv;
    quant_settings s;
    quant_model m;
    snprintf(path, sizeof path, "%s/%s.onnx", ZKML_FIXTURES, name);
    if (onnx_load_file(path, &g, &err)) {
        CHECK(0, "%s: %s", name, err.message);
        return;
    }
    if (csv_read_file(ZKML_FIXTURES "/ops_digits_test.csv", &csv, &err)) {
        CHECK(0, "csv: %s", err.message);
        onnx_free(g);
        return;
    }
    settings_for(&s, 8);
    int rc = quant_model_build(g, &s, &m, &err);
    CHECK(rc == 0, "%s: build: %s", name, err.message);
    if (rc) {
        csv_free(csv);
        onnx_free(g);
        return;
    }
    const quant_tensor *out = &m.tensors[m.output];
    float *f = malloc(out->size * sizeof *f);
    double *q = malloc(out->size * sizeof *q), worst = 0;
    int64_t *qin = malloc(csv->features * sizeof *qin);
    size_t agree = 0;
    for (size_t r = 0; f && q && qin && r < csv->rows; r++) {
        const float *x = csv->x + r * csv->features;
        quant_values v;
        float *outs[1] = {f};
        if (onnx_eval(g, x, outs, &err) || quant_input(&m, x, qin, &err) ||
            quant_eval(&m, qin, &v, &err)) {
            CHECK(0, "%s row %zu: %s", name, r, err.message);
            continue;
        }
        quant_output_floats(&m, &v, q);
        double fd[16];
        for (uint32_t i = 0; i < out->size && i < 16; i++) {
            fd[i] = f[i];
            worst = fmax(worst, fabs(q[i] - f[i]));
        }
        agree += quant_argmax(q, out->size) == quant_argmax(fd, out->size);
        quant_values_free(&v);
    }
    printf("%-10s max |fixed - float| %.5f over %zu rows, argmax agreement %zu/%zu, "
           "%llu constraints\n",
           name, worst, csv->rows, agree, csv->rows,
           (unsigned long long)quant_model_constraints(&m));
    CHECK(worst <= tol, "%s: error %g above %g", name, worst, tol);
    CHECK(agree == csv->rows, "%s: argmax disagrees on %zu rows", name, csv->rows - agree);
    free(f);
    free(q);
    free(qin);
    quant_model_free(&m);
    csv_free(csv);
    onnx_free(g);
}

/* ops_bn_cnn: bn1 folds into the Conv (no layer), bn2 (after the pool)
 * is its own free affine layer. ops_misc: the re-indexing ops are free. */
static void check_structure(void)
{
    zkml_error err;
    onnx_model *g;
    quant_settings s;
    quant_model m;
    settings_for(&s, 6);
    if (onnx_load_file(ZKML_FIXTURES "/ops_bn_cnn.onnx", &g, &err) == 0) {
        CHECK(quant_model_build(g, &s, &m, &err) == 0, "bn_cnn: %s", err.message);
        CHECK(layers_of(&m, ONNX_OP_BATCH_NORMALIZATION) == 1, "bn1 folded, bn2 one layer");
        quant_model_free(&m);
        onnx_free(g);
    }
    if (onnx_load_file(ZKML_FIXTURES "/ops_misc.onnx", &g, &err) == 0) {
        CHECK(quant_model_build(g, &s, &m, &err) == 0, "misc: %s", err.message);
        for (uint32_t i = 0; i < m.n_layers; i++) {
            onnx_op op = m.graph->nodes[m.layers[i].node].op;
            if (op == ONNX_OP_TRANSPOSE || op == ONNX_OP_PAD || op == ONNX_OP_CONCAT)
                CHECK(m.layers[i].kind == QUANT_LAYER_GATHER ||
                          m.layers[i].kind == QUANT_LAYER_AFFINE,
                      "re-indexing layer %u", i);
            if (op == ONNX_OP_TRANSPOSE || op == ONNX_OP_PAD)
                CHECK(m.layers[i].kind == QUANT_LAYER_GATHER, "layer %u is not a gather", i);
        }
        quant_model_free(&m);
        onnx_free(g);
    }
}

/* quant_quantize against libm's llround(ldexp()): the definition it replaced. */
static void check_quantize(void)
{
    static const double halves[] = {0.5,  1.5, 2.5, -0.5, -1.5, -2.5, 0.49999999999999994,
                                    -0.49999999999999994, 4503599627370495.5, 0x1p61, -0x1p61};
    uint64_t x = 0x9E3779B97F4A7C15ULL;
    for (int i = 0; i < 200000; i++) {
        double v;
        int scale = i % 50 - 5;
        if (i < 11 * 50)
            v = ldexp(halves[i / 50], -scale); /* the half lands on the quantization grid */
        else {
            x ^= x << 13, x ^= x >> 7, x ^= x << 17;
            v = ((double)(int64_t)x / 0x1p63) * ldexp(1.0, (int)(x >> 58) - 20);
        }
        double want_x = ldexp(v, scale);
        int want_fail = !isfinite(want_x) || fabs(want_x) >= 0x1p62;
        int64_t got = 0;
        int fail = quant_quantize(v, scale, &got) != 0;
        CHECK(fail == want_fail, "quantize(%a, %d): fails %d, libm %d", v, scale, fail, want_fail);
        if (!fail && !want_fail)
            CHECK(got == (int64_t)llround(want_x), "quantize(%a, %d) = %lld, llround %lld", v,
                  scale, (long long)got, (long long)llround(want_x));
    }
}

int main(void)
{
    check_quantize();
    /* act scale 8: each rounding is <= 2^-9; the Gemm sums ~64 features of
     * weights up to a few units, so a few hundredths is the expected scale. */
    compare("ops_bn_cnn", 0.1);
    compare("ops_misc", 0.1);
    check_structure();
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
