/*
 * msm.h - internal: multi-scalar multiplication sum(k_i * P_i) in G1 and G2.
 *
 * Pippenger's bucket method with signed windows (2^(c-1) buckets per window,
 * c chosen from the number of points and threads), multithreaded by giving
 * whole windows to threads; G1 buckets are affine, filled in batches that
 * share one inversion. Zero scalars and points at infinity are skipped and
 * points whose scalar is one are added directly: most witness wires are bits.
 * Scalars are Fr elements (Montgomery form, as everywhere).
 */
#ifndef ZKML_SNARK_MSM_H
#define ZKML_SNARK_MSM_H

#include "pipeline/snark/snark.h"

int msm_g1(g1_jac *out, const g1_affine *points, const fr_t *scalars, size_t n, int threads,
           zkml_error *err);
int msm_g2(g2_jac *out, const g2_affine *points, const fr_t *scalars, size_t n, int threads,
           zkml_error *err);

#endif
