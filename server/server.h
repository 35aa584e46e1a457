/*
 * server.h - internal interface between the files of server/: configuration,
 * the shared (read-only) server context, per-thread state, response helpers
 * and the route handlers. commands.h is the folder's public face.
 */
#ifndef ZKML_SERVER_SERVER_H
#define ZKML_SERVER_SERVER_H

#include "common/common.h"
#include "registry/chain/chain.h"
#include "registry/registry.h"

#include <limits.h>
#include <stdio.h>
#include <stdarg.h>
#include <stdint.h>

struct mg_connection;

/* ---- configuration (config.c) -------------------------------------------- */

enum { SERVER_LISTEN_MAX = 8 };

typedef struct server_config {
    char data_dir[PATH_MAX];
    char listen[256];                        /* "host:port[,host:port...]" as CivetWeb takes it */
    char listen_host[SERVER_LISTEN_MAX][64]; /* each entry's host ("" = every interface) */
    int n_listen;
    int loopback;            /* 1 when every entry binds a loopback address */
    int workers;             /* ZKML_WORKERS */
    uint64_t max_upload;     /* bytes: ZKML_MAX_UPLOAD_MB * 2^20 */
    char api_token[256];     /* "" = none */
    char cors_origins[2048]; /* comma- or space-separated origins */
    char chain[16];          /* none | anvil | rpc */
    char infernet_task[ZKML_TASK_ID_MAX + 1]; /* ZKML_INFERNET_MODEL's task, "" = none */
    int infernet_version;                     /* its @version, 0 = the latest */
    int64_t sync_proof_ms;   /* ZKML_SYNC_PROOF_MS: the longest wait of a proof's ?wait=1 */
} server_config;

/* Reads ZKML_* variables, then flags (which win). *help is set on --help. */
int server_config_load(int argc, char **argv, server_config *cfg, int *help, zkml_error *err);
void server_config_usage(FILE *f);
/* 1 if a request with this Host header (or an absolute-form request's
 * "host[:port]/path") may be served. With a token, any; without one, only
 * loopback names and the listen list's hosts, so that a DNS name rebound to
 * 127.0.0.1 cannot reach a server that trusts its loopback clients. */
int server_config_host_allowed(const server_config *cfg, const char *host);
/* The limits a client may check before uploading, as GET /config's JSON. */
void server_config_public_json(const server_config *cfg, char *json, size_t size);
/* 1 if origin is listed in cfg->cors_origins (exact match). */
int server_config_origin_allowed(const server_config *cfg, const char *origin);

/* ---- shared context -------------------------------------------------------- */

/* Everything the HTTP threads share; never written after the server starts. */
typedef struct server_ctx {
    server_config cfg;
    char staging_dir[PATH_MAX];
    chain_config chain;      /* for GET .../versions/onchain */
    char self_exe[PATH_MAX]; /* this binary, run as `check` on each upload */
    int64_t job_memory_mb;   /* the limits of that check: the job's */
    int64_t check_timeout_s;
    int proof_wake_fd;           /* a byte per queued proof wakes a worker (pipeline_notify) */
    struct proof_notify *proofs; /* finished proofs, for requests that wait (proof_jobs.h) */
} server_ctx;

/* A companion thread with a large stack that runs requests (big_stack.c). */
typedef struct big_stack big_stack;
int big_stack_start(big_stack **out, zkml_error *err);
/* Runs fn(conn, cbdata) on the companion and returns its result. */
int big_stack_run(big_stack *b, int (*fn)(struct mg_connection *, void *),
                  struct mg_connection *conn, void *cbdata);
void big_stack_stop(big_stack *b);

/* One per CivetWeb request thread: its companion, and its own store
 * connection, opened on first use (by the companion). */
typedef struct server_thread {
    big_stack *runner;
    registry_store *store;
    int body_refused; /* the request now served refused its body part-read (body_refuse) */
} server_thread;

/* ---- responses (http.c) ------------------------------------------------------ */

/* The request as the handlers see it. */
typedef struct http_request {
    struct mg_connection *conn;
    const server_ctx *srv;
    server_thread *thread; /* this thread's state: handlers given a const request
                            * still update it (body_refuse) */
    const char *method;
    const char *query;           /* may be NULL */
    const char *origin;          /* Origin header, or NULL */
    int head;                    /* HEAD: headers only */
    int post_origin_allowed;     /* a POST's origin is the page's own or listed */
    const char *extra_header[2]; /* one more response header (name, value), e.g. Allow */
} http_request;

/* Sends body (len bytes) with status and content type, plus CORS headers. */
int http_send(const http_request *rq, int status, const char *content_type, const void *body,
              size_t len);
int http_send_json(const http_request *rq, int status, const char *json);
/* {"error": message, "code": code}. */
int http_send_error(const http_request *rq, int status, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Maps a zkml_error to its status (EINVAL 400, ENOTFOUND 404, ...). */
int http_send_zkml_error(const http_request *rq, const zkml_error *err);
/* Writes the CORS headers for this request (between header start and send). */
void http_add_cors_headers(const http_request *rq);
/* The request's store connection, opened on first use. */
int http_store(const http_request *rq, registry_store **out, zkml_error *err);
/* ?version=N: 0 when absent; -1 (after a 400 was sent) when malformed. */
int http_query_version(const http_request *rq);
/* The {n} of a path as a version number: 0, or 400 sent (the status). */
int http_path_version(const http_request *rq, const char *text, int *version);
/* The connection's socket, which CivetWeb does not expose: the descriptor
 * whose peer and local addresses are the request's. Read it only to see how
 * many bytes are waiting (FIONREAD); -1 if not found. */
int http_socket_fd(const http_request *rq);
/* 1 when the client prefers an HTML answer (a form post without JavaScript). */
int http_wants_html(const http_request *rq);
/* Escapes s for HTML text or attribute values into out (always terminated). */
void http_html_escape(const char *s, char *out, size_t outlen);

/* ---- request bodies (body.c) ------------------------------------------------- */

/* Receives each chunk of a body; a failure with ZKML_EINVAL is a 400, others 500. */
typedef int (*body_sink)(void *ctx, const uint8_t *data, size_t len, zkml_error *err);
typedef struct body_limit {
    uint64_t max;         /* bytes */
    const char *what;     /* "the upload": for messages */
    char limit_text[128]; /* the limit in words, with its setting: "64 MiB (ZKML_MAX_UPLOAD_MB)" */
} body_limit;
/* Streams the request body to sink. Returns 0, or the HTTP status of the
 * failure with err set (400 malformed or interrupted, 408 too slow, 413 too
 * large, 500 sink or memory). */
int body_stream(const http_request *rq, const body_limit *limit, body_sink sink, void *ctx,
                zkml_error *err);
/* The whole body into out (a small JSON body), under the same limits and
 * slow-client rule as body_stream: 0, or its status with err set and out freed. */
int body_read(const http_request *rq, const body_limit *limit, zkml_buf *out, zkml_error *err);
/* A handler that answers without reading the whole body calls this before it
 * answers: the connection is not reused, and body_linger drains it. Nothing
 * happens to a request that declares no body (no Content-Length above 0, no
 * Transfer-Encoding). It records the refusal in rq->thread, the thread's
 * state, which a const request may change. */
void body_refuse(const http_request *rq);
/* After the handler has answered (routes.c, for every request): when the
 * body was refused, ends the answer and reads what the client still sends,
 * for at most 2 s, so that closing does not reset the connection under the
 * answer. */
void body_linger(const http_request *rq);

/* ---- access (access.c) -------------------------------------------------------- */

/* 1 when authorization is "Bearer <token>" (compared in constant time). */
int access_bearer_ok(const char *token, const char *authorization);
/* 1 when peer (a numeric address as CivetWeb gives it) is a loopback one. */
int access_peer_is_loopback(const char *peer);
typedef enum access_decision {
    ACCESS_ALLOWED,
    ACCESS_NEED_TOKEN,    /* 401: a token is configured and none was sent */
    ACCESS_BAD_TOKEN,     /* 401: the token sent is not the configured one */
    ACCESS_LOOPBACK_ONLY, /* 403: no token configured and the peer is remote */
} access_decision;
/* May this request read a private artifact? With a token configured (token
 * non-empty) it must be sent as a bearer token; with none, only loopback
 * peers may read. */
access_decision access_private_read(const char *token, const char *authorization, const char *peer);
/* The same rule applied to a request (reading a private artifact, or acting
 * as the operator): 0 when allowed, else the 401 or 403 is sent, its message
 * starting with what ("circuit.zkey is private"), and its status returned. */
int access_check_private(http_request *rq, const char *what);

/* ---- handlers ------------------------------------------------------------------ */

int route_request(struct mg_connection *conn, void *cbdata);                    /* routes.c */
int upload_handle(const http_request *rq);                                      /* upload.c */
int artifact_download(http_request *rq, const char *task_id, const char *name); /* artifacts.c */
/* Sends one artifact of a version (0: the latest); the caller has checked access. */
int artifact_send(http_request *rq, const char *task_id, int version, const zkml_artifact *kind);
/* The ceremony routes (ceremony.c) under /models/{task}/versions/{n}/ceremony,
 * n as the path gives it; routes.c has checked the method and a POST's origin.
 * GET: the transcript; GET zkey: the latest key (private); POST contributions
 * (anyone); POST finalize (the operator: access_check_private's rule). */
int ceremony_transcript(http_request *rq, const char *task_id, const char *version);
int ceremony_zkey(http_request *rq, const char *task_id, const char *version);
int ceremony_contribute(http_request *rq, const char *task_id, const char *version);
int ceremony_finalize(http_request *rq, const char *task_id, const char *version);
/* finalize's optional body {"beacon": HEX, "iterations_exp": N} (len bytes;
 * empty or blank: the defaults, beacon "" and 10); ZKML_EINVAL naming the
 * field. The hex itself is checked when the beacon is applied. */
int ceremony_parse_finalize(const char *text, size_t len, char beacon[512], int *iterations_exp,
                            zkml_error *err);
/* `zkml-registry zkey check-next` on the staged key in a child process under
 * the job limits (ceremony_check.c). Returns 0 (parent gets the hash the key
 * extends) or the HTTP status with err set: 400 a failed check (the message
 * names it), 413 over the job memory or time limit (the message names it),
 * 500 anything else. */
int ceremony_check_in_child(const server_ctx *srv, const char *dir, const char *staged,
                            char parent[129], zkml_error *err);
/* Runs this binary (srv->self_exe) with argv, its stdout and stderr into out
 * (at most cap - 1 bytes), killing it after timeout_s of wall time (0: no
 * limit; *late is then 1); *status is waitpid's. Fails only when it cannot
 * start the child (spawn.c). */
int spawn_self(const server_ctx *srv, const char *const *argv, int64_t timeout_s, char *out,
               size_t cap, int *status, int *late, zkml_error *err);
/* GET /models/{task}/leaderboard (leaderboard.c): {task_id, groups: [{dataset_commitment,
 * metric, rows, order, versions: [{rank, version, model_hash, model_cid, value, ...}]}],
 * unranked: [{version, reason}]}; version is unused (send_reader's shape). */
int leaderboard_json(const http_request *rq, const char *task, int version, char **json,
                     zkml_error *err);
/* store_status_json plus "prediction": verify.json once the proof checked, else null. */
int artifact_status_json(const http_request *rq, const char *task_id, int version, char **json,
                         zkml_error *err);
/* The Infernet container's routes (infernet.c): 1 when name is one of its
 * endpoints; POST /{name} (task NULL: the ZKML_INFERNET_MODEL version) or
 * /infernet/{task}/{version}/{name}. */
int infernet_endpoint_known(const char *name);
int infernet_handle(http_request *rq, const char *task, const char *version, const char *name);
/* The version a request names (version 0: the latest) and, once resolved, its folder. */
typedef struct infernet_target {
    const char *task;
    int version;
    char dir[PATH_MAX];
} infernet_target;
/* The endpoints taking an InfernetInput (infernet_input.c); body is the request's object. */
typedef struct cJSON cJSON;
typedef int (*infernet_input_endpoint)(const http_request *rq, infernet_target *t,
                                       const cJSON *body);
/* An InfernetInput's fields checked (source, destination, requires_proof, and
 * data's type for its source); ZKML_EINVAL naming the field. in->data points
 * into body. */
typedef struct infernet_input {
    int source; /* 0 chain, 1 off-chain */
    const cJSON *data;
} infernet_input;
int infernet_input_parse(const cJSON *body, infernet_input *in, zkml_error *err);
int infernet_service_output(const http_request *rq, infernet_target *t, const cJSON *body);
int infernet_generate_witness(const http_request *rq, infernet_target *t, const cJSON *body);
int infernet_generate_proof(const http_request *rq, infernet_target *t, const cJSON *body);
/* Sends o (consumed) as a 200 JSON answer. */
int infernet_send_object(const http_request *rq, cJSON *o);
/* o[key] = "0x" + hex of len bytes. */
void infernet_add_hex(cJSON *o, const char *key, const uint8_t *data, size_t len);
/* Static web assets compiled into the binary (assets.c + generated web_assets.c). */
typedef struct web_asset {
    const char *path; /* "/index.html" */
    const char *content_type;
    const unsigned char *data;
    size_t len;
} web_asset;
extern const web_asset web_assets[];
extern const size_t web_assets_count;
int asset_serve(const http_request *rq, const char *path);

#endif
