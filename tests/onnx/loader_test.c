/*
 * loader_test.c - the ONNX loader on the models of tests/fixtures/loader/
 * (typed-field initializers, a Constant node, unsorted nodes, and one model
 * per refusal, each with the message it must give), the normalized graph of
 * the fixtures, and every truncation of a valid model (must fail cleanly).
 * Usage: onnx_loader_test FIXTURES_DIR
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline/onnx/onnx.h"

#include "tests/check.h"

static const char *fixtures;

static onnx_model *load(const char *rel, zkml_error *err)
{
    char path[1024];
    onnx_model *m = NULL;
    snprintf(path, sizeof(path), "%s/%s", fixtures, rel);
    if (onnx_load_file(path, &m, err) != 0)
        return NULL;
    return m;
}

/* y = reshape(x + [1111, 2222, 3333, 4444], [2, 2]) from four encodings. */
static void test_typed_fields(const char *rel)
{
    zkml_error err = {0};
    onnx_model *m = load(rel, &err);
    if (!m) {
        fprintf(stderr, "%s: %s\n", rel, err.message);
        failures++;
        return;
    }
    CHECK(m->n_inputs == 1 && m->tensors[m->inputs[0]].shape[0] == 1); /* batch -> 1 */
    CHECK(m->n_nodes == 5); /* Casts folded, Constant gone: 4 Adds and the Reshape */
    const onnx_node *last = &m->nodes[m->n_nodes - 1];
    size_t k;
    const int64_t *shape = onnx_attr_ints(last, "shape", &k);
    CHECK(last->op == ONNX_OP_RESHAPE && last->n_inputs == 1 && k == 2 && shape[0] == 2);
    float x[4] = {0.5f, 0, 0, -1}, y[4];
    float *outs[1] = {y};
    CHECK(onnx_eval(m, x, outs, &err) == 0);
    CHECK(y[0] == 1111.5f && y[1] == 2222 && y[2] == 3333 && y[3] == 4443);
    onnx_free(m);
}

static void expect_failure(const char *rel, int code, const char *want)
{
    zkml_error err = {0};
    onnx_model *m = load(rel, &err);
    CHECK(!m && err.code == code);
    if (!strstr(err.message, want)) {
        fprintf(stderr, "%s: message '%s' lacks '%s'\n", rel, err.message, want);
        failures++;
    }
    onnx_free(m);
}

static void expect_refusal(const char *rel, const char *want)
{
    expect_failure(rel, ZKML_EINVAL, want);
}

static void test_normalized_graph(void)
{
    zkml_error err = {0};
    onnx_model *m = load("digits_cnn.onnx", &err);
    if (!m) {
        fprintf(stderr, "digits_cnn: %s\n", err.message);
        failures++;
        return;
    }
    CHECK(m->opset == 13 && m->n_nodes == 5);
    const onnx_node *conv = &m->nodes[0], *pool = &m->nodes[2], *fc = &m->nodes[4];
    size_t n;
    const int64_t *pads = onnx_attr_ints(conv, "pads", &n);
    CHECK(conv->op == ONNX_OP_CONV && n == 4 && pads[0] == 0 && pads[3] == 0);
    const int64_t *strides = onnx_attr_ints(pool, "strides", &n);
    CHECK(pool->op == ONNX_OP_MAX_POOL && n == 2 && strides[1] == 2);
    const onnx_tensor *pooled = &m->tensors[pool->outputs[0]];
    CHECK(pooled->rank == 4 && pooled->shape[1] == 4 && pooled->shape[2] == 3);
    CHECK(fc->op == ONNX_OP_GEMM && onnx_attr_float(fc, "alpha", 0) == 1.0f &&
          onnx_attr_int(fc, "transB", -1) == 0);
    const onnx_tensor *w = &m->tensors[fc->inputs[1]];
    CHECK(w->data && w->rank == 2 && w->shape[0] == 36 && w->shape[1] == 10);
    CHECK(strcmp(conv->name, "conv") == 0 && strcmp(conv->op_type, "Conv") == 0);
    CHECK(onnx_find_tensor(m, "flat") == fc->inputs[0]);
    onnx_free(m);
}

/* Every prefix of a valid model must load or fail without crashing. */
static void test_truncations(void)
{
    char path[1024];
    uint8_t *data;
    size_t len;
    zkml_error err;
    snprintf(path, sizeof(path), "%s/iris_mlp.onnx", fixtures);
    if (zkml_read_file(path, 0, &data, &len, &err) != 0) {
        failures++;
        return;
    }
    int loaded = 0;
    for (size_t cut = 0; cut < len; cut++) {
        onnx_model *m = NULL;
        if (onnx_load_bytes(data, cut, &m, &err) == 0)
            loaded++;
        else
            CHECK(!m && err.message[0]);
        onnx_free(m);
    }
    onnx_model *m = NULL;
    CHECK(onnx_load_bytes(data, len, &m, NULL) == 0);
    onnx_free(m);
    printf("truncations: %d of %zu prefixes still load\n", loaded, len);
    free(data);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURES_DIR\n", argv[0]);
        return 2;
    }
    fixtures = argv[1];
    test_typed_fields("loader/typed_fields.onnx");
    test_typed_fields("loader/unsorted.onnx");
    expect_refusal("loader/external_data.onnx", "initializer 'a' uses external data");
    expect_refusal("loader/training_info.onnx", "training graphs are not supported");
    expect_refusal("loader/unsupported_op.onnx",
                   "node 'erf1' (Erf, opset 13): operator is not supported");
    expect_refusal("loader/old_opset.onnx", "opset 5 is not supported");
    expect_refusal("loader/dynamic_dim.onnx", "dimension 1 is dynamic");
    expect_refusal("loader/bad_shapes.onnx", "node 'mm' (MatMul, opset 13): inner dimensions");
    expect_refusal("loader/missing_input.onnx", "input 'nowhere' is not produced");
    expect_refusal("loader/not_onnx.onnx", "not an ONNX model");
    expect_refusal("loader/not_onnx.onnx", "loader/not_onnx.onnx"); /* names the file */
    expect_failure("loader/no_such_file.onnx", ZKML_ENOTFOUND, "no_such_file");
    test_normalized_graph();
    test_truncations();
    if (failures)
        fprintf(stderr, "%d check(s) failed\n", failures);
    else
        printf("onnx loader: all checks passed\n");
    return failures ? 1 : 0;
}
