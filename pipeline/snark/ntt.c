/*
 * ntt.c - iterative radix-2 NTTs: decimation in time (Cooley-Tukey) from
 * bit-reversed to natural order, decimation in frequency (Gentleman-Sande)
 * from natural to bit-reversed order.
 *
 * Stages on blocks no longer than n/T run on each thread's own contiguous
 * chunk, in cache-sized sub-blocks that go through all their stages while
 * they are in cache; the log2(T) stages on longer blocks split their
 * butterflies between threads. The coset transform chains DIF (inverse),
 * a scaling by n^-1 g^j in bit-reversed order, and DIT (forward), so it
 * needs no permutation at all.
 *
 * The inverse transforms (the DIF ones) read the forward twiddles backwards:
 * w_2h^-j = w_2h^(2h-j) = -w_2h^(h-j), so (x - y) w^-j = (y - x) w^(h-j), and
 * one table of n roots serves both directions (a 2^20 domain's second table
 * was 32 MiB of fresh memory and 2^19 chained products).
 */
#include "pipeline/snark/ntt.h"
#include "pipeline/snark/fp_ifma.h"
#include "pipeline/snark/hugemem.h"
#include "pipeline/snark/parallel.h"

#include <stdlib.h>
#include <string.h>

/* Stages whose blocks have this many pairs or more may run ntt_ifma_pairs;
 * the shorter ones run together on twice as many values at a time in
 * ntt_ifma_small_stages. */
#define NTT_VECTOR_HALF ((size_t)16)

/* w_28 = 5^((r-1)/2^28), see the interop notes. */
static const char OMEGA_28_DEC[] =
    "19103219067921713944291392827692070036145651957329286315305642004821462161904";

void fr_root_of_unity(fr_t *w, uint32_t log_n)
{
    fr_from_dec(w, OMEGA_28_DEC);
    for (uint32_t i = log_n; i < NTT_MAX_LOG; i++)
        fr_sqr(w, w);
}

int ntt_domain_init(ntt_domain *d, uint32_t log_n, zkml_error *err)
{
    memset(d, 0, sizeof *d);
    if (log_n > NTT_MAX_LOG)
        return zkml_fail(err, ZKML_EINVAL, "domain of 2^%u points exceeds the 2^28 of BN254",
                         log_n);
    d->log_n = log_n;
    d->n = (size_t)1 << log_n;
    size_t n = d->n;
    d->roots = huge_malloc(n * sizeof *d->roots);
    if (!d->roots)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory for a domain of 2^%u points", log_n);
    fr_t w;
    fr_root_of_unity(&w, log_n);
    fr_one(&d->roots[0]);
    size_t top = n / 2; /* the longest stage: w_n^j at top + j */
    d->vector = top >= NTT_VECTOR_HALF && fp_ifma_usable();
    if (top) /* 16 w_n^0 for the vector stages */
        fr_from_u64(&d->roots[top], d->vector ? 16 : 1);
    for (size_t j = 1; j < top; j++)
        fr_mul(&d->roots[top + j], &d->roots[top + j - 1], &w);
    for (size_t h = top / 2; h >= 1; h /= 2) /* w_2h^j = w_4h^(2j) */
        for (size_t j = 0; j < h; j++)
            d->roots[h + j] = d->roots[2 * h + 2 * j];
    if (d->vector) { /* the scalar stages' twiddles without the 16 */
        fr_t sixteenth;
        fr_from_u64(&sixteenth, 16);
        fr_inv(&sixteenth, &sixteenth);
        for (size_t i = 1; i < NTT_VECTOR_HALF; i++)
            fr_mul(&d->roots[i], &d->roots[i], &sixteenth);
    }
    fr_from_u64(&d->n_inv, d->n);
    fr_inv(&d->n_inv, &d->n_inv);
    return 0;
}

void ntt_domain_free(ntt_domain *d)
{
    free(d->roots);
    memset(d, 0, sizeof *d);
}

static size_t bit_reverse(size_t x, uint32_t bits)
{
    size_t r = 0;
    for (uint32_t i = 0; i < bits; i++, x >>= 1)
        r = (r << 1) | (x & 1);
    return r;
}

/* (x, y) -> (x + w y, x - w y). The calls into field.c measure faster here
 * than field.h's inline arithmetic (gcc spills the inlined words). */
static inline void butterfly_dit(fr_t *x, fr_t *y, const fr_t *w)
{
    fr_t t;
    fr_mul(&t, y, w);
    fr_sub(y, x, &t);
    fr_add(x, x, &t);
}

/* (x, y) -> (x + y, (y - x) w), that is (x + y, (x - y) w^-j) for w = w^(h-j) */
static inline void butterfly_dif(fr_t *x, fr_t *y, const fr_t *w)
{
    fr_t t;
    fr_sub(&t, y, x);
    fr_add(x, x, y);
    fr_mul(y, &t, w);
}

/* Pairs lo..hi-1 of a block whose halves are x and y, tw = w_2h^j at tw[j]:
 * DIT (x + w^j y, x - w^j y), or DIF (x + y, (x - y) w^-j) with w^-j read
 * backwards (pair 0 has w^0 = 1, which the table holds at tw[0] only). */
static void pairs(const ntt_domain *d, fr_t *x, fr_t *y, const fr_t *tw, size_t half, size_t lo,
                  size_t hi, int dif)
{
    if (d->vector && half >= NTT_VECTOR_HALF) {
        ntt_ifma_pairs(x, y, tw, half, lo, hi, dif);
        return;
    }
    if (!dif) {
        for (size_t j = lo; j < hi; j++)
            butterfly_dit(&x[j], &y[j], &tw[j]);
        return;
    }
    if (lo == 0 && hi > 0) {
        fr_t t;
        fr_sub(&t, &x[0], &y[0]);
        fr_add(&x[0], &x[0], &y[0]);
        y[0] = t;
        lo = 1;
    }
    for (size_t j = lo; j < hi; j++)
        butterfly_dif(&x[j], &y[j], &tw[half - j]);
}

/* Butterflies of one stage with blocks of len on a[base, base + size):
 * decimation in time (x + w y, x - w y) or in frequency (x + y, (x - y) w^-1),
 * w = w_len^j = roots[len/2 + j] for the j-th pair of a block. */
static void stage(const ntt_domain *d, fr_t *a, size_t base, size_t size, size_t len, int dif)
{
    size_t half = len / 2;
    const fr_t *tw = d->roots + half;
    if (len == 2) { /* w = 1: both kinds are (x + y, x - y) */
        for (size_t blk = base; blk < base + size; blk += 2) {
            fr_t t;
            fr_sub(&t, &a[blk], &a[blk + 1]);
            fr_add(&a[blk], &a[blk], &a[blk + 1]);
            a[blk + 1] = t;
        }
        return;
    }
    for (size_t blk = base; blk < base + size; blk += len)
        pairs(d, a + blk, a + blk + half, tw, half, 0, half, dif);
}

/* Blocks of this many elements (128 KiB) stay in the L2 cache through all
 * their stages. */
#define NTT_CACHE_BLOCK ((size_t)1 << 12)

typedef struct ntt_job {
    const ntt_domain *d;
    fr_t *a;
    int dif;
    size_t chunk; /* stages with blocks up to this length: one task per chunk */
    size_t len;   /* a stage with longer blocks: its butterflies split */
} ntt_job;

/* The stages with blocks up to cb long on a[sub, sub + cb): with the vector
 * path, the four shortest in one pass (ntt_ifma_small_stages). */
static void cache_block_stages(const ntt_domain *d, fr_t *a, size_t sub, size_t cb, int dif)
{
    int small = d->vector && cb % (2 * NTT_VECTOR_HALF) == 0;
    size_t first = small ? 2 * NTT_VECTOR_HALF : 2; /* the shortest block left to stage() */
    if (small && !dif)
        ntt_ifma_small_stages(a + sub, cb, d->roots, 0);
    for (size_t len = dif ? cb : first; len >= first && len <= cb; len = dif ? len / 2 : len * 2)
        stage(d, a, sub, cb, len, dif);
    if (small && dif)
        ntt_ifma_small_stages(a + sub, cb, d->roots, 1);
}

/* All stages with blocks up to job->chunk on the task's chunks, cache block by
 * cache block: DIT goes from short blocks up, DIF from long blocks down. */
static void local_stages_task(void *p, int task, int n_tasks)
{
    ntt_job *job = p;
    size_t n = job->d->n, chunk = job->chunk;
    size_t cb = chunk < NTT_CACHE_BLOCK ? chunk : NTT_CACHE_BLOCK;
    for (size_t base = (size_t)task * chunk; base < n; base += (size_t)n_tasks * chunk) {
        if (job->dif)
            for (size_t len = chunk; len > cb; len >>= 1)
                stage(job->d, job->a, base, chunk, len, 1);
        for (size_t sub = base; sub < base + chunk; sub += cb)
            cache_block_stages(job->d, job->a, sub, cb, job->dif);
        if (!job->dif)
            for (size_t len = cb * 2; len <= chunk; len <<= 1)
                stage(job->d, job->a, base, chunk, len, 0);
    }
}

/* One stage with blocks longer than a chunk: task i takes the i-th share of
 * the pairs of every block. */
static void shared_stage_task(void *p, int task, int n_tasks)
{
    ntt_job *job = p;
    size_t n = job->d->n, half = job->len / 2;
    const fr_t *tw = job->d->roots + half;
    size_t lo, hi, group = half >= NTT_VECTOR_HALF ? NTT_VECTOR_HALF : 1; /* divides half */
    parallel_range(half / group, task, n_tasks, &lo, &hi);
    lo *= group;
    hi *= group;
    for (size_t blk = 0; blk < n; blk += job->len)
        pairs(job->d, job->a + blk, job->a + blk + half, tw, half, lo, hi, job->dif);
}

/* The transform without any permutation: DIT takes bit-reversed input to
 * natural output, DIF natural input to bit-reversed output. */
static void ntt_run(const ntt_domain *d, fr_t *a, int dif, int threads)
{
    size_t n = d->n;
    if (n < 2)
        return;
    int t = parallel_threads(threads);
    if (n < 4096)
        t = 1;
    size_t tpow = 1; /* largest power of two <= t */
    while (tpow * 2 <= (size_t)t)
        tpow *= 2;
    ntt_job job = {d, a, dif, n / tpow, 0};
    if (!dif)
        parallel_run((int)tpow, local_stages_task, &job);
    if (dif)
        for (job.len = n; job.len > job.chunk; job.len >>= 1)
            parallel_run(t, shared_stage_task, &job);
    else
        for (job.len = job.chunk * 2; job.len <= n; job.len <<= 1)
            parallel_run(t, shared_stage_task, &job);
    if (dif)
        parallel_run((int)tpow, local_stages_task, &job);
}

typedef struct permute_job {
    fr_t *a;
    size_t n;
    uint32_t log_n;
} permute_job;

static void permute_task(void *p, int task, int n_tasks)
{
    permute_job *job = p;
    size_t lo, hi;
    parallel_range(job->n, task, n_tasks, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        size_t k = bit_reverse(i, job->log_n);
        if (i < k) {
            fr_t t = job->a[i];
            job->a[i] = job->a[k];
            job->a[k] = t;
        }
    }
}

static void bit_reverse_permute(const ntt_domain *d, fr_t *a, int threads)
{
    permute_job job = {a, d->n, d->log_n};
    parallel_run(d->n < 4096 ? 1 : parallel_threads(threads), permute_task, &job);
}

void ntt_forward(const ntt_domain *d, fr_t *a, int threads)
{
    bit_reverse_permute(d, a, threads);
    ntt_run(d, a, 0, threads);
}

typedef struct scale_job {
    fr_t *a;
    size_t n;
    fr_t g;
    const fr_t *factor; /* NULL: multiply by g^j; else by *factor */
    const fr_t *table;  /* else: multiply a[j] by table[j] */
} scale_job;

static void scale_task(void *p, int task, int n_tasks)
{
    scale_job *job = p;
    size_t lo, hi;
    parallel_range(job->n, task, n_tasks, &lo, &hi);
    if (job->table) {
        for (size_t i = lo; i < hi; i++)
            fr_mul(&job->a[i], &job->a[i], &job->table[i]);
        return;
    }
    if (job->factor) {
        for (size_t i = lo; i < hi; i++)
            fr_mul(&job->a[i], &job->a[i], job->factor);
        return;
    }
    fr_t gj;
    fr_pow_u64(&gj, &job->g, lo);
    for (size_t i = lo; i < hi; i++) {
        fr_mul(&job->a[i], &job->a[i], &gj);
        fr_mul(&gj, &gj, &job->g);
    }
}

static void scale(const scale_job *job, int threads)
{
    parallel_run(job->n < 4096 ? 1 : parallel_threads(threads), scale_task, (void *)job);
}

void ntt_inverse(const ntt_domain *d, fr_t *a, int threads)
{
    ntt_run(d, a, 1, threads);
    bit_reverse_permute(d, a, threads);
    scale(&(scale_job){a, d->n, {{0}}, &d->n_inv, NULL}, threads);
}

void ntt_scale_powers(fr_t *a, size_t n, const fr_t *g, int threads)
{
    scale(&(scale_job){a, n, *g, NULL, NULL}, threads);
}

typedef struct coset_job {
    const ntt_domain *d;
    fr_t g;
    fr_t *out;
} coset_job;

static void coset_factors_task(void *p, int task, int n_tasks)
{
    coset_job *job = p;
    size_t lo, hi;
    fr_t gj;
    parallel_range(job->d->n, task, n_tasks, &lo, &hi);
    fr_pow_u64(&gj, &job->g, lo);
    fr_mul(&gj, &gj, &job->d->n_inv);
    for (size_t j = lo; j < hi; j++) {
        job->out[bit_reverse(j, job->d->log_n)] = gj;
        fr_mul(&gj, &gj, &job->g);
    }
}

int ntt_coset_factors(fr_t **factors, const ntt_domain *d, const fr_t *g, int threads,
                      zkml_error *err)
{
    *factors = huge_malloc(d->n * sizeof **factors);
    if (!*factors)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory for a coset of 2^%u points", d->log_n);
    coset_job job = {d, *g, *factors};
    parallel_run(d->n < 4096 ? 1 : parallel_threads(threads), coset_factors_task, &job);
    return 0;
}

void ntt_to_coset(const ntt_domain *d, fr_t *a, const fr_t *factors, int threads)
{
    ntt_run(d, a, 1, threads); /* n * coefficients, bit-reversed */
    scale(&(scale_job){a, d->n, {{0}}, NULL, factors}, threads);
    ntt_run(d, a, 0, threads); /* evaluations on g * domain */
}
