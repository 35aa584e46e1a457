/*
 * onnx.h - public face of pipeline/onnx: loading ONNX models (protobuf-c),
 * the graph with inferred shapes, and the float reference evaluator.
 *
 * A loaded model is a flat, validated graph:
 *   - tensors[]: every value of the graph (graph inputs, initializers, Constant
 *     outputs, node outputs), each with a concrete shape. A dynamic batch
 *     dimension (dim 0 given as a name or left unknown) is treated as 1.
 *   - nodes[]: in topological order. Constant nodes, and nodes whose inputs
 *     are all constants (e.g. a Cast of an initializer), are computed at load
 *     and disappear: their outputs are constant tensors (data != NULL).
 *   - inputs[] / outputs[]: graph inputs that are not initializers, and graph
 *     outputs, as tensor ids.
 *
 * The loader normalizes the differences between opsets 7 to 21 so a consumer
 * sees one form per op (see "Normalized attributes" below): values that later
 * opsets pass as constant inputs (Squeeze/Unsqueeze/Reduce axes, Clip min/max,
 * Pad pads, Reshape shape) become attributes, and those inputs are dropped from
 * the node's input list. Every axis is non-negative after load.
 *
 * Refused at load, with the node name, op and opset in the message: external
 * data, training graphs, sparse initializers, ops outside the list below,
 * ops in a domain other than the default one, non-constant shape arguments,
 * tensor types other than float/double/int8..int64/uint8..uint64/bool.
 */
#ifndef ZKML_ONNX_H
#define ZKML_ONNX_H

#include "common/common.h"

#define ONNX_MAX_RANK 8
/* Upload limit for onnx_load_file (the server's body limit is larger than any
 * model we can prove). */
#define ONNX_MAX_FILE_BYTES (256u << 20)
/* Limits checked at load so a hostile file cannot make evaluation explode:
 * elements over all tensors, and each kernel, stride, dilation and pad. */
#define ONNX_MAX_VALUES (1u << 26)
#define ONNX_MAX_WINDOW (1 << 16)

/* TensorProto.DataType values (as in the ONNX spec). */
typedef enum onnx_dtype {
    ONNX_DTYPE_FLOAT = 1,
    ONNX_DTYPE_UINT8 = 2,
    ONNX_DTYPE_INT8 = 3,
    ONNX_DTYPE_UINT16 = 4,
    ONNX_DTYPE_INT16 = 5,
    ONNX_DTYPE_INT32 = 6,
    ONNX_DTYPE_INT64 = 7,
    ONNX_DTYPE_BOOL = 9,
    ONNX_DTYPE_DOUBLE = 11,
    ONNX_DTYPE_UINT32 = 12,
    ONNX_DTYPE_UINT64 = 13,
} onnx_dtype;

typedef enum onnx_op {
    ONNX_OP_GEMM,
    ONNX_OP_MATMUL,
    ONNX_OP_ADD,
    ONNX_OP_SUB,
    ONNX_OP_MUL,
    ONNX_OP_DIV,
    ONNX_OP_RELU,
    ONNX_OP_LEAKY_RELU,
    ONNX_OP_PRELU,
    ONNX_OP_SIGMOID,
    ONNX_OP_TANH,
    ONNX_OP_SOFTMAX,
    ONNX_OP_CLIP,
    ONNX_OP_CONV,
    ONNX_OP_MAX_POOL,
    ONNX_OP_AVERAGE_POOL,
    ONNX_OP_GLOBAL_AVERAGE_POOL,
    ONNX_OP_BATCH_NORMALIZATION,
    ONNX_OP_FLATTEN,
    ONNX_OP_RESHAPE,
    ONNX_OP_TRANSPOSE,
    ONNX_OP_CONCAT,
    ONNX_OP_SQUEEZE,
    ONNX_OP_UNSQUEEZE,
    ONNX_OP_IDENTITY,
    ONNX_OP_CAST,
    ONNX_OP_DROPOUT,
    ONNX_OP_REDUCE_MEAN,
    ONNX_OP_REDUCE_SUM,
    ONNX_OP_PAD,
    ONNX_OP_COUNT
} onnx_op;

typedef enum onnx_attr_type {
    ONNX_ATTR_FLOAT = 1,
    ONNX_ATTR_INT = 2,
    ONNX_ATTR_STRING = 3,
    ONNX_ATTR_FLOATS = 6,
    ONNX_ATTR_INTS = 7,
} onnx_attr_type;

typedef struct onnx_attr {
    char *name;
    onnx_attr_type type;
    int64_t i;     /* ONNX_ATTR_INT */
    float f;       /* ONNX_ATTR_FLOAT */
    char *s;       /* ONNX_ATTR_STRING, NUL-terminated */
    int64_t *ints; /* ONNX_ATTR_INTS, n values */
    float *floats; /* ONNX_ATTR_FLOATS, n values */
    size_t n;
} onnx_attr;

typedef struct onnx_tensor {
    char *name;
    onnx_dtype dtype;
    int rank;
    int64_t shape[ONNX_MAX_RANK];
    size_t size; /* number of elements (1 for a scalar) */
    /* Constant value (initializer or Constant node), converted to float;
     * NULL for a graph input or a node output. */
    float *data;
    /* The same constant as int64 when dtype is an integer or bool type. */
    int64_t *int_data;
    int producer; /* index of the node that computes it, -1 if none */
} onnx_tensor;

typedef struct onnx_node {
    onnx_op op;
    char *name;          /* the node's name, or "<op_type>#<index>" if unnamed */
    const char *op_type; /* "Gemm", "Conv", ... (static string) */
    int n_inputs;
    int *inputs; /* tensor ids; -1 for an omitted optional input */
    int n_outputs;
    int *outputs; /* tensor ids; outputs[0] is the main result */
    int n_attrs;
    onnx_attr *attrs;
} onnx_node;

typedef struct onnx_model {
    int64_t opset; /* default-domain opset, 7..21 */
    int64_t ir_version;
    int n_tensors;
    onnx_tensor *tensors;
    int n_nodes;
    onnx_node *nodes; /* topological order */
    int n_inputs;
    int *inputs; /* non-initializer graph inputs */
    int n_outputs;
    int *outputs;
    size_t n_values; /* elements over all tensors (at most ONNX_MAX_VALUES) */
} onnx_model;

/*
 * Normalized attributes (always present after load, whatever the opset):
 *   Gemm        alpha, beta (float), transA, transB (int); inputs A, B[, C]
 *   Conv        kernel_shape, strides, dilations (ints, one per spatial dim),
 *               pads (ints, begin values then end values; auto_pad resolved),
 *               group (int); inputs X, W[, B]
 *   MaxPool,    kernel_shape, strides, dilations, pads as for Conv,
 *   AveragePool ceil_mode (int), count_include_pad (int, AveragePool)
 *   LeakyRelu   alpha (float)
 *   Softmax     axis (int, >= 0), coerce_2d (int): 1 for opset < 13, where
 *               the softmax runs over all dims from axis on as one vector
 *   Clip        min, max (float; -INFINITY / INFINITY when absent); inputs X
 *   BatchNormalization  epsilon (float); inputs X, scale, B, mean, var
 *   Flatten     axis (int, >= 0)
 *   Reshape     shape (ints, the resolved output shape); inputs data
 *   Transpose   perm (ints)
 *   Concat      axis (int, >= 0)
 *   Squeeze, Unsqueeze  axes (ints, >= 0, sorted; Unsqueeze axes index the
 *               output); inputs data
 *   ReduceMean, ReduceSum  axes (ints, >= 0, sorted; empty means identity),
 *               keepdims (int); inputs data
 *   Cast        to (int, an onnx_dtype)
 *   Pad         pads (ints, 2 * rank: begins then ends), value (float),
 *               mode (string: "constant", "reflect" or "edge"); inputs data
 *   Dropout     inputs data (inference: identity; a mask output is all ones)
 * Other ops have no attributes that change their result.
 */

/* Reads an ONNX model. Messages name the file (onnx_load_file), and for a
 * refused node its name, op and the opset ("model.onnx: node 'erf1' (Erf,
 * opset 13): operator is not supported"); bytes that are not ONNX give "not an
 * ONNX model: ...". A node without a name is called "<op_type>#<index>". */
int onnx_load_file(const char *path, onnx_model **out, zkml_error *err);
int onnx_load_bytes(const uint8_t *data, size_t len, onnx_model **out, zkml_error *err);
void onnx_free(onnx_model *model);

/* Loader options for tests that replay ONNX reference data. */
typedef struct onnx_load_options {
    /* Graph inputs named bind[i]->name become constants with bind[i]'s value
     * before shapes are inferred (the ONNX node tests pass shapes, axes, pads
     * and Clip bounds as graph inputs). The declared type must be supported. */
    const onnx_tensor *const *bind;
    int n_bind;
    /* Lowest opset accepted; 0 means 7. Opsets below 7 are accepted only for
     * replaying reference data: nodes using the legacy forms whose meaning
     * differs from opset 7 (broadcast=1 with an `axis`, PRelu, spatial=0
     * BatchNormalization) are still refused. */
    int64_t min_opset;
} onnx_load_options;

int onnx_load_bytes_opts(const uint8_t *data, size_t len, const onnx_load_options *opts,
                         onnx_model **out, zkml_error *err);

/* Reads a serialized TensorProto (the test_data_set_*.pb files): name, shape,
 * dtype and data (float, and int64 for integer types). */
int onnx_tensor_read_bytes(const uint8_t *data, size_t len, onnx_tensor **out, zkml_error *err);
void onnx_tensor_free(onnx_tensor *t);

/* Lookups. onnx_find_attr returns NULL when absent. */
const onnx_attr *onnx_find_attr(const onnx_node *node, const char *name);
int64_t onnx_attr_int(const onnx_node *node, const char *name, int64_t fallback);
float onnx_attr_float(const onnx_node *node, const char *name, float fallback);
/* The list, or NULL with *n = 0 when absent. */
const int64_t *onnx_attr_ints(const onnx_node *node, const char *name, size_t *n);
const char *onnx_attr_string(const onnx_node *node, const char *name, const char *fallback);
int onnx_find_tensor(const onnx_model *model, const char *name); /* id or -1 */
const char *onnx_op_name(onnx_op op);

/* ---- float reference evaluator ---------------------------------------------
 * Runs every node in float (double accumulation for sums) on one sample.
 * inputs[k] holds tensors[model->inputs[k]].size floats in row-major order.
 */

/* On success *values is an array of model->n_tensors buffers, one per tensor
 * (constants included), each of tensors[t].size floats: every intermediate
 * result, as calibration needs. Free with onnx_values_free. */
int onnx_eval_all(const onnx_model *model, const float *const *inputs, float ***values,
                  zkml_error *err);
void onnx_values_free(const onnx_model *model, float **values);

/* The usual case: one input; outputs[k] (caller-allocated, tensors[
 * model->outputs[k]].size floats each) receives graph output k. */
int onnx_eval(const onnx_model *model, const float *input, float *const *outputs, zkml_error *err);

#endif
