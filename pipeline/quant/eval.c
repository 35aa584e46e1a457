/*
 * eval.c - the fixed-point evaluator: runs the quantized model on integers.
 *
 * This is the one definition of what the circuit proves: the witness
 * generator (pipeline/circuit) takes every tensor value from here and only
 * derives the auxiliary wires (bits, products) of its gadgets.
 */
#include "pipeline/quant/quant_model.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int layer_fail(const quant_model *m, const quant_layer *l, zkml_error *err, const char *what,
                      long long v, uint32_t j)
{
    const onnx_node *n = &m->graph->nodes[l->node];
    return zkml_fail(err, ZKML_EINVAL,
                     "node '%s' (%s): %s (value %lld at element %u; %d bits); "
                     "recalibrate with wider settings",
                     n->name, n->op_type, what, v, j, m->tensors[l->out].bits);
}

int quant_input(const quant_model *m, const float *input, int64_t *q, zkml_error *err)
{
    const quant_tensor *t = &m->tensors[m->input];
    for (uint32_t i = 0; i < t->size; i++) {
        if (quant_quantize(input[i], t->scale, &q[i]) != 0 || q[i] < t->lo || q[i] > t->hi)
            return zkml_fail(err, ZKML_EINVAL,
                             "input feature %u = %g is outside the input range [%g, %g] "
                             "(scale %d, %d bits); recalibrate",
                             i, (double)input[i], quant_dequantize(t->lo, t->scale),
                             quant_dequantize(t->hi, t->scale), t->scale, t->bits);
    }
    return 0;
}

static int in_range(const quant_tensor *t, int64_t v)
{
    return v >= t->lo && v <= t->hi;
}

static int eval_affine(const quant_model *m, const quant_layer *l, int64_t *const *vals,
                       int64_t *out, zkml_error *err)
{
    uint32_t rows = m->tensors[l->out].size;
    for (uint32_t j = 0; j < rows; j++) {
        __int128 acc = l->bias[j];
        for (uint32_t k = l->row_start[j]; k < l->row_start[j + 1]; k++)
            acc += (__int128)l->term_coeff[k] * vals[l->term_src[k]][l->term_idx[k]];
        if (acc > ((__int128)1 << 62) || acc < -((__int128)1 << 62))
            return layer_fail(m, l, err, "accumulator exceeds 62 bits", 0, j);
        out[j] = (int64_t)acc;
    }
    return 0;
}

static int64_t pwl_value(const quant_layer *l, int64_t x)
{
    int64_t half = l->pwl_half;
    int64_t c = x < -half ? -half : x > half - 1 ? half - 1 : x;
    int64_t u = c + half;
    int64_t idx = u >> l->pwl_shift; /* u >= 0: the shift is a floor */
    int64_t f = u - (idx << l->pwl_shift);
    int64_t acc =
        l->knots[idx] * ((int64_t)1 << l->pwl_shift) + (l->knots[idx + 1] - l->knots[idx]) * f;
    return quant_round_shift(acc, l->pwl_shift);
}

/* The requant of each window element, its range checked, the max, then the
 * ReLU if fused. */
static int eval_requant_maxpool(const quant_model *m, const quant_layer *l, const int64_t *in,
                                int64_t *out, zkml_error *err)
{
    const quant_tensor *to = &m->tensors[l->out];
    int64_t half = (int64_t)1 << (to->bits - 1);
    for (uint32_t j = 0; j < to->size; j++) {
        int64_t best = 0;
        for (uint32_t k = l->win_start[j]; k < l->win_start[j + 1]; k++) {
            int64_t y = quant_round_shift(in[l->win_idx[k]], l->shift);
            if (y < -half || y >= half)
                return layer_fail(m, l, err, "rescaled value needs more bits", (long long)y,
                                  l->win_idx[k]);
            if (k == l->win_start[j] || y > best)
                best = y;
        }
        out[j] = l->relu && best < 0 ? 0 : best;
    }
    return 0;
}

static int eval_layer(const quant_model *m, const quant_layer *l, int64_t *const *vals,
                      zkml_error *err)
{
    const quant_tensor *to = &m->tensors[l->out];
    const int64_t *in = vals[l->in];
    int64_t *out = vals[l->out];
    switch (l->kind) {
    case QUANT_LAYER_AFFINE: return eval_affine(m, l, vals, out, err);
    case QUANT_LAYER_REQUANT:
        for (uint32_t j = 0; j < to->size; j++) {
            int64_t y = quant_round_shift(in[j], l->shift);
            if (y < -((int64_t)1 << (to->bits - 1)) || y >= ((int64_t)1 << (to->bits - 1)))
                return layer_fail(m, l, err, "rescaled value needs more bits", (long long)y, j);
            out[j] = l->relu && y < 0 ? 0 : y;
        }
        return 0;
    case QUANT_LAYER_RELU:
        for (uint32_t j = 0; j < to->size; j++)
            out[j] = in[j] < 0 ? 0 : in[j];
        return 0;
    case QUANT_LAYER_LEAKY_RELU:
        for (uint32_t j = 0; j < to->size; j++) {
            int64_t acc = in[j] >= 0 ? in[j] * ((int64_t)1 << l->shift) : in[j] * l->alphas[j];
            out[j] = quant_round_shift(acc, l->shift);
            if (!in_range(to, out[j]))
                return layer_fail(m, l, err, "value needs more bits", (long long)out[j], j);
        }
        return 0;
    case QUANT_LAYER_MAXPOOL:
        for (uint32_t j = 0; j < to->size; j++) {
            int64_t best = in[l->win_idx[l->win_start[j]]];
            for (uint32_t k = l->win_start[j] + 1; k < l->win_start[j + 1]; k++)
                if (in[l->win_idx[k]] > best)
                    best = in[l->win_idx[k]];
            out[j] = best;
        }
        return 0;
    case QUANT_LAYER_REQUANT_MAXPOOL: return eval_requant_maxpool(m, l, in, out, err);
    case QUANT_LAYER_CLIP:
        for (uint32_t j = 0; j < to->size; j++) {
            int64_t y = in[j];
            if (l->has_lo && y < l->clip_lo)
                y = l->clip_lo;
            if (l->has_hi && y > l->clip_hi)
                y = l->clip_hi;
            out[j] = y;
        }
        return 0;
    case QUANT_LAYER_GATHER:
        for (uint32_t j = 0; j < to->size; j++)
            out[j] = l->term_src[j] == QUANT_GATHER_ZERO ? 0 : vals[l->term_src[j]][l->term_idx[j]];
        return 0;
    case QUANT_LAYER_PWL:
        for (uint32_t j = 0; j < to->size; j++) {
            out[j] = pwl_value(l, in[j]);
            if (!in_range(to, out[j]))
                return layer_fail(m, l, err, "value needs more bits", (long long)out[j], j);
        }
        return 0;
    }
    return zkml_fail(err, ZKML_EINTERNAL, "quantized model: unknown layer kind %d", (int)l->kind);
}

void quant_values_free(quant_values *v)
{
    if (!v || !v->values)
        return;
    for (uint32_t i = 0; i < v->n; i++)
        free(v->values[i]);
    free(v->values);
    v->values = NULL;
    v->n = 0;
}

int quant_eval(const quant_model *m, const int64_t *q_input, quant_values *v, zkml_error *err)
{
    v->n = m->n_tensors;
    v->values = calloc(m->n_tensors, sizeof *v->values);
    if (!v->values)
        return zkml_fail(err, ZKML_ENOMEM, "fixed-point evaluator: out of memory");
    for (uint32_t t = 0; t < m->n_tensors; t++) {
        v->values[t] = calloc(m->tensors[t].size ? m->tensors[t].size : 1, sizeof(int64_t));
        if (!v->values[t]) {
            quant_values_free(v);
            return zkml_fail(err, ZKML_ENOMEM, "fixed-point evaluator: out of memory");
        }
    }
    const quant_tensor *in = &m->tensors[m->input];
    for (uint32_t i = 0; i < in->size; i++) {
        if (!in_range(in, q_input[i])) {
            quant_values_free(v);
            return zkml_fail(err, ZKML_EINVAL, "input %u = %lld is outside [%lld, %lld]", i,
                             (long long)q_input[i], (long long)in->lo, (long long)in->hi);
        }
        v->values[m->input][i] = q_input[i];
    }
    for (uint32_t i = 0; i < m->n_layers; i++) {
        int rc = eval_layer(m, &m->layers[i], v->values, err);
        if (rc) {
            quant_values_free(v);
            return rc;
        }
    }
    return 0;
}

void quant_output_floats(const quant_model *m, const quant_values *v, double *out)
{
    const quant_tensor *t = &m->tensors[m->output];
    const int64_t *q = v->values[m->output];
    for (uint32_t i = 0; i < t->size; i++)
        out[i] = quant_dequantize(q[i], t->scale);
    if (!m->softmax_outside || t->size == 0)
        return;
    double mx = out[0], sum = 0;
    for (uint32_t i = 1; i < t->size; i++)
        if (out[i] > mx)
            mx = out[i];
    for (uint32_t i = 0; i < t->size; i++) {
        out[i] = exp(out[i] - mx);
        sum += out[i];
    }
    for (uint32_t i = 0; i < t->size; i++)
        out[i] /= sum;
}
