/*
 * field.c - the BN254 prime fields Fp (base) and Fr (scalar) in Montgomery
 * form: arithmetic, inversion, batch inversion, and conversions to and from
 * bytes and decimal strings (always the normal, non-Montgomery value).
 */
#include "pipeline/snark/field.h"

#include <stdlib.h>
#include <string.h>

const mont_modulus FP_MODULUS = {
    .m = {0x3c208c16d87cfd47ULL, 0x97816a916871ca8dULL, 0xb85045b68181585dULL,
          0x30644e72e131a029ULL},
    .neg_inv = 0x87d20782e4866389ULL,
    .r1 = {0xd35d438dc58f0d9dULL, 0x0a78eb28f5c70b3dULL, 0x666ea36f7879462cULL,
           0x0e0a77c19a07df2fULL},
    .r2 = {0xf32cfc5b538afa89ULL, 0xb5e71911d44501fbULL, 0x47ab1eff0a417ff6ULL,
           0x06d89f71cab8351fULL},
};

const mont_modulus FR_MODULUS = {
    .m = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL,
          0x30644e72e131a029ULL},
    .neg_inv = 0xc2e1f593efffffffULL,
    .r1 = {0xac96341c4ffffffbULL, 0x36fc76959f60cd29ULL, 0x666ea36f7879462eULL,
           0x0e0a77c19a07df2fULL},
    .r2 = {0x1bb8e645ae216da7ULL, 0x53fe3ab1e35c59e3ULL, 0x8c49833d53bb8085ULL,
           0x0216d0b17f4e44a5ULL},
};

/* ---- shared helpers -------------------------------------------------------- */

void mont_pow(uint64_t r[4], const uint64_t a[4], const uint64_t e[4], const mont_modulus *q)
{
    uint64_t acc[4], base[4];
    memcpy(acc, q->r1, sizeof acc);
    memcpy(base, a, sizeof base);
    for (int i = 255; i >= 0; i--) {
        mont_mul(acc, acc, acc, q);
        if ((e[i / 64] >> (i % 64)) & 1)
            mont_mul(acc, acc, base, q);
    }
    memcpy(r, acc, sizeof acc);
    /* a may be a secret (the setup's tau, inverses of tau - x). */
    zkml_wipe(acc, sizeof acc);
    zkml_wipe(base, sizeof base);
}

int mont_parse_dec(uint64_t r[4], const char *s, const mont_modulus *q)
{
    uint64_t acc[4] = {0, 0, 0, 0};
    if (!s || !*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        uint64_t carry = (uint64_t)(*s - '0');
        for (int i = 0; i < 4; i++) {
            u128 t = (u128)acc[i] * 10 + carry;
            acc[i] = (uint64_t)t;
            carry = (uint64_t)(t >> 64);
        }
        if (carry || limbs_geq(acc, q->m)) /* stop before the value can overflow */
            return -1;
    }
    memcpy(r, acc, sizeof acc);
    return 0;
}

void limbs_to_dec(char out[80], const uint64_t a[4])
{
    uint64_t x[4];
    char rev[80];
    size_t n = 0;
    memcpy(x, a, sizeof x);
    do {
        uint64_t rem = 0;
        for (int i = 3; i >= 0; i--) {
            u128 cur = ((u128)rem << 64) | x[i];
            x[i] = (uint64_t)(cur / 10);
            rem = (uint64_t)(cur % 10);
        }
        rev[n++] = (char)('0' + rem);
    } while (!mont_is_zero(x));
    for (size_t i = 0; i < n; i++)
        out[i] = rev[n - 1 - i];
    out[n] = '\0';
}

static void limbs_from_le(uint64_t r[4], const uint8_t in[32])
{
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int j = 7; j >= 0; j--)
            w = (w << 8) | in[8 * i + j];
        r[i] = w;
    }
}

static void limbs_to_le(uint8_t out[32], const uint64_t a[4])
{
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            out[8 * i + j] = (uint8_t)(a[i] >> (8 * j));
}

/* ---- Fr --------------------------------------------------------------------- */

void fr_zero(fr_t *r)
{
    memset(r, 0, sizeof *r);
}
void fr_one(fr_t *r)
{
    memcpy(r->v, FR_MODULUS.r1, sizeof r->v);
}

void fr_from_u64(fr_t *r, uint64_t a)
{
    uint64_t raw[4] = {a, 0, 0, 0};
    mont_mul(r->v, raw, FR_MODULUS.r2, &FR_MODULUS);
}

void fr_from_i64(fr_t *r, int64_t a)
{
    uint64_t mag = a < 0 ? (uint64_t)0 - (uint64_t)a : (uint64_t)a;
    fr_from_u64(r, mag);
    if (a < 0)
        fr_neg(r, r);
}

int fr_is_zero(const fr_t *a)
{
    return mont_is_zero(a->v);
}
int fr_eq(const fr_t *a, const fr_t *b)
{
    return memcmp(a->v, b->v, sizeof a->v) == 0;
}
void fr_add(fr_t *r, const fr_t *a, const fr_t *b)
{
    mont_add(r->v, a->v, b->v, &FR_MODULUS);
}
void fr_sub(fr_t *r, const fr_t *a, const fr_t *b)
{
    mont_sub(r->v, a->v, b->v, &FR_MODULUS);
}
void fr_neg(fr_t *r, const fr_t *a)
{
    mont_neg(r->v, a->v, &FR_MODULUS);
}
void fr_mul(fr_t *r, const fr_t *a, const fr_t *b)
{
    mont_mul(r->v, a->v, b->v, &FR_MODULUS);
}
void fr_sqr(fr_t *r, const fr_t *a)
{
    mont_mul(r->v, a->v, a->v, &FR_MODULUS);
}
void fr_inv(fr_t *r, const fr_t *a)
{
    mont_inv(r->v, a->v, &FR_MODULUS);
}

void fr_pow_u64(fr_t *r, const fr_t *a, uint64_t e)
{
    uint64_t exp[4] = {e, 0, 0, 0};
    mont_pow(r->v, a->v, exp, &FR_MODULUS);
}

int fr_batch_inv(fr_t *a, size_t n)
{
    if (n == 0)
        return 0;
    fr_t *prefix = malloc(n * sizeof *prefix);
    if (!prefix)
        return -1;
    fr_t acc;
    fr_one(&acc);
    for (size_t i = 0; i < n; i++) {
        prefix[i] = acc; /* product of the nonzero a[0..i) */
        if (!fr_is_zero(&a[i]))
            fr_mul(&acc, &acc, &a[i]);
    }
    fr_inv(&acc, &acc);
    for (size_t i = n; i-- > 0;) {
        if (fr_is_zero(&a[i]))
            continue;
        fr_t inv_i;
        fr_mul(&inv_i, &acc, &prefix[i]);
        fr_mul(&acc, &acc, &a[i]);
        a[i] = inv_i;
        zkml_wipe(&inv_i, sizeof inv_i);
    }
    /* The setup inverts tau - x: the running products would give tau back. */
    zkml_wipe(prefix, n * sizeof *prefix);
    zkml_wipe(&acc, sizeof acc);
    free(prefix);
    return 0;
}

int fr_from_bytes_le(fr_t *r, const uint8_t in[32])
{
    uint64_t raw[4];
    limbs_from_le(raw, in);
    int rc = mont_from_raw(r->v, raw, &FR_MODULUS);
    zkml_wipe(raw, sizeof raw); /* fr_random's draws pass through here */
    return rc;
}

void fr_to_bytes_le(uint8_t out[32], const fr_t *a)
{
    uint64_t raw[4];
    mont_to_raw(raw, a->v, &FR_MODULUS);
    limbs_to_le(out, raw);
}

int fr_from_dec(fr_t *r, const char *s)
{
    uint64_t raw[4];
    if (mont_parse_dec(raw, s, &FR_MODULUS) != 0)
        return -1;
    return mont_from_raw(r->v, raw, &FR_MODULUS);
}

void fr_to_dec(char out[80], const fr_t *a)
{
    uint64_t raw[4];
    mont_to_raw(raw, a->v, &FR_MODULUS);
    limbs_to_dec(out, raw);
}

int fr_to_i64(int64_t *out, const fr_t *a)
{
    uint64_t raw[4], mag[4];
    mont_to_raw(raw, a->v, &FR_MODULUS);
    if (raw[1] == 0 && raw[2] == 0 && raw[3] == 0 && raw[0] <= (uint64_t)INT64_MAX) {
        *out = (int64_t)raw[0];
        return 0;
    }
    limbs_sub(mag, FR_MODULUS.m, raw); /* the value is -(r - a) */
    if (mag[1] == 0 && mag[2] == 0 && mag[3] == 0 && mag[0] <= (uint64_t)1 << 63) {
        *out = mag[0] == (uint64_t)1 << 63 ? INT64_MIN : -(int64_t)mag[0];
        return 0;
    }
    return -1;
}

/* ---- Fp --------------------------------------------------------------------- */

void fp_zero(fp_t *r)
{
    memset(r, 0, sizeof *r);
}
void fp_one(fp_t *r)
{
    memcpy(r->v, FP_MODULUS.r1, sizeof r->v);
}

void fp_from_u64(fp_t *r, uint64_t a)
{
    uint64_t raw[4] = {a, 0, 0, 0};
    mont_mul(r->v, raw, FP_MODULUS.r2, &FP_MODULUS);
}

int fp_is_zero(const fp_t *a)
{
    return mont_is_zero(a->v);
}
int fp_eq(const fp_t *a, const fp_t *b)
{
    return memcmp(a->v, b->v, sizeof a->v) == 0;
}
void fp_add(fp_t *r, const fp_t *a, const fp_t *b)
{
    mont_add(r->v, a->v, b->v, &FP_MODULUS);
}
void fp_sub(fp_t *r, const fp_t *a, const fp_t *b)
{
    mont_sub(r->v, a->v, b->v, &FP_MODULUS);
}
void fp_neg(fp_t *r, const fp_t *a)
{
    mont_neg(r->v, a->v, &FP_MODULUS);
}
void fp_mul(fp_t *r, const fp_t *a, const fp_t *b)
{
    mont_mul(r->v, a->v, b->v, &FP_MODULUS);
}
void fp_sqr(fp_t *r, const fp_t *a)
{
    mont_mul(r->v, a->v, a->v, &FP_MODULUS);
}
void fp_inv(fp_t *r, const fp_t *a)
{
    mont_inv(r->v, a->v, &FP_MODULUS);
}
void fp_pow(fp_t *r, const fp_t *a, const uint64_t e[4])
{
    mont_pow(r->v, a->v, e, &FP_MODULUS);
}

/* p = 3 mod 4, so a square root is a^((p+1)/4). */
int fp_sqrt(fp_t *r, const fp_t *a)
{
    static const uint64_t exp[4] = {0x4f082305b61f3f52ULL, 0x65e05aa45a1c72a3ULL,
                                    0x6e14116da0605617ULL, 0x0c19139cb84c680aULL};
    fp_t root, check;
    fp_pow(&root, a, exp);
    fp_sqr(&check, &root);
    if (!fp_eq(&check, a))
        return 0;
    *r = root;
    return 1;
}

void limbs_from_be(uint64_t r[4], const uint8_t in[32])
{
    for (int i = 0; i < 4; i++) {
        uint64_t w = 0;
        for (int j = 0; j < 8; j++)
            w = (w << 8) | in[8 * (3 - i) + j];
        r[i] = w;
    }
}

int fp_from_bytes_be(fp_t *r, const uint8_t in[32])
{
    uint64_t raw[4];
    limbs_from_be(raw, in);
    return mont_from_raw(r->v, raw, &FP_MODULUS);
}

void fp_to_bytes_be(uint8_t out[32], const fp_t *a)
{
    uint64_t raw[4];
    mont_to_raw(raw, a->v, &FP_MODULUS);
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++)
            out[8 * (3 - i) + j] = (uint8_t)(raw[i] >> (56 - 8 * j));
}

int fp_from_bytes_le(fp_t *r, const uint8_t in[32])
{
    uint64_t raw[4];
    limbs_from_le(raw, in);
    return mont_from_raw(r->v, raw, &FP_MODULUS);
}

void fp_to_bytes_le(uint8_t out[32], const fp_t *a)
{
    uint64_t raw[4];
    mont_to_raw(raw, a->v, &FP_MODULUS);
    limbs_to_le(out, raw);
}

int fp_from_dec(fp_t *r, const char *s)
{
    uint64_t raw[4];
    if (mont_parse_dec(raw, s, &FP_MODULUS) != 0)
        return -1;
    return mont_from_raw(r->v, raw, &FP_MODULUS);
}

void fp_to_dec(char out[80], const fp_t *a)
{
    uint64_t raw[4];
    mont_to_raw(raw, a->v, &FP_MODULUS);
    limbs_to_dec(out, raw);
}
