/*
 * attrs.c - the op table, attribute lookups and edits, and the node error
 * message format shared by the loader and the evaluator.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_internal.h"

static const char *const op_names[ONNX_OP_COUNT] = {
    [ONNX_OP_GEMM] = "Gemm",
    [ONNX_OP_MATMUL] = "MatMul",
    [ONNX_OP_ADD] = "Add",
    [ONNX_OP_SUB] = "Sub",
    [ONNX_OP_MUL] = "Mul",
    [ONNX_OP_DIV] = "Div",
    [ONNX_OP_RELU] = "Relu",
    [ONNX_OP_LEAKY_RELU] = "LeakyRelu",
    [ONNX_OP_PRELU] = "PRelu",
    [ONNX_OP_SIGMOID] = "Sigmoid",
    [ONNX_OP_TANH] = "Tanh",
    [ONNX_OP_SOFTMAX] = "Softmax",
    [ONNX_OP_CLIP] = "Clip",
    [ONNX_OP_CONV] = "Conv",
    [ONNX_OP_MAX_POOL] = "MaxPool",
    [ONNX_OP_AVERAGE_POOL] = "AveragePool",
    [ONNX_OP_GLOBAL_AVERAGE_POOL] = "GlobalAveragePool",
    [ONNX_OP_BATCH_NORMALIZATION] = "BatchNormalization",
    [ONNX_OP_FLATTEN] = "Flatten",
    [ONNX_OP_RESHAPE] = "Reshape",
    [ONNX_OP_TRANSPOSE] = "Transpose",
    [ONNX_OP_CONCAT] = "Concat",
    [ONNX_OP_SQUEEZE] = "Squeeze",
    [ONNX_OP_UNSQUEEZE] = "Unsqueeze",
    [ONNX_OP_IDENTITY] = "Identity",
    [ONNX_OP_CAST] = "Cast",
    [ONNX_OP_DROPOUT] = "Dropout",
    [ONNX_OP_REDUCE_MEAN] = "ReduceMean",
    [ONNX_OP_REDUCE_SUM] = "ReduceSum",
    [ONNX_OP_PAD] = "Pad",
};

const char *onnx_op_name(onnx_op op)
{
    return (unsigned)op < ONNX_OP_COUNT ? op_names[op] : "?";
}

int onnx_op_lookup(const char *op_type, onnx_op *op)
{
    for (int i = 0; i < ONNX_OP_COUNT; i++) {
        if (strcmp(op_names[i], op_type) == 0) {
            *op = (onnx_op)i;
            return 0;
        }
    }
    return -1;
}

int onnx_node_failf(zkml_error *err, const onnx_model *m, const onnx_node *n, const char *fmt, ...)
{
    char msg[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    return zkml_fail(err, ZKML_EINVAL, "node '%s' (%s, opset %lld): %s", n->name, n->op_type,
                     (long long)m->opset, msg);
}

const onnx_attr *onnx_find_attr(const onnx_node *node, const char *name)
{
    for (int i = 0; i < node->n_attrs; i++)
        if (strcmp(node->attrs[i].name, name) == 0)
            return &node->attrs[i];
    return NULL;
}

int64_t onnx_attr_int(const onnx_node *node, const char *name, int64_t fallback)
{
    const onnx_attr *a = onnx_find_attr(node, name);
    return a && a->type == ONNX_ATTR_INT ? a->i : fallback;
}

float onnx_attr_float(const onnx_node *node, const char *name, float fallback)
{
    const onnx_attr *a = onnx_find_attr(node, name);
    return a && a->type == ONNX_ATTR_FLOAT ? a->f : fallback;
}

const int64_t *onnx_attr_ints(const onnx_node *node, const char *name, size_t *n)
{
    const onnx_attr *a = onnx_find_attr(node, name);
    if (!a || a->type != ONNX_ATTR_INTS) {
        *n = 0;
        return NULL;
    }
    *n = a->n;
    return a->ints;
}

const char *onnx_attr_string(const onnx_node *node, const char *name, const char *fallback)
{
    const onnx_attr *a = onnx_find_attr(node, name);
    return a && a->type == ONNX_ATTR_STRING ? a->s : fallback;
}

int onnx_find_tensor(const onnx_model *model, const char *name)
{
    for (int i = 0; i < model->n_tensors; i++)
        if (strcmp(model->tensors[i].name, name) == 0)
            return i;
    return -1;
}

void onnx_attr_clear(onnx_attr *a)
{
    free(a->name);
    free(a->s);
    free(a->ints);
    free(a->floats);
    memset(a, 0, sizeof(*a));
}

/* The attribute slot for name: the existing one (cleared) or a new one. */
static onnx_attr *attr_slot(onnx_node *n, const char *name)
{
    for (int i = 0; i < n->n_attrs; i++) {
        if (strcmp(n->attrs[i].name, name) == 0) {
            char *keep = n->attrs[i].name;
            n->attrs[i].name = NULL;
            onnx_attr_clear(&n->attrs[i]);
            n->attrs[i].name = keep;
            return &n->attrs[i];
        }
    }
    onnx_attr *grown = realloc(n->attrs, (size_t)(n->n_attrs + 1) * sizeof(*grown));
    if (!grown)
        return NULL;
    n->attrs = grown;
    onnx_attr *a = &n->attrs[n->n_attrs];
    memset(a, 0, sizeof(*a));
    a->name = strdup(name);
    if (!a->name)
        return NULL;
    n->n_attrs++;
    return a;
}

int onnx_node_set_int(onnx_node *n, const char *name, int64_t v)
{
    onnx_attr *a = attr_slot(n, name);
    if (!a)
        return -1;
    a->type = ONNX_ATTR_INT;
    a->i = v;
    return 0;
}

int onnx_node_set_float(onnx_node *n, const char *name, float v)
{
    onnx_attr *a = attr_slot(n, name);
    if (!a)
        return -1;
    a->type = ONNX_ATTR_FLOAT;
    a->f = v;
    return 0;
}

int onnx_node_set_ints(onnx_node *n, const char *name, const int64_t *v, size_t count)
{
    int64_t *copy = malloc((count ? count : 1) * sizeof(*copy));
    onnx_attr *a = copy ? attr_slot(n, name) : NULL;
    if (!a) {
        free(copy);
        return -1;
    }
    if (count)
        memcpy(copy, v, count * sizeof(*copy));
    a->type = ONNX_ATTR_INTS;
    a->ints = copy;
    a->n = count;
    return 0;
}

int onnx_node_set_string(onnx_node *n, const char *name, const char *s)
{
    char *copy = strdup(s);
    onnx_attr *a = copy ? attr_slot(n, name) : NULL;
    if (!a) {
        free(copy);
        return -1;
    }
    a->type = ONNX_ATTR_STRING;
    a->s = copy;
    return 0;
}
