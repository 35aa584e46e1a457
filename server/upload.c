/*
 * upload.c - POST /models: streams a multipart upload to files in the data
 * dir's staging area, validates it, and turns it into a version and a queued
 * job (store_create_version renames the files into the version dir).
 *
 * Fields: task_id, model (or file: the ONNX bytes), optional data (CSV),
 * sample (CSV row to prove, 0-based), target (resources | accuracy). Other
 * fields are read and ignored. Checks come in zkMLTrack's order: task_id,
 * then the model, then the model's and the CSV's contents.
 *
 * Answers: 202 {task_id, version, job_id, model_hash, status_url, existed:false}
 * for a new version; 200 with the same fields and existed:true when the task
 * already has a version with these model bytes (nothing new is queued).
 * A client that asks for text/html (the upload form without JavaScript) gets
 * the same answer as a small HTML page linking to the status and artifacts.
 */
#include "server/server.h"
#include "server/multipart.h"
#include "pipeline/onnx/onnx.h"
#include "pipeline/quant/quant.h"
#include "pipeline/pipeline.h"

#include <civetweb.h>
#include <cjson/cJSON.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { SMALL_FIELD_MAX = 128, READ_CHUNK = 65536 };

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
    small_field task_id, sample, target;
    staged_file model, data;
    /* The part being read: one of the above, or neither (an ignored field). */
    small_field *field;
    staged_file *file;
} upload;

/* ---- multipart callbacks --------------------------------------------------- */

static int stage_open(upload *u, staged_file *sf, const multipart_part *part,
                      const char *what, zkml_error *err)
{
    if (sf->seen)
        return zkml_fail(err, ZKML_EINVAL, "%s is given twice", what);
    sf->seen = 1;
    snprintf(sf->filename, sizeof sf->filename, "%s", part->filename);
    if (zkml_path_join(sf->path, sizeof sf->path, u->staging_dir, "upload-XXXXXX", err))
        return err->code;
    int fd = mkostemp(sf->path, O_CLOEXEC);
    if (fd < 0) {
        sf->path[0] = '\0';
        return zkml_fail(err, ZKML_EIO, "cannot create a staging file in %s: %s",
                         u->staging_dir, strerror(errno));
    }
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
}

/* ---- reading the body --------------------------------------------------------- */

/* Streams the body through the parser. Returns 0, or the HTTP status of the
 * failure with err set (400 malformed, 413 too large, 500 disk). */
static int read_body(const http_request *rq, upload *u, zkml_error *err)
{
    const struct mg_request_info *ri = mg_get_request_info(rq->conn);
    uint64_t max = rq->srv->cfg.max_upload;
    if (ri->content_length > 0 && (uint64_t)ri->content_length > max) {
        zkml_fail(err, ZKML_EINVAL, "upload of %lld bytes is above the limit of %llu MiB "
                  "(ZKML_MAX_UPLOAD_MB)", ri->content_length, (unsigned long long)(max >> 20));
        return 413;
    }
    char boundary[MULTIPART_BOUNDARY_MAX + 1];
    if (multipart_boundary(mg_get_header(rq->conn, "Content-Type"), boundary, err))
        return 400;
    static const multipart_callbacks cb = {on_part_begin, on_part_data, on_part_end};
    multipart_parser *p;
    if (multipart_new(boundary, &cb, u, &p, err))
        return 400;
    uint8_t *buf = malloc(READ_CHUNK);
    int status = 0;
    if (!buf) {
        zkml_fail(err, ZKML_ENOMEM, "upload: out of memory");
        status = 500;
    }
    uint64_t total = 0;
    while (!status) {
        int n = mg_read(rq->conn, buf, READ_CHUNK);
        if (n == 0)
            break;
        if (n < 0) {
            zkml_fail(err, ZKML_EINVAL, "the upload was interrupted");
            status = 400;
        } else if ((total += (uint64_t)n) > max) {
            zkml_fail(err, ZKML_EINVAL, "upload is above the limit of %llu MiB "
                      "(ZKML_MAX_UPLOAD_MB)", (unsigned long long)(max >> 20));
            status = 413;
        } else if (multipart_feed(p, buf, (size_t)n, err)) {
            status = err->code == ZKML_EINVAL ? 400 : 500;
        }
    }
    if (!status && multipart_finish(p, err))
        status = 400;
    free(buf);
    multipart_free(p);
    return status;
}

/* ---- validation ------------------------------------------------------------------ */

static int check_task_id(const upload *u, zkml_error *err)
{
    if (!u->task_id.seen || u->task_id.len == 0)
        return zkml_fail(err, ZKML_EINVAL, "task_id is required");
    if (u->task_id.overflow || strlen(u->task_id.value) != u->task_id.len)
        return zkml_fail(err, ZKML_EINVAL, "task_id must match [A-Za-z0-9_-]{1,64}");
    return zkml_task_id_check(u->task_id.value, err);
}

static const char *display_name(const staged_file *sf, const char *fallback)
{
    return sf->filename[0] ? sf->filename : fallback;
}

static int check_model(const upload *u, uint64_t max, zkml_error *err)
{
    if (!u->model.seen || u->model.size == 0)
        return zkml_fail(err, ZKML_EINVAL, "model (ONNX) file is required");
    uint8_t *bytes;
    size_t len;
    if (zkml_read_file(u->model.path, (size_t)max, &bytes, &len, err))
        return err->code;
    onnx_model *m = NULL;
    int rc = onnx_load_bytes(bytes, len, &m, err);
    free(bytes);
    onnx_free(m);
    if (rc)
        return zkml_error_prefix(err, "%s", display_name(&u->model, "model"));
    return ZKML_OK;
}

/* The CSV parses (header, numeric features, even rows, at least one row);
 * *rows receives its row count. Messages name the upload and the line. */
static int check_data(const upload *u, uint64_t max, size_t *rows, zkml_error *err)
{
    *rows = 0;
    if (!u->data.seen)
        return ZKML_OK;
    const char *name = display_name(&u->data, "data.csv");
    if (u->data.size == 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: the data CSV is empty", name);
    uint8_t *bytes;
    size_t len;
    if (zkml_read_file(u->data.path, (size_t)max, &bytes, &len, err))
        return err->code;
    csv_table *t = NULL;
    int rc = csv_read_bytes((const char *)bytes, len, name, &t, err);
    free(bytes);
    if (!rc)
        *rows = t->rows;
    csv_free(t);
    return rc;
}

/* sample: a row of the CSV; target: resources | accuracy. */
static int check_options(const upload *u, size_t rows, int *sample, zkml_error *err)
{
    *sample = 0;
    if (u->sample.seen && u->sample.len > 0) {
        char *end;
        long v = strtol(u->sample.value, &end, 10);
        if (u->sample.overflow || end == u->sample.value || *end || v < 0 || v > 1000000000)
            return zkml_fail(err, ZKML_EINVAL, "sample must be a row number >= 0 (got '%s')",
                             u->sample.value);
        *sample = (int)v;
        if (u->data.seen && (size_t)v >= rows)
            return zkml_fail(err, ZKML_EINVAL, "sample %ld is not a row of the data CSV "
                             "(it has %zu rows, numbered from 0)", v, rows);
    }
    if (u->target.seen && u->target.len > 0 && strcmp(u->target.value, "resources") &&
        strcmp(u->target.value, "accuracy"))
        return zkml_fail(err, ZKML_EINVAL, "target must be resources or accuracy");
    return ZKML_OK;
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
    size_t rows;
    uint64_t max = rq->srv->cfg.max_upload;
    if (check_task_id(u, err) || check_model(u, max, err) || check_data(u, max, &rows, err) ||
        check_options(u, rows, &sample, err))
        return err->code == ZKML_EINVAL ? 400 : 500;
    uint8_t digest[32];
    char hash[65];
    if (zkml_sha256_file(u->model.path, digest, err))
        return 500;
    hex_encode(digest, 32, hash);
    store_upload su = {
        .model_path = u->model.path,
        .data_path = u->data.seen ? u->data.path : NULL,
        .sample = sample,
        .target = u->target.len ? u->target.value : NULL,
    };
    su.steps = pipeline_step_names(&su.nsteps);
    registry_store *s;
    if (http_store(rq, &s, err) || store_create_version(s, u->task_id.value, hash, &su, ref, err))
        return err->code == ZKML_EINVAL ? 400 : 500;
    /* The store moved or deleted the staged files: forget their names. */
    u->model.path[0] = u->data.path[0] = '\0';
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
    int n = snprintf(page, cap, "%s%s</title></head><body><main><h1>%s</h1>%s"
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
             "<p class=\"hash\">model SHA-256 <code>%s</code></p><ul>"
             "<li><a href=\"/?task_id=%s&amp;version=%d\">Follow its progress</a></li>"
             "<li><a href=\"/models/%s/status?version=%d\">Status (JSON)</a></li>"
             "<li><a href=\"/models/%s/artifacts?version=%d\">Artifacts (JSON)</a></li></ul>",
             ref->existed ? "These model bytes are already" : "Queued", t, ref->version,
             (long long)ref->job_id, ref->model_hash, t, ref->version, t, ref->version, t,
             ref->version);
    return send_html_page(rq, ref->existed ? 200 : 202,
                          ref->existed ? "Model already registered" : "Upload accepted", body);
}

static int send_failure(const http_request *rq, int status, const zkml_error *err)
{
    const char *code = status == 413 ? "too_large" : zkml_error_code_name(err->code);
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
        /* The rest of a refused body is not read: do not reuse the connection. */
        mg_disable_connection_keep_alive(rq->conn);
        return send_failure(rq, status, &err);
    }
    return http_wants_html(rq) ? send_html_answer(rq, &ref) : send_json_answer(rq, &ref);
}
