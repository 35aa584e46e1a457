/*
 * groth16_prove.c - the Groth16 prover over our proving key.
 *
 * Steps: evaluate A, B, C of every constraint on the witness (refusing the
 * witness at the first unsatisfied constraint), append the public input rows
 * to A, move a, b, c to the odd points of the 2n-domain (iNTT, scale by
 * w_2n^j, NTT: ntt_to_coset), d = a*b - c there, then the MSMs (their
 * scalars, the witness and d, leave Montgomery form once for all four):
 *   A  = alpha + sum w_i A_i + r delta            (G1)
 *   B  = beta + sum w_i B_i + s delta             (G2, and G1 for C)
 *   C  = sum_{private} w_i C_i + sum d_j H_j + s A + r B1 - r s delta  (G1; the
 *        two sums in one MSM)
 * r and s come from getrandom and are wiped after use. The parts of a mapped
 * key that a step has finished with leave memory as it ends (the peak is then
 * the C+H step's, not the whole key's).
 */
#include "pipeline/snark/groth16.h"
#include "pipeline/snark/field.h"
#include "pipeline/snark/hugemem.h"
#include "pipeline/snark/msm.h"
#include "pipeline/snark/ntt.h"
#include "pipeline/snark/parallel.h"
#include "pipeline/snark/profile.h"

#include <stdlib.h>
#include <string.h>

typedef struct eval_job {
    const groth16_pk *pk;
    const fr_t *w;
    fr_t *abc[3];
    uint32_t *first_bad; /* per task: first failing row, or UINT32_MAX */
} eval_job;

#define EVAL_PREFETCH 16 /* terms ahead whose witness value is prefetched */

/* Most coefficients of our circuits are 1 (bits, products): those terms
 * (index 0 of the coefficients' table) skip the multiplication. */
static void eval_row(const pk_matrix *m, const fr_t *coeffs, uint32_t k, uint64_t n_terms,
                     const fr_t *w, fr_t *out)
{
    fr_t acc, t;
    fr_zero(&acc);
    for (uint64_t i = m->start[k]; i < m->start[k + 1]; i++) {
        if (i + EVAL_PREFETCH < n_terms) /* the wires are scattered over w */
            __builtin_prefetch(&w[m->wire[i + EVAL_PREFETCH]]);
        if (m->coeff_at[i] == 0) {
            fr_add(&acc, &acc, &w[m->wire[i]]);
            continue;
        }
        fr_mul(&t, &coeffs[m->coeff_at[i]], &w[m->wire[i]]);
        fr_add(&acc, &acc, &t);
    }
    *out = acc;
}

static void eval_task(void *p, int task, int n_tasks)
{
    eval_job *job = p;
    size_t lo, hi;
    fr_t ab;
    parallel_range(job->pk->n_constraints, task, n_tasks, &lo, &hi);
    job->first_bad[task] = UINT32_MAX;
    for (size_t k = lo; k < hi; k++) {
        for (int m = 0; m < 3; m++)
            eval_row(&job->pk->m[m], job->pk->coeffs.v, (uint32_t)k,
                     job->pk->m[m].start[job->pk->n_constraints], job->w, &job->abc[m][k]);
        fr_mul(&ab, &job->abc[0][k], &job->abc[1][k]);
        if (job->first_bad[task] == UINT32_MAX && !fr_eq(&ab, &job->abc[2][k]))
            job->first_bad[task] = (uint32_t)k;
    }
}

typedef struct combine_job {
    fr_t *a;
    const fr_t *b, *c; /* NULL: a = a in normal form */
    size_t n;
} combine_job;

/* a = a * b - c in normal form (the MSMs' scalars) */
static void combine_task(void *p, int task, int n_tasks)
{
    combine_job *job = p;
    size_t lo, hi;
    parallel_range(job->n, task, n_tasks, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        if (job->b) {
            fr_mul(&job->a[i], &job->a[i], &job->b[i]);
            fr_sub(&job->a[i], &job->a[i], &job->c[i]);
        }
        mont_to_raw(job->a[i].v, job->a[i].v, &FR_MODULUS);
    }
}

/* Evaluates the rows, checks the witness, and computes d on the odd 2n points
 * into abc[0], in normal form. */
static int compute_h(const groth16_pk *pk, const fr_t *w, fr_t *abc[3], int threads,
                     zkml_error *err)
{
    int t = parallel_threads(threads);
    size_t n = (size_t)1 << pk->log_n;
    uint32_t *bad = calloc((size_t)t, sizeof *bad);
    if (!bad)
        return zkml_fail(err, ZKML_ENOMEM, "prove: out of memory");
    eval_job job = {pk, w, {abc[0], abc[1], abc[2]}, bad};
    profile_phase("prove", NULL);
    parallel_run(t, eval_task, &job);
    for (int m = 0; m < 3; m++) { /* the rows are not read again */
        const pk_matrix *pm = &pk->m[m];
        uint64_t terms = pm->start[pk->n_constraints];
        groth16_pk_release(pk, pm->start, ((size_t)pk->n_constraints + 1) * sizeof *pm->start);
        groth16_pk_release(pk, pm->wire, terms * sizeof *pm->wire);
        groth16_pk_release(pk, pm->coeff_at, terms * sizeof *pm->coeff_at);
    }
    groth16_pk_release(pk, pk->coeffs.v, pk->coeffs.n * sizeof *pk->coeffs.v);
    profile_phase("prove", "evaluate");
    uint32_t first = UINT32_MAX;
    for (int i = 0; i < t; i++)
        first = bad[i] < first ? bad[i] : first;
    free(bad);
    if (first != UINT32_MAX)
        return zkml_fail(err, ZKML_EREJECTED,
                         "the witness does not satisfy constraint %u "
                         "(0-based) of %u: A*B != C",
                         first, pk->n_constraints);
    for (int m = 0; m < 3; m++)
        memset(abc[m] + pk->n_constraints, 0, (n - pk->n_constraints) * sizeof(fr_t));
    for (uint32_t s = 0; s <= pk->n_public; s++)
        abc[0][pk->n_constraints + s] = w[s];
    ntt_domain d;
    fr_t shift, *factors;
    if (ntt_domain_init(&d, pk->log_n, err))
        return err->code;
    fr_root_of_unity(&shift, pk->log_n + 1);
    if (ntt_coset_factors(&factors, &d, &shift, threads, err)) {
        ntt_domain_free(&d);
        return err->code;
    }
    for (int m = 0; m < 3; m++)
        ntt_to_coset(&d, abc[m], factors, threads);
    free(factors);
    ntt_domain_free(&d);
    profile_phase("prove", "ntt");
    combine_job cj = {abc[0], abc[1], abc[2], n};
    parallel_run(n < 4096 ? 1 : t, combine_task, &cj);
    profile_phase("prove", "combine");
    return 0;
}

static void g1_affine_mul_add(g1_jac *acc, const g1_affine *p, const fr_t *k)
{
    g1_jac t;
    g1_to_jac(&t, p);
    g1_mul(&t, &t, k);
    g1_add(acc, acc, &t);
}

/* C's two sums, sum_{private} w_i C_i + sum_j d_j H_j, as one MSM over
 * c_query ++ h_query with the scalars cd = w_private ++ d (normal form): one bucket fold
 * instead of two, and wider windows. The key file stores h_query right after
 * c_query, so a mapped key needs no copy. */
static int msm_c_and_h(g1_jac *out, const groth16_pk *pk, const fr_t *cd, int threads,
                       zkml_error *err)
{
    size_t nc = pk->n_vars - pk->n_public - 1, nh = (size_t)1 << pk->log_n;
    const g1_affine *points = pk->c_query;
    g1_affine *joined = NULL;
    if (pk->c_query + nc != pk->h_query) {
        joined = huge_malloc((nc + nh) * sizeof *joined);
        if (!joined)
            return zkml_fail(err, ZKML_ENOMEM, "prove: out of memory for %zu points", nc + nh);
        memcpy(joined, pk->c_query, nc * sizeof *joined);
        memcpy(joined + nc, pk->h_query, nh * sizeof *joined);
        points = joined;
    }
    int rc = msm_g1_normal(out, points, cd, nc + nh, threads, err);
    free(joined);
    return rc;
}

/* wd: the witness and then d, in normal form. */
static int prove_points(const groth16_pk *pk, const fr_t *wd, groth16_proof *proof, int threads,
                        zkml_error *err)
{
    fr_t r, s, rs;
    g1_jac a, b1, c, t;
    g2_jac b2, t2;
    int rc = 0;
    if (fr_random(&r, err) || fr_random(&s, err))
        return err->code;
    profile_phase("prove", NULL);
    if ((rc = msm_g1_normal(&a, pk->a_query, wd, pk->n_vars, threads, err)))
        goto done;
    groth16_pk_release(pk, pk->a_query, pk->n_vars * sizeof *pk->a_query);
    profile_phase("prove", "msm A");
    if ((rc = msm_g1_normal(&b1, pk->b1_query, wd, pk->n_vars, threads, err)))
        goto done;
    groth16_pk_release(pk, pk->b1_query, pk->n_vars * sizeof *pk->b1_query);
    profile_phase("prove", "msm B1");
    if ((rc = msm_g2_normal(&b2, pk->b2_query, wd, pk->n_vars, threads, err)))
        goto done;
    groth16_pk_release(pk, pk->b2_query, pk->n_vars * sizeof *pk->b2_query);
    profile_phase("prove", "msm B2");
    if ((rc = msm_c_and_h(&c, pk, wd + pk->n_public + 1, threads, err)))
        goto done;
    profile_phase("prove", "msm C+H");
    /* A = alpha + sum + r delta; B = beta + sum + s delta */
    g1_to_jac(&t, &pk->alpha1);
    g1_add(&a, &a, &t);
    g1_affine_mul_add(&a, &pk->delta1, &r);
    g1_to_jac(&t, &pk->beta1);
    g1_add(&b1, &b1, &t);
    g1_affine_mul_add(&b1, &pk->delta1, &s);
    g2_to_jac(&t2, &pk->beta2);
    g2_add(&b2, &b2, &t2);
    g2_to_jac(&t2, &pk->delta2);
    g2_mul(&t2, &t2, &s);
    g2_add(&b2, &b2, &t2);
    /* C += s A + r B1 - r s delta */
    g1_mul(&t, &a, &s);
    g1_add(&c, &c, &t);
    g1_mul(&t, &b1, &r);
    g1_add(&c, &c, &t);
    fr_mul(&rs, &r, &s);
    fr_neg(&rs, &rs);
    g1_affine_mul_add(&c, &pk->delta1, &rs);
    g1_to_affine(&proof->a, &a);
    g2_to_affine(&proof->b, &b2);
    g1_to_affine(&proof->c, &c);
    profile_phase("prove", "finish");
done:
    zkml_wipe(&r, sizeof r);
    zkml_wipe(&s, sizeof s);
    zkml_wipe(&rs, sizeof rs);
    return rc;
}

int groth16_prove(const groth16_pk *pk, const fr_t *w, size_t n, groth16_proof *proof, int threads,
                  zkml_error *err)
{
    fr_t one;
    fr_one(&one);
    if (n != pk->n_vars)
        return zkml_fail(err, ZKML_EINVAL,
                         "the witness has %zu values but the circuit has %u "
                         "wires",
                         n, pk->n_vars);
    if (!fr_eq(&w[0], &one))
        return zkml_fail(err, ZKML_EREJECTED, "witness value 0 (the constant one) is not 1");
    /* wd holds the witness and then d (computed into abc[0]), in normal
     * form: the scalars of the MSMs, the private part and d side by side for
     * msm_c_and_h. */
    size_t dn = (size_t)1 << pk->log_n;
    fr_t *wd = huge_malloc((n + dn) * sizeof(fr_t));
    fr_t *abc[3] = {wd ? wd + n : NULL, huge_malloc(dn * sizeof(fr_t)),
                    huge_malloc(dn * sizeof(fr_t))};
    int rc;
    if (!abc[0] || !abc[1] || !abc[2])
        rc = zkml_fail(err, ZKML_ENOMEM, "prove: out of memory for a domain of %zu points", dn);
    else
        rc = compute_h(pk, w, abc, threads, err);
    free(abc[1]);
    free(abc[2]);
    if (!rc) {
        memcpy(wd, w, n * sizeof(fr_t));
        combine_job to_normal = {wd, NULL, NULL, n};
        parallel_run(n < 4096 ? 1 : parallel_threads(threads), combine_task, &to_normal);
        rc = prove_points(pk, wd, proof, threads, err);
    }
    free(wd);
    return rc;
}

int groth16_prove_files(const char *pk_path, const char *wtns_path, const char *proof_json_path,
                        const char *public_json_path, int threads, zkml_error *err)
{
    zkml_error local;
    if (!err)
        err = &local;
    groth16_pk pk;
    groth16_proof proof;
    fr_t *w;
    size_t n;
    profile_phase("prove", NULL);
    if (pk_read(&pk, pk_path, err))
        return err->code;
    profile_phase("prove", "read key");
    int rc = wtns_read(&w, &n, wtns_path, err);
    profile_phase("prove", "read wtns");
    if (rc) {
        groth16_pk_free(&pk);
        return rc;
    }
    rc = groth16_prove(&pk, w, n, &proof, threads, err);
    if (rc)
        zkml_error_prefix(err, "%s", wtns_path);
    else if (!(rc = proof_json_write(&proof, proof_json_path, err)))
        rc = public_json_write(w + 1, pk.n_public, public_json_path, err);
    free(w);
    groth16_pk_free(&pk);
    profile_phase("prove", "write, free");
    return rc;
}
