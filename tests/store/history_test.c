/*
 * history_test.c - the version history, read back with an independent
 * reader: the git command line (/usr/bin/git) on the bare repository. Three
 * versions give three commits and three tags; re-running a version changes
 * nothing; manifest.json has the model hash that sha256sum computes; the ONNX
 * weights never enter the history.
 */
#include "test_util.h"

#include <cjson/cJSON.h>

/* Runs a shell command and returns its trimmed stdout (malloc'ed), or NULL. */
static char *run(const char *fmt, const char *a, const char *b)
{
    char cmd[9000];
    snprintf(cmd, sizeof cmd, fmt, a, b);
    FILE *p = popen(cmd, "r");
    if (!p)
        return NULL;
    size_t cap = 1 << 16, len = fread(NULL, 0, 0, p);
    char *out = malloc(cap);
    if (out)
        len = fread(out, 1, cap - 1, p);
    int status = pclose(p);
    if (!out || status != 0) {
        fprintf(stderr, "command failed (%d): %s\n", status, cmd);
        free(out);
        return NULL;
    }
    while (len && (out[len - 1] == '\n' || out[len - 1] == ' '))
        len--;
    out[len] = 0;
    return out;
}

static int make_version(const char *data, int v, char *dir, size_t len)
{
    zkml_error err;
    char path[8400], text[512];
    if (store_version_dir(data, "iris", v, dir, len, &err) || zkml_mkdir_p(dir, 0, &err))
        return -1;
    const struct {
        const char *name;
        const char *fmt;
    } files[] = {
        {"model.onnx", "onnx weights of version %d"},
        {"settings.json", "{\"input_scale\": %d, \"bits\": 16, \"layers\": [1, 2]}"},
        {"calibration.json", "{\"max_abs_error\": 0.%d, \"rows\": 30}"},
        {"verification_key.json", "{\"protocol\": \"groth16\", \"nPublic\": %d}"},
        {"proof.json", "{\"pi_a\": [\"%d\", \"2\", \"1\"], \"protocol\": \"groth16\"}"},
        {"public.json", "[\"%d\"]"},
        {"Verifier.sol", "// verifier %d\ncontract Groth16Verifier {}\n"},
        {"proving.key", "secret-ish and large %d"},
        {"data.csv", "a,b,label\n%d,2,0\n"},
        {"network.r1cs", "r1cs with the weights %d"},
        {"circuit.json", "{\"weights\": %d}"},
        {"input.json", "{\"input_data\": [[%d]]}"},
        {"witness.wtns", "wtns %d"},
        {"output.json", "{\"outputs\": [\"%d\"]}"},
        {"verify.json", "{\"valid\": true, \"ms\": %d}"},
    };
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        snprintf(path, sizeof path, "%s/%s", dir, files[i].name);
        snprintf(text, sizeof text, files[i].fmt, v);
        if (test_write(path, text))
            return -1;
    }
    return 0;
}

int main(void)
{
    char data[256], dir[4400];
    zkml_error err = {0};
    test_tmpdir(data, sizeof data, "history");
    for (int v = 1; v <= 3; v++) {
        REQUIRE(make_version(data, v, dir, sizeof dir) == 0);
        REQUIRE_OK(history_commit_version(data, "iris", v, dir, &err), &err);
    }
    /* idempotent: version 2 again changes nothing */
    REQUIRE_OK(store_version_dir(data, "iris", 2, dir, sizeof dir, &err), &err);
    REQUIRE_OK(history_commit_version(data, "iris", 2, dir, &err), &err);
    /* another task in the same history */
    char other[4000];
    REQUIRE_OK(store_version_dir(data, "other", 1, other, sizeof other, &err), &err);
    REQUIRE(zkml_mkdir_p(other, 0, &err) == 0);
    snprintf(dir, sizeof dir, "%s/model.onnx", other);
    REQUIRE(test_write(dir, "other model") == 0);
    REQUIRE_OK(history_commit_version(data, "other", 1, other, &err), &err);

    char git[512];
    snprintf(git, sizeof git, "/usr/bin/git --git-dir=%s/versions.git", data);
    char *out = run("%s rev-list --count main", git, "");
    REQUIRE(out && !strcmp(out, "4"));
    free(out);
    out = run("%s tag -l 'iris/*'", git, "");
    REQUIRE(out && !strcmp(out, "iris/v1\niris/v2\niris/v3"));
    free(out);
    out = run("%s cat-file -t iris/v3", git, "");
    REQUIRE(out && !strcmp(out, "tag")); /* annotated */
    free(out);
    /* the tip keeps every task; no weights, no proving key */
    out = run("%s ls-tree -r --name-only main", git, "");
    REQUIRE(out && strstr(out, "tasks/iris/manifest.json") &&
            strstr(out, "tasks/iris/Verifier.sol") && strstr(out, "tasks/other/manifest.json"));
    REQUIRE(!strstr(out, "model.onnx") && !strstr(out, "proving.key"));
    free(out);
    /* No commit of the whole history holds a private artifact (every file of
     * the table but chain.json and the export's was written above); the
     * public ones written are there. */
    char v3[4400];
    REQUIRE_OK(store_version_dir(data, "iris", 3, v3, sizeof v3, &err), &err);
    out = run("%s log --all --format= --name-only", git, "");
    for (int i = 0; out && i < ZKML_A_COUNT; i++) {
        const zkml_artifact *a = zkml_artifact_get((zkml_artifact_id)i);
        char path[128], mine[4600];
        snprintf(path, sizeof path, "tasks/iris/%s\n", a->name);
        snprintf(mine, sizeof mine, "%s/%s", v3, a->name);
        if (a->visibility == ZKML_PRIVATE)
            REQUIRE(!strstr(out, path));
        else if (zkml_file_exists(mine))
            REQUIRE(strstr(out, path));
    }
    free(out);
    /* a version's files as they were then */
    out = run("%s show iris/v2:tasks/iris/public.json", git, "");
    REQUIRE(out && !strcmp(out, "[\"2\"]"));
    free(out);
    out = run("%s show iris/v2:tasks/iris/manifest.json", git, "");
    cJSON *m = out ? cJSON_Parse(out) : NULL;
    free(out);
    REQUIRE(m);
    REQUIRE(cJSON_GetObjectItem(m, "version")->valueint == 2);
    REQUIRE(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "task_id")), "iris"));
    REQUIRE(cJSON_GetObjectItem(cJSON_GetObjectItem(m, "settings"), "input_scale")->valueint == 2);
    REQUIRE(!cJSON_GetObjectItem(cJSON_GetObjectItem(m, "settings"), "layers"));
    REQUIRE(!strcmp(cJSON_GetStringValue(cJSON_GetArrayItem(
                        cJSON_GetObjectItem(cJSON_GetObjectItem(m, "proof"), "pi_a"), 0)),
                    "2"));
    REQUIRE(cJSON_IsNull(cJSON_GetObjectItem(m, "verifier_address")));
    REQUIRE_OK(store_version_dir(data, "iris", 2, dir, sizeof dir, &err), &err);
    char *sum = run("sha256sum %s/model.onnx | cut -c1-64", dir, "");
    REQUIRE(sum && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "model_hash")), sum));
    free(sum);
    sum = run("sha256sum %s/verification_key.json | cut -c1-64", dir, "");
    REQUIRE(sum && !strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "vk_hash")), sum));
    free(sum);
    /* the model's IPFS CIDv0 (common/cid.c, checked against ipfs-unixfs-importer
     * by common_cid_*), and its ipfs:// uri */
    char model[4420], cid[ZKML_CID_MAX], uri[ZKML_CID_MAX + 8];
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    REQUIRE_OK(zkml_cid_file(model, cid, &err), &err);
    snprintf(uri, sizeof uri, "ipfs://%s", cid);
    REQUIRE(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "model_cid")), cid));
    REQUIRE(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "uri")), uri));
    cJSON_Delete(m);

    /* the reader for GET /models/{task}/versions agrees with git */
    char *json;
    REQUIRE_OK(history_task_versions_json(data, "iris", &json, &err), &err);
    cJSON *list = cJSON_Parse(json);
    free(json);
    REQUIRE(list && cJSON_GetArraySize(cJSON_GetObjectItem(list, "versions")) == 3);
    for (int v = 1; v <= 3; v++) {
        cJSON *e = cJSON_GetArrayItem(cJSON_GetObjectItem(list, "versions"), v - 1);
        char tag[32];
        snprintf(tag, sizeof tag, "iris/v%d", v);
        char *commit = run("%s rev-parse %s^{commit}", git, tag);
        REQUIRE(commit && e && cJSON_GetObjectItem(e, "version")->valueint == v);
        REQUIRE(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "commit")), commit));
        free(commit);
        REQUIRE_OK(store_version_dir(data, "iris", v, dir, sizeof dir, &err), &err);
        snprintf(model, sizeof model, "%s/model.onnx", dir);
        REQUIRE_OK(zkml_cid_file(model, cid, &err), &err);
        REQUIRE(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(e, "model_cid")), cid));
    }
    cJSON_Delete(list);
    REQUIRE_OK(history_task_versions_json(data, "nobody", &json, &err), &err);
    REQUIRE(!strcmp(json, "{\"versions\":[],\"task_id\":\"nobody\"}"));
    free(json);
    REQUIRE(history_task_versions_json(data, "../x", &json, &err) == ZKML_EINVAL);

    /* a writer killed mid-commit leaves git's lock files: the next commit
     * (under our own lock) removes them instead of failing for ever */
    char lock[600];
    snprintf(lock, sizeof lock, "%s/versions.git/refs/heads/main.lock", data);
    REQUIRE(test_write(lock, "") == 0);
    snprintf(lock, sizeof lock, "%s/versions.git/refs/tags/iris/v4.lock", data);
    REQUIRE(test_write(lock, "") == 0);
    REQUIRE(make_version(data, 4, dir, sizeof dir) == 0);
    REQUIRE_OK(history_commit_version(data, "iris", 4, dir, &err), &err);
    out = run("%s rev-list --count main", git, "");
    REQUIRE(out && !strcmp(out, "5"));
    free(out);
    out = run("%s fsck --strict 2>&1 && echo clean", git, "");
    REQUIRE(out && strstr(out, "clean"));
    free(out);
    test_rm_rf(data);
    return 0;
}
