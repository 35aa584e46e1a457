/*
 * shape.c - per-op normalization and shape inference at load time.
 *
 * For each node: checks its inputs, turns opset-dependent forms into the one
 * documented in onnx.h (constant inputs become attributes and are dropped,
 * defaults become explicit, negative axes become non-negative, auto_pad is
 * resolved into pads) and sets each output's dtype and concrete shape.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

#define FAIL(...) return onnx_node_failf(err, m, n, __VA_ARGS__)
#define OOM() return zkml_fail(err, ZKML_ENOMEM, "out of memory")

static const onnx_tensor *input(const onnx_model *m, const onnx_node *n, int k)
{
    return k < n->n_inputs && n->inputs[k] >= 0 ? &m->tensors[n->inputs[k]] : NULL;
}

static int set_output(onnx_model *m, onnx_node *n, int k, onnx_dtype dtype, int rank,
                      const int64_t *shape, zkml_error *err)
{
    if (k >= n->n_outputs || n->outputs[k] < 0)
        return 0;
    onnx_tensor *t = &m->tensors[n->outputs[k]];
    if (rank > ONNX_MAX_RANK)
        FAIL("output rank %d is above %d", rank, ONNX_MAX_RANK);
    t->dtype = dtype;
    t->rank = rank;
    for (int i = 0; i < rank; i++) {
        if (shape[i] < 0)
            FAIL("negative output dimension %lld", (long long)shape[i]);
        t->shape[i] = shape[i];
    }
    if (onnx_shape_size(t->shape, rank, &t->size) != 0 || t->size > ONNX_MAX_VALUES - m->n_values)
        FAIL("output too large (the model may hold at most %u values)", ONNX_MAX_VALUES);
    m->n_values += t->size;
    return 0;
}

static int same_as_input(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    return set_output(m, n, 0, x->dtype, x->rank, x->shape, err);
}

/* Reads constant integer input k (every element) into a fresh array. */
static int const_ints(const onnx_model *m, const onnx_node *n, int k, int64_t **vals, size_t *count,
                      zkml_error *err)
{
    const onnx_tensor *t = input(m, n, k);
    if (!t || !t->data)
        FAIL("input %d ('%s') must be a constant", k, t ? t->name : "");
    *vals = malloc((t->size ? t->size : 1) * sizeof(int64_t));
    if (!*vals)
        OOM();
    for (size_t i = 0; i < t->size; i++)
        (*vals)[i] = t->int_data ? t->int_data[i] : onnx_float_to_i64(t->data[i]);
    *count = t->size;
    return 0;
}

/* Normalizes axis into [0, rank) (or [0, rank] when inclusive). */
static int norm_axis(int64_t axis, int rank, int inclusive, int64_t *out)
{
    int64_t hi = inclusive ? rank : rank - 1;
    if (axis < 0)
        axis += rank;
    if (axis < 0 || axis > hi)
        return -1;
    *out = axis;
    return 0;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Normalizes, sorts and checks a list of axes against rank (no repeats). */
static int norm_axes(onnx_model *m, onnx_node *n, int64_t *axes, size_t k, int rank,
                     zkml_error *err)
{
    for (size_t i = 0; i < k; i++)
        if (norm_axis(axes[i], rank, 0, &axes[i]) != 0)
            FAIL("axis %lld is out of range for rank %d", (long long)axes[i], rank);
    qsort(axes, k, sizeof(*axes), cmp_i64);
    for (size_t i = 1; i < k; i++)
        if (axes[i] == axes[i - 1])
            FAIL("axis %lld is repeated", (long long)axes[i]);
    return 0;
}

/* Multidirectional (numpy) broadcast of a and b into out. */
static int broadcast(const onnx_tensor *a, const onnx_tensor *b, int *rank, int64_t *out)
{
    int r = a->rank > b->rank ? a->rank : b->rank;
    for (int i = 0; i < r; i++) {
        int ia = i - (r - a->rank), ib = i - (r - b->rank);
        int64_t da = ia >= 0 ? a->shape[ia] : 1, db = ib >= 0 ? b->shape[ib] : 1;
        if (da != db && da != 1 && db != 1)
            return -1;
        out[i] = da == 1 ? db : da;
    }
    *rank = r;
    return 0;
}

static int infer_binary(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *a = input(m, n, 0), *b = input(m, n, 1);
    if (!b)
        FAIL("needs two inputs");
    int64_t shape[ONNX_MAX_RANK];
    int rank;
    if (broadcast(a, b, &rank, shape) != 0)
        FAIL("shapes of '%s' and '%s' do not broadcast", a->name, b->name);
    n->n_inputs = 2;
    return set_output(m, n, 0, a->dtype, rank, shape, err);
}

static int infer_prelu(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0), *s = input(m, n, 1);
    int64_t shape[ONNX_MAX_RANK];
    int rank;
    if (!s || broadcast(x, s, &rank, shape) != 0 || rank != x->rank ||
        memcmp(shape, x->shape, (size_t)rank * sizeof(int64_t)) != 0)
        FAIL("slope does not broadcast to the input shape");
    return same_as_input(m, n, err);
}

static int infer_gemm(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *a = input(m, n, 0), *b = input(m, n, 1), *c = input(m, n, 2);
    if (!b || a->rank != 2 || b->rank != 2)
        FAIL("A and B must be matrices");
    int64_t ta = onnx_attr_int(n, "transA", 0), tb = onnx_attr_int(n, "transB", 0);
    int64_t mm = ta ? a->shape[1] : a->shape[0], k = ta ? a->shape[0] : a->shape[1];
    int64_t kb = tb ? b->shape[1] : b->shape[0], nn = tb ? b->shape[0] : b->shape[1];
    if (k != kb)
        FAIL("inner dimensions %lld and %lld differ", (long long)k, (long long)kb);
    int64_t shape[2] = {mm, nn};
    if (c) {
        onnx_tensor y = {.rank = 2, .shape = {mm, nn}};
        int64_t bs[ONNX_MAX_RANK];
        int rank;
        if (broadcast(&y, c, &rank, bs) != 0 || rank != 2 || bs[0] != mm || bs[1] != nn)
            FAIL("C does not broadcast to [%lld, %lld]", (long long)mm, (long long)nn);
    }
    if (onnx_node_set_float(n, "alpha", onnx_attr_float(n, "alpha", 1.0f)) ||
        onnx_node_set_float(n, "beta", onnx_attr_float(n, "beta", 1.0f)) ||
        onnx_node_set_int(n, "transA", ta != 0) || onnx_node_set_int(n, "transB", tb != 0))
        OOM();
    return set_output(m, n, 0, a->dtype, 2, shape, err);
}

static int infer_matmul(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *a = input(m, n, 0), *b = input(m, n, 1);
    if (!b || a->rank < 1 || b->rank < 1)
        FAIL("needs two inputs of rank >= 1");
    int64_t ka = a->shape[a->rank - 1], kb = b->shape[b->rank >= 2 ? b->rank - 2 : 0];
    if (ka != kb)
        FAIL("inner dimensions %lld and %lld differ", (long long)ka, (long long)kb);
    onnx_tensor ba = {.rank = a->rank > 2 ? a->rank - 2 : 0};
    onnx_tensor bb = {.rank = b->rank > 2 ? b->rank - 2 : 0};
    memcpy(ba.shape, a->shape, (size_t)ba.rank * sizeof(int64_t));
    memcpy(bb.shape, b->shape, (size_t)bb.rank * sizeof(int64_t));
    int64_t shape[ONNX_MAX_RANK + 2];
    int rank;
    if (broadcast(&ba, &bb, &rank, shape) != 0)
        FAIL("batch dimensions do not broadcast");
    if (a->rank >= 2)
        shape[rank++] = a->shape[a->rank - 2];
    if (b->rank >= 2)
        shape[rank++] = b->shape[b->rank - 1];
    return set_output(m, n, 0, a->dtype, rank, shape, err);
}

static int infer_softmax(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    int64_t axis;
    if (norm_axis(onnx_attr_int(n, "axis", m->opset < 13 ? 1 : -1), x->rank, 0, &axis) != 0)
        FAIL("axis out of range");
    if (onnx_node_set_int(n, "axis", axis) || onnx_node_set_int(n, "coerce_2d", m->opset < 13))
        OOM();
    return same_as_input(m, n, err);
}

/* Scalar constant input k, or fallback when omitted. */
static int const_scalar(const onnx_model *m, const onnx_node *n, int k, float fallback, float *v,
                        zkml_error *err)
{
    const onnx_tensor *t = input(m, n, k);
    *v = fallback;
    if (!t)
        return 0;
    if (!t->data || t->size != 1)
        FAIL("input %d ('%s') must be a constant scalar", k, t->name);
    *v = t->data[0];
    return 0;
}

static int infer_clip(onnx_model *m, onnx_node *n, zkml_error *err)
{
    float lo = onnx_attr_float(n, "min", -INFINITY), hi = onnx_attr_float(n, "max", INFINITY);
    if (m->opset >= 11) {
        if (const_scalar(m, n, 1, -INFINITY, &lo, err) || const_scalar(m, n, 2, INFINITY, &hi, err))
            return err->code;
    }
    n->n_inputs = 1;
    if (onnx_node_set_float(n, "min", lo) || onnx_node_set_float(n, "max", hi))
        OOM();
    return same_as_input(m, n, err);
}

/* One spatial dimension of a Conv or pooling window: its output size and pads. */
static int window_dim(int64_t in, int64_t k, int64_t stride, int64_t dil, const char *auto_pad,
                      int ceil_mode, int64_t *pb, int64_t *pe, int64_t *out)
{
    int64_t ek = (k - 1) * dil + 1;
    if (strcmp(auto_pad, "SAME_UPPER") == 0 || strcmp(auto_pad, "SAME_LOWER") == 0) {
        *out = (in + stride - 1) / stride;
        int64_t total = (*out - 1) * stride + ek - in;
        if (total < 0)
            total = 0;
        int upper = auto_pad[5] == 'U';
        *pb = upper ? total / 2 : total - total / 2;
        *pe = total - *pb;
        return 0;
    }
    if (strcmp(auto_pad, "VALID") == 0)
        *pb = *pe = 0;
    else if (strcmp(auto_pad, "NOTSET") != 0)
        return -1;
    int64_t span = in + *pb + *pe - ek;
    if (span < 0)
        return -1;
    *out = (ceil_mode ? (span + stride - 1) / stride : span / stride) + 1;
    if (ceil_mode && (*out - 1) * stride >= in + *pb)
        (*out)--; /* the last window must start inside the input or left pad */
    return 0;
}

static int infer_window(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0), *w = input(m, n, 1);
    int conv = n->op == ONNX_OP_CONV;
    int sp = x->rank - 2;
    if (sp < 1 || sp > 2)
        FAIL("only 1-D and 2-D inputs ([N, C, L] or [N, C, H, W]) are supported");
    if (n->n_outputs > 1 && n->outputs[1] >= 0)
        FAIL("the Indices output is not supported");
    int64_t kernel[2], strides[2], dil[2], pads[4], out[ONNX_MAX_RANK];
    size_t nk, ns, nd, np;
    const int64_t *ak = onnx_attr_ints(n, "kernel_shape", &nk);
    const int64_t *as = onnx_attr_ints(n, "strides", &ns);
    const int64_t *ad = onnx_attr_ints(n, "dilations", &nd);
    const int64_t *ap = onnx_attr_ints(n, "pads", &np);
    if (conv && (!w || w->rank != x->rank))
        FAIL("weights must have the input's rank");
    if ((!conv && nk != (size_t)sp) || (ak && nk != (size_t)sp) || (as && ns != (size_t)sp) ||
        (ad && nd != (size_t)sp) || (ap && np != 2 * (size_t)sp))
        FAIL("kernel_shape, strides, dilations or pads do not match the %d spatial dims", sp);
    const char *auto_pad = onnx_attr_string(n, "auto_pad", "NOTSET");
    int ceil_mode = onnx_attr_int(n, "ceil_mode", 0) != 0;
    out[0] = x->shape[0];
    out[1] = x->shape[1];
    for (int d = 0; d < sp; d++) {
        kernel[d] = ak ? ak[d] : w->shape[2 + d];
        strides[d] = as ? as[d] : 1;
        dil[d] = ad ? ad[d] : 1;
        pads[d] = ap ? ap[d] : 0;
        pads[sp + d] = ap ? ap[sp + d] : 0;
        if (kernel[d] < 1 || strides[d] < 1 || dil[d] < 1 || pads[d] < 0 || pads[sp + d] < 0 ||
            kernel[d] > ONNX_MAX_WINDOW || strides[d] > ONNX_MAX_WINDOW ||
            dil[d] > ONNX_MAX_WINDOW || pads[d] > ONNX_MAX_WINDOW ||
            pads[sp + d] > ONNX_MAX_WINDOW || (conv && kernel[d] != w->shape[2 + d]))
            FAIL("invalid kernel, stride, dilation or pad in spatial dim %d", d);
        if (window_dim(x->shape[2 + d], kernel[d], strides[d], dil[d], auto_pad, ceil_mode,
                       &pads[d], &pads[sp + d], &out[2 + d]) != 0 ||
            out[2 + d] < 1)
            FAIL("window does not fit spatial dim %d (auto_pad %s)", d, auto_pad);
    }
    if (conv) {
        int64_t group = onnx_attr_int(n, "group", 1);
        if (group < 1 || w->shape[1] * group != x->shape[1] || w->shape[0] % group != 0)
            FAIL("weights [%lld, %lld, ...] do not fit %lld channels in %lld groups",
                 (long long)w->shape[0], (long long)w->shape[1], (long long)x->shape[1],
                 (long long)group);
        const onnx_tensor *b = input(m, n, 2);
        if (b && (b->rank != 1 || b->shape[0] != w->shape[0]))
            FAIL("bias must have %lld values", (long long)w->shape[0]);
        out[1] = w->shape[0];
        if (onnx_node_set_int(n, "group", group))
            OOM();
    }
    if (onnx_node_set_ints(n, "kernel_shape", kernel, (size_t)sp) ||
        onnx_node_set_ints(n, "strides", strides, (size_t)sp) ||
        onnx_node_set_ints(n, "dilations", dil, (size_t)sp) ||
        onnx_node_set_ints(n, "pads", pads, 2 * (size_t)sp) ||
        onnx_node_set_string(n, "auto_pad", "NOTSET") ||
        onnx_node_set_int(n, "ceil_mode", ceil_mode) ||
        (n->op == ONNX_OP_AVERAGE_POOL &&
         onnx_node_set_int(n, "count_include_pad", onnx_attr_int(n, "count_include_pad", 0))))
        OOM();
    return set_output(m, n, 0, x->dtype, x->rank, out, err);
}

static int infer_global_pool(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    if (x->rank < 3)
        FAIL("input must be [N, C, spatial...]");
    int64_t out[ONNX_MAX_RANK];
    for (int i = 0; i < x->rank; i++)
        out[i] = i < 2 ? x->shape[i] : 1;
    return set_output(m, n, 0, x->dtype, x->rank, out, err);
}

static int infer_batchnorm(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    if (x->rank < 2 || n->n_inputs < 5)
        FAIL("needs X, scale, B, mean and var");
    for (int k = 1; k < 5; k++) {
        const onnx_tensor *p = input(m, n, k);
        if (!p || p->size != (size_t)x->shape[1])
            FAIL("input %d must have %lld values (one per channel)", k, (long long)x->shape[1]);
    }
    if (onnx_attr_int(n, "training_mode", 0) != 0)
        FAIL("training_mode is not supported");
    for (int k = 1; k < n->n_outputs; k++)
        if (n->outputs[k] >= 0)
            FAIL("training outputs (running mean and variance) are not supported");
    if (onnx_node_set_float(n, "epsilon", onnx_attr_float(n, "epsilon", 1e-5f)))
        OOM();
    return same_as_input(m, n, err);
}

static int infer_flatten(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    int64_t axis;
    if (norm_axis(onnx_attr_int(n, "axis", 1), x->rank, 1, &axis) != 0)
        FAIL("axis out of range");
    int64_t out[2] = {1, 1};
    for (int i = 0; i < x->rank; i++)
        out[i >= axis] *= x->shape[i];
    if (onnx_node_set_int(n, "axis", axis))
        OOM();
    return set_output(m, n, 0, x->dtype, 2, out, err);
}

static int infer_reshape(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    int64_t *shape = NULL;
    size_t k;
    if (m->opset >= 5 || n->n_inputs > 1) {
        if (const_ints(m, n, 1, &shape, &k, err) != 0)
            return err->code;
    } else {
        const int64_t *a = onnx_attr_ints(n, "shape", &k);
        shape = malloc((k ? k : 1) * sizeof(int64_t));
        if (!shape)
            OOM();
        if (k)
            memcpy(shape, a, k * sizeof(int64_t));
    }
    int allowzero = onnx_attr_int(n, "allowzero", 0) != 0;
    int64_t known = 1;
    int infer_at = -1, rc = 0;
    if (k > ONNX_MAX_RANK)
        rc = onnx_node_failf(err, m, n, "target rank %zu is above %d", k, ONNX_MAX_RANK);
    for (size_t i = 0; i < k && rc == 0; i++) {
        if (shape[i] == 0 && !allowzero) {
            if ((int)i >= x->rank)
                rc = onnx_node_failf(err, m, n, "0 in the shape at %zu has no input dim", i);
            else
                shape[i] = x->shape[i];
        }
        if (rc == 0 && shape[i] == -1 && infer_at < 0)
            infer_at = (int)i;
        else if (rc == 0 && (shape[i] < 0 || shape[i] > (int64_t)ONNX_MAX_VALUES))
            rc = onnx_node_failf(err, m, n, "invalid target dim %lld", (long long)shape[i]);
        else if (rc == 0 && shape[i] && known > (int64_t)ONNX_MAX_VALUES / shape[i])
            rc = onnx_node_failf(err, m, n, "target shape too large");
        else if (rc == 0)
            known *= shape[i];
    }
    if (rc == 0 && infer_at >= 0)
        shape[infer_at] = known ? (int64_t)x->size / known : 0;
    if (rc == 0) {
        size_t size;
        if (onnx_shape_size(shape, (int)k, &size) != 0 || size != x->size)
            rc = onnx_node_failf(err, m, n, "cannot reshape %zu elements to the target shape",
                                 x->size);
    }
    if (rc == 0 && onnx_node_set_ints(n, "shape", shape, k))
        rc = zkml_fail(err, ZKML_ENOMEM, "out of memory");
    if (rc == 0) {
        n->n_inputs = 1;
        rc = set_output(m, n, 0, x->dtype, (int)k, shape, err);
    }
    free(shape);
    return rc;
}

static int infer_transpose(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    size_t k;
    const int64_t *p = onnx_attr_ints(n, "perm", &k);
    int64_t perm[ONNX_MAX_RANK], out[ONNX_MAX_RANK];
    int seen[ONNX_MAX_RANK] = {0};
    if (p && k != (size_t)x->rank)
        FAIL("perm has %zu entries for rank %d", k, x->rank);
    for (int i = 0; i < x->rank; i++) {
        perm[i] = p ? p[i] : x->rank - 1 - i;
        if (perm[i] < 0 || perm[i] >= x->rank || seen[perm[i]]++)
            FAIL("perm is not a permutation");
        out[i] = x->shape[perm[i]];
    }
    if (onnx_node_set_ints(n, "perm", perm, (size_t)x->rank))
        OOM();
    return set_output(m, n, 0, x->dtype, x->rank, out, err);
}

static int infer_concat(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    int64_t axis, out[ONNX_MAX_RANK];
    if (!onnx_find_attr(n, "axis") || norm_axis(onnx_attr_int(n, "axis", 0), x->rank, 0, &axis))
        FAIL("axis missing or out of range");
    memcpy(out, x->shape, sizeof(out));
    out[axis] = 0;
    for (int k = 0; k < n->n_inputs; k++) {
        const onnx_tensor *t = input(m, n, k);
        if (!t || t->rank != x->rank)
            FAIL("input %d has a different rank", k);
        for (int i = 0; i < x->rank; i++)
            if (i != axis && t->shape[i] != x->shape[i])
                FAIL("input %d differs in dim %d", k, i);
        out[axis] += t->shape[axis];
    }
    if (onnx_node_set_int(n, "axis", axis))
        OOM();
    return set_output(m, n, 0, x->dtype, x->rank, out, err);
}

/* The axes of Squeeze/Unsqueeze/Reduce*: from input 1 since since_opset,
 * else from the attribute. *present tells whether any were given. */
static int read_axes(onnx_model *m, onnx_node *n, int64_t since_opset, int64_t **axes, size_t *k,
                     int *present, zkml_error *err)
{
    *axes = NULL;
    *k = 0;
    if (m->opset >= since_opset) {
        *present = input(m, n, 1) != NULL;
        if (*present)
            return const_ints(m, n, 1, axes, k, err);
    } else {
        const int64_t *a = onnx_attr_ints(n, "axes", k);
        *present = a != NULL;
        if (a) {
            *axes = malloc(*k * sizeof(int64_t) + 1);
            if (!*axes)
                OOM();
            memcpy(*axes, a, *k * sizeof(int64_t));
        }
    }
    return 0;
}

static int infer_squeeze(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    int64_t *axes, out[ONNX_MAX_RANK];
    size_t k;
    int present, rank = 0;
    if (read_axes(m, n, 13, &axes, &k, &present, err) != 0)
        return err->code;
    if (!present) {
        axes = malloc(sizeof(int64_t) * ONNX_MAX_RANK);
        if (!axes)
            OOM();
        for (int i = 0; i < x->rank; i++)
            if (x->shape[i] == 1)
                axes[k++] = i;
    }
    int rc = norm_axes(m, n, axes, k, x->rank, err);
    for (size_t i = 0, j = 0; rc == 0 && i < (size_t)x->rank; i++) {
        if (j < k && axes[j] == (int64_t)i) {
            if (x->shape[i] != 1)
                rc =
                    onnx_node_failf(err, m, n, "dim %zu is %lld, not 1", i, (long long)x->shape[i]);
            j++;
        } else {
            out[rank++] = x->shape[i];
        }
    }
    if (rc == 0 && onnx_node_set_ints(n, "axes", axes, k))
        rc = zkml_fail(err, ZKML_ENOMEM, "out of memory");
    free(axes);
    n->n_inputs = 1;
    return rc ? rc : set_output(m, n, 0, x->dtype, rank, out, err);
}

static int infer_unsqueeze(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    int64_t *axes, out[ONNX_MAX_RANK];
    size_t k;
    int present;
    if (read_axes(m, n, 13, &axes, &k, &present, err) != 0)
        return err->code;
    int rank = x->rank + (int)k, rc = 0;
    if (!present || rank > ONNX_MAX_RANK)
        rc = onnx_node_failf(err, m, n, "axes missing or output rank above %d", ONNX_MAX_RANK);
    if (rc == 0)
        rc = norm_axes(m, n, axes, k, rank, err);
    for (int i = 0, j = 0, src = 0; rc == 0 && i < rank; i++) {
        if ((size_t)j < k && axes[j] == i) {
            out[i] = 1;
            j++;
        } else {
            out[i] = x->shape[src++];
        }
    }
    if (rc == 0 && onnx_node_set_ints(n, "axes", axes, k))
        rc = zkml_fail(err, ZKML_ENOMEM, "out of memory");
    free(axes);
    n->n_inputs = 1;
    return rc ? rc : set_output(m, n, 0, x->dtype, rank, out, err);
}

static int infer_reduce(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    int64_t *axes, out[ONNX_MAX_RANK];
    size_t k;
    int present, rank = 0;
    int64_t since = n->op == ONNX_OP_REDUCE_SUM ? 13 : 18;
    if (read_axes(m, n, since, &axes, &k, &present, err) != 0)
        return err->code;
    int keepdims = onnx_attr_int(n, "keepdims", 1) != 0;
    int noop = onnx_attr_int(n, "noop_with_empty_axes", 0) != 0;
    if (k == 0 && !noop) {
        free(axes);
        axes = malloc(sizeof(int64_t) * ONNX_MAX_RANK);
        if (!axes)
            OOM();
        for (int i = 0; i < x->rank; i++)
            axes[k++] = i;
    }
    int rc = norm_axes(m, n, axes, k, x->rank, err);
    for (int i = 0, j = 0; rc == 0 && i < x->rank; i++) {
        int reduced = (size_t)j < k && axes[j] == i;
        j += reduced;
        if (!reduced)
            out[rank++] = x->shape[i];
        else if (keepdims)
            out[rank++] = 1;
    }
    if (rc == 0 &&
        (onnx_node_set_ints(n, "axes", axes, k) || onnx_node_set_int(n, "keepdims", keepdims)))
        rc = zkml_fail(err, ZKML_ENOMEM, "out of memory");
    free(axes);
    n->n_inputs = 1;
    return rc ? rc : set_output(m, n, 0, x->dtype, rank, out, err);
}

static int infer_cast(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    int64_t to = onnx_attr_int(n, "to", 0);
    if (!onnx_dtype_supported(to))
        FAIL("cast to element type %lld is not supported", (long long)to);
    return set_output(m, n, 0, (onnx_dtype)to, x->rank, x->shape, err);
}

static int infer_pad(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *x = input(m, n, 0);
    const char *mode = onnx_attr_string(n, "mode", "constant");
    if (strcmp(mode, "constant") && strcmp(mode, "reflect") && strcmp(mode, "edge"))
        FAIL("mode '%s' is not supported", mode);
    int64_t pads[2 * ONNX_MAX_RANK] = {0}, *given = NULL, *axes = NULL, out[ONNX_MAX_RANK];
    size_t k = 0, na = 0;
    float value = onnx_attr_float(n, "value", 0.0f);
    int rc = 0;
    if (m->opset >= 11) {
        rc = const_ints(m, n, 1, &given, &k, err);
        if (rc == 0)
            rc = const_scalar(m, n, 2, 0.0f, &value, err);
        if (rc == 0 && input(m, n, 3))
            rc = const_ints(m, n, 3, &axes, &na, err);
    } else {
        const int64_t *a = onnx_attr_ints(n, "pads", &k);
        given = malloc((k ? k : 1) * sizeof(int64_t));
        if (!given)
            OOM();
        if (k)
            memcpy(given, a, k * sizeof(int64_t));
    }
    size_t per = axes ? na : (size_t)x->rank;
    if (rc == 0 && k != 2 * per)
        rc = onnx_node_failf(err, m, n, "%zu pads for %zu axes", k, per);
    for (size_t i = 0; rc == 0 && i < per; i++) {
        int64_t ax = (int64_t)i;
        if (axes && norm_axis(axes[i], x->rank, 0, &ax) != 0)
            rc = onnx_node_failf(err, m, n, "axis %lld out of range", (long long)axes[i]);
        if (rc == 0 &&
            (given[i] < -(int64_t)ONNX_MAX_VALUES || given[i] > ONNX_MAX_VALUES ||
             given[per + i] < -(int64_t)ONNX_MAX_VALUES || given[per + i] > ONNX_MAX_VALUES))
            rc = onnx_node_failf(err, m, n, "pad out of range");
        if (rc == 0) {
            pads[ax] = given[i];
            pads[x->rank + ax] = given[per + i];
        }
    }
    for (int i = 0; rc == 0 && i < x->rank; i++) {
        out[i] = x->shape[i] + pads[i] + pads[x->rank + i];
        if (out[i] < 0 ||
            (strcmp(mode, "constant") &&
             (pads[i] < 0 || pads[x->rank + i] < 0 || (x->shape[i] == 0 && out[i] > 0) ||
              (!strcmp(mode, "reflect") &&
               (pads[i] >= x->shape[i] || pads[x->rank + i] >= x->shape[i])))))
            rc = onnx_node_failf(err, m, n, "pads do not fit dim %d in mode %s", i, mode);
    }
    free(given);
    free(axes);
    if (rc == 0 &&
        (onnx_node_set_ints(n, "pads", pads, 2 * (size_t)x->rank) ||
         onnx_node_set_float(n, "value", value) || onnx_node_set_string(n, "mode", mode)))
        rc = zkml_fail(err, ZKML_ENOMEM, "out of memory");
    n->n_inputs = 1;
    return rc ? rc : set_output(m, n, 0, x->dtype, x->rank, out, err);
}

static int infer_dropout(onnx_model *m, onnx_node *n, zkml_error *err)
{
    const onnx_tensor *mode = input(m, n, 2);
    if (mode && (!mode->data || mode->size != 1 || mode->data[0] != 0))
        FAIL("training_mode must be a constant false");
    n->n_inputs = 1;
    int rc = same_as_input(m, n, err);
    const onnx_tensor *x = input(m, n, 0);
    return rc ? rc : set_output(m, n, 1, ONNX_DTYPE_BOOL, x->rank, x->shape, err);
}

int onnx_infer_node(onnx_model *m, onnx_node *n, zkml_error *err)
{
    if (!input(m, n, 0))
        FAIL("the first input is missing");
    switch (n->op) {
    case ONNX_OP_GEMM: return infer_gemm(m, n, err);
    case ONNX_OP_MATMUL: return infer_matmul(m, n, err);
    case ONNX_OP_ADD:
    case ONNX_OP_SUB:
    case ONNX_OP_MUL:
    case ONNX_OP_DIV: return infer_binary(m, n, err);
    case ONNX_OP_LEAKY_RELU:
        if (onnx_node_set_float(n, "alpha", onnx_attr_float(n, "alpha", 0.01f)))
            OOM();
        return same_as_input(m, n, err);
    case ONNX_OP_RELU:
    case ONNX_OP_SIGMOID:
    case ONNX_OP_TANH:
    case ONNX_OP_IDENTITY: n->n_inputs = 1; return same_as_input(m, n, err);
    case ONNX_OP_PRELU: return infer_prelu(m, n, err);
    case ONNX_OP_SOFTMAX: return infer_softmax(m, n, err);
    case ONNX_OP_CLIP: return infer_clip(m, n, err);
    case ONNX_OP_CONV:
    case ONNX_OP_MAX_POOL:
    case ONNX_OP_AVERAGE_POOL: return infer_window(m, n, err);
    case ONNX_OP_GLOBAL_AVERAGE_POOL: return infer_global_pool(m, n, err);
    case ONNX_OP_BATCH_NORMALIZATION: return infer_batchnorm(m, n, err);
    case ONNX_OP_FLATTEN: return infer_flatten(m, n, err);
    case ONNX_OP_RESHAPE: return infer_reshape(m, n, err);
    case ONNX_OP_TRANSPOSE: return infer_transpose(m, n, err);
    case ONNX_OP_CONCAT: return infer_concat(m, n, err);
    case ONNX_OP_SQUEEZE: return infer_squeeze(m, n, err);
    case ONNX_OP_UNSQUEEZE: return infer_unsqueeze(m, n, err);
    case ONNX_OP_CAST: return infer_cast(m, n, err);
    case ONNX_OP_DROPOUT: return infer_dropout(m, n, err);
    case ONNX_OP_REDUCE_MEAN:
    case ONNX_OP_REDUCE_SUM: return infer_reduce(m, n, err);
    case ONNX_OP_PAD: return infer_pad(m, n, err);
    default: FAIL("operator is not supported");
    }
}
