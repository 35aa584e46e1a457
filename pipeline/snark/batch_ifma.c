/*
 * batch_ifma.c - g1_ifma_batch_add and g2_ifma_batch_add (g1_ifma.h,
 * g2_ifma.h): batch_ifma.h's batch addition for each group, after the
 * vector arithmetic it needs: fpv itself for G1, fp2v for G2.
 */
#include "pipeline/snark/g1_ifma.h"
#include "pipeline/snark/g2_ifma.h"

#include <stdint.h>
#include <string.h>

#ifdef FP_IFMA_BUILT

/* ---- G1: coordinates in Fp, sixteen to an fpv ----------------------------- */

FPV_INLINE void fpv_load_coords(fpv *r, const fp_t *const v[FPV_LANES])
{
    const uint64_t *limbs[FPV_LANES];
    for (int k = 0; k < FPV_LANES; k++)
        limbs[k] = v[k]->v;
    fpv_load(r, limbs);
}

FPV_INLINE void fpv_store_coords(fp_t *const v[FPV_LANES], const fpv *a)
{
    uint64_t *limbs[FPV_LANES];
    for (int k = 0; k < FPV_LANES; k++)
        limbs[k] = v[k]->v;
    fpv_store(limbs, a);
}

FPV_INLINE void fpv_one(fpv *r)
{
    fpv_set(r, FPV.one);
}

#define BI(name) g1_##name
#define BI_AFFINE g1_affine
#define BI_JAC g1_jac
#define BI_COORD fp_t
#define BI_V fpv
#define BI_LOAD fpv_load_coords
#define BI_STORE fpv_store_coords
#define BI_SUB fpv_sub
#define BI_SUB_LAZY fpv_sub_lazy
#define BI_MUL fpv_mul
#define BI_SQR fpv_sqr
#define BI_INV fpv_inv
#define BI_SELECT fpv_select
#define BI_ZERO_LANES fpv_zero_lanes
#define BI_ONE fpv_one
#include "pipeline/snark/batch_ifma.h"

/* ---- G2: coordinates in Fp2 = Fp[u] / (u^2 + 1), two fpv each -------------- */

typedef struct fp2v {
    fpv c0, c1;
} fp2v;

FPV_INLINE void fp2v_sub(fp2v *r, const fp2v *a, const fp2v *b)
{
    fpv_sub(&r->c0, &a->c0, &b->c0);
    fpv_sub(&r->c1, &a->c1, &b->c1);
}

/* Below 4p in each part, for a product's input only (b below 2p). */
FPV_INLINE void fp2v_sub_lazy(fp2v *r, const fp2v *a, const fp2v *b)
{
    fpv_sub_lazy(&r->c0, &a->c0, &b->c0);
    fpv_sub_lazy(&r->c1, &a->c1, &b->c1);
}

/* (a0 + a1 u)(b0 + b1 u) = a0 b0 - a1 b1 + ((a0 + a1)(b0 + b1) - a0 b0 - a1 b1) u,
 * Karatsuba's three products. The sums of parts below 4p stay below 8p, what
 * a product takes (fp_ifma.h). r may alias a or b: both are read first. */
FPV_INLINE void fp2v_mul(fp2v *r, const fp2v *a, const fp2v *b)
{
    fpv t0, t1, sa, sb;
    fpv_mul(&t0, &a->c0, &b->c0);
    fpv_mul(&t1, &a->c1, &b->c1);
    fpv_add_lazy(&sa, &a->c0, &a->c1);
    fpv_add_lazy(&sb, &b->c0, &b->c1);
    fpv_mul(&sa, &sa, &sb);
    fpv_sub(&r->c0, &t0, &t1);
    fpv_add(&sb, &t0, &t1);
    fpv_sub(&r->c1, &sa, &sb);
}

/* (a0 + a1 u)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 u: two products; a below 2p. */
FPV_INLINE void fp2v_sqr(fp2v *r, const fp2v *a)
{
    fpv s, d, m;
    fpv_add_lazy(&s, &a->c0, &a->c1);
    fpv_sub_lazy(&d, &a->c0, &a->c1);
    fpv_mul(&m, &a->c0, &a->c1);
    fpv_mul(&r->c0, &s, &d);
    fpv_add(&r->c1, &m, &m);
}

/* 1 / a = (a0 - a1 u) / (a0^2 + a1^2), an Fp inverse: the norm is 0 only
 * for a = 0, -1 being a non-residue mod p. r may alias a. */
FPV_INLINE void fp2v_inv(fp2v *r, const fp2v *a)
{
    fpv n0, n1, inv;
    fpv_sqr(&n0, &a->c0);
    fpv_sqr(&n1, &a->c1);
    fpv_add(&n0, &n0, &n1);
    fpv_inv(&inv, &n0);
    fpv_mul(&n1, &a->c1, &inv);
    fpv_mul(&r->c0, &a->c0, &inv);
    fpv_neg(&r->c1, &n1);
}

FPV_INLINE void fp2v_select(fp2v *r, fpv_mask mask, const fp2v *a, const fp2v *b)
{
    fpv_select(&r->c0, mask, &a->c0, &b->c0);
    fpv_select(&r->c1, mask, &a->c1, &b->c1);
}

FPV_INLINE fpv_mask fp2v_zero_lanes(const fp2v *a)
{
    return (fpv_mask)(fpv_zero_lanes(&a->c0) & fpv_zero_lanes(&a->c1));
}

FPV_INLINE void fp2v_one(fp2v *r)
{
    static const uint64_t zero[5];
    fpv_set(&r->c0, FPV.one);
    fpv_set(&r->c1, zero);
}

FPV_INLINE void fp2v_load_coords(fp2v *r, const fp2_t *const v[FPV_LANES])
{
    const fp_t *c0[FPV_LANES], *c1[FPV_LANES];
    for (int k = 0; k < FPV_LANES; k++) {
        c0[k] = &v[k]->c0;
        c1[k] = &v[k]->c1;
    }
    fpv_load_coords(&r->c0, c0);
    fpv_load_coords(&r->c1, c1);
}

FPV_INLINE void fp2v_store_coords(fp2_t *const v[FPV_LANES], const fp2v *a)
{
    fp_t *c0[FPV_LANES], *c1[FPV_LANES];
    for (int k = 0; k < FPV_LANES; k++) {
        c0[k] = &v[k]->c0;
        c1[k] = &v[k]->c1;
    }
    fpv_store_coords(c0, &a->c0);
    fpv_store_coords(c1, &a->c1);
}

#define BI(name) g2_##name
#define BI_AFFINE g2_affine
#define BI_JAC g2_jac
#define BI_COORD fp2_t
#define BI_V fp2v
#define BI_LOAD fp2v_load_coords
#define BI_STORE fp2v_store_coords
#define BI_SUB fp2v_sub
#define BI_SUB_LAZY fp2v_sub_lazy
#define BI_MUL fp2v_mul
#define BI_SQR fp2v_sqr
#define BI_INV fp2v_inv
#define BI_SELECT fp2v_select
#define BI_ZERO_LANES fp2v_zero_lanes
#define BI_ONE fp2v_one
#include "pipeline/snark/batch_ifma.h"

#else /* no vectors in this build: fp_ifma_usable() is 0 and these are never called */

size_t g1_ifma_batch_scratch(size_t n)
{
    (void)n;
    return 0;
}

void g1_ifma_batch_add(g1_affine *r, const g1_affine *a, const g1_affine *b, size_t n,
                       void *scratch)
{
    (void)r, (void)a, (void)b, (void)n, (void)scratch;
}

size_t g2_ifma_batch_scratch(size_t n)
{
    (void)n;
    return 0;
}

void g2_ifma_batch_add(g2_affine *r, const g2_affine *a, const g2_affine *b, size_t n,
                       void *scratch)
{
    (void)r, (void)a, (void)b, (void)n, (void)scratch;
}

#endif
