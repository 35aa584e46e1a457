/*
 * pipeline.h - public face of pipeline/: the step table and the job runner
 * (fork, claim, heartbeat, resume).
 *
 * A job is one version of one task (see registry.h). A worker process claims
 * the oldest queued job, then runs each step that is not yet done or skipped,
 * in order, each in a forked child under a memory limit (RLIMIT_AS); the job
 * has a time limit over all its steps (and each step may have its own): the
 * child running when it expires is killed. Every step's state, start and
 * end times and message go to the store; the worker writes a heartbeat while a
 * step runs. A worker that dies is replaced by the supervisor and its job is
 * re-queued; the next claim resumes at its first unfinished step.
 *
 * Failure policy: a step that fails fails the job with the step's message. A
 * step that fails with ZKML_ERETRY (RPC down, transaction dropped) re-queues
 * the job with exponential backoff (retry_base_ms * 2^attempts, at most 10
 * minutes) up to PIPELINE_MAX_ATTEMPTS times, then fails it.
 */
#ifndef ZKML_PIPELINE_H
#define ZKML_PIPELINE_H

#include "common/common.h"
#include "registry/chain/chain.h"
#include "registry/registry.h"

enum {
    PIPELINE_STEP_SKIPPED =
        1, /* a step's return value: recorded as skipped, err->message says why */
    PIPELINE_MAX_ATTEMPTS = 5,
};

/* What a step knows about the job it runs for. */
typedef struct pipeline_job_ctx {
    const char *data_dir; /* NULL when run outside the service (`zkml-registry run`) */
    const char *task_id;  /* NULL outside the service */
    int version;          /* 0 outside the service */
    const char *dir;      /* the artifact directory */
    zkml_step_opts opts;
    const chain_config *chain; /* NULL or mode CHAIN_NONE: register is skipped */
} pipeline_job_ctx;

/* 0 done, PIPELINE_STEP_SKIPPED skipped, <0 a ZKML_E* failure with err set. */
typedef int (*pipeline_step_fn)(const pipeline_job_ctx *job, zkml_error *err);

typedef struct pipeline_step {
    const char *name;
    pipeline_step_fn run; /* in a job; NULL for a step that is only a command */
    zkml_step_fn engine;  /* alone on a directory (`zkml-registry NAME --dir DIR`);
                              * NULL for a step that needs the service */
    const char *summary;  /* what it reads and writes, for --help */
    int ends_setup;       /* a job whose ceremony is open stops after this step, in
                           * awaiting_contributions (registry.h), until finalized */
} pipeline_step;

typedef struct pipeline_step_table {
    const pipeline_step *steps;
    size_t count;
} pipeline_step_table;

/* The production table, the one list of step names (steps.c): settings,
 * calibrate, compile, witness (a command only: a job's prove computes it),
 * setup, prove, verify, export, version, register. A runner skips steps
 * without run. */
const pipeline_step_table *pipeline_default_steps(void);
/* The names of the steps a job runs (those with run), in order, for
 * store_upload.steps: fills at most max of names and returns the count. */
enum { PIPELINE_MAX_STEPS = 16 };
size_t pipeline_step_names(const char **names, size_t max);
/* A step of the default table by name, or NULL. */
const pipeline_step *pipeline_find_step(const char *name);
/* The note a step that succeeded or was skipped left for the user (err's
 * message when its code is ZKML_OK: why it was skipped, or a warning such as a
 * phase 1 for testing only), or NULL: a message with another code is what a
 * probe the step tolerated left behind, not something to show. */
const char *pipeline_step_note(const zkml_error *err);

/* How the service and its workers tell each other of proof jobs without
 * polling (pipes made by the service before the workers are forked): a
 * byte on wake_read wakes an idle worker (one is written per queued proof);
 * a worker writes a finished proof's id and a newline to done_write. Both
 * ends are non-blocking: a full pipe already holds enough news. */
typedef struct pipeline_notify {
    int wake_read;
    int done_write;
} pipeline_notify;

typedef struct pipeline_config {
    const char *data_dir;
    int workers;            /* ZKML_WORKERS, default 1 */
    int64_t memory_mb;      /* ZKML_JOB_MEMORY_MB; 0 = no limit */
    int64_t timeout_s;      /* ZKML_JOB_TIMEOUT_S: one run of a job, all its steps; 0 = none */
    int64_t step_timeout_s; /* ZKML_STEP_TIMEOUT_S: each step; 0 = none (the default) */
    int threads;            /* ZKML_THREADS for proofs; 0 = cores */
    int64_t heartbeat_ms;   /* how often a running worker writes its heartbeat */
    int64_t poll_ms;        /* how often an idle worker looks for a job */
    int64_t retry_base_ms;  /* backoff for ZKML_ERETRY failures */
    const pipeline_step_table *steps; /* NULL = pipeline_default_steps() */
    chain_config chain;               /* the register step's chain; mode CHAIN_NONE skips it */
    const pipeline_notify *notify;    /* NULL: idle workers look every poll_ms */
} pipeline_config;

/* Fills cfg from the environment (ZKML_WORKERS, ZKML_JOB_MEMORY_MB,
 * ZKML_JOB_TIMEOUT_S, ZKML_STEP_TIMEOUT_S, ZKML_THREADS) with defaults sized to
 * the machine (memory: 3/4 of RAM divided among the workers; time: 2 hours
 * for one run of a job, no separate step limit).
 * The memory limit is RLIMIT_AS set in the step's child to the address space
 * it already has plus ZKML_JOB_MEMORY_MB, so that sanitizer builds, which
 * reserve terabytes of shadow address space up front, still work. cfg->chain
 * comes from chain_config_from_env (ZKML_CHAIN, ZKML_RPC_URL, ...). */
int pipeline_config_from_env(pipeline_config *cfg, const char *data_dir, zkml_error *err);

/* The job memory limit on the calling process: RLIMIT_AS at the address space
 * it has now plus memory_mb (0: no limit). For a child about to do a job's work
 * (a step, or the upload checks of `zkml-registry check`). */
int pipeline_limit_memory(int64_t memory_mb, zkml_error *err);

/* Proof jobs (store_proof_*): a worker proves a queued input with the
 * version's key in a forked child under the same limits as a step (memory,
 * ZKML_JOB_TIMEOUT_S, ZKML_STEP_TIMEOUT_S), keeping the last few versions'
 * provers (circuit_prover) loaded between proofs. The child writes the proof's
 * files to <version dir>/proofs/<id>/ (input.json, proof.json, public.json,
 * result.json); the result's JSON goes to the store. Idle workers take version
 * jobs and proof jobs in turn, so neither kind starves the other. */

/* Claims the oldest queued job and runs it to its end (done, failed, or
 * re-queued after a retryable failure) in this process, each step in a forked
 * child. Returns 1 if a job ran, 0 if none was queued, <0 if the store failed. */
int pipeline_run_next_job(registry_store *s, const pipeline_config *cfg, zkml_error *err);

/* The workers. pipeline_workers_start forks one supervisor process (call it
 * before starting any thread, e.g. CivetWeb), which forks cfg->workers worker
 * processes, each in its own process group, replaces any that dies after
 * re-queuing its job, and on SIGTERM kills them and exits. A step child dies
 * with its worker (PR_SET_PDEATHSIG). */
typedef struct pipeline_workers pipeline_workers;
int pipeline_workers_start(const pipeline_config *cfg, pipeline_workers **out, zkml_error *err);
/* Non-blocking: fails with ZKML_EINTERNAL if the supervisor has exited. */
int pipeline_workers_supervise(pipeline_workers *w, zkml_error *err);
/* Stops the supervisor and its workers, waits for them, frees w. */
void pipeline_workers_stop(pipeline_workers *w);

#endif
