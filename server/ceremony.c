/*
 * ceremony.c - the phase-2 ceremony of a version over HTTP (README "Trusted
 * setup"), for a version uploaded with ceremony=open whose job waits in
 * awaiting_contributions after its setup:
 *
 *   GET  /models/{task}/versions/{n}/ceremony          ceremony.json + state
 *   GET  .../ceremony/zkey                             the latest key (private)
 *   POST .../ceremony/contributions                    a contributed key (anyone)
 *   POST .../ceremony/finalize [{beacon, iterations_exp}]  the operator
 *
 * Anyone may contribute: a contribution that passes the checks cannot weaken
 * the key (one honest contributor suffices), so the checks, not the caller,
 * decide. The body is streamed to a staging file and checked there against
 * the latest key, the circuit and the ptau (pipeline/snark's verify) without
 * any lock, in a child under the job limits (ceremony_check.c); only then, under the version's lock, is the latest key compared
 * with the one the contribution extends and replaced: of two contributions
 * to the same key one wins, the other gets a 409 naming the new latest hash.
 * Finalize takes the same lock, so no contribution lands after the beacon.
 */
#include "server/server.h"
#include "pipeline/snark/snark.h"

#include <civetweb.h>
#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    /* A contribution adds one record to section 10 (points, transcript, a
     * name of at most 64 UTF-16 units): far below this. */
    CONTRIBUTION_EXTRA_MAX = 4096,
    FINALIZE_BODY_MAX = 4096,
    BEACON_ITERATIONS_DEFAULT = 10,
    /* 2^24 SHA-256 is seconds; snarkjs allows up to 63 (ages), which the
     * server would then also run on every later verify. */
    BEACON_ITERATIONS_MAX = 24,
};

/* A version's ceremony as the store and its directory give it. */
typedef struct ceremony_ref {
    const char *task_id;
    int version;
    char dir[PATH_MAX];
    char job_state[STORE_STATE_MAX], ceremony[STORE_STATE_MAX];
} ceremony_ref;

/* Looks up the version: 0, or the status of the error response sent. */
static int open_ref(http_request *rq, const char *task_id, const char *version, ceremony_ref *ref)
{
    memset(ref, 0, sizeof *ref);
    ref->task_id = task_id;
    int status = http_path_version(rq, version, &ref->version);
    if (status)
        return status;
    zkml_error err = {0};
    registry_store *s;
    if (http_store(rq, &s, &err) ||
        store_ceremony_state(s, task_id, ref->version, ref->job_state, ref->ceremony, &err) ||
        store_version_dir(rq->srv->cfg.data_dir, task_id, ref->version, ref->dir, sizeof ref->dir,
                          &err))
        return http_send_zkml_error(rq, &err);
    return 0;
}

/* open | pending (open, its setup not done yet) | finalized | none. */
static const char *state_word(const ceremony_ref *ref)
{
    if (strcmp(ref->ceremony, "open"))
        return ref->ceremony;
    return strcmp(ref->job_state, "awaiting_contributions") ? "pending" : "open";
}

static int is_open(const ceremony_ref *ref)
{
    return !strcmp(state_word(ref), "open");
}

/* The 409 for a ceremony that takes no contribution or beacon now. */
static int send_not_open(http_request *rq, const ceremony_ref *ref)
{
    const char *why = !strcmp(ref->ceremony, "none")
                          ? "was not uploaded with ceremony=open (its setup has the service's "
                            "contribution only)"
                      : !strcmp(ref->ceremony, "finalized")
                          ? "is finalized: its beacon is applied and it takes no more contributions"
                          : "is not open yet: its setup has not finished";
    body_refuse(rq);
    return http_send_error(rq, 409, "conflict", "the ceremony of %s version %d %s (job %s)",
                           ref->task_id, ref->version, why, ref->job_state);
}

/* ceremony.json with task_id, version, state, job_state and latest_hash. */
static int transcript_json(const ceremony_ref *ref, cJSON **out, zkml_error *err)
{
    char path[PATH_MAX];
    uint8_t *text = NULL;
    size_t len;
    *out = NULL;
    if (zkml_artifact_path(path, sizeof path, ref->dir, ZKML_A_CEREMONY, err))
        return err->code;
    if (!zkml_file_exists(path))
        return zkml_fail(err, ZKML_ENOTFOUND,
                         "%s version %d has no ceremony.json yet: its setup has not run", ref->task_id,
                         ref->version);
    if (zkml_read_file(path, 1u << 20, &text, &len, err))
        return err->code;
    cJSON *doc = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "contributions");
    cJSON *last = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
    cJSON *hash = cJSON_GetObjectItemCaseSensitive(last, "hash");
    if (!cJSON_IsString(hash)) {
        cJSON_Delete(doc);
        return zkml_fail(err, ZKML_EINTERNAL, "ceremony.json has no contribution hash");
    }
    cJSON_AddStringToObject(doc, "task_id", ref->task_id);
    cJSON_AddNumberToObject(doc, "version", ref->version);
    cJSON_AddStringToObject(doc, "state", state_word(ref));
    cJSON_AddStringToObject(doc, "job_state", ref->job_state);
    cJSON_AddStringToObject(doc, "latest_hash", hash->valuestring);
    *out = doc;
    return 0;
}

/* Sends doc (freed) with status, or the error. */
static int send_doc(http_request *rq, int status, cJSON *doc)
{
    char *json = cJSON_PrintUnformatted(doc);
    cJSON_Delete(doc);
    if (!json)
        return http_send_error(rq, 500, "internal", "out of memory");
    http_send_json(rq, status, json);
    cJSON_free(json);
    return status;
}

int ceremony_transcript(http_request *rq, const char *task_id, const char *version)
{
    ceremony_ref ref;
    zkml_error err = {0};
    cJSON *doc;
    int status = open_ref(rq, task_id, version, &ref);
    if (status)
        return status;
    if (transcript_json(&ref, &doc, &err))
        return http_send_zkml_error(rq, &err);
    return send_doc(rq, 200, doc);
}

int ceremony_zkey(http_request *rq, const char *task_id, const char *version)
{
    ceremony_ref ref;
    const zkml_artifact *zkey = zkml_artifact_get(ZKML_A_ZKEY);
    int status = access_check_private(rq, "circuit.zkey (the ceremony's latest key) is private");
    if (!status)
        status = open_ref(rq, task_id, version, &ref);
    return status ? status : artifact_send(rq, task_id, ref.version, zkey);
}

/* ---- the version's lock ---------------------------------------------------- */

/* An exclusive flock on <version dir>/ceremony.lock: between the threads of
 * this server (each open is its own lock owner) and any other process. */
static int lock_version(const ceremony_ref *ref, int *fd, zkml_error *err)
{
    char path[PATH_MAX];
    if (zkml_path_join(path, sizeof path, ref->dir, "ceremony.lock", err))
        return err->code;
    *fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (*fd < 0)
        return zkml_fail(err, ZKML_EIO, "%s: %s", path, strerror(errno));
    while (flock(*fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            close(*fd);
            return zkml_fail(err, ZKML_EIO, "%s: flock: %s", path, strerror(errno));
        }
    return 0;
}

/* Re-reads the ceremony's state (under the lock: finalize may have won). */
static int reread_state(http_request *rq, ceremony_ref *ref, zkml_error *err)
{
    registry_store *s;
    return http_store(rq, &s, err)
               ? err->code
               : store_ceremony_state(s, ref->task_id, ref->version, ref->job_state,
                                      ref->ceremony, err);
}

/* Under the lock: 0 if the ceremony is still open, else the status sent. */
static int check_still_open(http_request *rq, ceremony_ref *ref)
{
    zkml_error err = {0};
    if (reread_state(rq, ref, &err))
        return http_send_zkml_error(rq, &err);
    return is_open(ref) ? 0 : send_not_open(rq, ref);
}

/* The artifact rows of the keys and transcript just replaced. */
static int record_keys(http_request *rq, const ceremony_ref *ref, zkml_error *err)
{
    registry_store *s;
    return http_store(rq, &s, err) ? err->code
                                   : store_version_record_artifacts(s, rq->srv->cfg.data_dir,
                                                                    ref->task_id, ref->version,
                                                                    "setup", err);
}

/* ---- POST .../contributions ------------------------------------------------ */

static int write_staged(void *ctx, const uint8_t *data, size_t len, zkml_error *err)
{
    if (fwrite(data, 1, len, ctx) != len)
        return zkml_fail(err, ZKML_EIO, "writing the staged contribution: %s", strerror(errno));
    return 0;
}

/* The body, at most the latest key's size plus one contribution, into a new
 * staging file (path). Returns 0 or the HTTP status with err set. */
static int stage_contribution(http_request *rq, const ceremony_ref *ref, char path[PATH_MAX],
                              zkml_error *err)
{
    char latest[PATH_MAX];
    struct stat st;
    path[0] = '\0';
    if (zkml_artifact_path(latest, sizeof latest, ref->dir, ZKML_A_ZKEY, err))
        return 500;
    if (stat(latest, &st) != 0) {
        zkml_fail(err, ZKML_EIO, "%s: %s", latest, strerror(errno));
        return 500;
    }
    body_limit limit = {(uint64_t)st.st_size + CONTRIBUTION_EXTRA_MAX, "the contribution", ""};
    snprintf(limit.limit_text, sizeof limit.limit_text,
             "%llu bytes (the latest key's size plus %d)", (unsigned long long)limit.max,
             CONTRIBUTION_EXTRA_MAX);
    if (zkml_path_join(path, PATH_MAX, rq->srv->staging_dir, "upload-contribution-XXXXXX", err))
        return 500;
    int fd = mkostemp(path, O_CLOEXEC);
    FILE *f = fd < 0 ? NULL : fdopen(fd, "wb");
    if (!f) {
        zkml_fail(err, ZKML_EIO, "cannot create a staging file: %s", strerror(errno));
        if (fd >= 0)
            close(fd);
        return 500;
    }
    int status = body_stream(rq, &limit, write_staged, f, err);
    int bad = fflush(f) != 0 || fsync(fileno(f)) != 0;
    if ((fclose(f) != 0 || bad) && !status) {
        zkml_fail(err, ZKML_EIO, "writing the staged contribution: %s", strerror(errno));
        status = 500;
    }
    return status;
}

/* Under the lock: the staged key replaces the latest if that is still the
 * one it extends. Returns the status sent. */
static int adopt_locked(http_request *rq, ceremony_ref *ref, const char *staged,
                        const char *parent_hash)
{
    zkml_error err = {0};
    char latest[129];
    cJSON *doc;
    int status = check_still_open(rq, ref);
    if (status)
        return status;
    if (snark_ceremony_latest_hash(ref->dir, latest, &err))
        return http_send_zkml_error(rq, &err);
    if (strcmp(latest, parent_hash))
        return http_send_error(rq, 409, "conflict",
                               "another contribution was accepted first: the latest contribution "
                               "is now %s; GET .../ceremony/zkey and contribute to that key",
                               latest);
    if (snark_ceremony_adopt(ref->dir, staged, &err) || record_keys(rq, ref, &err) ||
        transcript_json(ref, &doc, &err))
        return http_send_zkml_error(rq, &err);
    cJSON *list = cJSON_GetObjectItemCaseSensitive(doc, "contributions");
    cJSON *mine = cJSON_GetArrayItem(list, cJSON_GetArraySize(list) - 1);
    cJSON_AddItemToObject(doc, "accepted", cJSON_Duplicate(mine, 1));
    return send_doc(rq, 200, doc);
}

/* Messages about the staged file name it as the client knows it, not by the
 * server's path: every occurrence of path in msg becomes name. */
static void rename_in_message(char *msg, size_t cap, const char *path, const char *name)
{
    char out[sizeof((zkml_error *)0)->message];
    size_t n = 0, plen = strlen(path), nlen = strlen(name);
    for (const char *p = msg; *p && n + nlen < sizeof out;) {
        if (!strncmp(p, path, plen)) {
            memcpy(out + n, name, nlen);
            n += nlen;
            p += plen;
        } else {
            out[n++] = *p++;
        }
    }
    out[n] = '\0';
    snprintf(msg, cap, "%s", out);
}

int ceremony_contribute(http_request *rq, const char *task_id, const char *version)
{
    ceremony_ref ref;
    zkml_error err = {0};
    char staged[PATH_MAX], parent[129];
    int status = open_ref(rq, task_id, version, &ref);
    if (status)
        return status;
    if (!is_open(&ref))
        return send_not_open(rq, &ref);
    status = stage_contribution(rq, &ref, staged, &err);
    if (status) {
        body_refuse(rq);
        if (staged[0])
            unlink(staged);
        const char *code = status == 413 ? "too_large" : status == 408 ? "too_slow" : "invalid_input";
        return http_send_error(rq, status, status == 500 ? "internal" : code, "%s", err.message);
    }
    status = ceremony_check_in_child(rq->srv, ref.dir, staged, parent, &err);
    rename_in_message(err.message, sizeof err.message, staged, "the contribution");
    int fd = -1;
    if (status)
        status = http_send_error(rq, status,
                                 status == 400   ? "invalid_contribution"
                                 : status == 413 ? "too_large"
                                                 : "internal",
                                 "%s", err.message);
    else if (lock_version(&ref, &fd, &err))
        status = http_send_zkml_error(rq, &err);
    else
        status = adopt_locked(rq, &ref, staged, parent);
    if (fd >= 0)
        close(fd);
    unlink(staged); /* gone already when it was adopted */
    return status;
}

/* ---- POST .../finalize ------------------------------------------------------- */

typedef struct small_body {
    char text[FINALIZE_BODY_MAX + 1];
    size_t len;
} small_body;

static int keep_body(void *ctx, const uint8_t *data, size_t len, zkml_error *err)
{
    small_body *b = ctx;
    (void)err;
    memcpy(b->text + b->len, data, len); /* body_stream keeps the total within the limit */
    b->len += len;
    b->text[b->len] = '\0';
    return 0;
}

int ceremony_parse_finalize(const char *text, size_t len, char beacon[512], int *iterations_exp,
                            zkml_error *err)
{
    beacon[0] = '\0';
    *iterations_exp = BEACON_ITERATIONS_DEFAULT;
    size_t blank = 0;
    while (blank < len && strchr(" \t\r\n", text[blank]) && text[blank])
        blank++;
    if (blank == len)
        return 0;
    cJSON *doc = cJSON_ParseWithLength(text, len);
    const cJSON *hex = cJSON_GetObjectItemCaseSensitive(doc, "beacon");
    const cJSON *iter = cJSON_GetObjectItemCaseSensitive(doc, "iterations_exp");
    int rc = 0;
    if (!cJSON_IsObject(doc))
        rc = zkml_fail(err, ZKML_EINVAL, "the body must be a JSON object (or empty)");
    else if (hex && (!cJSON_IsString(hex) || strlen(hex->valuestring) >= 512))
        rc = zkml_fail(err, ZKML_EINVAL, "beacon: expected a hex string of 1 to 255 bytes");
    else if (iter && (!cJSON_IsNumber(iter) || iter->valuedouble != (int)iter->valuedouble ||
                      iter->valueint < 10 || iter->valueint > BEACON_ITERATIONS_MAX))
        rc = zkml_fail(err, ZKML_EINVAL, "iterations_exp: expected a whole number from 10 to %d",
                       BEACON_ITERATIONS_MAX);
    if (!rc && hex)
        strcpy(beacon, hex->valuestring);
    if (!rc && iter)
        *iterations_exp = iter->valueint;
    cJSON_Delete(doc);
    return rc;
}

/* Under the lock: the beacon, the keys, the store's transition. */
static int finalize_locked(http_request *rq, ceremony_ref *ref, char beacon[512], int iterations)
{
    zkml_error err = {0};
    registry_store *s;
    cJSON *doc;
    int status = check_still_open(rq, ref);
    if (status)
        return status;
    /* The default beacon: the latest contribution's hash, which the
     * transcript shows as latest_hash. */
    if (!beacon[0] && snark_ceremony_latest_hash(ref->dir, beacon, &err))
        return http_send_zkml_error(rq, &err);
    int rc = snark_ceremony_finalize(ref->dir, beacon, iterations, &err);
    if (rc == ZKML_EINVAL)
        return http_send_error(rq, 400, "invalid_input", "%s", err.message);
    if (rc || record_keys(rq, ref, &err) || http_store(rq, &s, &err) ||
        store_ceremony_finalize(s, ref->task_id, ref->version, &err) ||
        reread_state(rq, ref, &err) || transcript_json(ref, &doc, &err))
        return http_send_zkml_error(rq, &err);
    char status_url[160];
    snprintf(status_url, sizeof status_url, "/models/%s/status?version=%d", ref->task_id,
             ref->version);
    cJSON_AddStringToObject(doc, "status_url", status_url);
    return send_doc(rq, 202, doc);
}

int ceremony_finalize(http_request *rq, const char *task_id, const char *version)
{
    ceremony_ref ref;
    zkml_error err = {0};
    small_body *body = NULL;
    char beacon[512];
    int iterations, fd = -1;
    int status = access_check_private(rq, "only the operator may finalize a ceremony");
    if (!status)
        status = open_ref(rq, task_id, version, &ref);
    if (status)
        return status;
    if (!is_open(&ref))
        return send_not_open(rq, &ref);
    body_limit limit = {FINALIZE_BODY_MAX, "the finalize body", "4096 bytes"};
    if (!(body = calloc(1, sizeof *body)))
        return http_send_error(rq, 500, "internal", "out of memory");
    status = body_stream(rq, &limit, keep_body, body, &err);
    if (!status && ceremony_parse_finalize(body->text, body->len, beacon, &iterations, &err))
        status = 400;
    free(body);
    if (status) {
        body_refuse(rq);
        return http_send_error(rq, status, status == 413 ? "too_large" : "invalid_input", "%s",
                               err.message);
    }
    if (lock_version(&ref, &fd, &err))
        return http_send_zkml_error(rq, &err);
    status = finalize_locked(rq, &ref, beacon, iterations);
    close(fd);
    return status;
}
