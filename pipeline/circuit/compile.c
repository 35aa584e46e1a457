/*
 * compile.c - quantized model -> R1CS (and, given evaluator values, the
 * witness). Walks the layers in order, keeps one wire per activation
 * element, turns affine rows into linear combinations at the requant that
 * consumes them, and at the end shows the outputs and inputs on the wires
 * reserved for them at the start (iden3 order: outputs, then public inputs):
 * packed values, or one Poseidon commitment of them (docs/COMMITMENTS.md);
 * with hashed parameters their commitment follows (compile_params.c).
 */
#include "pipeline/circuit/compile_internal.h"

#include <stdlib.h>
#include <string.h>

static int64_t value(const compiler *k, uint32_t t, uint32_t j)
{
    return k->v ? k->v->values[t][j] : 0;
}

void compile_count_op(circuit *c, const char *op, uint64_t n)
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
    free(k->wires[t]); /* the previous sample's */
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
                     "evaluator's %lld at element %u",
                     n->name, n->op_type, (long long)got, (long long)k->v->values[l->out][j], j);
}

/* agree() for the wire of element j of l's output. */
static int agree_wire(compiler *k, const quant_layer *l, uint32_t j)
{
    int64_t got;
    if (fr_to_i64(&got, &k->b.w[k->wires[l->out][j]]) != 0)
        return zkml_fail(k->b.err, ZKML_EINTERNAL, "circuit: a value left 63 bits");
    return agree(k, l, j, got);
}

/* acc += (parameter p) * (activation wire x of value xv; c is p's value):
 * one product. */
static int param_term(compiler *k, uint32_t p, uint32_t x, int64_t c, int64_t xv, lcv *acc)
{
    r1cs_lc A = {0}, B = {0};
    fr_t v, f;
    uint32_t w;
    fr_from_i64(&v, k->b.with_witness ? c : 0);
    fr_from_i64(&f, xv);
    fr_mul(&v, &v, &f);
    int rc = compile_param_lc(k, p, &A);
    if (!rc && !(rc = lc_add(&k->b, &B, x, 1)) && !(rc = g_mul(&k->b, &A, &B, &v, &w)))
        rc = lc_add(&k->b, &acc->lc, w, 1);
    r1cs_lc_free(&A);
    r1cs_lc_free(&B);
    return rc;
}

/* Row j of affine layer aff: constant coefficients are free, hashed
 * parameters (term_param, bias_param) are combinations of their bits.
 * Room is made at once for the row, its bias and the extra terms the
 * caller's gadget appends (its bits). */
static int affine_lc(compiler *k, const quant_layer *aff, uint32_t j, uint32_t extra, lcv *acc)
{
    memset(acc, 0, sizeof *acc);
    uint32_t bp = aff->bias_param ? aff->bias_param[j] : QUANT_NO_PARAM;
    int rc = r1cs_lc_reserve(&acc->lc, aff->row_start[j + 1] - aff->row_start[j] + 1 + extra,
                             k->b.err);
    if (!rc)
        rc = bp == QUANT_NO_PARAM ? lc_add(&k->b, &acc->lc, 0, aff->bias[j])
                                  : compile_param_lc(k, bp, &acc->lc);
    for (uint32_t t = aff->row_start[j]; !rc && t < aff->row_start[j + 1]; t++) {
        uint32_t x = k->wires[aff->term_src[t]][aff->term_idx[t]];
        if (aff->term_param && aff->term_param[t] != QUANT_NO_PARAM)
            rc = param_term(k, aff->term_param[t], x, aff->term_coeff[t],
                            value(k, aff->term_src[t], aff->term_idx[t]), acc);
        else
            rc = lc_add(&k->b, &acc->lc, x, aff->term_coeff[t]);
    }
    if (rc)
        lcv_free(acc);
    return rc;
}

/* The accumulator element j of requant layer l: its affine row with its
 * value, as its own wire where the layer's rows are long (wired:
 * quant_rows_wired). extra: the terms the caller's gadget appends. */
static int requant_acc(compiler *k, const quant_layer *l, int wired, uint32_t j, uint32_t extra,
                       lcv *acc)
{
    int rc = affine_lc(k, &k->m->layers[k->m->tensors[l->in].def_layer], j, wired ? 0 : extra, acc);
    if (rc)
        return rc;
    acc->v = value(k, l->in, j);
    return wired ? g_own_wire(&k->b, acc) : 0;
}

/* The quotient wire of accumulator element i (made once, as windows may
 * overlap; q[i] = 0 until then: wire 0 is the constant one). */
static int pool_quotient(compiler *k, const quant_layer *l, int wired, uint32_t i, uint32_t *q,
                         int64_t *qv)
{
    lcv acc;
    if (q[i])
        return 0;
    int rc = requant_acc(k, l, wired, i, (uint32_t)l->shift, &acc);
    return rc ? rc : g_quotient(&k->b, &acc, l->shift, &q[i], &qv[i]);
}

/* Window j of a requant-maxpool: the max of its quotients over b-bit signed
 * values, then the ReLU, or the range check that bounds them all (gadgets.h). */
static int pool_window(compiler *k, const quant_layer *l, int wired, uint32_t j, uint32_t *q,
                       int64_t *qv, uint32_t *w)
{
    int bits = k->m->tensors[l->out].bits, rc = 0;
    uint32_t s = l->win_start[j], m;
    int64_t mv;
    uint32_t bw[64];
    for (uint32_t t = s; !rc && t < l->win_start[j + 1]; t++)
        rc = pool_quotient(k, l, wired, l->win_idx[t], q, qv);
    m = q[l->win_idx[s]];
    mv = qv[l->win_idx[s]];
    for (uint32_t t = s + 1; !rc && t < l->win_start[j + 1]; t++)
        rc = g_max(&k->b, m, mv, q[l->win_idx[t]], qv[l->win_idx[t]], bits, &m, &mv);
    if (rc)
        return rc;
    if (l->relu)
        return g_relu(&k->b, m, mv, bits - 1, w);
    lcv t;
    *w = m;
    if ((rc = lcv_wire(&k->b, &t, m, mv + ((int64_t)1 << (bits - 1)))) ||
        (rc = lc_add(&k->b, &t.lc, 0, (int64_t)1 << (bits - 1)))) {
        lcv_free(&t);
        return rc;
    }
    return g_bits(&k->b, &t, bits, bw);
}

static int compile_requant_maxpool(compiler *k, const quant_layer *l)
{
    uint32_t n = k->m->tensors[l->in].size, *q = calloc(n + 1, sizeof *q);
    int64_t *qv = calloc(n + 1, sizeof *qv);
    int wired = quant_rows_wired(k->m, l);
    int rc = q && qv ? alloc_wires(k, l->out)
                     : zkml_fail(k->b.err, ZKML_ENOMEM, "circuit: out of memory");
    for (uint32_t j = 0; !rc && j < k->m->tensors[l->out].size; j++)
        if (!(rc = pool_window(k, l, wired, j, q, qv, &k->wires[l->out][j])) &&
            k->b.with_witness)
            rc = agree_wire(k, l, j);
    free(q);
    free(qv);
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
    if (l->kind == QUANT_LAYER_REQUANT_MAXPOOL)
        return compile_requant_maxpool(k, l);
    if ((rc = alloc_wires(k, l->out)))
        return rc;
    uint32_t *w = k->wires[l->out], zero_wire = 0;
    int have_zero = 0, wired = l->kind == QUANT_LAYER_REQUANT && quant_rows_wired(m, l);
    for (uint32_t j = 0; !rc && j < out->size; j++) {
        int64_t ov = 0;
        switch (l->kind) {
        case QUANT_LAYER_REQUANT: {
            lcv acc;
            if (!(rc = requant_acc(k, l, wired, j, (uint32_t)(l->shift + out->bits), &acc)))
                rc = g_requant(b, &acc, l->shift, out->bits, l->relu, &w[j], &ov);
            break;
        }
        case QUANT_LAYER_RELU:
            rc =
                g_relu(b, k->wires[l->in][j], value(k, l->in, j), quant_tensor_abs_log2(in), &w[j]);
            break;
        case QUANT_LAYER_LEAKY_RELU:
            rc = g_leaky_relu(b, k->wires[l->in][j], value(k, l->in, j), quant_tensor_abs_log2(in),
                              l->alphas[j], l->shift, out->bits, &w[j]);
            break;
        case QUANT_LAYER_CLIP: {
            clip_spec cs = {
                l->has_lo,  l->has_hi, quant_clip_lo_log2(l, in), quant_clip_hi_log2(l, in),
                l->clip_lo, l->clip_hi};
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
            pwl_spec p = {
                l->pwl_half, QUANT_PWL_SEGMENTS_LOG2,      l->pwl_shift, quant_tensor_abs_log2(in),
                out->bits,   quant_pwl_needs_clamp(l, in), l->knots};
            rc = g_pwl(b, k->wires[l->in][j], value(k, l->in, j), &p, &w[j]);
            break;
        }
        default:
            rc = zkml_fail(b->err, ZKML_EINTERNAL, "circuit: unknown layer kind %d", (int)l->kind);
        }
        if (!rc && k->b.with_witness)
            rc = agree_wire(k, l, j);
    }
    return rc;
}

/* Packed value s of tensor t (range [lo, lo + 2^bits)) as a combination of
 * its wires: sum_i (q[s*per + i] - lo) * 2^(bits*i), with its value. */
static int packed_lc(compiler *k, uint32_t t, uint32_t s, lcf *out)
{
    const quant_tensor *qt = &k->m->tensors[t];
    uint32_t per = quant_values_per_signal(qt->bits);
    fr_t step, coeff, term, off, offsum;
    fr_from_u64(&step, (uint64_t)1 << qt->bits);
    fr_one(&coeff);
    fr_zero(&offsum);
    memset(out, 0, sizeof *out);
    int rc = 0;
    for (uint32_t i = s * per; !rc && i < qt->size && i < (s + 1) * per; i++) {
        rc = lc_add_fr(&k->b, &out->lc, k->wires[t][i], &coeff);
        fr_from_i64(&off, value(k, t, i) - qt->lo);
        fr_mul(&term, &off, &coeff);
        fr_add(&out->v, &out->v, &term);
        fr_add(&offsum, &offsum, &coeff);
        fr_mul(&coeff, &coeff, &step);
    }
    /* - lo * sum(2^(b*i)) */
    fr_from_i64(&off, -qt->lo);
    fr_mul(&offsum, &offsum, &off);
    if (!rc)
        rc = lc_add_fr(&k->b, &out->lc, 0, &offsum);
    if (rc)
        lcf_free(out);
    return rc;
}

int compile_bind_public(compiler *k, lcf *x, uint32_t signal)
{
    r1cs_lc B = {0}, C = {0};
    int rc = lc_add(&k->b, &B, 0, 1);
    if (!rc)
        rc = lc_add(&k->b, &C, signal, 1);
    if (rc) {
        lcf_free(x);
        r1cs_lc_free(&B);
        r1cs_lc_free(&C);
        return rc;
    }
    if (k->b.with_witness)
        k->b.w[signal] = x->v;
    return cb_enforce(&k->b, &x->lc, &B, &C);
}

int compile_packed(compiler *k, uint32_t t, uint32_t n, lcf *p)
{
    int rc = 0;
    for (uint32_t s = 0; !rc && s < n; s++)
        rc = packed_lc(k, t, s, &p[s]);
    return rc;
}

/* The Poseidon commitment of tensor t's n packed values (docs/COMMITMENTS.md). */
static int commit(compiler *k, uint32_t t, uint32_t n, lcf *h)
{
    lcf *p = calloc(n ? n : 1, sizeof *p);
    if (!p)
        return zkml_fail(k->b.err, ZKML_ENOMEM, "circuit: out of memory");
    int rc = compile_packed(k, t, n, p);
    if (!rc)
        rc = g_poseidon_commit(&k->b, p, n, h);
    for (uint32_t s = 0; s < n; s++)
        lcf_free(&p[s]);
    free(p);
    return rc;
}

/* Shows tensor t as visibility v on the public wires from first_signal. */
static int show(compiler *k, uint32_t t, quant_visibility v, uint32_t first_signal)
{
    const quant_tensor *qt = &k->m->tensors[t];
    uint32_t n = quant_packed_signals(qt->size, qt->bits);
    uint32_t before = k->b.cs.n_constraints;
    lcf x;
    int rc = 0;
    if (v == QUANT_VIS_PRIVATE)
        return 0;
    if (v == QUANT_VIS_HASHED && !(rc = commit(k, t, n, &x)))
        rc = compile_bind_public(k, &x, first_signal);
    for (uint32_t s = 0; v == QUANT_VIS_PUBLIC && !rc && s < n; s++)
        if (!(rc = packed_lc(k, t, s, &x)))
            rc = compile_bind_public(k, &x, first_signal + s);
    compile_count_op(k->c, v == QUANT_VIS_HASHED ? "PoseidonCommitment" : "PublicPacking",
                     k->b.cs.n_constraints - before);
    return rc;
}

/* Public signals tensor t takes with visibility v. */
static uint32_t signals_of(const quant_tensor *t, quant_visibility v)
{
    return v == QUANT_VIS_PUBLIC   ? quant_packed_signals(t->size, t->bits)
           : v == QUANT_VIS_HASHED ? 1
                                   : 0;
}

int compiler_reserve(compiler *k, uint32_t n)
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

int compile_sample(compiler *k, const quant_values *v)
{
    const quant_model *m = k->m;
    k->v = v;
    uint32_t before = k->b.cs.n_constraints;
    int rc = compile_inputs(k);
    compile_count_op(k->c, "Input", k->b.cs.n_constraints - before);
    for (uint32_t i = 0; !rc && i < m->n_layers; i++) {
        before = k->b.cs.n_constraints;
        rc = compile_layer(k, &m->layers[i]);
        compile_count_op(k->c, m->graph->nodes[m->layers[i].node].op_type,
                         k->b.cs.n_constraints - before);
    }
    return rc;
}

static int compile_all(compiler *k, const quant_values *v)
{
    const quant_model *m = k->m;
    const quant_settings *st = &m->settings;
    circuit *c = k->c;
    const quant_tensor *in = &m->tensors[m->input], *out = &m->tensors[m->output];
    c->out_signals = signals_of(out, st->output_visibility);
    c->in_signals = signals_of(in, st->input_visibility);
    c->param_signals = quant_params_hashed(m) ? 1 : 0;
    int rc = compiler_reserve(k, c->out_signals + c->in_signals + c->param_signals);
    uint32_t first_bit = k->b.cs.n_wires;
    if (!rc)
        rc = compile_params(k);
    uint32_t param_bits = k->b.cs.n_wires - first_bit;
    if (!rc)
        rc = compile_sample(k, v);
    if (!rc)
        rc = show(k, m->output, st->output_visibility, 1);
    if (!rc)
        rc = show(k, m->input, st->input_visibility, 1 + c->out_signals);
    if (!rc && c->param_signals)
        rc = compile_param_commitment(k, 1 + c->out_signals + c->in_signals);
    k->b.cs.n_pub_out = c->out_signals;
    k->b.cs.n_pub_in = c->in_signals + c->param_signals;
    /* the parameters' bits come first, then the input integers */
    k->b.cs.n_prv_in = param_bits + (st->input_visibility == QUANT_VIS_PUBLIC ? 0 : in->size);
    return rc;
}

int compiler_init(compiler *k, const quant_model *m, circuit *c, int with_witness, zkml_error *err)
{
    memset(c, 0, sizeof *c);
    memset(k, 0, sizeof *k);
    k->m = m;
    k->c = c;
    k->wires = calloc(m->n_tensors, sizeof(uint32_t *));
    if (!k->wires)
        return zkml_fail(err, ZKML_ENOMEM, "circuit: out of memory");
    int rc = cb_init(&k->b, with_witness, err);
    if (rc) {
        free(k->wires);
        k->wires = NULL;
    }
    return rc;
}

int compiler_finish(compiler *k, int rc)
{
    for (uint32_t t = 0; t < k->m->n_tensors; t++)
        free(k->wires[t]);
    free(k->wires);
    k->wires = NULL;
    free(k->param_wires);
    k->param_wires = NULL;
    if (rc) {
        cb_free(&k->b);
        return rc;
    }
    k->c->cs = k->b.cs;
    if (k->b.with_witness)
        k->c->witness = k->b.w;
    else
        free(k->b.w);
    return 0;
}

int circuit_build(const quant_model *m, const quant_values *values, circuit *c, zkml_error *err)
{
    compiler k;
    int rc = compiler_init(&k, m, c, values != NULL, err);
    if (rc)
        return rc;
    return compiler_finish(&k, compile_all(&k, values));
}

/* circuit_build with the system streamed (r1cs_stream_to): into the file at
 * r1cs_path, or counted and dropped without one; with values, each
 * constraint checked at the witness as it is made. */
static int build_streamed(const quant_model *m, const quant_values *values, const char *r1cs_path,
                          circuit *c, zkml_error *err)
{
    compiler k;
    int rc = compiler_init(&k, m, c, values != NULL, err);
    if (rc)
        return rc;
    k.b.check_as_built = values != NULL;
    rc = r1cs_stream_to(&k.b.cs, r1cs_path, err);
    if (!rc)
        rc = compile_all(&k, values);
    if (!rc)
        rc = r1cs_stream_commit(&k.b.cs, err);
    return compiler_finish(&k, rc);
}

int circuit_build_witness(const quant_model *m, const quant_values *values, circuit *c,
                          zkml_error *err)
{
    return build_streamed(m, values, NULL, c, err);
}

int circuit_build_file(const quant_model *m, const char *r1cs_path, circuit *c, zkml_error *err)
{
    return build_streamed(m, NULL, r1cs_path, c, err);
}

void circuit_free(circuit *c)
{
    if (!c)
        return;
    r1cs_free(&c->cs);
    free(c->witness);
    c->witness = NULL;
}
