/*
 * field.h - internal: 4-limb Montgomery arithmetic shared by Fp and Fr.
 *
 * Both BN254 moduli are 254-bit with a top limb below 2^63 - 1, so the
 * multiplication uses CIOS with the "no-carry" shortcut (no fifth limb),
 * and a + b never overflows 256 bits. On x86-64 with BMI2/ADX the product
 * runs in assembly (mont_adx.h), chosen at run time. Everything here is static inline and
 * takes the modulus as a pointer to a constant table, so each caller gets a
 * specialised copy with the constants folded in.
 */
#ifndef ZKML_SNARK_FIELD_H
#define ZKML_SNARK_FIELD_H

#include "pipeline/snark/snark.h"
#include "pipeline/snark/mont_adx.h"

typedef unsigned __int128 u128;

/* A modulus with its Montgomery constants (R = 2^256). */
typedef struct mont_modulus {
    uint64_t m[4];
    uint64_t neg_inv; /* -m^-1 mod 2^64 */
    uint64_t r1[4];   /* R mod m: the Montgomery form of 1 */
    uint64_t r2[4];   /* R^2 mod m: converts into Montgomery form */
} mont_modulus;

extern const mont_modulus FP_MODULUS;
extern const mont_modulus FR_MODULUS;

/* 1 if a >= b as 256-bit integers. */
static inline int limbs_geq(const uint64_t a[4], const uint64_t b[4])
{
    for (int i = 3; i >= 0; i--) {
        if (a[i] != b[i])
            return a[i] > b[i];
    }
    return 1;
}

/* r = a - b, returns the borrow. */
static inline uint64_t limbs_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t borrow = 0;
    for (int i = 0; i < 4; i++) {
        u128 d = (u128)a[i] - b[i] - borrow;
        r[i] = (uint64_t)d;
        borrow = (uint64_t)(d >> 64) & 1;
    }
    return borrow;
}

/* r = a + b, returns the carry. */
static inline uint64_t limbs_add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4])
{
    uint64_t carry = 0;
    for (int i = 0; i < 4; i++) {
        u128 s = (u128)a[i] + b[i] + carry;
        r[i] = (uint64_t)s;
        carry = (uint64_t)(s >> 64);
    }
    return carry;
}

/* One word of an addition or subtraction chain; carry and borrow are 0 or 1.
 * On x86-64 the carry intrinsics compile to adc/sbb chains; gcc turns the
 * 128-bit form into a sub/sbb pair per word plus mask juggling, which made
 * fp_sub a fifth of an MSM's time. */
#if defined(__x86_64__)
#include <x86intrin.h>

static inline uint64_t add_carry(uint64_t *r, uint64_t a, uint64_t b, uint64_t carry)
{
    unsigned long long s;
    uint64_t c = _addcarry_u64((unsigned char)carry, a, b, &s);
    *r = s;
    return c;
}

static inline uint64_t sub_borrow(uint64_t *r, uint64_t a, uint64_t b, uint64_t borrow)
{
    unsigned long long d;
    uint64_t c = _subborrow_u64((unsigned char)borrow, a, b, &d);
    *r = d;
    return c;
}
#else
static inline uint64_t add_carry(uint64_t *r, uint64_t a, uint64_t b, uint64_t carry)
{
    u128 s = (u128)a + b + carry;
    *r = (uint64_t)s;
    return (uint64_t)(s >> 64);
}

static inline uint64_t sub_borrow(uint64_t *r, uint64_t a, uint64_t b, uint64_t borrow)
{
    u128 d = (u128)a - b - borrow;
    *r = (uint64_t)d;
    return (uint64_t)(d >> 64) & 1;
}
#endif

/* r = t mod m for t < 2m given as four words, without a branch. The words
 * are separate variables rather than arrays on purpose: gcc turns a masked
 * select over arrays into 128-bit loads of words just stored one by one,
 * which stalls store forwarding and made an addition cost as much as a
 * multiplication. */
static inline void mont_reduce_once(uint64_t r[4], uint64_t t0, uint64_t t1, uint64_t t2,
                                    uint64_t t3, const mont_modulus *q)
{
    uint64_t s0, s1, s2, s3, borrow;
    borrow = sub_borrow(&s0, t0, q->m[0], 0);
    borrow = sub_borrow(&s1, t1, q->m[1], borrow);
    borrow = sub_borrow(&s2, t2, q->m[2], borrow);
    borrow = sub_borrow(&s3, t3, q->m[3], borrow);
    uint64_t keep_t = 0 - borrow; /* all ones when t < m */
    r[0] = (t0 & keep_t) | (s0 & ~keep_t);
    r[1] = (t1 & keep_t) | (s1 & ~keep_t);
    r[2] = (t2 & keep_t) | (s2 & ~keep_t);
    r[3] = (t3 & keep_t) | (s3 & ~keep_t);
}

static inline void mont_add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                            const mont_modulus *q)
{
    ZKML_VERIFY(!limbs_geq(a, q->m) && !limbs_geq(b, q->m)); /* so a + b < 2m < 2^255 */
    uint64_t s0, s1, s2, s3, carry;
    carry = add_carry(&s0, a[0], b[0], 0);
    carry = add_carry(&s1, a[1], b[1], carry);
    carry = add_carry(&s2, a[2], b[2], carry);
    add_carry(&s3, a[3], b[3], carry); /* < 2^255: no carry out */
    mont_reduce_once(r, s0, s1, s2, s3, q);
}

/* a - b, plus m when that borrows (the mask keeps it branch-free). */
static inline void mont_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                            const mont_modulus *q)
{
    ZKML_VERIFY(!limbs_geq(a, q->m) && !limbs_geq(b, q->m)); /* one correction suffices */
    uint64_t d0, d1, d2, d3, borrow, carry;
    borrow = sub_borrow(&d0, a[0], b[0], 0);
    borrow = sub_borrow(&d1, a[1], b[1], borrow);
    borrow = sub_borrow(&d2, a[2], b[2], borrow);
    borrow = sub_borrow(&d3, a[3], b[3], borrow);
    uint64_t mask = 0 - borrow;
    carry = add_carry(&r[0], d0, q->m[0] & mask, 0);
    carry = add_carry(&r[1], d1, q->m[1] & mask, carry);
    carry = add_carry(&r[2], d2, q->m[2] & mask, carry);
    add_carry(&r[3], d3, q->m[3] & mask, carry);
}

/* m - a, or 0 for a = 0. */
static inline void mont_neg(uint64_t r[4], const uint64_t a[4], const mont_modulus *q)
{
    ZKML_VERIFY(!limbs_geq(a, q->m));
    uint64_t mask = 0 - (uint64_t)((a[0] | a[1] | a[2] | a[3]) != 0);
    uint64_t d0, d1, d2, d3, borrow;
    borrow = sub_borrow(&d0, q->m[0], a[0], 0);
    borrow = sub_borrow(&d1, q->m[1], a[1], borrow);
    borrow = sub_borrow(&d2, q->m[2], a[2], borrow);
    sub_borrow(&d3, q->m[3], a[3], borrow);
    r[0] = d0 & mask;
    r[1] = d1 & mask;
    r[2] = d2 & mask;
    r[3] = d3 & mask;
}

/* One CIOS round, t = (t + a * bi + mm * m) / 2^64 with mm = t0 * neg_inv
 * chosen so the division is exact. The product and the reduction run
 * interleaved, word by word, and since m < 2^254 t stays below 2m without a
 * fifth word (the "no-carry" CIOS). */
static inline void mont_round(uint64_t t[4], const uint64_t a[4], uint64_t bi,
                              const mont_modulus *q)
{
    u128 prod = (u128)a[0] * bi + t[0];
    uint64_t mm = (uint64_t)prod * q->neg_inv;
    u128 red = (u128)mm * q->m[0] + (uint64_t)prod;
    for (int j = 1; j < 4; j++) {
        prod = (u128)a[j] * bi + t[j] + (uint64_t)(prod >> 64);
        red = (u128)mm * q->m[j] + (uint64_t)prod + (uint64_t)(red >> 64);
        t[j - 1] = (uint64_t)red;
    }
    t[3] = (uint64_t)(red >> 64) + (uint64_t)(prod >> 64);
}

/* r = a * b / R mod m in portable C. Inputs must be < m. */
static inline void mont_mul_portable(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                                     const mont_modulus *q)
{
    uint64_t t[4] = {0, 0, 0, 0};
    for (int i = 0; i < 4; i++)
        mont_round(t, a, b[i], q);
    mont_reduce_once(r, t[0], t[1], t[2], t[3], q);
}

/* r = a * b / R mod m. Inputs must be < m. Uses mont_mul_adx on CPUs with
 * BMI2 and ADX (every x86-64 since 2015), the portable C elsewhere. */
static inline void mont_mul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                            const mont_modulus *q)
{
    /* The no-carry CIOS keeps t < 2m only for reduced inputs. */
    ZKML_VERIFY(!limbs_geq(a, q->m) && !limbs_geq(b, q->m));
#if MONT_HAVE_ADX
    if (mont_cpu_has_adx()) {
        mont_mul_adx(r, a, b, q->m, q->neg_inv);
        return;
    }
#endif
    mont_mul_portable(r, a, b, q);
}

static inline int mont_is_zero(const uint64_t a[4])
{
    return (a[0] | a[1] | a[2] | a[3]) == 0;
}

/* Raw 256-bit value to Montgomery form; -1 if a >= m. */
static inline int mont_from_raw(uint64_t r[4], const uint64_t a[4], const mont_modulus *q)
{
    if (limbs_geq(a, q->m))
        return -1;
    mont_mul(r, a, q->r2, q);
    return 0;
}

static inline void mont_to_raw(uint64_t r[4], const uint64_t a[4], const mont_modulus *q)
{
    static const uint64_t one[4] = {1, 0, 0, 0};
    mont_mul(r, a, one, q);
}

/* a^e for a 256-bit exponent e (normal integer, little-endian limbs). */
void mont_pow(uint64_t r[4], const uint64_t a[4], const uint64_t e[4], const mont_modulus *q);
/* r = 1/a for a in Montgomery form (below m; 0 gives 0), in constant time:
 * Bernstein and Yang's divsteps (modinv.c), ~1.8x faster than a^(m-2). */
void mont_inv(uint64_t r[4], const uint64_t a[4], const mont_modulus *q);
/* Decimal string to raw value; -1 on junk, empty, or a value >= m. */
int mont_parse_dec(uint64_t r[4], const char *s, const mont_modulus *q);
/* 32 big-endian bytes to a raw value (no range check). */
void limbs_from_be(uint64_t r[4], const uint8_t in[32]);
/* Raw value to decimal (out holds at least 80 bytes). */
void limbs_to_dec(char out[80], const uint64_t a[4]);

/* Fp helpers used by the tower and curve code. */
static inline void fp_dbl(fp_t *r, const fp_t *a)
{
    mont_add(r->v, a->v, a->v, &FP_MODULUS);
}
/* a^e for a 256-bit exponent given as little-endian limbs. */
void fp_pow(fp_t *r, const fp_t *a, const uint64_t e[4]);
/* 1 and stores a square root if a is a square, else 0. */
int fp_sqrt(fp_t *r, const fp_t *a);

#endif
