/*
 * test_circuit_pipeline.c - settings -> calibrate -> compile -> witness on
 * every fixture, checked by independent means:
 *   - snarkjs `wtns check` accepts network.r1cs + witness.wtns, and rejects
 *     the witness once its (packed) output signal is changed;
 *   - the compiled constraint count equals the quant estimate;
 *   - calibration.json's agreement and error meet the targets
 *     (iris 100% argmax agreement, mlp784 >= 99%, bounded errors);
 *   - output.json's dequantized outputs are within the reported error of
 *     the float model's expected outputs (tests/fixtures/NAME_expected.csv);
 *   - several samples give witnesses that satisfy the constraints.
 * The ops_* fixtures cover the ops beyond the five models
 * (BatchNormalization, AveragePool, Pad, PRelu, Clip, Transpose, Concat,
 * GlobalAveragePool, ReduceMean, ReduceSum).
 */
#include "pipeline/circuit/circuit.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/test_util.h"

static cJSON *read_json(const char *dir, const char *name)
{
    char path[4096];
    uint8_t *d;
    size_t n;
    zkml_error err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (zkml_read_file(path, 0, &d, &n, &err))
        return NULL;
    cJSON *j = cJSON_Parse((const char *)d);
    free(d);
    return j;
}

static double num(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static int snarkjs_check(const char *dir, const char *wtns)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "cd '%s' && '%s' wtns check network.r1cs %s > snarkjs.log 2>&1", dir,
             ZKML_SNARKJS, wtns);
    return system(cmd);
}

/* Row `row` of the numpy outputs in NAME_expected.csv. */
static int expected_row(const char *name, int row, double *out, int cap)
{
    char path[4096], line[65536];
    snprintf(path, sizeof path, "%s/%s_expected.csv", ZKML_FIXTURES, name);
    FILE *fp = fopen(path, "r");
    int n = 0;
    if (!fp)
        return -1;
    for (int i = 0; i <= row + 1; i++)
        if (!fgets(line, sizeof line, fp)) {
            fclose(fp);
            return -1;
        }
    fclose(fp);
    for (char *p = line, *end; n < cap; p = end + 1) {
        out[n++] = strtod(p, &end);
        if (*end != ',')
            break;
    }
    return n;
}

/* output.json's dequantized values against numpy's, within the calibrated error. */
static void check_output(const char *dir, const char *name, int sample, double bound)
{
    double exp[16];
    cJSON *out = read_json(dir, "output.json");
    const cJSON *deq = cJSON_GetObjectItemCaseSensitive(out, "dequantized");
    int n = expected_row(name, sample, exp, 16);
    CHECK(n > 0 && cJSON_GetArraySize(deq) == n, "%s: sample %d: %d expected outputs", name, sample,
          n);
    for (int i = 0; i < n && i < cJSON_GetArraySize(deq); i++) {
        double got = cJSON_GetArrayItem(deq, i)->valuedouble;
        CHECK(fabs(got - exp[i]) <= bound + 1e-6, "%s: sample %d output %d: %g vs numpy %g", name,
              sample, i, got, exp[i]);
    }
    cJSON_Delete(out);
}

typedef struct fixture {
    const char *name, *onnx, *csv;
    double min_agreement;
} fixture;

static void run_fixture(const fixture *f)
{
    char dir[256], path[4096], src[4096];
    zkml_error err;
    zkml_step_opts opts = {.sample = 0, .threads = 1, .target = "resources"};
    test_tmpdir(dir, sizeof dir, "circuit");
    snprintf(src, sizeof src, "%s/%s", ZKML_FIXTURES, f->onnx);
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    CHECK(zkml_copy_file(src, path, NULL) == 0, "%s: copy model", f->name);
    snprintf(src, sizeof src, "%s/%s", ZKML_FIXTURES, f->csv);
    snprintf(path, sizeof path, "%s/data.csv", dir);
    CHECK(zkml_copy_file(src, path, NULL) == 0, "%s: copy csv", f->name);
    int rc = quant_settings_step(dir, &opts, &err);
    CHECK(rc == 0, "%s: settings: %s", f->name, err.message);
    if (!rc)
        rc = quant_calibrate_step(dir, &opts, &err);
    CHECK(rc == 0, "%s: calibrate: %s", f->name, err.message);
    if (!rc)
        rc = circuit_compile_step(dir, &opts, &err);
    CHECK(rc == 0, "%s: compile: %s", f->name, err.message);
    if (!rc)
        rc = circuit_witness_step(dir, &opts, &err);
    CHECK(rc == 0, "%s: witness: %s", f->name, err.message);
    if (rc)
        return;
    cJSON *cal = read_json(dir, "calibration.json"), *cir = read_json(dir, "circuit.json");
    cJSON *out = read_json(dir, "output.json");
    CHECK(cal && cir && out, "%s: JSON outputs parse", f->name);
    if (!cal || !cir || !out)
        return;
    double agreement = num(cal, "argmax_agreement"), max_err = num(cal, "max_abs_error");
    const cJSON *sc = cJSON_GetObjectItem(cJSON_GetObjectItem(cal, "settings"), "scales");
    const cJSON *bt = cJSON_GetObjectItem(cJSON_GetObjectItem(cal, "settings"), "bits");
    printf("%-14s scales in/param/act %g/%g/%g bits in/act %g/%g\n", f->name, num(sc, "input"),
           num(sc, "param"), num(sc, "activation"), num(bt, "input"), num(bt, "activation"));
    printf("%-14s constraints %6.0f  public %2.0f  agreement %.4f  max_abs_error %.5f  "
           "fixed acc %.4f float acc %.4f\n",
           f->name, num(cir, "constraints"), num(cir, "public_signals"), agreement, max_err,
           num(cJSON_GetObjectItem(cal, "accuracy"), "fixed_point"),
           num(cJSON_GetObjectItem(cal, "accuracy"), "float"));
    const cJSON *per_op = cJSON_GetObjectItem(cir, "constraints_per_op");
    printf("%-14s per op:", f->name);
    for (const cJSON *o = per_op ? per_op->child : NULL; o; o = o->next)
        printf(" %s %.0f", o->string, o->valuedouble);
    printf("\n");
    CHECK(agreement >= f->min_agreement, "%s: agreement %g < %g", f->name, agreement,
          f->min_agreement);
    double bound = 0.02 * fmax(1.0, num(cal, "float_output_max_abs"));
    CHECK(max_err <= bound, "%s: max abs error %g > %g", f->name, max_err, bound);
    check_output(dir, f->name, 0, max_err);
    CHECK(num(cir, "constraints") == num(cal, "constraints"),
          "%s: compiled %g constraints, calibration estimated %g", f->name, num(cir, "constraints"),
          num(cal, "constraints"));

    /* snarkjs accepts the witness */
    CHECK(snarkjs_check(dir, "witness.wtns") == 0, "%s: snarkjs wtns check failed (see %s)",
          f->name, dir);
    /* ... and rejects it with a changed output signal */
    fr_t *w;
    size_t n;
    snprintf(path, sizeof path, "%s/witness.wtns", dir);
    if (wtns_read(&w, &n, path, &err) == 0) {
        fr_t one;
        fr_one(&one);
        fr_add(&w[1], &w[1], &one);
        snprintf(path, sizeof path, "%s/bad.wtns", dir);
        CHECK(wtns_write(w, n, path, &err) == 0, "%s: write bad.wtns", f->name);
        CHECK(snarkjs_check(dir, "bad.wtns") != 0, "%s: snarkjs accepted a changed output",
              f->name);
        free(w);
    } else {
        CHECK(0, "%s: wtns_read: %s", f->name, err.message);
    }
    /* more samples */
    for (int s = 1; s < 4; s++) {
        opts.sample = s;
        rc = circuit_witness_step(dir, &opts, &err);
        CHECK(rc == 0, "%s: witness sample %d: %s", f->name, s, err.message);
        if (!rc)
            check_output(dir, f->name, s, max_err);
    }
    opts.sample = 100000;
    CHECK(circuit_witness_step(dir, &opts, &err) == ZKML_EINVAL, "%s: missing sample accepted",
          f->name);
    cJSON_Delete(cal);
    cJSON_Delete(cir);
    cJSON_Delete(out);
    if (failures == 0)
        test_rm_rf(dir);
}

/* Without data.csv: calibration falls back to generated inputs, the witness
 * proves an all-zeros input, and both say so. */
static void run_without_data(void)
{
    char dir[256], path[4096];
    zkml_error err;
    zkml_step_opts opts = {.sample = 0, .threads = 1, .target = "accuracy"};
    test_tmpdir(dir, sizeof dir, "circuit-nodata");
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    CHECK(zkml_copy_file(ZKML_FIXTURES "/iris_mlp.onnx", path, NULL) == 0, "copy");
    int rc = quant_settings_step(dir, &opts, &err);
    if (!rc)
        rc = quant_calibrate_step(dir, &opts, &err);
    if (!rc)
        rc = circuit_compile_step(dir, &opts, &err);
    if (!rc)
        rc = circuit_witness_step(dir, &opts, &err);
    CHECK(rc == 0, "no data.csv: %s", err.message);
    if (rc)
        return;
    cJSON *cal = read_json(dir, "calibration.json"), *out = read_json(dir, "output.json");
    const cJSON *src = cJSON_GetObjectItem(cJSON_GetObjectItem(cal, "data"), "source");
    CHECK(cJSON_IsString(src) && strstr(src->valuestring, "no data.csv"), "calibration source");
    src = cJSON_GetObjectItem(out, "input_source");
    CHECK(cJSON_IsString(src) && strstr(src->valuestring, "all-zeros"), "witness source");
    CHECK(snarkjs_check(dir, "witness.wtns") == 0, "snarkjs on the zeros witness (%s)", dir);
    opts.target = "speed";
    CHECK(quant_calibrate_step(dir, &opts, &err) == ZKML_EINVAL, "unknown target accepted");
    cJSON_Delete(cal);
    cJSON_Delete(out);
    if (failures == 0)
        test_rm_rf(dir);
}

int main(void)
{
    run_without_data();
    static const fixture fixtures[] = {
        {"iris_linear", "iris_linear.onnx", "iris_test.csv", 1.0},
        {"iris_mlp", "iris_mlp.onnx", "iris_test.csv", 1.0},
        {"mlp25_sigmoid", "mlp25_sigmoid.onnx", "mlp25_test.csv", 0.99},
        {"digits_cnn", "digits_cnn.onnx", "digits_test.csv", 0.99},
        {"mlp784", "mlp784.onnx", "mlp784_test.csv", 0.99},
        /* BatchNormalization (folded and not), AveragePool with padding */
        {"ops_bn_cnn", "ops_bn_cnn.onnx", "ops_digits_test.csv", 0.99},
        /* Pad, PRelu, Clip, Transpose, Concat, GlobalAveragePool, Reduce* */
        {"ops_misc", "ops_misc.onnx", "ops_digits_test.csv", 0.99},
    };
    for (size_t i = 0; i < sizeof fixtures / sizeof fixtures[0]; i++)
        run_fixture(&fixtures[i]);
    if (failures)
        fprintf(stderr, "%d failure(s)\n", failures);
    return failures ? 1 : 0;
}
