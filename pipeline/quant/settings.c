/*
 * settings.c - settings.json: defaults, validation, parsing and writing.
 *
 * The file records every scale and bit width, so anyone can re-derive the
 * integers the circuit proves. Only the "scales" and "bits" objects, the
 * three visibility words and the optional rmse_threshold are read back; "nodes", "packing" (how inputs and
 * outputs are packed into field elements) and "estimated_constraints" are
 * derived from the model and rewritten each time.
 */
#include "pipeline/quant/quant_json.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void quant_settings_default(quant_settings *s)
{
    s->input_scale = 6;
    s->param_scale = 8;
    s->activation_scale = 8;
    s->input_bits = 16;
    s->input_signed = 1;
    s->activation_bits = 24;
    s->n_tensor_bits = 0;
    s->input_visibility = QUANT_VIS_HASHED;
    s->output_visibility = QUANT_VIS_PUBLIC;
    s->param_visibility = QUANT_VIS_FIXED;
    s->rmse_threshold = 0;
}

int quant_settings_bits_for(const quant_settings *s, const char *name)
{
    for (int i = 0; name && i < s->n_tensor_bits; i++)
        if (!strcmp(s->tensor_bits[i].tensor, name))
            return s->tensor_bits[i].bits;
    return s->activation_bits;
}

static int rmse_threshold_ok(double v)
{
    return v > 0 && isfinite(v);
}

int quant_rmse_threshold_parse(const char *text, double *out, zkml_error *err)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !rmse_threshold_ok(v))
        return zkml_fail(err, ZKML_EINVAL,
                         "rmse_threshold = \"%.40s\": expected a positive "
                         "finite number",
                         text);
    *out = v;
    return 0;
}

/* Optional: absent is 0 (no threshold). */
static int get_rmse_threshold(const cJSON *root, double *out, zkml_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, "rmse_threshold");
    *out = 0;
    if (!v)
        return 0;
    if (!cJSON_IsNumber(v) || !rmse_threshold_ok(v->valuedouble))
        return zkml_fail(err, ZKML_EINVAL,
                         "settings: rmse_threshold is not a positive "
                         "finite number");
    *out = v->valuedouble;
    return 0;
}

static const char *const VIS_NAMES[] = {"private", "public", "hashed", "fixed"};

const char *quant_visibility_name(quant_visibility v)
{
    return (unsigned)v < sizeof VIS_NAMES / sizeof *VIS_NAMES ? VIS_NAMES[v] : "?";
}

/* The words each field takes, as a mask of (1 << quant_visibility). */
static unsigned allowed_words(const char *field, const char **list)
{
    if (!strcmp(field, "input_visibility")) {
        *list = "public, hashed or private";
        return 1u << QUANT_VIS_PUBLIC | 1u << QUANT_VIS_HASHED | 1u << QUANT_VIS_PRIVATE;
    }
    if (!strcmp(field, "output_visibility")) {
        *list = "public or hashed";
        return 1u << QUANT_VIS_PUBLIC | 1u << QUANT_VIS_HASHED;
    }
    *list = "fixed or hashed";
    return 1u << QUANT_VIS_FIXED | 1u << QUANT_VIS_HASHED;
}

int quant_visibility_parse(const char *field, const char *word, quant_visibility *out,
                           zkml_error *err)
{
    const char *list;
    unsigned ok = allowed_words(field, &list);
    for (unsigned v = 0; v < sizeof VIS_NAMES / sizeof *VIS_NAMES; v++)
        if ((ok >> v & 1) && !strcmp(word, VIS_NAMES[v])) {
            *out = (quant_visibility)v;
            return 0;
        }
    return zkml_fail(err, ZKML_EINVAL, "%s = \"%s\": expected %s", field, word, list);
}

static int check_range(const char *field, int v, int lo, int hi, zkml_error *err)
{
    if (v < lo || v > hi)
        return zkml_fail(err, ZKML_EINVAL, "settings: %s = %d is outside [%d, %d]", field, v, lo,
                         hi);
    return 0;
}

int quant_settings_validate(const quant_settings *s, zkml_error *err)
{
    int rc;
    if ((rc = check_range("scales.input", s->input_scale, 0, QUANT_MAX_SCALE, err)) ||
        (rc = check_range("scales.param", s->param_scale, 0, QUANT_MAX_SCALE, err)) ||
        (rc = check_range("scales.activation", s->activation_scale, 0, QUANT_MAX_SCALE, err)) ||
        (rc = check_range("bits.input", s->input_bits, 1, QUANT_MAX_BITS, err)) ||
        (rc = check_range("bits.activation", s->activation_bits, 2, QUANT_MAX_BITS, err)))
        return rc;
    if (s->n_tensor_bits < 0 || s->n_tensor_bits > QUANT_MAX_TENSOR_BITS)
        return zkml_fail(err, ZKML_EINVAL, "settings: bits.tensors has %d entries (at most %d)",
                         s->n_tensor_bits, QUANT_MAX_TENSOR_BITS);
    for (int i = 0; i < s->n_tensor_bits; i++)
        if (s->tensor_bits[i].bits < 2 || s->tensor_bits[i].bits > QUANT_MAX_BITS)
            return zkml_fail(err, ZKML_EINVAL, "settings: bits.tensors.%s = %d is outside [2, %d]",
                             s->tensor_bits[i].tensor, s->tensor_bits[i].bits, QUANT_MAX_BITS);
    if (s->activation_bits < s->activation_scale + 2)
        return zkml_fail(err, ZKML_EINVAL,
                         "settings: bits.activation = %d cannot hold 1.0 at scale %d "
                         "(needs at least %d)",
                         s->activation_bits, s->activation_scale, s->activation_scale + 2);
    return 0;
}

static int get_int(const cJSON *obj, const char *obj_name, const char *key, int *out,
                   zkml_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v))
        return zkml_fail(err, ZKML_EINVAL, "settings: %s.%s is missing or not a number", obj_name,
                         key);
    double d = v->valuedouble;
    if (!(d >= -1e6 && d <= 1e6) || d != (double)(int)d) /* range first: the cast needs it */
        return zkml_fail(err, ZKML_EINVAL, "settings: %s.%s = %g is not a small integer", obj_name,
                         key, d);
    *out = (int)d;
    return 0;
}

static int get_object(const cJSON *root, const char *key, const cJSON **out, zkml_error *err)
{
    *out = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsObject(*out))
        return zkml_fail(err, ZKML_EINVAL, "settings: \"%s\" is missing or not an object", key);
    return 0;
}

static int get_visibility(const cJSON *root, const char *key, quant_visibility *out,
                          zkml_error *err)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, key);
    if (!cJSON_IsString(v))
        return zkml_fail(err, ZKML_EINVAL, "settings: %s is missing or not a string", key);
    int rc = quant_visibility_parse(key, v->valuestring, out, err);
    if (rc)
        zkml_error_prefix(err, "settings");
    return rc;
}

/* Optional "bits.tensors": {"<ONNX tensor>": width, ...}. */
static int get_tensor_bits(const cJSON *bits, quant_settings *s, zkml_error *err)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(bits, "tensors"), *e;
    s->n_tensor_bits = 0;
    if (!t)
        return 0;
    if (!cJSON_IsObject(t))
        return zkml_fail(err, ZKML_EINVAL, "settings: bits.tensors is not an object");
    cJSON_ArrayForEach(e, t)
    {
        quant_tensor_bits *tb = &s->tensor_bits[s->n_tensor_bits];
        if (s->n_tensor_bits == QUANT_MAX_TENSOR_BITS)
            return zkml_fail(err, ZKML_EINVAL, "settings: bits.tensors has more than %d entries",
                             QUANT_MAX_TENSOR_BITS);
        if (strlen(e->string) >= sizeof tb->tensor)
            return zkml_fail(err, ZKML_EINVAL, "settings: bits.tensors: a name of %zu bytes "
                             "(at most %zu)", strlen(e->string), sizeof tb->tensor - 1);
        int rc = get_int(t, "bits.tensors", e->string, &tb->bits, err);
        if (rc)
            return rc;
        snprintf(tb->tensor, sizeof tb->tensor, "%s", e->string);
        s->n_tensor_bits++;
    }
    return 0;
}

static int parse_root(const cJSON *root, quant_settings *s, zkml_error *err)
{
    const cJSON *scales, *bits;
    int rc, output_scale = -1;
    if (!cJSON_IsObject(root))
        return zkml_fail(err, ZKML_EINVAL, "settings: not a JSON object");
    if ((rc = get_object(root, "scales", &scales, err)) ||
        (rc = get_object(root, "bits", &bits, err)) ||
        (rc = get_int(scales, "scales", "input", &s->input_scale, err)) ||
        (rc = get_int(scales, "scales", "param", &s->param_scale, err)) ||
        (rc = get_int(scales, "scales", "activation", &s->activation_scale, err)) ||
        (rc = get_int(bits, "bits", "input", &s->input_bits, err)) ||
        (rc = get_int(bits, "bits", "activation", &s->activation_bits, err)) ||
        (rc = get_tensor_bits(bits, s, err)) ||
        (rc = get_visibility(root, "input_visibility", &s->input_visibility, err)) ||
        (rc = get_visibility(root, "output_visibility", &s->output_visibility, err)) ||
        (rc = get_visibility(root, "param_visibility", &s->param_visibility, err)) ||
        (rc = get_rmse_threshold(root, &s->rmse_threshold, err)))
        return rc;
    const cJSON *sg = cJSON_GetObjectItemCaseSensitive(bits, "input_signed");
    if (!cJSON_IsBool(sg))
        return zkml_fail(err, ZKML_EINVAL,
                         "settings: bits.input_signed is missing or not a boolean");
    s->input_signed = cJSON_IsTrue(sg);
    if (cJSON_GetObjectItemCaseSensitive(scales, "output") &&
        (rc = get_int(scales, "scales", "output", &output_scale, err)))
        return rc;
    if (output_scale >= 0 && output_scale != s->activation_scale)
        return zkml_fail(err, ZKML_EINVAL,
                         "settings: scales.output = %d must equal scales.activation = %d",
                         output_scale, s->activation_scale);
    return quant_settings_validate(s, err);
}

int quant_settings_parse(const char *json, size_t len, quant_settings *s, zkml_error *err)
{
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root)
        return zkml_fail(err, ZKML_EINVAL, "settings: not valid JSON");
    int rc = parse_root(root, s, err);
    cJSON_Delete(root);
    return rc;
}

int quant_settings_read(const char *path, quant_settings *s, zkml_error *err)
{
    uint8_t *data;
    size_t len;
    int rc = zkml_read_file(path, 1u << 24, &data, &len, err);
    if (rc)
        return rc;
    rc = quant_settings_parse((const char *)data, len, s, err);
    free(data);
    if (rc)
        zkml_error_prefix(err, "%s", path);
    return rc;
}

static cJSON *node_table(const quant_model *m)
{
    cJSON *nodes = cJSON_CreateArray();
    if (!nodes)
        return NULL;
    for (uint32_t t = 0; t < m->n_tensors; t++) {
        const quant_tensor *qt = &m->tensors[t];
        if (qt->kind != QUANT_ACTIVATION || qt->onnx_tensor < 0)
            continue;
        const onnx_tensor *ot = &m->graph->tensors[qt->onnx_tensor];
        const char *op = ot->producer >= 0 ? m->graph->nodes[ot->producer].op_type : "Input";
        const char *name = ot->producer >= 0 ? m->graph->nodes[ot->producer].name : ot->name;
        cJSON *n = cJSON_CreateObject();
        if (!n || !cJSON_AddItemToArray(nodes, n) || !cJSON_AddStringToObject(n, "node", name) ||
            !cJSON_AddStringToObject(n, "op", op) ||
            !cJSON_AddStringToObject(n, "tensor", ot->name) ||
            !cJSON_AddNumberToObject(n, "scale", qt->scale) ||
            !cJSON_AddNumberToObject(n, "bits", qt->bits)) {
            cJSON_Delete(nodes);
            return NULL;
        }
    }
    return nodes;
}

/* How tensor t is packed (docs/COMMITMENTS.md), so that anyone can recompute
 * the packed public values and the commitments from this file alone. */
static cJSON *packing(const quant_tensor *t)
{
    cJSON *o = cJSON_CreateObject();
    uint32_t per = quant_values_per_signal(t->bits);
    if (o && (!cJSON_AddNumberToObject(o, "count", t->size) ||
              !cJSON_AddNumberToObject(o, "bits", t->bits) ||
              !cJSON_AddNumberToObject(o, "offset", -(double)t->lo) ||
              !cJSON_AddNumberToObject(o, "values_per_element", per) ||
              !cJSON_AddNumberToObject(o, "elements", quant_packed_signals(t->size, t->bits)))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* One parameter tensor: which node and initializer, its scale and packing. */
static cJSON *param_packing(const quant_model *m, const quant_param_tensor *p)
{
    const onnx_node *n = &m->graph->nodes[p->node];
    cJSON *o = cJSON_CreateObject();
    if (o && (!cJSON_AddStringToObject(o, "node", n->name) ||
              !cJSON_AddStringToObject(o, "op", n->op_type) ||
              !cJSON_AddStringToObject(o, "kind", p->is_bias ? "bias" : "weights") ||
              !(p->onnx_tensor >= 0
                    ? cJSON_AddStringToObject(o, "tensor", m->graph->tensors[p->onnx_tensor].name)
                    : cJSON_AddNullToObject(o, "tensor")) ||
              !cJSON_AddNumberToObject(o, "count", p->count) ||
              !cJSON_AddNumberToObject(o, "scale", p->scale) ||
              !cJSON_AddNumberToObject(o, "bits", p->bits) ||
              !cJSON_AddNumberToObject(o, "offset", ldexp(1, p->bits - 1)) ||
              !cJSON_AddNumberToObject(o, "values_per_element", quant_values_per_signal(p->bits)) ||
              !cJSON_AddNumberToObject(o, "elements", quant_param_elements(p)))) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

/* param_visibility hashed: every parameter tensor, in commitment order. */
static int add_param_packing(cJSON *packing, const quant_model *m)
{
    if (!quant_params_hashed(m))
        return 1;
    cJSON *a = cJSON_AddArrayToObject(packing, "params");
    if (!a)
        return 0;
    for (uint32_t t = 0; t < m->n_ptensors; t++) {
        cJSON *o = param_packing(m, &m->ptensors[t]);
        if (!o || !cJSON_AddItemToArray(a, o)) {
            cJSON_Delete(o);
            return 0;
        }
    }
    return 1;
}

static int add_packing(cJSON *root, const quant_model *m)
{
    cJSON *p = cJSON_AddObjectToObject(root, "packing"), *in, *out;
    if (!p || !add_param_packing(p, m))
        return 0;
    if (!(in = packing(&m->tensors[m->input])) || !cJSON_AddItemToObject(p, "input", in)) {
        cJSON_Delete(in);
        return 0;
    }
    if (!(out = packing(&m->tensors[m->output])) || !cJSON_AddItemToObject(p, "output", out)) {
        cJSON_Delete(out);
        return 0;
    }
    return 1;
}

/* bits.tensors, when there are any. */
static int add_tensor_bits(cJSON *bits, const quant_settings *s)
{
    cJSON *t = s->n_tensor_bits ? cJSON_AddObjectToObject(bits, "tensors") : NULL;
    for (int i = 0; i < s->n_tensor_bits; i++)
        if (!t || !cJSON_AddNumberToObject(t, s->tensor_bits[i].tensor, s->tensor_bits[i].bits))
            return 0;
    return 1;
}

cJSON *quant_settings_json(const quant_settings *s, const quant_model *m, int calibrated)
{
    cJSON *root = cJSON_CreateObject();
    cJSON *scales = cJSON_AddObjectToObject(root, "scales");
    cJSON *bits = cJSON_AddObjectToObject(root, "bits");
    cJSON *nodes = m ? node_table(m) : cJSON_CreateArray();
    int ok =
        root && scales && bits && nodes && cJSON_AddItemToObject(root, "nodes", nodes) &&
        cJSON_AddNumberToObject(scales, "input", s->input_scale) &&
        cJSON_AddNumberToObject(scales, "param", s->param_scale) &&
        cJSON_AddNumberToObject(scales, "activation", s->activation_scale) &&
        cJSON_AddNumberToObject(scales, "output", s->activation_scale) &&
        cJSON_AddNumberToObject(bits, "input", s->input_bits) &&
        cJSON_AddBoolToObject(bits, "input_signed", s->input_signed) &&
        cJSON_AddNumberToObject(bits, "activation", s->activation_bits) &&
        add_tensor_bits(bits, s) &&
        cJSON_AddStringToObject(root, "input_visibility",
                                quant_visibility_name(s->input_visibility)) &&
        cJSON_AddStringToObject(root, "output_visibility",
                                quant_visibility_name(s->output_visibility)) &&
        cJSON_AddStringToObject(root, "param_visibility",
                                quant_visibility_name(s->param_visibility)) &&
        cJSON_AddStringToObject(root, "fixed_point",
                                "q = round(v * 2^scale), negatives as r - |q| in the field") &&
        cJSON_AddStringToObject(root, "rounding",
                                "requant by k bits: floor((acc + 2^(k-1)) / 2^k), round half up") &&
        cJSON_AddNumberToObject(root, "estimated_constraints",
                                m ? (double)quant_model_constraints(m) : 0) &&
        cJSON_AddBoolToObject(root, "calibrated", calibrated) && (!m || add_packing(root, m)) &&
        (s->rmse_threshold <= 0 ||
         cJSON_AddNumberToObject(root, "rmse_threshold", s->rmse_threshold));
    if (!ok) {
        if (!cJSON_GetObjectItemCaseSensitive(root, "nodes"))
            cJSON_Delete(nodes);
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

int quant_settings_write(const char *path, const quant_settings *s, zkml_error *err)
{
    cJSON *j = quant_settings_json(s, NULL, 0);
    int rc =
        j ? quant_json_write(path, j, err) : zkml_fail(err, ZKML_ENOMEM, "settings: out of memory");
    cJSON_Delete(j);
    return rc;
}

int quant_json_write(const char *path, const cJSON *j, zkml_error *err)
{
    char *text = cJSON_Print(j);
    if (!text)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory printing JSON", path);
    int rc = zkml_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}
