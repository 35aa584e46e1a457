/*
 * msm.c - Pippenger MSM (contract in msm.h).
 *
 * Phases, each spread over the threads:
 *  1. scalars leave Montgomery form; zero scalars and points at infinity are
 *     dropped, points whose scalar is one are set apart and summed directly;
 *  2. every remaining scalar is cut into signed c-bit digits: a window value
 *     v (plus the carry from the window below) above 2^(c-1) becomes v - 2^c
 *     with a carry into the next window, so only 2^(c-1) buckets are needed
 *     and a negative digit adds -P; with nwin * c >= bits + 1 the top window
 *     never carries out;
 *  3. the threads take whole windows in turn (so no thread repeats another's
 *     bucket sums), sort the points of a window into buckets and fold the
 *     buckets into the window sum;
 *  4. the window sums are combined by doubling (Horner).
 * G1 buckets are affine and filled in batches sharing one inversion (about
 * 6 multiplications per addition against 11 for a mixed Jacobian one); G2
 * buckets are Jacobian. The group is reached through a small table of
 * operations elsewhere, so G1 and G2 share the phases.
 */
#include "pipeline/snark/msm.h"
#include "pipeline/snark/field.h"
#include "pipeline/snark/parallel.h"

#include <stdlib.h>
#include <string.h>

#define DIGIT_ZERO 0xffffu     /* a digit is (|d| - 1) << 1 | (d < 0), or this */
#define MSM_MAX_C 16
#ifndef MSM_BATCH_DIV
#define MSM_BATCH_DIV 2
#endif
#ifndef MSM_BATCH_MAX
#define MSM_BATCH_MAX 1024
#endif
#define MSM_BATCH_MIN_C 9      /* narrower G1 windows have too few buckets to batch */

typedef struct group_ops {
    size_t aff_size, jac_size;
    int batchable;                                         /* G1: affine buckets possible */
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

static const group_ops G1_OPS = { sizeof(g1_affine), sizeof(g1_jac), 1, g1_zero_op, g1_inf_op,
                                  g1_add_aff_op, g1_add_op, g1_dbl_op };
static const group_ops G2_OPS = { sizeof(g2_affine), sizeof(g2_jac), 0, g2_zero_op, g2_inf_op,
                                  g2_add_aff_op, g2_add_op, g2_dbl_op };

typedef struct msm_job {
    const group_ops *g;
    const uint8_t *points;
    const fr_t *scalars;
    size_t n;
    int tasks;
    uint64_t (*raw)[4];      /* n normal-form scalars, then the m kept ones packed */
    uint32_t *idx;           /* m point indices with a scalar other than 0 and 1 */
    uint32_t *ones;          /* n_ones point indices with scalar 1 */
    size_t m, n_ones;
    uint32_t c, nwin;
    int batched;             /* affine buckets added in batches */
    uint16_t *digits;        /* nwin rows of m digits */
    uint8_t *window_sums;    /* nwin Jacobian points */
    uint8_t *task_sums;      /* per task: the sum of its share of the ones */
    uint32_t next_window;    /* taken atomically by the window tasks */
    int failed;              /* set by a task that ran out of memory */
} msm_job;

static void job_free(msm_job *job)
{
    free(job->raw); free(job->idx); free(job->ones); free(job->digits);
    free(job->window_sums); free(job->task_sums);
}

static void fail_task(msm_job *job)
{
    __atomic_store_n(&job->failed, 1, __ATOMIC_RELAXED);
}

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

/* The window width minimising the work of the busiest thread: its windows
 * times (one bucket addition per point + the bucket sums, which cost about
 * `bucket_weight` additions per bucket). */
static uint32_t choose_window(size_t m, uint32_t bits, int tasks, double bucket_weight)
{
    uint32_t best = 1;
    double best_cost = 0;
    for (uint32_t c = 1; c <= MSM_MAX_C; c++) {
        uint32_t nwin = (bits + 1 + c - 1) / c;
        uint32_t per_task = (nwin + (uint32_t)tasks - 1) / (uint32_t)tasks;
        double cost = per_task * ((double)m + bucket_weight * (double)(1u << (c - 1)));
        if (c == 1 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

/* ---- phase 1: classify the scalars ------------------------------------------- */

static void to_raw_task(void *p, int task, int n_tasks)
{
    msm_job *job = p;
    size_t lo, hi;
    parallel_range(job->n, task, n_tasks, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        mont_to_raw(job->raw[i], job->scalars[i].v, &FR_MODULUS);
}

/* Packs the kept scalars to the front of raw; returns the bit length of the largest. */
static uint32_t classify(msm_job *job)
{
    uint64_t or_all[4] = {0};
    const group_ops *g = job->g;
    for (size_t i = 0; i < job->n; i++) {
        const uint64_t *v = job->raw[i];
        if (g->aff_is_inf(job->points + i * g->aff_size) || (v[0] | v[1] | v[2] | v[3]) == 0)
            continue;
        if (v[0] == 1 && (v[1] | v[2] | v[3]) == 0) {
            job->ones[job->n_ones++] = (uint32_t)i;
            continue;
        }
        for (int k = 0; k < 4; k++)
            or_all[k] |= v[k];
        memmove(job->raw[job->m], v, sizeof job->raw[0]);
        job->idx[job->m++] = (uint32_t)i;
    }
    return bit_length(or_all);
}

/* ---- phase 2: signed digits ---------------------------------------------------- */

static void digits_task(void *p, int task, int n_tasks)
{
    msm_job *job = p;
    const uint32_t c = job->c, half = 1u << (c - 1);
    size_t lo, hi;
    parallel_range(job->m, task, n_tasks, &lo, &hi);
    for (size_t j = lo; j < hi; j++) {
        uint32_t carry = 0;
        for (uint32_t w = 0; w < job->nwin; w++) {
            int32_t d = (int32_t)(scalar_bits(job->raw[j], w * c, c) + carry);
            carry = d > (int32_t)half;
            if (carry)
                d -= (int32_t)(1u << c);
            uint32_t magnitude = (uint32_t)(d > 0 ? d : -d);
            job->digits[(size_t)w * job->m + j] =
                (uint16_t)(d == 0 ? DIGIT_ZERO : (magnitude - 1) << 1 | (uint32_t)(d < 0));
        }
    }
}

/* ---- phase 3, G2 and small windows: Jacobian buckets ----------------------------- */

/* Additions put off to a later batch because their bucket was pending. */
typedef struct deferred {
    uint32_t *bucket;
    const g1_affine **point;
    uint8_t *negate;
    size_t len;
} deferred;

typedef struct window_scratch {
    uint8_t *buckets, *running;   /* Jacobian */
    g1_affine *abucket;           /* G1: affine buckets */
    const g1_affine **add_point;  /* G1 batch: the point added to each pending bucket */
    uint32_t *target;             /* G1 batch: the pending buckets */
    uint32_t *pending;            /* G1: per bucket, the batch it waits in */
    uint8_t *negate;
    fp_t *den;                    /* G1 batch: scratch of g1_batch_add_affine */
    g1_affine *lhs, *rhs;         /* G1 batch: bucket values and points added */
    size_t len, cap;
    uint32_t batch_no;
    deferred queue, retry;        /* G1: additions whose bucket was pending */
} window_scratch;

static void scratch_free(window_scratch *s)
{
    free(s->buckets); free(s->running); free(s->abucket); free(s->add_point);
    free(s->target); free(s->pending); free(s->negate);
    free(s->den); free(s->lhs); free(s->rhs);
    deferred *q[2] = { &s->queue, &s->retry };
    for (int i = 0; i < 2; i++) {
        free(q[i]->bucket); free(q[i]->point); free(q[i]->negate);
    }
}

/* The batch size: large enough to spread the inversion, small next to the
 * number of buckets so that few points find their bucket already pending. */
static int scratch_init(window_scratch *s, const group_ops *g, int batched, uint32_t half)
{
    memset(s, 0, sizeof *s);
    s->buckets = malloc((size_t)half * g->jac_size);
    s->running = malloc(2 * g->jac_size);
    if (!s->buckets || !s->running)
        return -1;
    if (!batched)
        return 0;
    s->cap = half / MSM_BATCH_DIV < MSM_BATCH_MAX ? half / MSM_BATCH_DIV : MSM_BATCH_MAX;
    s->cap = s->cap ? s->cap : 1;
    s->abucket = malloc((size_t)half * sizeof *s->abucket);
    s->pending = malloc((size_t)half * sizeof *s->pending);
    s->add_point = malloc(s->cap * sizeof *s->add_point);
    s->target = malloc(s->cap * sizeof *s->target);
    s->negate = malloc(s->cap);
    s->den = malloc(s->cap * sizeof *s->den);
    s->lhs = malloc(s->cap * sizeof *s->lhs);
    s->rhs = malloc(s->cap * sizeof *s->rhs);
    if (!s->abucket || !s->pending || !s->add_point || !s->target || !s->negate ||
        !s->den || !s->lhs || !s->rhs)
        return -1;
    deferred *q[2] = { &s->queue, &s->retry };
    for (int i = 0; i < 2; i++) {
        q[i]->bucket = malloc(s->cap * sizeof *q[i]->bucket);
        q[i]->point = malloc(s->cap * sizeof *q[i]->point);
        q[i]->negate = malloc(s->cap);
        if (!q[i]->bucket || !q[i]->point || !q[i]->negate)
            return -1;
    }
    return 0;
}

/* sum_b (b+1) * bucket[b] by running sums from the top bucket down, into out. */
static void fold_buckets(const group_ops *g, int batched, window_scratch *s, uint32_t half,
                         uint8_t *out)
{
    uint8_t *running = s->running, *window = s->running + g->jac_size;
    g->jac_zero(running);
    g->jac_zero(window);
    for (uint32_t b = half; b-- > 0;) {
        if (batched && !s->abucket[b].infinity)
            g1_add_affine((g1_jac *)running, (g1_jac *)running, &s->abucket[b]);
        g->add(running, s->buckets + b * g->jac_size);
        g->add(window, running);
    }
    memcpy(out, window, g->jac_size);
}

/* ---- phase 3, G1: affine buckets added in batches --------------------------------
 * A batch holds each bucket at most once (a point whose bucket is already
 * pending goes into that bucket's Jacobian twin instead, so no input, all
 * scalars equal say, can make batching degenerate). Buckets in a batch and
 * the points added are never at infinity. */

static void batch_flush(window_scratch *s)
{
    g1_affine *lhs = s->lhs, *rhs = s->rhs;
    for (size_t i = 0; i < s->len; i++) {
        lhs[i] = s->abucket[s->target[i]];
        rhs[i] = *s->add_point[i];
        if (s->negate[i])
            fp_neg(&rhs[i].y, &rhs[i].y);
    }
    g1_batch_add_affine(lhs, lhs, rhs, s->len, s->den);
    for (size_t i = 0; i < s->len; i++)
        s->abucket[s->target[i]] = lhs[i];
    s->len = 0;
    s->batch_no++;
}

/* bucket b += (negate ? -p : p): into the batch, or put off to a later batch
 * when b is pending (while the queue has room and may_defer), else into b's
 * Jacobian twin. The caller flushes a full batch. */
static void bucket_add(window_scratch *s, uint32_t b, const g1_affine *p, int negate,
                       int may_defer)
{
    g1_affine *bucket = &s->abucket[b];
    if (s->pending[b] == s->batch_no) {
        deferred *q = &s->queue;
        if (may_defer && q->len < s->cap) {
            q->bucket[q->len] = b;
            q->point[q->len] = p;
            q->negate[q->len++] = (uint8_t)negate;
        } else {
            g1_add_aff_op(s->buckets + b * sizeof(g1_jac), p, negate);
        }
    } else if (bucket->infinity) {
        *bucket = *p;
        if (negate)
            fp_neg(&bucket->y, &bucket->y);
    } else {
        s->add_point[s->len] = p;
        s->negate[s->len] = (uint8_t)negate;
        s->target[s->len++] = b;
        s->pending[b] = s->batch_no;
    }
}

/* Flushes the batch and retries the put-off additions, until the batch has
 * room again (last: flush everything, put-off ones that collide again go to
 * the Jacobian twins, so the end costs at most two more batches). */
static void batch_settle(window_scratch *s, int last)
{
    while (s->len == s->cap || (last && (s->len || s->queue.len))) {
        batch_flush(s);
        deferred t = s->retry;
        s->retry = s->queue;
        s->queue = t;
        s->queue.len = 0;
        for (size_t i = 0; i < s->retry.len; i++)
            bucket_add(s, s->retry.bucket[i], s->retry.point[i], s->retry.negate[i], !last);
        s->retry.len = 0;
        if (last && s->len)
            batch_flush(s);
    }
}

static void window_fill(const msm_job *job, window_scratch *s, uint32_t w)
{
    const group_ops *g = job->g;
    const uint32_t half = 1u << (job->c - 1);
    const uint16_t *digit = job->digits + (size_t)w * job->m;
    for (uint32_t b = 0; b < half; b++)
        g->jac_zero(s->buckets + b * g->jac_size);
    if (job->batched) {
        for (uint32_t b = 0; b < half; b++) {
            s->abucket[b].infinity = 1;
            s->pending[b] = UINT32_MAX;
        }
        s->batch_no = 0;
        s->len = 0;
        s->queue.len = 0;
    }
    for (size_t j = 0; j < job->m; j++) {
        uint16_t d = digit[j];
        if (d == DIGIT_ZERO)
            continue;
        const uint8_t *p = job->points + (size_t)job->idx[j] * g->aff_size;
        if (job->batched) {
            bucket_add(s, d >> 1, (const g1_affine *)p, d & 1, 1);
            if (s->len == s->cap)
                batch_settle(s, 0);
        } else
            g->add_aff(s->buckets + (size_t)(d >> 1) * g->jac_size, p, d & 1);
    }
    if (job->batched)
        batch_settle(s, 1);
}

static void windows_task(void *p, int task, int n_tasks)
{
    msm_job *job = p;
    const group_ops *g = job->g;
    const uint32_t half = 1u << (job->c - 1);
    window_scratch s;
    (void)task;
    (void)n_tasks;
    if (scratch_init(&s, g, job->batched, half)) {
        scratch_free(&s);
        fail_task(job);
        return;
    }
    for (;;) {
        uint32_t w = __atomic_fetch_add(&job->next_window, 1, __ATOMIC_RELAXED);
        if (w >= job->nwin)
            break;
        window_fill(job, &s, w);
        fold_buckets(g, job->batched, &s, half, job->window_sums + (size_t)w * g->jac_size);
    }
    scratch_free(&s);
}

/* ---- the points with scalar one ------------------------------------------------ */

static void ones_task(void *p, int task, int n_tasks)
{
    msm_job *job = p;
    const group_ops *g = job->g;
    uint8_t *out = job->task_sums + (size_t)task * g->jac_size;
    size_t lo, hi;
    parallel_range(job->n_ones, task, n_tasks, &lo, &hi);
    g->jac_zero(out);
    for (size_t i = lo; i < hi; i++)
        g->add_aff(out, job->points + (size_t)job->ones[i] * g->aff_size, 0);
}

/* ---- driver ------------------------------------------------------------------------ */

static int msm_prepare(msm_job *job)
{
    job->raw = malloc((job->n ? job->n : 1) * sizeof *job->raw);
    job->idx = malloc((job->n ? job->n : 1) * sizeof *job->idx);
    job->ones = malloc((job->n ? job->n : 1) * sizeof *job->ones);
    job->task_sums = malloc((size_t)job->tasks * job->g->jac_size);
    if (!job->raw || !job->idx || !job->ones || !job->task_sums)
        return -1;
    parallel_run(job->n < 4096 ? 1 : job->tasks, to_raw_task, job);
    uint32_t bits = classify(job);
    if (job->m == 0)
        return 0;
    job->c = choose_window(job->m, bits, job->tasks, job->g->batchable ? 4.0 : 2.4);
    job->batched = job->g->batchable && job->c >= MSM_BATCH_MIN_C;
    if (job->g->batchable && !job->batched)
        job->c = choose_window(job->m, bits, job->tasks, 2.4);
    job->nwin = (bits + 1 + job->c - 1) / job->c;
    job->digits = malloc((size_t)job->nwin * job->m * sizeof *job->digits);
    job->window_sums = malloc((size_t)job->nwin * job->g->jac_size);
    if (!job->digits || !job->window_sums)
        return -1;
    parallel_run(job->m < 4096 ? 1 : job->tasks, digits_task, job);
    return 0;
}

static int msm_run(const group_ops *g, void *out, const void *points, const fr_t *scalars,
                   size_t n, int threads, zkml_error *err)
{
    if (n > UINT32_MAX)
        return zkml_fail(err, ZKML_EINVAL, "MSM of %zu points is too large", n);
    msm_job job;
    memset(&job, 0, sizeof job);
    job.g = g;
    job.points = points;
    job.scalars = scalars;
    job.n = n;
    job.tasks = parallel_threads(threads);
    g->jac_zero(out);
    if (msm_prepare(&job)) {
        job_free(&job);
        return zkml_fail(err, ZKML_ENOMEM, "out of memory in an MSM of %zu points", n);
    }
    if (job.m) {
        int t = (int)job.nwin < job.tasks ? (int)job.nwin : job.tasks;
        parallel_run(job.m < 1024 ? 1 : t, windows_task, &job);
        for (uint32_t w = job.nwin; w-- > 0;) {      /* Horner: sum_w 2^(w c) window_w */
            for (uint32_t k = 0; k < job.c && w + 1 < job.nwin; k++)
                g->dbl(out);
            g->add(out, job.window_sums + (size_t)w * g->jac_size);
        }
    }
    int t = job.n_ones < 4096 ? 1 : job.tasks;
    parallel_run(t, ones_task, &job);
    for (int i = 0; i < t; i++)
        g->add(out, job.task_sums + (size_t)i * g->jac_size);
    job_free(&job);
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
