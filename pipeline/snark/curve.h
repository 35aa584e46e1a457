/*
 * curve.h - internal: constants of the BN254 groups used across snark/.
 * G1: y^2 = x^3 + 3 over Fp. G2: the D-type sextic twist y^2 = x^3 + 3/(9+u)
 * over Fp2 (TWIST_B in tower.h). Jacobian coordinates: (X, Y, Z) is the
 * affine point (X/Z^2, Y/Z^3); Z = 0 is the point at infinity.
 */
#ifndef ZKML_SNARK_CURVE_H
#define ZKML_SNARK_CURVE_H

#include "pipeline/snark/tower.h"

extern const fp_t G1_B;                /* 3, Montgomery form */
extern const fp2_t G2_GEN_X, G2_GEN_Y; /* the standard G2 generator (EIP-197) */

/* The subgroup check by its definition, r * p = infinity: the reference the
 * tests hold the faster g2_is_in_subgroup to. */
int g2_is_in_subgroup_by_order(const g2_affine *p);
/* Multiplies by G2's cofactor (a point of the twist to one of G2). */
void g2_clear_cofactor(g2_jac *r, const g2_jac *a);

#endif
