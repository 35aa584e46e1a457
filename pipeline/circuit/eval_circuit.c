/*
 * eval_circuit.c - the evaluation circuit: the model once per validation
 * row and its public signals (docs/COMMITMENTS.md defines them):
 *   1: the dataset commitment: poseidon_commit over, row by row, the row's
 *      packed quantized features then its label;
 *   2: the model: SHA-256 of network.r1cs (the inference circuit run on each
 *      row) mod r, a constant of the circuit, so that the registry can tell
 *      which registered version the evaluation belongs to;
 *   3: the row count (a constant of the circuit, shown so a verifier sees it);
 * classification: 4, how many rows' predicted class (argmax, the first of
 * equals, as quant_argmax) equals their label;
 * regression: 4, the sum of squared errors of the output against the target
 * (both at the output's scale); 5, the threshold (rmse_threshold at that
 * scale, a constant of the circuit); 6, whether SSE <= rows * threshold^2,
 * that is RMSE <= the threshold. Last (5 of a classification, 7 of a
 * regression), with param_visibility hashed: the parameters' commitment, the
 * inference proof's value, so that both proofs are about one model (the
 * parameters are wires shared by every row).
 * Per row it costs the inference circuit (without its public packing), then
 * classification: a running argmax of (diff width + 1) + 2 constraints per
 * class after the first, and 3 for the label comparison; regression: the
 * target's range check (bits) and the square (1). Then the commitment
 * chain, and for regression one sign (comparison width + 1).
 */
#include "pipeline/circuit/compile_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* cur += s * (target - cur): cur becomes target where s = 1. Costs 1. */
static int select_into(compiler *k, const r1cs_lc *s, int s_v, const r1cs_lc *target,
                       int64_t target_v, lcv *cur)
{
    r1cs_lc diff = {0};
    uint32_t w;
    fr_t v;
    fr_from_i64(&v, s_v ? target_v - cur->v : 0);
    int rc = lc_copy(&k->b, &diff, target);
    if (!rc)
        rc = lc_axpy(&k->b, &diff, -1, &cur->lc);
    if (!rc)
        rc = g_mul(&k->b, s, &diff, &v, &w);
    if (!rc)
        rc = lc_add(&k->b, &cur->lc, w, 1);
    if (!rc && s_v)
        cur->v = target_v;
    r1cs_lc_free(&diff);
    return rc;
}

/* idx = argmax of tensor t's wires: for j = 1.., s = (o_j > m) from the
 * sign of o_j - m - 1 (|o_j - m| < 2^width), then m and idx move to o_j and
 * j where s = 1. */
static int argmax(compiler *k, uint32_t t, lcv *idx)
{
    const quant_tensor *qt = &k->m->tensors[t];
    const int64_t *o = k->v->values[t];
    int width = quant_tensor_diff_log2(qt);
    lcv m;
    memset(idx, 0, sizeof *idx);
    int rc = lcv_wire(&k->b, &m, k->wires[t][0], o[0]);
    for (uint32_t j = 1; !rc && j < qt->size; j++) {
        lcv d = {0};
        r1cs_lc sl = {0}, oj = {0}, jc = {0};
        uint32_t s;
        int gt = o[j] > m.v;
        d.v = o[j] - m.v - 1;
        if ((rc = lc_add(&k->b, &oj, k->wires[t][j], 1)) || (rc = lc_copy(&k->b, &d.lc, &oj)) ||
            (rc = lc_axpy(&k->b, &d.lc, -1, &m.lc)) || (rc = lc_add(&k->b, &d.lc, 0, -1)))
            lcv_free(&d);
        else if (!(rc = g_sign(&k->b, &d, width, &s)) && !(rc = lc_add(&k->b, &sl, s, 1)) &&
                 !(rc = select_into(k, &sl, gt, &oj, o[j], &m)) &&
                 !(rc = lc_add(&k->b, &jc, 0, (int64_t)j)))
            rc = select_into(k, &sl, gt, &jc, (int64_t)j, idx);
        r1cs_lc_free(&sl);
        r1cs_lc_free(&oj);
        r1cs_lc_free(&jc);
    }
    lcv_free(&m);
    if (rc)
        lcv_free(idx);
    return rc;
}

/* correct = (idx == label): with z = idx - label,
 *   correct * z = 0,   z * inv = 1 - correct,   correct * inv = 0,
 * so z != 0 forces correct = 0 and inv = 1/z, and z = 0 forces correct = 1
 * and inv = 0 (the third leaves no wire free). Costs 3. */
static int equals(compiler *k, lcv *idx, uint32_t label, int64_t label_v, uint32_t *correct)
{
    cbuild *b = &k->b;
    int64_t z = idx->v - label_v;
    fr_t zf, inv;
    fr_from_i64(&zf, z);
    fr_inv(&inv, &zf);
    uint32_t inv_w;
    r1cs_lc A = {0}, B = {0}, C = {0}, A2 = {0}, C2 = {0}, A3 = {0}, B3 = {0}, C3 = {0};
    int rc = cb_wire(b, z == 0, correct);
    if (!rc)
        rc = cb_wire_fr(b, &inv, &inv_w);
    if (!rc && !(rc = lc_add(b, &idx->lc, label, -1)) && !(rc = lc_add(b, &A, *correct, 1)) &&
        !(rc = lc_copy(b, &B, &idx->lc)) && !(rc = cb_enforce(b, &A, &B, &C)) &&
        !(rc = lc_add(b, &A3, *correct, 1)) && !(rc = lc_add(b, &B3, inv_w, 1)) &&
        !(rc = cb_enforce(b, &A3, &B3, &C3)) && !(rc = lc_add(b, &A2, inv_w, 1)) &&
        !(rc = lc_add(b, &C2, 0, 1)) && !(rc = lc_add(b, &C2, *correct, -1)))
        return cb_enforce(b, &idx->lc, &A2, &C2);
    r1cs_lc_free(&A);
    r1cs_lc_free(&B);
    r1cs_lc_free(&A2);
    r1cs_lc_free(&C2);
    r1cs_lc_free(&A3);
    r1cs_lc_free(&B3);
    return rc;
}

/* The row's correct bit (its argmax equals the label). */
static int correct_bit(compiler *k, uint32_t label_w, int64_t label, uint32_t *w, int64_t *v,
                       int64_t *predicted)
{
    lcv idx;
    int rc = argmax(k, k->m->output, &idx);
    if (rc)
        return rc;
    *predicted = idx.v;
    *v = idx.v == label;
    rc = equals(k, &idx, label_w, label, w);
    lcv_free(&idx);
    return rc;
}

/* The row's squared error (o - t)^2, o the single output, t the target wire:
 * t is range-checked to the output's signed width b, so |o - t| <= 2^b and
 * the sum over the rows stays far below r (and below the comparison's
 * width, circuit_eval_compare_bits). Costs b + 1. */
static int squared_error(compiler *k, uint32_t t_w, int64_t t, uint32_t *w, int64_t *v,
                         int64_t *predicted)
{
    cbuild *b = &k->b;
    uint32_t out = k->m->output, bits_w[QUANT_MAX_BITS];
    int bits = k->m->tensors[out].bits;
    int64_t half = (int64_t)1 << (bits - 1), o = k->v->values[out][0];
    lcv tr = {.v = t + half};
    r1cs_lc e = {0};
    int rc = lc_add(b, &tr.lc, t_w, 1);
    if (!rc)
        rc = lc_add(b, &tr.lc, 0, half);
    rc = rc ? (lcv_free(&tr), rc) : g_bits(b, &tr, bits, bits_w);
    if (!rc && !(rc = lc_add(b, &e, k->wires[out][0], 1)) && !(rc = lc_add(b, &e, t_w, -1))) {
        fr_t sq;
        *predicted = o;
        *v = (o - t) * (o - t);
        fr_from_i64(&sq, *v);
        rc = g_mul(b, &e, &e, &sq, w);
    }
    r1cs_lc_free(&e);
    return rc;
}

/* One row: the model, its packed inputs and label into elems, its term of
 * the metric (the correct bit or the squared error) into metric. */
static int eval_row(compiler *k, const circuit_eval_spec *s, size_t r, lcf *elems,
                    uint32_t n_packed, lcf *metric, int64_t *metric_v, int64_t *predicted)
{
    const quant_model *m = k->m;
    int64_t label = s->labels[r], v = 0;
    uint32_t label_w, w = 0;
    int rc = compile_sample(k, &s->rows[r]);
    if (!rc)
        rc = compile_packed(k, m->input, n_packed, elems);
    if (!rc && !(rc = cb_wire(&k->b, label, &label_w))) {
        fr_from_i64(&elems[n_packed].v, label);
        rc = lc_add(&k->b, &elems[n_packed].lc, label_w, 1);
    }
    uint32_t before = k->b.cs.n_constraints;
    if (!rc)
        rc = s->regression ? squared_error(k, label_w, label, &w, &v, predicted)
                           : correct_bit(k, label_w, label, &w, &v, predicted);
    if (!rc) {
        fr_t f;
        fr_from_i64(&f, v);
        fr_add(&metric->v, &metric->v, &f);
        *metric_v += v;
        rc = lc_add(&k->b, &metric->lc, w, 1);
    }
    compile_count_op(k->c, s->regression ? "SquaredError" : "ArgmaxEqualsLabel",
                     k->b.cs.n_constraints - before);
    return rc;
}

int circuit_eval_compare_bits(const quant_model *m, size_t n, int64_t threshold)
{
    /* |SSE| <= n * 2^(2b), and the threshold's side is n * threshold^2. */
    double sse_max = (double)n * ldexp(1, 2 * m->tensors[m->output].bits);
    double thr = (double)n * (double)threshold * (double)threshold;
    double need = sse_max > thr ? sse_max : thr;
    int k = 1;
    while (k <= 62 && ldexp(1, k) <= need)
        k++;
    return k;
}

/* Public signal `signal` = the constant v. */
static int bind_constant(compiler *k, const fr_t *v, uint32_t signal)
{
    lcf c = {.v = *v};
    int rc = lc_add_fr(&k->b, &c.lc, 0, &c.v);
    return rc ? (lcf_free(&c), rc) : compile_bind_public(k, &c, signal);
}

static int bind_integer(compiler *k, int64_t v, uint32_t signal)
{
    fr_t f;
    fr_from_i64(&f, v);
    return bind_constant(k, &f, signal);
}

/* Signals 4..6 of a regression: SSE, the threshold and the bit
 * SSE <= n * threshold^2 (the sign of their difference). */
static int bind_regression(compiler *k, const circuit_eval_spec *s, lcf *sse, int64_t sse_v)
{
    int bits = circuit_eval_compare_bits(k->m, s->n, s->threshold);
    int64_t bound = (int64_t)s->n * s->threshold * s->threshold;
    lcv d = {.v = bound - sse_v};
    uint32_t ok;
    int rc = lc_axpy(&k->b, &d.lc, -1, &sse->lc);
    if (!rc)
        rc = lc_add(&k->b, &d.lc, 0, bound);
    rc = rc ? (lcv_free(&d), rc) : g_sign(&k->b, &d, bits, &ok);
    if (!rc)
        rc = compile_bind_public(k, sse, 4);
    else
        lcf_free(sse);
    if (!rc)
        rc = bind_integer(k, s->threshold, 5);
    lcf okf = {0};
    fr_from_i64(&okf.v, sse_v <= bound);
    if (!rc && !(rc = lc_add(&k->b, &okf.lc, ok, 1)))
        return compile_bind_public(k, &okf, 6);
    lcf_free(&okf);
    return rc;
}

int circuit_build_eval(const quant_model *m, const circuit_eval_spec *s, circuit *c,
                       int64_t *predicted, zkml_error *err)
{
    const quant_tensor *in = &m->tensors[m->input];
    uint32_t packed = quant_packed_signals(in->size, in->bits), per_row = packed + 1;
    uint32_t n_pub = (s->regression ? 6 : 4) + (quant_params_hashed(m) ? 1 : 0);
    uint32_t outs = m->tensors[m->output].size;
    if (s->n == 0 || (s->regression ? outs != 1 : outs < 2))
        return zkml_fail(err, ZKML_EINVAL,
                         "evaluation: needs rows and one output per class "
                         "(classification) or one output (regression)");
    /* Checked first: it also keeps every square and the sum within int64. */
    int bits = s->regression ? circuit_eval_compare_bits(m, s->n, s->threshold) : 0;
    if (bits > 61)
        return zkml_fail(err, ZKML_EINVAL,
                         "evaluation: comparing the sum of squared errors "
                         "with rows * threshold^2 needs %d bits (at most 61): lower "
                         "rmse_threshold, ZKML_EVAL_ROWS or the output's bit width",
                         bits);
    lcf *elems = calloc(s->n * per_row, sizeof *elems), metric = {0}, h = {0};
    int64_t metric_v = 0;
    compiler k;
    if (!elems)
        return zkml_fail(err, ZKML_ENOMEM, "evaluation: out of memory");
    int rc = compiler_init(&k, m, c, 1, err);
    if (rc) {
        free(elems);
        return rc;
    }
    if (s->system != CIRCUIT_IN_MEMORY) {
        k.b.check_as_built = 1;
        rc = r1cs_stream_to(&k.b.cs, s->system == CIRCUIT_TO_FILE ? s->r1cs_path : NULL, err);
    }
    if (!rc)
        rc = compiler_reserve(&k, n_pub);
    if (!rc)
        rc = compile_params(&k); /* shared by every row */
    for (size_t r = 0; !rc && r < s->n; r++)
        rc = eval_row(&k, s, r, &elems[r * per_row], packed, &metric, &metric_v, &predicted[r]);
    uint32_t before = k.b.cs.n_constraints;
    if (!rc && !(rc = g_poseidon_commit(&k.b, elems, s->n * per_row, &h)))
        rc = compile_bind_public(&k, &h, 1);
    compile_count_op(c, "DatasetCommitment", k.b.cs.n_constraints - before);
    if (!rc)
        rc = bind_constant(&k, &s->circuit_hash, 2);
    if (!rc)
        rc = bind_integer(&k, (int64_t)s->n, 3);
    if (rc)
        lcf_free(&metric);
    else if (s->regression)
        rc = bind_regression(&k, s, &metric, metric_v);
    else
        rc = compile_bind_public(&k, &metric, 4);
    if (!rc && quant_params_hashed(m))
        rc = compile_param_commitment(&k, n_pub);
    for (size_t i = 0; i < s->n * per_row; i++)
        lcf_free(&elems[i]);
    free(elems);
    k.b.cs.n_pub_out = n_pub;
    c->out_signals = n_pub;
    if (!rc && s->system != CIRCUIT_IN_MEMORY)
        rc = r1cs_stream_commit(&k.b.cs, err);
    return compiler_finish(&k, rc);
}
