/*
 * ptau_local.c - a Powers of Tau file made here by one party: the phase 1
 * the service falls back on when no public ceremony file is configured.
 * Whoever runs it knew tau (it is wiped at once, but nobody else can know
 * that), so proofs on keys from it convince only that party: for testing.
 * The file is a prepared phase-2 .ptau in snarkjs's layout (ptau.h), with
 * an empty contribution list, so snarkjs reads it too.
 */
#include "pipeline/snark/fixed_base.h"
#include "pipeline/snark/lem.h"
#include "pipeline/snark/ptau.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

typedef struct local_state {
    fr_t tau, alpha, beta; /* the toxic waste: wiped */
    fr_t *s;               /* scalars derived from it: wiped */
    size_t n_s;
    fixed_base *t1, *t2; /* generator tables */
} local_state;

/* Writes the points s[i]*G of n scalars (G1 or G2). */
static int put_points(bwriter *w, local_state *st, int g2, size_t n, int threads, zkml_error *err)
{
    void *pts;
    if (fixed_base_mul_alloc(g2 ? st->t2 : st->t1, st->s, n, &pts, threads, err))
        return err->code;
    uint8_t b[LEM_G2];
    for (size_t i = 0; i < n; i++) {
        if (g2)
            lem_put_g2(b, (g2_affine *)pts + i);
        else
            lem_put_g1(b, (g1_affine *)pts + i);
        bw_bytes(w, b, g2 ? LEM_G2 : LEM_G1);
    }
    free(pts);
    return 0;
}

/* scale * tau^i for i < n into st->s. */
static void powers(local_state *st, const fr_t *scale, size_t n)
{
    fr_t x = *scale;
    for (size_t i = 0; i < n; i++) {
        st->s[i] = x;
        fr_mul(&x, &x, &st->tau);
    }
    zkml_wipe(&x, sizeof x);
}

static int power_sections(bwriter *w, local_state *st, uint32_t power, int threads, zkml_error *err)
{
    size_t n = (size_t)1 << power;
    fr_t one;
    fr_one(&one);
    bw_u32(w, 2);
    bw_u64(w, (2 * n - 1) * LEM_G1);
    powers(st, &one, 2 * n - 1);
    if (put_points(w, st, 0, 2 * n - 1, threads, err))
        return err->code;
    bw_u32(w, 3);
    bw_u64(w, n * LEM_G2);
    if (put_points(w, st, 1, n, threads, err))
        return err->code;
    const fr_t *scales[2] = {&st->alpha, &st->beta};
    for (int k = 0; k < 2; k++) {
        bw_u32(w, 4 + (uint32_t)k);
        bw_u64(w, n * LEM_G1);
        powers(st, scales[k], n);
        if (put_points(w, st, 0, n, threads, err))
            return err->code;
    }
    bw_u32(w, 6);
    bw_u64(w, LEM_G2);
    st->s[0] = st->beta;
    if (put_points(w, st, 1, 1, threads, err))
        return err->code;
    bw_u32(w, 7);
    bw_u64(w, 4);
    bw_u32(w, 0); /* no recorded contributions */
    return 0;
}

/* Section `type`: the Lagrange bases of the domains 2^0 .. 2^top, times scale. */
static int lagrange_section(bwriter *w, local_state *st, uint32_t type, uint32_t top, int g2,
                            const fr_t *scale, int threads, zkml_error *err)
{
    size_t total = ((size_t)2 << top) - 1;
    bw_u32(w, type);
    bw_u64(w, total * (g2 ? LEM_G2 : LEM_G1));
    for (uint32_t k = 0; k <= top; k++)
        if (groth16_lagrange_at(st->s, k, 0, &st->tau, scale, err) ||
            put_points(w, st, g2, (size_t)1 << k, threads, err))
            return err->code;
    return 0;
}

static int draw(local_state *st, uint32_t power, zkml_error *err)
{
    fr_t z, one;
    fr_one(&one);
    do { /* tau must not be a point of any domain used */
        if (fr_random(&st->tau, err))
            return err->code;
        fr_pow_u64(&z, &st->tau, (uint64_t)2 << power);
    } while (fr_eq(&z, &one));
    zkml_wipe(&z, sizeof z);
    return fr_random(&st->alpha, err) || fr_random(&st->beta, err) ? err->code : 0;
}

static int write_file(bwriter *w, local_state *st, uint32_t power, int threads, zkml_error *err)
{
    fr_t one;
    fr_one(&one);
    bw_header(w, "ptau", 1, 11);
    bw_u32(w, 1);
    bw_u64(w, 44);
    bw_u32(w, 32);
    bw_bytes(w, BN254_P_LE, 32);
    bw_u32(w, power);
    bw_u32(w, power);
    if (power_sections(w, st, power, threads, err) ||
        lagrange_section(w, st, 12, power + 1, 0, &one, threads, err) ||
        lagrange_section(w, st, 13, power, 1, &one, threads, err) ||
        lagrange_section(w, st, 14, power, 0, &st->alpha, threads, err) ||
        lagrange_section(w, st, 15, power, 0, &st->beta, threads, err))
        return err->code;
    return 0;
}

int ptau_make_local(const char *path, uint32_t power, int threads, int cache, zkml_error *err)
{
    local_state st;
    bwriter w;
    memset(&st, 0, sizeof st);
    if (power < 1 || power >= PTAU_MAX_POWER)
        return zkml_fail(err, ZKML_EINVAL, "a local phase 1 of power %u: only 1..%d", power,
                         PTAU_MAX_POWER - 1);
    st.n_s = ((size_t)4 << power);
    st.s = malloc(st.n_s * sizeof *st.s);
    /* G1 serves tau^i (2n - 1), alpha tau^i, beta tau^i and three Lagrange
     * sections (n each); G2 tau^i and one Lagrange section. */
    size_t n = (size_t)1 << power;
    int rc = 0;
    if (!st.s)
        rc = zkml_fail(err, ZKML_ENOMEM, "out of memory for a ptau of power %u", power);
    if (!rc && !(rc = fixed_base_new(&st.t1, 0, 6 * n, threads, err)))
        rc = fixed_base_new(&st.t2, 1, 2 * n, threads, err);
    if (!rc)
        rc = draw(&st, power, err);
    if (!rc && !(rc = bw_open(&w, path, err))) {
        rc = write_file(&w, &st, power, threads, err);
        if (rc)
            bw_abort(&w);
        else
            rc = cache ? bw_commit_new(&w, err) : bw_commit(&w, err);
    }
    if (st.s)
        zkml_wipe(st.s, st.n_s * sizeof *st.s);
    zkml_wipe(&st, offsetof(local_state, s));
    free(st.s);
    fixed_base_free(st.t1);
    fixed_base_free(st.t2);
    return rc;
}
