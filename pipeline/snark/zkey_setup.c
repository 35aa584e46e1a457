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

/* What the setup commands build: the initial key of a circuit, the ptau it
 * came from (left open for the circuit hash) and its transcript. */
typedef struct setup_keys {
    ptau pt;
    groth16_pk pk;
    groth16_vk vk;
    zkey_mpc mpc;
} setup_keys;

/* The initial key of the circuit at r1cs_path from the ptau at ptau_path,
 * with an empty transcript; on failure pk is freed and pt closed. */
static int initial_key(const char *r1cs_path, const char *ptau_path, setup_keys *s, zkml_error *err)
{
    memset(&s->mpc, 0, sizeof s->mpc);
    memset(&s->pk, 0, sizeof s->pk);
    profile_phase("setup", NULL);
    int rc = groth16_pk_shape_file(&s->pk, r1cs_path, err);
    if (!rc)
        rc = ptau_open(&s->pt, ptau_path, err);
    if (rc)
        groth16_pk_free(&s->pk);
    profile_phase("setup", "read r1cs");
    if (!rc && (rc = zkey_init_from_ptau(&s->pt, &s->pk, &s->vk, 0, err)))
        ptau_close(&s->pt);
    return rc ? zkml_error_prefix(err, "setup of %s", r1cs_path) : 0;
}

/* All but the ptau, which each command closes when it no longer reads it. */
static void setup_keys_free(setup_keys *s)
{
    zkey_mpc_free(&s->mpc);
    groth16_pk_free(&s->pk);
    groth16_vk_free(&s->vk);
}

/* Where the setup commands write, and the writer of a zkey in two halves. */
typedef struct key_out {
    setup_keys *s;
    const char *zkey_path, *pk_path;
    bwriter w; /* the zkey while zkey_write_start's half is written */
} key_out;

typedef int (*key_job)(key_out *k, zkml_error *err);

static int zkey_start_job(key_out *k, zkml_error *err)
{
    return zkey_write_start(&k->w, &k->s->pk, &k->s->vk, k->zkey_path, err);
}

static int hash_job(key_out *k, zkml_error *err)
{
    return zkey_circuit_hash(&k->s->pt, &k->s->pk, &k->s->vk, 0, k->s->mpc.cs_hash, err);
}

static int zkey_job(key_out *k, zkml_error *err)
{
    return zkey_write(&k->s->pk, &k->s->vk, &k->s->mpc, k->zkey_path, err);
}

static int pk_job(key_out *k, zkml_error *err)
{
    return pk_write(&k->s->pk, k->pk_path, err);
}

typedef struct job_pair {
    key_job fn[2];
    key_out *k;
    int rc[2];
    zkml_error err[2];
} job_pair;

static void pair_task(void *ctx, int task, int n_tasks)
{
    (void)n_tasks;
    job_pair *p = ctx;
    p->rc[task] = p->fn[task](p->k, &p->err[task]);
}

/* Two jobs on two threads at once; the first failure, in their order, as err.
 * Why: each half of a key's writing is a serial stretch (the kernel filling
 * the page cache, BLAKE2b on one core), about a second at 2^20. */
static int run_pair(job_pair *p, zkml_error *err)
{
    parallel_run(2, pair_task, p);
    for (int i = 0; i < 2; i++)
        if (p->rc[i]) {
            *err = p->err[i];
            return err->code;
        }
    return 0;
}

int groth16_setup_ptau_files(const char *r1cs_path, const char *ptau_path, const char *zkey_path,
                             zkml_error *err)
{
    setup_keys s;
    if (initial_key(r1cs_path, ptau_path, &s, err))
        return err->code;
    /* Section 10, which holds the circuit hash, comes last: the rest is
     * written while the hash is computed. */
    key_out k = {.s = &s, .zkey_path = zkey_path};
    job_pair p = {.fn = {zkey_start_job, hash_job}, .k = &k};
    int rc = run_pair(&p, err);
    if (!rc)
        rc = zkey_write_finish(&k.w, &s.mpc, err);
    else if (!p.rc[0])
        bw_abort(&k.w);
    profile_phase("setup", "circuit hash and zkey");
    ptau_close(&s.pt);
    setup_keys_free(&s);
    return rc;
}

int groth16_setup_contribute_files(const char *r1cs_path, const char *ptau_path, const char *name,
                                   const char *zkey_path, const char *pk_path,
                                   const char *vk_json_path, zkml_error *err)
{
    setup_keys s;
    if (initial_key(r1cs_path, ptau_path, &s, err))
        return err->code;
    int rc = zkey_circuit_hash(&s.pt, &s.pk, &s.vk, 0, s.mpc.cs_hash, err);
    ptau_close(&s.pt);
    profile_phase("setup", "circuit hash");
    if (!rc)
        rc = zkey_contribute_key(&s.pk, &s.vk, &s.mpc, name, err);
    profile_phase("setup", "contribute");
    key_out k = {.s = &s, .zkey_path = zkey_path, .pk_path = pk_path};
    job_pair p = {.fn = {zkey_job, pk_job}, .k = &k};
    if (!rc)
        rc = run_pair(&p, err);
    if (!rc)
        rc = vk_json_write(&s.vk, vk_json_path, err);
    profile_phase("setup", "write keys");
    setup_keys_free(&s);
    return rc;
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
