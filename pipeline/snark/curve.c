/*
 * curve.c - the BN254 groups G1 (over Fp) and G2 (over Fp2, on the twist) in
 * Jacobian coordinates: every addition formula handles infinity, doubling and
 * P + (-P); scalar multiplication with 4-bit windows; on-curve and G2
 * subgroup checks; the EIP-196/197 byte encodings, which validate whatever
 * comes from outside. The G1 and G2 code are the same formulas over the two
 * fields.
 */
#include "pipeline/snark/curve.h"
#include "pipeline/snark/field.h"

#include <stdlib.h>
#include <string.h>

#define FP(a0, a1, a2, a3) { { a0##ULL, a1##ULL, a2##ULL, a3##ULL } }

const fp_t G1_B = FP(0x7a17caa950ad28d7, 0x1f6ac17ae15521b9, 0x334bea4e696bd284, 0x2a1f6744ce179d8e);
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

/* y^2 = x^3 + 3 */
int g1_is_on_curve(const g1_affine *p)
{
    if (p->infinity)
        return 1;
    fp_t lhs, rhs;
    fp_sqr(&lhs, &p->y);
    fp_sqr(&rhs, &p->x);
    fp_mul(&rhs, &rhs, &p->x);
    fp_add_inline(&rhs, &rhs, &G1_B);
    return fp_eq_inline(&lhs, &rhs);
}

void g1_to_jac(g1_jac *r, const g1_affine *p)
{
    if (p->infinity) {
        fp_one(&r->x);
        fp_one(&r->y);
        fp_zero(&r->z);
        return;
    }
    r->x = p->x;
    r->y = p->y;
    fp_one(&r->z);
}

static void g1_set_infinity(g1_jac *r)
{
    fp_one(&r->x);
    fp_one(&r->y);
    fp_zero(&r->z);
}

void g1_to_affine(g1_affine *r, const g1_jac *p)
{
    if (fp_is_zero(&p->z)) {
        fp_zero(&r->x);
        fp_zero(&r->y);
        r->infinity = 1;
        return;
    }
    fp_t zinv, zinv2;
    fp_inv(&zinv, &p->z);
    fp_sqr(&zinv2, &zinv);
    fp_mul(&r->x, &p->x, &zinv2);
    fp_mul(&zinv2, &zinv2, &zinv);
    fp_mul(&r->y, &p->y, &zinv2);
    r->infinity = 0;
}

/* dbl-2009-l (a = 0): 2M + 5S. */
void g1_double(g1_jac *r, const g1_jac *a)
{
    fp_t A, B, C, D, E, F, t;
    if (fp_is_zero(&a->z)) {
        *r = *a;
        return;
    }
    fp_sqr(&A, &a->x);
    fp_sqr(&B, &a->y);
    fp_sqr(&C, &B);
    fp_add_inline(&D, &a->x, &B);
    fp_sqr(&D, &D);
    fp_sub_inline(&D, &D, &A);
    fp_sub_inline(&D, &D, &C);
    fp_dbl(&D, &D);
    fp_dbl(&E, &A);
    fp_add_inline(&E, &E, &A);
    fp_sqr(&F, &E);
    fp_mul(&t, &a->y, &a->z);            /* Z3 before Y1 may be overwritten */
    fp_dbl(&r->z, &t);
    fp_dbl(&t, &D);
    fp_sub_inline(&r->x, &F, &t);
    fp_sub_inline(&t, &D, &r->x);
    fp_mul(&t, &E, &t);
    fp_dbl(&C, &C);
    fp_dbl(&C, &C);
    fp_dbl(&C, &C);
    fp_sub_inline(&r->y, &t, &C);
}

/* add-2007-bl, with the cases the formula cannot take: either input at
 * infinity, equal inputs (doubling) and opposite inputs (infinity). */
void g1_add(g1_jac *r, const g1_jac *a, const g1_jac *b)
{
    if (fp_is_zero(&a->z)) {
        *r = *b;
        return;
    }
    if (fp_is_zero(&b->z)) {
        *r = *a;
        return;
    }
    fp_t z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t;
    fp_sqr(&z1z1, &a->z);
    fp_sqr(&z2z2, &b->z);
    fp_mul(&u1, &a->x, &z2z2);
    fp_mul(&u2, &b->x, &z1z1);
    fp_mul(&s1, &a->y, &b->z);
    fp_mul(&s1, &s1, &z2z2);
    fp_mul(&s2, &b->y, &a->z);
    fp_mul(&s2, &s2, &z1z1);
    fp_sub_inline(&h, &u2, &u1);
    fp_sub_inline(&rr, &s2, &s1);
    if (fp_is_zero(&h)) {
        if (fp_is_zero(&rr))
            g1_double(r, a);
        else
            g1_set_infinity(r);
        return;
    }
    fp_dbl(&i, &h);
    fp_sqr(&i, &i);
    fp_mul(&j, &h, &i);
    fp_dbl(&rr, &rr);
    fp_mul(&v, &u1, &i);
    fp_add_inline(&t, &a->z, &b->z);            /* Z3 first: r may alias a or b */
    fp_sqr(&t, &t);
    fp_sub_inline(&t, &t, &z1z1);
    fp_sub_inline(&t, &t, &z2z2);
    fp_mul(&r->z, &t, &h);
    fp_sqr(&r->x, &rr);
    fp_sub_inline(&r->x, &r->x, &j);
    fp_dbl(&t, &v);
    fp_sub_inline(&r->x, &r->x, &t);
    fp_sub_inline(&t, &v, &r->x);
    fp_mul(&t, &rr, &t);
    fp_mul(&s1, &s1, &j);
    fp_dbl(&s1, &s1);
    fp_sub_inline(&r->y, &t, &s1);
}

/* madd-2007-bl: a Jacobian plus an affine point, 7M + 4S. */
void g1_add_affine(g1_jac *r, const g1_jac *a, const g1_affine *b)
{
    if (b->infinity) {
        *r = *a;
        return;
    }
    if (fp_is_zero(&a->z)) {
        g1_to_jac(r, b);
        return;
    }
    fp_t z1z1, u2, s2, h, hh, i, j, rr, v, t, y1;
    fp_sqr(&z1z1, &a->z);
    fp_mul(&u2, &b->x, &z1z1);
    fp_mul(&s2, &b->y, &a->z);
    fp_mul(&s2, &s2, &z1z1);
    fp_sub_inline(&h, &u2, &a->x);
    fp_sub_inline(&rr, &s2, &a->y);
    if (fp_is_zero(&h)) {
        if (fp_is_zero(&rr))
            g1_double(r, a);
        else
            g1_set_infinity(r);
        return;
    }
    fp_sqr(&hh, &h);
    fp_dbl(&i, &hh);
    fp_dbl(&i, &i);
    fp_mul(&j, &h, &i);
    fp_dbl(&rr, &rr);
    fp_mul(&v, &a->x, &i);
    y1 = a->y;
    fp_add_inline(&t, &a->z, &h);
    fp_sqr(&t, &t);
    fp_sub_inline(&t, &t, &z1z1);
    fp_sub_inline(&r->z, &t, &hh);
    fp_sqr(&r->x, &rr);
    fp_sub_inline(&r->x, &r->x, &j);
    fp_dbl(&t, &v);
    fp_sub_inline(&r->x, &r->x, &t);
    fp_sub_inline(&t, &v, &r->x);
    fp_mul(&t, &rr, &t);
    fp_mul(&y1, &y1, &j);
    fp_dbl(&y1, &y1);
    fp_sub_inline(&r->y, &t, &y1);
}

void g1_neg(g1_jac *r, const g1_jac *a)
{
    r->x = a->x;
    fp_neg(&r->y, &a->y);
    r->z = a->z;
}

/* k * a for a raw 256-bit k (little-endian limbs): fixed 4-bit windows. */
static void g1_mul_limbs(g1_jac *r, const g1_jac *a, const uint64_t k[4])
{
    g1_jac table[16], acc;
    g1_set_infinity(&table[0]);
    table[1] = *a;
    for (int i = 2; i < 16; i++)
        g1_add(&table[i], &table[i - 1], a);
    g1_set_infinity(&acc);
    for (int w = 63; w >= 0; w--) {
        for (int d = 0; d < 4; d++)
            g1_double(&acc, &acc);
        unsigned digit = (unsigned)(k[w / 16] >> (4 * (w % 16))) & 15;
        if (digit)
            g1_add(&acc, &acc, &table[digit]);
    }
    *r = acc;
}

void g1_mul(g1_jac *r, const g1_jac *a, const fr_t *k)
{
    uint64_t raw[4];
    mont_to_raw(raw, k->v, &FR_MODULUS);
    g1_mul_limbs(r, a, raw);
}

void g1_mul_be(g1_jac *r, const g1_jac *a, const uint8_t k[32])
{
    uint64_t raw[4];
    limbs_from_be(raw, k);
    g1_mul_limbs(r, a, raw);
}

/* X1 Z2^2 = X2 Z1^2 and Y1 Z2^3 = Y2 Z1^3. */
int g1_eq(const g1_jac *a, const g1_jac *b)
{
    int a_inf = fp_is_zero(&a->z), b_inf = fp_is_zero(&b->z);
    if (a_inf || b_inf)
        return a_inf && b_inf;
    fp_t z1z1, z2z2, l, rr;
    fp_sqr(&z1z1, &a->z);
    fp_sqr(&z2z2, &b->z);
    fp_mul(&l, &a->x, &z2z2);
    fp_mul(&rr, &b->x, &z1z1);
    if (!fp_eq_inline(&l, &rr))
        return 0;
    fp_mul(&l, &a->y, &z2z2);
    fp_mul(&l, &l, &b->z);
    fp_mul(&rr, &b->y, &z1z1);
    fp_mul(&rr, &rr, &a->z);
    return fp_eq_inline(&l, &rr);
}

int g1_batch_to_affine(g1_affine *out, const g1_jac *in, size_t n)
{
    fp_t *prefix = malloc((n ? n : 1) * sizeof *prefix);
    if (!prefix)
        return -1;
    fp_t acc;
    fp_one(&acc);
    for (size_t i = 0; i < n; i++) {
        prefix[i] = acc;                 /* product of the nonzero z before i */
        if (!fp_is_zero(&in[i].z))
            fp_mul(&acc, &acc, &in[i].z);
    }
    fp_inv(&acc, &acc);
    for (size_t i = n; i-- > 0;) {
        if (fp_is_zero(&in[i].z)) {
            fp_zero(&out[i].x);
            fp_zero(&out[i].y);
            out[i].infinity = 1;
            continue;
        }
        fp_t zinv, zinv2, x, y;
        fp_mul(&zinv, &acc, &prefix[i]);
        fp_mul(&acc, &acc, &in[i].z);
        fp_sqr(&zinv2, &zinv);
        fp_mul(&x, &in[i].x, &zinv2);
        fp_mul(&zinv2, &zinv2, &zinv);
        fp_mul(&y, &in[i].y, &zinv2);
        out[i].x = x;
        out[i].y = y;
        out[i].infinity = 0;
    }
    free(prefix);
    return 0;
}

/* How g1_batch_add_affine adds a + b: through the chord or tangent slope
 * num / den, or directly (an input at infinity, or b = -a). */
enum g1_sum_kind { G1_SUM_CHORD, G1_SUM_TANGENT, G1_SUM_DIRECT };

static enum g1_sum_kind g1_sum_slope(fp_t *num, fp_t *den, const g1_affine *a,
                                     const g1_affine *b)
{
    if (a->infinity || b->infinity)
        return G1_SUM_DIRECT;
    if (!fp_eq_inline(&a->x, &b->x)) {
        fp_sub_inline(num, &b->y, &a->y);
        fp_sub_inline(den, &b->x, &a->x);
        return G1_SUM_CHORD;
    }
    if (!fp_eq_inline(&a->y, &b->y) || fp_is_zero(&a->y))
        return G1_SUM_DIRECT;            /* b = -a: the sum is infinity */
    fp_sqr(num, &a->x);                  /* 3 x^2 / 2 y */
    fp_t x2 = *num;
    fp_dbl(num, num);
    fp_add_inline(num, num, &x2);
    fp_dbl(den, &a->y);
    return G1_SUM_TANGENT;
}

void g1_batch_add_affine(g1_affine *r, const g1_affine *a, const g1_affine *b, size_t n,
                         fp_t *scratch)
{
    fp_t acc, num, den;
    fp_one(&acc);
    for (size_t i = 0; i < n; i++) {
        scratch[i] = acc;                /* product of the slopes' denominators before i */
        if (g1_sum_slope(&num, &den, &a[i], &b[i]) != G1_SUM_DIRECT)
            fp_mul(&acc, &acc, &den);
    }
    fp_inv(&acc, &acc);
    for (size_t i = n; i-- > 0;) {
        enum g1_sum_kind kind = g1_sum_slope(&num, &den, &a[i], &b[i]);
        if (kind == G1_SUM_DIRECT) {
            if (a[i].infinity)
                r[i] = b[i];
            else if (b[i].infinity)
                r[i] = a[i];
            else {
                fp_zero(&r[i].x);
                fp_zero(&r[i].y);
                r[i].infinity = 1;
            }
            continue;
        }
        fp_t lambda, x3, t;
        fp_mul(&lambda, &acc, &scratch[i]);   /* 1 / den */
        fp_mul(&acc, &acc, &den);
        fp_mul(&lambda, &lambda, &num);
        fp_sqr(&x3, &lambda);                 /* x3 = lambda^2 - xa - xb */
        fp_sub_inline(&x3, &x3, &a[i].x);
        fp_sub_inline(&x3, &x3, &b[i].x);
        fp_sub_inline(&t, &a[i].x, &x3);      /* y3 = lambda (xa - x3) - ya */
        fp_mul(&t, &t, &lambda);
        fp_sub_inline(&r[i].y, &t, &a[i].y);
        r[i].x = x3;
        r[i].infinity = 0;
    }
}

/* ---- G2 ---------------------------------------------------------------------- */

void g2_generator(g2_affine *r)
{
    r->x = G2_GEN_X;
    r->y = G2_GEN_Y;
    r->infinity = 0;
}

/* y^2 = x^3 + 3 / (9 + u) */
int g2_is_on_curve(const g2_affine *p)
{
    if (p->infinity)
        return 1;
    fp2_t lhs, rhs;
    fp2_sqr(&lhs, &p->y);
    fp2_sqr(&rhs, &p->x);
    fp2_mul(&rhs, &rhs, &p->x);
    fp2_add(&rhs, &rhs, &TWIST_B);
    return fp2_eq(&lhs, &rhs);
}

void g2_to_jac(g2_jac *r, const g2_affine *p)
{
    if (p->infinity) {
        fp2_one(&r->x);
        fp2_one(&r->y);
        fp2_zero(&r->z);
        return;
    }
    r->x = p->x;
    r->y = p->y;
    fp2_one(&r->z);
}

static void g2_set_infinity(g2_jac *r)
{
    fp2_one(&r->x);
    fp2_one(&r->y);
    fp2_zero(&r->z);
}

void g2_to_affine(g2_affine *r, const g2_jac *p)
{
    if (fp2_is_zero(&p->z)) {
        fp2_zero(&r->x);
        fp2_zero(&r->y);
        r->infinity = 1;
        return;
    }
    fp2_t zinv, zinv2;
    fp2_inv(&zinv, &p->z);
    fp2_sqr(&zinv2, &zinv);
    fp2_mul(&r->x, &p->x, &zinv2);
    fp2_mul(&zinv2, &zinv2, &zinv);
    fp2_mul(&r->y, &p->y, &zinv2);
    r->infinity = 0;
}

/* dbl-2009-l (a = 0): 2M + 5S. */
void g2_double(g2_jac *r, const g2_jac *a)
{
    fp2_t A, B, C, D, E, F, t;
    if (fp2_is_zero(&a->z)) {
        *r = *a;
        return;
    }
    fp2_sqr(&A, &a->x);
    fp2_sqr(&B, &a->y);
    fp2_sqr(&C, &B);
    fp2_add(&D, &a->x, &B);
    fp2_sqr(&D, &D);
    fp2_sub(&D, &D, &A);
    fp2_sub(&D, &D, &C);
    fp2_dbl(&D, &D);
    fp2_dbl(&E, &A);
    fp2_add(&E, &E, &A);
    fp2_sqr(&F, &E);
    fp2_mul(&t, &a->y, &a->z);            /* Z3 before Y1 may be overwritten */
    fp2_dbl(&r->z, &t);
    fp2_dbl(&t, &D);
    fp2_sub(&r->x, &F, &t);
    fp2_sub(&t, &D, &r->x);
    fp2_mul(&t, &E, &t);
    fp2_dbl(&C, &C);
    fp2_dbl(&C, &C);
    fp2_dbl(&C, &C);
    fp2_sub(&r->y, &t, &C);
}

/* add-2007-bl, with the cases the formula cannot take: either input at
 * infinity, equal inputs (doubling) and opposite inputs (infinity). */
void g2_add(g2_jac *r, const g2_jac *a, const g2_jac *b)
{
    if (fp2_is_zero(&a->z)) {
        *r = *b;
        return;
    }
    if (fp2_is_zero(&b->z)) {
        *r = *a;
        return;
    }
    fp2_t z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t;
    fp2_sqr(&z1z1, &a->z);
    fp2_sqr(&z2z2, &b->z);
    fp2_mul(&u1, &a->x, &z2z2);
    fp2_mul(&u2, &b->x, &z1z1);
    fp2_mul(&s1, &a->y, &b->z);
    fp2_mul(&s1, &s1, &z2z2);
    fp2_mul(&s2, &b->y, &a->z);
    fp2_mul(&s2, &s2, &z1z1);
    fp2_sub(&h, &u2, &u1);
    fp2_sub(&rr, &s2, &s1);
    if (fp2_is_zero(&h)) {
        if (fp2_is_zero(&rr))
            g2_double(r, a);
        else
            g2_set_infinity(r);
        return;
    }
    fp2_dbl(&i, &h);
    fp2_sqr(&i, &i);
    fp2_mul(&j, &h, &i);
    fp2_dbl(&rr, &rr);
    fp2_mul(&v, &u1, &i);
    fp2_add(&t, &a->z, &b->z);            /* Z3 first: r may alias a or b */
    fp2_sqr(&t, &t);
    fp2_sub(&t, &t, &z1z1);
    fp2_sub(&t, &t, &z2z2);
    fp2_mul(&r->z, &t, &h);
    fp2_sqr(&r->x, &rr);
    fp2_sub(&r->x, &r->x, &j);
    fp2_dbl(&t, &v);
    fp2_sub(&r->x, &r->x, &t);
    fp2_sub(&t, &v, &r->x);
    fp2_mul(&t, &rr, &t);
    fp2_mul(&s1, &s1, &j);
    fp2_dbl(&s1, &s1);
    fp2_sub(&r->y, &t, &s1);
}

/* madd-2007-bl: a Jacobian plus an affine point, 7M + 4S. */
void g2_add_affine(g2_jac *r, const g2_jac *a, const g2_affine *b)
{
    if (b->infinity) {
        *r = *a;
        return;
    }
    if (fp2_is_zero(&a->z)) {
        g2_to_jac(r, b);
        return;
    }
    fp2_t z1z1, u2, s2, h, hh, i, j, rr, v, t, y1;
    fp2_sqr(&z1z1, &a->z);
    fp2_mul(&u2, &b->x, &z1z1);
    fp2_mul(&s2, &b->y, &a->z);
    fp2_mul(&s2, &s2, &z1z1);
    fp2_sub(&h, &u2, &a->x);
    fp2_sub(&rr, &s2, &a->y);
    if (fp2_is_zero(&h)) {
        if (fp2_is_zero(&rr))
            g2_double(r, a);
        else
            g2_set_infinity(r);
        return;
    }
    fp2_sqr(&hh, &h);
    fp2_dbl(&i, &hh);
    fp2_dbl(&i, &i);
    fp2_mul(&j, &h, &i);
    fp2_dbl(&rr, &rr);
    fp2_mul(&v, &a->x, &i);
    y1 = a->y;
    fp2_add(&t, &a->z, &h);
    fp2_sqr(&t, &t);
    fp2_sub(&t, &t, &z1z1);
    fp2_sub(&r->z, &t, &hh);
    fp2_sqr(&r->x, &rr);
    fp2_sub(&r->x, &r->x, &j);
    fp2_dbl(&t, &v);
    fp2_sub(&r->x, &r->x, &t);
    fp2_sub(&t, &v, &r->x);
    fp2_mul(&t, &rr, &t);
    fp2_mul(&y1, &y1, &j);
    fp2_dbl(&y1, &y1);
    fp2_sub(&r->y, &t, &y1);
}

void g2_neg(g2_jac *r, const g2_jac *a)
{
    r->x = a->x;
    fp2_neg(&r->y, &a->y);
    r->z = a->z;
}

/* k * a for a raw 256-bit k (little-endian limbs): fixed 4-bit windows. */
static void g2_mul_limbs(g2_jac *r, const g2_jac *a, const uint64_t k[4])
{
    g2_jac table[16], acc;
    g2_set_infinity(&table[0]);
    table[1] = *a;
    for (int i = 2; i < 16; i++)
        g2_add(&table[i], &table[i - 1], a);
    g2_set_infinity(&acc);
    for (int w = 63; w >= 0; w--) {
        for (int d = 0; d < 4; d++)
            g2_double(&acc, &acc);
        unsigned digit = (unsigned)(k[w / 16] >> (4 * (w % 16))) & 15;
        if (digit)
            g2_add(&acc, &acc, &table[digit]);
    }
    *r = acc;
}

void g2_mul(g2_jac *r, const g2_jac *a, const fr_t *k)
{
    uint64_t raw[4];
    mont_to_raw(raw, k->v, &FR_MODULUS);
    g2_mul_limbs(r, a, raw);
}

/* X1 Z2^2 = X2 Z1^2 and Y1 Z2^3 = Y2 Z1^3. */
int g2_eq(const g2_jac *a, const g2_jac *b)
{
    int a_inf = fp2_is_zero(&a->z), b_inf = fp2_is_zero(&b->z);
    if (a_inf || b_inf)
        return a_inf && b_inf;
    fp2_t z1z1, z2z2, l, rr;
    fp2_sqr(&z1z1, &a->z);
    fp2_sqr(&z2z2, &b->z);
    fp2_mul(&l, &a->x, &z2z2);
    fp2_mul(&rr, &b->x, &z1z1);
    if (!fp2_eq(&l, &rr))
        return 0;
    fp2_mul(&l, &a->y, &z2z2);
    fp2_mul(&l, &l, &b->z);
    fp2_mul(&rr, &b->y, &z1z1);
    fp2_mul(&rr, &rr, &a->z);
    return fp2_eq(&l, &rr);
}

int g2_batch_to_affine(g2_affine *out, const g2_jac *in, size_t n)
{
    fp2_t *prefix = malloc((n ? n : 1) * sizeof *prefix);
    if (!prefix)
        return -1;
    fp2_t acc;
    fp2_one(&acc);
    for (size_t i = 0; i < n; i++) {
        prefix[i] = acc;                 /* product of the nonzero z before i */
        if (!fp2_is_zero(&in[i].z))
            fp2_mul(&acc, &acc, &in[i].z);
    }
    fp2_inv(&acc, &acc);
    for (size_t i = n; i-- > 0;) {
        if (fp2_is_zero(&in[i].z)) {
            fp2_zero(&out[i].x);
            fp2_zero(&out[i].y);
            out[i].infinity = 1;
            continue;
        }
        fp2_t zinv, zinv2, x, y;
        fp2_mul(&zinv, &acc, &prefix[i]);
        fp2_mul(&acc, &acc, &in[i].z);
        fp2_sqr(&zinv2, &zinv);
        fp2_mul(&x, &in[i].x, &zinv2);
        fp2_mul(&zinv2, &zinv2, &zinv);
        fp2_mul(&y, &in[i].y, &zinv2);
        out[i].x = x;
        out[i].y = y;
        out[i].infinity = 0;
    }
    free(prefix);
    return 0;
}

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
    static const uint64_t six_u_squared[4] = { 0xf83e9682e87cfd46ULL, 0x6f4d8248eeb859fbULL, 0, 0 };
    if (p->infinity)
        return 1;
    g2_jac j, lhs, rhs;
    g2_to_jac(&j, p);
    g2_mul_limbs(&rhs, &j, six_u_squared);   /* doublings of infinity cost nothing */
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
