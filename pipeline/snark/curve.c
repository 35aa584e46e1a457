/*
 * curve.c - the BN254 groups G1 (over Fp) and G2 (over Fp2, on the twist) in
 * Jacobian coordinates: every addition formula handles infinity, doubling and
 * P + (-P); scalar multiplication with 4-bit windows (G1's by a reduced
 * scalar uses the endomorphism instead, glv.c); on-curve and G2
 * subgroup checks; the EIP-196/197 byte encodings, which validate whatever
 * comes from outside. The group law is written once, in curve_jacobian.h,
 * and instantiated here over Fp (G1) and Fp2 (G2).
 */
#include "pipeline/snark/curve.h"
#include "pipeline/snark/field.h"

#include <stdlib.h>
#include <string.h>

#define FP(a0, a1, a2, a3)                     \
    {                                          \
        {                                      \
            a0##ULL, a1##ULL, a2##ULL, a3##ULL \
        }                                      \
    }

const fp_t G1_B =
    FP(0x7a17caa950ad28d7, 0x1f6ac17ae15521b9, 0x334bea4e696bd284, 0x2a1f6744ce179d8e);
const fp2_t G2_GEN_X = {
    FP(0x8e83b5d102bc2026, 0xdceb1935497b0172, 0xfbb8264797811adf, 0x19573841af96503b),
    FP(0xafb4737da84c6140, 0x6043dd5a5802d8c4, 0x09e950fc52a02f86, 0x14fef0833aea7b6b),
};
const fp2_t G2_GEN_Y = {
    FP(0x619dfa9d886be9f6, 0xfe7fd297f59e9b78, 0xff9e1a62231b7dfe, 0x28fd7eebae9e4206),
    FP(0x64095b56c71856ee, 0xdc57f922327d3cbb, 0x55f935be33351076, 0x0da4a0e693fd6482),
};

/* ---- G1 ---------------------------------------------------------------------- */

/* G1 arithmetic is the MSM's inner loop: its additions, subtractions and
 * comparisons run inline (field.h) instead of through calls. */
static inline void fp_add_inline(fp_t *r, const fp_t *a, const fp_t *b)
{
    mont_add(r->v, a->v, b->v, &FP_MODULUS);
}

static inline void fp_sub_inline(fp_t *r, const fp_t *a, const fp_t *b)
{
    mont_sub(r->v, a->v, b->v, &FP_MODULUS);
}

static inline int fp_eq_inline(const fp_t *a, const fp_t *b)
{
    return ((a->v[0] ^ b->v[0]) | (a->v[1] ^ b->v[1]) | (a->v[2] ^ b->v[2]) |
            (a->v[3] ^ b->v[3])) == 0;
}

void g1_generator(g1_affine *r)
{
    fp_from_u64(&r->x, 1);
    fp_from_u64(&r->y, 2);
    r->infinity = 0;
}

#define CJ(name) g1_##name
#define CJ_AFFINE g1_affine
#define CJ_JAC g1_jac
#define CJ_F fp_t
#define CJ_ADD fp_add_inline
#define CJ_SUB fp_sub_inline
#define CJ_DBL fp_dbl
#define CJ_NEG fp_neg
#define CJ_MUL fp_mul
#define CJ_SQR fp_sqr
#define CJ_INV fp_inv
#define CJ_ONE fp_one
#define CJ_ZERO fp_zero
#define CJ_IS_ZERO fp_is_zero
#define CJ_EQ fp_eq_inline
#define CJ_B G1_B
#define CJ_MUL_ELSEWHERE
#define CJ_BATCH_DOUBLE
/* The products of the batch addition run inline, the CPU check made once per
 * batch: this is the MSM's inner loop, and a call per product costs ~4%. */
#if MONT_HAVE_ADX
#define CJ_BATCH_MUL(r, a, b, fast)                                                  \
    ((fast) ? mont_mul_adx((r)->v, (a)->v, (b)->v, FP_MODULUS.m, FP_MODULUS.neg_inv) \
            : mont_mul_portable((r)->v, (a)->v, (b)->v, &FP_MODULUS))
#define CJ_FAST_PRODUCTS() mont_cpu_has_adx()
#else
#define CJ_BATCH_MUL(r, a, b, fast) \
    ((void)(fast), mont_mul_portable((r)->v, (a)->v, (b)->v, &FP_MODULUS))
#define CJ_FAST_PRODUCTS() 0
#endif
#include "pipeline/snark/curve_jacobian.h"

void g1_mul_be(g1_jac *r, const g1_jac *a, const uint8_t k[32])
{
    uint64_t raw[4];
    limbs_from_be(raw, k);
    g1_mul_limbs(r, a, raw);
}

/* ---- G2 ---------------------------------------------------------------------- */

void g2_generator(g2_affine *r)
{
    r->x = G2_GEN_X;
    r->y = G2_GEN_Y;
    r->infinity = 0;
}

/* The setup's B2 query is a G2 batch addition per window of each scalar: its
 * Fp2 sums and products run inline, as G1's do (about a third faster). */
static inline void fp2_add_inline(fp2_t *r, const fp2_t *a, const fp2_t *b)
{
    fp_add_inline(&r->c0, &a->c0, &b->c0);
    fp_add_inline(&r->c1, &a->c1, &b->c1);
}

static inline void fp2_sub_inline(fp2_t *r, const fp2_t *a, const fp2_t *b)
{
    fp_sub_inline(&r->c0, &a->c0, &b->c0);
    fp_sub_inline(&r->c1, &a->c1, &b->c1);
}

static inline __attribute__((always_inline)) void fp_mul_with(fp_t *r, const fp_t *a, const fp_t *b,
                                                              const int fast)
{
#if MONT_HAVE_ADX
    if (fast) {
        mont_mul_adx(r->v, a->v, b->v, FP_MODULUS.m, FP_MODULUS.neg_inv);
        return;
    }
#endif
    (void)fast;
    mont_mul_portable(r->v, a->v, b->v, &FP_MODULUS);
}

/* fp2_mul's Karatsuba product with inline parts; r may alias a or b. */
static inline __attribute__((always_inline)) void fp2_mul_with(fp2_t *r, const fp2_t *a,
                                                               const fp2_t *b, const int fast)
{
    fp_t t0, t1, sa, sb;
    fp_mul_with(&t0, &a->c0, &b->c0, fast);
    fp_mul_with(&t1, &a->c1, &b->c1, fast);
    fp_add_inline(&sa, &a->c0, &a->c1);
    fp_add_inline(&sb, &b->c0, &b->c1);
    fp_mul_with(&r->c1, &sa, &sb, fast);
    fp_sub_inline(&r->c1, &r->c1, &t0);
    fp_sub_inline(&r->c1, &r->c1, &t1);
    fp_sub_inline(&r->c0, &t0, &t1);
}

#define CJ(name) g2_##name
#define CJ_AFFINE g2_affine
#define CJ_JAC g2_jac
#define CJ_F fp2_t
#define CJ_ADD fp2_add_inline
#define CJ_SUB fp2_sub_inline
#define CJ_DBL fp2_dbl
#define CJ_NEG fp2_neg
#define CJ_MUL fp2_mul
#define CJ_SQR fp2_sqr
#define CJ_INV fp2_inv
#define CJ_ONE fp2_one
#define CJ_ZERO fp2_zero
#define CJ_IS_ZERO fp2_is_zero
#define CJ_EQ fp2_eq
#define CJ_B TWIST_B /* 3 / (9 + u) */
#define CJ_BATCH_MUL(r, a, b, fast) fp2_mul_with(r, a, b, fast)
#if MONT_HAVE_ADX
#define CJ_FAST_PRODUCTS() mont_cpu_has_adx()
#else
#define CJ_FAST_PRODUCTS() 0
#endif
#include "pipeline/snark/curve_jacobian.h"

/* Order-r check by definition: r * p is infinity. Twice the cost of
 * g2_is_in_subgroup; kept as its reference in the tests. */
int g2_is_in_subgroup_by_order(const g2_affine *p)
{
    if (p->infinity)
        return 1;
    g2_jac j, rp;
    g2_to_jac(&j, p);
    g2_mul_limbs(&rp, &j, FR_MODULUS.m);
    return fp2_is_zero(&rp.z);
}

/* psi, the untwist-Frobenius-twist endomorphism: (x^p c_x, y^p c_y). */
static void g2_psi(g2_jac *r, const g2_affine *p)
{
    g2_affine q;
    fp2_conj(&q.x, &p->x);
    fp2_mul(&q.x, &q.x, &TWIST_FROB_X1);
    fp2_conj(&q.y, &p->y);
    fp2_mul(&q.y, &q.y, &TWIST_FROB_Y1);
    q.infinity = 0;
    g2_to_jac(r, &q);
}

/* G2's cofactor is not 1, so points of the twist outside the subgroup exist
 * and must be refused. For BN curves a point p of the twist is in the order-r
 * subgroup iff psi(p) = [6 u^2] p, u the curve's seed (El Housni, Guillevic,
 * Piellard, "Co-factor clearing and subgroup membership testing on
 * pairing-friendly curves", 2022): a 127-bit multiplication instead of a
 * 254-bit one. */
int g2_is_in_subgroup(const g2_affine *p)
{
    static const uint64_t six_u_squared[4] = {0xf83e9682e87cfd46ULL, 0x6f4d8248eeb859fbULL, 0, 0};
    if (p->infinity)
        return 1;
    g2_jac j, lhs, rhs;
    g2_to_jac(&j, p);
    g2_mul_limbs(&rhs, &j, six_u_squared); /* doublings of infinity cost nothing */
    g2_psi(&lhs, p);
    return g2_eq(&lhs, &rhs);
}

/* ---- EIP-196/197 encodings ------------------------------------------------ */

static int bytes_all_zero(const uint8_t *p, size_t n)
{
    uint8_t acc = 0;
    for (size_t i = 0; i < n; i++)
        acc |= p[i];
    return acc == 0;
}

int g1_from_evm(g1_affine *r, const uint8_t in[64])
{
    g1_affine p;
    if (fp_from_bytes_be(&p.x, in) != 0 || fp_from_bytes_be(&p.y, in + 32) != 0)
        return -1;
    p.infinity = bytes_all_zero(in, 64);
    if (!g1_is_on_curve(&p))
        return -1;
    *r = p;
    return 0;
}

void g1_to_evm(uint8_t out[64], const g1_affine *p)
{
    if (p->infinity) {
        memset(out, 0, 64);
        return;
    }
    fp_to_bytes_be(out, &p->x);
    fp_to_bytes_be(out + 32, &p->y);
}

/* Each Fp2 element is written imaginary part first. */
int g2_from_evm(g2_affine *r, const uint8_t in[128])
{
    g2_affine p;
    if (fp_from_bytes_be(&p.x.c1, in) != 0 || fp_from_bytes_be(&p.x.c0, in + 32) != 0 ||
        fp_from_bytes_be(&p.y.c1, in + 64) != 0 || fp_from_bytes_be(&p.y.c0, in + 96) != 0)
        return -1;
    p.infinity = bytes_all_zero(in, 128);
    if (!g2_is_on_curve(&p) || !g2_is_in_subgroup(&p))
        return -1;
    *r = p;
    return 0;
}

void g2_to_evm(uint8_t out[128], const g2_affine *p)
{
    if (p->infinity) {
        memset(out, 0, 128);
        return;
    }
    fp_to_bytes_be(out, &p->x.c1);
    fp_to_bytes_be(out + 32, &p->x.c0);
    fp_to_bytes_be(out + 64, &p->y.c1);
    fp_to_bytes_be(out + 96, &p->y.c0);
}

/* h2 * p for G2's cofactor h2 (larger than r, so not an Fr scalar): maps a
 * point of the twist into G2, as snarkjs's G2.fromRng does. */
void g2_clear_cofactor(g2_jac *r, const g2_jac *a)
{
    static const uint64_t h2[4] = {0x345f2299c0f9fa8dULL, 0x06ceecda572a2489ULL,
                                   0xb85045b68181585eULL, 0x30644e72e131a029ULL};
    g2_mul_limbs(r, a, h2);
}
