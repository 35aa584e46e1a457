/*
 * poseidon.c - circomlib's Poseidon hash over BN254's Fr, natively.
 *
 * The constants are not a committed table: they are generated on first use
 * exactly as the Poseidon paper's reference script generate_parameters_grain.sage
 * generated circomlib's ("1 0 254 t 8 R_P r": prime field, x^5, 254 bits):
 * an 80-bit Grain LFSR seeded with those parameters, self-shrunk, gives 254-bit
 * big-endian numbers; the (8 + R_P) * t round constants are the first ones
 * below r (rejection), then 2t more numbers reduced mod r give x_0..x_{t-1},
 * y_0..y_{t-1} and the Cauchy matrix m[i][j] = 1 / (x_i + y_j). The script
 * redraws those 2t numbers if two coincide or some x_i + y_j is 0; no width
 * of circomlib's needed that, but it is kept so the definition is whole.
 * tests/poseidon checks every width against circomlibjs.
 */
#include "pipeline/snark/field.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* circomlib's partial rounds for t = 2..17 (the paper's security bound
 * rounded up as circomlib did). */
static const int PARTIAL_ROUNDS[POSEIDON_MAX_T - 1] = {
    56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68,
};

int poseidon_partial_rounds(int t)
{
    return t >= POSEIDON_MIN_T && t <= POSEIDON_MAX_T ? PARTIAL_ROUNDS[t - 2] : 0;
}

typedef struct grain {
    uint8_t bit[80];
    int pos; /* bit[pos] is the oldest */
} grain;

static int grain_step(grain *g)
{
    int p = g->pos;
    int nb = g->bit[(p + 62) % 80] ^ g->bit[(p + 51) % 80] ^ g->bit[(p + 38) % 80] ^
             g->bit[(p + 23) % 80] ^ g->bit[(p + 13) % 80] ^ g->bit[p];
    g->bit[p] = (uint8_t)nb;
    g->pos = (p + 1) % 80;
    return nb;
}

/* Fields of the seed, most significant bit first. */
static void grain_put(grain *g, int *at, uint64_t v, int width)
{
    for (int i = width - 1; i >= 0; i--)
        g->bit[(*at)++] = (uint8_t)((v >> i) & 1);
}

static void grain_init(grain *g, int t, int rounds_p)
{
    int at = 0;
    grain_put(g, &at, 1, 2);    /* prime field */
    grain_put(g, &at, 0, 4);    /* S-box x^alpha */
    grain_put(g, &at, 254, 12); /* bits of r */
    grain_put(g, &at, (uint64_t)t, 12);
    grain_put(g, &at, POSEIDON_FULL_ROUNDS, 10);
    grain_put(g, &at, (uint64_t)rounds_p, 10);
    grain_put(g, &at, (1u << 30) - 1, 30);
    g->pos = 0;
    for (int i = 0; i < 160; i++)
        grain_step(g);
}

/* Self-shrinking: of each pair of bits, the second is output when the first is 1. */
static int grain_bit(grain *g)
{
    for (;;) {
        int keep = grain_step(g);
        int b = grain_step(g);
        if (keep)
            return b;
    }
}

static void grain_254(grain *g, uint64_t v[4])
{
    memset(v, 0, 4 * sizeof *v);
    for (int i = 253; i >= 0; i--)
        v[i / 64] |= (uint64_t)grain_bit(g) << (i % 64);
}

static void round_constants(grain *g, poseidon_params *p)
{
    int n = (POSEIDON_FULL_ROUNDS + p->rounds_p) * p->t;
    uint64_t raw[4];
    for (int i = 0; i < n; i++) {
        do
            grain_254(g, raw);
        while (mont_from_raw(p->c[i].v, raw, &FR_MODULUS) != 0);
    }
}

/* 2t numbers mod r, all distinct, with every x_i + y_j != 0; 0 if they are not. */
static int cauchy_points(grain *g, int t, fr_t *xy)
{
    uint64_t raw[4];
    for (int i = 0; i < 2 * t; i++) {
        grain_254(g, raw);
        if (limbs_geq(raw, FR_MODULUS.m)) /* below 2^254 < 2r: one subtraction */
            limbs_sub(raw, raw, FR_MODULUS.m);
        mont_from_raw(xy[i].v, raw, &FR_MODULUS);
    }
    for (int i = 0; i < 2 * t; i++)
        for (int j = i + 1; j < 2 * t; j++)
            if (fr_eq(&xy[i], &xy[j]))
                return 0;
    fr_t s;
    for (int i = 0; i < t; i++)
        for (int j = 0; j < t; j++) {
            fr_add(&s, &xy[i], &xy[t + j]);
            if (fr_is_zero(&s))
                return 0;
        }
    return 1;
}

static void mds(grain *g, poseidon_params *p)
{
    fr_t xy[2 * POSEIDON_MAX_T];
    while (!cauchy_points(g, p->t, xy))
        ;
    for (int i = 0; i < p->t; i++)
        for (int j = 0; j < p->t; j++) {
            fr_add(&p->m[i][j], &xy[i], &xy[p->t + j]);
            fr_inv(&p->m[i][j], &p->m[i][j]);
        }
}

static poseidon_params *params[POSEIDON_MAX_T + 1];
static pthread_mutex_t params_lock = PTHREAD_MUTEX_INITIALIZER;

const poseidon_params *poseidon_params_get(int t)
{
    if (t < POSEIDON_MIN_T || t > POSEIDON_MAX_T)
        return NULL;
    pthread_mutex_lock(&params_lock);
    if (!params[t] && (params[t] = calloc(1, sizeof *params[t]))) {
        grain g;
        params[t]->t = t;
        params[t]->rounds_p = poseidon_partial_rounds(t);
        grain_init(&g, t, params[t]->rounds_p);
        round_constants(&g, params[t]);
        mds(&g, params[t]);
    }
    pthread_mutex_unlock(&params_lock);
    return params[t];
}

static void pow5(fr_t *x)
{
    fr_t x4;
    fr_sqr(&x4, x);
    fr_sqr(&x4, &x4);
    fr_mul(x, x, &x4);
}

static void permute(const poseidon_params *p, fr_t *s)
{
    int t = p->t, rounds = POSEIDON_FULL_ROUNDS + p->rounds_p, half = POSEIDON_FULL_ROUNDS / 2;
    fr_t next[POSEIDON_MAX_T], term;
    for (int r = 0; r < rounds; r++) {
        int full = r < half || r >= half + p->rounds_p;
        for (int i = 0; i < t; i++) {
            fr_add(&s[i], &s[i], &p->c[r * t + i]);
            if (full || i == 0)
                pow5(&s[i]);
        }
        for (int i = 0; i < t; i++) {
            fr_zero(&next[i]);
            for (int j = 0; j < t; j++) {
                fr_mul(&term, &p->m[i][j], &s[j]);
                fr_add(&next[i], &next[i], &term);
            }
        }
        memcpy(s, next, (size_t)t * sizeof *s);
    }
}

int poseidon_hash(fr_t *out, const fr_t *in, size_t n, const fr_t *init, zkml_error *err)
{
    if (n < 1 || n > POSEIDON_MAX_T - 1)
        return zkml_fail(err, ZKML_EINVAL, "poseidon: %zu inputs, expected 1 to %d", n,
                         POSEIDON_MAX_T - 1);
    const poseidon_params *p = poseidon_params_get((int)n + 1);
    if (!p)
        return zkml_fail(err, ZKML_ENOMEM, "poseidon: out of memory");
    fr_t s[POSEIDON_MAX_T];
    s[0] = *init;
    memcpy(&s[1], in, n * sizeof *in);
    permute(p, s);
    *out = s[0];
    return 0;
}

int poseidon_commit(fr_t *out, const fr_t *in, size_t n, zkml_error *err)
{
    fr_from_u64(out, n);
    for (size_t at = 0; at < n; at += POSEIDON_CHUNK) {
        size_t len = n - at < POSEIDON_CHUNK ? n - at : POSEIDON_CHUNK;
        int rc = poseidon_hash(out, in + at, len, out, err);
        if (rc)
            return rc;
    }
    return 0;
}

uint64_t poseidon_constraints(int t, int init_constant)
{
    uint64_t sboxes =
        (uint64_t)POSEIDON_FULL_ROUNDS * (uint64_t)t + (uint64_t)poseidon_partial_rounds(t);
    return 4 * sboxes - (init_constant ? 4 : 0);
}

uint64_t poseidon_commit_constraints(size_t n)
{
    uint64_t c = 0;
    for (size_t at = 0; at < n; at += POSEIDON_CHUNK) {
        size_t len = n - at < POSEIDON_CHUNK ? n - at : POSEIDON_CHUNK;
        c += poseidon_constraints((int)len + 1, at == 0);
    }
    return c;
}
