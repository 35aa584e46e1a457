/*
 * gadgets.c - the R1CS builder with witness values and the gadgets of
 * gadgets.h. Constraint counts here must match quant_model_constraints()
 * in pipeline/quant/model.c.
 */
#include "pipeline/circuit/gadgets.h"

#include <stdlib.h>
#include <string.h>

int cb_init(cbuild *b, int with_witness, zkml_error *err)
{
    memset(b, 0, sizeof *b);
    r1cs_init(&b->cs);
    b->with_witness = with_witness;
    b->err = err;
    b->cs.n_wires = 0;
    fr_one(&b->pow2[0]);
    for (int i = 1; i < 63; i++)
        fr_add(&b->pow2[i], &b->pow2[i - 1], &b->pow2[i - 1]);
    uint32_t one;
    return cb_wire(b, 1, &one);
}

void cb_free(cbuild *b)
{
    r1cs_free(&b->cs);
    free(b->w);
    b->w = NULL;
}

int cb_wire_fr(cbuild *b, const fr_t *value, uint32_t *wire)
{
    if (b->cs.n_wires == UINT32_MAX)
        return zkml_fail(b->err, ZKML_EINVAL, "circuit: more than %u wires", UINT32_MAX - 1);
    if (b->cs.n_wires == b->cap_w &&
        zkml_array_grow((void **)&b->w, &b->cap_w, (size_t)b->cs.n_wires + 1, sizeof *b->w))
        return zkml_fail(b->err, ZKML_ENOMEM, "circuit: out of memory at wire %u", b->cs.n_wires);
    b->w[b->cs.n_wires] = *value;
    *wire = b->cs.n_wires++;
    return 0;
}

/* coeff as a field element, from the table when it is +-2^i. */
static void fr_of(const cbuild *b, fr_t *r, int64_t coeff)
{
    uint64_t mag = coeff < 0 ? (uint64_t)0 - (uint64_t)coeff : (uint64_t)coeff;
    if (mag == 0 || (mag & (mag - 1)) || mag >> 62) {
        fr_from_i64(r, coeff);
        return;
    }
    *r = b->pow2[__builtin_ctzll(mag)];
    if (coeff < 0)
        fr_neg(r, r);
}

int cb_wire(cbuild *b, int64_t value, uint32_t *wire)
{
    fr_t v;
    if (b->with_witness)
        fr_of(b, &v, value);
    else
        fr_zero(&v);
    return cb_wire_fr(b, &v, wire);
}

/* The value of lc at the witness. */
static inline void lc_value(const cbuild *b, const r1cs_lc *lc, fr_t *out)
{
    fr_zero(out);
    for (uint32_t i = 0; i < lc->n; i++) {
        fr_t t;
        fr_mul(&t, &lc->terms[i].coeff, &b->w[lc->terms[i].wire]);
        fr_add(out, out, &t);
    }
}

/* A * B = C at the witness built so far. */
static inline int holds_at_witness(const cbuild *b, const r1cs_lc *a, const r1cs_lc *bb,
                                   const r1cs_lc *c)
{
    fr_t va, vb, vc;
    lc_value(b, a, &va);
    lc_value(b, bb, &vb);
    lc_value(b, c, &vc);
    fr_mul(&va, &va, &vb);
    return fr_eq(&va, &vc);
}

int cb_enforce(cbuild *b, r1cs_lc *a, r1cs_lc *bb, r1cs_lc *c)
{
    /* Every gadget computes its wires' values before it constrains them, so a
     * constraint that fails here is a gadget bug, not bad input. */
    if (b->check_as_built && !holds_at_witness(b, a, bb, c)) {
        r1cs_lc_free(a);
        r1cs_lc_free(bb);
        r1cs_lc_free(c);
        return zkml_fail(b->err, ZKML_EINTERNAL,
                         "witness: internal error, constraint %u (0-based) does not hold at "
                         "the witness: A*B != C",
                         b->cs.n_constraints);
    }
    ZKML_VERIFY(!b->with_witness || b->check_as_built || holds_at_witness(b, a, bb, c));
    return r1cs_add_constraint(&b->cs, a, bb, c, b->err);
}

int lc_add_fr(cbuild *b, r1cs_lc *lc, uint32_t wire, const fr_t *coeff)
{
    return r1cs_lc_add_term(lc, wire, coeff, b->err);
}

int lc_add(cbuild *b, r1cs_lc *lc, uint32_t wire, int64_t coeff)
{
    fr_t c;
    if (coeff == 0)
        return 0;
    fr_of(b, &c, coeff);
    return r1cs_lc_add_term(lc, wire, &c, b->err);
}

int lc_copy(cbuild *b, r1cs_lc *dst, const r1cs_lc *src)
{
    /* Into an empty combination (the usual case): one allocation of the
     * exact size and one copy, as src is already sorted and merged. */
    if (dst->n == 0) {
        if (src->n && r1cs_lc_reserve(dst, src->n, b->err))
            return b->err ? b->err->code : ZKML_ENOMEM;
        if (src->n)
            memcpy(dst->terms, src->terms, src->n * sizeof *src->terms);
        dst->n = src->n;
        return 0;
    }
    for (uint32_t i = 0; i < src->n; i++) {
        int rc = lc_add_fr(b, dst, src->terms[i].wire, &src->terms[i].coeff);
        if (rc)
            return rc;
    }
    return 0;
}

int lc_axpy(cbuild *b, r1cs_lc *dst, int64_t k, const r1cs_lc *src)
{
    fr_t kk;
    fr_from_i64(&kk, k);
    return r1cs_lc_axpy(dst, &kk, src, b->err);
}

int lcv_wire(cbuild *b, lcv *x, uint32_t wire, int64_t value)
{
    memset(x, 0, sizeof *x);
    x->v = value;
    return lc_add(b, &x->lc, wire, 1);
}

void lcv_free(lcv *x)
{
    r1cs_lc_free(&x->lc);
}

/* One new wire w with the constraint "w is 0 or 1". */
static int boolean_wire(cbuild *b, int bit, uint32_t *w)
{
    r1cs_lc A = {0}, B = {0}, C = {0};
    int rc = cb_wire(b, bit, w);
    if (!rc && !(rc = lc_add(b, &A, *w, 1)) && !(rc = lc_add(b, &B, *w, 1)))
        rc = lc_add(b, &B, 0, -1);
    if (rc) {
        r1cs_lc_free(&A);
        r1cs_lc_free(&B);
        return rc;
    }
    return cb_enforce(b, &A, &B, &C);
}

int g_wire_equals(cbuild *b, uint32_t w, r1cs_lc *x)
{
    r1cs_lc A = {0}, B = {0};
    int rc = lc_add(b, &A, w, 1);
    if (!rc && !(rc = lc_add(b, &B, 0, 1)))
        return cb_enforce(b, &A, &B, x); /* on failure it frees all three */
    r1cs_lc_free(&A);
    r1cs_lc_free(&B);
    r1cs_lc_free(x);
    return rc;
}

int g_own_wire(cbuild *b, lcv *x)
{
    uint32_t w = 0;
    int rc = cb_wire(b, x->v, &w);
    if (!rc && !(rc = g_wire_equals(b, w, &x->lc)))
        return lcv_wire(b, x, w, x->v);
    lcv_free(x);
    return rc;
}

int g_boolean(cbuild *b, int bit, uint32_t *w)
{
    return boolean_wire(b, bit, w);
}

/* t = sum_i 2^i bits[i] over n booleans. With imply_low (n >= 2) bit 0 has
 * no wire: r = t - sum_{i>=1} 2^i bits[i] stands for it, and r * (r - 1) = 0
 * is both its booleanity and the equality of the sum (n constraints, not
 * n + 1): r is 0 or 1, so t = r + sum_{i>=1} 2^i bits[i] lies in [0, 2^n). */
static int decompose(cbuild *b, lcv *t, int n, int imply_low, uint32_t *bits)
{
    r1cs_lc one = {0}, sum = {0};
    int rc = 0, first = imply_low ? 1 : 0;
    if (n < 1 + first || n > 62)
        rc = zkml_fail(b->err, ZKML_EINTERNAL, "circuit: bit decomposition of %d bits", n);
    else if (b->with_witness && (t->v < 0 || t->v >= ((int64_t)1 << n)))
        rc = zkml_fail(b->err, ZKML_EINTERNAL,
                       "circuit: value %lld does not fit the %d-bit range check (the "
                       "fixed-point evaluator and the circuit disagree)",
                       (long long)t->v, n);
    if (!rc && imply_low)
        bits[0] = UINT32_MAX;
    for (int i = first; !rc && i < n; i++) {
        rc = boolean_wire(b, (int)(((uint64_t)t->v >> i) & 1), &bits[i]);
        if (!rc)
            rc = imply_low ? lc_add(b, &t->lc, bits[i], -((int64_t)1 << i))
                           : lc_add(b, &sum, bits[i], (int64_t)1 << i);
    }
    if (!rc)
        rc = imply_low ? lc_copy(b, &one, &t->lc) : lc_add(b, &one, 0, 1);
    if (!rc && imply_low)
        rc = lc_add(b, &one, 0, -1);
    if (rc) {
        r1cs_lc_free(&one);
        r1cs_lc_free(&sum);
        lcv_free(t);
        return rc;
    }
    return cb_enforce(b, &t->lc, &one, &sum);
}

int g_bits(cbuild *b, lcv *t, int n, uint32_t *bits)
{
    return decompose(b, t, n, n >= 2, bits);
}

int g_bits_wired(cbuild *b, lcv *t, int n, uint32_t *bits)
{
    return decompose(b, t, n, 0, bits);
}

int g_sign(cbuild *b, lcv *d, int k, uint32_t *s)
{
    uint32_t bits[64];
    if (k < 0 || k > 61) {
        lcv_free(d);
        return zkml_fail(b->err, ZKML_EINTERNAL, "circuit: sign of a %d-bit value", k);
    }
    int rc = lc_add(b, &d->lc, 0, (int64_t)1 << k);
    d->v += (int64_t)1 << k;
    if (rc) {
        lcv_free(d);
        return rc;
    }
    rc = g_bits(b, d, k + 1, bits);
    *s = bits[k];
    return rc;
}

int g_requant(cbuild *b, lcv *acc, int k, int bits, int relu, uint32_t *out, int64_t *out_v)
{
    uint32_t bw[64];
    int n = k + bits;
    if (k < 0 || bits < 2 || n > 62) {
        lcv_free(acc);
        return zkml_fail(b->err, ZKML_EINTERNAL, "circuit: requant of %d + %d bits", k, bits);
    }
    int64_t offset = (k > 0 ? (int64_t)1 << (k - 1) : 0) + ((int64_t)1 << (n - 1));
    r1cs_lc Y = {0}, A = {0}, C = {0};
    /* k = 0: y is acc itself (bit 0, which g_bits leaves without a wire, is
     * one of y's bits) */
    int rc = k == 0 ? lc_copy(b, &Y, &acc->lc) : 0;
    if (!rc)
        rc = lc_add(b, &acc->lc, 0, offset);
    acc->v += offset;
    int64_t t = acc->v;
    if (rc) {
        lcv_free(acc);
        r1cs_lc_free(&Y);
        return rc;
    }
    if ((rc = g_bits(b, acc, n, bw))) {
        r1cs_lc_free(&Y);
        return rc;
    }
    int64_t y = (t >> k) - ((int64_t)1 << (bits - 1)); /* t >= 0 here with a witness */
    for (int i = k; !rc && k > 0 && i < n; i++)
        rc = lc_add(b, &Y, bw[i], (int64_t)1 << (i - k));
    if (!rc && k > 0)
        rc = lc_add(b, &Y, 0, -((int64_t)1 << (bits - 1)));
    if (!rc && relu) {
        *out_v = y > 0 ? y : 0;
        if (!(rc = cb_wire(b, *out_v, out)) && !(rc = lc_add(b, &A, bw[n - 1], 1)))
            rc = lc_add(b, &C, *out, 1);
        if (!rc)
            return cb_enforce(b, &A, &Y, &C);
    } else if (!rc) {
        *out_v = y;
        if (!(rc = cb_wire(b, y, out)) && !(rc = lc_add(b, &A, 0, 1)))
            rc = lc_add(b, &C, *out, 1);
        if (!rc)
            return cb_enforce(b, &Y, &A, &C);
    }
    r1cs_lc_free(&Y);
    r1cs_lc_free(&A);
    r1cs_lc_free(&C);
    return rc;
}

int g_quotient(cbuild *b, lcv *acc, int k, uint32_t *y, int64_t *yv)
{
    uint32_t bit = 0;
    r1cs_lc other = {0}, zero = {0};
    if (k < 0 || k > 61) {
        lcv_free(acc);
        return zkml_fail(b->err, ZKML_EINTERNAL, "circuit: quotient by 2^%d", k);
    }
    int64_t t = acc->v + (k > 0 ? (int64_t)1 << (k - 1) : 0);
    int64_t rem = t & (((int64_t)1 << k) - 1); /* two's complement: t mod 2^k, also for t < 0 */
    *yv = (t - rem) / ((int64_t)1 << k);
    /* r = acc + 2^(k-1) - sum_{i>=1} 2^i rem_i - 2^k y is remainder bit 0:
     * r * (r - 1) = 0 (k = 0: r = acc - y, and r * 1 = 0) */
    int rc = k > 0 ? lc_add(b, &acc->lc, 0, (int64_t)1 << (k - 1)) : 0;
    for (int i = 1; !rc && i < k; i++)
        if (!(rc = boolean_wire(b, (int)((rem >> i) & 1), &bit)))
            rc = lc_add(b, &acc->lc, bit, -((int64_t)1 << i));
    if (!rc && !(rc = cb_wire(b, *yv, y)) && !(rc = lc_add(b, &acc->lc, *y, -((int64_t)1 << k))))
        rc = k > 0 ? lc_copy(b, &other, &acc->lc) : 0;
    if (!rc)
        rc = lc_add(b, &other, 0, k > 0 ? -1 : 1);
    if (rc) {
        lcv_free(acc);
        r1cs_lc_free(&other);
        return rc;
    }
    return cb_enforce(b, &acc->lc, &other, &zero);
}

/* out = s * x as a new wire (s a bit, x a wire). */
static int select_wire(cbuild *b, uint32_t s, int sv, uint32_t x, int64_t xv, uint32_t *out)
{
    r1cs_lc A = {0}, B = {0}, C = {0};
    int rc = cb_wire(b, sv ? xv : 0, out);
    if (!rc && !(rc = lc_add(b, &A, s, 1)) && !(rc = lc_add(b, &B, x, 1)))
        rc = lc_add(b, &C, *out, 1);
    if (rc) {
        r1cs_lc_free(&A);
        r1cs_lc_free(&B);
        r1cs_lc_free(&C);
        return rc;
    }
    return cb_enforce(b, &A, &B, &C);
}

int g_relu(cbuild *b, uint32_t x, int64_t xv, int k, uint32_t *z)
{
    lcv d;
    uint32_t s;
    int rc = lcv_wire(b, &d, x, xv);
    if (rc || (rc = g_sign(b, &d, k, &s))) {
        lcv_free(&d);
        return rc;
    }
    return select_wire(b, s, xv >= 0, x, xv, z);
}

int g_max(cbuild *b, uint32_t x, int64_t xv, uint32_t y, int64_t yv, int k, uint32_t *m,
          int64_t *mv)
{
    lcv d;
    uint32_t s;
    int rc = lcv_wire(b, &d, x, xv);
    if (!rc)
        rc = lc_add(b, &d.lc, y, -1);
    d.v = xv - yv;
    if (rc || (rc = g_sign(b, &d, k, &s))) {
        lcv_free(&d);
        return rc;
    }
    *mv = xv >= yv ? xv : yv;
    r1cs_lc A = {0}, B = {0}, C = {0};
    if (!(rc = cb_wire(b, *mv, m)) && !(rc = lc_add(b, &A, s, 1)) && !(rc = lc_add(b, &B, x, 1)) &&
        !(rc = lc_add(b, &B, y, -1)) && !(rc = lc_add(b, &C, *m, 1)) &&
        !(rc = lc_add(b, &C, y, -1)))
        return cb_enforce(b, &A, &B, &C);
    r1cs_lc_free(&A);
    r1cs_lc_free(&B);
    r1cs_lc_free(&C);
    return rc;
}

int g_leaky_relu(cbuild *b, uint32_t x, int64_t xv, int k, int64_t alpha, int p, int bits,
                 uint32_t *out)
{
    lcv d, acc = {0};
    uint32_t s, prod;
    int64_t ov;
    int rc = lcv_wire(b, &d, x, xv);
    if (rc || (rc = g_sign(b, &d, k, &s))) {
        lcv_free(&d);
        return rc;
    }
    if ((rc = select_wire(b, s, xv >= 0, x, xv, &prod)))
        return rc;
    /* alpha * x + (2^p - alpha) * (s * x) */
    acc.v = xv >= 0 ? xv * ((int64_t)1 << p) : xv * alpha;
    if ((rc = lc_add(b, &acc.lc, x, alpha)) ||
        (rc = lc_add(b, &acc.lc, prod, ((int64_t)1 << p) - alpha))) {
        lcv_free(&acc);
        return rc;
    }
    return g_requant(b, &acc, p, bits, 0, out, &ov);
}

int g_clip(cbuild *b, uint32_t x, int64_t xv, const clip_spec *c, uint32_t *out)
{
    uint32_t inside = 0, above = 0;
    int iv = !c->has_lo || xv >= c->lo, av = c->has_hi && xv > c->hi;
    int rc = 0;
    lcv d;
    if (c->has_lo) {
        if (!(rc = lcv_wire(b, &d, x, xv - c->lo)))
            rc = lc_add(b, &d.lc, 0, -c->lo);
        if (rc || (rc = g_sign(b, &d, c->k_lo, &inside))) {
            lcv_free(&d);
            return rc;
        }
    }
    if (c->has_hi) {
        if (!(rc = lcv_wire(b, &d, x, xv - c->hi - 1)))
            rc = lc_add(b, &d.lc, 0, -c->hi - 1);
        if (rc || (rc = g_sign(b, &d, c->k_hi, &above))) {
            lcv_free(&d);
            return rc;
        }
    }
    int64_t yv = av ? c->hi : iv ? xv : c->lo;
    r1cs_lc A = {0}, B = {0}, C = {0};
    /* A = inside - above, with inside = 1 and above = 0 for a bound that
     * does not apply; C = y - hi * above - lo * (1 - inside). */
    if (!(rc = cb_wire(b, yv, out)) && !(rc = lc_add(b, &B, x, 1)) &&
        !(rc = lc_add(b, &C, *out, 1)) &&
        !(rc = c->has_lo ? lc_add(b, &A, inside, 1) : lc_add(b, &A, 0, 1)) &&
        !(rc = c->has_hi ? lc_add(b, &A, above, -1) : 0) &&
        !(rc = c->has_hi ? lc_add(b, &C, above, -c->hi) : 0) &&
        !(rc = c->has_lo ? lc_add(b, &C, 0, -c->lo) : 0) &&
        !(rc = c->has_lo ? lc_add(b, &C, inside, c->lo) : 0))
        return cb_enforce(b, &A, &B, &C);
    r1cs_lc_free(&A);
    r1cs_lc_free(&B);
    r1cs_lc_free(&C);
    return rc;
}

int g_zero(cbuild *b, uint32_t *w)
{
    r1cs_lc A = {0}, B = {0}, C = {0};
    int rc = cb_wire(b, 0, w);
    if (!rc && !(rc = lc_add(b, &A, *w, 1)) && !(rc = lc_add(b, &B, 0, 1)))
        return cb_enforce(b, &A, &B, &C);
    r1cs_lc_free(&A);
    r1cs_lc_free(&B);
    return rc;
}

/* One level-0 leaf pair as a combination: leaf[2j] + bit * (leaf[2j+1] - leaf[2j]). */
static int mux_leaf(cbuild *b, const int64_t *leaf, uint32_t j, uint32_t bit, int bv, lcv *out)
{
    memset(out, 0, sizeof *out);
    out->v = leaf[2 * j + (uint32_t)bv];
    int rc = lc_add(b, &out->lc, 0, leaf[2 * j]);
    if (!rc)
        rc = lc_add(b, &out->lc, bit, leaf[2 * j + 1] - leaf[2 * j]);
    return rc;
}

/* m = v0 + bit * (v1 - v0) as a new wire; consumes v0 and v1 into *out. */
static int mux_node(cbuild *b, lcv *v0, lcv *v1, uint32_t bit, int bv, lcv *out)
{
    r1cs_lc A = {0}, B = {0}, C = {0};
    uint32_t m = 0;
    int64_t mv = bv ? v1->v : v0->v;
    int rc = cb_wire(b, mv, &m);
    if (!rc && !(rc = lc_add(b, &A, bit, 1)) && !(rc = lc_copy(b, &B, &v1->lc)) &&
        !(rc = lc_axpy(b, &B, -1, &v0->lc)) && !(rc = lc_add(b, &C, m, 1)) &&
        !(rc = lc_axpy(b, &C, -1, &v0->lc)))
        rc = cb_enforce(b, &A, &B, &C);
    else {
        r1cs_lc_free(&A);
        r1cs_lc_free(&B);
        r1cs_lc_free(&C);
    }
    lcv_free(v0);
    lcv_free(v1);
    if (rc)
        return rc;
    return lcv_wire(b, out, m, mv);
}

/* Selects leaf[index] with index given by bits idx[0..seg-1]. */
static int mux_tree(cbuild *b, const int64_t *leaf, int seg, const uint32_t *idx, int64_t iv,
                    lcv *out)
{
    uint32_t n = (uint32_t)1 << (seg - 1);
    lcv *level = calloc(n, sizeof *level);
    if (!level)
        return zkml_fail(b->err, ZKML_ENOMEM, "circuit: out of memory");
    int rc = 0;
    for (uint32_t j = 0; j < n && !rc; j++)
        rc = mux_leaf(b, leaf, j, idx[0], (int)(iv & 1), &level[j]);
    for (int l = 1; l < seg && !rc; l++) {
        n /= 2;
        for (uint32_t j = 0; j < n && !rc; j++) {
            lcv m;
            rc = mux_node(b, &level[2 * j], &level[2 * j + 1], idx[l], (int)((iv >> l) & 1), &m);
            level[j] = m;
        }
    }
    if (!rc) {
        *out = level[0];
        memset(&level[0], 0, sizeof level[0]);
    }
    for (uint32_t j = 0; j < ((uint32_t)1 << (seg - 1)); j++)
        lcv_free(&level[j]);
    free(level);
    return rc;
}

/* c = clamp(x, -half, half - 1) as a combination (costs two signs and a product). */
static int pwl_clamp(cbuild *b, uint32_t x, int64_t xv, const pwl_spec *p, lcv *c)
{
    lcv dh, dl;
    uint32_t above, inside, t;
    memset(c, 0, sizeof *c);
    int rc = lcv_wire(b, &dh, x, xv);
    if (!rc)
        rc = lc_add(b, &dh.lc, 0, -p->half);
    dh.v = xv - p->half;
    if (rc || (rc = g_sign(b, &dh, p->k + 1, &above))) {
        lcv_free(&dh);
        return rc;
    }
    rc = lcv_wire(b, &dl, x, xv);
    if (!rc)
        rc = lc_add(b, &dl.lc, 0, p->half);
    dl.v = xv + p->half;
    if (rc || (rc = g_sign(b, &dl, p->k + 1, &inside))) {
        lcv_free(&dl);
        return rc;
    }
    int av = xv >= p->half, iv = xv >= -p->half;
    r1cs_lc A = {0}, B = {0}, C = {0};
    if ((rc = cb_wire(b, (iv - av) * xv, &t)) || (rc = lc_add(b, &A, inside, 1)) ||
        (rc = lc_add(b, &A, above, -1)) || (rc = lc_add(b, &B, x, 1)) ||
        (rc = lc_add(b, &C, t, 1))) {
        r1cs_lc_free(&A);
        r1cs_lc_free(&B);
        r1cs_lc_free(&C);
        return rc;
    }
    if ((rc = cb_enforce(b, &A, &B, &C)))
        return rc;
    memset(c, 0, sizeof *c);
    c->v = (iv - av) * xv + (p->half - 1) * av - p->half + p->half * iv;
    if ((rc = lc_add(b, &c->lc, t, 1)) || (rc = lc_add(b, &c->lc, above, p->half - 1)) ||
        (rc = lc_add(b, &c->lc, 0, -p->half)) || (rc = lc_add(b, &c->lc, inside, p->half)))
        lcv_free(c);
    return rc;
}

int g_pwl(cbuild *b, uint32_t x, int64_t xv, const pwl_spec *p, uint32_t *out)
{
    uint32_t bits[64];
    lcv u = {0}, f = {0}, ksel = {0}, dsel = {0}, acc = {0};
    int n = p->seg + p->e, rc;
    int64_t *slope = malloc(((size_t)1 << p->seg) * sizeof *slope);
    if (!slope)
        return zkml_fail(b->err, ZKML_ENOMEM, "circuit: out of memory");
    for (size_t i = 0; i < ((size_t)1 << p->seg); i++)
        slope[i] = p->knots[i + 1] - p->knots[i];
    rc = p->clamp ? pwl_clamp(b, x, xv, p, &u) : lcv_wire(b, &u, x, xv);
    if (!rc)
        rc = lc_add(b, &u.lc, 0, p->half);
    u.v += p->half;
    int64_t uv = u.v;
    if (rc)
        lcv_free(&u);
    else
        rc = g_bits_wired(b, &u, n, bits); /* consumes u */
    if (rc) {
        free(slope);
        return rc;
    }
    int64_t idx = uv >> p->e;
    f.v = uv - (idx << p->e);
    for (int i = 0; i < p->e && !rc; i++)
        rc = lc_add(b, &f.lc, bits[i], (int64_t)1 << i);
    if (!rc)
        rc = mux_tree(b, p->knots, p->seg, bits + p->e, idx, &ksel);
    if (!rc)
        rc = mux_tree(b, slope, p->seg, bits + p->e, idx, &dsel);
    free(slope);
    acc.v = ksel.v * ((int64_t)1 << p->e) + dsel.v * f.v;
    if (!rc)
        rc = lc_axpy(b, &acc.lc, (int64_t)1 << p->e, &ksel.lc);
    if (!rc && p->e > 0) {
        uint32_t prod;
        r1cs_lc C = {0};
        if (!(rc = cb_wire(b, dsel.v * f.v, &prod)) && !(rc = lc_add(b, &C, prod, 1)) &&
            !(rc = lc_add(b, &acc.lc, prod, 1)))
            rc = cb_enforce(b, &dsel.lc, &f.lc, &C);
        else
            r1cs_lc_free(&C);
    }
    lcv_free(&ksel);
    lcv_free(&dsel);
    lcv_free(&f);
    if (rc) {
        lcv_free(&acc);
        return rc;
    }
    int64_t ov;
    return g_requant(b, &acc, p->e, p->bits, 0, out, &ov);
}

int g_mul(cbuild *b, const r1cs_lc *a, const r1cs_lc *bb, const fr_t *v, uint32_t *w)
{
    r1cs_lc A = {0}, B = {0}, C = {0};
    int rc = cb_wire_fr(b, v, w);
    if (!rc && !(rc = lc_copy(b, &A, a)) && !(rc = lc_copy(b, &B, bb)) &&
        !(rc = lc_add(b, &C, *w, 1)))
        return cb_enforce(b, &A, &B, &C);
    r1cs_lc_free(&A);
    r1cs_lc_free(&B);
    r1cs_lc_free(&C);
    return rc;
}
