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
    for (int i = 0; i < 5; i++)
        for (int h = 0; h < FPV_HALVES; h++)
            s->l[i][h] = _mm512_add_epi64(a->l[i][h], b->l[i][h]);
    fpv_carry(s->l);
    fpv_sub_if_above(s->l, FRV.p);
}

FPV_INLINE void frv_sub(fpv *d, const fpv *a, const fpv *b)
{
    for (int i = 0; i < 5; i++)
        for (int h = 0; h < FPV_HALVES; h++)
            d->l[i][h] =
                _mm512_sub_epi64(_mm512_add_epi64(a->l[i][h], fpv_bcast(FRV.p[i])), b->l[i][h]);
    fpv_carry(d->l);
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

#else

void ntt_ifma_pairs(fr_t *x, fr_t *y, const fr_t *tw, size_t half, size_t lo, size_t hi, int dif)
{
    (void)x, (void)y, (void)tw, (void)half, (void)lo, (void)hi, (void)dif;
    ZKML_VERIFY(0);
}

#endif
