/*
 * infernet.c - the Infernet container API (README "Infernet container"):
 * the routes of Ritual's ML proof service, served for every registered
 * version, so that an Infernet node (or anyone) can check a version's proofs
 * and build the calls a contract makes with them.
 *
 *   POST /{endpoint}                            the version ZKML_INFERNET_MODEL names
 *   POST /infernet/{task}/{version}/{endpoint}  any version
 *
 *   service_output, generate_witness, generate_proof   an InfernetInput proven
 *                                                      (infernet_input.c)
 *   verify_proof                {"result": bool}: the proof under the version's key
 *   get_verifier_calldata       {"calldata", "verifier"}: verifyProof's call
 *   get_data_attester_calldata  {"to", "calldata", ...}: ModelRegistry.attest's call
 *
 * The last three take the proof as {"proof": "0x..."} (abi.encode(a, b, c,
 * signals), the `proof` bytes service_output answers) or as snarkjs's JSON,
 * {"proof": {pi_a, pi_b, pi_c, ...}, "public_signals": ["...", ...]}.
 */
#include "server/server.h"

#include "pipeline/evm/evm.h"
#include "pipeline/snark/snark.h"

#include <civetweb.h>
#include <cJSON.h>

#include <stdlib.h>
#include <string.h>

enum { STATE_MAX = 32, BODY_MAX = 1 << 20 };

int infernet_send_object(const http_request *rq, cJSON *o)
{
    char *json = o ? cJSON_PrintUnformatted(o) : NULL;
    cJSON_Delete(o);
    int status = json ? http_send_json(rq, 200, json)
                      : http_send_error(rq, 500, "internal", "out of memory");
    free(json);
    return status;
}

void infernet_add_hex(cJSON *o, const char *key, const uint8_t *data, size_t len)
{
    char *hex = malloc(2 * len + 3);
    if (hex)
        chain_hex(data ? data : (const uint8_t *)"", len, hex);
    cJSON_AddItemToObject(o, key, hex ? cJSON_CreateString(hex) : cJSON_CreateNull());
    free(hex);
}

/* The version's job state ("done", "failed", "queued", ...) for 409 messages. */
static void version_state(registry_store *s, const infernet_target *t, char state[STATE_MAX])
{
    zkml_error err;
    char *json = NULL;
    snprintf(state, STATE_MAX, "unknown");
    if (store_status_json(s, t->task, t->version, &json, &err))
        return;
    cJSON *o = cJSON_Parse(json);
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(o, "state");
    if (cJSON_IsString(st))
        snprintf(state, STATE_MAX, "%s", st->valuestring);
    cJSON_Delete(o);
    free(json);
}

/* Fills t->dir; sends 404 for an unknown task or version, 409 when the
 * version has no `need` artifact yet (its setup failed, or is still to come). */
static int resolve(const http_request *rq, infernet_target *t, zkml_artifact_id need)
{
    registry_store *s;
    zkml_error err;
    int asked = t->version;
    if (http_store(rq, &s, &err) || store_resolve_version(s, t->task, asked, &t->version, &err) ||
        store_version_dir(rq->srv->cfg.data_dir, t->task, t->version, t->dir, sizeof t->dir, &err))
        return http_send_zkml_error(rq, &err);
    char path[PATH_MAX + 64];
    zkml_artifact_path(path, sizeof path, t->dir, need, NULL);
    if (zkml_file_exists(path))
        return 0;
    char state[STATE_MAX];
    version_state(s, t, state);
    return http_send_error(rq, 409, "conflict", "version %d of %s has no %s (its state: %s)",
                           t->version, t->task, zkml_artifact_name(need), state);
}

/* The proof's words from the body's "proof" (and "public_signals"). */
static int proof_words(const cJSON *body, uint8_t **words, size_t *n, zkml_error *err)
{
    const cJSON *proof = cJSON_GetObjectItemCaseSensitive(body, "proof");
    if (cJSON_IsString(proof)) {
        uint8_t *bytes;
        size_t len;
        int rc = chain_hex_decode("proof", proof->valuestring, &bytes, &len, err);
        if (!rc)
            rc = chain_abi_decode_proof("proof", bytes, len, words, n, err);
        free(bytes);
        return rc;
    }
    const cJSON *pub = cJSON_GetObjectItemCaseSensitive(body, "public_signals");
    if (!cJSON_IsObject(proof) || !cJSON_IsArray(pub))
        return zkml_fail(err, ZKML_EINVAL,
                         "expected {\"proof\": \"0x<abi.encode(a, b, c, signals)>\"} or "
                         "{\"proof\": <snarkjs proof.json>, \"public_signals\": [...]}");
    char *p = cJSON_PrintUnformatted(proof), *s = cJSON_PrintUnformatted(pub);
    int rc = p && s ? evm_proof_words_parse(p, strlen(p), s, strlen(s), words, n, err)
                    : zkml_fail(err, ZKML_ENOMEM, "out of memory");
    free(p);
    free(s);
    return rc;
}

/* chain.json of a registered version: the registry, the on-chain version
 * number and the verifier; NULL (404 sent) when it is not registered. */
static cJSON *registration(const http_request *rq, const infernet_target *t)
{
    char path[PATH_MAX + 64];
    zkml_artifact_path(path, sizeof path, t->dir, ZKML_A_CHAIN, NULL);
    uint8_t *text = NULL;
    size_t len = 0;
    zkml_error err;
    cJSON *o = zkml_read_file(path, 1 << 20, &text, &len, &err)
                   ? NULL
                   : cJSON_ParseWithLength((const char *)text, len);
    free(text);
    if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(o, "onchain_version")) ||
        !cJSON_IsString(cJSON_GetObjectItemCaseSensitive(o, "registry_address"))) {
        cJSON_Delete(o);
        http_send_error(rq, 409, "conflict",
                        "version %d of %s is not registered on chain (no %s)", t->version,
                        t->task, zkml_artifact_name(ZKML_A_CHAIN));
        return NULL;
    }
    return o;
}

static int send_verify(const http_request *rq, const infernet_target *t, const uint8_t *w,
                       size_t n)
{
    char vk[PATH_MAX + 64];
    zkml_artifact_path(vk, sizeof vk, t->dir, ZKML_A_VK, NULL);
    zkml_error err;
    int rc = groth16_verify_evm_words(vk, w, n, &err);
    if (rc && rc != ZKML_EREJECTED)
        return http_send_zkml_error(rq, &err);
    return http_send_json(rq, 200, rc ? "{\"result\":false}" : "{\"result\":true}");
}

/* The calldata is for this version's verifier only if the signal count is its key's. */
static int check_signal_count(const http_request *rq, const infernet_target *t, size_t n_words)
{
    char vk_path[PATH_MAX + 64];
    zkml_artifact_path(vk_path, sizeof vk_path, t->dir, ZKML_A_VK, NULL);
    groth16_vk vk;
    zkml_error err;
    if (vk_json_read(&vk, vk_path, &err))
        return http_send_zkml_error(rq, &err);
    uint32_t want = vk.n_public;
    groth16_vk_free(&vk);
    if (n_words - 8 == want)
        return 0;
    return http_send_error(rq, 400, "invalid_input",
                           "proof: %zu public signals, version %d of %s has %u", n_words - 8,
                           t->version, t->task, want);
}

static int send_verifier_calldata(const http_request *rq, const infernet_target *t, const uint8_t *w,
                                  size_t n)
{
    int status = check_signal_count(rq, t, n);
    if (status)
        return status;
    zkml_error err;
    char *hex;
    if (evm_words_calldata(w, n, &hex, &err))
        return http_send_zkml_error(rq, &err);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "calldata", hex);
    free(hex);
    char path[PATH_MAX + 64];
    zkml_artifact_path(path, sizeof path, t->dir, ZKML_A_CHAIN, NULL);
    cJSON *chain = NULL;
    if (zkml_file_exists(path) && (chain = registration(rq, t)) == NULL) {
        cJSON_Delete(o);
        return 409;
    }
    const cJSON *verifier = cJSON_GetObjectItemCaseSensitive(chain, "verifier_address");
    cJSON_AddItemToObject(o, "verifier",
                          cJSON_IsString(verifier) ? cJSON_CreateString(verifier->valuestring)
                                                   : cJSON_CreateNull());
    cJSON_Delete(chain);
    return infernet_send_object(rq, o);
}

static int send_attester_calldata(const http_request *rq, const infernet_target *t, const uint8_t *w,
                                  size_t n)
{
    char path[PATH_MAX + 64];
    chain_output_packing packing;
    zkml_error err;
    zkml_artifact_path(path, sizeof path, t->dir, ZKML_A_SETTINGS, NULL);
    if (chain_output_packing_read(path, &packing, &err))
        return http_send_zkml_error(rq, &err);
    if (packing.hashed)
        return http_send_error(rq, 409, "conflict",
                               "version %d of %s proves only a commitment of its outputs "
                               "(output_visibility hashed): attest decodes public outputs",
                               t->version, t->task);
    int status = check_signal_count(rq, t, n);
    cJSON *chain = status ? NULL : registration(rq, t);
    if (!chain)
        return status ? status : 409;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(chain, "onchain_version");
    zkml_buf call = {0};
    if (chain_attest_calldata(t->task, (uint64_t)v->valuedouble, w, n, &packing, &call, &err)) {
        zkml_buf_free(&call);
        cJSON_Delete(chain);
        return http_send_zkml_error(rq, &err);
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "to", cJSON_Duplicate(cJSON_GetObjectItem(chain, "registry_address"), 0));
    cJSON_AddItemToObject(o, "chain_id", cJSON_Duplicate(cJSON_GetObjectItem(chain, "chain_id"), 0));
    cJSON_AddStringToObject(o, "task_id", t->task);
    cJSON_AddNumberToObject(o, "onchain_version", v->valuedouble);
    cJSON_AddStringToObject(o, "function", chain_attest_signature);
    infernet_add_hex(o, "calldata", call.data, call.len);
    zkml_buf_free(&call);
    cJSON_Delete(chain);
    return infernet_send_object(rq, o);
}

/* The version behind the root paths: ZKML_INFERNET_MODEL's. */
static int root_target(const http_request *rq, infernet_target *t)
{
    const server_config *cfg = &rq->srv->cfg;
    if (!cfg->infernet_task[0])
        return http_send_error(rq, 404, "not_found",
                               "no model behind the root Infernet routes: set "
                               "ZKML_INFERNET_MODEL=task[@version], or use "
                               "/infernet/{task}/{version}/...");
    t->task = cfg->infernet_task;
    t->version = cfg->infernet_version;
    return 0;
}

/* The endpoints that take a proof: each answers for one version and one proof. */
typedef int (*proof_endpoint)(const http_request *rq, const infernet_target *t, const uint8_t *w,
                              size_t n);

static int take_proof(const http_request *rq, infernet_target *t, const cJSON *body,
                      proof_endpoint answer)
{
    int status = resolve(rq, t, ZKML_A_VK);
    if (status)
        return status;
    uint8_t *words = NULL;
    size_t n = 0;
    zkml_error err;
    status = proof_words(body, &words, &n, &err) ? http_send_zkml_error(rq, &err)
                                                   : answer(rq, t, words, n);
    free(words);
    return status;
}

static const struct {
    const char *name;
    proof_endpoint proof;          /* takes a proof, or */
    infernet_input_endpoint input; /* takes an InfernetInput */
} endpoints[] = {
    {"service_output", NULL, infernet_service_output},
    {"generate_witness", NULL, infernet_generate_witness},
    {"generate_proof", NULL, infernet_generate_proof},
    {"verify_proof", send_verify, NULL},
    {"get_verifier_calldata", send_verifier_calldata, NULL},
    {"get_data_attester_calldata", send_attester_calldata, NULL},
};
enum { N_ENDPOINTS = sizeof endpoints / sizeof endpoints[0] };

static int endpoint_index(const char *name)
{
    for (int e = 0; e < N_ENDPOINTS; e++)
        if (!strcmp(name, endpoints[e].name))
            return e;
    return -1;
}

int infernet_endpoint_known(const char *name)
{
    return endpoint_index(name) >= 0;
}

/* The body as a JSON object (at most BODY_MAX bytes); 413 or 400 sent otherwise. */
static int read_object(const http_request *rq, cJSON **out)
{
    body_limit limit = {BODY_MAX, "the body", "1 MiB"};
    zkml_buf b = {0};
    zkml_error err = {0};
    int status = body_read(rq, &limit, &b, &err);
    *out = NULL;
    if (status == 413)
        return http_send_error(rq, 413, "too_large", "the body is over %d bytes", BODY_MAX);
    if (status)
        return http_send_error(rq, status, status == 500 ? "internal" : "invalid_input", "%s",
                               err.message);
    *out = cJSON_ParseWithLength((const char *)b.data, b.len);
    zkml_buf_free(&b);
    if (cJSON_IsObject(*out))
        return 0;
    cJSON_Delete(*out);
    *out = NULL;
    return http_send_error(rq, 400, "invalid_input", "the body must be a JSON object");
}

int infernet_handle(http_request *rq, const char *task, const char *version, const char *name)
{
    infernet_target t = {.task = task};
    int status = task ? http_path_version(rq, version, &t.version) : root_target(rq, &t);
    cJSON *body = NULL;
    if (status || (status = read_object(rq, &body)))
        return status;
    int e = endpoint_index(name);
    status = endpoints[e].proof ? take_proof(rq, &t, body, endpoints[e].proof)
                                : endpoints[e].input(rq, &t, body);
    cJSON_Delete(body);
    return status;
}
