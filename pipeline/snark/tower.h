/*
 * tower.h - internal: the BN254 extension tower Fp2 -> Fp6 -> Fp12 beyond the
 * operations in snark.h: Fp6 arithmetic, the sparse products the Miller loop
 * needs, Frobenius maps, and the constants of the twist.
 */
#ifndef ZKML_SNARK_TOWER_H
#define ZKML_SNARK_TOWER_H

#include "pipeline/snark/field.h"

void fp2_dbl(fp2_t *r, const fp2_t *a);
void fp2_conj(fp2_t *r, const fp2_t *a); /* the p-power Frobenius */
void fp2_mul_fp(fp2_t *r, const fp2_t *a, const fp_t *b);
void fp2_mul_by_xi(fp2_t *r, const fp2_t *a); /* times 9 + u */

void fp6_zero(fp6_t *r);
void fp6_one(fp6_t *r);
void fp6_add(fp6_t *r, const fp6_t *a, const fp6_t *b);
void fp6_sub(fp6_t *r, const fp6_t *a, const fp6_t *b);
void fp6_neg(fp6_t *r, const fp6_t *a);
void fp6_mul(fp6_t *r, const fp6_t *a, const fp6_t *b);
void fp6_sqr(fp6_t *r, const fp6_t *a);
void fp6_inv(fp6_t *r, const fp6_t *a);
void fp6_mul_by_v(fp6_t *r, const fp6_t *a);
/* a * (b0 + b1 v). */
void fp6_mul_by_01(fp6_t *r, const fp6_t *a, const fp2_t *b0, const fp2_t *b1);

void fp12_zero(fp12_t *r);
void fp12_conj(fp12_t *r, const fp12_t *a); /* a^(p^6); the inverse in GΦ12 */
/* f * (l0 + l1 w + l3 w^3): the shape of every Miller-loop line. */
void fp12_mul_by_line(fp12_t *f, const fp2_t *l0, const fp2_t *l1, const fp2_t *l3);
/* a^2 for a in the cyclotomic subgroup (after the easy part of the final
 * exponentiation); cheaper than fp12_sqr, wrong elsewhere. */
void fp12_cyclotomic_sqr(fp12_t *r, const fp12_t *a);
/* a^(p^k) for k = 1, 2, 3. */
void fp12_frobenius(fp12_t *r, const fp12_t *a, int k);

/* Twist constants: b' = 3 / (9 + u), and the coefficients of the p- and
 * p^2-power Frobenius on twist points: xi^((p-1)/3), xi^((p-1)/2),
 * xi^((p^2-1)/3), xi^((p^2-1)/2). */
extern const fp2_t TWIST_B;
extern const fp2_t TWIST_FROB_X1, TWIST_FROB_Y1, TWIST_FROB_X2, TWIST_FROB_Y2;

#endif
