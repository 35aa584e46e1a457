/*
 * registry.h - public face of registry/: the sqlite store with its migrations,
 * and the libgit2 version history. The registry knows files and hashes, not
 * how they were made. The EVM client is its own module, registry/chain/chain.h.
 */
#ifndef ZKML_REGISTRY_H
#define ZKML_REGISTRY_H

#include "common/common.h"

/* ==== store: sqlite + migrations (store.c, migrate.c) ==================== */
/*
 * One sqlite database, <data dir>/registry.db, in WAL mode with a busy
 * timeout, so the HTTP threads and the forked workers can share it. A
 * registry_store is one connection: open one per process (never across a
 * fork) and one per thread, or serialize a shared one yourself.
 *
 * Layout of the data dir:
 *   registry.db               tasks, versions, jobs, steps, artifacts
 *   uploads/                  staging area for uploads (same file system)
 *   artifacts/<task>/v<N>/    one directory per version (docs/ARCHITECTURE.md, data flow)
 *   versions.git              the libgit2 history (see below)
 *
 * States of a job and of a step: "queued", "running", "done", "failed"; a step
 * may also be "skipped" (e.g. register with ZKML_CHAIN=none), with a message.
 * A job whose phase-2 ceremony is open (an upload with ceremony=open) stops
 * after its setup in "awaiting_contributions" until the operator finalizes
 * the ceremony; then it is queued again and resumes at its first unfinished
 * step (prove). A job's ceremony is "none", "open" or "finalized".
 */

typedef struct registry_store registry_store;

enum {
    STORE_TASK_ID_MAX = ZKML_TASK_ID_MAX, /* zkml_task_id_check */
    STORE_STATE_MAX = 32,                 /* longest state name + NUL */
    STORE_TARGET_MAX = 16,                /* "resources" | "accuracy" + NUL */
};

/* Opens (creating the dir and database if needed) and applies pending
 * migrations. A database migrated by a newer binary is refused with
 * ZKML_EINVAL and a message naming both schema versions. */
int store_open(const char *data_dir, registry_store **out, zkml_error *err);
void store_close(registry_store *s);

/* Applies pending migrations explicitly (`zkml-registry migrate`); *applied
 * (may be NULL) receives how many were applied now. */
int store_migrate(const char *data_dir, int *applied, zkml_error *err);
/* The highest migration this binary knows, and the one a database records. */
int store_schema_version_known(void);
int store_schema_version(registry_store *s, int *version, zkml_error *err);

/* <data>/uploads (created): stage uploaded files here, so that
 * store_create_version can rename them into the version dir. */
int store_staging_dir(const char *data_dir, char *out, size_t outlen, zkml_error *err);
/* Deletes the staged uploads (uploads/upload-*) a killed server left behind;
 * call at start, before any upload (one server per data dir). *removed
 * receives how many. */
int store_clean_staging(const char *data_dir, int *removed, zkml_error *err);
/* <data>/artifacts/<task>/v<N>; fails with ZKML_EINVAL on a bad task id or N<1.
 * Does not create the directory. */
int store_version_dir(const char *data_dir, const char *task_id, int version, char *out,
                      size_t outlen, zkml_error *err);

/* An upload to turn into a version. */
typedef struct store_upload {
    const char *model_path;    /* staged ONNX file (in store_staging_dir) */
    const char *data_path;     /* staged CSV file, or NULL */
    int sample;                /* CSV row to prove, 0-based */
    const char *target;        /* "resources" (NULL = default) or "accuracy" */
    const char *const *steps;  /* the pipeline's step names, in order: one row each */
    size_t nsteps;             /* (pipeline_step_names() gives them) */
    const char *settings_path; /* staged settings.json (the visibility chosen), or NULL */
    int ceremony_open;         /* 1: the job waits for contributions after its setup */
} store_upload;

typedef struct store_version_ref {
    char task_id[STORE_TASK_ID_MAX + 1];
    int version;
    int64_t job_id;
    char model_hash[65];          /* hex SHA-256 of the ONNX bytes */
    char model_cid[ZKML_CID_MAX]; /* its IPFS CIDv0, as `ipfs add` computes it */
    int existed;                  /* 1: this task already had a version with this hash */
} store_version_ref;

/* In one transaction: the task row if new, version N+1, its job (queued) and
 * one queued step row per name; the staged files are renamed to
 * <version dir>/model.onnx, data.csv and settings.json (a version dir left by
 * a crash before its commit is cleared first). If the task already has a version
 * with model_hash, nothing is created and out describes that version with
 * out->existed = 1. Either way out->model_cid is the model's IPFS CIDv0
 * (computed here, from the staged file, and stored with a new version). On success the staged files are gone (moved or deleted);
 * on failure they are left for the caller to delete. */
int store_create_version(registry_store *s, const char *task_id, const char *model_hash_hex,
                         const store_upload *u, store_version_ref *out, zkml_error *err);

/* ---- jobs (used by the runner in pipeline/) ---- */

typedef struct store_job {
    int64_t id;
    char task_id[STORE_TASK_ID_MAX + 1];
    int version;
    int sample;
    char target[STORE_TARGET_MAX];
    int attempts;  /* how many times a retryable failure re-queued it */
    int64_t claim;     /* this claim's generation: the job's writes name it */
    int ceremony_open; /* its ceremony is open: it stops after the setup */
} store_job;

/* Claims the oldest queued job whose retry time has come, in one transaction:
 * state running, worker_pid, heartbeat now, and a new claim generation in
 * job->claim. Returns 1 claimed, 0 none, <0 error. Idle workers call it every
 * poll, so it first reads (no lock) whether any job waits and takes the write
 * lock only then: a worker frozen while idle (SIGSTOP, a debugger, a paused
 * VM) holds no lock that uploads, proof requests and the supervisor would
 * wait on until their busy timeout. */
int store_job_claim_next(registry_store *s, int worker_pid, store_job *job, zkml_error *err);
/* The writes of a claimed job (heartbeat, steps, finish, retry, artifacts)
 * are fenced: each fails with ZKML_EREJECTED, changing nothing, unless the
 * job is still running under job->claim, so a worker whose job was re-queued
 * (its heartbeat went stale) and claimed by another cannot write to it. */
int store_job_heartbeat(registry_store *s, const store_job *job, zkml_error *err);
/* Re-queues running jobs of a worker known to be dead (worker_pid > 0), or,
 * with worker_pid 0, every running job whose heartbeat is older than stale_ms
 * (a crashed service). Their running steps go back to queued, and so do the
 * running proofs (below) of such a worker. *requeued (may be NULL) counts the jobs. */
int store_requeue_dead_jobs(registry_store *s, int worker_pid, int64_t stale_ms, int *requeued,
                            zkml_error *err);
/* A step's state into state[STORE_STATE_MAX]; ZKML_ENOTFOUND if it has no row. */
int store_step_state(registry_store *s, int64_t job_id, const char *step,
                     char state[STORE_STATE_MAX], zkml_error *err);
/* Marks a step running (creating its row if missing), and finished with
 * state done | failed | skipped | queued (a retryable failure), its message
 * (may be NULL) and duration. Messages are stored with the data dir's path
 * removed (store_relative_message). */
int store_step_begin(registry_store *s, const store_job *job, const char *step, zkml_error *err);
int store_step_finish(registry_store *s, const store_job *job, const char *step, const char *state,
                      const char *message, int64_t ms, zkml_error *err);
/* Finishes a job: state done | failed, with a message. */
int store_job_finish(registry_store *s, const store_job *job, const char *state,
                     const char *message, zkml_error *err);
/* The job of an open ceremony after its setup: state awaiting_contributions,
 * no worker, with a message; it runs again only after store_ceremony_finalize. */
int store_job_await_contributions(registry_store *s, const store_job *job, const char *message,
                                  zkml_error *err);
/* A retryable failure: back to queued, attempts + 1, not before now + delay_ms. */
int store_job_retry_later(registry_store *s, const store_job *job, int64_t delay_ms,
                          const char *message, zkml_error *err);
/* Records (or updates) the artifacts from the fixed list found in the job's
 * version dir, with their sizes, attributing new ones to step. */
int store_record_artifacts(registry_store *s, const char *data_dir, const store_job *job,
                           const char *step, zkml_error *err);
/* Records the artifacts of a version's dir as store_record_artifacts does, for
 * a version that no worker holds (the ceremony routes change its keys). */
int store_version_record_artifacts(registry_store *s, const char *data_dir, const char *task_id,
                                   int version, const char *step, zkml_error *err);

/* ---- the phase-2 ceremony of a version (the HTTP ceremony routes) ---- */
/* The job's state and its ceremony ("none" | "open" | "finalized");
 * ZKML_ENOTFOUND for an unknown task or version. */
int store_ceremony_state(registry_store *s, const char *task_id, int version,
                         char state[STORE_STATE_MAX], char ceremony[STORE_STATE_MAX],
                         zkml_error *err);
/* Ends an open ceremony: ceremony finalized, the job queued again (it resumes
 * at its first unfinished step). ZKML_EREJECTED, changing nothing, unless the
 * job is awaiting contributions with its ceremony open. */
int store_ceremony_finalize(registry_store *s, const char *task_id, int version, zkml_error *err);
/* message with every "<data dir>/" removed, malloc'ed; NULL when it names no
 * path under the data dir (or on no memory): then use message itself. */
char *store_relative_message(const registry_store *s, const char *message);

/* ---- proofs of new inputs (proofs.c) ----
 * A proof job proves one input with a version's key (POST .../proofs). Its row
 * is claimed, heartbeated and fenced like a version's job; the input is kept as
 * its canonical JSON text, the result as JSON text. */

enum { STORE_PROOF_ID_LEN = 32 }; /* lowercase hex digits */

typedef struct store_proof {
    char id[STORE_PROOF_ID_LEN + 1];
    char task_id[STORE_TASK_ID_MAX + 1];
    int version;
    char state[STORE_STATE_MAX];
    char *input;       /* canonical JSON {"input_data": [[...]]} */
    char *output_data; /* JSON array of the expected outputs, or NULL */
    char *result;      /* JSON once done, else NULL */
    char *error;       /* why it failed, else NULL */
    int64_t created_at, started_at, finished_at; /* ms since the epoch; 0 = not yet */
    int64_t claim;                               /* the claim generation (a claimed job) */
} store_proof;

void store_proof_free(store_proof *p);
/* 1 when id is STORE_PROOF_ID_LEN lowercase hex digits (a server-made id). */
int store_proof_id_valid(const char *id);
/* Resolves *version (0 = the latest) of task: ZKML_ENOTFOUND for an unknown
 * task or version, ZKML_ECONFLICT naming its job's state unless it is done. */
int store_version_ready(registry_store *s, const char *task_id, int *version, zkml_error *err);
/* Queues a proof of version (0 = latest) of task: ZKML_ENOTFOUND for an unknown
 * task or version, ZKML_ECONFLICT naming the version's state unless its job is
 * done. id receives the new proof's id (random). */
int store_proof_create(registry_store *s, const char *task_id, int version, const char *input,
                       const char *output_data, char id[STORE_PROOF_ID_LEN + 1], zkml_error *err);
/* The proof id of version (0 = latest) of task; ZKML_ENOTFOUND otherwise. */
int store_proof_get(registry_store *s, const char *task_id, int version, const char *id,
                    store_proof *p, zkml_error *err);
/* Claims the oldest queued proof (as store_job_claim_next, no write lock when
 * none waits). 1 claimed, 0 none. */
int store_proof_claim_next(registry_store *s, int worker_pid, store_proof *p, zkml_error *err);
/* Fenced by p->claim as a job's writes are (ZKML_EREJECTED once it is lost). */
int store_proof_heartbeat(registry_store *s, const store_proof *p, zkml_error *err);
/* done with the result's JSON, or failed with the message. */
int store_proof_finish(registry_store *s, const store_proof *p, int done, const char *text,
                       zkml_error *err);

/* ---- JSON readers for the HTTP side: *json is malloc'ed, caller frees ----
 * version 0 means the latest. ZKML_ENOTFOUND for an unknown task or version.
 * Times are ISO-8601 UTC strings ("2024-05-01T12:00:00.123Z"), durations ms. */
/* {"tasks":[{task_id, created_at, versions, latest_version, state}]} */
int store_tasks_json(registry_store *s, char **json, zkml_error *err);
/* {task_id, created_at, versions:[{version, model_hash, created_at, job_id, state}]} */
int store_task_json(registry_store *s, const char *task_id, char **json, zkml_error *err);
/* {task_id, version, job_id, model_hash, state, step, message, error, timestamp,
 *  progress (0..1), attempts, steps:[{name, state, started_at, finished_at, ms, message}]} */
int store_status_json(registry_store *s, const char *task_id, int version, char **json,
                      zkml_error *err);
/* {task_id, version, artifacts:[{name, size, content_type, step, visibility, updated_at}]}
 * (the names, types and visibilities of common.h's artifact table) */
int store_artifacts_json(registry_store *s, const char *task_id, int version, char **json,
                         zkml_error *err);
/* Resolves version 0 to the latest; ZKML_ENOTFOUND for an unknown task/version. */
int store_resolve_version(registry_store *s, const char *task_id, int version, int *resolved,
                          zkml_error *err);

/* ==== version history: libgit2 (history.c) =============================== */
/*
 * <data dir>/versions.git is a bare repository with one commit per version on
 * refs/heads/main: tasks/<task_id>/manifest.json and the version's public
 * artifacts (those of common.h's table marked ZKML_PUBLIC that are present),
 * never a private one (the model, the data, the keys, the witness); tagged
 * <task_id>/v<N> (annotated).
 */

/* Commits version N of task from its version dir (the "version" step).
 * Idempotent: if the tag <task_id>/v<N> already exists, does nothing. */
int history_commit_version(const char *data_dir, const char *task_id, int version,
                           const char *version_dir, zkml_error *err);
/* {task_id, versions:[{version, tag, commit, committed_at, model_hash, vk_hash}]},
 * oldest first; an empty list when the history has none (or no repo yet). */
int history_task_versions_json(const char *data_dir, const char *task_id, char **json,
                               zkml_error *err);

#endif
