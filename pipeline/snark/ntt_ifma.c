/*
 * ntt_ifma.c - the NTT's butterflies sixteen pairs at a time with AVX-512
 * IFMA (fp_ifma.h, Fr's constants FRV), for the stages whose blocks have at
 * least sixteen pairs (contract in ntt.h).
 *
 * The values stay in field.h's form, x 2^256 in four 64-bit limbs: each
 * group of sixteen is only regrouped into 52-bit limbs and back
 * (fpv_from_words, fpv_to_words). The twiddles of these stages are kept as
 * 16 w (x 2^260 in field.h's terms, see ntt_domain_init), so the vector
 * product's division by 2^260 leaves y w x 2^256: no conversion per element.
 * Every output is brought below r, as field.h's values are.
 */
#include "pipeline/snark/ntt.h"

#include "pipeline/snark/fp_ifma.h"

#ifdef FP_IFMA_BUILT

/* a + b, and a - b as a + r - b, below r, for a, b below r. */
FPV_INLINE void frv_add(fpv *s, const fpv *a, const fpv *b)
{
    fpv_add_lazy(s, a, b);
    fpv_sub_if_above(s->l, FRV.p);
}

FPV_INLINE void frv_sub(fpv *d, const fpv *a, const fpv *b)
{
    fpv_sub_plus(d, a, b, FRV.p);
    fpv_sub_if_above(d->l, FRV.p);
}

/* a w below r, for a below r and w = 16 w' in field.h's form. */
FPV_INLINE void frv_twist(fpv *t, const fpv *a, const fpv *w)
{
    fpv_mul_mod(t, a, w, &FRV);
    fpv_sub_if_above(t->l, FRV.p);
}

/* The DIF twiddles of pairs j..j+15, by which y - x is multiplied: w^(h-j)
 * = -w^-j at tw[half - j], and -1 (scaled: -16) for j = 0. */
FPV_FN void dif_twiddles(fpv *w, const fr_t *tw, size_t half, size_t j)
{
    fr_t t[FPV_LANES];
    for (size_t k = 0; k < FPV_LANES; k++) {
        if (j + k == 0) {
            fr_from_u64(&t[0], 16);
            fr_neg(&t[0], &t[0]);
        } else {
            t[k] = tw[half - j - k];
        }
    }
    fpv_from_words(w, t);
}

FPV_FN void ifma_pairs(fr_t *x, fr_t *y, const fr_t *tw, size_t half, size_t lo, size_t hi, int dif)
{
    fpv a, b, w, t;
    for (size_t j = lo; j < hi; j += FPV_LANES) {
        fpv_from_words(&a, x + j);
        fpv_from_words(&b, y + j);
        if (dif) {
            dif_twiddles(&w, tw, half, j);
            frv_sub(&t, &b, &a);
            frv_add(&a, &a, &b);
            frv_twist(&b, &t, &w);
        } else {
            fpv_from_words(&w, tw + j);
            frv_twist(&t, &b, &w);
            frv_sub(&b, &a, &t);
            frv_add(&a, &a, &t);
        }
        fpv_to_words(x + j, &a);
        fpv_to_words(y + j, &b);
    }
}

void ntt_ifma_pairs(fr_t *x, fr_t *y, const fr_t *tw, size_t half, size_t lo, size_t hi, int dif)
{
    ZKML_VERIFY(lo % FPV_LANES == 0 && hi % FPV_LANES == 0);
    ifma_pairs(x, y, tw, half, lo, hi, dif);
}

/* ---- the stages of 1, 2, 4 and 8 pairs a block ---------------------------------
 *
 * Their pairs lie within a group of sixteen values, so all four run on two
 * groups (32 values) held in two vector values B0, B1, with one conversion
 * in and out for the four. A stage of half h splits each group's sixteen
 * lanes into its eight x (bit h of the lane clear) and eight y by
 * permutations across the group's two 512-bit halves: X holds B0's x in
 * lanes 0..7 and B1's in 8..15, Y likewise, and pair p's twiddle is the same
 * in lanes p and 8 + p. */
enum { SMALL_STAGES = 4 }; /* halves 1, 2, 4, 8 */

typedef struct small_stage {
    __m512i take_x, take_y;   /* a group's x and y lanes, in order */
    __m512i back_lo, back_hi; /* the group's halves again from its x and y */
    fpv tw;                   /* pair p's twiddle (16 w), lanes p and 8 + p */
} small_stage;

/* Lane k of a group with bit s of k removed: its rank among the x (or y). */
static size_t rank_without(size_t k, int s)
{
    return (k >> (s + 1)) << s | (k & (((size_t)1 << s) - 1));
}

/* Stage s (half 2^s): twiddles w_2h^j (DIT) or w_2h^-j = -w_2h^(h-j) (DIF,
 * 1 for j = 0) from the scalar stages' roots (roots[h + j] = w_2h^j, not
 * scaled), times 16. */
FPV_FN void small_stage_make(small_stage *st, int s, const fr_t *roots, int dif)
{
    size_t h = (size_t)1 << s;
    long long tx[8], ty[8], lo[8], hi[8];
    fr_t tw[FPV_LANES], sixteen;
    fr_from_u64(&sixteen, 16);
    for (size_t p = 0; p < 8; p++) {
        size_t k = (p >> s) << (s + 1) | (p & (h - 1)), j = k & (h - 1);
        tx[p] = (long long)k;
        ty[p] = (long long)(k | h);
        if (!dif) {
            fr_mul(&tw[p], &roots[h + j], &sixteen);
        } else if (j == 0) {
            tw[p] = sixteen;
        } else {
            fr_mul(&tw[p], &roots[h + h - j], &sixteen);
            fr_neg(&tw[p], &tw[p]);
        }
        tw[p + 8] = tw[p];
    }
    for (size_t k = 0; k < FPV_LANES; k++) {
        long long from = (long long)rank_without(k, s) + ((k & h) ? 8 : 0);
        if (k < 8)
            lo[k] = from;
        else
            hi[k - 8] = from;
    }
    st->take_x = _mm512_loadu_si512(tx);
    st->take_y = _mm512_loadu_si512(ty);
    st->back_lo = _mm512_loadu_si512(lo);
    st->back_hi = _mm512_loadu_si512(hi);
    fpv_from_words(&st->tw, tw);
}

/* X, Y from B0, B1 (the x and y of both groups), or back. */
FPV_INLINE void split_groups(fpv *x, fpv *y, const fpv *b0, const fpv *b1, const small_stage *st)
{
    for (int i = 0; i < 5; i++) {
        x->l[i][0] = _mm512_permutex2var_epi64(b0->l[i][0], st->take_x, b0->l[i][1]);
        x->l[i][1] = _mm512_permutex2var_epi64(b1->l[i][0], st->take_x, b1->l[i][1]);
        y->l[i][0] = _mm512_permutex2var_epi64(b0->l[i][0], st->take_y, b0->l[i][1]);
        y->l[i][1] = _mm512_permutex2var_epi64(b1->l[i][0], st->take_y, b1->l[i][1]);
    }
}

FPV_INLINE void join_groups(fpv *b0, fpv *b1, const fpv *x, const fpv *y, const small_stage *st)
{
    for (int i = 0; i < 5; i++) {
        b0->l[i][0] = _mm512_permutex2var_epi64(x->l[i][0], st->back_lo, y->l[i][0]);
        b0->l[i][1] = _mm512_permutex2var_epi64(x->l[i][0], st->back_hi, y->l[i][0]);
        b1->l[i][0] = _mm512_permutex2var_epi64(x->l[i][1], st->back_lo, y->l[i][1]);
        b1->l[i][1] = _mm512_permutex2var_epi64(x->l[i][1], st->back_hi, y->l[i][1]);
    }
}

FPV_FN void small_stages(fr_t *a, size_t len, const fr_t *roots, int dif)
{
    small_stage st[SMALL_STAGES];
    for (int s = 0; s < SMALL_STAGES; s++)
        small_stage_make(&st[s], s, roots, dif);
    for (size_t at = 0; at < len; at += 2 * FPV_LANES) {
        fpv b0, b1, x, y, t;
        fpv_from_words(&b0, a + at);
        fpv_from_words(&b1, a + at + FPV_LANES);
        for (int k = 0; k < SMALL_STAGES; k++) {
            const small_stage *sk = &st[dif ? SMALL_STAGES - 1 - k : k];
            split_groups(&x, &y, &b0, &b1, sk);
            if (dif) {
                frv_sub(&t, &x, &y);
                frv_add(&x, &x, &y);
                frv_twist(&y, &t, &sk->tw);
            } else {
                frv_twist(&t, &y, &sk->tw);
                frv_sub(&y, &x, &t);
                frv_add(&x, &x, &t);
            }
            join_groups(&b0, &b1, &x, &y, sk);
        }
        fpv_to_words(a + at, &b0);
        fpv_to_words(a + at + FPV_LANES, &b1);
    }
}

void ntt_ifma_small_stages(fr_t *a, size_t len, const fr_t *roots, int dif)
{
    ZKML_VERIFY(len % (2 * FPV_LANES) == 0);
    small_stages(a, len, roots, dif);
}

#else

void ntt_ifma_pairs(fr_t *x, fr_t *y, const fr_t *tw, size_t half, size_t lo, size_t hi, int dif)
{
    (void)x, (void)y, (void)tw, (void)half, (void)lo, (void)hi, (void)dif;
    ZKML_VERIFY(0);
}

void ntt_ifma_small_stages(fr_t *a, size_t len, const fr_t *roots, int dif)
{
    (void)a, (void)len, (void)roots, (void)dif;
    ZKML_VERIFY(0);
}

#endif
