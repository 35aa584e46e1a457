/*
 * modinv.c - modular inversion in constant time by Bernstein and Yang's
 * divsteps ("Fast constant-time gcd computation and modular inversion",
 * 2019), for the 254-bit moduli of field.h.
 *
 * Why: Fermat's a^(m-2) costs ~384 Montgomery products, one after the other,
 * and the batch inversions of the setup's and the prover's affine sums spend
 * ~4-8% of their time there. Divsteps do the same in ~12 rounds of 62 cheap
 * word steps and a few 128-bit products, with no branch on the value (the
 * contribution's running products are derived from its secret).
 *
 * The divstep on (delta, f, g), f odd:
 *   delta > 0 and g odd:  (1 - delta, g, (g - f) / 2)
 *   otherwise:            (1 + delta, f, (g + (g mod 2) f) / 2)
 * keeps gcd(f, g) and, from f = m and g = x (x < m, m odd), reaches g = 0
 * with f = +-gcd(m, x) within 736 steps for 254-bit inputs (the paper's
 * bound, (49 d + 57) / 17 for d >= 46 bits); we run 12 x 62 = 744. Each
 * round of 62 steps looks only at the low 64 bits of f and g and yields a
 * matrix T with 2^62 (f', g') = T (f, g); T is then applied to the full f
 * and g, and to d and e, kept with f = d x and g = e x (mod m), where the
 * division by 2^62 becomes exact after adding the multiple of m that
 * clears the low 62 bits. At the end f = +-1, so 1/x = +-d; for x = 0, f
 * stays m and d stays 0, which gives 0 as Fermat does.
 *
 * Numbers are signed, in five limbs of 62 bits (value = sum v[i] 2^(62 i),
 * v[0..3] in [0, 2^62), v[4] carrying the sign); d and e stay in [0, m).
 */
#include "pipeline/snark/field.h"

#define M62 (((uint64_t)1 << 62) - 1)
enum { ROUNDS = 12, STEPS = 62 };

typedef struct s62 {
    int64_t v[5];
} s62;

/* The transition matrix of one round: 2^62 (f', g') = (u f + v g, q f + r g). */
typedef struct trans {
    int64_t u, v, q, r;
} trans;

static void s62_from_limbs(s62 *s, const uint64_t a[4])
{
    s->v[0] = (int64_t)(a[0] & M62);
    s->v[1] = (int64_t)((a[0] >> 62 | a[1] << 2) & M62);
    s->v[2] = (int64_t)((a[1] >> 60 | a[2] << 4) & M62);
    s->v[3] = (int64_t)((a[2] >> 58 | a[3] << 6) & M62);
    s->v[4] = (int64_t)(a[3] >> 56);
}

/* s must be normalised and in [0, 2^256). */
static void s62_to_limbs(uint64_t a[4], const s62 *s)
{
    const uint64_t *v = (const uint64_t *)s->v;
    a[0] = v[0] | v[1] << 62;
    a[1] = v[1] >> 2 | v[2] << 60;
    a[2] = v[2] >> 4 | v[3] << 58;
    a[3] = v[3] >> 6 | v[4] << 56;
}

/* Carries limbs 0..3 into [0, 2^62), the rest into limb 4. */
static void s62_normalise(s62 *s)
{
    for (int i = 0; i < 4; i++) {
        s->v[i + 1] += s->v[i] >> 62; /* arithmetic shift: a borrow is -1 */
        s->v[i] = (int64_t)((uint64_t)s->v[i] & M62);
    }
}

/* All ones when the normalised s is negative, else zero. */
static uint64_t s62_negative(const s62 *s)
{
    return (uint64_t)(s->v[4] >> 63);
}

/* s += m where mask is all ones; s stays normalised. */
static void s62_add_masked(s62 *s, const s62 *m, uint64_t mask)
{
    for (int i = 0; i < 5; i++)
        s->v[i] += (int64_t)((uint64_t)m->v[i] & mask);
    s62_normalise(s);
}

/* s from (-2m, 2m) into [0, m). */
static void s62_reduce(s62 *s, const s62 *m)
{
    s62_add_masked(s, m, s62_negative(s));
    s62_add_masked(s, m, s62_negative(s));
    s62 t = *s;
    for (int i = 0; i < 5; i++)
        t.v[i] -= m->v[i];
    s62_normalise(&t);
    uint64_t keep = s62_negative(&t); /* s < m: keep s */
    for (int i = 0; i < 5; i++)
        s->v[i] = (int64_t)(((uint64_t)s->v[i] & keep) | ((uint64_t)t.v[i] & ~keep));
    zkml_wipe(&t, sizeof t);
}

/* STEPS divsteps on the low words of f and g; returns the new delta. Every
 * step does the same operations whatever the values: the swap is a mask. */
static int64_t divsteps(int64_t delta, uint64_t f, uint64_t g, trans *t)
{
    uint64_t u = 1, v = 0, q = 0, r = 1;
    for (int i = 0; i < STEPS; i++) {
        uint64_t swap = (0 - (uint64_t)(delta > 0)) & (0 - (g & 1));
        /* with swap: delta, (f, g), (u, v, q, r) = -delta, (g, -f), (q, r, -u, -v) */
        uint64_t d = ((uint64_t)delta ^ swap) - swap;
        uint64_t nf = f ^ ((f ^ g) & swap), ng = ((g ^ ((g ^ f) & swap)) ^ swap) - swap;
        uint64_t nu = u ^ ((u ^ q) & swap), nq = ((q ^ ((q ^ u) & swap)) ^ swap) - swap;
        uint64_t nv = v ^ ((v ^ r) & swap), nr = ((r ^ ((r ^ v) & swap)) ^ swap) - swap;
        /* then the step without a swap: g odd adds f, and g halves */
        uint64_t odd = 0 - (ng & 1);
        g = (ng + (nf & odd)) >> 1;
        q = nq + (nu & odd);
        r = nr + (nv & odd);
        f = nf;
        u = nu << 1;
        v = nv << 1;
        delta = (int64_t)(d + 1);
    }
    *t = (trans){(int64_t)u, (int64_t)v, (int64_t)q, (int64_t)r};
    return delta;
}

/* (a, b) = (T (a, b) + (ka, kb) m) / 2^62 with ka, kb = -(the low words) / m
 * mod 2^62, so that the division is exact; with neg_inv 0 (f and g, which T
 * itself makes divisible) ka = kb = 0. */
static void combine(s62 *a, s62 *b, const trans *t, const s62 *m, uint64_t neg_inv)
{
    __int128 ca = (__int128)t->u * a->v[0] + (__int128)t->v * b->v[0];
    __int128 cb = (__int128)t->q * a->v[0] + (__int128)t->r * b->v[0];
    uint64_t ka = ((uint64_t)ca * neg_inv) & M62, kb = ((uint64_t)cb * neg_inv) & M62;
    ca += (__int128)ka * m->v[0];
    cb += (__int128)kb * m->v[0];
    ZKML_VERIFY(((uint64_t)ca & M62) == 0 && ((uint64_t)cb & M62) == 0);
    ca >>= 62;
    cb >>= 62;
    for (int i = 1; i < 5; i++) {
        ca += (__int128)t->u * a->v[i] + (__int128)t->v * b->v[i] + (__int128)ka * m->v[i];
        cb += (__int128)t->q * a->v[i] + (__int128)t->r * b->v[i] + (__int128)kb * m->v[i];
        a->v[i - 1] = (int64_t)((uint64_t)ca & M62);
        b->v[i - 1] = (int64_t)((uint64_t)cb & M62);
        ca >>= 62;
        cb >>= 62;
    }
    a->v[4] = (int64_t)ca;
    b->v[4] = (int64_t)cb;
}

/* The plain inverse of x < m (0 for 0), into r. */
static void divsteps_inverse(uint64_t r[4], const uint64_t x[4], const mont_modulus *q)
{
    s62 m, f, g, d = {{0}}, e = {{1}};
    trans t;
    int64_t delta = 1;
    s62_from_limbs(&m, q->m);
    f = m;
    s62_from_limbs(&g, x);
    for (int i = 0; i < ROUNDS; i++) {
        uint64_t f0 = (uint64_t)f.v[0] | (uint64_t)f.v[1] << 62;
        uint64_t g0 = (uint64_t)g.v[0] | (uint64_t)g.v[1] << 62;
        delta = divsteps(delta, f0, g0, &t);
        combine(&f, &g, &t, &m, 0);
        /* from [0, m), (|u| + |v| <= 2^62): d and e land in (-2m, 2m) */
        combine(&d, &e, &t, &m, q->neg_inv);
        s62_reduce(&d, &m);
        s62_reduce(&e, &m);
    }
    /* f = -1: the inverse is -d */
    uint64_t neg = s62_negative(&f);
    for (int i = 0; i < 5; i++)
        d.v[i] = (int64_t)(((uint64_t)d.v[i] ^ neg) - neg);
    s62_normalise(&d);
    s62_add_masked(&d, &m, s62_negative(&d));
    s62_to_limbs(r, &d);
    /* x may be secret-derived (a contribution's running products) */
    zkml_wipe(&f, sizeof f);
    zkml_wipe(&g, sizeof g);
    zkml_wipe(&d, sizeof d);
    zkml_wipe(&e, sizeof e);
    zkml_wipe(&t, sizeof t);
}

void mont_inv(uint64_t r[4], const uint64_t a[4], const mont_modulus *q)
{
    /* a = x R, so 1/a = x^-1 R^-1: two products by R^2 give x^-1 R */
    uint64_t inv[4];
    divsteps_inverse(inv, a, q);
    mont_mul(inv, inv, q->r2, q);
    mont_mul(r, inv, q->r2, q);
    zkml_wipe(inv, sizeof inv);
}
