/*
 * prover.c - proofs of new inputs with a version's own key. Opening reads the
 * model, settings, circuit.json and both keys once (the proving key is mapped,
 * not copied), so that a worker proving many inputs of one version pays for
 * none of that again: each proof is the fixed-point evaluation, the witness
 * (the circuit built with values), the Groth16 proof and its verification.
 */
#include "pipeline/circuit/steps_internal.h"

#include <stdlib.h>
#include <string.h>

enum { CIRCUIT_JSON_MAX = 64 << 20 };

struct circuit_prover {
    circuit_loaded l;
    groth16_pk *pk;
    groth16_vk vk;
    char *circuit_json;
    size_t circuit_json_len;
    circuit_input_spec input;
};

void circuit_prover_close(circuit_prover *p)
{
    if (!p)
        return;
    circuit_unload(&p->l);
    groth16_pk_close(p->pk);
    groth16_vk_free(&p->vk);
    free(p->circuit_json);
    free(p);
}

int circuit_prover_open(const char *dir, circuit_prover **out, zkml_error *err)
{
    char path[4096];
    circuit_prover *p = calloc(1, sizeof *p);
    *out = NULL;
    if (!p)
        return zkml_fail(err, ZKML_ENOMEM, "prover: out of memory");
    int rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_CIRCUIT, err);
    if (!rc)
        rc = zkml_read_file(path, CIRCUIT_JSON_MAX, (uint8_t **)&p->circuit_json,
                            &p->circuit_json_len, err);
    if (!rc)
        rc = circuit_input_spec_parse(p->circuit_json, p->circuit_json_len, &p->input, err);
    if (!rc && !(rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_PROVING_KEY, err)))
        rc = groth16_pk_open(path, &p->pk, err);
    if (!rc && !(rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_VK, err)))
        rc = vk_json_read(&p->vk, path, err);
    if (!rc)
        rc = circuit_load(dir, &p->l, err);
    if (rc) {
        circuit_prover_close(p);
        return rc;
    }
    /* Poseidon's constants are made on first use: made here, the children a
     * worker forks for each proof inherit them instead of making them again. */
    const quant_settings *st = &p->l.m.settings;
    for (int t = POSEIDON_MIN_T; t <= POSEIDON_MAX_T; t++)
        if (st->input_visibility == QUANT_VIS_HASHED || st->output_visibility == QUANT_VIS_HASHED)
            poseidon_params_get(t);
    *out = p;
    return 0;
}

const circuit_input_spec *circuit_prover_input(const circuit_prover *p)
{
    return &p->input;
}

const char *circuit_prover_circuit_json(const circuit_prover *p, size_t *len)
{
    *len = p->circuit_json_len;
    return p->circuit_json;
}

void circuit_new_proof_free(circuit_new_proof *np)
{
    free(np->pub);
    circuit_outputs_free(&np->outputs);
    memset(np, 0, sizeof *np);
}

/* The outputs: decoded from the public signals (what the proof shows), or for
 * hashed outputs the evaluator's, whose commitment the checked witness holds. */
static int new_outputs(const circuit_prover *p, const quant_values *v, circuit_new_proof *np,
                       zkml_error *err)
{
    const quant_model *m = &p->l.m;
    if (m->settings.output_visibility != QUANT_VIS_HASHED)
        return circuit_outputs_decode(p->circuit_json, p->circuit_json_len, np->pub, np->n_pub,
                                      &np->outputs, err);
    uint32_t n = m->tensors[m->output].size;
    np->outputs.values = malloc(n * sizeof *np->outputs.values);
    if (!np->outputs.values)
        return zkml_fail(err, ZKML_ENOMEM, "prover: out of memory for %u outputs", n);
    memcpy(np->outputs.values, v->values[m->output], n * sizeof *np->outputs.values);
    np->outputs.n = n;
    np->outputs.scale = m->tensors[m->output].scale;
    return 0;
}

int circuit_prover_prove(const circuit_prover *p, const float *x, size_t n, int threads,
                         circuit_new_proof *np, zkml_error *err)
{
    memset(np, 0, sizeof *np);
    if (n != p->input.count)
        return zkml_fail(err, ZKML_EINVAL, "input_data: expected %u numbers, got %zu",
                         p->input.count, n);
    int64_t *q = malloc(n * sizeof *q);
    quant_values v = {0};
    circuit c = {0};
    int rc = q ? quant_input(&p->l.m, x, q, err)
               : zkml_fail(err, ZKML_ENOMEM, "prover: out of memory");
    if (!rc)
        rc = quant_eval(&p->l.m, q, &v, err);
    if (!rc)
        rc = circuit_build_witness(&p->l.m, &v, &c, err);
    if (!rc)
        rc = groth16_prove(p->pk, c.witness, c.cs.n_wires, &np->proof, threads, err);
    np->n_pub = rc ? 0 : (size_t)c.cs.n_pub_out + c.cs.n_pub_in;
    if (!rc && !(np->pub = malloc((np->n_pub + 1) * sizeof *np->pub)))
        rc = zkml_fail(err, ZKML_ENOMEM, "prover: out of memory");
    if (!rc) {
        memcpy(np->pub, c.witness + 1, np->n_pub * sizeof *np->pub);
        rc = groth16_verify(&p->vk, np->pub, np->n_pub, &np->proof, err);
    }
    if (!rc)
        rc = new_outputs(p, &v, np, err);
    if (rc)
        circuit_new_proof_free(np);
    circuit_free(&c);
    quant_values_free(&v);
    free(q);
    return rc;
}
