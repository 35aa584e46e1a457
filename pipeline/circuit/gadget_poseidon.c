/*
 * gadget_poseidon.c - the Poseidon gadget and the commitment chain over it
 * (gadgets.h states the cost and why it is sound). The state is kept as
 * linear combinations: round constants and the MDS matrix only rewrite
 * them, so only the S-boxes create wires and constraints (an S-box's input
 * gets its own wire first).
 */
#include "pipeline/circuit/gadgets.h"

#include <string.h>

void lcf_free(lcf *x)
{
    r1cs_lc_free(&x->lc);
}

static int lcf_copy(cbuild *b, lcf *dst, const lcf *src)
{
    memset(dst, 0, sizeof *dst);
    dst->v = src->v;
    return lc_copy(b, &dst->lc, &src->lc);
}

/* dst += k * src */
static int lcf_axpy(cbuild *b, lcf *dst, const fr_t *k, const lcf *src)
{
    fr_t t;
    fr_mul(&t, k, &src->v);
    fr_add(&dst->v, &dst->v, &t);
    return r1cs_lc_axpy(&dst->lc, k, &src->lc, b->err);
}

/* x's combination replaced by a new wire w of x's value, with the
 * constraint w * 1 = x (g_own_wire for a field value). An S-box
 * input is the MDS mix of the whole state plus a round constant: up to
 * t + R_P terms with full-size coefficients, which the setup multiplies one
 * by one. Named by the S-box's three products, they stood three times, twice
 * in B (a G2 product each); on their own wire they stand once, in C, the
 * cheapest side. Sound: the constraint fixes w to x's value. Costs 1. */
static int lcf_own_wire(cbuild *b, lcf *x)
{
    uint32_t w;
    int rc = cb_wire_fr(b, &x->v, &w);
    if (!rc && !(rc = g_wire_equals(b, w, &x->lc))) /* x->lc is empty now */
        return lc_add(b, &x->lc, w, 1);
    lcf_free(x);
    return rc;
}

/* x = x^5 in place. A constant's value is its coefficient of wire 0 (the
 * builder without a witness has no values). */
static int sbox(cbuild *b, lcf *x)
{
    const r1cs_lc *l = &x->lc;
    if (l->n == 0 || (l->n == 1 && l->terms[0].wire == 0)) {
        fr_t c, c4;
        if (l->n)
            c = l->terms[0].coeff;
        else
            fr_zero(&c);
        fr_sqr(&c4, &c);
        fr_sqr(&c4, &c4);
        fr_mul(&x->v, &c, &c4);
        lcf_free(x);
        return lc_add_fr(b, &x->lc, 0, &x->v);
    }
    fr_t v2, v4, v5;
    fr_sqr(&v2, &x->v);
    fr_sqr(&v4, &v2);
    fr_mul(&v5, &v4, &x->v);
    uint32_t w2, w4, w5;
    r1cs_lc l2 = {0}, l4 = {0};
    int rc = lcf_own_wire(b, x);
    if (!rc)
        rc = g_mul(b, l, l, &v2, &w2);
    if (!rc && !(rc = lc_add(b, &l2, w2, 1)))
        rc = g_mul(b, &l2, &l2, &v4, &w4);
    if (!rc && !(rc = lc_add(b, &l4, w4, 1)))
        rc = g_mul(b, &l4, l, &v5, &w5);
    r1cs_lc_free(&l2);
    r1cs_lc_free(&l4);
    if (rc)
        return rc;
    lcf_free(x);
    x->v = v5;
    return lc_add(b, &x->lc, w5, 1);
}

static int round_step(cbuild *b, const poseidon_params *p, int r, lcf *s)
{
    int t = p->t, half = POSEIDON_FULL_ROUNDS / 2;
    int full = r < half || r >= half + p->rounds_p, rc = 0;
    for (int i = 0; !rc && i < t; i++) {
        fr_add(&s[i].v, &s[i].v, &p->c[r * t + i]);
        rc = lc_add_fr(b, &s[i].lc, 0, &p->c[r * t + i]);
        if (!rc && (full || i == 0))
            rc = sbox(b, &s[i]);
    }
    lcf next[POSEIDON_MAX_T];
    memset(next, 0, sizeof next);
    for (int i = 0; !rc && i < t; i++)
        for (int j = 0; !rc && j < t; j++)
            rc = lcf_axpy(b, &next[i], &p->m[i][j], &s[j]);
    for (int i = 0; i < t; i++) {
        lcf_free(&s[i]);
        s[i] = next[i];
    }
    return rc;
}

int g_poseidon(cbuild *b, const lcf *in, int n, const lcf *init, lcf *out)
{
    const poseidon_params *p = poseidon_params_get(n + 1);
    if (!p)
        return zkml_fail(b->err, ZKML_EINTERNAL, "circuit: Poseidon of %d inputs", n);
    lcf s[POSEIDON_MAX_T];
    memset(s, 0, sizeof s);
    int rc = lcf_copy(b, &s[0], init);
    for (int i = 0; !rc && i < n; i++)
        rc = lcf_copy(b, &s[i + 1], &in[i]);
    for (int r = 0; !rc && r < POSEIDON_FULL_ROUNDS + p->rounds_p; r++)
        rc = round_step(b, p, r, s);
    for (int i = rc ? 0 : 1; i <= n; i++)
        lcf_free(&s[i]);
    if (!rc)
        *out = s[0];
    return rc;
}

int g_poseidon_commit(cbuild *b, const lcf *in, size_t n, lcf *out)
{
    memset(out, 0, sizeof *out);
    fr_from_u64(&out->v, n);
    int rc = lc_add_fr(b, &out->lc, 0, &out->v);
    for (size_t at = 0; !rc && at < n; at += POSEIDON_CHUNK) {
        size_t len = n - at < POSEIDON_CHUNK ? n - at : POSEIDON_CHUNK;
        lcf h;
        rc = g_poseidon(b, in + at, (int)len, out, &h);
        lcf_free(out);
        if (!rc)
            *out = h;
    }
    return rc;
}
