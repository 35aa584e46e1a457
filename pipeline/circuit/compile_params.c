/*
 * compile_params.c - param_visibility hashed: the weights and biases of the
 * linear layers as witnesses. Parameter q of a tensor of width b is b
 * boolean wires u_j with q = sum_j 2^j u_j - 2^(b-1): a combination with no
 * wire of its own, so its range check costs b constraints and nothing more.
 * The range makes the packing of each tensor injective, so the one Poseidon
 * commitment of the packed values (docs/COMMITMENTS.md) binds every
 * parameter; it also bounds every accumulator far below r/2 whatever
 * parameters a prover chooses, so the requants stay sound. The affine rows
 * (compile.c) multiply a parameter by an activation wire (one constraint
 * per term) where fixed parameters were free constants.
 */
#include "pipeline/circuit/compile_internal.h"

#include <stdlib.h>
#include <string.h>

/* The tensor that holds parameter p. */
static const quant_param_tensor *tensor_of(const quant_model *m, uint32_t p)
{
    uint32_t t = 0;
    while (t + 1 < m->n_ptensors && m->ptensors[t + 1].first <= p)
        t++;
    return &m->ptensors[t];
}

int compile_params(compiler *k)
{
    const quant_model *m = k->m;
    if (!m->n_ptensors)
        return 0;
    uint32_t before = k->b.cs.n_constraints, w;
    k->param_wires = malloc(m->n_params * sizeof *k->param_wires);
    if (!k->param_wires)
        return zkml_fail(k->b.err, ZKML_ENOMEM, "circuit: out of memory");
    int rc = 0;
    for (uint32_t t = 0; !rc && t < m->n_ptensors; t++) {
        const quant_param_tensor *p = &m->ptensors[t];
        for (uint32_t i = p->first; !rc && i < p->first + p->count; i++) {
            uint64_t u = (uint64_t)(m->params[i] + ((int64_t)1 << (p->bits - 1)));
            k->param_wires[i] = k->b.cs.n_wires;
            for (int j = 0; !rc && j < p->bits; j++)
                rc = g_boolean(&k->b, k->b.with_witness && ((u >> j) & 1), &w);
        }
    }
    compile_count_op(k->c, "ParamRangeCheck", k->b.cs.n_constraints - before);
    return rc;
}

int compile_param_lc(compiler *k, uint32_t p, r1cs_lc *lc)
{
    int bits = tensor_of(k->m, p)->bits;
    int rc = lc_add(&k->b, lc, 0, -((int64_t)1 << (bits - 1)));
    for (int j = 0; !rc && j < bits; j++)
        rc = lc_add(&k->b, lc, k->param_wires[p] + (uint32_t)j, (int64_t)1 << j);
    return rc;
}

/* Packed element s of tensor p: sum_i (q[s*per + i] + 2^(bits-1)) * 2^(bits*i),
 * which is the sum of the values' bits, bit j of value i at 2^(bits*i + j). */
static int packed_param(compiler *k, const quant_param_tensor *p, uint32_t s, lcf *out)
{
    uint32_t per = quant_values_per_signal(p->bits);
    fr_t coeff, two;
    fr_one(&coeff);
    fr_from_u64(&two, 2);
    memset(out, 0, sizeof *out);
    int rc = 0;
    for (uint32_t i = p->first + s * per; !rc && i < p->first + p->count &&
                                          i < p->first + (s + 1) * per;
         i++) {
        uint64_t u = (uint64_t)(k->m->params[i] + ((int64_t)1 << (p->bits - 1)));
        for (int j = 0; !rc && j < p->bits; j++) {
            rc = lc_add_fr(&k->b, &out->lc, k->param_wires[i] + (uint32_t)j, &coeff);
            if (k->b.with_witness && ((u >> j) & 1))
                fr_add(&out->v, &out->v, &coeff);
            fr_mul(&coeff, &coeff, &two);
        }
    }
    if (rc)
        lcf_free(out);
    return rc;
}

int compile_param_commitment(compiler *k, uint32_t signal)
{
    const quant_model *m = k->m;
    uint32_t n = quant_param_total_elements(m), at = 0, before = k->b.cs.n_constraints;
    lcf *e = calloc(n ? n : 1, sizeof *e), h;
    if (!e)
        return zkml_fail(k->b.err, ZKML_ENOMEM, "circuit: out of memory");
    int rc = 0;
    for (uint32_t t = 0; !rc && t < m->n_ptensors; t++)
        for (uint32_t s = 0; !rc && s < quant_param_elements(&m->ptensors[t]); s++)
            if (!(rc = packed_param(k, &m->ptensors[t], s, &e[at])))
                at++;
    if (!rc && !(rc = g_poseidon_commit(&k->b, e, n, &h)))
        rc = compile_bind_public(k, &h, signal);
    for (uint32_t i = 0; i < at; i++)
        lcf_free(&e[i]);
    free(e);
    compile_count_op(k->c, "ParamCommitment", k->b.cs.n_constraints - before);
    return rc;
}
