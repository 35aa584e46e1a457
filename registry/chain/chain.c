/*
 * chain.c - the registry on chain: configuration from the environment,
 * ModelRegistry's calls, deploying it, and the lookups behind
 * GET /models/{task}/versions/onchain and /models/by-hash/{hash}/onchain.
 * The register step is register.c.
 */
#include "registry/chain/chain_internal.h"

#include "pipeline/evm/evm.h"
#include "pipeline/snark/snark.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        (rc = copy_env("ZKML_REGISTRY_ADDRESS", cfg->registry_address, sizeof cfg->registry_address,
                       err)))
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

int chain_registry_address(const chain_config *cfg, uint8_t address[20], zkml_error *err)
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
int chain_check_registry_code(chain_client *c, const uint8_t reg[20], zkml_error *err)
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

int chain_registry_call(chain_client *c, const uint8_t reg[20], const char *signature,
                        const abi_arg *args, size_t n, uint8_t **out, size_t *out_len,
                        zkml_error *err)
{
    zkml_buf calldata = {0};
    int rc = abi_encode_call(signature, args, n, &calldata, err);
    if (rc == 0)
        rc = chain_eth_call(c, reg, calldata.data, calldata.len, out, out_len, err);
    zkml_buf_free(&calldata);
    if (rc)
        return zkml_error_prefix(err, "ModelRegistry.%s", signature);
    return 0;
}

static abi_arg string_arg(const char *s)
{
    return (abi_arg){ABI_STRING, (const uint8_t *)s, strlen(s)};
}

int chain_call_task_u64(chain_client *c, const uint8_t reg[20], const char *signature,
                        const char *task_id, uint64_t *value, zkml_error *err)
{
    abi_arg arg = string_arg(task_id);
    uint8_t *out;
    size_t len;
    int rc = chain_registry_call(c, reg, signature, &arg, 1, &out, &len, err);
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
    int rc = chain_registry_call(c, reg, "taskOwner(string)", &arg, 1, &out, &len, err);
    if (rc == 0)
        rc = abi_read_word(out, len, 0, 0, word, err);
    free(out);
    if (rc == 0)
        memcpy(owner, word + 12, 20);
    return rc;
}

int chain_call_get_version(chain_client *c, const uint8_t reg[20], const char *task_id,
                           uint64_t version, chain_version *v, zkml_error *err)
{
    uint8_t number[32];
    abi_word_from_u64(version, number);
    abi_arg args[2] = {string_arg(task_id), {ABI_WORD, number, 32}};
    uint8_t *out;
    size_t len;
    int rc = chain_registry_call(c, reg, "getVersion(string,uint256)", args, 2, &out, &len, err);
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
    int rc = chain_registry_call(c, reg, "registrationAt(bytes32,uint256)", args, 2, &out, &len, err);
    if (rc == 0 && (rc = abi_read_u64(out, len, 0, 1, version, err)) == 0 &&
        (rc = abi_read_offset(out, len, 0, 0, &pos, err)) == 0)
        rc = abi_read_string(out, len, pos, task, NULL, err);
    free(out);
    return rc;
}

void chain_json_hex(cJSON *o, const char *name, const uint8_t *data, size_t len, int prefixed)
{
    char hex[2 * 32 + 3];
    if (prefixed)
        chain_hex(data, len, hex);
    else
        chain_hex_plain(data, len, hex);
    cJSON_AddStringToObject(o, name, hex);
}

/* What a version records, as GET .../onchain and chain.json show it. */
void chain_json_version(cJSON *o, const chain_version *v)
{
    chain_json_hex(o, "model_hash", v->model_hash, 32, 0);
    chain_json_hex(o, "circuit_hash", v->circuit_hash, 32, 0);
    chain_json_hex(o, "settings_hash", v->settings_hash, 32, 0);
    chain_json_hex(o, "vk_hash", v->vk_hash, 32, 0);
    chain_json_hex(o, "signals_hash", v->signals_hash, 32, 0);
    chain_json_hex(o, "verifier", v->verifier, 20, 1);
    chain_json_hex(o, "registrant", v->registrant, 20, 1);
    cJSON_AddNumberToObject(o, "timestamp", (double)v->timestamp);
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

/* ---- lookups -------------------------------------------------------------------- */

static cJSON *version_json(uint64_t number, const chain_version *v)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "version", (double)number);
    chain_json_version(o, v);
    return o;
}

static int list_versions(chain_client *c, const uint8_t reg[20], const void *arg, cJSON *out,
                         zkml_error *err)
{
    const char *task_id = arg;
    uint8_t owner[20];
    uint64_t count;
    int rc;
    if ((rc = call_task_owner(c, reg, task_id, owner, err)) ||
        (rc = chain_call_task_u64(c, reg, "versionCount(string)", task_id, &count, err)))
        return rc;
    if (count > CHAIN_MAX_LISTED_VERSIONS)
        return zkml_fail(err, ZKML_EINVAL, "task %s has %llu versions on chain, more than %d",
                         task_id, (unsigned long long)count, CHAIN_MAX_LISTED_VERSIONS);
    cJSON_AddStringToObject(out, "task_id", task_id);
    chain_json_hex(out, "owner", owner, 20, 1);
    cJSON_AddNumberToObject(out, "count", (double)count);
    cJSON *list = cJSON_AddArrayToObject(out, "versions");
    if (!list)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory listing versions");
    for (uint64_t i = 1; i <= count; i++) {
        chain_version v;
        if ((rc = chain_call_get_version(c, reg, task_id, i, &v, err)))
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
        chain_call_get_version(c, reg, task, number, &v, err)) {
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

static int list_registrations(chain_client *c, const uint8_t reg[20], const void *arg,
                              cJSON *out, zkml_error *err)
{
    const char *hash_hex = arg;
    uint8_t hash[32];
    if (strlen(hash_hex) != 64 || chain_unhex_exact(hash_hex, hash, 32))
        return zkml_fail(err, ZKML_EINVAL, "model hash '%.80s': expected 64 hex digits (SHA-256)",
                         hash_hex);
    abi_arg word = {ABI_WORD, hash, 32};
    uint8_t *answer;
    size_t len;
    uint64_t count;
    int rc =
        chain_registry_call(c, reg, "registrationCount(bytes32)", &word, 1, &answer, &len, err);
    if (rc == 0)
        rc = abi_read_u64(answer, len, 0, 0, &count, err);
    free(answer);
    if (rc)
        return rc;
    if (count > CHAIN_MAX_LISTED_VERSIONS)
        return zkml_fail(err, ZKML_EINVAL, "model hash %s has %llu registrations, more than %d",
                         hash_hex, (unsigned long long)count, CHAIN_MAX_LISTED_VERSIONS);
    chain_json_hex(out, "model_hash", hash, 32, 0);
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

typedef int (*onchain_lister)(chain_client *c, const uint8_t reg[20], const void *arg, cJSON *out,
                              zkml_error *err);

/* {registry_address, chain_id} and what list adds for arg, read with eth_call. */
static int onchain_json(const chain_config *cfg, onchain_lister list, const void *arg, char **json,
                        zkml_error *err)
{
    *json = NULL;
    uint8_t reg[20];
    if (cfg->mode == CHAIN_NONE)
        return zkml_fail(err, ZKML_EUNAVAILABLE, "no chain configured (ZKML_CHAIN=none)");
    int rc = chain_registry_address(cfg, reg, err);
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
    chain_json_hex(o, "registry_address", reg, 20, 1);
    cJSON_AddNumberToObject(o, "chain_id", (double)c.chain_id);
    rc = chain_check_registry_code(&c, reg, err);
    if (rc == 0)
        rc = list(&c, reg, arg, o, err);
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

/* A dataset commitment as evaluation.json writes it (decimal, below r) or as
 * the chain holds it (0x and 64 hex digits), into a big-endian word. */
static int parse_commitment(const char *text, uint8_t word[32], zkml_error *err)
{
    fr_t f;
    uint8_t le[32];
    if (text[0] == '0' && (text[1] == 'x' || text[1] == 'X'))
        return strlen(text) == 66 && !chain_unhex_exact(text + 2, word, 32)
                   ? 0
                   : zkml_fail(err, ZKML_EINVAL,
                               "dataset commitment '%.80s': expected 0x and 64 hex digits",
                               text);
    if (fr_from_dec(&f, text))
        return zkml_fail(err, ZKML_EINVAL,
                         "dataset commitment '%.80s': expected a decimal number below the BN254 "
                         "scalar field's modulus (as evaluation.json writes it) or 0x and 64 "
                         "hex digits",
                         text);
    fr_to_bytes_le(le, &f);
    for (int i = 0; i < 32; i++)
        word[i] = le[31 - i];
    return 0;
}

typedef struct best_query {
    const char *task_id;
    const char *const *commitments;
    size_t n;
} best_query;

/* bestVersion for each of q's commitments, each with its evaluation. */
static int list_best(chain_client *c, const uint8_t reg[20], const void *arg, cJSON *out,
                     zkml_error *err)
{
    const best_query *q = arg;
    cJSON_AddStringToObject(out, "task_id", q->task_id);
    cJSON *list = cJSON_AddArrayToObject(out, "best");
    if (!list)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory reading bestVersion");
    for (size_t i = 0; i < q->n; i++) {
        uint8_t word[32];
        uint64_t version;
        chain_evaluation e;
        int rc = parse_commitment(q->commitments[i], word, err);
        if (rc || (rc = chain_call_best_version(c, reg, q->task_id, word, &version, &e, err)))
            return rc;
        cJSON *item = cJSON_CreateObject();
        if (!item)
            return zkml_fail(err, ZKML_ENOMEM, "out of memory reading bestVersion");
        cJSON_AddItemToArray(list, item);
        cJSON_AddNumberToObject(item, "version", (double)version);
        if (version)
            chain_json_evaluation(item, &e);
        else
            chain_json_commitment(item, word);
    }
    return 0;
}

int chain_best_versions_json(const chain_config *cfg, const char *task_id,
                             const char *const *commitments, size_t n, char **json,
                             zkml_error *err)
{
    if (zkml_task_id_check(task_id, err))
        return err->code;
    best_query q = {task_id, commitments, n};
    return onchain_json(cfg, list_best, &q, json, err);
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
    if (rc == 0 && cfg->registry_address[0] && (rc = chain_registry_address(cfg, reg, err)) == 0 &&
        (rc = chain_has_code(&c, reg, &has, err)) == 0) {
        chain_json_hex(o, "registry_address", reg, 20, 1);
        cJSON_AddBoolToObject(o, "registry_has_code", has);
    }
    chain_client_close(&c);
    if (rc) {
        cJSON_Delete(o);
        return rc;
    }
    return print_json(o, json, err);
}
