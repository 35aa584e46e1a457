/*
 * gadget_poseidon.c - the Poseidon gadget and the commitment chain over it
 * (gadgets.h states the cost and why it is sound). The state is kept as
 * linear combinations: round constants and the MDS matrix only rewrite
 * them, so only the S-boxes create wires and constraints (an S-box's input
 * gets its own wire first). The partial rounds go through precomputed
 * linear maps (partial_maps below) instead of being mixed round by round.
 */
#include "pipeline/circuit/gadgets.h"

#include <pthread.h>
#include <stdlib.h>
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

/* A full round: every element through its S-box, then the MDS mix. */
static int full_round(cbuild *b, const poseidon_params *p, int r, lcf *s)
{
    int t = p->t, rc = 0;
    for (int i = 0; !rc && i < t; i++) {
        fr_add(&s[i].v, &s[i].v, &p->c[r * t + i]);
        rc = lc_add_fr(b, &s[i].lc, 0, &p->c[r * t + i]);
        if (!rc)
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

/* ---- the partial rounds as linear maps ---------------------------------------
 * A partial round sends element 0 alone through an S-box, so the state stays
 * linear in x_0, the state at the first partial round, and in y_j, the S-box
 * outputs so far. With P the identity but for a 0 at element 0, A_k = (M P)^k
 * and c_k partial round k's constants, the state x_k before round k is
 *   x_k = A_k x_0 + sum_{j<k} A_{k-1-j} M e_0 y_j + kappa_k,
 *   kappa_0 = 0,  kappa_{k+1} = M P (kappa_k + c_k),
 * and round k's S-box input is x_k[0] + c_k[0]. Mixed round by round, the t
 * elements were t^2 merges of ever longer combinations a round (~1M products
 * a permutation of width 17, a third of the CIFAR CNN's compile); through
 * the maps an S-box input costs t combinations and k single terms, and the
 * state after the last partial round one t x t product. The combinations,
 * and so the constraints, are the same ones: a linear form has one set of
 * coefficients however it is computed. */
enum { MAX_PARTIAL = POSEIDON_MAX_ROUNDS - POSEIDON_FULL_ROUNDS };

typedef struct partial_maps {
    fr_t row[MAX_PARTIAL][POSEIDON_MAX_T];    /* e_0^T A_k */
    fr_t col[MAX_PARTIAL][POSEIDON_MAX_T];    /* A_k M e_0 */
    fr_t k0[MAX_PARTIAL];                     /* kappa_k[0] + c_k[0] */
    fr_t end[POSEIDON_MAX_T][POSEIDON_MAX_T]; /* A_R, R partial rounds */
    fr_t kend[POSEIDON_MAX_T];                /* kappa_R */
} partial_maps;

/* out = M P x (the mix of a state whose element 0 is 0) */
static void mix_p(const poseidon_params *p, fr_t *out, const fr_t *x)
{
    for (int i = 0; i < p->t; i++) {
        fr_zero(&out[i]);
        for (int j = 1; j < p->t; j++) {
            fr_t v;
            fr_mul(&v, &p->m[i][j], &x[j]);
            fr_add(&out[i], &out[i], &v);
        }
    }
}

/* A_k's columns kept as vectors: A_{k+1} e_j = M P (A_k e_j). */
static void maps_compute(const poseidon_params *p, partial_maps *q)
{
    int t = p->t, half = POSEIDON_FULL_ROUNDS / 2;
    fr_t a[POSEIDON_MAX_T][POSEIDON_MAX_T], kappa[POSEIDON_MAX_T], v[POSEIDON_MAX_T];
    memset(a, 0, sizeof a);
    memset(kappa, 0, sizeof kappa);
    for (int j = 0; j < t; j++)
        fr_one(&a[j][j]); /* a[j]: column j of A_0 */
    for (int k = 0; k < p->rounds_p; k++) {
        const fr_t *c = &p->c[(half + k) * t];
        for (int j = 0; j < t; j++) {
            q->row[k][j] = a[j][0];
            fr_t x;
            for (int i = 0; i < t; i++) { /* column k of the y_j map: sum_j A_k[i][j] M[j][0] */
                fr_mul(&x, &a[j][i], &p->m[j][0]);
                if (j == 0)
                    q->col[k][i] = x;
                else
                    fr_add(&q->col[k][i], &q->col[k][i], &x);
            }
        }
        fr_add(&q->k0[k], &kappa[0], &c[0]);
        for (int i = 0; i < t; i++)
            fr_add(&v[i], &kappa[i], &c[i]);
        mix_p(p, kappa, v);
        for (int j = 0; j < t; j++) {
            mix_p(p, v, a[j]);
            memcpy(a[j], v, (size_t)t * sizeof *v);
        }
    }
    for (int i = 0; i < t; i++) {
        for (int j = 0; j < t; j++)
            q->end[i][j] = a[j][i];
        q->kend[i] = kappa[i];
    }
}

static partial_maps *maps[POSEIDON_MAX_T + 1];
static pthread_mutex_t maps_lock = PTHREAD_MUTEX_INITIALIZER;

/* Width t's maps, made on first use (~6 ms at t = 17); NULL when out of memory. */
static const partial_maps *maps_get(const poseidon_params *p)
{
    pthread_mutex_lock(&maps_lock);
    if (!maps[p->t] && (maps[p->t] = malloc(sizeof *maps[p->t])))
        maps_compute(p, maps[p->t]);
    pthread_mutex_unlock(&maps_lock);
    return maps[p->t];
}

/* dst += k * src term by term: for an S-box output (one wire, newer than
 * dst's), where a merge would copy all of dst for one term. */
static int lcf_add_scaled(cbuild *b, lcf *dst, const fr_t *k, const lcf *src)
{
    fr_t t;
    fr_mul(&t, k, &src->v);
    fr_add(&dst->v, &dst->v, &t);
    for (uint32_t i = 0; i < src->lc.n; i++) {
        fr_mul(&t, k, &src->lc.terms[i].coeff);
        if (r1cs_lc_add_term(&dst->lc, src->lc.terms[i].wire, &t, b->err))
            return b->err->code;
    }
    return 0;
}

/* out = sum_j a[j] x[j] + sum_{j<n} ys[j] y[j] + k */
static int combine(cbuild *b, lcf *out, const fr_t *a, const lcf *x, int t, const fr_t *ys,
                   const lcf *y, int n, const fr_t *k)
{
    memset(out, 0, sizeof *out);
    int rc = 0;
    for (int j = 0; !rc && j < t; j++)
        rc = lcf_axpy(b, out, &a[j], &x[j]);
    for (int j = 0; !rc && j < n; j++)
        rc = lcf_add_scaled(b, out, &ys[j], &y[j]);
    if (!rc) {
        fr_add(&out->v, &out->v, k);
        rc = lc_add_fr(b, &out->lc, 0, k);
    }
    return rc;
}

/* The partial rounds, from s = x_0 to s = x_R. */
static int partial_rounds(cbuild *b, const poseidon_params *p, lcf *s)
{
    const partial_maps *q = maps_get(p);
    if (!q)
        return zkml_fail(b->err, ZKML_ENOMEM, "circuit: out of memory");
    int t = p->t, n = p->rounds_p, made = 0, rc = 0;
    lcf y[MAX_PARTIAL], next[POSEIDON_MAX_T];
    fr_t ys[MAX_PARTIAL]; /* y_j's coefficients in the combination at hand */
    memset(next, 0, sizeof next);
    for (int k = 0; !rc && k < n; k++, made++) {
        for (int j = 0; j < k; j++)
            ys[j] = q->col[k - 1 - j][0];
        rc = combine(b, &y[k], q->row[k], s, t, ys, y, k, &q->k0[k]);
        if (!rc)
            rc = sbox(b, &y[k]);
    }
    for (int i = 0; !rc && i < t; i++) {
        for (int j = 0; j < n; j++)
            ys[j] = q->col[n - 1 - j][i];
        rc = combine(b, &next[i], q->end[i], s, t, ys, y, n, &q->kend[i]);
    }
    for (int j = 0; j < made; j++)
        lcf_free(&y[j]);
    for (int i = 0; i < t; i++) {
        lcf_free(rc ? &next[i] : &s[i]);
        if (!rc)
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
    int half = POSEIDON_FULL_ROUNDS / 2;
    for (int r = 0; !rc && r < half; r++)
        rc = full_round(b, p, r, s);
    if (!rc)
        rc = partial_rounds(b, p, s);
    for (int r = half + p->rounds_p; !rc && r < POSEIDON_FULL_ROUNDS + p->rounds_p; r++)
        rc = full_round(b, p, r, s);
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
