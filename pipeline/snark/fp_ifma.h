/*
 * fp_ifma.h - internal: eight elements of Fp at once with AVX-512 IFMA, for
 * glv_ifma.c.
 *
 * An element is five 52-bit limbs, each in a 64-bit lane of its own vector
 * (lane l of limb i is bit 52 i.. of element l), in Montgomery form with
 * R = 2^260. VPMADD52LUQ/HUQ add the low/high 52 bits of a 52 x 52-bit
 * product to a 64-bit lane, so a product's 25 partial products and the
 * reduction's 25 accumulate without carries: each lane holds at most 21
 * terms below 2^52 plus a carry, far below 2^64. On the machines measured
 * here one vector product (eight elements) costs about what 1.3 scalar
 * products of field.h do.
 *
 * Values are kept in [0, 2p) with every limb below 2^52 (the products read
 * only a limb's low 52 bits): a product of two such values is again below
 * 2p, since (a b + m p) / R < (4 p^2 + R p) / R < 2p for 4p < R = 2^260;
 * sums and differences subtract 2p when they reach it. fp8_reduce brings a
 * value to [0, p) for comparisons and output.
 *
 * Functions carry the target attribute, so the file compiles without
 * -mavx512ifma; callers must check the CPU first (fp_ifma_usable), and
 * their own functions need FP8_FN.
 */
#ifndef ZKML_SNARK_FP_IFMA_H
#define ZKML_SNARK_FP_IFMA_H

/* 1 when the vectors may run: the CPU has AVX-512F and IFMA, this build has
 * the code (gcc on x86-64), and ZKML_IFMA is not "0" (the tests and the
 * benchmarks compare both paths in one binary). Makes the constants once. */
int fp_ifma_usable(void);

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FP_IFMA_BUILT 1

#include <immintrin.h>
#include <stdint.h>

#define FP8_TARGET __attribute__((target("avx512f,avx512ifma"), always_inline)) static inline
#define FP8_FN __attribute__((target("avx512f,avx512ifma"))) static
#define FP8_MASK52 0xfffffffffffffULL

typedef struct fp8 {
    __m512i l[5];
} fp8;

/* The constants, in 52-bit limbs (fp_ifma_constants fills them once). */
typedef struct fp8_consts {
    uint64_t p[5], p2[5];  /* p, 2p */
    uint64_t p_inv;        /* -p^-1 mod 2^52 */
    uint64_t to_mont[5];   /* 2^264 mod p: a field.h value (x 2^256) times it is x 2^260 */
    uint64_t from_mont[5]; /* 2^256 mod p: x 2^260 times it is x 2^256, field.h's form */
    uint64_t one[5];       /* 2^260 mod p */
    uint64_t exp[4];       /* p - 2, for inverses */
} fp8_consts;

extern fp8_consts FP8;

FP8_TARGET __m512i fp8_bcast(uint64_t v)
{
    return _mm512_set1_epi64((long long)v);
}

FP8_TARGET void fp8_set(fp8 *r, const uint64_t limbs[5])
{
    for (int i = 0; i < 5; i++)
        r->l[i] = fp8_bcast(limbs[i]);
}

/* Carries of t (signed lanes) into 52-bit limbs; the top limb keeps the rest. */
FP8_TARGET void fp8_carry(__m512i t[5])
{
    const __m512i mask = fp8_bcast(FP8_MASK52);
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++) {
        t[i + 1] = _mm512_add_epi64(t[i + 1], _mm512_srai_epi64(t[i], 52));
        t[i] = _mm512_and_si512(t[i], mask);
    }
}

/* t - q where that is not negative, else t; t and q normalized, t < 2q. */
FP8_TARGET void fp8_sub_if_above(__m512i t[5], const uint64_t q[5])
{
    const __m512i mask = fp8_bcast(FP8_MASK52);
    __m512i u[5], borrow = _mm512_setzero_si512();
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++) {
        u[i] = _mm512_add_epi64(_mm512_sub_epi64(t[i], fp8_bcast(q[i])), borrow);
        borrow = _mm512_srai_epi64(u[i], 52);
        if (i < 4)
            u[i] = _mm512_and_si512(u[i], mask);
    }
    __mmask8 keep_u = _mm512_cmpge_epi64_mask(u[4], _mm512_setzero_si512());
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++)
        t[i] = _mm512_mask_blend_epi64(keep_u, t[i], u[i]);
}

FP8_TARGET void fp8_add(fp8 *r, const fp8 *a, const fp8 *b)
{
    __m512i t[5];
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++)
        t[i] = _mm512_add_epi64(a->l[i], b->l[i]);
    fp8_carry(t);
    fp8_sub_if_above(t, FP8.p2);
    for (int i = 0; i < 5; i++)
        r->l[i] = t[i];
}

/* a - b as a + 2p - b, in (0, 4p) before the subtraction of 2p. */
FP8_TARGET void fp8_sub(fp8 *r, const fp8 *a, const fp8 *b)
{
    __m512i t[5];
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++)
        t[i] = _mm512_sub_epi64(_mm512_add_epi64(a->l[i], fp8_bcast(FP8.p2[i])), b->l[i]);
    fp8_carry(t);
    fp8_sub_if_above(t, FP8.p2);
    for (int i = 0; i < 5; i++)
        r->l[i] = t[i];
}

FP8_TARGET void fp8_neg(fp8 *r, const fp8 *a)
{
    fp8 zero;
    for (int i = 0; i < 5; i++)
        zero.l[i] = _mm512_setzero_si512();
    fp8_sub(r, &zero, a);
}

/* r = a b / 2^260 mod p (in [0, 2p)): the 25 partial products, then five
 * rounds of Montgomery reduction, each clearing the low limb and carrying
 * it into the next. r may alias a or b. */
FP8_TARGET void fp8_mul(fp8 *r, const fp8 *a, const fp8 *b)
{
    __m512i t[10], p[5];
    const __m512i p_inv = fp8_bcast(FP8.p_inv), zero = _mm512_setzero_si512();
#pragma GCC unroll 10
    for (int k = 0; k < 10; k++)
        t[k] = zero;
#pragma GCC unroll 5
    for (int k = 0; k < 5; k++)
        p[k] = fp8_bcast(FP8.p[k]);
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++) {
#pragma GCC unroll 5
        for (int j = 0; j < 5; j++) {
            t[i + j] = _mm512_madd52lo_epu64(t[i + j], a->l[j], b->l[i]);
            t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], a->l[j], b->l[i]);
        }
    }
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++) {
        __m512i m = _mm512_madd52lo_epu64(zero, t[i], p_inv);
#pragma GCC unroll 5
        for (int j = 0; j < 5; j++) {
            t[i + j] = _mm512_madd52lo_epu64(t[i + j], m, p[j]);
            t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], m, p[j]);
        }
        t[i + 1] = _mm512_add_epi64(t[i + 1], _mm512_srli_epi64(t[i], 52));
    }
    fp8_carry(t + 5);
    for (int i = 0; i < 5; i++)
        r->l[i] = t[i + 5];
}

/* a in [0, p). */
FP8_TARGET void fp8_reduce(fp8 *r, const fp8 *a)
{
    __m512i t[5];
    for (int i = 0; i < 5; i++)
        t[i] = a->l[i];
    fp8_sub_if_above(t, FP8.p);
    for (int i = 0; i < 5; i++)
        r->l[i] = t[i];
}

/* The lanes in which a is 0 mod p. */
FP8_TARGET __mmask8 fp8_zero_lanes(const fp8 *a)
{
    fp8 t;
    fp8_reduce(&t, a);
    __m512i any = t.l[0];
    for (int i = 1; i < 5; i++)
        any = _mm512_or_si512(any, t.l[i]);
    return _mm512_cmpeq_epi64_mask(any, _mm512_setzero_si512());
}

/* r = a^(p-2) = 1/a (0 for 0), four bits of the exponent at a time. */
FP8_TARGET void fp8_inv(fp8 *r, const fp8 *a)
{
    fp8 pow[16], acc;
    fp8_set(&pow[0], FP8.one);
    pow[1] = *a;
    for (int i = 2; i < 16; i++)
        fp8_mul(&pow[i], &pow[i - 1], a);
    fp8_set(&acc, FP8.one);
    for (int nib = 63; nib >= 0; nib--) {
        if (nib < 63)
            for (int s = 0; s < 4; s++)
                fp8_mul(&acc, &acc, &acc);
        unsigned d = (unsigned)(FP8.exp[nib / 16] >> (4 * (nib % 16))) & 15;
        if (d)
            fp8_mul(&acc, &acc, &pow[d]);
    }
    *r = acc;
}

/* Lanes from and to field.h's form (four 64-bit limbs, x 2^256, below p). */
FP8_TARGET void fp8_load(fp8 *r, const uint64_t *const v[8])
{
    uint64_t l[5][8] __attribute__((aligned(64)));
    for (int k = 0; k < 8; k++) {
        const uint64_t *a = v[k];
        l[0][k] = a[0] & FP8_MASK52;
        l[1][k] = (a[0] >> 52 | a[1] << 12) & FP8_MASK52;
        l[2][k] = (a[1] >> 40 | a[2] << 24) & FP8_MASK52;
        l[3][k] = (a[2] >> 28 | a[3] << 36) & FP8_MASK52;
        l[4][k] = a[3] >> 16;
    }
    fp8 to;
    for (int i = 0; i < 5; i++)
        r->l[i] = _mm512_load_si512(l[i]);
    fp8_set(&to, FP8.to_mont);
    fp8_mul(r, r, &to);
}

FP8_TARGET void fp8_store(uint64_t *const v[8], const fp8 *a)
{
    uint64_t l[5][8] __attribute__((aligned(64)));
    fp8 t, from;
    fp8_set(&from, FP8.from_mont);
    fp8_mul(&t, a, &from);
    fp8_reduce(&t, &t);
    for (int i = 0; i < 5; i++)
        _mm512_store_si512(l[i], t.l[i]);
    for (int k = 0; k < 8; k++) {
        uint64_t *o = v[k];
        o[0] = l[0][k] | l[1][k] << 52;
        o[1] = l[1][k] >> 12 | l[2][k] << 40;
        o[2] = l[2][k] >> 24 | l[3][k] << 28;
        o[3] = l[3][k] >> 36 | l[4][k] << 16;
    }
}

#endif
#endif
