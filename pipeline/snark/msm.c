/*
 * msm.c - Pippenger MSM (contract in msm.h).
 *
 * The group is reached through a small table of operations so that G1 and
 * G2 share one implementation; an indirect call costs nothing next to a
 * point addition. Signed digits: a window value v (plus the carry from the
 * window below) above 2^(c-1) becomes v - 2^c with a carry into the next
 * window, so only 2^(c-1) buckets are needed and a negative digit adds -P.
 * With nwin * c >= bits + 1 the top window never carries out.
 */
#include "pipeline/snark/msm.h"
#include "pipeline/snark/field.h"
#include "pipeline/snark/parallel.h"

#include <stdlib.h>
#include <string.h>

typedef struct group_ops {
    size_t aff_size, jac_size;
    void (*jac_zero)(void *r);
    int  (*aff_is_inf)(const void *p);
    void (*add_aff)(void *r, const void *p, int negate);   /* r += (negate ? -p : p) */
    void (*add)(void *r, const void *b);                   /* r += b */
    void (*dbl)(void *r);
} group_ops;

static void g1_zero_op(void *r) { memset(r, 0, sizeof(g1_jac)); }
static int g1_inf_op(const void *p) { return ((const g1_affine *)p)->infinity; }
static void g1_add_aff_op(void *r, const void *p, int negate)
{
    if (!negate) {
        g1_add_affine(r, r, p);
        return;
    }
    g1_affine q = *(const g1_affine *)p;
    fp_neg(&q.y, &q.y);
    g1_add_affine(r, r, &q);
}
static void g1_add_op(void *r, const void *b) { g1_add(r, r, b); }
static void g1_dbl_op(void *r) { g1_double(r, r); }

static void g2_zero_op(void *r) { memset(r, 0, sizeof(g2_jac)); }
static int g2_inf_op(const void *p) { return ((const g2_affine *)p)->infinity; }
static void g2_add_aff_op(void *r, const void *p, int negate)
{
    if (!negate) {
        g2_add_affine(r, r, p);
        return;
    }
    g2_affine q = *(const g2_affine *)p;
    fp2_neg(&q.y, &q.y);
    g2_add_affine(r, r, &q);
}
static void g2_add_op(void *r, const void *b) { g2_add(r, r, b); }
static void g2_dbl_op(void *r) { g2_double(r, r); }

static const group_ops G1_OPS = { sizeof(g1_affine), sizeof(g1_jac), g1_zero_op, g1_inf_op,
                                  g1_add_aff_op, g1_add_op, g1_dbl_op };
static const group_ops G2_OPS = { sizeof(g2_affine), sizeof(g2_jac), g2_zero_op, g2_inf_op,
                                  g2_add_aff_op, g2_add_op, g2_dbl_op };

typedef struct msm_job {
    const group_ops *g;
    const uint8_t *points;
    const fr_t *scalars;
    size_t n;
    uint8_t *results;        /* one jacobian point per task */
    int failed;              /* set by a task that ran out of memory */
} msm_job;

/* c bits of the normal-form scalar s starting at bit off (bits past 255 are 0). */
static uint32_t scalar_bits(const uint64_t s[4], uint32_t off, uint32_t c)
{
    uint32_t limb = off / 64, shift = off % 64;
    if (limb >= 4)
        return 0;
    uint64_t v = s[limb] >> shift;
    if (shift + c > 64 && limb + 1 < 4)
        v |= s[limb + 1] << (64 - shift);
    return (uint32_t)(v & ((1ULL << c) - 1));
}

static uint32_t bit_length(const uint64_t s[4])
{
    for (int i = 3; i >= 0; i--)
        if (s[i])
            return (uint32_t)(64 * i + 64 - __builtin_clzll(s[i]));
    return 0;
}

/* The window width minimising windows * (additions + bucket sums). */
static uint32_t choose_window(size_t m, uint32_t bits)
{
    uint32_t best = 1;
    double best_cost = 0;
    for (uint32_t c = 1; c <= 16; c++) {
        double cost = (double)((bits + 1 + c - 1) / c) * ((double)m + (double)(1u << c));
        if (c == 1 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

typedef struct msm_scratch {
    uint64_t (*scal)[4];
    uint32_t *idx;
    uint8_t *carry;
    uint8_t *buckets, *running, *sum, *window;
} msm_scratch;

static void scratch_free(msm_scratch *s)
{
    free(s->scal); free(s->idx); free(s->carry); free(s->buckets);
    free(s->running); free(s->sum); free(s->window);
}

/* Accumulates one window's digits into buckets and folds them into s->sum. */
static void window_pass(const msm_job *job, msm_scratch *s, size_t m, uint32_t w, uint32_t c,
                        size_t lo)
{
    const group_ops *g = job->g;
    const uint32_t half = 1u << (c - 1);
    for (uint32_t b = 0; b < half; b++)
        g->jac_zero(s->buckets + b * g->jac_size);
    for (size_t j = 0; j < m; j++) {
        int32_t d = (int32_t)(scalar_bits(s->scal[j], w * c, c) + s->carry[j]);
        s->carry[j] = d > (int32_t)half;
        if (s->carry[j])
            d -= (int32_t)(1u << c);
        if (d == 0)
            continue;
        const uint8_t *p = job->points + (lo + s->idx[j]) * g->aff_size;
        uint32_t b = (uint32_t)(d > 0 ? d : -d) - 1;
        g->add_aff(s->buckets + b * g->jac_size, p, d < 0);
    }
    /* sum_b (b+1) * bucket[b] by running sums from the top bucket down. */
    g->jac_zero(s->running);
    g->jac_zero(s->window);
    for (uint32_t b = half; b-- > 0;) {
        g->add(s->running, s->buckets + b * g->jac_size);
        g->add(s->window, s->running);
    }
}

static int msm_chunk(const msm_job *job, size_t lo, size_t hi, uint8_t *out)
{
    const group_ops *g = job->g;
    msm_scratch s = {0};
    size_t n = hi - lo, m = 0;
    uint64_t or_all[4] = {0};
    g->jac_zero(out);
    s.scal = malloc((n ? n : 1) * sizeof *s.scal);
    s.idx = malloc((n ? n : 1) * sizeof *s.idx);
    if (!s.scal || !s.idx)
        goto oom;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = job->points + (lo + i) * g->aff_size;
        uint64_t v[4];
        if (g->aff_is_inf(p))
            continue;
        mont_to_raw(v, job->scalars[lo + i].v, &FR_MODULUS);
        if ((v[0] | v[1] | v[2] | v[3]) == 0)
            continue;
        if (v[0] == 1 && (v[1] | v[2] | v[3]) == 0) {
            g->add_aff(out, p, 0);
            continue;
        }
        memcpy(s.scal[m], v, sizeof v);
        s.idx[m++] = (uint32_t)i;
        for (int k = 0; k < 4; k++)
            or_all[k] |= v[k];
    }
    if (m == 0) {
        scratch_free(&s);
        return 0;
    }
    uint32_t bits = bit_length(or_all), c = choose_window(m, bits);
    uint32_t nwin = (bits + 1 + c - 1) / c;
    s.carry = calloc(m, 1);
    s.buckets = malloc(((size_t)1 << (c - 1)) * g->jac_size);
    s.running = malloc(g->jac_size);
    s.window = malloc(g->jac_size);
    s.sum = malloc(g->jac_size * nwin);
    if (!s.carry || !s.buckets || !s.running || !s.window || !s.sum)
        goto oom;
    for (uint32_t w = 0; w < nwin; w++) {
        window_pass(job, &s, m, w, c, lo);
        memcpy(s.sum + w * g->jac_size, s.window, g->jac_size);
    }
    /* Horner over the windows: total = sum_w 2^(w*c) * window_w. */
    g->jac_zero(s.running);
    for (uint32_t w = nwin; w-- > 0;) {
        for (uint32_t k = 0; k < c && w + 1 < nwin; k++)
            g->dbl(s.running);
        g->add(s.running, s.sum + w * g->jac_size);
    }
    g->add(out, s.running);
    scratch_free(&s);
    return 0;
oom:
    scratch_free(&s);
    return -1;
}

static void msm_task(void *p, int task, int n_tasks)
{
    msm_job *job = p;
    size_t lo, hi;
    parallel_range(job->n, task, n_tasks, &lo, &hi);
    if (msm_chunk(job, lo, hi, job->results + (size_t)task * job->g->jac_size))
        __atomic_store_n(&job->failed, 1, __ATOMIC_RELAXED);
}

static int msm_run(const group_ops *g, void *out, const void *points, const fr_t *scalars,
                   size_t n, int threads, zkml_error *err)
{
    if (n > UINT32_MAX)
        return zkml_fail(err, ZKML_EINVAL, "MSM of %zu points is too large", n);
    int t = parallel_threads(threads);
    if ((size_t)t > n / 1024 + 1)
        t = (int)(n / 1024 + 1);
    msm_job job = { g, points, scalars, n, calloc((size_t)t, g->jac_size), 0 };
    if (!job.results)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory in an MSM of %zu points", n);
    parallel_run(t, msm_task, &job);
    g->jac_zero(out);
    for (int i = 0; i < t; i++)
        g->add(out, job.results + (size_t)i * g->jac_size);
    free(job.results);
    if (job.failed)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory in an MSM of %zu points", n);
    return 0;
}

int msm_g1(g1_jac *out, const g1_affine *points, const fr_t *scalars, size_t n, int threads,
           zkml_error *err)
{
    return msm_run(&G1_OPS, out, points, scalars, n, threads, err);
}

int msm_g2(g2_jac *out, const g2_affine *points, const fr_t *scalars, size_t n, int threads,
           zkml_error *err)
{
    return msm_run(&G2_OPS, out, points, scalars, n, threads, err);
}
