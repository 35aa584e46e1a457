/*
 * chain.c - the registry on chain: configuration from the environment,
 * deploying ModelRegistry, the register step (registerVersion with the key and
 * the proof; the registry deploys the verifier) and the lookups behind
 * GET /models/{task}/versions/onchain and /models/by-hash/{hash}/onchain. The
 * register step records its transaction in chain.pending.json before sending
 * it, so a retry after an outage picks up where it stopped instead of paying twice.
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
    size_t len;
    int rc = registry_call(c, reg, "getVersion(string,uint256)", args, 2, &out, &len, err);
    if (rc == 0)
        rc = abi_decode_version(out, len, 0, v, err);
    free(out);
    return rc;
}

/* registrationAt(hash, index): the task (malloc'ed) and version of one
 * registration of a model hash. */
static int call_registration_at(chain_client *c, const uint8_t reg[20], const uint8_t hash[32],
                                uint64_t index, char **task, uint64_t *version, zkml_error *err)
{
    *task = NULL;
    uint8_t number[32];
    abi_word_from_u64(index, number);
    abi_arg args[2] = {{ABI_WORD, hash, 32}, {ABI_WORD, number, 32}};
    uint8_t *out;
    size_t len, pos;
    int rc = registry_call(c, reg, "registrationAt(bytes32,uint256)", args, 2, &out, &len, err);
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
    /* SHA-256 of model.onnx, network.r1cs, settings.json, verification_key.json */
    uint8_t model_hash[32], circuit_hash[32], settings_hash[32], vk_json_hash[32];
    uint8_t *key;   /* the key words registerVersion takes */
    size_t n_key;
    uint8_t *proof; /* a, b, c and the public signals, as words */
    size_t n_proof;
    uint8_t vk_hash[32], signals_hash[32]; /* keccak-256, as the registry computes them */
    chain_receipt receipt;
    int mined;
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
        if (!run->pending || !cJSON_AddStringToObject(run->pending, "registry_address", registry_hex))
            return zkml_fail(err, ZKML_ENOMEM, "out of memory for chain.pending.json");
    }
    return 0;
}

/* Records the transaction ("register_tx", "register_nonce") before it is sent. */
static int record_signed(void *ctx, const uint8_t hash[32], uint64_t nonce, zkml_error *err)
{
    register_run *run = ctx;
    char hex[67];
    chain_hex(hash, 32, hex);
    cJSON_DeleteItemFromObjectCaseSensitive(run->pending, "register_tx");
    cJSON_DeleteItemFromObjectCaseSensitive(run->pending, "register_nonce");
    cJSON_AddStringToObject(run->pending, "register_tx", hex);
    cJSON_AddNumberToObject(run->pending, "register_nonce", (double)nonce);
    return save_pending(run, err);
}

/* Waits for the recorded transaction. *state: 1 mined, 0 none or dropped (send again). */
static int resume_tx(register_run *run, int *state, zkml_error *err)
{
    const char *hex = pending_string(run->pending, "register_tx");
    uint8_t hash[32];
    *state = 0;
    if (!hex || chain_unhex_exact(hex, hash, 32))
        return 0;
    return chain_wait_receipt(&run->client, hash, &run->receipt, state, err);
}

static int send_and_wait(register_run *run, const uint8_t *data, size_t len, zkml_error *err)
{
    uint8_t hash[32];
    int found;
    int rc = chain_send(&run->client, 1, run->registry, data, len, record_signed, run, hash, err);
    if (rc == 0)
        rc = chain_wait_receipt(&run->client, hash, &run->receipt, &found, err);
    if (rc == 0 && !found) {
        char hex[67];
        chain_hex(hash, 32, hex);
        rc = zkml_fail(err, ZKML_ERETRY, "transaction %s was dropped by the node; retry the step",
                       hex);
    }
    return rc;
}

static int register_calldata(register_run *run, chain_buf *calldata, zkml_error *err)
{
    abi_arg args[9] = {
        string_arg(run->task_id),
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

/* Whether the task already holds this proof: a version with the same model,
 * circuit and settings hashes, key and public signals; *version its number.
 * Only the task's owner adds versions to it, so nobody else can make a run
 * believe it is done. */
static int find_registered(register_run *run, uint64_t *version, zkml_error *err)
{
    uint64_t count;
    int rc = call_task_u64(&run->client, run->registry, "versionCount(string)", run->task_id,
                           &count, err);
    *version = 0;
    for (uint64_t i = count; rc == 0 && i >= 1 && i + MAX_LISTED_VERSIONS > count; i--) {
        chain_version v;
        if ((rc = call_get_version(&run->client, run->registry, run->task_id, i, &v, err)))
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

static int ensure_registered(register_run *run, uint64_t *onchain_version, zkml_error *err)
{
    int state, rc;
    if ((rc = resume_tx(run, &state, err)))
        return rc;
    if (state && !run->receipt.status) {
        /* Forget the reverted attempt so a later retry sends a fresh one. */
        cJSON_DeleteItemFromObjectCaseSensitive(run->pending, "register_tx");
        save_pending(run, NULL);
        return zkml_fail(err, ZKML_EREJECTED, "registerVersion reverted in block %llu",
                         (unsigned long long)run->receipt.block);
    }
    if ((rc = find_registered(run, onchain_version, err)))
        return rc;
    run->mined = state && *onchain_version;
    if (*onchain_version)
        return 0;
    chain_buf calldata = {0};
    rc = register_calldata(run, &calldata, err);
    if (rc == 0)
        rc = send_and_wait(run, calldata.data, calldata.len, err);
    chain_buf_free(&calldata);
    if (rc)
        return zkml_error_prefix(err, "registerVersion");
    if (!run->receipt.status)
        return zkml_fail(err, ZKML_EREJECTED, "registerVersion reverted in block %llu",
                         (unsigned long long)run->receipt.block);
    run->mined = 1;
    if ((rc = find_registered(run, onchain_version, err)))
        return rc;
    if (!*onchain_version)
        return zkml_fail(err, ZKML_EINTERNAL,
                         "registerVersion succeeded but task %s holds no such version",
                         run->task_id);
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

/* What a version records, as GET .../onchain and chain.json show it. */
static void add_version_fields(cJSON *o, const chain_version *v)
{
    add_hex(o, "model_hash", v->model_hash, 32, 0);
    add_hex(o, "circuit_hash", v->circuit_hash, 32, 0);
    add_hex(o, "settings_hash", v->settings_hash, 32, 0);
    add_hex(o, "vk_hash", v->vk_hash, 32, 0);
    add_hex(o, "signals_hash", v->signals_hash, 32, 0);
    add_hex(o, "verifier", v->verifier, 20, 1);
    add_hex(o, "registrant", v->registrant, 20, 1);
    cJSON_AddNumberToObject(o, "timestamp", (double)v->timestamp);
}

/* The public signals as public.json has them (decimal strings). */
static cJSON *public_signals(register_run *run)
{
    char path[4096];
    uint8_t *text;
    size_t len;
    zkml_error ignored;
    if (zkml_path_join(path, sizeof path, run->dir, "public.json", &ignored) ||
        zkml_read_file(path, 1 << 20, &text, &len, &ignored))
        return NULL;
    cJSON *signals = cJSON_ParseWithLength((const char *)text, len);
    free(text);
    return signals;
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
    add_hex(o, "registry_address", run->registry, 20, 1);
    add_version_fields(o, v);
    add_hex(o, "vk_json_sha256", run->vk_json_hash, 32, 0);
    cJSON *signals = public_signals(run);
    if (signals)
        cJSON_AddItemToObject(o, "public_signals", signals);
    const char *tx = pending_string(run->pending, "register_tx");
    if (tx)
        cJSON_AddStringToObject(o, "register_tx", tx);
    else
        cJSON_AddNullToObject(o, "register_tx");
    if (run->mined) {
        cJSON_AddNumberToObject(o, "block", (double)run->receipt.block);
        cJSON_AddNumberToObject(o, "gas_used", (double)run->receipt.gas_used);
    } else {
        cJSON_AddNullToObject(o, "block");
        cJSON_AddNullToObject(o, "gas_used");
    }
    return signals ? o : (cJSON_Delete(o), NULL);
}

static int write_chain_json(register_run *run, uint64_t onchain_version, zkml_error *err)
{
    chain_version v;
    int rc = call_get_version(&run->client, run->registry, run->task_id, onchain_version, &v, err);
    if (rc)
        return rc;
    cJSON *o = chain_record(run, onchain_version, &v);
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

static int hash_file(register_run *run, const char *name, uint8_t hash[32], zkml_error *err)
{
    char path[4096];
    int rc = zkml_path_join(path, sizeof path, run->dir, name, err);
    return rc ? rc : zkml_sha256_file(path, hash, err);
}

/* Everything the transaction carries, and the hashes the registry will compute. */
static int register_inputs(register_run *run, zkml_error *err)
{
    char vk[4096], proof[4096], pub[4096];
    int rc;
    if ((rc = hash_file(run, "model.onnx", run->model_hash, err)) ||
        (rc = hash_file(run, "network.r1cs", run->circuit_hash, err)) ||
        (rc = hash_file(run, "settings.json", run->settings_hash, err)) ||
        (rc = hash_file(run, "verification_key.json", run->vk_json_hash, err)) ||
        (rc = zkml_path_join(vk, sizeof vk, run->dir, "verification_key.json", err)) ||
        (rc = zkml_path_join(proof, sizeof proof, run->dir, "proof.json", err)) ||
        (rc = zkml_path_join(pub, sizeof pub, run->dir, "public.json", err)) ||
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
    uint64_t onchain_version = 0;
    rc = check_registry_code(&run->client, run->registry, err);
    if (rc == 0)
        rc = ensure_registered(run, &onchain_version, err);
    if (rc == 0)
        rc = write_chain_json(run, onchain_version, err);
    chain_client_close(&run->client);
    return rc;
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
    if ((rc = registry_address(cfg, run.registry, err)) == 0 &&
        (rc = register_inputs(&run, err)) == 0)
        rc = register_on_chain(&run, cfg, err);
    free(run.key);
    free(run.proof);
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
    add_version_fields(o, v);
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
    cJSON_AddStringToObject(out, "task_id", task_id);
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
        if (!item)
            return zkml_fail(err, ZKML_ENOMEM, "out of memory listing versions");
        cJSON_AddItemToArray(list, item);
    }
    return 0;
}

/* One registration of a model hash: its task and version, and what the version records. */
static cJSON *registration_json(chain_client *c, const uint8_t reg[20], const uint8_t hash[32],
                                uint64_t index, zkml_error *err)
{
    char *task;
    uint64_t number;
    chain_version v;
    if (call_registration_at(c, reg, hash, index, &task, &number, err) ||
        call_get_version(c, reg, task, number, &v, err)) {
        free(task);
        return NULL;
    }
    cJSON *o = version_json(number, &v);
    if (o && !cJSON_AddStringToObject(o, "task_id", task)) {
        cJSON_Delete(o);
        o = NULL;
    }
    free(task);
    if (!o)
        zkml_fail(err, ZKML_ENOMEM, "out of memory listing registrations");
    return o;
}

static int list_registrations(chain_client *c, const uint8_t reg[20], const char *hash_hex,
                              cJSON *out, zkml_error *err)
{
    uint8_t hash[32];
    if (strlen(hash_hex) != 64 || chain_unhex_exact(hash_hex, hash, 32))
        return zkml_fail(err, ZKML_EINVAL, "model hash '%.80s': expected 64 hex digits (SHA-256)",
                         hash_hex);
    abi_arg arg = {ABI_WORD, hash, 32};
    uint8_t *answer;
    size_t len;
    uint64_t count;
    int rc = registry_call(c, reg, "registrationCount(bytes32)", &arg, 1, &answer, &len, err);
    if (rc == 0)
        rc = abi_read_u64(answer, len, 0, 0, &count, err);
    free(answer);
    if (rc)
        return rc;
    if (count > MAX_LISTED_VERSIONS)
        return zkml_fail(err, ZKML_EINVAL, "model hash %s has %llu registrations, more than %d",
                         hash_hex, (unsigned long long)count, MAX_LISTED_VERSIONS);
    add_hex(out, "model_hash", hash, 32, 0);
    cJSON_AddNumberToObject(out, "count", (double)count);
    cJSON *list = cJSON_AddArrayToObject(out, "registrations");
    if (!list)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory listing registrations");
    for (uint64_t i = 0; i < count; i++) {
        cJSON *item = registration_json(c, reg, hash, i, err);
        if (!item)
            return err->code;
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

typedef int (*onchain_lister)(chain_client *c, const uint8_t reg[20], const char *key,
                              cJSON *out, zkml_error *err);

/* {registry_address, chain_id} and what list adds for key, read with eth_call. */
static int onchain_json(const chain_config *cfg, onchain_lister list, const char *key,
                        char **json, zkml_error *err)
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
        return zkml_fail(err, ZKML_ENOMEM, "out of memory reading the chain");
    }
    add_hex(o, "registry_address", reg, 20, 1);
    cJSON_AddNumberToObject(o, "chain_id", (double)c.chain_id);
    rc = check_registry_code(&c, reg, err);
    if (rc == 0)
        rc = list(&c, reg, key, o, err);
    chain_client_close(&c);
    if (rc) {
        cJSON_Delete(o);
        return rc;
    }
    return print_json(o, json, err);
}

int chain_versions_onchain_json(const chain_config *cfg, const char *task_id, char **json,
                                zkml_error *err)
{
    return onchain_json(cfg, list_versions, task_id, json, err);
}

int chain_registrations_json(const chain_config *cfg, const char *model_hash_hex, char **json,
                             zkml_error *err)
{
    return onchain_json(cfg, list_registrations, model_hash_hex, json, err);
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
