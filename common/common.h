/*
 * common.h - what every zkml-registry folder shares: errors, files, steps.
 *
 * Error convention (after libgit2): every fallible function returns an int,
 * 0 on success and a negative ZKML_E* code on failure, and fills the caller's
 * zkml_error with a message a user can act on ("network.r1cs: wrong magic",
 * "data.csv line 7: 3 fields, expected 5"). Messages never contain secrets.
 */
#ifndef ZKML_COMMON_H
#define ZKML_COMMON_H

#include <stddef.h>
#include <stdint.h>

enum {
    ZKML_OK = 0,
    ZKML_EINVAL = -1,       /* bad input from the user: a 4xx over HTTP */
    ZKML_EIO = -2,          /* a file or system call failed */
    ZKML_ENOMEM = -3,       /* an allocation failed */
    ZKML_ENOTFOUND = -4,    /* no such task, version, artifact, file */
    ZKML_EUNAVAILABLE = -5, /* this step or feature is not in this build */
    ZKML_ERETRY = -6,       /* transient (RPC down, tx dropped): try again later */
    ZKML_EINTERNAL = -7,    /* a bug or an unexpected state */
    ZKML_EREJECTED = -8,    /* a well-formed proof or witness that does not check */
    ZKML_ECONFLICT = -9,    /* not in a state that allows it (a version not done): 409 */
};

typedef struct zkml_error {
    int code;
    char message[512];
} zkml_error;

/* Sets err (if not NULL) and returns code, so callers can `return zkml_fail(...)`. */
int zkml_fail(zkml_error *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Prefixes err->message with "<context>: " (e.g. the file name) and returns err->code. */
int zkml_error_prefix(zkml_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* A short stable name for a code: "invalid_input", "not_found", ... */
const char *zkml_error_code_name(int code);

/* ---- files ---------------------------------------------------------------- */

/* Reads a whole file (at most max_bytes; 0 = no limit). *data is NUL-terminated. */
int zkml_read_file(const char *path, size_t max_bytes, uint8_t **data, size_t *len,
                   zkml_error *err);
/* Writes path.tmp.<pid>, fsyncs, renames: a crash never leaves half a file. */
int zkml_write_file_atomic(const char *path, const void *data, size_t len, zkml_error *err);
/* The same without the fsync, for copies of what a database row holds (a
 * proof's files): readers never see half a file, a crash may lose it. */
int zkml_write_file_unsynced(const char *path, const void *data, size_t len, zkml_error *err);
/* Copies the file from to to, atomically as zkml_write_file_atomic writes. */
int zkml_copy_file(const char *from, const char *to, zkml_error *err);
/* mkdir -p with mode 0755 (or 0700 when private is set). */
int zkml_mkdir_p(const char *path, int private_dir, zkml_error *err);
/* Joins dir and name into out (size outlen); fails instead of truncating. */
int zkml_path_join(char *out, size_t outlen, const char *dir, const char *name, zkml_error *err);
int zkml_file_exists(const char *path);

/* ---- growable memory (buf.c) ---------------------------------------------- */

/* A growable byte buffer: text or binary, NUL-terminated after len once
 * anything is written. Zero-initialise it ({0}). A failed growth (no memory,
 * or a size that would overflow) sets oom and makes later writes no-ops, so
 * an encoder checks oom (or zkml_buf_detach's result) once at the end. A
 * buffer may start on caller memory ({.data = stack, .cap = sizeof stack})
 * only if it is sure never to outgrow it. */
typedef struct zkml_buf {
    uint8_t *data;
    size_t len, cap;
    int oom;
} zkml_buf;

void zkml_buf_put(zkml_buf *b, const void *data, size_t n);
void zkml_buf_put_byte(zkml_buf *b, uint8_t byte);
void zkml_buf_puts(zkml_buf *b, const char *s);
void zkml_buf_printf(zkml_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the text to *out (malloc'ed, never NULL on success; the caller frees
 * it) and empties b; after an oom, frees b and fails with ZKML_ENOMEM. */
int zkml_buf_detach(zkml_buf *b, char **out, zkml_error *err);
void zkml_buf_free(zkml_buf *b);

/* Makes the array *p (of *cap elements of elem bytes) hold at least need
 * elements, doubling its capacity (at least 4): 0, or ZKML_ENOMEM when the
 * allocation fails or need * elem overflows, with *p and *cap unchanged. */
int zkml_array_grow(void **p, size_t *cap, size_t need, size_t elem);

/* ---- hashing (sha256.c, OpenSSL's libcrypto) ------------------------------ */

/* SHA-256 of len bytes: the model, circuit and vk hashes are SHA-256 of files. */
void zkml_sha256(const void *data, size_t len, uint8_t out[32]);
/* SHA-256 of a file's bytes, read in chunks (a model may be large). */
int zkml_sha256_file(const char *path, uint8_t out[32], zkml_error *err);

/* ---- IPFS content ids (cid.c) ---------------------------------------------- */

enum { ZKML_CID_MAX = 48 }; /* a CIDv0 is 46 base58 characters ("Qm...") and a NUL */
/* The CIDv0 of a file's bytes exactly as `ipfs add` makes it by default
 * (UnixFS File nodes in dag-pb, 256 KiB chunks, balanced layout of at most
 * 174 links a node, leaves not raw), read in chunks: e.g. "hello world\n"
 * gives QmT78zSuBmuS4z925WZfrqQ1qHaJ56DQaTfyMUF7F8ff5o. */
int zkml_cid_file(const char *path, char out[ZKML_CID_MAX], zkml_error *err);

/* ---- names ---------------------------------------------------------------- */

enum { ZKML_TASK_ID_MAX = 64 };
/* A task id names folders, git tags and on-chain records, so it is checked
 * before any other use: 0 if id matches [A-Za-z0-9_-]{1,64}, else ZKML_EINVAL
 * with the one message every caller shows. */
int zkml_task_id_check(const char *id, zkml_error *err);

/* ---- artifacts (artifacts.c) ---------------------------------------------
 * The files of one version directory, in the order the pipeline writes them.
 * The one table gives each its file name, content type, the step that writes
 * it ("upload" for the inputs) and its visibility: private files reveal the
 * model or the private data and are served only with the API token (or, with
 * no token configured, to loopback clients); the version history holds only
 * public ones. README "Artifacts" documents the table. */
typedef enum zkml_artifact_id {
    ZKML_A_MODEL,
    ZKML_A_DATA,
    ZKML_A_SETTINGS,
    ZKML_A_CALIBRATION,
    ZKML_A_R1CS,
    ZKML_A_CIRCUIT,
    ZKML_A_ZKEY,
    ZKML_A_CEREMONY,
    ZKML_A_PROVING_KEY,
    ZKML_A_VK,
    ZKML_A_INPUT,
    ZKML_A_WITNESS,
    ZKML_A_OUTPUT,
    ZKML_A_PROOF,
    ZKML_A_PUBLIC,
    ZKML_A_VERIFY,
    ZKML_A_VERIFIER_SOL,
    ZKML_A_VERIFIER_ABI,
    ZKML_A_CALLDATA,
    ZKML_A_EVAL_R1CS,
    ZKML_A_EVAL_WITNESS,
    ZKML_A_EVALUATION,
    ZKML_A_EVAL_KEY,
    ZKML_A_EVAL_VK,
    ZKML_A_EVAL_PROOF,
    ZKML_A_EVAL_PUBLIC,
    ZKML_A_EVAL_VERIFIER_SOL,
    ZKML_A_CHAIN,
    ZKML_A_COUNT
} zkml_artifact_id;

typedef enum zkml_visibility { ZKML_PUBLIC, ZKML_PRIVATE } zkml_visibility;

typedef struct zkml_artifact {
    const char *name;         /* file name in the version dir */
    const char *content_type; /* for downloads */
    const char *step;         /* the step that writes it */
    zkml_visibility visibility;
} zkml_artifact;

/* The entry of id (NULL outside the table), and its file name. */
const zkml_artifact *zkml_artifact_get(zkml_artifact_id id);
const char *zkml_artifact_name(zkml_artifact_id id);
/* The entry named name (exact match), or NULL: then name is not an artifact. */
const zkml_artifact *zkml_artifact_find(const char *name);
/* "public" or "private". */
const char *zkml_visibility_name(zkml_visibility v);
/* dir/<name of id>, as zkml_path_join. */
int zkml_artifact_path(char *out, size_t outlen, const char *dir, zkml_artifact_id id,
                       zkml_error *err);

/* ---- invariants ----------------------------------------------------------
 * ZKML_VERIFY(cond) states something the code relies on and never checks at
 * run time otherwise (libsecp256k1's VERIFY_CHECK habit): a field element
 * below its modulus, a nonzero batch denominator, a constraint that holds for
 * the witness just computed. In the sanitizer and fuzz builds (CMake defines
 * ZKML_VERIFY_CHECKS there) a false one aborts naming file and line; in
 * Release it compiles to nothing and cond is not evaluated, so cond may be
 * costly but must have no side effects. */
#ifdef ZKML_VERIFY_CHECKS
void zkml_verify_failed(const char *file, int line, const char *cond) __attribute__((noreturn));
#define ZKML_VERIFY(cond) ((cond) ? (void)0 : zkml_verify_failed(__FILE__, __LINE__, #cond))
#else
#define ZKML_VERIFY(cond) ((void)sizeof(cond))
#endif

/* ---- misc ----------------------------------------------------------------- */

/* Milliseconds since the epoch, and a monotonic clock for durations. */
int64_t zkml_now_ms(void);
int64_t zkml_monotonic_ms(void);
/* The address space this process has now, in bytes (0 if unknown). */
uint64_t zkml_address_space(void);
/* What RLIMIT_AS (the job memory limit: pipeline_limit_memory) leaves above
 * the address space in use, in bytes; UINT64_MAX without a limit. */
uint64_t zkml_memory_left(void);
/* ZKML_THREADS if set and valid, else the number of online cores. */
int zkml_default_threads(void);
/* Overwrites memory that held a secret; the compiler may not elide it. */
void zkml_wipe(void *p, size_t n);
/* Overwrites the 16 KiB of stack below the caller's frame: the frames of
 * callees that held a secret in locals of their own (a scalar's copies in a
 * multiplication, an inversion's powers), which the caller cannot name. */
void zkml_wipe_stack(void);

/* ---- pipeline steps --------------------------------------------------------
 * Every engine step works on one artifact directory: it reads the files that
 * earlier steps wrote there and writes its own, each atomically. The upload is
 * stored there as model.onnx and (optionally) data.csv. docs/ARCHITECTURE.md lists the
 * files of each step. Steps are idempotent: running one again overwrites its
 * outputs with equivalent ones.
 */
typedef struct zkml_step_opts {
    int sample;         /* CSV data row to prove, 0-based (default 0) */
    int threads;        /* threads a proof or the calibration search may use; 0 = cores */
    const char *target; /* calibration target: "resources" (default) or "accuracy" */
    /* settings: the visibility words to write (NULL keeps settings.json's, or
     * the default: input hashed, output public, param fixed) */
    const char *input_visibility, *output_visibility, *param_visibility;
    /* settings: rmse_threshold to write (a regression's bound; NULL keeps
     * settings.json's) */
    const char *rmse_threshold;
} zkml_step_opts;

typedef int (*zkml_step_fn)(const char *dir, const zkml_step_opts *opts, zkml_error *err);

#endif
