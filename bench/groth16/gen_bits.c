/*
 * gen_bits.c - a SHA-256-like circuit and its witness, for the prover benchmark:
 *   groth16_bench_gen_bits N_CONSTRAINTS SEED OUT.r1cs OUT.wtns
 * Circom's SHA-256 has a witness of mostly 0/1 values, which a prover can make
 * cheap; circom is not available here, so this builds the same kind of circuit
 * itself: SHA-256 compression rounds over 32-bit words held as bit wires (the
 * rotations free, XOR, Ch and Maj one gate a bit, modular additions one bit
 * decomposition of the sum), with random message words and round constants,
 * about 360 constraints a round. Rounds run until fewer than a round's worth
 * is left; the rest are booleanity checks of fresh bits. The one public output
 * is the final word a.
 */
#include "tests/test_util.h"
#include "pipeline/snark/snark.h"

#include <stdio.h>
#include <stdlib.h>

#define ROUND_CONSTRAINTS 361

/* rc is sticky: after the first error every helper does nothing, and main
 * reports the error once at the end. */
typedef struct gen {
    r1cs *cs;
    fr_t *w;
    size_t cap;
    test_rng rng;
    zkml_error *err;
    int rc;
} gen;

typedef struct word {
    uint32_t bit[32]; /* wires, bit 0 first */
    uint32_t v;
} word;

static uint32_t wire(gen *g, uint64_t v)
{
    if (!g->rc &&
        zkml_array_grow((void **)&g->w, &g->cap, (size_t)g->cs->n_wires + 1, sizeof *g->w))
        g->rc = zkml_fail(g->err, ZKML_ENOMEM, "gen_bits: out of memory");
    if (g->rc)
        return 0;
    fr_from_u64(&g->w[g->cs->n_wires], v);
    return g->cs->n_wires++;
}

static void term(gen *g, r1cs_lc *lc, uint32_t w, int64_t k)
{
    fr_t c;
    fr_from_i64(&c, k);
    if (!g->rc)
        g->rc = r1cs_lc_add_term(lc, w, &c, g->err);
}

static void constrain(gen *g, r1cs_lc *a, r1cs_lc *b, r1cs_lc *c)
{
    if (!g->rc) {
        g->rc = r1cs_add_constraint(g->cs, a, b, c, g->err);
        return;
    }
    r1cs_lc_free(a);
    r1cs_lc_free(b);
    r1cs_lc_free(c);
}

/* A fresh bit wire with b * (b - 1) = 0. */
static uint32_t bit(gen *g, unsigned v)
{
    uint32_t b = wire(g, v);
    r1cs_lc x = {0}, y = {0}, z = {0};
    term(g, &x, b, 1);
    term(g, &y, b, 1);
    term(g, &y, 0, -1);
    constrain(g, &x, &y, &z);
    return b;
}

static word fresh_word(gen *g)
{
    word r;
    r.v = (uint32_t)test_rng_u64(&g->rng);
    for (int i = 0; i < 32; i++)
        r.bit[i] = bit(g, (r.v >> i) & 1);
    return r;
}

/* out = a ^ b: 2a * b = a + b - out. */
static uint32_t xor_gate(gen *g, uint32_t a, uint32_t b)
{
    uint32_t out = wire(g, fr_is_zero(&g->w[a]) != fr_is_zero(&g->w[b]));
    r1cs_lc x = {0}, y = {0}, z = {0};
    term(g, &x, a, 2);
    term(g, &y, b, 1);
    term(g, &z, a, 1);
    term(g, &z, b, 1);
    term(g, &z, out, -1);
    constrain(g, &x, &y, &z);
    return out;
}

static word sigma(gen *g, const word *x, int r1, int r2, int r3)
{
    word r;
    r.v = 0;
    for (int i = 0; i < 32; i++) {
        uint32_t t = xor_gate(g, x->bit[(i + r1) % 32], x->bit[(i + r2) % 32]);
        r.bit[i] = xor_gate(g, t, x->bit[(i + r3) % 32]);
        r.v |= (uint32_t)!fr_is_zero(&g->w[r.bit[i]]) << i;
    }
    return r;
}

/* Ch(e, f, g) = e ? f : g: e * (f - g) = out - g. */
static word ch(gen *g, const word *e, const word *f, const word *h)
{
    word r;
    r.v = (e->v & f->v) | (~e->v & h->v);
    for (int i = 0; i < 32; i++) {
        r1cs_lc x = {0}, y = {0}, z = {0};
        r.bit[i] = wire(g, (r.v >> i) & 1);
        term(g, &x, e->bit[i], 1);
        term(g, &y, f->bit[i], 1);
        term(g, &y, h->bit[i], -1);
        term(g, &z, r.bit[i], 1);
        term(g, &z, h->bit[i], -1);
        constrain(g, &x, &y, &z);
    }
    return r;
}

/* Maj(a, b, c): t = a * b, then c * (a + b - 2t) = out - t. */
static word maj(gen *g, const word *a, const word *b, const word *c)
{
    word r;
    r.v = (a->v & b->v) | (a->v & c->v) | (b->v & c->v);
    for (int i = 0; i < 32; i++) {
        r1cs_lc x = {0}, y = {0}, z = {0};
        uint32_t t = wire(g, (a->v >> i) & (b->v >> i) & 1);
        term(g, &x, a->bit[i], 1);
        term(g, &y, b->bit[i], 1);
        term(g, &z, t, 1);
        constrain(g, &x, &y, &z);
        r.bit[i] = wire(g, (r.v >> i) & 1);
        term(g, &x, c->bit[i], 1);
        term(g, &y, a->bit[i], 1);
        term(g, &y, b->bit[i], 1);
        term(g, &y, t, -2);
        term(g, &z, r.bit[i], 1);
        term(g, &z, t, -1);
        constrain(g, &x, &y, &z);
    }
    return r;
}

/* (the sum of n words and k) mod 2^32: the sum decomposed into 32 + extra bits. */
static word add(gen *g, const word *const *ws, int n, uint32_t k, int extra)
{
    uint64_t s = k;
    for (int j = 0; j < n; j++)
        s += ws[j]->v;
    r1cs_lc x = {0}, one = {0}, z = {0};
    word r;
    r.v = (uint32_t)s;
    for (int i = 0; i < 32 + extra; i++) {
        uint32_t b = bit(g, (s >> i) & 1);
        if (i < 32)
            r.bit[i] = b;
        term(g, &x, b, (int64_t)1 << i);
    }
    term(g, &one, 0, 1);
    term(g, &z, 0, k);
    for (int j = 0; j < n; j++)
        for (int i = 0; i < 32; i++)
            term(g, &z, ws[j]->bit[i], (int64_t)1 << i);
    constrain(g, &x, &one, &z);
    return r;
}

static void round_(gen *g, word st[8])
{
    word s1 = sigma(g, &st[4], 6, 11, 25), c = ch(g, &st[4], &st[5], &st[6]);
    word m = fresh_word(g);
    const word *t1in[] = {&st[7], &s1, &c, &m};
    word t1 = add(g, t1in, 4, (uint32_t)test_rng_u64(&g->rng), 3);
    word s0 = sigma(g, &st[0], 2, 13, 22), mj = maj(g, &st[0], &st[1], &st[2]);
    const word *ain[] = {&t1, &s0, &mj}, *ein[] = {&st[3], &t1};
    word a = add(g, ain, 3, 0, 2), e = add(g, ein, 2, 0, 1);
    for (int i = 7; i > 0; i--)
        st[i] = st[i - 1];
    st[0] = a;
    st[4] = e;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s N_CONSTRAINTS SEED OUT.r1cs OUT.wtns\n", argv[0]);
        return 2;
    }
    zkml_error err = {0};
    r1cs cs;
    gen g = {&cs, NULL, 0, {strtoull(argv[2], NULL, 10) * 0x9E3779B97F4A7C15ULL + 1}, &err, 0};
    uint32_t n = (uint32_t)strtoul(argv[1], NULL, 10);
    r1cs_init(&cs);
    cs.n_pub_out = 1;
    cs.n_wires = 0; /* wire 0, the constant one, is made here with its value */
    wire(&g, 1);
    uint32_t out = wire(&g, 0); /* filled in at the end */
    word st[8];
    for (int i = 0; i < 8; i++)
        st[i] = fresh_word(&g);
    int rounds = 0;
    while (!g.rc && cs.n_constraints + ROUND_CONSTRAINTS + 1 <= n) {
        round_(&g, st);
        rounds++;
    }
    while (!g.rc && cs.n_constraints + 1 < n)
        bit(&g, test_rng_u64(&g.rng) & 1);
    r1cs_lc x = {0}, one = {0}, z = {0};
    for (int i = 0; i < 32; i++)
        term(&g, &x, st[0].bit[i], (int64_t)1 << i);
    term(&g, &one, 0, 1);
    term(&g, &z, out, 1);
    constrain(&g, &x, &one, &z);
    if (!g.rc)
        fr_from_u64(&g.w[out], st[0].v);
    if (g.rc || r1cs_check_witness(&cs, g.w, cs.n_wires, &err) || r1cs_write(&cs, argv[3], &err) ||
        wtns_write(g.w, cs.n_wires, argv[4], &err)) {
        fprintf(stderr, "%s: %s\n", argv[0], err.message);
        return 2;
    }
    size_t bits = 0;
    for (uint32_t i = 0; i < cs.n_wires; i++) {
        fr_t one_v;
        fr_one(&one_v);
        bits += fr_is_zero(&g.w[i]) || fr_eq(&g.w[i], &one_v);
    }
    printf("%u constraints, %u wires (%.1f%% of them 0 or 1), %d rounds\n", cs.n_constraints,
           cs.n_wires, 100.0 * (double)bits / cs.n_wires, rounds);
    r1cs_free(&cs);
    free(g.w);
    return 0;
}
