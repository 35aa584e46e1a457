/*
 * steps.c - the compile and witness pipeline steps.
 *
 * compile: model.onnx + settings.json -> network.r1cs (iden3) + circuit.json.
 * witness: one sample (data.csv row opts->sample; without data.csv an
 * all-zeros input, said so in output.json) -> input.json, witness.wtns
 * (checked against the constraints before it is written), output.json.
 */
#include "pipeline/circuit/steps_internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int circuit_load(const char *dir, circuit_loaded *l, zkml_error *err)
{
    char path[4096];
    quant_settings s;
    memset(l, 0, sizeof *l);
    int rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_SETTINGS, err);
    if (rc || (rc = quant_settings_read(path, &s, err)))
        return rc;
    if ((rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_MODEL, err)) ||
        (rc = onnx_load_file(path, &l->g, err)))
        return rc;
    if ((rc = quant_model_build(l->g, &s, &l->m, err))) {
        onnx_free(l->g);
        l->g = NULL;
    }
    return rc;
}

void circuit_unload(circuit_loaded *l)
{
    quant_model_free(&l->m);
    onnx_free(l->g);
}

int circuit_write_json(const char *dir, zkml_artifact_id id, cJSON *j, zkml_error *err)
{
    char path[4096];
    char *text = j ? cJSON_Print(j) : NULL;
    cJSON_Delete(j);
    if (!text)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory", zkml_artifact_name(id));
    int rc = zkml_artifact_path(path, sizeof path, dir, id, err);
    if (!rc)
        rc = zkml_write_file_atomic(path, text, strlen(text), err);
    free(text);
    return rc;
}

/* "signals" counts the packed elements; "public_signals" how many the proof
 * shows (as many when public, one commitment when hashed, none when private). */
static cJSON *packing_json(const quant_tensor *t, uint32_t shown, const char *visibility)
{
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "visibility", visibility);
    cJSON_AddNumberToObject(o, "count", t->size);
    cJSON_AddNumberToObject(o, "scale", t->scale);
    cJSON_AddNumberToObject(o, "bits", t->bits);
    cJSON_AddNumberToObject(o, "offset", (double)-t->lo);
    cJSON_AddNumberToObject(o, "values_per_signal", quant_values_per_signal(t->bits));
    cJSON_AddNumberToObject(o, "signals", quant_packed_signals(t->size, t->bits));
    cJSON_AddNumberToObject(o, "public_signals", shown);
    cJSON_AddStringToObject(o, "rule", "packed k = sum_i (q[k*per + i] + offset) * 2^(bits*i)");
    if (!strcmp(visibility, "hashed"))
        cJSON_AddStringToObject(o, "commitment",
                                "poseidon_commit(packed values), "
                                "docs/COMMITMENTS.md");
    return o;
}

/* Adds the names of the public signals tensor t takes as visibility v. */
static void signal_names(cJSON *names, const char *what, const quant_tensor *t, quant_visibility v)
{
    char name[64];
    uint32_t n = v == QUANT_VIS_PUBLIC ? quant_packed_signals(t->size, t->bits) : 0;
    if (v == QUANT_VIS_HASHED) {
        snprintf(name, sizeof name, "%s_commitment", what);
        cJSON_AddItemToArray(names, cJSON_CreateString(name));
    }
    for (uint32_t k = 0; k < n; k++) {
        snprintf(name, sizeof name, "%s_packed_%u", what, k);
        cJSON_AddItemToArray(names, cJSON_CreateString(name));
    }
}

/* Node's parameters and what they cost (param_visibility hashed). */
static cJSON *param_layer_json(const quant_model *m, int node)
{
    cJSON *o = cJSON_CreateObject();
    uint64_t range, prod;
    if (!o)
        return NULL;
    quant_param_node_cost(m, node, &range, &prod);
    cJSON_AddStringToObject(o, "node", m->graph->nodes[node].name);
    cJSON_AddStringToObject(o, "op", m->graph->nodes[node].op_type);
    for (uint32_t t = 0; t < m->n_ptensors; t++)
        if (m->ptensors[t].node == node) {
            const quant_param_tensor *p = &m->ptensors[t];
            cJSON_AddNumberToObject(o, p->is_bias ? "biases" : "weights", p->count);
            cJSON_AddNumberToObject(o, p->is_bias ? "bias_bits" : "weight_bits", p->bits);
        }
    cJSON_AddNumberToObject(o, "range_check_constraints", (double)range);
    cJSON_AddNumberToObject(o, "product_constraints", (double)prod);
    cJSON_AddNumberToObject(o, "constraints", (double)(range + prod));
    return o;
}

/* What the parameters are and, when hashed, what each linear layer costs. */
static cJSON *params_json(const quant_model *m)
{
    cJSON *o = cJSON_CreateObject(), *layers;
    if (!o)
        return NULL;
    cJSON_AddStringToObject(o, "visibility", quant_visibility_name(m->settings.param_visibility));
    if (!quant_params_hashed(m)) {
        cJSON_AddStringToObject(o, "note",
                                "the weights are constants of the circuit: linear layers cost "
                                "no constraint, and the circuit (its hash, its verifying key) "
                                "identifies the model");
        return o;
    }
    uint32_t elems = quant_param_total_elements(m);
    cJSON_AddNumberToObject(o, "count", m->n_params);
    cJSON_AddNumberToObject(o, "elements", elems);
    cJSON_AddNumberToObject(o, "commitment_constraints",
                            (double)poseidon_commit_constraints(elems) + 1);
    cJSON_AddStringToObject(o, "commitment",
                            "poseidon_commit(packed parameters), docs/COMMITMENTS.md");
    if ((layers = cJSON_AddArrayToObject(o, "layers")))
        for (uint32_t t = 0; t < m->n_ptensors; t++)
            if (t == 0 || m->ptensors[t].node != m->ptensors[t - 1].node)
                cJSON_AddItemToArray(layers, param_layer_json(m, m->ptensors[t].node));
    return o;
}

static cJSON *circuit_json(const circuit_loaded *l, const circuit *c)
{
    const quant_model *m = &l->m;
    cJSON *o = cJSON_CreateObject();
    if (!o)
        return NULL;
    cJSON_AddNumberToObject(o, "constraints", c->cs.n_constraints);
    cJSON_AddNumberToObject(o, "wires", c->cs.n_wires);
    cJSON_AddNumberToObject(o, "public_signals", c->cs.n_pub_out + c->cs.n_pub_in);
    cJSON_AddNumberToObject(o, "public_outputs", c->cs.n_pub_out);
    cJSON_AddNumberToObject(o, "public_inputs", c->cs.n_pub_in);
    cJSON_AddNumberToObject(o, "private_inputs", c->cs.n_prv_in);
    cJSON *ops = cJSON_AddObjectToObject(o, "constraints_per_op");
    for (int i = 0; ops && i < c->n_ops; i++)
        cJSON_AddNumberToObject(ops, c->ops[i].op, (double)c->ops[i].constraints);
    const quant_settings *st = &m->settings;
    cJSON *pk = cJSON_AddObjectToObject(o, "packing");
    if (pk) {
        cJSON_AddItemToObject(pk, "outputs",
                              packing_json(&m->tensors[m->output], c->out_signals,
                                           quant_visibility_name(st->output_visibility)));
        cJSON_AddItemToObject(pk, "inputs",
                              packing_json(&m->tensors[m->input], c->in_signals,
                                           quant_visibility_name(st->input_visibility)));
    }
    cJSON *names = cJSON_AddArrayToObject(o, "public_signal_names");
    if (names) {
        signal_names(names, "output", &m->tensors[m->output], st->output_visibility);
        signal_names(names, "input", &m->tensors[m->input], st->input_visibility);
        if (c->param_signals)
            cJSON_AddItemToArray(names, cJSON_CreateString("param_commitment"));
    }
    cJSON_AddItemToObject(o, "params", params_json(m));
    cJSON_AddStringToObject(o, "signal_order",
                            "iden3: outputs first, then public inputs, then the parameters' "
                            "commitment when hashed");
    cJSON_AddBoolToObject(o, "softmax_outside_circuit", m->softmax_outside);
    return o;
}

int circuit_compile_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    (void)opts;
    circuit_loaded l;
    circuit c;
    char path[4096];
    int rc = circuit_load(dir, &l, err);
    if (rc)
        return rc;
    if (!(rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_R1CS, err)) &&
        !(rc = circuit_build_file(&l.m, path, &c, err))) {
        rc = circuit_write_json(dir, ZKML_A_CIRCUIT, circuit_json(&l, &c), err);
        circuit_free(&c);
    }
    circuit_unload(&l);
    return rc;
}

static cJSON *input_json(const float *x, size_t n)
{
    cJSON *o = cJSON_CreateObject(), *outer = cJSON_AddArrayToObject(o, "input_data");
    cJSON *row = cJSON_CreateArray();
    if (!o || !outer || !row || !cJSON_AddItemToArray(outer, row)) {
        cJSON_Delete(row);
        cJSON_Delete(o);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(row, cJSON_CreateNumber(x[i]));
    return o;
}

static cJSON *output_json(const circuit_loaded *l, const quant_values *v, const circuit *c,
                          const quant_dataset *d, int sample)
{
    const quant_model *m = &l->m;
    const quant_tensor *t = &m->tensors[m->output];
    cJSON *o = cJSON_CreateObject();
    cJSON *outs = cJSON_AddArrayToObject(o, "outputs");
    cJSON *deq = cJSON_AddArrayToObject(o, "dequantized");
    cJSON *pub = cJSON_AddArrayToObject(o, "public_signals");
    double *f = malloc((t->size + 1) * sizeof *f);
    if (!o || !outs || !deq || !pub || !f) {
        free(f);
        cJSON_Delete(o);
        return NULL;
    }
    char dec[80];
    quant_output_floats(m, v, f);
    for (uint32_t i = 0; i < t->size; i++) {
        fr_t e;
        fr_from_i64(&e, v->values[m->output][i]);
        fr_to_dec(dec, &e);
        cJSON_AddItemToArray(outs, cJSON_CreateString(dec));
        cJSON_AddItemToArray(deq, cJSON_CreateNumber(f[i]));
    }
    for (uint32_t i = 1; i <= c->cs.n_pub_out + c->cs.n_pub_in; i++) {
        fr_to_dec(dec, &c->witness[i]);
        cJSON_AddItemToArray(pub, cJSON_CreateString(dec));
    }
    /* A regression model (data.csv has a float target) predicts no class. */
    int classify =
        !d->targets &&
        (t->size > 1 || d->labels || quant_predicted_class(m, f) != 0 ||
         (t->def_layer != UINT32_MAX && m->layers[t->def_layer].kind == QUANT_LAYER_PWL));
    if (classify)
        cJSON_AddNumberToObject(o, "predicted_class", quant_predicted_class(m, f));
    else
        cJSON_AddNullToObject(o, "predicted_class");
    if (d->targets)
        cJSON_AddNumberToObject(o, "target", d->targets[sample]);
    cJSON_AddNumberToObject(o, "scale", t->scale);
    cJSON_AddNumberToObject(o, "sample", sample);
    cJSON_AddStringToObject(o, "input_source", d->source);
    if (m->softmax_outside)
        cJSON_AddStringToObject(o, "note",
                                "outputs are the proven logits; dequantized applies "
                                "the model's final Softmax to them");
    if (m->settings.output_visibility == QUANT_VIS_HASHED)
        cJSON_AddStringToObject(o, "output_visibility",
                                "hashed: the proof shows only the "
                                "outputs' commitment, which these values open "
                                "(docs/COMMITMENTS.md)");
    free(f);
    return o;
}

static int prove_sample(const char *dir, circuit_loaded *l, const quant_dataset *d, int sample,
                        zkml_error *err)
{
    int64_t *q = malloc((d->features + 1) * sizeof *q);
    quant_values v = {0};
    circuit c = {0};
    char path[4096];
    const float *x = d->x + (size_t)sample * d->features;
    if (!q)
        return zkml_fail(err, ZKML_ENOMEM, "witness: out of memory");
    int rc = quant_input(&l->m, x, q, err);
    if (rc)
        zkml_error_prefix(err, "sample %d", sample);
    if (!rc)
        rc = quant_eval(&l->m, q, &v, err);
    if (!rc)
        rc = circuit_build_witness(&l->m, &v, &c, err);
    if (!rc)
        rc = circuit_write_json(dir, ZKML_A_INPUT, input_json(x, d->features), err);
    if (!rc && !(rc = zkml_artifact_path(path, sizeof path, dir, ZKML_A_WITNESS, err)))
        rc = wtns_write(c.witness, c.cs.n_wires, path, err);
    if (!rc)
        rc = circuit_write_json(dir, ZKML_A_OUTPUT, output_json(l, &v, &c, d, sample), err);
    circuit_free(&c);
    quant_values_free(&v);
    free(q);
    return rc;
}

int circuit_witness_step(const char *dir, const zkml_step_opts *opts, zkml_error *err)
{
    int sample = opts ? opts->sample : 0;
    circuit_loaded l;
    quant_dataset d;
    int rc = circuit_load(dir, &l, err);
    if (rc)
        return rc;
    if (!(rc = quant_dataset_load(dir, l.g, 0, &d, err))) {
        if (sample < 0 || (size_t)sample >= d.rows)
            rc = zkml_fail(err, ZKML_EINVAL, "witness: sample %d does not exist (%s has %zu rows)",
                           sample, d.source, d.rows);
        else
            rc = prove_sample(dir, &l, &d, sample, err);
        quant_dataset_free(&d);
    }
    circuit_unload(&l);
    return rc;
}
