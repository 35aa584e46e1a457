/*
 * test_circuit_eval_memory.c - the evaluate step under the job memory limit:
 * with the limit (RLIMIT_AS, as pipeline_limit_memory sets it) leaving room
 * for only part of iris_test.csv's 45 rows, the step fails naming a row
 * count below 45; without the limit the 45 rows evaluate, and their real
 * circuit has the per-row size the estimate used; under the limit again the
 * named count evaluates.
 */
#include "pipeline/circuit/circuit.h"

#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "tests/check.h"
#include "tests/test_util.h"

/* The message's numbers: rows, per-row constraints, rows that fit. */
static int parse_message(const char *m, double *rows, double *per_row, double *fit)
{
    const char *p = strstr(m, "evaluation: ");
    const char *c = strstr(m, "MiB (");
    const char *f = strstr(m, "leaves: ");
    return p && c && f && sscanf(p, "evaluation: %lf rows", rows) == 1 &&
           sscanf(c, "MiB (%lf constraints", per_row) == 1 &&
           sscanf(f, "leaves: %lf rows would fit", fit) == 1;
}

int main(void)
{
    char dir[4096], path[4200];
    zkml_error err;
    zkml_step_opts opts = {.threads = 1, .target = "resources"};
    test_tmpdir(dir, sizeof dir, "evalmem");
    snprintf(path, sizeof path, "%s/model.onnx", dir);
    REQUIRE_OK(zkml_copy_file(ZKML_FIXTURES "/iris_mlp.onnx", path, &err), &err);
    snprintf(path, sizeof path, "%s/data.csv", dir);
    REQUIRE_OK(zkml_copy_file(ZKML_FIXTURES "/iris_test.csv", path, &err), &err);
    REQUIRE_OK(quant_settings_step(dir, &opts, &err), &err);
    REQUIRE_OK(quant_calibrate_step(dir, &opts, &err), &err);
    REQUIRE_OK(circuit_compile_step(dir, &opts, &err), &err); /* the circuit hash's network.r1cs */
    setenv("ZKML_EVAL_ROWS", "45", 1);

    /* Room for a few rows' circuits at the step's bytes per constraint. */
    struct rlimit saved, low;
    REQUIRE(getrlimit(RLIMIT_AS, &saved) == 0);
    low = saved;
    low.rlim_cur = zkml_address_space() + (8u << 20);
    REQUIRE(setrlimit(RLIMIT_AS, &low) == 0);
    int rc = circuit_eval_step(dir, &opts, &err);
    REQUIRE(setrlimit(RLIMIT_AS, &saved) == 0);
    double rows = 0, per_row = 0, fit = -1;
    CHECK(rc == ZKML_EINVAL && parse_message(err.message, &rows, &per_row, &fit),
          "under 8 MiB: rc %d, %s", rc, err.message);
    CHECK(rows == 45 && fit >= 1 && fit < 45 && strstr(err.message, "ZKML_JOB_MEMORY_MB"),
          "rows %g fit %g: %s", rows, fit, err.message);
    printf("under 8 MiB left: %s\n", err.message);

    /* Unlimited: the 45 rows' circuit is 45 of the estimated rows. */
    rc = circuit_eval_step(dir, &opts, &err);
    CHECK(rc == 0, "unlimited: %s", err.message);
    uint8_t *text = NULL;
    size_t len = 0;
    snprintf(path, sizeof path, "%s/evaluation.json", dir);
    CHECK_OK(zkml_read_file(path, 1 << 20, &text, &len, &err), &err);
    cJSON *ev = text ? cJSON_ParseWithLength((const char *)text, len) : NULL;
    free(text);
    double real = cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "constraints_per_row"));
    CHECK(real > 0.9 * per_row && real <= per_row * 1.01,
          "real %g constraints per row, estimated %g", real, per_row);
    /* The count the message named fits under the same limit. */
    char fit_s[32];
    snprintf(fit_s, sizeof fit_s, "%.0f", fit);
    setenv("ZKML_EVAL_ROWS", fit_s, 1);
    low.rlim_cur = zkml_address_space() + (8u << 20);
    REQUIRE(setrlimit(RLIMIT_AS, &low) == 0);
    rc = circuit_eval_step(dir, &opts, &err);
    REQUIRE(setrlimit(RLIMIT_AS, &saved) == 0);
    CHECK(rc == 0, "the %s rows named fit: %s", fit_s, err.message);
    printf("45 rows: %g constraints per row, estimated from one row %g\n", real, per_row);
    cJSON_Delete(ev);
    test_rm_rf(dir);
    return check_exit("circuit_eval_memory");
}
