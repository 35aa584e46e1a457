/*
 * eval_internal.h - the kernels of the float evaluator (inside pipeline/onnx).
 * Each takes the model, the node and the value array; inputs and outputs are
 * allocated with their tensors' sizes.
 */
#ifndef ZKML_ONNX_EVAL_INTERNAL_H
#define ZKML_ONNX_EVAL_INTERNAL_H

#include "onnx_internal.h"

int onnx_eval_conv(const onnx_model *m, const onnx_node *n, float **v, zkml_error *err);
int onnx_eval_pool(const onnx_model *m, const onnx_node *n, float **v, zkml_error *err);

#endif
