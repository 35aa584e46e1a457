/*
 * quant_model.h - internal: building blocks of the quantized model shared by
 * model.c (storage, bounds, cost), lower.c (ONNX -> layers) and eval.c.
 */
#ifndef ZKML_QUANT_MODEL_H
#define ZKML_QUANT_MODEL_H

#include "pipeline/quant/quant.h"

int qm_add_tensor(quant_model *m, quant_tensor_kind kind, uint32_t size, int scale, int onnx_id,
                  uint32_t *id, zkml_error *err);
/* The pointer m->layers may move: take &m->layers[id] after this call. */
int qm_add_layer(quant_model *m, quant_layer_kind kind, int node, uint32_t in, uint32_t out,
                 uint32_t *id, zkml_error *err);
void qm_set_activation_range(quant_tensor *t, int bits, int is_signed);
/* Worst-case |row value| over the first rows rows of an affine layer. */
double qm_affine_bound(const quant_model *m, const quant_layer *l, uint32_t rows);

/* param_visibility hashed (params.c): registers node's weight or bias
 * tensor (ONNX tensor onnx_id) of count values at scale, each unset until qm_param_set; first
 * receives the index of its first value in m->params. */
int qm_param_tensor_add(quant_model *m, int node, int onnx_id, int is_bias, uint32_t count,
                        int scale, uint32_t *first, zkml_error *err);
/* Sets parameter p to q: a value used twice (a Conv kernel) must be the same. */
int qm_param_set(quant_model *m, uint32_t p, int64_t q, zkml_error *err);
/* After lowering: every parameter set, each tensor's bit width. */
int qm_params_finish(quant_model *m, zkml_error *err);
/* The products (weight wire times activation wire) requant layer r's rows
 * cost: one per term with a parameter. */
uint64_t qm_requant_products(const quant_model *m, const quant_layer *r);

#endif
