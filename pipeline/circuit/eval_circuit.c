/*
 * eval_circuit.c - the evaluation circuit: the model once per validation
 * row, each row's predicted class (argmax, the first of equals, as
 * quant_argmax) compared with its label, and three public signals:
 *   1: the dataset commitment (docs/COMMITMENTS.md): poseidon_commit over,
 *      row by row, the row's packed quantized features then its label;
 *   2: the row count (a constant of the circuit, shown so a verifier sees it);
 *   3: how many rows' predicted class equals their label.
 * Per row it costs the inference circuit (without its public packing), a
 * running argmax of (diff width + 2) + 2 constraints per class after the
 * first, and 3 for the label comparison; then the commitment chain.
 */
#include "pipeline/circuit/compile_internal.h"

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

/* One row: the model, its packed inputs and label into elems, its correct bit. */
static int eval_row(compiler *k, const quant_values *v, int label, lcf *elems, uint32_t n_packed,
                    lcf *count, int64_t *predicted)
{
    const quant_model *m = k->m;
    uint32_t label_w, correct;
    lcv idx;
    int rc = compile_sample(k, v);
    if (!rc)
        rc = compile_packed(k, m->input, n_packed, elems);
    if (!rc && !(rc = cb_wire(&k->b, label, &label_w))) {
        fr_from_i64(&elems[n_packed].v, label);
        rc = lc_add(&k->b, &elems[n_packed].lc, label_w, 1);
    }
    uint32_t before = k->b.cs.n_constraints;
    if (!rc && !(rc = argmax(k, m->output, &idx))) {
        *predicted = idx.v;
        rc = equals(k, &idx, label_w, label, &correct);
        if (!rc) {
            fr_t one;
            fr_from_u64(&one, idx.v == label);
            fr_add(&count->v, &count->v, &one);
            rc = lc_add(&k->b, &count->lc, correct, 1);
        }
        lcv_free(&idx);
    }
    compile_count_op(k->c, "ArgmaxEqualsLabel", k->b.cs.n_constraints - before);
    return rc;
}

int circuit_build_eval(const quant_model *m, const quant_values *rows, const int *labels,
                       size_t n, circuit *c, int64_t *predicted, zkml_error *err)
{
    const quant_tensor *in = &m->tensors[m->input];
    uint32_t packed = quant_packed_signals(in->size, in->bits), per_row = packed + 1;
    if (n == 0 || m->tensors[m->output].size < 2)
        return zkml_fail(err, ZKML_EINVAL, "evaluation: needs rows and one output per class");
    lcf *elems = calloc(n * per_row, sizeof *elems), count = {0}, n_lc = {0}, h = {0};
    compiler k;
    if (!elems)
        return zkml_fail(err, ZKML_ENOMEM, "evaluation: out of memory");
    int rc = compiler_init(&k, m, c, 1, err);
    if (rc) {
        free(elems);
        return rc;
    }
    rc = compiler_reserve(&k, 3);
    for (size_t r = 0; !rc && r < n; r++)
        rc = eval_row(&k, &rows[r], labels[r], &elems[r * per_row], packed, &count, &predicted[r]);
    uint32_t before = k.b.cs.n_constraints;
    if (!rc && !(rc = g_poseidon_commit(&k.b, elems, n * per_row, &h)))
        rc = compile_bind_public(&k, &h, 1);
    compile_count_op(c, "DatasetCommitment", k.b.cs.n_constraints - before);
    fr_from_u64(&n_lc.v, n);
    if (!rc && !(rc = lc_add_fr(&k.b, &n_lc.lc, 0, &n_lc.v)))
        rc = compile_bind_public(&k, &n_lc, 2);
    if (!rc)
        rc = compile_bind_public(&k, &count, 3);
    for (size_t i = 0; i < n * per_row; i++)
        lcf_free(&elems[i]);
    free(elems);
    lcf_free(&count);
    lcf_free(&n_lc);
    k.b.cs.n_pub_out = 3;
    c->out_signals = 3;
    return compiler_finish(&k, rc);
}
