/*
 * steps_internal.h - internal: what the steps of pipeline/circuit share:
 * the model and settings of an artifact directory, and writing JSON there.
 */
#ifndef ZKML_CIRCUIT_STEPS_INTERNAL_H
#define ZKML_CIRCUIT_STEPS_INTERNAL_H

#include "pipeline/circuit/circuit.h"

#include <cJSON.h>

typedef struct circuit_loaded {
    onnx_model *g;
    quant_model m;
} circuit_loaded;

/* model.onnx lowered under settings.json. */
int circuit_load(const char *dir, circuit_loaded *l, zkml_error *err);
void circuit_unload(circuit_loaded *l);
/* Prints j to the artifact id in dir atomically; takes j (NULL: out of memory). */
int circuit_write_json(const char *dir, zkml_artifact_id id, cJSON *j, zkml_error *err);

#endif
