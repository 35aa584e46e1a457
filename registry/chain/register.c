/*
 * register.c - the register step: one registerVersion transaction carrying the
 * hashes of the version's files, its verification key and its proof (the
 * registry deploys the verifier from the key), then, when the evaluate step
 * made an evaluation proof, one recordEvaluation transaction with its key and
 * proof (evaluation.c; recordHashedEvaluation, with the inference proof's
 * signals, when the parameters are hashed). Each transaction's hash goes to
 * chain.pending.json before it is sent, so a retry after an outage waits for
 * it instead of paying twice; chain.json records what the chain holds.
 */
#include "registry/chain/chain_internal.h"

#include "pipeline/evm/evm.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* One of the step's transactions: where chain.pending.json records it, and
 * its receipt once mined in this run. */
typedef struct tx_slot {
    const char *what;     /* the function, for messages */
    const char *tx_field; /* chain.pending.json's field for its hash */
    const char *nonce_field;
    chain_receipt receipt;
    int mined;
} tx_slot;

/* What one run of the step works with; pending mirrors chain.pending.json. */
typedef struct register_run {
    const char *dir;
    const char *task_id;
    int version;
    char pending_path[4096];
    cJSON *pending;
    chain_client client;
    uint8_t registry[20];
    /* SHA-256 of model.onnx, network.r1cs, settings.json, verification_key.json */
    uint8_t model_hash[32], circuit_hash[32], settings_hash[32], vk_json_hash[32];
    char model_cid[ZKML_CID_MAX]; /* the model's IPFS CIDv0 (chain.json's uri) */
    uint8_t *key;                 /* the key words registerVersion takes */
    size_t n_key;
    uint8_t *proof; /* a, b, c and the public signals, as words */
    size_t n_proof;
    uint8_t vk_hash[32], signals_hash[32]; /* keccak-256, as the registry computes them */
    chain_eval_inputs eval;
    uint64_t onchain_version;
    tx_slot reg, evaluate;
    tx_slot *slot; /* the transaction being sent */
} register_run;

static int save_pending(register_run *run, zkml_error *err)
{
    char *text = cJSON_Print(run->pending);
    if (!text)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory writing chain.pending.json");
    int rc = zkml_write_file_atomic(run->pending_path, text, strlen(text), err);
    free(text);
    return rc;
}

static const char *pending_string(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Loads chain.pending.json; progress recorded for another registry is dropped. */
static int load_pending(register_run *run, const char *registry_hex, zkml_error *err)
{
    uint8_t *text;
    size_t len;
    int rc = zkml_read_file(run->pending_path, 1 << 20, &text, &len, err);
    if (rc == ZKML_ENOTFOUND) {
        run->pending = NULL;
    } else if (rc) {
        return rc;
    } else {
        run->pending = cJSON_ParseWithLength((const char *)text, len);
        free(text);
        const char *reg = run->pending ? pending_string(run->pending, "registry_address") : NULL;
        if (!reg || strcmp(reg, registry_hex)) {
            cJSON_Delete(run->pending);
            run->pending = NULL;
        }
    }
    if (!run->pending) {
        run->pending = cJSON_CreateObject();
        if (!run->pending ||
            !cJSON_AddStringToObject(run->pending, "registry_address", registry_hex))
            return zkml_fail(err, ZKML_ENOMEM, "out of memory for chain.pending.json");
    }
    return 0;
}

/* Records the slot's transaction (e.g. "register_tx", "register_nonce") before it is sent. */
static int record_signed(void *ctx, const uint8_t hash[32], uint64_t nonce, zkml_error *err)
{
    register_run *run = ctx;
    char hex[67];
    chain_hex(hash, 32, hex);
    cJSON_DeleteItemFromObjectCaseSensitive(run->pending, run->slot->tx_field);
    cJSON_DeleteItemFromObjectCaseSensitive(run->pending, run->slot->nonce_field);
    cJSON_AddStringToObject(run->pending, run->slot->tx_field, hex);
    cJSON_AddNumberToObject(run->pending, run->slot->nonce_field, (double)nonce);
    return save_pending(run, err);
}

/* Waits for the recorded transaction. *state: 1 mined, 0 none or dropped (send again). */
static int resume_tx(register_run *run, int *state, zkml_error *err)
{
    const char *hex = pending_string(run->pending, run->slot->tx_field);
    uint8_t hash[32];
    *state = 0;
    if (!hex || chain_unhex_exact(hex, hash, 32))
        return 0;
    return chain_wait_receipt(&run->client, hash, &run->slot->receipt, state, err);
}

static int send_and_wait(register_run *run, const uint8_t *data, size_t len, zkml_error *err)
{
    uint8_t hash[32];
    int found;
    int rc = chain_send(&run->client, 1, run->registry, data, len, record_signed, run, hash, err);
    if (rc == 0)
        rc = chain_wait_receipt(&run->client, hash, &run->slot->receipt, &found, err);
    if (rc == 0 && !found) {
        char hex[67];
        chain_hex(hash, 32, hex);
        rc = zkml_fail(err, ZKML_ERETRY, "transaction %s was dropped by the node; retry the step",
                       hex);
    }
    return rc;
}

static int register_calldata(const register_run *run, zkml_buf *calldata, zkml_error *err)
{
    abi_arg args[9] = {
        {ABI_STRING, (const uint8_t *)run->task_id, strlen(run->task_id)},
        {ABI_WORD, run->model_hash, 32},
        {ABI_WORD, run->circuit_hash, 32},
        {ABI_WORD, run->settings_hash, 32},
        {ABI_WORD_ARRAY, run->key, 32 * run->n_key},
        {ABI_FIXED_WORDS, run->proof, 64},
        {ABI_FIXED_WORDS, run->proof + 64, 128},
        {ABI_FIXED_WORDS, run->proof + 192, 64},
        {ABI_WORD_ARRAY, run->proof + 256, 32 * (run->n_proof - 8)},
    };
    return abi_encode_call("registerVersion(string,bytes32,bytes32,bytes32,uint256[],"
                           "uint256[2],uint256[2][2],uint256[2],uint256[])",
                           args, 9, calldata, err);
}

static int evaluation_calldata(const register_run *run, zkml_buf *calldata, zkml_error *err)
{
    return chain_eval_calldata(&run->eval, run->task_id, run->onchain_version, run->proof + 256,
                               run->n_proof - 8, calldata, err);
}

/* Whether the task already holds this proof: a version with the same model,
 * circuit and settings hashes, key and public signals; *version its number.
 * Only the task's owner adds versions to it, so nobody else can make a run
 * believe it is done. */
static int find_registered(register_run *run, uint64_t *version, zkml_error *err)
{
    uint64_t count;
    int rc = chain_call_task_u64(&run->client, run->registry, "versionCount(string)", run->task_id,
                                 &count, err);
    *version = 0;
    for (uint64_t i = count; rc == 0 && i >= 1 && i + CHAIN_MAX_LISTED_VERSIONS > count; i--) {
        chain_version v;
        if ((rc = chain_call_get_version(&run->client, run->registry, run->task_id, i, &v, err)))
            break;
        if (!memcmp(v.model_hash, run->model_hash, 32) &&
            !memcmp(v.circuit_hash, run->circuit_hash, 32) &&
            !memcmp(v.settings_hash, run->settings_hash, 32) &&
            !memcmp(v.vk_hash, run->vk_hash, 32) &&
            !memcmp(v.signals_hash, run->signals_hash, 32)) {
            *version = i;
            break;
        }
    }
    return rc;
}

/* Whether the version already holds this evaluation (*found 1). Another
 * evaluation there fails: a version records one, and only the task's owner
 * records it. */
static int find_evaluated(register_run *run, uint64_t *found, zkml_error *err)
{
    chain_evaluation e;
    int rc = chain_call_get_evaluation(&run->client, run->registry, run->task_id,
                                       run->onchain_version, &e, err);
    *found = 0;
    if (rc || !e.kind)
        return rc;
    if (!chain_eval_matches(&run->eval, &e))
        return zkml_fail(err, ZKML_EREJECTED,
                         "task %s version %llu already records another evaluation", run->task_id,
                         (unsigned long long)run->onchain_version);
    *found = 1;
    return 0;
}

typedef int (*find_fn)(register_run *run, uint64_t *found, zkml_error *err);
typedef int (*calldata_fn)(const register_run *run, zkml_buf *calldata, zkml_error *err);

/* Makes the chain hold what find looks for, sending calldata's transaction
 * in run->slot unless an earlier run's (recorded in chain.pending.json) or
 * the chain already holds it. *found: find's answer (nonzero). */
static int ensure_tx(register_run *run, find_fn find, calldata_fn make, uint64_t *found,
                     zkml_error *err)
{
    tx_slot *t = run->slot;
    int state, rc;
    if ((rc = resume_tx(run, &state, err)))
        return rc;
    if (state && !t->receipt.status) {
        /* Forget the reverted attempt so a later retry sends a fresh one. */
        cJSON_DeleteItemFromObjectCaseSensitive(run->pending, t->tx_field);
        save_pending(run, NULL);
        return zkml_fail(err, ZKML_EREJECTED, "%s reverted in block %llu", t->what,
                         (unsigned long long)t->receipt.block);
    }
    if ((rc = find(run, found, err)))
        return rc;
    t->mined = state && *found;
    if (*found)
        return 0;
    zkml_buf calldata = {0};
    rc = make(run, &calldata, err);
    if (rc == 0)
        rc = send_and_wait(run, calldata.data, calldata.len, err);
    zkml_buf_free(&calldata);
    if (rc)
        return zkml_error_prefix(err, "%s", t->what);
    if (!t->receipt.status)
        return zkml_fail(err, ZKML_EREJECTED, "%s reverted in block %llu", t->what,
                         (unsigned long long)t->receipt.block);
    t->mined = 1;
    if ((rc = find(run, found, err)))
        return rc;
    if (!*found)
        return zkml_fail(err, ZKML_EINTERNAL, "%s succeeded but task %s does not hold it",
                         t->what, run->task_id);
    return 0;
}

/* The version, then its evaluation when there is one. */
static int ensure_recorded(register_run *run, zkml_error *err)
{
    uint64_t found;
    run->slot = &run->reg;
    int rc = ensure_tx(run, find_registered, register_calldata, &run->onchain_version, err);
    if (rc || !run->eval.present)
        return rc;
    run->slot = &run->evaluate;
    return ensure_tx(run, find_evaluated, evaluation_calldata, &found, err);
}

/* The public signals as public.json has them (decimal strings). */
static cJSON *public_signals(register_run *run)
{
    char path[4096];
    uint8_t *text;
    size_t len;
    zkml_error ignored;
    if (zkml_artifact_path(path, sizeof path, run->dir, ZKML_A_PUBLIC, &ignored) ||
        zkml_read_file(path, 1 << 20, &text, &len, &ignored))
        return NULL;
    cJSON *signals = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    return signals;
}

static void add_receipt(cJSON *o, const register_run *run, const tx_slot *t, const char *block,
                        const char *gas)
{
    const char *tx = pending_string(run->pending, t->tx_field);
    if (tx)
        cJSON_AddStringToObject(o, t->tx_field, tx);
    else
        cJSON_AddNullToObject(o, t->tx_field);
    if (t->mined) {
        cJSON_AddNumberToObject(o, block, (double)t->receipt.block);
        cJSON_AddNumberToObject(o, gas, (double)t->receipt.gas_used);
    } else {
        cJSON_AddNullToObject(o, block);
        cJSON_AddNullToObject(o, gas);
    }
}

/* chain.json's "evaluation": what the chain records and the dataset's best
 * version there, or why nothing was submitted. */
static int evaluation_record(register_run *run, cJSON *o, zkml_error *err)
{
    cJSON *ev = cJSON_AddObjectToObject(o, "evaluation");
    if (!ev)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory writing chain.json");
    if (!run->eval.present) {
        cJSON_AddStringToObject(ev, "status", "skipped");
        cJSON_AddStringToObject(ev, "reason", run->eval.skipped);
        return 0;
    }
    chain_evaluation e;
    uint64_t best;
    int rc = chain_call_get_evaluation(&run->client, run->registry, run->task_id,
                                       run->onchain_version, &e, err);
    if (!rc)
        rc = chain_call_best_version(&run->client, run->registry, run->task_id,
                                     e.dataset_commitment, &best, NULL, err);
    if (rc)
        return rc;
    cJSON_AddStringToObject(ev, "status", "recorded");
    chain_json_evaluation(ev, &e);
    cJSON_AddNumberToObject(ev, "best_version", (double)best);
    add_receipt(ev, run, &run->evaluate, "block", "gas_used");
    return 0;
}

static cJSON *chain_record(register_run *run, uint64_t onchain_version, const chain_version *v)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "task_id", run->task_id);
    cJSON_AddNumberToObject(o, "version", run->version);
    cJSON_AddNumberToObject(o, "onchain_version", (double)onchain_version);
    cJSON_AddNumberToObject(o, "chain_id", (double)run->client.chain_id);
    chain_json_hex(o, "registry_address", run->registry, 20, 1);
    chain_json_version(o, v);
    /* chain.json has always called it verifier_address (the history's manifest reads it) */
    cJSON_AddItemToObject(o, "verifier_address",
                          cJSON_DetachItemFromObjectCaseSensitive(o, "verifier"));
    chain_json_hex(o, "vk_json_sha256", run->vk_json_hash, 32, 0);
    /* The registry contract has no uri field: the model's IPFS address is
     * recorded here (and in the history's manifest) only, next to the
     * model_hash the chain holds. */
    char uri[ZKML_CID_MAX + 8];
    snprintf(uri, sizeof uri, "ipfs://%s", run->model_cid);
    cJSON_AddStringToObject(o, "model_cid", run->model_cid);
    cJSON_AddStringToObject(o, "uri", uri);
    cJSON *signals = public_signals(run);
    if (signals)
        cJSON_AddItemToObject(o, "public_signals", signals);
    add_receipt(o, run, &run->reg, "block", "gas_used");
    return signals ? o : (cJSON_Delete(o), NULL);
}

static int write_chain_json(register_run *run, zkml_error *err)
{
    chain_version v;
    int rc = chain_call_get_version(&run->client, run->registry, run->task_id,
                                    run->onchain_version, &v, err);
    if (rc)
        return rc;
    cJSON *o = chain_record(run, run->onchain_version, &v);
    if (o && (rc = evaluation_record(run, o, err))) {
        cJSON_Delete(o);
        return rc;
    }
    char *text = o ? cJSON_Print(o) : NULL;
    cJSON_Delete(o);
    if (!text)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory writing chain.json");
    char path[4096];
    rc = zkml_artifact_path(path, sizeof path, run->dir, ZKML_A_CHAIN, err);
    if (rc == 0)
        rc = zkml_write_file_atomic(path, text, strlen(text), err);
    free(text);
    if (rc == 0)
        unlink(run->pending_path);
    return rc;
}

static int hash_file(register_run *run, zkml_artifact_id id, uint8_t hash[32], zkml_error *err)
{
    char path[4096];
    int rc = zkml_artifact_path(path, sizeof path, run->dir, id, err);
    return rc ? rc : zkml_sha256_file(path, hash, err);
}

/* Everything the transaction carries, and the hashes the registry will compute. */
static int register_inputs(register_run *run, zkml_error *err)
{
    char model[4096], vk[4096], proof[4096], pub[4096];
    int rc;
    if ((rc = hash_file(run, ZKML_A_MODEL, run->model_hash, err)) ||
        (rc = zkml_artifact_path(model, sizeof model, run->dir, ZKML_A_MODEL, err)) ||
        (rc = zkml_cid_file(model, run->model_cid, err)) ||
        (rc = hash_file(run, ZKML_A_R1CS, run->circuit_hash, err)) ||
        (rc = hash_file(run, ZKML_A_SETTINGS, run->settings_hash, err)) ||
        (rc = hash_file(run, ZKML_A_VK, run->vk_json_hash, err)) ||
        (rc = zkml_artifact_path(vk, sizeof vk, run->dir, ZKML_A_VK, err)) ||
        (rc = zkml_artifact_path(proof, sizeof proof, run->dir, ZKML_A_PROOF, err)) ||
        (rc = zkml_artifact_path(pub, sizeof pub, run->dir, ZKML_A_PUBLIC, err)) ||
        (rc = evm_verifier_key_words(vk, &run->key, &run->n_key, err)) ||
        (rc = evm_proof_words(proof, pub, &run->proof, &run->n_proof, err)))
        return rc;
    if (run->n_proof < 9)
        return zkml_fail(err, ZKML_EINVAL, "%s: no public signals", pub);
    evm_keccak256(run->vk_hash, run->key, 32 * run->n_key);
    evm_keccak256(run->signals_hash, run->proof + 256, 32 * (run->n_proof - 8));
    return 0;
}

static int register_on_chain(register_run *run, const chain_config *cfg, zkml_error *err)
{
    char registry_hex[43];
    chain_hex(run->registry, 20, registry_hex);
    int rc = load_pending(run, registry_hex, err);
    if (rc || (rc = chain_client_open(cfg, 1, &run->client, err)))
        return rc;
    rc = chain_check_registry_code(&run->client, run->registry, err);
    if (rc == 0)
        rc = ensure_recorded(run, err);
    if (rc == 0)
        rc = write_chain_json(run, err);
    chain_client_close(&run->client);
    return rc;
}

int chain_register_step(const chain_config *cfg, const char *dir, const char *task_id, int version,
                        zkml_error *err)
{
    if (cfg->mode == CHAIN_NONE)
        return zkml_fail(err, ZKML_EUNAVAILABLE,
                         "register: no chain configured (ZKML_CHAIN=none); set ZKML_CHAIN to "
                         "anvil or rpc");
    if (zkml_task_id_check(task_id, err))
        return zkml_error_prefix(err, "register");
    if (version < 1)
        return zkml_fail(err, ZKML_EINVAL, "register: version %d is not a version number", version);
    register_run run = {
        .dir = dir,
        .task_id = task_id,
        .version = version,
        .reg = {.what = "registerVersion", .tx_field = "register_tx",
                .nonce_field = "register_nonce"},
        .evaluate = {.what = "recordEvaluation", .tx_field = "evaluate_tx",
                     .nonce_field = "evaluate_nonce"},
    };
    char chain_json[4096];
    int rc;
    if ((rc = zkml_artifact_path(chain_json, sizeof chain_json, dir, ZKML_A_CHAIN, err)) ||
        (rc = zkml_path_join(run.pending_path, sizeof run.pending_path, dir, "chain.pending.json",
                             err)))
        return rc;
    if (zkml_file_exists(chain_json))
        return 0; /* registered by an earlier run */
    if ((rc = chain_registry_address(cfg, run.registry, err)) == 0 &&
        (rc = register_inputs(&run, err)) == 0 &&
        (rc = chain_eval_load(dir, &run.eval, err)) == 0 &&
        (rc = chain_eval_check_params(&run.eval, run.proof + 256, run.n_proof - 8, err)) == 0)
        rc = register_on_chain(&run, cfg, err);
    free(run.key);
    free(run.proof);
    chain_eval_free(&run.eval);
    cJSON_Delete(run.pending);
    if (rc)
        return zkml_error_prefix(err, "register %s v%d", task_id, version);
    return 0;
}
