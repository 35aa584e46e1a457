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

#endif
