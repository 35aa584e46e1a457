/*
 * params.c - param_visibility hashed: the parameter tensors of the
 * quantized model (the weights and biases of Gemm, MatMul and Conv nodes),
 * their bit widths and what they cost in the circuit. docs/COMMITMENTS.md
 * defines their commitment.
 */
#include "pipeline/quant/quant_model.h"
#include "pipeline/snark/snark.h"

#include <stdlib.h>
#include <string.h>

/* A parameter lowering has not reached yet. */
#define UNSET INT64_MIN

int qm_param_tensor_add(quant_model *m, int node, int onnx_id, int is_bias, uint32_t count,
                        int scale, uint32_t *first, zkml_error *err)
{
    if ((size_t)m->n_params + count >= QUANT_NO_PARAM)
        return zkml_fail(err, ZKML_EINVAL, "quantized model: more than %u parameters",
                         QUANT_NO_PARAM - 1);
    if (zkml_array_grow((void **)&m->params, &m->cap_params, (size_t)m->n_params + count,
                        sizeof *m->params) ||
        zkml_array_grow((void **)&m->ptensors, &m->cap_ptensors, (size_t)m->n_ptensors + 1,
                        sizeof *m->ptensors))
        return zkml_fail(err, ZKML_ENOMEM, "quantized model: out of memory");
    quant_param_tensor *p = &m->ptensors[m->n_ptensors++];
    memset(p, 0, sizeof *p);
    p->node = node;
    p->onnx_tensor = onnx_id;
    p->is_bias = is_bias;
    p->first = *first = m->n_params;
    p->count = count;
    p->scale = scale;
    for (uint32_t i = 0; i < count; i++)
        m->params[m->n_params++] = UNSET;
    return 0;
}

int qm_param_set(quant_model *m, uint32_t p, int64_t q, zkml_error *err)
{
    if (m->params[p] != UNSET && m->params[p] != q)
        return zkml_fail(err, ZKML_EINTERNAL, "quantized model: parameter %u is both %lld and %lld",
                         p, (long long)m->params[p], (long long)q);
    m->params[p] = q;
    return 0;
}

/* Smallest b >= 1 with q in [-2^(b-1), 2^(b-1)). */
static int signed_width(int64_t q)
{
    int b = 1;
    while (b < 63 && (q < -((int64_t)1 << (b - 1)) || q >= ((int64_t)1 << (b - 1))))
        b++;
    return b;
}

int qm_params_finish(quant_model *m, zkml_error *err)
{
    for (uint32_t t = 0; t < m->n_ptensors; t++) {
        quant_param_tensor *p = &m->ptensors[t];
        p->bits = 1;
        for (uint32_t i = p->first; i < p->first + p->count; i++) {
            if (m->params[i] == UNSET) {
                const onnx_node *n = &m->graph->nodes[p->node];
                return zkml_fail(err, ZKML_EINVAL,
                                 "node '%s' (%s): param_visibility hashed: %s element %u is "
                                 "never used, so no circuit could commit to it",
                                 n->name, n->op_type, p->is_bias ? "bias" : "weight",
                                 i - p->first);
            }
            int b = signed_width(m->params[i]);
            if (b > p->bits)
                p->bits = b;
        }
        if (p->bits > QUANT_MAX_BITS) {
            const onnx_node *n = &m->graph->nodes[p->node];
            return zkml_fail(err, ZKML_EINVAL,
                             "node '%s' (%s): a %s needs %d bits (at most %d); lower scales.param",
                             n->name, n->op_type, p->is_bias ? "bias" : "weight", p->bits,
                             QUANT_MAX_BITS);
        }
    }
    return 0;
}

uint32_t quant_param_elements(const quant_param_tensor *p)
{
    return quant_packed_signals(p->count, p->bits);
}

uint32_t quant_param_total_elements(const quant_model *m)
{
    uint32_t n = 0;
    for (uint32_t t = 0; t < m->n_ptensors; t++)
        n += quant_param_elements(&m->ptensors[t]);
    return n;
}

int quant_params_hashed(const quant_model *m)
{
    return m->settings.param_visibility == QUANT_VIS_HASHED;
}

uint64_t quant_param_constraints(const quant_model *m)
{
    uint64_t c = 0;
    if (!quant_params_hashed(m))
        return 0;
    for (uint32_t t = 0; t < m->n_ptensors; t++)
        c += (uint64_t)m->ptensors[t].count * (uint64_t)m->ptensors[t].bits;
    return c + poseidon_commit_constraints(quant_param_total_elements(m)) + 1;
}

uint64_t qm_requant_products(const quant_model *m, const quant_layer *r)
{
    const quant_tensor *acc = &m->tensors[r->in];
    const quant_layer *a = &m->layers[acc->def_layer];
    uint64_t n = 0;
    if (!a->term_param)
        return 0;
    /* a requant-maxpool computes only the rows its windows cover, once each
     * (without memory for the marks: every row, an overestimate) */
    uint8_t *covered = r->kind == QUANT_LAYER_REQUANT_MAXPOOL ? calloc(acc->size + 1, 1) : NULL;
    for (uint32_t k = 0; covered && k < r->win_start[m->tensors[r->out].size]; k++)
        covered[r->win_idx[k]] = 1;
    for (uint32_t j = 0; j < acc->size; j++)
        for (uint32_t k = a->row_start[j]; (!covered || covered[j]) && k < a->row_start[j + 1]; k++)
            n += a->term_param[k] != QUANT_NO_PARAM;
    free(covered);
    return n;
}

void quant_param_node_cost(const quant_model *m, int node, uint64_t *range, uint64_t *prod)
{
    *range = *prod = 0;
    for (uint32_t t = 0; t < m->n_ptensors; t++)
        if (m->ptensors[t].node == node)
            *range += (uint64_t)m->ptensors[t].count * (uint64_t)m->ptensors[t].bits;
    for (uint32_t i = 0; i < m->n_layers; i++) {
        const quant_layer *r = &m->layers[i];
        if ((r->kind == QUANT_LAYER_REQUANT || r->kind == QUANT_LAYER_REQUANT_MAXPOOL) &&
            m->layers[m->tensors[r->in].def_layer].node == node)
            *prod += qm_requant_products(m, r);
    }
}
