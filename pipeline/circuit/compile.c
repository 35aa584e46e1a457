/*
 * compile.c - quantized model -> R1CS (and, given evaluator values, the
 * witness). Walks the layers in order, keeps one wire per activation
 * element, turns affine rows into linear combinations at the requant that
 * consumes them, and packs the public values at the end into the wires
 * reserved for them at the start (iden3 order: outputs, then public inputs).
 */
#include "pipeline/circuit/circuit.h"
#include "pipeline/circuit/gadgets.h"

#include <stdlib.h>
#include <string.h>

typedef struct compiler {
    const quant_model *m;
    const quant_values *v;
    cbuild b;
    uint32_t **wires;          /* per activation tensor */
    circuit *c;
} compiler;

static int64_t value(const compiler *k, uint32_t t, uint32_t j)
{
    return k->v ? k->v->values[t][j] : 0;
}

static void count_op(circuit *c, const char *op, uint64_t n)
{
    for (int i = 0; i < c->n_ops; i++)
        if (strcmp(c->ops[i].op, op) == 0) {
            c->ops[i].constraints += n;
            return;
        }
    if (c->n_ops < CIRCUIT_MAX_OPS) {
        c->ops[c->n_ops].op = op;
        c->ops[c->n_ops++].constraints = n;
    }
}

static int alloc_wires(compiler *k, uint32_t t)
{
    k->wires[t] = malloc((k->m->tensors[t].size ? k->m->tensors[t].size : 1) * sizeof(uint32_t));
    if (!k->wires[t])
        return zkml_fail(k->b.err, ZKML_ENOMEM, "circuit: out of memory");
    return 0;
}

/* The gadget's result must be the evaluator's: one evaluator defines both. */
static int agree(compiler *k, const quant_layer *l, uint32_t j, int64_t got)
{
    if (!k->v || got == k->v->values[l->out][j])
        return 0;
    const onnx_node *n = &k->m->graph->nodes[l->node];
    return zkml_fail(k->b.err, ZKML_EINTERNAL,
                     "node '%s' (%s): circuit value %lld differs from the fixed-point "
                     "evaluator's %lld at element %u", n->name, n->op_type, (long long)got,
                     (long long)k->v->values[l->out][j], j);
}

static int affine_lc(compiler *k, const quant_layer *aff, uint32_t j, lcv *acc)
{
    memset(acc, 0, sizeof *acc);
    int rc = lc_add(&k->b, &acc->lc, 0, aff->bias[j]);
    for (uint32_t t = aff->row_start[j]; !rc && t < aff->row_start[j + 1]; t++)
        rc = lc_add(&k->b, &acc->lc, k->wires[aff->term_src[t]][aff->term_idx[t]],
                    aff->term_coeff[t]);
    if (rc)
        lcv_free(acc);
    return rc;
}

static int compile_layer(compiler *k, const quant_layer *l)
{
    const quant_model *m = k->m;
    const quant_tensor *in = &m->tensors[l->in], *out = &m->tensors[l->out];
    cbuild *b = &k->b;
    int rc = 0;
    if (l->kind == QUANT_LAYER_AFFINE)
        return 0;
    if ((rc = alloc_wires(k, l->out)))
        return rc;
    uint32_t *w = k->wires[l->out], zero_wire = 0;
    int have_zero = 0;
    for (uint32_t j = 0; !rc && j < out->size; j++) {
        int64_t ov = 0;
        switch (l->kind) {
        case QUANT_LAYER_REQUANT: {
            lcv acc;
            if (!(rc = affine_lc(k, &m->layers[in->def_layer], j, &acc))) {
                acc.v = value(k, l->in, j);
                rc = g_requant(b, &acc, l->shift, out->bits, l->relu, &w[j], &ov);
            }
            break;
        }
        case QUANT_LAYER_RELU:
            rc = g_relu(b, k->wires[l->in][j], value(k, l->in, j), quant_tensor_abs_log2(in), &w[j]);
            break;
        case QUANT_LAYER_LEAKY_RELU:
            rc = g_leaky_relu(b, k->wires[l->in][j], value(k, l->in, j), quant_tensor_abs_log2(in),
                              l->alphas[j], l->shift, out->bits, &w[j]);
            break;
        case QUANT_LAYER_CLIP: {
            clip_spec cs = {l->has_lo, l->has_hi, quant_clip_lo_log2(l, in),
                            quant_clip_hi_log2(l, in), l->clip_lo, l->clip_hi};
            rc = g_clip(b, k->wires[l->in][j], value(k, l->in, j), &cs, &w[j]);
            break;
        }
        case QUANT_LAYER_GATHER:
            /* re-indexing costs nothing; all padding shares one zero wire */
            if (l->term_src[j] != QUANT_GATHER_ZERO)
                w[j] = k->wires[l->term_src[j]][l->term_idx[j]];
            else if (!have_zero && !(rc = g_zero(b, &zero_wire)))
                have_zero = 1;
            if (!rc && l->term_src[j] == QUANT_GATHER_ZERO)
                w[j] = zero_wire;
            break;
        case QUANT_LAYER_MAXPOOL: {
            uint32_t s = l->win_start[j], e = l->win_start[j + 1];
            w[j] = k->wires[l->in][l->win_idx[s]];
            ov = value(k, l->in, l->win_idx[s]);
            for (uint32_t t = s + 1; !rc && t < e; t++)
                rc = g_max(b, w[j], ov, k->wires[l->in][l->win_idx[t]],
                           value(k, l->in, l->win_idx[t]), quant_tensor_diff_log2(in), &w[j], &ov);
            break;
        }
        case QUANT_LAYER_PWL: {
            pwl_spec p = {l->pwl_half, QUANT_PWL_SEGMENTS_LOG2, l->pwl_shift,
                          quant_tensor_abs_log2(in), out->bits, quant_pwl_needs_clamp(l, in),
                          l->knots};
            rc = g_pwl(b, k->wires[l->in][j], value(k, l->in, j), &p, &w[j]);
            break;
        }
        default:
            rc = zkml_fail(b->err, ZKML_EINTERNAL, "circuit: unknown layer kind %d", (int)l->kind);
        }
        if (!rc && k->b.with_witness) {
            int64_t got;
            if (fr_to_i64(&got, &b->w[w[j]]) != 0)
                rc = zkml_fail(b->err, ZKML_EINTERNAL, "circuit: a value left 63 bits");
            else
                rc = agree(k, l, j, got);
        }
    }
    return rc;
}

/* Wire i of a group of n values of tensor t (range [lo, lo + 2^bits)). */
static int pack(compiler *k, uint32_t t, uint32_t first_signal, uint32_t n_signals)
{
    const quant_tensor *qt = &k->m->tensors[t];
    uint32_t per = quant_values_per_signal(qt->bits);
    fr_t step;
    fr_from_u64(&step, (uint64_t)1 << qt->bits);
    for (uint32_t s = 0; s < n_signals; s++) {
        r1cs_lc A = {0}, B = {0}, C = {0};
        fr_t coeff, packed, term, off, offsum;
        fr_one(&coeff);
        fr_zero(&packed);
        fr_zero(&offsum);
        int rc = 0;
        for (uint32_t i = s * per; !rc && i < qt->size && i < (s + 1) * per; i++) {
            rc = lc_add_fr(&k->b, &A, k->wires[t][i], &coeff);
            fr_from_i64(&off, value(k, t, i) - qt->lo);
            fr_mul(&term, &off, &coeff);
            fr_add(&packed, &packed, &term);
            fr_add(&offsum, &offsum, &coeff);
            fr_mul(&coeff, &coeff, &step);
        }
        /* - lo * sum(2^(b*i)) */
        fr_from_i64(&off, -qt->lo);
        fr_mul(&offsum, &offsum, &off);
        if (!rc)
            rc = lc_add_fr(&k->b, &A, 0, &offsum);
        if (!rc)
            rc = lc_add(&k->b, &B, 0, 1);
        if (!rc)
            rc = lc_add(&k->b, &C, first_signal + s, 1);
        if (rc) {
            r1cs_lc_free(&A);
            r1cs_lc_free(&B);
            r1cs_lc_free(&C);
            return rc;
        }
        if (k->b.with_witness)
            k->b.w[first_signal + s] = packed;
        if ((rc = cb_enforce(&k->b, &A, &B, &C)))
            return rc;
    }
    return 0;
}

static int reserve(compiler *k, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t w;
        int rc = cb_wire(&k->b, 0, &w);
        if (rc)
            return rc;
    }
    return 0;
}

static int compile_inputs(compiler *k)
{
    const quant_model *m = k->m;
    const quant_tensor *in = &m->tensors[m->input];
    int rc = alloc_wires(k, m->input);
    for (uint32_t i = 0; !rc && i < in->size; i++)
        rc = cb_wire(&k->b, value(k, m->input, i), &k->wires[m->input][i]);
    uint32_t bits[64];
    for (uint32_t i = 0; !rc && i < in->size; i++) {
        lcv t;
        if (!(rc = lcv_wire(&k->b, &t, k->wires[m->input][i], value(k, m->input, i) - in->lo)) &&
            !(rc = lc_add(&k->b, &t.lc, 0, -in->lo)))
            rc = g_bits(&k->b, &t, in->bits, bits);
        else
            lcv_free(&t);
    }
    return rc;
}

static int compile_all(compiler *k)
{
    const quant_model *m = k->m;
    circuit *c = k->c;
    const quant_tensor *in = &m->tensors[m->input], *out = &m->tensors[m->output];
    c->out_signals = quant_packed_signals(out->size, out->bits);
    c->in_signals = m->settings.inputs_public ? quant_packed_signals(in->size, in->bits) : 0;
    int rc = reserve(k, c->out_signals + c->in_signals);
    uint32_t before = k->b.cs.n_constraints;
    if (!rc)
        rc = compile_inputs(k);
    count_op(c, "Input", k->b.cs.n_constraints - before);
    for (uint32_t i = 0; !rc && i < m->n_layers; i++) {
        before = k->b.cs.n_constraints;
        rc = compile_layer(k, &m->layers[i]);
        count_op(c, m->graph->nodes[m->layers[i].node].op_type, k->b.cs.n_constraints - before);
    }
    before = k->b.cs.n_constraints;
    if (!rc)
        rc = pack(k, m->output, 1, c->out_signals);
    if (!rc && c->in_signals)
        rc = pack(k, m->input, 1 + c->out_signals, c->in_signals);
    count_op(c, "PublicPacking", k->b.cs.n_constraints - before);
    k->b.cs.n_pub_out = c->out_signals;
    k->b.cs.n_pub_in = c->in_signals;
    k->b.cs.n_prv_in = m->settings.inputs_public ? 0 : in->size;
    return rc;
}

int circuit_build(const quant_model *m, const quant_values *values, circuit *c, zkml_error *err)
{
    memset(c, 0, sizeof *c);
    compiler k;
    memset(&k, 0, sizeof k);
    k.m = m;
    k.v = values;
    k.c = c;
    k.wires = calloc(m->n_tensors, sizeof(uint32_t *));
    if (!k.wires)
        return zkml_fail(err, ZKML_ENOMEM, "circuit: out of memory");
    int rc = cb_init(&k.b, values != NULL, err);
    if (!rc)
        rc = compile_all(&k);
    for (uint32_t t = 0; t < m->n_tensors; t++)
        free(k.wires[t]);
    free(k.wires);
    if (rc) {
        cb_free(&k.b);
        return rc;
    }
    c->cs = k.b.cs;
    if (values)
        c->witness = k.b.w;
    else
        free(k.b.w);
    return 0;
}

void circuit_free(circuit *c)
{
    if (!c)
        return;
    r1cs_free(&c->cs);
    free(c->witness);
    c->witness = NULL;
}
