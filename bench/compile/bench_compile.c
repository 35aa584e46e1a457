/*
 * bench_compile.c - per fixture: settings + calibrate (target resources),
 * then the compile and witness steps timed; prints constraints, public
 * signals, compile and witness time, max abs error against float and argmax
 * agreement (from calibration.json, over the whole CSV split), and appends
 * a table to bench/RESULTS.md (argument 1, if given) with the commit.
 * Argument 2, if given, is a folder holding bench/models/cifar_cnn.py's
 * cifar_cnn.onnx and cifar_cnn.csv: issue 15's CNN, benchmarked last.
 * Targets (issue 4): mlp784 < 10,000 constraints with >= 99% agreement,
 * iris 100% agreement, every fixture compiled in under 2 s.
 */
#include "pipeline/circuit/circuit.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The number after "key": in a JSON file (top level keys are unique enough here). */
static double json_number(const char *dir, zkml_artifact_id file, const char *key)
{
    char path[4096], pat[128];
    uint8_t *d;
    size_t n;
    zkml_error err;
    if (zkml_artifact_path(path, sizeof path, dir, file, &err) ||
        zkml_read_file(path, 0, &d, &n, &err))
        return NAN;
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr((const char *)d, pat);
    double v = p ? strtod(p + strlen(pat), NULL) : NAN;
    free(d);
    return v;
}

int main(int argc, char **argv)
{
    const char *fx[][4] = {
        {"iris_linear", "iris_linear.onnx", "iris_test.csv", ZKML_FIXTURES},
        {"iris_mlp", "iris_mlp.onnx", "iris_test.csv", ZKML_FIXTURES},
        {"mlp25_sigmoid", "mlp25_sigmoid.onnx", "mlp25_test.csv", ZKML_FIXTURES},
        {"digits_cnn", "digits_cnn.onnx", "digits_test.csv", ZKML_FIXTURES},
        {"mlp784", "mlp784.onnx", "mlp784_test.csv", ZKML_FIXTURES},
        {"ops_bn_cnn", "ops_bn_cnn.onnx", "ops_digits_test.csv", ZKML_FIXTURES},
        {"ops_misc", "ops_misc.onnx", "ops_digits_test.csv", ZKML_FIXTURES},
        {"cifar_cnn", "cifar_cnn.onnx", "cifar_cnn.csv", argc > 2 ? argv[2] : NULL},
    };
    char table[8192];
    size_t used = 0;
    used +=
        (size_t)snprintf(table + used, sizeof table - used,
                         "| fixture | constraints | public signals | compile ms | witness ms | "
                         "max abs error | argmax agreement |\n| --- | ---: | ---: | ---: | ---: "
                         "| ---: | ---: |\n");
    int status = 0;
    for (size_t i = 0; i < sizeof fx / sizeof fx[0] && fx[i][3]; i++) {
        char dir[] = "/tmp/zkml_bench_compile_XXXXXX", path[4096], src[4096];
        zkml_error err;
        zkml_step_opts opts = {.sample = 0, .threads = 1, .target = "resources"};
        if (!mkdtemp(dir))
            return 2;
        snprintf(src, sizeof src, "%s/%s", fx[i][3], fx[i][1]);
        snprintf(path, sizeof path, "%s/model.onnx", dir);
        char csv_src[1100], csv_path[1100];
        snprintf(csv_src, sizeof csv_src, "%s/%s", fx[i][3], fx[i][2]);
        snprintf(csv_path, sizeof csv_path, "%s/data.csv", dir);
        if (zkml_copy_file(src, path, &err) || zkml_copy_file(csv_src, csv_path, &err)) {
            fprintf(stderr, "%s: %s\n", fx[i][0], err.message);
            return 2;
        }
        int64_t t0 = zkml_monotonic_ms();
        if (quant_settings_step(dir, &opts, &err) || quant_calibrate_step(dir, &opts, &err)) {
            fprintf(stderr, "%s: %s\n", fx[i][0], err.message);
            status = 1;
            continue;
        }
        int64_t t1 = zkml_monotonic_ms();
        int rc = circuit_compile_step(dir, &opts, &err);
        int64_t t2 = zkml_monotonic_ms();
        if (!rc)
            rc = circuit_witness_step(dir, &opts, &err);
        int64_t t3 = zkml_monotonic_ms();
        if (rc) {
            fprintf(stderr, "%s: %s\n", fx[i][0], err.message);
            status = 1;
            continue;
        }
        double cons = json_number(dir, ZKML_A_CIRCUIT, "constraints");
        double pub = json_number(dir, ZKML_A_CIRCUIT, "public_signals");
        double merr = json_number(dir, ZKML_A_CALIBRATION, "max_abs_error");
        double agree = json_number(dir, ZKML_A_CALIBRATION, "argmax_agreement");
        printf("%-14s constraints %6.0f  public %2.0f  calibrate %5lld ms  compile %4lld ms  "
               "witness %4lld ms  max_abs_error %.4f  agreement %.4f\n",
               fx[i][0], cons, pub, (long long)(t1 - t0), (long long)(t2 - t1),
               (long long)(t3 - t2), merr, agree);
        used += (size_t)snprintf(
            table + used, sizeof table - used, "| %s | %.0f | %.0f | %lld | %lld | %.4f | %.4f |\n",
            fx[i][0], cons, pub, (long long)(t2 - t1), (long long)(t3 - t2), merr, agree);
        snprintf(path, sizeof path, "rm -rf '%s'", dir);
        if (system(path) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    if (argc > 1) {
        char commit[64] = "unknown";
        FILE *p = popen("git rev-parse --short HEAD 2>/dev/null", "r");
        if (p) {
            if (fgets(commit, sizeof commit, p))
                commit[strcspn(commit, "\n")] = 0;
            pclose(p);
        }
        FILE *f = fopen(argv[1], "a");
        if (!f)
            return 2;
        fprintf(f,
                "\n## compile (%s): settings, calibrate (target resources), compile, witness\n\n"
                "bench/compile/bench_compile; error and agreement are over each fixture's whole "
                "CSV split against the float model; times are wall clock on the shared 2-core "
                "machine. Targets: mlp784 < 10,000 constraints with >= 99%% agreement, iris "
                "100%%, compile < 2 s.\n\n%s",
                commit, table);
        fclose(f);
    }
    return status;
}
