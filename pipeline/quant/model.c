/*
 * model.c - the quantized model's storage: tensors, layers, affine rows,
 * bounds, and the constraint estimate (which mirrors pipeline/circuit's
 * gadgets one for one; a circuit test checks that they agree).
 */
#include "pipeline/quant/quant_model.h"
#include "pipeline/snark/snark.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int qm_add_tensor(quant_model *m, quant_tensor_kind kind, uint32_t size, int scale, int onnx_id,
                  uint32_t *id, zkml_error *err)
{
    if (zkml_array_grow((void **)&m->tensors, &m->cap_tensors, (size_t)m->n_tensors + 1,
                        sizeof *m->tensors))
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    quant_tensor *t = &m->tensors[m->n_tensors];
    memset(t, 0, sizeof *t);
    t->kind = kind;
    t->size = size;
    t->scale = scale;
    t->onnx_tensor = onnx_id;
    t->def_layer = UINT32_MAX;
    *id = m->n_tensors++;
    return 0;
}

int qm_add_layer(quant_model *m, quant_layer_kind kind, int node, uint32_t in, uint32_t out,
                 uint32_t *id, zkml_error *err)
{
    if (zkml_array_grow((void **)&m->layers, &m->cap_layers, (size_t)m->n_layers + 1,
                        sizeof *m->layers))
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    quant_layer *l = &m->layers[m->n_layers];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->node = node;
    l->in = in;
    l->out = out;
    m->tensors[out].def_layer = m->n_layers;
    *id = m->n_layers++;
    return 0;
}

void qm_set_activation_range(quant_tensor *t, int bits, int is_signed)
{
    t->bits = bits;
    t->lo = is_signed ? -((int64_t)1 << (bits - 1)) : 0;
    t->hi = is_signed ? ((int64_t)1 << (bits - 1)) - 1 : ((int64_t)1 << bits) - 1;
}

static double max_abs(const quant_tensor *t)
{
    double a = fabs((double)t->lo), b = fabs((double)t->hi);
    return a > b ? a : b;
}

double qm_affine_bound(const quant_model *m, const quant_layer *l, uint32_t rows)
{
    double worst = 0, src_abs = 0;
    uint32_t src = UINT32_MAX; /* runs of terms share a source: look it up once a run */
    for (uint32_t j = 0; j < rows; j++) {
        double b = fabs((double)l->bias[j]);
        for (uint32_t k = l->row_start[j]; k < l->row_start[j + 1]; k++) {
            if (l->term_src[k] != src) {
                src = l->term_src[k];
                src_abs = max_abs(&m->tensors[src]);
            }
            b += fabs((double)l->term_coeff[k]) * src_abs;
        }
        if (b > worst)
            worst = b;
    }
    return worst;
}

static void layer_free(quant_layer *l)
{
    free(l->row_start);
    free(l->term_src);
    free(l->term_idx);
    free(l->term_coeff);
    free(l->bias);
    free(l->win_start);
    free(l->win_idx);
    free(l->knots);
    free(l->alphas);
    free(l->term_param);
    free(l->bias_param);
}

void quant_model_free(quant_model *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->n_layers; i++)
        layer_free(&m->layers[i]);
    free(m->layers);
    free(m->tensors);
    free(m->params);
    free(m->ptensors);
    memset(m, 0, sizeof *m);
}

/* Constraints of a range check of n bits (g_bits): n, bit 0 implied by the
 * others (pipeline/circuit/gadgets.h); 2 for one bit. */
static uint64_t range_cost(int n)
{
    return n >= 2 ? (uint64_t)n : 2;
}

/* A sign bit of a value in [-2^K, 2^K): a range check of K + 1 bits. */
static uint64_t sign_bit_cost(int k)
{
    return range_cost(k + 1);
}

/* Bits needed for a signed difference of two values of a tensor's range. */
int quant_tensor_diff_log2(const quant_tensor *t)
{
    int k = 0;
    uint64_t span = (uint64_t)(t->hi - t->lo);
    while (k < 63 && ((uint64_t)1 << k) <= span)
        k++;
    return k;
}

int quant_tensor_abs_log2(const quant_tensor *t)
{
    int k = 0;
    uint64_t a = (uint64_t)(t->lo < 0 ? -t->lo : t->lo);
    uint64_t b = (uint64_t)(t->hi < 0 ? -t->hi : t->hi);
    uint64_t mx = a > b ? a : b;
    while (k < 63 && ((uint64_t)1 << k) <= mx)
        k++;
    return k;
}

int quant_span_log2(int64_t a, int64_t b)
{
    int k = 0;
    while (k < 62 && (a < -((int64_t)1 << k) || b >= ((int64_t)1 << k)))
        k++;
    return k;
}

int quant_clip_lo_log2(const quant_layer *l, const quant_tensor *in)
{
    return quant_span_log2(in->lo - l->clip_lo, in->hi - l->clip_lo);
}

int quant_clip_hi_log2(const quant_layer *l, const quant_tensor *in)
{
    return quant_span_log2(in->lo - l->clip_hi - 1, in->hi - l->clip_hi - 1);
}

int quant_gather_has_zero(const quant_layer *l, uint32_t size)
{
    for (uint32_t j = 0; j < size; j++)
        if (l->term_src[j] == QUANT_GATHER_ZERO)
            return 1;
    return 0;
}

int quant_pwl_needs_clamp(const quant_layer *l, const quant_tensor *in)
{
    return l->pwl_half <= in->hi || -l->pwl_half > in->lo;
}

int quant_rows_wired(const quant_model *m, const quant_layer *r)
{
    const quant_layer *aff = &m->layers[m->tensors[r->in].def_layer];
    for (uint32_t j = 0; j < m->tensors[r->in].size; j++)
        if (aff->row_start[j + 1] - aff->row_start[j] > QUANT_WIRED_ROW_TERMS)
            return 1;
    return 0;
}

static uint64_t layer_cost(const quant_model *m, const quant_layer *l)
{
    const quant_tensor *in = &m->tensors[l->in], *out = &m->tensors[l->out];
    uint64_t n = out->size;
    switch (l->kind) {
    case QUANT_LAYER_AFFINE: return 0;
    case QUANT_LAYER_REQUANT:
        /* the row's own wire where rows are long, the k+b bit range check,
         * then the ReLU product or the y wire; with hashed parameters one
         * product per weight term */
        return n * ((uint64_t)quant_rows_wired(m, l) + range_cost(l->shift + out->bits) + 1) +
               qm_requant_products(m, l);
    case QUANT_LAYER_RELU: return n * (sign_bit_cost(quant_tensor_abs_log2(in)) + 1);
    case QUANT_LAYER_LEAKY_RELU:
        /* sign, product, then a requant by param_scale */
        return n * (sign_bit_cost(quant_tensor_abs_log2(in)) + 1 +
                    range_cost(m->settings.param_scale + out->bits) + 1);
    case QUANT_LAYER_MAXPOOL: {
        uint64_t c = 0;
        for (uint32_t j = 0; j < out->size; j++) {
            uint32_t w = l->win_start[j + 1] - l->win_start[j];
            if (w > 1)
                c += (uint64_t)(w - 1) * (sign_bit_cost(quant_tensor_diff_log2(in)) + 1);
        }
        return c;
    }
    case QUANT_LAYER_REQUANT_MAXPOOL: {
        /* a quotient per covered element (the row's own wire where rows
         * are long, its remainder bits, bit 0 implied), a max per further
         * element of a window over b-bit signed values, then the ReLU's
         * sign and product or the range check of each window's max */
        int b = out->bits;
        uint64_t c = l->n_covered * ((uint64_t)quant_rows_wired(m, l) +
                                     (l->shift > 0 ? (uint64_t)l->shift : 1));
        for (uint32_t j = 0; j < out->size; j++)
            c += (uint64_t)(l->win_start[j + 1] - l->win_start[j] - 1) * (sign_bit_cost(b) + 1);
        return c + n * (l->relu ? sign_bit_cost(b - 1) + 1 : range_cost(b)) +
               qm_requant_products(m, l);
    }
    case QUANT_LAYER_CLIP:
        /* a sign per bound that applies, then one product defines y */
        return n * ((l->has_lo ? sign_bit_cost(quant_clip_lo_log2(l, in)) : 0) +
                    (l->has_hi ? sign_bit_cost(quant_clip_hi_log2(l, in)) : 0) + 1);
    case QUANT_LAYER_GATHER:
        /* wires are reused; padding needs one wire constrained to zero */
        return quant_gather_has_zero(l, out->size) ? 1 : 0;
    case QUANT_LAYER_PWL: {
        int seg = QUANT_PWL_SEGMENTS_LOG2;
        uint64_t c = 0;
        if (quant_pwl_needs_clamp(l, in))
            c += 2 * sign_bit_cost(quant_tensor_abs_log2(in) + 1) + 1; /* clamp */
        c += (uint64_t)(seg + l->pwl_shift) + 1;                       /* u's wired bits */
        c += 2 * (((uint64_t)1 << (seg - 1)) - 1);                     /* two mux trees */
        c += l->pwl_shift > 0 ? 1 : 0;                                 /* slope * offset */
        c += range_cost(l->pwl_shift + out->bits) + 1;                 /* requant */
        return n * c;
    }
    }
    return 0;
}

uint64_t quant_model_constraints(const quant_model *m)
{
    const quant_settings *s = &m->settings;
    uint64_t c = 0;
    const quant_tensor *in = &m->tensors[m->input];
    const quant_tensor *out = &m->tensors[m->output];
    /* each input's range check */
    c += (uint64_t)in->size * range_cost(in->bits);
    for (uint32_t i = 0; i < m->n_layers; i++)
        c += layer_cost(m, &m->layers[i]);
    c += quant_visibility_constraints(s->output_visibility, out);
    c += quant_visibility_constraints(s->input_visibility, in);
    return c + quant_param_constraints(m);
}

uint64_t quant_visibility_constraints(quant_visibility v, const quant_tensor *t)
{
    uint32_t packed = quant_packed_signals(t->size, t->bits);
    if (v == QUANT_VIS_PUBLIC) /* one equality per packed public signal */
        return packed;
    if (v == QUANT_VIS_HASHED) /* the chain over the packed values, one equality */
        return poseidon_commit_constraints(packed) + 1;
    return 0;
}

uint32_t quant_values_per_signal(int bits)
{
    return (uint32_t)(QUANT_PACK_BITS / bits);
}

uint32_t quant_packed_signals(uint32_t count, int bits)
{
    uint32_t per = quant_values_per_signal(bits);
    return (count + per - 1) / per;
}
