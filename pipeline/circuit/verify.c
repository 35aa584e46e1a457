/*
 * verify.c - the verify step: the Groth16 check, then the outputs. A valid
 * proof only says "some output was proven"; which one is in public.json,
 * packed as circuit.json "packing.outputs" describes. The step decodes it and
 * fails, naming the first difference, unless output.json (what the page and
 * the user read) says the same; verify.json carries the decoded outputs, so
 * whoever shows a prediction can show the proven one.
 */
#include "pipeline/circuit/circuit.h"

#include <cJSON.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { JSON_MAX_BYTES = 64 << 20 };

/* circuit.json "packing.outputs", checked so that decoding stays in range. */
typedef struct packing {
    uint32_t count, per, signals;
    int bits, scale;
    int64_t offset;
} packing;

/* text (len bytes) as JSON; name is for the message. */
static int parse_json(const char *text, size_t len, zkml_artifact_id name, cJSON **out,
                      zkml_error *err)
{
    *out = cJSON_ParseWithLength(text, len);
    return *out ? 0 : zkml_fail(err, ZKML_EINVAL, "%s: not valid JSON", zkml_artifact_name(name));
}

/* A whole number in [lo, hi] from obj[key]. */
static int json_int(const cJSON *obj, const char *key, double lo, double hi, double *out,
                    zkml_error *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) ||
        it->valuedouble < lo || it->valuedouble > hi)
        return zkml_fail(err, ZKML_EINVAL, "%s: packing.outputs.%s: expected a whole number in "
                         "[%.0f, %.0f]", zkml_artifact_name(ZKML_A_CIRCUIT), key, lo, hi);
    *out = it->valuedouble;
    return 0;
}

static int parse_packing(const char *text, size_t len, packing *p, zkml_error *err)
{
    cJSON *root;
    int rc = parse_json(text, len, ZKML_A_CIRCUIT, &root, err);
    if (rc)
        return rc;
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "packing"), "outputs");
    double count, per, signals, bits, scale, offset;
    if (!(rc = json_int(o, "count", 1, UINT32_MAX, &count, err)) &&
        !(rc = json_int(o, "bits", 1, 62, &bits, err)) &&
        !(rc = json_int(o, "values_per_signal", 1, QUANT_PACK_BITS / bits, &per, err)) &&
        !(rc = json_int(o, "signals", ceil(count / per), ceil(count / per), &signals, err)) &&
        !(rc = json_int(o, "scale", -64, 64, &scale, err)))
        rc = json_int(o, "offset", 0, ldexp(1, (int)bits), &offset, err);
    cJSON_Delete(root);
    if (!rc)
        *p = (packing){(uint32_t)count, (uint32_t)per, (uint32_t)signals, (int)bits, (int)scale,
                       (int64_t)offset};
    return rc;
}

/* Value i sits at bits [bits*j, bits*(j+1)) of signal i / per (j = i % per), as q + offset. */
static int64_t unpack(const uint8_t le[32], int bits, uint32_t j, int64_t offset)
{
    uint64_t raw = 0;
    for (int b = 0; b < bits; b++) {
        uint32_t at = (uint32_t)bits * j + (uint32_t)b;
        raw |= (uint64_t)((le[at / 8] >> (at % 8)) & 1) << b;
    }
    return (int64_t)raw - offset;
}

int circuit_outputs_decode(const char *circuit_json, size_t len, const fr_t *pub, size_t n_pub,
                           circuit_outputs *out, zkml_error *err)
{
    packing p;
    memset(out, 0, sizeof *out);
    int rc = parse_packing(circuit_json, len, &p, err);
    if (!rc && n_pub < p.signals)
        rc = zkml_fail(err, ZKML_EREJECTED, "%s: %zu signals, but circuit.json packs the %u "
                       "outputs into %u", zkml_artifact_name(ZKML_A_PUBLIC), n_pub, p.count,
                       p.signals);
    if (!rc && !(out->values = malloc(p.count * sizeof *out->values)))
        rc = zkml_fail(err, ZKML_ENOMEM, "verify: out of memory for %u outputs", p.count);
    for (uint32_t i = 0; !rc && i < p.count; i++) {
        uint8_t le[32];
        fr_to_bytes_le(le, &pub[i / p.per]);
        out->values[i] = unpack(le, p.bits, i % p.per, p.offset);
    }
    if (!rc) {
        out->n = p.count;
        out->scale = p.scale;
    }
    return rc;
}

void circuit_outputs_free(circuit_outputs *o)
{
    free(o->values);
    memset(o, 0, sizeof *o);
}

int circuit_outputs_match(const char *output_json, size_t len, const circuit_outputs *d,
                          zkml_error *err)
{
    cJSON *root;
    int rc = parse_json(output_json, len, ZKML_A_OUTPUT, &root, err);
    if (rc)
        return rc;
    const char *name = zkml_artifact_name(ZKML_A_OUTPUT);
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(root, "outputs");
    uint32_t n = cJSON_IsArray(outs) ? (uint32_t)cJSON_GetArraySize(outs) : 0;
    if (n != d->n)
        rc = zkml_fail(err, ZKML_EREJECTED, "%s: %u outputs, but the proof has %u", name, n,
                       d->n);
    const cJSON *it = outs ? outs->child : NULL;
    for (uint32_t i = 0; !rc && i < n; i++, it = it->next) {
        fr_t claimed, proven;
        int64_t shown;
        fr_from_i64(&proven, d->values[i]);
        if (!cJSON_IsString(it) || fr_from_dec(&claimed, it->valuestring))
            rc = zkml_fail(err, ZKML_EINVAL, "%s: outputs[%u]: expected a decimal field element",
                           name, i);
        else if (!fr_eq(&claimed, &proven) && !fr_to_i64(&shown, &claimed))
            rc = zkml_fail(err, ZKML_EREJECTED, "%s: outputs[%u] is %lld, but the proof's "
                           "public signals decode to %lld", name, i, (long long)shown,
                           (long long)d->values[i]);
        else if (!fr_eq(&claimed, &proven))
            rc = zkml_fail(err, ZKML_EREJECTED, "%s: outputs[%u] is %s, but the proof's "
                           "public signals decode to %lld", name, i, it->valuestring,
                           (long long)d->values[i]);
    }
    cJSON_Delete(root);
    return rc;
}

static cJSON *verify_json(int valid, int64_t ms, const circuit_outputs *d, const char *error)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddBoolToObject(o, "valid", valid);
    cJSON_AddNumberToObject(o, "ms", (double)ms);
    if (error)
        cJSON_AddStringToObject(o, "error", error);
    if (!valid)
        return o;
    cJSON *outs = cJSON_AddArrayToObject(o, "outputs");
    cJSON *vals = cJSON_AddArrayToObject(o, "values");
    cJSON *deq = cJSON_AddArrayToObject(o, "dequantized");
    uint32_t best = 0;
    for (uint32_t i = 0; outs && vals && deq && i < d->n; i++) {
        char dec[80];
        fr_t e;
        fr_from_i64(&e, d->values[i]);
        fr_to_dec(dec, &e);
        cJSON_AddItemToArray(outs, cJSON_CreateString(dec));
        cJSON_AddItemToArray(vals, cJSON_CreateNumber((double)d->values[i]));
        cJSON_AddItemToArray(deq, cJSON_CreateNumber(ldexp((double)d->values[i], -d->scale)));
        if (d->values[i] > d->values[best])
            best = i;
    }
    /* Argmax of the proven logits (a final Softmax, outside the circuit, keeps
     * it); a single output is a value, not a class. */
    if (d->n > 1)
        cJSON_AddNumberToObject(o, "predicted_class", best);
    else
        cJSON_AddNullToObject(o, "predicted_class");
    cJSON_AddNumberToObject(o, "scale", d->scale);
    return o;
}

static int write_verify_json(const char *dir, cJSON *doc, zkml_error *err)
{
    char path[PATH_MAX];
    char *text = doc ? cJSON_Print(doc) : NULL;
    cJSON_Delete(doc);
    int rc = text ? zkml_artifact_path(path, sizeof path, dir, ZKML_A_VERIFY, err)
                  : zkml_fail(err, ZKML_ENOMEM, "verify: out of memory writing verify.json");
    if (!rc)
        rc = zkml_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

/* An artifact's bytes (NUL-terminated). */
static int read_artifact(const char *dir, zkml_artifact_id id, uint8_t **data, size_t *len,
                         zkml_error *err)
{
    char path[PATH_MAX];
    int rc = zkml_artifact_path(path, sizeof path, dir, id, err);
    return rc ? rc : zkml_read_file(path, JSON_MAX_BYTES, data, len, err);
}

/* Decodes public.json with circuit.json's packing, then compares output.json. */
static int check_outputs(const char *dir, const char *pub_path, circuit_outputs *o,
                         zkml_error *err)
{
    uint8_t *text = NULL;
    size_t len, n_pub = 0;
    fr_t *pub = NULL;
    int rc = public_json_read(&pub, &n_pub, pub_path, err);
    if (!rc && !(rc = read_artifact(dir, ZKML_A_CIRCUIT, &text, &len, err)))
        rc = circuit_outputs_decode((const char *)text, len, pub, n_pub, o, err);
    free(text);
    free(pub);
    text = NULL;
    if (!rc && !(rc = read_artifact(dir, ZKML_A_OUTPUT, &text, &len, err)))
        rc = circuit_outputs_match((const char *)text, len, o, err);
    free(text);
    return rc;
}

int circuit_verify_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    char vk[PATH_MAX], pub[PATH_MAX], proof[PATH_MAX];
    circuit_outputs o = {0};
    (void)opts;
    int rc = zkml_artifact_path(vk, sizeof vk, dir, ZKML_A_VK, err);
    if (!rc && !(rc = zkml_artifact_path(pub, sizeof pub, dir, ZKML_A_PUBLIC, err)))
        rc = zkml_artifact_path(proof, sizeof proof, dir, ZKML_A_PROOF, err);
    if (rc)
        return rc;
    int64_t t0 = zkml_monotonic_ms();
    rc = groth16_verify_files(vk, pub, proof, err);
    int64_t ms = zkml_monotonic_ms() - t0;
    if (!rc)
        rc = check_outputs(dir, pub, &o, err);
    if (!rc || rc == ZKML_EREJECTED) {
        int wrc = write_verify_json(dir, verify_json(!rc, ms, &o, rc ? err->message : NULL), err);
        rc = wrc ? wrc : rc;
    }
    circuit_outputs_free(&o);
    return rc;
}
