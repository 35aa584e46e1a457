/*
 * msm.c - Pippenger MSM (contract in msm.h).
 *
 * Phases, each spread over the threads:
 *  1. scalars leave Montgomery form (unless the caller gave them in normal
 *     form, as the prover does: one conversion for its four witness MSMs);
 *     zero scalars and points at infinity are
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
 * Buckets of wide windows are affine and filled in batches sharing one
 * inversion (about 6 multiplications per addition against 11 for a mixed
 * Jacobian one). The group is reached through a small table of operations,
 * so G1 and G2 share all of this.
 */
#include "pipeline/snark/msm.h"
#include "pipeline/snark/group_ops.h"
#include "pipeline/snark/field.h"
#include "pipeline/snark/hugemem.h"
#include "pipeline/snark/parallel.h"

#include <stdlib.h>
#include <string.h>

#define MSM_MAX_C 16
#define MSM_BATCH_DIV 2    /* a batch holds at most half the buckets ... */
#define MSM_BATCH_MAX 1024 /* ... and at most this many (measured best at 2^16) */
#define MSM_BATCH_MIN_C 9  /* narrower windows have too few buckets to batch */
#define NO_TWIN UINT32_MAX
#define MSM_PREFETCH 16       /* the bucket of the point this far ahead is prefetched */
#define FOLD_BLOCKS 256       /* running sums advanced side by side in the batched fold */
#define FOLD_BATCHED_MIN 1024 /* buckets; with fewer, the Jacobian fold costs less */

typedef struct msm_job {
    const group_ops *g;
    const uint8_t *points;
    const fr_t *scalars; /* Montgomery form, or NULL when given in normal form */
    size_t n;
    int tasks;
    const fr_t *normal; /* the n scalars in normal form: the caller's, or owned */
    fr_t *owned;        /* normal when msm_prepare converted the scalars */
    uint32_t *idx;      /* m point indices with a scalar other than 0 and 1 */
    uint32_t *ones;     /* n_ones point indices with scalar 1 */
    size_t m, n_ones;
    uint32_t c, nwin;
    int batched;          /* affine buckets added in batches */
    uint16_t *digits;     /* nwin rows of m digits */
    uint8_t *window_sums; /* nwin Jacobian points */
    uint8_t *task_sums;   /* per task: the sum of its share of the ones */
    uint32_t next_window; /* taken atomically by the window tasks */
    int failed;           /* set by a task that ran out of memory */
} msm_job;

static void job_free(msm_job *job)
{
    free(job->owned);
    free(job->idx);
    free(job->ones);
    free(job->digits);
    free(job->window_sums);
    free(job->task_sums);
}

static void fail_task(msm_job *job)
{
    __atomic_store_n(&job->failed, 1, __ATOMIC_RELAXED);
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
        mont_to_raw(job->owned[i].v, job->scalars[i].v, &FR_MODULUS);
}

/* Lists the kept scalars' indices (a point is read only when its scalar is
 * not zero); returns the bit length of the largest kept scalar. */
static uint32_t classify(msm_job *job)
{
    uint64_t or_all[4] = {0};
    const group_ops *g = job->g;
    for (size_t i = 0; i < job->n; i++) {
        const uint64_t *v = job->normal[i].v;
        if ((v[0] | v[1] | v[2] | v[3]) == 0 || g->aff_is_inf(job->points + i * g->aff_size))
            continue;
        if (v[0] == 1 && (v[1] | v[2] | v[3]) == 0) {
            job->ones[job->n_ones++] = (uint32_t)i;
            continue;
        }
        for (int k = 0; k < 4; k++)
            or_all[k] |= v[k];
        job->idx[job->m++] = (uint32_t)i;
    }
    return bit_length(or_all);
}

/* ---- phase 2: signed digits ---------------------------------------------------- */

static void digits_task(void *p, int task, int n_tasks)
{
    msm_job *job = p;
    size_t lo, hi;
    parallel_range(job->m, task, n_tasks, &lo, &hi);
    for (size_t j = lo; j < hi; j++)
        signed_digits(job->digits + j, job->m, job->normal[job->idx[j]].v, job->c, job->nwin);
}

/* ---- phase 3: buckets ---------------------------------------------------------------
 * Narrow windows use Jacobian buckets and mixed additions. Wider ones keep
 * each bucket affine and add into it in batches sharing one inversion
 * (group_ops.batch_add). A batch holds each bucket at most once: a point
 * whose bucket is already pending is put off to a later batch, or, once that
 * queue is full, added into the bucket's Jacobian twin, so no input (all
 * scalars equal, say) can make batching degenerate. */

/* Additions put off to a later batch because their bucket was pending. */
typedef struct deferred {
    uint32_t *bucket;
    const uint8_t **point;
    uint8_t *negate;
    size_t len;
} deferred;

typedef struct window_scratch {
    const group_ops *g;
    uint8_t *buckets, *running; /* Jacobian: the buckets (or the twins), two sums */
    uint8_t *abucket;           /* affine buckets */
    uint32_t *pending;          /* per bucket, the batch it waits in */
    uint32_t *twin_slot;        /* per bucket, its twin's slot in buckets, or NO_TWIN */
    uint32_t *twin_bucket;      /* per slot in use, its bucket */
    uint32_t n_twins;
    uint8_t *twin_aff;              /* the twins made affine, to merge them before the fold */
    uint8_t *block_run, *block_sum; /* the batched fold's FOLD_BLOCKS running sums */
    uint8_t *lhs, *rhs;             /* the batch: bucket values and the points added */
    uint32_t *target;               /* the batch: bucket indices */
    void *batch_scratch;            /* for batch_add */
    size_t len, cap;
    uint32_t batch_no;
    deferred queue, retry;
} window_scratch;

static void scratch_free(window_scratch *s)
{
    free(s->buckets);
    free(s->running);
    free(s->abucket);
    free(s->pending);
    free(s->twin_slot);
    free(s->twin_bucket);
    free(s->twin_aff);
    free(s->block_run);
    free(s->block_sum);
    free(s->lhs);
    free(s->rhs);
    free(s->target);
    free(s->batch_scratch);
    deferred *q[2] = {&s->queue, &s->retry};
    for (int i = 0; i < 2; i++) {
        free(q[i]->bucket);
        free(q[i]->point);
        free(q[i]->negate);
    }
}

/* The batch size: large enough to spread the inversion, small next to the
 * number of buckets so that few points find their bucket already pending. */
static int scratch_init(window_scratch *s, const group_ops *g, int batched, uint32_t half)
{
    memset(s, 0, sizeof *s);
    s->g = g;
    s->buckets = malloc((size_t)half * g->jac_size);
    s->running = malloc(2 * g->jac_size);
    if (!s->buckets || !s->running)
        return -1;
    if (!batched)
        return 0;
    s->cap = half / MSM_BATCH_DIV < MSM_BATCH_MAX ? half / MSM_BATCH_DIV : MSM_BATCH_MAX;
    s->cap = s->cap ? s->cap : 1;
    s->abucket = malloc((size_t)half * g->aff_size);
    s->pending = malloc((size_t)half * sizeof *s->pending);
    s->twin_slot = malloc((size_t)half * sizeof *s->twin_slot);
    s->twin_bucket = malloc((size_t)half * sizeof *s->twin_bucket);
    if (!s->twin_slot || !s->twin_bucket)
        return -1;
    if (half >= FOLD_BATCHED_MIN) {
        s->twin_aff = malloc((size_t)half * g->aff_size);
        s->block_run = malloc(FOLD_BLOCKS * g->aff_size);
        s->block_sum = malloc(FOLD_BLOCKS * g->aff_size);
        if (!s->twin_aff || !s->block_run || !s->block_sum)
            return -1;
    }
    for (uint32_t b = 0; b < half; b++)
        s->twin_slot[b] = NO_TWIN;
    s->lhs = malloc(s->cap * g->aff_size);
    s->rhs = malloc(s->cap * g->aff_size);
    s->target = malloc(s->cap * sizeof *s->target);
    s->batch_scratch = malloc(g->batch_scratch(s->cap));
    if (!s->abucket || !s->pending || !s->lhs || !s->rhs || !s->target || !s->batch_scratch)
        return -1;
    deferred *q[2] = {&s->queue, &s->retry};
    for (int i = 0; i < 2; i++) {
        q[i]->bucket = malloc(s->cap * sizeof *q[i]->bucket);
        q[i]->point = malloc(s->cap * sizeof *q[i]->point);
        q[i]->negate = malloc(s->cap);
        if (!q[i]->bucket || !q[i]->point || !q[i]->negate)
            return -1;
    }
    return 0;
}

/* A point copy: the size of a G1 point is spelled out so that the copy is
 * inlined instead of a library call (it runs three times per addition). */
static inline void point_copy(void *dst, const void *src, size_t size)
{
    if (size == sizeof(g1_affine))
        memcpy(dst, src, sizeof(g1_affine));
    else
        memcpy(dst, src, size);
}

static void twins_release(window_scratch *s)
{
    for (uint32_t i = 0; i < s->n_twins; i++)
        s->twin_slot[s->twin_bucket[i]] = NO_TWIN;
    s->n_twins = 0;
}

/* sum_b (b+1) * bucket[b] by running sums from the top bucket down, into
 * out, in Jacobian coordinates; batched, a bucket is its affine value plus
 * its twin if it has one. */
static void fold_jacobian(window_scratch *s, int batched, uint32_t half, uint8_t *out)
{
    const group_ops *g = s->g;
    uint8_t *running = s->running, *window = s->running + g->jac_size;
    g->jac_zero(running);
    g->jac_zero(window);
    for (uint32_t b = half; b-- > 0;) {
        if (!batched) {
            g->add(running, s->buckets + b * g->jac_size);
        } else {
            if (!g->aff_is_inf(s->abucket + b * g->aff_size))
                g->add_aff(running, s->abucket + b * g->aff_size, 0);
            if (s->twin_slot[b] != NO_TWIN)
                g->add(running, s->buckets + (size_t)s->twin_slot[b] * g->jac_size);
        }
        g->add(window, running);
    }
    memcpy(out, window, g->jac_size);
}

/* Adds every twin into its affine bucket (the twins made affine together,
 * then added in batches: their buckets are distinct). */
static int twins_merge(window_scratch *s)
{
    const group_ops *g = s->g;
    const size_t sz = g->aff_size;
    if (g->batch_to_affine(s->twin_aff, s->buckets, s->n_twins))
        return -1;
    for (size_t start = 0; start < s->n_twins; start += s->cap) {
        size_t len = s->n_twins - start < s->cap ? s->n_twins - start : s->cap;
        for (size_t i = 0; i < len; i++) {
            point_copy(s->lhs + i * sz, s->abucket + (size_t)s->twin_bucket[start + i] * sz, sz);
            point_copy(s->rhs + i * sz, s->twin_aff + (start + i) * sz, sz);
        }
        g->batch_add(s->lhs, s->rhs, len, s->batch_scratch);
        for (size_t i = 0; i < len; i++)
            point_copy(s->abucket + (size_t)s->twin_bucket[start + i] * sz, s->lhs + i * sz, sz);
    }
    return 0;
}

/* The same sum with affine running sums added in batches. The buckets are
 * cut into FOLD_BLOCKS blocks of L; block k keeps run_k (the sum of its
 * buckets from the top down to the current one) and sum_k (the sum of those
 * running sums), and every step advances all blocks in two batches, so
 * sum_k = sum_j (j+1) bucket[kL + j] and run_k = sum_j bucket[kL + j]. Then
 * the window is sum_k sum_k + L * sum_k k run_k, the last sum by Jacobian
 * running sums over the blocks. About 2 x 6 multiplications per bucket
 * against 11 + 16 for the Jacobian fold. */
static int fold_batched(window_scratch *s, uint32_t half, uint8_t *out)
{
    const group_ops *g = s->g;
    const size_t sz = g->aff_size;
    const uint32_t blocks = FOLD_BLOCKS, len = half / FOLD_BLOCKS;
    if (s->n_twins && twins_merge(s))
        return -1;
    for (uint32_t k = 0; k < blocks; k++) {
        g->aff_set_inf(s->block_run + k * sz);
        g->aff_set_inf(s->block_sum + k * sz);
    }
    for (uint32_t j = len; j-- > 0;) {
        for (uint32_t k = 0; k < blocks; k++)
            point_copy(s->rhs + k * sz, s->abucket + ((size_t)k * len + j) * sz, sz);
        g->batch_add(s->block_run, s->rhs, blocks, s->batch_scratch);
        g->batch_add(s->block_sum, s->block_run, blocks, s->batch_scratch);
    }
    uint8_t *running = s->running, *window = s->running + g->jac_size;
    g->jac_zero(running);
    g->jac_zero(window);
    for (uint32_t k = blocks; k-- > 1;) {
        g->add_aff(running, s->block_run + k * sz, 0);
        g->add(window, running);
    }
    for (uint32_t m = len; m > 1; m >>= 1)
        g->dbl(window);
    for (uint32_t k = 0; k < blocks; k++)
        g->add_aff(window, s->block_sum + k * sz, 0);
    memcpy(out, window, g->jac_size);
    return 0;
}

/* The window sum into out; the twins are released for the next window. */
static int fold_buckets(window_scratch *s, int batched, uint32_t half, uint8_t *out)
{
    int rc = 0;
    if (batched && half >= FOLD_BATCHED_MIN)
        rc = fold_batched(s, half, out);
    else
        fold_jacobian(s, batched, half, out);
    if (batched)
        twins_release(s);
    return rc;
}

/* Bucket b's Jacobian twin, taken (at zero) on first use in a window: only
 * the few buckets that need one touch that memory. */
static uint8_t *twin_of(window_scratch *s, uint32_t b)
{
    const group_ops *g = s->g;
    if (s->twin_slot[b] == NO_TWIN) {
        s->twin_slot[b] = s->n_twins;
        s->twin_bucket[s->n_twins++] = b;
        g->jac_zero(s->buckets + (size_t)s->twin_slot[b] * g->jac_size);
    }
    return s->buckets + (size_t)s->twin_slot[b] * g->jac_size;
}

/* Adds the batch: the pending buckets are gathered next to their points,
 * added together, and written back. */
static void batch_flush(window_scratch *s)
{
    const group_ops *g = s->g;
    const size_t sz = g->aff_size;
    for (size_t i = 0; i < s->len; i++)
        point_copy(s->lhs + i * sz, s->abucket + s->target[i] * sz, sz);
    g->batch_add(s->lhs, s->rhs, s->len, s->batch_scratch);
    for (size_t i = 0; i < s->len; i++)
        point_copy(s->abucket + s->target[i] * sz, s->lhs + i * sz, sz);
    s->len = 0;
    s->batch_no++;
}

/* bucket b += (negate ? -p : p): into the batch, or put off to a later batch
 * when b is pending (while the queue has room and may_defer), else into b's
 * Jacobian twin. The caller flushes a full batch. */
static void bucket_add(window_scratch *s, uint32_t b, const uint8_t *p, int negate, int may_defer)
{
    const group_ops *g = s->g;
    uint8_t *bucket = s->abucket + b * g->aff_size;
    if (s->pending[b] == s->batch_no) {
        deferred *q = &s->queue;
        if (may_defer && q->len < s->cap) {
            q->bucket[q->len] = b;
            q->point[q->len] = p;
            q->negate[q->len++] = (uint8_t)negate;
        } else {
            g->add_aff(twin_of(s, b), p, negate);
        }
        return;
    }
    uint8_t *dst = g->aff_is_inf(bucket) ? bucket : s->rhs + s->len * g->aff_size;
    point_copy(dst, p, g->aff_size);
    if (negate)
        g->aff_neg(dst);
    if (dst == bucket)
        return;
    s->target[s->len++] = b;
    s->pending[b] = s->batch_no;
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
    if (!job->batched) {
        for (uint32_t b = 0; b < half; b++)
            g->jac_zero(s->buckets + b * g->jac_size);
    } else {
        for (uint32_t b = 0; b < half; b++) {
            g->aff_set_inf(s->abucket + b * g->aff_size);
            s->pending[b] = UINT32_MAX;
        }
        s->batch_no = 0;
        s->len = 0;
        s->queue.len = 0;
    }
    for (size_t j = 0; j < job->m; j++) {
        uint16_t d = digit[j];
        if (job->batched && j + MSM_PREFETCH < job->m) {
            uint16_t ahead = digit[j + MSM_PREFETCH];
            if (ahead != DIGIT_ZERO)
                __builtin_prefetch(s->abucket + (size_t)(ahead >> 1) * g->aff_size, 1);
        }
        if (d == DIGIT_ZERO)
            continue;
        const uint8_t *p = job->points + (size_t)job->idx[j] * g->aff_size;
        if (job->batched) {
            bucket_add(s, d >> 1, p, d & 1, 1);
            if (s->len == s->cap)
                batch_settle(s, 0);
        } else {
            g->add_aff(s->buckets + (size_t)(d >> 1) * g->jac_size, p, d & 1);
        }
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
        if (fold_buckets(&s, job->batched, half, job->window_sums + (size_t)w * g->jac_size)) {
            fail_task(job);
            break;
        }
    }
    scratch_free(&s);
}

/* ---- the points with scalar one ------------------------------------------------
 * Most wires of our circuits are bits, so a witness MSM has many points whose
 * scalar is one: they are summed as a tree of batched affine additions (about
 * 6 multiplications each, against 11 for a mixed Jacobian addition), a chunk
 * at a time so that the scratch stays small. */

#define ONES_CHUNK 4096  /* points copied and summed at a time */
#define ONES_TREE_MIN 16 /* below this many, a batch's inversion costs more than it saves */

static void ones_task(void *p, int task, int n_tasks)
{
    msm_job *job = p;
    const group_ops *g = job->g;
    const size_t sz = g->aff_size;
    uint8_t *out = job->task_sums + (size_t)task * g->jac_size;
    size_t lo, hi;
    parallel_range(job->n_ones, task, n_tasks, &lo, &hi);
    g->jac_zero(out);
    uint8_t *chunk = malloc(ONES_CHUNK * sz);
    void *scratch = malloc(g->batch_scratch(ONES_CHUNK / 2));
    if (!chunk || !scratch) {
        free(chunk);
        free(scratch);
        fail_task(job);
        return;
    }
    for (size_t start = lo; start < hi; start += ONES_CHUNK) {
        size_t k = hi - start < ONES_CHUNK ? hi - start : ONES_CHUNK;
        for (size_t i = 0; i < k; i++)
            point_copy(chunk + i * sz, job->points + (size_t)job->ones[start + i] * sz, sz);
        while (k > ONES_TREE_MIN) { /* chunk[i] += chunk[h + i], an odd one kept */
            size_t h = k / 2;
            g->batch_add(chunk, chunk + h * sz, h, scratch);
            if (k & 1)
                point_copy(chunk + h * sz, chunk + 2 * h * sz, sz);
            k = h + (k & 1);
        }
        for (size_t i = 0; i < k; i++)
            g->add_aff(out, chunk + i * sz, 0);
    }
    free(chunk);
    free(scratch);
}

/* ---- driver ------------------------------------------------------------------------ */

static int msm_prepare(msm_job *job)
{
    job->idx = huge_malloc((job->n ? job->n : 1) * sizeof *job->idx);
    job->ones = huge_malloc((job->n ? job->n : 1) * sizeof *job->ones);
    job->task_sums = malloc((size_t)job->tasks * job->g->jac_size);
    if (!job->idx || !job->ones || !job->task_sums)
        return -1;
    if (!job->normal) {
        job->owned = huge_malloc((job->n ? job->n : 1) * sizeof *job->owned);
        if (!job->owned)
            return -1;
        parallel_run(job->n < 4096 ? 1 : job->tasks, to_raw_task, job);
        job->normal = job->owned;
    }
    uint32_t bits = classify(job);
    if (job->m == 0)
        return 0;
    job->c = choose_window(job->m, bits, job->tasks, 2.2);
    job->batched = job->c >= MSM_BATCH_MIN_C;
    if (!job->batched)
        job->c = choose_window(job->m, bits, job->tasks, 2.4);
    job->nwin = (bits + 1 + job->c - 1) / job->c;
    job->digits = huge_malloc((size_t)job->nwin * job->m * sizeof *job->digits);
    job->window_sums = malloc((size_t)job->nwin * job->g->jac_size);
    if (!job->digits || !job->window_sums)
        return -1;
    parallel_run(job->m < 4096 ? 1 : job->tasks, digits_task, job);
    return 0;
}

/* Exactly one of scalars (Montgomery form) and normal (normal form) is given. */
static int msm_run(const group_ops *g, void *out, const void *points, const fr_t *scalars,
                   const fr_t *normal, size_t n, int threads, zkml_error *err)
{
    if (n > UINT32_MAX)
        return zkml_fail(err, ZKML_EINVAL, "MSM of %zu points is too large", n);
    msm_job job;
    memset(&job, 0, sizeof job);
    job.g = g;
    job.points = points;
    job.scalars = scalars;
    job.normal = normal;
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
        for (uint32_t w = job.nwin; w-- > 0;) { /* Horner: sum_w 2^(w c) window_w */
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
    return msm_run(&G1_OPS, out, points, scalars, NULL, n, threads, err);
}

int msm_g1_normal(g1_jac *out, const g1_affine *points, const fr_t *normal, size_t n, int threads,
                  zkml_error *err)
{
    return msm_run(&G1_OPS, out, points, NULL, normal, n, threads, err);
}

int msm_g2(g2_jac *out, const g2_affine *points, const fr_t *scalars, size_t n, int threads,
           zkml_error *err)
{
    return msm_run(&G2_OPS, out, points, scalars, NULL, n, threads, err);
}

int msm_g2_normal(g2_jac *out, const g2_affine *points, const fr_t *normal, size_t n, int threads,
                  zkml_error *err)
{
    return msm_run(&G2_OPS, out, points, NULL, normal, n, threads, err);
}
