/*
 * test_circuit.c - the random circuits of test_circuit.h. Wires are numbered in
 * iden3 order; outputs are reserved first and filled in at the end.
 */
#include "tests/snark_groth16/test_circuit.h"

#include <stdlib.h>
#include <string.h>

void test_rng_fr(test_rng *g, fr_t *out)
{
    uint8_t b[32];
    do {
        for (int i = 0; i < 32; i += 8) {
            uint64_t v = test_rng_u64(g);
            memcpy(b + i, &v, 8);
        }
        b[31] &= 0x3f;
    } while (fr_from_bytes_le(out, b) != 0);
}

typedef struct builder {
    r1cs *cs;
    fr_t *w;
    size_t cap;
    test_rng rng;
    zkml_error *err;
} builder;

static int new_wire(builder *b, const fr_t *value, uint32_t *wire)
{
    if (zkml_array_grow((void **)&b->w, &b->cap, (size_t)b->cs->n_wires + 1, sizeof *b->w))
        return zkml_fail(b->err, ZKML_ENOMEM, "test circuit: out of memory");
    *wire = b->cs->n_wires++;
    b->w[*wire] = *value;
    return 0;
}

static int term(r1cs_lc *lc, uint32_t wire, int64_t coeff, zkml_error *err)
{
    fr_t c;
    fr_from_i64(&c, coeff);
    return r1cs_lc_add_term(lc, wire, &c, err);
}

/* Any wire but the outputs, whose values are only known at the end. */
static uint32_t pick_wire(builder *b)
{
    uint32_t first = 1 + b->cs->n_pub_out;
    uint32_t k = (uint32_t)(test_rng_u64(&b->rng) % (b->cs->n_wires - first + 1));
    return k == 0 ? 0 : first + k - 1;
}

/* v = sum 2^i b_i with bits b_i: nbits + 1 constraints. */
static int add_bits(builder *b, uint32_t nbits)
{
    r1cs_lc a = {0}, bb = {0}, c = {0}, sum = {0}, one = {0};
    uint64_t v = test_rng_u64(&b->rng) & ((1ULL << nbits) - 1);
    fr_t fv, fbit, pow2;
    uint32_t vw = 0, bw = 0; /* set by new_wire; zero keeps gcc -O3 quiet */
    fr_from_u64(&fv, v);
    if (new_wire(b, &fv, &vw))
        return b->err->code;
    for (uint32_t i = 0; i < nbits; i++) {
        fr_from_u64(&fbit, (v >> i) & 1);
        if (new_wire(b, &fbit, &bw) || term(&a, bw, 1, b->err) || term(&bb, bw, 1, b->err) ||
            term(&bb, 0, -1, b->err) || r1cs_add_constraint(b->cs, &a, &bb, &c, b->err))
            goto fail;
        fr_from_u64(&pow2, 1ULL << i);
        if (r1cs_lc_add_term(&sum, bw, &pow2, b->err))
            goto fail;
    }
    if (term(&one, 0, 1, b->err) || term(&c, vw, 1, b->err) ||
        r1cs_add_constraint(b->cs, &sum, &one, &c, b->err))
        goto fail;
    return 0;
fail:
    r1cs_lc_free(&a);
    r1cs_lc_free(&bb);
    r1cs_lc_free(&c);
    r1cs_lc_free(&sum);
    r1cs_lc_free(&one);
    return b->err->code;
}

/* t = (k1*x + y) * z for random existing wires: one constraint. */
static int add_product(builder *b)
{
    r1cs_lc a = {0}, bb = {0}, c = {0};
    uint32_t x = pick_wire(b), y = pick_wire(b), z = pick_wire(b), t = 0;
    int64_t k1 = (int64_t)(test_rng_u64(&b->rng) % 2001) - 1000;
    fr_t fk, va, vt;
    fr_from_i64(&fk, k1);
    fr_mul(&va, &fk, &b->w[x]);
    fr_add(&va, &va, &b->w[y]);
    fr_mul(&vt, &va, &b->w[z]);
    if (new_wire(b, &vt, &t) || term(&a, x, k1, b->err) || term(&a, y, 1, b->err) ||
        term(&bb, z, 1, b->err) || term(&c, t, 1, b->err) ||
        r1cs_add_constraint(b->cs, &a, &bb, &c, b->err)) {
        r1cs_lc_free(&a);
        r1cs_lc_free(&bb);
        r1cs_lc_free(&c);
        return b->err->code;
    }
    return 0;
}

/* out = sum of k random wires with random coefficients, times one. */
static int add_linear(builder *b, int have_out, uint32_t out)
{
    r1cs_lc a = {0}, one = {0}, c = {0};
    fr_t acc, coeff, t;
    fr_zero(&acc);
    int k = 3 + (int)(test_rng_u64(&b->rng) % 6);
    for (int i = 0; i < k; i++) {
        uint32_t x = pick_wire(b);
        test_rng_fr(&b->rng, &coeff);
        fr_mul(&t, &coeff, &b->w[x]);
        fr_add(&acc, &acc, &t);
        if (r1cs_lc_add_term(&a, x, &coeff, b->err))
            goto fail;
    }
    if (have_out)
        b->w[out] = acc;
    else if (new_wire(b, &acc, &out))
        goto fail;
    if (term(&one, 0, 1, b->err) || term(&c, out, 1, b->err) ||
        r1cs_add_constraint(b->cs, &a, &one, &c, b->err))
        goto fail;
    return 0;
fail:
    r1cs_lc_free(&a);
    r1cs_lc_free(&one);
    r1cs_lc_free(&c);
    return b->err->code;
}

int test_circuit_build(r1cs *cs, fr_t **w, uint32_t n_constraints, uint32_t n_pub_out,
                       uint32_t n_pub_in, uint64_t seed, zkml_error *err)
{
    builder b = {cs, NULL, 0, {seed * 0x9E3779B97F4A7C15ULL + 1}, err};
    const uint32_t n_prv_in = 4;
    r1cs_init(cs);
    if (n_constraints < n_pub_out + n_pub_in + 1)
        return zkml_fail(err, ZKML_EINVAL, "test circuit: too few constraints");
    if (zkml_array_grow((void **)&b.w, &b.cap, 1024, sizeof *b.w))
        return zkml_fail(err, ZKML_ENOMEM, "test circuit: out of memory");
    fr_one(&b.w[0]);
    cs->n_pub_out = n_pub_out;
    cs->n_pub_in = n_pub_in;
    cs->n_prv_in = n_prv_in;
    uint32_t wire;
    fr_t v;
    fr_zero(&v);
    for (uint32_t i = 0; i < n_pub_out; i++) /* filled in at the end */
        new_wire(&b, &v, &wire);
    for (uint32_t i = 0; i < n_pub_in + n_prv_in; i++) {
        test_rng_fr(&b.rng, &v);
        new_wire(&b, &v, &wire);
    }
    int rc = 0;
    /* Use every public input: a product of it with a random wire. */
    for (uint32_t i = 0; i < n_pub_in && !rc; i++)
        rc = add_product(&b);
    uint32_t body = n_constraints - n_pub_out;
    while (!rc && cs->n_constraints < body) {
        uint32_t room = body - cs->n_constraints;
        uint64_t dice = test_rng_u64(&b.rng) % 100;
        if (dice < 12 && room >= 2)
            rc = add_bits(&b, room > 17 ? 16 : room - 1);
        else if (dice < 56)
            rc = add_product(&b);
        else
            rc = add_linear(&b, 0, 0);
    }
    for (uint32_t i = 0; i < n_pub_out && !rc; i++)
        rc = add_linear(&b, 1, 1 + i);
    if (rc) {
        free(b.w);
        r1cs_free(cs);
        return rc;
    }
    *w = b.w;
    return 0;
}
