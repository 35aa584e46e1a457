/*
 * test_quant_settings.c - settings.json parsing refuses bad input naming the
 * field; per-tensor widths (bits.tensors) reach the requants of their
 * tensors; lowering refuses settings whose worst-case accumulator could
 * overflow; the rounding rule and quantization match hand-computed values.
 */
#include "pipeline/quant/quant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"

#define VIS(i, o, p) \
    "\"input_visibility\":\"" i "\",\"output_visibility\":\"" o "\",\"param_visibility\":\"" p "\""
#define BITS "\"bits\":{\"input\":8,\"input_signed\":false,\"activation\":14},"
#define GOOD                                                                         \
    "{\"scales\":{\"input\":4,\"param\":6,\"activation\":5,\"output\":5}," BITS VIS( \
        "public", "public", "fixed") "}"

static void refused(const char *json, const char *needle)
{
    quant_settings s;
    zkml_error err;
    int rc = quant_settings_parse(json, strlen(json), &s, &err);
    CHECK(rc == ZKML_EINVAL, "accepted: %s", json);
    CHECK(rc == 0 || strstr(err.message, needle), "message '%s' lacks '%s'", err.message, needle);
}

static void test_visibility(void)
{
    static const char *const good[][3] = {{"hashed", "hashed", "fixed"},
                                          {"private", "public", "hashed"}};
    static const quant_visibility want[][3] = {
        {QUANT_VIS_HASHED, QUANT_VIS_HASHED, QUANT_VIS_FIXED},
        {QUANT_VIS_PRIVATE, QUANT_VIS_PUBLIC, QUANT_VIS_HASHED}};
    char json[512];
    quant_settings s;
    zkml_error err;
    for (int i = 0; i < 2; i++) {
        snprintf(json, sizeof json,
                 "{\"scales\":{\"input\":4,\"param\":6,\"activation\":5}," BITS
                 "\"input_visibility\":\"%s\",\"output_visibility\":\"%s\","
                 "\"param_visibility\":\"%s\"}",
                 good[i][0], good[i][1], good[i][2]);
        CHECK(quant_settings_parse(json, strlen(json), &s, &err) == 0, "%s: %s", json, err.message);
        CHECK(s.input_visibility == want[i][0] && s.output_visibility == want[i][1] &&
                  s.param_visibility == want[i][2],
              "visibility of %s", json);
    }
    quant_settings_default(&s);
    CHECK(s.input_visibility == QUANT_VIS_HASHED && s.output_visibility == QUANT_VIS_PUBLIC &&
              s.param_visibility == QUANT_VIS_FIXED,
          "defaults: hashed, public, fixed");
    CHECK(quant_visibility_parse("output_visibility", "private", &s.output_visibility, &err) ==
                  ZKML_EINVAL &&
              strstr(err.message, "public or hashed"),
          "private outputs accepted");
}

/* rmse_threshold: optional, a positive finite number, kept by a write and
 * read back; the text parser (upload field, flag) refuses junk naming it. */
static void test_rmse_threshold(void)
{
    quant_settings s;
    zkml_error err;
    const char *with = "{\"scales\":{\"input\":4,\"param\":6,\"activation\":5}," BITS VIS(
        "public", "public", "fixed") ",\"rmse_threshold\":0.25}";
    CHECK(quant_settings_parse(with, strlen(with), &s, &err) == 0 && s.rmse_threshold == 0.25,
          "rmse_threshold read: %s", err.message);
    CHECK(quant_settings_parse(GOOD, strlen(GOOD), &s, &err) == 0 && s.rmse_threshold == 0,
          "absent rmse_threshold is 0");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":5}," BITS VIS(
                "public", "public", "fixed") ",\"rmse_threshold\":-1}",
            "rmse_threshold");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":5}," BITS VIS(
                "public", "public", "fixed") ",\"rmse_threshold\":\"0.5\"}",
            "rmse_threshold");
    const char *bad[] = {"0", "-0.5", "nan", "inf", "1e400", "0.5 ", "x", ""};
    double v = 7;
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        CHECK(quant_rmse_threshold_parse(bad[i], &v, &err) == ZKML_EINVAL &&
                  strstr(err.message, "rmse_threshold"),
              "'%s' accepted", bad[i]);
    }
    CHECK(v == 7 && quant_rmse_threshold_parse("1e-3", &v, &err) == 0 && v == 1e-3, "1e-3: %g", v);
    quant_settings w;
    quant_settings_default(&w);
    w.rmse_threshold = 0.125;
    char path[] = "/tmp/zkml_settings_XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0 && quant_settings_write(path, &w, &err) == 0 &&
              quant_settings_read(path, &s, &err) == 0 && s.rmse_threshold == 0.125,
          "written and read back: %s", err.message);
    if (fd >= 0) {
        close(fd);
        unlink(path);
    }
}

static void test_parse(void)
{
    quant_settings s;
    zkml_error err;
    CHECK(quant_settings_parse(GOOD, strlen(GOOD), &s, &err) == 0, "good: %s", err.message);
    CHECK(s.input_scale == 4 && s.param_scale == 6 && s.activation_scale == 5 &&
              s.input_bits == 8 && !s.input_signed && s.activation_bits == 14 &&
              s.input_visibility == QUANT_VIS_PUBLIC,
          "fields");
    refused("", "JSON");
    refused("[]", "object");
    refused("{\"scales\":{}}", "bits");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":5}," BITS VIS("secret", "public",
                                                                               "fixed") "}",
            "input_visibility");
    refused("{\"scales\":{\"input\":4,\"param\":99,\"activation\":5}," BITS VIS("public", "public",
                                                                                "fixed") "}",
            "scales.param");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":5.5}," BITS VIS("public", "public",
                                                                                 "fixed") "}",
            "scales.activation");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":12},\"bits\":{\"input\":8,"
            "\"input_signed\":false,\"activation\":10}," VIS("public", "public", "fixed") "}",
            "bits.activation");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":5,\"output\":7}," BITS VIS(
                "public", "public", "fixed") "}",
            "scales.output");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":5}," BITS VIS("public", "private",
                                                                               "fixed") "}",
            "output_visibility");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":5}," BITS VIS("public", "public",
                                                                               "public") "}",
            "param_visibility = \"public\": expected fixed or hashed");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":5}," BITS
            "\"input_visibility\":\"public\",\"output_visibility\":\"public\"}",
            "param_visibility is missing");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":5},\"bits\":{\"input\":8,"
            "\"activation\":14}," VIS("public", "public", "fixed") "}",
            "input_signed");
}

static void test_rounding(void)
{
    /* floor((acc + 2^(k-1)) / 2^k): half rounds up, toward +infinity */
    CHECK(quant_round_shift(5, 1) == 3 && quant_round_shift(-5, 1) == -2, "half up");
    CHECK(quant_round_shift(-6, 2) == -1 && quant_round_shift(-7, 2) == -2, "negatives");
    CHECK(quant_round_shift(7, 0) == 7, "k = 0");
    int64_t q;
    CHECK(quant_quantize(-1.5, 1, &q) == 0 && q == -3, "quantize");
    CHECK(quant_quantize(0.3, 4, &q) == 0 && q == 5, "quantize 0.3");
    CHECK(quant_quantize(1e30, 4, &q) != 0, "huge value accepted");
}

static void test_overflow_refused(void)
{
    onnx_model *g;
    zkml_error err;
    quant_settings s;
    quant_model m;
    if (onnx_load_file(ZKML_FIXTURES "/mlp784.onnx", &g, &err) != 0) {
        CHECK(0, "load: %s", err.message);
        return;
    }
    quant_settings_default(&s);
    s.input_scale = 30;
    s.param_scale = 30;
    s.activation_scale = 20;
    s.input_bits = 40;
    s.activation_bits = 40;
    int rc = quant_model_build(g, &s, &m, &err);
    CHECK(rc == ZKML_EINVAL, "a 2^100 accumulator was accepted");
    CHECK(rc == 0 || strstr(err.message, "worst-case accumulator"), "message: %s", err.message);
    if (rc == 0)
        quant_model_free(&m);
    /* sane settings build, and the estimate is positive */
    quant_settings_default(&s);
    rc = quant_model_build(g, &s, &m, &err);
    CHECK(rc == 0, "default settings: %s", err.message);
    if (rc == 0) {
        CHECK(quant_model_constraints(&m) > 784, "estimate");
        quant_model_free(&m);
    }
    onnx_free(g);
}

/* bits.tensors: parsed, refused naming the entry, and used by the lowering
 * for the requant of that tensor only. */
static void test_tensor_bits(void)
{
    static const char *const json =
        "{\"scales\":{\"input\":4,\"param\":6,\"activation\":5},\"bits\":{\"input\":8,"
        "\"input_signed\":false,\"activation\":14,\"tensors\":{\"gemm0\":9,\"other\":3}},"
        VIS("public", "public", "fixed") "}";
    quant_settings s;
    zkml_error err;
    CHECK(quant_settings_parse(json, strlen(json), &s, &err) == 0, "tensors: %s", err.message);
    CHECK(s.n_tensor_bits == 2 && quant_settings_bits_for(&s, "gemm0") == 9 &&
              quant_settings_bits_for(&s, "other") == 3 &&
              quant_settings_bits_for(&s, "output") == 14 && quant_settings_bits_for(&s, NULL) == 14,
          "tensor widths");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":5},\"bits\":{\"input\":8,"
            "\"input_signed\":false,\"activation\":14,\"tensors\":{\"gemm0\":1}}," VIS(
                "public", "public", "fixed") "}",
            "bits.tensors.gemm0 = 1");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":5},\"bits\":{\"input\":8,"
            "\"input_signed\":false,\"activation\":14,\"tensors\":[9]}," VIS("public", "public",
                                                                                 "fixed") "}",
            "bits.tensors is not an object");
    refused("{\"scales\":{\"input\":4,\"param\":6,\"activation\":5},\"bits\":{\"input\":8,"
            "\"input_signed\":false,\"activation\":14,\"tensors\":{\"gemm0\":\"9\"}}," VIS(
                "public", "public", "fixed") "}",
            "bits.tensors.gemm0");
    onnx_model *g;
    quant_model m;
    if (onnx_load_file(ZKML_FIXTURES "/mlp784.onnx", &g, &err) != 0) {
        CHECK(0, "load: %s", err.message);
        return;
    }
    /* mlp784: gemm0 -> relu0 (a requant with ReLU) -> output (a requant) */
    CHECK(quant_model_build(g, &s, &m, &err) == 0, "build: %s", err.message);
    for (uint32_t i = 0; i < m.n_layers; i++)
        if (m.layers[i].kind == QUANT_LAYER_REQUANT) {
            const quant_tensor *t = &m.tensors[m.layers[i].out];
            int want = m.layers[i].out == m.output ? 14 : 9;
            CHECK(t->bits == want && t->hi == ((int64_t)1 << (want - 1)) - 1,
                  "requant %u: %d bits, want %d", i, t->bits, want);
        }
    quant_model_free(&m);
    onnx_free(g);
}

int main(void)
{
    test_parse();
    test_tensor_bits();
    test_visibility();
    test_rmse_threshold();
    test_rounding();
    test_overflow_refused();
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
