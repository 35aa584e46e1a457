/*
 * g1_ifma.h - internal: G1 with sixteen points per vector value (AVX-512
 * IFMA, fp_ifma.h): the lockstep multiplication of g1_mul_same (glv_ifma.c) with
 * the digit schedule it shares with glv.c, the setup's sums of products
 * (g1_ifma_sum_many, the same file), and the batch addition of the MSM
 * buckets and fixed-base tables (batch_ifma.c). Call any of them only
 * when fp_ifma_usable().
 *
 * A scalar k splits into two halves of ~127 bits (GLV), each written in
 * width-5 NAF: odd digits in [-15, 15], at most one non-zero in five. The
 * points follow the schedule together, from the top digit down: a doubling
 * per digit, then row |d| >> 1 of the half's table of odd multiples added
 * (subtracted for d < 0). Tables: t1 row j = (2j + 1) P signed as the first
 * half, t2 row j = phi(t1 row j) signed as the second, phi(x, y) = (beta x, y).
 */
#ifndef ZKML_SNARK_G1_IFMA_H
#define ZKML_SNARK_G1_IFMA_H

#include "pipeline/snark/fp_ifma.h"
#include "pipeline/snark/snark.h"

#include <stdint.h>

enum { WNAF_W = 5, WNAF_TABLE = 1 << (WNAF_W - 2), WNAF_MAX = 130 };

/* The scalar's two halves as width-5 NAF digits, with their signs. */
typedef struct glv_digits {
    int8_t d1[WNAF_MAX], d2[WNAF_MAX];
    int n1, n2;
    int neg1, neg2;
} glv_digits;

/* beta in Montgomery form (glv.c): phi(P) = lambda P on G1. */
extern const fp_t GLV_BETA;

/* out[0..n) = k p[i] with k's digits g (len: the longer half's count), sixteen
 * points per vector value: 0 when done, 1 when a step would have added a point to
 * itself or to its opposite (nothing is written then: the caller takes the
 * portable path). Whether that happens depends on k alone, as every point
 * takes the same steps with the same multiples of itself, and the first
 * batch meets it before any output is written, so out may alias p. -1 when
 * out of memory. */
int glv_ifma_mul_same(g1_affine *out, const g1_affine *p, size_t n, const glv_digits *g, int len);

/* k's GLV halves (glv.c): k = k1 + k2 lambda mod r with |k1|, |k2| < 2^127,
 * as magnitudes and signs. */
void glv_halves(const fr_t *k, unsigned __int128 *m1, int *neg1, unsigned __int128 *m2, int *neg2);

/* out[l] = sum over j < t of k[l t + j] p[l t + j], for n sums of t terms
 * (1 <= t <= G1_IFMA_TERMS) whose points each have their own scalar (the
 * full-size coefficients of a setup from a ptau, which are public), sixteen
 * sums per vector value: a sum's terms share its doublings (Straus), and each
 * adds its own table row (gathered lane by lane) once per five bits of each
 * GLV half. A sum that would need the tangent is done again by g1_mul. out
 * may not alias p. w is a workspace (~34 MB, most of it the lane-major
 * tables) for one thread at a time. Nothing is wiped: the scalars are not
 * secrets. g1_ifma_many_new: NULL when out of memory. */
enum { G1_IFMA_TERMS = 4 };
typedef struct g1_ifma_many g1_ifma_many;
g1_ifma_many *g1_ifma_many_new(void);
void g1_ifma_many_free(g1_ifma_many *w);
void g1_ifma_sum_many(g1_ifma_many *w, g1_affine *out, const g1_affine *p, const fr_t *const *k,
                      size_t t, size_t n);

#ifdef FP_IFMA_BUILT
/* The sum of (xa, ya) and a point with x-coordinate xb from the slope lambda
 * of their chord or tangent: x3 = lambda^2 - xa - xb, y3 = lambda (xa - x3)
 * - ya. x3, y3 may not alias the inputs. */
FPV_INLINE void g1v_from_slope(fpv *x3, fpv *y3, const fpv *lambda, const fpv *xa, const fpv *ya,
                               const fpv *xb)
{
    fpv_sqr(x3, lambda);
    fpv_sub(x3, x3, xa);
    fpv_sub(x3, x3, xb);
    fpv_sub_lazy(y3, xa, x3);
    fpv_mul(y3, y3, lambda);
    fpv_sub(y3, y3, ya);
}

/* Vector value i of (x, y) into out[16 i ..]: the lanes below m and not in
 * skip (the others go to a scratch copy, wiped: the points may be multiples
 * by a secret). Infinity flags are the caller's. */
FPV_INLINE void g1v_store(g1_affine *out, size_t i, size_t m, fpv_mask skip, const fpv *x,
                          const fpv *y)
{
    uint64_t spare[FPV_LANES][4], *xs[FPV_LANES], *ys[FPV_LANES];
    for (size_t l = 0; l < FPV_LANES; l++) {
        size_t at = FPV_LANES * i + l;
        int keep = at < m && !(skip >> l & 1);
        xs[l] = keep ? out[at].x.v : spare[l];
        ys[l] = keep ? out[at].y.v : spare[l];
    }
    fpv_store(xs, x);
    fpv_store(ys, y);
    zkml_wipe(spare, sizeof spare);
}
#endif

/* g1_batch_add_affine's contract (snark.h: every case, r may alias a or b)
 * for n pairs, with scratch of g1_ifma_batch_scratch(n) bytes. */
size_t g1_ifma_batch_scratch(size_t n);
void g1_ifma_batch_add(g1_affine *r, const g1_affine *a, const g1_affine *b, size_t n,
                       void *scratch);

#endif
