/*
 * ntt.c - iterative radix-2 (Cooley-Tukey, decimation in time) NTT.
 *
 * After the bit-reversal permutation, the first stages work on blocks
 * smaller than n/T: each thread finishes all of them on its own contiguous
 * chunk (cache friendly). The last log2(T) stages split the butterflies of
 * each stage evenly between threads.
 */
#include "pipeline/snark/ntt.h"
#include "pipeline/snark/parallel.h"

#include <stdlib.h>
#include <string.h>

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
    size_t half = d->n / 2 ? d->n / 2 : 1;
    d->roots = malloc(half * sizeof *d->roots);
    d->inv_roots = malloc(half * sizeof *d->inv_roots);
    if (!d->roots || !d->inv_roots) {
        ntt_domain_free(d);
        return zkml_fail(err, ZKML_ENOMEM, "out of memory for a domain of 2^%u points", log_n);
    }
    fr_t w, winv;
    fr_root_of_unity(&w, log_n);
    fr_inv(&winv, &w);
    fr_one(&d->roots[0]);
    fr_one(&d->inv_roots[0]);
    for (size_t j = 1; j < half; j++) {
        fr_mul(&d->roots[j], &d->roots[j - 1], &w);
        fr_mul(&d->inv_roots[j], &d->inv_roots[j - 1], &winv);
    }
    fr_from_u64(&d->n_inv, d->n);
    fr_inv(&d->n_inv, &d->n_inv);
    return 0;
}

void ntt_domain_free(ntt_domain *d)
{
    free(d->roots);
    free(d->inv_roots);
    memset(d, 0, sizeof *d);
}

static size_t bit_reverse(size_t x, uint32_t bits)
{
    size_t r = 0;
    for (uint32_t i = 0; i < bits; i++, x >>= 1)
        r = (r << 1) | (x & 1);
    return r;
}

typedef struct ntt_job {
    const ntt_domain *d;
    fr_t *a;
    const fr_t *roots;
    size_t chunk;          /* phase 1: block size each task finishes alone */
    size_t len;            /* phase 2: the stage's block length */
} ntt_job;

static void butterfly(fr_t *a, size_t i, size_t j, const fr_t *w)
{
    fr_t t;
    fr_mul(&t, &a[j], w);
    fr_sub(&a[j], &a[i], &t);
    fr_add(&a[i], &a[i], &t);
}

static void permute_task(void *p, int task, int n_tasks)
{
    ntt_job *job = p;
    size_t lo, hi;
    parallel_range(job->d->n, task, n_tasks, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        size_t k = bit_reverse(i, job->d->log_n);
        if (i < k) {
            fr_t t = job->a[i];
            job->a[i] = job->a[k];
            job->a[k] = t;
        }
    }
}

static void local_stages_task(void *p, int task, int n_tasks)
{
    ntt_job *job = p;
    size_t n = job->d->n;
    for (size_t base = (size_t)task * job->chunk; base < n; base += (size_t)n_tasks * job->chunk)
        for (size_t len = 2; len <= job->chunk; len <<= 1) {
            size_t half = len / 2, step = n / len;
            for (size_t blk = base; blk < base + job->chunk; blk += len)
                for (size_t j = 0; j < half; j++)
                    butterfly(job->a, blk + j, blk + j + half, &job->roots[j * step]);
        }
}

static void shared_stage_task(void *p, int task, int n_tasks)
{
    ntt_job *job = p;
    size_t n = job->d->n, half = job->len / 2, step = n / job->len;
    size_t lo, hi;
    parallel_range(n / 2, task, n_tasks, &lo, &hi);
    for (size_t k = lo; k < hi; k++) {
        size_t blk = (k / half) * job->len, j = k % half;
        butterfly(job->a, blk + j, blk + j + half, &job->roots[j * step]);
    }
}

static void ntt_run(const ntt_domain *d, fr_t *a, const fr_t *roots, int threads)
{
    size_t n = d->n;
    if (n < 2)
        return;
    int t = parallel_threads(threads);
    if (n < 4096)
        t = 1;
    while ((size_t)t > 1 && (n / (size_t)t) < 2)
        t--;
    size_t tpow = 1;                       /* largest power of two <= t */
    while (tpow * 2 <= (size_t)t)
        tpow *= 2;
    ntt_job job = { d, a, roots, n / tpow, 0 };
    parallel_run(t, permute_task, &job);
    parallel_run((int)tpow, local_stages_task, &job);
    for (job.len = job.chunk * 2; job.len <= n; job.len <<= 1)
        parallel_run(t, shared_stage_task, &job);
}

void ntt_forward(const ntt_domain *d, fr_t *a, int threads)
{
    ntt_run(d, a, d->roots, threads);
}

typedef struct scale_job {
    fr_t *a;
    size_t n;
    fr_t g;
    const fr_t *factor;   /* NULL: multiply by g^j; else by *factor */
} scale_job;

static void scale_task(void *p, int task, int n_tasks)
{
    scale_job *job = p;
    size_t lo, hi;
    parallel_range(job->n, task, n_tasks, &lo, &hi);
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

void ntt_inverse(const ntt_domain *d, fr_t *a, int threads)
{
    ntt_run(d, a, d->inv_roots, threads);
    scale_job job = { a, d->n, { {0} }, &d->n_inv };
    parallel_run(d->n < 4096 ? 1 : parallel_threads(threads), scale_task, &job);
}

void ntt_scale_powers(fr_t *a, size_t n, const fr_t *g, int threads)
{
    scale_job job = { a, n, *g, NULL };
    parallel_run(n < 4096 ? 1 : parallel_threads(threads), scale_task, &job);
}
