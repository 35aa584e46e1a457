/*
 * runner_internal.h - internal to pipeline/: running one piece of a job's
 * work in a forked child under the job limits, shared by the version jobs
 * (runner.c) and the proof jobs (proofs.c).
 */
#ifndef ZKML_PIPELINE_RUNNER_INTERNAL_H
#define ZKML_PIPELINE_RUNNER_INTERNAL_H

#include "pipeline/pipeline.h"

/* What the child reports: its return code and message. */
typedef struct pipeline_result {
    int rc;
    zkml_error err;
} pipeline_result;

typedef struct pipeline_forked {
    const char *name;                                   /* for messages: "step prove" */
    int (*run)(const void *arg, zkml_error *err);       /* in the child */
    const void *arg;
    int (*beat)(registry_store *s, const void *job, zkml_error *err); /* the heartbeat */
    const void *job;
} pipeline_forked;

/* Runs f->run in a forked child under the memory limit (ZKML_JOB_MEMORY_MB),
 * killing it at job_deadline (0 = none) or the step limit; f->beat runs every
 * heartbeat while it waits, and a refused beat (ZKML_EREJECTED: the claim was
 * lost) kills the child. The return value is the store's (0 unless the claim
 * was lost); the child's outcome goes to *r. */
int pipeline_run_forked(registry_store *s, const pipeline_config *cfg, int64_t job_deadline,
                        const pipeline_forked *f, pipeline_result *r, zkml_error *err);

/* Claims the oldest queued proof and proves it (proofs.c). 1 if one ran, 0 if
 * none was queued, <0 if the store failed. */
typedef struct pipeline_provers pipeline_provers;
int pipeline_run_next_proof(registry_store *s, const pipeline_config *cfg, pipeline_provers *cache,
                            zkml_error *err);
pipeline_provers *pipeline_provers_new(void);

#endif
