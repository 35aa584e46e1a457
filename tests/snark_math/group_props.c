/*
 * group_props.c - algebraic properties of G1, G2 and the pairing, which an
 * error in any formula breaks: associativity, doubling = adding to itself,
 * P + (-P) = infinity, r * P = infinity, scalar multiplication distributing
 * over Fr addition, batch affine conversion and addition, G2 subgroup refusal of a twist
 * point outside the subgroup, bilinearity e(aP, bQ) = e(P, Q)^(ab),
 * non-degeneracy, multi-pairing products (including more pairs than one
 * Miller-loop pass), and the final exponentiation against plain
 * exponentiation by (p^12 - 1) / r.
 */
#include "tests/snark_math/test_support.h"

#include "pipeline/snark/g1_ifma.h"
#include "pipeline/snark/group_ops.h"
#include "pipeline/snark/g2_ifma.h"

#include <stdio.h>
#include <string.h>

#include "tests/check.h"
#include "tests/test_util.h"

/* (p^12 - 1) / r, little-endian limbs (from Python big integers). */
static const uint64_t FINAL_EXPONENT[44] = {
    0x86964b64ca86f120ULL, 0x40a4efb7e54523a4ULL, 0x837fa97896e84abbULL, 0x361102b6b9b2b918ULL,
    0xc0de81def35692daULL, 0xbe04c7e8a6c3c760ULL, 0xd766f9c9d570bb7fULL, 0xc230974d83561841ULL,
    0x5bba1668c3be69a3ULL, 0x7f3811c410526294ULL, 0x29baee7ddadda71cULL, 0xbf813b8d145da900ULL,
    0x641bbadf423f9a2cULL, 0xa80bb4ea44eacc5eULL, 0xcd65664814fde37cULL, 0x4a0364b9580291d2ULL,
    0xee93dfb10826f0ddULL, 0x6b42db8dc5514724ULL, 0xbb10cf430b0f3785ULL, 0x40494e406f804216ULL,
    0x55cfe107acf3aafbULL, 0x2088ec80e0ebae87ULL, 0x846a3ed011a337a0ULL, 0x48a45a4a1e3a5195ULL,
    0xe5664568dfc50e16ULL, 0xab6a41294c0cc4ebULL, 0x82d0d602d268c7daULL, 0x6668449aed3cc48aULL,
    0x5062cd0fb2015dfcULL, 0x7f2940a8b1ddb3d1ULL, 0x77f5b63a2a226448ULL, 0xfef0781361e443aeULL,
    0xf977870e88d5c6c8ULL, 0x790364a61f676baaULL, 0x5887e72eceaddea3ULL, 0x1377e563a09a1b70ULL,
    0x0c54efee1bd8c3b2ULL, 0x3ec3d15ad524d8f7ULL, 0xdaf15466b2383a5dULL, 0xe1e30a73bb94fec0ULL,
    0x6a1c71015f3f7be2ULL, 0x842d43bf6369b1ffULL, 0x20fddadf107d20bcULL, 0x0000002f4b6dc970ULL,
};

static void g1_random(g1_jac *r, fr_t *k)
{
    g1_affine g;
    g1_jac gj;
    random_fr(k);
    g1_generator(&g);
    g1_to_jac(&gj, &g);
    g1_mul(r, &gj, k);
}

static void g2_random(g2_jac *r, fr_t *k)
{
    g2_affine g;
    g2_jac gj;
    random_fr(k);
    g2_generator(&g);
    g2_to_jac(&gj, &g);
    g2_mul(r, &gj, k);
}

static void fr_raw(uint64_t out[4], const fr_t *a)
{
    uint8_t b[32];
    fr_to_bytes_le(b, a);
    for (int i = 0; i < 4; i++) {
        out[i] = 0;
        for (int j = 7; j >= 0; j--)
            out[i] = (out[i] << 8) | b[8 * i + j];
    }
}

static void test_g1(void)
{
    for (int round = 0; round < 20; round++) {
        g1_jac p, q, s, t1, t2, inf = {0};
        g1_affine pa, sa, aff[3];
        fr_t a, b, c, sum;
        g1_random(&p, &a);
        g1_random(&q, &b);
        g1_random(&s, &c);

        g1_add(&t1, &p, &q);
        g1_add(&t1, &t1, &s);
        g1_add(&t2, &q, &s);
        g1_add(&t2, &p, &t2);
        CHECK(g1_eq(&t1, &t2), "G1 associativity");
        g1_to_affine(&sa, &t1);
        CHECK(g1_is_on_curve(&sa), "G1 sum on curve");

        g1_double(&t1, &p);
        g1_add(&t2, &p, &p);
        CHECK(g1_eq(&t1, &t2), "G1 double == add to itself");
        g1_to_affine(&pa, &p);
        g1_add_affine(&t2, &p, &pa);
        CHECK(g1_eq(&t1, &t2), "G1 mixed add of P to itself doubles");

        g1_neg(&t1, &p);
        g1_add(&t2, &p, &t1);
        CHECK(fp_is_zero(&t2.z), "G1 P + (-P) = infinity");
        g1_add_affine(&t2, &t1, &pa);
        CHECK(fp_is_zero(&t2.z), "G1 mixed -P + P = infinity");
        g1_add(&t2, &t2, &q);
        CHECK(g1_eq(&t2, &q), "G1 infinity + Q = Q");
        fp_zero(&inf.z);
        g1_double(&t1, &inf);
        CHECK(fp_is_zero(&t1.z), "G1 2 * infinity = infinity");
        inf = t1;

        /* (a + b) G = aG + bG; aG via the EVM big-endian scalar path agrees. */
        fr_add(&sum, &a, &b);
        g1_affine g;
        g1_jac gj;
        g1_generator(&g);
        g1_to_jac(&gj, &g);
        g1_mul(&t1, &gj, &sum);
        g1_add(&t2, &p, &q);
        CHECK(g1_eq(&t1, &t2), "G1 (a+b)G = aG + bG");
        uint8_t le[32], be[32];
        fr_to_bytes_le(le, &a);
        for (int i = 0; i < 32; i++)
            be[i] = le[31 - i];
        g1_mul_be(&t1, &gj, be);
        CHECK(g1_eq(&t1, &p), "G1 g1_mul_be agrees with g1_mul");

        g1_jac batch[3] = {p, inf, s};
        fp_zero(&batch[1].z);
        CHECK(g1_batch_to_affine(aff, batch, 3) == 0, "G1 batch alloc");
        g1_to_affine(&sa, &s);
        CHECK(fp_eq(&aff[0].x, &pa.x) && fp_eq(&aff[0].y, &pa.y) && !aff[0].infinity,
              "G1 batch affine [0]");
        CHECK(aff[1].infinity, "G1 batch affine keeps infinity");
        CHECK(fp_eq(&aff[2].x, &sa.x) && fp_eq(&aff[2].y, &sa.y), "G1 batch affine [2]");
    }
    /* r G = infinity, (r - 1) G = -G. */
    static const uint8_t r_be[32] = {
        0x30, 0x64, 0x4e, 0x72, 0xe1, 0x31, 0xa0, 0x29, 0xb8, 0x50, 0x45,
        0xb6, 0x81, 0x81, 0x58, 0x5d, 0x28, 0x33, 0xe8, 0x48, 0x79, 0xb9,
        0x70, 0x91, 0x43, 0xe1, 0xf5, 0x93, 0xf0, 0x00, 0x00, 0x01,
    };
    g1_affine g;
    g1_jac gj, t, ng;
    g1_generator(&g);
    g1_to_jac(&gj, &g);
    g1_mul_be(&t, &gj, r_be);
    CHECK(fp_is_zero(&t.z), "G1 r * G = infinity");
    uint8_t rm1[32];
    memcpy(rm1, r_be, 32);
    rm1[31] = 0;
    g1_mul_be(&t, &gj, rm1);
    g1_neg(&ng, &gj);
    CHECK(g1_eq(&t, &ng), "G1 (r-1) G = -G");
    fr_t zero;
    fr_zero(&zero);
    g1_mul(&t, &gj, &zero);
    CHECK(fp_is_zero(&t.z), "G1 0 * G = infinity");
}

/* Scalars at the GLV split's edges: lambda and its neighbours, the lattice
 * basis entries, powers of two around the halves' width, r - 1. */
static const char *const GLV_EDGE[][2] = {
    {"r-1", "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000000"},
    {"r-2", "30644e72e131a029b85045b68181585d2833e84879b9709143e1f593efffffff"},
    {"lambda", "0000000000000000b3c4d79d41a917585bfc41088d8daaa78b17ea66b99c90dd"},
    {"lambda+1", "0000000000000000b3c4d79d41a917585bfc41088d8daaa78b17ea66b99c90de"},
    {"lambda-1", "0000000000000000b3c4d79d41a917585bfc41088d8daaa78b17ea66b99c90dc"},
    {"lambda^2", "30644e72e131a029048b6e193fd84104cc37a73fec2bc5e9b8ca0b2d36636f23"},
    {"A1", "00000000000000000000000000000000000000000000000089d3256894d213e3"},
    {"A2", "000000000000000000000000000000006f4d8248eeb859fd0be4e1541221250b"},
    {"NB1", "000000000000000000000000000000006f4d8248eeb859fc8211bbeb7d4f1128"},
    {"A2+NB1", "00000000000000000000000000000000de9b0491dd70b3f98df69d3f8f703633"},
    {"2^127-1", "000000000000000000000000000000007fffffffffffffffffffffffffffffff"},
    {"2^127", "0000000000000000000000000000000080000000000000000000000000000000"},
    {"2^128-1", "00000000000000000000000000000000ffffffffffffffffffffffffffffffff"},
    {"2^128", "0000000000000000000000000000000100000000000000000000000000000000"},
    {"2^253", "2000000000000000000000000000000000000000000000000000000000000000"},
    {"(r-1)/2", "183227397098d014dc2822db40c0ac2e9419f4243cdcb848a1f0fac9f8000000"},
    {"(r+1)/2", "183227397098d014dc2822db40c0ac2e9419f4243cdcb848a1f0fac9f8000001"},
    {"A2*lambda", "30644e72e131a029b85045b68181585cb8e665ff8b011694c1d039a872b0eed9"},
    {"r-A2", "30644e72e131a029b85045b68181585cb8e665ff8b01169437fd143fdddedaf6"},
};
enum { N_EDGE = sizeof GLV_EDGE / sizeof GLV_EDGE[0] };

/* g1_mul (GLV: the scalar split in two halves of 127 bits, glv.c) against
 * g1_mul_be, the plain 4-bit-window ladder over the raw 256 bits: every scalar
 * below 300, scalars at the split's edges (lambda and its neighbours, the
 * lattice basis entries, powers of two around the halves' width, r - 1) and
 * random ones, on the generator, random points and infinity. */
static void test_g1_glv(void)
{
    enum { N_SMALL = 300, N_RANDOM = 300 };
    g1_jac pts[3], got, want;
    g1_affine g;
    fr_t k;
    g1_generator(&g);
    g1_to_jac(&pts[0], &g);
    g1_random(&pts[1], &k);
    memset(&pts[2], 0, sizeof pts[2]); /* infinity */
    for (int i = 0; i < N_SMALL + N_EDGE + N_RANDOM; i++) {
        uint8_t be[32], le[32];
        char name[32];
        if (i < N_SMALL) {
            fr_from_u64(&k, (uint64_t)i);
            snprintf(name, sizeof name, "%d", i);
        } else if (i < N_SMALL + N_EDGE) {
            for (int b = 0; b < 32; b++)
                sscanf(GLV_EDGE[i - N_SMALL][1] + 2 * b, "%2hhx", &le[31 - b]);
            CHECK(fr_from_bytes_le(&k, le) == 0, "G1 GLV scalar %s below r",
                  GLV_EDGE[i - N_SMALL][0]);
            snprintf(name, sizeof name, "%s", GLV_EDGE[i - N_SMALL][0]);
        } else {
            random_fr(&k);
            g1_random(&pts[1], &k);
            random_fr(&k);
            snprintf(name, sizeof name, "random %d", i - N_SMALL - N_EDGE);
        }
        fr_to_bytes_le(le, &k);
        for (int b = 0; b < 32; b++)
            be[b] = le[31 - b];
        for (int p = 0; p < 3; p++) {
            g1_mul(&got, &pts[p], &k);
            g1_mul_be(&want, &pts[p], be);
            CHECK(g1_eq(&got, &want), "G1 GLV k P = ladder k P (k %s, point %d)", name, p);
        }
    }
    /* The endomorphism itself: (beta x, y) = lambda P, beta the constant of glv.c. */
    static const fp_t beta = {{0x71930c11d782e155ULL, 0xa6bb947cffbe3323ULL, 0xaa303344d4741444ULL,
                               0x2c3b3f0d26594943ULL}};
    uint8_t lam[32];
    for (int b = 0; b < 32; b++)
        sscanf(GLV_EDGE[2][1] + 2 * b, "%2hhx", &lam[b]);
    g1_mul_be(&want, &pts[1], lam);
    got = pts[1];
    fp_mul(&got.x, &got.x, &beta);
    CHECK(g1_eq(&got, &want), "G1 phi(P) = (beta x, y) = lambda P");
}

/* g1_mul_sum (one doubling chain for up to G1_SUM_MAX products) against the
 * sum of the ladder's products, for every n: random points and scalars, with
 * repeated and opposite points (k P + k (-P) cancels), infinity, and the
 * scalars 0, 1 and r - 1 mixed in. */
static void test_g1_mul_sum(void)
{
    for (int round = 0; round < 40; round++) {
        size_t n = 1 + (size_t)round % G1_SUM_MAX;
        g1_jac p[G1_SUM_MAX], want, t;
        fr_t k[G1_SUM_MAX];
        const fr_t *kp[G1_SUM_MAX];
        memset(&want, 0, sizeof want);
        for (size_t i = 0; i < n; i++) {
            fr_t unused;
            g1_random(&p[i], &unused);
            random_fr(&k[i]);
            switch ((round + (int)i) % 7) { /* 0 and 3: as drawn */
            case 1: fr_zero(&k[i]); break;
            case 2: fr_one(&k[i]); break;
            case 4: memset(&p[i], 0, sizeof p[i]); break; /* infinity */
            case 5:
                if (i > 0) {
                    g1_neg(&p[i], &p[i - 1]); /* k (-P) beside k P */
                    k[i] = k[i - 1];
                }
                break;
            case 6:
                if (i > 0)
                    p[i] = p[i - 1]; /* the same point twice */
                fr_from_u64(&unused, 1);
                fr_neg(&k[i], &unused); /* r - 1 */
                break;
            default: break;
            }
            uint8_t le[32], be[32];
            fr_to_bytes_le(le, &k[i]);
            for (int b = 0; b < 32; b++)
                be[b] = le[31 - b];
            g1_mul_be(&t, &p[i], be);
            g1_add(&want, &want, &t);
            kp[i] = &k[i];
        }
        g1_mul_sum(&t, p, kp, n);
        CHECK(g1_eq(&t, &want), "G1 mul_sum of %zu products = sum of ladder products (round %d)", n,
              round);
    }
}

/* g2_mul_sum's GLV split on G2: the scalars at the split's edges, one product
 * each, against the plain ladder (g2_mul), and the endomorphism itself:
 * (beta^2 x, y) = lambda P on the twist, beta the constant of glv.c. */
static void test_g2_glv_edges(void)
{
    g2_jac p, got, want;
    fr_t k, unused;
    const fr_t *kp = &k;
    g2_random(&p, &unused);
    for (int i = 0; i < N_EDGE; i++) {
        uint8_t le[32];
        for (int b = 0; b < 32; b++)
            sscanf(GLV_EDGE[i][1] + 2 * b, "%2hhx", &le[31 - b]);
        CHECK(fr_from_bytes_le(&k, le) == 0, "G2 GLV scalar %s below r", GLV_EDGE[i][0]);
        g2_mul_sum(&got, &p, &kp, 1);
        g2_mul(&want, &p, &k);
        CHECK(g2_eq(&got, &want), "G2 GLV k P = ladder k P (k %s)", GLV_EDGE[i][0]);
        if (strcmp(GLV_EDGE[i][0], "lambda"))
            continue;
        static const fp_t beta = {{0x71930c11d782e155ULL, 0xa6bb947cffbe3323ULL,
                                   0xaa303344d4741444ULL, 0x2c3b3f0d26594943ULL}};
        got = p;
        fp_mul(&got.x.c0, &got.x.c0, &beta);
        fp_mul(&got.x.c0, &got.x.c0, &beta);
        fp_mul(&got.x.c1, &got.x.c1, &beta);
        fp_mul(&got.x.c1, &got.x.c1, &beta);
        CHECK(g2_eq(&got, &want), "G2 phi(P) = (beta^2 x, y) = lambda P");
    }
}

/* g2_mul_sum against the sum of g2_mul products, one per term: every count
 * 1..G2_SUM_MAX, scalars 0, 1, r - 1 and random, a point at infinity, a point
 * beside its negation and the same point twice. */
static void test_g2_mul_sum(void)
{
    fr_t minus_one;
    fr_one(&minus_one);
    fr_neg(&minus_one, &minus_one);
    for (int round = 0; round < 24; round++) {
        size_t n = 1 + (size_t)round % G2_SUM_MAX;
        g2_jac p[G2_SUM_MAX], want, t;
        fr_t k[G2_SUM_MAX], unused;
        const fr_t *kp[G2_SUM_MAX];
        memset(&want, 0, sizeof want); /* z = 0: infinity */
        for (size_t i = 0; i < n; i++) {
            g2_random(&p[i], &unused);
            random_fr(&k[i]);
            int kase = (round + (int)i) % 6;
            if (kase == 1)
                fr_zero(&k[i]);
            else if (kase == 2)
                fr_one(&k[i]);
            else if (kase == 3)
                k[i] = minus_one;
            else if (kase == 4)
                memset(&p[i], 0, sizeof p[i]);
            else if (kase == 5 && i > 0)
                g2_neg(&p[i], &p[i - 1]);
            if (round % 5 == 4 && i > 0)
                p[i] = p[0];
            g2_mul(&t, &p[i], &k[i]);
            g2_add(&want, &want, &t);
            kp[i] = &k[i];
        }
        g2_mul_sum(&t, p, kp, n);
        CHECK(g2_eq(&t, &want), "G2 mul_sum of %zu products = sum of g2_mul (round %d)", n, round);
    }
    test_g2_glv_edges();
}

/* k P by the plain ladder (g1_mul_be), the reference for the GLV routines. */
static void ladder_affine(g1_affine *r, const g1_affine *p, const fr_t *k)
{
    uint8_t le[32], be[32];
    g1_jac j;
    fr_to_bytes_le(le, k);
    for (int b = 0; b < 32; b++)
        be[b] = le[31 - b];
    g1_to_jac(&j, p);
    g1_mul_be(&j, &j, be);
    g1_to_affine(r, &j);
}

static int g1_affine_same(const g1_affine *a, const g1_affine *b)
{
    if (a->infinity || b->infinity)
        return a->infinity == b->infinity;
    return fp_eq(&a->x, &b->x) && fp_eq(&a->y, &b->y);
}

/* g1_batch_double_affine against g1_double: random points, the generator and
 * infinity in one batch. */
static void test_g1_batch_double(void)
{
    enum { N = 30 };
    g1_affine p[N], want[N];
    fp_t scratch[N];
    for (int i = 0; i < N; i++) {
        g1_jac j;
        fr_t unused;
        g1_random(&j, &unused);
        if (i % 5 == 1)
            memset(&j, 0, sizeof j); /* infinity */
        if (i % 5 == 2) {
            g1_generator(&p[i]);
            g1_to_jac(&j, &p[i]);
        }
        g1_to_affine(&p[i], &j);
        g1_double(&j, &j);
        g1_to_affine(&want[i], &j);
    }
    g1_batch_double_affine(p, N, scratch);
    for (int i = 0; i < N; i++)
        CHECK(g1_affine_same(&p[i], &want[i]), "G1 batch affine doubling [%d]", i);
}

/* g1_mul_same (one scalar, the points in lockstep batches of affine doublings
 * and additions) against the ladder on each point: 4500 points (two full
 * batches of 2048 and a partial one) mixing the generator, infinity, random,
 * repeated and opposite points, for the scalars 0, 1, r - 1 and a random one,
 * and on 100 of them for 2, GLV's other edge scalars and more random ones;
 * into another array and in place; n = 0 writes nothing. */
static void mul_same_checks(void)
{
    enum { N = 4500, N_SHORT = 100, N_RANDOM = 3 };
    static g1_affine pts[N], got[N], inplace[N];
    g1_affine want;
    for (int i = 0; i < N; i++) {
        g1_jac j;
        fr_t unused;
        switch (i % 6) {
        case 0: g1_generator(&pts[i]); break;
        case 1:
            memset(&pts[i], 0, sizeof pts[i]);
            pts[i].infinity = 1;
            break;
        case 3: pts[i] = pts[i - 1]; break; /* a random point twice */
        case 4:
            pts[i] = pts[i - 1];
            fp_neg(&pts[i].y, &pts[i].y); /* and its opposite */
            break;
        default: g1_random(&j, &unused); g1_to_affine(&pts[i], &j);
        }
    }
    for (int s = 0; s < 3 + N_EDGE + N_RANDOM; s++) {
        fr_t k;
        char name[32];
        size_t n = N;
        if (s < 3) {
            fr_from_u64(&k, (uint64_t)s);
            snprintf(name, sizeof name, "%d", s);
            n = s < 2 ? N : N_SHORT;
        } else if (s < 3 + N_EDGE) {
            uint8_t le[32];
            for (int b = 0; b < 32; b++)
                sscanf(GLV_EDGE[s - 3][1] + 2 * b, "%2hhx", &le[31 - b]);
            CHECK(fr_from_bytes_le(&k, le) == 0, "G1 mul_same scalar below r");
            snprintf(name, sizeof name, "%s", GLV_EDGE[s - 3][0]);
            n = s == 3 ? N : N_SHORT; /* r - 1 on every point */
        } else {
            random_fr(&k);
            snprintf(name, sizeof name, "random %d", s - 3 - N_EDGE);
            n = s == 3 + N_EDGE ? N : N_SHORT;
        }
        memcpy(inplace, pts, sizeof pts);
        CHECK(g1_mul_same(got, pts, n, &k, NULL) == 0, "G1 mul_same (k %s) succeeds", name);
        CHECK(g1_mul_same(inplace, inplace, n, &k, NULL) == 0, "G1 mul_same in place (k %s)", name);
        int bad = 0;
        for (size_t i = 0; i < n; i++) {
            ladder_affine(&want, &pts[i], &k);
            bad += !g1_affine_same(&got[i], &want) || !g1_affine_same(&inplace[i], &want);
        }
        CHECK(bad == 0, "G1 mul_same k P = ladder k P on %zu points (k %s): %d differ", n, name,
              bad);
    }
    memcpy(got, pts, sizeof pts);
    fr_t one;
    fr_one(&one);
    CHECK(g1_mul_same(got, pts, 0, &one, NULL) == 0 && memcmp(got, pts, sizeof pts) == 0,
          "G1 mul_same of no points writes nothing");
}

/* The checks above on both of g1_mul_same's paths: the IFMA vectors where
 * the CPU has them, and the portable one (ZKML_IFMA=0). */
static void test_g1_mul_same(void)
{
    printf("G1 mul_same: IFMA path %s\n", fp_ifma_usable() ? "checked" : "not available here");
    if (fp_ifma_usable())
        mul_same_checks();
    TEST_PORTABLE(mul_same_checks());
}

/* The ladder's sum of t terms. */
static void ladder_sum(g1_affine *want, const g1_affine *p, const fr_t *k, size_t t)
{
    g1_jac sum, term;
    memset(&sum, 0, sizeof sum);
    for (size_t j = 0; j < t; j++) {
        g1_affine a;
        ladder_affine(&a, &p[j], &k[j]);
        g1_to_jac(&term, &a);
        g1_add(&sum, &sum, &term);
    }
    g1_to_affine(want, &sum);
}

/* g1_ifma_sum_many against the ladder: 300 points (the generator, infinity,
 * random, repeated and opposite ones; eighteen vector values and a partial
 * one), each with its own scalar: 0, 1, 2, r - 1, GLV's edge scalars, then
 * random ones; as 300 / t sums of t consecutive terms for t = 1 ..
 * G1_IFMA_TERMS. Then the fallback: sums k P + k (-P), whose second term meets
 * the first's opposite at the first step, so every lane is redone on the
 * portable path (infinity), among sums that are not. */
static void test_g1_sum_many(void)
{
    enum { N = 300 };
    static g1_affine pts[N], got[N];
    static fr_t ks[N];
    const fr_t *kp[N];
    if (!fp_ifma_usable()) {
        printf("G1 sum_many: not checked (no IFMA here)\n");
        return;
    }
    for (int i = 0; i < N; i++) {
        g1_jac j;
        fr_t unused;
        switch (i % 5) {
        case 0: g1_generator(&pts[i]); break;
        case 1:
            memset(&pts[i], 0, sizeof pts[i]);
            pts[i].infinity = 1;
            break;
        case 3: pts[i] = pts[i - 1]; break;
        case 4:
            pts[i] = pts[i - 1];
            fp_neg(&pts[i].y, &pts[i].y);
            break;
        default: g1_random(&j, &unused); g1_to_affine(&pts[i], &j);
        }
        if (i < 3) {
            fr_from_u64(&ks[i], (uint64_t)i);
        } else if (i < 3 + N_EDGE) {
            uint8_t le[32];
            for (int b = 0; b < 32; b++)
                sscanf(GLV_EDGE[i - 3][1] + 2 * b, "%2hhx", &le[31 - b]);
            CHECK(fr_from_bytes_le(&ks[i], le) == 0, "G1 sum_many scalar below r");
        } else {
            random_fr(&ks[i]);
        }
        kp[i] = &ks[i];
    }
    g1_ifma_many *w = g1_ifma_many_new();
    CHECK(w != NULL, "G1 sum_many workspace");
    if (!w)
        return;
    for (size_t t = 1; t <= G1_IFMA_TERMS; t++) {
        size_t n = N / t;
        int bad = 0;
        g1_ifma_sum_many(w, got, pts, kp, t, n);
        for (size_t l = 0; l < n; l++) {
            g1_affine want;
            ladder_sum(&want, pts + l * t, ks + l * t, t);
            bad += !g1_affine_same(&got[l], &want);
        }
        CHECK(bad == 0, "G1 sum_many: %zu sums of %zu terms = ladder: %d differ", n, t, bad);
    }
    /* odd lanes k P + k (-P), even ones k P + k' (-P) */
    static g1_affine pairs[2 * 40];
    static fr_t kk[2 * 40];
    const fr_t *kkp[2 * 40];
    for (int l = 0; l < 40; l++) {
        pairs[2 * l] = pts[2 + 5 * l];
        pairs[2 * l + 1] = pts[4 + 5 * l];
        kk[2 * l] = ks[10 + l];
        kk[2 * l + 1] = ks[10 + l + (l % 2 ? 0 : 1)];
        kkp[2 * l] = &kk[2 * l];
        kkp[2 * l + 1] = &kk[2 * l + 1];
    }
    g1_ifma_sum_many(w, got, pairs, kkp, 2, 40);
    int bad = 0, zero = 0;
    for (int l = 0; l < 40; l++) {
        g1_affine want;
        ladder_sum(&want, pairs + 2 * l, kk + 2 * l, 2);
        bad += !g1_affine_same(&got[l], &want);
        zero += got[l].infinity;
    }
    CHECK(bad == 0 && zero == 20, "G1 sum_many: kP - kP redone as infinity (%d differ, %d zero)",
          bad, zero);
    g1_ifma_many_free(w);
}

#ifdef FP_IFMA_BUILT
/* fpv_sqr's lanes against field.h's product, on inputs as the formulas give
 * them: below 2p, p - 1 among them, and lazy sums up to 8p (fpv_add_lazy
 * twice). Returns the lanes that differ. */
FPV_FN int sqr_mismatches(const fp_t v[FPV_LANES])
{
    const uint64_t *in[FPV_LANES];
    uint64_t got[3][FPV_LANES][4], *out[3][FPV_LANES];
    for (int l = 0; l < FPV_LANES; l++) {
        in[l] = v[l].v;
        for (int k = 0; k < 3; k++)
            out[k][l] = got[k][l];
    }
    fpv a, s, sum4, sum8;
    fpv_load(&a, in);
    fpv_sqr(&s, &a);
    fpv_store(out[0], &s);
    fpv_add_lazy(&sum4, &a, &a);
    fpv_add_lazy(&sum4, &sum4, &a); /* 3a, below 6p */
    fpv_add_lazy(&sum8, &sum4, &a); /* 4a, below 8p */
    fpv_sqr(&s, &sum4);
    fpv_store(out[1], &s);
    fpv_sqr(&s, &sum8);
    fpv_store(out[2], &s);
    int bad = 0;
    for (int l = 0; l < FPV_LANES; l++) {
        fp_t want, m;
        fp_mul(&want, &v[l], &v[l]);
        bad += memcmp(got[0][l], want.v, sizeof want.v) != 0;
        fp_add(&m, &v[l], &v[l]);
        fp_add(&m, &m, &v[l]);
        fp_mul(&want, &m, &m);
        bad += memcmp(got[1][l], want.v, sizeof want.v) != 0;
        fp_add(&m, &m, &v[l]);
        fp_mul(&want, &m, &m);
        bad += memcmp(got[2][l], want.v, sizeof want.v) != 0;
    }
    return bad;
}
#endif

/* fpv_sqr = field.h's a * a on 64 random values, 0, 1 and p - 1. */
static void test_fpv_sqr(void)
{
#ifdef FP_IFMA_BUILT
    if (!fp_ifma_usable()) {
        printf("fpv_sqr: not checked (no IFMA here)\n");
        return;
    }
    int bad = 0;
    for (int round = 0; round < 5; round++) {
        fp_t v[FPV_LANES];
        for (int l = 0; l < FPV_LANES; l++) {
            g1_jac j;
            g1_affine a;
            fr_t unused;
            g1_random(&j, &unused);
            g1_to_affine(&a, &j);
            v[l] = l % 2 ? a.x : a.y;
        }
        if (round == 4) {
            memset(&v[0], 0, sizeof v[0]);
            fp_one(&v[1]);
            fp_neg(&v[2], &v[1]); /* p - 1 */
        }
        bad += sqr_mismatches(v);
    }
    CHECK(bad == 0, "fpv_sqr = a * a on 80 values, 3 ranges each: %d differ", bad);
#endif
}

/* The vector path's guard: a schedule in which the accumulator equals the
 * row it adds at the last step (k1 = A1 - 6, k2 = -NB1: glv.c's lattice
 * vector (A1, -NB1) away from k = -6, so a P + a P would need the tangent;
 * glv_split never makes it, the digits are wNAF's of those halves). The
 * vectors must report it and write nothing, for the portable path to redo. */
static void test_ifma_degenerate(void)
{
    static const int8_t d1[] = {-3, 0, 0,  0,  0, -1,  0, 0, 0,   0, 5,   0, 0, 0, 0,   0, 0,
                                9,  0, 0,  0,  0, -13, 0, 0, 0,   0, -13, 0, 0, 0, 0,   9, 0,
                                0,  0, 0,  11, 0, 0,   0, 0, 9,   0, 0,   0, 0, 0, -13, 0, 0,
                                0,  0, 15, 0,  0, 0,   0, 0, -15, 0, 0,   0, 0, 1};
    static const int8_t d2[] = {
        0,  0, 0, 5, 0, 0, 0,  0, -15, 0, 0, 0,  0, -7, 0, 0, 0,   0,  0, 0, -11, 0, 0, 0,  0,
        -1, 0, 0, 0, 0, 0, -9, 0, 0,   0, 0, -1, 0, 0,  0, 0, 0,   15, 0, 0, 0,   0, 3, 0,  0,
        0,  0, 1, 0, 0, 0, 0,  1, 0,   0, 0, 0,  0, -7, 0, 0, 0,   0,  0, 0, 0,   0, 0, 13, 0,
        0,  0, 0, 1, 0, 0, 0,  0, -9,  0, 0, 0,  0, 15, 0, 0, 0,   0,  7, 0, 0,   0, 0, 0,  9,
        0,  0, 0, 0, 0, 1, 0,  0, 0,   0, 0, -5, 0, 0,  0, 0, -11, 0,  0, 0, 0,   0, 0, 0,  7};
    enum { N = 20 };
    if (!fp_ifma_usable()) {
        printf("G1 mul_same: IFMA guard not checked (no IFMA here)\n");
        return;
    }
    glv_digits g;
    memset(&g, 0, sizeof g);
    memcpy(g.d1, d1, sizeof d1);
    memcpy(g.d2, d2, sizeof d2);
    g.n1 = (int)sizeof d1;
    g.n2 = (int)sizeof d2;
    g.neg2 = 1;
    g1_affine p[N], out[N], before[N];
    for (int i = 0; i < N; i++) {
        g1_jac j;
        fr_t unused;
        g1_random(&j, &unused);
        g1_to_affine(&p[i], &j);
        out[i] = p[i];
        out[i].infinity = i % 2; /* anything: it must stay as it is */
    }
    memcpy(before, out, sizeof out);
    CHECK(glv_ifma_mul_same(out, p, N, &g, g.n2) == 1,
          "IFMA mul_same reports a sum of a point with itself");
    CHECK(memcmp(out, before, sizeof out) == 0, "IFMA mul_same wrote nothing then");
}

/* One group's batch affine additions as the checks below see them: the group
 * law of group_ops.h for the reference sums, and what it lacks (a random
 * point, equality, the portable and IFMA entry points) as thin wrappers. */
typedef void (*batch_add_fn)(void *r, const void *a, const void *b, size_t n, void *scratch);
typedef struct batch_group {
    const char *name;
    const group_ops *ops;
    size_t coord_size; /* the affine point starts with x, then y, each this long */
    void (*random)(void *jac);
    int (*jac_eq)(const void *a, const void *b);
    size_t (*ifma_scratch)(size_t n);
    batch_add_fn portable, ifma;
} batch_group;

static void g1_random_op(void *r)
{
    fr_t k;
    g1_random(r, &k);
}
static int g1_eq_op(const void *a, const void *b)
{
    return g1_eq(a, b);
}
static void g1_portable_op(void *r, const void *a, const void *b, size_t n, void *scratch)
{
    g1_batch_add_affine(r, a, b, n, scratch);
}
static void g1_ifma_op(void *r, const void *a, const void *b, size_t n, void *scratch)
{
    g1_ifma_batch_add(r, a, b, n, scratch);
}
static void g2_random_op(void *r)
{
    fr_t k;
    g2_random(r, &k);
}
static int g2_eq_op(const void *a, const void *b)
{
    return g2_eq(a, b);
}
static void g2_portable_op(void *r, const void *a, const void *b, size_t n, void *scratch)
{
    g2_batch_add_affine(r, a, b, n, scratch);
}
static void g2_ifma_op(void *r, const void *a, const void *b, size_t n, void *scratch)
{
    g2_ifma_batch_add(r, a, b, n, scratch);
}

static const batch_group G1_BATCH = {"G1",           &G1_OPS,   sizeof(fp_t),
                                     g1_random_op,   g1_eq_op,  g1_ifma_batch_scratch,
                                     g1_portable_op, g1_ifma_op};
static const batch_group G2_BATCH = {"G2",           &G2_OPS,   sizeof(fp2_t),
                                     g2_random_op,   g2_eq_op,  g2_ifma_batch_scratch,
                                     g2_portable_op, g2_ifma_op};

enum { BATCH_N = 43 }; /* five vectors of eight and three pairs more (two of sixteen and 11) */

/* Pair i of the batch: random points, then by i mod 8 a doubling, P + (-P),
 * infinity on either or both sides, or the same x under an unrelated y (off
 * the curve: the chord must still refuse to divide by zero). */
static void batch_pair(const batch_group *g, uint8_t *a, uint8_t *b, int i)
{
    const group_ops *ops = g->ops;
    _Alignas(64) uint8_t jac[sizeof(g2_jac)];
    g->random(jac);
    ops->batch_to_affine(a, jac, 1);
    g->random(jac);
    ops->batch_to_affine(b, jac, 1);
    switch (i % 8) {
    case 1: memcpy(b, a, ops->aff_size); break;
    case 2:
        memcpy(b, a, ops->aff_size);
        ops->aff_neg(b);
        break;
    case 3: ops->aff_set_inf(a); break;
    case 4: ops->aff_set_inf(b); break;
    case 5:
        ops->aff_set_inf(a);
        ops->aff_set_inf(b);
        break;
    case 6: memcpy(b, a, g->coord_size); break;
    default: break;
    }
}

/* got is the sum of a and b under the group law (add_aff from infinity). */
static int sum_is(const batch_group *g, const void *got, const void *a, const void *b)
{
    _Alignas(64) uint8_t want[sizeof(g2_jac)], have[sizeof(g2_jac)];
    g->ops->jac_zero(want);
    g->ops->add_aff(want, a, 0);
    g->ops->add_aff(want, b, 0);
    g->ops->jac_zero(have);
    g->ops->add_aff(have, got, 0);
    return g->jac_eq(have, want);
}

/* add against the group law over every case of batch_pair, out of place, then
 * in place (r = a) giving the same coordinates, then an empty batch (a no-op). */
static void batch_add_checks(const batch_group *g, batch_add_fn add, const char *path)
{
    static _Alignas(64) uint8_t a[BATCH_N * sizeof(g2_affine)], b[sizeof a], r[sizeof a];
    static _Alignas(64) uint8_t scratch[BATCH_N * 1024];
    size_t size = g->ops->aff_size;
    for (int i = 0; i < BATCH_N; i++)
        batch_pair(g, a + i * size, b + i * size, i);
    CHECK(g->ifma_scratch(BATCH_N) <= sizeof scratch, "%s scratch for %d pairs", g->name, BATCH_N);
    add(r, a, b, BATCH_N, scratch);
    for (int i = 0; i < BATCH_N; i++)
        CHECK(sum_is(g, r + i * size, a + i * size, b + i * size),
              "%s batch affine addition (%s) [%d] (case %d)", g->name, path, i, i % 8);
    add(a, a, b, BATCH_N, scratch);
    for (int i = 0; i < BATCH_N; i++)
        CHECK(g->ops->aff_is_inf(r + i * size)
                  ? g->ops->aff_is_inf(a + i * size)
                  : !memcmp(a + i * size, r + i * size, 2 * g->coord_size),
              "%s batch affine addition in place (%s) [%d]", g->name, path, i);
    add(r, a, b, 0, scratch);
}

/* Both groups' portable batch additions, and the IFMA ones where the CPU has it. */
static void test_batch_add(void)
{
    const batch_group *groups[] = {&G1_BATCH, &G2_BATCH};
    for (int i = 0; i < 2; i++) {
        batch_add_checks(groups[i], groups[i]->portable, "portable");
        if (fp_ifma_usable())
            batch_add_checks(groups[i], groups[i]->ifma, "IFMA");
    }
}

static void test_g2(void)
{
    for (int round = 0; round < 8; round++) {
        g2_jac p, q, s, t1, t2;
        g2_affine pa;
        fr_t a, b, c, sum;
        g2_random(&p, &a);
        g2_random(&q, &b);
        g2_random(&s, &c);
        g2_add(&t1, &p, &q);
        g2_add(&t1, &t1, &s);
        g2_add(&t2, &q, &s);
        g2_add(&t2, &p, &t2);
        CHECK(g2_eq(&t1, &t2), "G2 associativity");
        g2_double(&t1, &p);
        g2_add(&t2, &p, &p);
        CHECK(g2_eq(&t1, &t2), "G2 double == add to itself");
        g2_to_affine(&pa, &p);
        g2_add_affine(&t2, &p, &pa);
        CHECK(g2_eq(&t1, &t2), "G2 mixed add of P to itself doubles");
        CHECK(g2_is_on_curve(&pa) && g2_is_in_subgroup(&pa), "G2 multiple in subgroup");
        g2_neg(&t1, &p);
        g2_add(&t2, &p, &t1);
        CHECK(fp2_is_zero(&t2.z), "G2 P + (-P) = infinity");
        fr_add(&sum, &a, &b);
        g2_affine g;
        g2_jac gj;
        g2_generator(&g);
        g2_to_jac(&gj, &g);
        g2_mul(&t1, &gj, &sum);
        g2_add(&t2, &p, &q);
        CHECK(g2_eq(&t1, &t2), "G2 (a+b)H = aH + bH");
        uint8_t enc[128];
        g2_affine back;
        g2_to_evm(enc, &pa);
        CHECK(g2_from_evm(&back, enc) == 0 && fp2_eq(&back.x, &pa.x) && fp2_eq(&back.y, &pa.y),
              "G2 EVM encoding round trip");
    }
    g2_affine bad;
    CHECK(twist_point_outside_subgroup(&bad) == 0, "found a twist point");
    CHECK(g2_is_on_curve(&bad), "constructed twist point is on the twist");
    CHECK(!g2_is_in_subgroup(&bad), "G2 point outside the subgroup is refused");
    uint8_t enc[128];
    g2_to_evm(enc, &bad);
    CHECK(g2_from_evm(&bad, enc) != 0, "g2_from_evm refuses a non-subgroup point");
}

/* The psi-based subgroup check agrees with the definition (r * Q = infinity)
 * on points inside the subgroup and on three kinds outside it: random twist
 * points, such a point plus a subgroup point, and r times such a point
 * (whose order divides the cofactor). */
static void test_g2_subgroup_check(void)
{
    for (int round = 0; round < 12; round++) {
        g2_jac good, t;
        g2_affine in, out[3];
        fr_t k;
        g2_random(&good, &k);
        g2_to_affine(&in, &good);
        CHECK(g2_is_in_subgroup(&in) && g2_is_in_subgroup_by_order(&in),
              "G2 subgroup checks accept a multiple of the generator (round %d)", round);
        if (twist_point_outside_subgroup(&out[0]) != 0) {
            CHECK(0, "found a twist point");
            return;
        }
        g2_to_jac(&t, &out[0]);
        g2_add(&t, &t, &good);
        g2_to_affine(&out[1], &t);
        g2_jac q0, rq; /* r Q = (r - 1) Q + Q */
        fr_t minus_one;
        fr_from_i64(&minus_one, -1);
        g2_to_jac(&q0, &out[0]);
        g2_mul(&rq, &q0, &minus_one);
        g2_add(&rq, &rq, &q0);
        g2_to_affine(&out[2], &rq);
        for (int i = 0; i < 3; i++) {
            CHECK(g2_is_on_curve(&out[i]) && !out[i].infinity, "outside point %d on the twist", i);
            CHECK(!g2_is_in_subgroup_by_order(&out[i]), "r * Q refuses outside point %d", i);
            CHECK(!g2_is_in_subgroup(&out[i]), "psi check refuses outside point %d (round %d)", i,
                  round);
        }
    }
}

static void test_pairing(void)
{
    g1_affine g, ap, pts[20];
    g2_affine h, bq, qs[20];
    g1_jac gj, t;
    g2_jac hj, u;
    fp12_t e, eab, e_ab;
    fr_t a, b, ab;
    g1_generator(&g);
    g2_generator(&h);
    g1_to_jac(&gj, &g);
    g2_to_jac(&hj, &h);
    bn254_pairing(&e, &g, &h);
    CHECK(!fp12_is_one(&e), "pairing non-degenerate");
    uint64_t r_limbs[4] = {0x43e1f593f0000001ULL, 0x2833e84879b97091ULL, 0xb85045b68181585dULL,
                           0x30644e72e131a029ULL};
    fp12_t er;
    fp12_pow(&er, &e, r_limbs, 4);
    CHECK(fp12_is_one(&er), "e(G, H)^r = 1");

    for (int round = 0; round < 3; round++) {
        random_fr(&a);
        random_fr(&b);
        g1_mul(&t, &gj, &a);
        g1_to_affine(&ap, &t);
        g2_mul(&u, &hj, &b);
        g2_to_affine(&bq, &u);
        bn254_pairing(&eab, &ap, &bq);
        fr_mul(&ab, &a, &b);
        uint64_t ab_raw[4];
        fr_raw(ab_raw, &ab);
        fp12_pow(&e_ab, &e, ab_raw, 4);
        CHECK(fp12_eq(&eab, &e_ab), "bilinearity e(aG, bH) = e(G, H)^(ab)");

        /* e(aG, bH) e(-abG, H) = 1, and not with ab + 1. */
        g1_affine pp[2] = {ap, g};
        g2_affine qq[2] = {bq, h};
        g1_mul(&t, &gj, &ab);
        g1_neg(&t, &t);
        g1_to_affine(&pp[1], &t);
        CHECK(bn254_pairing_check(pp, qq, 2) == 1, "true product of two pairings");
        g1_add_affine(&t, &t, &g);
        g1_to_affine(&pp[1], &t);
        CHECK(bn254_pairing_check(pp, qq, 2) == 0, "false product of two pairings");
    }
    CHECK(bn254_pairing_check(NULL, NULL, 0) == 1, "empty product is 1");
    g1_affine inf = {.infinity = 1};
    CHECK(bn254_pairing_check(&inf, &h, 1) == 1, "e(O, H) = 1");

    /* 20 pairs (more than one Miller pass): sum of k_i = 0 with 19 random k_i. */
    fr_t total;
    fr_zero(&total);
    for (int i = 0; i < 19; i++) {
        fr_t k;
        random_fr(&k);
        fr_add(&total, &total, &k);
        g1_mul(&t, &gj, &k);
        g1_to_affine(&pts[i], &t);
        qs[i] = h;
    }
    fr_neg(&total, &total);
    g1_mul(&t, &gj, &total);
    g1_to_affine(&pts[19], &t);
    qs[19] = h;
    CHECK(bn254_pairing_check(pts, qs, 20) == 1, "20-pair true product");
    qs[7] = bq;
    CHECK(bn254_pairing_check(pts, qs, 20) == 0, "20-pair false product");

    /* The final exponentiation's addition chain against plain exponentiation. */
    fp12_t f, fe1, fe2;
    fp_t *c = (fp_t *)&f;
    for (int i = 0; i < 12; i++)
        random_fp(&c[i]);
    bn254_final_exp(&fe1, &f);
    fp12_pow(&fe2, &f, FINAL_EXPONENT, 44);
    CHECK(fp12_eq(&fe1, &fe2), "final exponentiation = f^((p^12-1)/r)");
}

int main(void)
{
    test_g1();
    test_g1_glv();
    test_g1_mul_sum();
    test_g1_batch_double();
    test_g1_mul_same();
    test_ifma_degenerate();
    test_fpv_sqr();
    test_g1_sum_many();
    test_g2_mul_sum();
    test_batch_add();
    test_g2();
    test_g2_subgroup_check();
    test_pairing();
    if (failures) {
        fprintf(stderr, "%d checks failed\n", failures);
        return 1;
    }
    printf("group and pairing properties: all checks passed\n");
    return 0;
}
