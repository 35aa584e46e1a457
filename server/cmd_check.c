/*
 * cmd_check.c - `zkml-registry check`: the content checks of an upload (the
 * ONNX model parses, the CSV parses, its class labels are the model's, the
 * sample is one of its rows, rmse_threshold comes with a regression target),
 * alone.
 *
 * POST /models runs this command as a child process on the staged files, so
 * that parsing a large model or CSV happens under the job memory limit and
 * outside the HTTP server's memory (upload.c). Exit codes: 0 the upload is
 * valid, 1 it is not (the message, naming the file and line, on stderr),
 * 3 out of memory (over --memory-mb), 2 any other error.
 */
#include "pipeline/onnx/onnx.h"
#include "pipeline/pipeline.h"
#include "pipeline/quant/quant.h"
#include "server/commands.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

typedef struct check_args {
    const char *model, *data;
    const char *model_name, *data_name; /* the names messages use */
    const char *rmse_threshold;         /* NULL when not given */
    long sample;
    long memory_mb, cpu_s; /* 0 = no limit */
} check_args;

static void usage_check(FILE *f)
{
    fprintf(f, "usage: zkml-registry check MODEL.onnx [--data CSV] [--sample N]\n"
               "                           [--name NAME] [--data-name NAME]\n"
               "                           [--rmse-threshold X]\n"
               "                           [--memory-mb N] [--cpu-s N]\n\n"
               "Checks an upload as POST /models does: the model parses, the CSV parses\n"
               "(header, numeric features, at least one row), every class label is one of\n"
               "the model's classes (its output count; one output: 2), the sample is one of\n"
               "its rows (row 0 only without a CSV), and --rmse-threshold (a positive\n"
               "number) comes with a regression target. --name and --data-name are the\n"
               "file names the messages use; --memory-mb and --cpu-s limit this process.\n"
               "Exit codes: 0 valid, 1 invalid (the reason on stderr), 2 an error,\n"
               "3 out of memory (over --memory-mb).\n");
}

static int parse_long(const char *flag, const char *v, long *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || !*v || n < 0 || n > 1000000000) {
        fprintf(stderr, "zkml-registry check: %s '%s': expected a whole number >= 0\n", flag, v);
        return -1;
    }
    *out = n;
    return 0;
}

/* 0, 1 for --help, -1 on a usage error (reported). */
static int parse_check_args(int argc, char **argv, check_args *a)
{
    memset(a, 0, sizeof *a);
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--help") || !strcmp(f, "-h"))
            return 1;
        if (f[0] != '-' && !a->model) {
            a->model = f;
            continue;
        }
        if (f[0] != '-' || i + 1 >= argc) {
            fprintf(stderr, "zkml-registry check: unexpected '%s'\n", f);
            return -1;
        }
        const char *v = argv[++i];
        int rc = 0;
        if (!strcmp(f, "--data"))
            a->data = v;
        else if (!strcmp(f, "--name"))
            a->model_name = v;
        else if (!strcmp(f, "--data-name"))
            a->data_name = v;
        else if (!strcmp(f, "--rmse-threshold"))
            a->rmse_threshold = v;
        else if (!strcmp(f, "--sample"))
            rc = parse_long(f, v, &a->sample);
        else if (!strcmp(f, "--memory-mb"))
            rc = parse_long(f, v, &a->memory_mb);
        else if (!strcmp(f, "--cpu-s"))
            rc = parse_long(f, v, &a->cpu_s);
        else {
            fprintf(stderr, "zkml-registry check: unknown option '%s'\n", f);
            return -1;
        }
        if (rc)
            return -1;
    }
    if (!a->model) {
        fprintf(stderr, "zkml-registry check: no MODEL.onnx given\n");
        return -1;
    }
    return 0;
}

/* The model parses; *classes is its class count (the main output's size,
 * 2 for one output: quant_predicted_class reads it as a binary classifier). */
static int check_model(const check_args *a, uint32_t *classes, zkml_error *err)
{
    uint8_t *bytes;
    size_t len;
    const char *name = a->model_name ? a->model_name : a->model;
    if (zkml_read_file(a->model, 0, &bytes, &len, err))
        return err->code;
    if (len == 0) {
        free(bytes);
        return zkml_fail(err, ZKML_EINVAL, "model (ONNX) file is required");
    }
    onnx_model *m = NULL;
    int rc = onnx_load_bytes(bytes, len, &m, err);
    free(bytes);
    if (!rc) {
        uint32_t outputs = m->tensors[m->outputs[0]].size;
        *classes = outputs < 2 ? 2 : outputs;
    }
    onnx_free(m);
    return rc ? zkml_error_prefix(err, "%s", name) : ZKML_OK;
}

/* The first row whose class is not one of the model's, named by its line. */
static int check_labels(const csv_table *t, const char *name, uint32_t classes, zkml_error *err)
{
    for (size_t r = 0; t->labels && r < t->rows; r++) {
        if ((uint32_t)t->labels[r] < classes)
            continue;
        if (t->class_names)
            return zkml_fail(err, ZKML_EINVAL,
                             "%s line %zu, column '%s': label '%.40s' is "
                             "class %d of the CSV's %d (sorted names), but the model has %u "
                             "classes (outputs)",
                             name, t->lines[r], t->label_name, t->class_names[t->labels[r]],
                             t->labels[r], t->n_classes, classes);
        return zkml_fail(err, ZKML_EINVAL,
                         "%s line %zu, column '%s': label %d is not one of "
                         "the model's %u classes (0..%u, one per output)",
                         name, t->lines[r], t->label_name, t->labels[r], classes, classes - 1);
    }
    return ZKML_OK;
}

/* rmse_threshold bounds a regression's error: only with a regression target. */
static int check_rmse_threshold(const check_args *a, const csv_table *t, zkml_error *err)
{
    double v;
    if (!a->rmse_threshold)
        return ZKML_OK;
    if (quant_rmse_threshold_parse(a->rmse_threshold, &v, err))
        return err->code;
    if (!t)
        return zkml_fail(err, ZKML_EINVAL,
                         "rmse_threshold needs a data CSV with a regression "
                         "target (a float column named target or y)");
    if (!t->targets)
        return zkml_fail(err, ZKML_EINVAL,
                         "rmse_threshold is for a regression target, but "
                         "this is a classification task (%s)",
                         t->label_name ? "the label column holds classes"
                                       : "the data CSV has no label column");
    return ZKML_OK;
}

/* The CSV parses, its labels are the model's classes and the sample is one
 * of its rows. */
static int check_data(const check_args *a, uint32_t classes, zkml_error *err)
{
    if (!a->data) {
        if (a->sample > 0)
            return zkml_fail(err, ZKML_EINVAL,
                             "sample %ld needs a data CSV (without one the "
                             "only input is the all-zeros row 0)",
                             a->sample);
        return check_rmse_threshold(a, NULL, err);
    }
    const char *name = a->data_name ? a->data_name : a->data;
    uint8_t *bytes;
    size_t len;
    if (zkml_read_file(a->data, 0, &bytes, &len, err))
        return err->code;
    csv_table *t = NULL;
    int rc = len ? csv_read_bytes((const char *)bytes, len, name, &t, err)
                 : zkml_fail(err, ZKML_EINVAL, "%s: the data CSV is empty", name);
    free(bytes);
    if (!rc)
        rc = check_labels(t, name, classes, err);
    if (!rc && (size_t)a->sample >= t->rows)
        rc = zkml_fail(err, ZKML_EINVAL,
                       "sample %ld is not a row of the data CSV (it has %zu "
                       "rows, numbered from 0)",
                       a->sample, t->rows);
    if (!rc)
        rc = check_rmse_threshold(a, t, err);
    csv_free(t);
    return rc;
}

int cmd_limit_self(long memory_mb, long cpu_s, zkml_error *err)
{
    struct rlimit cpu = {(rlim_t)cpu_s, (rlim_t)cpu_s};
    if (pipeline_limit_memory(memory_mb, err))
        return err->code;
    if (cpu_s > 0 && setrlimit(RLIMIT_CPU, &cpu) != 0)
        return zkml_fail(err, ZKML_EIO, "setrlimit(RLIMIT_CPU): %s", strerror(errno));
    return ZKML_OK;
}

int cmd_check(int argc, char **argv)
{
    check_args a;
    int p = parse_check_args(argc, argv, &a);
    if (p) {
        usage_check(p > 0 ? stdout : stderr);
        return p > 0 ? 0 : 2;
    }
    zkml_error err = {0};
    int rc = cmd_limit_self(a.memory_mb, a.cpu_s, &err);
    uint32_t classes = 0;
    if (!rc)
        rc = check_model(&a, &classes, &err);
    if (!rc)
        rc = check_data(&a, classes, &err);
    if (rc)
        fprintf(stderr, "%s\n", err.message);
    return rc == 0 ? 0 : rc == ZKML_EINVAL ? 1 : rc == ZKML_ENOMEM ? 3 : 2;
}
