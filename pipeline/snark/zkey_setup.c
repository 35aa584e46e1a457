/*
 * zkey_setup.c - the phase-2 commands over files (contracts in snark.h):
 * the initial key from a ptau, the verification key of a .zkey, and our
 * proving key from a .zkey and its circuit.
 */
#include "pipeline/snark/field.h"
#include "pipeline/snark/lem.h"
#include "pipeline/snark/parallel.h"
#include "pipeline/snark/profile.h"
#include "pipeline/snark/zkey.h"

#include <string.h>

/* A setup's state: its inputs, the key it builds, what it writes. */
typedef struct setup {
    ptau pt;
    groth16_pk pk;
    groth16_vk vk;
    zkey_mpc mpc;
    zkey_secret sec; /* the service's contribution (the pipeline's setup) */
    const char *zkey_path, *pk_path;
    bwriter w; /* the zkey while zkey_write_start's half is written */
} setup;

/* The circuit's shape from r1cs_path and the ptau at ptau_path, open. */
static int setup_open(setup *st, const char *r1cs_path, const char *ptau_path, zkml_error *err)
{
    memset(st, 0, sizeof *st);
    profile_phase("setup", NULL);
    int rc = groth16_pk_shape_file(&st->pk, r1cs_path, err);
    if (!rc && (rc = ptau_open(&st->pt, ptau_path, err)))
        groth16_pk_free(&st->pk);
    profile_phase("setup", "read r1cs");
    return rc ? zkml_error_prefix(err, "setup of %s", r1cs_path) : 0;
}

static void setup_close(setup *st)
{
    ptau_close(&st->pt);
    zkey_mpc_free(&st->mpc);
    zkey_secret_wipe(&st->sec);
    groth16_pk_free(&st->pk);
    groth16_vk_free(&st->vk);
}

typedef int (*setup_job)(setup *st, zkml_error *err);

static int init_job(setup *st, zkml_error *err)
{
    return zkey_init_from_ptau(&st->pt, &st->pk, &st->vk, 0, err);
}

static int hash_job(setup *st, zkml_error *err)
{
    return zkey_circuit_hash(&st->pt, &st->pk, &st->vk, 0, st->mpc.cs_hash, err);
}

static int init_and_hash_job(setup *st, zkml_error *err)
{
    int rc = init_job(st, err);
    return rc ? rc : hash_job(st, err);
}

static int h_job(setup *st, zkml_error *err)
{
    return zkey_h_points(&st->pt, &st->pk, err);
}

/* H read and multiplied by the contribution's 1/d (it needs nothing else of
 * the key, and the hash reads H from the ptau). */
static int h_contributed_job(setup *st, zkml_error *err)
{
    int rc = h_job(st, err);
    return rc ? rc : zkey_contribute_h(&st->pk, &st->sec, err);
}

static int zkey_start_job(setup *st, zkml_error *err)
{
    return zkey_write_start(&st->w, &st->pk, &st->vk, st->zkey_path, err);
}

static int zkey_job(setup *st, zkml_error *err)
{
    return zkey_write(&st->pk, &st->vk, &st->mpc, st->zkey_path, err);
}

static int pk_job(setup *st, zkml_error *err)
{
    return pk_write(&st->pk, st->pk_path, err);
}

typedef struct job_pair {
    setup_job fn[2];
    setup *st;
    int rc[2];
    zkml_error err[2];
} job_pair;

static void pair_task(void *ctx, int task, int n_tasks)
{
    (void)n_tasks;
    job_pair *p = ctx;
    p->rc[task] = p->fn[task](p->st, &p->err[task]);
}

/* Two jobs on two threads at once (the first on this one); the first failure,
 * in their order, as err. Why: a setup has serial stretches (reading the
 * circuit, BLAKE2b, the kernel filling the page cache for a key file) that
 * leave a core idle unless another job fills it. */
static int run_pair(setup *st, setup_job first, setup_job second, int rc[2], zkml_error *err)
{
    job_pair p = {.fn = {first, second}, .st = st};
    parallel_run(2, pair_task, &p);
    rc[0] = p.rc[0];
    rc[1] = p.rc[1];
    for (int i = 0; i < 2; i++)
        if (p.rc[i]) {
            *err = p.err[i];
            return err->code;
        }
    return 0;
}

int groth16_setup_ptau_files(const char *r1cs_path, const char *ptau_path, const char *zkey_path,
                             zkml_error *err)
{
    setup st;
    int rc2[2] = {0, 0};
    if (setup_open(&st, r1cs_path, ptau_path, err))
        return err->code;
    st.zkey_path = zkey_path;
    int rc = init_job(&st, err);
    if (!rc)
        rc = h_job(&st, err);
    profile_phase("setup", "H points");
    /* Section 10, which holds the circuit hash, comes last: the rest is
     * written while the hash is computed. */
    if (!rc)
        rc = run_pair(&st, zkey_start_job, hash_job, rc2, err);
    if (!rc)
        rc = zkey_write_finish(&st.w, &st.mpc, err);
    else if (!rc2[0] && rc2[1])
        bw_abort(&st.w);
    profile_phase("setup", "circuit hash and zkey");
    setup_close(&st);
    return rc ? zkml_error_prefix(err, "setup of %s", r1cs_path) : 0;
}

int groth16_setup_contribute_files(const char *r1cs_path, const char *ptau_path, const char *name,
                                   const char *zkey_path, const char *pk_path,
                                   const char *vk_json_path, zkml_error *err)
{
    setup st;
    int rc2[2];
    if (setup_open(&st, r1cs_path, ptau_path, err))
        return err->code;
    st.zkey_path = zkey_path;
    st.pk_path = pk_path;
    int rc = zkey_secret_draw(&st.sec, err);
    if (!rc)
        rc = run_pair(&st, init_and_hash_job, h_contributed_job, rc2, err);
    profile_phase("setup", "wire sums, circuit hash; H contributed");
    if (!rc)
        rc = zkey_contribute_key(&st.pk, &st.vk, &st.mpc, name, &st.sec, err);
    zkey_secret_wipe(&st.sec);
    profile_phase("setup", "contribute");
    if (!rc)
        rc = run_pair(&st, zkey_job, pk_job, rc2, err);
    if (!rc)
        rc = vk_json_write(&st.vk, vk_json_path, err);
    profile_phase("setup", "write keys");
    setup_close(&st);
    return rc ? zkml_error_prefix(err, "setup of %s", r1cs_path) : 0;
}

int zkey_export_vk_files(const char *zkey_path, const char *vk_json_path, zkml_error *err)
{
    zkey_file zk;
    groth16_vk vk;
    if (zkey_open(&zk, zkey_path, err))
        return err->code;
    int rc = zkey_vk(&zk, &vk, err);
    zkey_close(&zk);
    if (!rc) {
        rc = vk_json_write(&vk, vk_json_path, err);
        groth16_vk_free(&vk);
    }
    return rc;
}

/* Section 4 must be the circuit's coefficients, record for record. */
static int same_coef(void *ctx, uint64_t i, const uint8_t rec[ZKEY_COEF_BYTES])
{
    const uint8_t *sec = ctx;
    return memcmp(sec + 4 + i * ZKEY_COEF_BYTES, rec, ZKEY_COEF_BYTES) != 0;
}

static int check_circuit(const zkey_file *zk, const groth16_pk *pk, zkml_error *err)
{
    if (zk->n_vars != pk->n_vars || zk->n_public != pk->n_public || zk->log_n != pk->log_n ||
        zk->sec[4].left != 4 + zkey_coef_count(pk) * ZKEY_COEF_BYTES ||
        zkey_for_each_coef(pk, same_coef, (void *)zk->sec[4].p))
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: the key is not for this circuit (its counts "
                         "or its coefficients, section 4, differ)",
                         zk->bf.name);
    return 0;
}

static int pk_from_zkey(const char *r1cs_path, const zkey_file *zk, groth16_pk *pk, zkml_error *err)
{
    memset(pk, 0, sizeof *pk);
    pk->alpha1 = zk->alpha1;
    pk->beta1 = zk->beta1;
    pk->delta1 = zk->delta1;
    pk->beta2 = zk->beta2;
    pk->delta2 = zk->delta2;
    if (groth16_pk_shape_file(pk, r1cs_path, err) || check_circuit(zk, pk, err) ||
        zkey_points(zk, 5, 0, (void **)&pk->a_query, err) ||
        zkey_points(zk, 6, 0, (void **)&pk->b1_query, err) ||
        zkey_points(zk, 7, 1, (void **)&pk->b2_query, err) ||
        zkey_points(zk, 8, 0, (void **)&pk->c_query, err) ||
        zkey_points(zk, 9, 0, (void **)&pk->h_query, err))
        return err->code;
    return 0;
}

int zkey_export_pk_files(const char *r1cs_path, const char *zkey_path, const char *pk_path,
                         const char *vk_json_path, zkml_error *err)
{
    zkey_file zk;
    groth16_pk pk;
    groth16_vk vk;
    int rc = zkey_open(&zk, zkey_path, err);
    if (!rc) {
        rc = pk_from_zkey(r1cs_path, &zk, &pk, err);
        if (!rc)
            rc = zkey_vk(&zk, &vk, err);
        if (!rc) {
            rc = pk_write(&pk, pk_path, err);
            if (!rc)
                rc = vk_json_write(&vk, vk_json_path, err);
            groth16_vk_free(&vk);
        }
        groth16_pk_free(&pk);
        zkey_close(&zk);
    }
    return rc;
}
