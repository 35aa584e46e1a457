/*
 * cmd_run.c - the pipeline without the service: `run` (every step in order on
 * one directory), `migrate` (the data dir's database), and one command per
 * engine step. `run` and the step commands use no database; in `run` the
 * version and register steps are skipped with a note, because the version
 * history and the chain belong to a data dir (use `serve` for those).
 */
#include "pipeline/pipeline.h"
#include "pipeline/quant/quant.h"
#include "server/commands.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

typedef struct run_args {
    const char *model; /* run: positional; steps: --model */
    const char *data;
    const char *dir;      /* --out for run, --dir for the steps */
    const char *data_dir; /* migrate */
    zkml_step_opts opts;
} run_args;

/* The settings step writes them into settings.json; docs/COMMITMENTS.md
 * defines the commitments. */
#define VISIBILITY_HELP                                                                      \
    "Visibility (the settings step; default: keep settings.json's, else hashed, public,\n"   \
    "fixed): --input-visibility public|hashed|private, --output-visibility public|hashed,\n" \
    "--param-visibility fixed|hashed. --rmse-threshold X (a regression target's bound on RMSE,\n" \
    "proven by the evaluate step).\n"

/* Where the setup step's phase 1 comes from (README "Trusted setup"). */
#define PTAU_HELP                                                                            \
    "The setup step's phase 1: the .ptau file ZKML_PTAU names (a public ceremony's), else\n" \
    "one made here, for testing only, cached in $ZKML_DATA_DIR/ptau (./data/ptau).\n"

static void usage_run(FILE *f)
{
    fprintf(f, "usage: zkml-registry run MODEL.onnx [--data CSV] [--sample N]\n"
               "                         [--target resources|accuracy] [--threads N]\n"
               "                         [VISIBILITY FLAGS] --out DIR\n\n"
               "Copies MODEL.onnx (and CSV) into DIR as model.onnx (data.csv) and runs every\n"
               "pipeline step there in order, printing each step's time and peak resident\n"
               "memory (MiB; '-' where the system cannot tell). The version and\n"
               "register steps need the service's data dir and are skipped here.\n" VISIBILITY_HELP
                   PTAU_HELP
               "Exit codes: 0 success, 1 the proof did not verify or output.json differs from\n"
               "the outputs it proves, 2 an error.\n");
}

static void usage_migrate(FILE *f)
{
    fprintf(f, "usage: zkml-registry migrate [--data-dir DIR]\n\n"
               "Applies the pending database migrations in DIR (default $ZKML_DATA_DIR or\n"
               "./data). Exit codes: 0 success, 2 an error (e.g. a newer database).\n");
}

static void usage_step(FILE *f, const char *name)
{
    fprintf(
        f,
        "usage: zkml-registry %s --dir DIR [--model MODEL.onnx] [--data CSV]\n"
        "                        [--sample N] [--target resources|accuracy] [--threads N]\n"
        "                        [VISIBILITY FLAGS]\n\n"
        "Runs the %s step on the artifact directory DIR (docs/ARCHITECTURE.md lists each step's\n"
        "files). --model and --data first copy those files into DIR.\n" VISIBILITY_HELP "%s"
        "Exit codes: 0 success, 1 a negative answer (the proof did not verify, or\n"
        "output.json differs from the outputs it proves), 2 an error.\n",
        name, name, strcmp(name, "setup") ? "" : PTAU_HELP);
}

static int parse_int(const char *flag, const char *v, int *out)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || *end || !*v || n < 0 || n > INT_MAX) {
        fprintf(stderr, "zkml-registry: %s '%s': expected a whole number >= 0\n", flag, v);
        return -1;
    }
    *out = (int)n;
    return 0;
}

/* The visibility flags' words, checked before any step runs. */
static int check_visibility(const char *cmd, const zkml_step_opts *o)
{
    static const char *const fields[] = {"input_visibility", "output_visibility",
                                         "param_visibility"};
    const char *words[] = {o->input_visibility, o->output_visibility, o->param_visibility};
    zkml_error err;
    for (int i = 0; i < 3; i++) {
        quant_visibility v;
        if (words[i] && quant_visibility_parse(fields[i], words[i], &v, &err)) {
            fprintf(stderr, "zkml-registry %s: %s\n", cmd, err.message);
            return -1;
        }
    }
    double thr;
    if (o->rmse_threshold && quant_rmse_threshold_parse(o->rmse_threshold, &thr, &err)) {
        fprintf(stderr, "zkml-registry %s: %s\n", cmd, err.message);
        return -1;
    }
    return 0;
}

/* Parses the shared options; positional (may be NULL) takes one operand.
 * Returns 0, 1 for --help, -1 on a usage error (already reported). */
static int parse_args(int argc, char **argv, const char *dir_flag, const char **positional,
                      run_args *a)
{
    memset(a, 0, sizeof *a);
    a->opts.target = "resources";
    for (int i = 1; i < argc; i++) {
        const char *f = argv[i];
        if (!strcmp(f, "--help") || !strcmp(f, "-h"))
            return 1;
        if (f[0] != '-' && positional && !*positional) {
            *positional = f;
            continue;
        }
        if (f[0] != '-' || i + 1 >= argc) {
            fprintf(stderr, "zkml-registry %s: unexpected '%s'%s\n", argv[0], f,
                    f[0] == '-' ? " (missing its value)" : "");
            return -1;
        }
        const char *v = argv[++i];
        if (!strcmp(f, dir_flag))
            a->dir = v;
        else if (!strcmp(f, "--model"))
            a->model = v;
        else if (!strcmp(f, "--data"))
            a->data = v;
        else if (!strcmp(f, "--data-dir"))
            a->data_dir = v;
        else if (!strcmp(f, "--target"))
            a->opts.target = v;
        else if (!strcmp(f, "--input-visibility"))
            a->opts.input_visibility = v;
        else if (!strcmp(f, "--output-visibility"))
            a->opts.output_visibility = v;
        else if (!strcmp(f, "--param-visibility"))
            a->opts.param_visibility = v;
        else if (!strcmp(f, "--rmse-threshold"))
            a->opts.rmse_threshold = v;
        else if (!strcmp(f, "--sample") || !strcmp(f, "--threads")) {
            if (parse_int(f, v, f[2] == 's' ? &a->opts.sample : &a->opts.threads))
                return -1;
        } else {
            fprintf(stderr, "zkml-registry %s: unknown option '%s'\n", argv[0], f);
            return -1;
        }
    }
    if (strcmp(a->opts.target, "resources") && strcmp(a->opts.target, "accuracy")) {
        fprintf(stderr, "zkml-registry %s: --target '%s': expected resources or accuracy\n",
                argv[0], a->opts.target);
        return -1;
    }
    return check_visibility(argv[0], &a->opts);
}

/* Copies src to the artifact id in dir (atomically), unless they are the same file. */
static int copy_input(const char *src, const char *dir, zkml_artifact_id id, zkml_error *err)
{
    char dst[4200], real_src[PATH_MAX], real_dst[PATH_MAX];
    int rc = zkml_artifact_path(dst, sizeof dst, dir, id, err);
    if (rc)
        return rc;
    if (realpath(src, real_src) && realpath(dst, real_dst) && !strcmp(real_src, real_dst))
        return 0;
    return zkml_copy_file(src, dst, err);
}

static int exit_code_for(int rc)
{
    return rc == ZKML_EREJECTED ? 1 : 2;
}

/* Copies the inputs named in a into a->dir (created). */
static int prepare_dir(const run_args *a, zkml_error *err)
{
    int rc = zkml_mkdir_p(a->dir, 0, err);
    if (!rc && a->model)
        rc = copy_input(a->model, a->dir, ZKML_A_MODEL, err);
    if (!rc && a->data)
        rc = copy_input(a->data, a->dir, ZKML_A_DATA, err);
    return rc;
}

/* Linux keeps a process's peak resident memory (VmHWM) and resets it when 5 is
 * written to /proc/self/clear_refs: so each step's own peak is measurable in
 * this one process. Returns 0 when the reset took. */
static int peak_rss_reset(void)
{
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f)
        return -1;
    int ok = fputs("5", f) >= 0;
    return fclose(f) == 0 && ok ? 0 : -1;
}

/* VmHWM in MiB, or -1 when unreadable. */
static double peak_rss_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && kb < 0 && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %ld kB", &kb) != 1)
            kb = -1;
    if (f)
        fclose(f);
    return kb < 0 ? -1 : (double)kb / 1024.0;
}

int cmd_run(int argc, char **argv)
{
    run_args a;
    const char *model = NULL;
    int p = parse_args(argc, argv, "--out", &model, &a);
    if (p)
        return p > 0 ? (usage_run(stdout), 0) : (usage_run(stderr), 2);
    a.model = model;
    if (!a.model || !a.dir) {
        fprintf(stderr, "zkml-registry run: %s is required\n",
                a.model ? "--out DIR" : "MODEL.onnx");
        usage_run(stderr);
        return 2;
    }
    zkml_error err = {0};
    if (prepare_dir(&a, &err)) {
        fprintf(stderr, "zkml-registry run: %s\n", err.message);
        return 2;
    }
    const pipeline_step_table *t = pipeline_default_steps();
    pipeline_job_ctx ctx = {NULL, NULL, 0, a.dir, a.opts, NULL};
    int64_t total = zkml_monotonic_ms();
    for (size_t i = 0; i < t->count; i++) {
        if (!t->steps[i].run)
            continue; /* a command only, not part of a job */
        int measured = peak_rss_reset() == 0;
        int64_t t0 = zkml_monotonic_ms();
        err = (zkml_error){0};
        int rc = t->steps[i].run(&ctx, &err);
        double ms = (double)(zkml_monotonic_ms() - t0), mib = measured ? peak_rss_mib() : -1;
        if (rc < 0) {
            fprintf(stderr, "zkml-registry run: step %s: %s\n", t->steps[i].name, err.message);
            return exit_code_for(rc);
        }
        const char *note = pipeline_step_note(&err);
        char peak[32] = "-";
        if (mib >= 0)
            snprintf(peak, sizeof peak, "%.0f", mib);
        printf("%-10s %10.0f ms %7s MiB  %s%s%s\n", t->steps[i].name, ms, peak,
               rc ? "skipped" : "done", note ? ": " : "", note ? note : "");
        fflush(stdout);
    }
    printf("%-10s %10.0f ms  artifacts in %s\n", "total", (double)(zkml_monotonic_ms() - total),
           a.dir);
    return 0;
}

int cmd_migrate(int argc, char **argv)
{
    run_args a;
    int p = parse_args(argc, argv, "--data-dir", NULL, &a);
    if (p)
        return p > 0 ? (usage_migrate(stdout), 0) : (usage_migrate(stderr), 2);
    const char *dir = a.dir ? a.dir : getenv("ZKML_DATA_DIR");
    if (!dir || !*dir)
        dir = "./data";
    zkml_error err = {0};
    int applied = 0;
    if (store_migrate(dir, &applied, &err)) {
        fprintf(stderr, "zkml-registry migrate: %s\n", err.message);
        return 2;
    }
    printf("%s/registry.db: applied %d migration%s; schema version %d\n", dir, applied,
           applied == 1 ? "" : "s", store_schema_version_known());
    return 0;
}

int cmd_step(int argc, char **argv)
{
    run_args a;
    int p = parse_args(argc, argv, "--dir", NULL, &a);
    if (p)
        return p > 0 ? (usage_step(stdout, argv[0]), 0) : (usage_step(stderr, argv[0]), 2);
    const pipeline_step *step = pipeline_find_step(argv[0]);
    if (!step || !step->engine) {
        fprintf(stderr, "zkml-registry: '%s' is not a step that runs alone\n", argv[0]);
        return 2;
    }
    if (!a.dir) {
        fprintf(stderr, "zkml-registry %s: --dir DIR is required\n", argv[0]);
        usage_step(stderr, argv[0]);
        return 2;
    }
    zkml_error err = {0};
    int64_t t0 = zkml_monotonic_ms();
    int rc = prepare_dir(&a, &err);
    if (!rc)
        rc = step->engine(a.dir, &a.opts, &err);
    if (rc > 0) {
        printf("%s: skipped: %s\n", argv[0], err.message);
        return 0;
    }
    if (rc) {
        fprintf(stderr, "zkml-registry %s: %s\n", argv[0], err.message);
        return exit_code_for(rc);
    }
    printf("%s: done in %lld ms (%s)%s%s\n", argv[0], (long long)(zkml_monotonic_ms() - t0), a.dir,
           err.message[0] ? "; " : "", err.message);
    return 0;
}
