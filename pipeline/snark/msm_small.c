/*
 * msm_small.c - sums of m_i P_i for small unsigned magnitudes (contract in
 * msm.h). The phase-2 key from a ptau is made of such sums: a wire's terms
 * are mostly weights, bits of range checks and powers of two, 1 to 22 bits
 * wide, and one wire may have a single term or hundreds of thousands (the
 * constant wire). Multiplying each point by its coefficient on its own costs
 * a chain of doublings per term; here all the terms of a sum share one.
 *
 * Unsigned c-bit windows over the magnitudes; each point goes to the bucket
 * of its digit in every window, the buckets being sums of an affine_sums
 * list that the caller fills for many sums at once (so the additions into
 * the buckets are batched affine ones, sixteen G1 pairs per vector value
 * with IFMA); each window's buckets are then folded by running sums (2
 * additions per bucket) and the windows combined by c doublings each
 * (Horner). With c = 1 this is one addition per set bit and one shared
 * doubling per bit (Straus); wider windows pay off when many terms share
 * the buckets. c is the width that needs the fewest additions for this n
 * and bit length.
 */
#include "pipeline/snark/msm.h"

#include <string.h>

/* Additions for width c: per window, one per nonzero digit (a fraction
 * 1 - 2^-c of them for random digits) and two per bucket in the fold; a
 * doubling counted as one addition. */
static uint32_t choose_width(size_t n, uint32_t bits)
{
    uint32_t best = 1;
    double best_cost = 0;
    for (uint32_t c = 1; c <= MSM_SMALL_MAX_C && c <= bits; c++) {
        uint32_t nwin = (bits + c - 1) / c;
        double buckets = (double)((1u << c) - 1);
        double cost = nwin * ((double)n * (buckets / (buckets + 1)) + 2 * buckets) + bits;
        if (c == 1 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

void msm_small_width(const uint64_t *m, size_t n, uint32_t *c, uint32_t *nwin)
{
    uint64_t all = 0;
    for (size_t i = 0; i < n; i++)
        all |= m[i];
    uint32_t bits = all ? 64 - (uint32_t)__builtin_clzll(all) : 0;
    *c = bits ? choose_width(n, bits) : 1;
    *nwin = (bits + *c - 1) / *c;
}

/* The bucket of point i's digit in window w, or 0 for none (digit 0, or a
 * point at infinity). */
static uint32_t bucket_of(const group_ops *g, const uint8_t *p, uint64_t m, uint32_t c, uint32_t w)
{
    uint32_t d = (uint32_t)(m >> (w * c) & ((1u << c) - 1));
    return d && !g->aff_is_inf(p) ? (w << c) + d : 0;
}

int msm_small_buckets(affine_sums *b, uint32_t id, const void *points, const uint64_t *m, size_t n,
                      uint32_t c, uint32_t nwin, uint32_t *order)
{
    const group_ops *g = b->g;
    const uint8_t *p = points;
    size_t keys = (size_t)nwin << c, as = g->aff_size;
    uint32_t *start = order, *sorted = order + keys + 1;
    memset(start, 0, (keys + 1) * sizeof *start);
    for (size_t i = 0; i < n; i++) /* a counting sort by bucket; none is bucket 0 */
        for (uint32_t w = 0; w < nwin; w++) {
            uint32_t k = bucket_of(g, p + i * as, m[i], c, w);
            if (k)
                start[k + 1]++;
        }
    for (size_t k = 1; k <= keys; k++)
        start[k] += start[k - 1];
    for (size_t i = 0; i < n; i++)
        for (uint32_t w = 0; w < nwin; w++) {
            uint32_t k = bucket_of(g, p + i * as, m[i], c, w);
            if (k)
                sorted[start[k]++] = (uint32_t)i;
        }
    for (size_t k = 1, j = start[0]; k < keys; k++) /* start[k] is now bucket k's end */
        for (; j < start[k]; j++)
            if (affine_sums_add(b, id + (uint32_t)k, p + sorted[j] * as, 0))
                return -1;
    return 0;
}

void msm_small_fold(const group_ops *g, void *r, const void *buckets, uint32_t c, uint32_t nwin,
                    void *scratch)
{
    size_t nb = (size_t)1 << c, as = g->aff_size;
    uint8_t *running = scratch, *sum = running + g->jac_size;
    g->jac_zero(r);
    for (uint32_t w = nwin; w-- > 0;) {
        for (uint32_t k = 0; k < c && w + 1 < nwin; k++)
            g->dbl(r);
        g->jac_zero(running);
        g->jac_zero(sum);
        for (size_t d = nb - 1; d >= 1; d--) {
            const uint8_t *bucket = (const uint8_t *)buckets + ((w << c) + d) * as;
            if (!g->aff_is_inf(bucket))
                g->add_aff(running, bucket, 0);
            g->add(sum, running);
        }
        g->add(r, sum);
    }
}

void msm_small_clear(const group_ops *g, void *buckets, size_t n)
{
    uint8_t *b = buckets;
    memset(b, 0, n * g->aff_size);
    for (size_t k = 0; k < n; k++)
        g->aff_set_inf(b + k * g->aff_size);
}
