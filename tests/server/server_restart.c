/*
 * server_restart.c - a server stopped and started again on the same data dir
 * still has every task, version, status and artifact (byte for byte).
 *
 * usage: server_restart ZKML_REGISTRY MODEL.onnx OTHER.onnx
 */
#include "harness.h"

#include <curl/curl.h>

#include <stdlib.h>
#include <string.h>

typedef struct snapshot {
    char models[8192];
    char status[8192];
    char artifacts[8192];
    char *model;
    size_t model_len;
} snapshot;

static void get_body(const test_server *s, const char *path, char *out, size_t outlen, char **raw,
                     size_t *raw_len)
{
    char u[512];
    snprintf(u, sizeof u, "%s%s", s->base, path);
    http_response r;
    http_do("GET", u, NULL, NULL, 0, &r);
    CHECK(r.status == 200, "GET %s: %ld %s", path, r.status, r.body);
    if (out)
        snprintf(out, outlen, "%s", r.body ? r.body : "");
    if (raw) {
        *raw = r.body;
        *raw_len = r.len;
        r.body = NULL;
    }
    http_response_free(&r);
}

static void take(const test_server *s, snapshot *snap)
{
    get_body(s, "/models", snap->models, sizeof snap->models, NULL, NULL);
    get_body(s, "/models/kept/status?version=2", snap->status, sizeof snap->status, NULL, NULL);
    get_body(s, "/models/kept/artifacts?version=2", snap->artifacts, sizeof snap->artifacts, NULL,
             NULL);
    get_body(s, "/models/kept/artifacts/model.onnx?version=1", NULL, 0, &snap->model,
             &snap->model_len);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s ZKML_REGISTRY MODEL.onnx OTHER.onnx\n", argv[0]);
        return 2;
    }
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char dir[PATH_MAX];
    test_tmpdir(dir, sizeof dir, "server");
    const char *env[] = {"ZKML_CHAIN=none", "ZKML_API_TOKEN=", NULL};
    test_server s;
    snapshot before = {0}, after = {0};
    if (test_server_start(&s, argv[1], dir, env, NULL)) {
        fprintf(stderr, "server did not start\n");
        return 1;
    }
    char u[256];
    snprintf(u, sizeof u, "%s/models", s.base);
    for (int i = 0; i < 2; i++) {
        form_field f[] = {{"task_id", "kept", NULL, NULL}, {"model", NULL, argv[2 + i], "m.onnx"}};
        http_response r;
        http_post_form(u, f, 2, NULL, &r);
        CHECK(r.status == 202, "upload %d: %ld %s", i, r.status, r.body);
        http_response_free(&r);
    }
    http_response r;
    CHECK(wait_for_job(&s, "kept", 2, 100, &r) == 0, "job ends: %s", r.body);
    http_response_free(&r);
    take(&s, &before);
    CHECK(test_server_stop(&s) == 0, "first server stops cleanly");

    if (test_server_start(&s, argv[1], dir, env, NULL) == 0) {
        take(&s, &after);
        CHECK(!strcmp(before.models, after.models), "tasks survive:\n%s\n%s", before.models,
              after.models);
        CHECK(!strcmp(before.status, after.status), "status survives:\n%s\n%s", before.status,
              after.status);
        CHECK(!strcmp(before.artifacts, after.artifacts), "artifacts survive:\n%s\n%s",
              before.artifacts, after.artifacts);
        CHECK(before.model_len > 0 && before.model_len == after.model_len &&
                  !memcmp(before.model, after.model, before.model_len),
              "model.onnx survives byte for byte");
        CHECK(test_server_stop(&s) == 0, "second server stops cleanly");
    } else {
        CHECK(0, "server did not restart");
    }
    free(before.model);
    free(after.model);
    test_rm_rf(dir);
    curl_global_cleanup();
    return check_exit("server_restart");
}
