/*
 * chain.c - the registry on chain: configuration from the environment,
 * deploying ModelRegistry, the register step (deploy the version's verifier,
 * registerVersion with its proof) and the lookups behind
 * GET /models/{task}/versions/onchain. The register step records each
 * transaction in chain.pending.json before sending it, so a retry after an
 * outage picks up where it stopped instead of paying twice.
 */
#include "registry/chain/chain_internal.h"

#include "pipeline/evm/evm.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { MAX_LISTED_VERSIONS = 10000 };

/* ---- configuration ---------------------------------------------------------- */

const char *chain_mode_name(chain_mode mode)
{
    switch (mode) {
    case CHAIN_ANVIL: return "anvil";
    case CHAIN_RPC: return "rpc";
    default: return "none";
    }
}

static int copy_env(const char *name, char *out, size_t outlen, zkml_error *err)
{
    const char *v = getenv(name);
    out[0] = '\0';
    if (!v)
        return 0;
    if (strlen(v) >= outlen)
        return zkml_fail(err, ZKML_EINVAL, "%s is longer than %zu characters", name, outlen - 1);
    memcpy(out, v, strlen(v) + 1);
    return 0;
}

int chain_config_from_env(chain_config *cfg, zkml_error *err)
{
    memset(cfg, 0, sizeof *cfg);
    const char *mode = getenv("ZKML_CHAIN");
    if (!mode || !*mode || !strcmp(mode, "none"))
        cfg->mode = CHAIN_NONE;
    else if (!strcmp(mode, "anvil"))
        cfg->mode = CHAIN_ANVIL;
    else if (!strcmp(mode, "rpc"))
        cfg->mode = CHAIN_RPC;
    else
        return zkml_fail(err, ZKML_EINVAL, "ZKML_CHAIN=%.32s: expected none, anvil or rpc", mode);
    int rc;
    if ((rc = copy_env("ZKML_RPC_URL", cfg->rpc_url, sizeof cfg->rpc_url, err)) ||
        (rc = copy_env("ZKML_PRIVATE_KEY_FILE", cfg->key_file, sizeof cfg->key_file, err)) ||
        (rc = copy_env("ZKML_REGISTRY_ADDRESS", cfg->registry_address,
                       sizeof cfg->registry_address, err)))
        return rc;
    uint8_t address[20];
    if (cfg->registry_address[0] && chain_parse_address(cfg->registry_address, address))
        return zkml_fail(err, ZKML_EINVAL, "ZKML_REGISTRY_ADDRESS: expected 0x and 40 hex digits");
    if (cfg->mode == CHAIN_RPC && (!cfg->rpc_url[0] || !cfg->key_file[0]))
        return zkml_fail(err, ZKML_EINVAL,
                         "ZKML_CHAIN=rpc needs ZKML_RPC_URL and ZKML_PRIVATE_KEY_FILE");
    return 0;
}

/* ---- contract calls ---------------------------------------------------------- */

static int registry_address(const chain_config *cfg, uint8_t address[20], zkml_error *err)
{
    if (!cfg->registry_address[0])
        return zkml_fail(err, ZKML_EINVAL,
                         "no registry address: set ZKML_REGISTRY_ADDRESS or run "
                         "'zkml-registry chain deploy-registry'");
    if (chain_parse_address(cfg->registry_address, address))
        return zkml_fail(err, ZKML_EINVAL, "registry address %s is not 0x and 40 hex digits",
                         cfg->registry_address);
    return 0;
}

/* A wrong address (or a wrong chain) would otherwise read as empty answers. */
static int check_registry_code(chain_client *c, const uint8_t reg[20], zkml_error *err)
{
    int has = 0;
    int rc = chain_has_code(c, reg, &has, err);
    if (rc == 0 && !has) {
        char hex[43];
        chain_hex(reg, 20, hex);
        rc = zkml_fail(err, ZKML_EINVAL,
                       "no contract at registry address %s on chain %llu: check "
                       "ZKML_REGISTRY_ADDRESS and ZKML_RPC_URL",
                       hex, (unsigned long long)c->chain_id);
    }
    return rc;
}

static int registry_call(chain_client *c, const uint8_t reg[20], const char *signature,
                         const abi_arg *args, size_t n, uint8_t **out, size_t *out_len,
                         zkml_error *err)
{
    chain_buf calldata = {0};
    int rc = abi_encode_call(signature, args, n, &calldata, err);
    if (rc == 0)
        rc = chain_eth_call(c, reg, calldata.data, calldata.len, out, out_len, err);
    chain_buf_free(&calldata);
    if (rc)
        return zkml_error_prefix(err, "ModelRegistry.%s", signature);
    return 0;
}

static abi_arg string_arg(const char *s)
{
    return (abi_arg){ABI_STRING, (const uint8_t *)s, strlen(s)};
}

static int call_task_u64(chain_client *c, const uint8_t reg[20], const char *signature,
                         const char *task_id, uint64_t *value, zkml_error *err)
{
    abi_arg arg = string_arg(task_id);
    uint8_t *out;
    size_t len;
    int rc = registry_call(c, reg, signature, &arg, 1, &out, &len, err);
    if (rc == 0)
        rc = abi_read_u64(out, len, 0, 0, value, err);
    free(out);
    return rc;
}

static int call_task_owner(chain_client *c, const uint8_t reg[20], const char *task_id,
                           uint8_t owner[20], zkml_error *err)
{
    abi_arg arg = string_arg(task_id);
    uint8_t *out, word[32];
    size_t len;
    int rc = registry_call(c, reg, "taskOwner(string)", &arg, 1, &out, &len, err);
    if (rc == 0)
        rc = abi_read_word(out, len, 0, 0, word, err);
    free(out);
    if (rc == 0)
        memcpy(owner, word + 12, 20);
    return rc;
}

static int call_get_version(chain_client *c, const uint8_t reg[20], const char *task_id,
                            uint64_t version, chain_version *v, zkml_error *err)
{
    uint8_t number[32];
    abi_word_from_u64(version, number);
    abi_arg args[2] = {string_arg(task_id), {ABI_WORD, number, 32}};
    uint8_t *out;
    size_t len, pos;
    int rc = registry_call(c, reg, "getVersion(string,uint256)", args, 2, &out, &len, err);
    if (rc == 0 && (rc = abi_read_offset(out, len, 0, 0, &pos, err)) == 0)
        rc = abi_decode_version(out, len, pos, v, err);
    free(out);
    return rc;
}

/* findByModelHash: *version = 0 when the hash is not registered (an empty
 * answer or a revert both mean that). *task is malloc'ed or NULL. */
static int call_find_by_model_hash(chain_client *c, const uint8_t reg[20],
                                   const uint8_t hash[32], char **task, uint64_t *version,
                                   zkml_error *err)
{
    *task = NULL;
    *version = 0;
    abi_arg arg = {ABI_WORD, hash, 32};
    uint8_t *out;
    size_t len, pos;
    int rc = registry_call(c, reg, "findByModelHash(bytes32)", &arg, 1, &out, &len, err);
    if (rc == ZKML_EREJECTED)
        return 0;
    if (rc == 0 && (rc = abi_read_u64(out, len, 0, 1, version, err)) == 0 &&
        (rc = abi_read_offset(out, len, 0, 0, &pos, err)) == 0)
        rc = abi_read_string(out, len, pos, task, NULL, err);
    free(out);
    return rc;
}

/* ---- deploying ----------------------------------------------------------------- */

static int deploy_contract(chain_client *c, const uint8_t *code, size_t len, const char *what,
                           uint8_t address[20], chain_receipt *receipt, zkml_error *err)
{
    uint8_t hash[32];
    int found;
    int rc = chain_send(c, 0, NULL, code, len, NULL, NULL, hash, err);
    if (rc == 0)
        rc = chain_wait_receipt(c, hash, receipt, &found, err);
    if (rc)
        return zkml_error_prefix(err, "deploying %s", what);
    char hex[67];
    chain_hex(hash, 32, hex);
    if (!found)
        return zkml_fail(err, ZKML_ERETRY, "deploying %s: transaction %s was dropped", what, hex);
    if (!receipt->status || !receipt->has_contract)
        return zkml_fail(err, ZKML_EREJECTED, "deploying %s: transaction %s reverted in block %llu",
                         what, hex, (unsigned long long)receipt->block);
    memcpy(address, receipt->contract, 20);
    return 0;
}

int chain_deploy_registry(const chain_config *cfg, char address[43], zkml_error *err)
{
    uint8_t *code;
    size_t len;
    int rc = evm_registry_creation_code(&code, &len, err);
    if (rc)
        return rc;
    chain_client c;
    rc = chain_client_open(cfg, 1, &c, err);
    if (rc == 0) {
        uint8_t deployed[20];
        chain_receipt receipt;
        rc = deploy_contract(&c, code, len, "ModelRegistry", deployed, &receipt, err);
        if (rc == 0)
            chain_hex(deployed, 20, address);
        chain_client_close(&c);
    }
    free(code);
    return rc;
}

/* ---- the register step ------------------------------------------------------------ */

/* What one run of the step works with; pending mirrors chain.pending.json. */
typedef struct register_run {
    const char *dir;
    const char *task_id;
    int version;
    char pending_path[4096];
    cJSON *pending;
    chain_client client;
    uint8_t registry[20];
    uint8_t model_hash[32], vk_hash[32];
    uint8_t verifier[20];
    chain_receipt verifier_receipt, register_receipt;
    int verifier_mined, register_mined;
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

static void pending_set_string(cJSON *o, const char *name, const char *value)
{
    cJSON_DeleteItemFromObjectCaseSensitive(o, name);
    cJSON_AddStringToObject(o, name, value);
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
        if (!run->pending || !cJSON_AddStringToObject(run->pending, "registry_address", registry_hex))
            return zkml_fail(err, ZKML_ENOMEM, "out of memory for chain.pending.json");
    }
    return 0;
}

/* Records a transaction before it is sent: "<prefix>_tx", "<prefix>_nonce", and
 * for a deployment the address the contract will have. */
typedef struct record_ctx {
    register_run *run;
    const char *prefix;
} record_ctx;

static int record_signed(void *ctx, const uint8_t hash[32], uint64_t nonce, zkml_error *err)
{
    record_ctx *r = ctx;
    char name[64], hex[67];
    chain_hex(hash, 32, hex);
    snprintf(name, sizeof name, "%s_tx", r->prefix);
    pending_set_string(r->run->pending, name, hex);
    snprintf(name, sizeof name, "%s_nonce", r->prefix);
    cJSON_DeleteItemFromObjectCaseSensitive(r->run->pending, name);
    cJSON_AddNumberToObject(r->run->pending, name, (double)nonce);
    if (!strcmp(r->prefix, "verifier")) {
        uint8_t predicted[20];
        char address[43];
        chain_create_address(r->run->client.key.address, nonce, predicted);
        chain_hex(predicted, 20, address);
        pending_set_string(r->run->pending, "verifier_address", address);
    }
    return save_pending(r->run, err);
}

/* Waits for a recorded transaction. *state: 1 mined, 0 dropped (send again). */
static int resume_tx(register_run *run, const char *prefix, chain_receipt *receipt, int *state,
                     zkml_error *err)
{
    char name[64];
    snprintf(name, sizeof name, "%s_tx", prefix);
    const char *hex = pending_string(run->pending, name);
    uint8_t hash[32];
    *state = 0;
    if (!hex || chain_unhex_exact(hex, hash, 32))
        return 0;
    return chain_wait_receipt(&run->client, hash, receipt, state, err);
}

static int send_and_wait(register_run *run, const char *prefix, int has_to, const uint8_t *to,
                         const uint8_t *data, size_t len, chain_receipt *receipt, zkml_error *err)
{
    record_ctx ctx = {run, prefix};
    uint8_t hash[32];
    int found;
    int rc = chain_send(&run->client, has_to, to, data, len, record_signed, &ctx, hash, err);
    if (rc == 0)
        rc = chain_wait_receipt(&run->client, hash, receipt, &found, err);
    if (rc == 0 && !found) {
        char hex[67];
        chain_hex(hash, 32, hex);
        rc = zkml_fail(err, ZKML_ERETRY, "transaction %s was dropped by the node; retry the step",
                       hex);
    }
    return rc;
}

static int ensure_verifier(register_run *run, zkml_error *err)
{
    const char *known = pending_string(run->pending, "verifier_address");
    int state, has = 0, rc;
    if ((rc = resume_tx(run, "verifier", &run->verifier_receipt, &state, err)))
        return rc;
    if (state && !run->verifier_receipt.status)
        return zkml_fail(err, ZKML_EREJECTED, "the verifier deployment %s reverted",
                         pending_string(run->pending, "verifier_tx"));
    run->verifier_mined = state;
    /* A dropped or forgotten receipt does not matter if the code is there. */
    if (known && chain_parse_address(known, run->verifier) == 0 &&
        (rc = chain_has_code(&run->client, run->verifier, &has, err)))
        return rc;
    if (has)
        return 0;
    char vk_path[4096];
    if ((rc = zkml_artifact_path(vk_path, sizeof vk_path, run->dir, ZKML_A_VK, err)))
        return rc;
    uint8_t *code;
    size_t len;
    if ((rc = evm_verifier_creation_code(vk_path, &code, &len, err)))
        return rc;
    rc = send_and_wait(run, "verifier", 0, NULL, code, len, &run->verifier_receipt, err);
    free(code);
    if (rc)
        return zkml_error_prefix(err, "deploying the verifier");
    if (!run->verifier_receipt.status || !run->verifier_receipt.has_contract)
        return zkml_fail(err, ZKML_EREJECTED, "deploying the verifier: reverted in block %llu",
                         (unsigned long long)run->verifier_receipt.block);
    memcpy(run->verifier, run->verifier_receipt.contract, 20);
    run->verifier_mined = 1;
    char address[43];
    chain_hex(run->verifier, 20, address);
    pending_set_string(run->pending, "verifier_address", address);
    return save_pending(run, err);
}

static int register_calldata(register_run *run, chain_buf *calldata, zkml_error *err)
{
    char proof_path[4096], public_path[4096];
    int rc;
    if ((rc = zkml_artifact_path(proof_path, sizeof proof_path, run->dir, ZKML_A_PROOF, err)) ||
        (rc = zkml_artifact_path(public_path, sizeof public_path, run->dir, ZKML_A_PUBLIC, err)))
        return rc;
    uint8_t *words;
    size_t n_words;
    if ((rc = evm_proof_words(proof_path, public_path, &words, &n_words, err)))
        return rc;
    if (n_words < 8) {
        free(words);
        return zkml_fail(err, ZKML_EINVAL, "%s: %zu proof words, expected at least 8", proof_path,
                         n_words);
    }
    char uri[160];
    snprintf(uri, sizeof uri, "zkml-registry://%s/v%d", run->task_id, run->version);
    uint8_t verifier_word[32];
    abi_word_from_address(run->verifier, verifier_word);
    abi_arg args[9] = {
        string_arg(run->task_id),
        {ABI_WORD, run->model_hash, 32},
        {ABI_WORD, run->vk_hash, 32},
        {ABI_WORD, verifier_word, 32},
        string_arg(uri),
        {ABI_FIXED_WORDS, words, 64},
        {ABI_FIXED_WORDS, words + 64, 128},
        {ABI_FIXED_WORDS, words + 192, 64},
        {ABI_WORD_ARRAY, words + 256, 32 * (n_words - 8)},
    };
    rc = abi_encode_call("registerVersion(string,bytes32,bytes32,address,string,uint256[2],"
                         "uint256[2][2],uint256[2],uint256[])",
                         args, 9, calldata, err);
    free(words);
    return rc;
}

/* Whether this model is already registered for this task; *version its number.
 * findByModelHash answers the first registration of a hash, which may belong
 * to another task, so the task's latest few versions are checked as well. */
static int find_registered(register_run *run, uint64_t *version, zkml_error *err)
{
    char *task;
    int rc = call_find_by_model_hash(&run->client, run->registry, run->model_hash, &task, version,
                                     err);
    int mine = rc == 0 && task && !strcmp(task, run->task_id) && *version;
    free(task);
    if (rc || mine)
        return rc;
    *version = 0;
    uint64_t count;
    if ((rc = call_task_u64(&run->client, run->registry, "versionCount(string)", run->task_id,
                            &count, err)))
        return rc;
    for (uint64_t i = count; i >= 1 && i + 16 > count; i--) {
        chain_version v;
        if ((rc = call_get_version(&run->client, run->registry, run->task_id, i, &v, err)))
            return rc;
        int same = !memcmp(v.model_hash, run->model_hash, 32);
        chain_version_free(&v);
        if (same) {
            *version = i;
            return 0;
        }
    }
    return 0;
}

static int ensure_registered(register_run *run, uint64_t *onchain_version, zkml_error *err)
{
    int state, rc;
    if ((rc = resume_tx(run, "register", &run->register_receipt, &state, err)))
        return rc;
    if (state && !run->register_receipt.status) {
        /* Forget the reverted attempt so a later retry sends a fresh one. */
        cJSON_DeleteItemFromObjectCaseSensitive(run->pending, "register_tx");
        save_pending(run, NULL);
        return zkml_fail(err, ZKML_EREJECTED, "registerVersion reverted in block %llu",
                         (unsigned long long)run->register_receipt.block);
    }
    if ((rc = find_registered(run, onchain_version, err)))
        return rc;
    run->register_mined = state && *onchain_version;
    if (*onchain_version)
        return 0;
    chain_buf calldata = {0};
    rc = register_calldata(run, &calldata, err);
    if (rc == 0)
        rc = send_and_wait(run, "register", 1, run->registry, calldata.data, calldata.len,
                           &run->register_receipt, err);
    chain_buf_free(&calldata);
    if (rc)
        return zkml_error_prefix(err, "registerVersion");
    if (!run->register_receipt.status)
        return zkml_fail(err, ZKML_EREJECTED, "registerVersion reverted in block %llu",
                         (unsigned long long)run->register_receipt.block);
    run->register_mined = 1;
    if ((rc = find_registered(run, onchain_version, err)))
        return rc;
    if (!*onchain_version)
        return zkml_fail(err, ZKML_EINTERNAL,
                         "registerVersion succeeded but findByModelHash does not find the model");
    return 0;
}

static void add_hex(cJSON *o, const char *name, const uint8_t *data, size_t len, int prefixed)
{
    char hex[2 * 32 + 3];
    if (prefixed)
        chain_hex(data, len, hex);
    else
        chain_hex_plain(data, len, hex);
    cJSON_AddStringToObject(o, name, hex);
}

static int write_chain_json(register_run *run, uint64_t onchain_version, zkml_error *err)
{
    chain_version v;
    int rc = call_get_version(&run->client, run->registry, run->task_id, onchain_version, &v, err);
    if (rc)
        return rc;
    cJSON *o = cJSON_CreateObject();
    cJSON *gas = cJSON_CreateObject();
    if (!o || !gas) {
        cJSON_Delete(o);
        cJSON_Delete(gas);
        chain_version_free(&v);
        return zkml_fail(err, ZKML_ENOMEM, "out of memory writing chain.json");
    }
    cJSON_AddStringToObject(o, "task_id", run->task_id);
    cJSON_AddNumberToObject(o, "version", run->version);
    cJSON_AddNumberToObject(o, "onchain_version", (double)onchain_version);
    cJSON_AddNumberToObject(o, "chain_id", (double)run->client.chain_id);
    add_hex(o, "registry_address", run->registry, 20, 1);
    add_hex(o, "verifier_address", v.verifier, 20, 1);
    add_hex(o, "model_hash", v.model_hash, 32, 0);
    add_hex(o, "vk_hash", v.vk_hash, 32, 0);
    cJSON_AddStringToObject(o, "uri", v.uri);
    add_hex(o, "registrant", v.registrant, 20, 1);
    cJSON_AddNumberToObject(o, "timestamp", (double)v.timestamp);
    const char *vtx = pending_string(run->pending, "verifier_tx");
    const char *rtx = pending_string(run->pending, "register_tx");
    if (vtx)
        cJSON_AddStringToObject(o, "verifier_tx", vtx);
    else
        cJSON_AddNullToObject(o, "verifier_tx");
    if (rtx)
        cJSON_AddStringToObject(o, "register_tx", rtx);
    else
        cJSON_AddNullToObject(o, "register_tx");
    if (run->register_mined)
        cJSON_AddNumberToObject(o, "block", (double)run->register_receipt.block);
    else
        cJSON_AddNullToObject(o, "block");
    cJSON_AddItemToObject(o, "gas_used", gas);
    if (run->verifier_mined)
        cJSON_AddNumberToObject(gas, "verifier", (double)run->verifier_receipt.gas_used);
    else
        cJSON_AddNullToObject(gas, "verifier");
    if (run->register_mined)
        cJSON_AddNumberToObject(gas, "register", (double)run->register_receipt.gas_used);
    else
        cJSON_AddNullToObject(gas, "register");
    chain_version_free(&v);
    char *text = cJSON_Print(o);
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

static int register_hashes(register_run *run, zkml_error *err)
{
    char path[4096];
    int rc;
    if ((rc = zkml_artifact_path(path, sizeof path, run->dir, ZKML_A_MODEL, err)) ||
        (rc = zkml_sha256_file(path, run->model_hash, err)) ||
        (rc = zkml_artifact_path(path, sizeof path, run->dir, ZKML_A_VK, err)) ||
        (rc = zkml_sha256_file(path, run->vk_hash, err)))
        return rc;
    return 0;
}

/* Only the first registrant adds versions: refuse before paying for a verifier. */
static int check_task_owner(register_run *run, zkml_error *err)
{
    uint8_t owner[20];
    static const uint8_t nobody[20];
    int rc = call_task_owner(&run->client, run->registry, run->task_id, owner, err);
    if (rc || !memcmp(owner, nobody, 20) || !memcmp(owner, run->client.key.address, 20))
        return rc;
    char owner_hex[43], ours[43];
    chain_hex(owner, 20, owner_hex);
    chain_hex(run->client.key.address, 20, ours);
    return zkml_fail(err, ZKML_EREJECTED,
                     "NotTaskOwner: task %s belongs to %s, and the configured key is %s",
                     run->task_id, owner_hex, ours);
}

int chain_register_step(const chain_config *cfg, const char *dir, const char *task_id,
                        int version, zkml_error *err)
{
    if (cfg->mode == CHAIN_NONE)
        return zkml_fail(err, ZKML_EUNAVAILABLE,
                         "register: no chain configured (ZKML_CHAIN=none); set ZKML_CHAIN to "
                         "anvil or rpc");
    if (zkml_task_id_check(task_id, err))
        return zkml_error_prefix(err, "register");
    if (version < 1)
        return zkml_fail(err, ZKML_EINVAL, "register: version %d is not a version number",
                         version);
    register_run run = {.dir = dir, .task_id = task_id, .version = version};
    char chain_json[4096];
    int rc;
    if ((rc = zkml_artifact_path(chain_json, sizeof chain_json, dir, ZKML_A_CHAIN, err)) ||
        (rc = zkml_path_join(run.pending_path, sizeof run.pending_path, dir,
                             "chain.pending.json", err)))
        return rc;
    if (zkml_file_exists(chain_json))
        return 0; /* registered by an earlier run */
    if ((rc = registry_address(cfg, run.registry, err)) || (rc = register_hashes(&run, err)))
        return zkml_error_prefix(err, "register");
    char registry_hex[43];
    chain_hex(run.registry, 20, registry_hex);
    if ((rc = load_pending(&run, registry_hex, err)) == 0 &&
        (rc = chain_client_open(cfg, 1, &run.client, err)) == 0) {
        uint64_t onchain_version = 0;
        rc = check_registry_code(&run.client, run.registry, err);
        if (rc == 0)
            rc = find_registered(&run, &onchain_version, err);
        if (rc == 0 && !onchain_version && (rc = check_task_owner(&run, err)) == 0)
            rc = ensure_verifier(&run, err);
        if (rc == 0)
            rc = ensure_registered(&run, &onchain_version, err);
        if (rc == 0)
            rc = write_chain_json(&run, onchain_version, err);
        chain_client_close(&run.client);
    }
    cJSON_Delete(run.pending);
    if (rc)
        return zkml_error_prefix(err, "register %s v%d", task_id, version);
    return 0;
}

/* ---- lookups -------------------------------------------------------------------- */

static cJSON *version_json(uint64_t number, const chain_version *v)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "version", (double)number);
    add_hex(o, "model_hash", v->model_hash, 32, 0);
    add_hex(o, "vk_hash", v->vk_hash, 32, 0);
    add_hex(o, "verifier", v->verifier, 20, 1);
    cJSON_AddStringToObject(o, "uri", v->uri);
    add_hex(o, "registrant", v->registrant, 20, 1);
    cJSON_AddNumberToObject(o, "timestamp", (double)v->timestamp);
    return o;
}

static int list_versions(chain_client *c, const uint8_t reg[20], const char *task_id,
                         cJSON *out, zkml_error *err)
{
    uint8_t owner[20];
    uint64_t count;
    int rc;
    if ((rc = call_task_owner(c, reg, task_id, owner, err)) ||
        (rc = call_task_u64(c, reg, "versionCount(string)", task_id, &count, err)))
        return rc;
    if (count > MAX_LISTED_VERSIONS)
        return zkml_fail(err, ZKML_EINVAL, "task %s has %llu versions on chain, more than %d",
                         task_id, (unsigned long long)count, MAX_LISTED_VERSIONS);
    add_hex(out, "owner", owner, 20, 1);
    cJSON_AddNumberToObject(out, "count", (double)count);
    cJSON *list = cJSON_AddArrayToObject(out, "versions");
    if (!list)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory listing versions");
    for (uint64_t i = 1; i <= count; i++) {
        chain_version v;
        if ((rc = call_get_version(c, reg, task_id, i, &v, err)))
            return rc;
        cJSON *item = version_json(i, &v);
        chain_version_free(&v);
        if (!item)
            return zkml_fail(err, ZKML_ENOMEM, "out of memory listing versions");
        cJSON_AddItemToArray(list, item);
    }
    return 0;
}

static int print_json(cJSON *o, char **json, zkml_error *err)
{
    *json = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    return *json ? 0 : zkml_fail(err, ZKML_ENOMEM, "out of memory printing JSON");
}

int chain_versions_onchain_json(const chain_config *cfg, const char *task_id, char **json,
                                zkml_error *err)
{
    *json = NULL;
    uint8_t reg[20];
    if (cfg->mode == CHAIN_NONE)
        return zkml_fail(err, ZKML_EUNAVAILABLE, "no chain configured (ZKML_CHAIN=none)");
    int rc = registry_address(cfg, reg, err);
    if (rc)
        return rc;
    chain_client c;
    if ((rc = chain_client_open(cfg, 0, &c, err)))
        return rc;
    cJSON *o = cJSON_CreateObject();
    if (!o) {
        chain_client_close(&c);
        return zkml_fail(err, ZKML_ENOMEM, "out of memory listing versions");
    }
    cJSON_AddStringToObject(o, "task_id", task_id);
    add_hex(o, "registry_address", reg, 20, 1);
    cJSON_AddNumberToObject(o, "chain_id", (double)c.chain_id);
    rc = check_registry_code(&c, reg, err);
    if (rc == 0)
        rc = list_versions(&c, reg, task_id, o, err);
    chain_client_close(&c);
    if (rc) {
        cJSON_Delete(o);
        return rc;
    }
    return print_json(o, json, err);
}

int chain_status_json(const chain_config *cfg, char **json, zkml_error *err)
{
    *json = NULL;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory");
    cJSON_AddStringToObject(o, "mode", chain_mode_name(cfg->mode));
    if (cfg->mode == CHAIN_NONE)
        return print_json(o, json, err);
    chain_client c;
    int rc = chain_client_open(cfg, 0, &c, err);
    if (rc) {
        cJSON_Delete(o);
        return rc;
    }
    cJSON_AddStringToObject(o, "rpc", chain_rpc_where(c.rpc));
    cJSON_AddNumberToObject(o, "chain_id", (double)c.chain_id);
    cJSON *block;
    if ((rc = chain_rpc_call(c.rpc, "eth_blockNumber", "[]", &block, NULL, err)) == 0) {
        if (cJSON_IsString(block))
            cJSON_AddStringToObject(o, "block", block->valuestring);
        cJSON_Delete(block);
    }
    chain_key key;
    if (rc == 0 && cfg->key_file[0] && (rc = chain_key_load(cfg->key_file, &key, err)) == 0) {
        char address[43], params[80];
        chain_hex(key.address, 20, address);
        chain_key_wipe(&key);
        cJSON_AddStringToObject(o, "account", address);
        snprintf(params, sizeof params, "[\"%s\",\"latest\"]", address);
        cJSON *balance;
        if ((rc = chain_rpc_call(c.rpc, "eth_getBalance", params, &balance, NULL, err)) == 0) {
            if (cJSON_IsString(balance))
                cJSON_AddStringToObject(o, "balance_wei", balance->valuestring);
            cJSON_Delete(balance);
        }
    }
    uint8_t reg[20];
    int has = 0;
    if (rc == 0 && cfg->registry_address[0] && (rc = registry_address(cfg, reg, err)) == 0 &&
        (rc = chain_has_code(&c, reg, &has, err)) == 0) {
        add_hex(o, "registry_address", reg, 20, 1);
        cJSON_AddBoolToObject(o, "registry_has_code", has);
    }
    chain_client_close(&c);
    if (rc) {
        cJSON_Delete(o);
        return rc;
    }
    return print_json(o, json, err);
}
