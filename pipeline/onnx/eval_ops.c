/*
 * eval_ops.c - float kernels for the elementwise, linear-algebra, reduction
 * and data-movement ops, and the per-node dispatch (onnx_eval_node).
 * Broadcasting follows numpy: trailing dims align, size-1 dims repeat.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

#define T(k) (&m->tensors[n->inputs[k]])
#define IN(k) (v[n->inputs[k]])
#define OUT_T (&m->tensors[n->outputs[0]])
#define OUT (v[n->outputs[0]])

/* Row-major strides of t aligned to an output of rank r; broadcast dims get 0. */
static void broadcast_strides(const onnx_tensor *t, int r, const int64_t *oshape, size_t *st)
{
    size_t s = 1;
    for (int i = r - 1; i >= 0; i--) {
        int ti = i - (r - t->rank);
        int64_t d = ti >= 0 ? t->shape[ti] : 1;
        st[i] = (d == 1 && oshape[i] != 1) ? 0 : s;
        s *= (size_t)d;
    }
}

/* Offsets into a and b for each element of out, walked with an odometer. */
typedef struct bcast_iter {
    int r;
    int64_t idx[ONNX_MAX_RANK];
    const int64_t *shape;
    size_t sa[ONNX_MAX_RANK], sb[ONNX_MAX_RANK];
    size_t ia, ib;
} bcast_iter;

static void bcast_init(bcast_iter *it, const onnx_tensor *out, const onnx_tensor *a,
                       const onnx_tensor *b)
{
    memset(it, 0, sizeof(*it));
    it->r = out->rank;
    it->shape = out->shape;
    broadcast_strides(a, out->rank, out->shape, it->sa);
    broadcast_strides(b, out->rank, out->shape, it->sb);
}

static void bcast_next(bcast_iter *it)
{
    for (int i = it->r - 1; i >= 0; i--) {
        it->ia += it->sa[i];
        it->ib += it->sb[i];
        if (++it->idx[i] < it->shape[i])
            return;
        it->ia -= it->sa[i] * (size_t)it->shape[i];
        it->ib -= it->sb[i] * (size_t)it->shape[i];
        it->idx[i] = 0;
    }
}

static int dtype_is_integer(onnx_dtype d)
{
    return d != ONNX_DTYPE_FLOAT && d != ONNX_DTYPE_DOUBLE;
}

static void eval_binary(const onnx_model *m, const onnx_node *n, float **v)
{
    bcast_iter it;
    const float *a = IN(0), *b = IN(1);
    float *o = OUT;
    int int_div = n->op == ONNX_OP_DIV && dtype_is_integer(OUT_T->dtype);
    bcast_init(&it, OUT_T, T(0), T(1));
    for (size_t i = 0; i < OUT_T->size; i++, bcast_next(&it)) {
        float x = a[it.ia], y = b[it.ib];
        switch (n->op) {
        case ONNX_OP_ADD: o[i] = x + y; break;
        case ONNX_OP_SUB: o[i] = x - y; break;
        case ONNX_OP_MUL: o[i] = x * y; break;
        case ONNX_OP_PRELU: o[i] = x < 0 ? x * y : x; break;
        default: o[i] = int_div ? truncf(x / y) : x / y; break;
        }
    }
}

static void eval_unary(const onnx_model *m, const onnx_node *n, float **v)
{
    const float *x = IN(0);
    float *o = OUT;
    float alpha = onnx_attr_float(n, "alpha", 0.01f);
    float lo = onnx_attr_float(n, "min", -INFINITY), hi = onnx_attr_float(n, "max", INFINITY);
    for (size_t i = 0; i < OUT_T->size; i++) {
        float a = x[i];
        switch (n->op) {
        case ONNX_OP_RELU: o[i] = a > 0 ? a : 0; break;
        case ONNX_OP_LEAKY_RELU: o[i] = a >= 0 ? a : alpha * a; break;
        case ONNX_OP_SIGMOID: o[i] = (float)(1.0 / (1.0 + exp(-(double)a))); break;
        case ONNX_OP_TANH: o[i] = tanhf(a); break;
        case ONNX_OP_CLIP: o[i] = a < lo ? lo : (a > hi ? hi : a); break;
        default: o[i] = a; break;
        }
    }
}

static void eval_cast(const onnx_model *m, const onnx_node *n, float **v)
{
    const float *x = IN(0);
    onnx_dtype to = OUT_T->dtype;
    for (size_t i = 0; i < OUT_T->size; i++) {
        if (to == ONNX_DTYPE_BOOL)
            OUT[i] = x[i] != 0;
        else if (dtype_is_integer(to))
            OUT[i] = truncf(x[i]);
        else
            OUT[i] = x[i];
    }
}

static void eval_gemm(const onnx_model *m, const onnx_node *n, float **v)
{
    const onnx_tensor *ta = T(0);
    int transa = onnx_attr_int(n, "transA", 0), transb = onnx_attr_int(n, "transB", 0);
    double alpha = onnx_attr_float(n, "alpha", 1), beta = onnx_attr_float(n, "beta", 1);
    size_t M = (size_t)OUT_T->shape[0], N = (size_t)OUT_T->shape[1];
    size_t K = (size_t)(transa ? ta->shape[0] : ta->shape[1]);
    const float *a = IN(0), *b = IN(1);
    const float *c = n->n_inputs > 2 && n->inputs[2] >= 0 ? IN(2) : NULL;
    size_t sc[2] = {0, 0};
    if (c)
        broadcast_strides(T(2), 2, OUT_T->shape, sc);
    for (size_t i = 0; i < M; i++) {
        for (size_t j = 0; j < N; j++) {
            double acc = 0;
            for (size_t k = 0; k < K; k++) {
                float x = transa ? a[k * M + i] : a[i * K + k];
                float y = transb ? b[j * K + k] : b[k * N + j];
                acc += (double)x * y;
            }
            acc *= alpha;
            if (c)
                acc += beta * c[i * sc[0] + j * sc[1]];
            OUT[i * N + j] = (float)acc;
        }
    }
}

static void eval_matmul(const onnx_model *m, const onnx_node *n, float **v)
{
    const onnx_tensor *ta = T(0), *tb = T(1), *to = OUT_T;
    size_t K = (size_t)ta->shape[ta->rank - 1];
    size_t M = ta->rank >= 2 ? (size_t)ta->shape[ta->rank - 2] : 1;
    size_t N = tb->rank >= 2 ? (size_t)tb->shape[tb->rank - 1] : 1;
    /* Batch dims: all of the output's but the matrix ones. */
    int orank = to->rank - (ta->rank >= 2) - (tb->rank >= 2);
    onnx_tensor out_b = {.rank = orank}, a_b = {.rank = ta->rank > 2 ? ta->rank - 2 : 0},
                b_b = {.rank = tb->rank > 2 ? tb->rank - 2 : 0};
    memcpy(out_b.shape, to->shape, (size_t)orank * sizeof(int64_t));
    memcpy(a_b.shape, ta->shape, (size_t)a_b.rank * sizeof(int64_t));
    memcpy(b_b.shape, tb->shape, (size_t)b_b.rank * sizeof(int64_t));
    onnx_shape_size(out_b.shape, orank, &out_b.size);
    bcast_iter it;
    bcast_init(&it, &out_b, &a_b, &b_b);
    for (size_t bi = 0; bi < out_b.size; bi++, bcast_next(&it)) {
        const float *a = IN(0) + it.ia * M * K, *b = IN(1) + it.ib * K * N;
        float *o = OUT + bi * M * N;
        for (size_t i = 0; i < M; i++)
            for (size_t j = 0; j < N; j++) {
                double acc = 0;
                for (size_t k = 0; k < K; k++)
                    acc += (double)a[i * K + k] * b[k * N + j];
                o[i * N + j] = (float)acc;
            }
    }
}

static void eval_softmax(const onnx_model *m, const onnx_node *n, float **v)
{
    const onnx_tensor *x = T(0);
    int axis = (int)onnx_attr_int(n, "axis", 1);
    int coerce = onnx_attr_int(n, "coerce_2d", 0) != 0;
    size_t outer = 1, len = 1, inner = 1;
    for (int i = 0; i < x->rank; i++) {
        size_t d = (size_t)x->shape[i];
        if (i < axis)
            outer *= d;
        else if (i == axis || coerce)
            len *= d;
        else
            inner *= d;
    }
    for (size_t o = 0; o < outer; o++)
        for (size_t in = 0; in < inner; in++) {
            const float *src = IN(0) + o * len * inner + in;
            float *dst = OUT + o * len * inner + in;
            float mx = -INFINITY;
            for (size_t k = 0; k < len; k++)
                mx = src[k * inner] > mx ? src[k * inner] : mx;
            double sum = 0;
            for (size_t k = 0; k < len; k++)
                sum += exp((double)src[k * inner] - mx);
            for (size_t k = 0; k < len; k++)
                dst[k * inner] = (float)(exp((double)src[k * inner] - mx) / sum);
        }
}

static void eval_batchnorm(const onnx_model *m, const onnx_node *n, float **v)
{
    const onnx_tensor *x = T(0);
    size_t C = (size_t)x->shape[1], outer = (size_t)x->shape[0] * C;
    size_t inner = outer ? x->size / outer : 0;
    double eps = onnx_attr_float(n, "epsilon", 1e-5f);
    for (size_t i = 0; i < x->size; i++) {
        size_t c = (i / inner) % C;
        double y = (IN(0)[i] - (double)IN(3)[c]) / sqrt((double)IN(4)[c] + eps);
        OUT[i] = (float)(y * IN(1)[c] + IN(2)[c]);
    }
}

static void eval_global_pool(const onnx_model *m, const onnx_node *n, float **v)
{
    size_t nc = OUT_T->size, inner = T(0)->size / (nc ? nc : 1);
    for (size_t i = 0; i < nc; i++) {
        double s = 0;
        for (size_t k = 0; k < inner; k++)
            s += IN(0)[i * inner + k];
        OUT[i] = (float)(s / (double)inner);
    }
}

static void unravel(size_t i, const onnx_tensor *t, int64_t *idx)
{
    for (int d = t->rank - 1; d >= 0; d--) {
        idx[d] = (int64_t)(i % (size_t)t->shape[d]);
        i /= (size_t)t->shape[d];
    }
}

static size_t ravel(const int64_t *idx, const onnx_tensor *t)
{
    size_t off = 0;
    for (int d = 0; d < t->rank; d++)
        off = off * (size_t)t->shape[d] + (size_t)idx[d];
    return off;
}

static void eval_transpose(const onnx_model *m, const onnx_node *n, float **v)
{
    size_t k;
    const int64_t *perm = onnx_attr_ints(n, "perm", &k);
    int64_t oi[ONNX_MAX_RANK], ii[ONNX_MAX_RANK];
    for (size_t i = 0; i < OUT_T->size; i++) {
        unravel(i, OUT_T, oi);
        for (size_t d = 0; d < k; d++)
            ii[perm[d]] = oi[d];
        OUT[i] = IN(0)[ravel(ii, T(0))];
    }
}

static void eval_concat(const onnx_model *m, const onnx_node *n, float **v)
{
    int axis = (int)onnx_attr_int(n, "axis", 0);
    size_t outer = 1;
    for (int d = 0; d < axis; d++)
        outer *= (size_t)OUT_T->shape[d];
    size_t pos = 0;
    for (size_t o = 0; o < outer; o++)
        for (int k = 0; k < n->n_inputs; k++) {
            size_t chunk = T(k)->size / (outer ? outer : 1);
            memcpy(OUT + pos, IN(k) + o * chunk, chunk * sizeof(float));
            pos += chunk;
        }
}

static int eval_reduce(const onnx_model *m, const onnx_node *n, float **v, zkml_error *err)
{
    const onnx_tensor *x = T(0);
    size_t k;
    const int64_t *axes = onnx_attr_ints(n, "axes", &k);
    int reduced[ONNX_MAX_RANK] = {0};
    for (size_t i = 0; i < k; i++)
        reduced[axes[i]] = 1;
    /* Output offset of an input element: its index with reduced dims at 0. */
    onnx_tensor kept = {.rank = x->rank};
    for (int d = 0; d < x->rank; d++)
        kept.shape[d] = reduced[d] ? 1 : x->shape[d];
    double *acc = calloc(OUT_T->size ? OUT_T->size : 1, sizeof(double));
    if (!acc)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory");
    int64_t idx[ONNX_MAX_RANK];
    for (size_t i = 0; i < x->size; i++) {
        unravel(i, x, idx);
        for (int d = 0; d < x->rank; d++)
            if (reduced[d])
                idx[d] = 0;
        acc[ravel(idx, &kept)] += IN(0)[i];
    }
    size_t count = OUT_T->size ? x->size / OUT_T->size : 1;
    for (size_t i = 0; i < OUT_T->size; i++)
        OUT[i] = (float)(n->op == ONNX_OP_REDUCE_MEAN ? acc[i] / (double)count : acc[i]);
    free(acc);
    return 0;
}

static void eval_pad(const onnx_model *m, const onnx_node *n, float **v)
{
    const onnx_tensor *x = T(0);
    size_t np;
    const int64_t *pads = onnx_attr_ints(n, "pads", &np);
    const char *mode = onnx_attr_string(n, "mode", "constant");
    float value = onnx_attr_float(n, "value", 0);
    int64_t idx[ONNX_MAX_RANK];
    for (size_t i = 0; i < OUT_T->size; i++) {
        unravel(i, OUT_T, idx);
        int outside = 0;
        for (int d = 0; d < x->rank; d++) {
            int64_t s = idx[d] - pads[d], len = x->shape[d];
            if (s >= 0 && s < len) {
                idx[d] = s;
            } else if (mode[0] == 'e') {
                idx[d] = s < 0 ? 0 : len - 1;
            } else if (mode[0] == 'r') {
                idx[d] = s < 0 ? -s : 2 * (len - 1) - s;
            } else {
                outside = 1;
            }
        }
        OUT[i] = outside ? value : IN(0)[ravel(idx, x)];
    }
}

int onnx_eval_node(const onnx_model *m, const onnx_node *n, float **v, zkml_error *err)
{
    switch (n->op) {
    case ONNX_OP_ADD:
    case ONNX_OP_SUB:
    case ONNX_OP_MUL:
    case ONNX_OP_DIV:
    case ONNX_OP_PRELU: eval_binary(m, n, v); return 0;
    case ONNX_OP_RELU:
    case ONNX_OP_LEAKY_RELU:
    case ONNX_OP_SIGMOID:
    case ONNX_OP_TANH:
    case ONNX_OP_CLIP:
    case ONNX_OP_IDENTITY:
    case ONNX_OP_FLATTEN:
    case ONNX_OP_RESHAPE:
    case ONNX_OP_SQUEEZE:
    case ONNX_OP_UNSQUEEZE: eval_unary(m, n, v); return 0;
    case ONNX_OP_DROPOUT:
        eval_unary(m, n, v);
        if (n->n_outputs > 1 && n->outputs[1] >= 0)
            for (size_t i = 0; i < OUT_T->size; i++)
                v[n->outputs[1]][i] = 1.0f;
        return 0;
    case ONNX_OP_CAST: eval_cast(m, n, v); return 0;
    case ONNX_OP_GEMM: eval_gemm(m, n, v); return 0;
    case ONNX_OP_MATMUL: eval_matmul(m, n, v); return 0;
    case ONNX_OP_SOFTMAX: eval_softmax(m, n, v); return 0;
    case ONNX_OP_BATCH_NORMALIZATION: eval_batchnorm(m, n, v); return 0;
    case ONNX_OP_GLOBAL_AVERAGE_POOL: eval_global_pool(m, n, v); return 0;
    case ONNX_OP_TRANSPOSE: eval_transpose(m, n, v); return 0;
    case ONNX_OP_CONCAT: eval_concat(m, n, v); return 0;
    case ONNX_OP_REDUCE_MEAN:
    case ONNX_OP_REDUCE_SUM: return eval_reduce(m, n, v, err);
    case ONNX_OP_PAD: eval_pad(m, n, v); return 0;
    case ONNX_OP_CONV: return onnx_eval_conv(m, n, v, err);
    case ONNX_OP_MAX_POOL:
    case ONNX_OP_AVERAGE_POOL: return onnx_eval_pool(m, n, v, err);
    default: return onnx_node_failf(err, m, n, "no evaluator for this operator");
    }
}
