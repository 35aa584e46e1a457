/*
 * test_circuit.h - deterministic random R1CS circuits with a satisfying
 * witness, for the Groth16 tests and the benchmark.
 *
 * The mix imitates a quantized network: about 70% of the constraints are bit
 * decompositions (b*(b-1) = 0 and a recomposition), the rest products of
 * full-field values and linear combinations; every public input is used and
 * each output is a linear combination of internal wires.
 */
#ifndef ZKML_TEST_CIRCUIT_H
#define ZKML_TEST_CIRCUIT_H

#include "pipeline/snark/snark.h"
#include "tests/test_util.h"

/* A uniform Fr element from the shared test RNG. */
void test_rng_fr(test_rng *g, fr_t *out);

/* Builds a circuit of exactly n_constraints constraints (n_constraints must be
 * >= n_pub_out + n_pub_in + 1) and its witness (*w, malloc'ed, cs->n_wires long). */
int test_circuit_build(r1cs *cs, fr_t **w, uint32_t n_constraints, uint32_t n_pub_out,
                       uint32_t n_pub_in, uint64_t seed, zkml_error *err);

#endif
