/*
 * msm_small.c - sum of m_i P_i for small unsigned magnitudes (contract in
 * msm.h). The phase-2 key from a ptau is made of such sums: a wire's terms
 * are mostly weights, bits of range checks and powers of two, 1 to 22 bits
 * wide, and one wire may have a single term or hundreds of thousands (the
 * constant wire). Multiplying each point by its coefficient on its own costs
 * a chain of doublings per term; here all the terms of a sum share one.
 *
 * Unsigned c-bit windows over the magnitudes, Jacobian buckets filled by
 * mixed additions, each window's buckets folded by running sums (2 additions
 * per bucket) and the windows combined by c doublings each (Horner). With
 * c = 1 this is one addition per set bit and one shared doubling per bit
 * (Straus); wider windows pay off when many terms share the buckets. c is
 * the width that needs the fewest additions for this n and bit length.
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

/* One window: the terms' digit at bit offset `off` into the buckets, folded
 * into sum = sum of d * bucket[d]. scratch: the running sum, then bucket d at
 * point d. */
static void window_sum(const group_ops *g, void *sum, const uint8_t *p, const uint64_t *m,
                       size_t n, uint32_t off, uint32_t c, uint8_t *scratch)
{
    size_t nb = (size_t)1 << c, js = g->jac_size;
    uint8_t *bucket = scratch, *running = scratch;
    for (size_t b = 1; b < nb; b++)
        g->jac_zero(bucket + b * js);
    for (size_t i = 0; i < n; i++) {
        uint64_t d = m[i] >> off & (nb - 1);
        if (d)
            g->add_aff(bucket + d * js, p + i * g->aff_size, 0);
    }
    g->jac_zero(running);
    g->jac_zero(sum);
    for (size_t b = nb - 1; b >= 1; b--) {
        g->add(running, bucket + b * js);
        g->add(sum, running);
    }
}

void msm_small(const group_ops *g, void *r, const void *points, const uint64_t *m, size_t n,
               void *scratch)
{
    uint64_t all = 0;
    for (size_t i = 0; i < n; i++)
        all |= m[i];
    g->jac_zero(r);
    if (!all)
        return;
    uint32_t bits = 64 - (uint32_t)__builtin_clzll(all), c = choose_width(n, bits);
    uint32_t nwin = (bits + c - 1) / c;
    uint8_t *window = (uint8_t *)scratch + (MSM_SMALL_SCRATCH - 1) * g->jac_size;
    for (uint32_t w = nwin; w-- > 0;) {
        for (uint32_t k = 0; k < c && w + 1 < nwin; k++)
            g->dbl(r);
        window_sum(g, window, points, m, n, w * c, c, scratch);
        g->add(r, window);
    }
}
