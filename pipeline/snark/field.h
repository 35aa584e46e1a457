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
    uint64_t neg_inv;   /* -m^-1 mod 2^64 */
    uint64_t r1[4];     /* R mod m: the Montgomery form of 1 */
    uint64_t r2[4];     /* R^2 mod m: converts into Montgomery form */
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

static inline void mont_add(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                            const mont_modulus *q)
{
    uint64_t s[4], t[4];
    limbs_add(s, a, b);                 /* < 2^255: no carry out */
    uint64_t borrow = limbs_sub(t, s, q->m);
    uint64_t keep_s = 0 - borrow;       /* all ones when s < m */
    for (int i = 0; i < 4; i++)
        r[i] = (s[i] & keep_s) | (t[i] & ~keep_s);
}

static inline void mont_sub(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                            const mont_modulus *q)
{
    uint64_t d[4], mask[4];
    uint64_t borrow = limbs_sub(d, a, b);
    for (int i = 0; i < 4; i++)
        mask[i] = q->m[i] & (0 - borrow);
    limbs_add(r, d, mask);
}

static inline void mont_neg(uint64_t r[4], const uint64_t a[4], const mont_modulus *q)
{
    uint64_t nz = (a[0] | a[1] | a[2] | a[3]) != 0;
    uint64_t d[4];
    limbs_sub(d, q->m, a);
    for (int i = 0; i < 4; i++)
        r[i] = d[i] & (0 - nz);
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
    uint64_t t[4] = { 0, 0, 0, 0 }, s[4];
    for (int i = 0; i < 4; i++)
        mont_round(t, a, b[i], q);
    uint64_t borrow = limbs_sub(s, t, q->m);
    uint64_t keep_t = 0 - borrow;
    for (int i = 0; i < 4; i++)
        r[i] = (t[i] & keep_t) | (s[i] & ~keep_t);
}

/* r = a * b / R mod m. Inputs must be < m. Uses mont_mul_adx on CPUs with
 * BMI2 and ADX (every x86-64 since 2015), the portable C elsewhere. */
static inline void mont_mul(uint64_t r[4], const uint64_t a[4], const uint64_t b[4],
                            const mont_modulus *q)
{
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
    static const uint64_t one[4] = { 1, 0, 0, 0 };
    mont_mul(r, a, one, q);
}

/* a^e for a 256-bit exponent e (normal integer, little-endian limbs). */
void mont_pow(uint64_t r[4], const uint64_t a[4], const uint64_t e[4], const mont_modulus *q);
/* Decimal string to raw value; -1 on junk, empty, or a value >= m. */
int mont_parse_dec(uint64_t r[4], const char *s, const mont_modulus *q);
/* 32 big-endian bytes to a raw value (no range check). */
void limbs_from_be(uint64_t r[4], const uint8_t in[32]);
/* Raw value to decimal (out holds at least 80 bytes). */
void limbs_to_dec(char out[80], const uint64_t a[4]);

/* Fp helpers used by the tower and curve code. */
static inline void fp_dbl(fp_t *r, const fp_t *a) { mont_add(r->v, a->v, a->v, &FP_MODULUS); }
/* a^e for a 256-bit exponent given as little-endian limbs. */
void fp_pow(fp_t *r, const fp_t *a, const uint64_t e[4]);
/* 1 and stores a square root if a is a square, else 0. */
int fp_sqrt(fp_t *r, const fp_t *a);

#endif
