/*
 * upload.c - POST /models: streams a multipart upload to files in the data
 * dir's staging area, validates it, and turns it into a version and a queued
 * job (store_create_version renames the files into the version dir).
 *
 * Fields: task_id, model (or file: the ONNX bytes), optional data (CSV),
 * sample (CSV row to prove, 0-based), target (resources | accuracy),
 * input_visibility, output_visibility, param_visibility (EZKL's words) and
 * rmse_threshold (a regression target's bound on RMSE); given ones are staged
 * as the version's first settings.json. ceremony=open: the job stops after its
 * setup until the phase-2 ceremony is finalized (ceremony.c). Other fields are
 * read and ignored. Checks come in zkMLTrack's order: task_id,
 * then the model, then the model's and the CSV's contents.
 *
 * Answers: 202 {task_id, version, job_id, model_hash, model_cid, status_url,
 * existed:false} (model_cid: the model's IPFS CIDv0, common/cid.c)
 * for a new version; 200 with the same fields and existed:true when the task
 * already has a version with these model bytes (nothing new is queued).
 * A client that asks for text/html (the upload form without JavaScript) gets
 * the same answer as a small HTML page linking to the status and artifacts.
 */
#include "server/server.h"
#include "server/multipart.h"
#include "pipeline/pipeline.h"
#include "pipeline/quant/quant.h"

#include <civetweb.h>
#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

enum { SMALL_FIELD_MAX = 128 };

static const char *const VISIBILITY_FIELDS[3] = {"input_visibility", "output_visibility",
                                                 "param_visibility"};

typedef struct staged_file {
    FILE *f;
    char path[PATH_MAX]; /* "" when none was created, or after it moved */
    char filename[MULTIPART_NAME_MAX + 1];
    uint64_t size;
    int seen;
} staged_file;

typedef struct small_field {
    char value[SMALL_FIELD_MAX + 1];
    size_t len;
    int seen, overflow;
} small_field;

typedef struct upload {
    const char *staging_dir;
    small_field task_id, sample, target, rmse_threshold, ceremony;
    small_field visibility[3];    /* input, output, param (VISIBILITY_FIELDS) */
    char settings_path[PATH_MAX]; /* the staged settings.json, "" when none */
    staged_file model, data;
    /* The part being read: one of the above, or neither (an ignored field). */
    small_field *field;
    staged_file *file;
} upload;

/* ---- multipart callbacks --------------------------------------------------- */

/* A new file named after pattern (ending XXXXXX) in the staging dir: its fd. */
static int staging_file(const upload *u, const char *pattern, char path[PATH_MAX], int *fd,
                        zkml_error *err)
{
    if (zkml_path_join(path, PATH_MAX, u->staging_dir, pattern, err))
        return err->code;
    *fd = mkostemp(path, O_CLOEXEC);
    if (*fd < 0) {
        path[0] = '\0';
        return zkml_fail(err, ZKML_EIO, "cannot create a staging file in %s: %s", u->staging_dir,
                         strerror(errno));
    }
    return ZKML_OK;
}

static int stage_open(upload *u, staged_file *sf, const multipart_part *part, const char *what,
                      zkml_error *err)
{
    if (sf->seen)
        return zkml_fail(err, ZKML_EINVAL, "%s is given twice", what);
    sf->seen = 1;
    snprintf(sf->filename, sizeof sf->filename, "%s", part->filename);
    int fd = -1; /* set by staging_file; -O2 cannot see it */
    if (staging_file(u, "upload-XXXXXX", sf->path, &fd, err))
        return err->code;
    sf->f = fdopen(fd, "wb");
    if (!sf->f) {
        close(fd);
        return zkml_fail(err, ZKML_EIO, "staging file: %s", strerror(errno));
    }
    return ZKML_OK;
}

static int on_part_begin(void *ctx, const multipart_part *part, zkml_error *err)
{
    upload *u = ctx;
    u->field = NULL;
    u->file = NULL;
    /* A browser sends an empty part with filename="" for a file input left
     * empty (the optional CSV): that is no file. */
    if (part->has_filename && part->filename[0] == '\0')
        return ZKML_OK;
    if (!strcmp(part->name, "model") || !strcmp(part->name, "file")) {
        u->file = &u->model;
        return stage_open(u, &u->model, part, "model (ONNX) file", err);
    }
    if (!strcmp(part->name, "data")) {
        u->file = &u->data;
        return stage_open(u, &u->data, part, "data (CSV) file", err);
    }
    if (!strcmp(part->name, "task_id"))
        u->field = &u->task_id;
    else if (!strcmp(part->name, "sample"))
        u->field = &u->sample;
    else if (!strcmp(part->name, "target"))
        u->field = &u->target;
    else if (!strcmp(part->name, "rmse_threshold"))
        u->field = &u->rmse_threshold;
    else if (!strcmp(part->name, "ceremony"))
        u->field = &u->ceremony;
    for (int i = 0; i < 3; i++)
        if (!strcmp(part->name, VISIBILITY_FIELDS[i]))
            u->field = &u->visibility[i];
    if (u->field) {
        if (u->field->seen)
            return zkml_fail(err, ZKML_EINVAL, "field %s is given twice", part->name);
        u->field->seen = 1;
    }
    return ZKML_OK;
}

static int on_part_data(void *ctx, const uint8_t *data, size_t len, zkml_error *err)
{
    upload *u = ctx;
    if (u->file) {
        if (fwrite(data, 1, len, u->file->f) != len)
            return zkml_fail(err, ZKML_EIO, "writing the staged upload: %s", strerror(errno));
        u->file->size += len;
    } else if (u->field) {
        small_field *f = u->field;
        if (f->len + len > SMALL_FIELD_MAX) {
            f->overflow = 1;
            return ZKML_OK;
        }
        memcpy(f->value + f->len, data, len);
        f->len += len;
        f->value[f->len] = '\0';
    }
    return ZKML_OK;
}

/* Flushes a staged file to disk before it may become a version's artifact. */
static int stage_close(staged_file *sf, zkml_error *err)
{
    if (!sf->f)
        return ZKML_OK;
    int bad = fflush(sf->f) != 0 || fsync(fileno(sf->f)) != 0;
    bad |= fclose(sf->f) != 0;
    sf->f = NULL;
    if (bad)
        return zkml_fail(err, ZKML_EIO, "writing the staged upload: %s", strerror(errno));
    return ZKML_OK;
}

static int on_part_end(void *ctx, zkml_error *err)
{
    upload *u = ctx;
    int rc = u->file ? stage_close(u->file, err) : ZKML_OK;
    u->file = NULL;
    u->field = NULL;
    return rc;
}

static void upload_cleanup(upload *u)
{
    staged_file *files[] = {&u->model, &u->data};
    for (int i = 0; i < 2; i++) {
        if (files[i]->f)
            fclose(files[i]->f);
        files[i]->f = NULL;
        if (files[i]->path[0])
            unlink(files[i]->path);
        files[i]->path[0] = '\0';
    }
    if (u->settings_path[0])
        unlink(u->settings_path);
    u->settings_path[0] = '\0';
}

/* ---- reading the body --------------------------------------------------------- */

static int feed_parser(void *ctx, const uint8_t *data, size_t len, zkml_error *err)
{
    return multipart_feed(ctx, data, len, err);
}

/* Streams the body through the parser. Returns 0, or the HTTP status of the
 * failure with err set (400 malformed, 408 too slow, 413 too large, 500 disk). */
static int read_body(const http_request *rq, upload *u, zkml_error *err)
{
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    if (multipart_boundary(mg_get_header(rq->conn, "Content-Type"), boundary, err))
        return 400;
    static const multipart_callbacks cb = {on_part_begin, on_part_data, on_part_end};
    multipart_parser *p;
    if (multipart_new(boundary, &cb, u, &p, err))
        return 400;
    body_limit limit = {rq->srv->cfg.max_upload, "the upload", ""};
    snprintf(limit.limit_text, sizeof limit.limit_text, "%llu MiB (ZKML_MAX_UPLOAD_MB)",
             (unsigned long long)(rq->srv->cfg.max_upload >> 20));
    int status = body_stream(rq, &limit, feed_parser, p, err);
    if (!status && multipart_finish(p, err))
        status = 400;
    multipart_free(p);
    return status;
}

/* ---- validation ------------------------------------------------------------------ */

static int check_task_id(const upload *u, zkml_error *err)
{
    const small_field *t = &u->task_id;
    if (!t->seen || (t->len == 0 && !t->overflow))
        return zkml_fail(err, ZKML_EINVAL, "task_id is required");
    /* An overflowing field keeps only its first bytes and an embedded NUL would
     * hide the rest: both fail the pattern, with its one message. */
    int cut = t->overflow || strlen(t->value) != t->len;
    return zkml_task_id_check(cut ? "" : t->value, err);
}

static const char *display_name(const staged_file *sf, const char *fallback)
{
    return sf->filename[0] ? sf->filename : fallback;
}

/* sample: a row number; target: resources | accuracy. Whether the sample is a
 * row of the CSV is the check child's question. */
static int check_options(const upload *u, int *sample, zkml_error *err)
{
    *sample = 0;
    if (!u->model.seen || u->model.size == 0)
        return zkml_fail(err, ZKML_EINVAL, "model (ONNX) file is required");
    if (u->data.seen && u->data.size == 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: the data CSV is empty",
                         display_name(&u->data, zkml_artifact_name(ZKML_A_DATA)));
    if (u->sample.seen && u->sample.len > 0) {
        char *end;
        long v = strtol(u->sample.value, &end, 10);
        if (u->sample.overflow || end == u->sample.value || *end || v < 0 || v > 1000000000)
            return zkml_fail(err, ZKML_EINVAL, "sample must be a row number >= 0 (got '%s')",
                             u->sample.value);
        *sample = (int)v;
    }
    if (u->target.seen && u->target.len > 0 && strcmp(u->target.value, "resources") &&
        strcmp(u->target.value, "accuracy"))
        return zkml_fail(err, ZKML_EINVAL, "target must be resources or accuracy");
    const small_field *c = &u->ceremony;
    if (c->overflow || strlen(c->value) != c->len ||
        (c->len > 0 && strcmp(c->value, "open") && strcmp(c->value, "none")))
        return zkml_fail(err, ZKML_EINVAL,
                         "ceremony must be open (contributions over HTTP before the proof) or "
                         "none (the default)");
    if (u->rmse_threshold.overflow || strlen(u->rmse_threshold.value) != u->rmse_threshold.len)
        return zkml_fail(err, ZKML_EINVAL,
                         "rmse_threshold: expected a positive finite number "
                         "(the field is too long or holds a NUL byte)");
    return ZKML_OK;
}

/* Runs `zkml-registry check` on the staged files: the model and the CSV are
 * parsed in that child under the job memory limit, never in this process,
 * so the server's memory does not grow with the upload's size. */
static int check_in_child(const server_ctx *srv, const upload *u, int sample, zkml_error *err)
{
    char sample_s[24], memory_s[24], cpu_s[24];
    snprintf(sample_s, sizeof sample_s, "%d", sample);
    snprintf(memory_s, sizeof memory_s, "%lld", (long long)srv->job_memory_mb);
    snprintf(cpu_s, sizeof cpu_s, "%lld", (long long)srv->check_timeout_s);
    const char *argv[18] = {"zkml-registry",
                            "check",
                            u->model.path,
                            "--name",
                            display_name(&u->model, "model"),
                            "--sample",
                            sample_s,
                            "--memory-mb",
                            memory_s,
                            "--cpu-s",
                            cpu_s};
    int n = 11;
    if (u->data.seen) {
        argv[n++] = "--data";
        argv[n++] = u->data.path;
        argv[n++] = "--data-name";
        argv[n++] = display_name(&u->data, zkml_artifact_name(ZKML_A_DATA));
    }
    if (u->rmse_threshold.len) {
        argv[n++] = "--rmse-threshold";
        argv[n++] = u->rmse_threshold.value;
    }
    argv[n] = NULL;
    char msg[sizeof err->message] = "";
    int status, late;
    if (spawn_self(srv, argv, srv->check_timeout_s, msg, sizeof msg, &status, &late, err))
        return zkml_error_prefix(err, "checking the upload");
    msg[strcspn(msg, "\n")] = '\0';
    if (late || (WIFSIGNALED(status) && WTERMSIG(status) == SIGXCPU))
        return zkml_fail(err, ZKML_EINVAL, "checking the upload ran over its time limit of %lld s",
                         (long long)srv->check_timeout_s);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return ZKML_OK;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 1)
        return zkml_fail(err, ZKML_EINVAL, "%s", msg);
    if (WIFSIGNALED(status) || WEXITSTATUS(status) == 3)
        return zkml_fail(err, ZKML_EINVAL,
                         "checking the upload needs more memory than the job "
                         "limit (ZKML_JOB_MEMORY_MB)%s%s",
                         msg[0] ? ": " : "", msg);
    return zkml_fail(err, ZKML_EINTERNAL, "checking the upload: %s", msg);
}

/* The visibility fields and rmse_threshold given, as a settings.json
 * (defaults for the rest) in the staging area; none given: no file, and the
 * defaults apply. */
static int stage_settings(upload *u, zkml_error *err)
{
    quant_settings s;
    quant_settings_default(&s);
    quant_visibility *dst[3] = {&s.input_visibility, &s.output_visibility, &s.param_visibility};
    int any = 0;
    for (int i = 0; i < 3; i++) {
        const small_field *f = &u->visibility[i];
        if (!f->seen || f->len == 0)
            continue;
        any = 1;
        if (f->overflow)
            return zkml_fail(err, ZKML_EINVAL, "%s is too long", VISIBILITY_FIELDS[i]);
        if (quant_visibility_parse(VISIBILITY_FIELDS[i], f->value, dst[i], err))
            return err->code;
    }
    if (u->rmse_threshold.len) {
        any = 1;
        if (quant_rmse_threshold_parse(u->rmse_threshold.value, &s.rmse_threshold, err))
            return err->code;
    }
    if (!any)
        return ZKML_OK;
    int fd = -1;
    if (staging_file(u, "upload-settings-XXXXXX", u->settings_path, &fd, err))
        return err->code;
    close(fd);
    return quant_settings_write(u->settings_path, &s, err);
}

static void hex_encode(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15];
    }
    out[2 * n] = '\0';
}

/* Validates the staged upload and creates the version. Returns 0 or a status. */
static int create_version(const http_request *rq, upload *u, store_version_ref *ref,
                          zkml_error *err)
{
    int sample;
    if (check_task_id(u, err) || check_options(u, &sample, err) ||
        check_in_child(rq->srv, u, sample, err) || stage_settings(u, err))
        return err->code == ZKML_EINVAL ? 400 : 500;
    uint8_t digest[32];
    char hash[65];
    if (zkml_sha256_file(u->model.path, digest, err))
        return 500;
    hex_encode(digest, 32, hash);
    store_upload su = {
        .model_path = u->model.path,
        .data_path = u->data.seen ? u->data.path : NULL,
        .settings_path = u->settings_path[0] ? u->settings_path : NULL,
        .sample = sample,
        .target = u->target.len ? u->target.value : NULL,
        .ceremony_open = !strcmp(u->ceremony.value, "open"),
    };
    const char *steps[PIPELINE_MAX_STEPS];
    su.nsteps = pipeline_step_names(steps, PIPELINE_MAX_STEPS);
    su.steps = steps;
    registry_store *s;
    if (http_store(rq, &s, err) || store_create_version(s, u->task_id.value, hash, &su, ref, err))
        return err->code == ZKML_EINVAL ? 400 : 500;
    /* The store moved or deleted the staged files: forget their names. */
    u->model.path[0] = u->data.path[0] = u->settings_path[0] = '\0';
    return 0;
}

/* ---- answers ---------------------------------------------------------------------- */

static int send_json_answer(const http_request *rq, const store_version_ref *ref)
{
    char status_url[160];
    snprintf(status_url, sizeof status_url, "/models/%s/status?version=%d", ref->task_id,
             ref->version);
    cJSON *o = cJSON_CreateObject();
    char *json = NULL;
    if (o && cJSON_AddStringToObject(o, "task_id", ref->task_id) &&
        cJSON_AddNumberToObject(o, "version", ref->version) &&
        cJSON_AddNumberToObject(o, "job_id", (double)ref->job_id) &&
        cJSON_AddStringToObject(o, "model_hash", ref->model_hash) &&
        cJSON_AddStringToObject(o, "model_cid", ref->model_cid) &&
        cJSON_AddStringToObject(o, "status_url", status_url) &&
        cJSON_AddBoolToObject(o, "existed", ref->existed))
        json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!json)
        return http_send_error(rq, 500, "internal", "out of memory");
    int status = http_send_json(rq, ref->existed ? 200 : 202, json);
    cJSON_free(json);
    return status;
}

static int send_html_page(const http_request *rq, int status, const char *title,
                          const char *body_html)
{
    static const char head[] =
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
        "<link rel=\"stylesheet\" href=\"/style.css\"><title>";
    size_t cap = sizeof head + strlen(title) + strlen(body_html) + 256;
    char *page = malloc(cap);
    if (!page)
        return http_send_error(rq, 500, "internal", "out of memory");
    int n = snprintf(page, cap,
                     "%s%s</title></head><body><main><h1>%s</h1>%s"
                     "<p><a href=\"/\">Upload another model</a></p></main></body></html>",
                     head, title, title, body_html);
    http_send(rq, status, "text/html; charset=utf-8", page, (size_t)n);
    free(page);
    return status;
}

static int send_html_answer(const http_request *rq, const store_version_ref *ref)
{
    char body[2048];
    const char *t = ref->task_id; /* a valid task id needs no escaping */
    snprintf(body, sizeof body,
             "<p>%s <strong>%s</strong> version <strong>%d</strong> (job %lld).</p>"
             "<p class=\"hash\">model SHA-256 <code>%s</code></p>"
             "<p class=\"hash\">model IPFS CID <code>%s</code></p><ul>"
             "<li><a href=\"/jobs/%s/%d\">Follow its progress</a></li>"
             "<li><a href=\"/models/%s/status?version=%d\">Status (JSON)</a></li>"
             "<li><a href=\"/models/%s/artifacts?version=%d\">Artifacts (JSON)</a></li></ul>",
             ref->existed ? "These model bytes are already" : "Queued", t, ref->version,
             (long long)ref->job_id, ref->model_hash, ref->model_cid, t, ref->version, t,
             ref->version, t, ref->version);
    return send_html_page(rq, ref->existed ? 200 : 202,
                          ref->existed ? "Model already registered" : "Upload accepted", body);
}

static int send_failure(const http_request *rq, int status, const zkml_error *err)
{
    const char *code = status == 413   ? "too_large"
                       : status == 408 ? "too_slow"
                                       : zkml_error_code_name(err->code);
    if (http_wants_html(rq)) {
        char escaped[2048], body[2200];
        http_html_escape(err->message, escaped, sizeof escaped);
        snprintf(body, sizeof body, "<p class=\"error\">%s</p>", escaped);
        return send_html_page(rq, status, "Upload refused", body);
    }
    return http_send_error(rq, status, code, "%s", err->message);
}

int upload_handle(const http_request *rq)
{
    /* CivetWeb threads have small stacks: the upload state lives on the heap. */
    upload *u = calloc(1, sizeof *u);
    if (!u)
        return http_send_error(rq, 500, "internal", "out of memory");
    u->staging_dir = rq->srv->staging_dir;
    zkml_error err = {0};
    store_version_ref ref;
    int status = read_body(rq, u, &err);
    if (!status)
        status = create_version(rq, u, &ref, &err);
    upload_cleanup(u);
    free(u);
    if (status) {
        body_refuse(rq);
        return send_failure(rq, status, &err);
    }
    return http_wants_html(rq) ? send_html_answer(rq, &ref) : send_json_answer(rq, &ref);
}
