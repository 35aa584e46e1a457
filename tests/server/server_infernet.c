/*
 * server_infernet.c - the Infernet container routes of a real `zkml-registry
 * serve` registering on its own anvil: a model uploaded and proven, then its
 * proof sent back in both forms (snarkjs JSON, abi.encode hex). The answers
 * are checked by independent parties: /verify_proof against the version's
 * own verify step, /get_verifier_calldata against the export step's
 * calldata.json and by calling the verifier the registry deployed, on anvil;
 * /get_data_attester_calldata by calling ModelRegistry.attest on anvil, whose
 * outputs must be verify.json's. A changed signal is refused by each. Every
 * bad input has its status and message: unknown task or version (404), a bad
 * version number, bad hex (the byte offset), a wrong body (the shapes
 * expected), another method (405), no ZKML_INFERNET_MODEL (404), a version
 * that never got a key (409 with its state).
 *
 * The proving endpoints (service_output, generate_witness, generate_proof)
 * prove the upload's row again, sent off-chain and as a chain request: the
 * answers must be what the upload proved (verify.json, public.json), the proof
 * bytes must attest on anvil, and generate_proof's proof must verify with
 * snarkjs. Each malformed InfernetInput gets a 400 naming the field. With the
 * workers stopped and ZKML_SYNC_PROOF_MS=1 service_output answers 202 with the
 * proof's status_url, done once they run again (the proof is the pool's).
 *
 * A consumer contract (InfernetConsumer.sol, deployed by infernet_consumer.js)
 * decodes service_output's proof bytes on anvil and gets raw_output from attest.
 *
 * usage: server_infernet ZKML_REGISTRY MODEL.onnx DATA.csv OTHER_MODEL.onnx SNARKJS
 *        infernet_consumer.js
 */
#include "harness.h"
#include "pipeline/snark/snark.h"
#include "registry/chain/chain_internal.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <signal.h>
#include <unistd.h>

static test_server srv;
static chain_config chain;

static void post(const test_server *s, const char *path, const char *body, http_response *r)
{
    char u[1024];
    snprintf(u, sizeof u, "%s%s", s->base, path);
    const char *headers[] = {"Content-Type: application/json", NULL};
    if (http_do("POST", u, headers, body, body ? strlen(body) : 0, r))
        CHECK(0, "POST %s failed", path);
}

static void expect_error(const http_response *r, long status, const char *part, const char *what)
{
    char message[1024] = "";
    json_field(r->body, "error", message, sizeof message);
    CHECK(r->status == status && strstr(message, part), "%s: %ld %s, want %ld '%s'", what,
          r->status, r->body, status, part);
}

/* A public artifact of iris v1 as text (malloc'ed). */
static char *artifact(const char *name)
{
    char u[512];
    snprintf(u, sizeof u, "%s/models/iris/artifacts/%s?version=1", srv.base, name);
    http_response r;
    if (http_do("GET", u, NULL, NULL, 0, &r) || r.status != 200) {
        CHECK(0, "GET %s", name);
        return NULL;
    }
    return r.body;
}

/* {"proof": <proof.json>, "public_signals": <public.json>} */
static char *json_body(void)
{
    char *proof = artifact("proof.json"), *pub = artifact("public.json");
    size_t n = (proof ? strlen(proof) : 0) + (pub ? strlen(pub) : 0) + 64;
    char *body = malloc(n);
    snprintf(body, n, "{\"proof\": %s, \"public_signals\": %s}", proof ? proof : "null",
             pub ? pub : "null");
    free(proof);
    free(pub);
    return body;
}

/* {"proof": "0x" + abi.encode(a, b, c, signals)}, the first signal changed when tamper. */
static char *hex_body(int tamper)
{
    char *proof = artifact("proof.json"), *pub = artifact("public.json");
    uint8_t *words = NULL;
    size_t n = 0;
    zkml_error err = {0};
    CHECK_OK(evm_proof_words_parse(proof, strlen(proof), pub, strlen(pub), &words, &n, &err), &err);
    free(proof);
    free(pub);
    if (tamper)
        words[32 * 9 - 1] ^= 1;
    zkml_buf b = {0};
    chain_abi_encode_proof(words, n, &b);
    free(words);
    char *body = malloc(2 * b.len + 32);
    strcpy(body, "{\"proof\": \"");
    chain_hex(b.data, b.len, body + strlen(body));
    strcat(body, "\"}");
    zkml_buf_free(&b);
    return body;
}

/* eth_call to `to` (0x-hex) with hex calldata; *out is the answer, or NULL
 * with the revert's text in err. */
static int eth_call(const char *to, const char *calldata, uint8_t **out, size_t *len,
                    zkml_error *err)
{
    uint8_t address[20], *data = NULL;
    size_t data_len = 0;
    chain_client c;
    CHECK(chain_parse_address(to, address) == 0, "address %s", to);
    CHECK_OK(chain_hex_decode("calldata", calldata, &data, &data_len, err), err);
    int rc = chain_client_open(&chain, 0, &c, err);
    if (!rc) {
        rc = chain_eth_call(&c, address, data, data_len, out, len, err);
        chain_client_close(&c);
    }
    free(data);
    return rc;
}

/* eth_estimateGas of a call (21,000 intrinsic and the calldata included); 0 on failure. */
static uint64_t gas_of(const char *to, const char *calldata)
{
    size_t cap = strlen(calldata) + 128;
    char *params = malloc(cap);
    snprintf(params, cap, "[{\"to\":\"%s\",\"data\":\"%s\"}]", to, calldata);
    chain_rpc *rpc;
    zkml_error err;
    cJSON *result = NULL;
    uint64_t gas = 0;
    if (chain_rpc_open(chain.rpc_url, 10000, &rpc, &err) == 0) {
        if (chain_rpc_call(rpc, "eth_estimateGas", params, &result, NULL, &err) == 0 &&
            cJSON_IsString(result))
            chain_parse_quantity(result->valuestring, &gas);
        chain_rpc_close(rpc);
    }
    cJSON_Delete(result);
    free(params);
    return gas;
}

static void check_result(const char *path, const char *body, const char *want, const char *what)
{
    http_response r;
    post(&srv, path, body, &r);
    CHECK(r.status == 200 && !strcmp(r.body, want), "%s: %ld %s, want %s", what, r.status, r.body,
          want);
    http_response_free(&r);
}

static void test_verify_proof(void)
{
    char *json = json_body(), *hex = hex_body(0), *bad = hex_body(1);
    check_result("/infernet/iris/1/verify_proof", json, "{\"result\":true}", "snarkjs JSON");
    check_result("/infernet/iris/1/verify_proof", hex, "{\"result\":true}", "abi hex");
    check_result("/infernet/iris/1/verify_proof", bad, "{\"result\":false}", "changed signal");
    /* The root paths serve ZKML_INFERNET_MODEL (iris, its latest version). */
    check_result("/verify_proof", hex, "{\"result\":true}", "root path");
    free(json);
    free(hex);
    free(bad);
}

/* The calldata in both forms is calldata.json's, and the deployed verifier accepts it. */
static void test_verifier_calldata(void)
{
    char *json = json_body(), *hex = hex_body(0), *bad = hex_body(1);
    char *export = artifact("calldata.json");
    cJSON *exported = cJSON_Parse(export);
    const char *want = cJSON_GetStringValue(cJSON_GetObjectItem(exported, "hex"));
    http_response r1, r2, r3;
    post(&srv, "/infernet/iris/1/get_verifier_calldata", json, &r1);
    post(&srv, "/get_verifier_calldata", hex, &r2);
    post(&srv, "/infernet/iris/1/get_verifier_calldata", bad, &r3);
    char c1[8192] = "", c2[8192] = "", c3[8192] = "", verifier[64] = "";
    json_field(r1.body, "calldata", c1, sizeof c1);
    json_field(r2.body, "calldata", c2, sizeof c2);
    json_field(r3.body, "calldata", c3, sizeof c3);
    json_field(r1.body, "verifier", verifier, sizeof verifier);
    CHECK(r1.status == 200 && want && !strcmp(c1, want), "calldata %s, export's %s", r1.body,
          want ? want : "?");
    CHECK(r2.status == 200 && !strcmp(c2, c1), "hex form: %s", r2.body);
    uint8_t *out = NULL;
    size_t len = 0;
    zkml_error err = {0};
    CHECK_OK(eth_call(verifier, c1, &out, &len, &err), &err);
    CHECK(len == 32 && out && out[31] == 1, "the verifier at %s says %zu bytes", verifier, len);
    free(out);
    CHECK(r3.status == 200 && strcmp(c3, c1), "tampered calldata: %s", r3.body);
    CHECK_OK(eth_call(verifier, c3, &out, &len, &err), &err);
    CHECK(len == 32 && out && out[31] == 0, "the verifier accepts a changed signal");
    free(out);
    http_response_free(&r1);
    http_response_free(&r2);
    http_response_free(&r3);
    cJSON_Delete(exported);
    free(export);
    free(json);
    free(hex);
    free(bad);
}

/* ModelRegistry.attest on anvil returns verify.json's outputs; a changed signal reverts. */
static void test_attester_calldata(void)
{
    char *hex = hex_body(0), *bad = hex_body(1), *verify = artifact("verify.json");
    cJSON *v = cJSON_Parse(verify);
    const cJSON *values = cJSON_GetObjectItem(v, "values");
    http_response r, rb;
    post(&srv, "/infernet/iris/1/get_data_attester_calldata", hex, &r);
    post(&srv, "/get_data_attester_calldata", bad, &rb);
    char to[64] = "", calldata[8192] = "", bad_calldata[8192] = "";
    json_field(r.body, "to", to, sizeof to);
    json_field(r.body, "calldata", calldata, sizeof calldata);
    json_field(rb.body, "calldata", bad_calldata, sizeof bad_calldata);
    CHECK(r.status == 200 && !strcasecmp(to, chain.registry_address), "attester: %s", r.body);
    uint8_t *out = NULL;
    size_t len = 0, n = 0;
    int64_t *outputs = NULL;
    zkml_error err = {0};
    CHECK_OK(eth_call(to, calldata, &out, &len, &err), &err);
    CHECK_OK(chain_abi_decode_values("attest", out, len, &outputs, &n, &err), &err);
    CHECK(n > 0 && (int)n == cJSON_GetArraySize(values), "%zu outputs, verify.json has %d", n,
          cJSON_GetArraySize(values));
    for (size_t i = 0; outputs && i < n; i++)
        CHECK(outputs[i] == (int64_t)cJSON_GetArrayItem(values, (int)i)->valuedouble,
              "output %zu: attest %lld, verify.json %.0f", i, (long long)outputs[i],
              cJSON_GetArrayItem(values, (int)i)->valuedouble);
    /* eth_estimateGas of attest (which reverts when the verifier runs out of
     * gas, so the estimate is the gas it needs; a bare verifyProof answers
     * false instead and cannot be estimated this way). */
    printf("attest on anvil: %zu outputs, as verify.json; gas %llu\n", n,
           (unsigned long long)gas_of(to, calldata));
    free(out);
    free(outputs);
    CHECK(rb.status == 200, "tampered attester calldata: %s", rb.body);
    CHECK(eth_call(to, bad_calldata, &out, &len, &err) == ZKML_EREJECTED &&
              strstr(err.message, "ProofRejected(\"iris\""),
          "attest of a changed signal: %s", err.message);
    http_response_free(&r);
    http_response_free(&rb);
    cJSON_Delete(v);
    free(verify);
    free(hex);
    free(bad);
}

static void test_bad_input(const char *other_model)
{
    char *hex = hex_body(0);
    http_response r;
    post(&srv, "/infernet/nobody/1/verify_proof", hex, &r);
    expect_error(&r, 404, "nobody", "unknown task");
    http_response_free(&r);
    post(&srv, "/infernet/iris/7/verify_proof", hex, &r);
    expect_error(&r, 404, "7", "unknown version");
    http_response_free(&r);
    post(&srv, "/infernet/iris/x1/verify_proof", hex, &r);
    expect_error(&r, 400, "version must be a positive integer (got 'x1')", "bad version");
    http_response_free(&r);
    post(&srv, "/infernet/iris/1/verify_proof", "{\"proof\": \"0x00zz\"}", &r);
    expect_error(&r, 400, "proof: byte 1 is not two hex digits", "bad hex");
    http_response_free(&r);
    post(&srv, "/infernet/iris/1/verify_proof", "{\"proof\": \"0x0011\"}", &r);
    expect_error(&r, 400, "2 bytes is not abi.encode(uint256[2], uint256[2][2]", "short proof");
    http_response_free(&r);
    post(&srv, "/infernet/iris/1/get_verifier_calldata", "{\"proof\": 7}", &r);
    expect_error(&r, 400, "expected {\"proof\": \"0x<abi.encode(a, b, c, signals)>\"}",
                 "wrong shape");
    http_response_free(&r);
    post(&srv, "/infernet/iris/1/verify_proof", "[1]", &r);
    expect_error(&r, 400, "the body must be a JSON object", "not an object");
    http_response_free(&r);
    char u[512];
    snprintf(u, sizeof u, "%s/verify_proof", srv.base);
    CHECK(http_do("GET", u, NULL, NULL, 0, &r) == 0 && r.status == 405, "GET: %ld", r.status);
    http_response_free(&r);
    post(&srv, "/infernet/iris/1/no_such_endpoint", hex, &r);
    expect_error(&r, 404, "no route", "unknown endpoint");
    http_response_free(&r);
    /* A version whose job never made a key: 409 with its state. */
    form_field f[] = {{"task_id", "other", NULL, NULL}, {"model", NULL, other_model, "m.onnx"}};
    snprintf(u, sizeof u, "%s/models", srv.base);
    CHECK(http_post_form(u, f, 2, NULL, &r) == 0 && r.status == 202, "upload other");
    http_response_free(&r);
    CHECK(wait_for_job(&srv, "other", 1, 300, &r) == 0, "other's job ends");
    char state[32] = "";
    json_field(r.body, "state", state, sizeof state);
    http_response_free(&r);
    printf("a version without a key: its job %s\n", state);
    post(&srv, "/infernet/other/1/verify_proof", hex, &r);
    if (!strcmp(state, "failed"))
        expect_error(&r, 409, "(its state: failed)", "a failed version");
    else
        CHECK(r.status == 200, "other (%s): %ld %s", state, r.status, r.body);
    http_response_free(&r);
    free(hex);
}

/* ---- proofs of inputs sent as an InfernetInput ----------------------------- */

/* The CSV's row 0, the upload's sample: what version 1 proved at upload. */
static const double ROW0[4] = {4.7, 3.2, 1.3, 0.2};
static const char *snarkjs_bin, *consumer_js, *tmp_dir;

/* Writes text to tmp_dir/name; the path into out. */
static void write_tmp(const char *name, const char *text, char *out, size_t outlen)
{
    zkml_error err;
    snprintf(out, outlen, "%.3000s/%s", tmp_dir, name);
    CHECK_OK(zkml_write_file_atomic(out, text, strlen(text), &err), &err);
}

/* A consumer contract deployed on anvil decodes the answer's proof bytes and
 * gets raw_output from attest (infernet_consumer.js, with ethers's decoder). */
static void check_consumer_contract(const char *answer)
{
    char answer_path[3100], settings_path[3100], cmd[10000];
    char *settings = artifact("settings.json");
    write_tmp("answer.json", answer, answer_path, sizeof answer_path);
    write_tmp("settings.json", settings ? settings : "", settings_path, sizeof settings_path);
    free(settings);
    snprintf(cmd, sizeof cmd, "node %s %s %s %s %s %.3000s", consumer_js, chain.rpc_url,
             chain.registry_address, answer_path, settings_path, tmp_dir);
    CHECK(system(cmd) == 0, "the consumer contract's outputs (%s)", cmd);
}

/* data = abi.encode(int256[]) of row 0 at the input scale (settings.json's scales.input). */
static char *chain_request(void)
{
    char *settings = artifact("settings.json");
    cJSON *st = cJSON_Parse(settings);
    int scale = cJSON_GetObjectItem(cJSON_GetObjectItem(st, "scales"), "input")->valueint;
    int64_t q[4];
    for (int i = 0; i < 4; i++)
        q[i] = (int64_t)llround(ROW0[i] * ldexp(1, scale));
    zkml_buf b = {0};
    chain_abi_encode_values(q, 4, &b);
    char *body = malloc(2 * b.len + 64);
    strcpy(body, "{\"source\": 0, \"destination\": 0, \"data\": \"");
    chain_hex(b.data, b.len, body + strlen(body));
    strcat(body, "\"}");
    zkml_buf_free(&b);
    cJSON_Delete(st);
    free(settings);
    return body;
}

static const char OFFCHAIN[] =
    "{\"source\": 1, \"destination\": 1, \"data\": {\"input_data\": [[4.7, 3.2, 1.3, 0.2]]}}";

/* A hex field of an answer as bytes (*out malloc'ed). */
static int hex_field(const char *json, const char *key, uint8_t **out, size_t *len)
{
    char text[16384] = "";
    zkml_error err;
    json_field(json, key, text, sizeof text);
    return chain_hex_decode(key, text, out, len, &err);
}

/* abi.encode(uint256[]) words as decimal strings equal those of public.json at [from, to). */
static void check_signals(const uint8_t *enc, size_t len, const cJSON *pub, int from, int to,
                          const char *what)
{
    CHECK(len == 64 + 32 * (size_t)(to - from), "%s: %zu bytes for %d signals", what, len,
          to - from);
    for (int i = from; i < to && len == 64 + 32 * (size_t)(to - from); i++) {
        char got[80];
        uint8_t le[32];
        fr_t f;
        for (int k = 0; k < 32; k++)
            le[k] = enc[64 + 32 * (i - from) + 31 - k];
        fr_from_bytes_le(&f, le);
        fr_to_dec(got, &f);
        CHECK(!strcmp(got, cJSON_GetArrayItem(pub, i)->valuestring), "%s[%d]: %s, public.json %s",
              what, i - from, got, cJSON_GetArrayItem(pub, i)->valuestring);
    }
}

/* service_output of row 0 answers what the upload proved for row 0: raw_output
 * = verify.json's values, processed_output = public.json's output signals
 * (the signals' order: outputs first), and its proof attests on anvil. */
static void check_service_output(const char *path, const char *body)
{
    http_response r;
    post(&srv, path, body, &r);
    CHECK(r.status == 200, "%s: %ld %s", path, r.status, r.body);
    if (r.status == 200 && strstr(path, "/infernet/"))
        check_consumer_contract(r.body);
    char *verify = artifact("verify.json"), *pub_text = artifact("public.json");
    cJSON *v = cJSON_Parse(verify), *pub = cJSON_Parse(pub_text);
    const cJSON *values = cJSON_GetObjectItem(v, "values");
    uint8_t *raw = NULL, *processed = NULL, *proof = NULL, *raw_in = NULL;
    size_t raw_len = 0, processed_len = 0, proof_len = 0, raw_in_len = 0, n = 0;
    int64_t *out = NULL;
    zkml_error err = {0};
    CHECK(hex_field(r.body, "raw_output", &raw, &raw_len) == 0, "raw_output: %s", r.body);
    CHECK_OK(chain_abi_decode_values("raw_output", raw, raw_len, &out, &n, &err), &err);
    CHECK((int)n == cJSON_GetArraySize(values), "%zu outputs", n);
    for (size_t i = 0; out && i < n && (int)i < cJSON_GetArraySize(values); i++)
        CHECK(out[i] == (int64_t)cJSON_GetArrayItem(values, (int)i)->valuedouble,
              "raw_output[%zu] %lld", i, (long long)out[i]);
    int n_out = 1; /* the iris model's 3 outputs pack into one signal */
    CHECK(hex_field(r.body, "processed_output", &processed, &processed_len) == 0, "processed_output");
    check_signals(processed, processed_len, pub, 0, n_out, "processed_output");
    free(processed);
    CHECK(hex_field(r.body, "processed_input", &processed, &processed_len) == 0, "processed_input");
    check_signals(processed, processed_len, pub, n_out, cJSON_GetArraySize(pub), "processed_input");
    /* inputs hashed (the default): the input itself is not repeated */
    CHECK(hex_field(r.body, "raw_input", &raw_in, &raw_in_len) == 0 && raw_in_len == 0,
          "raw_input of a hashed input: %zu bytes", raw_in_len);
    /* The proof bytes, as a consumer contract passes them on: attest answers raw_output. */
    CHECK(hex_field(r.body, "proof", &proof, &proof_len) == 0 && proof_len > 288, "proof");
    char *hexproof = malloc(2 * proof_len + 32);
    strcpy(hexproof, "{\"proof\": \"");
    chain_hex(proof, proof_len, hexproof + strlen(hexproof));
    strcat(hexproof, "\"}");
    http_response a;
    post(&srv, "/infernet/iris/1/get_data_attester_calldata", hexproof, &a);
    char to[64] = "", calldata[8192] = "";
    json_field(a.body, "to", to, sizeof to);
    json_field(a.body, "calldata", calldata, sizeof calldata);
    uint8_t *ret = NULL;
    size_t ret_len = 0, n2 = 0;
    int64_t *attested = NULL;
    CHECK_OK(eth_call(to, calldata, &ret, &ret_len, &err), &err);
    CHECK_OK(chain_abi_decode_values("attest", ret, ret_len, &attested, &n2, &err), &err);
    CHECK(n2 == n && attested && out && !memcmp(attested, out, n * sizeof *out),
          "attest of service_output's proof answers raw_output");
    free(ret);
    free(attested);
    http_response_free(&a);
    free(hexproof);
    free(proof);
    free(raw_in);
    free(processed);
    free(raw);
    free(out);
    cJSON_Delete(v);
    cJSON_Delete(pub);
    free(verify);
    free(pub_text);
    http_response_free(&r);
}

/* generate_proof's proof checked by snarkjs (and a changed signal refused by it). */
static void check_generate_proof(void)
{
    http_response r;
    post(&srv, "/infernet/iris/1/generate_proof", OFFCHAIN, &r);
    CHECK(r.status == 200, "generate_proof: %ld %s", r.status, r.body);
    cJSON *o = cJSON_Parse(r.body);
    const cJSON *result = cJSON_GetObjectItem(o, "result");
    char *proof = cJSON_Print(cJSON_GetObjectItem(result, "proof"));
    cJSON *pub = cJSON_Duplicate(cJSON_GetObjectItem(result, "public_signals"), 1);
    char *vk = artifact("verification_key.json");
    char paths[3][3100], cmd[10000];
    for (int round = 0; round < 2 && proof && vk && pub; round++) {
        char *pub_text = cJSON_Print(pub);
        write_tmp("vk.json", vk, paths[0], sizeof paths[0]);
        write_tmp("proof.json", proof, paths[1], sizeof paths[1]);
        write_tmp("public.json", pub_text, paths[2], sizeof paths[2]);
        free(pub_text);
        snprintf(cmd, sizeof cmd, "%s groth16 verify %s %s %s > /dev/null 2>&1", snarkjs_bin,
                 paths[0], paths[2], paths[1]);
        int rc = system(cmd);
        CHECK(round == 0 ? rc == 0 : rc != 0, "snarkjs on %s proof: %d", round ? "a changed" : "the",
              rc);
        cJSON_ReplaceItemInArray(pub, 0, cJSON_CreateString("12345"));
    }
    printf("generate_proof: snarkjs verifies the proof, refuses a changed signal\n");
    free(vk);
    free(proof);
    cJSON_Delete(pub);
    cJSON_Delete(o);
    http_response_free(&r);
}

static void test_proving_endpoints(void)
{
    char *chain_body = chain_request();
    check_service_output("/infernet/iris/1/service_output", OFFCHAIN);
    check_service_output("/service_output", chain_body);
    check_generate_proof();
    http_response r;
    post(&srv, "/infernet/iris/1/generate_witness", chain_body, &r);
    char *verify = artifact("verify.json");
    cJSON *w = cJSON_Parse(r.body), *v = cJSON_Parse(verify);
    CHECK(r.status == 200 && cJSON_Compare(cJSON_GetObjectItem(w, "outputs"),
                                           cJSON_GetObjectItem(v, "values"), 1),
          "generate_witness: %s", r.body);
    cJSON_Delete(w);
    cJSON_Delete(v);
    free(verify);
    http_response_free(&r);
    /* Bad InfernetInputs: each named. */
    static const struct {
        const char *body, *part;
    } bad[] = {
        {"{\"data\": {}}", "source is required: 0 (chain) or 1 (off-chain)"},
        {"{\"source\": 3, \"data\": {}}", "source: expected 0 (chain) or 1 (off-chain)"},
        {"{\"source\": 1, \"destination\": 2, \"data\": {}}", "destination 2 (stream) is not served"},
        {"{\"source\": 1, \"requires_proof\": 1, \"data\": {}}", "requires_proof: expected true or false"},
        {"{\"source\": 0, \"data\": {\"input_data\": [[1]]}}", "data: a chain request (source 0) takes hex"},
        {"{\"source\": 1, \"data\": \"0x00\"}", "data: an off-chain request (source 1) takes"},
        {"{\"source\": 1, \"data\": {}}", "input_data is required"},
        {"{\"source\": 1, \"data\": {\"input_data\": [[1, 2, 3]]}}", "expected shape [1, 4]"},
        {"{\"source\": 1, \"data\": {\"input_data\": [[1, 2, \"x\", 4]]}}", "input_data[0][2]: expected a number"},
        {"{\"source\": 1, \"data\": {\"input_data\": [[1, 2, 3, 1e30]]}}", "input_data[0][3]"},
        {"{\"source\": 0, \"data\": \"0x0000zz\"}", "data: byte 2 is not two hex digits"},
        {"{\"source\": 0, \"data\": \"0x00\"}", "data: 1 bytes is not abi.encode(int256[])"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        post(&srv, "/infernet/iris/1/service_output", bad[i].body, &r);
        expect_error(&r, 400, bad[i].part, bad[i].body);
        http_response_free(&r);
    }
    /* A value outside the calibrated range, sent as a chain request: the index is named. */
    int64_t huge[4] = {1, 1, 1, (int64_t)1 << 40};
    zkml_buf b = {0};
    chain_abi_encode_values(huge, 4, &b);
    char body[1024] = "{\"source\": 0, \"data\": \"";
    chain_hex(b.data, b.len, body + strlen(body));
    strcat(body, "\"}");
    zkml_buf_free(&b);
    post(&srv, "/infernet/iris/1/service_output", body, &r);
    expect_error(&r, 400, "[0][3]", "a chain value out of range");
    http_response_free(&r);
    post(&srv, "/infernet/iris/9/generate_proof", OFFCHAIN, &r);
    expect_error(&r, 404, "9", "generate_proof of an unknown version");
    http_response_free(&r);
    free(chain_body);
}

/* Without ZKML_INFERNET_MODEL the root paths say how to name a model. */
static void test_no_model(const char *bin, const char *dir)
{
    test_server plain;
    const char *env[] = {"ZKML_CHAIN=none", "ZKML_API_TOKEN=", "ZKML_INFERNET_MODEL=", NULL};
    if (test_server_start(&plain, bin, dir, env, NULL)) {
        CHECK(0, "second server did not start");
        return;
    }
    http_response r;
    post(&plain, "/verify_proof", "{}", &r);
    expect_error(&r, 404, "set ZKML_INFERNET_MODEL=task[@version]", "no model");
    http_response_free(&r);
    CHECK(test_server_stop(&plain) == 0, "second server stops");
    /* A ZKML_INFERNET_MODEL that names no task or version: serve refuses to start. */
    static const char *const bad[][2] = {
        {"ZKML_INFERNET_MODEL=../etc", "ZKML_INFERNET_MODEL '../etc'"},
        {"ZKML_INFERNET_MODEL=iris@0", "ZKML_INFERNET_MODEL's version must be an integer"},
        {"ZKML_INFERNET_MODEL=iris@x", "ZKML_INFERNET_MODEL's version must be an integer"},
    };
    const char *args[] = {"--listen", "127.0.0.1:0", "--data-dir", dir, NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[4096] = "";
        const char *bad_env[] = {"ZKML_CHAIN=none", "ZKML_API_TOKEN=", bad[i][0], NULL};
        int rc = test_server_run_to_exit(bin, args, bad_env, err, sizeof err);
        CHECK(rc == 2 && strstr(err, bad[i][1]), "%s: exit %d, %s", bad[i][0], rc, err);
    }
}

/* The pids of a process's children, space-separated, into list. */
static void children(const char *pid, char list[1024])
{
    char path[96];
    snprintf(path, sizeof path, "/proc/%s/task/%s/children", pid, pid);
    FILE *f = fopen(path, "r");
    size_t n = f ? fread(list, 1, 1023, f) : 0;
    if (f)
        fclose(f);
    list[n] = 0;
}

/* Sends sig to every worker of a server (the children of its children). */
static void signal_workers(pid_t server, int sig)
{
    char pid[16], list[1024], sub[1024];
    snprintf(pid, sizeof pid, "%d", (int)server);
    children(pid, list);
    for (char *s1 = NULL, *p = strtok_r(list, " \n", &s1); p; p = strtok_r(NULL, " \n", &s1)) {
        children(p, sub);
        for (char *s2 = NULL, *w = strtok_r(sub, " \n", &s2); w; w = strtok_r(NULL, " \n", &s2))
            kill((pid_t)atoi(w), sig);
    }
}

/* The proving routes wait as ?wait=1 does: with the workers stopped and
 * ZKML_SYNC_PROOF_MS=1, service_output answers 202 with the proof's
 * status_url (the HTTP thread did not prove it), which is done once the
 * workers run again. */
static void test_bounded_wait(const char *bin, const char *data)
{
    test_server s;
    const char *env[] = {"ZKML_CHAIN=none", "ZKML_API_TOKEN=", "ZKML_INFERNET_MODEL=iris",
                         "ZKML_SYNC_PROOF_MS=1", NULL};
    if (test_server_start(&s, bin, data, env, NULL)) {
        CHECK(0, "the server with a 1 ms wait did not start");
        return;
    }
    signal_workers(s.pid, SIGSTOP);
    http_response r;
    char url[512] = "", state[32] = "";
    post(&s, "/service_output", OFFCHAIN, &r);
    json_field(r.body, "status_url", url, sizeof url);
    json_field(r.body, "state", state, sizeof state);
    CHECK(r.status == 202 && url[0] == '/' && strcmp(state, "done"),
          "service_output past ZKML_SYNC_PROOF_MS: 202 with a status_url: %ld %s", r.status, r.body);
    http_response_free(&r);
    signal_workers(s.pid, SIGCONT);
    for (int i = 0; url[0] == '/' && i < 1200 && strcmp(state, "done") && strcmp(state, "failed");
         i++) {
        char u[1024];
        snprintf(u, sizeof u, "%s%s", s.base, url);
        usleep(100000);
        if (http_do("GET", u, NULL, NULL, 0, &r) == 0) {
            json_field(r.body, "state", state, sizeof state);
            http_response_free(&r);
        }
    }
    CHECK(!strcmp(state, "done"), "the proof service_output queued: %s", state);
    CHECK(test_server_stop(&s) == 0, "the server with a 1 ms wait stops");
}

/* The service's environment for the chain: ZKML_RPC_URL, ZKML_PRIVATE_KEY_FILE
 * and ZKML_REGISTRY_ADDRESS assignments. */
typedef struct chain_env {
    char rpc[600], key[PATH_MAX + 64], registry[80];
} chain_env;

/* anvil with ModelRegistry deployed, and anvil's public development key in a 0600 file. */
static int start_chain(const char *dir, chain_anvil *anvil, chain_env *env)
{
    zkml_error err;
    char key[sizeof chain.key_file];
    snprintf(key, sizeof key, "%.900s/dev.key", dir);
    if (zkml_write_file_atomic(key, CHAIN_ANVIL_DEV_KEY "\n", strlen(CHAIN_ANVIL_DEV_KEY) + 1,
                               &err) ||
        chmod(key, 0600))
        return -1;
    chain_anvil_opts opts = {0};
    if (chain_anvil_spawn(&opts, anvil, &err)) {
        fprintf(stderr, "starting anvil: %s\n", err.message);
        return -1;
    }
    chain.mode = CHAIN_RPC;
    snprintf(chain.rpc_url, sizeof chain.rpc_url, "http://127.0.0.1:%d", anvil->port);
    snprintf(chain.key_file, sizeof chain.key_file, "%s", key);
    if (chain_deploy_registry(&chain, chain.registry_address, &err)) {
        fprintf(stderr, "deploying the registry: %s\n", err.message);
        return -1;
    }
    snprintf(env->rpc, sizeof env->rpc, "ZKML_RPC_URL=%s", chain.rpc_url);
    snprintf(env->key, sizeof env->key, "ZKML_PRIVATE_KEY_FILE=%s", key);
    snprintf(env->registry, sizeof env->registry, "ZKML_REGISTRY_ADDRESS=%s",
             chain.registry_address);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr,
                "usage: %s ZKML_REGISTRY MODEL.onnx DATA.csv OTHER_MODEL.onnx SNARKJS "
                "infernet_consumer.js\n",
                argv[0]);
        return 2;
    }
    snarkjs_bin = argv[5];
    consumer_js = argv[6];
    curl_global_init(CURL_GLOBAL_DEFAULT);
    char dir[PATH_MAX], data[PATH_MAX + 8], plain[PATH_MAX + 8];
    chain_env vars;
    test_tmpdir(dir, sizeof dir, "infernet");
    tmp_dir = dir;
    snprintf(data, sizeof data, "%s/data", dir);
    snprintf(plain, sizeof plain, "%s/plain", dir);
    chain_anvil anvil = {0};
    if (start_chain(dir, &anvil, &vars)) {
        chain_anvil_stop(&anvil);
        test_rm_rf(dir);
        return 1;
    }
    const char *env[] = {"ZKML_CHAIN=rpc", vars.rpc, vars.key, vars.registry, "ZKML_INFERNET_MODEL=iris",
                         "ZKML_EVAL_ROWS=8", "ZKML_API_TOKEN=",
                         /* the routes wait as ?wait=1 does: long enough under ASan */
                         "ZKML_SYNC_PROOF_MS=120000", NULL};
    if (test_server_start(&srv, argv[1], data, env, NULL)) {
        fprintf(stderr, "server did not start\n");
        chain_anvil_stop(&anvil);
        test_rm_rf(dir);
        return 1;
    }
    form_field f[] = {{"task_id", "iris", NULL, NULL},
                      {"model", NULL, argv[2], "model.onnx"},
                      {"data", NULL, argv[3], "data.csv"}};
    char u[256];
    http_response r;
    snprintf(u, sizeof u, "%s/models", srv.base);
    CHECK(http_post_form(u, f, 3, NULL, &r) == 0 && r.status == 202, "upload iris");
    http_response_free(&r);
    char state[32] = "";
    CHECK(wait_for_job(&srv, "iris", 1, 600, &r) == 0, "iris's job ends");
    json_field(r.body, "state", state, sizeof state);
    CHECK(!strcmp(state, "done"), "iris's job: %s", r.body);
    http_response_free(&r);
    if (!strcmp(state, "done")) {
        test_verify_proof();
        test_verifier_calldata();
        test_attester_calldata();
        test_proving_endpoints();
        test_bad_input(argv[4]);
    }
    CHECK(test_server_stop(&srv) == 0, "graceful stop exits 0");
    if (!strcmp(state, "done"))
        test_bounded_wait(argv[1], data);
    test_no_model(argv[1], plain);
    chain_anvil_stop(&anvil);
    test_rm_rf(dir);
    curl_global_cleanup();
    return check_exit("server_infernet");
}
