/*
 * glv.c - scalar multiplication with the GLV endomorphism, G1's and (in sums
 * of products) G2's (contract in snark.h). BN254's G1 has phi(x, y) = (beta x, y) = lambda (x, y), beta a
 * cube root of unity in Fp and lambda one in Fr, so k P = k1 P + k2 phi(P)
 * with |k1|, |k2| < 2^127: the two halves share 127 doublings instead of
 * 254, each adding width-5 NAF digits from 8 odd multiples. The setup from a
 * ptau (one multiplication per full-size coefficient) and a phase-2
 * contribution (one per C and H point) spend most of their time here. A sum
 * of a few products (g1_mul_sum, g2_mul_sum: a wire's full-size terms in
 * that setup) shares one chain of doublings between all of them (Straus,
 * glv_straus.h). Many points
 * times one scalar (g1_mul_same: a contribution's 1/delta) follow the one
 * digit schedule in lockstep, a batch of points at a time, every doubling
 * and addition an affine one sharing an inversion with the batch.
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
#include "pipeline/snark/g1_ifma.h"

#include <stdlib.h>

#include <string.h>

typedef unsigned __int128 u128;
typedef __int128 i128;

#define U128(hi, lo) ((u128)(hi##ULL) << 64 | (lo##ULL))

/* beta in Montgomery form: phi(P) = lambda P for
 * lambda = 0xb3c4d79d41a917585bfc41088d8daaa78b17ea66b99c90dd. */
const fp_t GLV_BETA = {
    {0x71930c11d782e155ULL, 0xa6bb947cffbe3323ULL, 0xaa303344d4741444ULL, 0x2c3b3f0d26594943ULL}};
/* On G2 (the twist) the map with eigenvalue lambda is (beta^2 x, y) (the
 * other cube root of unity), checked in tests/snark_math/group_props.c. */
static const fp_t BETA2 = {
    {0x3350c88e13e80b9cULL, 0x7dce557cdb5e56b9ULL, 0x6001b4b8b615564aULL, 0x2682e617020217e0ULL}};
static const uint64_t A1 = 0x89d3256894d213e3ULL;
static const u128 A2 = U128(0x6f4d8248eeb859fd, 0x0be4e1541221250b);
static const u128 NB1 = U128(0x6f4d8248eeb859fc, 0x8211bbeb7d4f1128);
/* floor(2^256 A1 / r) and floor(2^256 NB1 / r), little-endian limbs. */
static const uint64_t G1C[2] = {0xd91d232ec7e0b3d7ULL, 0x2ULL};
static const uint64_t G2C[3] = {0x7a7bd9d4391eb18dULL, 0x4ccef014a773d2cfULL, 0x2ULL};

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

void glv_halves(const fr_t *k, unsigned __int128 *m1, int *neg1, unsigned __int128 *m2, int *neg2)
{
    uint64_t raw[4];
    i128 k1, k2;
    mont_to_raw(raw, k->v, &FR_MODULUS);
    glv_split(&k1, &k2, raw);
    *neg1 = k1 < 0;
    *neg2 = k2 < 0;
    *m1 = k1 < 0 ? -(u128)k1 : (u128)k1;
    *m2 = k2 < 0 ? -(u128)k2 : (u128)k2;
}

/* Returns the longer half's digit count. */
static int glv_digits_of(glv_digits *g, const fr_t *k)
{
    uint64_t raw[4];
    i128 k1, k2;
    mont_to_raw(raw, k->v, &FR_MODULUS);
    glv_split(&k1, &k2, raw);
    g->neg1 = k1 < 0;
    g->neg2 = k2 < 0;
    g->n1 = wnaf(g->d1, k1 < 0 ? -(u128)k1 : (u128)k1);
    g->n2 = wnaf(g->d2, k2 < 0 ? -(u128)k2 : (u128)k2);
    /* k may be a setup secret (alpha, beta, a contribution's 1/delta). */
    zkml_wipe(raw, sizeof raw);
    zkml_wipe(&k1, sizeof k1);
    zkml_wipe(&k2, sizeof k2);
    return g->n1 > g->n2 ? g->n1 : g->n2;
}

static void g1_endo(g1_jac *p)
{
    fp_mul(&p->x, &p->x, &GLV_BETA);
}

static void g2_endo(g2_jac *p)
{
    fp_mul(&p->x.c0, &p->x.c0, &BETA2);
    fp_mul(&p->x.c1, &p->x.c1, &BETA2);
}

#define GS(name) g1_##name
#define GS_JAC g1_jac
#define GS_SUM_MAX G1_SUM_MAX
#define GS_DOUBLE g1_double
#define GS_ADD g1_add
#define GS_NEG g1_neg
#define GS_ENDO g1_endo
#include "pipeline/snark/glv_straus.h"
#undef GS
#undef GS_JAC
#undef GS_SUM_MAX
#undef GS_DOUBLE
#undef GS_ADD
#undef GS_NEG
#undef GS_ENDO

#define GS(name) g2_##name
#define GS_JAC g2_jac
#define GS_SUM_MAX G2_SUM_MAX
#define GS_DOUBLE g2_double
#define GS_ADD g2_add
#define GS_NEG g2_neg
#define GS_ENDO g2_endo
#include "pipeline/snark/glv_straus.h"

void g1_mul(g1_jac *r, const g1_jac *a, const fr_t *k)
{
    g1_mul_sum(r, a, &k, 1);
}

/* ---- one scalar, many points ------------------------------------------------- */

/* Points in lockstep: each step's inversion (~300 products) shared by 2048
 * points; 512 took 5% more time (its inversions), 1024 2% more. The 16 table
 * rows (2.4 MB) are read a row at a time, in order. */
enum { SAME_BATCH = 2048 };

static void negate_all(g1_affine *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!p[i].infinity)
            fp_neg(&p[i].y, &p[i].y);
}

/* acc[i] += d row[i] for the table's rows of odd multiples (row j holds
 * (2j + 1) P for every point); acc - T is formed as -((-acc) + T). */
static void add_row(g1_affine *acc, const g1_affine *table, size_t m, int d, fp_t *scratch)
{
    if (!d)
        return;
    const g1_affine *row = table + (size_t)((d < 0 ? -d : d) >> 1) * m;
    if (d < 0)
        negate_all(acc, m);
    g1_batch_add_affine(acc, acc, row, m, scratch);
    if (d < 0)
        negate_all(acc, m);
}

/* The rows of odd multiples of m points: row j of t1 holds (2j + 1) P
 * signed as the first half of the scalar, t2 (the next WNAF_TABLE rows)
 * their images under phi signed as the second half. twice: m points. */
static void build_tables(g1_affine *t1, const g1_affine *p, size_t m, const glv_digits *g,
                         g1_affine *twice, fp_t *scratch)
{
    g1_affine *t2 = t1 + (size_t)WNAF_TABLE * m;
    memcpy(t1, p, m * sizeof *t1);
    if (g->neg1)
        negate_all(t1, m);
    memcpy(twice, t1, m * sizeof *twice);
    g1_batch_double_affine(twice, m, scratch);
    for (size_t j = 1; j < WNAF_TABLE; j++)
        g1_batch_add_affine(t1 + j * m, t1 + (j - 1) * m, twice, m, scratch);
    for (size_t i = 0; i < WNAF_TABLE * m; i++) {
        t2[i] = t1[i];
        if (!t1[i].infinity) {
            fp_mul(&t2[i].x, &t1[i].x, &GLV_BETA);
            if (g->neg1 != g->neg2)
                fp_neg(&t2[i].y, &t1[i].y);
        }
    }
}

static void set_all_infinity(g1_affine *p, size_t n)
{
    memset(p, 0, n * sizeof *p);
    for (size_t i = 0; i < n; i++)
        p[i].infinity = 1;
}

/* One batch of m points in lockstep (t1: the 2 * WNAF_TABLE rows of
 * build_tables), out the accumulators; out may be p. */
static void same_batch(g1_affine *out, const g1_affine *p, size_t m, const glv_digits *g, int len,
                       g1_affine *t1, fp_t *scratch)
{
    build_tables(t1, p, m, g, out, scratch);
    g1_affine *t2 = t1 + (size_t)WNAF_TABLE * m;
    set_all_infinity(out, m);
    for (int i = len - 1; i >= 0; i--) {
        if (i < len - 1)
            g1_batch_double_affine(out, m, scratch);
        add_row(out, t1, m, i < g->n1 ? g->d1[i] : 0, scratch);
        add_row(out, t2, m, i < g->n2 ? g->d2[i] : 0, scratch);
    }
}

/* The portable lockstep: batches of SAME_BATCH points through same_batch. */
static int mul_same_portable(g1_affine *out, const g1_affine *p, size_t n, const glv_digits *g,
                             int len, zkml_error *err)
{
    size_t b = n < SAME_BATCH ? n : SAME_BATCH;
    g1_affine *tables = malloc((b ? b : 1) * 2 * WNAF_TABLE * sizeof *tables);
    fp_t *scratch = malloc((b ? b : 1) * sizeof *scratch);
    int rc = !tables || !scratch
                 ? zkml_fail(err, ZKML_ENOMEM, "out of memory multiplying %zu points", n)
                 : 0;
    for (size_t at = 0; !rc && at < n; at += b)
        same_batch(out + at, p + at, n - at < b ? n - at : b, g, len, tables, scratch);
    /* the tables' signs are the secret's halves' signs and the running
     * products those of its partial multiples */
    if (tables)
        zkml_wipe(tables, b * 2 * WNAF_TABLE * sizeof *tables);
    if (scratch)
        zkml_wipe(scratch, b * sizeof *scratch);
    free(tables);
    free(scratch);
    return rc;
}

int g1_mul_same(g1_affine *out, const g1_affine *p, size_t n, const fr_t *k, zkml_error *err)
{
    glv_digits g;
    int len = glv_digits_of(&g, k), rc = 1;
    if (fp_ifma_usable())
        rc = glv_ifma_mul_same(out, p, n, &g, len);
    if (rc < 0)
        rc = zkml_fail(err, ZKML_ENOMEM, "out of memory multiplying %zu points", n);
    else if (rc > 0) /* no IFMA, or a step the vectors leave to the portable path */
        rc = mul_same_portable(out, p, n, &g, len, err);
    zkml_wipe(&g, sizeof g); /* the digits are the secret's */
    zkml_wipe_stack();       /* glv_digits_of's copies of k, the vectors' spills */
    return rc;
}
