/*
 * pairing.h - internal: the two halves of the optimal ate pairing, exposed
 * so tests can check the final exponentiation against plain exponentiation.
 */
#ifndef ZKML_SNARK_PAIRING_H
#define ZKML_SNARK_PAIRING_H

#include "pipeline/snark/curve.h"

/* f = prod over i of the Miller loop value of (p[i], q[i]); pairs with a point
 * at infinity contribute 1. Points must be on their curves. */
void bn254_miller_loop(fp12_t *f, const g1_affine *p, const g2_affine *q, size_t n);
/* r = f^((p^12 - 1) / r). */
void bn254_final_exp(fp12_t *r, const fp12_t *f);

#endif
