/*
 * fixed_base.c - fixed-base multiplication (contract in fixed_base.h).
 *
 * With c-bit signed digits a 254-bit scalar takes ceil(255 / c) table points,
 * so c = 16 needs 16 additions where a plain double-and-add needs ~380. Each
 * addition is an affine one from g{1,2}_batch_add_affine: the accumulators
 * of a batch of FB_BATCH scalars advance one window together, sharing one
 * inversion (about 6 products per addition against 11 for a mixed Jacobian
 * one), and they live in the caller's output array, which holds the results
 * at the end. The table rows are built with the same batched additions;
 * threads take whole rows, then batches of scalars in turn.
 */
#include "pipeline/snark/fixed_base.h"
#include "pipeline/snark/field.h"
#include "pipeline/snark/group_ops.h"
#include "pipeline/snark/parallel.h"

#include <stdlib.h>
#include <string.h>

#define FB_MAX_C 16
#define FB_BATCH 2048  /* accumulators sharing one inversion */
#define FB_PREFETCH 24 /* the table point this far ahead is prefetched */

struct fixed_base {
    const group_ops *g;
    uint32_t c, nwin;
    size_t half;    /* 2^(c-1) points per row */
    uint8_t *bases; /* nwin affine points 2^(c w) G */
    uint8_t *table; /* row w: d * 2^(c w) G for d = 1 .. half */
    int failed;     /* set by a task that ran out of memory */
};

/* The c minimising the additions: one per table entry, and one per window
 * for each product. */
static uint32_t choose_window(size_t n_mults)
{
    uint32_t best = 1;
    double best_cost = 0;
    for (uint32_t c = 2; c <= FB_MAX_C; c++) {
        double cost = (double)((255 + c - 1) / c) * ((double)(1u << (c - 1)) + (double)n_mults);
        if (best == 1 || cost < best_cost) {
            best = c;
            best_cost = cost;
        }
    }
    return best;
}

/* bases[w] = 2^(c w) G, by c doublings each. */
static int fb_bases(fixed_base *fb, int g2)
{
    const group_ops *g = fb->g;
    uint8_t *jac = malloc(fb->nwin * g->jac_size);
    if (!jac)
        return -1;
    union {
        g1_affine g1;
        g2_affine g2;
    } gen;
    if (g2)
        g2_generator(&gen.g2);
    else
        g1_generator(&gen.g1);
    g->jac_zero(jac);
    g->add_aff(jac, &gen, 0);
    for (uint32_t w = 1; w < fb->nwin; w++) {
        memcpy(jac + w * g->jac_size, jac + (w - 1) * g->jac_size, g->jac_size);
        for (uint32_t i = 0; i < fb->c; i++)
            g->dbl(jac + w * g->jac_size);
    }
    int rc = g->batch_to_affine(fb->bases, jac, fb->nwin);
    free(jac);
    return rc;
}

/* Row w of the table: base_w, 2 base_w, ..., half * base_w, doubling the
 * known prefix each round (entry have + j = entry j + have * base_w), so
 * each round is a run of independent affine additions sharing inversions. */
static void fill_row(const fixed_base *fb, uint32_t w, uint8_t *same, void *products)
{
    const group_ops *g = fb->g;
    const size_t sz = g->aff_size;
    uint8_t *row = fb->table + w * fb->half * sz;
    memcpy(row, fb->bases + w * sz, sz);
    for (size_t have = 1; have < fb->half; have *= 2)
        for (size_t at = 0; at < have; at += FB_BATCH) {
            size_t cnt = have - at < FB_BATCH ? have - at : FB_BATCH;
            for (size_t i = 0; i < cnt; i++)
                memcpy(same + i * sz, row + (have - 1) * sz, sz);
            memcpy(row + (have + at) * sz, row + at * sz, cnt * sz);
            g->batch_add(row + (have + at) * sz, same, cnt, products);
        }
}

static void rows_task(void *p, int task, int n_tasks)
{
    fixed_base *fb = p;
    size_t lo, hi;
    parallel_range(fb->nwin, task, n_tasks, &lo, &hi);
    uint8_t *same = malloc(FB_BATCH * fb->g->aff_size);
    void *products = malloc(fb->g->batch_scratch(FB_BATCH));
    if (!same || !products)
        __atomic_store_n(&fb->failed, 1, __ATOMIC_RELAXED);
    else
        for (size_t w = lo; w < hi; w++)
            fill_row(fb, (uint32_t)w, same, products);
    free(same);
    free(products);
}

int fixed_base_new(fixed_base **out, int g2, size_t n_mults, int threads, zkml_error *err)
{
    fixed_base *fb = calloc(1, sizeof *fb);
    *out = fb;
    if (!fb)
        return zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for a generator table");
    fb->g = g2 ? &G2_OPS : &G1_OPS;
    fb->c = choose_window(n_mults);
    fb->nwin = (255 + fb->c - 1) / fb->c;
    fb->half = (size_t)1 << (fb->c - 1);
    fb->bases = malloc(fb->nwin * fb->g->aff_size);
    fb->table = malloc(fb->nwin * fb->half * fb->g->aff_size);
    if (!fb->bases || !fb->table || fb_bases(fb, g2))
        return zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for a generator table");
    parallel_run(fb->half < 256 ? 1 : parallel_threads(threads), rows_task, fb);
    if (fb->failed)
        return zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for a generator table");
    return 0;
}

void fixed_base_free(fixed_base *fb)
{
    if (!fb)
        return;
    free(fb->bases);
    free(fb->table);
    free(fb);
}

typedef struct mul_job {
    const fixed_base *fb;
    const fr_t *scalars;
    uint8_t *out;
    size_t n;
    size_t next; /* the first scalar of the next batch, taken atomically */
    int failed;
} mul_job;

/* Secret-derived working memory of one task: digits, chosen table points and
 * the batch addition's running products. */
typedef struct mul_scratch {
    uint16_t *digits; /* nwin rows of FB_BATCH */
    uint8_t *points;  /* FB_BATCH affine points */
    void *products;   /* FB_BATCH field elements */
} mul_scratch;

static void scratch_wipe_free(mul_scratch *s, const fixed_base *fb)
{
    const group_ops *g = fb->g;
    if (s->digits)
        zkml_wipe(s->digits, fb->nwin * FB_BATCH * sizeof *s->digits);
    if (s->points)
        zkml_wipe(s->points, FB_BATCH * g->aff_size);
    if (s->products)
        zkml_wipe(s->products, g->batch_scratch(FB_BATCH));
    free(s->digits);
    free(s->points);
    free(s->products);
}

/* dst[i] = the table point of window w for digit row[i] (negated, or infinity). */
static void gather(const fixed_base *fb, uint32_t w, const uint16_t *row, size_t cnt, uint8_t *dst)
{
    const group_ops *g = fb->g;
    const uint8_t *t = fb->table + w * fb->half * g->aff_size;
    for (size_t i = 0; i < cnt; i++, dst += g->aff_size) {
        if (i + FB_PREFETCH < cnt && row[i + FB_PREFETCH] != DIGIT_ZERO) {
            const uint8_t *ahead = t + (size_t)(row[i + FB_PREFETCH] >> 1) * g->aff_size;
            __builtin_prefetch(ahead); /* a point spans two lines or more */
            __builtin_prefetch(ahead + g->aff_size - 1);
        }
        if (row[i] == DIGIT_ZERO) {
            memset(dst, 0, g->aff_size); /* as the group code writes infinity */
            g->aff_set_inf(dst);
            continue;
        }
        const uint8_t *src = t + (size_t)(row[i] >> 1) * g->aff_size;
        if (g->aff_size == sizeof(g1_affine)) /* constant sizes: copied inline */
            memcpy(dst, src, sizeof(g1_affine));
        else
            memcpy(dst, src, sizeof(g2_affine));
        if (row[i] & 1)
            g->aff_neg(dst);
    }
}

/* acc[i] = scalars[i] * G for one batch: window 0 is copied, the others added. */
static void mul_batch(const fixed_base *fb, const fr_t *scalars, size_t cnt, uint8_t *acc,
                      mul_scratch *s)
{
    const group_ops *g = fb->g;
    uint64_t raw[4];
    for (size_t i = 0; i < cnt; i++) {
        mont_to_raw(raw, scalars[i].v, &FR_MODULUS);
        signed_digits(s->digits + i, FB_BATCH, raw, fb->c, fb->nwin);
    }
    zkml_wipe(raw, sizeof raw);
    gather(fb, 0, s->digits, cnt, acc);
    for (uint32_t w = 1; w < fb->nwin; w++) {
        gather(fb, w, s->digits + (size_t)w * FB_BATCH, cnt, s->points);
        g->batch_add(acc, s->points, cnt, s->products);
    }
}

static void mul_task(void *p, int task, int n_tasks)
{
    mul_job *job = p;
    const fixed_base *fb = job->fb;
    const group_ops *g = fb->g;
    (void)task;
    (void)n_tasks;
    mul_scratch s = {malloc(fb->nwin * FB_BATCH * sizeof *s.digits), malloc(FB_BATCH * g->aff_size),
                     malloc(g->batch_scratch(FB_BATCH))};
    if (!s.digits || !s.points || !s.products)
        __atomic_store_n(&job->failed, 1, __ATOMIC_RELAXED);
    else
        for (;;) { /* batches taken in turn: a descheduled thread holds up none */
            size_t at = __atomic_fetch_add(&job->next, FB_BATCH, __ATOMIC_RELAXED);
            if (at >= job->n)
                break;
            mul_batch(fb, job->scalars + at, job->n - at < FB_BATCH ? job->n - at : FB_BATCH,
                      job->out + at * g->aff_size, &s);
        }
    scratch_wipe_free(&s, fb);
}

int fixed_base_mul(const fixed_base *fb, const fr_t *scalars, size_t n, void *out, int threads,
                   zkml_error *err)
{
    mul_job job = {fb, scalars, out, n, 0, 0};
    parallel_run(n < 256 ? 1 : parallel_threads(threads), mul_task, &job);
    if (job.failed)
        return zkml_fail(err, ZKML_ENOMEM, "setup: out of memory computing %zu points", n);
    return 0;
}

int fixed_base_mul_alloc(const fixed_base *fb, const fr_t *scalars, size_t n, void **out,
                         int threads, zkml_error *err)
{
    *out = calloc(n ? n : 1, fb->g->aff_size);
    if (!*out)
        return zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for %zu points", n);
    int rc = fixed_base_mul(fb, scalars, n, *out, threads, err);
    if (rc) {
        free(*out);
        *out = NULL;
    }
    return rc;
}
