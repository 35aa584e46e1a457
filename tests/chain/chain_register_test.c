/*
 * chain_register_test.c - the register step and the on-chain lookups against
 * a real anvil with ModelRegistry and a real Groth16 proof (a snarkjs fixture
 * of tests/evm): register, check every recorded field against the files
 * (SHA-256 here, keccak-256 by anvil's web3_sha3), read back every lookup, run
 * again without paying twice, a tampered proof and a second account's version
 * of another's task revert with their reasons, the second account's own claim
 * on the same model hash is listed beside the first, and an RPC that stalls
 * and then goes away mid-step fails retryably and finishes once the node is
 * back with the same state. With an evaluation (EVAL_FIXTURE, a whole version
 * made by our pipeline with its evaluate step's files): the evaluation is
 * recorded and chain.json says so field by field; a tampered evaluation proof
 * fails the step after the registration, and the next run records the
 * evaluation without registering again; chain_best_versions_json reads the
 * record back by each spelling of its dataset commitment. Without one,
 * chain.json says why. With hashed parameters (HASHED_FIXTURE): the step
 * records the evaluation (recordHashedEvaluation), and an evaluation of
 * other parameters fails before anything is sent.
 * Usage: chain_register_test FIXTURE_DIR (verification_key.json, proof.json, public.json)
 *                            EVAL_FIXTURE (model.onnx, network.r1cs, ..., evaluation.*)
 *                            HASHED_FIXTURE (the same with param_visibility hashed)
 */
#include "chain_test.h"

#include "pipeline/evm/evm.h"
#include "pipeline/snark/snark.h"

#include <unistd.h>

static char tmpdir[256];

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[1100];
    zkml_error err;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    CHECK_OK(zkml_write_file_atomic(path, text, strlen(text), &err), &err);
}

/* An artifact folder: the fixture's key and proof, model.onnx = model_text,
 * and a network.r1cs and settings.json of their own (the step only hashes them). */
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
    write_text(dir, "model.onnx", model_text);
    char r1cs_text[256];
    snprintf(r1cs_text, sizeof r1cs_text, "r1cs of %s", model_text);
    write_text(dir, "network.r1cs", r1cs_text);
    write_text(dir, "settings.json", "{\"settings\": 1}\n");
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

static const char *json_string(const cJSON *o, const char *name)
{
    const cJSON *v = cJSON_GetObjectItem(o, name);
    return cJSON_IsString(v) ? v->valuestring : "";
}

/* Field `name` of o is the SHA-256 of dir/file, computed here. */
static void check_sha256_field(const cJSON *o, const char *name, const char *dir, const char *file)
{
    char path[1100], hex[65];
    uint8_t hash[32];
    zkml_error err;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    CHECK_OK(zkml_sha256_file(path, hash, &err), &err);
    chain_hex_plain(hash, 32, hex);
    if (strcmp(json_string(o, name), hex)) {
        fprintf(stderr, "%s is %s, SHA-256 of %s is %s\n", name, json_string(o, name), file, hex);
        CHECK(!"field matches the file's SHA-256");
    }
}

/* Field `name` of o is keccak-256 of the words, as anvil computes it (web3_sha3). */
static void check_keccak_field(const char *url, const cJSON *o, const char *name,
                               const uint8_t *words, size_t n_words)
{
    size_t hex_len = 64 * n_words + 8;
    char *params = malloc(hex_len + 8);
    CHECK(params != NULL);
    if (!params)
        return;
    memcpy(params, "[\"0x", 4);
    chain_hex_plain(words, 32 * n_words, params + 4);
    strcat(params, "\"]");
    cJSON *hash = test_rpc(url, "web3_sha3", params);
    free(params);
    CHECK(cJSON_IsString(hash) && !strcmp(hash->valuestring + 2, json_string(o, name)));
    cJSON_Delete(hash);
}

/* A contract's code is at the address (0x + 40 hex). */
static void check_has_code(const chain_config *cfg, const char *address)
{
    chain_client c;
    uint8_t bytes[20];
    int has = 0;
    zkml_error err;
    CHECK_OK(chain_client_open(cfg, 0, &c, &err), &err);
    CHECK(chain_parse_address(address, bytes) == 0, "address %s", address);
    CHECK_OK(chain_has_code(&c, bytes, &has, &err), &err);
    CHECK(has, "no code at %s", address);
    chain_client_close(&c);
}

/* The honest flow: chain.json holds every field as the chain records it,
 * each checked against the files it names. */
static void check_chain_json(const chain_config *cfg, const char *dir, const cJSON *chain)
{
    check_sha256_field(chain, "model_hash", dir, "model.onnx");
    check_sha256_field(chain, "circuit_hash", dir, "network.r1cs");
    check_sha256_field(chain, "settings_hash", dir, "settings.json");
    check_sha256_field(chain, "vk_json_sha256", dir, "verification_key.json");
    /* the model's IPFS address, recorded off-chain (the registry has no uri) */
    char model[1100], cid[ZKML_CID_MAX], uri[ZKML_CID_MAX + 8];
    zkml_error err = {0};
    snprintf(model, sizeof model, "%s/model.onnx", dir);
    CHECK_OK(zkml_cid_file(model, cid, &err), &err);
    snprintf(uri, sizeof uri, "ipfs://%s", cid);
    CHECK(!strcmp(json_string(chain, "model_cid"), cid));
    CHECK(!strcmp(json_string(chain, "uri"), uri), "uri %s, want %s", json_string(chain, "uri"),
          uri);
    char vk[1100], proof[1100], pub[1100];
    snprintf(vk, sizeof vk, "%s/verification_key.json", dir);
    snprintf(proof, sizeof proof, "%s/proof.json", dir);
    snprintf(pub, sizeof pub, "%s/public.json", dir);
    uint8_t *key = NULL, *words = NULL;
    size_t n_key = 0, n_words = 0;
    CHECK_OK(evm_verifier_key_words(vk, &key, &n_key, &err), &err);
    CHECK_OK(evm_proof_words(proof, pub, &words, &n_words, &err), &err);
    if (key && words && n_words > 8) {
        check_keccak_field(cfg->rpc_url, chain, "vk_hash", key, n_key);
        check_keccak_field(cfg->rpc_url, chain, "signals_hash", words + 256, n_words - 8);
    }
    free(key);
    free(words);
    cJSON *signals = read_json(dir, "public.json");
    CHECK(cJSON_Compare(signals, cJSON_GetObjectItem(chain, "public_signals"), 1));
    cJSON_Delete(signals);
    CHECK(!strcasecmp(json_string(chain, "registry_address"), cfg->registry_address));
    CHECK(!strcmp(json_string(chain, "registrant"), DEV_ADDRESS));
    CHECK(cJSON_GetObjectItem(chain, "timestamp")->valuedouble > 1.6e9);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(chain, "register_tx")));
    CHECK(cJSON_IsNumber(cJSON_GetObjectItem(chain, "block")));
    /* Without the evaluate step's files, chain.json says why nothing was recorded. */
    snprintf(proof, sizeof proof, "%s/evaluation.proof.json", dir);
    const cJSON *ev = cJSON_GetObjectItem(chain, "evaluation");
    if (!zkml_file_exists(proof))
        CHECK(!strcmp(json_string(ev, "status"), "skipped") &&
                  strstr(json_string(ev, "reason"), "no evaluation.proof.json"),
              "evaluation: %s", json_string(ev, "reason"));
    /* The verifier the registry deployed is really there. */
    check_has_code(cfg, json_string(chain, "verifier_address"));
}

static void test_register_and_lookups(const chain_config *cfg, const char *fixture)
{
    zkml_error err;
    char dir[1024];
    make_version_dir(fixture, "v1", "model bytes A", dir, sizeof dir);
    CHECK_OK(chain_register_step(cfg, dir, "iris", 1, &err), &err);
    cJSON *chain = read_json(dir, "chain.json");
    CHECK(chain != NULL);
    CHECK(cJSON_GetObjectItem(chain, "onchain_version")->valueint == 1);
    check_chain_json(cfg, dir, chain);
    double gas = cJSON_GetObjectItem(chain, "gas_used")->valuedouble;
    CHECK(gas > 200000);
    printf("gas: registerVersion with the verifier's deployment %.0f (%s)\n", gas, fixture);
    char model_hex[65];
    snprintf(model_hex, sizeof model_hex, "%s", json_string(chain, "model_hash"));
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
    CHECK(cJSON_GetObjectItem(first, "timestamp")->valuedouble > 1.6e9);
    /* The listing shows what chain.json shows. */
    cJSON *second = read_json(dir2, "chain.json");
    static const char *const fields[] = {"model_hash",   "circuit_hash", "settings_hash", "vk_hash",
                                         "signals_hash", "registrant",   "timestamp"};
    const cJSON *listed = cJSON_GetArrayItem(versions, 1);
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        CHECK(cJSON_Compare(cJSON_GetObjectItem(second, fields[i]),
                            cJSON_GetObjectItem(listed, fields[i]), 1));
    CHECK(!strcmp(json_string(second, "verifier_address"), json_string(listed, "verifier")));
    cJSON_Delete(second);
    cJSON_Delete(list);
    /* An unknown task: no owner, no versions. */
    CHECK_OK(chain_versions_onchain_json(cfg, "nobody", &json, &err), &err);
    CHECK(json && strstr(json, "\"count\":0") &&
          strstr(json, "0x0000000000000000000000000000000000000000"));
    free(json);
}

/* attest(iris, version, proof, signals, packing) by eth_call: the outputs, or
 * the revert's text in err. */
static int attest(const chain_config *cfg, uint64_t version, const char *fixture, int bump_signal,
                  chain_output_packing p, int64_t **outputs, size_t *n, zkml_error *err)
{
    char proof[1100], pub[1100];
    snprintf(proof, sizeof proof, "%s/proof.json", fixture);
    snprintf(pub, sizeof pub, "%s/public.json", fixture);
    uint8_t *words = NULL, reg[20], *ret = NULL;
    size_t n_words = 0, ret_len = 0;
    zkml_buf call = {0};
    chain_client c;
    int rc = evm_proof_words(proof, pub, &words, &n_words, err);
    if (!rc && bump_signal)
        words[32 * 9 - 1] ^= 1; /* the first public signal, changed after proving */
    if (!rc)
        rc = chain_attest_calldata("iris", version, words, n_words, &p, &call, err);
    free(words);
    if (!rc && !(rc = chain_client_open(cfg, 0, &c, err))) {
        chain_registry_address(cfg, reg, err);
        rc = chain_eth_call(&c, reg, call.data, call.len, &ret, &ret_len, err);
        chain_client_close(&c);
    }
    zkml_buf_free(&call);
    if (!rc)
        rc = chain_abi_decode_values("attest's answer", ret, ret_len, outputs, n, err);
    free(ret);
    return rc;
}

/* The fixture's signals are 20 and 25: decoded by hand below for each packing
 * (value i is bits [bits*j, bits*(j+1)) of signal i / per, minus offset). */
static void test_attest(const chain_config *cfg, const char *fixture)
{
    zkml_error err;
    int64_t *out = NULL;
    size_t n = 0;
    /* bits 62: 4 values a signal, all in signal 0 = 20. */
    CHECK_OK(attest(cfg, 1, fixture, 0, (chain_output_packing){2, 62, 5, 0}, &out, &n, &err), &err);
    CHECK(n == 2 && out && out[0] == 15 && out[1] == -5);
    free(out);
    /* bits 63, 5 values: 4 in signal 0 (20, 0, 0, 0), the fifth in signal 1 (25). */
    CHECK_OK(attest(cfg, 1, fixture, 0, (chain_output_packing){5, 63, 1, 0}, &out, &n, &err), &err);
    CHECK(n == 5 && out && out[0] == 19 && out[1] == -1 && out[3] == -1 && out[4] == 24);
    free(out);
    /* Attacks: a changed signal, an unknown version, a packing the signals do
     * not hold (20 has bits above 4), more packed signals than there are. */
    CHECK(attest(cfg, 1, fixture, 1, (chain_output_packing){2, 62, 5, 0}, &out, &n, &err) ==
          ZKML_EREJECTED);
    CHECK(strstr(err.message, "ProofRejected(\"iris\"") != NULL, "%s", err.message);
    CHECK(attest(cfg, 99, fixture, 0, (chain_output_packing){2, 62, 5, 0}, &out, &n, &err) ==
          ZKML_EREJECTED);
    CHECK(strstr(err.message, "UnknownVersion(\"iris\"") != NULL, "%s", err.message);
    CHECK(attest(cfg, 1, fixture, 0, (chain_output_packing){1, 4, 0, 0}, &out, &n, &err) ==
          ZKML_EREJECTED);
    CHECK(strstr(err.message, "OutputsNotPacked(") != NULL, "%s", err.message);
    CHECK(attest(cfg, 1, fixture, 0, (chain_output_packing){9, 63, 0, 0}, &out, &n, &err) ==
          ZKML_EREJECTED);
    CHECK(strstr(err.message, "BadOutputPacking(") != NULL, "%s", err.message);
    printf("attest: honest outputs decoded, tampered signal: ProofRejected\n");
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

/* A copy of the whole version in eval_fixture (our pipeline's files). */
static void copy_fixture(const char *eval_fixture, const char *name, char *dir, size_t dirlen)
{
    static const char *files[] = {"verification_key.json", "proof.json",         "public.json",
                                  "model.onnx",            "network.r1cs",       "settings.json",
                                  "evaluation.json",       "evaluation.vk.json", "evaluation.proof.json",
                                  "evaluation.public.json"};
    zkml_error err;
    snprintf(dir, dirlen, "%s/%s", tmpdir, name);
    CHECK_OK(zkml_mkdir_p(dir, 0, &err), &err);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char from[1024], to[1100];
        snprintf(from, sizeof from, "%s/%s", eval_fixture, files[i]);
        snprintf(to, sizeof to, "%s/%s", dir, files[i]);
        CHECK_OK(zkml_copy_file(from, to, &err), &err);
    }
}

/* chain.json's evaluation against the files: each figure is the proof's
 * signal, the key's hash is anvil's keccak of its words, the verifier exists. */
static void check_evaluation_json(const chain_config *cfg, const char *dir, const cJSON *chain)
{
    const cJSON *ev = cJSON_GetObjectItem(chain, "evaluation");
    cJSON *pub = read_json(dir, "evaluation.public.json");
    const char *sig[4];
    for (int i = 0; i < 4; i++)
        sig[i] = cJSON_GetStringValue(cJSON_GetArrayItem(pub, i));
    int n = cJSON_GetArraySize(pub); /* 5: hashed parameters */
    CHECK((n == 4 || n == 5) && sig[3]);
    if ((n != 4 && n != 5) || !sig[3]) {
        cJSON_Delete(pub);
        return;
    }
    CHECK(!strcmp(json_string(ev, "status"), "recorded"), "status %s", json_string(ev, "status"));
    CHECK(!strcmp(json_string(ev, "dataset_commitment"), sig[0]));
    CHECK(!strcmp(json_string(ev, "metric"), "accuracy"));
    CHECK(cJSON_GetObjectItem(ev, "rows")->valuedouble == atof(sig[2]));
    CHECK(cJSON_GetObjectItem(ev, "correct")->valuedouble == atof(sig[3]));
    CHECK(cJSON_GetObjectItem(ev, "best_version")->valueint ==
          cJSON_GetObjectItem(chain, "onchain_version")->valueint);
    CHECK(cJSON_GetObjectItem(ev, "timestamp")->valuedouble > 1.6e9);
    CHECK(cJSON_IsString(cJSON_GetObjectItem(ev, "evaluate_tx")));
    cJSON_Delete(pub);
    char vk[1100];
    snprintf(vk, sizeof vk, "%s/evaluation.vk.json", dir);
    uint8_t *key = NULL;
    size_t n_key = 0;
    zkml_error err;
    CHECK_OK(evm_verifier_key_words(vk, &key, &n_key, &err), &err);
    if (key)
        check_keccak_field(cfg->rpc_url, ev, "vk_hash", key, n_key);
    free(key);
    check_has_code(cfg, json_string(ev, "verifier"));
}

/* chain_best_versions_json for the dataset of chain.json's evaluation ev,
 * given in decimal and in hex, and for a dataset nobody evaluated: the
 * first two are ev's version and figures, the third version 0. */
static void check_best_versions(const chain_config *cfg, const char *task, const cJSON *ev)
{
    const char *dec = json_string(ev, "dataset_commitment");
    fr_t f;
    uint8_t le[32], be[32];
    char hex[67], *json = NULL;
    zkml_error err;
    CHECK(fr_from_dec(&f, dec) == 0);
    fr_to_bytes_le(le, &f);
    for (int i = 0; i < 32; i++)
        be[i] = le[31 - i];
    chain_hex(be, 32, hex);
    const char *const asked[] = {dec, hex, "12345"};
    CHECK_OK(chain_best_versions_json(cfg, task, asked, 3, &json, &err), &err);
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    const cJSON *best = cJSON_GetObjectItem(o, "best");
    CHECK(cJSON_GetArraySize(best) == 3 && !strcmp(json_string(o, "task_id"), task) &&
              !strcasecmp(json_string(o, "registry_address"), cfg->registry_address),
          "best versions: %s", json ? json : "(none)");
    static const char *const same[] = {"dataset_commitment", "metric", "rows", "correct",
                                       "vk_hash", "verifier", "timestamp"};
    for (int i = 0; i < 2; i++) {
        const cJSON *b = cJSON_GetArrayItem(best, i);
        CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(b, "version")) ==
              cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "best_version")));
        for (size_t k = 0; k < sizeof same / sizeof *same; k++)
            CHECK(cJSON_Compare(cJSON_GetObjectItem(b, same[k]), cJSON_GetObjectItem(ev, same[k]),
                                1),
                  "best[%d].%s differs from chain.json", i, same[k]);
    }
    const cJSON *none = cJSON_GetArrayItem(best, 2);
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(none, "version")) == 0 &&
          !strcmp(json_string(none, "dataset_commitment"), "12345") &&
          !cJSON_GetObjectItem(none, "metric"));
    cJSON_Delete(o);
    free(json);
    /* Malformed commitments are named; nothing is read for them. */
    static const char *const bad[] = {"12x", "0x1234", "", "-1",
        "21888242871839275222246405745257275088548364400416034343698204186575808495617"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        json = NULL;
        int rc = chain_best_versions_json(cfg, task, &bad[i], 1, &json, &err);
        CHECK(rc == ZKML_EINVAL && strstr(err.message, "dataset commitment") && !json,
              "commitment '%s': %d %s", bad[i], rc, err.message);
    }
}

/* A whole version with its evaluation: first with a changed correct count
 * (the registry refuses the evaluation after registering the version), then
 * the real one, recorded without a second registration. */
static void test_evaluation(const chain_config *cfg, const char *eval_fixture)
{
    zkml_error err;
    char dir[1024], path[1100];
    copy_fixture(eval_fixture, "evaluated", dir, sizeof dir);
    cJSON *pub = read_json(dir, "evaluation.public.json");
    char *honest = cJSON_Print(pub);
    cJSON_ReplaceItemInArray(pub, 3, cJSON_CreateString("0"));
    char *raised = cJSON_Print(pub);
    cJSON_Delete(pub);
    snprintf(path, sizeof path, "%s/evaluation.public.json", dir);
    CHECK_OK(zkml_write_file_atomic(path, raised, strlen(raised), &err), &err);
    int rc = chain_register_step(cfg, dir, "evaluated", 1, &err);
    CHECK(rc == ZKML_EREJECTED && strstr(err.message, "recordEvaluation") &&
              strstr(err.message, "ProofRejected"),
          "a changed correct count: %d %s", rc, err.message);
    printf("changed evaluation: %s\n", err.message);
    CHECK_OK(zkml_write_file_atomic(path, honest, strlen(honest), &err), &err);
    free(raised);
    free(honest);
    uint64_t before = nonce_of(cfg->rpc_url, DEV_ADDRESS);
    CHECK_OK(chain_register_step(cfg, dir, "evaluated", 1, &err), &err);
    CHECK(nonce_of(cfg->rpc_url, DEV_ADDRESS) == before + 1); /* recordEvaluation only */
    cJSON *chain = read_json(dir, "chain.json");
    CHECK(chain && cJSON_GetObjectItem(chain, "onchain_version")->valueint == 1);
    check_chain_json(cfg, dir, chain);
    check_evaluation_json(cfg, dir, chain);
    const cJSON *ev = cJSON_GetObjectItem(chain, "evaluation");
    double gas = cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "gas_used"));
    CHECK(gas > 200000, "recordEvaluation gas %g", gas);
    printf("gas: recordEvaluation with the evaluation verifier's deployment %.0f\n", gas);
    /* Without chain.json: both found on chain, nothing sent, the same record. */
    snprintf(path, sizeof path, "%s/chain.json", dir);
    unlink(path);
    CHECK_OK(chain_register_step(cfg, dir, "evaluated", 1, &err), &err);
    CHECK(nonce_of(cfg->rpc_url, DEV_ADDRESS) == before + 1);
    cJSON *again = read_json(dir, "chain.json");
    static const char *const same[] = {"dataset_commitment", "rows",      "correct",
                                       "vk_hash",            "verifier",  "timestamp",
                                       "best_version",       "status"};
    for (size_t i = 0; i < sizeof same / sizeof *same; i++)
        CHECK(cJSON_Compare(cJSON_GetObjectItem(ev, same[i]),
                            cJSON_GetObjectItem(cJSON_GetObjectItem(again, "evaluation"), same[i]),
                            1),
              "evaluation.%s differs after a rerun", same[i]);
    cJSON_Delete(again);
    check_best_versions(cfg, "evaluated", ev);
    cJSON_Delete(chain);
}

/* A whole version with hashed parameters: an evaluation whose parameter
 * commitment is not the inference proof's fails before any transaction;
 * the real one is recorded by recordHashedEvaluation. */
static void test_hashed_evaluation(const chain_config *cfg, const char *fixture)
{
    zkml_error err;
    char dir[1024], path[1100];
    copy_fixture(fixture, "hashed", dir, sizeof dir);
    cJSON *pub = read_json(dir, "evaluation.public.json");
    CHECK(cJSON_GetArraySize(pub) == 5, "a hashed evaluation has 5 signals");
    char *honest = cJSON_Print(pub);
    cJSON_ReplaceItemInArray(pub, 4, cJSON_CreateString("7"));
    char *other = cJSON_Print(pub);
    cJSON_Delete(pub);
    snprintf(path, sizeof path, "%s/evaluation.public.json", dir);
    CHECK_OK(zkml_write_file_atomic(path, other, strlen(other), &err), &err);
    uint64_t before = nonce_of(cfg->rpc_url, DEV_ADDRESS);
    int rc = chain_register_step(cfg, dir, "hashed", 1, &err);
    CHECK(rc == ZKML_EINVAL && strstr(err.message, "parameter commitment"),
          "an evaluation of other parameters: %d %s", rc, err.message);
    CHECK(nonce_of(cfg->rpc_url, DEV_ADDRESS) == before, "nothing is sent");
    printf("other parameters: %s\n", err.message);
    CHECK_OK(zkml_write_file_atomic(path, honest, strlen(honest), &err), &err);
    free(other);
    free(honest);
    CHECK_OK(chain_register_step(cfg, dir, "hashed", 1, &err), &err);
    /* registerVersion, recordHashedEvaluation */
    CHECK(nonce_of(cfg->rpc_url, DEV_ADDRESS) == before + 2);
    cJSON *chain = read_json(dir, "chain.json");
    check_chain_json(cfg, dir, chain);
    check_evaluation_json(cfg, dir, chain);
    const cJSON *ev = cJSON_GetObjectItem(chain, "evaluation");
    printf("gas: recordHashedEvaluation with the evaluation verifier's deployment %.0f\n",
           cJSON_GetNumberValue(cJSON_GetObjectItem(ev, "gas_used")));
    check_best_versions(cfg, "hashed", ev);
    cJSON_Delete(chain);
}

/* GET /models/by-hash/{hash}/onchain after a second account claimed the model
 * of iris v1: both registrations, oldest first, each with its registrant. */
static void check_registrations(const chain_config *cfg, const char *model_text)
{
    uint8_t hash[32];
    char hex[65], *json = NULL;
    zkml_error err;
    zkml_sha256(model_text, strlen(model_text), hash);
    chain_hex_plain(hash, 32, hex);
    CHECK_OK(chain_registrations_json(cfg, hex, &json, &err), &err);
    cJSON *o = json ? cJSON_Parse(json) : NULL;
    free(json);
    const cJSON *list = cJSON_GetObjectItem(o, "registrations");
    CHECK(cJSON_GetObjectItem(o, "count")->valueint == 2 && cJSON_GetArraySize(list) == 2);
    const cJSON *first = cJSON_GetArrayItem(list, 0), *second = cJSON_GetArrayItem(list, 1);
    CHECK(!strcmp(json_string(first, "task_id"), "iris") &&
          cJSON_GetObjectItem(first, "version")->valueint == 1 &&
          !strcmp(json_string(first, "registrant"), DEV_ADDRESS));
    CHECK(!strcmp(json_string(second, "task_id"), "intruders-own") &&
          !strcmp(json_string(second, "registrant"), "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"));
    CHECK(!strcmp(json_string(first, "model_hash"), hex) &&
          !strcmp(json_string(second, "model_hash"), hex));
    cJSON_Delete(o);
    /* Bad input is named; an unknown hash has no registrations. */
    CHECK(chain_registrations_json(cfg, "12ab", &json, &err) == ZKML_EINVAL);
    CHECK(strstr(err.message, "expected 64 hex digits") != NULL);
    memset(hex, '0', 64);
    CHECK_OK(chain_registrations_json(cfg, hex, &json, &err), &err);
    CHECK(json && strstr(json, "\"count\":0"));
    free(json);
}

/* Another account may not add versions to a task it does not own. */
static void test_second_account(const chain_config *cfg, const char *fixture)
{
    zkml_error err;
    char dir[1024], key[1024];
    make_version_dir(fixture, "intruder", "model bytes D", dir, sizeof dir);
    write_key_file(tmpdir, "second.key",
                   "59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d\n", 0600, key,
                   sizeof key);
    chain_config other = *cfg;
    snprintf(other.key_file, sizeof other.key_file, "%s", key);
    uint64_t nonce0 = nonce_of(cfg->rpc_url, "0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
    int rc = chain_register_step(&other, dir, "iris", 3, &err);
    CHECK(rc == ZKML_EREJECTED);
    CHECK(strstr(err.message, "NotTaskOwner") != NULL);
    printf("second account: %s\n", err.message);
    /* Refused at estimation (the contract's NotTaskOwner): nothing sent. */
    CHECK(strstr(err.message,
                 "NotTaskOwner(\"iris\", 0x70997970c51812dc3a010c7d01b50e0d17dc79c8") != NULL);
    CHECK(nonce_of(cfg->rpc_url, "0x70997970c51812dc3a010c7d01b50e0d17dc79c8") == nonce0);
    /* The same account registers its own task fine, even claiming the model
     * hash of iris v1: the claim is listed beside the first, not instead of it. */
    char claim[1024];
    make_version_dir(fixture, "claim", "model bytes A", claim, sizeof claim);
    CHECK_OK(chain_register_step(&other, claim, "intruders-own", 1, &err), &err);
    check_registrations(cfg, "model bytes A");
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

/* The node stops mining: the registration is stuck, the step fails
 * retryably. The node mines it and goes away: retryable again. The node comes
 * back with the same state: the step finishes with the transaction it already
 * paid for (one transaction in all, not two). */
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
    CHECK(cJSON_IsString(cJSON_GetObjectItem(pending, "register_tx")));
    char tx[67] = "";
    snprintf(tx, sizeof tx, "%s", json_string(pending, "register_tx"));
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
    CHECK(chain && !strcmp(json_string(chain, "register_tx"), tx));
    cJSON_Delete(chain);
    CHECK(nonce_of(cfg->rpc_url, DEV_ADDRESS) == nonce0 + 1);
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
    const cJSON *tx = cJSON_GetObjectItem(pending, "register_tx");
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
    CHECK(nonce_of(cfg->rpc_url, DEV_ADDRESS) == nonce0 + 1);
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: %s FIXTURE_DIR EVAL_FIXTURE HASHED_FIXTURE\n", argv[0]);
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
    test_tmpdir(tmpdir, sizeof tmpdir, "chain");
    char key[512], state[512];
    write_key_file(tmpdir, "dev.key", CHAIN_ANVIL_DEV_KEY "\n", 0600, key, sizeof key);
    snprintf(state, sizeof state, "%s/anvil-state.json", tmpdir);
    chain_anvil anvil;
    chain_anvil_opts opts = {.state_path = state};
    if (chain_anvil_spawn(&opts, &anvil, &err)) {
        fprintf(stderr, "starting anvil: %s\n", err.message);
        test_rm_rf(tmpdir);
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
        test_attest(&cfg, argv[1]);
        test_tampered_proof(&cfg, argv[1]);
        test_evaluation(&cfg, argv[2]);
        test_hashed_evaluation(&cfg, argv[3]);
        test_second_account(&cfg, argv[1]);
        test_outage(&cfg, &anvil, state, argv[1]);
        test_dropped(&cfg, argv[1]);
    }
    chain_anvil_stop(&anvil);
    test_rm_rf(tmpdir);
    return check_exit("chain register");
}
