/*
 * field_dump.c - prints Fp and Fr results for seeded random and edge operands,
 * one "<field> <op> <operands...> <result>" line each, in decimal. The Python
 * script check_field.py recomputes every line with big integers, so this
 * program is only the half under test, never its own oracle. It also checks
 * the Montgomery constants for self-consistency and exits 1 if they are off.
 */
#include "pipeline/snark/field.h"
#include "tests/test_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static test_rng rng = {0x9e3779b97f4a7c15ULL};

/* A uniform-ish raw value below m (rejection on 254 bits). */
static void random_below(uint64_t r[4], const mont_modulus *q)
{
    do {
        for (int i = 0; i < 4; i++)
            r[i] = test_rng_u64(&rng);
        r[3] &= (1ULL << 62) - 1;
    } while (limbs_geq(r, q->m));
}

/* Edge operands: 0, 1, 2, m-1, m-2, then random. */
static void operand(uint64_t raw[4], int i, const mont_modulus *q)
{
    static const uint64_t small[3] = {0, 1, 2};
    memset(raw, 0, 32);
    if (i < 3) {
        raw[0] = small[i];
    } else if (i < 5) {
        uint64_t d[4] = {(uint64_t)(i - 2), 0, 0, 0};
        limbs_sub(raw, q->m, d);
    } else {
        random_below(raw, q);
    }
}

static int check_constants(const char *name, const mont_modulus *q)
{
    uint64_t t[4], one_raw[4];
    if (q->m[0] * q->neg_inv != UINT64_MAX) {
        fprintf(stderr, "%s: -m^-1 mod 2^64 is wrong\n", name);
        return -1;
    }
    mont_mul(t, q->r1, q->r1, q); /* R*R/R = R iff r1 = R mod m */
    if (memcmp(t, q->r1, 32) != 0 || mont_is_zero(q->r1)) {
        fprintf(stderr, "%s: R mod m is wrong\n", name);
        return -1;
    }
    mont_to_raw(one_raw, q->r2, q); /* R^2/R = R */
    if (memcmp(one_raw, q->r1, 32) != 0) {
        fprintf(stderr, "%s: R^2 mod m is wrong\n", name);
        return -1;
    }
    return 0;
}

/* The two implementations of the Montgomery product called directly, so the
 * portable C is checked even on CPUs where mont_mul picks the assembly:
 * "mul-portable" lines never touch the assembly (the conversion to a normal
 * value too is the portable product by 1), "mul-adx" lines appear only where
 * the CPU and compiler have the ADX path. */
static void dump_mul_paths(const char *field, const uint64_t a[4], const uint64_t b[4],
                           const char *a_s, const char *b_s, const mont_modulus *q)
{
    static const uint64_t one[4] = {1, 0, 0, 0};
    uint64_t prod[4], raw[4];
    char r_s[80];
    mont_mul_portable(prod, a, b, q);
    mont_mul_portable(raw, prod, one, q);
    limbs_to_dec(r_s, raw);
    printf("%s mul-portable %s %s %s\n", field, a_s, b_s, r_s);
    mont_mul_portable(prod, a, a, q);
    mont_mul_portable(raw, prod, one, q);
    limbs_to_dec(r_s, raw);
    printf("%s sqr-portable %s %s\n", field, a_s, r_s);
#if MONT_HAVE_ADX
    if (mont_cpu_has_adx()) {
        mont_mul_adx(prod, a, b, q->m, q->neg_inv);
        mont_mul_adx(raw, prod, one, q->m, q->neg_inv);
        limbs_to_dec(r_s, raw);
        printf("%s mul-adx %s %s %s\n", field, a_s, b_s, r_s);
    }
#endif
}

static void dump_fr(int count)
{
    char a_s[80], b_s[80], r_s[80];
    for (int i = 0; i < count; i++) {
        uint64_t ra[4], rb[4];
        fr_t a, b, r;
        operand(ra, i % 7 == 6 ? 5 : i, &FR_MODULUS);
        operand(rb, (i * 3 + 1) % 9 < 5 ? (i * 3 + 1) % 9 : 5, &FR_MODULUS);
        limbs_to_dec(a_s, ra);
        limbs_to_dec(b_s, rb);
        if (fr_from_dec(&a, a_s) || fr_from_dec(&b, b_s)) {
            printf("fr parse-failed %s %s\n", a_s, b_s);
            continue;
        }
        fr_add(&r, &a, &b);
        fr_to_dec(r_s, &r);
        printf("fr add %s %s %s\n", a_s, b_s, r_s);
        fr_sub(&r, &a, &b);
        fr_to_dec(r_s, &r);
        printf("fr sub %s %s %s\n", a_s, b_s, r_s);
        fr_mul(&r, &a, &b);
        fr_to_dec(r_s, &r);
        printf("fr mul %s %s %s\n", a_s, b_s, r_s);
        fr_sqr(&r, &a);
        fr_to_dec(r_s, &r);
        printf("fr sqr %s %s\n", a_s, r_s);
        dump_mul_paths("fr", a.v, b.v, a_s, b_s, &FR_MODULUS);
        fr_neg(&r, &a);
        fr_to_dec(r_s, &r);
        printf("fr neg %s %s\n", a_s, r_s);
        fr_inv(&r, &a);
        fr_to_dec(r_s, &r);
        printf("fr inv %s %s\n", a_s, r_s);
        uint64_t e = test_rng_u64(&rng) >> (i % 64);
        fr_pow_u64(&r, &a, e);
        fr_to_dec(r_s, &r);
        printf("fr pow %s %llu %s\n", a_s, (unsigned long long)e, r_s);
        int64_t v;
        if (fr_to_i64(&v, &a) == 0)
            printf("fr toi64 %s %lld\n", a_s, (long long)v);
        else
            printf("fr toi64 %s none\n", a_s);
        int64_t s = (int64_t)test_rng_u64(&rng) >> (i % 63);
        if (i == 0)
            s = INT64_MIN;
        if (i == 1)
            s = INT64_MAX;
        fr_from_i64(&r, s);
        fr_to_dec(r_s, &r);
        printf("fr fromi64 %lld %s\n", (long long)s, r_s);
        uint8_t bytes[32];
        fr_to_bytes_le(bytes, &a);
        printf("fr bytesle %s ", a_s);
        for (int k = 0; k < 32; k++)
            printf("%02x", bytes[k]);
        printf("\n");
    }
    /* Batch inversion with zeros in it. */
    fr_t batch[9];
    char in_s[9][80];
    for (int i = 0; i < 9; i++) {
        uint64_t raw[4];
        operand(raw, i % 3 == 0 ? 0 : 5 + i, &FR_MODULUS);
        limbs_to_dec(in_s[i], raw);
        fr_from_dec(&batch[i], in_s[i]);
    }
    if (fr_batch_inv(batch, 9) != 0) {
        printf("fr batchinv alloc-failed\n");
        return;
    }
    for (int i = 0; i < 9; i++) {
        fr_to_dec(r_s, &batch[i]);
        printf("fr inv %s %s\n", in_s[i], r_s);
    }
}

static void dump_fp(int count)
{
    char a_s[80], b_s[80], r_s[80];
    for (int i = 0; i < count; i++) {
        uint64_t ra[4], rb[4];
        fp_t a, b, r;
        operand(ra, i % 7 == 6 ? 5 : i, &FP_MODULUS);
        operand(rb, (i * 3 + 1) % 9 < 5 ? (i * 3 + 1) % 9 : 5, &FP_MODULUS);
        limbs_to_dec(a_s, ra);
        limbs_to_dec(b_s, rb);
        if (fp_from_dec(&a, a_s) || fp_from_dec(&b, b_s)) {
            printf("fp parse-failed %s %s\n", a_s, b_s);
            continue;
        }
        fp_add(&r, &a, &b);
        fp_to_dec(r_s, &r);
        printf("fp add %s %s %s\n", a_s, b_s, r_s);
        fp_sub(&r, &a, &b);
        fp_to_dec(r_s, &r);
        printf("fp sub %s %s %s\n", a_s, b_s, r_s);
        fp_mul(&r, &a, &b);
        fp_to_dec(r_s, &r);
        printf("fp mul %s %s %s\n", a_s, b_s, r_s);
        fp_sqr(&r, &a);
        fp_to_dec(r_s, &r);
        printf("fp sqr %s %s\n", a_s, r_s);
        dump_mul_paths("fp", a.v, b.v, a_s, b_s, &FP_MODULUS);
        fp_neg(&r, &a);
        fp_to_dec(r_s, &r);
        printf("fp neg %s %s\n", a_s, r_s);
        fp_inv(&r, &a);
        fp_to_dec(r_s, &r);
        printf("fp inv %s %s\n", a_s, r_s);
        if (fp_sqrt(&r, &a)) {
            fp_to_dec(r_s, &r);
            printf("fp sqrt %s %s\n", a_s, r_s);
        } else {
            printf("fp sqrt %s none\n", a_s);
        }
        uint8_t be[32], le[32];
        fp_to_bytes_be(be, &a);
        fp_to_bytes_le(le, &a);
        fp_t back;
        if (fp_from_bytes_be(&back, be) || !fp_eq(&back, &a) || fp_from_bytes_le(&back, le) ||
            !fp_eq(&back, &a))
            printf("fp bytes-roundtrip-failed %s\n", a_s);
        printf("fp bytesbe %s ", a_s);
        for (int k = 0; k < 32; k++)
            printf("%02x", be[k]);
        printf("\n");
    }
}

/* Values the parsers must refuse: m itself, m + 1, junk, empty, 2^256. */
static void dump_rejects(void)
{
    const char *bad[] = {
        "21888242871839275222246405745257275088548364400416034343698204186575808495617",
        "21888242871839275222246405745257275088548364400416034343698204186575808495618",
        "12a",
        "",
        "-1",
        " 1",
        "115792089237316195423570985008687907853269984665640564039457584007913129639936",
        "1157920892373161954235709850086879078532699846656405640394575840079131296399360",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fr_t r;
        printf("fr parse \"%s\" %s\n", bad[i], fr_from_dec(&r, bad[i]) == 0 ? "ok" : "rejected");
    }
    fp_t f;
    printf("fp parse p %s\n",
           fp_from_dec(
               &f,
               "21888242871839275222246405745257275088696311157297823662689037894645226208583") == 0
               ? "ok"
               : "rejected");
    uint8_t ff[32];
    memset(ff, 0xff, 32);
    fr_t r;
    printf("fr frombytesle ff.. %s\n", fr_from_bytes_le(&r, ff) == 0 ? "ok" : "rejected");
    printf("fp frombytesbe ff.. %s\n", fp_from_bytes_be(&f, ff) == 0 ? "ok" : "rejected");
}

int main(int argc, char **argv)
{
    int count = argc > 1 ? atoi(argv[1]) : 400;
    if (check_constants("Fp", &FP_MODULUS) || check_constants("Fr", &FR_MODULUS))
        return 1;
    dump_fr(count);
    dump_fp(count);
    dump_rejects();
    return 0;
}
