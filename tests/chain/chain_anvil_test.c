/*
 * chain_anvil_test.c - our transactions against a real anvil: raw EIP-1559
 * transactions are accepted and anvil recovers our address as the sender;
 * keccak agrees with the node's web3_sha3; our ecrecover agrees with the
 * 0x01 precompile; contract addresses agree with receipts; a nonce taken by
 * another sender is recovered; the embedded chain keeps its registry across
 * restarts.
 */
#include "chain_test.h"

#include <unistd.h>

static char tmpdir[256];

/* A contract whose code returns the word 42: creation code copies the 10-byte
 * runtime (PUSH1 2a PUSH1 0 MSTORE PUSH1 20 PUSH1 0 RETURN) and returns it. */
static const uint8_t answer_contract[] = {
    0x60, 0x0a, 0x60, 0x0c, 0x60, 0x00, 0x39, 0x60, 0x0a, 0x60, 0x00,
    0xf3, 0x60, 0x2a, 0x60, 0x00, 0x52, 0x60, 0x20, 0x60, 0x00, 0xf3,
};

static void config_for(chain_config *cfg, const chain_anvil *anvil, const char *key_path)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->mode = CHAIN_RPC;
    snprintf(cfg->rpc_url, sizeof cfg->rpc_url, "http://127.0.0.1:%d", anvil->port);
    snprintf(cfg->key_file, sizeof cfg->key_file, "%s", key_path);
    cfg->receipt_timeout_ms = 20000;
}

/* eth_getTransactionByHash(hash).from, as anvil recovered it from our signature. */
static int sender_is(const char *url, const uint8_t hash[32], const uint8_t address[20])
{
    char hex[67], params[80];
    chain_hex(hash, 32, hex);
    snprintf(params, sizeof params, "[\"%s\"]", hex);
    cJSON *tx = test_rpc(url, "eth_getTransactionByHash", params);
    const cJSON *from = cJSON_GetObjectItem(tx, "from");
    const cJSON *type = cJSON_GetObjectItem(tx, "type");
    int ok = cJSON_IsString(from) && hex_equals(address, 20, from->valuestring) &&
             cJSON_IsString(type) && !strcmp(type->valuestring, "0x2");
    cJSON_Delete(tx);
    return ok;
}

static void test_transactions(const chain_config *cfg, const chain_config *cfg2)
{
    zkml_error err;
    chain_client c, other;
    CHECK_OK(chain_client_open(cfg, 1, &c, &err), &err);
    CHECK_OK(chain_client_open(cfg2, 1, &other, &err), &err);
    if (!c.rpc || !other.rpc)
        return;
    CHECK(c.chain_id == 31337);

    /* A plain call with data to another account, from each key. */
    uint8_t hash[32];
    chain_receipt receipt;
    int found = 0;
    CHECK_OK(
        chain_send(&c, 1, other.key.address, (const uint8_t *)"hello", 5, NULL, NULL, hash, &err),
        &err);
    CHECK_OK(chain_wait_receipt(&c, hash, &receipt, &found, &err), &err);
    CHECK(found && receipt.status == 1 && receipt.gas_used >= 21000);
    CHECK(sender_is(cfg->rpc_url, hash, c.key.address));
    CHECK_OK(chain_send(&other, 1, c.key.address, NULL, 0, NULL, NULL, hash, &err), &err);
    CHECK_OK(chain_wait_receipt(&other, hash, &receipt, &found, &err), &err);
    CHECK(found && receipt.status == 1 && receipt.gas_used == 21000);
    CHECK(sender_is(cfg->rpc_url, hash, other.key.address));

    /* A contract creation: the receipt names the new contract. */
    CHECK_OK(
        chain_send(&c, 0, NULL, answer_contract, sizeof answer_contract, NULL, NULL, hash, &err),
        &err);
    CHECK_OK(chain_wait_receipt(&c, hash, &receipt, &found, &err), &err);
    CHECK(found && receipt.status && receipt.has_contract);
    int has = 0;
    CHECK_OK(chain_has_code(&c, receipt.contract, &has, &err), &err);
    CHECK(has);
    uint8_t *out = NULL;
    size_t out_len = 0;
    uint64_t answer = 0;
    CHECK_OK(chain_eth_call(&c, receipt.contract, NULL, 0, &out, &out_len, &err), &err);
    CHECK(abi_read_u64(out, out_len, 0, 0, &answer, &err) == 0 && answer == 42);
    free(out);

    /* A nonce taken by another sender with the same key: c's cached nonce is
     * stale, the node refuses it, c fetches it again and succeeds. */
    chain_client same_key;
    CHECK_OK(chain_client_open(cfg, 1, &same_key, &err), &err);
    uint64_t stale = c.next_nonce;
    CHECK_OK(chain_send(&same_key, 1, other.key.address, NULL, 0, NULL, NULL, hash, &err), &err);
    CHECK_OK(chain_wait_receipt(&same_key, hash, &receipt, &found, &err), &err);
    CHECK(c.nonce_known && c.next_nonce == stale);
    CHECK_OK(
        chain_send(&c, 1, other.key.address, (const uint8_t *)"again", 5, NULL, NULL, hash, &err),
        &err);
    CHECK_OK(chain_wait_receipt(&c, hash, &receipt, &found, &err), &err);
    CHECK(found && receipt.status == 1);
    CHECK(c.next_nonce == stale + 2);
    chain_client_close(&same_key);

    /* Unknown transaction hashes read as dropped, not as errors. */
    uint8_t unknown[32];
    memset(unknown, 0x5a, sizeof unknown);
    CHECK_OK(chain_wait_receipt(&c, unknown, &receipt, &found, &err), &err);
    CHECK(!found);
    chain_client_close(&other);
    chain_client_close(&c);
}

/* keccak-256 against the node's web3_sha3 across block boundaries (136 bytes). */
static void test_keccak_oracle(const char *url)
{
    uint8_t data[300];
    for (size_t i = 0; i < sizeof data; i++)
        data[i] = (uint8_t)(i * 7 + 3);
    for (size_t len = 0; len <= sizeof data; len += 17) {
        char hex[2 * sizeof data + 3], params[2 * sizeof data + 16];
        chain_hex(data, len, hex);
        snprintf(params, sizeof params, "[\"%s\"]", hex);
        cJSON *result = test_rpc(url, "web3_sha3", params);
        uint8_t ours[32];
        evm_keccak256(ours, data, len);
        if (!cJSON_IsString(result) || !hex_equals(ours, 32, result->valuestring)) {
            fprintf(stderr, "keccak of %zu bytes differs from web3_sha3\n", len);
            failures++;
        }
        cJSON_Delete(result);
    }
}

/* Our ecrecover against anvil's 0x01 precompile on go-ethereum's vectors. */
static void test_ecrecover_oracle(const chain_config *cfg, const char *vectors_path)
{
    uint8_t *text;
    size_t len;
    zkml_error err;
    CHECK_OK(zkml_read_file(vectors_path, 1 << 20, &text, &len, &err), &err);
    cJSON *all = text ? cJSON_ParseWithLength((const char *)text, len) : NULL;
    free(text);
    chain_client c;
    CHECK_OK(chain_client_open(cfg, 0, &c, &err), &err);
    uint8_t precompile[20] = {0};
    precompile[19] = 1;
    const cJSON *vector;
    int compared = 0;
    cJSON_ArrayForEach(vector, all)
    {
        uint8_t *raw, input[128] = {0};
        size_t raw_len;
        if (chain_unhex_alloc(cJSON_GetObjectItem(vector, "Input")->valuestring, &raw, &raw_len))
            continue;
        memcpy(input, raw, raw_len < 128 ? raw_len : 128);
        uint8_t *out = NULL;
        size_t out_len = 0;
        CHECK_OK(chain_eth_call(&c, precompile, raw, raw_len, &out, &out_len, &err), &err);
        free(raw);
        int v_ok = input[63] == 27 || input[63] == 28;
        for (int i = 32; i < 63; i++)
            v_ok = v_ok && input[i] == 0;
        uint8_t address[20];
        int ours = v_ok && chain_recover_address(input, input + 64, input + 96, input[63] - 27,
                                                 address) == 0;
        CHECK(ours == (out_len == 32));
        if (ours && out_len == 32)
            CHECK(!memcmp(out + 12, address, 20));
        free(out);
        compared++;
    }
    CHECK(compared == 5);
    cJSON_Delete(all);
    chain_client_close(&c);
}

/* chain_anvil_start: key file 0600, registry deployed once and kept across a
 * restart, deployed again when registry.json names another build's contract. */
static void test_embedded_chain(void)
{
    zkml_error err;
    char data_dir[512];
    snprintf(data_dir, sizeof data_dir, "%s/data", tmpdir);
    chain_anvil anvil;
    chain_config cfg = {0};
    int rc = chain_anvil_start(data_dir, &anvil, &cfg, &err);
    if (rc == ZKML_EUNAVAILABLE) {
        printf("embedded chain: skipped (%s)\n", err.message);
        return;
    }
    CHECK_OK(rc, &err);
    if (rc)
        return;
    struct stat st;
    CHECK(stat(cfg.key_file, &st) == 0 && (st.st_mode & 0777) == 0600);
    CHECK(cfg.mode == CHAIN_ANVIL && cfg.registry_address[0]);
    char first[43];
    memcpy(first, cfg.registry_address, sizeof first);
    char *status = NULL;
    CHECK_OK(chain_status_json(&cfg, &status, &err), &err);
    CHECK(status && strstr(status, "\"registry_has_code\":true") &&
          strstr(status, "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266"));
    CHECK(status && !strstr(status, "ac0974"));
    free(status);
    chain_anvil_stop(&anvil);
    CHECK(anvil.pid == 0);
    chain_anvil_stop(&anvil); /* twice is fine */

    chain_config again = {0};
    CHECK_OK(chain_anvil_start(data_dir, &anvil, &again, &err), &err);
    CHECK(!strcmp(first, again.registry_address));
    chain_anvil_stop(&anvil);

    char record[600], text[200];
    snprintf(record, sizeof record, "%s/chain/registry.json", data_dir);
    int n = snprintf(text, sizeof text,
                     "{\"registry_address\": \"%s\", \"creation_code_keccak\": \"0x%064d\"}\n",
                     first, 0);
    CHECK_OK(zkml_write_file_atomic(record, text, (size_t)n, &err), &err);
    chain_config newer = {0};
    CHECK_OK(chain_anvil_start(data_dir, &anvil, &newer, &err), &err);
    CHECK(newer.registry_address[0] && strcmp(first, newer.registry_address) != 0);
    chain_anvil_stop(&anvil);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s ecRecover.json\n", argv[0]);
        return 2;
    }
    test_tmpdir(tmpdir, sizeof tmpdir, "chain");
    char key1[512], key2[512];
    write_key_file(tmpdir, "dev.key", "0x" CHAIN_ANVIL_DEV_KEY "\n", 0600, key1, sizeof key1);
    write_key_file(tmpdir, "second.key",
                   "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d", 0600, key2,
                   sizeof key2);
    zkml_error err;
    chain_anvil anvil;
    chain_anvil_opts opts = {0};
    int rc = chain_anvil_spawn(&opts, &anvil, &err);
    if (rc) {
        fprintf(stderr, "starting anvil: %s\n", err.message);
        test_rm_rf(tmpdir);
        return 1;
    }
    chain_config cfg, cfg2;
    config_for(&cfg, &anvil, key1);
    config_for(&cfg2, &anvil, key2);
    test_transactions(&cfg, &cfg2);
    test_keccak_oracle(cfg.rpc_url);
    test_ecrecover_oracle(&cfg, argv[1]);
    chain_anvil_stop(&anvil);
    test_embedded_chain();
    test_rm_rf(tmpdir);
    return check_exit("chain anvil");
}
