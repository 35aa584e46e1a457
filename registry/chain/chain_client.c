/*
 * chain_client.c - sending signed transactions and reading the chain: the
 * nonce, fees and gas of each transaction come from the node (eth_estimateGas,
 * the latest block's base fee, eth_maxPriorityFeePerGas), a nonce another
 * sender took is refetched, and receipts are polled until a deadline. A call
 * that would revert is caught at estimation, with its reason, before anything
 * is signed.
 */
#include "registry/chain/chain_internal.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { SEND_ATTEMPTS = 4 };

int chain_client_open(const chain_config *cfg, int need_key, chain_client *c, zkml_error *err)
{
    memset(c, 0, sizeof *c);
    if (!cfg->rpc_url[0])
        return zkml_fail(err, ZKML_EINVAL, "no RPC URL configured (set ZKML_RPC_URL)");
    int rc = chain_rpc_open(cfg->rpc_url, cfg->rpc_timeout_ms, &c->rpc, err);
    if (rc)
        return rc;
    c->receipt_timeout_ms = cfg->receipt_timeout_ms > 0 ? cfg->receipt_timeout_ms : 120000;
    cJSON *result;
    rc = chain_rpc_call(c->rpc, "eth_chainId", "[]", &result, NULL, err);
    if (rc == 0) {
        if (!cJSON_IsString(result) || chain_parse_quantity(result->valuestring, &c->chain_id))
            rc = zkml_fail(err, ZKML_ERETRY, "eth_chainId: not a quantity");
        cJSON_Delete(result);
    }
    if (rc == 0 && need_key) {
        if (!cfg->key_file[0])
            rc = zkml_fail(err, ZKML_EINVAL,
                           "no signing key configured (set ZKML_PRIVATE_KEY_FILE)");
        else if ((rc = chain_key_load(cfg->key_file, &c->key, err)) == 0)
            c->has_key = 1;
    }
    if (rc)
        chain_client_close(c);
    return rc;
}

void chain_client_close(chain_client *c)
{
    chain_rpc_close(c->rpc);
    chain_key_wipe(&c->key);
    memset(c, 0, sizeof *c);
}

/* Calls a method whose result is a quantity string. */
static int call_quantity256(chain_client *c, const char *method, const char *params,
                            uint8_t word[32], zkml_error *err)
{
    cJSON *result;
    int rc = chain_rpc_call(c->rpc, method, params, &result, NULL, err);
    if (rc)
        return rc;
    if (!cJSON_IsString(result) || chain_parse_quantity256(result->valuestring, word))
        rc = zkml_fail(err, ZKML_ERETRY, "%s: the answer is not a quantity", method);
    cJSON_Delete(result);
    return rc;
}

static int call_quantity(chain_client *c, const char *method, const char *params, uint64_t *value,
                         zkml_error *err)
{
    uint8_t word[32];
    int rc = call_quantity256(c, method, params, word, err);
    if (rc)
        return rc;
    for (int i = 0; i < 24; i++)
        if (word[i])
            return zkml_fail(err, ZKML_ERETRY, "%s: the answer does not fit 64 bits", method);
    uint64_t v = 0;
    for (int i = 24; i < 32; i++)
        v = (v << 8) | word[i];
    *value = v;
    return 0;
}

/* {"from":..,"to":..,"data":..} for eth_call and eth_estimateGas; malloc'ed. */
static char *call_object(const uint8_t *from, const uint8_t *to, const uint8_t *data, size_t len)
{
    size_t cap = 2 * len + 128;
    char *s = malloc(cap);
    if (!s)
        return NULL;
    size_t n = (size_t)snprintf(s, cap, "{");
    if (from) {
        n += (size_t)snprintf(s + n, cap - n, "\"from\":\"");
        chain_hex(from, 20, s + n);
        n += 42;
        n += (size_t)snprintf(s + n, cap - n, "\",");
    }
    if (to) {
        n += (size_t)snprintf(s + n, cap - n, "\"to\":\"");
        chain_hex(to, 20, s + n);
        n += 42;
        n += (size_t)snprintf(s + n, cap - n, "\",");
    }
    n += (size_t)snprintf(s + n, cap - n, "\"data\":\"");
    chain_hex(data, len, s + n);
    n += 2 + 2 * len;
    snprintf(s + n, cap - n, "\"}");
    return s;
}

/* A JSON-RPC error that carries revert data becomes "<what> reverted: <reason>". */
static int revert_error(const chain_rpc_error *e, const char *what, zkml_error *err)
{
    char reason[256];
    if (e->data_len)
        abi_describe_revert(e->data, e->data_len, reason, sizeof reason);
    else
        snprintf(reason, sizeof reason, "%s", e->message);
    return zkml_fail(err, ZKML_EREJECTED, "%s reverted: %s", what, reason);
}

int chain_eth_call(chain_client *c, const uint8_t to[20], const uint8_t *calldata, size_t len,
                   uint8_t **out, size_t *out_len, zkml_error *err)
{
    *out = NULL;
    *out_len = 0;
    char *object = call_object(NULL, to, calldata, len);
    if (!object)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory building eth_call");
    size_t cap = strlen(object) + 16;
    char *params = malloc(cap);
    if (!params) {
        free(object);
        return zkml_fail(err, ZKML_ENOMEM, "out of memory building eth_call");
    }
    snprintf(params, cap, "[%s,\"latest\"]", object);
    free(object);
    cJSON *result;
    chain_rpc_error e = {0};
    int rc = chain_rpc_call(c->rpc, "eth_call", params, &result, &e, err);
    free(params);
    if (rc == ZKML_EREJECTED && e.has_error)
        rc = revert_error(&e, "eth_call", err);
    chain_rpc_error_clear(&e);
    if (rc)
        return rc;
    if (!cJSON_IsString(result) || chain_unhex_alloc(result->valuestring, out, out_len))
        rc = zkml_fail(err, ZKML_ERETRY, "eth_call: the answer is not hex data");
    cJSON_Delete(result);
    return rc;
}

int chain_has_code(chain_client *c, const uint8_t address[20], int *has, zkml_error *err)
{
    char params[64];
    char hex[43];
    chain_hex(address, 20, hex);
    snprintf(params, sizeof params, "[\"%s\",\"latest\"]", hex);
    cJSON *result;
    int rc = chain_rpc_call(c->rpc, "eth_getCode", params, &result, NULL, err);
    if (rc)
        return rc;
    if (!cJSON_IsString(result))
        rc = zkml_fail(err, ZKML_ERETRY, "eth_getCode: the answer is not hex data");
    else
        *has = strlen(result->valuestring) > 2;
    cJSON_Delete(result);
    return rc;
}

/* ---- fees, gas and nonce ---------------------------------------------------- */

/* sum = a + b over 256-bit big-endian words; -1 on overflow. */
static int word_add(const uint8_t a[32], const uint8_t b[32], uint8_t sum[32])
{
    unsigned carry = 0;
    for (int i = 31; i >= 0; i--) {
        unsigned s = (unsigned)a[i] + b[i] + carry;
        sum[i] = (uint8_t)s;
        carry = s >> 8;
    }
    return carry ? -1 : 0;
}

/* maxFee = 2 * baseFee + tip, so the transaction survives a few full blocks. */
static int fetch_fees(chain_client *c, uint8_t tip[32], uint8_t max_fee[32], zkml_error *err)
{
    cJSON *block;
    int rc =
        chain_rpc_call(c->rpc, "eth_getBlockByNumber", "[\"latest\",false]", &block, NULL, err);
    if (rc)
        return rc;
    const cJSON *base = cJSON_GetObjectItemCaseSensitive(block, "baseFeePerGas");
    uint8_t base_fee[32];
    if (!cJSON_IsString(base) || chain_parse_quantity256(base->valuestring, base_fee))
        rc = zkml_fail(err, ZKML_EINVAL,
                       "the chain's latest block has no baseFeePerGas: EIP-1559 "
                       "transactions need a London (or later) chain");
    cJSON_Delete(block);
    if (rc)
        return rc;
    zkml_error ignored;
    if (call_quantity256(c, "eth_maxPriorityFeePerGas", "[]", tip, &ignored) != 0)
        abi_word_from_u64(1000000000, tip); /* 1 gwei where the node has no suggestion */
    uint8_t twice[32];
    if (word_add(base_fee, base_fee, twice) || word_add(twice, tip, max_fee))
        return zkml_fail(err, ZKML_EINVAL, "the chain's base fee overflows 256 bits");
    return 0;
}

static int estimate_gas(chain_client *c, int has_to, const uint8_t to[20], const uint8_t *data,
                        size_t len, uint64_t *gas, zkml_error *err)
{
    char *object = call_object(c->key.address, has_to ? to : NULL, data, len);
    if (!object)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory building eth_estimateGas");
    size_t cap = strlen(object) + 4;
    char *params = malloc(cap);
    if (!params) {
        free(object);
        return zkml_fail(err, ZKML_ENOMEM, "out of memory building eth_estimateGas");
    }
    snprintf(params, cap, "[%s]", object);
    free(object);
    uint8_t word[32];
    cJSON *result;
    chain_rpc_error e = {0};
    int rc = chain_rpc_call(c->rpc, "eth_estimateGas", params, &result, &e, err);
    free(params);
    if (rc == ZKML_EREJECTED && e.has_error)
        rc = revert_error(&e, "the transaction", err);
    chain_rpc_error_clear(&e);
    if (rc)
        return rc;
    if (!cJSON_IsString(result) || chain_parse_quantity256(result->valuestring, word))
        rc = zkml_fail(err, ZKML_ERETRY, "eth_estimateGas: the answer is not a quantity");
    cJSON_Delete(result);
    if (rc)
        return rc;
    uint64_t estimate = 0;
    for (int i = 24; i < 32; i++)
        estimate = (estimate << 8) | word[i];
    if (estimate > 1000000000)
        return zkml_fail(err, ZKML_EINVAL, "eth_estimateGas: %llu gas is implausible",
                         (unsigned long long)estimate);
    *gas = estimate + estimate / 5 + 10000; /* headroom: estimates are tight */
    return 0;
}

static int fetch_nonce(chain_client *c, zkml_error *err)
{
    char params[80], hex[43];
    chain_hex(c->key.address, 20, hex);
    snprintf(params, sizeof params, "[\"%s\",\"pending\"]", hex);
    int rc = call_quantity(c, "eth_getTransactionCount", params, &c->next_nonce, err);
    if (rc == 0)
        c->nonce_known = 1;
    return rc;
}

/* A rejection caused by the nonce: someone else (another process with the same
 * key) used it, so fetching it again and re-signing fixes it. */
static int is_nonce_error(const chain_rpc_error *e)
{
    return e->has_error &&
           (strstr(e->message, "nonce too low") || strstr(e->message, "NonceTooLow") ||
            strstr(e->message, "replacement transaction underpriced") ||
            strstr(e->message, "already imported"));
}

static int send_raw(chain_client *c, const zkml_buf *raw, chain_rpc_error *e, zkml_error *err)
{
    size_t cap = 2 * raw->len + 16;
    char *params = malloc(cap);
    if (!params)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory building eth_sendRawTransaction");
    params[0] = '[';
    params[1] = '"';
    chain_hex(raw->data, raw->len, params + 2);
    strcat(params, "\"]");
    cJSON *result = NULL;
    int rc = chain_rpc_call(c->rpc, "eth_sendRawTransaction", params, &result, e, err);
    free(params);
    cJSON_Delete(result);
    return rc;
}

int chain_send(chain_client *c, int has_to, const uint8_t to[20], const uint8_t *data, size_t len,
               int (*on_signed)(void *ctx, const uint8_t hash[32], uint64_t nonce, zkml_error *err),
               void *ctx, uint8_t hash[32], zkml_error *err)
{
    if (!c->has_key)
        return zkml_fail(err, ZKML_EINTERNAL, "chain_send without a key");
    chain_tx tx = {.chain_id = c->chain_id, .has_to = has_to, .data = data, .data_len = len};
    if (has_to)
        memcpy(tx.to, to, 20);
    int rc = estimate_gas(c, has_to, to, data, len, &tx.gas_limit, err);
    if (rc == 0)
        rc = fetch_fees(c, tx.max_priority_fee, tx.max_fee, err);
    for (int attempt = 0; rc == 0 && attempt < SEND_ATTEMPTS; attempt++) {
        if (!c->nonce_known && (rc = fetch_nonce(c, err)) != 0)
            break;
        tx.nonce = c->next_nonce;
        zkml_buf raw = {0};
        rc = chain_tx_sign(&tx, &c->key, &raw, hash, err);
        if (rc == 0 && on_signed)
            rc = on_signed(ctx, hash, tx.nonce, err);
        chain_rpc_error e = {0};
        if (rc == 0)
            rc = send_raw(c, &raw, &e, err);
        zkml_buf_free(&raw);
        int retry_nonce = rc == ZKML_EREJECTED && is_nonce_error(&e);
        int known = rc == ZKML_EREJECTED && e.has_error && strstr(e.message, "already known");
        chain_rpc_error_clear(&e);
        if (rc == 0 || known) {
            c->next_nonce++;
            return 0;
        }
        if (!retry_nonce)
            return rc;
        c->nonce_known = 0; /* taken by another sender: fetch it again */
        rc = 0;
    }
    if (rc == 0)
        rc = zkml_fail(err, ZKML_ERETRY, "the nonce kept being taken by another sender (%d tries)",
                       SEND_ATTEMPTS);
    return rc;
}

/* ---- receipts ---------------------------------------------------------------- */

static int parse_receipt(const cJSON *r, chain_receipt *out, zkml_error *err)
{
    memset(out, 0, sizeof *out);
    const cJSON *status = cJSON_GetObjectItemCaseSensitive(r, "status");
    const cJSON *block = cJSON_GetObjectItemCaseSensitive(r, "blockNumber");
    const cJSON *gas = cJSON_GetObjectItemCaseSensitive(r, "gasUsed");
    const cJSON *contract = cJSON_GetObjectItemCaseSensitive(r, "contractAddress");
    uint64_t s;
    if (!cJSON_IsString(status) || chain_parse_quantity(status->valuestring, &s) ||
        !cJSON_IsString(block) || chain_parse_quantity(block->valuestring, &out->block) ||
        !cJSON_IsString(gas) || chain_parse_quantity(gas->valuestring, &out->gas_used))
        return zkml_fail(err, ZKML_ERETRY, "eth_getTransactionReceipt: a malformed receipt");
    out->status = s == 1;
    if (cJSON_IsString(contract) && chain_parse_address(contract->valuestring, out->contract) == 0)
        out->has_contract = 1;
    return 0;
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int chain_wait_receipt(chain_client *c, const uint8_t hash[32], chain_receipt *r, int *found,
                       zkml_error *err)
{
    char hex[67], params[80];
    chain_hex(hash, 32, hex);
    snprintf(params, sizeof params, "[\"%s\"]", hex);
    int64_t deadline = zkml_monotonic_ms() + c->receipt_timeout_ms;
    int pause = 100;
    *found = 0;
    for (;;) {
        cJSON *result;
        int rc = chain_rpc_call(c->rpc, "eth_getTransactionReceipt", params, &result, NULL, err);
        if (rc)
            return rc;
        if (!cJSON_IsNull(result)) {
            rc = parse_receipt(result, r, err);
            cJSON_Delete(result);
            *found = rc == 0;
            return rc;
        }
        cJSON_Delete(result);
        rc = chain_rpc_call(c->rpc, "eth_getTransactionByHash", params, &result, NULL, err);
        if (rc)
            return rc;
        int dropped = cJSON_IsNull(result);
        cJSON_Delete(result);
        if (dropped)
            return 0;
        if (zkml_monotonic_ms() > deadline)
            return zkml_fail(err, ZKML_ERETRY,
                             "transaction %s was not mined within %.1f s; it is still pending "
                             "and the step can be retried",
                             hex, c->receipt_timeout_ms / 1000.0);
        sleep_ms(pause);
        if (pause < 2000)
            pause *= 2;
    }
}
