/*
 * input.c - a new input for a registered version: what its circuit takes
 * (circuit.json "packing.inputs"), the checks an HTTP request gets before
 * a proof job is queued (so a bad value is a 400 naming its index, not a
 * failed job), and the input's canonical JSON, whose IPFS CID names it.
 */
#include "pipeline/circuit/circuit.h"

#include <cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A whole number in [lo, hi] from o[key] (o: packing.inputs or .outputs). */
static int spec_int(const cJSON *o, const char *key, double lo, double hi, double *out,
                    zkml_error *err)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!cJSON_IsNumber(it) || it->valuedouble != floor(it->valuedouble) || it->valuedouble < lo ||
        it->valuedouble > hi)
        return zkml_fail(err, ZKML_EINVAL, "%s: packing: %s: expected a whole number in [%.0f, %.0f]",
                         zkml_artifact_name(ZKML_A_CIRCUIT), key, lo, hi);
    *out = it->valuedouble;
    return 0;
}

int circuit_input_spec_parse(const char *circuit_json, size_t len, circuit_input_spec *s,
                             zkml_error *err)
{
    cJSON *root = cJSON_ParseWithLength(circuit_json, len);
    if (!root)
        return zkml_fail(err, ZKML_EINVAL, "%s: not valid JSON", zkml_artifact_name(ZKML_A_CIRCUIT));
    const cJSON *o = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "packing"), "inputs");
    const cJSON *vis = cJSON_GetObjectItemCaseSensitive(o, "visibility");
    const cJSON *outs = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(root, "packing"), "outputs");
    double count = 0, scale = 0, bits = 0, offset = 0, outputs = 0;
    int rc = spec_int(o, "count", 1, UINT32_MAX, &count, err);
    if (!rc)
        rc = spec_int(outs, "count", 1, UINT32_MAX, &outputs, err);
    if (!rc)
        rc = spec_int(o, "scale", -64, 64, &scale, err);
    if (!rc)
        rc = spec_int(o, "bits", 1, 62, &bits, err);
    if (!rc)
        rc = spec_int(o, "offset", -ldexp(1, 62), ldexp(1, 62), &offset, err);
    if (!rc)
        rc = quant_visibility_parse("input_visibility",
                                    cJSON_IsString(vis) ? vis->valuestring : "", &s->visibility,
                                    err);
    cJSON_Delete(root);
    if (rc)
        return rc;
    s->count = (uint32_t)count;
    s->outputs = (uint32_t)outputs;
    s->scale = (int)scale;
    s->lo = -(int64_t)offset;
    s->hi = s->lo + (((int64_t)1 << (int)bits) - 1);
    return 0;
}

int circuit_input_check(const circuit_input_spec *s, const double *x, size_t n, const char *field,
                        zkml_error *err)
{
    if (n != s->count)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: expected shape [1, %u] (one row of %u numbers, the input tensor "
                         "flattened), got %zu numbers",
                         field, s->count, s->count, n);
    for (size_t i = 0; i < n; i++) {
        int64_t q;
        float f = (float)x[i];
        if (!isfinite(x[i]))
            return zkml_fail(err, ZKML_EINVAL, "%s[0][%zu]: %g is not a finite number", field, i,
                             x[i]);
        if (quant_quantize(f, s->scale, &q) || q < s->lo || q > s->hi)
            return zkml_fail(err, ZKML_EINVAL,
                             "%s[0][%zu]: %.9g is outside the input's calibrated range "
                             "[%.9g, %.9g]",
                             field, i, x[i], quant_dequantize(s->lo, s->scale),
                             quant_dequantize(s->hi, s->scale));
    }
    return 0;
}

int circuit_expected_check(const circuit_input_spec *s, const double *y, size_t n, zkml_error *err)
{
    if (n != s->outputs)
        return zkml_fail(err, ZKML_EINVAL,
                         "output_data: expected shape [1, %u] (the model's %u outputs), got %zu "
                         "numbers",
                         s->outputs, s->outputs, n);
    for (size_t i = 0; i < n; i++)
        if (!isfinite(y[i]))
            return zkml_fail(err, ZKML_EINVAL, "output_data[0][%zu]: %g is not a finite number", i,
                             y[i]);
    return 0;
}

void circuit_input_data_free(circuit_input_data *d)
{
    free(d->input);
    free(d->expected);
    memset(d, 0, sizeof *d);
}

/* field as EZKL's [[x0, x1, ...]] (one input): its numbers into *x (malloc'ed). */
static int row_of(const cJSON *root, const char *field, uint32_t want, double **x, size_t *n,
                  zkml_error *err)
{
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(root, field);
    const cJSON *row = cJSON_IsArray(a) && cJSON_GetArraySize(a) == 1 ? a->child : NULL;
    if (!cJSON_IsArray(row))
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: expected shape [1, %u]: an array holding one array of %u numbers",
                         field, want, want);
    *n = (size_t)cJSON_GetArraySize(row);
    if (!(*x = malloc((*n + 1) * sizeof **x)))
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", field);
    size_t i = 0;
    for (const cJSON *v = row->child; v; v = v->next, i++) {
        if (!cJSON_IsNumber(v))
            return zkml_fail(err, ZKML_EINVAL, "%s[0][%zu]: expected a number", field, i);
        (*x)[i] = v->valuedouble;
    }
    return 0;
}

int circuit_input_parse(const char *text, size_t len, const circuit_input_spec *s,
                        circuit_input_data *d, zkml_error *err)
{
    memset(d, 0, sizeof *d);
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text, len, &end, 0);
    int rc = 0;
    if (!cJSON_IsObject(root))
        rc = zkml_fail(err, ZKML_EINVAL,
                       "body: not a JSON object (at byte %zu); expected {\"input_data\": [[...]]}",
                       !root && end && end >= text && end <= text + len ? (size_t)(end - text) : 0);
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(root, "output_data");
    if (!rc && !cJSON_GetObjectItemCaseSensitive(root, "input_data"))
        rc = zkml_fail(err, ZKML_EINVAL, "input_data is required: {\"input_data\": [[%u numbers]]}",
                       s->count);
    if (!rc)
        rc = row_of(root, "input_data", s->count, &d->input, &d->n_input, err);
    if (!rc)
        rc = circuit_input_check(s, d->input, d->n_input, "input_data", err);
    if (!rc && want && !cJSON_IsNull(want))
        rc = row_of(root, "output_data", s->outputs, &d->expected, &d->n_expected, err);
    if (!rc && d->expected)
        rc = circuit_expected_check(s, d->expected, d->n_expected, err);
    cJSON_Delete(root);
    if (rc)
        circuit_input_data_free(d);
    return rc;
}

/* The fewest "%.*g" digits that read back to f. */
static void shortest_float(float f, char out[32])
{
    if (f == 0) {
        strcpy(out, "0"); /* -0 too */
        return;
    }
    for (int digits = 1; digits <= 9; digits++) {
        snprintf(out, 32, "%.*g", digits, (double)f);
        if (strtof(out, NULL) == f)
            return;
    }
}

int circuit_input_canonical_json(const double *x, size_t n, char **json, zkml_error *err)
{
    zkml_buf b = {0};
    char num[32];
    zkml_buf_puts(&b, "{\"input_data\":[[");
    for (size_t i = 0; i < n; i++) {
        shortest_float((float)x[i], num);
        zkml_buf_puts(&b, i ? "," : "");
        zkml_buf_puts(&b, num);
    }
    zkml_buf_puts(&b, "]]}");
    return zkml_buf_detach(&b, json, err);
}
