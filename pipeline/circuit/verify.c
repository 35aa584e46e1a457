/*
 * verify.c - the verify step: the Groth16 check, then the outputs. A valid
 * proof only says "some output was proven"; which one is in public.json,
 * packed as circuit.json "packing.outputs" describes. The step decodes it and
 * fails, naming the first difference, unless output.json (what the page and
 * the user read) says the same; verify.json carries the decoded outputs, so
 * whoever shows a prediction can show the proven one. Hashed outputs
 * (output_visibility) are not in public.json: output.json's values must open
 * the commitment that is (docs/COMMITMENTS.md). verify.json names every
 * public signal (circuit.json "public_signal_names").
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
    int hashed; /* output_visibility hashed: signal 0 is their commitment */
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
    if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) || it->valuedouble < lo ||
        it->valuedouble > hi)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: packing.outputs.%s: expected a whole number in "
                         "[%.0f, %.0f]",
                         zkml_artifact_name(ZKML_A_CIRCUIT), key, lo, hi);
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
    double count = 0, per = 1, signals = 0, bits = 0, scale = 0, offset = 0; /* for -O2 */
    if (!(rc = json_int(o, "count", 1, UINT32_MAX, &count, err)) &&
        !(rc = json_int(o, "bits", 1, 62, &bits, err)) &&
        !(rc = json_int(o, "values_per_signal", 1, QUANT_PACK_BITS / bits, &per, err)) &&
        !(rc = json_int(o, "signals", ceil(count / per), ceil(count / per), &signals, err)) &&
        !(rc = json_int(o, "scale", -64, 64, &scale, err)))
        rc = json_int(o, "offset", 0, ldexp(1, (int)bits), &offset, err);
    const cJSON *vis = cJSON_GetObjectItemCaseSensitive(o, "visibility");
    int hashed = cJSON_IsString(vis) && !strcmp(vis->valuestring, "hashed");
    cJSON_Delete(root);
    if (!rc)
        *p = (packing){(uint32_t)count, (uint32_t)per, (uint32_t)signals, (int)bits, (int)scale,
                       (int64_t)offset, hashed};
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

/* output.json's "outputs" (count of them) as integers. */
static int claimed_outputs(const char *output_json, size_t len, uint32_t count, int64_t *q,
                           zkml_error *err)
{
    cJSON *root;
    int rc = parse_json(output_json, len, ZKML_A_OUTPUT, &root, err);
    if (rc)
        return rc;
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(root, "outputs");
    const char *name = zkml_artifact_name(ZKML_A_OUTPUT);
    if (!cJSON_IsArray(outs) || (uint32_t)cJSON_GetArraySize(outs) != count)
        rc = zkml_fail(err, ZKML_EREJECTED, "%s: expected %u outputs", name, count);
    const cJSON *it = outs ? outs->child : NULL;
    for (uint32_t i = 0; !rc && i < count; i++, it = it->next) {
        fr_t f;
        if (!cJSON_IsString(it) || fr_from_dec(&f, it->valuestring) || fr_to_i64(&q[i], &f))
            rc = zkml_fail(err, ZKML_EINVAL,
                           "%s: outputs[%u]: expected a decimal field element "
                           "holding a 63-bit integer",
                           name, i);
    }
    cJSON_Delete(root);
    return rc;
}

/* Hashed outputs: output.json's values, packed and committed as
 * docs/COMMITMENTS.md says, must give the proof's signal 0. */
static int open_commitment(const packing *p, const fr_t *pub, size_t n_pub, const char *output_json,
                           size_t len, circuit_outputs *out, zkml_error *err)
{
    fr_t *e = calloc(p->signals, sizeof *e), shift, d, pow, h;
    out->values = malloc(p->count * sizeof *out->values);
    if (!e || !out->values) {
        free(e);
        return zkml_fail(err, ZKML_ENOMEM, "verify: out of memory for %u outputs", p->count);
    }
    int rc = n_pub < 1 ? zkml_fail(err, ZKML_EREJECTED, "%s: no signals",
                                   zkml_artifact_name(ZKML_A_PUBLIC))
                       : claimed_outputs(output_json, len, p->count, out->values, err);
    fr_from_u64(&shift, (uint64_t)1 << p->bits);
    for (uint32_t k = 0; !rc && k < p->signals; k++) {
        fr_one(&pow);
        for (uint32_t i = k * p->per; !rc && i < p->count && i < (k + 1) * p->per; i++) {
            int64_t v = out->values[i] + p->offset;
            if (v < 0 || v >= (int64_t)1 << p->bits)
                rc = zkml_fail(err, ZKML_EREJECTED,
                               "%s: outputs[%u] = %lld is outside the range "
                               "the circuit proves",
                               zkml_artifact_name(ZKML_A_OUTPUT), i, (long long)out->values[i]);
            fr_from_i64(&d, v);
            fr_mul(&d, &d, &pow);
            fr_add(&e[k], &e[k], &d);
            fr_mul(&pow, &pow, &shift);
        }
    }
    if (!rc)
        rc = poseidon_commit(&h, e, p->signals, err);
    if (!rc && !fr_eq(&h, &pub[0])) {
        char mine[80], proven[80];
        fr_to_dec(mine, &h);
        fr_to_dec(proven, &pub[0]);
        rc = zkml_fail(err, ZKML_EREJECTED,
                       "%s: its outputs' commitment is %s, but the proof's "
                       "is %s",
                       zkml_artifact_name(ZKML_A_OUTPUT), mine, proven);
    }
    free(e);
    if (!rc) {
        out->n = p->count;
        out->scale = p->scale;
    }
    return rc;
}

int circuit_outputs_decode(const char *circuit_json, size_t len, const fr_t *pub, size_t n_pub,
                           circuit_outputs *out, zkml_error *err)
{
    packing p;
    memset(out, 0, sizeof *out);
    int rc = parse_packing(circuit_json, len, &p, err);
    if (!rc && p.hashed)
        rc = zkml_fail(err, ZKML_EINVAL,
                       "%s: the outputs are hashed: their values are opened "
                       "from output.json, not decoded",
                       zkml_artifact_name(ZKML_A_CIRCUIT));
    if (!rc && n_pub < p.signals)
        rc = zkml_fail(err, ZKML_EREJECTED,
                       "%s: %zu signals, but circuit.json packs the %u "
                       "outputs into %u",
                       zkml_artifact_name(ZKML_A_PUBLIC), n_pub, p.count, p.signals);
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
        rc = zkml_fail(err, ZKML_EREJECTED, "%s: %u outputs, but the proof has %u", name, n, d->n);
    const cJSON *it = outs ? outs->child : NULL;
    for (uint32_t i = 0; !rc && i < n; i++, it = it->next) {
        fr_t claimed, proven;
        int64_t shown;
        fr_from_i64(&proven, d->values[i]);
        if (!cJSON_IsString(it) || fr_from_dec(&claimed, it->valuestring))
            rc = zkml_fail(err, ZKML_EINVAL, "%s: outputs[%u]: expected a decimal field element",
                           name, i);
        else if (!fr_eq(&claimed, &proven) && !fr_to_i64(&shown, &claimed))
            rc = zkml_fail(err, ZKML_EREJECTED,
                           "%s: outputs[%u] is %lld, but the proof's "
                           "public signals decode to %lld",
                           name, i, (long long)shown, (long long)d->values[i]);
        else if (!fr_eq(&claimed, &proven))
            rc = zkml_fail(err, ZKML_EREJECTED,
                           "%s: outputs[%u] is %s, but the proof's "
                           "public signals decode to %lld",
                           name, i, it->valuestring, (long long)d->values[i]);
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

/* Decodes public.json with circuit.json's packing, then compares output.json;
 * for hashed outputs, opens their commitment with output.json's values. */
static int check_outputs(const char *dir, const char *pub_path, circuit_outputs *o, zkml_error *err)
{
    uint8_t *text = NULL, *outs = NULL;
    size_t len, outs_len, n_pub = 0;
    fr_t *pub = NULL;
    packing p;
    int rc = public_json_read(&pub, &n_pub, pub_path, err);
    if (!rc && !(rc = read_artifact(dir, ZKML_A_CIRCUIT, &text, &len, err)) &&
        !(rc = read_artifact(dir, ZKML_A_OUTPUT, &outs, &outs_len, err)) &&
        !(rc = parse_packing((const char *)text, len, &p, err))) {
        if (p.hashed)
            rc = open_commitment(&p, pub, n_pub, (const char *)outs, outs_len, o, err);
        else if (!(rc = circuit_outputs_decode((const char *)text, len, pub, n_pub, o, err)))
            rc = circuit_outputs_match((const char *)outs, outs_len, o, err);
    }
    free(text);
    free(outs);
    free(pub);
    return rc;
}

/* [{name, value}] for each public signal: circuit.json's public_signal_names
 * beside public.json's values (NULL when they do not match up). */
static cJSON *named_signals(const char *dir)
{
    uint8_t *a = NULL, *b = NULL;
    size_t la, lb;
    cJSON *c = NULL, *pub = NULL, *out = NULL;
    if (!read_artifact(dir, ZKML_A_CIRCUIT, &a, &la, NULL) &&
        !read_artifact(dir, ZKML_A_PUBLIC, &b, &lb, NULL)) {
        c = cJSON_ParseWithLength((const char *)a, la);
        pub = cJSON_ParseWithLength((const char *)b, lb);
    }
    const cJSON *names = cJSON_GetObjectItemCaseSensitive(c, "public_signal_names");
    if (cJSON_IsArray(names) && cJSON_IsArray(pub) &&
        cJSON_GetArraySize(names) == cJSON_GetArraySize(pub) && (out = cJSON_CreateArray()))
        for (int i = 0; i < cJSON_GetArraySize(pub); i++) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddItemToArray(out, o);
            cJSON_AddItemToObject(o, "name", cJSON_Duplicate(cJSON_GetArrayItem(names, i), 0));
            cJSON_AddItemToObject(o, "value", cJSON_Duplicate(cJSON_GetArrayItem(pub, i), 0));
        }
    cJSON_Delete(c);
    cJSON_Delete(pub);
    free(a);
    free(b);
    return out;
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
        cJSON *doc = verify_json(!rc, ms, &o, rc ? err->message : NULL),
              *named = named_signals(dir);
        if (!doc || !named || !cJSON_AddItemToObject(doc, "public_signals", named))
            cJSON_Delete(named);
        int wrc = write_verify_json(dir, doc, err);
        rc = wrc ? wrc : rc;
    }
    circuit_outputs_free(&o);
    return rc;
}
