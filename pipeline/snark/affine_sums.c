/*
 * affine_sums.c - many short sums of points at once (contract in msm.h).
 *
 * A phase-2 key is a few sums per wire of a few points each (a bit's A sum:
 * its row's point and a power of two of another's). Added one by one into a
 * Jacobian accumulator, each point costs a mixed addition (~11 products) and
 * each sum a normalisation at the end (~7). Here a sum's points stay affine
 * and are added in pairs: a round pairs up the points of every sum (the odd
 * one out waits for the next round) and adds the pairs in batches that share
 * one inversion (group_ops.batch_add: ~6 products a pair, sixteen G1 pairs
 * per vector value with IFMA), until each sum has one point, affine already.
 * A sum of k points takes ceil(log2 k) rounds. A batch of 4096 pairs pays
 * a few percent for its inversion, and keeps the pairs and the vectors'
 * scratch at ~1 MB whatever the sums (the constant wire has one in most
 * rows).
 */
#include "pipeline/snark/msm.h"

#include <stdlib.h>
#include <string.h>

int affine_sums_init(affine_sums *s, const group_ops *g)
{
    memset(s, 0, sizeof *s);
    s->g = g;
    s->lhs = malloc(AFFINE_SUMS_BATCH * g->aff_size);
    s->rhs = malloc(AFFINE_SUMS_BATCH * g->aff_size);
    s->dest = malloc(AFFINE_SUMS_BATCH * sizeof *s->dest);
    s->scratch = malloc(g->batch_scratch(AFFINE_SUMS_BATCH));
    if (s->lhs && s->rhs && s->dest && s->scratch)
        return 0;
    affine_sums_free(s);
    return -1;
}

void affine_sums_free(affine_sums *s)
{
    free(s->p);
    free(s->sum);
    free(s->jac);
    free(s->jac_at);
    free(s->lhs);
    free(s->rhs);
    free(s->dest);
    free(s->scratch);
    const group_ops *g = s->g;
    memset(s, 0, sizeof *s);
    s->g = g;
}

void *affine_sums_slot(affine_sums *s, uint32_t sum)
{
    size_t cap = s->cap; /* the two arrays grow alike */
    if (zkml_array_grow((void **)&s->p, &cap, s->n + 1, s->g->aff_size) ||
        zkml_array_grow((void **)&s->sum, &s->cap, s->n + 1, sizeof *s->sum))
        return NULL;
    ZKML_VERIFY(s->n == 0 || s->sum[s->n - 1] <= sum);
    void *at = s->p + s->n * s->g->aff_size;
    memset(at, 0, s->g->aff_size);
    s->g->aff_set_inf(at);
    s->sum[s->n++] = sum;
    return at;
}

void *affine_sums_at(affine_sums *s, size_t i)
{
    return s->p + i * s->g->aff_size;
}

int affine_sums_add(affine_sums *s, uint32_t sum, const void *p, int negate)
{
    void *at = affine_sums_slot(s, sum);
    if (!at)
        return -1;
    memcpy(at, p, s->g->aff_size);
    if (negate)
        s->g->aff_neg(at);
    return 0;
}

int affine_sums_put_jac(affine_sums *s, size_t slot, const void *jac)
{
    size_t cap = s->cap_jac; /* the two arrays grow alike */
    if (zkml_array_grow((void **)&s->jac, &cap, s->n_jac + 1, s->g->jac_size) ||
        zkml_array_grow((void **)&s->jac_at, &s->cap_jac, s->n_jac + 1, sizeof *s->jac_at))
        return -1;
    memcpy(s->jac + s->n_jac * s->g->jac_size, jac, s->g->jac_size);
    s->jac_at[s->n_jac++] = slot;
    return 0;
}

int affine_sums_add_jac(affine_sums *s, uint32_t sum, const void *jac)
{
    size_t slot = s->n;
    return affine_sums_slot(s, sum) ? affine_sums_put_jac(s, slot, jac) : -1;
}

/* The waiting Jacobian points made affine, a batch at a time (one inversion
 * each), into their slots: 0, or -1 when out of memory. */
static int place_jacobian(affine_sums *s)
{
    size_t as = s->g->aff_size;
    for (size_t at = 0; at < s->n_jac; at += AFFINE_SUMS_BATCH) {
        size_t m = s->n_jac - at < AFFINE_SUMS_BATCH ? s->n_jac - at : AFFINE_SUMS_BATCH;
        if (s->g->batch_to_affine(s->lhs, s->jac + at * s->g->jac_size, m))
            return -1;
        for (size_t i = 0; i < m; i++)
            memcpy(s->p + s->jac_at[at + i] * as, s->lhs + i * as, as);
    }
    s->n_jac = 0;
    return 0;
}

/* Drops the points at infinity (slots left empty, sums that cancelled): they
 * add nothing, and a batch hands its infinities to a slower path. */
static void drop_infinity(affine_sums *s)
{
    size_t as = s->g->aff_size, w = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->g->aff_is_inf(s->p + i * as))
            continue;
        if (w != i)
            memcpy(s->p + w * as, s->p + i * as, as);
        s->sum[w++] = s->sum[i];
    }
    s->n = w;
}

/* The k pairs waiting in lhs and rhs added, each into its place. */
static void add_batch(affine_sums *s, size_t k)
{
    size_t as = s->g->aff_size;
    s->g->batch_add(s->lhs, s->rhs, k, s->scratch);
    for (size_t i = 0; i < k; i++)
        memcpy(s->p + s->dest[i] * as, s->lhs + i * as, as);
}

/* One round, rewriting the list in place: each sum of k points at b becomes
 * its ceil(k / 2) pair sums and odd point at w <= b. A pair is copied out
 * before anything is written over it (its place w is behind the reading),
 * its sum written back when its batch is added. Returns the pairs added. */
static size_t round_of_pairs(affine_sums *s)
{
    size_t as = s->g->aff_size, k = 0, w = 0, pairs = 0;
    for (size_t b = 0, e; b < s->n; b = e) {
        uint32_t sum = s->sum[b];
        for (e = b + 1; e < s->n && s->sum[e] == sum; e++)
            ;
        for (size_t i = b; i + 1 < e; i += 2) {
            memcpy(s->lhs + k * as, s->p + i * as, as);
            memcpy(s->rhs + k * as, s->p + (i + 1) * as, as);
            s->dest[k++] = w;
            s->sum[w++] = sum;
            if (k == AFFINE_SUMS_BATCH) {
                add_batch(s, k);
                pairs += k;
                k = 0;
            }
        }
        if ((e - b) % 2) {
            memmove(s->p + w * as, s->p + (e - 1) * as, as);
            s->sum[w++] = sum;
        }
    }
    add_batch(s, k);
    s->n = w;
    return pairs + k;
}

/* Each sum's points added into one. */
static int collapse(affine_sums *s)
{
    if (place_jacobian(s))
        return -1;
    drop_infinity(s);
    while (round_of_pairs(s))
        ;
    return 0;
}

int affine_sums_reduce(affine_sums *s, affine_sums_fn out, void *ctx, int keep_last)
{
    if (collapse(s))
        return -1;
    size_t as = s->g->aff_size, n = s->n && keep_last ? s->n - 1 : s->n;
    for (size_t i = 0; i < n; i++)
        out(ctx, s->sum[i], s->p + i * as);
    if (n < s->n) { /* the last sum, which may get more points */
        memcpy(s->p, s->p + n * as, as);
        s->sum[0] = s->sum[n];
    }
    s->n -= n;
    return 0;
}
