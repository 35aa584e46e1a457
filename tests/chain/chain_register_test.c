/*
 * chain_register_test.c - the register step and the on-chain lookups against
 * a real anvil with ModelRegistry and a real Groth16 proof (a snarkjs fixture
 * of tests/evm): register, read back every lookup, run again without paying
 * twice, a tampered proof and a second account revert with their reasons, and
 * an RPC that stalls and then goes away mid-step fails retryably and finishes
 * once the node is back with the same state.
 * Usage: chain_register_test FIXTURE_DIR (verification_key.json, proof.json, public.json)
 */
#include "chain_test.h"

#include "pipeline/evm/evm.h"

#include <unistd.h>

static char tmpdir[256];

/* An artifact folder: the fixture's key and proof, and model.onnx = model_text. */
static void make_version_dir(const char *fixture, const char *name, const char *model_text,
                             char *dir, size_t dirlen)
{
    snprintf(dir, dirlen, "%s/%s", tmpdir, name);
    zkml_error err;
    CHECK_OK(zkml_mkdir_p(dir, 0, &err), &err);
    static const char *files[] = {"verification_key.json", "proof.json", "public.json"};
    for (int i = 0; i < 3; i++) {
        char from[1024], to[1024];
        snprintf(from, sizeof from, "%s/%s", fixture, files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, files[i]);
        CHECK_OK(zkml_copy_file(from, to, &err), &err);
    }
    char model[1024];
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    CHECK_OK(zkml_write_file_atomic(model, model_text, strlen(model_text), &err), &err);
}

static cJSON *read_json(const char *dir, const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    uint8_t *data;
    size_t len;
    zkml_error err;
    if (zkml_read_file(path, 0, &data, &len, &err))
        return NULL;
    cJSON *o = cJSON_ParseWithLength((const char *)data, len);
    free(data);
    return o;
}

static uint64_t nonce_of(const char *url, const char *address)
{
    char params[96];
    snprintf(params, sizeof params, "[\"%s\",\"latest\"]", address);
    cJSON *r = test_rpc(url, "eth_getTransactionCount", params);
    uint64_t n = UINT64_MAX;
    if (cJSON_IsString(r))
        chain_parse_quantity(r->valuestring, &n);
    cJSON_Delete(r);
    return n;
}

static const char *DEV_ADDRESS = "0xf39fd6e51aad88f6f4ce6ab8827279cfffb92266";

static void test_register_and_lookups(const chain_config *cfg, const char *fixture)
{
    zkml_error err;
    char dir[1024];
    make_version_dir(fixture, "v1", "model bytes A", dir, sizeof dir);
    CHECK_OK(chain_register_step(cfg, dir, "iris", 1, &err), &err);
    cJSON *chain = read_json(dir, "chain.json");
    CHECK(chain != NULL);
    uint8_t model_hash[32];
    zkml_sha256("model bytes A", 13, model_hash);
    char model_hex[65];
    chain_hex_plain(model_hash, 32, model_hex);
    const cJSON *mh = cJSON_GetObjectItem(chain, "model_hash");
    CHECK(cJSON_IsString(mh) && !strcmp(mh->valuestring, model_hex));
    CHECK(cJSON_GetObjectItem(chain, "onchain_version")->valueint == 1);
    CHECK(!strcmp(cJSON_GetObjectItem(chain, "registry_address")->valuestring,
                  cfg->registry_address) ||
          !strcasecmp(cJSON_GetObjectItem(chain, "registry_address")->valuestring,
                      cfg->registry_address));
    CHECK(!strcmp(cJSON_GetObjectItem(chain, "registrant")->valuestring, DEV_ADDRESS));
    CHECK(!strcmp(cJSON_GetObjectItem(chain, "uri")->valuestring, "zkml-registry://iris/v1"));
    CHECK(cJSON_IsString(cJSON_GetObjectItem(chain, "verifier_tx")));
    CHECK(cJSON_IsString(cJSON_GetObjectItem(chain, "register_tx")));
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(chain, "block")));
    const cJSON *gas = cJSON_GetObjectItem(chain, "gas_used");
    double register_gas = cJSON_GetObjectItem(gas, "register")->valuedouble;
    double verifier_gas = cJSON_GetObjectItem(gas, "verifier")->valuedouble;
    CHECK(register_gas > 200000 && verifier_gas > 100000);
    printf("gas: verifier deployment %.0f, registerVersion %.0f (%s)\n", verifier_gas,
           register_gas, fixture);
    /* The verifier is really there. */
    chain_client c;
    CHECK_OK(chain_client_open(cfg, 0, &c, &err), &err);
    uint8_t verifier[20];
    int has = 0;
    CHECK(chain_parse_address(cJSON_GetObjectItem(chain, "verifier_address")->valuestring,
                              verifier) == 0);
    CHECK_OK(chain_has_code(&c, verifier, &has, &err), &err);
    CHECK(has);
    chain_client_close(&c);
    cJSON_Delete(chain);
    char pending[1100];
    snprintf(pending, sizeof pending, "%s/chain.pending.json", dir);
    CHECK(!zkml_file_exists(pending));

    /* Again: nothing is sent. Without chain.json: found on chain, nothing sent. */
    uint64_t before = nonce_of(cfg->rpc_url, DEV_ADDRESS);
    CHECK_OK(chain_register_step(cfg, dir, "iris", 1, &err), &err);
    char path[1100];
    snprintf(path, sizeof path, "%s/chain.json", dir);
    unlink(path);
    CHECK_OK(chain_register_step(cfg, dir, "iris", 1, &err), &err);
    CHECK(zkml_file_exists(path));
    CHECK(nonce_of(cfg->rpc_url, DEV_ADDRESS) == before);

    /* A second version, then the lookups. */
    char dir2[1024];
    make_version_dir(fixture, "v2", "model bytes B", dir2, sizeof dir2);
    CHECK_OK(chain_register_step(cfg, dir2, "iris", 2, &err), &err);
    char *json = NULL;
    CHECK_OK(chain_versions_onchain_json(cfg, "iris", &json, &err), &err);
    cJSON *list = json ? cJSON_Parse(json) : NULL;
    free(json);
    CHECK(cJSON_GetObjectItem(list, "count")->valueint == 2);
    CHECK(!strcmp(cJSON_GetObjectItem(list, "owner")->valuestring, DEV_ADDRESS));
    const cJSON *versions = cJSON_GetObjectItem(list, "versions");
    CHECK(cJSON_GetArraySize(versions) == 2);
    const cJSON *first = cJSON_GetArrayItem(versions, 0);
    CHECK(!strcmp(cJSON_GetObjectItem(first, "model_hash")->valuestring, model_hex));
    CHECK(cJSON_GetObjectItem(first, "version")->valueint == 1);
    CHECK(!strcmp(cJSON_GetObjectItem(cJSON_GetArrayItem(versions, 1), "uri")->valuestring,
                  "zkml-registry://iris/v2"));
    CHECK(cJSON_GetObjectItem(first, "timestamp")->valuedouble > 1.6e9);
    cJSON_Delete(list);
    /* An unknown task: no owner, no versions. */
    CHECK_OK(chain_versions_onchain_json(cfg, "nobody", &json, &err), &err);
    CHECK(json && strstr(json, "\"count\":0") &&
          strstr(json, "0x0000000000000000000000000000000000000000"));
    free(json);
}

/* A public signal changed after proving: the registry's verifier says no. */
static void test_tampered_proof(const chain_config *cfg, const char *fixture)
{
    zkml_error err;
    char dir[1024], path[1100];
    make_version_dir(fixture, "tampered", "model bytes C", dir, sizeof dir);
    snprintf(path, sizeof path, "%s/public.json", dir);
    cJSON *pub = read_json(dir, "public.json");
    const char *s0 = cJSON_GetArrayItem(pub, 0)->valuestring;
    char bumped[96];
    snprintf(bumped, sizeof bumped, "[\"%s1\"]", s0); /* appends a digit: another number */
    cJSON *bumped_pub = cJSON_Parse(bumped);
    for (int i = 1; i < cJSON_GetArraySize(pub); i++)
        cJSON_AddItemToArray(bumped_pub, cJSON_Duplicate(cJSON_GetArrayItem(pub, i), 1));
    char *text = cJSON_Print(bumped_pub);
    CHECK_OK(zkml_write_file_atomic(path, text, strlen(text), &err), &err);
    free(text);
    cJSON_Delete(pub);
    cJSON_Delete(bumped_pub);
    int rc = chain_register_step(cfg, dir, "iris", 3, &err);
    CHECK(rc == ZKML_EREJECTED);
    CHECK(strstr(err.message, "ProofRejected") != NULL);
    printf("tampered proof: %s\n", err.message);
    snprintf(path, sizeof path, "%s/chain.json", dir);
    CHECK(!zkml_file_exists(path));
}

/* Another account may not add versions to a task it does not own. */
static void test_second_account(const chain_config *cfg, const char *fixture)
{
    zkml_error err;
    char dir[1024], key[1024];
    make_version_dir(fixture, "intruder", "model bytes D", dir, sizeof dir);
    write_key_file(tmpdir, "second.key",
                   "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n", 0600,
                   key, sizeof key);
    chain_config other = *cfg;
    snprintf(other.key_file, sizeof other.key_file, "%s", key);
    uint64_t nonce0 = nonce_of(cfg->rpc_url, "0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
    int rc = chain_register_step(&other, dir, "iris", 3, &err);
    CHECK(rc == ZKML_EREJECTED);
    CHECK(strstr(err.message, "NotTaskOwner") != NULL);
    printf("second account: %s\n", err.message);
    /* Refused before any transaction: no verifier was paid for. */
    CHECK(nonce_of(cfg->rpc_url, "0x70997970c51812dc3a010c7d01b50e0d17dc79c8") == nonce0);
    /* The contract itself refuses too: a registerVersion the second account
     * signs directly reverts with NotTaskOwner at estimation, nothing sent. */
    chain_client c;
    CHECK_OK(chain_client_open(&other, 1, &c, &err), &err);
    uint8_t registry[20], hash[32], word[32] = {0}, tx[32];
    CHECK(chain_parse_address(cfg->registry_address, registry) == 0);
    memset(hash, 0x11, sizeof hash);
    abi_word_from_address(registry, word); /* any address with code */
    uint8_t proof[8 * 32 + 32] = {0};
    abi_arg args[9] = {
        {ABI_STRING, (const uint8_t *)"iris", 4}, {ABI_WORD, hash, 32}, {ABI_WORD, hash, 32},
        {ABI_WORD, word, 32}, {ABI_STRING, (const uint8_t *)"x", 1},
        {ABI_FIXED_WORDS, proof, 64}, {ABI_FIXED_WORDS, proof + 64, 128},
        {ABI_FIXED_WORDS, proof + 192, 64}, {ABI_WORD_ARRAY, proof + 256, 32},
    };
    chain_buf calldata = {0};
    CHECK_OK(abi_encode_call("registerVersion(string,bytes32,bytes32,address,string,uint256[2],"
                             "uint256[2][2],uint256[2],uint256[])",
                             args, 9, &calldata, &err), &err);
    if (c.rpc) {
        CHECK(chain_send(&c, 1, registry, calldata.data, calldata.len, NULL, NULL, tx, &err) ==
              ZKML_EREJECTED);
        CHECK(strstr(err.message, "NotTaskOwner(\"iris\", 0x70997970c51812dc3a010c7d01b50e0d17dc79c8") != NULL);
        printf("second account, contract: %s\n", err.message);
        chain_client_close(&c);
    }
    chain_buf_free(&calldata);
    CHECK(nonce_of(cfg->rpc_url, "0x70997970c51812dc3a010c7d01b50e0d17dc79c8") == nonce0);
    /* The same account registers its own task fine. */
    CHECK_OK(chain_register_step(&other, dir, "intruders-own", 1, &err), &err);
    /* A key file others can read is refused before anything is sent. */
    chmod(key, 0644);
    char dir2[1024];
    make_version_dir(fixture, "open-key", "model bytes F", dir2, sizeof dir2);
    CHECK(chain_register_step(&other, dir2, "intruders-own", 2, &err) == ZKML_EINVAL);
    CHECK(strstr(err.message, "readable by group or others") != NULL);
}

static void rpc_quiet(const char *url, const char *method, const char *params)
{
    cJSON_Delete(test_rpc(url, method, params));
}

/* The node stops mining: the verifier deployment is stuck, the step fails
 * retryably. The node mines it and goes away: retryable again. The node comes
 * back with the same state: the step finishes with the verifier it already
 * paid for (two transactions in all, not three). */
static void test_outage(chain_config *cfg, chain_anvil *anvil, const char *state,
                        const char *fixture)
{
    zkml_error err;
    char dir[1024];
    make_version_dir(fixture, "outage", "model bytes E", dir, sizeof dir);
    uint64_t nonce0 = nonce_of(cfg->rpc_url, DEV_ADDRESS);
    rpc_quiet(cfg->rpc_url, "evm_setAutomine", "[false]");
    chain_config impatient = *cfg;
    impatient.receipt_timeout_ms = 1500;
    int rc = chain_register_step(&impatient, dir, "iris", 4, &err);
    CHECK(rc == ZKML_ERETRY);
    printf("stalled node: %s\n", err.message);
    cJSON *pending = read_json(dir, "chain.pending.json");
    CHECK(cJSON_IsString(cJSON_GetObjectItem(pending, "verifier_tx")));
    const cJSON *predicted = cJSON_GetObjectItem(pending, "verifier_address");
    char verifier[43] = "";
    if (cJSON_IsString(predicted))
        snprintf(verifier, sizeof verifier, "%s", predicted->valuestring);
    cJSON_Delete(pending);

    rpc_quiet(cfg->rpc_url, "evm_mine", "[]");
    chain_anvil_stop(anvil);
    rc = chain_register_step(&impatient, dir, "iris", 4, &err);
    CHECK(rc == ZKML_ERETRY);
    CHECK(strstr(err.message, "unreachable") != NULL);
    printf("node down: %s\n", err.message);

    chain_anvil_opts opts = {.state_path = state, .port = anvil->port};
    CHECK_OK(chain_anvil_spawn(&opts, anvil, &err), &err);
    CHECK_OK(chain_register_step(cfg, dir, "iris", 4, &err), &err);
    cJSON *chain = read_json(dir, "chain.json");
    CHECK(chain && cJSON_GetObjectItem(chain, "onchain_version")->valueint == 3);
    CHECK(chain && !strcmp(cJSON_GetObjectItem(chain, "verifier_address")->valuestring, verifier));
    cJSON_Delete(chain);
    CHECK(nonce_of(cfg->rpc_url, DEV_ADDRESS) == nonce0 + 2);
    char *json = NULL;
    CHECK_OK(chain_versions_onchain_json(cfg, "iris", &json, &err), &err);
    CHECK(json && strstr(json, "\"count\":3"));
    free(json);
}

/* A transaction the node forgets (dropped from its pool) is sent again. */
static void test_dropped(const chain_config *cfg, const char *fixture)
{
    zkml_error err;
    char dir[1024];
    make_version_dir(fixture, "dropped", "model bytes G", dir, sizeof dir);
    uint64_t nonce0 = nonce_of(cfg->rpc_url, DEV_ADDRESS);
    rpc_quiet(cfg->rpc_url, "evm_setAutomine", "[false]");
    chain_config impatient = *cfg;
    impatient.receipt_timeout_ms = 1000;
    CHECK(chain_register_step(&impatient, dir, "iris", 5, &err) == ZKML_ERETRY);
    cJSON *pending = read_json(dir, "chain.pending.json");
    const cJSON *tx = cJSON_GetObjectItem(pending, "verifier_tx");
    CHECK(cJSON_IsString(tx));
    if (cJSON_IsString(tx)) {
        char params[96];
        snprintf(params, sizeof params, "[\"%s\"]", tx->valuestring);
        rpc_quiet(cfg->rpc_url, "anvil_dropTransaction", params);
        cJSON *gone = test_rpc(cfg->rpc_url, "eth_getTransactionByHash", params);
        CHECK(cJSON_IsNull(gone)); /* the node really forgot it */
        cJSON_Delete(gone);
    }
    cJSON_Delete(pending);
    rpc_quiet(cfg->rpc_url, "evm_setAutomine", "[true]");
    CHECK_OK(chain_register_step(cfg, dir, "iris", 5, &err), &err);
    cJSON *chain = read_json(dir, "chain.json");
    CHECK(chain && cJSON_GetObjectItem(chain, "onchain_version")->valueint == 4);
    cJSON_Delete(chain);
    CHECK(nonce_of(cfg->rpc_url, DEV_ADDRESS) == nonce0 + 2);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: %s FIXTURE_DIR\n", argv[0]);
        return 2;
    }
    zkml_error err;
    uint8_t *code;
    size_t len;
    if (evm_registry_creation_code(&code, &len, &err) == ZKML_EUNAVAILABLE) {
        printf("skipped: %s\n", err.message);
        return 77;
    }
    free(code);
    if (make_temp_dir(tmpdir, sizeof tmpdir)) {
        perror("mkdtemp");
        return 2;
    }
    char key[512], state[512];
    write_key_file(tmpdir, "dev.key", CHAIN_ANVIL_DEV_KEY "\n", 0600, key, sizeof key);
    snprintf(state, sizeof state, "%s/anvil-state.json", tmpdir);
    chain_anvil anvil;
    chain_anvil_opts opts = {.state_path = state};
    if (chain_anvil_spawn(&opts, &anvil, &err)) {
        fprintf(stderr, "starting anvil: %s\n", err.message);
        remove_temp_dir(tmpdir);
        return 1;
    }
    chain_config cfg = {.mode = CHAIN_RPC, .receipt_timeout_ms = 20000};
    snprintf(cfg.rpc_url, sizeof cfg.rpc_url, "http://127.0.0.1:%d", anvil.port);
    snprintf(cfg.key_file, sizeof cfg.key_file, "%s", key);
    CHECK(chain_register_step(&cfg, tmpdir, "iris", 1, &err) == ZKML_EINVAL); /* no registry yet */
    CHECK(chain_register_step(&cfg, tmpdir, "../etc", 1, &err) == ZKML_EINVAL);
    CHECK(chain_register_step(&cfg, tmpdir, "iris", 0, &err) == ZKML_EINVAL);
    /* An address without code (our own account) is named as the problem. */
    snprintf(cfg.registry_address, sizeof cfg.registry_address, "%s", DEV_ADDRESS);
    char *json = NULL;
    CHECK(chain_versions_onchain_json(&cfg, "iris", &json, &err) == ZKML_EINVAL);
    CHECK(strstr(err.message, "no contract at registry address") != NULL);
    CHECK_OK(chain_deploy_registry(&cfg, cfg.registry_address, &err), &err);
    if (cfg.registry_address[0]) {
        test_register_and_lookups(&cfg, argv[1]);
        test_tampered_proof(&cfg, argv[1]);
        test_second_account(&cfg, argv[1]);
        test_outage(&cfg, &anvil, state, argv[1]);
        test_dropped(&cfg, argv[1]);
    }
    chain_anvil_stop(&anvil);
    remove_temp_dir(tmpdir);
    if (test_failures) {
        fprintf(stderr, "%d check(s) failed\n", test_failures);
        return 1;
    }
    printf("chain register: all checks passed\n");
    return 0;
}
