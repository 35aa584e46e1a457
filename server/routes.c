/*
 * routes.c - the one CivetWeb handler: splits the path into segments, checks
 * method, token and CORS, and dispatches (README "HTTP API").
 *
 *   GET  /healthz
 *   GET  /config                                 the public limits (config.c)
 *   GET  /models                                 POST /models (upload.c)
 *   GET  /models/{task}
 *   GET  /models/{task}/status[?version=N]
 *   GET  /models/{task}/artifacts[/{name}][?version=N]  (artifacts.c)
 *   GET  /models/{task}/versions
 *   GET  /models/{task}/versions/onchain
 *   GET  /models/{task}/leaderboard              versions ranked by proven metric
 *   GET  /models/by-hash/{sha256}/onchain        every registration of a model hash
 *   GET  /models/{task}/versions/{n}/ceremony    the phase-2 transcript (ceremony.c)
 *   GET  .../ceremony/zkey                       the latest key (private)
 *   POST .../ceremony/contributions              a contribution to it (anyone)
 *   POST .../ceremony/finalize                   the beacon; the job goes on (operator)
 *   POST /{endpoint}, /infernet/{task}/{n}/{endpoint}  the Infernet container (infernet.c)
 *   POST /models/{task}/versions/{n}/proofs[?wait=1]  a proof of a new input (proofs.c)
 *   GET  /models/{task}/versions/{n}/proofs/{id}
 *   GET  any other path                          the web app (assets.c)
 *
 * A task id is checked against [A-Za-z0-9_-]{1,64} before any other use, so
 * "..", "%2F" and friends never reach a path.
 */
#include "server/proof_jobs.h"

#include <civetweb.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { MAX_SEGMENTS = 6, PATH_BYTES = 1024 };

typedef enum route {
    R_NONE,
    R_ASSET,
    R_HEALTHZ,
    R_CONFIG,
    R_MODELS,
    R_TASK,
    R_STATUS,
    R_ARTIFACTS,
    R_ARTIFACT,
    R_VERSIONS,
    R_ONCHAIN,
    R_BY_HASH,
    R_LEADERBOARD,
    R_CEREMONY,
    R_CEREMONY_ZKEY,
    R_CONTRIBUTIONS, /* POST only */
    R_FINALIZE,      /* POST only */
    R_INFERNET_ROOT, /* /{endpoint}: the ZKML_INFERNET_MODEL version */
    R_INFERNET,      /* /infernet/{task}/{version}/{endpoint} */
    R_PROOFS,
    R_PROOF,
} route;

/* /models/{task}/versions/{n}/ceremony[/{sub}] */
static route match_ceremony(char **seg, int n)
{
    if (n < 5 || strcmp(seg[2], "versions") || strcmp(seg[4], "ceremony"))
        return R_NONE;
    if (n == 5)
        return R_CEREMONY;
    return !strcmp(seg[5], "zkey")            ? R_CEREMONY_ZKEY
           : !strcmp(seg[5], "contributions") ? R_CONTRIBUTIONS
           : !strcmp(seg[5], "finalize")      ? R_FINALIZE
                                              : R_NONE;
}

/* Splits "/a/b/c" into segments (in place in buf); -1 when there are too many. */
static int split_path(char *buf, char **seg)
{
    int n = 0;
    char *p = buf;
    while (*p == '/')
        p++;
    while (*p) {
        if (n == MAX_SEGMENTS)
            return -1;
        seg[n++] = p;
        char *slash = strchr(p, '/');
        if (!slash)
            break;
        *slash = '\0';
        p = slash + 1;
    }
    return n;
}

static route match_route(char **seg, int n)
{
    if (n == 0)
        return R_ASSET;
    if (n == 1 && !strcmp(seg[0], "healthz"))
        return R_HEALTHZ;
    if (n == 1 && !strcmp(seg[0], "config"))
        return R_CONFIG;
    if (n == 1 && infernet_endpoint_known(seg[0]))
        return R_INFERNET_ROOT;
    if (!strcmp(seg[0], "infernet"))
        return n == 4 && infernet_endpoint_known(seg[3]) ? R_INFERNET : R_NONE;
    if (strcmp(seg[0], "models") != 0)
        return R_ASSET; /* the web app's files and page paths */
    if (n == 1)
        return R_MODELS;
    if (n == 2)
        return R_TASK;
    if (n == 3 && !strcmp(seg[2], "status"))
        return R_STATUS;
    if (n == 3 && !strcmp(seg[2], "artifacts"))
        return R_ARTIFACTS;
    if (n == 4 && !strcmp(seg[2], "artifacts"))
        return R_ARTIFACT;
    if (n == 3 && !strcmp(seg[2], "versions"))
        return R_VERSIONS;
    if (n == 3 && !strcmp(seg[2], "leaderboard"))
        return R_LEADERBOARD;
    if (n == 4 && !strcmp(seg[2], "versions") && !strcmp(seg[3], "onchain"))
        return R_ONCHAIN;
    if (n >= 5 && !strcmp(seg[2], "versions") && !strcmp(seg[4], "proofs"))
        return n == 5 ? R_PROOFS : R_PROOF;
    /* after the task routes, so a task named by-hash keeps them */
    if (n == 4 && !strcmp(seg[1], "by-hash") && !strcmp(seg[3], "onchain"))
        return R_BY_HASH;
    return match_ceremony(seg, n);
}

/* The page's own origin ("http://" + Host) may always POST. */
static int same_origin(const http_request *rq)
{
    const char *host = mg_get_header(rq->conn, "Host");
    if (!host || strncmp(rq->origin, "http://", 7) != 0)
        return 0;
    return strcmp(rq->origin + 7, host) == 0;
}

static int origin_may_post(const http_request *rq)
{
    return !rq->origin || same_origin(rq) ||
           server_config_origin_allowed(&rq->srv->cfg, rq->origin);
}

/* Preflight: GET from anywhere, POST from allowed origins. */
static int send_preflight(http_request *rq)
{
    const char *want = mg_get_header(rq->conn, "Access-Control-Request-Method");
    if (!rq->origin || !want)
        return http_send_error(rq, 405, "method_not_allowed",
                               "OPTIONS is only answered as a CORS preflight");
    int is_post = !strcmp(want, "POST");
    if (!is_post && strcmp(want, "GET") && strcmp(want, "HEAD"))
        return http_send_error(rq, 403, "forbidden", "method %s is not allowed", want);
    if (is_post && !origin_may_post(rq))
        return http_send_error(rq, 403, "forbidden",
                               "origin %s may not POST (see ZKML_CORS_ORIGINS)", rq->origin);
    mg_response_header_start(rq->conn, 204);
    mg_response_header_add(rq->conn, "Access-Control-Allow-Origin", is_post ? rq->origin : "*", -1);
    mg_response_header_add(rq->conn, "Access-Control-Allow-Methods",
                           is_post ? "GET, HEAD, POST" : "GET, HEAD", -1);
    mg_response_header_add(rq->conn, "Access-Control-Allow-Headers", "Authorization, Content-Type",
                           -1);
    mg_response_header_add(rq->conn, "Access-Control-Max-Age", "600", -1);
    mg_response_header_add(rq->conn, "Vary", "Origin", -1);
    mg_response_header_add(rq->conn, "Content-Length", "0", -1);
    mg_response_header_send(rq->conn);
    return 204;
}

static int send_method_not_allowed(http_request *rq, const char *allow)
{
    rq->extra_header[0] = "Allow";
    rq->extra_header[1] = allow;
    return http_send_error(rq, 405, "method_not_allowed", "%s is not allowed here (allowed: %s)",
                           rq->method, allow);
}

/* Every POST needs an allowed origin. */
static int check_post_origin(http_request *rq)
{
    if (!origin_may_post(rq)) {
        body_refuse(rq);
        http_send_error(rq, 403, "forbidden", "origin %s may not POST (see ZKML_CORS_ORIGINS)",
                        rq->origin);
        return -1;
    }
    rq->post_origin_allowed = 1;
    return 0;
}

/* An upload needs an allowed origin and, when a token is configured, the token. */
static int check_post(http_request *rq)
{
    if (check_post_origin(rq))
        return -1;
    const char *token = rq->srv->cfg.api_token;
    if (!token[0])
        return 0;
    const char *auth = mg_get_header(rq->conn, "Authorization");
    if (!access_bearer_ok(token, auth)) {
        body_refuse(rq);
        rq->extra_header[0] = "WWW-Authenticate";
        rq->extra_header[1] = "Bearer";
        http_send_error(rq, 401, "unauthorized",
                        auth
                            ? "the bearer token is not valid"
                            : "this server needs 'Authorization: Bearer <ZKML_API_TOKEN>' to POST");
        return -1;
    }
    return 0;
}

/* Sends a JSON document from one of the store's readers, or its error. */
typedef int (*json_reader)(const http_request *rq, const char *task, int version, char **json,
                           zkml_error *err);

static int send_reader(const http_request *rq, json_reader read, const char *task, int version)
{
    zkml_error err = {0};
    char *json = NULL;
    if (read(rq, task, version, &json, &err))
        return http_send_zkml_error(rq, &err);
    http_send_json(rq, 200, json);
    free(json);
    return 200;
}

static int read_tasks(const http_request *rq, const char *task, int version, char **json,
                      zkml_error *err)
{
    registry_store *s;
    (void)task, (void)version;
    return http_store(rq, &s, err) ? err->code : store_tasks_json(s, json, err);
}

static int read_task(const http_request *rq, const char *task, int version, char **json,
                     zkml_error *err)
{
    registry_store *s;
    (void)version;
    return http_store(rq, &s, err) ? err->code : store_task_json(s, task, json, err);
}

static int read_artifacts(const http_request *rq, const char *task, int version, char **json,
                          zkml_error *err)
{
    registry_store *s;
    return http_store(rq, &s, err) ? err->code : store_artifacts_json(s, task, version, json, err);
}

static int read_versions(const http_request *rq, const char *task, int version, char **json,
                         zkml_error *err)
{
    registry_store *s;
    (void)version;
    /* 404 for an unknown task, as on every other task route. */
    if (http_store(rq, &s, err) || store_resolve_version(s, task, 0, &version, err))
        return err->code;
    return history_task_versions_json(rq->srv->cfg.data_dir, task, json, err);
}

static int read_onchain(const http_request *rq, const char *task, int version, char **json,
                        zkml_error *err)
{
    registry_store *s;
    (void)version;
    if (http_store(rq, &s, err) || store_resolve_version(s, task, 0, &version, err))
        return err->code;
    return chain_versions_onchain_json(&rq->srv->chain, task, json, err);
}

static int read_by_hash(const http_request *rq, const char *hash, int version, char **json,
                        zkml_error *err)
{
    (void)version;
    return chain_registrations_json(&rq->srv->chain, hash, json, err);
}

static int send_config(const http_request *rq)
{
    char json[256];
    server_config_public_json(&rq->srv->cfg, json, sizeof json);
    return http_send_json(rq, 200, json);
}

static int dispatch_get(http_request *rq, route r, char **seg, const char *path)
{
    int version = 0;
    if (r == R_STATUS || r == R_ARTIFACTS || r == R_ARTIFACT) {
        version = http_query_version(rq);
        if (version < 0)
            return 400;
    }
    const char *task = r >= R_TASK ? seg[1] : NULL;
    switch (r) {
    case R_ASSET: return asset_serve(rq, path);
    case R_HEALTHZ: return http_send_json(rq, 200, "{\"status\":\"ok\"}");
    case R_CONFIG: return send_config(rq);
    case R_MODELS: return send_reader(rq, read_tasks, NULL, 0);
    case R_TASK: return send_reader(rq, read_task, task, 0);
    case R_STATUS: return send_reader(rq, artifact_status_json, task, version);
    case R_ARTIFACTS: return send_reader(rq, read_artifacts, task, version);
    case R_ARTIFACT: return artifact_download(rq, task, seg[3]);
    case R_VERSIONS: return send_reader(rq, read_versions, task, 0);
    case R_ONCHAIN: return send_reader(rq, read_onchain, task, 0);
    case R_BY_HASH: return send_reader(rq, read_by_hash, seg[2], 0);
    case R_LEADERBOARD: return send_reader(rq, leaderboard_json, task, 0);
    case R_CEREMONY: return ceremony_transcript(rq, task, seg[3]);
    case R_CEREMONY_ZKEY: return ceremony_zkey(rq, task, seg[3]);
    case R_CONTRIBUTIONS:
    case R_FINALIZE:
    case R_INFERNET_ROOT:
    case R_INFERNET:
    case R_PROOFS:
    case R_NONE: break;
    case R_PROOF: return proofs_get(rq, task, seg[3], seg[5]);
    }
    return http_send_error(rq, 404, "not_found", "no route for %s", path);
}

/* Whether a request for r goes to a handler that reads its body: every other
 * answer is given without reading it. */
static int route_reads_body(route r, const char *method)
{
    return !strcmp(method, "POST") && (r == R_MODELS || r == R_CONTRIBUTIONS || r == R_FINALIZE ||
                                       r == R_PROOFS || r == R_INFERNET || r == R_INFERNET_ROOT);
}

/* Checks the Host, parses the path and hands the request to its handler. A
 * body that no handler will read is refused (body_refuse) before the answer:
 * kept alive, the connection would first read all the bytes it declares, at
 * whatever pace the client sends them. */
static int serve_route(http_request *rq)
{
    const struct mg_request_info *ri = mg_get_request_info(rq->conn);
    /* The decoded path before CivetWeb's "../" cleaning: what the client sent. */
    const char *raw = ri->local_uri_raw ? ri->local_uri_raw : ri->local_uri;
    char path[PATH_BYTES], buf[PATH_BYTES];
    char *seg[MAX_SEGMENTS];
    int n = -1, fits = raw && strlen(raw) < sizeof path;
    if (fits) {
        strcpy(path, raw);
        strcpy(buf, raw);
        n = split_path(buf, seg);
    }
    route r = n < 0 ? R_NONE : match_route(seg, n);
    if (!route_reads_body(r, rq->method))
        body_refuse(rq);
    /* An absolute-form target ("GET http://host/path") names the host itself. */
    const char *host = mg_get_header(rq->conn, "Host"), *target = ri->request_uri;
    if (target && !strncasecmp(target, "http://", 7) &&
        !server_config_host_allowed(&rq->srv->cfg, target + 7))
        host = target + 7;
    if (!server_config_host_allowed(&rq->srv->cfg, host)) {
        body_refuse(rq);
        return http_send_error(rq, 403, "forbidden",
                               "Host '%s' is not this server's address (without ZKML_API_TOKEN "
                               "only localhost and the listen addresses are answered)",
                               host);
    }
    if (!fits)
        return http_send_error(rq, 404, "not_found", "no such route");
    if (r == R_NONE)
        return http_send_error(rq, 404, "not_found", "no route for %s", path);
    zkml_error bad_id;
    /* seg[1] is the task of every route from R_TASK on, but the root Infernet paths */
    if (r >= R_TASK && r != R_INFERNET_ROOT && zkml_task_id_check(seg[1], &bad_id)) {
        body_refuse(rq);
        return http_send_error(rq, 400, "invalid_input", "%s", bad_id.message);
    }
    if (!strcmp(rq->method, "OPTIONS"))
        return send_preflight(rq);
    if (r == R_INFERNET_ROOT || r == R_INFERNET) {
        if (strcmp(rq->method, "POST"))
            return send_method_not_allowed(rq, "POST");
        if (check_post(rq))
            return 401;
        return r == R_INFERNET ? infernet_handle(rq, seg[1], seg[2], seg[3])
                               : infernet_handle(rq, NULL, NULL, seg[0]);
    }
    if (r == R_MODELS && !strcmp(rq->method, "POST")) {
        if (check_post(rq))
            return 401;
        return upload_handle(rq);
    }
    if (r == R_CONTRIBUTIONS || r == R_FINALIZE) {
        if (strcmp(rq->method, "POST"))
            return send_method_not_allowed(rq, "POST");
        if (check_post_origin(rq))
            return 403;
        return r == R_CONTRIBUTIONS ? ceremony_contribute(rq, seg[1], seg[3])
                                    : ceremony_finalize(rq, seg[1], seg[3]);
    }
    if (r == R_PROOFS && !strcmp(rq->method, "POST"))
        return check_post(rq) ? 401 : proofs_post(rq, seg[1], seg[3]);
    if (r == R_PROOFS)
        return send_method_not_allowed(rq, "POST");
    if (strcmp(rq->method, "GET") && !rq->head)
        return send_method_not_allowed(rq, r == R_MODELS ? "GET, HEAD, POST" : "GET, HEAD");
    return dispatch_get(rq, r, seg, path);
}

int route_request(struct mg_connection *conn, void *cbdata)
{
    const struct mg_request_info *ri = mg_get_request_info(conn);
    http_request rq = {
        .conn = conn,
        .srv = cbdata,
        .thread = mg_get_thread_pointer(conn),
        .method = ri->request_method,
        .query = ri->query_string,
        .origin = mg_get_header(conn, "Origin"),
    };
    rq.head = !strcmp(rq.method, "HEAD");
    if (rq.thread)
        rq.thread->body_refused = 0;
    int status = serve_route(&rq);
    body_linger(&rq);
    return status;
}
