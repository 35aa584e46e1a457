/*
 * compile_internal.h - internal: the compiler state shared by the inference
 * circuit (compile.c) and the evaluation circuit (eval_circuit.c), which
 * compiles the same model once per row.
 */
#ifndef ZKML_CIRCUIT_COMPILE_INTERNAL_H
#define ZKML_CIRCUIT_COMPILE_INTERNAL_H

#include "pipeline/circuit/circuit.h"
#include "pipeline/circuit/gadgets.h"

typedef struct compiler {
    const quant_model *m;
    const quant_values *v; /* the sample's evaluator values, NULL without a witness */
    cbuild b;
    uint32_t **wires; /* per activation tensor */
    uint32_t *param_wires; /* param_visibility hashed: each parameter's first bit wire */
    circuit *c;
} compiler;

/* Sets up k for m; c receives the result at compiler_finish. */
int compiler_init(compiler *k, const quant_model *m, circuit *c, int with_witness, zkml_error *err);
/* Frees the wires, and on success moves the builder's R1CS and witness into
 * k->c (else frees them). Returns rc. */
int compiler_finish(compiler *k, int rc);
/* n wires for public signals, in order. */
int compiler_reserve(compiler *k, uint32_t n);
/* One sample with values v: the range-checked input wires, then every layer. */
int compile_sample(compiler *k, const quant_values *v);
/* Tensor t's n packed values (docs/COMMITMENTS.md) as combinations, in p. */
int compile_packed(compiler *k, uint32_t t, uint32_t n, lcf *p);
/* x * 1 = the public wire `signal` (its witness value is x's). Consumes x. */
int compile_bind_public(compiler *k, lcf *x, uint32_t signal);
void compile_count_op(circuit *c, const char *op, uint64_t n);
/* param_visibility hashed (compile_params.c): each parameter as its
 * tensor's width of boolean wires, before any sample uses them. No-op for
 * fixed parameters. */
int compile_params(compiler *k);
/* lc += parameter p (the combination of its bits). */
int compile_param_lc(compiler *k, uint32_t p, r1cs_lc *lc);
/* Their commitment (docs/COMMITMENTS.md) on public wire `signal`. */
int compile_param_commitment(compiler *k, uint32_t signal);

#endif
