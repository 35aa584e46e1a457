/*
 * fuzz_onnx.c - the ONNX loader on arbitrary bytes; a model that loads and
 * is small is also evaluated on zero inputs (shapes from inference must be
 * consistent with what the kernels read and write).
 */
#include <stdint.h>
#include <stdlib.h>

#include "pipeline/onnx/onnx.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    onnx_model *m = NULL;
    zkml_error err;
    if (onnx_load_bytes(data, size, &m, &err) != 0)
        return 0;
    if (m->n_values <= (1u << 14) && m->n_inputs <= 8) {
        float *inputs[8] = {0};
        int ok = 1;
        for (int k = 0; k < m->n_inputs; k++) {
            size_t n = m->tensors[m->inputs[k]].size;
            ok &= (inputs[k] = calloc(n ? n : 1, sizeof(float))) != NULL;
        }
        float **values = NULL;
        if (ok && onnx_eval_all(m, (const float *const *)inputs, &values, &err) == 0)
            onnx_values_free(m, values);
        for (int k = 0; k < m->n_inputs; k++)
            free(inputs[k]);
    }
    onnx_free(m);
    return 0;
}
