/*
 * g1_batch_ifma.c - g1_batch_add_affine on FPV_LANES (16) pairs per vector
 * value (g1_ifma.h), for the MSM's buckets and the fixed-base tables.
 *
 * Montgomery's trick as in curve_jacobian.h: a forward pass converts each
 * group of sixteen pairs into vector values (kept in the scratch) and
 * multiplies the running product by their denominators xb - xa, lane by
 * lane; one inversion (fpv_inv); a backward pass recovers each inverse and
 * applies the chord formula. A pair the chord cannot take (a point at
 * infinity, xa = xb: a doubling or a + (-a)), and the lanes past n, get the
 * denominator 1 in the chain and, but for the padding, are added afterwards
 * one by one by the portable code: in an MSM's batches such pairs are rare.
 * The conversions into and out of the vectors cost about as much as the
 * formulas, which is why this gains less than the lockstep multiplication.
 */
#include "pipeline/snark/g1_ifma.h"

#include <stdint.h>
#include <string.h>

#ifdef FP_IFMA_BUILT

/* The scratch: the four coordinates of each group, the running products,
 * and each group's lanes left to the portable code. */
typedef struct batch_lanes {
    fpv *ax, *ay, *bx, *by, *prefix;
    fpv_mask *special;
} batch_lanes;

size_t g1_ifma_batch_scratch(size_t n)
{
    size_t g = (n + FPV_LANES - 1) / FPV_LANES;
    return 64 + g * (5 * sizeof(fpv) + sizeof(fpv_mask));
}

static batch_lanes lanes_in(void *scratch, size_t g)
{
    batch_lanes l;
    uintptr_t at = ((uintptr_t)scratch + 63) & ~(uintptr_t)63;
    l.ax = (fpv *)at;
    l.ay = l.ax + g;
    l.bx = l.ay + g;
    l.by = l.bx + g;
    l.prefix = l.by + g;
    l.special = (fpv_mask *)(l.prefix + g);
    return l;
}

/* Group i's lanes: the pairs' coordinates, a stand-in for the special ones
 * (infinity, past n), whose mask is returned. */
FPV_FN fpv_mask load_group(const batch_lanes *l, size_t i, const g1_affine *a, const g1_affine *b,
                           size_t n, const g1_affine *stand_in)
{
    const uint64_t *axs[FPV_LANES], *ays[FPV_LANES], *bxs[FPV_LANES], *bys[FPV_LANES];
    fpv_mask mask = 0;
    for (size_t k = 0; k < FPV_LANES; k++) {
        size_t at = FPV_LANES * i + k;
        int special = at >= n || a[at].infinity || b[at].infinity;
        const g1_affine *pa = special ? stand_in : &a[at], *pb = special ? stand_in : &b[at];
        mask |= (fpv_mask)(special << k);
        axs[k] = pa->x.v;
        ays[k] = pa->y.v;
        bxs[k] = pb->x.v;
        bys[k] = pb->y.v;
    }
    fpv_load(&l->ax[i], axs);
    fpv_load(&l->ay[i], ays);
    fpv_load(&l->bx[i], bxs);
    fpv_load(&l->by[i], bys);
    return mask;
}

/* xb - xa, or 1 in the special lanes. */
FPV_FN void denominator(fpv *den, const batch_lanes *l, size_t i, const fpv *one)
{
    fpv_sub(den, &l->bx[i], &l->ax[i]);
    fpv_select(den, l->special[i], one, den);
}

/* The forward pass: every group loaded, the special lanes found (a zero
 * denominator among them), inv = 1 / the product of the denominators. */
FPV_FN void forward(const batch_lanes *l, size_t g, const g1_affine *a, const g1_affine *b,
                    size_t n, fpv *inv)
{
    fpv acc, den, one, x_den;
    g1_affine stand_in;
    g1_generator(&stand_in);
    fpv_set(&one, FPV.one);
    acc = one;
    for (size_t i = 0; i < g; i++) {
        fpv_mask mask = load_group(l, i, a, b, n, &stand_in);
        fpv_sub(&x_den, &l->bx[i], &l->ax[i]);
        l->special[i] = (fpv_mask)(mask | fpv_zero_lanes(&x_den));
        denominator(&den, l, i, &one);
        l->prefix[i] = acc;
        fpv_mul(&acc, &acc, &den);
    }
    fpv_inv(inv, &acc);
}

/* The backward pass: the chord sums of the ordinary lanes into r. */
FPV_FN void backward(const batch_lanes *l, size_t g, g1_affine *r, size_t n, fpv *inv)
{
    fpv one, den, lam, num, x3, t;
    fpv_set(&one, FPV.one);
    for (size_t i = g; i-- > 0;) {
        denominator(&den, l, i, &one);
        fpv_mul(&lam, inv, &l->prefix[i]); /* 1 / den */
        fpv_mul(inv, inv, &den);
        fpv_sub_lazy(&num, &l->by[i], &l->ay[i]);
        fpv_mul(&lam, &lam, &num);
        g1v_from_slope(&x3, &t, &lam, &l->ax[i], &l->ay[i], &l->bx[i]);
        g1v_store(r, i, n, l->special[i], &x3, &t);
        for (size_t k = 0; k < FPV_LANES && FPV_LANES * i + k < n; k++)
            if (!(l->special[i] >> k & 1))
                r[FPV_LANES * i + k].infinity = 0;
    }
}

/* A special pair: a sum with infinity is a copy (the batches of an MSM's
 * fold have many), a doubling or a + (-a) goes by the portable formulas,
 * which take every case. */
static void add_alone(g1_affine *r, const g1_affine *a, const g1_affine *b)
{
    if (a->infinity || b->infinity) {
        *r = a->infinity ? *b : *a;
        return;
    }
    g1_jac j;
    g1_to_jac(&j, a);
    g1_add_affine(&j, &j, b);
    g1_to_affine(r, &j);
}

FPV_FN void chord_sums(const batch_lanes *l, size_t g, g1_affine *r, const g1_affine *a,
                       const g1_affine *b, size_t n)
{
    fpv inv;
    forward(l, g, a, b, n, &inv);
    backward(l, g, r, n, &inv);
}

void g1_ifma_batch_add(g1_affine *r, const g1_affine *a, const g1_affine *b, size_t n,
                       void *scratch)
{
    size_t g = (n + FPV_LANES - 1) / FPV_LANES;
    if (!n)
        return;
    batch_lanes l = lanes_in(scratch, g);
    chord_sums(&l, g, r, a, b, n);
    for (size_t at = 0; at < n; at++)
        if (l.special[at / FPV_LANES] >> (at % FPV_LANES) & 1)
            add_alone(&r[at], &a[at], &b[at]);
}

#else

size_t g1_ifma_batch_scratch(size_t n)
{
    (void)n;
    return 0;
}

void g1_ifma_batch_add(g1_affine *r, const g1_affine *a, const g1_affine *b, size_t n,
                       void *scratch)
{
    (void)r, (void)a, (void)b, (void)n, (void)scratch;
}

#endif
