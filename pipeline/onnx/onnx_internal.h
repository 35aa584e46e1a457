/*
 * onnx_internal.h - shared inside pipeline/onnx only: the model builder used
 * while loading, per-op shape inference, TensorProto decoding and the
 * single-node evaluator used by constant folding.
 */
#ifndef ZKML_ONNX_INTERNAL_H
#define ZKML_ONNX_INTERNAL_H

#include "pipeline/onnx/onnx.h"
#include "onnx_min.pb-c.h"

/* String -> int index (names.c); keys are borrowed. */
typedef struct onnx_names {
    const char **keys;
    int *values;
    size_t cap, count;
} onnx_names;
int onnx_names_get(const onnx_names *ix, const char *key);      /* -1 if absent */
int onnx_names_put(onnx_names *ix, const char *key, int value); /* -1: out of memory */
void onnx_names_free(onnx_names *ix);

/* The op table: name and the opset range (since version) we implement. */
int onnx_op_lookup(const char *op_type, onnx_op *op);

/* Decodes one TensorProto into t (fields zeroed first). Refuses external
 * data and unsupported element types; `what` names it in messages. */
int onnx_tensor_from_proto(const Onnxmin__TensorProto *p, onnx_tensor *t, const char *what,
                           zkml_error *err);
void onnx_tensor_clear(onnx_tensor *t);
int onnx_dtype_supported(int64_t dtype);
/* Product of dims, failing on overflow or on more than 2^31 elements. */
int onnx_shape_size(const int64_t *shape, int rank, size_t *size);

/* float -> int64 without undefined behaviour: truncates, saturates, NaN -> 0. */
static inline int64_t onnx_float_to_i64(float v)
{
    if (!(v == v))
        return 0;
    if (v >= 9.2e18f)
        return INT64_MAX;
    if (v <= -9.2e18f)
        return INT64_MIN;
    return (int64_t)v;
}

/* Attribute editing on a node under construction. */
int onnx_node_set_int(onnx_node *n, const char *name, int64_t v);
int onnx_node_set_float(onnx_node *n, const char *name, float v);
int onnx_node_set_ints(onnx_node *n, const char *name, const int64_t *v, size_t count);
int onnx_node_set_string(onnx_node *n, const char *name, const char *s);
void onnx_attr_clear(onnx_attr *a);

/* Normalizes node n of m (its attributes and constant inputs, see onnx.h) and
 * sets the shape and dtype of its outputs. Inputs already have shapes. */
int onnx_infer_node(onnx_model *m, onnx_node *n, zkml_error *err);

/* Computes node n's outputs into values[] (all inputs present). */
int onnx_eval_node(const onnx_model *m, const onnx_node *n, float **values, zkml_error *err);

/* Fails with ZKML_EINVAL and "node 'name' (Op, opset N): <message>". */
int onnx_node_failf(zkml_error *err, const onnx_model *m, const onnx_node *n, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
