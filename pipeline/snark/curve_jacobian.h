/*
 * curve_jacobian.h - internal to curve.c: the group law of a short Weierstrass
 * curve y^2 = x^3 + b (a = 0) in Jacobian coordinates, written once and
 * included once per group, G1 over Fp and G2 over Fp2.
 *
 * The includer defines:
 *   CJ(name)       the name of a group function (g1_##name, g2_##name)
 *   CJ_AFFINE, CJ_JAC, CJ_F      the point and field element types
 *   CJ_ADD, CJ_SUB, CJ_DBL, CJ_NEG, CJ_MUL, CJ_SQR, CJ_INV
 *                  r = a op b (or op a) on field elements
 *   CJ_ONE, CJ_ZERO, CJ_IS_ZERO, CJ_EQ           constants and tests
 *   CJ_B           the curve's b
 *   CJ_BATCH_MUL(r, a, b, fast)   the batch addition's product; fast is a
 *                  constant the includer may use to pick an inline product
 *   CJ_FAST_PRODUCTS()            whether this CPU takes the fast products
 * and may define CJ_MUL_ELSEWHERE when a faster CJ(mul) is written apart
 * (G1's, glv.c), and CJ_BATCH_DOUBLE for CJ(batch_double_affine) (G1's, for
 * glv.c's lockstep multiplication),
 * and this file undefines them all at its end. Every addition handles what
 * its formula cannot take: an input at infinity, equal inputs (doubling) and
 * opposite inputs (infinity). Results may alias inputs.
 */

/* y^2 = x^3 + b */
int CJ(is_on_curve)(const CJ_AFFINE *p)
{
    if (p->infinity)
        return 1;
    CJ_F lhs, rhs;
    CJ_SQR(&lhs, &p->y);
    CJ_SQR(&rhs, &p->x);
    CJ_MUL(&rhs, &rhs, &p->x);
    CJ_ADD(&rhs, &rhs, &CJ_B);
    return CJ_EQ(&lhs, &rhs);
}

static void CJ(set_infinity)(CJ_JAC *r)
{
    CJ_ONE(&r->x);
    CJ_ONE(&r->y);
    CJ_ZERO(&r->z);
}

void CJ(to_jac)(CJ_JAC *r, const CJ_AFFINE *p)
{
    if (p->infinity) {
        CJ(set_infinity)(r);
        return;
    }
    r->x = p->x;
    r->y = p->y;
    CJ_ONE(&r->z);
}

static void CJ(affine_set_infinity)(CJ_AFFINE *r)
{
    CJ_ZERO(&r->x);
    CJ_ZERO(&r->y);
    r->infinity = 1;
}

void CJ(to_affine)(CJ_AFFINE *r, const CJ_JAC *p)
{
    if (CJ_IS_ZERO(&p->z)) {
        CJ(affine_set_infinity)(r);
        return;
    }
    CJ_F zinv, zinv2;
    CJ_INV(&zinv, &p->z);
    CJ_SQR(&zinv2, &zinv);
    CJ_MUL(&r->x, &p->x, &zinv2);
    CJ_MUL(&zinv2, &zinv2, &zinv);
    CJ_MUL(&r->y, &p->y, &zinv2);
    r->infinity = 0;
}

/* dbl-2009-l (a = 0): 2M + 5S. */
void CJ(double)(CJ_JAC *r, const CJ_JAC *a)
{
    CJ_F A, B, C, D, E, F, t;
    if (CJ_IS_ZERO(&a->z)) {
        *r = *a;
        return;
    }
    CJ_SQR(&A, &a->x);
    CJ_SQR(&B, &a->y);
    CJ_SQR(&C, &B);
    CJ_ADD(&D, &a->x, &B);
    CJ_SQR(&D, &D);
    CJ_SUB(&D, &D, &A);
    CJ_SUB(&D, &D, &C);
    CJ_DBL(&D, &D);
    CJ_DBL(&E, &A);
    CJ_ADD(&E, &E, &A);
    CJ_SQR(&F, &E);
    CJ_MUL(&t, &a->y, &a->z); /* Z3 before Y1 may be overwritten */
    CJ_DBL(&r->z, &t);
    CJ_DBL(&t, &D);
    CJ_SUB(&r->x, &F, &t);
    CJ_SUB(&t, &D, &r->x);
    CJ_MUL(&t, &E, &t);
    CJ_DBL(&C, &C);
    CJ_DBL(&C, &C);
    CJ_DBL(&C, &C);
    CJ_SUB(&r->y, &t, &C);
}

/* The end of both additions: with h = U2 - U1 and rr = 2 (S2 - S1) (both for
 * a general add, with Z1 = 1 folded in for the mixed one), v = U1 i and
 * j = h i, X3 = rr^2 - j - 2 v and Y3 = rr (v - X3) - 2 S1 j. */
static inline void CJ(add_finish)(CJ_JAC *r, const CJ_F *rr, const CJ_F *v, const CJ_F *j,
                                  const CJ_F *s1)
{
    CJ_F t, y;
    CJ_MUL(&y, s1, j); /* before r->y, which s1 may alias, is written */
    CJ_DBL(&y, &y);
    CJ_SQR(&r->x, rr);
    CJ_SUB(&r->x, &r->x, j);
    CJ_DBL(&t, v);
    CJ_SUB(&r->x, &r->x, &t);
    CJ_SUB(&t, v, &r->x);
    CJ_MUL(&t, rr, &t);
    CJ_SUB(&r->y, &t, &y);
}

/* When the inputs share x (h = 0) the formulas fail: a + b is then 2a if the
 * y agree too (rr = 0), else infinity. 1 if that was the case and r is set. */
static inline int CJ(same_x)(CJ_JAC *r, const CJ_JAC *a, const CJ_F *h, const CJ_F *rr)
{
    if (!CJ_IS_ZERO(h))
        return 0;
    if (CJ_IS_ZERO(rr))
        CJ(double)(r, a);
    else
        CJ(set_infinity)(r);
    return 1;
}

/* add-2007-bl: 11M + 5S. */
void CJ(add)(CJ_JAC *r, const CJ_JAC *a, const CJ_JAC *b)
{
    if (CJ_IS_ZERO(&a->z)) {
        *r = *b;
        return;
    }
    if (CJ_IS_ZERO(&b->z)) {
        *r = *a;
        return;
    }
    CJ_F z1z1, z2z2, u1, u2, s1, s2, h, i, j, rr, v, t;
    CJ_SQR(&z1z1, &a->z);
    CJ_SQR(&z2z2, &b->z);
    CJ_MUL(&u1, &a->x, &z2z2);
    CJ_MUL(&u2, &b->x, &z1z1);
    CJ_MUL(&s1, &a->y, &b->z);
    CJ_MUL(&s1, &s1, &z2z2);
    CJ_MUL(&s2, &b->y, &a->z);
    CJ_MUL(&s2, &s2, &z1z1);
    CJ_SUB(&h, &u2, &u1);
    CJ_SUB(&rr, &s2, &s1);
    if (CJ(same_x)(r, a, &h, &rr))
        return;
    CJ_DBL(&i, &h);
    CJ_SQR(&i, &i);
    CJ_MUL(&j, &h, &i);
    CJ_DBL(&rr, &rr);
    CJ_MUL(&v, &u1, &i);
    CJ_ADD(&t, &a->z, &b->z); /* Z3 first: r may alias a or b */
    CJ_SQR(&t, &t);
    CJ_SUB(&t, &t, &z1z1);
    CJ_SUB(&t, &t, &z2z2);
    CJ_MUL(&r->z, &t, &h);
    CJ(add_finish)(r, &rr, &v, &j, &s1);
}

/* madd-2007-bl: a Jacobian plus an affine point, 7M + 4S. */
void CJ(add_affine)(CJ_JAC *r, const CJ_JAC *a, const CJ_AFFINE *b)
{
    if (b->infinity) {
        *r = *a;
        return;
    }
    if (CJ_IS_ZERO(&a->z)) {
        CJ(to_jac)(r, b);
        return;
    }
    CJ_F z1z1, u2, s2, h, hh, i, j, rr, v, t;
    CJ_SQR(&z1z1, &a->z);
    CJ_MUL(&u2, &b->x, &z1z1);
    CJ_MUL(&s2, &b->y, &a->z);
    CJ_MUL(&s2, &s2, &z1z1);
    CJ_SUB(&h, &u2, &a->x);
    CJ_SUB(&rr, &s2, &a->y);
    if (CJ(same_x)(r, a, &h, &rr))
        return;
    CJ_SQR(&hh, &h);
    CJ_DBL(&i, &hh);
    CJ_DBL(&i, &i);
    CJ_MUL(&j, &h, &i);
    CJ_DBL(&rr, &rr);
    CJ_MUL(&v, &a->x, &i);
    CJ_ADD(&t, &a->z, &h); /* r may alias a: only a->y is read after this */
    CJ_SQR(&t, &t);
    CJ_SUB(&t, &t, &z1z1);
    CJ_SUB(&r->z, &t, &hh);
    CJ(add_finish)(r, &rr, &v, &j, &a->y);
}

void CJ(neg)(CJ_JAC *r, const CJ_JAC *a)
{
    r->x = a->x;
    CJ_NEG(&r->y, &a->y);
    r->z = a->z;
}

/* r = sum of k[i] a[i] for n <= CJ_SUM_MAX raw 256-bit k (little-endian limbs):
 * fixed 4-bit windows, one table per product, and one chain of doublings shared
 * by all of them (Straus), so n products cost one product's 256 doublings. */
#define CJ_SUM_MAX 8
static void CJ(mul_sum_limbs)(CJ_JAC *r, const CJ_JAC *a, const uint64_t (*k)[4], size_t n)
{
    CJ_JAC table[CJ_SUM_MAX][16], acc;
    for (size_t i = 0; i < n; i++) {
        CJ(set_infinity)(&table[i][0]);
        table[i][1] = a[i];
        for (int d = 2; d < 16; d++)
            CJ(add)(&table[i][d], &table[i][d - 1], &a[i]);
    }
    CJ(set_infinity)(&acc);
    for (int w = 63; w >= 0; w--) {
        for (int d = 0; d < 4; d++)
            CJ(double)(&acc, &acc);
        for (size_t i = 0; i < n; i++) {
            unsigned digit = (unsigned)(k[i][w / 16] >> (4 * (w % 16))) & 15;
            if (digit)
                CJ(add)(&acc, &acc, &table[i][digit]);
        }
    }
    *r = acc;
}

/* k * a for a raw 256-bit k (little-endian limbs). */
static void CJ(mul_limbs)(CJ_JAC *r, const CJ_JAC *a, const uint64_t k[4])
{
    CJ(mul_sum_limbs)(r, a, (const uint64_t (*)[4])k, 1);
}

#ifndef CJ_MUL_ELSEWHERE
void CJ(mul)(CJ_JAC *r, const CJ_JAC *a, const fr_t *k)
{
    uint64_t raw[4];
    mont_to_raw(raw, k->v, &FR_MODULUS);
    CJ(mul_limbs)(r, a, raw);
    zkml_wipe(raw, sizeof raw); /* k may be a setup secret (alpha, beta, ...) */
}
#endif

/* X1 Z2^2 = X2 Z1^2 and Y1 Z2^3 = Y2 Z1^3. */
int CJ(eq)(const CJ_JAC *a, const CJ_JAC *b)
{
    int a_inf = CJ_IS_ZERO(&a->z), b_inf = CJ_IS_ZERO(&b->z);
    if (a_inf || b_inf)
        return a_inf && b_inf;
    CJ_F z1z1, z2z2, l, rr;
    CJ_SQR(&z1z1, &a->z);
    CJ_SQR(&z2z2, &b->z);
    CJ_MUL(&l, &a->x, &z2z2);
    CJ_MUL(&rr, &b->x, &z1z1);
    if (!CJ_EQ(&l, &rr))
        return 0;
    CJ_MUL(&l, &a->y, &z2z2);
    CJ_MUL(&l, &l, &b->z);
    CJ_MUL(&rr, &b->y, &z1z1);
    CJ_MUL(&rr, &rr, &a->z);
    return CJ_EQ(&l, &rr);
}

/* For ZKML_VERIFY: Montgomery's trick ends with its running product back at one. */
static inline int CJ(is_one)(const CJ_F *a)
{
    CJ_F one;
    CJ_ONE(&one);
    return CJ_EQ(a, &one);
}

/* Montgomery's trick: one inversion for all the z. */
int CJ(batch_to_affine)(CJ_AFFINE *out, const CJ_JAC *in, size_t n)
{
    CJ_F *prefix = malloc((n ? n : 1) * sizeof *prefix);
    if (!prefix)
        return -1;
    CJ_F acc;
    CJ_ONE(&acc);
    for (size_t i = 0; i < n; i++) {
        prefix[i] = acc; /* product of the nonzero z before i */
        if (!CJ_IS_ZERO(&in[i].z))
            CJ_MUL(&acc, &acc, &in[i].z);
    }
    ZKML_VERIFY(!CJ_IS_ZERO(&acc)); /* a product of nonzero z */
    CJ_INV(&acc, &acc);
    for (size_t i = n; i-- > 0;) {
        if (CJ_IS_ZERO(&in[i].z)) {
            CJ(affine_set_infinity)(&out[i]);
            continue;
        }
        CJ_F zinv, zinv2, x, y;
        CJ_MUL(&zinv, &acc, &prefix[i]);
        CJ_MUL(&acc, &acc, &in[i].z);
        CJ_SQR(&zinv2, &zinv);
        CJ_MUL(&x, &in[i].x, &zinv2);
        CJ_MUL(&zinv2, &zinv2, &zinv);
        CJ_MUL(&y, &in[i].y, &zinv2);
        out[i].x = x;
        out[i].y = y;
        out[i].infinity = 0;
    }
    ZKML_VERIFY(CJ(is_one)(&acc));
    free(prefix);
    return 0;
}

/* How a + b is formed in the batch addition: through the chord or tangent
 * slope num / den, or directly (an input at infinity, or b = -a). */
#ifndef CJ_SUM_KINDS /* once for both groups */
#define CJ_SUM_KINDS
enum { CJ_SUM_CHORD, CJ_SUM_TANGENT, CJ_SUM_DIRECT };
#endif

static int CJ(sum_slope)(CJ_F *num, CJ_F *den, const CJ_AFFINE *a, const CJ_AFFINE *b)
{
    if (a->infinity || b->infinity)
        return CJ_SUM_DIRECT;
    if (!CJ_EQ(&a->x, &b->x)) {
        CJ_SUB(num, &b->y, &a->y);
        CJ_SUB(den, &b->x, &a->x);
        return CJ_SUM_CHORD;
    }
    if (!CJ_EQ(&a->y, &b->y) || CJ_IS_ZERO(&a->y))
        return CJ_SUM_DIRECT; /* b = -a: the sum is infinity */
    CJ_F x2;
    CJ_SQR(&x2, &a->x); /* 3 x^2 / 2 y */
    CJ_DBL(num, &x2);
    CJ_ADD(num, num, &x2);
    CJ_DBL(den, &a->y);
    return CJ_SUM_TANGENT;
}

/* Montgomery's trick over the slopes' denominators: one inversion for the
 * batch, then about 6 products per sum. */
static inline __attribute__((always_inline)) void CJ(batch_add_with)(CJ_AFFINE *r,
                                                                     const CJ_AFFINE *a,
                                                                     const CJ_AFFINE *b, size_t n,
                                                                     CJ_F *scratch, const int fast)
{
    CJ_F acc, num, den;
    CJ_ONE(&acc);
    for (size_t i = 0; i < n; i++) {
        scratch[i] = acc; /* product of the denominators before i */
        if (CJ(sum_slope)(&num, &den, &a[i], &b[i]) != CJ_SUM_DIRECT)
            CJ_BATCH_MUL(&acc, &acc, &den, fast);
    }
    /* A chord's den is xb - xa with xa != xb, a tangent's 2y with y != 0. */
    ZKML_VERIFY(!CJ_IS_ZERO(&acc));
    CJ_INV(&acc, &acc);
    for (size_t i = n; i-- > 0;) {
        if (CJ(sum_slope)(&num, &den, &a[i], &b[i]) == CJ_SUM_DIRECT) {
            if (a[i].infinity)
                r[i] = b[i];
            else if (b[i].infinity)
                r[i] = a[i];
            else
                CJ(affine_set_infinity)(&r[i]);
            continue;
        }
        CJ_F lambda, x3, t;
        CJ_BATCH_MUL(&lambda, &acc, &scratch[i], fast); /* 1 / den */
        CJ_BATCH_MUL(&acc, &acc, &den, fast);
        CJ_BATCH_MUL(&lambda, &lambda, &num, fast);
        CJ_BATCH_MUL(&x3, &lambda, &lambda, fast); /* x3 = lambda^2 - xa - xb */
        CJ_SUB(&x3, &x3, &a[i].x);
        CJ_SUB(&x3, &x3, &b[i].x);
        CJ_SUB(&t, &a[i].x, &x3); /* y3 = lambda (xa - x3) - ya */
        CJ_BATCH_MUL(&t, &t, &lambda, fast);
        CJ_SUB(&r[i].y, &t, &a[i].y);
        r[i].x = x3;
        r[i].infinity = 0;
    }
    ZKML_VERIFY(CJ(is_one)(&acc));
}

void CJ(batch_add_affine)(CJ_AFFINE *r, const CJ_AFFINE *a, const CJ_AFFINE *b, size_t n,
                          CJ_F *scratch)
{
    if (CJ_FAST_PRODUCTS())
        CJ(batch_add_with)(r, a, b, n, scratch, 1);
    else
        CJ(batch_add_with)(r, a, b, n, scratch, 0);
}

#ifdef CJ_BATCH_DOUBLE
/* The tangent slope 3 x^2 / 2 y with the denominators sharing one inversion:
 * 7 products per point, as many as a Jacobian doubling, but the result stays
 * affine for the 6-product additions after it. A point with y = 0 (none in
 * G1) doubles to infinity, as infinity does. */
static inline __attribute__((always_inline)) void CJ(batch_double_with)(CJ_AFFINE *p, size_t n,
                                                                        CJ_F *scratch,
                                                                        const int fast)
{
    CJ_F acc, den;
    CJ_ONE(&acc);
    for (size_t i = 0; i < n; i++) {
        scratch[i] = acc; /* product of the denominators before i */
        if (!p[i].infinity && !CJ_IS_ZERO(&p[i].y)) {
            CJ_DBL(&den, &p[i].y);
            CJ_BATCH_MUL(&acc, &acc, &den, fast);
        }
    }
    CJ_INV(&acc, &acc);
    for (size_t i = n; i-- > 0;) {
        if (p[i].infinity || CJ_IS_ZERO(&p[i].y)) {
            CJ(affine_set_infinity)(&p[i]);
            continue;
        }
        CJ_F lambda, x2, x3, t;
        CJ_BATCH_MUL(&lambda, &acc, &scratch[i], fast); /* 1 / 2y */
        CJ_DBL(&den, &p[i].y);
        CJ_BATCH_MUL(&acc, &acc, &den, fast);
        CJ_BATCH_MUL(&x2, &p[i].x, &p[i].x, fast);
        CJ_DBL(&t, &x2);
        CJ_ADD(&x2, &x2, &t);
        CJ_BATCH_MUL(&lambda, &lambda, &x2, fast);
        CJ_BATCH_MUL(&x3, &lambda, &lambda, fast); /* x3 = lambda^2 - 2x */
        CJ_SUB(&x3, &x3, &p[i].x);
        CJ_SUB(&x3, &x3, &p[i].x);
        CJ_SUB(&t, &p[i].x, &x3); /* y3 = lambda (x - x3) - y */
        CJ_BATCH_MUL(&t, &t, &lambda, fast);
        CJ_SUB(&p[i].y, &t, &p[i].y);
        p[i].x = x3;
    }
    ZKML_VERIFY(CJ(is_one)(&acc));
}

void CJ(batch_double_affine)(CJ_AFFINE *p, size_t n, CJ_F *scratch)
{
    if (CJ_FAST_PRODUCTS())
        CJ(batch_double_with)(p, n, scratch, 1);
    else
        CJ(batch_double_with)(p, n, scratch, 0);
}
#endif

#undef CJ
#undef CJ_AFFINE
#undef CJ_JAC
#undef CJ_F
#undef CJ_ADD
#undef CJ_SUB
#undef CJ_DBL
#undef CJ_NEG
#undef CJ_MUL
#undef CJ_SQR
#undef CJ_INV
#undef CJ_ONE
#undef CJ_ZERO
#undef CJ_IS_ZERO
#undef CJ_EQ
#undef CJ_B
#undef CJ_BATCH_MUL
#undef CJ_FAST_PRODUCTS
#undef CJ_MUL_ELSEWHERE
#undef CJ_BATCH_DOUBLE
