/*
 * eval.c - the float reference evaluator: runs the nodes of a loaded model in
 * order on one sample, keeping every tensor's value. Sums accumulate in
 * double. The per-op kernels live in eval_ops.c (elementwise, linear algebra,
 * shape ops) and eval_window.c (Conv and pooling).
 */
#include <stdlib.h>
#include <string.h>

#include "eval_internal.h"

void onnx_values_free(const onnx_model *model, float **values)
{
    if (!values)
        return;
    for (int i = 0; i < model->n_tensors; i++)
        free(values[i]);
    free(values);
}

static float *copy_floats(const float *src, size_t n)
{
    float *p = malloc((n ? n : 1) * sizeof(float));
    if (p && n)
        memcpy(p, src, n * sizeof(float));
    return p;
}

int onnx_eval_all(const onnx_model *m, const float *const *inputs, float ***out, zkml_error *err)
{
    *out = NULL;
    float **values = calloc((size_t)(m->n_tensors ? m->n_tensors : 1), sizeof(float *));
    if (!values)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory");
    int rc = 0;
    for (int i = 0; i < m->n_tensors && rc == 0; i++) {
        if (m->tensors[i].data &&
            !(values[i] = copy_floats(m->tensors[i].data, m->tensors[i].size)))
            rc = zkml_fail(err, ZKML_ENOMEM, "out of memory");
    }
    for (int k = 0; k < m->n_inputs && rc == 0; k++) {
        const onnx_tensor *t = &m->tensors[m->inputs[k]];
        if (!inputs || !inputs[k])
            rc = zkml_fail(err, ZKML_EINVAL, "no value for graph input '%s'", t->name);
        else if (!(values[m->inputs[k]] = copy_floats(inputs[k], t->size)))
            rc = zkml_fail(err, ZKML_ENOMEM, "out of memory");
    }
    for (int i = 0; i < m->n_nodes && rc == 0; i++) {
        const onnx_node *n = &m->nodes[i];
        for (int o = 0; o < n->n_outputs && rc == 0; o++) {
            int id = n->outputs[o];
            if (id >= 0 && !(values[id] = calloc(m->tensors[id].size ? m->tensors[id].size : 1,
                                                 sizeof(float))))
                rc = zkml_fail(err, ZKML_ENOMEM, "out of memory");
        }
        if (rc == 0)
            rc = onnx_eval_node(m, n, values, err);
    }
    if (rc != 0) {
        onnx_values_free(m, values);
        return rc;
    }
    *out = values;
    return 0;
}

int onnx_eval(const onnx_model *m, const float *input, float *const *outputs, zkml_error *err)
{
    if (m->n_inputs != 1)
        return zkml_fail(err, ZKML_EINVAL, "the model has %d inputs; onnx_eval takes one",
                         m->n_inputs);
    float **values;
    const float *inputs[1] = {input};
    int rc = onnx_eval_all(m, inputs, &values, err);
    if (rc != 0)
        return rc;
    for (int k = 0; k < m->n_outputs; k++) {
        const onnx_tensor *t = &m->tensors[m->outputs[k]];
        memcpy(outputs[k], values[m->outputs[k]], t->size * sizeof(float));
    }
    onnx_values_free(m, values);
    return 0;
}
