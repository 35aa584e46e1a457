/*
 * server_limits.c - start-up rules, the bearer token, and load:
 *   - serve --help lists every setting; an unknown flag exits 2;
 *   - off loopback without ZKML_API_TOKEN the server refuses to start;
 *   - with a token, POST needs it (401 otherwise) and GET does not; private
 *     artifacts need it too (401 without or with a wrong one, 200 with it),
 *     public ones do not, and a private one carries no CORS header;
 *   - 20 concurrent uploads to 20 tasks all land, and 6 concurrent uploads
 *     of the same bytes to one task make exactly one version.
 *
 * usage: server_limits ZKML_REGISTRY MODEL.onnx
 */
#include "harness.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static const char *bin, *model_path;
static test_server srv;

static void test_start_rules(void)
{
    char err[4096];
    const char *help[] = {"--help", NULL};
    int rc = test_server_run_to_exit(bin, help, NULL, err, sizeof err);
    CHECK(rc == 0, "serve --help exits %d", rc);
    const char *bogus[] = {"--bogus", NULL};
    rc = test_server_run_to_exit(bin, bogus, NULL, err, sizeof err);
    CHECK(rc == 2 && strstr(err, "--bogus"), "unknown flag: %d %s", rc, err);

    char dir[PATH_MAX];
    test_tmpdir(dir, sizeof dir, "server");
    const char *open_addr[] = {"--listen", "0.0.0.0:0", "--data-dir", dir, NULL};
    const char *no_token[] = {"ZKML_API_TOKEN=", NULL};
    rc = test_server_run_to_exit(bin, open_addr, no_token, err, sizeof err);
    CHECK(rc == 2 && strstr(err, "ZKML_API_TOKEN"), "non-loopback without a token: %d %s", rc, err);
    const char *bad_limit[] = {"ZKML_MAX_UPLOAD_MB=lots", NULL};
    const char *loop[] = {"--listen", "127.0.0.1:0", "--data-dir", dir, NULL};
    rc = test_server_run_to_exit(bin, loop, bad_limit, err, sizeof err);
    CHECK(rc == 2 && strstr(err, "ZKML_MAX_UPLOAD_MB"), "bad ZKML_MAX_UPLOAD_MB: %d %s", rc, err);
    test_rm_rf(dir);
}

/* GET of one artifact of tok v1 with the given headers: its status. */
static long get_artifact(const char *name, const char *const *headers, http_response *r)
{
    char u[256];
    snprintf(u, sizeof u, "%s/models/tok/artifacts/%s?version=1", srv.base, name);
    http_do("GET", u, headers, NULL, 0, r);
    return r->status;
}

static void test_private_artifacts(void)
{
    http_response r;
    CHECK(wait_for_job(&srv, "tok", 1, 240, &r) == 0 && strstr(r.body, "\"done\""),
          "job tok v1: %s", r.body);
    http_response_free(&r);
    const char *right[] = {"Authorization: Bearer s3cret", NULL};
    const char *wrong[] = {"Authorization: Bearer s3cre", NULL};
    const char *from_site[] = {"Origin: http://evil.example", "Authorization: Bearer s3cret", NULL};
    const char *private_names[] = {"model.onnx",  "network.r1cs", "circuit.json", "circuit.zkey",
                                   "proving.key", "input.json",   "witness.wtns", NULL};
    for (int i = 0; private_names[i]; i++) {
        const char *n = private_names[i];
        CHECK(get_artifact(n, NULL, &r) == 401 && strstr(r.body, "private"),
              "%s without the token: %ld %s", n, r.status, r.body);
        http_response_free(&r);
        CHECK(get_artifact(n, wrong, &r) == 401, "%s with a wrong token: %ld", n, r.status);
        http_response_free(&r);
        CHECK(get_artifact(n, right, &r) == 200 && r.len > 0, "%s with the token: %ld", n,
              r.status);
        http_response_free(&r);
        char acao[64] = "";
        get_artifact(n, from_site, &r);
        CHECK(r.status == 200 &&
                  http_header(&r, "Access-Control-Allow-Origin", acao, sizeof acao) != 0,
              "%s to another site's page: %ld, Access-Control-Allow-Origin '%s'", n, r.status,
              acao);
        http_response_free(&r);
    }
    const char *public_names[] = {"settings.json",
                                  "calibration.json",
                                  "verification_key.json",
                                  "proof.json",
                                  "public.json",
                                  "verify.json",
                                  "output.json",
                                  "Verifier.sol",
                                  "calldata.json",
                                  "ceremony.json",
                                  NULL};
    for (int i = 0; public_names[i]; i++) {
        CHECK(get_artifact(public_names[i], NULL, &r) == 200 && r.len > 0,
              "%s without the token: %ld %s", public_names[i], r.status, r.body);
        http_response_free(&r);
    }
    /* The listing says which is which. */
    char u[256];
    snprintf(u, sizeof u, "%s/models/tok/artifacts?version=1", srv.base);
    http_do("GET", u, NULL, NULL, 0, &r);
    cJSON *root = cJSON_Parse(r.body), *list = cJSON_GetObjectItem(root, "artifacts");
    int seen = 0;
    for (cJSON *a = list ? list->child : NULL; a; a = a->next) {
        const char *name = cJSON_GetStringValue(cJSON_GetObjectItem(a, "name"));
        const char *vis = cJSON_GetStringValue(cJSON_GetObjectItem(a, "visibility"));
        int priv = 0;
        for (int i = 0; private_names[i]; i++)
            priv |= name && !strcmp(name, private_names[i]);
        CHECK(vis && !strcmp(vis, priv ? "private" : "public"), "%s listed as %s", name, vis);
        seen++;
    }
    CHECK(seen >= 15, "%d artifacts listed: %s", seen, r.body);
    cJSON_Delete(root);
    http_response_free(&r);
}

static void test_token(void)
{
    char u[256];
    snprintf(u, sizeof u, "%s/models", srv.base);
    form_field f[] = {{"task_id", "tok", NULL, NULL}, {"model", NULL, model_path, "m.onnx"}};
    http_response r;
    http_post_form(u, f, 2, NULL, &r);
    char v[128] = "";
    http_header(&r, "WWW-Authenticate", v, sizeof v);
    CHECK(r.status == 401 && strstr(r.body, "Bearer") && !strcmp(v, "Bearer"),
          "POST without a token: %ld %s", r.status, r.body);
    http_response_free(&r);
    const char *wrong[] = {"Authorization: Bearer s3cret-but-wrong", NULL};
    http_post_form(u, f, 2, wrong, &r);
    CHECK(r.status == 401 && strstr(r.body, "unauthorized"), "wrong token: %ld %s", r.status,
          r.body);
    http_response_free(&r);
    const char *right[] = {"Authorization: Bearer s3cret", NULL};
    http_post_form(u, f, 2, right, &r);
    CHECK(r.status == 202, "right token: %ld %s", r.status, r.body);
    http_response_free(&r);
    http_do("GET", u, NULL, NULL, 0, &r);
    CHECK(r.status == 200, "GET needs no token: %ld", r.status);
    http_response_free(&r);
    /* GET /config tells the web app a token is needed, and never what it is. */
    snprintf(u, sizeof u, "%s/config", srv.base);
    http_do("GET", u, NULL, NULL, 0, &r);
    CHECK(r.status == 200 && strstr(r.body, "\"token_required\":true") && !strstr(r.body, "s3cret"),
          "GET /config with a token: %ld %s", r.status, r.body);
    http_response_free(&r);
    test_private_artifacts();
}

typedef struct uploader {
    char task[32];
    long status;
    int version;
} uploader;

static void *upload_thread(void *arg)
{
    uploader *up = arg;
    char u[256], v[32] = "";
    snprintf(u, sizeof u, "%s/models", srv.base);
    form_field f[] = {{"task_id", up->task, NULL, NULL}, {"model", NULL, model_path, "m.onnx"}};
    const char *auth[] = {"Authorization: Bearer s3cret", NULL};
    http_response r;
    if (http_post_form(u, f, 2, auth, &r) == 0) {
        up->status = r.status;
        json_field(r.body, "version", v, sizeof v);
        up->version = atoi(v);
    }
    http_response_free(&r);
    return NULL;
}

static void test_concurrent_uploads(void)
{
    enum { DISTINCT = 20, SAME = 6 };
    uploader up[DISTINCT + SAME];
    pthread_t th[DISTINCT + SAME];
    memset(up, 0, sizeof up);
    for (int i = 0; i < DISTINCT + SAME; i++) {
        snprintf(up[i].task, sizeof up[i].task, i < DISTINCT ? "load-%02d" : "same", i);
        pthread_create(&th[i], NULL, upload_thread, &up[i]);
    }
    int created_same = 0;
    for (int i = 0; i < DISTINCT + SAME; i++) {
        pthread_join(th[i], NULL);
        if (i < DISTINCT)
            CHECK(up[i].status == 202 && up[i].version == 1, "%s: %ld v%d", up[i].task,
                  up[i].status, up[i].version);
        else {
            CHECK((up[i].status == 202 || up[i].status == 200) && up[i].version == 1,
                  "same bytes: %ld v%d", up[i].status, up[i].version);
            created_same += up[i].status == 202;
        }
    }
    CHECK(created_same == 1, "same bytes, %d concurrent uploads created %d versions", SAME,
          created_same);

    char u[256];
    snprintf(u, sizeof u, "%s/models", srv.base);
    http_response r;
    http_do("GET", u, NULL, NULL, 0, &r);
    cJSON *root = cJSON_Parse(r.body);
    int n = cJSON_GetArraySize(cJSON_GetObjectItem(root, "tasks"));
    CHECK(n == DISTINCT + 2, "GET /models lists %d tasks, expected %d", n, DISTINCT + 2);
    cJSON_Delete(root);
    http_response_free(&r);
    snprintf(u, sizeof u, "%s/models/same", srv.base);
    http_do("GET", u, NULL, NULL, 0, &r);
    root = cJSON_Parse(r.body);
    n = cJSON_GetArraySize(cJSON_GetObjectItem(root, "versions"));
    CHECK(n == 1, "task 'same' has %d versions: %s", n, r.body);
    cJSON_Delete(root);
    http_response_free(&r);
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: %s ZKML_REGISTRY MODEL.onnx\n", argv[0]);
        return 2;
    }
    bin = argv[1];
    model_path = argv[2];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    test_start_rules();
    char dir[PATH_MAX];
    test_tmpdir(dir, sizeof dir, "server");
    const char *env[] = {"ZKML_API_TOKEN=s3cret", "ZKML_CHAIN=none", NULL};
    if (test_server_start(&srv, bin, dir, env, NULL) == 0) {
        test_token();
        test_concurrent_uploads();
        CHECK(test_server_stop(&srv) == 0, "graceful stop exits 0");
    } else {
        CHECK(0, "server did not start");
    }
    test_rm_rf(dir);
    curl_global_cleanup();
    return check_exit("server_limits");
}
