/*
 * glv_ifma.c - g1_mul_same's lockstep (g1_ifma.h) on FPV_LANES (16) points
 * per vector value with AVX-512 IFMA (fp_ifma.h).
 *
 * The same schedule and the same affine formulas as glv.c's portable path,
 * with the points of a batch laid out as vector values: lane l of value i
 * is point 16 i + l. Every step's denominators share one inversion per
 * batch, by Montgomery's trick run down the values (sixteen chains at once,
 * one per lane) and one inversion (fpv_inv). Why it pays: a contribution
 * multiplies every C and H point of a key by 1/delta, ~170 affine steps of
 * ~7 field products each per point, and a chain of vector products costs
 * about a fifth of the scalar ones per element. The second half of the
 * file is g1_ifma_sum_many, the same steps for sums of a few points that
 * each have their own scalar (a setup's full-size coefficients).
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
#include "pipeline/snark/hugemem.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef FP_IFMA_BUILT

/* Points per batch: 512 vector values, so that a step's one inversion
 * (fpv_inv) is a few percent of its work; 4096 took 7% more CPU time on a
 * contribution, for 45 MB less memory. */
enum { IFMA_BATCH = 8192, IFMA_VECTORS = IFMA_BATCH / FPV_LANES };

/* One batch's vectors: the accumulators, the 2 WNAF_TABLE table rows (t1's,
 * then t2's) of IFMA_VECTORS vectors each, the running products of
 * Montgomery's trick, and which inputs were at infinity. */
typedef struct ifma_batch {
    fpv *ax, *ay, *tx, *ty, *prefix;
    uint8_t inf[IFMA_BATCH];
} ifma_batch;

/* Montgomery's trick runs in two chains of running products, over the even
 * and the odd vector values (fpv_inv_pair). */
/* The lanes of vector i that a step leaves as they are: keep[i], none
 * without keep. */
static inline fpv_mask kept(const fpv_mask *keep, size_t i)
{
    return keep ? keep[i] : 0;
}

/* r = a + T (a - T when neg) for g vectors of points sharing one inversion;
 * r may be a. The lanes of keep (NULL: none) keep a's point, with
 * denominator 1. A lane whose denominator is 0 (see the top): with failed,
 * it is added to failed[i] and to keep[i] (keep must be given then) and
 * left as it is; without, the call returns 1 with r unchanged. */
FPV_FN int add_rows(fpv *rx, fpv *ry, const fpv *ax, const fpv *ay, const fpv *tx, const fpv *ty,
                    size_t g, int neg, fpv_mask *keep, fpv_mask *failed, fpv *prefix)
{
    fpv acc[2], den, inv[2], lam, num, x3, t, one;
    fpv_set(&one, FPV.one);
    acc[0] = acc[1] = one;
    for (size_t i = 0; i < g; i++) {
        prefix[i] = acc[i & 1]; /* product of the chain's denominators before i */
        fpv_sub(&den, &tx[i], &ax[i]);
        if (failed) {
            fpv_mask zero = fpv_zero_lanes(&den) & (fpv_mask)~keep[i];
            failed[i] |= zero;
            keep[i] |= zero;
        }
        fpv_select(&den, kept(keep, i), &one, &den);
        fpv_mul(&acc[i & 1], &acc[i & 1], &den);
    }
    if (fpv_zero_lanes(&acc[0]) || fpv_zero_lanes(&acc[1]))
        return 1;
    fpv_inv_pair(inv, acc);
    for (size_t i = g; i-- > 0;) {
        fpv_sub(&den, &tx[i], &ax[i]);
        fpv_select(&den, kept(keep, i), &one, &den);
        fpv_mul(&lam, &inv[i & 1], &prefix[i]); /* 1 / den */
        fpv_mul(&inv[i & 1], &inv[i & 1], &den);
        if (neg) { /* (-yt - ya) / den */
            fpv_add(&num, &ty[i], &ay[i]);
            fpv_neg(&num, &num);
        } else {
            fpv_sub_lazy(&num, &ty[i], &ay[i]);
        }
        fpv_mul(&lam, &lam, &num);
        g1v_from_slope(&x3, &t, &lam, &ax[i], &ay[i], &tx[i]);
        fpv_select(&ry[i], kept(keep, i), &ay[i], &t);
        fpv_select(&rx[i], kept(keep, i), &ax[i], &x3);
    }
    return 0;
}

/* (x, y) = 2 (x, y) for g vectors of points, none at infinity but in the
 * lanes of keep (NULL: none), which stay as they are. */
FPV_FN void double_rows(fpv *x, fpv *y, size_t g, const fpv_mask *keep, fpv *prefix)
{
    fpv acc[2], den, inv[2], lam, num, x2, t, one;
    fpv_set(&one, FPV.one);
    acc[0] = acc[1] = one;
    for (size_t i = 0; i < g; i++) {
        prefix[i] = acc[i & 1];
        fpv_add_lazy(&den, &y[i], &y[i]);
        fpv_select(&den, kept(keep, i), &one, &den);
        fpv_mul(&acc[i & 1], &acc[i & 1], &den);
    }
    ZKML_VERIFY(fpv_zero_lanes(&acc[0]) == 0 && fpv_zero_lanes(&acc[1]) == 0);
    fpv_inv_pair(inv, acc);
    for (size_t i = g; i-- > 0;) {
        fpv_add_lazy(&den, &y[i], &y[i]);
        fpv_select(&den, kept(keep, i), &one, &den);
        fpv_mul(&lam, &inv[i & 1], &prefix[i]); /* 1 / 2y */
        fpv_mul(&inv[i & 1], &inv[i & 1], &den);
        fpv_sqr(&x2, &x[i]); /* 3 x^2 */
        fpv_add_lazy(&num, &x2, &x2);
        fpv_add_lazy(&num, &num, &x2);
        fpv_mul(&lam, &lam, &num);
        g1v_from_slope(&t, &num, &lam, &x[i], &y[i], &x[i]);
        fpv_select(&y[i], kept(keep, i), &y[i], &num);
        fpv_select(&x[i], kept(keep, i), &x[i], &t);
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
    double_rows(b->ax, b->ay, g, NULL, b->prefix);
    for (size_t j = 1; j < WNAF_TABLE; j++)
        if (add_rows(b->tx + j * g, b->ty + j * g, b->tx + (j - 1) * g, b->ty + (j - 1) * g, b->ax,
                     b->ay, g, 0, NULL, NULL, b->prefix))
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
            double_rows(b->ax, b->ay, g, NULL, b->prefix);
        for (int half = 0; half < 2; half++) {
            int digit = half ? (i < d->n2 ? d->d2[i] : 0) : (i < d->n1 ? d->d1[i] : 0);
            if (!digit)
                continue;
            size_t row = (size_t)(half * WNAF_TABLE + ((digit < 0 ? -digit : digit) >> 1)) * g;
            if (*started) {
                if (add_rows(b->ax, b->ay, b->ax, b->ay, b->tx + row, b->ty + row, g, digit < 0,
                             NULL, NULL, b->prefix))
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
    for (size_t i = 0; i < g; i++) {
        if (started)
            g1v_store(out, i, m, 0, &b->ax[i], &b->ay[i]);
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
}

int glv_ifma_mul_same(g1_affine *out, const g1_affine *p, size_t n, const glv_digits *d, int len)
{
    size_t vectors = IFMA_VECTORS, rows = 2 * WNAF_TABLE;
    size_t bytes = (2 + 2 * rows + 1) * vectors * sizeof(fpv);
    /* 11.5 MB a call: faulted in 4 KiB at a time, it was 5% of a
     * contribution's samples */
    fpv *mem = huge_malloc(bytes);
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

/* ---- sums of a few points, each with its own scalar ---------------------------
 *
 * A lane is a sum of t terms k_j P_j (t <= G1_IFMA_TERMS), all lanes of a
 * call having the same t: the terms share the lane's doublings (Straus), and
 * each adds a row of its own table after every five of them. Signed windows
 * of MANY_W bits of each GLV half, digits in [-16, 16]: every term adds a row
 * (1..16 times its point) at every window, so lanes whose digits differ
 * still step together (with wNAF's sparser digits some lane of sixteen would
 * have a digit at nearly every position). A digit 0 leaves the lane as it is.
 * A term's point and digits sit in "virtual" vector value j g + i (term j of
 * the lanes of value i, g values of lanes in the batch). */
enum { MANY_W = 5, MANY_ROWS = 1 << (MANY_W - 1), MANY_WINDOWS = 26 }; /* 130 bits */

/* The rows of a virtual lane, lane-major: a step gathers each lane's own row
 * of its own table, and with the rows kept as vector values (a row of all
 * lanes after the other) a lane's x and y limbs were ten cache lines of a
 * 21 MB table, one word used of each: the gathers took as long as the
 * additions. Here a row's limbs are ten consecutive words (x then y), two
 * cache lines. */
enum { ROW_WORDS = 10, LANE_WORDS = 2 * MANY_ROWS * ROW_WORDS };

static size_t lane_row(size_t lane, int half, size_t row)
{
    return ((lane * 2 + (size_t)half) * MANY_ROWS + row) * ROW_WORDS;
}

typedef struct many_batch {
    fpv *ax, *ay, *tx, *ty, *rx, *ry, *prefix; /* rx, ry: the rows gathered for a step */
    uint64_t *rows;                            /* LANE_WORDS per virtual lane */
    fpv_mask *started, *failed, *keep;         /* per value of lanes */
    fpv_mask *neg1, *flip;            /* per virtual value; flip: the halves' signs differ */
    int8_t (*digit)[2][MANY_WINDOWS]; /* per virtual lane */
} many_batch;

/* The windows of m < 2^128, lowest first. */
static void windows_of(int8_t d[MANY_WINDOWS], unsigned __int128 m)
{
    int carry = 0;
    for (int w = 0; w < MANY_WINDOWS; w++) {
        int v = (int)((m >> (MANY_W * w)) & ((1u << MANY_W) - 1)) + carry;
        carry = v > MANY_ROWS;
        d[w] = (int8_t)(carry ? v - (1 << MANY_W) : v);
    }
}

/* The terms (lane l's term j is p[l t + j]) and their digits; row 0 of t1 is
 * each point signed as its first half. A term at infinity, or of a lane past
 * m, has digits 0 (it adds nothing) and the generator as its point. */
FPV_FN void many_load(many_batch *b, const g1_affine *p, const fr_t *const *k, size_t m, size_t g,
                      size_t t)
{
    g1_affine gen;
    g1_generator(&gen);
    for (size_t v = 0; v < g * t; v++) {
        size_t i = v % g, j = v / g;
        const uint64_t *xs[FPV_LANES], *ys[FPV_LANES];
        b->neg1[v] = b->flip[v] = 0;
        for (size_t l = 0; l < FPV_LANES; l++) {
            size_t lane = FPV_LANES * i + l, at = lane * t + j;
            int none = lane >= m || p[at].infinity;
            unsigned __int128 m1 = 0, m2 = 0;
            int n1 = 0, n2 = 0;
            if (!none)
                glv_halves(k[at], &m1, &n1, &m2, &n2);
            windows_of(b->digit[FPV_LANES * v + l][0], m1);
            windows_of(b->digit[FPV_LANES * v + l][1], m2);
            b->neg1[v] |= (fpv_mask)(n1 << l);
            b->flip[v] |= (fpv_mask)((n1 != n2) << l);
            xs[l] = (none ? &gen : &p[at])->x.v;
            ys[l] = (none ? &gen : &p[at])->y.v;
        }
        fpv y;
        fpv_load(&b->tx[v], xs);
        fpv_load(&y, ys);
        fpv_neg(&b->ty[v], &y);
        fpv_select(&b->ty[v], b->neg1[v], &b->ty[v], &y);
    }
}

/* Row r of half `half` of virtual value v's sixteen lanes into b->rows. */
FPV_FN void scatter_row(many_batch *b, size_t v, int half, size_t r, const fpv *x, const fpv *y)
{
    const uint64_t(*xs)[FPV_LANES] = (const uint64_t(*)[FPV_LANES])x->l;
    const uint64_t(*ys)[FPV_LANES] = (const uint64_t(*)[FPV_LANES])y->l;
    for (size_t l = 0; l < FPV_LANES; l++) {
        uint64_t *row = b->rows + lane_row(FPV_LANES * v + l, half, r);
        for (int c = 0; c < 5; c++) {
            row[c] = xs[c][l];
            row[5 + c] = ys[c][l];
        }
    }
}

/* For the G virtual values: t1 row j = (j + 1) row 0, t2 row j = phi(t1 row
 * j), negated where the halves' signs differ, into b->rows. 1 if a sum
 * degenerates (never for a point of G1). */
FPV_FN int many_tables(many_batch *b, size_t G)
{
    fpv beta, x, y;
    const uint64_t *bv[FPV_LANES];
    for (int l = 0; l < FPV_LANES; l++)
        bv[l] = GLV_BETA.v;
    fpv_load(&beta, bv);
    memcpy(b->tx + G, b->tx, G * sizeof *b->tx);
    memcpy(b->ty + G, b->ty, G * sizeof *b->ty);
    double_rows(b->tx + G, b->ty + G, G, NULL, b->prefix);
    for (size_t j = 2; j < MANY_ROWS; j++)
        if (add_rows(b->tx + j * G, b->ty + j * G, b->tx + (j - 1) * G, b->ty + (j - 1) * G, b->tx,
                     b->ty, G, 0, NULL, NULL, b->prefix))
            return 1;
    for (size_t r = 0; r < MANY_ROWS; r++)
        for (size_t i = 0; i < G; i++) {
            const fpv *tx = &b->tx[r * G + i], *ty = &b->ty[r * G + i];
            scatter_row(b, i, 0, r, tx, ty);
            fpv_mul(&x, tx, &beta);
            fpv_neg(&y, ty);
            fpv_select(&y, b->flip[i], &y, ty);
            scatter_row(b, i, 1, r, &x, &y);
        }
    return 0;
}

/* Each lane's row of term j for window w of half `half` into rx, ry (negated
 * for a negative digit); the lanes with a digit. g values of lanes. */
/* The row that lane `lane`'s digit of window w names (row 0 for a digit 0,
 * whose row is loaded and left unused). */
static const uint64_t *digit_row(const many_batch *b, size_t lane, int half, int w)
{
    int d = b->digit[lane][half][w];
    return b->rows + lane_row(lane, half, d ? (size_t)(d < 0 ? -d : d) - 1 : 0);
}

/* The rows are read at random from a table of 21 MB a thread, two cache
 * lines a lane: the loads of value i + GATHER_AHEAD are started while value
 * i is copied (2^18 setup: the gathers 16% of the samples without, 6% with;
 * 4 and 8 values ahead within noise of each other, 2 slower). */
enum { GATHER_AHEAD = 4 };

/* Each lane's row of term j for window w of half `half` into rx, ry (negated
 * for a negative digit); the lanes with a digit. g values of lanes. */
FPV_FN void many_gather(many_batch *b, size_t g, size_t j, int half, int w, fpv_mask *nonzero)
{
    for (size_t i = 0; i < g; i++) {
        size_t v = j * g + i;
        for (size_t l = 0; i + GATHER_AHEAD < g && l < FPV_LANES; l++) {
            const uint64_t *ahead = digit_row(b, FPV_LANES * (v + GATHER_AHEAD) + l, half, w);
            _mm_prefetch((const char *)ahead, _MM_HINT_T0);
            _mm_prefetch((const char *)(ahead + ROW_WORDS - 1), _MM_HINT_T0);
        }
        fpv_mask neg = 0, nz = 0;
        uint64_t(*rx)[FPV_LANES] = (uint64_t(*)[FPV_LANES])b->rx[i].l;
        uint64_t(*ry)[FPV_LANES] = (uint64_t(*)[FPV_LANES])b->ry[i].l;
        for (size_t l = 0; l < FPV_LANES; l++) {
            int d = b->digit[FPV_LANES * v + l][half][w];
            neg |= (fpv_mask)((d < 0) << l);
            nz |= (fpv_mask)((d != 0) << l);
            const uint64_t *row = digit_row(b, FPV_LANES * v + l, half, w);
            for (int c = 0; c < 5; c++) {
                rx[c][l] = row[c];
                ry[c][l] = row[5 + c];
            }
        }
        fpv y;
        fpv_neg(&y, &b->ry[i]);
        fpv_select(&b->ry[i], neg, &y, &b->ry[i]);
        nonzero[i] = nz;
    }
}

/* The accumulators through the windows, top first: at each, five doublings,
 * then each term's two rows. A lane starts at its first non-zero digit. */
FPV_FN void many_schedule(many_batch *b, size_t g, size_t t)
{
    fpv_mask *nonzero = b->keep + g; /* the keep array has room for two */
    memset(b->started, 0, g * sizeof *b->started);
    memset(b->failed, 0, g * sizeof *b->failed);
    /* values for the lanes not started yet, which every step leaves alone */
    memcpy(b->ax, b->tx, g * sizeof *b->ax);
    memcpy(b->ay, b->ty, g * sizeof *b->ay);
    for (int w = MANY_WINDOWS - 1; w >= 0; w--) {
        for (int s = 0; w < MANY_WINDOWS - 1 && s < MANY_W; s++) {
            for (size_t i = 0; i < g; i++)
                b->keep[i] = (fpv_mask)(~b->started[i] | b->failed[i]);
            double_rows(b->ax, b->ay, g, b->keep, b->prefix);
        }
        for (size_t j = 0; j < t; j++)
            for (int half = 0; half < 2; half++) {
                many_gather(b, g, j, half, w, nonzero);
                for (size_t i = 0; i < g; i++)
                    b->keep[i] = (fpv_mask) ~(b->started[i] & nonzero[i] & ~b->failed[i]);
                add_rows(b->ax, b->ay, b->ax, b->ay, b->rx, b->ry, g, 0, b->keep, b->failed,
                         b->prefix);
                for (size_t i = 0; i < g; i++) {
                    fpv_mask start = (fpv_mask)(nonzero[i] & ~b->started[i]);
                    fpv_select(&b->ax[i], start, &b->rx[i], &b->ax[i]);
                    fpv_select(&b->ay[i], start, &b->ry[i], &b->ay[i]);
                    b->started[i] |= start;
                }
            }
    }
}

/* Lane `lane`'s sum on the portable path, for a lane that failed. */
static void many_redo(g1_affine *out, const g1_affine *p, const fr_t *const *k, size_t t)
{
    g1_jac sum, term;
    memset(&sum, 0, sizeof sum);
    for (size_t j = 0; j < t; j++) {
        g1_to_jac(&term, &p[j]);
        g1_mul(&term, &term, k[j]);
        g1_add(&sum, &sum, &term);
    }
    g1_to_affine(out, &sum);
}

/* The m sums: infinity for a lane that never added a row (every term zero
 * or at infinity), the portable path's for a lane that failed. */
FPV_FN void many_store(const many_batch *b, g1_affine *out, const g1_affine *p,
                       const fr_t *const *k, size_t m, size_t g, size_t t)
{
    for (size_t i = 0; i < g; i++) {
        g1v_store(out, i, m, 0, &b->ax[i], &b->ay[i]);
        for (size_t l = 0; l < FPV_LANES && FPV_LANES * i + l < m; l++) {
            size_t lane = FPV_LANES * i + l;
            g1_affine *o = &out[lane];
            if (!(b->started[i] >> l & 1)) {
                memset(o, 0, sizeof *o);
                o->infinity = 1;
            } else if (b->failed[i] >> l & 1) {
                many_redo(o, p + lane * t, k + lane * t, t);
            } else {
                o->infinity = 0;
            }
        }
    }
}

/* The workspace's memory is mapped, not malloc'd: blocks of tens of MB taken
 * and given back between the setup's other allocations made glibc's heap
 * grow (2^16 setup peak 76 -> 159 MB with malloc, 72 MB mapped). Virtual
 * values are at most IFMA_VECTORS: a batch holds IFMA_BATCH / t lanes. */
struct g1_ifma_many {
    many_batch b;
    void *map;
    size_t map_len;
};

g1_ifma_many *g1_ifma_many_new(void)
{
    size_t vectors = IFMA_VECTORS, rows = MANY_ROWS;
    size_t vec_bytes = (2 * rows + 5) * vectors * sizeof(fpv);
    size_t row_bytes = IFMA_BATCH * LANE_WORDS * sizeof(uint64_t);
    size_t mask_bytes = 6 * vectors * sizeof(fpv_mask);
    size_t len = vec_bytes + row_bytes + mask_bytes + IFMA_BATCH * sizeof(int8_t[2][MANY_WINDOWS]);
    g1_ifma_many *w = malloc(sizeof *w);
    void *map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (!w || map == MAP_FAILED) {
        free(w);
        if (map != MAP_FAILED)
            munmap(map, len);
        return NULL;
    }
    w->map = map;
    w->map_len = len;
    many_batch *b = &w->b;
    b->tx = map; /* page-aligned, as the vectors need */
    b->ty = b->tx + rows * vectors;
    b->ax = b->ty + rows * vectors;
    b->ay = b->ax + vectors;
    b->rx = b->ay + vectors;
    b->ry = b->rx + vectors;
    b->prefix = b->ry + vectors;
    b->rows = (uint64_t *)((uint8_t *)map + vec_bytes);
    b->started = (fpv_mask *)((uint8_t *)map + vec_bytes + row_bytes);
    b->failed = b->started + vectors;
    b->neg1 = b->failed + vectors;
    b->flip = b->neg1 + vectors;
    b->keep = b->flip + vectors; /* and the nonzero lanes after it */
    b->digit = (int8_t(*)[2][MANY_WINDOWS])((uint8_t *)map + vec_bytes + row_bytes + mask_bytes);
    return w;
}

void g1_ifma_many_free(g1_ifma_many *w)
{
    if (!w)
        return;
    munmap(w->map, w->map_len);
    free(w);
}

void g1_ifma_sum_many(g1_ifma_many *w, g1_affine *out, const g1_affine *p, const fr_t *const *k,
                      size_t t, size_t n)
{
    ZKML_VERIFY(t >= 1 && t <= G1_IFMA_TERMS);
    many_batch *b = &w->b;
    size_t per = IFMA_BATCH / t / FPV_LANES * FPV_LANES; /* lanes in a batch */
    for (size_t at = 0; at < n; at += per) {
        size_t m = n - at < per ? n - at : per, g = (m + FPV_LANES - 1) / FPV_LANES;
        many_load(b, p + at * t, k + at * t, m, g, t);
        int degenerate = many_tables(b, g * t);
        ZKML_VERIFY(!degenerate);
        (void)degenerate;
        many_schedule(b, g, t);
        many_store(b, out + at, p + at * t, k + at * t, m, g, t);
    }
}

#else

int glv_ifma_mul_same(g1_affine *out, const g1_affine *p, size_t n, const glv_digits *d, int len)
{
    (void)out, (void)p, (void)n, (void)d, (void)len;
    return 1;
}

g1_ifma_many *g1_ifma_many_new(void)
{
    return NULL;
}

void g1_ifma_many_free(g1_ifma_many *w)
{
    (void)w;
}

void g1_ifma_sum_many(g1_ifma_many *w, g1_affine *out, const g1_affine *p, const fr_t *const *k,
                      size_t t, size_t n)
{
    (void)w, (void)out, (void)p, (void)k, (void)t, (void)n;
}

#endif
