/*
 * groth16_verify.c - the Groth16 check, as snarkjs and the Solidity verifier
 * do it: e(-A, B) * e(alpha, beta) * e(vk_x, gamma) * e(C, delta) == 1 with
 * vk_x = IC_0 + sum pub_i IC_i, one multi-pairing with a shared final
 * exponentiation. The points were validated when they were read.
 */
#include "pipeline/snark/groth16.h"

#include <stdlib.h>

int groth16_verify(const groth16_vk *vk, const fr_t *pub, size_t n_pub, const groth16_proof *proof,
                   zkml_error *err)
{
    if (n_pub != vk->n_public)
        return zkml_fail(err, ZKML_EINVAL,
                         "%zu public signals, the verification key expects "
                         "%u",
                         n_pub, vk->n_public);
    g1_jac x, t;
    g1_to_jac(&x, &vk->ic[0]);
    for (size_t i = 0; i < n_pub; i++) {
        g1_to_jac(&t, &vk->ic[i + 1]);
        g1_mul(&t, &t, &pub[i]);
        g1_add(&x, &x, &t);
    }
    g1_affine p[4];
    g2_affine q[4];
    p[0] = proof->a;
    if (!p[0].infinity)
        fp_neg(&p[0].y, &p[0].y);
    q[0] = proof->b;
    p[1] = vk->alpha1;
    q[1] = vk->beta2;
    g1_to_affine(&p[2], &x);
    q[2] = vk->gamma2;
    p[3] = proof->c;
    q[3] = vk->delta2;
    if (!bn254_pairing_check(p, q, 4))
        return zkml_fail(err, ZKML_EREJECTED, "the proof does not verify");
    return 0;
}

int groth16_verify_files(const char *vk_json_path, const char *public_json_path,
                         const char *proof_json_path, zkml_error *err)
{
    zkml_error local;
    if (!err)
        err = &local;
    groth16_vk vk;
    groth16_proof proof;
    fr_t *pub = NULL;
    size_t n_pub = 0;
    int rc = vk_json_read(&vk, vk_json_path, err);
    if (rc)
        return rc;
    if (!(rc = public_json_read(&pub, &n_pub, public_json_path, err)) &&
        !(rc = proof_json_read(&proof, proof_json_path, err))) {
        rc = groth16_verify(&vk, pub, n_pub, &proof, err);
        if (rc && rc != ZKML_EREJECTED)
            zkml_error_prefix(err, "%s", public_json_path);
    }
    free(pub);
    groth16_vk_free(&vk);
    return rc;
}

/* Signal i of the words as an Fr element; -1 when it is not below r. */
static int word_to_fr(fr_t *out, const uint8_t w[32])
{
    uint8_t le[32];
    for (int i = 0; i < 32; i++)
        le[i] = w[31 - i];
    return fr_from_bytes_le(out, le);
}

static int evm_words_check(const groth16_vk *vk, const uint8_t *words, size_t n_words,
                           zkml_error *err)
{
    groth16_proof proof;
    if (g1_from_evm(&proof.a, words) || g2_from_evm(&proof.b, words + 64) ||
        g1_from_evm(&proof.c, words + 192))
        return zkml_fail(err, ZKML_EREJECTED,
                         "a proof point is not on the curve (or a coordinate is not below q)");
    size_t n = n_words - 8;
    fr_t *pub = malloc(n * sizeof *pub);
    if (!pub)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory for %zu public signals", n);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        if (word_to_fr(&pub[i], words + 32 * (8 + i)))
            rc = zkml_fail(err, ZKML_EREJECTED, "public signal %zu is not below r", i);
    if (!rc)
        rc = groth16_verify(vk, pub, n, &proof, err);
    free(pub);
    return rc;
}

int groth16_verify_evm_words(const char *vk_json_path, const uint8_t *words, size_t n_words,
                             zkml_error *err)
{
    groth16_vk vk;
    int rc = vk_json_read(&vk, vk_json_path, err);
    if (rc)
        return rc;
    if (n_words < 8 || n_words - 8 != vk.n_public)
        rc = zkml_fail(err, ZKML_EREJECTED, "%zu public signals, the verification key expects %u",
                       n_words < 8 ? 0 : n_words - 8, vk.n_public);
    else
        rc = evm_words_check(&vk, words, n_words, err);
    groth16_vk_free(&vk);
    return rc;
}
