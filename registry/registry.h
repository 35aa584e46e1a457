/*
 * registry.h - public face of registry/: the sqlite store and its migrations,
 * the libgit2 version history, and the EVM client (keccak, RLP, ABI, signed
 * transactions over JSON-RPC). The registry knows files and hashes, not how
 * they were made.
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
 *   artifacts/<task>/v<N>/    one directory per version (DESIGN.md data flow)
 *   versions.git              the libgit2 history (see below)
 *
 * States of a job and of a step: "queued", "running", "done", "failed"; a step
 * may also be "skipped" (e.g. register with ZKML_CHAIN=none), with a message.
 */

typedef struct registry_store registry_store;

enum {
    STORE_TASK_ID_MAX = 64,  /* task ids match [A-Za-z0-9_-]{1,64} */
    STORE_STATE_MAX = 16,    /* longest state name + NUL */
    STORE_TARGET_MAX = 16,   /* "resources" | "accuracy" + NUL */
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

/* 1 if id matches [A-Za-z0-9_-]{1,64}, else 0. */
int store_task_id_valid(const char *id);

/* <data>/uploads (created): stage uploaded files here, so that
 * store_create_version can rename them into the version dir. */
int store_staging_dir(const char *data_dir, char *out, size_t outlen, zkml_error *err);
/* <data>/artifacts/<task>/v<N>; fails with ZKML_EINVAL on a bad task id or N<1.
 * Does not create the directory. */
int store_version_dir(const char *data_dir, const char *task_id, int version, char *out,
                      size_t outlen, zkml_error *err);

/* An upload to turn into a version. */
typedef struct store_upload {
    const char *model_path;   /* staged ONNX file (in store_staging_dir) */
    const char *data_path;    /* staged CSV file, or NULL */
    int sample;               /* CSV row to prove, 0-based */
    const char *target;       /* "resources" (NULL = default) or "accuracy" */
    const char *const *steps; /* the pipeline's step names, in order: one row each */
    size_t nsteps;            /* (pipeline_step_names() gives them) */
} store_upload;

typedef struct store_version_ref {
    char task_id[STORE_TASK_ID_MAX + 1];
    int version;
    int64_t job_id;
    char model_hash[65];      /* hex SHA-256 of the ONNX bytes */
    int existed;              /* 1: this task already had a version with this hash */
} store_version_ref;

/* In one transaction: the task row if new, version N+1, its job (queued) and
 * one queued step row per name; the staged files are renamed to
 * <version dir>/model.onnx and data.csv. If the task already has a version
 * with model_hash, nothing is created and out describes that version with
 * out->existed = 1. On success the staged files are gone (moved or deleted);
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
    int attempts;             /* how many times a retryable failure re-queued it */
} store_job;

/* Claims the oldest queued job whose retry time has come, in one transaction:
 * state running, worker_pid, heartbeat now. Returns 1 claimed, 0 none, <0 error. */
int store_job_claim_next(registry_store *s, int worker_pid, store_job *job, zkml_error *err);
int store_job_heartbeat(registry_store *s, int64_t job_id, zkml_error *err);
/* Re-queues running jobs of a worker known to be dead (worker_pid > 0), or,
 * with worker_pid 0, every running job whose heartbeat is older than stale_ms
 * (a crashed service). Their running steps go back to queued. *requeued may be NULL. */
int store_requeue_dead_jobs(registry_store *s, int worker_pid, int64_t stale_ms,
                            int *requeued, zkml_error *err);
/* A step's state into state[STORE_STATE_MAX]; ZKML_ENOTFOUND if it has no row. */
int store_step_state(registry_store *s, int64_t job_id, const char *step,
                     char state[STORE_STATE_MAX], zkml_error *err);
/* Marks a step running (creating its row if missing), and finished with
 * state done | failed | skipped | queued (a retryable failure), its message
 * (may be NULL) and duration. */
int store_step_begin(registry_store *s, int64_t job_id, const char *step, zkml_error *err);
int store_step_finish(registry_store *s, int64_t job_id, const char *step, const char *state,
                      const char *message, int64_t ms, zkml_error *err);
/* Finishes a job: state done | failed, with a message. */
int store_job_finish(registry_store *s, int64_t job_id, const char *state,
                     const char *message, zkml_error *err);
/* A retryable failure: back to queued, attempts + 1, not before now + delay_ms. */
int store_job_retry_later(registry_store *s, int64_t job_id, int64_t delay_ms,
                          const char *message, zkml_error *err);
/* Records (or updates) the artifacts from the fixed list found in the job's
 * version dir, with their sizes, attributing new ones to step. */
int store_record_artifacts(registry_store *s, const char *data_dir, const store_job *job,
                           const char *step, zkml_error *err);

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
/* {task_id, version, artifacts:[{name, size, content_type, step, updated_at}]} */
int store_artifacts_json(registry_store *s, const char *task_id, int version, char **json,
                         zkml_error *err);
/* Resolves version 0 to the latest; ZKML_ENOTFOUND for an unknown task/version. */
int store_resolve_version(registry_store *s, const char *task_id, int version, int *resolved,
                          zkml_error *err);

/* ---- the fixed artifact names: nothing from a request becomes a path
 * unless store_artifact_lookup knows the name ---- */
typedef struct store_artifact_kind {
    const char *name;         /* file name in the version dir */
    const char *content_type; /* for downloads */
    const char *step;         /* the step that writes it ("upload" for inputs) */
} store_artifact_kind;
/* The entry for name (exact match), or NULL: then the name is not an artifact. */
const store_artifact_kind *store_artifact_lookup(const char *name);
/* The whole list, in data-flow order; *count receives its length. */
const store_artifact_kind *store_artifact_list(size_t *count);

/* ==== version history: libgit2 (history.c) =============================== */
/*
 * <data dir>/versions.git is a bare repository with one commit per version on
 * refs/heads/main: tasks/<task_id>/manifest.json and the small public
 * artifacts (settings.json, calibration.json, verification_key.json,
 * Verifier.sol, proof.json, public.json, and chain.json once present), never
 * the ONNX weights; tagged <task_id>/v<N> (annotated).
 */

/* Commits version N of task from its version dir (the "version" step).
 * Idempotent: if the tag <task_id>/v<N> already exists, does nothing. */
int history_commit_version(const char *data_dir, const char *task_id, int version,
                           const char *version_dir, zkml_error *err);
/* {task_id, versions:[{version, tag, commit, committed_at, model_hash, vk_hash}]},
 * oldest first; an empty list when the history has none (or no repo yet). */
int history_task_versions_json(const char *data_dir, const char *task_id, char **json,
                               zkml_error *err);


/* ==== chain: keccak, RLP, ABI, transactions, JSON-RPC (chain*.c) ========== */

#include <sys/types.h>

/*
 * Configuration (DESIGN.md "Configuration"): ZKML_CHAIN = none | anvil | rpc;
 * ZKML_RPC_URL, ZKML_PRIVATE_KEY_FILE (hex key, optional 0x, mode 0600 or
 * stricter: a file readable by group or others is refused), ZKML_REGISTRY_ADDRESS.
 * The key is read only while signing and wiped afterwards; it never appears in
 * a log, an error message or an artifact.
 */
typedef enum chain_mode { CHAIN_NONE = 0, CHAIN_ANVIL, CHAIN_RPC } chain_mode;

typedef struct chain_config {
    chain_mode mode;
    char rpc_url[512];
    char key_file[1024];
    char registry_address[43]; /* "0x" + 40 hex, or "" when not deployed yet */
    int rpc_timeout_ms;        /* one HTTP request; 0 means 10 s */
    int receipt_timeout_ms;    /* waiting for a transaction to be mined; 0 means 120 s */
} chain_config;

/* Fills cfg from the environment (unset ZKML_CHAIN means none); checks that
 * mode rpc has a URL and a key file, and that an address is well-formed. */
int chain_config_from_env(chain_config *cfg, zkml_error *err);
const char *chain_mode_name(chain_mode mode);

/* SHA-256 (sha256.c): the model hash is SHA-256 of the ONNX bytes. */
void registry_sha256(const void *data, size_t len, uint8_t out[32]);
int registry_sha256_file(const char *path, uint8_t out[32], zkml_error *err);
/* Keccak-256 is evm_keccak256 from pipeline/evm/evm.h (one implementation). */

/* Embedded chain (anvil.c). The binary is $ZKML_ANVIL_BIN if set, else
 * node_modules/.bin/anvil found by walking up from the executable's folder
 * (the build tree sits inside the checkout), else `anvil` on PATH.
 *
 * chain_anvil_start(data_dir, anvil, cfg) starts anvil on a free 127.0.0.1
 * port with its state in <data_dir>/chain/anvil-state.json (loaded at start,
 * saved every few seconds and at stop, so registrations survive restarts),
 * writes anvil's public development key to <data_dir>/chain/dev.key (0600),
 * deploys ModelRegistry once (its address kept in <data_dir>/chain/registry.json
 * and reused while code is there), and fills cfg (mode anvil, rpc_url,
 * key_file, registry_address). Call it from the process that serves; anvil
 * gets SIGTERM if that thread's process dies. chain_anvil_stop stops it
 * (SIGTERM, so anvil saves its state; SIGKILL after 10 s) and is safe to call
 * twice or on a zeroed struct. */
typedef struct chain_anvil {
    pid_t pid;   /* 0 when not running */
    pid_t owner; /* the process that started it: only it stops it (not forked workers) */
    int port;
} chain_anvil;

int chain_anvil_start(const char *data_dir, chain_anvil *anvil, chain_config *cfg,
                      zkml_error *err);
void chain_anvil_stop(chain_anvil *anvil);

/* Deploys ModelRegistry with cfg's key; writes "0x..." into address. */
int chain_deploy_registry(const chain_config *cfg, char address[43], zkml_error *err);

/* register step: in dir, reads model.onnx (its SHA-256 is the model hash),
 * verification_key.json (its SHA-256 is the vk hash), proof.json, public.json;
 * deploys the verifier (evm_verifier_creation_code), calls registerVersion with
 * uri "zkml-registry://<task_id>/v<version>", waits for both receipts and writes
 * chain.json atomically: {task_id, version, onchain_version, chain_id,
 * registry_address, verifier_address, model_hash, vk_hash, uri, registrant,
 * verifier_tx, register_tx, block, gas_used: {verifier, register}}.
 * Resumable and idempotent: progress (transaction hashes, the predicted verifier
 * address) goes to chain.pending.json before each send, so a retry neither
 * redeploys a verifier that landed nor registers twice (findByModelHash is
 * checked first); a chain.json already there is left as it is.
 * Errors: ZKML_ERETRY when the RPC is unreachable or a transaction is not mined
 * in time (run it again later); ZKML_EREJECTED when the registry reverts (a
 * proof that does not verify, a task owned by another account) with the
 * reason; ZKML_EUNAVAILABLE when cfg->mode is CHAIN_NONE. */
int chain_register_step(const chain_config *cfg, const char *dir, const char *task_id,
                        int version, zkml_error *err);

/* GET /models/{task}/versions/onchain, from eth_call: {task_id, registry_address,
 * chain_id, owner, count, versions: [{version, model_hash, vk_hash, verifier,
 * uri, registrant, timestamp}]} (hashes as plain hex, addresses 0x-hex).
 * *json is malloc'ed. An unknown task gives count 0 and no versions. */
int chain_versions_onchain_json(const chain_config *cfg, const char *task_id, char **json,
                                zkml_error *err);
/* {mode, rpc_url, chain_id, block, account, balance_wei, registry_address,
 * registry_has_code} for `zkml-registry chain status` (no key needed when none
 * is configured). */
int chain_status_json(const chain_config *cfg, char **json, zkml_error *err);


#endif
