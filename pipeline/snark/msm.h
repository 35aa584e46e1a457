/*
 * msm.h - internal: multi-scalar multiplication sum(k_i * P_i) in G1 and G2.
 *
 * Pippenger's bucket method with signed windows (2^(c-1) buckets per window,
 * c chosen from the number of points and threads), multithreaded by giving
 * whole windows to threads; G1 buckets are affine, filled in batches that
 * share one inversion. Zero scalars and points at infinity are skipped and
 * points whose scalar is one are added directly: most witness wires are bits.
 * Scalars are Fr elements (Montgomery form, as everywhere; normal form for
 * the _normal variants).
 */
#ifndef ZKML_SNARK_MSM_H
#define ZKML_SNARK_MSM_H

#include "pipeline/snark/group_ops.h"
#include "pipeline/snark/snark.h"

int msm_g1(g1_jac *out, const g1_affine *points, const fr_t *scalars, size_t n, int threads,
           zkml_error *err);
int msm_g2(g2_jac *out, const g2_affine *points, const fr_t *scalars, size_t n, int threads,
           zkml_error *err);
/* The same with the scalars already in normal form (mont_to_raw of the Fr
 * value, each < r): a caller with several MSMs over one set of scalars (the
 * prover's witness) converts them once. */
int msm_g1_normal(g1_jac *out, const g1_affine *points, const fr_t *normal, size_t n, int threads,
                  zkml_error *err);
int msm_g2_normal(g2_jac *out, const g2_affine *points, const fr_t *normal, size_t n, int threads,
                  zkml_error *err);

/* msm_small: r (a Jacobian point of g) = sum of m[i] * points[i] over n
 * affine points with magnitudes m[i] of at most 64 bits (a negative
 * coefficient is the caller's: it passes -P). For the many short sums with
 * small coefficients of a phase-2 key (msm_small.c says how). One thread, no
 * allocation: scratch holds MSM_SMALL_SCRATCH Jacobian points of g. Points at
 * infinity and zero magnitudes add nothing. Windows are at most
 * MSM_SMALL_MAX_C bits: wider ones pay only past ~4000 terms, and the caller
 * (zkey_init.c) sums 1024 at a time. */
#define MSM_SMALL_MAX_C 8
#define MSM_SMALL_SCRATCH ((1u << MSM_SMALL_MAX_C) + 1)
void msm_small(const group_ops *g, void *r, const void *points, const uint64_t *m, size_t n,
               void *scratch);

#endif
