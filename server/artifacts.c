/*
 * artifacts.c - GET /models/{task}/artifacts/{name}: streams one file of a
 * version's directory. The name must be in the store's fixed artifact list,
 * so a request can name no other file. A private artifact (the model, the
 * data, the keys, the witness: common.h's table) needs the API token, or,
 * when none is configured, a loopback client; it is sent without CORS
 * headers, so no other site's page can read it through a visitor's browser.
 * The ETag is the file's identity
 * (inode, size, modification time): artifacts are replaced by rename, never
 * rewritten in place, so a changed file always gets a new tag.
 */
#include "server/server.h"

#include <cJSON.h>
#include <civetweb.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* If-None-Match: a list of tags, or "*". */
static int etag_matches(const char *header, const char *etag)
{
    if (!header)
        return 0;
    if (!strcmp(header, "*"))
        return 1;
    size_t n = strlen(etag);
    for (const char *p = strstr(header, etag); p; p = strstr(p + 1, etag)) {
        char after = p[n];
        if (after == '\0' || after == ',' || after == ' ')
            return 1;
    }
    return 0;
}

static int send_file(const http_request *rq, int fd, const struct stat *st,
                     const zkml_artifact *kind, const char *etag)
{
    char length[32], disposition[300];
    snprintf(length, sizeof length, "%lld", (long long)st->st_size);
    snprintf(disposition, sizeof disposition, "inline; filename=\"%s\"", kind->name);
    mg_response_header_start(rq->conn, 200);
    mg_response_header_add(rq->conn, "Content-Type", kind->content_type, -1);
    mg_response_header_add(rq->conn, "Content-Length", length, -1);
    mg_response_header_add(rq->conn, "Content-Disposition", disposition, -1);
    mg_response_header_add(rq->conn, "ETag", etag, -1);
    mg_response_header_add(rq->conn, "Cache-Control", "no-cache", -1);
    mg_response_header_add(rq->conn, "X-Content-Type-Options", "nosniff", -1);
    if (kind->visibility == ZKML_PUBLIC)
        http_add_cors_headers(rq);
    mg_response_header_send(rq->conn);
    /* CivetWeb threads have small stacks: the copy buffer lives on the heap. */
    enum { COPY_CHUNK = 65536 };
    char *buf = rq->head ? NULL : malloc(COPY_CHUNK);
    off_t left = buf ? st->st_size : 0;
    while (left > 0) {
        ssize_t n = read(fd, buf, COPY_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0 || mg_write(rq->conn, buf, (size_t)n) <= 0)
            break; /* the length is sent: all we can do is close */
        left -= n;
    }
    free(buf);
    return 200;
}

int artifact_download(http_request *rq, const char *task_id, const char *name)
{
    const zkml_artifact *kind = zkml_artifact_find(name);
    if (!kind)
        return http_send_error(rq, 404, "not_found", "artifact not found: %s is not an artifact",
                               name);
    char what[96];
    snprintf(what, sizeof what, "%s is private", kind->name);
    int denied = kind->visibility == ZKML_PUBLIC ? 0 : access_check_private(rq, what);
    if (denied)
        return denied;
    int version = http_query_version(rq);
    if (version < 0)
        return 400;
    return artifact_send(rq, task_id, version, kind);
}

int artifact_send(http_request *rq, const char *task_id, int version, const zkml_artifact *kind)
{
    zkml_error err = {0};
    registry_store *s;
    char dir[PATH_MAX], path[PATH_MAX];
    if (http_store(rq, &s, &err) || store_resolve_version(s, task_id, version, &version, &err) ||
        store_version_dir(rq->srv->cfg.data_dir, task_id, version, dir, sizeof dir, &err) ||
        zkml_path_join(path, sizeof path, dir, kind->name, &err))
        return http_send_zkml_error(rq, &err);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return http_send_error(rq, 404, "not_found", "artifact not found: %s of %s v%d",
                               kind->name, task_id, version);
    }
    char etag[96];
    snprintf(etag, sizeof etag, "\"%llx-%llx-%llx.%lx\"", (unsigned long long)st.st_ino,
             (unsigned long long)st.st_size, (unsigned long long)st.st_mtim.tv_sec,
             (unsigned long)st.st_mtim.tv_nsec);
    int status;
    if (etag_matches(mg_get_header(rq->conn, "If-None-Match"), etag)) {
        mg_response_header_start(rq->conn, 304);
        mg_response_header_add(rq->conn, "ETag", etag, -1);
        if (kind->visibility == ZKML_PUBLIC)
            http_add_cors_headers(rq);
        mg_response_header_send(rq->conn);
        status = 304;
    } else {
        status = send_file(rq, fd, &st, kind, etag);
    }
    close(fd);
    return status;
}

/* The status with "prediction": what verify decoded from the proof
 * (verify.json, once the proof checked), or null before that. */
int artifact_status_json(const http_request *rq, const char *task_id, int version, char **json,
                         zkml_error *err)
{
    registry_store *s;
    char dir[PATH_MAX], path[PATH_MAX];
    uint8_t *data = NULL;
    size_t len;
    int rc =
        http_store(rq, &s, err) ? err->code : store_status_json(s, task_id, version, json, err);
    if (rc)
        return rc;
    cJSON *status = cJSON_Parse(*json), *verify = NULL;
    if (!store_resolve_version(s, task_id, version, &version, err) &&
        !store_version_dir(rq->srv->cfg.data_dir, task_id, version, dir, sizeof dir, err) &&
        !zkml_artifact_path(path, sizeof path, dir, ZKML_A_VERIFY, err) &&
        !zkml_read_file(path, 1 << 20, &data, &len, err))
        verify = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(verify, "valid"))) {
        cJSON_Delete(verify);
        verify = cJSON_CreateNull();
    }
    char *text = status && cJSON_AddItemToObject(status, "prediction", verify)
                     ? cJSON_PrintUnformatted(status)
                     : NULL;
    if (!status || !text)
        cJSON_Delete(verify);
    cJSON_Delete(status);
    if (!text)
        return zkml_fail(err, ZKML_ENOMEM, "status: out of memory");
    free(*json);
    *json = text;
    return 0;
}
