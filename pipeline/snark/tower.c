/*
 * tower.c - the extension fields of BN254:
 *   Fp2  = Fp[u]  / (u^2 + 1)
 *   Fp6  = Fp2[v] / (v^3 - xi),  xi = 9 + u
 *   Fp12 = Fp6[w] / (w^2 - v)
 * with Karatsuba products, inversion through the norm, the sparse product by
 * a Miller-loop line, and Frobenius maps from precomputed powers of xi.
 * Constants are in Montgomery form; tests/snark_math checks them against
 * x^p computed by plain exponentiation.
 */
#include "pipeline/snark/tower.h"

#include <string.h>

#define FP2(a0, a1, a2, a3, b0, b1, b2, b3)        \
    {                                              \
        {{a0##ULL, a1##ULL, a2##ULL, a3##ULL}},    \
        {                                          \
            {                                      \
                b0##ULL, b1##ULL, b2##ULL, b3##ULL \
            }                                      \
        }                                          \
    }

const fp2_t TWIST_B =
    FP2(0x3bf938e377b802a8, 0x020b1b273633535d, 0x26b7edf049755260, 0x2514c6324384a86d,
        0x38e7ecccd1dcff67, 0x65f0b37d93ce0d3e, 0xd749d0dd22ac00aa, 0x0141b9ce4a688d4d);
const fp2_t TWIST_FROB_X1 =
    FP2(0xb5773b104563ab30, 0x347f91c8a9aa6454, 0x7a007127242e0991, 0x1956bcd8118214ec,
        0x6e849f1ea0aa4757, 0xaa1c7b6d89f89141, 0xb6e713cdfae0ca3a, 0x26694fbb4e82ebc3);
const fp2_t TWIST_FROB_Y1 =
    FP2(0xe4bbdd0c2936b629, 0xbb30f162e133bacb, 0x31a9d1b6f9645366, 0x253570bea500f8dd,
        0xa1d77ce45ffe77c7, 0x07affd117826d1db, 0x6d16bd27bb7edc6b, 0x2c87200285defecc);
const fp2_t TWIST_FROB_X2 =
    FP2(0x3350c88e13e80b9c, 0x7dce557cdb5e56b9, 0x6001b4b8b615564a, 0x2682e617020217e0, 0, 0, 0, 0);
const fp2_t TWIST_FROB_Y2 =
    FP2(0x68c3488912edefaa, 0x8d087f6872aabf4f, 0x51e1a24709081231, 0x2259d6b14729c0fa, 0, 0, 0, 0);

/* FROBENIUS[k-1][j] = xi^(j (p^k - 1) / 6): the factor picked up by the
 * coefficient of w^j under the p^k-power map. */
static const fp2_t FROBENIUS[3][6] = {
    {
        /* p^1 */
        {{{0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL, 0x666ea36f7879462cULL,
           0x0e0a77c19a07df2fULL}},
         {{0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL,
           0x0000000000000000ULL}}},
        {{{0xaf9ba69633144907ULL, 0xca6b1d7387afb78aULL, 0x11bded5ef08a2087ULL,
           0x02f34d751a1f3a7cULL}},
         {{0xa222ae234c492d72ULL, 0xd00f02a4565de15bULL, 0xdc2ff3a253dfc926ULL,
           0x10a75716b3899551ULL}}},
        {{{0xb5773b104563ab30ULL, 0x347f91c8a9aa6454ULL, 0x7a007127242e0991ULL,
           0x1956bcd8118214ecULL}},
         {{0x6e849f1ea0aa4757ULL, 0xaa1c7b6d89f89141ULL, 0xb6e713cdfae0ca3aULL,
           0x26694fbb4e82ebc3ULL}}},
        {{{0xe4bbdd0c2936b629ULL, 0xbb30f162e133bacbULL, 0x31a9d1b6f9645366ULL,
           0x253570bea500f8ddULL}},
         {{0xa1d77ce45ffe77c7ULL, 0x07affd117826d1dbULL, 0x6d16bd27bb7edc6bULL,
           0x2c87200285defeccULL}}},
        {{{0x7361d77f843abe92ULL, 0xa5bb2bd3273411fbULL, 0x9c941f314b3e2399ULL,
           0x15df9cddbb9fd3ecULL}},
         {{0x5dddfd154bd8c949ULL, 0x62cb29a5a4445b60ULL, 0x37bc870a0c7dd2b9ULL,
           0x24830a9d3171f0fdULL}}},
        {{{0xc970692f41690fe7ULL, 0xe240342127694b0bULL, 0x32bee66b83c459e8ULL,
           0x12aabced0ab08841ULL}},
         {{0x0d485d2340aebfa9ULL, 0x05193418ab2fcc57ULL, 0xd3b0a40b8a4910f5ULL,
           0x2f21ebb535d2925aULL}}},
    },
    {
        /* p^2 */
        {{{0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL, 0x666ea36f7879462cULL,
           0x0e0a77c19a07df2fULL}},
         {{0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL,
           0x0000000000000000ULL}}},
        {{{0xca8d800500fa1bf2ULL, 0xf0c5d61468b39769ULL, 0x0e201271ad0d4418ULL,
           0x04290f65bad856e6ULL}},
         {{0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL,
           0x0000000000000000ULL}}},
        {{{0x3350c88e13e80b9cULL, 0x7dce557cdb5e56b9ULL, 0x6001b4b8b615564aULL,
           0x2682e617020217e0ULL}},
         {{0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL,
           0x0000000000000000ULL}}},
        {{{0x68c3488912edefaaULL, 0x8d087f6872aabf4fULL, 0x51e1a24709081231ULL,
           0x2259d6b14729c0faULL}},
         {{0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL,
           0x0000000000000000ULL}}},
        {{{0x71930c11d782e155ULL, 0xa6bb947cffbe3323ULL, 0xaa303344d4741444ULL,
           0x2c3b3f0d26594943ULL}},
         {{0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL,
           0x0000000000000000ULL}}},
        {{{0x08cfc388c494f1abULL, 0x19b315148d1373d4ULL, 0x584e90fdcb6c0213ULL,
           0x09e1685bdf2f8849ULL}},
         {{0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL,
           0x0000000000000000ULL}}},
    },
    {
        /* p^3 */
        {{{0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL, 0x666ea36f7879462cULL,
           0x0e0a77c19a07df2fULL}},
         {{0x0000000000000000ULL, 0x0000000000000000ULL, 0x0000000000000000ULL,
           0x0000000000000000ULL}}},
        {{{0x365316184e46d97dULL, 0x0af7129ed4c96d9fULL, 0x659da72fca1009b5ULL,
           0x08116d8983a20d23ULL}},
         {{0xb1df4af7c39c1939ULL, 0x3d9f02878a73bf7fULL, 0x9b2220928caf0ae0ULL,
           0x26684515eff054a6ULL}}},
        {{{0xc9af22f716ad6badULL, 0xb311782a4aa662b2ULL, 0x19eeaf64e248c7f4ULL,
           0x20273e77e3439f82ULL}},
         {{0xacc02860f7ce93acULL, 0x3933d5817ba76b4cULL, 0x69e6188b446c8467ULL,
           0x0a46036d4417cc55ULL}}},
        {{{0x5764af0aaf46471eULL, 0xdc50792e873e0fc1ULL, 0x86a673ff881d04f6ULL,
           0x0b2eddb43c30a74cULL}},
         {{0x9a490f32787e8580ULL, 0x8fd16d7ff04af8b1ULL, 0x4b39888ec6027bf2ULL,
           0x03dd2e705b52a15dULL}}},
        {{{0x448a93a57b6762dfULL, 0xbfd62df528fdeadfULL, 0xd858f5d00e9bd47aULL,
           0x06b03d4d3476ec58ULL}},
         {{0x2b19daf4bcc936d1ULL, 0xa1a54e7a56f4299fULL, 0xb533eee05adeaef1ULL,
           0x170c812b84dda0b2ULL}}},
        {{{0xe0bc4b2275cf559fULL, 0xc238b945c154e60fULL, 0x803982a5929a7d5eULL,
           0x15ce052df7e4a37eULL}},
         {{0x2d28efbdbf3799a7ULL, 0x9b097e3c1ad60773ULL, 0x982d4113af4a535bULL,
           0x24e18991e3056063ULL}}},
    },
};

/* ---- Fp2 ------------------------------------------------------------------ */

void fp2_zero(fp2_t *r)
{
    memset(r, 0, sizeof *r);
}
void fp2_one(fp2_t *r)
{
    fp_one(&r->c0);
    fp_zero(&r->c1);
}
int fp2_is_zero(const fp2_t *a)
{
    return fp_is_zero(&a->c0) && fp_is_zero(&a->c1);
}
int fp2_eq(const fp2_t *a, const fp2_t *b)
{
    return fp_eq(&a->c0, &b->c0) && fp_eq(&a->c1, &b->c1);
}

void fp2_add(fp2_t *r, const fp2_t *a, const fp2_t *b)
{
    fp_add(&r->c0, &a->c0, &b->c0);
    fp_add(&r->c1, &a->c1, &b->c1);
}

void fp2_sub(fp2_t *r, const fp2_t *a, const fp2_t *b)
{
    fp_sub(&r->c0, &a->c0, &b->c0);
    fp_sub(&r->c1, &a->c1, &b->c1);
}

void fp2_dbl(fp2_t *r, const fp2_t *a)
{
    fp_dbl(&r->c0, &a->c0);
    fp_dbl(&r->c1, &a->c1);
}

void fp2_neg(fp2_t *r, const fp2_t *a)
{
    fp_neg(&r->c0, &a->c0);
    fp_neg(&r->c1, &a->c1);
}

void fp2_conj(fp2_t *r, const fp2_t *a)
{
    r->c0 = a->c0;
    fp_neg(&r->c1, &a->c1);
}

/* (a0 + a1 u)(b0 + b1 u) with three products. */
void fp2_mul(fp2_t *r, const fp2_t *a, const fp2_t *b)
{
    fp_t t0, t1, sa, sb;
    fp_mul(&t0, &a->c0, &b->c0);
    fp_mul(&t1, &a->c1, &b->c1);
    fp_add(&sa, &a->c0, &a->c1);
    fp_add(&sb, &b->c0, &b->c1);
    fp_mul(&r->c1, &sa, &sb);
    fp_sub(&r->c1, &r->c1, &t0);
    fp_sub(&r->c1, &r->c1, &t1);
    fp_sub(&r->c0, &t0, &t1);
}

/* (a0 + a1 u)^2 = (a0 + a1)(a0 - a1) + 2 a0 a1 u. */
void fp2_sqr(fp2_t *r, const fp2_t *a)
{
    fp_t s, d, m;
    fp_add(&s, &a->c0, &a->c1);
    fp_sub(&d, &a->c0, &a->c1);
    fp_mul(&m, &a->c0, &a->c1);
    fp_mul(&r->c0, &s, &d);
    fp_dbl(&r->c1, &m);
}

void fp2_mul_fp(fp2_t *r, const fp2_t *a, const fp_t *b)
{
    fp_mul(&r->c0, &a->c0, b);
    fp_mul(&r->c1, &a->c1, b);
}

/* (a0 + a1 u)(9 + u) = (9 a0 - a1) + (a0 + 9 a1) u. */
void fp2_mul_by_xi(fp2_t *r, const fp2_t *a)
{
    fp_t a0_9, a1_9, t;
    fp_dbl(&t, &a->c0);
    fp_dbl(&t, &t);
    fp_dbl(&t, &t);
    fp_add(&a0_9, &t, &a->c0);
    fp_dbl(&t, &a->c1);
    fp_dbl(&t, &t);
    fp_dbl(&t, &t);
    fp_add(&a1_9, &t, &a->c1);
    fp_sub(&a0_9, &a0_9, &a->c1); /* r may alias a: read a before writing */
    fp_add(&r->c1, &a->c0, &a1_9);
    r->c0 = a0_9;
}

/* 1 / (a0 + a1 u) = (a0 - a1 u) / (a0^2 + a1^2). */
void fp2_inv(fp2_t *r, const fp2_t *a)
{
    fp_t n, t;
    fp_sqr(&n, &a->c0);
    fp_sqr(&t, &a->c1);
    fp_add(&n, &n, &t);
    fp_inv(&n, &n);
    fp_mul(&r->c0, &a->c0, &n);
    fp_mul(&r->c1, &a->c1, &n);
    fp_neg(&r->c1, &r->c1);
}

/* ---- Fp6 ------------------------------------------------------------------ */

void fp6_zero(fp6_t *r)
{
    memset(r, 0, sizeof *r);
}
void fp6_one(fp6_t *r)
{
    fp6_zero(r);
    fp2_one(&r->c0);
}

void fp6_add(fp6_t *r, const fp6_t *a, const fp6_t *b)
{
    fp2_add(&r->c0, &a->c0, &b->c0);
    fp2_add(&r->c1, &a->c1, &b->c1);
    fp2_add(&r->c2, &a->c2, &b->c2);
}

void fp6_sub(fp6_t *r, const fp6_t *a, const fp6_t *b)
{
    fp2_sub(&r->c0, &a->c0, &b->c0);
    fp2_sub(&r->c1, &a->c1, &b->c1);
    fp2_sub(&r->c2, &a->c2, &b->c2);
}

void fp6_neg(fp6_t *r, const fp6_t *a)
{
    fp2_neg(&r->c0, &a->c0);
    fp2_neg(&r->c1, &a->c1);
    fp2_neg(&r->c2, &a->c2);
}

/* Karatsuba over v^3 = xi: six Fp2 products. */
void fp6_mul(fp6_t *r, const fp6_t *a, const fp6_t *b)
{
    fp2_t t0, t1, t2, s, u, c0, c1, c2;
    fp2_mul(&t0, &a->c0, &b->c0);
    fp2_mul(&t1, &a->c1, &b->c1);
    fp2_mul(&t2, &a->c2, &b->c2);

    fp2_add(&s, &a->c1, &a->c2);
    fp2_add(&u, &b->c1, &b->c2);
    fp2_mul(&c0, &s, &u);
    fp2_sub(&c0, &c0, &t1);
    fp2_sub(&c0, &c0, &t2);
    fp2_mul_by_xi(&c0, &c0);
    fp2_add(&c0, &c0, &t0);

    fp2_add(&s, &a->c0, &a->c1);
    fp2_add(&u, &b->c0, &b->c1);
    fp2_mul(&c1, &s, &u);
    fp2_sub(&c1, &c1, &t0);
    fp2_sub(&c1, &c1, &t1);
    fp2_mul_by_xi(&s, &t2);
    fp2_add(&c1, &c1, &s);

    fp2_add(&s, &a->c0, &a->c2);
    fp2_add(&u, &b->c0, &b->c2);
    fp2_mul(&c2, &s, &u);
    fp2_sub(&c2, &c2, &t0);
    fp2_sub(&c2, &c2, &t2);
    fp2_add(&c2, &c2, &t1);

    r->c0 = c0;
    r->c1 = c1;
    r->c2 = c2;
}

void fp6_sqr(fp6_t *r, const fp6_t *a)
{
    fp6_mul(r, a, a);
}

void fp6_mul_by_v(fp6_t *r, const fp6_t *a)
{
    fp2_t c2 = a->c2;
    r->c2 = a->c1;
    r->c1 = a->c0;
    fp2_mul_by_xi(&r->c0, &c2);
}

/* a * (b0 + b1 v): five Fp2 products. */
void fp6_mul_by_01(fp6_t *r, const fp6_t *a, const fp2_t *b0, const fp2_t *b1)
{
    fp2_t t0, t1, s, u, c0, c1, c2;
    fp2_mul(&t0, &a->c0, b0);
    fp2_mul(&t1, &a->c1, b1);

    fp2_add(&s, &a->c1, &a->c2);
    fp2_mul(&c0, &s, b1);
    fp2_sub(&c0, &c0, &t1);
    fp2_mul_by_xi(&c0, &c0);
    fp2_add(&c0, &c0, &t0);

    fp2_add(&s, &a->c0, &a->c1);
    fp2_add(&u, b0, b1);
    fp2_mul(&c1, &s, &u);
    fp2_sub(&c1, &c1, &t0);
    fp2_sub(&c1, &c1, &t1);

    fp2_add(&s, &a->c0, &a->c2);
    fp2_mul(&c2, &s, b0);
    fp2_sub(&c2, &c2, &t0);
    fp2_add(&c2, &c2, &t1);

    r->c0 = c0;
    r->c1 = c1;
    r->c2 = c2;
}

void fp6_inv(fp6_t *r, const fp6_t *a)
{
    fp2_t c0, c1, c2, t, n;
    fp2_sqr(&c0, &a->c0);
    fp2_mul(&t, &a->c1, &a->c2);
    fp2_mul_by_xi(&t, &t);
    fp2_sub(&c0, &c0, &t);

    fp2_sqr(&c1, &a->c2);
    fp2_mul_by_xi(&c1, &c1);
    fp2_mul(&t, &a->c0, &a->c1);
    fp2_sub(&c1, &c1, &t);

    fp2_sqr(&c2, &a->c1);
    fp2_mul(&t, &a->c0, &a->c2);
    fp2_sub(&c2, &c2, &t);

    fp2_mul(&n, &a->c2, &c1);
    fp2_mul(&t, &a->c1, &c2);
    fp2_add(&n, &n, &t);
    fp2_mul_by_xi(&n, &n);
    fp2_mul(&t, &a->c0, &c0);
    fp2_add(&n, &n, &t);
    fp2_inv(&n, &n);

    fp2_mul(&r->c0, &c0, &n);
    fp2_mul(&r->c1, &c1, &n);
    fp2_mul(&r->c2, &c2, &n);
}

/* ---- Fp12 ----------------------------------------------------------------- */

void fp12_zero(fp12_t *r)
{
    memset(r, 0, sizeof *r);
}
void fp12_one(fp12_t *r)
{
    fp12_zero(r);
    fp2_one(&r->c0.c0);
}

int fp12_eq(const fp12_t *a, const fp12_t *b)
{
    return memcmp(a, b, sizeof *a) == 0; /* limbs are canonical (< p) */
}

int fp12_is_one(const fp12_t *a)
{
    fp12_t one;
    fp12_one(&one);
    return fp12_eq(a, &one);
}

void fp12_conj(fp12_t *r, const fp12_t *a)
{
    r->c0 = a->c0;
    fp6_neg(&r->c1, &a->c1);
}

/* (a0 + a1 w)(b0 + b1 w) = a0 b0 + a1 b1 v + ((a0 + a1)(b0 + b1) - a0 b0 - a1 b1) w. */
void fp12_mul(fp12_t *r, const fp12_t *a, const fp12_t *b)
{
    fp6_t t0, t1, s, u;
    fp6_mul(&t0, &a->c0, &b->c0);
    fp6_mul(&t1, &a->c1, &b->c1);
    fp6_add(&s, &a->c0, &a->c1);
    fp6_add(&u, &b->c0, &b->c1);
    fp6_mul(&r->c1, &s, &u);
    fp6_sub(&r->c1, &r->c1, &t0);
    fp6_sub(&r->c1, &r->c1, &t1);
    fp6_mul_by_v(&t1, &t1);
    fp6_add(&r->c0, &t0, &t1);
}

/* (a0 + a1 w)^2: c1 = 2 a0 a1, c0 = (a0 + a1)(a0 + v a1) - a0 a1 - v a0 a1. */
void fp12_sqr(fp12_t *r, const fp12_t *a)
{
    fp6_t t, s, u, vt;
    fp6_mul(&t, &a->c0, &a->c1);
    fp6_add(&s, &a->c0, &a->c1);
    fp6_mul_by_v(&u, &a->c1);
    fp6_add(&u, &u, &a->c0);
    fp6_mul(&s, &s, &u);
    fp6_mul_by_v(&vt, &t);
    fp6_sub(&s, &s, &t);
    fp6_sub(&r->c0, &s, &vt);
    fp6_add(&r->c1, &t, &t);
}

/* 1 / (a0 + a1 w) = (a0 - a1 w) / (a0^2 - v a1^2). */
void fp12_inv(fp12_t *r, const fp12_t *a)
{
    fp6_t t0, t1;
    fp6_sqr(&t0, &a->c0);
    fp6_sqr(&t1, &a->c1);
    fp6_mul_by_v(&t1, &t1);
    fp6_sub(&t0, &t0, &t1);
    fp6_inv(&t0, &t0);
    fp6_mul(&r->c0, &a->c0, &t0);
    fp6_mul(&r->c1, &a->c1, &t0);
    fp6_neg(&r->c1, &r->c1);
}

void fp12_pow(fp12_t *r, const fp12_t *a, const uint64_t *e, size_t n)
{
    fp12_t acc, base = *a;
    fp12_one(&acc);
    for (size_t i = n * 64; i-- > 0;) {
        fp12_sqr(&acc, &acc);
        if ((e[i / 64] >> (i % 64)) & 1)
            fp12_mul(&acc, &acc, &base);
    }
    *r = acc;
}

/* (x + y s)^2 in Fp4 = Fp2[s]/(s^2 - xi), as (t0, t1). */
static void fp4_sqr(fp2_t *t0, fp2_t *t1, const fp2_t *x, const fp2_t *y)
{
    fp2_t xy, s, u, xi_xy;
    fp2_mul(&xy, x, y);
    fp2_add(&s, x, y);
    fp2_mul_by_xi(&u, y);
    fp2_add(&u, &u, x);
    fp2_mul(&s, &s, &u);
    fp2_mul_by_xi(&xi_xy, &xy);
    fp2_sub(&s, &s, &xy);
    fp2_sub(t0, &s, &xi_xy);
    fp2_dbl(t1, &xy);
}

/* r = 3 t - 2 z when minus is set, else 3 t + 2 z. */
static void three_t_two_z(fp2_t *r, const fp2_t *t, const fp2_t *z, int minus)
{
    fp2_t t3, z2;
    fp2_dbl(&t3, t);
    fp2_add(&t3, &t3, t);
    fp2_dbl(&z2, z);
    if (minus)
        fp2_sub(r, &t3, &z2);
    else
        fp2_add(r, &t3, &z2);
}

/* Granger-Scott: Fp12 seen as Fp4^3 over the pairs (w^0, w^3), (w^1, w^4),
 * (w^2, w^5); valid only in the cyclotomic subgroup. */
void fp12_cyclotomic_sqr(fp12_t *r, const fp12_t *a)
{
    fp2_t t0, t1, t2, t3, t4, t5, xi_t5;
    fp4_sqr(&t0, &t1, &a->c0.c0, &a->c1.c1);
    fp4_sqr(&t2, &t3, &a->c1.c0, &a->c0.c2);
    fp4_sqr(&t4, &t5, &a->c0.c1, &a->c1.c2);
    fp2_mul_by_xi(&xi_t5, &t5);
    three_t_two_z(&r->c0.c0, &t0, &a->c0.c0, 1);
    three_t_two_z(&r->c1.c1, &t1, &a->c1.c1, 0);
    three_t_two_z(&r->c1.c0, &xi_t5, &a->c1.c0, 0);
    three_t_two_z(&r->c0.c2, &t4, &a->c0.c2, 1);
    three_t_two_z(&r->c0.c1, &t2, &a->c0.c1, 1);
    three_t_two_z(&r->c1.c2, &t3, &a->c1.c2, 0);
}

/* Lines are l0 + l1 w + l3 w^3 = (l0, 0, 0) + (l1, l3, 0) w. */
void fp12_mul_by_line(fp12_t *f, const fp2_t *l0, const fp2_t *l1, const fp2_t *l3)
{
    fp6_t t0, t1, s;
    fp2_t l01;
    fp2_mul(&t0.c0, &f->c0.c0, l0);
    fp2_mul(&t0.c1, &f->c0.c1, l0);
    fp2_mul(&t0.c2, &f->c0.c2, l0);
    fp6_mul_by_01(&t1, &f->c1, l1, l3);
    fp6_add(&s, &f->c0, &f->c1);
    fp2_add(&l01, l0, l1);
    fp6_mul_by_01(&f->c1, &s, &l01, l3);
    fp6_sub(&f->c1, &f->c1, &t0);
    fp6_sub(&f->c1, &f->c1, &t1);
    fp6_mul_by_v(&t1, &t1);
    fp6_add(&f->c0, &t0, &t1);
}

/* The coefficient c of w^j maps to c^(p^k) * xi^(j (p^k - 1) / 6); c^(p^k)
 * is the conjugate for odd k. Slot order: c0 = (w^0, w^2, w^4), c1 = (w^1, w^3, w^5). */
void fp12_frobenius(fp12_t *r, const fp12_t *a, int k)
{
    const fp2_t *in[6] = {&a->c0.c0, &a->c1.c0, &a->c0.c1, &a->c1.c1, &a->c0.c2, &a->c1.c2};
    fp2_t *out[6] = {&r->c0.c0, &r->c1.c0, &r->c0.c1, &r->c1.c1, &r->c0.c2, &r->c1.c2};
    fp2_t tmp[6];
    for (int j = 0; j < 6; j++) {
        if (k & 1)
            fp2_conj(&tmp[j], in[j]);
        else
            tmp[j] = *in[j];
        fp2_mul(&tmp[j], &tmp[j], &FROBENIUS[k - 1][j]);
    }
    for (int j = 0; j < 6; j++)
        *out[j] = tmp[j];
}
