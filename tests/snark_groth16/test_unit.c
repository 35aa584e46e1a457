/*
 * test_unit.c - MSM against the naive sum of g1_mul/g2_mul (zero, one and
 * random scalars, points at infinity), large MSMs over a small pool of points
 * and scalars (repeated and opposite points, equal scalars: every bucket
 * collision and doubling case) against sum_i (sum of its scalars) * pool_i,
 * msm_small (small magnitudes, every window width) against the same naive sum,
 * affine_sums against one Jacobian accumulator a sum (both groups, both paths),
 * fixed-base multiples of the generators against g1_mul/g2_mul (narrow and
 * 16-bit windows, scalars whose digits carry, zero, one and -1),
 * the R1CS builder, malformed .r1cs,
 * .wtns, proving keys and JSON (clear errors, no crash), the atomic file
 * writer against the bytes it was given (chunks of every size around its
 * buffer, patches, abort, keep-existing), and an in-process setup/prove/verify
 * round trip with a refused witness.
 */
#include "pipeline/snark/binfile.h"
#include "pipeline/snark/field.h"
#include "pipeline/snark/fixed_base.h"
#include "pipeline/snark/groth16.h"
#include "pipeline/snark/msm.h"
#include "pipeline/snark/r1cs_internal.h"
#include "tests/snark_groth16/test_circuit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/test_util.h"

static void random_scalar(test_rng *g, fr_t *k, int kind)
{
    if (kind == 0)
        fr_zero(k);
    else if (kind == 1)
        fr_one(k);
    else if (kind == 2)
        fr_from_u64(k, test_rng_u64(g) & 0xffff);
    else
        test_rng_fr(g, k);
}

static void test_msm(size_t n, int threads)
{
    test_rng g = {77 + n};
    g1_affine gen1, *p1 = calloc(n, sizeof *p1);
    g2_affine gen2, *p2 = calloc(n, sizeof *p2);
    fr_t *k = calloc(n, sizeof *k), s;
    g1_jac acc1, t1, got1;
    g2_jac acc2, t2, got2;
    zkml_error err;
    g1_generator(&gen1);
    g2_generator(&gen2);
    memset(&acc1, 0, sizeof acc1);
    memset(&acc2, 0, sizeof acc2);
    for (size_t i = 0; i < n; i++) {
        test_rng_fr(&g, &s);
        g1_to_jac(&t1, &gen1);
        g1_mul(&t1, &t1, &s);
        g1_to_affine(&p1[i], &t1);
        g2_to_jac(&t2, &gen2);
        g2_mul(&t2, &t2, &s);
        g2_to_affine(&p2[i], &t2);
        if (i % 11 == 5) {
            p1[i].infinity = 1;
            p2[i].infinity = 1;
        }
        random_scalar(&g, &k[i], (int)(test_rng_u64(&g) % 4));
        if (!p1[i].infinity) {
            g1_to_jac(&t1, &p1[i]);
            g1_mul(&t1, &t1, &k[i]);
            g1_add(&acc1, &acc1, &t1);
            g2_to_jac(&t2, &p2[i]);
            g2_mul(&t2, &t2, &k[i]);
            g2_add(&acc2, &acc2, &t2);
        }
    }
    CHECK(msm_g1(&got1, p1, k, n, threads, &err) == 0, "msm_g1: %s", err.message);
    CHECK(g1_eq(&got1, &acc1), "G1 MSM of %zu points (%d threads) != naive sum", n, threads);
    CHECK(msm_g2(&got2, p2, k, n, threads, &err) == 0, "msm_g2: %s", err.message);
    CHECK(g2_eq(&got2, &acc2), "G2 MSM of %zu points (%d threads) != naive sum", n, threads);
    free(p1);
    free(p2);
    free(k);
}

/* A bucket list's sums into the tables of the small sums they belong to. */
typedef struct bucket_tables {
    const group_ops *g;
    uint8_t *table[2];
} bucket_tables;

static void put_test_bucket(void *ctx, uint32_t id, const void *point)
{
    bucket_tables *t = ctx;
    memcpy(t->table[id / MSM_SMALL_KEYS] + (id % MSM_SMALL_KEYS) * t->g->aff_size, point,
           t->g->aff_size);
}

/* r0 and r1: the small sums of (p, m) and of its first half, through msm_small's
 * three steps with one bucket list for both, as the setup shares one. */
static void small_sums_of(const group_ops *g, void *r0, void *r1, const void *p, const uint64_t *m,
                          size_t n)
{
    affine_sums b;
    uint32_t c[2], nwin[2];
    size_t len[2] = {n, n / 2}, as = g->aff_size;
    uint32_t *order = malloc(MSM_SMALL_ORDER(n) * sizeof *order);
    g2_jac scratch[2];
    bucket_tables t = {g, {malloc(MSM_SMALL_KEYS * as), malloc(MSM_SMALL_KEYS * as)}};
    CHECK(affine_sums_init(&b, g) == 0, "affine_sums_init");
    for (int s = 0; s < 2; s++) {
        msm_small_clear(g, t.table[s], MSM_SMALL_KEYS);
        msm_small_width(m, len[s], &c[s], &nwin[s]);
        CHECK(msm_small_buckets(&b, (uint32_t)s * MSM_SMALL_KEYS, p, m, len[s], c[s], nwin[s],
                                order) == 0,
              "msm_small_buckets");
    }
    CHECK(affine_sums_reduce(&b, put_test_bucket, &t, 0) == 0, "reduce the buckets");
    msm_small_fold(g, r0, t.table[0], c[0], nwin[0], scratch);
    msm_small_fold(g, r1, t.table[1], c[1], nwin[1], scratch);
    affine_sums_free(&b);
    free(order);
    free(t.table[0]);
    free(t.table[1]);
}

/* msm_small against the naive sum of g1_mul/g2_mul products: magnitudes of
 * `bits` bits (over the counts and widths main runs, every window width from
 * 1 to MSM_SMALL_MAX_C gets chosen), with zeros, ones, the widest magnitude, repeated
 * points and points at infinity mixed in; the first half's sum alongside, in
 * the same bucket list. */
static void test_msm_small(size_t n, uint32_t bits)
{
    test_rng g = {991 + n * 64 + bits};
    g1_affine gen1, *p1 = calloc(n ? n : 1, sizeof *p1);
    g2_affine gen2, *p2 = calloc(n ? n : 1, sizeof *p2);
    uint64_t *m = calloc(n ? n : 1, sizeof *m);
    g1_jac acc1, t1, got1, step1, at1, half1, got_half1;
    g2_jac acc2, t2, got2, step2, at2, half2, got_half2;
    fr_t s;
    g1_generator(&gen1);
    g2_generator(&gen2);
    test_rng_fr(&g, &s); /* the points: a random start and step, so distinct */
    g1_to_jac(&at1, &gen1);
    g1_mul(&step1, &at1, &s);
    g2_to_jac(&at2, &gen2);
    g2_mul(&step2, &at2, &s);
    memset(&acc1, 0, sizeof acc1);
    memset(&acc2, 0, sizeof acc2);
    for (size_t i = 0; i < n; i++) {
        uint64_t mask = (1ULL << bits) - 1;
        if (i == n / 2) {
            half1 = acc1;
            half2 = acc2;
        }
        m[i] = test_rng_u64(&g) & mask;
        if (i % 7 == 3)
            m[i] = i % 2 ? 0 : 1;
        if (i % 13 == 4)
            m[i] = mask;
        g1_add(&at1, &at1, &step1);
        g1_to_affine(&p1[i], &at1);
        g2_add(&at2, &at2, &step2);
        g2_to_affine(&p2[i], &at2);
        if (i % 11 == 5) {
            p1[i].infinity = 1;
            p2[i].infinity = 1;
        } else if (i % 5 == 2 && i > 0) {
            p1[i] = p1[i - 1];
            p2[i] = p2[i - 1];
        }
        fr_from_u64(&s, m[i]);
        if (!p1[i].infinity) {
            g1_to_jac(&t1, &p1[i]);
            g1_mul(&t1, &t1, &s);
            g1_add(&acc1, &acc1, &t1);
            g2_to_jac(&t2, &p2[i]);
            g2_mul(&t2, &t2, &s);
            g2_add(&acc2, &acc2, &t2);
        }
    }
    if (n / 2 == n) { /* n = 0 */
        half1 = acc1;
        half2 = acc2;
    }
    small_sums_of(&G1_OPS, &got1, &got_half1, p1, m, n);
    CHECK(g1_eq(&got1, &acc1), "G1 msm_small of %zu %u-bit magnitudes != naive sum", n, bits);
    CHECK(g1_eq(&got_half1, &half1), "G1 msm_small of the first %zu != naive sum", n / 2);
    small_sums_of(&G2_OPS, &got2, &got_half2, p2, m, n);
    CHECK(g2_eq(&got2, &acc2), "G2 msm_small of %zu %u-bit magnitudes != naive sum", n, bits);
    CHECK(g2_eq(&got_half2, &half2), "G2 msm_small of the first %zu != naive sum", n / 2);
    free(p1);
    free(p2);
    free(m);
}

/* n points drawn from a pool of `pool` random points, their negatives and
 * infinity; scalars 0, 1, -1, small, random or one of three fixed values. */
static void test_msm_pool(size_t n, int threads, size_t pool, int g2)
{
    test_rng g = {1000 + n + pool};
    size_t np = 2 * pool + 1;
    g1_affine gen1, *pp1 = calloc(np, sizeof *pp1), *p1 = calloc(n, sizeof *p1);
    g2_affine gen2, *pp2 = calloc(np, sizeof *pp2), *p2 = calloc(n, sizeof *p2);
    fr_t *k = calloc(n, sizeof *k), *coef = calloc(np, sizeof *coef), fixed[3], s;
    g1_jac t1, want1, got1;
    g2_jac t2, want2, got2;
    zkml_error err;
    g1_generator(&gen1);
    g2_generator(&gen2);
    for (size_t i = 0; i < pool; i++) {
        test_rng_fr(&g, &s);
        g1_to_jac(&t1, &gen1);
        g1_mul(&t1, &t1, &s);
        g1_to_affine(&pp1[i], &t1);
        g1_neg(&t1, &t1);
        g1_to_affine(&pp1[pool + i], &t1);
        g2_to_jac(&t2, &gen2);
        g2_mul(&t2, &t2, &s);
        g2_to_affine(&pp2[i], &t2);
        g2_neg(&t2, &t2);
        g2_to_affine(&pp2[pool + i], &t2);
    }
    pp1[2 * pool].infinity = pp2[2 * pool].infinity = 1;
    for (int i = 0; i < 3; i++)
        test_rng_fr(&g, &fixed[i]);
    for (size_t j = 0; j < n; j++) {
        size_t at = (size_t)(test_rng_u64(&g) % np);
        int kind = (int)(test_rng_u64(&g) % 6);
        p1[j] = pp1[at];
        p2[j] = pp2[at];
        if (kind < 4)
            random_scalar(&g, &k[j], kind);
        else if (kind == 4)
            k[j] = fixed[test_rng_u64(&g) % 3];
        else {
            fr_one(&k[j]);
            fr_neg(&k[j], &k[j]);
        }
        fr_add(&coef[at], &coef[at], &k[j]);
    }
    memset(&want1, 0, sizeof want1);
    memset(&want2, 0, sizeof want2);
    for (size_t i = 0; i < 2 * pool; i++) {
        if (g2) {
            g2_to_jac(&t2, &pp2[i]);
            g2_mul(&t2, &t2, &coef[i]);
            g2_add(&want2, &want2, &t2);
        } else {
            g1_to_jac(&t1, &pp1[i]);
            g1_mul(&t1, &t1, &coef[i]);
            g1_add(&want1, &want1, &t1);
        }
    }
    if (g2) {
        CHECK(msm_g2(&got2, p2, k, n, threads, &err) == 0, "msm_g2: %s", err.message);
        CHECK(g2_eq(&got2, &want2),
              "G2 MSM of %zu points from a pool of %zu (%d threads) "
              "!= the pooled sum",
              n, pool, threads);
    } else {
        CHECK(msm_g1(&got1, p1, k, n, threads, &err) == 0, "msm_g1: %s", err.message);
        CHECK(g1_eq(&got1, &want1),
              "G1 MSM of %zu points from a pool of %zu (%d threads) "
              "!= the pooled sum",
              n, pool, threads);
    }
    free(pp1);
    free(p1);
    free(pp2);
    free(p2);
    free(k);
    free(coef);
}

/* Scalars that stress the signed digits: 0, 1, -1, powers of two at and
 * around window edges, runs of 0x8000 (digit 2^15 exactly) and of 0xffff
 * (a carry through every window), then random ones. */
static void fixed_base_scalar(test_rng *g, size_t i, fr_t *k)
{
    uint64_t raw[4] = {0, 0, 0, 0};
    switch (i % 8) {
    case 0: fr_from_u64(k, i / 8); return; /* 0, 1, 2, ... */
    case 1:
        fr_one(k);
        fr_neg(k, k);
        return; /* -1 */
    case 2: raw[(i / 8) % 4] = 1ULL << (i % 61); break;
    case 3:
        raw[0] = raw[1] = raw[2] = 0x8000800080008000ULL;
        raw[3] = 0x0000800080008000ULL;
        break;
    case 4:
        raw[0] = raw[1] = raw[2] = ~0ULL;
        raw[3] = 0x0fffffffffffffffULL;
        break;
    default: test_rng_fr(g, k); return;
    }
    CHECK(mont_from_raw(k->v, raw, &FR_MODULUS) == 0, "scalar %zu below r", i);
}

/* fixed_base_mul against g1_mul/g2_mul; n_mults picks the table's window. */
static void test_fixed_base(size_t n, size_t n_mults, int threads, int g2)
{
    test_rng g = {500 + n};
    fr_t *k = calloc(n, sizeof *k);
    void *out = calloc(n, g2 ? sizeof(g2_affine) : sizeof(g1_affine));
    fixed_base *fb;
    zkml_error err;
    for (size_t i = 0; i < n; i++)
        fixed_base_scalar(&g, i, &k[i]);
    CHECK(fixed_base_new(&fb, g2, n_mults, threads, &err) == 0, "table: %s", err.message);
    CHECK(fixed_base_mul(fb, k, n, out, threads, &err) == 0, "fixed base: %s", err.message);
    for (size_t i = 0; i < n; i++) {
        int same;
        if (g2) {
            g2_affine gen, *got = (g2_affine *)out + i;
            g2_jac want, have;
            g2_generator(&gen);
            g2_to_jac(&want, &gen);
            g2_mul(&want, &want, &k[i]);
            g2_to_jac(&have, got);
            same = g2_eq(&have, &want) && (got->infinity || g2_is_on_curve(got));
        } else {
            g1_affine gen, *got = (g1_affine *)out + i;
            g1_jac want, have;
            g1_generator(&gen);
            g1_to_jac(&want, &gen);
            g1_mul(&want, &want, &k[i]);
            g1_to_jac(&have, got);
            same = g1_eq(&have, &want) && (got->infinity || g1_is_on_curve(got));
        }
        CHECK(same, "G%d fixed base point %zu of %zu (table for %zu, %d threads) != k * G", g2 + 1,
              i, n, n_mults, threads);
    }
    fixed_base_free(fb);
    free(k);
    free(out);
}

static void test_builder(void)
{
    r1cs_lc lc = {0};
    fr_t c3, c5, neg3, sum;
    fr_from_u64(&c3, 3);
    fr_from_u64(&c5, 5);
    fr_neg(&neg3, &c3);
    r1cs_lc_add_term(&lc, 7, &c3, NULL);
    r1cs_lc_add_term(&lc, 2, &c5, NULL);
    r1cs_lc_add_term(&lc, 7, &c5, NULL);
    r1cs_lc_add_term(&lc, 4, &c3, NULL);
    r1cs_lc_add_term(&lc, 4, &neg3, NULL); /* cancels: the term disappears */
    fr_add(&sum, &c3, &c5);
    CHECK(lc.n == 2 && lc.terms[0].wire == 2 && lc.terms[1].wire == 7 &&
              fr_eq(&lc.terms[1].coeff, &sum),
          "builder does not sort, merge and drop zeros");
    r1cs_lc_free(&lc);
}

static const char *write_tmp(const char *name, const void *data, size_t len)
{
    static char path[256];
    snprintf(path, sizeof path, "snark_groth16_unit_%s", name);
    FILE *f = fopen(path, "wb");
    fwrite(data, 1, len, f);
    fclose(f);
    return path;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    uint8_t *d;
    zkml_error err;
    if (zkml_read_file(path, 0, &d, len, &err))
        return NULL;
    return d;
}

/* Each damaged image must give a message containing `want`. */
/* Both readers refuse d the same way: r1cs_parse, and r1cs_read_rows from
 * a file (the path in its message). */
static void expect_r1cs_error(const uint8_t *d, size_t len, const char *want, const char *what)
{
    r1cs cs;
    pk_matrix rows[3];
    coeff_table coeffs;
    zkml_error err = {0};
    int rc = r1cs_parse(&cs, d, len, "x.r1cs", &err);
    CHECK(rc != 0 && strstr(err.message, want), "%s: rc %d, message '%s'", what, rc, err.message);
    rc = r1cs_read_rows(&cs, rows, &coeffs, write_tmp("x.r1cs", d, len), &err);
    CHECK(rc != 0 && strstr(err.message, want) && !rows[0].start && !rows[2].coeff_at && !coeffs.v,
          "%s, read into rows: rc %d, message '%s'", what, rc, err.message);
}

/* r1cs_read_rows gives r1cs_to_rows's rows and coefficients' table
 * of r1cs_read's system, and every term's coefficient is the circuit's. */
static void test_read_rows(const char *r1cs_path)
{
    r1cs cs, counts;
    groth16_pk want;
    pk_matrix rows[3];
    coeff_table coeffs;
    zkml_error err = {0};
    memset(&want, 0, sizeof want);
    CHECK(r1cs_read(&cs, r1cs_path, &err) == 0 && groth16_pk_shape(&want, &cs, &err) == 0 &&
              r1cs_read_rows(&counts, rows, &coeffs, r1cs_path, &err) == 0,
          "read: %s", err.message);
    uint32_t k = cs.n_constraints;
    CHECK(counts.n_wires == cs.n_wires && counts.n_pub_out == cs.n_pub_out &&
              counts.n_pub_in == cs.n_pub_in && counts.n_prv_in == cs.n_prv_in &&
              counts.n_constraints == k && !counts.constraints,
          "counts differ");
    CHECK(coeffs.n == want.coeffs.n && !memcmp(coeffs.v, want.coeffs.v, coeffs.n * sizeof(fr_t)),
          "coefficient tables differ");
    fr_t one;
    fr_one(&one);
    CHECK(fr_eq(&coeffs.v[0], &one), "the table does not start with 1");
    for (uint32_t i = 0; i < coeffs.n; i++)
        for (uint32_t j = i + 1; j < coeffs.n && j < i + 64; j++)
            CHECK(!fr_eq(&coeffs.v[i], &coeffs.v[j]), "coefficient %u twice (%u)", i, j);
    for (int m = 0; m < 3; m++) {
        uint64_t n = want.m[m].start[k];
        CHECK(rows[m].start[k] == n &&
                  !memcmp(rows[m].start, want.m[m].start, (k + 1) * sizeof *rows[m].start) &&
                  !memcmp(rows[m].wire, want.m[m].wire, n * sizeof *rows[m].wire) &&
                  !memcmp(rows[m].coeff_at, want.m[m].coeff_at, n * sizeof *rows[m].coeff_at),
              "matrix %d differs", m);
        uint64_t t = 0;
        for (uint32_t c = 0; c < k; c++) {
            const r1cs_lc *lc = m == 0   ? &cs.constraints[c].a
                                : m == 1 ? &cs.constraints[c].b
                                         : &cs.constraints[c].c;
            for (uint32_t i = 0; i < lc->n; i++, t++)
                CHECK(fr_eq(&coeffs.v[rows[m].coeff_at[t]], &lc->terms[i].coeff),
                      "matrix %d term %llu: another coefficient", m, (unsigned long long)t);
        }
        free(rows[m].start);
        free(rows[m].wire);
        free(rows[m].coeff_at);
    }
    free(coeffs.v);
    groth16_pk_free(&want);
    r1cs_free(&cs);
}

static void test_malformed_files(const char *r1cs_path, const char *wtns_path)
{
    size_t len, wlen;
    uint8_t *d = slurp(r1cs_path, &len), *w = slurp(wtns_path, &wlen);
    for (size_t cut = 0; cut < len; cut += 1 + cut / 3)
        expect_r1cs_error(d, cut, "x.r1cs", "truncated r1cs");
    uint8_t *c = malloc(len);
    memcpy(c, d, len);
    c[0] = 'R';
    expect_r1cs_error(c, len, "wrong magic", "bad magic");
    memcpy(c, d, len);
    c[28] ^= 1; /* the prime, inside section 1 */
    expect_r1cs_error(c, len, "prime", "wrong prime");
    memcpy(c, d, len);
    memset(c + 0x6c, 0xff, 32); /* first coefficient >= r */
    expect_r1cs_error(c, len, "coefficient >= r", "coefficient out of range");
    free(c);
    fr_t *vals;
    size_t n;
    zkml_error err = {0};
    c = malloc(wlen);
    memcpy(c, w, wlen);
    memset(c + wlen - 32, 0xff, 32);
    CHECK(wtns_parse(&vals, &n, c, wlen, "x.wtns", &err) != 0 && strstr(err.message, ">= r"),
          "wtns value >= r: '%s'", err.message);
    CHECK(wtns_parse(&vals, &n, w, wlen - 1, "x.wtns", &err) != 0, "truncated wtns accepted");
    CHECK(wtns_parse(&vals, &n, d, len, "x.wtns", &err) != 0 && strstr(err.message, "magic"),
          "r1cs read as wtns: '%s'", err.message);
    free(c);
    free(d);
    free(w);
}

static void test_json_errors(void)
{
    static const char *bad_proofs[] = {
        "",
        "[]",
        "{\"pi_a\": [\"1\", \"2\", \"1\"]}",
        /* (1, 3) is not on the curve */
        "{\"pi_a\":[\"1\",\"3\",\"1\"],\"pi_b\":[[\"0\",\"0\"],[\"0\",\"0\"],[\"0\",\"0\"]],"
        "\"pi_c\":[\"1\",\"2\",\"1\"]}",
        /* x = p */
        "{\"pi_a\":["
        "\"21888242871839275222246405745257275088696311157297823662689037894645226208583\","
        "\"2\",\"1\"],\"pi_b\":[[\"0\",\"0\"],[\"1\",\"0\"],[\"0\",\"0\"]],\"pi_c\":[\"1\",\"2\","
        "\"1\"]}",
        /* G2 point (1, 1) is off the twist */
        "{\"pi_a\":[\"1\",\"2\",\"1\"],\"pi_b\":[[\"1\",\"0\"],[\"1\",\"0\"],[\"1\",\"0\"]],"
        "\"pi_c\":[\"1\",\"2\",\"1\"]}",
    };
    groth16_proof p;
    zkml_error err;
    for (size_t i = 0; i < sizeof bad_proofs / sizeof *bad_proofs; i++)
        CHECK(proof_json_parse(&p, bad_proofs[i], strlen(bad_proofs[i]), "proof.json", &err) != 0,
              "bad proof %zu accepted", i);
    fr_t *pub;
    size_t n;
    static const char big[] = "[\"21888242871839275222246405745257275088548364400416034343"
                              "698204186575808495617\"]";
    CHECK(public_json_parse(&pub, &n, big, strlen(big), "public.json", &err) != 0 &&
              strstr(err.message, "r"),
          "public signal = r accepted");
    CHECK(public_json_parse(&pub, &n, "[1]", 3, "public.json", &err) != 0, "number accepted");
}

/* The writer against the obvious reference, the bytes it was handed: ~20 MB
 * (past two writeback steps) in chunks from 0 bytes to 3 MiB (below, at and
 * above its buffer, so some straddle a flush and some bypass the buffer), with
 * patches (bw_patch) at the start, inside the buffered tail and in what was
 * flushed long before. */
static void test_writer(void)
{
    const char *path = "snark_groth16_unit.bin";
    size_t cap = 20u << 20, len = 0;
    uint8_t *want = malloc(cap);
    test_rng g = {4242};
    zkml_error err = {0};
    bwriter w;
    unlink(path);
    CHECK(want && bw_open(&w, path, &err) == 0, "bw_open: %s", err.message);
    if (!want || err.code) {
        free(want);
        return;
    }
    static const size_t sizes[] = {0,       1, 7, 36, 4096, BW_BUFFER - 1, BW_BUFFER, BW_BUFFER + 1,
                                   3u << 20};
    while (len < cap) {
        size_t n = sizes[test_rng_u64(&g) % (sizeof sizes / sizeof sizes[0])];
        n = n > cap - len ? cap - len : n;
        for (size_t i = 0; i < n; i++)
            want[len + i] = (uint8_t)test_rng_u64(&g);
        bw_bytes(&w, want + len, n);
        len += n;
        if (test_rng_u64(&g) % 4 == 0) { /* 16 bytes somewhere before the end */
            size_t at = len < 16 ? 0 : (size_t)(test_rng_u64(&g) % (len - 15));
            for (size_t i = 0; i < 16 && at + i < len; i++)
                want[at + i] = (uint8_t)test_rng_u64(&g);
            bw_patch(&w, at, want + at, len - at < 16 ? len - at : 16);
        }
    }
    CHECK(bw_commit(&w, &err) == 0, "bw_commit: %s", err.message);
    size_t got_len;
    uint8_t *got = slurp(path, &got_len);
    CHECK(got && got_len == len && memcmp(got, want, len) == 0,
          "the file differs from the bytes written (%zu of %zu bytes)", got_len, len);
    free(got);
    /* abort leaves the file as it was; commit_new keeps a file already there */
    CHECK(bw_open(&w, path, &err) == 0, "bw_open: %s", err.message);
    bw_bytes(&w, "other", 5);
    bw_abort(&w);
    CHECK(bw_open(&w, path, &err) == 0, "bw_open: %s", err.message);
    bw_bytes(&w, "other", 5);
    CHECK(bw_commit_new(&w, &err) == 0, "bw_commit_new: %s", err.message);
    got = slurp(path, &got_len);
    CHECK(got && got_len == len && memcmp(got, want, len) == 0,
          "abort or commit_new replaced the file");
    free(got);
    free(want);
    unlink(path);
    CHECK(bw_open(&w, "no-such-dir/x.bin", &err) != 0 && strstr(err.message, "no-such-dir/x.bin"),
          "an unwritable path: '%s'", err.message);
}

/* The highest wire a combination names, or 0. */
static uint32_t top_wire(const r1cs_lc *lc)
{
    return lc->n ? lc->terms[lc->n - 1].wire : 0;
}

static void copy_lc(r1cs_lc *dst, const r1cs_lc *src)
{
    memset(dst, 0, sizeof *dst);
    CHECK(r1cs_lc_reserve(dst, src->n, NULL) == 0, "reserve");
    if (src->n)
        memcpy(dst->terms, src->terms, src->n * sizeof *src->terms);
    dst->n = src->n;
}

/* cs's constraints streamed (r1cs_stream_to) into path: the wire count grows
 * as the constraints need and the other counts are set at the end, so the
 * header must be patched to match r1cs_write's file. */
static int stream_copy(const r1cs *cs, const char *path, uint32_t bad_at, zkml_error *err)
{
    r1cs s;
    r1cs_init(&s);
    int rc = r1cs_stream_to(&s, path, err);
    for (uint32_t k = 0; !rc && k < cs->n_constraints; k++) {
        const r1cs_constraint *c = &cs->constraints[k];
        r1cs_lc a, b, cc;
        uint32_t top = top_wire(&c->a);
        top = top_wire(&c->b) > top ? top_wire(&c->b) : top;
        top = top_wire(&c->c) > top ? top_wire(&c->c) : top;
        s.n_wires = top + 1 > s.n_wires ? top + 1 : s.n_wires;
        if (k == bad_at)
            s.n_wires = top; /* the top wire does not exist yet */
        copy_lc(&a, &c->a);
        copy_lc(&b, &c->b);
        copy_lc(&cc, &c->c);
        rc = r1cs_add_constraint(&s, &a, &b, &cc, err);
    }
    s.n_wires = cs->n_wires;
    s.n_pub_out = cs->n_pub_out;
    s.n_pub_in = cs->n_pub_in;
    s.n_prv_in = cs->n_prv_in;
    if (!rc)
        rc = r1cs_stream_commit(&s, err);
    fr_t one;
    fr_one(&one);
    if (!rc) /* counts only now */
        CHECK(!s.constraints && s.n_constraints == cs->n_constraints &&
                  r1cs_write(&s, "never.r1cs", NULL) != 0 &&
                  r1cs_check_witness(&s, &one, 1, NULL) != 0,
              "a streamed system kept constraints or wrote them again");
    r1cs_free(&s);
    return rc;
}

/* A streamed system's file is r1cs_write's, byte for byte; a wire named
 * before it exists is refused, naming the constraint, and a stream given up
 * (r1cs_free before the commit) leaves no file, nor its temporary. */
static void test_r1cs_stream(const r1cs *cs)
{
    zkml_error err = {0};
    size_t want_len, got_len;
    CHECK(stream_copy(cs, "streamed.r1cs", UINT32_MAX, &err) == 0, "stream: %s", err.message);
    uint8_t *want = slurp("snark_groth16_unit.r1cs", &want_len);
    uint8_t *got = slurp("streamed.r1cs", &got_len);
    CHECK(want && got && want_len == got_len && memcmp(want, got, want_len) == 0,
          "the streamed file differs from r1cs_write's (%zu vs %zu bytes)", got_len, want_len);
    free(want);
    free(got);
    unlink("streamed.r1cs");
    unlink("refused.r1cs"); /* a file left by an earlier run would pass for ours */
    CHECK(stream_copy(cs, "refused.r1cs", 300, &err) == ZKML_EINVAL &&
              strstr(err.message, "constraint 300 uses wire") &&
              strstr(err.message, "refused.r1cs"),
          "a wire beyond the count: '%s'", err.message);
    char tmp[64];
    snprintf(tmp, sizeof tmp, "refused.r1cs.tmp.%ld", (long)getpid());
    CHECK(access("refused.r1cs", F_OK) != 0 && access(tmp, F_OK) != 0,
          "a refused stream left a file");
}

static void test_round_trip(void)
{
    r1cs cs;
    fr_t *w;
    zkml_error err = {0};
    groth16_pk pk, pk2;
    groth16_vk vk;
    groth16_proof proof;
    if (test_circuit_build(&cs, &w, 700, 2, 2, 9, &err)) {
        CHECK(0, "%s", err.message);
        return;
    }
    CHECK(r1cs_write(&cs, "snark_groth16_unit.r1cs", &err) == 0, "%s", err.message);
    CHECK(wtns_write(w, cs.n_wires, "snark_groth16_unit.wtns", &err) == 0, "%s", err.message);
    test_malformed_files("snark_groth16_unit.r1cs", "snark_groth16_unit.wtns");
    test_r1cs_stream(&cs);
    test_read_rows("snark_groth16_unit.r1cs");
    CHECK(groth16_setup(&cs, &pk, &vk, 2, &err) == 0, "setup: %s", err.message);
    CHECK(pk_write(&pk, "snark_groth16_unit.key", &err) == 0, "%s", err.message);
    groth16_pk_free(&pk);
    CHECK(pk_read(&pk2, "snark_groth16_unit.key", &err) == 0, "pk_read: %s", err.message);
    CHECK(groth16_prove(&pk2, w, cs.n_wires, &proof, 2, &err) == 0, "prove: %s", err.message);
    CHECK(groth16_verify(&vk, w + 1, 4, &proof, &err) == 0, "verify: %s", err.message);
    /* The first proof dropped the key's pages as it went (groth16_pk_release):
     * a second one maps them again from the file and must verify too. */
    CHECK(groth16_prove(&pk2, w, cs.n_wires, &proof, 1, &err) == 0, "prove again: %s", err.message);
    CHECK(groth16_verify(&vk, w + 1, 4, &proof, &err) == 0, "verify again: %s", err.message);
    fr_add(&w[3], &w[3], &w[0]);
    CHECK(groth16_verify(&vk, w + 1, 4, &proof, &err) == ZKML_EREJECTED, "changed input passes");
    CHECK(groth16_prove(&pk2, w, cs.n_wires, &proof, 1, &err) == ZKML_EREJECTED &&
              strstr(err.message, "constraint 2 "),
          "bad witness: '%s'", err.message);
    CHECK(r1cs_check_witness(&cs, w, cs.n_wires, &err) == ZKML_EREJECTED &&
              strstr(err.message, "constraint 2 "),
          "check_witness: '%s'", err.message);
    /* a corrupted or truncated proving key is refused */
    size_t len;
    uint8_t *d = slurp("snark_groth16_unit.key", &len);
    d[len / 2] ^= 0x10;
    CHECK(pk_read(&pk, write_tmp("bad.key", d, len), &err) != 0, "corrupt key accepted");
    d[len / 2] ^= 0x10;
    CHECK(pk_read(&pk, write_tmp("short.key", d, len - 8), &err) != 0, "short key accepted");
    CHECK(pk_read(&pk, write_tmp("empty.key", d, 0), &err) != 0 && strstr(err.message, "too short"),
          "empty key: '%s'", err.message);
    d[0] = 'X';
    CHECK(pk_read(&pk, write_tmp("magic.key", d, len), &err) != 0 && strstr(err.message, "magic"),
          "bad magic key: '%s'", err.message);
    /* keys whose checksum holds (pk_write computes it) but whose coefficients
     * do not: a term's index past the table, a table that does not start
     * with 1, a coefficient >= r */
    uint32_t at0 = pk2.m[1].coeff_at[0];
    pk2.m[1].coeff_at[0] = pk2.coeffs.n;
    CHECK(pk_write(&pk2, "bad_at.key", &err) == 0 && pk_read(&pk, "bad_at.key", &err) != 0 &&
              strstr(err.message, "matrix 1: term 0 out of range"),
          "coefficient index past the table: '%s'", err.message);
    pk2.m[1].coeff_at[0] = at0;
    fr_t c0 = pk2.coeffs.v[0], c1 = pk2.coeffs.v[pk2.coeffs.n - 1];
    fr_add(&pk2.coeffs.v[0], &c0, &c0);
    CHECK(pk_write(&pk2, "bad_one.key", &err) == 0 && pk_read(&pk, "bad_one.key", &err) != 0 &&
              strstr(err.message, "the first coefficient is not 1"),
          "table without 1 first: '%s'", err.message);
    pk2.coeffs.v[0] = c0;
    memcpy(pk2.coeffs.v[pk2.coeffs.n - 1].v, FR_MODULUS.m, sizeof c1.v);
    CHECK(pk_write(&pk2, "bad_r.key", &err) == 0 && pk_read(&pk, "bad_r.key", &err) != 0 &&
              strstr(err.message, "out of range"),
          "coefficient r: '%s'", err.message);
    pk2.coeffs.v[pk2.coeffs.n - 1] = c1;
    /* the mapped key is copy-on-write: a write stays in this process (until
     * groth16_pk_release drops the page), the file is unchanged */
    pk2.h_query[0].infinity = 1;
    groth16_pk_free(&pk2);
    CHECK(pk_read(&pk2, "snark_groth16_unit.key", &err) == 0, "re-read: %s", err.message);
    free(d);
    groth16_pk_free(&pk2);
    groth16_vk_free(&vk);
    r1cs_free(&cs);
    free(w);
}

/* affine_sums against one Jacobian accumulator a sum, in G1 or G2 (jac a
 * buffer of jac_size bytes a point, aff of aff_size): sums of 0 to 16 points
 * and one of 20000 (past AFFINE_SUMS_LIMIT, flushed in the middle as the
 * setup does, keeping the last sum), the points given affine, negated,
 * Jacobian, through a slot written later or left empty, repeated (the
 * doubling case) and a sum whose points cancel (infinity handed out). */
typedef struct sums_case {
    const group_ops *g;
    int (*jac_eq)(const void *a, const void *b);
    void (*to_jac)(void *jac, const void *aff);
} sums_case;

typedef struct sums_seen {
    const sums_case *c;
    uint8_t *got; /* a Jacobian point a sum */
    uint8_t *handed;
} sums_seen;

static void record_sum(void *ctx, uint32_t sum, const void *point)
{
    sums_seen *seen = ctx;
    size_t js = seen->c->g->jac_size;
    CHECK(!seen->handed[sum], "affine_sums handed sum %u twice", sum);
    seen->handed[sum] = 1;
    seen->c->to_jac(seen->got + sum * js, point);
}

static void test_affine_sums(const sums_case *c, uint64_t seed)
{
    enum { SUMS = 3000, LONG_SUM = 1200, LONG_LEN = 20000 };
    const group_ops *g = c->g;
    size_t js = g->jac_size, as = g->aff_size;
    test_rng rng = {seed};
    uint8_t *want = calloc(SUMS, js), *at = malloc(js), *step = malloc(js);
    uint8_t *ap = malloc(as), *np = malloc(as);
    sums_seen seen = {c, calloc(SUMS, js), calloc(SUMS, 1)};
    affine_sums s;
    CHECK(affine_sums_init(&s, g) == 0, "affine_sums_init");
    g->jac_zero(at);
    /* the points: multiples of a random affine start, a step apart */
    void *gen = malloc(as);
    g->jac_zero(step);
    memset(gen, 0, as);
    if (g == &G1_OPS)
        g1_generator(gen);
    else
        g2_generator(gen);
    for (int i = 0; i < 7; i++)
        g->add_aff(step, gen, 0), g->dbl(step);
    g->add_aff(at, gen, 0);
    for (uint32_t sum = 0; sum < SUMS; sum++) {
        size_t len = sum == LONG_SUM ? LONG_LEN : sum == 7 ? 8 : test_rng_u64(&rng) % 17;
        g->jac_zero(want + sum * js);
        for (size_t i = 0; i < len; i++) {
            int kind = (int)(test_rng_u64(&rng) % 6), again = i % 3 == 2 && kind == 0;
            if (sum == 7) { /* P, -P, Q, -Q, ...: the sum cancels */
                kind = i % 2;
                again = i % 2;
            }
            if (!again)
                g->add(at, step);
            CHECK(g->batch_to_affine(ap, at, 1) == 0, "batch_to_affine");
            memcpy(np, ap, as);
            g->aff_neg(np);
            if (kind == 0) {
                CHECK(affine_sums_add(&s, sum, ap, 0) == 0, "add");
                g->add_aff(want + sum * js, ap, 0);
            } else if (kind == 1) {
                CHECK(affine_sums_add(&s, sum, ap, 1) == 0, "add negated");
                g->add_aff(want + sum * js, np, 0);
            } else if (kind == 2) {
                CHECK(affine_sums_add_jac(&s, sum, at) == 0, "add_jac");
                g->add(want + sum * js, at);
            } else if (kind == 3) { /* a slot written after others were added */
                size_t slot = affine_sums_count(&s);
                CHECK(affine_sums_slot(&s, sum) != NULL, "slot");
                CHECK(affine_sums_add(&s, sum, ap, 0) == 0, "add after slot");
                memcpy(affine_sums_at(&s, slot), ap, as);
                g->add_aff(want + sum * js, ap, 0);
                g->add_aff(want + sum * js, ap, 0);
            } else {
                CHECK(affine_sums_slot(&s, sum) != NULL, "slot left empty");
            }
            if (affine_sums_full(&s))
                CHECK(affine_sums_reduce(&s, record_sum, &seen, 1) == 0, "reduce keeping the last");
        }
    }
    CHECK(affine_sums_reduce(&s, record_sum, &seen, 0) == 0, "reduce");
    CHECK(affine_sums_count(&s) == 0, "the list is empty after a full reduce");
    for (uint32_t sum = 0; sum < SUMS; sum++) {
        uint8_t *got = seen.got + sum * js;
        if (!seen.handed[sum])
            g->jac_zero(got); /* a sum without points is infinity */
        CHECK(c->jac_eq(got, want + sum * js), "%s affine sum %u != Jacobian accumulator",
              g == &G1_OPS ? "G1" : "G2", sum);
    }
    CHECK(seen.handed[7], "the cancelling sum is handed out (as infinity)");
    affine_sums_free(&s);
    free(want), free(at), free(step), free(ap), free(np), free(gen);
    free(seen.got), free(seen.handed);
}

static int g1_jac_eq(const void *a, const void *b)
{
    return g1_eq(a, b);
}
static int g2_jac_eq(const void *a, const void *b)
{
    return g2_eq(a, b);
}
static void g1_to_jac_v(void *jac, const void *aff)
{
    g1_to_jac(jac, aff);
}
static void g2_to_jac_v(void *jac, const void *aff)
{
    g2_to_jac(jac, aff);
}

/* Both groups, on G1's IFMA path (where the CPU has it) and the portable one. */
static void test_affine_sums_paths(void)
{
    static const sums_case g1 = {&G1_OPS, g1_jac_eq, g1_to_jac_v};
    static const sums_case g2 = {&G2_OPS, g2_jac_eq, g2_to_jac_v};
    test_affine_sums(&g1, 5);
    test_affine_sums(&g2, 6);
    TEST_PORTABLE(test_affine_sums(&g1, 7));
}

/* Two tables of the same 3000 coefficients (small integers, as a model's
 * weights give) get the same indices, each value once, but hash them to
 * different slots: the hash is keyed per table, so a model cannot choose
 * weights that collide (coeff_table.c). */
static void test_coeff_dict(void)
{
    coeff_dict d[2];
    for (int k = 0; k < 2; k++) {
        CHECK(coeff_dict_init(&d[k]) == 0, "coeff_dict_init");
        for (int64_t i = -1500; i < 1500; i++) {
            fr_t c;
            uint32_t at, again;
            fr_from_i64(&c, i);
            CHECK(coeff_dict_add(&d[k], &c, &at) == 0 && coeff_dict_add(&d[k], &c, &again) == 0 &&
                      at == again && fr_eq(&d[k].t.v[at], &c),
                  "coefficient %lld", (long long)i);
        }
    }
    CHECK(d[0].t.n == 3000 && d[1].t.n == 3000 && !memcmp(d[0].t.v, d[1].t.v, 3000 * sizeof(fr_t)),
          "tables differ: %u, %u values", d[0].t.n, d[1].t.n);
    CHECK(d[0].mask == d[1].mask &&
              memcmp(d[0].slot, d[1].slot, (d[0].mask + 1) * sizeof *d[0].slot) != 0,
          "two tables hash alike: the hash is not keyed");
    coeff_dict_free(&d[0]);
    coeff_dict_free(&d[1]);
}

/* A version 2 key (fixtures/pk_v2: coefficients in place) is read, its
 * table made at loading: the proof verifies under the key's own verification
 * key, and so does one from the key written again as version 3. */
static void test_key_version_2(const char *dir)
{
    char path[3][512];
    const char *names[3] = {"proving.key", "witness.wtns", "verification_key.json"};
    for (int i = 0; i < 3; i++)
        snprintf(path[i], sizeof path[i], "%s/%s", dir, names[i]);
    groth16_pk pk, again;
    groth16_vk vk;
    groth16_proof proof;
    fr_t *w = NULL, one;
    size_t n = 0;
    zkml_error err = {0};
    fr_one(&one);
    CHECK(pk_read(&pk, path[0], &err) == 0 && wtns_read(&w, &n, path[1], &err) == 0 &&
              vk_json_read(&vk, path[2], &err) == 0,
          "version 2 key: %s", err.message);
    CHECK(pk.coeffs.n > 1 && fr_eq(&pk.coeffs.v[0], &one), "version 2 key: no table made");
    CHECK(groth16_prove(&pk, w, n, &proof, 2, &err) == 0 &&
              groth16_verify(&vk, w + 1, pk.n_public, &proof, &err) == 0,
          "version 2 key's proof: %s", err.message);
    CHECK(pk_write(&pk, "snark_groth16_v3.key", &err) == 0 &&
              pk_read(&again, "snark_groth16_v3.key", &err) == 0 &&
              groth16_prove(&again, w, n, &proof, 1, &err) == 0 &&
              groth16_verify(&vk, w + 1, pk.n_public, &proof, &err) == 0,
          "version 2 key written as version 3: %s", err.message);
    groth16_pk_free(&again);
    groth16_pk_free(&pk);
    groth16_vk_free(&vk);
    free(w);
}

int main(int argc, char **argv)
{
    test_builder();
    test_msm(1, 1);
    test_msm(40, 1);
    test_msm(300, 2);
    test_msm(2500, 3);
    static const size_t small_n[] = {0, 1, 3, 17, 40, 300, 1024};
    static const uint32_t small_bits[] = {1, 2, 3, 5, 8, 13, 22, 40, 62};
    for (size_t i = 0; i < sizeof small_n / sizeof small_n[0]; i++)
        for (size_t j = 0; j < sizeof small_bits / sizeof small_bits[0]; j++)
            test_msm_small(small_n[i], small_bits[j]);
    test_affine_sums_paths();
    test_msm_pool(30000, 1, 40, 0);
    test_msm_pool(30000, 2, 1, 0);
    test_msm_pool(20000, 3, 300, 0);
    test_msm_pool(5000, 2, 3, 1);
    test_msm_pool(12000, 1, 1, 1);
    test_msm_pool(12000, 2, 50, 1);
    test_msm_pool(30000, 2, 40, 1); /* G2 windows wide enough for the batched fold */
    test_fixed_base(3000, 3000, 2, 0);
    test_fixed_base(2100, (size_t)1 << 22, 1, 0); /* 16-bit windows, two batches */
    test_fixed_base(300, 300, 2, 1);
    test_fixed_base(40, (size_t)1 << 20, 2, 1);
    test_json_errors();
    test_writer();
    test_round_trip();
    test_coeff_dict();
    if (argc > 1)
        test_key_version_2(argv[1]);
    else
        CHECK(0, "usage: snark_groth16_unit FIXTURE_DIR (fixtures/pk_v2)");
    printf("%s\n", failures ? "FAILED" : "ok");
    return failures != 0;
}
