/*
 * groth16_setup.c - a single-party Groth16 setup from an R1CS.
 *
 * The toxic waste (tau, alpha, beta, gamma, delta) comes from getrandom(2),
 * lives in one struct, and is wiped before returning, together with every
 * array and local derived from it (the field helpers wipe their own: batch
 * inversion's running products, pow's accumulators, the scalar of a point
 * multiplication). tests/snark_groth16/test_setup_wipe.c looks for leftovers
 * in freed memory. Nothing secret is logged. The query points are
 * fixed-base multiples of the generators (fixed_base.h), whose working
 * buffers are wiped there.
 */
#include "pipeline/snark/groth16.h"
#include "pipeline/snark/r1cs_internal.h"
#include "pipeline/snark/fixed_base.h"
#include "pipeline/snark/hugemem.h"
#include "pipeline/snark/ntt.h"
#include "pipeline/snark/parallel.h"
#include "pipeline/snark/field.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

int fr_random(fr_t *out, zkml_error *err)
{
    uint8_t b[32];
    do {
        size_t got = 0;
        while (got < sizeof b) {
            ssize_t k = getrandom(b + got, sizeof b - got, 0);
            if (k < 0 && errno == EINTR)
                continue;
            if (k < 0) {
                zkml_wipe(b, sizeof b);
                return zkml_fail(err, ZKML_EIO, "getrandom failed: %s", strerror(errno));
            }
            got += (size_t)k;
        }
        b[31] &= 0x3f; /* r < 2^254: rejection rate about 1/4 */
    } while (fr_from_bytes_le(out, b) != 0 || fr_is_zero(out));
    zkml_wipe(b, sizeof b);
    return 0;
}

int groth16_domain_log(uint32_t n_constraints, uint32_t n_public, uint32_t *log_n, zkml_error *err)
{
    uint64_t need = (uint64_t)n_constraints + n_public + 1;
    uint32_t k = 0;
    while (((uint64_t)1 << k) < need)
        k++;
    if (k > NTT_MAX_LOG - 1)
        return zkml_fail(err, ZKML_EINVAL,
                         "%u constraints need a domain of 2^%u points; at "
                         "most 2^%d are supported",
                         n_constraints, k, NTT_MAX_LOG - 1);
    *log_n = k;
    return 0;
}

void groth16_vk_free(groth16_vk *vk)
{
    free(vk->ic);
    memset(vk, 0, sizeof *vk);
}

/* ---- the QAP at tau ----------------------------------------------------------- */

typedef struct toxic {
    fr_t tau, alpha, beta, gamma, delta;
} toxic;

int groth16_lagrange_at(fr_t *lag, uint32_t log_n, int odd, const fr_t *tau, const fr_t *scale,
                        zkml_error *err)
{
    size_t n = (size_t)1 << log_n, dn = odd ? 2 * n : n;
    fr_t w, step, x, z, one, k;
    fr_root_of_unity(&w, odd ? log_n + 1 : log_n);
    fr_one(&one);
    /* points x_j = w^j (even case) or w^(2j+1) (odd case) */
    fr_sqr(&step, &w);
    if (!odd)
        step = w;
    x = odd ? w : one;
    for (size_t j = 0; j < n; j++) {
        fr_sub(&lag[j], tau, &x);
        fr_mul(&x, &x, &step);
    }
    if (fr_batch_inv(lag, n))
        return zkml_fail(err, ZKML_ENOMEM, "setup: out of memory inverting %zu values", n);
    /* L_k(tau) = (tau^dn - 1) / dn * x_k / (tau - x_k) */
    fr_pow_u64(&z, tau, dn);
    fr_sub(&z, &z, &one);
    fr_from_u64(&k, dn);
    fr_inv(&k, &k);
    fr_mul(&z, &z, &k);
    fr_mul(&z, &z, scale);
    x = odd ? w : one;
    for (size_t j = 0; j < n; j++) {
        fr_mul(&lag[j], &lag[j], &x);
        fr_mul(&lag[j], &lag[j], &z);
        fr_mul(&x, &x, &step);
    }
    zkml_wipe(&z, sizeof z);
    return 0;
}

/* The counts and the domain from the circuit's. */
static int pk_counts(groth16_pk *pk, const r1cs *cs, zkml_error *err)
{
    pk->n_vars = cs->n_wires;
    pk->n_public = cs->n_pub_out + cs->n_pub_in;
    pk->n_constraints = cs->n_constraints;
    if (pk->n_vars < pk->n_public + 1)
        return zkml_fail(err, ZKML_EINVAL, "setup: the circuit has fewer wires than signals");
    return groth16_domain_log(cs->n_constraints, pk->n_public, &pk->log_n, err);
}

int groth16_pk_shape(groth16_pk *pk, const r1cs *cs, zkml_error *err)
{
    if (pk_counts(pk, cs, err))
        return err->code;
    return r1cs_to_rows(cs, pk->m, &pk->coeffs, err);
}

int groth16_pk_shape_file(groth16_pk *pk, const char *r1cs_path, zkml_error *err)
{
    r1cs counts;
    if (r1cs_read_rows(&counts, pk->m, &pk->coeffs, r1cs_path, err))
        return err->code;
    return pk_counts(pk, &counts, err);
}

/* u, v, w: A_i(tau), B_i(tau), C_i(tau) for every wire i. */
static void evaluate_qap(const groth16_pk *pk, const fr_t *lag, fr_t *uvw[3])
{
    fr_t t;
    for (int m = 0; m < 3; m++) {
        memset(uvw[m], 0, (size_t)pk->n_vars * sizeof(fr_t));
        const pk_matrix *pm = &pk->m[m];
        for (uint32_t k = 0; k < pk->n_constraints; k++)
            for (uint64_t i = pm->start[k]; i < pm->start[k + 1]; i++) {
                fr_mul(&t, &pk->coeffs.v[pm->coeff_at[i]], &lag[k]);
                fr_add(&uvw[m][pm->wire[i]], &uvw[m][pm->wire[i]], &t);
            }
    }
    for (uint32_t s = 0; s <= pk->n_public; s++) /* the extra input rows of A */
        fr_add(&uvw[0][s], &uvw[0][s], &lag[pk->n_constraints + s]);
    zkml_wipe(&t, sizeof t);
}

typedef struct setup_state {
    toxic tx;
    fr_t tau_2n;               /* tau^(2n): secret too */
    fr_t *lag, *u, *v, *w, *k; /* all secret-derived: wiped */
    size_t n_lag, n_vars;
    fixed_base *t1, *t2; /* generator tables */
} setup_state;

static void setup_state_free(setup_state *st)
{
    zkml_wipe(&st->tx, sizeof st->tx);
    zkml_wipe(&st->tau_2n, sizeof st->tau_2n);
    fr_t *arrays[] = {st->lag, st->u, st->v, st->w, st->k};
    size_t lens[] = {st->n_lag, st->n_vars, st->n_vars, st->n_vars, st->n_vars};
    for (int i = 0; i < 5; i++) {
        if (arrays[i])
            zkml_wipe(arrays[i], lens[i] * sizeof(fr_t));
        free(arrays[i]);
    }
    fixed_base_free(st->t1);
    fixed_base_free(st->t2);
}

static void g1_mul_gen(g1_affine *out, const fr_t *k)
{
    g1_affine g;
    g1_jac j;
    g1_generator(&g);
    g1_to_jac(&j, &g);
    g1_mul(&j, &j, k);
    g1_to_affine(out, &j);
}

static void g2_mul_gen(g2_affine *out, const fr_t *k)
{
    g2_affine g;
    g2_jac j;
    g2_generator(&g);
    g2_to_jac(&j, &g);
    g2_mul(&j, &j, k);
    g2_to_affine(out, &j);
}

/* The query points; gamma_inv, delta_inv and t are secret-derived, so every
 * return goes through the wipe at the end. */
static int setup_queries(setup_state *st, groth16_pk *pk, groth16_vk *vk, int threads,
                         zkml_error *err)
{
    size_t n = (size_t)1 << pk->log_n;
    fr_t one, t, gamma_inv, delta_inv;
    int rc = 0;
    fr_one(&one);
    fr_inv(&gamma_inv, &st->tx.gamma);
    fr_inv(&delta_inv, &st->tx.delta);
    if (groth16_lagrange_at(st->lag, pk->log_n, 0, &st->tx.tau, &one, err))
        goto done;
    evaluate_qap(pk, st->lag, (fr_t *[3]){st->u, st->v, st->w});
    /* G1 serves the A, B1 and C queries, the IC points and the H query */
    if (fixed_base_new(&st->t1, 0, 3 * (size_t)pk->n_vars + n, threads, err) ||
        fixed_base_new(&st->t2, 1, pk->n_vars, threads, err))
        goto done;
    if (fixed_base_mul_alloc(st->t1, st->u, pk->n_vars, (void **)&pk->a_query, threads, err) ||
        fixed_base_mul_alloc(st->t1, st->v, pk->n_vars, (void **)&pk->b1_query, threads, err) ||
        fixed_base_mul_alloc(st->t2, st->v, pk->n_vars, (void **)&pk->b2_query, threads, err))
        goto done;
    /* k_i = beta*u_i + alpha*v_i + w_i, over gamma (public) or delta (private). */
    for (uint32_t i = 0; i < pk->n_vars; i++) {
        fr_mul(&st->k[i], &st->tx.beta, &st->u[i]);
        fr_mul(&t, &st->tx.alpha, &st->v[i]);
        fr_add(&st->k[i], &st->k[i], &t);
        fr_add(&st->k[i], &st->k[i], &st->w[i]);
        fr_mul(&st->k[i], &st->k[i], i <= pk->n_public ? &gamma_inv : &delta_inv);
    }
    if (fixed_base_mul_alloc(st->t1, st->k, pk->n_public + 1, (void **)&vk->ic, threads, err) ||
        fixed_base_mul_alloc(st->t1, st->k + pk->n_public + 1, pk->n_vars - pk->n_public - 1,
                             (void **)&pk->c_query, threads, err))
        goto done;
    if (groth16_lagrange_at(st->lag, pk->log_n, 1, &st->tx.tau, &delta_inv, err) ||
        fixed_base_mul_alloc(st->t1, st->lag, n, (void **)&pk->h_query, threads, err))
        goto done;
    rc = 1;
done:
    zkml_wipe(&gamma_inv, sizeof gamma_inv);
    zkml_wipe(&delta_inv, sizeof delta_inv);
    zkml_wipe(&t, sizeof t);
    return rc ? 0 : err->code;
}

/* The key of a circuit whose shape pk holds (groth16_pk_shape); on failure
 * pk and vk are freed. */
static int setup_shaped(groth16_pk *pk, groth16_vk *vk, int threads, zkml_error *err)
{
    memset(vk, 0, sizeof *vk);
    setup_state st;
    memset(&st, 0, sizeof st);
    st.n_lag = (size_t)1 << pk->log_n;
    st.n_vars = pk->n_vars;
    st.lag = malloc(st.n_lag * sizeof(fr_t));
    st.u = malloc(st.n_vars * sizeof(fr_t));
    st.v = malloc(st.n_vars * sizeof(fr_t));
    st.w = malloc(st.n_vars * sizeof(fr_t));
    st.k = malloc(st.n_vars * sizeof(fr_t));
    if (!st.lag || !st.u || !st.v || !st.w || !st.k) {
        zkml_fail(err, ZKML_ENOMEM, "setup: out of memory for %u wires", pk->n_vars);
        goto fail;
    }
    fr_t one;
    fr_one(&one);
    do { /* tau must not be a point of either domain */
        if (fr_random(&st.tx.tau, err))
            goto fail;
        fr_pow_u64(&st.tau_2n, &st.tx.tau, 2 * st.n_lag);
    } while (fr_eq(&st.tau_2n, &one));
    if (fr_random(&st.tx.alpha, err) || fr_random(&st.tx.beta, err) ||
        fr_random(&st.tx.gamma, err) || fr_random(&st.tx.delta, err))
        goto fail;
    vk->n_public = pk->n_public;
    g1_mul_gen(&pk->alpha1, &st.tx.alpha);
    g1_mul_gen(&pk->beta1, &st.tx.beta);
    g1_mul_gen(&pk->delta1, &st.tx.delta);
    g2_mul_gen(&pk->beta2, &st.tx.beta);
    g2_mul_gen(&pk->delta2, &st.tx.delta);
    g2_mul_gen(&vk->gamma2, &st.tx.gamma);
    vk->alpha1 = pk->alpha1;
    vk->beta2 = pk->beta2;
    vk->delta2 = pk->delta2;
    if (setup_queries(&st, pk, vk, threads, err))
        goto fail;
    setup_state_free(&st);
    return 0;
fail:
    setup_state_free(&st);
    groth16_pk_free(pk);
    groth16_vk_free(vk);
    return err ? err->code : ZKML_EINTERNAL;
}

int groth16_setup(const r1cs *cs, groth16_pk *pk, groth16_vk *vk, int threads, zkml_error *err)
{
    memset(pk, 0, sizeof *pk);
    memset(vk, 0, sizeof *vk);
    if (groth16_pk_shape(pk, cs, err)) {
        groth16_pk_free(pk);
        return err->code;
    }
    return setup_shaped(pk, vk, threads, err);
}

int groth16_setup_files(const char *r1cs_path, const char *pk_path, const char *vk_json_path,
                        zkml_error *err)
{
    zkml_error local;
    if (!err)
        err = &local;
    groth16_pk pk;
    groth16_vk vk;
    memset(&pk, 0, sizeof pk);
    memset(&vk, 0, sizeof vk);
    if (groth16_pk_shape_file(&pk, r1cs_path, err)) { /* no r1cs in between */
        groth16_pk_free(&pk);
        return err->code;
    }
    int rc = setup_shaped(&pk, &vk, 0, err);
    if (rc)
        return zkml_error_prefix(err, "setup of %s", r1cs_path);
    rc = pk_write(&pk, pk_path, err);
    if (!rc)
        rc = vk_json_write(&vk, vk_json_path, err);
    groth16_pk_free(&pk);
    groth16_vk_free(&vk);
    return rc;
}
