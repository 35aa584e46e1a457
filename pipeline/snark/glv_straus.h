/*
 * glv_straus.h - internal: a sum of up to GS_SUM_MAX full-size products
 * k_i P_i, each scalar split by GLV (glv.c) into two halves below 2^127
 * written as width-5 NAF digits, every product with its tables of odd
 * multiples of P and of phi(P), and one chain of 127 doublings shared by all
 * of them (Straus). Written once for both groups, as curve_jacobian.h is:
 * glv.c includes it for G1 and for G2, whose twist has the same kind of
 * endomorphism, (x, y) -> (beta' x, y) with the same eigenvalue lambda.
 *
 * The including file defines GS(name) (the group's prefix), GS_JAC, GS_SUM_MAX,
 * GS_DOUBLE, GS_ADD and GS_NEG (the group law of snark.h) and GS_ENDO(p)
 * (p = phi(p) on a Jacobian point: its X times the group's beta').
 */

/* One product's share of a sum: its digits and tables. */
typedef struct GS(glv_term) {
    glv_digits g;
    GS_JAC t1[WNAF_TABLE], t2[WNAF_TABLE];
} GS(glv_term);

static void GS(add_digit)(GS_JAC *acc, const GS_JAC table[WNAF_TABLE], int d)
{
    if (d > 0)
        GS_ADD(acc, acc, &table[d >> 1]);
    else if (d < 0) {
        GS_JAC n;
        GS_NEG(&n, &table[-d >> 1]);
        GS_ADD(acc, acc, &n);
    }
}

/* t1: the odd multiples P, 3P, .., 15P of p (negated if neg1); t2 their images
 * under phi, negated when k2's sign differs from k1's. */
static void GS(tables)(GS_JAC t1[WNAF_TABLE], GS_JAC t2[WNAF_TABLE], const GS_JAC *p, int neg1,
                       int neg2)
{
    GS_JAC twice;
    t1[0] = *p;
    if (neg1)
        GS_NEG(&t1[0], p);
    GS_DOUBLE(&twice, &t1[0]);
    for (int i = 1; i < WNAF_TABLE; i++)
        GS_ADD(&t1[i], &t1[i - 1], &twice);
    for (int i = 0; i < WNAF_TABLE; i++) {
        t2[i] = t1[i];
        GS_ENDO(&t2[i]);
        if (neg1 != neg2)
            GS_NEG(&t2[i], &t2[i]);
    }
}

void GS(mul_sum)(GS_JAC *r, const GS_JAC *p, const fr_t *const *k, size_t n)
{
    GS(glv_term) t[GS_SUM_MAX];
    GS_JAC acc;
    int len = 0;
    ZKML_VERIFY(n <= GS_SUM_MAX);
    for (size_t j = 0; j < n; j++) {
        int l = glv_digits_of(&t[j].g, k[j]);
        GS(tables)(t[j].t1, t[j].t2, &p[j], t[j].g.neg1, t[j].g.neg2);
        len = l > len ? l : len;
    }
    memset(&acc, 0, sizeof acc); /* Z = 0: infinity */
    for (int i = len - 1; i >= 0; i--) {
        GS_DOUBLE(&acc, &acc);
        for (size_t j = 0; j < n; j++) {
            GS(add_digit)(&acc, t[j].t1, i < t[j].g.n1 ? t[j].g.d1[i] : 0);
            GS(add_digit)(&acc, t[j].t2, i < t[j].g.n2 ? t[j].g.d2[i] : 0);
        }
    }
    *r = acc;
    zkml_wipe(t, n * sizeof t[0]); /* the digits are the secret's */
}
