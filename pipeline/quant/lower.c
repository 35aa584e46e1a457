/*
 * lower.c - lowers a loaded ONNX graph to the quantized model (quant.h).
 *
 * Linear ops become affine layers whose rows are composed eagerly: an Add of
 * a bias after a MatMul extends the MatMul's rows instead of costing
 * anything. An activation is "materialized" (requant to activation_scale,
 * range checked) only where an op needs it: before a weighted linear op, a
 * non-linearity, or at the output. Refusals name the node and op.
 */
#include "pipeline/quant/quant_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct lowering {
    quant_model *m;
    const onnx_model *g;
    uint32_t *map;   /* ONNX tensor -> quant tensor + 1 (0: constant or not yet computed) */
} lowering;

/* Affine rows under construction. */
typedef struct rowset {
    uint32_t n_rows, row;
    uint32_t *start;
    uint32_t *src, *idx;
    int64_t *coeff, *bias;
    size_t n_terms, cap;
    int scale;
} rowset;

static const onnx_node *node_at(const lowering *lw, int node)
{
    return &lw->g->nodes[node];
}

static int refuse(const lowering *lw, int node, zkml_error *err, const char *why)
{
    const onnx_node *n = node_at(lw, node);
    return zkml_fail(err, ZKML_EINVAL, "node '%s' (%s): %s", n->name, n->op_type, why);
}

static void rs_free(rowset *r)
{
    free(r->start);
    free(r->src);
    free(r->idx);
    free(r->coeff);
    free(r->bias);
    memset(r, 0, sizeof *r);
}

static int rs_init(rowset *r, uint32_t n_rows, int scale, zkml_error *err)
{
    memset(r, 0, sizeof *r);
    r->n_rows = n_rows;
    r->scale = scale;
    r->start = calloc((size_t)n_rows + 1, sizeof *r->start);
    r->bias = calloc(n_rows ? n_rows : 1, sizeof *r->bias);
    if (!r->start || !r->bias) {
        rs_free(r);
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    }
    return 0;
}

static int rs_term(rowset *r, uint32_t src, uint32_t idx, int64_t coeff, zkml_error *err)
{
    if (coeff == 0)
        return 0;
    if (r->n_terms == r->cap) {
        size_t cap = r->cap ? 2 * r->cap : 64;
        uint32_t *s = realloc(r->src, cap * sizeof *s);
        if (s)
            r->src = s;
        uint32_t *i = realloc(r->idx, cap * sizeof *i);
        if (i)
            r->idx = i;
        int64_t *c = realloc(r->coeff, cap * sizeof *c);
        if (c)
            r->coeff = c;
        if (!s || !i || !c)
            return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
        r->cap = cap;
    }
    r->src[r->n_terms] = src;
    r->idx[r->n_terms] = idx;
    r->coeff[r->n_terms] = coeff;
    r->n_terms++;
    return 0;
}

static void rs_end_row(rowset *r)
{
    r->row++;
    r->start[r->row] = (uint32_t)r->n_terms;
}

/* Moves a finished rowset into a new affine layer with a new accumulator tensor. */
static int emit_affine(lowering *lw, int node, rowset *r, int onnx_out, uint32_t *out,
                       zkml_error *err)
{
    quant_model *m = lw->m;
    uint32_t t, lid;
    int rc = qm_add_tensor(m, QUANT_ACCUMULATOR, r->n_rows, r->scale, onnx_out, &t, err);
    if (rc || (rc = qm_add_layer(m, QUANT_LAYER_AFFINE, node, r->n_terms ? r->src[0] : 0, t,
                                 &lid, err))) {
        rs_free(r);
        return rc;
    }
    quant_layer *l = &m->layers[lid];
    l->row_start = r->start;
    l->term_src = r->src;
    l->term_idx = r->idx;
    l->term_coeff = r->coeff;
    l->bias = r->bias;
    memset(r, 0, sizeof *r);
    m->tensors[t].bound = qm_affine_bound(m, l, m->tensors[t].size);
    *out = t;
    return 0;
}

static int quantize_const(const lowering *lw, int node, double v, int scale, int64_t *q,
                          zkml_error *err)
{
    if (quant_quantize(v, scale, q) != 0) {
        const onnx_node *n = node_at(lw, node);
        return zkml_fail(err, ZKML_EINVAL,
                         "node '%s' (%s): constant %g does not fit 62 bits at scale %d",
                         n->name, n->op_type, v, scale);
    }
    return 0;
}

/* Accumulator -> activation (requant); activations pass through. */
static int materialize(lowering *lw, int node, uint32_t t, int relu, uint32_t *out,
                       zkml_error *err)
{
    quant_model *m = lw->m;
    const quant_settings *s = &m->settings;
    *out = t;
    if (m->tensors[t].kind == QUANT_ACTIVATION) {
        *out = t;
        return 0;
    }
    const quant_tensor *acc = &m->tensors[t];
    int shift = acc->scale - s->activation_scale;
    const onnx_node *n = node_at(lw, node);
    if (acc->bound >= 0x1p252)
        return zkml_fail(err, ZKML_EINVAL,
                         "node '%s' (%s): worst-case accumulator 2^%.1f could wrap around the "
                         "field (limit 2^252); lower the scales or bit widths",
                         n->name, n->op_type, log2(acc->bound));
    if (acc->bound >= 0x1p61 || shift + s->activation_bits > 61)
        return zkml_fail(err, ZKML_EINVAL,
                         "node '%s' (%s): worst-case accumulator 2^%.1f with a %d-bit rescale "
                         "exceeds the 61-bit fixed-point evaluator; lower the scales or bit widths",
                         n->name, n->op_type, log2(acc->bound + 1), shift + s->activation_bits);
    uint32_t a, lid;
    int rc = qm_add_tensor(m, QUANT_ACTIVATION, acc->size, s->activation_scale,
                           acc->onnx_tensor, &a, err);
    if (rc || (rc = qm_add_layer(m, QUANT_LAYER_REQUANT, node, t, a, &lid, err)))
        return rc;
    qm_set_activation_range(&m->tensors[a], s->activation_bits, 1);
    if (relu)
        m->tensors[a].lo = 0;
    m->layers[lid].shift = shift;
    m->layers[lid].relu = relu;
    *out = a;
    return 0;
}

/* The quant tensor holding ONNX tensor id, or an error if it is a constant. */
static int value_of(const lowering *lw, int node, int id, uint32_t *out, zkml_error *err)
{
    *out = 0;
    if (id < 0 || lw->map[id] == 0)
        return refuse(lw, node, err, "an input that must be computed is a constant or missing");
    *out = lw->map[id] - 1;
    return 0;
}

static int is_const(const lowering *lw, int id)
{
    return id >= 0 && lw->g->tensors[id].data != NULL;
}

/* Appends c * (row i of tensor t), shifted left by up bits. */
static int add_scaled_row(lowering *lw, int node, rowset *r, uint32_t t, uint32_t i, int64_t c,
                          int up, int64_t *bias, zkml_error *err)
{
    const quant_model *m = lw->m;
    double f = ldexp((double)c, up);
    if (fabs(f) >= 0x1p61)
        return refuse(lw, node, err, "a rescaled coefficient does not fit 61 bits");
    int64_t cf = (int64_t)f;
    if (m->tensors[t].kind == QUANT_ACTIVATION)
        return rs_term(r, t, i, cf, err);
    const quant_layer *l = &m->layers[m->tensors[t].def_layer];
    for (uint32_t k = l->row_start[i]; k < l->row_start[i + 1]; k++) {
        double p = (double)l->term_coeff[k] * (double)cf;
        if (fabs(p) >= 0x1p61)
            return refuse(lw, node, err, "a composed coefficient does not fit 61 bits");
        int rc = rs_term(r, l->term_src[k], l->term_idx[k], l->term_coeff[k] * cf, err);
        if (rc)
            return rc;
    }
    double b = (double)l->bias[i] * (double)cf;
    if (fabs(b) >= 0x1p61 || fabs((double)*bias + b) >= 0x1p61)
        return refuse(lw, node, err, "a composed bias does not fit 61 bits");
    *bias += l->bias[i] * cf;
    return 0;
}

/* Flat index in a broadcast operand of shape (rank, shape) for output index j. */
static uint32_t broadcast_index(const onnx_tensor *out, const onnx_tensor *op, uint32_t j)
{
    uint64_t idx = 0, stride = 1, rem = j;
    for (int d = out->rank - 1; d >= 0; d--) {
        uint64_t coord = rem % (uint64_t)out->shape[d];
        rem /= (uint64_t)out->shape[d];
        int od = d - (out->rank - op->rank);
        if (od >= 0) {
            if (op->shape[od] != 1)
                idx += coord * stride;
            stride *= (uint64_t)op->shape[od];
        }
    }
    return (uint32_t)idx;
}

static int max_int(int a, int b)
{
    return a > b ? a : b;
}

/* Add, Sub, Mul, Div with broadcasting; at most one side may be multiplied. */
static int lower_elementwise(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const onnx_model *g = lw->g;
    const quant_settings *s = &lw->m->settings;
    int ia = n->inputs[0], ib = n->inputs[1];
    int ca = is_const(lw, ia), cb = is_const(lw, ib);
    const onnx_tensor *out = &g->tensors[n->outputs[0]];
    if (ca && cb)
        return refuse(lw, node, err, "both inputs are constants (not folded)");
    int rc;
    rowset r;
    if (n->op == ONNX_OP_MUL || n->op == ONNX_OP_DIV) {
        if (ca == cb)
            return refuse(lw, node, err, "multiplying two computed tensors is not supported");
        if (n->op == ONNX_OP_DIV && ca)
            return refuse(lw, node, err, "dividing a constant by a computed tensor is not supported");
        int xv = ca ? ib : ia, kc = ca ? ia : ib;
        uint32_t x;
        if ((rc = value_of(lw, node, xv, &x, err)))
            return rc;
        const quant_tensor *qx = &lw->m->tensors[x];
        int up = max_int(0, s->activation_scale - (qx->scale + s->param_scale));
        if ((rc = rs_init(&r, (uint32_t)out->size, qx->scale + s->param_scale + up, err)))
            return rc;
        const onnx_tensor *k = &g->tensors[kc];
        for (uint32_t j = 0; j < out->size; j++) {
            double c = k->data[broadcast_index(out, k, j)];
            if (n->op == ONNX_OP_DIV) {
                if (c == 0) {
                    rs_free(&r);
                    return refuse(lw, node, err, "division by zero");
                }
                c = 1.0 / c;
            }
            int64_t q;
            if ((rc = quantize_const(lw, node, c, s->param_scale, &q, err)) ||
                (rc = add_scaled_row(lw, node, &r, x, broadcast_index(out, &g->tensors[xv], j),
                                     q, up, &r.bias[j], err))) {
                rs_free(&r);
                return rc;
            }
            rs_end_row(&r);
        }
    } else {
        int sign_b = n->op == ONNX_OP_SUB ? -1 : 1;
        uint32_t xa = 0, xb = 0;
        int scale = s->activation_scale;
        if ((!ca && (rc = value_of(lw, node, ia, &xa, err))) ||
            (!cb && (rc = value_of(lw, node, ib, &xb, err))))
            return rc;
        if (!ca)
            scale = max_int(scale, lw->m->tensors[xa].scale);
        if (!cb)
            scale = max_int(scale, lw->m->tensors[xb].scale);
        if ((rc = rs_init(&r, (uint32_t)out->size, scale, err)))
            return rc;
        for (uint32_t j = 0; j < out->size; j++) {
            for (int side = 0; side < 2; side++) {
                int id = side ? ib : ia, c = side ? cb : ca, sg = side ? sign_b : 1;
                uint32_t oi = broadcast_index(out, &g->tensors[id], j);
                uint32_t x = side ? xb : xa;
                int64_t q;
                if (c) {
                    rc = quantize_const(lw, node, sg * (double)g->tensors[id].data[oi], scale, &q,
                                        err);
                    if (!rc && fabs((double)r.bias[j] + (double)q) >= 0x1p61)
                        rc = refuse(lw, node, err, "a bias does not fit 61 bits");
                    if (!rc)
                        r.bias[j] += q;
                } else {
                    rc = add_scaled_row(lw, node, &r, x, oi, sg,
                                        scale - lw->m->tensors[x].scale, &r.bias[j], err);
                }
                if (rc) {
                    rs_free(&r);
                    return rc;
                }
            }
            rs_end_row(&r);
        }
    }
    uint32_t t;
    if ((rc = emit_affine(lw, node, &r, n->outputs[0], &t, err)))
        return rc;
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

/* Gemm with a computed A and constant B (and C). */
static int lower_gemm(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const onnx_model *g = lw->g;
    const quant_settings *s = &lw->m->settings;
    if (is_const(lw, n->inputs[0]) || !is_const(lw, n->inputs[1]))
        return refuse(lw, node, err, "only a computed A times a constant B is supported");
    if (n->n_inputs > 2 && n->inputs[2] >= 0 && !is_const(lw, n->inputs[2]))
        return refuse(lw, node, err, "a computed C is not supported");
    uint32_t a0, a;
    int rc;
    if ((rc = value_of(lw, node, n->inputs[0], &a0, err)) ||
        (rc = materialize(lw, node, a0, 0, &a, err)))
        return rc;
    const onnx_tensor *ta = &g->tensors[n->inputs[0]], *tb = &g->tensors[n->inputs[1]];
    const onnx_tensor *out = &g->tensors[n->outputs[0]];
    int trans_a = (int)onnx_attr_int(n, "transA", 0), trans_b = (int)onnx_attr_int(n, "transB", 0);
    double alpha = onnx_attr_float(n, "alpha", 1.0f), beta = onnx_attr_float(n, "beta", 1.0f);
    if (ta->rank != 2 || tb->rank != 2 || out->rank != 2)
        return refuse(lw, node, err, "Gemm needs 2-D A, B and Y");
    int64_t M = trans_a ? ta->shape[1] : ta->shape[0], K = trans_a ? ta->shape[0] : ta->shape[1];
    int64_t N = trans_b ? tb->shape[0] : tb->shape[1];
    const quant_tensor *qa = &lw->m->tensors[a];
    int cs = max_int(s->param_scale, s->activation_scale - qa->scale);
    rowset r;
    if ((rc = rs_init(&r, (uint32_t)(M * N), qa->scale + cs, err)))
        return rc;
    const onnx_tensor *tc = n->n_inputs > 2 && n->inputs[2] >= 0 ? &g->tensors[n->inputs[2]] : NULL;
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            for (int64_t k = 0; k < K; k++) {
                double w = alpha * tb->data[trans_b ? j * K + k : k * N + j];
                uint32_t ai = (uint32_t)(trans_a ? k * M + i : i * K + k);
                int64_t q;
                if ((rc = quantize_const(lw, node, w, cs, &q, err)) ||
                    (rc = rs_term(&r, a, ai, q, err))) {
                    rs_free(&r);
                    return rc;
                }
            }
            if (tc) {
                double b = beta * tc->data[broadcast_index(out, tc, (uint32_t)(i * N + j))];
                if ((rc = quantize_const(lw, node, b, r.scale, &r.bias[i * N + j], err))) {
                    rs_free(&r);
                    return rc;
                }
            }
            rs_end_row(&r);
        }
    }
    uint32_t t;
    if ((rc = emit_affine(lw, node, &r, n->outputs[0], &t, err)))
        return rc;
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

/* MatMul: computed [.., K] x constant [K, N], or constant [M, K] x computed [K, N]. */
static int lower_matmul(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const onnx_model *g = lw->g;
    const quant_settings *s = &lw->m->settings;
    int ca = is_const(lw, n->inputs[0]), cb = is_const(lw, n->inputs[1]);
    if (ca == cb)
        return refuse(lw, node, err, "exactly one input must be a constant");
    const onnx_tensor *ta = &g->tensors[n->inputs[0]], *tb = &g->tensors[n->inputs[1]];
    const onnx_tensor *out = &g->tensors[n->outputs[0]];
    const onnx_tensor *w = ca ? ta : tb;
    if (w->rank != 2 || (ca && tb->rank != 2))
        return refuse(lw, node, err, "the constant must be 2-D (and so must B when A is constant)");
    uint32_t x0, x;
    int rc;
    if ((rc = value_of(lw, node, n->inputs[ca ? 1 : 0], &x0, err)) ||
        (rc = materialize(lw, node, x0, 0, &x, err)))
        return rc;
    const quant_tensor *qx = &lw->m->tensors[x];
    int cs = max_int(s->param_scale, s->activation_scale - qx->scale);
    rowset r;
    if ((rc = rs_init(&r, (uint32_t)out->size, qx->scale + cs, err)))
        return rc;
    int64_t K = w->shape[ca ? 1 : 0], N = ca ? tb->shape[1] : w->shape[1];
    int64_t M = (int64_t)out->size / N;
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            for (int64_t k = 0; k < K && !rc; k++) {
                int64_t q;
                double c = ca ? w->data[i * K + k] : w->data[k * N + j];
                uint32_t xi = (uint32_t)(ca ? k * N + j : i * K + k);
                rc = quantize_const(lw, node, c, cs, &q, err);
                if (!rc)
                    rc = rs_term(&r, x, xi, q, err);
            }
            if (rc) {
                rs_free(&r);
                return rc;
            }
            rs_end_row(&r);
        }
    }
    uint32_t t;
    if ((rc = emit_affine(lw, node, &r, n->outputs[0], &t, err)))
        return rc;
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

/* Spatial geometry of Conv and the pools, 1-D treated as H = 1. */
typedef struct geometry {
    int64_t c, h, w, oc, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw;
} geometry;

static int read_geometry(const lowering *lw, int node, geometry *gm, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const onnx_tensor *x = &lw->g->tensors[n->inputs[0]], *y = &lw->g->tensors[n->outputs[0]];
    size_t nk, ns, nd, np;
    const int64_t *k = onnx_attr_ints(n, "kernel_shape", &nk);
    const int64_t *st = onnx_attr_ints(n, "strides", &ns);
    const int64_t *di = onnx_attr_ints(n, "dilations", &nd);
    const int64_t *pa = onnx_attr_ints(n, "pads", &np);
    int sp = x->rank - 2;
    if ((sp != 1 && sp != 2) || x->shape[0] != 1 || y->rank != x->rank || !k ||
        nk != (size_t)sp || ns != (size_t)sp || nd != (size_t)sp || np != (size_t)(2 * sp))
        return refuse(lw, node, err, "only 1-D or 2-D windows on a batch of 1 are supported");
    gm->c = x->shape[1];
    gm->oc = y->shape[1];
    gm->h = sp == 2 ? x->shape[2] : 1;
    gm->w = x->shape[sp + 1];
    gm->oh = sp == 2 ? y->shape[2] : 1;
    gm->ow = y->shape[sp + 1];
    gm->kh = sp == 2 ? k[0] : 1;
    gm->kw = k[sp - 1];
    gm->sh = sp == 2 ? st[0] : 1;
    gm->sw = st[sp - 1];
    gm->dh = sp == 2 ? di[0] : 1;
    gm->dw = di[sp - 1];
    gm->ph = sp == 2 ? pa[0] : 0;
    gm->pw = pa[sp - 1];
    return 0;
}

static int lower_conv(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const onnx_model *g = lw->g;
    const quant_settings *s = &lw->m->settings;
    if (!is_const(lw, n->inputs[1]) ||
        (n->n_inputs > 2 && n->inputs[2] >= 0 && !is_const(lw, n->inputs[2])))
        return refuse(lw, node, err, "weights and bias must be constants");
    geometry gm;
    uint32_t x0, x;
    int rc;
    if ((rc = read_geometry(lw, node, &gm, err)) ||
        (rc = value_of(lw, node, n->inputs[0], &x0, err)) ||
        (rc = materialize(lw, node, x0, 0, &x, err)))
        return rc;
    int64_t groups = onnx_attr_int(n, "group", 1);
    if (groups < 1 || gm.c % groups || gm.oc % groups)
        return refuse(lw, node, err, "channels are not divisible by group");
    const onnx_tensor *w = &g->tensors[n->inputs[1]];
    const onnx_tensor *b = n->n_inputs > 2 && n->inputs[2] >= 0 ? &g->tensors[n->inputs[2]] : NULL;
    int64_t cpg = gm.c / groups, opg = gm.oc / groups;
    const quant_tensor *qx = &lw->m->tensors[x];
    int cs = max_int(s->param_scale, s->activation_scale - qx->scale);
    rowset r;
    if ((rc = rs_init(&r, (uint32_t)(gm.oc * gm.oh * gm.ow), qx->scale + cs, err)))
        return rc;
    for (int64_t o = 0; o < gm.oc; o++) {
        int64_t grp = o / opg;
        for (int64_t oy = 0; oy < gm.oh; oy++) {
            for (int64_t ox = 0; ox < gm.ow; ox++) {
                for (int64_t ci = 0; ci < cpg && !rc; ci++) {
                    for (int64_t ky = 0; ky < gm.kh && !rc; ky++) {
                        int64_t iy = oy * gm.sh - gm.ph + ky * gm.dh;
                        for (int64_t kx = 0; kx < gm.kw && !rc; kx++) {
                            int64_t ix = ox * gm.sw - gm.pw + kx * gm.dw;
                            if (iy < 0 || iy >= gm.h || ix < 0 || ix >= gm.w)
                                continue;  /* zero padding */
                            int64_t q;
                            double c = w->data[((o * cpg + ci) * gm.kh + ky) * gm.kw + kx];
                            uint32_t xi = (uint32_t)(((grp * cpg + ci) * gm.h + iy) * gm.w + ix);
                            rc = quantize_const(lw, node, c, cs, &q, err);
                            if (!rc)
                                rc = rs_term(&r, x, xi, q, err);
                        }
                    }
                }
                uint32_t row = r.row;
                if (!rc && b)
                    rc = quantize_const(lw, node, b->data[o], r.scale, &r.bias[row], err);
                if (rc) {
                    rs_free(&r);
                    return rc;
                }
                rs_end_row(&r);
            }
        }
    }
    uint32_t t;
    if ((rc = emit_affine(lw, node, &r, n->outputs[0], &t, err)))
        return rc;
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

static int lower_maxpool(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    quant_model *m = lw->m;
    geometry gm;
    uint32_t x0, x;
    int rc;
    if (n->n_outputs > 1 && n->outputs[1] >= 0)
        return refuse(lw, node, err, "the Indices output is not supported");
    if ((rc = read_geometry(lw, node, &gm, err)) ||
        (rc = value_of(lw, node, n->inputs[0], &x0, err)) ||
        (rc = materialize(lw, node, x0, 0, &x, err)))
        return rc;
    uint32_t size = (uint32_t)(gm.oc * gm.oh * gm.ow), t, lid;
    uint32_t *start = calloc((size_t)size + 1, sizeof *start);
    uint32_t *idx = malloc(((size_t)size * (size_t)(gm.kh * gm.kw) + 1) * sizeof *idx);
    if (!start || !idx) {
        free(start);
        free(idx);
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    }
    uint32_t k = 0, j = 0;
    for (int64_t c = 0; c < gm.oc; c++)
        for (int64_t oy = 0; oy < gm.oh; oy++)
            for (int64_t ox = 0; ox < gm.ow; ox++) {
                for (int64_t ky = 0; ky < gm.kh; ky++)
                    for (int64_t kx = 0; kx < gm.kw; kx++) {
                        int64_t iy = oy * gm.sh - gm.ph + ky * gm.dh;
                        int64_t ix = ox * gm.sw - gm.pw + kx * gm.dw;
                        if (iy >= 0 && iy < gm.h && ix >= 0 && ix < gm.w)
                            idx[k++] = (uint32_t)((c * gm.h + iy) * gm.w + ix);
                    }
                start[++j] = k;
                if (start[j] == start[j - 1]) {
                    free(start);
                    free(idx);
                    return refuse(lw, node, err, "a window lies entirely in the padding");
                }
            }
    const quant_tensor src = m->tensors[x];
    if ((rc = qm_add_tensor(m, QUANT_ACTIVATION, size, src.scale, n->outputs[0], &t, err)) ||
        (rc = qm_add_layer(m, QUANT_LAYER_MAXPOOL, node, x, t, &lid, err))) {
        free(start);
        free(idx);
        return rc;
    }
    m->tensors[t].bits = src.bits;
    m->tensors[t].lo = src.lo;
    m->tensors[t].hi = src.hi;
    m->layers[lid].win_start = start;
    m->layers[lid].win_idx = idx;
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

static int lower_relu(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    quant_model *m = lw->m;
    uint32_t x0, t, lid;
    int rc = value_of(lw, node, n->inputs[0], &x0, err);
    if (rc)
        return rc;
    if (m->tensors[x0].kind == QUANT_ACCUMULATOR) {
        if ((rc = materialize(lw, node, x0, 1, &t, err)))
            return rc;
    } else {
        const quant_tensor src = m->tensors[x0];
        if ((rc = qm_add_tensor(m, QUANT_ACTIVATION, src.size, src.scale, n->outputs[0], &t, err)) ||
            (rc = qm_add_layer(m, QUANT_LAYER_RELU, node, x0, t, &lid, err)))
            return rc;
        m->tensors[t].bits = src.bits;
        m->tensors[t].lo = src.lo > 0 ? src.lo : 0;
        m->tensors[t].hi = src.hi > 0 ? src.hi : 0;
    }
    m->tensors[t].onnx_tensor = n->outputs[0];
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

static int lower_leaky_relu(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    quant_model *m = lw->m;
    const quant_settings *s = &m->settings;
    uint32_t x0, x, t, lid;
    int64_t alpha;
    double a = onnx_attr_float(n, "alpha", 0.01f);
    int rc;
    if (a < 0 || a > 1)
        return refuse(lw, node, err, "alpha outside [0, 1] is not supported");
    if ((rc = quantize_const(lw, node, a, s->param_scale, &alpha, err)) ||
        (rc = value_of(lw, node, n->inputs[0], &x0, err)) ||
        (rc = materialize(lw, node, x0, 0, &x, err)))
        return rc;
    const quant_tensor src = m->tensors[x];
    if (s->param_scale + src.bits > 61)
        return refuse(lw, node, err, "param_scale + activation bits exceed 61");
    if ((rc = qm_add_tensor(m, QUANT_ACTIVATION, src.size, src.scale, n->outputs[0], &t, err)) ||
        (rc = qm_add_layer(m, QUANT_LAYER_LEAKY_RELU, node, x, t, &lid, err)))
        return rc;
    qm_set_activation_range(&m->tensors[t], src.bits, 1);
    m->layers[lid].alpha = alpha;
    m->layers[lid].shift = s->param_scale;
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

static int lower_pwl(lowering *lw, int node, quant_pwl_fn fn, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    quant_model *m = lw->m;
    const quant_settings *s = &m->settings;
    uint32_t x0, x, t, lid;
    int rc;
    if ((rc = value_of(lw, node, n->inputs[0], &x0, err)) ||
        (rc = materialize(lw, node, x0, 0, &x, err)))
        return rc;
    int range = quant_pwl_range_log2(fn), scale = m->tensors[x].scale;
    int e = range + scale + 1 - QUANT_PWL_SEGMENTS_LOG2;
    if (e < 0)
        return refuse(lw, node, err, "the input scale is too small for the piecewise-linear table");
    if (e + s->activation_bits > 61 || range + scale > 60)
        return refuse(lw, node, err, "the piecewise-linear table exceeds 61 bits");
    size_t nk = ((size_t)1 << QUANT_PWL_SEGMENTS_LOG2) + 1;
    int64_t *knots = malloc(nk * sizeof *knots);
    if (!knots)
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    double half = ldexp(1.0, range);
    for (size_t i = 0; i < nk; i++) {
        double xi = -half + 2.0 * half * (double)i / (double)(nk - 1);
        if ((rc = quantize_const(lw, node, quant_pwl_exact(fn, xi), s->activation_scale,
                                 &knots[i], err))) {
            free(knots);
            return rc;
        }
    }
    if ((rc = qm_add_tensor(m, QUANT_ACTIVATION, m->tensors[x].size, s->activation_scale,
                            n->outputs[0], &t, err)) ||
        (rc = qm_add_layer(m, QUANT_LAYER_PWL, node, x, t, &lid, err))) {
        free(knots);
        return rc;
    }
    qm_set_activation_range(&m->tensors[t], s->activation_bits, 1);
    quant_layer *l = &m->layers[lid];
    l->fn = fn;
    l->knots = knots;
    l->pwl_shift = e;
    l->pwl_half = (int64_t)1 << (range + scale);
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

static int lower_alias(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    if (n->op == ONNX_OP_CAST) {
        int64_t to = onnx_attr_int(n, "to", 0);
        if (to != ONNX_DTYPE_FLOAT && to != ONNX_DTYPE_DOUBLE)
            return refuse(lw, node, err, "a Cast to a non-float type is not supported");
    }
    uint32_t x;
    int rc = value_of(lw, node, n->inputs[0], &x, err);
    if (rc)
        return rc;
    lw->map[n->outputs[0]] = x + 1;
    return 0;
}

static int is_graph_output(const onnx_model *g, int id)
{
    for (int i = 0; i < g->n_outputs; i++)
        if (g->outputs[i] == id)
            return 1;
    return 0;
}

static int lower_node(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    switch (n->op) {
    case ONNX_OP_GEMM:
        return lower_gemm(lw, node, err);
    case ONNX_OP_MATMUL:
        return lower_matmul(lw, node, err);
    case ONNX_OP_ADD:
    case ONNX_OP_SUB:
    case ONNX_OP_MUL:
    case ONNX_OP_DIV:
        return lower_elementwise(lw, node, err);
    case ONNX_OP_CONV:
        return lower_conv(lw, node, err);
    case ONNX_OP_MAX_POOL:
        return lower_maxpool(lw, node, err);
    case ONNX_OP_RELU:
        return lower_relu(lw, node, err);
    case ONNX_OP_LEAKY_RELU:
        return lower_leaky_relu(lw, node, err);
    case ONNX_OP_SIGMOID:
        return lower_pwl(lw, node, QUANT_PWL_SIGMOID, err);
    case ONNX_OP_TANH:
        return lower_pwl(lw, node, QUANT_PWL_TANH, err);
    case ONNX_OP_CAST:
    case ONNX_OP_IDENTITY:
    case ONNX_OP_DROPOUT:
    case ONNX_OP_FLATTEN:
    case ONNX_OP_RESHAPE:
    case ONNX_OP_SQUEEZE:
    case ONNX_OP_UNSQUEEZE:
        return lower_alias(lw, node, err);
    case ONNX_OP_SOFTMAX:
        if (!is_graph_output(lw->g, n->outputs[0]))
            return refuse(lw, node, err, "Softmax is supported only as the last node (applied "
                                         "outside the circuit to the proven logits)");
        lw->m->softmax_outside = 1;
        return lower_alias(lw, node, err);
    default:
        return refuse(lw, node, err, "not supported by the fixed-point compiler");
    }
}

static int add_input(lowering *lw, zkml_error *err)
{
    const onnx_model *g = lw->g;
    quant_model *m = lw->m;
    const quant_settings *s = &m->settings;
    if (g->n_inputs != 1 || g->n_outputs != 1)
        return zkml_fail(err, ZKML_EINVAL,
                         "model has %d inputs and %d outputs; the compiler supports one of each",
                         g->n_inputs, g->n_outputs);
    const onnx_tensor *in = &g->tensors[g->inputs[0]];
    if (in->size == 0 || in->size > (1u << 24))
        return zkml_fail(err, ZKML_EINVAL, "input '%s' has %zu elements", in->name, in->size);
    uint32_t t;
    int rc = qm_add_tensor(m, QUANT_ACTIVATION, (uint32_t)in->size, s->input_scale, g->inputs[0],
                           &t, err);
    if (rc)
        return rc;
    qm_set_activation_range(&m->tensors[t], s->input_bits, s->input_signed);
    m->input = t;
    lw->map[g->inputs[0]] = t + 1;
    return 0;
}

int quant_model_build(const onnx_model *graph, const quant_settings *s, quant_model *m,
                      zkml_error *err)
{
    memset(m, 0, sizeof *m);
    int rc = quant_settings_validate(s, err);
    if (rc)
        return rc;
    m->graph = graph;
    m->settings = *s;
    lowering lw = {m, graph, calloc((size_t)graph->n_tensors + 1, sizeof(uint32_t))};
    if (!lw.map)
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    rc = add_input(&lw, err);
    for (int i = 0; !rc && i < graph->n_nodes; i++)
        rc = lower_node(&lw, i, err);
    if (!rc) {
        int out = graph->outputs[0];
        const onnx_node *last = graph->n_nodes ? &graph->nodes[graph->n_nodes - 1] : NULL;
        uint32_t t;
        m->output_onnx = out;
        if (lw.map[out] == 0)
            rc = zkml_fail(err, ZKML_EINVAL, "output '%s' is a constant", graph->tensors[out].name);
        else
            rc = materialize(&lw, last ? graph->n_nodes - 1 : 0, lw.map[out] - 1, 0, &t, err);
        if (!rc)
            m->output = t;
    }
    free(lw.map);
    if (rc)
        quant_model_free(m);
    return rc;
}
