/*
 * proofs.c - proof jobs in a worker: claim a queued input, prove it with its
 * version's key in a forked child under the job limits, store the result and
 * tell the service (pipeline_notify) so that a waiting request answers at
 * once. The worker keeps the last few versions' provers loaded: the forked
 * child inherits them, so a proof re-reads neither the model nor the key.
 *
 * Files of a proof, in <version dir>/proofs/<id>/ (the id is the store's,
 * 32 hex digits, never a name from a request): input.json (the canonical
 * input), proof.json, public.json and result.json. They are written without
 * fsync: the store's row is the record (its result is what GET answers).
 */
#include "pipeline/circuit/circuit.h"
#include "pipeline/evm/evm.h"
#include "pipeline/runner_internal.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { PROVERS_KEPT = 4, RESULT_MAX_BYTES = 16 << 20 };

/* A loaded version, known by its directory and its proving key's identity
 * (a key replaced on disk is loaded again). */
typedef struct kept_prover {
    char dir[4096];
    dev_t dev;
    ino_t ino;
    struct timespec mtime;
    circuit_prover *prover;
    uint64_t used;
} kept_prover;

struct pipeline_provers {
    kept_prover kept[PROVERS_KEPT];
    uint64_t clock;
};

pipeline_provers *pipeline_provers_new(void)
{
    return calloc(1, sizeof(pipeline_provers));
}

static int same_key(const kept_prover *k, const char *dir, const struct stat *st)
{
    return k->prover && !strcmp(k->dir, dir) && k->dev == st->st_dev && k->ino == st->st_ino &&
           k->mtime.tv_sec == st->st_mtim.tv_sec && k->mtime.tv_nsec == st->st_mtim.tv_nsec;
}

/* The version's prover, loaded now unless kept; the least recently used is dropped. */
static int prover_for(pipeline_provers *c, const char *dir, circuit_prover **out, zkml_error *err)
{
    char key[4200];
    struct stat st;
    int rc = zkml_artifact_path(key, sizeof key, dir, ZKML_A_PROVING_KEY, err);
    if (rc)
        return rc;
    if (stat(key, &st) != 0)
        return zkml_fail(err, ZKML_ENOTFOUND, "%s: the version has no proving key", key);
    kept_prover *slot = &c->kept[0];
    for (int i = 0; i < PROVERS_KEPT; i++) {
        if (same_key(&c->kept[i], dir, &st)) {
            c->kept[i].used = ++c->clock;
            *out = c->kept[i].prover;
            return 0;
        }
        if (c->kept[i].used < slot->used)
            slot = &c->kept[i];
    }
    circuit_prover_close(slot->prover);
    memset(slot, 0, sizeof *slot);
    if ((rc = circuit_prover_open(dir, &slot->prover, err)))
        return rc;
    snprintf(slot->dir, sizeof slot->dir, "%s", dir);
    slot->dev = st.st_dev;
    slot->ino = st.st_ino;
    slot->mtime = st.st_mtim;
    slot->used = ++c->clock;
    *out = slot->prover;
    return 0;
}

/* ---- in the child --------------------------------------------------------- */

typedef struct proof_call {
    const circuit_prover *prover;
    const store_proof *job;
    const char *dir; /* the proof's folder */
    int threads;
} proof_call;

/* The stored canonical input's values (checked when it was queued). */
static int input_values(const char *input, float **x, size_t *n, zkml_error *err)
{
    cJSON *root = cJSON_Parse(input);
    const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "input_data"), 0);
    *n = cJSON_IsArray(row) ? (size_t)cJSON_GetArraySize(row) : 0;
    *x = malloc((*n + 1) * sizeof **x);
    int rc = !root || !cJSON_IsArray(row) ? zkml_fail(err, ZKML_EINTERNAL, "stored input: not an input")
             : !*x                        ? zkml_fail(err, ZKML_ENOMEM, "input: out of memory")
                                          : 0;
    size_t i = 0;
    for (const cJSON *v = row ? row->child : NULL; !rc && v; v = v->next, i++)
        (*x)[i] = (float)v->valuedouble;
    cJSON_Delete(root);
    return rc;
}

static int write_text(const char *dir, const char *name, const char *text, zkml_error *err)
{
    char path[4200];
    int rc = zkml_path_join(path, sizeof path, dir, name, err);
    return rc ? rc : zkml_write_file_unsynced(path, text, strlen(text), err);
}

/* The public signal named name (circuit.json "public_signal_names"), or NULL. */
static const fr_t *named_signal(const cJSON *names, const circuit_new_proof *np, const char *name)
{
    size_t i = 0;
    for (const cJSON *it = names ? names->child : NULL; it && i < np->n_pub; it = it->next, i++)
        if (cJSON_IsString(it) && !strcmp(it->valuestring, name))
            return &np->pub[i];
    return NULL;
}

static cJSON *decimal(const fr_t *f)
{
    char dec[80];
    if (!f)
        return cJSON_CreateNull();
    fr_to_dec(dec, f);
    return cJSON_CreateString(dec);
}

/* outputs, values, dequantized, predicted_class, scale: as verify.json has them. */
static void add_outputs(cJSON *o, const circuit_outputs *d)
{
    cJSON *outs = cJSON_AddArrayToObject(o, "outputs");
    cJSON *vals = cJSON_AddArrayToObject(o, "values");
    cJSON *deq = cJSON_AddArrayToObject(o, "dequantized");
    uint32_t best = 0;
    for (uint32_t i = 0; i < d->n; i++) {
        fr_t e;
        fr_from_i64(&e, d->values[i]);
        cJSON_AddItemToArray(outs, decimal(&e));
        cJSON_AddItemToArray(vals, cJSON_CreateNumber((double)d->values[i]));
        cJSON_AddItemToArray(deq, cJSON_CreateNumber(ldexp((double)d->values[i], -d->scale)));
        best = d->values[i] > d->values[best] ? i : best;
    }
    if (d->n > 1)
        cJSON_AddNumberToObject(o, "predicted_class", best);
    else
        cJSON_AddNullToObject(o, "predicted_class");
    cJSON_AddNumberToObject(o, "scale", d->scale);
}

/* output_data against the proven outputs: each expected value at the
 * output's scale (round(x * 2^scale)) must be the proven integer. */
static cJSON *output_check(const char *output_data, const circuit_outputs *d)
{
    cJSON *expected = output_data ? cJSON_Parse(output_data) : NULL;
    if (!expected)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON *mismatch = NULL;
    uint32_t i = 0;
    for (const cJSON *v = expected->child; v && !mismatch; v = v->next, i++) {
        int64_t q = 0;
        if (i < d->n && !quant_quantize(v->valuedouble, d->scale, &q) && q == d->values[i])
            continue;
        mismatch = cJSON_CreateObject();
        cJSON_AddNumberToObject(mismatch, "index", i);
        cJSON_AddNumberToObject(mismatch, "expected", v->valuedouble);
        cJSON_AddNumberToObject(mismatch, "expected_at_scale", (double)q);
        cJSON_AddNumberToObject(mismatch, "proven", (double)d->values[i]);
        cJSON_AddNumberToObject(mismatch, "proven_dequantized",
                                ldexp((double)d->values[i], -d->scale));
    }
    cJSON_AddBoolToObject(o, "matches", !mismatch);
    cJSON_AddItemToObject(o, "expected", expected);
    cJSON_AddItemToObject(o, "first_mismatch", mismatch ? mismatch : cJSON_CreateNull());
    cJSON_AddStringToObject(o, "rule", "round(output_data[0][i] * 2^scale) == values[i] for every i");
    return o;
}

/* The input as the proof shows it, by the version's input_visibility: the
 * commitment (hashed), the packed values and the input itself (public), or
 * nothing (private: not even its CID, which would let a guess be confirmed). */
static void add_input(cJSON *o, const proof_call *c, const circuit_new_proof *np,
                      const cJSON *names, const char *cid)
{
    quant_visibility v = circuit_prover_input(c->prover)->visibility;
    cJSON_AddStringToObject(o, "input_visibility", quant_visibility_name(v));
    cJSON_AddItemToObject(o, "input_commitment",
                          v == QUANT_VIS_HASHED ? decimal(named_signal(names, np, "input_commitment"))
                                                : cJSON_CreateNull());
    cJSON *packed = v == QUANT_VIS_PUBLIC ? cJSON_AddArrayToObject(o, "input_packed") : NULL;
    char name[64];
    for (uint32_t k = 0; packed; k++) {
        snprintf(name, sizeof name, "input_packed_%u", k);
        const fr_t *f = named_signal(names, np, name);
        if (!f)
            break;
        cJSON_AddItemToArray(packed, decimal(f));
    }
    if (!packed)
        cJSON_AddNullToObject(o, "input_packed");
    cJSON_AddItemToObject(o, "input",
                          v == QUANT_VIS_PUBLIC ? cJSON_Parse(c->job->input) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "input_cid",
                          v == QUANT_VIS_PRIVATE ? cJSON_CreateNull() : cJSON_CreateString(cid));
}

static int result_json(const proof_call *c, const circuit_new_proof *np, const char *proof_text,
                       const char *pub_text, const char *cid, char **json, zkml_error *err)
{
    char proof_path[4200], pub_path[4200];
    char *sol = NULL, *hex = NULL;
    size_t len;
    cJSON *circuit_doc = cJSON_Parse(circuit_prover_circuit_json(c->prover, &len));
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(circuit_doc, "public_signal_names");
    int rc = zkml_path_join(proof_path, sizeof proof_path, c->dir, zkml_artifact_name(ZKML_A_PROOF), err);
    if (!rc)
        rc = zkml_path_join(pub_path, sizeof pub_path, c->dir, zkml_artifact_name(ZKML_A_PUBLIC), err);
    if (!rc)
        rc = evm_calldata(proof_path, pub_path, &sol, &hex, NULL, err);
    cJSON *o = rc ? NULL : cJSON_CreateObject();
    if (o) {
        cJSON_AddBoolToObject(o, "verified", 1);
        add_outputs(o, &np->outputs);
        cJSON_AddItemToObject(o, "output_check", output_check(c->job->output_data, &np->outputs));
        cJSON_AddItemToObject(o, "proof", cJSON_Parse(proof_text));
        cJSON_AddItemToObject(o, "public_signals", cJSON_Parse(pub_text));
        cJSON_AddItemToObject(o, "public_signal_names", cJSON_Duplicate(names, 1));
        cJSON *calldata = cJSON_AddObjectToObject(o, "calldata");
        cJSON_AddStringToObject(calldata, "solidity", sol);
        cJSON_AddStringToObject(calldata, "hex", hex);
        add_input(o, c, np, names, cid);
    }
    *json = o ? cJSON_PrintUnformatted(o) : NULL;
    if (!rc && !*json)
        rc = zkml_fail(err, ZKML_ENOMEM, "proof result: out of memory");
    cJSON_Delete(o);
    cJSON_Delete(circuit_doc);
    free(sol);
    free(hex);
    return rc;
}

/* In the child: the proof, its files, then result.json. */
static int call_proof(const void *arg, zkml_error *err)
{
    const proof_call *c = arg;
    float *x = NULL;
    size_t n;
    circuit_new_proof np = {0};
    char *proof_text = NULL, *pub_text = NULL, *json = NULL, path[4200], cid[ZKML_CID_MAX];
    int rc = input_values(c->job->input, &x, &n, err);
    if (!rc)
        rc = circuit_prover_prove(c->prover, x, n, c->threads, &np, err);
    if (!rc)
        rc = proof_json_text(&np.proof, &proof_text, err);
    if (!rc)
        rc = public_json_text(np.pub, np.n_pub, &pub_text, err);
    if (!rc)
        rc = write_text(c->dir, zkml_artifact_name(ZKML_A_INPUT), c->job->input, err);
    if (!rc)
        rc = write_text(c->dir, zkml_artifact_name(ZKML_A_PROOF), proof_text, err);
    if (!rc)
        rc = write_text(c->dir, zkml_artifact_name(ZKML_A_PUBLIC), pub_text, err);
    if (!rc && !(rc = zkml_path_join(path, sizeof path, c->dir, zkml_artifact_name(ZKML_A_INPUT), err)))
        rc = zkml_cid_file(path, cid, err);
    if (!rc)
        rc = result_json(c, &np, proof_text, pub_text, cid, &json, err);
    if (!rc)
        rc = write_text(c->dir, "result.json", json, err);
    circuit_new_proof_free(&np);
    free(x);
    free(proof_text);
    free(pub_text);
    free(json);
    return rc;
}

/* ---- in the worker ----------------------------------------------------------- */

static int beat_proof(registry_store *s, const void *job, zkml_error *err)
{
    return store_proof_heartbeat(s, job, err);
}

/* The proof's folder, created: <version dir>/proofs/<id>. */
static int proof_dir(const pipeline_config *cfg, const store_proof *p, char *vdir, size_t vlen,
                     char *dir, size_t len, zkml_error *err)
{
    char proofs[4200];
    if (!store_proof_id_valid(p->id))
        return zkml_fail(err, ZKML_EINTERNAL, "proof id '%s' is not one the server made", p->id);
    int rc = store_version_dir(cfg->data_dir, p->task_id, p->version, vdir, vlen, err);
    if (!rc)
        rc = zkml_path_join(proofs, sizeof proofs, vdir, "proofs", err);
    if (!rc)
        rc = zkml_path_join(dir, len, proofs, p->id, err);
    return rc ? rc : zkml_mkdir_p(dir, 1, err);
}

/* Proves p in a child and records the outcome. Returns the store's error only. */
static int run_proof(registry_store *s, const pipeline_config *cfg, pipeline_provers *cache,
                     const store_proof *p, zkml_error *err)
{
    char vdir[4096], dir[4200];
    circuit_prover *prover = NULL;
    pipeline_result r = {0};
    uint8_t *text = NULL;
    size_t len;
    r.rc = proof_dir(cfg, p, vdir, sizeof vdir, dir, sizeof dir, &r.err);
    if (!r.rc)
        r.rc = prover_for(cache, vdir, &prover, &r.err);
    if (!r.rc) {
        proof_call call = {prover, p, dir, cfg->threads};
        pipeline_forked f = {"proof", call_proof, &call, beat_proof, p};
        int64_t deadline = cfg->timeout_s > 0 ? zkml_monotonic_ms() + cfg->timeout_s * 1000 : 0;
        int rc = pipeline_run_forked(s, cfg, deadline, &f, &r, err);
        if (rc)
            return rc;
    }
    char path[4300];
    if (!r.rc && !(r.rc = zkml_path_join(path, sizeof path, dir, "result.json", &r.err)))
        r.rc = zkml_read_file(path, RESULT_MAX_BYTES, &text, &len, &r.err);
    int rc = store_proof_finish(s, p, !r.rc, r.rc ? r.err.message : (const char *)text, err);
    free(text);
    return rc;
}

/* Tells the service a proof ended (a lost message only delays a waiting
 * request to its own time limit). */
static void notify_done(const pipeline_config *cfg, const char *id)
{
    char line[STORE_PROOF_ID_LEN + 2];
    if (!cfg->notify)
        return;
    snprintf(line, sizeof line, "%s\n", id);
    if (write(cfg->notify->done_write, line, strlen(line)) < 0)
        return; /* full or closed: see above */
}

int pipeline_run_next_proof(registry_store *s, const pipeline_config *cfg, pipeline_provers *cache,
                            zkml_error *err)
{
    store_proof p;
    int rc = store_proof_claim_next(s, (int)getpid(), &p, err);
    if (rc <= 0)
        return rc;
    rc = run_proof(s, cfg, cache, &p, err);
    notify_done(cfg, p.id);
    store_proof_free(&p);
    return rc ? rc : 1;
}
