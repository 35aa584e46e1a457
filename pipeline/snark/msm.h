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

/* affine_sums: many short sums of points of one group at once (a phase-2
 * key's sums, one per wire and kind), kept as lists of affine points and
 * added in pairs, the pairs of all the sums in batches of AFFINE_SUMS_BATCH
 * sharing one inversion (affine_sums.c says why). Points are added sum after
 * sum: a point's sum is never below the previous point's. A Jacobian point
 * waits in its slot (add_jac) until affine_sums_reduce makes all of them
 * affine together. A slot from affine_sums_slot (its index:
 * affine_sums_count just before) holds infinity until the caller writes a
 * point into it. A caller reduces when affine_sums_full, keeping the last
 * sum (which may get more points), so that a list never holds much more
 * than AFFINE_SUMS_LIMIT points; it must have written every slot it took
 * by then (an empty one is dropped, and the indices change). One thread per
 * value. */
enum { AFFINE_SUMS_BATCH = 4096, AFFINE_SUMS_LIMIT = 1 << 14 };

typedef struct affine_sums {
    const group_ops *g;
    uint8_t *p;    /* n affine points */
    uint32_t *sum; /* the sum each point goes to */
    size_t n, cap;
    uint8_t *jac;   /* n_jac Jacobian points waiting ... */
    size_t *jac_at; /* ... for these slots */
    size_t n_jac, cap_jac;
    uint8_t *lhs, *rhs, *scratch; /* a batch: AFFINE_SUMS_BATCH pairs */
    size_t *dest;                 /* where each pair's sum goes */
} affine_sums;

/* -1 when out of memory (s is then free). */
int affine_sums_init(affine_sums *s, const group_ops *g);
void affine_sums_free(affine_sums *s);
static inline size_t affine_sums_count(const affine_sums *s)
{
    return s->n;
}
static inline int affine_sums_full(const affine_sums *s)
{
    return s->n >= AFFINE_SUMS_LIMIT;
}
/* A new slot of sum `sum`, holding infinity; NULL when out of memory. The
 * pointer is good until the next call that adds a point. */
void *affine_sums_slot(affine_sums *s, uint32_t sum);
/* Point i (an index affine_sums_count gave). */
void *affine_sums_at(affine_sums *s, size_t i);
/* p (an affine point; -p when negate) into sum `sum`: 0, or -1 when out of memory. */
int affine_sums_add(affine_sums *s, uint32_t sum, const void *p, int negate);
/* The same for a Jacobian point. */
int affine_sums_add_jac(affine_sums *s, uint32_t sum, const void *jac);
/* A Jacobian point for slot i (an index affine_sums_count gave), made affine
 * and put there by the next reduce: 0, or -1 when out of memory. */
int affine_sums_put_jac(affine_sums *s, size_t i, const void *jac);
/* Adds up each sum's points and hands the sum to out (sum ascending, the
 * point affine: infinity when its points cancel), but for the last one that
 * still holds a point when keep_last (not always the newest: a sum whose
 * points so far are all at infinity is dropped), which stays in the list as
 * one point; the list is empty otherwise. 0, or -1 when out of memory
 * (nothing handed then, and the list is only fit to be freed). */
typedef void (*affine_sums_fn)(void *ctx, uint32_t sum, const void *point);
int affine_sums_reduce(affine_sums *s, affine_sums_fn out, void *ctx, int keep_last);

/* msm_small: sum of m[i] * points[i] over n affine points with magnitudes
 * m[i] of at most 64 bits (a negative coefficient is the caller's: it
 * passes -P), for the many short sums with small coefficients of a phase-2
 * key (msm_small.c says how), in three steps around an affine_sums list of
 * buckets that the caller shares among many such sums:
 *   msm_small_width: the window width c (at most MSM_SMALL_MAX_C: wider ones
 *     pay only past ~4000 terms, and zkey_init.c sums 1024 at a time) and
 *     the window count nwin (0 when every magnitude is 0);
 *   msm_small_buckets: each point into sum id + w 2^c + d of b for its digit
 *     d (not 0) in each window w, in ascending order (so ids below id +
 *     MSM_SMALL_KEYS are this sum's; order is MSM_SMALL_ORDER(n) words of
 *     scratch); points at infinity add nothing; -1 when out of memory;
 *   msm_small_fold: r (Jacobian) from the buckets once b has added them up
 *     (affine_sums_reduce): bucket w 2^c + d of `buckets`, infinity where
 *     none came; scratch holds 2 Jacobian points of g;
 *   msm_small_clear: the first n buckets of a table set to infinity, as a
 *     table starts (MSM_SMALL_KEYS) and as a fold leaves it for the next
 *     (nwin << c). */
#define MSM_SMALL_MAX_C 8
#define MSM_SMALL_KEYS ((64u / MSM_SMALL_MAX_C) << MSM_SMALL_MAX_C) /* nwin << c at most */
#define MSM_SMALL_ORDER(n) ((size_t)MSM_SMALL_KEYS + 1 + (size_t)(n)*64)
void msm_small_width(const uint64_t *m, size_t n, uint32_t *c, uint32_t *nwin);
int msm_small_buckets(affine_sums *b, uint32_t id, const void *points, const uint64_t *m, size_t n,
                      uint32_t c, uint32_t nwin, uint32_t *order);
void msm_small_fold(const group_ops *g, void *r, const void *buckets, uint32_t c, uint32_t nwin,
                    void *scratch);
void msm_small_clear(const group_ops *g, void *buckets, size_t n);

#endif
