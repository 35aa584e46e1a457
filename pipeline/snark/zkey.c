/*
 * zkey.c - writes Groth16 keys as a snarkjs .zkey: the keys of our own setup
 * (export-zkey, no ceremony) and the phase-2 keys built from a ptau (the
 * initial key of `groth16 setup --ptau`, byte for byte what snarkjs writes).
 *
 * Layout (iden3 container "zkey", version 1, sections 1..10, see the interop
 * notes, section 1): protocol 1; the header (q, r, nVars, nPublic,
 * domainSize, alpha1, beta1, beta2, gamma2, delta1, delta2); IC; the A and B
 * coefficients as c * R^2 mod r plus one A row per public signal; the A, B1,
 * B2, C and H query points (LEM, lem.h). Our H query already holds
 * L^{2n}_{2i+1}(tau)/delta, the odd-coset points snarkjs's prover expects.
 * Sections and coefficients come in snarkjs's order so that the initial key
 * is identical to snarkjs's. Section 10 is the ceremony (zkey.h); keys of our
 * own setup record an all-zero circuit hash and no contributions, since they
 * come from no ceremony that `snarkjs zkey verify` could replay.
 */
#include "pipeline/snark/field.h"
#include "pipeline/snark/lem.h"
#include "pipeline/snark/zkey.h"

#include <string.h>

static void put_g1(bwriter *w, const g1_affine *p)
{
    uint8_t b[LEM_G1];
    lem_put_g1(b, p);
    bw_bytes(w, b, sizeof b);
}

static void put_g2(bwriter *w, const g2_affine *p)
{
    uint8_t b[LEM_G2];
    lem_put_g2(b, p);
    bw_bytes(w, b, sizeof b);
}

static void put_limbs(bwriter *w, const uint64_t v[4])
{
    uint8_t b[32];
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 8; k++)
            b[8 * i + k] = (uint8_t)(v[i] >> (8 * k));
    bw_bytes(w, b, 32);
}

static void section(bwriter *w, uint32_t type, uint64_t size)
{
    bw_u32(w, type);
    bw_u64(w, size);
}

void zkey_coef_bytes(uint8_t out[ZKEY_COEF_BYTES], uint32_t matrix, uint32_t row, uint32_t signal,
                     const fr_t *coeff)
{
    fr_t r2, v;
    uint32_t head[3] = {matrix, row, signal};
    memcpy(r2.v, FR_MODULUS.r2, sizeof r2.v);
    fr_mul(&v, coeff, &r2); /* c*R (Montgomery) times R^2: c*R^2 mod r */
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 4; k++)
            out[4 * i + k] = (uint8_t)(head[i] >> (8 * k));
    for (int i = 0; i < 4; i++)
        for (int k = 0; k < 8; k++)
            out[12 + 8 * i + k] = (uint8_t)(v.v[i] >> (8 * k));
}

uint64_t zkey_coef_count(const groth16_pk *pk)
{
    return pk->m[0].start[pk->n_constraints] + pk->m[1].start[pk->n_constraints] + pk->n_public + 1;
}

int zkey_for_each_coef(const groth16_pk *pk, zkey_coef_fn fn, void *ctx)
{
    uint8_t rec[ZKEY_COEF_BYTES];
    fr_t one;
    fr_one(&one);
    uint64_t i = 0;
    for (uint32_t k = 0; k < pk->n_constraints; k++)
        for (uint32_t m = 0; m < 2; m++) {
            const pk_matrix *pm = &pk->m[m];
            for (uint64_t t = pm->start[k]; t < pm->start[k + 1]; t++) {
                zkey_coef_bytes(rec, m, k, pm->wire[t], &pk->coeffs.v[pm->coeff_at[t]]);
                if (fn(ctx, i++, rec))
                    return -1;
            }
        }
    for (uint32_t s = 0; s <= pk->n_public; s++) {
        zkey_coef_bytes(rec, 0, pk->n_constraints + s, s, &one);
        if (fn(ctx, i++, rec))
            return -1;
    }
    return 0;
}

static int write_coef(void *ctx, uint64_t i, const uint8_t rec[ZKEY_COEF_BYTES])
{
    (void)i;
    bw_bytes(ctx, rec, ZKEY_COEF_BYTES);
    return 0;
}

static void write_coefficients(bwriter *w, const groth16_pk *pk)
{
    uint64_t n_coefs = zkey_coef_count(pk);
    section(w, 4, 4 + n_coefs * ZKEY_COEF_BYTES);
    bw_u32(w, (uint32_t)n_coefs);
    zkey_for_each_coef(pk, write_coef, w);
}

static void write_g1_section(bwriter *w, uint32_t type, const g1_affine *p, size_t n)
{
    section(w, type, (uint64_t)n * LEM_G1);
    for (size_t i = 0; i < n; i++)
        put_g1(w, &p[i]);
}

/* The vk must be the one from the same setup as the pk. */
static int check_pair(const groth16_pk *pk, const groth16_vk *vk, zkml_error *err)
{
    g1_jac a, b;
    g2_jac c, d;
    g1_to_jac(&a, &pk->alpha1);
    g1_to_jac(&b, &vk->alpha1);
    int same = g1_eq(&a, &b) && vk->n_public == pk->n_public;
    g2_to_jac(&c, &pk->beta2);
    g2_to_jac(&d, &vk->beta2);
    same = same && g2_eq(&c, &d);
    g2_to_jac(&c, &pk->delta2);
    g2_to_jac(&d, &vk->delta2);
    same = same && g2_eq(&c, &d);
    if (!same)
        return zkml_fail(err, ZKML_EINVAL,
                         "the verification key does not belong to the "
                         "proving key (alpha, beta, delta or the public count differ)");
    return 0;
}

static void write_header(bwriter *w, const groth16_pk *pk, const groth16_vk *vk)
{
    section(w, 1, 4);
    bw_u32(w, 1); /* groth16 */
    section(w, 2, 4 + 32 + 4 + 32 + 12 + 3 * LEM_G1 + 3 * LEM_G2);
    bw_u32(w, 32);
    put_limbs(w, FP_MODULUS.m);
    bw_u32(w, 32);
    put_limbs(w, FR_MODULUS.m);
    bw_u32(w, pk->n_vars);
    bw_u32(w, pk->n_public);
    bw_u32(w, (uint32_t)1 << pk->log_n);
    put_g1(w, &pk->alpha1);
    put_g1(w, &pk->beta1);
    put_g2(w, &pk->beta2);
    put_g2(w, &vk->gamma2);
    put_g1(w, &pk->delta1);
    put_g2(w, &pk->delta2);
}

int zkey_write_start(bwriter *w, const groth16_pk *pk, const groth16_vk *vk, const char *path,
                     zkml_error *err)
{
    if (check_pair(pk, vk, err))
        return err->code;
    if (pk->n_constraints + (uint64_t)pk->n_public + 1 > UINT32_MAX ||
        zkey_coef_count(pk) > UINT32_MAX)
        return zkml_fail(err, ZKML_EINVAL, "the key is too large for the .zkey format");
    if (bw_open(w, path, err))
        return err->code;
    size_t n = (size_t)1 << pk->log_n, n_priv = pk->n_vars - pk->n_public - 1;
    bw_header(w, "zkey", 1, 10);
    write_header(w, pk, vk);
    write_coefficients(w, pk);
    write_g1_section(w, 3, vk->ic, pk->n_public + 1);
    write_g1_section(w, 9, pk->h_query, n);
    write_g1_section(w, 8, pk->c_query, n_priv);
    write_g1_section(w, 5, pk->a_query, pk->n_vars);
    write_g1_section(w, 6, pk->b1_query, pk->n_vars);
    section(w, 7, (uint64_t)pk->n_vars * LEM_G2);
    for (size_t i = 0; i < pk->n_vars; i++)
        put_g2(w, &pk->b2_query[i]);
    return 0;
}

int zkey_write_finish(bwriter *w, const zkey_mpc *mpc, zkml_error *err)
{
    static const zkey_mpc none;
    zkey_mpc_write(w, mpc ? mpc : &none);
    return bw_commit(w, err);
}

int zkey_write(const groth16_pk *pk, const groth16_vk *vk, const zkey_mpc *mpc, const char *path,
               zkml_error *err)
{
    bwriter w;
    if (zkey_write_start(&w, pk, vk, path, err))
        return err->code;
    return zkey_write_finish(&w, mpc, err);
}

int groth16_export_zkey_files(const char *pk_path, const char *vk_json_path, const char *zkey_path,
                              zkml_error *err)
{
    zkml_error local;
    if (!err)
        err = &local;
    groth16_pk pk;
    groth16_vk vk;
    if (pk_read(&pk, pk_path, err))
        return err->code;
    int rc = vk_json_read(&vk, vk_json_path, err);
    if (!rc) {
        rc = zkey_write(&pk, &vk, NULL, zkey_path, err);
        groth16_vk_free(&vk);
    }
    groth16_pk_free(&pk);
    return rc;
}
