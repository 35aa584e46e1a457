/*
 * batch_ifma.h - internal to batch_ifma.c: the batch affine addition on
 * FPV_LANES (16) pairs per vector value, written once and included once per
 * group, G1 over Fp (fpv) and G2 over Fp2 (fp2v). Its users: the MSM's
 * buckets (G2: the proof's B), the fixed-base tables of the direct setup,
 * the sums of the setup from a ptau.
 *
 * Montgomery's trick as in curve_jacobian.h: a forward pass converts each
 * group of sixteen pairs into vector values (kept in the scratch) and
 * multiplies the running product by their denominators xb - xa, lane by
 * lane; one inversion; a backward pass recovers each inverse and applies the
 * chord formula. A pair the chord cannot take (a point at infinity, xa = xb:
 * a doubling or a + (-a)), and the lanes past n, get the denominator 1 in
 * the chain and, but for the padding, are added afterwards one by one by the
 * portable code: in an MSM's batches such pairs are rare. Moving the pairs
 * into and out of the vectors costs about as much as G1's formulas (6
 * products a pair), so G1 gains less here than in the lockstep
 * multiplication; G2's formulas cost 17 products against twice G1's moves,
 * and gain more (a 2^20 proof's B: 290-410 -> 190-230 ms).
 *
 * The includer defines:
 *   BI(name)              the name of a group function (g1_##name, g2_##name)
 *   BI_AFFINE, BI_JAC     the affine and Jacobian point types
 *   BI_COORD              a coordinate (fp_t, fp2_t)
 *   BI_V                  sixteen coordinates in vectors (fpv, fp2v)
 *   BI_LOAD(r, v), BI_STORE(v, a)   sixteen coordinates (v: pointers to
 *                         them, BI_COORD *[16]) into and out of a BI_V
 *   BI_SUB, BI_MUL, BI_SQR          r = a op b (or a^2), in [0, 2p)
 *   BI_SUB_LAZY(r, a, b)  a - b as a + 2p - b, for a product's input only
 *   BI_INV(r, a)          1 / a lane by lane, a not 0
 *   BI_SELECT(r, mask, a, b), BI_ZERO_LANES(a), BI_ONE(r)
 * and this file undefines them all at its end. The group's portable code
 * (BI(generator), BI(to_jac), BI(add_affine), BI(to_affine)) takes the
 * special pairs.
 */

/* The scratch: each group's coordinates, the running products, and its
 * lanes left to the portable code. */
typedef struct BI(batch_lanes) {
    BI_V *ax, *ay, *bx, *by, *prefix;
    fpv_mask *special;
} BI(batch_lanes);

size_t BI(ifma_batch_scratch)(size_t n)
{
    size_t g = (n + FPV_LANES - 1) / FPV_LANES;
    return 64 + g * (5 * sizeof(BI_V) + sizeof(fpv_mask));
}

static BI(batch_lanes) BI(lanes_in)(void *scratch, size_t g)
{
    BI(batch_lanes) l;
    uintptr_t at = ((uintptr_t)scratch + 63) & ~(uintptr_t)63;
    l.ax = (BI_V *)at;
    l.ay = l.ax + g;
    l.bx = l.ay + g;
    l.by = l.bx + g;
    l.prefix = l.by + g;
    l.special = (fpv_mask *)(l.prefix + g);
    return l;
}

/* Group i's pairs, a stand-in for the special ones (infinity, past n),
 * whose mask is returned. */
FPV_FN fpv_mask BI(load_group)(const BI(batch_lanes) *l, size_t i, const BI_AFFINE *a,
                               const BI_AFFINE *b, size_t n, const BI_AFFINE *stand_in)
{
    const BI_COORD *axs[FPV_LANES], *ays[FPV_LANES], *bxs[FPV_LANES], *bys[FPV_LANES];
    fpv_mask mask = 0;
    for (size_t k = 0; k < FPV_LANES; k++) {
        size_t at = FPV_LANES * i + k;
        int special = at >= n || a[at].infinity || b[at].infinity;
        const BI_AFFINE *pa = special ? stand_in : &a[at], *pb = special ? stand_in : &b[at];
        mask |= (fpv_mask)(special << k);
        axs[k] = &pa->x;
        ays[k] = &pa->y;
        bxs[k] = &pb->x;
        bys[k] = &pb->y;
    }
    BI_LOAD(&l->ax[i], axs);
    BI_LOAD(&l->ay[i], ays);
    BI_LOAD(&l->bx[i], bxs);
    BI_LOAD(&l->by[i], bys);
    return mask;
}

/* xb - xa, or 1 in the special lanes. */
FPV_INLINE void BI(denominator)(BI_V *den, const BI(batch_lanes) *l, size_t i, const BI_V *one)
{
    BI_SUB(den, &l->bx[i], &l->ax[i]);
    BI_SELECT(den, l->special[i], one, den);
}

/* Every group loaded, its special lanes found (a zero denominator among
 * them), inv = 1 / the product of the denominators. */
FPV_FN void BI(forward)(const BI(batch_lanes) *l, size_t g, const BI_AFFINE *a,
                        const BI_AFFINE *b, size_t n, BI_V *inv)
{
    BI_V acc, den, one;
    BI_AFFINE stand_in;
    BI(generator)(&stand_in);
    BI_ONE(&one);
    acc = one;
    for (size_t i = 0; i < g; i++) {
        fpv_mask mask = BI(load_group)(l, i, a, b, n, &stand_in);
        BI_SUB(&den, &l->bx[i], &l->ax[i]);
        l->special[i] = (fpv_mask)(mask | BI_ZERO_LANES(&den));
        BI(denominator)(&den, l, i, &one);
        l->prefix[i] = acc;
        BI_MUL(&acc, &acc, &den);
    }
    BI_INV(inv, &acc);
}

/* Vector value i of (x, y) into out[16 i ..]: the lanes below n and not
 * special, their infinity flags cleared (the others go to a scratch copy,
 * wiped: the points may be multiples by a secret). */
FPV_INLINE void BI(store_group)(BI_AFFINE *out, size_t i, size_t n, fpv_mask skip,
                                const BI_V *x, const BI_V *y)
{
    BI_COORD spare[FPV_LANES], *xs[FPV_LANES], *ys[FPV_LANES];
    for (size_t k = 0; k < FPV_LANES; k++) {
        size_t at = FPV_LANES * i + k;
        int keep = at < n && !(skip >> k & 1);
        xs[k] = keep ? &out[at].x : &spare[k];
        ys[k] = keep ? &out[at].y : &spare[k];
        if (keep)
            out[at].infinity = 0;
    }
    BI_STORE(xs, x);
    BI_STORE(ys, y);
    zkml_wipe(spare, sizeof spare);
}

/* The chord sums of the ordinary lanes into r: lambda = (yb - ya) / (xb -
 * xa), x3 = lambda^2 - xa - xb, y3 = lambda (xa - x3) - ya. */
FPV_FN void BI(backward)(const BI(batch_lanes) *l, size_t g, BI_AFFINE *r, size_t n, BI_V *inv)
{
    BI_V one, den, lam, num, x3, y3;
    BI_ONE(&one);
    for (size_t i = g; i-- > 0;) {
        BI(denominator)(&den, l, i, &one);
        BI_MUL(&lam, inv, &l->prefix[i]); /* 1 / den */
        BI_MUL(inv, inv, &den);
        BI_SUB_LAZY(&num, &l->by[i], &l->ay[i]);
        BI_MUL(&lam, &lam, &num);
        BI_SQR(&x3, &lam);
        BI_SUB(&x3, &x3, &l->ax[i]);
        BI_SUB(&x3, &x3, &l->bx[i]);
        BI_SUB_LAZY(&y3, &l->ax[i], &x3);
        BI_MUL(&y3, &y3, &lam);
        BI_SUB(&y3, &y3, &l->ay[i]);
        BI(store_group)(r, i, n, l->special[i], &x3, &y3);
    }
}

/* A special pair: a sum with infinity is a copy (the batches of an MSM's
 * fold have many), a doubling or a + (-a) goes by the portable formulas,
 * which take every case. */
static void BI(add_alone)(BI_AFFINE *r, const BI_AFFINE *a, const BI_AFFINE *b)
{
    if (a->infinity || b->infinity) {
        *r = a->infinity ? *b : *a;
        return;
    }
    BI_JAC j;
    BI(to_jac)(&j, a);
    BI(add_affine)(&j, &j, b);
    BI(to_affine)(r, &j);
}

FPV_FN void BI(chord_sums)(const BI(batch_lanes) *l, size_t g, BI_AFFINE *r, const BI_AFFINE *a,
                           const BI_AFFINE *b, size_t n)
{
    BI_V inv;
    BI(forward)(l, g, a, b, n, &inv);
    BI(backward)(l, g, r, n, &inv);
    zkml_wipe(&inv, sizeof inv);
}

void BI(ifma_batch_add)(BI_AFFINE *r, const BI_AFFINE *a, const BI_AFFINE *b, size_t n,
                        void *scratch)
{
    size_t g = (n + FPV_LANES - 1) / FPV_LANES;
    if (!n)
        return;
    BI(batch_lanes) l = BI(lanes_in)(scratch, g);
    BI(chord_sums)(&l, g, r, a, b, n);
    for (size_t at = 0; at < n; at++)
        if (l.special[at / FPV_LANES] >> (at % FPV_LANES) & 1)
            BI(add_alone)(&r[at], &a[at], &b[at]);
}

#undef BI
#undef BI_AFFINE
#undef BI_JAC
#undef BI_COORD
#undef BI_V
#undef BI_LOAD
#undef BI_STORE
#undef BI_SUB
#undef BI_SUB_LAZY
#undef BI_MUL
#undef BI_SQR
#undef BI_INV
#undef BI_SELECT
#undef BI_ZERO_LANES
#undef BI_ONE
