/*
 * lower.c - lowers a loaded ONNX graph to the quantized model (quant.h).
 *
 * Linear ops become affine layers whose rows are composed eagerly: an Add of
 * a bias after a MatMul extends the MatMul's rows instead of costing
 * anything. An activation is "materialized" (requant to activation_scale,
 * range checked) only where an op needs it: before a weighted linear op, a
 * non-linearity, or at the output. A BatchNormalization directly after a
 * Conv or Gemm is folded into that node's float weights; Transpose, Concat
 * and Pad of activations re-index wires (a gather layer); the pools and
 * reductions are window sums (quant.h documents the divisor's rounding).
 * Refusals name the node and op.
 */
#include "pipeline/quant/quant_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct lowering {
    quant_model *m;
    const onnx_model *g;
    uint32_t *map; /* ONNX tensor -> quant tensor + 1 (0: constant or not yet computed) */
    int *bn_of;    /* per node: the BatchNormalization folded into it, or -1 */
    int *uses;     /* per ONNX tensor: the nodes that read it, plus 1 for a graph output */
} lowering;

/* y = a * x + b per channel of a BatchNormalization, in double. */
typedef struct bn_fold {
    const onnx_tensor *scale, *shift, *mean, *var;
    double eps;
} bn_fold;

/* Affine rows under construction. */
typedef struct rowset {
    uint32_t n_rows, row;
    uint32_t *start;
    uint32_t *src, *idx;
    int64_t *coeff, *bias;
    uint32_t *param, *bias_param; /* hashed parameters (rs_with_params), else NULL */
    size_t n_terms, cap;
    int scale;
} rowset;

static const onnx_node *node_at(const lowering *lw, int node)
{
    return &lw->g->nodes[node];
}

static int is_const(const lowering *lw, int id);

/* The parameters of BatchNormalization node bn_node; 0 if one is not a constant. */
static int bn_fill(const lowering *lw, int bn_node, bn_fold *bn)
{
    const onnx_node *n = node_at(lw, bn_node);
    if (n->n_inputs < 5)
        return 0;
    for (int i = 1; i < 5; i++)
        if (!is_const(lw, n->inputs[i]))
            return 0;
    bn->scale = &lw->g->tensors[n->inputs[1]];
    bn->shift = &lw->g->tensors[n->inputs[2]];
    bn->mean = &lw->g->tensors[n->inputs[3]];
    bn->var = &lw->g->tensors[n->inputs[4]];
    bn->eps = onnx_attr_float(n, "epsilon", 1e-5f);
    return 1;
}

/* The BatchNormalization folded into node, if any. */
static int bn_for(const lowering *lw, int node, bn_fold *bn)
{
    return lw->bn_of[node] >= 0 && bn_fill(lw, lw->bn_of[node], bn);
}

static double bn_a(const bn_fold *bn, int64_t c)
{
    return (double)bn->scale->data[c] / sqrt((double)bn->var->data[c] + bn->eps);
}

static double bn_b(const bn_fold *bn, int64_t c)
{
    return (double)bn->shift->data[c] - (double)bn->mean->data[c] * bn_a(bn, c);
}

/* Maps node's output to quant tensor t, and the output of a
 * BatchNormalization folded into node too. */
static void map_output(lowering *lw, int node, uint32_t t)
{
    lw->map[node_at(lw, node)->outputs[0]] = t + 1;
    if (lw->bn_of[node] >= 0)
        lw->map[node_at(lw, lw->bn_of[node])->outputs[0]] = t + 1;
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
    free(r->param);
    free(r->bias_param);
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

/* Room for need terms; the arrays share one capacity, each growing from the
 * same cap to the same need (param only for rows with hashed parameters). */
static int rs_reserve(rowset *r, size_t need, zkml_error *err)
{
    size_t cap_src = r->cap, cap_idx = r->cap, cap_coeff = r->cap, cap_param = r->cap;
    if (zkml_array_grow((void **)&r->src, &cap_src, need, sizeof *r->src) ||
        zkml_array_grow((void **)&r->idx, &cap_idx, need, sizeof *r->idx) ||
        zkml_array_grow((void **)&r->coeff, &cap_coeff, need, sizeof *r->coeff) ||
        (r->bias_param && zkml_array_grow((void **)&r->param, &cap_param, need, sizeof *r->param)))
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    r->cap = cap_src;
    return 0;
}

/* Rows whose coefficients and biases are hashed parameters: every bias
 * starts as a constant (QUANT_NO_PARAM) until wt_end_row sets it. */
static int rs_with_params(rowset *r, zkml_error *err)
{
    r->bias_param = malloc((r->n_rows ? r->n_rows : 1) * sizeof *r->bias_param);
    if (!r->bias_param)
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    for (uint32_t j = 0; j < r->n_rows; j++)
        r->bias_param[j] = QUANT_NO_PARAM;
    return 0;
}

/* Appends a term; param is its parameter (rows with params), else QUANT_NO_PARAM. */
static int rs_push(rowset *r, uint32_t src, uint32_t idx, int64_t coeff, uint32_t param,
                   zkml_error *err)
{
    if (r->n_terms == UINT32_MAX) /* row starts are 32-bit */
        return zkml_fail(err, ZKML_EINVAL, "quantized model: more than %u terms", UINT32_MAX - 1);
    int rc = r->n_terms == r->cap ? rs_reserve(r, r->n_terms + 1, err) : 0;
    if (rc)
        return rc;
    r->src[r->n_terms] = src;
    r->idx[r->n_terms] = idx;
    r->coeff[r->n_terms] = coeff;
    if (r->bias_param)
        r->param[r->n_terms] = param;
    r->n_terms++;
    return 0;
}

static int rs_term(rowset *r, uint32_t src, uint32_t idx, int64_t coeff, zkml_error *err)
{
    return coeff == 0 ? 0 : rs_push(r, src, idx, coeff, QUANT_NO_PARAM, err);
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
    if (rc || (rc = qm_add_layer(m, QUANT_LAYER_AFFINE, node, r->n_terms ? r->src[0] : 0, t, &lid,
                                 err))) {
        rs_free(r);
        return rc;
    }
    quant_layer *l = &m->layers[lid];
    l->row_start = r->start;
    l->term_src = r->src;
    l->term_idx = r->idx;
    l->term_coeff = r->coeff;
    l->bias = r->bias;
    l->term_param = r->param;
    l->bias_param = r->bias_param;
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
                         "node '%s' (%s): constant %g does not fit 62 bits at scale %d", n->name,
                         n->op_type, v, scale);
    }
    return 0;
}

/* Accumulator -> activation (requant); activations pass through. */
static int materialize(lowering *lw, int node, uint32_t t, int relu, uint32_t *out, zkml_error *err)
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
    int bits = quant_settings_bits_for(
        s, acc->onnx_tensor >= 0 ? lw->g->tensors[acc->onnx_tensor].name : NULL);
    const onnx_node *n = node_at(lw, node);
    if (acc->bound >= 0x1p252)
        return zkml_fail(err, ZKML_EINVAL,
                         "node '%s' (%s): worst-case accumulator 2^%.1f could wrap around the "
                         "field (limit 2^252); lower the scales or bit widths",
                         n->name, n->op_type, log2(acc->bound));
    if (acc->bound >= 0x1p61 || shift + bits > 61)
        return zkml_fail(err, ZKML_EINVAL,
                         "node '%s' (%s): worst-case accumulator 2^%.1f with a %d-bit rescale "
                         "exceeds the 61-bit fixed-point evaluator; lower the scales or bit widths",
                         n->name, n->op_type, log2(acc->bound + 1), shift + bits);
    uint32_t a, lid;
    int rc = qm_add_tensor(m, QUANT_ACTIVATION, acc->size, s->activation_scale, acc->onnx_tensor,
                           &a, err);
    if (rc || (rc = qm_add_layer(m, QUANT_LAYER_REQUANT, node, t, a, &lid, err)))
        return rc;
    qm_set_activation_range(&m->tensors[a], bits, 1);
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
    if (l->bias_param) /* the circuit multiplies a parameter by an activation, once */
        return refuse(lw, node, err,
                      "param_visibility hashed: this node would combine the output of a node "
                      "with hashed parameters (Gemm, MatMul, Conv) with constants; only an "
                      "activation may follow such a node");
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
            return refuse(lw, node, err,
                          "dividing a constant by a computed tensor is not supported");
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
                (rc = add_scaled_row(lw, node, &r, x, broadcast_index(out, &g->tensors[xv], j), q,
                                     up, &r.bias[j], err))) {
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
                    rc = add_scaled_row(lw, node, &r, x, oi, sg, scale - lw->m->tensors[x].scale,
                                        &r.bias[j], err);
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

/* ---- constant weights times one computed tensor (Gemm, MatMul, Conv) ---- */

/* The rows of such a layer under construction: weights are quantized at scale
 * cs, chosen so that weight times x reaches at least the activation scale. */
typedef struct weighted {
    rowset r;
    uint32_t x;
    int cs;
    /* param_visibility hashed: the first parameter of the weights and of
     * the bias (QUANT_NO_PARAM when the node has none) */
    uint32_t first_w, first_b;
} weighted;

/* Rows of node, n_rows of them, over x; row_terms: the most terms a row can
 * have, reserved up front (calibration builds a model per candidate: growing a
 * convolution's millions of terms by doubling cost more than filling them).
 * With hashed parameters the weights (the ONNX tensor w_tensor, n_weights
 * values) and the bias (b_tensor, -1 when only a folded BatchNormalization
 * gives one; n_bias values, 0 for none) become parameter tensors. */
typedef struct wt_shape {
    uint32_t n_rows, n_weights, n_bias;
    int w_tensor, b_tensor;
    size_t row_terms;
} wt_shape;

static int wt_init(lowering *lw, int node, weighted *wt, uint32_t x, const wt_shape *sh,
                   zkml_error *err)
{
    quant_model *m = lw->m;
    const quant_settings *s = &m->settings;
    int x_scale = m->tensors[x].scale;
    wt->x = x;
    wt->cs = max_int(s->param_scale, s->activation_scale - x_scale);
    wt->first_w = wt->first_b = QUANT_NO_PARAM;
    size_t terms = (size_t)sh->n_rows * sh->row_terms; /* beyond 32 bits, rs_push names the limit */
    int hashed = s->param_visibility == QUANT_VIS_HASHED;
    int rc = rs_init(&wt->r, sh->n_rows, x_scale + wt->cs, err);
    if (rc)
        return rc;
    if ((hashed && (rc = rs_with_params(&wt->r, err))) ||
        (terms < UINT32_MAX && (rc = rs_reserve(&wt->r, terms, err))) ||
        (hashed && (rc = qm_param_tensor_add(m, node, sh->w_tensor, 0, sh->n_weights, wt->cs,
                                             &wt->first_w, err))) ||
        (hashed && sh->n_bias &&
         (rc = qm_param_tensor_add(m, node, sh->b_tensor, 1, sh->n_bias, wt->r.scale,
                                   &wt->first_b, err))))
        rs_free(&wt->r);
    return rc;
}

/* Adds weight c (element w of the weights) times element xi of x to the current row. */
/* Weight c (element w of the weight tensor) at the weights' scale, into q;
 * with hashed parameters also parameter w's value. */
static int wt_weight(lowering *lw, int node, weighted *wt, double c, uint32_t w, int64_t *q,
                     zkml_error *err)
{
    int rc = quantize_const(lw, node, c, wt->cs, q, err);
    return rc || wt->first_w == QUANT_NO_PARAM ? rc : qm_param_set(lw->m, wt->first_w + w, *q, err);
}

/* The term q * x[xi] of the current row, q weight w's value (wt_weight). */
static int wt_push(weighted *wt, int64_t q, uint32_t w, uint32_t xi, zkml_error *err)
{
    /* a zero weight is a term too when hashed: the circuit does not depend on the weights */
    return wt->first_w == QUANT_NO_PARAM ? rs_term(&wt->r, wt->x, xi, q, err)
                                         : rs_push(&wt->r, wt->x, xi, q, wt->first_w + w, err);
}

static int wt_term(lowering *lw, int node, weighted *wt, double c, uint32_t w, uint32_t xi,
                   zkml_error *err)
{
    int64_t q;
    int rc = wt_weight(lw, node, wt, c, w, &q, err);
    return rc ? rc : wt_push(wt, q, w, xi, err);
}

/* Ends the current row, adding bias b (element bi of the bias) when has_bias. */
static int wt_end_row(lowering *lw, int node, weighted *wt, int has_bias, double b, uint32_t bi,
                      zkml_error *err)
{
    int64_t *q = &wt->r.bias[wt->r.row];
    int rc = has_bias ? quantize_const(lw, node, b, wt->r.scale, q, err) : 0;
    if (!rc && has_bias && wt->first_b != QUANT_NO_PARAM) {
        wt->r.bias_param[wt->r.row] = wt->first_b + bi;
        rc = qm_param_set(lw->m, wt->first_b + bi, *q, err);
    }
    if (!rc)
        rs_end_row(&wt->r);
    return rc;
}

/* The finished rows become node's affine layer (emit_affine frees them on failure). */
static int wt_emit(lowering *lw, int node, weighted *wt, zkml_error *err)
{
    uint32_t t;
    int rc = emit_affine(lw, node, &wt->r, node_at(lw, node)->outputs[0], &t, err);
    if (!rc)
        map_output(lw, node, t);
    return rc;
}

/* Gemm with a computed A and constant B (and C). */
static int lower_gemm(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const onnx_model *g = lw->g;
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
    const onnx_tensor *tc = n->n_inputs > 2 && n->inputs[2] >= 0 ? &g->tensors[n->inputs[2]] : NULL;
    bn_fold bn;
    int folded = bn_for(lw, node, &bn);
    /* hashed parameters: one bias per column j, so one row of A */
    if (M != 1 && lw->m->settings.param_visibility == QUANT_VIS_HASHED)
        return refuse(lw, node, err, "param_visibility hashed needs one row of A");
    weighted wt;
    wt_shape sh = {(uint32_t)(M * N), (uint32_t)tb->size, tc || folded ? (uint32_t)N : 0,
                   n->inputs[1], tc ? n->inputs[2] : -1, (size_t)K};
    if ((rc = wt_init(lw, node, &wt, a, &sh, err)))
        return rc;
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            double fa = folded ? bn_a(&bn, j) : 1, fb = folded ? bn_b(&bn, j) : 0;
            for (int64_t k = 0; k < K; k++) {
                uint32_t wi = (uint32_t)(trans_b ? j * K + k : k * N + j);
                if ((rc = wt_term(lw, node, &wt, fa * alpha * tb->data[wi], wi,
                                  (uint32_t)(trans_a ? k * M + i : i * K + k), err)))
                    goto fail;
            }
            double c = tc ? beta * tc->data[broadcast_index(out, tc, (uint32_t)(i * N + j))] : 0;
            if ((rc = wt_end_row(lw, node, &wt, tc || folded, fa * c + fb, (uint32_t)j, err)))
                goto fail;
        }
    }
    return wt_emit(lw, node, &wt, err);
fail:
    rs_free(&wt.r);
    return rc;
}

/* MatMul: computed [.., K] x constant [K, N], or constant [M, K] x computed [K, N]. */
static int lower_matmul(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const onnx_model *g = lw->g;
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
    weighted wt;
    int64_t K = w->shape[ca ? 1 : 0], N = ca ? tb->shape[1] : w->shape[1];
    wt_shape sh = {(uint32_t)out->size, (uint32_t)w->size, 0, n->inputs[ca ? 0 : 1], -1, (size_t)K};
    if ((rc = wt_init(lw, node, &wt, x, &sh, err)))
        return rc;
    int64_t M = (int64_t)out->size / N;
    for (int64_t i = 0; i < M; i++) {
        for (int64_t j = 0; j < N; j++) {
            for (int64_t k = 0; k < K; k++) {
                uint32_t wi = (uint32_t)(ca ? i * K + k : k * N + j);
                if ((rc = wt_term(lw, node, &wt, w->data[wi], wi,
                                  (uint32_t)(ca ? k * N + j : i * K + k), err)))
                    goto fail;
            }
            if ((rc = wt_end_row(lw, node, &wt, 0, 0, 0, err)))
                goto fail;
        }
    }
    return wt_emit(lw, node, &wt, err);
fail:
    rs_free(&wt.r);
    return rc;
}

/* Spatial geometry of Conv and the pools, 1-D treated as H = 1. */
typedef struct geometry {
    int64_t c, h, w, oc, oh, ow, kh, kw, sh, sw, dh, dw, ph, pw, ph_end, pw_end;
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
    if ((sp != 1 && sp != 2) || x->shape[0] != 1 || y->rank != x->rank || !k || nk != (size_t)sp ||
        ns != (size_t)sp || nd != (size_t)sp || np != (size_t)(2 * sp))
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
    gm->ph_end = sp == 2 ? pa[2] : 0;
    gm->pw_end = pa[2 * sp - 1];
    return 0;
}

static int lower_conv(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const onnx_model *g = lw->g;
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
    bn_fold bn;
    int folded = bn_for(lw, node, &bn);
    int64_t cpg = gm.c / groups, opg = gm.oc / groups;
    if (w->size != (size_t)(gm.oc * cpg * gm.kh * gm.kw))
        return refuse(lw, node, err, "the weights' size does not match the kernel's shape");
    weighted wt;
    wt_shape sh = {(uint32_t)(gm.oc * gm.oh * gm.ow), (uint32_t)w->size,
                   b || folded ? (uint32_t)gm.oc : 0, n->inputs[1], b ? n->inputs[2] : -1,
                   (size_t)(cpg * gm.kh * gm.kw)};
    /* a channel's kernel, quantized once for all its output positions (each
     * quantization per term was a third of a CNN's calibration) */
    int64_t *kq = malloc(sh.row_terms ? sh.row_terms * sizeof *kq : 1);
    if (!kq)
        return zkml_fail(err, ZKML_ENOMEM, "node '%s': out of memory", n->name);
    if ((rc = wt_init(lw, node, &wt, x, &sh, err))) {
        free(kq);
        return rc;
    }
    for (int64_t o = 0; o < gm.oc; o++) {
        int64_t grp = o / opg;
        double fa = folded ? bn_a(&bn, o) : 1, fb = folded ? bn_b(&bn, o) : 0;
        for (uint32_t j = 0; j < sh.row_terms; j++) {
            uint32_t wi = (uint32_t)(o * (int64_t)sh.row_terms) + j;
            if ((rc = wt_weight(lw, node, &wt, fa * w->data[wi], wi, &kq[j], err)))
                goto fail;
        }
        for (int64_t oy = 0; oy < gm.oh; oy++) {
            for (int64_t ox = 0; ox < gm.ow; ox++) {
                for (int64_t ci = 0; ci < cpg; ci++) {
                    for (int64_t ky = 0; ky < gm.kh; ky++) {
                        int64_t iy = oy * gm.sh - gm.ph + ky * gm.dh;
                        for (int64_t kx = 0; kx < gm.kw; kx++) {
                            int64_t ix = ox * gm.sw - gm.pw + kx * gm.dw;
                            if (iy < 0 || iy >= gm.h || ix < 0 || ix >= gm.w)
                                continue; /* zero padding */
                            uint32_t j = (uint32_t)((ci * gm.kh + ky) * gm.kw + kx);
                            uint32_t xi = (uint32_t)(((grp * cpg + ci) * gm.h + iy) * gm.w + ix);
                            if ((rc = wt_push(&wt, kq[j], (uint32_t)(o * (int64_t)sh.row_terms) + j,
                                              xi, err)))
                                goto fail;
                        }
                    }
                }
                if ((rc = wt_end_row(lw, node, &wt, b || folded, fa * (b ? b->data[o] : 0) + fb,
                                     (uint32_t)o, err)))
                    goto fail;
            }
        }
    }
    free(kq);
    return wt_emit(lw, node, &wt, err);
fail:
    free(kq);
    rs_free(&wt.r);
    return rc;
}

/* Whether the MaxPool node's input x is the output of the last layer, a
 * requant, computed for that very ONNX tensor (not reached through an alias,
 * which others may read), and nothing but this node reads it. */
static int fusable(const lowering *lw, int node, uint32_t x)
{
    const quant_model *m = lw->m;
    int in = node_at(lw, node)->inputs[0];
    uint32_t d = m->tensors[x].def_layer;
    return d != UINT32_MAX && d + 1 == m->n_layers && m->layers[d].kind == QUANT_LAYER_REQUANT &&
           m->tensors[x].onnx_tensor == in && lw->uses[in] == 1;
}

/* Turns the requant that computes x into a requant-maxpool over windows
 * (start, idx) of its accumulator (quant.h); takes start and idx. */
static int fuse_requant(lowering *lw, int node, uint32_t x, uint32_t size, uint32_t *start,
                        uint32_t *idx, zkml_error *err)
{
    quant_model *m = lw->m;
    quant_layer *l = &m->layers[m->tensors[x].def_layer];
    uint8_t *seen = calloc(m->tensors[l->in].size + 1, 1);
    if (!seen) {
        free(start);
        free(idx);
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    }
    l->kind = QUANT_LAYER_REQUANT_MAXPOOL;
    l->node = node;
    l->win_start = start;
    l->win_idx = idx;
    for (uint32_t k = 0; k < start[size]; k++)
        if (!seen[idx[k]]++)
            l->n_covered++;
    free(seen);
    m->tensors[x].size = size;
    m->tensors[x].onnx_tensor = node_at(lw, node)->outputs[0];
    lw->map[node_at(lw, node)->outputs[0]] = x + 1;
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
    if (fusable(lw, node, x))
        return fuse_requant(lw, node, x, size, start, idx, err);
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
        if ((rc =
                 qm_add_tensor(m, QUANT_ACTIVATION, src.size, src.scale, n->outputs[0], &t, err)) ||
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
        if ((rc = quantize_const(lw, node, quant_pwl_exact(fn, xi), s->activation_scale, &knots[i],
                                 err))) {
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

/* LeakyRelu (one alpha) and PRelu (a constant slope broadcast to x): one
 * slope per element, each in [-1, 1] so |y| <= |x| up to one step. */
static int lower_slopes(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    quant_model *m = lw->m;
    const quant_settings *s = &m->settings;
    const onnx_tensor *slope = NULL, *out = &lw->g->tensors[n->outputs[0]];
    uint32_t x0, x, t, lid;
    int rc;
    if (n->op == ONNX_OP_PRELU) {
        if (n->n_inputs < 2 || !is_const(lw, n->inputs[1]))
            return refuse(lw, node, err, "the slope must be a constant");
        slope = &lw->g->tensors[n->inputs[1]];
    }
    double alpha = onnx_attr_float(n, "alpha", 0.01f);
    if ((rc = value_of(lw, node, n->inputs[0], &x0, err)) ||
        (rc = materialize(lw, node, x0, 0, &x, err)))
        return rc;
    const quant_tensor src = m->tensors[x];
    if (s->param_scale + src.bits > 61)
        return refuse(lw, node, err, "param_scale + activation bits exceed 61");
    if (out->size != src.size)
        return refuse(lw, node, err, "a slope that broadcasts the input is not supported");
    int64_t *alphas = malloc(((size_t)src.size + 1) * sizeof *alphas);
    if (!alphas)
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    for (uint32_t j = 0; !rc && j < src.size; j++) {
        double a = slope ? slope->data[broadcast_index(out, slope, j)] : alpha;
        if (!(a >= -1 && a <= 1))
            rc = refuse(lw, node, err, "a slope outside [-1, 1] is not supported");
        else
            rc = quantize_const(lw, node, a, s->param_scale, &alphas[j], err);
    }
    if (rc ||
        (rc = qm_add_tensor(m, QUANT_ACTIVATION, src.size, src.scale, n->outputs[0], &t, err)) ||
        (rc = qm_add_layer(m, QUANT_LAYER_LEAKY_RELU, node, x, t, &lid, err))) {
        free(alphas);
        return rc;
    }
    qm_set_activation_range(&m->tensors[t], src.bits, 1);
    m->layers[lid].alphas = alphas;
    m->layers[lid].shift = s->param_scale;
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

static int64_t clamp_i64(int64_t v, int has_lo, int64_t lo, int has_hi, int64_t hi)
{
    if (has_lo && v < lo)
        v = lo;
    if (has_hi && v > hi)
        v = hi;
    return v;
}

/* Clip: bounds rounded to the input's scale; a bound outside the input's
 * range is dropped (with both dropped the node only renames). */
static int lower_clip(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    quant_model *m = lw->m;
    double lo = onnx_attr_float(n, "min", -INFINITY), hi = onnx_attr_float(n, "max", INFINITY);
    uint32_t x0, x, t, lid;
    int rc;
    if (isnan(lo) || isnan(hi) || lo > hi)
        return refuse(lw, node, err, "min must not exceed max");
    if ((rc = value_of(lw, node, n->inputs[0], &x0, err)) ||
        (rc = materialize(lw, node, x0, 0, &x, err)))
        return rc;
    const quant_tensor src = m->tensors[x];
    double lq = ldexp(lo, src.scale), hq = ldexp(hi, src.scale);
    if (lq >= 0x1p61 || hq <= -0x1p61)
        return refuse(lw, node, err, "a bound is beyond the 61-bit fixed-point range");
    int has_lo = lq > (double)src.lo, has_hi = hq < (double)src.hi;
    if (!has_lo && !has_hi) {
        lw->map[n->outputs[0]] = x + 1;
        return 0;
    }
    int64_t ql = has_lo ? llround(lq) : 0, qh = has_hi ? llround(hq) : 0;
    if ((rc = qm_add_tensor(m, QUANT_ACTIVATION, src.size, src.scale, n->outputs[0], &t, err)) ||
        (rc = qm_add_layer(m, QUANT_LAYER_CLIP, node, x, t, &lid, err)))
        return rc;
    quant_tensor *to = &m->tensors[t];
    to->bits = src.bits;
    to->lo = clamp_i64(src.lo, has_lo, ql, has_hi, qh);
    to->hi = clamp_i64(src.hi, has_lo, ql, has_hi, qh);
    quant_layer *l = &m->layers[lid];
    l->has_lo = has_lo;
    l->has_hi = has_hi;
    l->clip_lo = ql;
    l->clip_hi = qh;
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

/* A BatchNormalization not folded into its producer: a per-channel affine
 * layer y = a * x + b (channel = dimension 1), composed into x's rows when x
 * is an accumulator. */
static int lower_batchnorm(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const quant_settings *s = &lw->m->settings;
    if (lw->map[n->outputs[0]])
        return 0; /* folded into its Conv or Gemm */
    bn_fold bn;
    if (!bn_fill(lw, node, &bn))
        return refuse(lw, node, err, "scale, bias, mean and variance must be constants");
    const onnx_tensor *xt = &lw->g->tensors[n->inputs[0]];
    uint32_t x;
    int rc = value_of(lw, node, n->inputs[0], &x, err);
    if (rc)
        return rc;
    if (xt->rank < 2 || xt->shape[1] < 1)
        return refuse(lw, node, err, "the input needs a channel dimension");
    const quant_tensor *qx = &lw->m->tensors[x];
    int up = max_int(0, s->activation_scale - (qx->scale + s->param_scale));
    uint64_t inner = xt->size / (uint64_t)(xt->shape[0] * xt->shape[1]);
    rowset r;
    if ((rc = rs_init(&r, qx->size, qx->scale + s->param_scale + up, err)))
        return rc;
    for (uint32_t j = 0; j < qx->size && !rc; j++) {
        int64_t c = (int64_t)((j / inner) % (uint64_t)xt->shape[1]), qa, qb;
        if (!(rc = quantize_const(lw, node, bn_a(&bn, c), s->param_scale, &qa, err)) &&
            !(rc = add_scaled_row(lw, node, &r, x, j, qa, up, &r.bias[j], err)) &&
            !(rc = quantize_const(lw, node, bn_b(&bn, c), r.scale, &qb, err))) {
            if (fabs((double)r.bias[j] + (double)qb) >= 0x1p61)
                rc = refuse(lw, node, err, "a bias does not fit 61 bits");
            else
                r.bias[j] += qb;
        }
        rs_end_row(&r);
    }
    uint32_t t;
    if (rc || (rc = emit_affine(lw, node, &r, n->outputs[0], &t, err))) {
        rs_free(&r);
        return rc;
    }
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

static void unravel_index(uint64_t i, const onnx_tensor *t, int64_t *c)
{
    for (int d = t->rank - 1; d >= 0; d--) {
        c[d] = (int64_t)(i % (uint64_t)t->shape[d]);
        i /= (uint64_t)t->shape[d];
    }
}

static uint32_t ravel_index(const int64_t *c, const onnx_tensor *t)
{
    uint64_t i = 0;
    for (int d = 0; d < t->rank; d++)
        i = i * (uint64_t)t->shape[d] + (uint64_t)c[d];
    return (uint32_t)i;
}

/* Transpose, Concat, Pad: output element j is element idx[j] of ONNX tensor
 * src[j] (-1: the pad value). Computed activations of one scale (and a zero
 * pad) become a gather that reuses their wires; anything else (accumulators,
 * constants, mixed scales) an affine layer copying rows at the largest scale. */
static int lower_reindex(lowering *lw, int node, const int *src, const uint32_t *idx, double pad,
                         zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    quant_model *m = lw->m;
    const onnx_tensor *out = &lw->g->tensors[n->outputs[0]];
    uint32_t size = (uint32_t)out->size, q, t, lid;
    int gather = pad == 0, scale = -1, top = m->settings.activation_scale, computed = 0, rc;
    for (int i = 0; i < n->n_inputs; i++) {
        int id = n->inputs[i];
        if (id < 0)
            continue;
        if (is_const(lw, id)) {
            gather = 0;
            continue;
        }
        if ((rc = value_of(lw, node, id, &q, err)))
            return rc;
        const quant_tensor *qt = &m->tensors[q];
        gather &= qt->kind == QUANT_ACTIVATION && (scale < 0 || scale == qt->scale);
        scale = qt->scale;
        top = max_int(top, qt->scale);
        computed = 1;
    }
    if (!computed)
        return refuse(lw, node, err, "every input is a constant (not folded)");
    if (gather) {
        uint32_t *gs = malloc(((size_t)size + 1) * sizeof *gs);
        uint32_t *gi = malloc(((size_t)size + 1) * sizeof *gi);
        int64_t lo = INT64_MAX, hi = INT64_MIN;
        int bits = 1;
        if (!gs || !gi) {
            free(gs);
            free(gi);
            return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
        }
        for (uint32_t j = 0; j < size; j++) {
            const quant_tensor *st = src[j] < 0 ? NULL : &m->tensors[lw->map[src[j]] - 1];
            gs[j] = st ? lw->map[src[j]] - 1 : QUANT_GATHER_ZERO;
            gi[j] = st ? idx[j] : 0;
            lo = st ? (st->lo < lo ? st->lo : lo) : (lo < 0 ? lo : 0);
            hi = st ? (st->hi > hi ? st->hi : hi) : (hi > 0 ? hi : 0);
            bits = st && st->bits > bits ? st->bits : bits;
        }
        while (bits < 62 && (uint64_t)(hi - lo) >= ((uint64_t)1 << bits))
            bits++;
        if ((rc = qm_add_tensor(m, QUANT_ACTIVATION, size, scale, n->outputs[0], &t, err)) ||
            (rc = qm_add_layer(m, QUANT_LAYER_GATHER, node, gs[0] == QUANT_GATHER_ZERO ? q : gs[0],
                               t, &lid, err))) {
            free(gs);
            free(gi);
            return rc;
        }
        m->tensors[t].bits = bits;
        m->tensors[t].lo = lo;
        m->tensors[t].hi = hi;
        m->layers[lid].term_src = gs;
        m->layers[lid].term_idx = gi;
        lw->map[n->outputs[0]] = t + 1;
        return 0;
    }
    rowset r;
    if ((rc = rs_init(&r, size, top, err)))
        return rc;
    for (uint32_t j = 0; j < size && !rc; j++) {
        if (src[j] < 0 || is_const(lw, src[j])) {
            double v = src[j] < 0 ? pad : lw->g->tensors[src[j]].data[idx[j]];
            rc = quantize_const(lw, node, v, top, &r.bias[j], err);
        } else {
            q = lw->map[src[j]] - 1;
            rc = add_scaled_row(lw, node, &r, q, idx[j], 1, top - m->tensors[q].scale, &r.bias[j],
                                err);
        }
        rs_end_row(&r);
    }
    if (rc || (rc = emit_affine(lw, node, &r, n->outputs[0], &t, err))) {
        rs_free(&r);
        return rc;
    }
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

/* Transpose, Concat and Pad as index maps for lower_reindex. */
static int lower_permute(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const onnx_model *g = lw->g;
    const onnx_tensor *out = &g->tensors[n->outputs[0]], *x = &g->tensors[n->inputs[0]];
    int *src = malloc((out->size + 1) * sizeof *src);
    uint32_t *idx = malloc((out->size + 1) * sizeof *idx);
    int64_t oc[ONNX_MAX_RANK], ic[ONNX_MAX_RANK];
    double pad = 0;
    int rc = 0;
    if (!src || !idx) {
        free(src);
        free(idx);
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    }
    if (n->op == ONNX_OP_TRANSPOSE) {
        size_t np;
        const int64_t *perm = onnx_attr_ints(n, "perm", &np);
        if (!perm || np != (size_t)x->rank)
            rc = refuse(lw, node, err, "perm does not match the input's rank");
        for (size_t j = 0; !rc && j < out->size; j++) {
            unravel_index(j, out, oc);
            for (int d = 0; d < x->rank; d++)
                ic[perm[d]] = oc[d];
            src[j] = n->inputs[0];
            idx[j] = ravel_index(ic, x);
        }
    } else if (n->op == ONNX_OP_CONCAT) {
        int64_t axis = onnx_attr_int(n, "axis", 0);
        size_t outer = 1, pos = 0;
        for (int64_t d = 0; d < axis && d < out->rank; d++)
            outer *= (size_t)out->shape[d];
        for (size_t o = 0; o < outer; o++)
            for (int k = 0; k < n->n_inputs; k++) {
                size_t chunk = g->tensors[n->inputs[k]].size / outer;
                for (size_t e = 0; e < chunk && pos < out->size; e++, pos++) {
                    src[pos] = n->inputs[k];
                    idx[pos] = (uint32_t)(o * chunk + e);
                }
            }
        if (pos != out->size)
            rc = refuse(lw, node, err, "input sizes do not add up to the output");
    } else {
        size_t np;
        const int64_t *pads = onnx_attr_ints(n, "pads", &np);
        const char *mode = onnx_attr_string(n, "mode", "constant");
        pad = onnx_attr_float(n, "value", 0);
        if (!pads || np != (size_t)(2 * x->rank))
            rc = refuse(lw, node, err, "pads do not match the input's rank");
        for (size_t j = 0; !rc && j < out->size; j++) {
            unravel_index(j, out, oc);
            src[j] = n->inputs[0];
            for (int d = 0; d < x->rank; d++) {
                int64_t c = oc[d] - pads[d], len = x->shape[d];
                if (c < 0 || c >= len) {
                    if (mode[0] == 'e')
                        c = c < 0 ? 0 : len - 1;
                    else if (mode[0] == 'r')
                        c = c < 0 ? -c : 2 * (len - 1) - c;
                    else
                        src[j] = -1;
                }
                ic[d] = c;
                if (src[j] >= 0 && (c < 0 || c >= len))
                    rc = refuse(lw, node, err, "a reflected index leaves the input");
            }
            idx[j] = src[j] < 0 ? 0 : ravel_index(ic, x);
        }
    }
    if (!rc)
        rc = lower_reindex(lw, node, src, idx, pad, err);
    free(src);
    free(idx);
    return rc;
}

/* Windows of x summed into affine rows: row j sums x[idx[start[j] ..
 * start[j+1]-1]]; with count, row j is a mean of count[j] elements, the
 * divisor folded into the coefficient (see quant.h for e and the rounding). */
typedef struct windows {
    uint32_t rows, *start, *idx, *count;
} windows;

static void windows_free(windows *w)
{
    free(w->start);
    free(w->idx);
    free(w->count);
}

static int windows_alloc(windows *w, uint32_t rows, size_t terms, zkml_error *err)
{
    w->rows = rows;
    w->start = calloc((size_t)rows + 1, sizeof *w->start);
    w->idx = malloc((terms + 1) * sizeof *w->idx);
    w->count = calloc((size_t)rows + 1, sizeof *w->count);
    if (!w->start || !w->idx || !w->count) {
        windows_free(w);
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    }
    return 0;
}

static int lower_window_sums(lowering *lw, int node, const windows *w, int mean, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const quant_settings *s = &lw->m->settings;
    uint32_t x, t, nmax = 1;
    int same = 1, lg = 0, e = 0;
    int rc = value_of(lw, node, n->inputs[0], &x, err);
    if (rc)
        return rc;
    for (uint32_t j = 0; j < w->rows; j++) {
        if (w->count[j] == 0)
            return refuse(lw, node, err, "a window lies entirely in the padding");
        nmax = w->count[j] > nmax ? w->count[j] : nmax;
        same &= w->count[j] == w->count[0];
    }
    while (((uint32_t)1 << lg) < nmax)
        lg++;
    if (mean)
        e = same && ((uint32_t)1 << lg) == nmax ? lg : s->param_scale + lg;
    const quant_tensor *qx = &lw->m->tensors[x];
    int up = max_int(0, s->activation_scale - (qx->scale + e));
    rowset r;
    if ((rc = rs_init(&r, w->rows, qx->scale + e + up, err)))
        return rc;
    for (uint32_t j = 0; j < w->rows && !rc; j++) {
        int64_t c = mean ? llround(ldexp(1.0, e) / (double)w->count[j]) : 1;
        for (uint32_t k = w->start[j]; k < w->start[j + 1] && !rc; k++)
            rc = add_scaled_row(lw, node, &r, x, w->idx[k], c, up, &r.bias[j], err);
        rs_end_row(&r);
    }
    if (rc || (rc = emit_affine(lw, node, &r, n->outputs[0], &t, err))) {
        rs_free(&r);
        return rc;
    }
    lw->map[n->outputs[0]] = t + 1;
    return 0;
}

/* AveragePool (count_include_pad as the float evaluator counts it). */
static int average_pool_windows(lowering *lw, int node, windows *w, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    geometry gm;
    int rc = read_geometry(lw, node, &gm, err);
    int include_pad = onnx_attr_int(n, "count_include_pad", 0) != 0;
    if (rc || (rc = windows_alloc(w, (uint32_t)(gm.oc * gm.oh * gm.ow),
                                  (size_t)(gm.oc * gm.oh * gm.ow * gm.kh * gm.kw), err)))
        return rc;
    uint32_t k = 0, j = 0;
    for (int64_t c = 0; c < gm.oc; c++)
        for (int64_t oy = 0; oy < gm.oh; oy++)
            for (int64_t ox = 0; ox < gm.ow; ox++, j++) {
                for (int64_t ky = 0; ky < gm.kh; ky++)
                    for (int64_t kx = 0; kx < gm.kw; kx++) {
                        int64_t iy = oy * gm.sh - gm.ph + ky * gm.dh;
                        int64_t ix = ox * gm.sw - gm.pw + kx * gm.dw;
                        int inside = iy >= 0 && iy < gm.h && ix >= 0 && ix < gm.w;
                        int in_pad = iy >= -gm.ph && iy < gm.h + gm.ph_end && ix >= -gm.pw &&
                                     ix < gm.w + gm.pw_end;
                        if (include_pad ? in_pad : inside)
                            w->count[j]++;
                        if (inside)
                            w->idx[k++] = (uint32_t)((c * gm.h + iy) * gm.w + ix);
                    }
                w->start[j + 1] = k;
            }
    return 0;
}

/* GlobalAveragePool, ReduceMean, ReduceSum: output element j gathers the
 * input elements whose index, with the reduced dimensions set to 0, is j. */
static int reduce_windows(lowering *lw, int node, windows *w, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const onnx_tensor *x = &lw->g->tensors[n->inputs[0]], *out = &lw->g->tensors[n->outputs[0]];
    int reduced[ONNX_MAX_RANK] = {0};
    if (n->op == ONNX_OP_GLOBAL_AVERAGE_POOL) {
        for (int d = 2; d < x->rank; d++)
            reduced[d] = 1;
    } else {
        size_t na;
        const int64_t *axes = onnx_attr_ints(n, "axes", &na);
        for (size_t i = 0; i < na; i++)
            if (axes[i] >= 0 && axes[i] < x->rank)
                reduced[axes[i]] = 1;
    }
    onnx_tensor kept = {.rank = x->rank};
    for (int d = 0; d < x->rank; d++)
        kept.shape[d] = reduced[d] ? 1 : x->shape[d];
    int rc = windows_alloc(w, (uint32_t)out->size, x->size, err);
    if (rc)
        return rc;
    uint32_t *pos = calloc(out->size + 1, sizeof *pos);
    if (!pos) {
        windows_free(w);
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    }
    int64_t c[ONNX_MAX_RANK];
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < x->size; i++) {
            unravel_index(i, x, c);
            for (int d = 0; d < x->rank; d++)
                c[d] = reduced[d] ? 0 : c[d];
            uint32_t j = ravel_index(c, &kept);
            if (pass == 0)
                w->count[j]++;
            else
                w->idx[w->start[j] + pos[j]++] = (uint32_t)i;
            if (pass == 0 && i + 1 == x->size)
                for (uint32_t r = 0; r < w->rows; r++)
                    w->start[r + 1] = w->start[r] + w->count[r];
        }
    free(pos);
    return 0;
}

static int lower_pool_or_reduce(lowering *lw, int node, zkml_error *err)
{
    const onnx_node *n = node_at(lw, node);
    const onnx_tensor *x = &lw->g->tensors[n->inputs[0]], *out = &lw->g->tensors[n->outputs[0]];
    windows w;
    int rc;
    if (n->op != ONNX_OP_AVERAGE_POOL && out->size == x->size)
        return lower_alias(lw, node, err); /* nothing reduced */
    rc = n->op == ONNX_OP_AVERAGE_POOL ? average_pool_windows(lw, node, &w, err)
                                       : reduce_windows(lw, node, &w, err);
    if (rc)
        return rc;
    rc = lower_window_sums(lw, node, &w, n->op != ONNX_OP_REDUCE_SUM, err);
    windows_free(&w);
    return rc;
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
    case ONNX_OP_GEMM: return lower_gemm(lw, node, err);
    case ONNX_OP_MATMUL: return lower_matmul(lw, node, err);
    case ONNX_OP_ADD:
    case ONNX_OP_SUB:
    case ONNX_OP_MUL:
    case ONNX_OP_DIV: return lower_elementwise(lw, node, err);
    case ONNX_OP_CONV: return lower_conv(lw, node, err);
    case ONNX_OP_MAX_POOL: return lower_maxpool(lw, node, err);
    case ONNX_OP_RELU: return lower_relu(lw, node, err);
    case ONNX_OP_LEAKY_RELU:
    case ONNX_OP_PRELU: return lower_slopes(lw, node, err);
    case ONNX_OP_CLIP: return lower_clip(lw, node, err);
    case ONNX_OP_BATCH_NORMALIZATION: return lower_batchnorm(lw, node, err);
    case ONNX_OP_TRANSPOSE:
    case ONNX_OP_CONCAT:
    case ONNX_OP_PAD: return lower_permute(lw, node, err);
    case ONNX_OP_AVERAGE_POOL:
    case ONNX_OP_GLOBAL_AVERAGE_POOL:
    case ONNX_OP_REDUCE_MEAN:
    case ONNX_OP_REDUCE_SUM: return lower_pool_or_reduce(lw, node, err);
    case ONNX_OP_SIGMOID: return lower_pwl(lw, node, QUANT_PWL_SIGMOID, err);
    case ONNX_OP_TANH: return lower_pwl(lw, node, QUANT_PWL_TANH, err);
    case ONNX_OP_CAST:
    case ONNX_OP_IDENTITY:
    case ONNX_OP_DROPOUT:
    case ONNX_OP_FLATTEN:
    case ONNX_OP_RESHAPE:
    case ONNX_OP_SQUEEZE:
    case ONNX_OP_UNSQUEEZE: return lower_alias(lw, node, err);
    case ONNX_OP_SOFTMAX:
        if (!is_graph_output(lw->g, n->outputs[0]))
            return refuse(lw, node, err,
                          "Softmax is supported only as the last node (applied "
                          "outside the circuit to the proven logits)");
        lw->m->softmax_outside = 1;
        return lower_alias(lw, node, err);
    default: return refuse(lw, node, err, "not supported by the fixed-point compiler");
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

/* Counts each tensor's readers (lw->uses). A BatchNormalization with
 * constant parameters whose input is the output of a Conv or Gemm that
 * nothing else uses folds into that node's weights. */
static void find_bn_folds(lowering *lw)
{
    const onnx_model *g = lw->g;
    int *uses = lw->uses;
    for (int i = 0; i < g->n_nodes; i++) {
        lw->bn_of[i] = -1;
        for (int k = 0; k < g->nodes[i].n_inputs; k++)
            if (g->nodes[i].inputs[k] >= 0)
                uses[g->nodes[i].inputs[k]]++;
    }
    for (int i = 0; i < g->n_outputs; i++)
        uses[g->outputs[i]]++;
    for (int i = 0; i < g->n_nodes; i++) {
        const onnx_node *n = &g->nodes[i];
        bn_fold bn;
        if (n->op != ONNX_OP_BATCH_NORMALIZATION || !bn_fill(lw, i, &bn))
            continue;
        const onnx_tensor *x = &g->tensors[n->inputs[0]];
        int p = x->producer;
        if (p < 0 || uses[n->inputs[0]] != 1 || x->rank < 2 ||
            bn.scale->size != (size_t)x->shape[1] || bn.shift->size != bn.scale->size ||
            bn.mean->size != bn.scale->size || bn.var->size != bn.scale->size)
            continue;
        if (g->nodes[p].op == ONNX_OP_CONV || (g->nodes[p].op == ONNX_OP_GEMM && x->rank == 2))
            lw->bn_of[p] = i;
    }
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
    lowering lw = {m, graph, calloc((size_t)graph->n_tensors + 1, sizeof(uint32_t)),
                   calloc((size_t)graph->n_nodes + 1, sizeof(int)),
                   calloc((size_t)graph->n_tensors + 1, sizeof(int))};
    if (!lw.map || !lw.bn_of || !lw.uses)
        rc = zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    else
        find_bn_folds(&lw);
    if (!rc)
        rc = add_input(&lw, err);
    for (int i = 0; !rc && i < graph->n_nodes; i++)
        rc = lower_node(&lw, i, err);
    if (!rc)
        rc = qm_params_finish(m, err);
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
    free(lw.bn_of);
    free(lw.uses);
    if (rc)
        quant_model_free(m);
    return rc;
}
