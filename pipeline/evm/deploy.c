/*
 * deploy.c - creation code for the contracts zkml-registry deploys, without a
 * Solidity compiler at run time: both were compiled when the binary was built.
 *
 * A verifier is Groth16KeyedVerifierDeployer's creation code followed by the
 * ABI encoding of its constructor argument uint256[] key (offset 0x20, the
 * length, the words). Its constructor returns, as the deployed code, the
 * generic verifier runtime with the key appended (contracts/README.md).
 */
#include "pipeline/evm/evm.h"
#include "pipeline/evm/evm_contracts.h"
#include "pipeline/evm/evm_internal.h"

#include <stdlib.h>
#include <string.h>

static void put_u256(uint8_t *out, size_t v)
{
    memset(out, 0, 32);
    for (int i = 31; i >= 24; i--, v >>= 8)
        out[i] = (uint8_t)v;
}

int evm_registry_creation_code(uint8_t **code, size_t *len, zkml_error *err)
{
    *code = malloc(evm_model_registry_code_len);
    if (!*code) {
        *len = 0;
        return zkml_fail(err, ZKML_ENOMEM, "out of memory for the ModelRegistry bytecode");
    }
    memcpy(*code, evm_model_registry_code, evm_model_registry_code_len);
    *len = evm_model_registry_code_len;
    return 0;
}

const char *evm_registry_abi_json(void)
{
    return evm_model_registry_abi;
}

static int keyed_verifier_code(const evm_vkey *vk, uint8_t **code, size_t *len, zkml_error *err)
{
    size_t head = evm_keyed_verifier_deployer_code_len;
    size_t total = head + 64 + 32 * vk->n_words;
    uint8_t *out = malloc(total);
    if (!out)
        return zkml_fail(err, ZKML_ENOMEM, "out of memory for the verifier bytecode");
    memcpy(out, evm_keyed_verifier_deployer_code, head);
    put_u256(out + head, 32);
    put_u256(out + head + 32, vk->n_words);
    memcpy(out + head + 64, vk->words, 32 * vk->n_words);
    *code = out;
    *len = total;
    return 0;
}

int evm_verifier_key_words(const char *vk_json_path, uint8_t **words, size_t *n_words,
                           zkml_error *err)
{
    evm_vkey vk;
    int rc = evm_vkey_load(&vk, vk_json_path, err);
    *words = rc ? NULL : (uint8_t *)vk.words; /* ownership passes to the caller */
    *n_words = rc ? 0 : vk.n_words;
    return rc;
}

int evm_verifier_creation_code(const char *vk_json_path, uint8_t **code, size_t *len,
                               zkml_error *err)
{
    *code = NULL;
    *len = 0;
    evm_vkey vk;
    int rc = evm_vkey_load(&vk, vk_json_path, err);
    if (rc)
        return rc;
    rc = keyed_verifier_code(&vk, code, len, err);
    evm_vkey_free(&vk);
    return rc;
}
