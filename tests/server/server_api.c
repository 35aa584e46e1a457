/*
 * server_api.c - the HTTP API of a real `zkml-registry serve` over libcurl:
 * every refused input with its status and message, the routes, downloads
 * with ETag/304, CORS, the HTML answer for forms, and an upload followed to
 * the end of its job.
 *
 * With the iris fixture (DATA.csv and EXPECTED.csv given) the job must finish,
 * and the proven prediction for row 0 must match numpy's float outputs
 * (EXPECTED.csv, written by tests/fixtures/make_fixtures.py) within 0.1.
 *
 * usage: server_api ZKML_REGISTRY MODEL.onnx OTHER_MODEL.onnx [DATA.csv EXPECTED.csv]
 */
#include "harness.h"
#include "common/common.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static test_server srv;
static const char *model_path, *other_model_path, *csv_path, *expected_path;

static void url(char *out, size_t outlen, const char *path)
{
    snprintf(out, outlen, "%s%s", srv.base, path);
}

/* status, and for JSON errors the code and a substring of the message. */
static void expect_error(const http_response *r, long status, const char *code,
                         const char *message_part, const char *what)
{
    char got_code[64] = "", message[1024] = "", type[128] = "";
    CHECK(r->status == status, "%s: status %ld, expected %ld (%s)", what, r->status, status,
          r->body);
    json_field(r->body, "code", got_code, sizeof got_code);
    json_field(r->body, "error", message, sizeof message);
    http_header(r, "Content-Type", type, sizeof type);
    CHECK(!strcmp(type, "application/json"), "%s: Content-Type %s", what, type);
    if (code)
        CHECK(!strcmp(got_code, code), "%s: code '%s', expected '%s'", what, got_code, code);
    CHECK(strstr(message, message_part) != NULL, "%s: error '%s' lacks '%s'", what, message,
          message_part);
}

static void get(const char *path, const char *const *headers, http_response *r)
{
    char u[1024];
    url(u, sizeof u, path);
    if (http_do("GET", u, headers, NULL, 0, r))
        CHECK(0, "GET %s failed", path);
}

static void post_form(const form_field *f, size_t n, const char *const *headers, http_response *r)
{
    char u[256];
    url(u, sizeof u, "/models");
    if (http_post_form(u, f, n, headers, r))
        CHECK(0, "POST /models failed");
}

static void test_routes(void)
{
    http_response r;
    char v[256];
    get("/healthz", NULL, &r);
    CHECK(r.status == 200 && strstr(r.body, "\"ok\""), "healthz: %ld %s", r.status, r.body);
    http_response_free(&r);

    get("/", NULL, &r);
    http_header(&r, "Content-Type", v, sizeof v);
    CHECK(r.status == 200 && strstr(v, "text/html") && strstr(r.body, "<form"), "GET /: %ld %s",
          r.status, v);
    CHECK(strstr(r.body, "enctype=\"multipart/form-data\"") != NULL, "the form posts multipart");
    http_response_free(&r);
    /* The web app: a file index.html loads, and index.html for the app's page
     * paths; a missing file of the app's own is a JSON 404, not HTML. */
    get("/", NULL, &r);
    const char *entry = strstr(r.body, "/_app/immutable/entry/start.");
    char script[128] = "";
    if (entry)
        sscanf(entry, "%127[^\"]", script);
    http_response_free(&r);
    CHECK(script[0] != '\0', "index.html names the app's entry script");
    get(script, NULL, &r);
    http_header(&r, "Content-Type", v, sizeof v);
    CHECK(r.status == 200 && strstr(v, "javascript"), "%s: %ld %s", script, r.status, v);
    http_response_free(&r);
    get("/tasks/iris", NULL, &r);
    http_header(&r, "Content-Type", v, sizeof v);
    CHECK(r.status == 200 && strstr(v, "text/html") && strstr(r.body, "/_app/immutable/entry/"),
          "a page path gets the app: %ld %s", r.status, v);
    http_response_free(&r);
    get("/_app/immutable/chunks/missing.js", NULL, &r);
    expect_error(&r, 404, "not_found", "no route", "missing app file");
    http_response_free(&r);
    get("/a/b/c/d/e/f/g", NULL, &r);
    expect_error(&r, 404, "not_found", "no route", "path deeper than any route");
    http_response_free(&r);

    /* The public limits, and never the token. */
    get("/config", NULL, &r);
    CHECK(r.status == 200 && strstr(r.body, "\"max_upload_bytes\":") &&
              strstr(r.body, "\"task_id_max\":64") && strstr(r.body, "\"targets\":[") &&
              strstr(r.body, "\"token_required\":"),
          "GET /config: %ld %s", r.status, r.body);
    http_response_free(&r);

    get("/models/iris/bogus", NULL, &r);
    expect_error(&r, 404, "not_found", "no route", "unknown task sub-route");
    http_response_free(&r);
    get("/models/nobody", NULL, &r);
    expect_error(&r, 404, "not_found", "", "unknown task");
    http_response_free(&r);
    get("/models/nobody/status", NULL, &r);
    expect_error(&r, 404, "not_found", "", "status of an unknown task");
    http_response_free(&r);

    char u[256];
    url(u, sizeof u, "/models");
    http_do("DELETE", u, NULL, NULL, 0, &r);
    expect_error(&r, 405, "method_not_allowed", "DELETE", "DELETE /models");
    CHECK(http_header(&r, "Allow", v, sizeof v) == 0 && strstr(v, "POST"), "405 has Allow: %s", v);
    http_response_free(&r);
    url(u, sizeof u, "/models/iris/status");
    http_do("POST", u, NULL, "x", 1, &r);
    expect_error(&r, 405, "method_not_allowed", "POST", "POST to a status route");
    http_response_free(&r);

    url(u, sizeof u, "/healthz");
    http_do("HEAD", u, NULL, NULL, 0, &r);
    CHECK(r.status == 200 && r.len == 0, "HEAD: %ld with %zu body bytes", r.status, r.len);
    http_response_free(&r);
}

/* rmse_threshold: a positive number, for a regression target only; the
 * accepted one reaches the version's settings.json. */
static void test_rmse_threshold(const char *csv_file)
{
    http_response r;
    FILE *f = fopen(csv_file, "w");
    if (!f)
        return;
    fputs("a,b,c,d,target\n1,2,3,4,0.25\n1,2,3,4,1.5\n", f);
    fclose(f);
    form_field fields[] = {{"task_id", "rmse", NULL, NULL},
                           {"model", NULL, model_path, "model.onnx"},
                           {"data", NULL, csv_path ? csv_path : csv_file, "bad.csv"},
                           {"rmse_threshold", "0.5", NULL, NULL}};
    if (csv_path) { /* iris: class labels */
        post_form(fields, 4, NULL, &r);
        expect_error(&r, 400, "invalid_input",
                     "rmse_threshold is for a regression target, but "
                     "this is a classification task",
                     "rmse_threshold on classes");
        http_response_free(&r);
    }
    post_form(fields, 2, NULL, &r);
    CHECK(r.status == 202, "no threshold given: %ld %s", r.status, r.body); /* control */
    http_response_free(&r);
    fields[2].file = csv_file;
    const char *bad[] = {"-1", "0", "nan", "inf", "1e999", "0.5x", ""};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        fields[3].value = bad[i];
        post_form(fields, 4, NULL, &r);
        if (bad[i][0])
            expect_error(&r, 400, "invalid_input", "rmse_threshold = \"", bad[i]);
        else /* an empty field is no threshold, as for the other fields */
            CHECK(r.status == 200, "empty rmse_threshold: %ld %s", r.status, r.body);
        http_response_free(&r);
    }
    fields[0].value = "rmse2";
    fields[3].value = "0.125";
    post_form(fields, 4, NULL, &r);
    CHECK(r.status == 202, "rmse_threshold with a target: %ld %s", r.status, r.body);
    http_response_free(&r);
    get("/models/rmse2/artifacts/settings.json?version=1", NULL, &r);
    cJSON *set = cJSON_Parse(r.body);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(set, "rmse_threshold")) == 0.125,
          "settings.json keeps rmse_threshold: %s", r.body);
    cJSON_Delete(set);
    http_response_free(&r);
}

static void test_bad_uploads(void)
{
    http_response r;
    form_field no_task[] = {{"model", NULL, model_path, "model.onnx"}};
    post_form(no_task, 1, NULL, &r);
    expect_error(&r, 400, "invalid_input", "task_id is required", "no task_id");
    http_response_free(&r);

    const char *bad_ids[] = {"../etc", "a/b", "with space", "é",
                             "x123456789x123456789x123456789x123456789x123456789x123456789x1234"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        form_field f[] = {{"task_id", bad_ids[i], NULL, NULL},
                          {"model", NULL, model_path, "model.onnx"}};
        post_form(f, 2, NULL, &r);
        expect_error(&r, 400, "invalid_input", "task_id must match [A-Za-z0-9_-]{1,64}",
                     bad_ids[i]);
        http_response_free(&r);
    }

    form_field no_model[] = {{"task_id", "iris", NULL, NULL}};
    post_form(no_model, 1, NULL, &r);
    expect_error(&r, 400, "invalid_input", "model (ONNX) file is required", "no model");
    http_response_free(&r);

    /* Not ONNX: the parser's message, prefixed with the uploaded file's name. */
    form_field not_onnx[] = {{"task_id", "iris", NULL, NULL},
                             {"model", NULL, csv_path ? csv_path : model_path, "notes.txt"}};
    if (csv_path) {
        post_form(not_onnx, 2, NULL, &r);
        expect_error(&r, 400, "invalid_input", "notes.txt: ", "CSV bytes as a model");
        http_response_free(&r);
    }

    /* Bad CSVs: the reader's message with the upload's name and the line. */
    static const struct {
        const char *text, *message;
    } csvs[] = {
        {"1,2,3,4,0\n5,6,7,8,1\n", "bad.csv line 1: no header row"},
        {"a,b,c,d,label\n1,2,3,4,0\n1,2,3\n", "bad.csv line 3: 3 fields, expected 5"},
        {"a,b,c,d,label\n1,2,3,4,0\n1,two,3,4,1\n", "bad.csv line 3, column 'b'"},
        {"a,b,c,d,label\n", "bad.csv: no data rows"},
        {"Label,a,b,c,d,y\n0,1,2,3,4,1\n", "bad.csv line 1: columns 1 'Label' and 6 'y' both "
                                           "name the label"},
        {"a,b,CLASS,c,d\n1,2,0,3,4\n1,2,0.5,3,4\n", "bad.csv line 3, column 'CLASS': label "
                                                    "'0.5' is not a class index"},
        /* The model has 3 outputs: classes 0..2 (a blank line still counts). */
        {"a,b,c,d,label\n1,2,3,4,2\n\n1,2,3,4,3\n", "bad.csv line 4, column 'label': label 3 "
                                                    "is not one of the model's 3 classes"},
        {"a,b,c,d,kind\n1,2,3,4,ant\n1,2,3,4,bee\n1,2,3,4,cat\n1,2,3,4,dog\n",
         "bad.csv line 5, column 'kind': label 'dog' is class 3 of the CSV's 4"},
    };
    char csv_file[PATH_MAX + 16];
    snprintf(csv_file, sizeof csv_file, "%s/bad.csv", srv.data_dir);
    for (size_t i = 0; i < sizeof csvs / sizeof csvs[0]; i++) {
        FILE *f = fopen(csv_file, "w");
        if (!f)
            break;
        fputs(csvs[i].text, f);
        fclose(f);
        form_field fields[] = {{"task_id", "iris", NULL, NULL},
                               {"model", NULL, model_path, "model.onnx"},
                               {"data", NULL, csv_file, "bad.csv"}};
        post_form(fields, 3, NULL, &r);
        expect_error(&r, 400, "invalid_input", csvs[i].message, csvs[i].message);
        http_response_free(&r);
    }
    test_rmse_threshold(csv_file);
    remove(csv_file);
    if (csv_path) {
        form_field past_end[] = {{"task_id", "iris", NULL, NULL},
                                 {"model", NULL, model_path, "model.onnx"},
                                 {"data", NULL, csv_path, "iris.csv"},
                                 {"sample", "100000", NULL, NULL}};
        post_form(past_end, 4, NULL, &r);
        expect_error(&r, 400, "invalid_input", "is not a row of the data CSV", "sample too big");
        http_response_free(&r);
    }

    form_field bad_sample[] = {{"task_id", "iris", NULL, NULL},
                               {"model", NULL, model_path, "model.onnx"},
                               {"sample", "-3", NULL, NULL}};
    post_form(bad_sample, 3, NULL, &r);
    expect_error(&r, 400, "invalid_input", "sample must be", "negative sample");
    http_response_free(&r);

    /* Bodies that are not a well-formed multipart form. */
    char u[256];
    url(u, sizeof u, "/models");
    const char *json_type[] = {"Content-Type: application/json", NULL};
    http_do("POST", u, json_type, "{}", 2, &r);
    expect_error(&r, 400, "invalid_input", "multipart/form-data", "JSON body");
    http_response_free(&r);
    const char *mp[] = {"Content-Type: multipart/form-data; boundary=XyZ", NULL};
    const char truncated[] = "--XyZ\r\nContent-Disposition: form-data; name=\"task_id\"\r\n\r\n"
                             "iris\r\n--XyZ\r\nContent-Disposition: form-data; name=\"model\"; "
                             "filename=\"m.onnx\"\r\n\r\nabc";
    http_do("POST", u, mp, truncated, sizeof truncated - 1, &r);
    expect_error(&r, 400, "invalid_input", "closing boundary", "truncated body");
    http_response_free(&r);
    const char *no_boundary[] = {"Content-Type: multipart/form-data", NULL};
    http_do("POST", u, no_boundary, "--x--", 5, &r);
    expect_error(&r, 400, "invalid_input", "boundary", "no boundary");
    http_response_free(&r);

    /* Above ZKML_MAX_UPLOAD_MB (1 for this server). */
    size_t big = (size_t)1 << 21;
    char *body = malloc(big);
    if (body) {
        memset(body, 'a', big);
        http_do("POST", u, mp, body, big, &r);
        expect_error(&r, 413, "too_large", "ZKML_MAX_UPLOAD_MB", "2 MiB upload");
        http_response_free(&r);
        free(body);
    }
}

/* The IPFS CIDv0 of a file, as common/cid.c computes it (tests/common's
 * cid_oracle.mjs checks that against ipfs-unixfs-importer). */
static const char *cid_of(const char *path, char cid[ZKML_CID_MAX])
{
    zkml_error err = {0};
    CHECK(zkml_cid_file(path, cid, &err) == 0, "cid of %s: %s", path, err.message);
    return cid;
}

/* The id, version and hash of an accepted upload. */
static int upload(const char *task, const char *model, long want_status, int *version)
{
    http_response r;
    form_field f[] = {{"task_id", task, NULL, NULL},
                      {"model", NULL, model, "model.onnx"},
                      {"data", NULL, csv_path, "data.csv"}};
    post_form(f, csv_path ? 3 : 2, NULL, &r);
    char v[128] = "", existed[16] = "", status_url[256] = "", hash[80] = "", cid[80] = "";
    char want_cid[ZKML_CID_MAX];
    CHECK(r.status == want_status, "upload %s: %ld (%s)", task, r.status, r.body);
    json_field(r.body, "version", v, sizeof v);
    json_field(r.body, "existed", existed, sizeof existed);
    json_field(r.body, "status_url", status_url, sizeof status_url);
    json_field(r.body, "model_hash", hash, sizeof hash);
    json_field(r.body, "model_cid", cid, sizeof cid);
    *version = atoi(v);
    CHECK(!strcmp(cid, cid_of(model, want_cid)), "model_cid: %s, want %s", cid, want_cid);
    CHECK(!strcmp(existed, want_status == 200 ? "true" : "false"), "existed: %s", existed);
    CHECK(strlen(hash) == 64, "model_hash: %s", hash);
    char want_url[256];
    snprintf(want_url, sizeof want_url, "/models/%s/status?version=%d", task, *version);
    CHECK(!strcmp(status_url, want_url), "status_url %s", status_url);
    http_response_free(&r);
    return *version;
}

/* output.json of version 1 against numpy's outputs for row 0. */
static void check_prediction(void)
{
    double want[16];
    int n = 0;
    FILE *f = fopen(expected_path, "r");
    char line[1024];
    if (f && fgets(line, sizeof line, f) && fgets(line, sizeof line, f))
        for (char *p = strtok(line, ",\n"); p && n < 16; p = strtok(NULL, ",\n"))
            want[n++] = atof(p);
    if (f)
        fclose(f);
    int argmax = 0;
    for (int i = 1; i < n; i++)
        if (want[i] > want[argmax])
            argmax = i;
    http_response r;
    get("/models/iris/artifacts/output.json?version=1", NULL, &r);
    cJSON *out = cJSON_Parse(r.body);
    cJSON *cls = cJSON_GetObjectItem(out, "predicted_class");
    cJSON *deq = cJSON_GetObjectItem(out, "dequantized");
    CHECK(n > 0 && cJSON_GetArraySize(deq) == n, "output.json has %d outputs: %s", n, r.body);
    CHECK(cJSON_IsNumber(cls) && cls->valueint == argmax, "predicted class %d, numpy says %d",
          cls ? cls->valueint : -1, argmax);
    for (int i = 0; i < n && i < cJSON_GetArraySize(deq); i++) {
        double got = cJSON_GetArrayItem(deq, i)->valuedouble;
        CHECK(got > want[i] - 0.1 && got < want[i] + 0.1, "output %d: %f, numpy %f", i, got,
              want[i]);
    }
    cJSON_Delete(out);
    http_response_free(&r);
    /* The status shows the prediction decoded from the proof: numpy's too. */
    get("/models/iris/status?version=1", NULL, &r);
    cJSON *st = cJSON_Parse(r.body);
    cJSON *pred = cJSON_GetObjectItem(st, "prediction");
    cls = cJSON_GetObjectItem(pred, "predicted_class");
    deq = cJSON_GetObjectItem(pred, "dequantized");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(pred, "valid")) && cJSON_IsNumber(cls) &&
              cls->valueint == argmax && cJSON_GetArraySize(deq) == n,
          "status prediction (from the proof): %s, numpy class %d", r.body, argmax);
    for (int i = 0; i < n && i < cJSON_GetArraySize(deq); i++) {
        double got = cJSON_GetArrayItem(deq, i)->valuedouble;
        CHECK(got > want[i] - 0.1 && got < want[i] + 0.1, "proven output %d: %f, numpy %f", i, got,
              want[i]);
    }
    cJSON_Delete(st);
    http_response_free(&r);
}

static void test_upload_and_download(void)
{
    int v1, again, v2;
    upload("iris", model_path, 202, &v1);
    CHECK(v1 == 1, "first version is 1, got %d", v1);
    upload("iris", model_path, 200, &again);
    CHECK(again == v1, "same bytes give the same version: %d vs %d", again, v1);
    upload("iris", other_model_path, 202, &v2);
    CHECK(v2 == 2, "other bytes give version 2, got %d", v2);

    http_response r;
    CHECK(wait_for_job(&srv, "iris", 1, 100, &r) == 0, "job v1 ends: %s", r.body);
    char state[32] = "", error[1024] = "";
    json_field(r.body, "state", state, sizeof state);
    json_field(r.body, "error", error, sizeof error);
    /* Until every step is in the build, the job stops at the first missing one;
     * with the fixture every step is there. */
    if (expected_path)
        CHECK(!strcmp(state, "done"), "job v1: state %s error %s", state, error);
    else
        CHECK(!strcmp(state, "done") ||
                  (!strcmp(state, "failed") && strstr(error, "is not available in this build")),
              "job v1: state %s error %s", state, error);
    cJSON *status = cJSON_Parse(r.body);
    cJSON *steps = cJSON_GetObjectItem(status, "steps");
    CHECK(cJSON_GetArraySize(steps) >= 9, "status lists every step: %s", r.body);
    /* A done step's message is a note meant for the user, never an error a
     * step tolerated on its way (version and register probe optional files). */
    const cJSON *step;
    cJSON_ArrayForEach(step, steps)
    {
        const char *msg = cJSON_GetStringValue(cJSON_GetObjectItem(step, "message"));
        CHECK(!msg || !strstr(msg, "No such file"), "step message: %s", msg);
    }
    char cid[ZKML_CID_MAX];
    const char *status_cid = cJSON_GetStringValue(cJSON_GetObjectItem(status, "model_cid"));
    CHECK(status_cid && !strcmp(status_cid, cid_of(model_path, cid)),
          "status model_cid: %s, want %s", r.body, cid);
    cJSON_Delete(status);
    http_response_free(&r);

    if (expected_path)
        check_prediction();

    get("/models/iris/status?version=99", NULL, &r);
    expect_error(&r, 404, "not_found", "", "unknown version");
    http_response_free(&r);
    get("/models/iris/status?version=abc", NULL, &r);
    expect_error(&r, 400, "invalid_input", "version must be", "bad version");
    http_response_free(&r);

    get("/models", NULL, &r);
    CHECK(r.status == 200 && strstr(r.body, "\"iris\""), "GET /models: %s", r.body);
    http_response_free(&r);
    get("/models/iris", NULL, &r);
    CHECK(r.status == 200 && strstr(r.body, "\"versions\""), "GET /models/iris: %s", r.body);
    cJSON *task = cJSON_Parse(r.body);
    const char *models[] = {model_path, other_model_path};
    for (int i = 0; i < 2; i++) {
        cJSON *ver = cJSON_GetArrayItem(cJSON_GetObjectItem(task, "versions"), i);
        const char *got = cJSON_GetStringValue(cJSON_GetObjectItem(ver, "model_cid"));
        CHECK(got && !strcmp(got, cid_of(models[i], cid)), "version %d model_cid: %s, want %s",
              i + 1, got ? got : "(none)", cid);
    }
    cJSON_Delete(task);
    http_response_free(&r);
    get("/models/iris/versions", NULL, &r);
    CHECK(r.status == 200 && strstr(r.body, "\"versions\""), "versions: %ld %s", r.status, r.body);
    http_response_free(&r);
    get("/models/iris/versions/onchain", NULL, &r);
    cJSON *onchain = cJSON_Parse(r.body);
    CHECK(r.status != 500 && onchain != NULL, "onchain (chain none): %ld %s", r.status, r.body);
    cJSON_Delete(onchain);
    http_response_free(&r);

    get("/models/iris/artifacts?version=1", NULL, &r);
    CHECK(r.status == 200 && strstr(r.body, "model.onnx"), "artifact list: %s", r.body);
    CHECK(strstr(r.body, "\"visibility\":\"private\"") &&
              strstr(r.body, "\"visibility\":\"public\""),
          "artifact list with visibilities: %s", r.body);
    http_response_free(&r);

    /* Download the model (private: this server has no token, so a loopback
     * client may read it): same bytes, right headers, ETag and 304. */
    get("/models/iris/artifacts/model.onnx?version=1", NULL, &r);
    char type[128] = "", length[32] = "", etag[128] = "";
    http_header(&r, "Content-Type", type, sizeof type);
    http_header(&r, "Content-Length", length, sizeof length);
    http_header(&r, "ETag", etag, sizeof etag);
    FILE *f = fopen(model_path, "rb");
    char *want = malloc(1 << 20);
    size_t n = f && want ? fread(want, 1, 1 << 20, f) : 0;
    if (f)
        fclose(f);
    CHECK(r.status == 200 && r.len == n && want && !memcmp(r.body, want, n),
          "download: %ld, %zu bytes, expected %zu", r.status, r.len, n);
    CHECK((size_t)atol(length) == n, "Content-Length %s", length);
    CHECK(strstr(type, "octet-stream") || strstr(type, "onnx"), "Content-Type %s", type);
    CHECK(etag[0] == '"', "ETag %s", etag);
    free(want);
    http_response_free(&r);
    char inm[160];
    snprintf(inm, sizeof inm, "If-None-Match: %s", etag);
    const char *conditional[] = {inm, NULL};
    get("/models/iris/artifacts/model.onnx?version=1", conditional, &r);
    CHECK(r.status == 304 && r.len == 0, "If-None-Match: %ld", r.status);
    http_response_free(&r);

    /* Names outside the fixed list and traversal attempts never reach a file. */
    get("/models/iris/artifacts/passwd", NULL, &r);
    expect_error(&r, 404, "not_found", "artifact not found", "unlisted artifact");
    http_response_free(&r);
    get("/models/iris/artifacts/..%2F..%2Fregistry.db", NULL, &r);
    CHECK(r.status == 404 || r.status == 400, "encoded traversal in name: %ld", r.status);
    http_response_free(&r);
    get("/models/..%2F..%2Fetc/status", NULL, &r);
    CHECK(r.status == 400 || r.status == 404, "traversal in task id: %ld", r.status);
    CHECK(strstr(r.body, "\"error\"") != NULL, "traversal answer is a JSON error: %s", r.body);
    http_response_free(&r);
    get("/models/iris/artifacts/registry.db", NULL, &r);
    expect_error(&r, 404, "not_found", "artifact not found", "registry.db");
    http_response_free(&r);
}

/* POST /models with fields f, then waits for version's job to be done. */
static void upload_done(const form_field *f, size_t n, const char *task, int version)
{
    http_response r;
    post_form(f, n, NULL, &r);
    CHECK(r.status == 202, "upload %s v%d: %ld %s", task, version, r.status, r.body);
    http_response_free(&r);
    CHECK(wait_for_job(&srv, task, version, 200, &r) == 0 && strstr(r.body, "\"done\""),
          "job %s v%d: %s", task, version, r.body);
    http_response_free(&r);
}

/* The visibility fields: refused words name the field; chosen ones reach
 * settings.json and the proof's public signals (docs/COMMITMENTS.md). */
static void test_visibility(void)
{
    http_response r;
    form_field bad[] = {{"task_id", "vis", NULL, NULL},
                        {"model", NULL, model_path, "model.onnx"},
                        {"input_visibility", "secret", NULL, NULL}};
    post_form(bad, 3, NULL, &r);
    expect_error(&r, 400, "invalid_input", "input_visibility = \"secret\"", "input word");
    http_response_free(&r);
    bad[2].name = "param_visibility";
    bad[2].value = "private";
    post_form(bad, 3, NULL, &r);
    expect_error(&r, 400, "invalid_input", "expected fixed or hashed", "parameter word");
    http_response_free(&r);
    if (!expected_path)
        return;
    form_field good[] = {{"task_id", "vis", NULL, NULL},
                         {"model", NULL, model_path, "model.onnx"},
                         {"data", NULL, csv_path, "data.csv"},
                         {"input_visibility", "public", NULL, NULL},
                         {"output_visibility", "hashed", NULL, NULL},
                         {"param_visibility", "hashed", NULL, NULL}};
    upload_done(good, 6, "vis", 1);
    get("/models/vis/artifacts/settings.json?version=1", NULL, &r);
    cJSON *set = cJSON_Parse(r.body);
    CHECK(
        !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(set, "input_visibility")), "public") &&
            !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(set, "output_visibility")), "hashed") &&
            !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(set, "param_visibility")), "hashed"),
        "settings.json: %s", r.body);
    cJSON_Delete(set);
    http_response_free(&r);
    get("/models/vis/artifacts/verify.json?version=1", NULL, &r);
    CHECK(strstr(r.body, "\"output_commitment\"") && strstr(r.body, "\"input_packed_0\"") &&
              strstr(r.body, "\"param_commitment\""),
          "verify.json names the signals: %s", r.body);
    http_response_free(&r);
}

/* A version's artifact (as served) parsed, or NULL. */
static cJSON *artifact_json(const char *task, int version, const char *name)
{
    char path[256];
    http_response r;
    snprintf(path, sizeof path, "/models/%s/artifacts/%s?version=%d", task, name, version);
    get(path, NULL, &r);
    cJSON *j = r.status == 200 ? cJSON_Parse(r.body) : NULL;
    http_response_free(&r);
    return j;
}

/* GET /models/board/leaderboard parsed; its group count and unranked count. */
static cJSON *leaderboard(int *groups, int *unranked)
{
    http_response r;
    get("/models/board/leaderboard", NULL, &r);
    CHECK(r.status == 200, "leaderboard: %ld %s", r.status, r.body);
    cJSON *j = cJSON_Parse(r.body);
    http_response_free(&r);
    *groups = cJSON_GetArraySize(cJSON_GetObjectItem(j, "groups"));
    *unranked = cJSON_GetArraySize(cJSON_GetObjectItem(j, "unranked"));
    return j;
}

/* Replaces a key of a version's evaluation JSON file in the data dir. */
static void tamper(int version, const char *file, const char *key, double value)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/artifacts/board/v%d/%s", srv.data_dir, version, file);
    FILE *f = fopen(path, "r+");
    char text[65536];
    size_t n = f ? fread(text, 1, sizeof text - 1, f) : 0;
    text[n] = '\0';
    cJSON *j = cJSON_Parse(text);
    cJSON *item = cJSON_GetObjectItem(j, key);
    if (cJSON_IsArray(item)) /* a proof point: its first coordinate moved */
        cJSON_ReplaceItemInArray(item, 0, cJSON_CreateString("1"));
    else
        cJSON_ReplaceItemInObject(j, key, cJSON_CreateNumber(value));
    char *out = cJSON_PrintUnformatted(j);
    CHECK(f && out, "tamper %s", path);
    if (f && out) {
        rewind(f);
        CHECK(ftruncate(fileno(f), 0) == 0 && fputs(out, f) >= 0, "rewrite %s", path);
    }
    if (f)
        fclose(f);
    free(out);
    cJSON_Delete(j);
}

/* Two iris models on the same rows: ranked by proven accuracy in one group
 * whose commitment is the proofs'; an evaluation.json raised after the fact,
 * or a proof changed, takes its version off the board, saying why. Without a
 * chain the group's onchain_best says so. A third version with hashed
 * parameters (5 evaluation signals) is ranked while evaluation.json's
 * param_commitment is the proof's last signal. */
static void test_leaderboard(void)
{
    char mlp[PATH_MAX];
    snprintf(mlp, sizeof mlp, "%s", model_path);
    char *slash = strrchr(mlp, '/');
    snprintf(slash ? slash + 1 : mlp, sizeof mlp - (size_t)(slash ? slash + 1 - mlp : 0),
             "iris_mlp.onnx");
    const char *models[2] = {model_path, mlp};
    http_response r;
    for (int i = 0; i < 2; i++) {
        form_field f[] = {{"task_id", "board", NULL, NULL},
                          {"model", NULL, models[i], "m.onnx"},
                          {"data", NULL, csv_path, "data.csv"}};
        upload_done(f, 3, "board", i + 1);
    }
    int groups, unranked;
    cJSON *board = leaderboard(&groups, &unranked);
    cJSON *g = cJSON_GetArrayItem(cJSON_GetObjectItem(board, "groups"), 0);
    cJSON *list = cJSON_GetObjectItem(g, "versions");
    CHECK(groups == 1 && unranked == 0 && cJSON_GetArraySize(list) == 2,
          "one group of two versions: %d groups, %d unranked", groups, unranked);
    const cJSON *best = cJSON_GetObjectItem(g, "onchain_best");
    const char *best_status = cJSON_GetStringValue(cJSON_GetObjectItem(best, "status"));
    const char *best_error = cJSON_GetStringValue(cJSON_GetObjectItem(best, "error"));
    CHECK(best_status && !strcmp(best_status, "unavailable") && best_error &&
              strstr(best_error, "no chain configured"),
          "onchain_best without a chain: %s %s", best_status ? best_status : "-",
          best_error ? best_error : "-");
    double prev = 2;
    int last = 0;
    for (int i = 0; i < cJSON_GetArraySize(list); i++) {
        cJSON *row = cJSON_GetArrayItem(list, i);
        int v = (int)cJSON_GetNumberValue(cJSON_GetObjectItem(row, "version"));
        double value = cJSON_GetNumberValue(cJSON_GetObjectItem(row, "value"));
        cJSON *ev = artifact_json("board", v, "evaluation.json");
        cJSON *pub = artifact_json("board", v, "evaluation.public.json");
        CHECK(value == cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "value")) &&
                  (value < prev || (value == prev && v > last)) &&
                  cJSON_GetNumberValue(cJSON_GetObjectItem(row, "rank")) == i + 1,
              "row %d: version %d value %g after %g", i, v, value, prev);
        /* ZKML_CHAIN=none: no chain.json, and the row says so. */
        const char *onchain =
            cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(row, "onchain"), "status"));
        CHECK(onchain && !strcmp(onchain, "not registered"), "row %d's on-chain status", i);
        CHECK(cJSON_GetStringValue(cJSON_GetObjectItem(row, "model_cid")) &&
                  !strncmp(cJSON_GetStringValue(cJSON_GetObjectItem(row, "model_cid")), "Qm", 2),
              "row %d names the model's CID", i);
        CHECK(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(g, "dataset_commitment")),
                      cJSON_GetStringValue(cJSON_GetArrayItem(pub, 0))),
              "the group's commitment is version %d's proven one", v);
        prev = value;
        last = v;
        cJSON_Delete(ev);
        cJSON_Delete(pub);
    }
    cJSON_Delete(board);
    /* The last claims more right rows than it proved (and than there are). */
    tamper(last, "evaluation.json", "correct", 9);
    tamper(last, "evaluation.json", "value", 1.125);
    board = leaderboard(&groups, &unranked);
    char *text = cJSON_PrintUnformatted(board);
    CHECK(groups == 1 && unranked == 1 && text &&
              strstr(text, "evaluation.json differs from the proof's public signals"),
          "a raised evaluation.json is unranked: %s", text ? text : "");
    free(text);
    cJSON_Delete(board);
    tamper(3 - last, "evaluation.proof.json", "pi_a", 0);
    board = leaderboard(&groups, &unranked);
    text = cJSON_PrintUnformatted(board);
    CHECK(groups == 0 && unranked == 2 && text && strstr(text, "does not verify"),
          "a changed proof is unranked: %s", text ? text : "");
    free(text);
    cJSON_Delete(board);
    /* the same model in new bytes (an unknown protobuf field appended) */
    char model2[PATH_MAX + 16];
    snprintf(model2, sizeof model2, "%s.hashed.onnx", srv.data_dir);
    FILE *in = fopen(model_path, "rb"), *out = fopen(model2, "wb");
    char bytes[65536];
    size_t n = in ? fread(bytes, 1, sizeof bytes, in) : 0;
    CHECK(in && out && n > 0 && n < sizeof bytes && fwrite(bytes, 1, n, out) == n &&
              fwrite("\x98\x06\x01", 1, 3, out) == 3,
          "copying %s", model_path);
    if (in)
        fclose(in);
    if (out)
        fclose(out);
    form_field hashed[] = {{"task_id", "board", NULL, NULL},
                           {"model", NULL, model2, "m.onnx"},
                           {"data", NULL, csv_path, "data.csv"},
                           {"param_visibility", "hashed", NULL, NULL}};
    upload_done(hashed, 4, "board", 3);
    cJSON *pub = artifact_json("board", 3, "evaluation.public.json");
    board = leaderboard(&groups, &unranked);
    CHECK(cJSON_GetArraySize(pub) == 5 && groups == 1 && unranked == 2,
          "a hashed version is ranked: %d signals, %d groups, %d unranked",
          cJSON_GetArraySize(pub), groups, unranked);
    cJSON_Delete(pub);
    cJSON_Delete(board);
    tamper(3, "evaluation.json", "param_commitment", 5);
    board = leaderboard(&groups, &unranked);
    text = cJSON_PrintUnformatted(board);
    CHECK(groups == 0 && unranked == 3 && text &&
              strstr(text, "evaluation.json differs from the proof's public signals"),
          "another param_commitment is unranked: %s", text ? text : "");
    free(text);
    cJSON_Delete(board);
    unlink(model2);
    get("/models/nosuchtask/leaderboard", NULL, &r);
    CHECK(r.status == 404, "unknown task: %ld", r.status);
    http_response_free(&r);
}

static void test_cors_and_html(void)
{
    http_response r;
    char v[256] = "";
    const char *evil[] = {"Origin: http://evil.example", NULL};
    get("/models", evil, &r);
    http_header(&r, "Access-Control-Allow-Origin", v, sizeof v);
    CHECK(r.status == 200 && !strcmp(v, "*"), "GET from any origin: %ld '%s'", r.status, v);
    http_response_free(&r);

    form_field f[] = {{"task_id", "cors", NULL, NULL}, {"model", NULL, model_path, "m.onnx"}};
    post_form(f, 2, evil, &r);
    expect_error(&r, 403, "forbidden", "ZKML_CORS_ORIGINS", "POST from an unlisted origin");
    http_response_free(&r);
    const char *good[] = {"Origin: http://allowed.example", NULL};
    post_form(f, 2, good, &r);
    v[0] = '\0';
    http_header(&r, "Access-Control-Allow-Origin", v, sizeof v);
    CHECK(r.status == 202 && !strcmp(v, "http://allowed.example"),
          "POST from a listed origin: "
          "%ld '%s'",
          r.status, v);
    http_response_free(&r);

    char u[256];
    url(u, sizeof u, "/models");
    const char *pre_bad[] = {"Origin: http://evil.example", "Access-Control-Request-Method: POST",
                             NULL};
    http_do("OPTIONS", u, pre_bad, NULL, 0, &r);
    CHECK(r.status == 403, "preflight POST from an unlisted origin: %ld", r.status);
    http_response_free(&r);
    const char *pre_good[] = {"Origin: http://allowed.example",
                              "Access-Control-Request-Method: POST",
                              "Access-Control-Request-Headers: authorization", NULL};
    http_do("OPTIONS", u, pre_good, NULL, 0, &r);
    v[0] = '\0';
    http_header(&r, "Access-Control-Allow-Headers", v, sizeof v);
    CHECK(r.status == 204 && strstr(v, "Authorization"), "preflight POST: %ld '%s'", r.status, v);
    http_response_free(&r);
    const char *pre_get[] = {"Origin: http://evil.example", "Access-Control-Request-Method: GET",
                             NULL};
    http_do("OPTIONS", u, pre_get, NULL, 0, &r);
    v[0] = '\0';
    http_header(&r, "Access-Control-Allow-Origin", v, sizeof v);
    CHECK(r.status == 204 && !strcmp(v, "*"), "preflight GET: %ld '%s'", r.status, v);
    http_response_free(&r);

    /* A form post without JavaScript gets HTML, errors included. */
    const char *html[] = {"Accept: text/html,application/xhtml+xml", NULL};
    form_field page[] = {{"task_id", "html", NULL, NULL}, {"model", NULL, model_path, "m.onnx"}};
    post_form(page, 2, html, &r);
    http_header(&r, "Content-Type", v, sizeof v);
    CHECK(r.status == 202 && strstr(v, "text/html") && strstr(r.body, "/models/html/status"),
          "HTML answer: %ld %s", r.status, v);
    http_response_free(&r);
    post_form(page, 1, html, &r);
    http_header(&r, "Content-Type", v, sizeof v);
    CHECK(r.status == 400 && strstr(v, "text/html") &&
              strstr(r.body, "model (ONNX) file is required"),
          "HTML error: %ld %s", r.status, r.body);
    http_response_free(&r);
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: %s ZKML_REGISTRY MODEL.onnx OTHER.onnx [DATA.csv EXPECTED.csv]\n",
                argv[0]);
        return 2;
    }
    model_path = argv[2];
    other_model_path = argv[3];
    csv_path = argc > 4 ? argv[4] : NULL;
    expected_path = argc > 5 ? argv[5] : NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char dir[PATH_MAX];
    test_tmpdir(dir, sizeof dir, "server");
    const char *env[] = {"ZKML_MAX_UPLOAD_MB=1", "ZKML_CORS_ORIGINS=http://allowed.example",
                         "ZKML_CHAIN=none", "ZKML_API_TOKEN=", NULL};
    if (test_server_start(&srv, argv[1], dir, env, NULL)) {
        fprintf(stderr, "server did not start\n");
        test_rm_rf(dir);
        return 1;
    }
    test_routes();
    test_bad_uploads();
    test_upload_and_download();
    test_visibility();
    if (expected_path)
        test_leaderboard();
    test_cors_and_html();
    CHECK(test_server_stop(&srv) == 0, "graceful stop exits 0");
    test_rm_rf(dir);
    curl_global_cleanup();
    return check_exit("server_api");
}
