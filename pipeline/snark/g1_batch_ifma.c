/*
 * g1_batch_ifma.c - g1_batch_add_affine on eight pairs per vector (g1_ifma.h),
 * for the MSM's buckets and the fixed-base tables.
 *
 * Montgomery's trick as in curve_jacobian.h: a forward pass converts each
 * group of eight pairs into vectors (kept in the scratch) and multiplies the
 * running product by their denominators xb - xa, lane by lane; one vector
 * inversion; a backward pass recovers each inverse and applies the chord
 * formula. A pair the chord cannot take (a point at infinity, xa = xb: a
 * doubling or a + (-a)), and the lanes past n, get the denominator 1 in the
 * chain and, but for the padding, are added afterwards one by one by the
 * portable code: in an MSM's batches such pairs are rare. Each vector
 * product does eight of the scalar ones for about the price of 1.3, and the
 * inversion is one vector exponentiation for the eight chains.
 */
#include "pipeline/snark/g1_ifma.h"

#include <stdint.h>
#include <string.h>

#ifdef FP_IFMA_BUILT

/* The scratch: the four coordinates of each group, the running products,
 * and each group's lanes left to the portable code. */
typedef struct batch_lanes {
    fp8 *ax, *ay, *bx, *by, *prefix;
    uint8_t *special;
} batch_lanes;

size_t g1_ifma_batch_scratch(size_t n)
{
    size_t g = (n + 7) / 8;
    return 64 + g * (5 * sizeof(fp8) + 1);
}

static batch_lanes lanes_in(void *scratch, size_t g)
{
    batch_lanes l;
    uintptr_t at = ((uintptr_t)scratch + 63) & ~(uintptr_t)63;
    l.ax = (fp8 *)at;
    l.ay = l.ax + g;
    l.bx = l.ay + g;
    l.by = l.bx + g;
    l.prefix = l.by + g;
    l.special = (uint8_t *)(l.prefix + g);
    return l;
}

/* Group i's lanes: the pairs' coordinates, a stand-in for the special ones
 * (infinity, past n), whose mask is returned. */
FP8_FN unsigned load_group(const batch_lanes *l, size_t i, const g1_affine *a, const g1_affine *b,
                           size_t n, const g1_affine *stand_in)
{
    const uint64_t *axs[8], *ays[8], *bxs[8], *bys[8];
    unsigned mask = 0;
    for (size_t k = 0; k < 8; k++) {
        size_t at = 8 * i + k;
        int special = at >= n || a[at].infinity || b[at].infinity;
        const g1_affine *pa = special ? stand_in : &a[at], *pb = special ? stand_in : &b[at];
        mask |= (unsigned)special << k;
        axs[k] = pa->x.v;
        ays[k] = pa->y.v;
        bxs[k] = pb->x.v;
        bys[k] = pb->y.v;
    }
    fp8_load(&l->ax[i], axs);
    fp8_load(&l->ay[i], ays);
    fp8_load(&l->bx[i], bxs);
    fp8_load(&l->by[i], bys);
    return mask;
}

/* xb - xa, or 1 in the special lanes. */
FP8_FN void denominator(fp8 *den, const batch_lanes *l, size_t i, const fp8 *one)
{
    fp8_sub(den, &l->bx[i], &l->ax[i]);
    for (int j = 0; j < 5; j++)
        den->l[j] = _mm512_mask_blend_epi64(l->special[i], den->l[j], one->l[j]);
}

/* The forward pass: every group loaded, the special lanes found (a zero
 * denominator among them), inv = 1 / the product of the denominators. */
FP8_FN void forward(const batch_lanes *l, size_t g, const g1_affine *a, const g1_affine *b,
                    size_t n, fp8 *inv)
{
    fp8 acc, den, one, x_den;
    g1_affine stand_in;
    g1_generator(&stand_in);
    fp8_set(&one, FP8.one);
    acc = one;
    for (size_t i = 0; i < g; i++) {
        unsigned mask = load_group(l, i, a, b, n, &stand_in);
        fp8_sub(&x_den, &l->bx[i], &l->ax[i]);
        l->special[i] = (uint8_t)(mask | fp8_zero_lanes(&x_den));
        denominator(&den, l, i, &one);
        l->prefix[i] = acc;
        fp8_mul(&acc, &acc, &den);
    }
    fp8_inv(inv, &acc);
}

/* The backward pass: the chord sums of the ordinary lanes into r. */
FP8_FN void backward(const batch_lanes *l, size_t g, g1_affine *r, size_t n, fp8 *inv)
{
    fp8 one, den, lam, num, x3, t;
    uint64_t spare[8][4];
    fp8_set(&one, FP8.one);
    for (size_t i = g; i-- > 0;) {
        denominator(&den, l, i, &one);
        fp8_mul(&lam, inv, &l->prefix[i]); /* 1 / den */
        fp8_mul(inv, inv, &den);
        fp8_sub(&num, &l->by[i], &l->ay[i]);
        fp8_mul(&lam, &lam, &num);
        fp8_mul(&x3, &lam, &lam); /* x3 = lambda^2 - xa - xb */
        fp8_sub(&x3, &x3, &l->ax[i]);
        fp8_sub(&x3, &x3, &l->bx[i]);
        fp8_sub(&t, &l->ax[i], &x3); /* y3 = lambda (xa - x3) - ya */
        fp8_mul(&t, &t, &lam);
        fp8_sub(&t, &t, &l->ay[i]);
        uint64_t *xs[8], *ys[8];
        for (size_t k = 0; k < 8; k++) {
            size_t at = 8 * i + k;
            int ordinary = !(l->special[i] >> k & 1);
            xs[k] = ordinary ? r[at].x.v : spare[k];
            ys[k] = ordinary ? r[at].y.v : spare[k];
        }
        fp8_store(xs, &x3);
        fp8_store(ys, &t);
        for (size_t k = 0; k < 8 && 8 * i + k < n; k++)
            if (!(l->special[i] >> k & 1))
                r[8 * i + k].infinity = 0;
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

FP8_FN void chord_sums(const batch_lanes *l, size_t g, g1_affine *r, const g1_affine *a,
                       const g1_affine *b, size_t n)
{
    fp8 inv;
    forward(l, g, a, b, n, &inv);
    backward(l, g, r, n, &inv);
}

void g1_ifma_batch_add(g1_affine *r, const g1_affine *a, const g1_affine *b, size_t n,
                       void *scratch)
{
    size_t g = (n + 7) / 8;
    if (!n)
        return;
    batch_lanes l = lanes_in(scratch, g);
    chord_sums(&l, g, r, a, b, n);
    for (size_t at = 0; at < n; at++)
        if (l.special[at / 8] >> (at % 8) & 1)
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
