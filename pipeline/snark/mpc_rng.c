/*
 * mpc_rng.c - ffjavascript's ChaCha20 generator and the field elements and
 * curve points snarkjs draws from it (contracts in zkey.h). A beacon's
 * secret and every contribution's g2_sp come from this generator, so a
 * verifier must draw exactly what snarkjs draws: the same words in the
 * same order, the same rejection loops, the same choice of square root.
 *
 * Facts followed (ffjavascript): a field element is four 64-bit draws (high
 * word first), limb i = draw i, masked to the modulus' 254 bits, retried
 * while >= the modulus; the result is taken as the element's Montgomery
 * form as it stands. A point: x from the field, one bit ("greatest"),
 * retried until x^3 + b is a square; y is the root whose "negativity"
 * (normal form > (p-1)/2; in Fp2 that of c1, or of c0 when c1 = 0) equals
 * the bit. G2 points are then multiplied by G2's cofactor.
 */
#include "pipeline/snark/curve.h"
#include "pipeline/snark/field.h"
#include "pipeline/snark/zkey.h"

#include <string.h>

#define ROTL(v, n) ((uint32_t)((v) << (n)) | ((v) >> (32 - (n))))
#define QR(s, a, b, c, d)      \
    do {                       \
        s[a] += s[b];          \
        s[d] ^= s[a];          \
        s[d] = ROTL(s[d], 16); \
        s[c] += s[d];          \
        s[b] ^= s[c];          \
        s[b] = ROTL(s[b], 12); \
        s[a] += s[b];          \
        s[d] ^= s[a];          \
        s[d] = ROTL(s[d], 8);  \
        s[c] += s[d];          \
        s[b] ^= s[c];          \
        s[b] = ROTL(s[b], 7);  \
    } while (0)

void chacha_init(chacha *c, const uint8_t seed[32])
{
    static const uint32_t sigma[4] = {0x61707865, 0x3320646E, 0x79622D32, 0x6B206574};
    memset(c, 0, sizeof *c);
    memcpy(c->state, sigma, sizeof sigma);
    for (int i = 0; i < 8; i++)
        c->state[4 + i] = (uint32_t)seed[4 * i] << 24 | (uint32_t)seed[4 * i + 1] << 16 |
                          (uint32_t)seed[4 * i + 2] << 8 | seed[4 * i + 3];
    c->idx = 16;
}

static void chacha_block(chacha *c)
{
    uint32_t *s = c->out;
    memcpy(s, c->state, sizeof c->out);
    for (int i = 0; i < 10; i++) {
        QR(s, 0, 4, 8, 12);
        QR(s, 1, 5, 9, 13);
        QR(s, 2, 6, 10, 14);
        QR(s, 3, 7, 11, 15);
        QR(s, 0, 5, 10, 15);
        QR(s, 1, 6, 11, 12);
        QR(s, 2, 7, 8, 13);
        QR(s, 3, 4, 9, 14);
    }
    for (int i = 0; i < 16; i++)
        s[i] += c->state[i];
    c->idx = 0;
    for (int i = 12; i < 16 && ++c->state[i] == 0; i++)
        ; /* the 128-bit counter carries */
}

static uint32_t next_u32(chacha *c)
{
    if (c->idx == 16)
        chacha_block(c);
    return c->out[c->idx++];
}

static uint64_t next_u64(chacha *c)
{
    uint64_t hi = next_u32(c);
    return hi << 32 | next_u32(c);
}

static void draw_limbs(chacha *c, uint64_t v[4], const mont_modulus *q)
{
    do {
        for (int i = 0; i < 4; i++)
            v[i] = next_u64(c);
        v[3] &= (1ULL << 62) - 1; /* both moduli have 254 bits */
    } while (limbs_geq(v, q->m));
}

void chacha_fr(chacha *c, fr_t *out)
{
    draw_limbs(c, out->v, &FR_MODULUS);
}

static int fp_negative(const fp_t *a)
{
    static const uint64_t half[4] = {0x9e10460b6c3e7ea3ULL, 0xcbc0b548b438e546ULL,
                                     0xdc2822db40c0ac2eULL, 0x183227397098d014ULL};
    uint64_t raw[4];
    mont_to_raw(raw, a->v, &FP_MODULUS);
    return !limbs_geq(half, raw); /* raw > (p-1)/2 */
}

void chacha_g1(chacha *c, g1_affine *out)
{
    fp_t y2;
    int greatest;
    do {
        draw_limbs(c, out->x.v, &FP_MODULUS);
        greatest = (int)(next_u32(c) & 1);
        fp_sqr(&y2, &out->x);
        fp_mul(&y2, &y2, &out->x);
        fp_add(&y2, &y2, &G1_B);
    } while (!fp_sqrt(&out->y, &y2));
    if (greatest != fp_negative(&out->y))
        fp_neg(&out->y, &out->y);
    out->infinity = 0;
}

/* A square root in Fp2 (u^2 = -1) through the norm; 0 if a is not a square. */
static int fp2_sqrt(fp2_t *r, const fp2_t *a)
{
    fp_t n, t, half, x0;
    if (fp_is_zero(&a->c1)) {
        if (fp_sqrt(&r->c0, &a->c0)) {
            fp_zero(&r->c1);
            return 1;
        }
        fp_neg(&t, &a->c0);
        fp_zero(&r->c0);
        return fp_sqrt(&r->c1, &t);
    }
    fp_sqr(&n, &a->c0);
    fp_sqr(&t, &a->c1);
    fp_add(&n, &n, &t);
    if (!fp_sqrt(&n, &n))
        return 0;
    fp_from_u64(&half, 2);
    fp_inv(&half, &half);
    fp_add(&t, &a->c0, &n);
    fp_mul(&t, &t, &half);
    if (!fp_sqrt(&x0, &t)) {
        fp_sub(&t, &a->c0, &n);
        fp_mul(&t, &t, &half);
        if (!fp_sqrt(&x0, &t))
            return 0;
    }
    r->c0 = x0;
    fp_dbl(&t, &x0);
    fp_inv(&t, &t);
    fp_mul(&r->c1, &a->c1, &t);
    return 1;
}

static void chacha_g2(chacha *c, g2_affine *out)
{
    fp2_t y2, y;
    int greatest;
    do {
        draw_limbs(c, out->x.c0.v, &FP_MODULUS);
        draw_limbs(c, out->x.c1.v, &FP_MODULUS);
        greatest = (int)(next_u32(c) & 1);
        fp2_sqr(&y2, &out->x);
        fp2_mul(&y2, &y2, &out->x);
        fp2_add(&y2, &y2, &TWIST_B);
    } while (!fp2_sqrt(&y, &y2));
    int negative = fp_is_zero(&y.c1) ? fp_negative(&y.c0) : fp_negative(&y.c1);
    if (greatest != negative)
        fp2_neg(&y, &y);
    out->y = y;
    out->infinity = 0;
    g2_jac j;
    g2_to_jac(&j, out);
    g2_clear_cofactor(&j, &j);
    g2_to_affine(out, &j);
}

void zkey_hash_to_g2(const uint8_t transcript[64], g2_affine *out)
{
    chacha c;
    chacha_init(&c, transcript);
    chacha_g2(&c, out);
}
