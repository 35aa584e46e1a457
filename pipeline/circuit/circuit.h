/*
 * circuit.h - public face of pipeline/circuit: compiling a quantized graph to
 * R1CS, the gadgets, and witness generation.
 */
#ifndef ZKML_CIRCUIT_H
#define ZKML_CIRCUIT_H

#include "common/common.h"

/* compile: model.onnx, settings.json -> network.r1cs, circuit.json */
int circuit_compile_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);
/* witness: model.onnx, settings.json, data.csv (row opts->sample)
 *          -> input.json, witness.wtns, output.json */
int circuit_witness_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);

#endif
