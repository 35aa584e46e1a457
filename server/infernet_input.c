/*
 * infernet_input.c - the Infernet endpoints that prove an input (infernet.c
 * routes them): an InfernetInput
 *
 *   {"source": 0 | 1, "destination": 0 | 1, "requires_proof": bool,
 *    "data": "0x<abi.encode(int256[])>" (source 0, chain) |
 *            {"input_data": [[...]], "output_data": [[...]]?} (source 1)}
 *
 * becomes a proof job of the version (proof_jobs.h: the worker pool, the
 * job limits, never an HTTP thread), waited for as POST .../proofs?wait=1
 * waits: at most ZKML_SYNC_PROOF_MS, then 202 with the proof's status_url.
 *
 *   service_output    {raw_input, processed_input, raw_output, processed_output, proof},
 *                     each hex of its ABI encoding (README "Infernet container")
 *   generate_witness  the witness's public values as JSON numbers
 *   generate_proof    the proof job's answer (as GET .../proofs/{id})
 */
#include "server/proof_jobs.h"

#include "pipeline/evm/evm.h"
#include "pipeline/quant/quant.h"
#include "pipeline/snark/snark.h"

#include <cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* An optional whole number field in [lo, hi]; *out keeps its default when absent. */
static int small_int(const cJSON *body, const char *key, int lo, int hi, const char *meaning,
                     int *out, zkml_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi)
        return zkml_fail(err, ZKML_EINVAL, "%s: expected %s", key, meaning);
    *out = (int)v->valuedouble;
    return 0;
}

int infernet_input_parse(const cJSON *body, infernet_input *in, zkml_error *err)
{
    in->source = -1;
    int destination = 1;
    const cJSON *rp = cJSON_GetObjectItemCaseSensitive(body, "requires_proof");
    int rc = small_int(body, "source", 0, 1, "0 (chain) or 1 (off-chain)", &in->source, err);
    if (!rc && in->source < 0)
        rc = zkml_fail(err, ZKML_EINVAL, "source is required: 0 (chain) or 1 (off-chain)");
    if (!rc)
        rc = small_int(body, "destination", 0, 2, "0 (chain), 1 (off-chain) or 2 (stream)",
                       &destination, err);
    if (!rc && destination == 2)
        rc = zkml_fail(err, ZKML_EINVAL, "destination 2 (stream) is not served: use 0 or 1");
    if (!rc && rp && !cJSON_IsBool(rp))
        rc = zkml_fail(err, ZKML_EINVAL, "requires_proof: expected true or false");
    in->data = cJSON_GetObjectItemCaseSensitive(body, "data");
    if (!rc && in->source == 0 && !cJSON_IsString(in->data))
        rc = zkml_fail(err, ZKML_EINVAL,
                       "data: a chain request (source 0) takes hex of abi.encode(int256[]), the "
                       "input's fixed-point values at the input scale");
    if (!rc && in->source == 1 && !cJSON_IsObject(in->data))
        rc = zkml_fail(err, ZKML_EINVAL,
                       "data: an off-chain request (source 1) takes {\"input_data\": [[...]], "
                       "\"output_data\": [[...]]?}");
    return rc;
}

/* A chain request: the integers q at the input scale, proven as x = q / 2^scale. */
static int chain_input(const circuit_input_spec *spec, const char *hex, circuit_input_data *d,
                       zkml_error *err)
{
    uint8_t *bytes = NULL;
    int64_t *q = NULL;
    size_t len = 0, n = 0;
    int rc = chain_hex_decode("data", hex, &bytes, &len, err);
    if (!rc)
        rc = chain_abi_decode_values("data", bytes, len, &q, &n, err);
    if (!rc && !(d->input = malloc((n + 1) * sizeof *d->input)))
        rc = zkml_fail(err, ZKML_ENOMEM, "data: out of memory");
    for (size_t i = 0; !rc && i < n; i++)
        d->input[i] = ldexp((double)q[i], -spec->scale);
    d->n_input = rc ? 0 : n;
    free(bytes);
    free(q);
    return rc;
}

/* An off-chain request: data is EZKL's {input_data, output_data?}, checked as
 * POST .../proofs checks its body. */
static int offchain_input(const circuit_input_spec *spec, const cJSON *data, circuit_input_data *d,
                          zkml_error *err)
{
    char *text = cJSON_PrintUnformatted(data);
    int rc = text ? circuit_input_parse(text, strlen(text), spec, d, err)
                  : zkml_fail(err, ZKML_ENOMEM, "data: out of memory");
    free(text);
    return rc;
}

/* Checks body's InfernetInput against the version and queues its proof;
 * *scale receives the version's input scale. */
static int queue(const http_request *rq, registry_store *s, infernet_target *t, const cJSON *body,
                 char *id, int *scale, zkml_error *err)
{
    infernet_input in;
    circuit_input_spec spec = {0};
    circuit_input_data d = {0};
    int rc = infernet_input_parse(body, &in, err);
    if (!rc)
        rc = proof_job_input_spec(rq->srv, s, t->task, &t->version, &spec, err);
    if (!rc)
        rc = in.source == 0 ? chain_input(&spec, in.data->valuestring, &d, err)
                            : offchain_input(&spec, in.data, &d, err);
    if (!rc)
        rc = proof_job_submit(rq->srv, s, t->task, &t->version, d.input, d.n_input, d.expected,
                              d.n_expected, id, err);
    circuit_input_data_free(&d);
    *scale = spec.scale;
    return rc;
}

/* Queues the proof and waits for it as ?wait=1 does; an answer other than 0
 * was sent. *scale receives the version's input scale. */
static int prove(const http_request *rq, infernet_target *t, const cJSON *body, store_proof *p,
                 int *scale)
{
    registry_store *s;
    char id[STORE_PROOF_ID_LEN + 1];
    zkml_error err;
    int rc = http_store(rq, &s, &err);
    if (!rc)
        rc = queue(rq, s, t, body, id, scale, &err);
    if (!rc)
        rc = proof_job_wait(rq->srv, s, t->task, t->version, id, rq->srv->cfg.sync_proof_ms, p,
                            &err);
    if (rc)
        return http_send_zkml_error(rq, &err);
    if (!strcmp(p->state, "done"))
        return 0;
    char *json = NULL;
    int status = strcmp(p->state, "failed") ? 202 : 500;
    if (status == 500)
        http_send_error(rq, 500, "proof_failed", "the proof failed: %s",
                        p->error ? p->error : "no reason recorded");
    else if (!proof_job_json(p, &json, &err))
        http_send_json(rq, 202, json); /* still running: poll its status_url */
    else
        status = http_send_zkml_error(rq, &err);
    free(json);
    store_proof_free(p);
    return status;
}

int infernet_generate_proof(const http_request *rq, infernet_target *t, const cJSON *body)
{
    store_proof p;
    int scale;
    int status = prove(rq, t, body, &p, &scale);
    if (status)
        return status;
    char *json = NULL;
    zkml_error err;
    status = proof_job_json(&p, &json, &err) ? http_send_zkml_error(rq, &err)
                                             : http_send_json(rq, 200, json);
    free(json);
    store_proof_free(&p);
    return status;
}

/* ---- the proven values, as the witness and as ABI encodings ----------------- */

/* What a done proof's result holds, in integers and field words. */
typedef struct proven {
    int64_t *input, *output; /* input: none unless input_visibility is public */
    size_t n_input, n_output;
    zkml_buf input_signals, output_signals; /* 32-byte words, by public_signal_names */
    uint8_t *proof_words;
    size_t n_proof_words;
} proven;

static void proven_free(proven *v)
{
    free(v->input);
    free(v->output);
    zkml_buf_free(&v->input_signals);
    zkml_buf_free(&v->output_signals);
    free(v->proof_words);
}

/* The numbers of a JSON array into int64s (*out malloc'ed). */
static int numbers(const cJSON *a, int scale, int quantize, int64_t **out, size_t *n,
                   zkml_error *err)
{
    *n = (size_t)cJSON_GetArraySize(a);
    if (!(*out = malloc((*n + 1) * sizeof **out)))
        return zkml_fail(err, ZKML_ENOMEM, "out of memory");
    size_t i = 0;
    for (const cJSON *v = a ? a->child : NULL; v; v = v->next, i++)
        if (!quantize)
            (*out)[i] = (int64_t)v->valuedouble;
        else if (quant_quantize((float)v->valuedouble, scale, &(*out)[i]))
            return zkml_fail(err, ZKML_EINTERNAL, "input %zu does not quantize", i);
    return 0;
}

/* Each public signal as a word, into the input's or the output's list by its name. */
static int split_signals(const cJSON *result, proven *v, zkml_error *err)
{
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(result, "public_signal_names");
    const cJSON *sig = cJSON_GetObjectItemCaseSensitive(result, "public_signals")->child;
    for (const cJSON *name = names ? names->child : NULL; name && sig;
         name = name->next, sig = sig->next) {
        fr_t f;
        uint8_t le[32], be[32];
        if (!cJSON_IsString(name) || !cJSON_IsString(sig) || fr_from_dec(&f, sig->valuestring))
            return zkml_fail(err, ZKML_EINTERNAL, "the proof's result has a malformed signal");
        fr_to_bytes_le(le, &f);
        for (int i = 0; i < 32; i++)
            be[i] = le[31 - i];
        zkml_buf_put(strncmp(name->valuestring, "input_", 6) ? &v->output_signals
                                                              : &v->input_signals,
                     be, 32);
    }
    return 0;
}

static int read_proven(const store_proof *p, int scale, proven *v, zkml_error *err)
{
    memset(v, 0, sizeof *v);
    cJSON *result = cJSON_Parse(p->result), *input = NULL;
    const cJSON *proof = cJSON_GetObjectItemCaseSensitive(result, "proof");
    const cJSON *pub = cJSON_GetObjectItemCaseSensitive(result, "public_signals");
    const cJSON *vis = cJSON_GetObjectItemCaseSensitive(result, "input_visibility");
    int rc = cJSON_IsObject(proof) && cJSON_IsArray(pub)
                            ? 0
                            : zkml_fail(err, ZKML_EINTERNAL, "the proof's result is malformed");
    if (!rc)
        rc = numbers(cJSON_GetObjectItemCaseSensitive(result, "values"), 0, 0, &v->output,
                     &v->n_output, err);
    if (!rc && cJSON_IsString(vis) && !strcmp(vis->valuestring, "public")) {
        input = cJSON_Parse(p->input);
        const cJSON *rows = cJSON_GetObjectItemCaseSensitive(input, "input_data");
        rc = numbers(rows ? rows->child : NULL, scale, 1, &v->input, &v->n_input, err);
    }
    if (!rc)
        rc = split_signals(result, v, err);
    char *pt = rc ? NULL : cJSON_PrintUnformatted(proof), *st = rc ? NULL : cJSON_PrintUnformatted(pub);
    if (pt && st)
        rc = evm_proof_words_parse(pt, strlen(pt), st, strlen(st), &v->proof_words,
                                   &v->n_proof_words, err);
    free(pt);
    free(st);
    cJSON_Delete(input);
    cJSON_Delete(result);
    return rc;
}

static cJSON *int_array(const int64_t *x, size_t n)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i < n; i++)
        cJSON_AddItemToArray(a, cJSON_CreateNumber((double)x[i]));
    return a;
}

static cJSON *decimal_array(const zkml_buf *words)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; a && i + 32 <= words->len; i += 32) {
        uint8_t le[32];
        fr_t f;
        char dec[80];
        for (int k = 0; k < 32; k++)
            le[k] = words->data[i + 31 - k];
        fr_from_bytes_le(&f, le);
        fr_to_dec(dec, &f);
        cJSON_AddItemToArray(a, cJSON_CreateString(dec));
    }
    return a;
}

/* Proves body's input, then answers what build makes of the proven values. */
typedef cJSON *(*proven_answer)(const proven *v, const store_proof *p, const cJSON *body);

static int answer_proven(const http_request *rq, infernet_target *t, const cJSON *body,
                         proven_answer build)
{
    store_proof p;
    proven v;
    zkml_error err;
    int scale;
    int status = prove(rq, t, body, &p, &scale);
    if (status)
        return status;
    status = read_proven(&p, scale, &v, &err) ? http_send_zkml_error(rq, &err)
                                              : infernet_send_object(rq, build(&v, &p, body));
    proven_free(&v);
    store_proof_free(&p);
    return status;
}

static cJSON *witness_json(const proven *v, const store_proof *p, const cJSON *body)
{
    (void)body;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "inputs", v->input ? int_array(v->input, v->n_input) : cJSON_CreateNull());
    cJSON_AddItemToObject(o, "outputs", int_array(v->output, v->n_output));
    cJSON_AddItemToObject(o, "processed_inputs", decimal_array(&v->input_signals));
    cJSON_AddItemToObject(o, "processed_outputs", decimal_array(&v->output_signals));
    cJSON_AddStringToObject(o, "proof_id", p->id);
    return o;
}

int infernet_generate_witness(const http_request *rq, infernet_target *t, const cJSON *body)
{
    return answer_proven(rq, t, body, witness_json);
}

static cJSON *service_json(const proven *v, const store_proof *p, const cJSON *body)
{
    (void)p;
    zkml_buf b[5] = {{0}};
    if (v->input)
        chain_abi_encode_values(v->input, v->n_input, &b[0]);
    chain_abi_encode_words(v->input_signals.data, v->input_signals.len / 32, &b[1]);
    chain_abi_encode_values(v->output, v->n_output, &b[2]);
    chain_abi_encode_words(v->output_signals.data, v->output_signals.len / 32, &b[3]);
    if (!cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(body, "requires_proof")))
        chain_abi_encode_proof(v->proof_words, v->n_proof_words, &b[4]);
    static const char *const keys[5] = {"raw_input", "processed_input", "raw_output",
                                        "processed_output", "proof"};
    cJSON *o = cJSON_CreateObject();
    for (int i = 0; i < 5; i++) {
        infernet_add_hex(o, keys[i], b[i].data, b[i].len);
        zkml_buf_free(&b[i]);
    }
    return o;
}

int infernet_service_output(const http_request *rq, infernet_target *t, const cJSON *body)
{
    return answer_proven(rq, t, body, service_json);
}
