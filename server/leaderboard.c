/*
 * leaderboard.c - GET /models/{task}/leaderboard: the task's versions ranked
 * by their proven evaluation metric, one ranking per dataset commitment
 * (versions evaluated on other rows are not comparable).
 *
 * A version enters only when its evaluation proof verifies now
 * (evaluation.vk.json, evaluation.public.json, evaluation.proof.json) and
 * evaluation.json's figures are the proof's public signals
 * (docs/COMMITMENTS.md): the commitment, the rows and the correct count, or
 * the SSE and the within-threshold bit. Every other version is listed under
 * "unranked" with the reason, so a missing entry is never silent.
 * Accuracy ranks high first, RMSE low first; ties by version, oldest first.
 * Each ranked row carries "onchain": what the register step's chain.json says
 * of the evaluation on the chain (recorded, skipped with the reason, or the
 * version not registered), as of the registration; each group carries
 * "onchain_best": the registry contract's bestVersion for its dataset, read
 * live from the configured chain.
 */
#include "server/server.h"
#include "pipeline/snark/snark.h"

#include <cJSON.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct entry {
    int version;
    char dir[PATH_MAX];
    char model_hash[65];
    char model_cid[64]; /* IPFS CIDv0, "" when the task answer has none */
    char commitment[80];
    cJSON *eval;    /* evaluation.json, owned */
    double value;   /* accuracy or RMSE */
    int lower_wins; /* 1 for RMSE */
} entry;

static cJSON *read_json(const char *dir, zkml_artifact_id id, zkml_error *err)
{
    char path[PATH_MAX];
    uint8_t *data = NULL;
    size_t len;
    if (zkml_artifact_path(path, sizeof path, dir, id, err) ||
        zkml_read_file(path, 1u << 20, &data, &len, err))
        return NULL;
    cJSON *j = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    if (!j)
        zkml_fail(err, ZKML_EINVAL, "%s is not JSON", zkml_artifact_name(id));
    return j;
}

/* evaluation.json's field (a number) as the decimal a public signal holds. */
static int signal_is(const cJSON *pub, int i, const cJSON *eval, const char *field)
{
    const cJSON *f = cJSON_GetObjectItemCaseSensitive(eval, field);
    const char *s = cJSON_GetStringValue(cJSON_GetArrayItem(pub, i));
    char want[48];
    if (cJSON_IsBool(f))
        snprintf(want, sizeof want, "%d", cJSON_IsTrue(f));
    else if (cJSON_IsNumber(f) && f->valuedouble >= 0 && f->valuedouble < 9e15)
        snprintf(want, sizeof want, "%.0f", f->valuedouble);
    else
        return 0;
    return s && !strcmp(s, want);
}

/* evaluation.json says what the verified public signals say. */
static int figures_match(const cJSON *eval, const cJSON *pub, int rmse, zkml_error *err)
{
    const char *c =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(eval, "dataset_commitment"));
    const char *p0 = cJSON_GetStringValue(cJSON_GetArrayItem(pub, 0));
    /* hashed parameters: their commitment follows, as evaluation.json says */
    int n = rmse ? 6 : 4;
    const char *params =
        cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(eval, "param_commitment"));
    const char *last = cJSON_GetStringValue(cJSON_GetArrayItem(pub, n));
    int size_ok = cJSON_GetArraySize(pub) == n ||
                  (cJSON_GetArraySize(pub) == n + 1 && params && last && !strcmp(params, last));
    int ok = c && p0 && !strcmp(c, p0) && signal_is(pub, 2, eval, "rows") && size_ok &&
             (rmse ? signal_is(pub, 3, eval, "sse") && signal_is(pub, 5, eval, "within_threshold")
                   : signal_is(pub, 3, eval, "correct"));
    return ok ? 0
              : zkml_fail(err, ZKML_EREJECTED,
                          "evaluation.json differs from the proof's "
                          "public signals");
}

/* Loads and checks one version's evaluation; err says why it is unranked. */
static int load_entry(const char *dir, entry *e, zkml_error *err)
{
    static const zkml_artifact_id files[] = {ZKML_A_EVAL_VK, ZKML_A_EVAL_PUBLIC, ZKML_A_EVAL_PROOF};
    char p[3][PATH_MAX];
    if (!(e->eval = read_json(dir, ZKML_A_EVALUATION, err)))
        return err->code;
    for (int i = 0; i < 3; i++)
        if (zkml_artifact_path(p[i], sizeof p[i], dir, files[i], err))
            return err->code;
    if (groth16_verify_files(p[0], p[1], p[2], err))
        return zkml_error_prefix(err, "the evaluation proof does not verify");
    cJSON *pub = read_json(dir, ZKML_A_EVAL_PUBLIC, err);
    const char *metric = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e->eval, "metric"));
    const cJSON *value = cJSON_GetObjectItemCaseSensitive(e->eval, "value");
    e->lower_wins = metric && !strcmp(metric, "rmse");
    int rc = pub ? figures_match(e->eval, pub, e->lower_wins, err) : err->code;
    if (!rc && !cJSON_IsNumber(value))
        rc = zkml_fail(err, ZKML_EINVAL, "evaluation.json has no value");
    if (!rc) {
        e->value = value->valuedouble;
        snprintf(
            e->commitment, sizeof e->commitment, "%s",
            cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(e->eval, "dataset_commitment")));
    }
    cJSON_Delete(pub);
    return rc;
}

static int by_commitment_then_rank(const void *pa, const void *pb)
{
    const entry *a = pa, *b = pb;
    int c = strcmp(a->commitment, b->commitment);
    if (c)
        return c;
    if (a->value != b->value)
        return (a->value < b->value) == a->lower_wins ? -1 : 1;
    return a->version - b->version;
}

/* The on-chain status from chain.json: its "evaluation" record with where it
 * lives, or {"status": "not registered"} without chain.json. */
static cJSON *onchain_status(const entry *e)
{
    static const char *const keep[] = {"chain_id", "registry_address", "onchain_version"};
    zkml_error ignored;
    cJSON *chain = read_json(e->dir, ZKML_A_CHAIN, &ignored), *out;
    cJSON *ev = cJSON_DetachItemFromObjectCaseSensitive(chain, "evaluation");
    if (ev) {
        out = ev;
    } else {
        out = cJSON_CreateObject();
        cJSON_AddStringToObject(out, "status", chain ? "registered without its evaluation"
                                                     : "not registered");
    }
    for (size_t i = 0; chain && i < sizeof keep / sizeof *keep; i++) {
        cJSON *f = cJSON_GetObjectItemCaseSensitive(chain, keep[i]);
        if (f)
            cJSON_AddItemToObject(out, keep[i], cJSON_Duplicate(f, 1));
    }
    cJSON_Delete(chain);
    return out;
}

/* One ranked row: the version, its model and its evaluation's figures. */
static cJSON *ranked_row(entry *e, int rank)
{
    static const char *const keep[] = {"metric",     "value",          "rows",
                                       "correct",    "float_accuracy", "sse",
                                       "float_rmse", "rmse_threshold", "within_threshold"};
    cJSON *row = cJSON_CreateObject();
    cJSON_AddNumberToObject(row, "rank", rank);
    cJSON_AddNumberToObject(row, "version", e->version);
    cJSON_AddStringToObject(row, "model_hash", e->model_hash);
    if (e->model_cid[0])
        cJSON_AddStringToObject(row, "model_cid", e->model_cid);
    for (size_t i = 0; i < sizeof keep / sizeof *keep; i++) {
        cJSON *f = cJSON_GetObjectItemCaseSensitive(e->eval, keep[i]);
        if (f)
            cJSON_AddItemToObject(row, keep[i], cJSON_Duplicate(f, 1));
    }
    cJSON_AddItemToObject(row, "onchain", onchain_status(e));
    return row;
}

/* Sorted entries into {dataset_commitment, metric, rows, versions: [...]}. */
static void add_groups(cJSON *groups, entry *e, size_t n)
{
    cJSON *list = NULL;
    int rank = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == 0 || strcmp(e[i].commitment, e[i - 1].commitment)) {
            cJSON *g = cJSON_CreateObject();
            cJSON_AddStringToObject(g, "dataset_commitment", e[i].commitment);
            cJSON_AddItemToObject(
                g, "metric",
                cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e[i].eval, "metric"), 1));
            cJSON_AddItemToObject(
                g, "rows", cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(e[i].eval, "rows"), 1));
            cJSON_AddStringToObject(g, "order", e[i].lower_wins ? "lowest first" : "highest first");
            list = cJSON_AddArrayToObject(g, "versions");
            cJSON_AddItemToArray(groups, g);
            rank = 0;
        }
        cJSON_AddItemToArray(list, ranked_row(&e[i], ++rank));
    }
}

/* The registry's version number of the group's on-chain best among the
 * group's versions (chain.json on the same chain and registry), or 0. */
static int local_version(const entry *e, size_t n, const char *commitment, const cJSON *chain,
                         double onchain)
{
    for (size_t i = 0; i < n; i++) {
        zkml_error ignored;
        if (strcmp(e[i].commitment, commitment))
            continue;
        cJSON *mine = read_json(e[i].dir, ZKML_A_CHAIN, &ignored);
        const cJSON *number = cJSON_GetObjectItemCaseSensitive(mine, "onchain_version");
        int same = mine &&
                   cJSON_Compare(cJSON_GetObjectItemCaseSensitive(mine, "registry_address"),
                                 cJSON_GetObjectItemCaseSensitive(chain, "registry_address"), 0) &&
                   cJSON_Compare(cJSON_GetObjectItemCaseSensitive(mine, "chain_id"),
                                 cJSON_GetObjectItemCaseSensitive(chain, "chain_id"), 0) &&
                   cJSON_GetNumberValue(number) == onchain;
        cJSON_Delete(mine);
        if (same)
            return e[i].version;
    }
    return 0;
}

/* Each group's "onchain_best": the registry contract's bestVersion for the
 * task and the group's dataset commitment, read now by eth_call (one client
 * for all groups). status "recorded" (onchain_version, its evaluation, and
 * version: ours, when one of the group's versions is that on-chain version),
 * "none" (no version evaluated on it on chain) or "unavailable" with the
 * error (no chain, node unreachable, registry not deployed). */
static void add_onchain_best(const http_request *rq, const char *task, cJSON *groups,
                             const entry *e, size_t n)
{
    int k = cJSON_GetArraySize(groups);
    const char **commitments = calloc((size_t)k + 1, sizeof *commitments);
    zkml_error err = {0};
    char *text = NULL;
    for (int i = 0; commitments && i < k; i++)
        commitments[i] = cJSON_GetStringValue(
            cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(groups, i), "dataset_commitment"));
    if (!commitments)
        zkml_fail(&err, ZKML_ENOMEM, "out of memory");
    else if (k)
        chain_best_versions_json(&rq->srv->chain, task, commitments, (size_t)k, &text, &err);
    cJSON *chain = text ? cJSON_Parse(text) : NULL;
    const cJSON *best = cJSON_GetObjectItemCaseSensitive(chain, "best");
    for (int i = 0; i < k; i++) {
        cJSON *b = cJSON_Duplicate(cJSON_GetArrayItem(best, i), 1);
        if (!b) {
            b = cJSON_CreateObject();
            cJSON_AddStringToObject(b, "status", "unavailable");
            cJSON_AddStringToObject(b, "error", err.message[0] ? err.message : "no answer");
        } else {
            double v = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(b, "version"));
            cJSON_DeleteItemFromObjectCaseSensitive(b, "version");
            cJSON_AddStringToObject(b, "status", v > 0 ? "recorded" : "none");
            cJSON_AddNumberToObject(b, "onchain_version", v);
            int mine = v > 0 ? local_version(e, n, commitments[i], chain, v) : 0;
            if (mine)
                cJSON_AddNumberToObject(b, "version", mine);
            const cJSON *address = cJSON_GetObjectItem(chain, "registry_address");
            cJSON_AddItemToObject(b, "registry_address", cJSON_Duplicate(address, 1));
            cJSON_AddItemToObject(b, "chain_id",
                                  cJSON_Duplicate(cJSON_GetObjectItem(chain, "chain_id"), 1));
        }
        cJSON_AddItemToObject(cJSON_GetArrayItem(groups, i), "onchain_best", b);
    }
    cJSON_Delete(chain);
    free(text);
    free(commitments);
}

/* Every version of the task (store_task_json's list) loaded or explained. */
static int collect(const http_request *rq, const char *task, const cJSON *versions, entry *e,
                   size_t *n, cJSON *unranked, zkml_error *err)
{
    const cJSON *v;
    *n = 0;
    cJSON_ArrayForEach(v, versions)
    {
        entry *x = &e[*n];
        zkml_error why = {0};
        memset(x, 0, sizeof *x);
        x->version = (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(v, "version"));
        const char *cid = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "model_cid"));
        snprintf(x->model_hash, sizeof x->model_hash, "%s",
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, "model_hash")));
        snprintf(x->model_cid, sizeof x->model_cid, "%s", cid ? cid : "");
        if (store_version_dir(rq->srv->cfg.data_dir, task, x->version, x->dir, sizeof x->dir, err))
            return err->code;
        if (!load_entry(x->dir, x, &why)) {
            (*n)++;
            continue;
        }
        cJSON *u = cJSON_CreateObject();
        cJSON_AddNumberToObject(u, "version", x->version);
        cJSON_AddStringToObject(u, "reason", why.message);
        cJSON_AddItemToArray(unranked, u);
        cJSON_Delete(x->eval);
    }
    return 0;
}

int leaderboard_json(const http_request *rq, const char *task, int version, char **json,
                     zkml_error *err)
{
    registry_store *s;
    char *task_text = NULL;
    (void)version;
    if (http_store(rq, &s, err) || store_task_json(s, task, &task_text, err))
        return err->code;
    cJSON *t = cJSON_Parse(task_text), *out = cJSON_CreateObject();
    free(task_text);
    const cJSON *versions = cJSON_GetObjectItemCaseSensitive(t, "versions");
    int count = cJSON_GetArraySize(versions);
    entry *e = calloc((size_t)count + 1, sizeof *e);
    cJSON *groups = cJSON_AddArrayToObject(out, "groups");
    cJSON *unranked = cJSON_AddArrayToObject(out, "unranked");
    size_t n = 0;
    int rc = e && groups && unranked ? collect(rq, task, versions, e, &n, unranked, err)
                                     : zkml_fail(err, ZKML_ENOMEM, "leaderboard: out of memory");
    if (!rc) {
        qsort(e, n, sizeof *e, by_commitment_then_rank);
        add_groups(groups, e, n);
        add_onchain_best(rq, task, groups, e, n);
        cJSON_AddStringToObject(out, "task_id", task);
        cJSON_AddStringToObject(out, "definition", "docs/COMMITMENTS.md");
        *json = cJSON_PrintUnformatted(out);
        if (!*json)
            rc = zkml_fail(err, ZKML_ENOMEM, "leaderboard: out of memory");
    }
    for (size_t i = 0; e && i < n; i++)
        cJSON_Delete(e[i].eval);
    free(e);
    cJSON_Delete(t);
    cJSON_Delete(out);
    return rc;
}
