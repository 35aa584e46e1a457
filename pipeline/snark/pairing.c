/*
 * pairing.c - the optimal ate pairing on BN254:
 *   e(P, Q) = (f_{6u+2,Q}(P) * l_{T,pi(Q)}(P) * l_{T+pi(Q),-pi^2(Q)}(P))^((p^12-1)/r)
 * The Miller loop walks 6u+2 in non-adjacent form, keeps T on the twist in
 * homogeneous projective coordinates (x = X/Z, y = Y/Z), and multiplies f by
 * sparse lines l0 + l1 w + l3 w^3 (D-type twist; each line is scaled by a
 * factor in a proper subfield, which the final exponentiation removes). A
 * multi-pairing shares the squarings of f across pairs and one final
 * exponentiation. The hard part of the exponentiation uses the addition
 * chain of Scott et al. (2009) on f^u, f^(u^2), f^(u^3).
 */
#include "pipeline/snark/pairing.h"

#include <string.h>

#define BN_U 0x44e992b44a6909f1ULL /* u = 4965661367192848881 */

/* 6u + 2 in non-adjacent form, most significant digit first. */
static const int8_t ATE_LOOP_NAF[66] = {
    1, 0, -1, 0, 1,  0, 0, 0, -1, 0, -1, 0,  0, 0,  -1, 0, 1, 0, -1, 0, 0, -1,
    0, 0, 0,  0, 0,  1, 0, 0, -1, 0, 1,  0,  0, -1, 0,  0, 0, 0, -1, 0, 1, 0,
    0, 0, -1, 0, -1, 0, 0, 1, 0,  0, 0,  -1, 0, 0,  -1, 0, 1, 0, 1,  0, 0, 0,
};

static const fp_t FP_HALF = {
    {0x87bee7d24f060572ULL, 0xd0fd2add2f1c6ae5ULL, 0x8f5f7492fcfd4f44ULL, 0x1f37631a3d9cbfacULL}};

/* Pairs per Miller loop pass: bounds the stack; longer products chain passes. */
#define PAIRS_PER_PASS 16

typedef struct {
    fp2_t x, y, z;
} twist_proj;

typedef struct pairing_state {
    fp_t px, py;        /* P */
    g2_affine q, neg_q; /* Q and -Q on the twist */
    twist_proj t;       /* the running multiple of Q */
} pairing_state;

/* T = 2T; f *= tangent at T, evaluated at P. */
static void double_step(fp12_t *f, pairing_state *s)
{
    twist_proj *t = &s->t;
    fp2_t a, b, c, e, ff, g, h, i, j, l0, l1, tmp;
    fp2_mul(&a, &t->x, &t->y);
    fp2_mul_fp(&a, &a, &FP_HALF);
    fp2_sqr(&b, &t->y);
    fp2_sqr(&c, &t->z);
    fp2_dbl(&e, &c);
    fp2_add(&e, &e, &c);
    fp2_mul(&e, &e, &TWIST_B); /* 3 b' Z^2 */
    fp2_dbl(&ff, &e);
    fp2_add(&ff, &ff, &e);
    fp2_add(&g, &b, &ff);
    fp2_mul_fp(&g, &g, &FP_HALF);
    fp2_add(&h, &t->y, &t->z);
    fp2_sqr(&h, &h);
    fp2_add(&tmp, &b, &c);
    fp2_sub(&h, &h, &tmp); /* 2 Y Z */
    fp2_sub(&i, &e, &b);
    fp2_sqr(&j, &t->x);

    fp2_sub(&tmp, &b, &ff);
    fp2_mul(&t->x, &a, &tmp);
    fp2_sqr(&tmp, &e);
    fp2_sqr(&t->y, &g);
    fp2_sub(&t->y, &t->y, &tmp);
    fp2_dbl(&tmp, &tmp);
    fp2_sub(&t->y, &t->y, &tmp); /* g^2 - 3 e^2 */
    fp2_mul(&t->z, &b, &h);

    fp2_neg(&l0, &h);
    fp2_mul_fp(&l0, &l0, &s->py);
    fp2_dbl(&l1, &j);
    fp2_add(&l1, &l1, &j);
    fp2_mul_fp(&l1, &l1, &s->px);
    fp12_mul_by_line(f, &l0, &l1, &i);
}

/* T = T + Q (Q affine, T != +-Q); f *= the line through T and Q at P. */
static void add_step(fp12_t *f, pairing_state *s, const g2_affine *q)
{
    twist_proj *t = &s->t;
    fp2_t theta, lambda, c, d, e, ff, g, h, j, l0, l1, tmp;
    fp2_mul(&tmp, &q->y, &t->z);
    fp2_sub(&theta, &t->y, &tmp);
    fp2_mul(&tmp, &q->x, &t->z);
    fp2_sub(&lambda, &t->x, &tmp);
    fp2_sqr(&c, &theta);
    fp2_sqr(&d, &lambda);
    fp2_mul(&e, &lambda, &d);
    fp2_mul(&ff, &t->z, &c);
    fp2_mul(&g, &t->x, &d);
    fp2_add(&h, &e, &ff);
    fp2_dbl(&tmp, &g);
    fp2_sub(&h, &h, &tmp);
    fp2_mul(&t->x, &lambda, &h);
    fp2_sub(&tmp, &g, &h);
    fp2_mul(&tmp, &theta, &tmp);
    fp2_mul(&t->y, &e, &t->y);
    fp2_sub(&t->y, &tmp, &t->y);
    fp2_mul(&t->z, &t->z, &e);

    fp2_mul(&j, &theta, &q->x);
    fp2_mul(&tmp, &lambda, &q->y);
    fp2_sub(&j, &j, &tmp);
    fp2_mul_fp(&l0, &lambda, &s->py);
    fp2_neg(&l1, &theta);
    fp2_mul_fp(&l1, &l1, &s->px);
    fp12_mul_by_line(f, &l0, &l1, &j);
}

/* pi(Q) = (conj(x) xi^((p-1)/3), conj(y) xi^((p-1)/2)), and
 * -pi^2(Q) = (x xi^((p^2-1)/3), -y xi^((p^2-1)/2)). */
static void frobenius_points(g2_affine *q1, g2_affine *neg_q2, const g2_affine *q)
{
    fp2_conj(&q1->x, &q->x);
    fp2_mul(&q1->x, &q1->x, &TWIST_FROB_X1);
    fp2_conj(&q1->y, &q->y);
    fp2_mul(&q1->y, &q1->y, &TWIST_FROB_Y1);
    q1->infinity = 0;
    fp2_mul(&neg_q2->x, &q->x, &TWIST_FROB_X2);
    fp2_mul(&neg_q2->y, &q->y, &TWIST_FROB_Y2);
    fp2_neg(&neg_q2->y, &neg_q2->y);
    neg_q2->infinity = 0;
}

/* One Miller loop over at most PAIRS_PER_PASS pairs, multiplied into f. */
static void miller_pass(fp12_t *f, const g1_affine *p, const g2_affine *q, size_t n)
{
    pairing_state st[PAIRS_PER_PASS];
    size_t m = 0;
    for (size_t k = 0; k < n; k++) {
        if (p[k].infinity || q[k].infinity)
            continue;
        pairing_state *s = &st[m++];
        s->px = p[k].x;
        s->py = p[k].y;
        s->q = q[k];
        s->neg_q = q[k];
        fp2_neg(&s->neg_q.y, &s->neg_q.y);
        s->t.x = q[k].x;
        s->t.y = q[k].y;
        fp2_one(&s->t.z);
    }
    if (m == 0)
        return;
    fp12_t acc;
    fp12_one(&acc);
    for (size_t i = 1; i < sizeof ATE_LOOP_NAF; i++) {
        fp12_sqr(&acc, &acc);
        for (size_t k = 0; k < m; k++) {
            double_step(&acc, &st[k]);
            if (ATE_LOOP_NAF[i] == 1)
                add_step(&acc, &st[k], &st[k].q);
            else if (ATE_LOOP_NAF[i] == -1)
                add_step(&acc, &st[k], &st[k].neg_q);
        }
    }
    for (size_t k = 0; k < m; k++) {
        g2_affine q1, neg_q2;
        frobenius_points(&q1, &neg_q2, &st[k].q);
        add_step(&acc, &st[k], &q1);
        add_step(&acc, &st[k], &neg_q2);
    }
    fp12_mul(f, f, &acc);
}

void bn254_miller_loop(fp12_t *f, const g1_affine *p, const g2_affine *q, size_t n)
{
    fp12_one(f);
    for (size_t done = 0; done < n; done += PAIRS_PER_PASS) {
        size_t k = n - done < PAIRS_PER_PASS ? n - done : PAIRS_PER_PASS;
        miller_pass(f, p + done, q + done, k);
    }
}

/* a^u for a in the cyclotomic subgroup. */
static void exp_by_u(fp12_t *r, const fp12_t *a)
{
    fp12_t acc = *a;
    for (int i = 61; i >= 0; i--) { /* u has 63 bits; the top one is acc = a */
        fp12_cyclotomic_sqr(&acc, &acc);
        if ((BN_U >> i) & 1)
            fp12_mul(&acc, &acc, a);
    }
    *r = acc;
}

void bn254_final_exp(fp12_t *r, const fp12_t *f)
{
    fp12_t t, inv, fu, fu2, fu3, y0, y1, y2, y3, y4, y5, y6, t0, t1;

    /* Easy part: f^((p^6 - 1)(p^2 + 1)). After it, inverses are conjugates. */
    fp12_conj(&t, f);
    fp12_inv(&inv, f);
    fp12_mul(&t, &t, &inv);
    fp12_frobenius(&inv, &t, 2);
    fp12_mul(&t, &inv, &t);

    /* Hard part: t^((p^4 - p^2 + 1) / r). */
    exp_by_u(&fu, &t);
    exp_by_u(&fu2, &fu);
    exp_by_u(&fu3, &fu2);

    fp12_frobenius(&y0, &t, 1);
    fp12_frobenius(&y1, &t, 2);
    fp12_mul(&y0, &y0, &y1);
    fp12_frobenius(&y1, &t, 3);
    fp12_mul(&y0, &y0, &y1);
    fp12_conj(&y1, &t);
    fp12_frobenius(&y2, &fu2, 2);
    fp12_frobenius(&y3, &fu, 1);
    fp12_conj(&y3, &y3);
    fp12_frobenius(&y4, &fu2, 1);
    fp12_mul(&y4, &y4, &fu);
    fp12_conj(&y4, &y4);
    fp12_conj(&y5, &fu2);
    fp12_frobenius(&y6, &fu3, 1);
    fp12_mul(&y6, &y6, &fu3);
    fp12_conj(&y6, &y6);

    fp12_cyclotomic_sqr(&t0, &y6);
    fp12_mul(&t0, &t0, &y4);
    fp12_mul(&t0, &t0, &y5);
    fp12_mul(&t1, &y3, &y5);
    fp12_mul(&t1, &t1, &t0);
    fp12_mul(&t0, &t0, &y2);
    fp12_cyclotomic_sqr(&t1, &t1);
    fp12_mul(&t1, &t1, &t0);
    fp12_cyclotomic_sqr(&t1, &t1);
    fp12_mul(&t0, &t1, &y1);
    fp12_mul(&t1, &t1, &y0);
    fp12_cyclotomic_sqr(&t0, &t0);
    fp12_mul(r, &t0, &t1);
}

void bn254_pairing(fp12_t *r, const g1_affine *p, const g2_affine *q)
{
    fp12_t f;
    bn254_miller_loop(&f, p, q, 1);
    bn254_final_exp(r, &f);
}

int bn254_pairing_check(const g1_affine *p, const g2_affine *q, size_t n)
{
    fp12_t f, e;
    bn254_miller_loop(&f, p, q, n);
    bn254_final_exp(&e, &f);
    return fp12_is_one(&e);
}
