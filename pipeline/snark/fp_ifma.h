/*
 * fp_ifma.h - internal: sixteen elements of Fp at once with AVX-512 IFMA,
 * for glv_ifma.c and batch_ifma.c.
 *
 * An element is five 52-bit limbs, in Montgomery form with R = 2^260. A
 * value of type fpv holds FPV_LANES of them: limb i of lane 8 h + k is lane
 * k of vector l[i][h]. VPMADD52LUQ/HUQ add the low/high 52 bits of a
 * 52 x 52-bit product to a 64-bit lane, so a product's 25 partial products
 * and the reduction's 25 accumulate without carries: a lane holds at most 21
 * terms below 2^52 plus a carry, far below 2^64.
 *
 * Why two vectors per limb: one product's reduction is a chain of five
 * dependent rounds, and the batch formulas chain products too, so a single
 * vector leaves the multipliers idle; the two halves are independent, and
 * the core overlaps one's chain with the other's. Measured on an Intel
 * machine: a chain of products costs 2.5 ns an element that way against 6.5
 * with one vector (and ~13 ns for field.h's scalar product). A product does
 * one half, then the other: with both interleaved, the ten columns of each,
 * twenty registers, spilled (a doubling step's code read or wrote the stack
 * 923 times, 584 now; the CIFAR CNN's contribution 2.64-3.09 -> 2.41-2.54 s).
 *
 * Values are kept in [0, 2p) with every limb below 2^52 (the products read
 * only a limb's low 52 bits): a product of two such values is again below
 * 2p, since (a b + m p) / R < (4 p^2 + R p) / R < 2p for 4p < R = 2^260;
 * sums and differences subtract 2p when they reach it. fpv_reduce brings a
 * value to [0, p) for comparisons and output.
 *
 * The functions carry the target attribute, so the file compiles without
 * -mavx512ifma; callers check the CPU first (fp_ifma_usable), and their own
 * functions that hold vectors need FPV_FN.
 */
#ifndef ZKML_SNARK_FP_IFMA_H
#define ZKML_SNARK_FP_IFMA_H

/* 1 when the vectors may run: the CPU has AVX-512F and IFMA, this build has
 * the code (gcc on x86-64), and ZKML_IFMA is not "0" (the tests and the
 * benchmarks compare both paths in one binary). Makes the constants once. */
int fp_ifma_usable(void);

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define FP_IFMA_BUILT 1

#include "pipeline/snark/snark.h"

#include <immintrin.h>
#include <stdint.h>

#define FPV_INLINE __attribute__((target("avx512f,avx512ifma"), always_inline)) static inline
#define FPV_FN __attribute__((target("avx512f,avx512ifma"))) static
#define FPV_MASK52 0xfffffffffffffULL

enum { FPV_HALVES = 2, FPV_LANES = 8 * FPV_HALVES };

typedef struct fpv {
    __m512i l[5][FPV_HALVES];
} fpv;

/* One bit per lane. */
typedef uint16_t fpv_mask;

/* A modulus's constants, in 52-bit limbs (fp_ifma_usable fills them once):
 * FPV for Fp, what every function below works in; FRV for Fr, the NTT's
 * products (fpv_mul_mod) and sums (ntt.c). */
typedef struct fpv_consts {
    uint64_t p[5], p2[5];  /* p, 2p */
    uint64_t p_inv;        /* -p^-1 mod 2^52 */
    uint64_t to_mont[5];   /* 2^264 mod p: a field.h value (x 2^256) times it is x 2^260 */
    uint64_t from_mont[5]; /* 2^256 mod p: x 2^260 times it is x 2^256, field.h's form */
    uint64_t one[5];       /* 2^260 mod p */
} fpv_consts;

extern fpv_consts FPV, FRV;

FPV_INLINE __m512i fpv_bcast(uint64_t v)
{
    return _mm512_set1_epi64((long long)v);
}

FPV_INLINE void fpv_set(fpv *r, const uint64_t limbs[5])
{
    for (int i = 0; i < 5; i++)
        for (int h = 0; h < FPV_HALVES; h++)
            r->l[i][h] = fpv_bcast(limbs[i]);
}

/* Carries of t (signed lanes) into 52-bit limbs; the top limb keeps the rest. */
FPV_INLINE void fpv_carry(__m512i t[5][FPV_HALVES])
{
    const __m512i mask = fpv_bcast(FPV_MASK52);
#pragma GCC unroll 4
    for (int i = 0; i < 4; i++)
#pragma GCC unroll 2
        for (int h = 0; h < FPV_HALVES; h++) {
            t[i + 1][h] = _mm512_add_epi64(t[i + 1][h], _mm512_srai_epi64(t[i][h], 52));
            t[i][h] = _mm512_and_si512(t[i][h], mask);
        }
}

/* t - q where that is not negative, else t; t and q normalized, t < 2q. */
FPV_INLINE void fpv_sub_if_above(__m512i t[5][FPV_HALVES], const uint64_t q[5])
{
    const __m512i mask = fpv_bcast(FPV_MASK52);
    __m512i u[5][FPV_HALVES], borrow[FPV_HALVES];
#pragma GCC unroll 2
    for (int h = 0; h < FPV_HALVES; h++)
        borrow[h] = _mm512_setzero_si512();
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++)
#pragma GCC unroll 2
        for (int h = 0; h < FPV_HALVES; h++) {
            u[i][h] = _mm512_add_epi64(_mm512_sub_epi64(t[i][h], fpv_bcast(q[i])), borrow[h]);
            borrow[h] = _mm512_srai_epi64(u[i][h], 52);
            if (i < 4)
                u[i][h] = _mm512_and_si512(u[i][h], mask);
        }
#pragma GCC unroll 2
    for (int h = 0; h < FPV_HALVES; h++) {
        __mmask8 keep_u = _mm512_cmpge_epi64_mask(u[4][h], _mm512_setzero_si512());
#pragma GCC unroll 5
        for (int i = 0; i < 5; i++)
            t[i][h] = _mm512_mask_blend_epi64(keep_u, t[i][h], u[i][h]);
    }
}

FPV_INLINE void fpv_store_limbs(fpv *r, __m512i t[5][FPV_HALVES])
{
    for (int i = 0; i < 5; i++)
        for (int h = 0; h < FPV_HALVES; h++)
            r->l[i][h] = t[i][h];
}

/* a + b, or a - b as a + 2p - b (b below 2p), with normalized limbs but not
 * brought below 2p: for a product's input only, which may be up to 8p (the
 * bound above holds for 64 p^2 < R p). Saves the subtraction of 2p, a third
 * of a sum's work. */
FPV_INLINE void fpv_add_lazy(fpv *r, const fpv *a, const fpv *b)
{
    __m512i t[5][FPV_HALVES];
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++)
#pragma GCC unroll 2
        for (int h = 0; h < FPV_HALVES; h++)
            t[i][h] = _mm512_add_epi64(a->l[i][h], b->l[i][h]);
    fpv_carry(t);
    fpv_store_limbs(r, t);
}

/* a + m - b, normalized: the difference of values below m, made positive. */
FPV_INLINE void fpv_sub_plus(fpv *r, const fpv *a, const fpv *b, const uint64_t m[5])
{
    __m512i t[5][FPV_HALVES];
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++)
#pragma GCC unroll 2
        for (int h = 0; h < FPV_HALVES; h++)
            t[i][h] = _mm512_sub_epi64(_mm512_add_epi64(a->l[i][h], fpv_bcast(m[i])), b->l[i][h]);
    fpv_carry(t);
    fpv_store_limbs(r, t);
}

FPV_INLINE void fpv_sub_lazy(fpv *r, const fpv *a, const fpv *b)
{
    fpv_sub_plus(r, a, b, FPV.p2);
}

/* a + b and a - b in [0, 2p), for inputs below 2p. */
FPV_INLINE void fpv_add(fpv *r, const fpv *a, const fpv *b)
{
    fpv_add_lazy(r, a, b);
    fpv_sub_if_above(r->l, FPV.p2);
}

FPV_INLINE void fpv_sub(fpv *r, const fpv *a, const fpv *b)
{
    fpv_sub_lazy(r, a, b);
    fpv_sub_if_above(r->l, FPV.p2);
}

FPV_INLINE void fpv_neg(fpv *r, const fpv *a)
{
    fpv zero;
    for (int i = 0; i < 5; i++)
        for (int h = 0; h < FPV_HALVES; h++)
            zero.l[i][h] = _mm512_setzero_si512();
    fpv_sub(r, &zero, a);
}

/* One half's reduction, r = t / 2^260 mod q (in [0, 2q)) for its ten
 * columns: five rounds of Montgomery reduction, each clearing the low
 * column and carrying it into the next, then the carries of the top five. */
FPV_INLINE void fpv_reduce_half(fpv *r, int h, __m512i t[10], const fpv_consts *q)
{
    const __m512i p_inv = fpv_bcast(q->p_inv), zero = _mm512_setzero_si512();
    const __m512i mask = fpv_bcast(FPV_MASK52);
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++) {
        __m512i m = _mm512_madd52lo_epu64(zero, t[i], p_inv);
#pragma GCC unroll 5
        for (int j = 0; j < 5; j++) {
            t[i + j] = _mm512_madd52lo_epu64(t[i + j], m, fpv_bcast(q->p[j]));
            t[i + j + 1] = _mm512_madd52hi_epu64(t[i + j + 1], m, fpv_bcast(q->p[j]));
        }
        t[i + 1] = _mm512_add_epi64(t[i + 1], _mm512_srli_epi64(t[i], 52));
    }
#pragma GCC unroll 4
    for (int i = 5; i < 9; i++) {
        t[i + 1] = _mm512_add_epi64(t[i + 1], _mm512_srai_epi64(t[i], 52));
        t[i] = _mm512_and_si512(t[i], mask);
    }
#pragma GCC unroll 5
    for (int i = 0; i < 5; i++)
        r->l[i][h] = t[5 + i];
}

/* One half's ten columns of a product, cleared. */
FPV_INLINE void fpv_columns_clear(__m512i t[10])
{
#pragma GCC unroll 10
    for (int k = 0; k < 10; k++)
        t[k] = _mm512_setzero_si512();
}

/* Columns c and c + 1 of t += the low and the high 52 bits of x y. */
FPV_INLINE void fpv_madd(__m512i t[10], int c, __m512i x, __m512i y)
{
    t[c] = _mm512_madd52lo_epu64(t[c], x, y);
    t[c + 1] = _mm512_madd52hi_epu64(t[c + 1], x, y);
}

/* r = a b / 2^260 mod q (in [0, 2q)): the 25 partial products, then the
 * reduction, one half after the other (both at once needed more than the
 * 32 vector registers). r may alias a or b. */
FPV_INLINE void fpv_mul_mod(fpv *r, const fpv *a, const fpv *b, const fpv_consts *q)
{
#pragma GCC unroll 2
    for (int h = 0; h < FPV_HALVES; h++) {
        __m512i t[10];
        fpv_columns_clear(t);
#pragma GCC unroll 5
        for (int i = 0; i < 5; i++)
#pragma GCC unroll 5
            for (int j = 0; j < 5; j++)
                fpv_madd(t, i + j, a->l[j][h], b->l[i][h]);
        fpv_reduce_half(r, h, t, q);
    }
}

FPV_INLINE void fpv_mul(fpv *r, const fpv *a, const fpv *b)
{
    fpv_mul_mod(r, a, b, &FPV);
}

/* r = a^2 / 2^260 mod p, as fpv_mul(r, a, a) but with 15 partial products
 * instead of 25: each cross product a_i a_j (i < j) once, the columns
 * doubled, then the five squares. A column then holds at most 8 + 2 terms
 * below 2^52 before the reduction's. r may alias a. */
FPV_INLINE void fpv_sqr(fpv *r, const fpv *a)
{
#pragma GCC unroll 2
    for (int h = 0; h < FPV_HALVES; h++) {
        __m512i t[10];
        fpv_columns_clear(t);
#pragma GCC unroll 5
        for (int i = 0; i < 5; i++)
#pragma GCC unroll 4
            for (int j = i + 1; j < 5; j++)
                fpv_madd(t, i + j, a->l[i][h], a->l[j][h]);
#pragma GCC unroll 10
        for (int k = 0; k < 10; k++)
            t[k] = _mm512_add_epi64(t[k], t[k]);
#pragma GCC unroll 5
        for (int i = 0; i < 5; i++)
            fpv_madd(t, 2 * i, a->l[i][h], a->l[i][h]);
        fpv_reduce_half(r, h, t, &FPV);
    }
}

/* a in [0, p). */
FPV_INLINE void fpv_reduce(fpv *r, const fpv *a)
{
    __m512i t[5][FPV_HALVES];
    for (int i = 0; i < 5; i++)
        for (int h = 0; h < FPV_HALVES; h++)
            t[i][h] = a->l[i][h];
    fpv_sub_if_above(t, FPV.p);
    fpv_store_limbs(r, t);
}

/* The lanes in which a is 0 mod p. */
FPV_INLINE fpv_mask fpv_zero_lanes(const fpv *a)
{
    fpv t;
    fpv_mask m = 0;
    fpv_reduce(&t, a);
    for (int h = 0; h < FPV_HALVES; h++) {
        __m512i any = t.l[0][h];
        for (int i = 1; i < 5; i++)
            any = _mm512_or_si512(any, t.l[i][h]);
        m |= (fpv_mask)(_mm512_cmpeq_epi64_mask(any, _mm512_setzero_si512()) << (8 * h));
    }
    return m;
}

/* a in the lanes of mask, b in the others. */
FPV_INLINE void fpv_select(fpv *r, fpv_mask mask, const fpv *a, const fpv *b)
{
    for (int h = 0; h < FPV_HALVES; h++)
        for (int i = 0; i < 5; i++)
            r->l[i][h] =
                _mm512_mask_blend_epi64((__mmask8)(mask >> (8 * h)), b->l[i][h], a->l[i][h]);
}

/* Lanes from and to field.h's form (four 64-bit limbs, x 2^256, below p). */
FPV_INLINE void fpv_load(fpv *r, const uint64_t *const v[FPV_LANES])
{
    uint64_t l[5][FPV_LANES] __attribute__((aligned(64)));
    for (int k = 0; k < FPV_LANES; k++) {
        const uint64_t *a = v[k];
        l[0][k] = a[0] & FPV_MASK52;
        l[1][k] = (a[0] >> 52 | a[1] << 12) & FPV_MASK52;
        l[2][k] = (a[1] >> 40 | a[2] << 24) & FPV_MASK52;
        l[3][k] = (a[2] >> 28 | a[3] << 36) & FPV_MASK52;
        l[4][k] = a[3] >> 16;
    }
    fpv to;
    for (int i = 0; i < 5; i++)
        for (int h = 0; h < FPV_HALVES; h++)
            r->l[i][h] = _mm512_load_si512(&l[i][8 * h]);
    fpv_set(&to, FPV.to_mont);
    fpv_mul(r, r, &to);
}

FPV_INLINE void fpv_store(uint64_t *const v[FPV_LANES], const fpv *a)
{
    uint64_t l[5][FPV_LANES] __attribute__((aligned(64)));
    fpv t, from;
    fpv_set(&from, FPV.from_mont);
    fpv_mul(&t, a, &from);
    fpv_reduce(&t, &t);
    for (int i = 0; i < 5; i++)
        for (int h = 0; h < FPV_HALVES; h++)
            _mm512_store_si512(&l[i][8 * h], t.l[i][h]);
    for (int k = 0; k < FPV_LANES; k++) {
        uint64_t *o = v[k];
        o[0] = l[0][k] | l[1][k] << 52;
        o[1] = l[1][k] >> 12 | l[2][k] << 40;
        o[2] = l[2][k] >> 24 | l[3][k] << 28;
        o[3] = l[3][k] >> 36 | l[4][k] << 16;
    }
}

/* The 4 x 4 transpose of the 128-bit quarters of x[0..3]: quarter q of x[k]
 * becomes quarter k of x[q]. It is its own inverse. */
FPV_INLINE void fpv_transpose_quarters(__m512i x[4])
{
    const __m512i pair_lo = _mm512_setr_epi64(0, 1, 8, 9, 2, 3, 10, 11);
    const __m512i pair_hi = _mm512_setr_epi64(4, 5, 12, 13, 6, 7, 14, 15);
    const __m512i low = _mm512_setr_epi64(0, 1, 2, 3, 8, 9, 10, 11);
    const __m512i high = _mm512_setr_epi64(4, 5, 6, 7, 12, 13, 14, 15);
    __m512i p01 = _mm512_permutex2var_epi64(x[0], pair_lo, x[1]);
    __m512i p23 = _mm512_permutex2var_epi64(x[2], pair_lo, x[3]);
    __m512i q01 = _mm512_permutex2var_epi64(x[0], pair_hi, x[1]);
    __m512i q23 = _mm512_permutex2var_epi64(x[2], pair_hi, x[3]);
    x[0] = _mm512_permutex2var_epi64(p01, low, p23);
    x[1] = _mm512_permutex2var_epi64(p01, high, p23);
    x[2] = _mm512_permutex2var_epi64(q01, low, q23);
    x[3] = _mm512_permutex2var_epi64(q01, high, q23);
}

/* Sixteen consecutive values of four 64-bit limbs (field.h's fp_t or fr_t,
 * 512 bytes) into lanes 0..15 as they are, and back: no change of form, a
 * transpose by shuffles and the 52-bit split by shifts. The store wants
 * limbs below 2^52 and values below 2^256 (reduced ones). A 512-bit load
 * holds values 2k and 2k + 1; after the transpose, x[0] and x[1] hold words
 * 0, 1 and 2, 3 of the even values, x[2] and x[3] those of the odd ones. */
FPV_INLINE void fpv_from_words(fpv *r, const void *v)
{
    const __m512i mask = fpv_bcast(FPV_MASK52);
    const __m512i *in = v;
    for (int h = 0; h < FPV_HALVES; h++) {
        __m512i x[4];
        for (int k = 0; k < 4; k++)
            x[k] = _mm512_loadu_si512(in + 4 * h + k);
        fpv_transpose_quarters(x);
        __m512i w0 = _mm512_unpacklo_epi64(x[0], x[2]), w1 = _mm512_unpackhi_epi64(x[0], x[2]);
        __m512i w2 = _mm512_unpacklo_epi64(x[1], x[3]), w3 = _mm512_unpackhi_epi64(x[1], x[3]);
        r->l[0][h] = _mm512_and_si512(w0, mask);
        r->l[1][h] = _mm512_and_si512(
            _mm512_or_si512(_mm512_srli_epi64(w0, 52), _mm512_slli_epi64(w1, 12)), mask);
        r->l[2][h] = _mm512_and_si512(
            _mm512_or_si512(_mm512_srli_epi64(w1, 40), _mm512_slli_epi64(w2, 24)), mask);
        r->l[3][h] = _mm512_and_si512(
            _mm512_or_si512(_mm512_srli_epi64(w2, 28), _mm512_slli_epi64(w3, 36)), mask);
        r->l[4][h] = _mm512_srli_epi64(w3, 16);
    }
}

FPV_INLINE void fpv_to_words(void *v, const fpv *a)
{
    __m512i *out = v;
    for (int h = 0; h < FPV_HALVES; h++) {
        __m512i l0 = a->l[0][h], l1 = a->l[1][h], l2 = a->l[2][h], l3 = a->l[3][h];
        __m512i l4 = a->l[4][h];
        __m512i w0 = _mm512_or_si512(l0, _mm512_slli_epi64(l1, 52));
        __m512i w1 = _mm512_or_si512(_mm512_srli_epi64(l1, 12), _mm512_slli_epi64(l2, 40));
        __m512i w2 = _mm512_or_si512(_mm512_srli_epi64(l2, 24), _mm512_slli_epi64(l3, 28));
        __m512i w3 = _mm512_or_si512(_mm512_srli_epi64(l3, 36), _mm512_slli_epi64(l4, 16));
        __m512i x[4] = {_mm512_unpacklo_epi64(w0, w1), _mm512_unpacklo_epi64(w2, w3),
                        _mm512_unpackhi_epi64(w0, w1), _mm512_unpackhi_epi64(w2, w3)};
        fpv_transpose_quarters(x);
        for (int k = 0; k < 4; k++)
            _mm512_storeu_si512(out + 4 * h + k, x[k]);
    }
}

/* r = 1/a lane by lane (0 for 0): the sixteen lanes leave the vectors, share
 * one scalar inversion by Montgomery's trick (~50 products and fp_inv's
 * divsteps, modinv.c) and come back, cheaper than a vector exponentiation,
 * whose ~330 products are a chain of dependent ones. */
FPV_INLINE void fpv_inv(fpv *r, const fpv *a)
{
    fp_t v[FPV_LANES], before[FPV_LANES], acc, t;
    uint64_t *in[FPV_LANES];
    const uint64_t *back[FPV_LANES];
    for (int l = 0; l < FPV_LANES; l++) {
        in[l] = v[l].v;
        back[l] = v[l].v;
    }
    fpv_store(in, a);
    fp_one(&acc);
    for (int l = 0; l < FPV_LANES; l++) {
        before[l] = acc; /* the product of the non-zero lanes before l */
        if (!fp_is_zero(&v[l]))
            fp_mul(&acc, &acc, &v[l]);
    }
    fp_inv(&acc, &acc);
    for (int l = FPV_LANES - 1; l >= 0; l--) {
        if (fp_is_zero(&v[l]))
            continue;
        fp_mul(&t, &acc, &before[l]);
        fp_mul(&acc, &acc, &v[l]);
        v[l] = t;
    }
    fpv_load(r, back);
    zkml_wipe(v, sizeof v); /* a contribution's running products are secret-derived */
    zkml_wipe(before, sizeof before);
    zkml_wipe(&acc, sizeof acc);
}

/* inv[0] = 1/acc[0] and inv[1] = 1/acc[1] with one fpv_inv. Why two: a
 * chain of running products (Montgomery's trick) is a product that waits
 * for the one before, ~a hundred instructions each, more than the core
 * looks ahead; two chains, over the even and the odd vector values, keep it
 * busy (a contribution: 3.69 -> 3.57 s; four were no better). */
FPV_INLINE void fpv_inv_pair(fpv inv[2], const fpv acc[2])
{
    fpv both;
    fpv_mul(&both, &acc[0], &acc[1]);
    fpv_inv(&both, &both);
    fpv_mul(&inv[0], &both, &acc[1]);
    fpv_mul(&inv[1], &both, &acc[0]);
}

#endif
#endif
