/*
 * glv.c - G1 scalar multiplication with the GLV endomorphism (contract in
 * snark.h). BN254's G1 has phi(x, y) = (beta x, y) = lambda (x, y), beta a
 * cube root of unity in Fp and lambda one in Fr, so k P = k1 P + k2 phi(P)
 * with |k1|, |k2| < 2^127: the two halves share 127 doublings instead of
 * 254, each adding width-5 NAF digits from 8 odd multiples. The setup from a
 * ptau (one multiplication per full-size coefficient) and a phase-2
 * contribution (one per C and H point) spend most of their time here. A sum
 * of a few products (g1_mul_sum: a wire's full-size terms in that setup)
 * shares one chain of doublings between all of them (Straus).
 *
 * The split: v1 = (A1, -NB1) and v2 = (A2, A1) are a short basis of the
 * lattice {(x, y) : x + y lambda = 0 mod r} (the extended Euclidean
 * algorithm on r and lambda stopped at sqrt(r); A1 v2's second entry equals
 * v1's first), with determinant r. With c1 = round(k A1 / r) and
 * c2 = round(k NB1 / r) from the fixed-point constants below,
 * (k1, k2) = (k, 0) - c1 v1 - c2 v2 is within 0.75 (|v1| + |v2|) < 2^127
 * of the origin (the fixed point adds under 1/4 to each rounding error), so
 * both fit a signed 128-bit integer and are computed modulo 2^128.
 * Constants derived with Python big integers; tests/snark_math/group_props.c
 * checks the result against the plain 4-bit-window ladder.
 */
#include "pipeline/snark/field.h"

#include <string.h>

typedef unsigned __int128 u128;
typedef __int128 i128;

#define U128(hi, lo) ((u128)(hi##ULL) << 64 | (lo##ULL))

/* beta in Montgomery form: phi(P) = lambda P for
 * lambda = 0xb3c4d79d41a917585bfc41088d8daaa78b17ea66b99c90dd. */
static const fp_t BETA = {
    {0x71930c11d782e155ULL, 0xa6bb947cffbe3323ULL, 0xaa303344d4741444ULL, 0x2c3b3f0d26594943ULL}};
static const uint64_t A1 = 0x89d3256894d213e3ULL;
static const u128 A2 = U128(0x6f4d8248eeb859fd, 0x0be4e1541221250b);
static const u128 NB1 = U128(0x6f4d8248eeb859fc, 0x8211bbeb7d4f1128);
/* floor(2^256 A1 / r) and floor(2^256 NB1 / r), little-endian limbs. */
static const uint64_t G1C[2] = {0xd91d232ec7e0b3d7ULL, 0x2ULL};
static const uint64_t G2C[3] = {0x7a7bd9d4391eb18dULL, 0x4ccef014a773d2cfULL, 0x2ULL};

enum { WNAF_W = 5, WNAF_TABLE = 1 << (WNAF_W - 2), WNAF_MAX = 130 };

/* (k g + 2^255) >> 256 for a 256-bit k and an n-limb g (n <= 3): below 2^128. */
static u128 mul_round_shift(const uint64_t k[4], const uint64_t *g, int n)
{
    uint64_t t[7] = {0};
    for (int i = 0; i < 4; i++) {
        u128 carry = 0;
        for (int j = 0; j < n; j++) {
            carry += (u128)k[i] * g[j] + t[i + j];
            t[i + j] = (uint64_t)carry;
            carry >>= 64;
        }
        t[i + n] = (uint64_t)carry;
    }
    u128 c = (u128)t[3] + (1ULL << 63);
    for (int i = 4; i < 7; i++) {
        c = (c >> 64) + t[i];
        t[i] = (uint64_t)c;
    }
    return (u128)t[5] << 64 | t[4];
}

/* k = k1 + k2 lambda mod r for a normal-form k < r. */
static void glv_split(i128 *k1, i128 *k2, const uint64_t k[4])
{
    u128 c1 = mul_round_shift(k, G1C, 2), c2 = mul_round_shift(k, G2C, 3);
    u128 low = (u128)k[1] << 64 | k[0];
    *k1 = (i128)(low - c1 * A1 - c2 * A2);
    *k2 = (i128)(c1 * NB1 - c2 * A1);
}

/* Width-5 NAF of m < 2^127, least significant digit first: digits 0 or odd
 * in [-15, 15], no two nonzero within 5 places. Returns the digit count. */
static int wnaf(int8_t d[WNAF_MAX], u128 m)
{
    int n = 0;
    while (m) {
        int v = 0;
        if (m & 1) {
            v = (int)(m & ((1u << WNAF_W) - 1));
            if (v > 1 << (WNAF_W - 1))
                v -= 1 << WNAF_W;
            m = v > 0 ? m - (u128)v : m + (u128)-v;
        }
        d[n++] = (int8_t)v;
        m >>= 1;
    }
    return n;
}

static void add_digit(g1_jac *acc, const g1_jac table[WNAF_TABLE], int d)
{
    if (d > 0)
        g1_add(acc, acc, &table[d >> 1]);
    else if (d < 0) {
        g1_jac n;
        g1_neg(&n, &table[-d >> 1]);
        g1_add(acc, acc, &n);
    }
}

/* t1: the odd multiples P, 3P, .., 15P of p (negated if neg1); t2 their images
 * under phi, negated when k2's sign differs from k1's. */
static void tables(g1_jac t1[WNAF_TABLE], g1_jac t2[WNAF_TABLE], const g1_jac *p, int neg1,
                   int neg2)
{
    g1_jac twice;
    t1[0] = *p;
    if (neg1)
        g1_neg(&t1[0], p);
    g1_double(&twice, &t1[0]);
    for (int i = 1; i < WNAF_TABLE; i++)
        g1_add(&t1[i], &t1[i - 1], &twice);
    for (int i = 0; i < WNAF_TABLE; i++) {
        t2[i] = t1[i];
        fp_mul(&t2[i].x, &t1[i].x, &BETA);
        if (neg1 != neg2)
            fp_neg(&t2[i].y, &t1[i].y);
    }
}

/* One product's share of a sum: its digits and tables. */
typedef struct glv_term {
    int8_t d1[WNAF_MAX], d2[WNAF_MAX];
    int n1, n2;
    g1_jac t1[WNAF_TABLE], t2[WNAF_TABLE];
} glv_term;

/* Returns the term's digit count. */
static int glv_term_init(glv_term *t, const g1_jac *p, const fr_t *k)
{
    uint64_t raw[4];
    i128 k1, k2;
    mont_to_raw(raw, k->v, &FR_MODULUS);
    glv_split(&k1, &k2, raw);
    t->n1 = wnaf(t->d1, k1 < 0 ? -(u128)k1 : (u128)k1);
    t->n2 = wnaf(t->d2, k2 < 0 ? -(u128)k2 : (u128)k2);
    tables(t->t1, t->t2, p, k1 < 0, k2 < 0);
    /* k may be a setup secret (alpha, beta, a contribution's 1/delta). */
    zkml_wipe(raw, sizeof raw);
    zkml_wipe(&k1, sizeof k1);
    zkml_wipe(&k2, sizeof k2);
    return t->n1 > t->n2 ? t->n1 : t->n2;
}

void g1_mul_sum(g1_jac *r, const g1_jac *p, const fr_t *const *k, size_t n)
{
    glv_term t[G1_SUM_MAX];
    g1_jac acc;
    int len = 0;
    ZKML_VERIFY(n <= G1_SUM_MAX);
    for (size_t j = 0; j < n; j++) {
        int l = glv_term_init(&t[j], &p[j], k[j]);
        len = l > len ? l : len;
    }
    memset(&acc, 0, sizeof acc); /* Z = 0: infinity */
    for (int i = len - 1; i >= 0; i--) {
        g1_double(&acc, &acc);
        for (size_t j = 0; j < n; j++) {
            add_digit(&acc, t[j].t1, i < t[j].n1 ? t[j].d1[i] : 0);
            add_digit(&acc, t[j].t2, i < t[j].n2 ? t[j].d2[i] : 0);
        }
    }
    *r = acc;
    zkml_wipe(t, n * sizeof t[0]); /* the digits are the secret's */
}

void g1_mul(g1_jac *r, const g1_jac *a, const fr_t *k)
{
    g1_mul_sum(r, a, &k, 1);
}
