/*
 * snarkjs_words.c - snarkjs's verification_key.json, proof.json and
 * public.json as EVM words. The files are read by pipeline/snark's one
 * reader, so the verifier export gets its checks (numbers in range, points
 * on the curve, G2 points in the subgroup); this file only lays the values
 * out as the verifier and verifyProof take them.
 */
#include "pipeline/evm/evm.h"
#include "pipeline/evm/evm_internal.h"
#include "pipeline/snark/snark.h"

#include <stdlib.h>
#include <string.h>

/* A scalar as one big-endian word. */
static void fr_to_word(evm_word out, const fr_t *a)
{
    uint8_t le[32];
    fr_to_bytes_le(le, a);
    for (int i = 0; i < 32; i++)
        out[i] = le[31 - i];
}

static int vkey_words(evm_vkey *out, const groth16_vk *vk, const char *origin, zkml_error *err)
{
    if (vk->n_public < 1)
        return zkml_fail(err, ZKML_EINVAL,
                         "%s: IC: expected at least 2 points "
                         "(a verifier needs at least one public signal)",
                         origin);
    out->n_public = vk->n_public;
    out->n_words = EVM_VK_FIXED_WORDS + 2 * (out->n_public + 1);
    out->words = calloc(out->n_words, sizeof(evm_word));
    if (!out->words)
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory for %zu public signals", origin,
                         out->n_public);
    uint8_t *w = (uint8_t *)out->words;
    g1_to_evm(w, &vk->alpha1);
    g2_to_evm(w + 2 * 32, &vk->beta2);
    g2_to_evm(w + 6 * 32, &vk->gamma2);
    g2_to_evm(w + 10 * 32, &vk->delta2);
    for (size_t i = 0; i <= out->n_public; i++)
        g1_to_evm(w + (EVM_VK_FIXED_WORDS + 2 * i) * 32, &vk->ic[i]);
    return 0;
}

int evm_vkey_parse(evm_vkey *vk, const char *text, size_t len, const char *origin, zkml_error *err)
{
    memset(vk, 0, sizeof *vk);
    groth16_vk key;
    int rc = vk_json_parse(&key, text, len, origin, err);
    if (rc)
        return rc;
    rc = vkey_words(vk, &key, origin, err);
    groth16_vk_free(&key);
    return rc;
}

int evm_vkey_load(evm_vkey *vk, const char *path, zkml_error *err)
{
    memset(vk, 0, sizeof *vk);
    groth16_vk key;
    int rc = vk_json_read(&key, path, err);
    if (rc)
        return rc;
    rc = vkey_words(vk, &key, path, err);
    groth16_vk_free(&key);
    return rc;
}

void evm_vkey_free(evm_vkey *vk)
{
    free(vk->words);
    memset(vk, 0, sizeof *vk);
}

/* Lays out a read proof and its signals; origin names the signals in messages. */
static int proof_words(evm_proof *proof, const groth16_proof *p, const fr_t *pub, size_t n,
                       const char *origin, zkml_error *err)
{
    if (n == 0)
        return zkml_fail(err, ZKML_EINVAL, "%s: expected at least one public signal", origin);
    if (!(proof->pub = calloc(n, sizeof(evm_word))))
        return zkml_fail(err, ZKML_ENOMEM, "%s: out of memory for %zu public signals", origin, n);
    uint8_t *abc = (uint8_t *)proof->abc;
    g1_to_evm(abc, &p->a);
    g2_to_evm(abc + 2 * 32, &p->b);
    g1_to_evm(abc + 6 * 32, &p->c);
    proof->n_public = n;
    for (size_t i = 0; i < n; i++)
        fr_to_word(proof->pub[i], &pub[i]);
    return 0;
}

int evm_proof_load(evm_proof *proof, const char *proof_path, const char *public_path,
                   zkml_error *err)
{
    memset(proof, 0, sizeof *proof);
    groth16_proof p;
    fr_t *pub = NULL;
    size_t n = 0;
    int rc = proof_json_read(&p, proof_path, err);
    if (!rc)
        rc = public_json_read(&pub, &n, public_path, err);
    if (!rc)
        rc = proof_words(proof, &p, pub, n, public_path, err);
    free(pub);
    return rc;
}

int evm_proof_parse(evm_proof *proof, const char *proof_json, size_t proof_len,
                    const char *public_json, size_t public_len, zkml_error *err)
{
    memset(proof, 0, sizeof *proof);
    groth16_proof p;
    fr_t *pub = NULL;
    size_t n = 0;
    int rc = proof_json_parse(&p, proof_json, proof_len, "proof", err);
    if (!rc)
        rc = public_json_parse(&pub, &n, public_json, public_len, "public_signals", err);
    if (!rc)
        rc = proof_words(proof, &p, pub, n, "public_signals", err);
    free(pub);
    return rc;
}

void evm_proof_free(evm_proof *proof)
{
    free(proof->pub);
    memset(proof, 0, sizeof *proof);
}
