/*
 * glv_ifma.c - g1_mul_same's lockstep (g1_ifma.h) on FPV_LANES (16) points
 * per vector value with AVX-512 IFMA (fp_ifma.h).
 *
 * The same schedule and the same affine formulas as glv.c's portable path,
 * with the points of a batch laid out as vector values: lane l of value i
 * is point 16 i + l. Every step's denominators share one inversion per
 * batch, by Montgomery's trick run down the values (sixteen chains at once,
 * one per lane) and one vector inversion. Why it pays: a contribution
 * multiplies every C and H point of a key by 1/delta, ~170 affine steps of
 * ~7 field products each per point, and a chain of vector products costs
 * about a fifth of the scalar ones per element.
 *
 * Special cases: an input at infinity is replaced by the generator for the
 * run and written back as infinity (k O = O). Any other input P is a
 * multiple of itself at every step (the accumulator a P, a table row t P),
 * and a sum that would need the tangent or give infinity has a = +-t mod r:
 * the same a and t for every point, so a step either has such a sum for
 * every point or for none. A zero product of the denominators reveals it;
 * the batch then stops before writing anything and the caller takes the
 * portable path, which handles every case. Doublings never meet y = 0 (G1
 * has odd prime order).
 */
#include "pipeline/snark/g1_ifma.h"

#include "pipeline/snark/field.h"
#include "pipeline/snark/fp_ifma.h"

#include <stdlib.h>
#include <string.h>

#ifdef FP_IFMA_BUILT

/* Points per batch: 512 vectors, so that the vector inversion (~320
 * products) is a tenth of a step's work. */
enum { IFMA_BATCH = 4096, IFMA_VECTORS = IFMA_BATCH / FPV_LANES };

/* One batch's vectors: the accumulators, the 2 WNAF_TABLE table rows (t1's,
 * then t2's) of IFMA_VECTORS vectors each, the running products of
 * Montgomery's trick, and which inputs were at infinity. */
typedef struct ifma_batch {
    fpv *ax, *ay, *tx, *ty, *prefix;
    uint8_t inf[IFMA_BATCH];
} ifma_batch;

/* r = a + T (a - T when neg) for g vectors of points sharing one inversion;
 * r may be a. 1 when a denominator is 0 (see the top), and then r is
 * unchanged. */
FPV_FN int add_rows(fpv *rx, fpv *ry, const fpv *ax, const fpv *ay, const fpv *tx, const fpv *ty,
                    size_t g, int neg, fpv *prefix)
{
    fpv acc, den, inv, lam, num, x3, t;
    fpv_set(&acc, FPV.one);
    for (size_t i = 0; i < g; i++) {
        prefix[i] = acc; /* product of the denominators before i */
        fpv_sub(&den, &tx[i], &ax[i]);
        fpv_mul(&acc, &acc, &den);
    }
    if (fpv_zero_lanes(&acc))
        return 1;
    fpv_inv(&inv, &acc);
    for (size_t i = g; i-- > 0;) {
        fpv_sub(&den, &tx[i], &ax[i]);
        fpv_mul(&lam, &inv, &prefix[i]); /* 1 / den */
        fpv_mul(&inv, &inv, &den);
        if (neg) { /* (-yt - ya) / den */
            fpv_add(&num, &ty[i], &ay[i]);
            fpv_neg(&num, &num);
        } else {
            fpv_sub(&num, &ty[i], &ay[i]);
        }
        fpv_mul(&lam, &lam, &num);
        fpv_mul(&x3, &lam, &lam); /* x3 = lambda^2 - xa - xt */
        fpv_sub(&x3, &x3, &ax[i]);
        fpv_sub(&x3, &x3, &tx[i]);
        fpv_sub(&t, &ax[i], &x3); /* y3 = lambda (xa - x3) - ya */
        fpv_mul(&t, &t, &lam);
        fpv_sub(&ry[i], &t, &ay[i]);
        rx[i] = x3;
    }
    return 0;
}

/* (x, y) = 2 (x, y) for g vectors of points, none at infinity. */
FPV_FN void double_rows(fpv *x, fpv *y, size_t g, fpv *prefix)
{
    fpv acc, den, inv, lam, num, x2, t;
    fpv_set(&acc, FPV.one);
    for (size_t i = 0; i < g; i++) {
        prefix[i] = acc;
        fpv_add(&den, &y[i], &y[i]);
        fpv_mul(&acc, &acc, &den);
    }
    ZKML_VERIFY(fpv_zero_lanes(&acc) == 0);
    fpv_inv(&inv, &acc);
    for (size_t i = g; i-- > 0;) {
        fpv_add(&den, &y[i], &y[i]);
        fpv_mul(&lam, &inv, &prefix[i]); /* 1 / 2y */
        fpv_mul(&inv, &inv, &den);
        fpv_mul(&x2, &x[i], &x[i]); /* 3 x^2 */
        fpv_add(&num, &x2, &x2);
        fpv_add(&num, &num, &x2);
        fpv_mul(&lam, &lam, &num);
        fpv_mul(&t, &lam, &lam); /* x3 = lambda^2 - 2x */
        fpv_sub(&t, &t, &x[i]);
        fpv_sub(&t, &t, &x[i]);
        fpv_sub(&num, &x[i], &t); /* y3 = lambda (x - x3) - y */
        fpv_mul(&num, &num, &lam);
        fpv_sub(&y[i], &num, &y[i]);
        x[i] = t;
    }
}

/* Row 0 of t1: the m points from p (the generator for those at infinity,
 * and past m), negated when the first half is. */
FPV_FN void load_points(ifma_batch *b, const g1_affine *p, size_t m, size_t g, int negate)
{
    g1_affine gen;
    g1_generator(&gen);
    for (size_t i = 0; i < g; i++) {
        const uint64_t *xs[FPV_LANES], *ys[FPV_LANES];
        for (size_t k = 0; k < FPV_LANES; k++) {
            size_t at = FPV_LANES * i + k;
            b->inf[at] = at >= m || p[at].infinity;
            const g1_affine *q = b->inf[at] ? &gen : &p[at];
            xs[k] = q->x.v;
            ys[k] = q->y.v;
        }
        fpv_load(&b->tx[i], xs);
        fpv_load(&b->ty[i], ys);
        if (negate)
            fpv_neg(&b->ty[i], &b->ty[i]);
    }
}

/* The tables from row 0: t1 row j = row j-1 + 2 row 0, t2 row j = phi(t1 row
 * j), negated when the halves' signs differ. The accumulators hold 2 row 0
 * meanwhile. 1 if a sum degenerates (never for a point of G1). */
FPV_FN int build_tables(ifma_batch *b, size_t g, const glv_digits *d)
{
    fpv beta;
    const uint64_t *bv[FPV_LANES];
    for (int k = 0; k < FPV_LANES; k++)
        bv[k] = GLV_BETA.v;
    fpv_load(&beta, bv);
    memcpy(b->ax, b->tx, g * sizeof *b->ax);
    memcpy(b->ay, b->ty, g * sizeof *b->ay);
    double_rows(b->ax, b->ay, g, b->prefix);
    for (size_t j = 1; j < WNAF_TABLE; j++)
        if (add_rows(b->tx + j * g, b->ty + j * g, b->tx + (j - 1) * g, b->ty + (j - 1) * g, b->ax,
                     b->ay, g, 0, b->prefix))
            return 1;
    fpv *t2x = b->tx + WNAF_TABLE * g, *t2y = b->ty + WNAF_TABLE * g;
    for (size_t i = 0; i < WNAF_TABLE * g; i++) {
        fpv_mul(&t2x[i], &b->tx[i], &beta);
        if (d->neg1 != d->neg2)
            fpv_neg(&t2y[i], &b->ty[i]);
        else
            t2y[i] = b->ty[i];
    }
    return 0;
}

/* The accumulators through the schedule: 0 (started: whether any digit was
 * non-zero), or 1 when a sum degenerates. */
FPV_FN int run_schedule(ifma_batch *b, size_t g, const glv_digits *d, int len, int *started)
{
    *started = 0;
    for (int i = len - 1; i >= 0; i--) {
        if (*started)
            double_rows(b->ax, b->ay, g, b->prefix);
        for (int half = 0; half < 2; half++) {
            int digit = half ? (i < d->n2 ? d->d2[i] : 0) : (i < d->n1 ? d->d1[i] : 0);
            if (!digit)
                continue;
            size_t row = (size_t)(half * WNAF_TABLE + ((digit < 0 ? -digit : digit) >> 1)) * g;
            if (*started) {
                if (add_rows(b->ax, b->ay, b->ax, b->ay, b->tx + row, b->ty + row, g, digit < 0,
                             b->prefix))
                    return 1;
                continue;
            }
            memcpy(b->ax, b->tx + row, g * sizeof *b->ax);
            for (size_t v = 0; v < g; v++)
                if (digit < 0)
                    fpv_neg(&b->ay[v], &b->ty[row + v]);
                else
                    b->ay[v] = b->ty[row + v];
            *started = 1;
        }
    }
    return 0;
}

/* The m results into out (infinity where the input was, or everywhere when
 * the scalar is 0). */
FPV_FN void store_points(const ifma_batch *b, g1_affine *out, size_t m, size_t g, int started)
{
    uint64_t spare[FPV_LANES][4];
    for (size_t i = 0; i < g; i++) {
        uint64_t *xs[FPV_LANES], *ys[FPV_LANES];
        for (size_t k = 0; k < FPV_LANES; k++) {
            size_t at = FPV_LANES * i + k;
            xs[k] = at < m ? out[at].x.v : spare[k];
            ys[k] = at < m ? out[at].y.v : spare[k];
        }
        if (started) {
            fpv_store(xs, &b->ax[i]);
            fpv_store(ys, &b->ay[i]);
        }
        for (size_t k = 0; k < FPV_LANES && FPV_LANES * i + k < m; k++) {
            g1_affine *o = &out[FPV_LANES * i + k];
            if (!started || b->inf[FPV_LANES * i + k]) {
                memset(o, 0, sizeof *o);
                o->infinity = 1;
            } else {
                o->infinity = 0;
            }
        }
    }
    zkml_wipe(spare, sizeof spare);
}

int glv_ifma_mul_same(g1_affine *out, const g1_affine *p, size_t n, const glv_digits *d, int len)
{
    size_t vectors = IFMA_VECTORS, rows = 2 * WNAF_TABLE;
    size_t bytes = (2 + 2 * rows + 1) * vectors * sizeof(fpv);
    fpv *mem = aligned_alloc(64, bytes);
    ifma_batch *b = malloc(sizeof *b);
    if (!mem || !b) {
        free(mem);
        free(b);
        return -1;
    }
    b->ax = mem;
    b->ay = b->ax + vectors;
    b->tx = b->ay + vectors;
    b->ty = b->tx + rows * vectors;
    b->prefix = b->ty + rows * vectors;
    int rc = 0;
    for (size_t at = 0; !rc && at < n; at += IFMA_BATCH) {
        size_t m = n - at < IFMA_BATCH ? n - at : IFMA_BATCH, g = (m + FPV_LANES - 1) / FPV_LANES;
        int started;
        load_points(b, p + at, m, g, d->neg1);
        rc = build_tables(b, g, d) || run_schedule(b, g, d, len, &started);
        if (!rc)
            store_points(b, out + at, m, g, started);
    }
    /* the accumulators and tables are multiples of the points by parts of
     * the secret, the running products too */
    zkml_wipe(mem, bytes);
    free(mem);
    free(b);
    return rc;
}

#else

int glv_ifma_mul_same(g1_affine *out, const g1_affine *p, size_t n, const glv_digits *d, int len)
{
    (void)out, (void)p, (void)n, (void)d, (void)len;
    return 1;
}

#endif
