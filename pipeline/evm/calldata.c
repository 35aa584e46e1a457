/*
 * calldata.c - a proof as verifyProof arguments: raw words, snarkjs's
 * soliditycalldata text, and the ABI-encoded call.
 */
#include "pipeline/evm/evm.h"
#include "pipeline/evm/evm_internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The proof's words in one block (frees proof). */
static int words_of(evm_proof *proof, uint8_t **words, size_t *n_words, zkml_error *err)
{
    size_t n = 8 + proof->n_public;
    uint8_t *out = malloc(32 * n);
    if (!out) {
        evm_proof_free(proof);
        return zkml_fail(err, ZKML_ENOMEM, "out of memory encoding a proof");
    }
    memcpy(out, proof->abc, sizeof proof->abc);
    memcpy(out + sizeof proof->abc, proof->pub, 32 * proof->n_public);
    evm_proof_free(proof);
    *words = out;
    *n_words = n;
    return 0;
}

int evm_proof_words(const char *proof_json_path, const char *public_json_path, uint8_t **words,
                    size_t *n_words, zkml_error *err)
{
    *words = NULL;
    *n_words = 0;
    evm_proof proof;
    int rc = evm_proof_load(&proof, proof_json_path, public_json_path, err);
    return rc ? rc : words_of(&proof, words, n_words, err);
}

int evm_proof_words_parse(const char *proof_json, size_t proof_len, const char *public_json,
                          size_t public_len, uint8_t **words, size_t *n_words, zkml_error *err)
{
    *words = NULL;
    *n_words = 0;
    evm_proof proof;
    int rc = evm_proof_parse(&proof, proof_json, proof_len, public_json, public_len, err);
    return rc ? rc : words_of(&proof, words, n_words, err);
}

static void put_word(zkml_buf *b, const char *before, const evm_word w)
{
    char hex[65];
    evm_word_to_hex(hex, w);
    zkml_buf_printf(b, "%s\"0x%s\"", before, hex);
}

/* snarkjs's layout, separators included:
 * ["a0", "a1"],[["b00", "b01"],["b10", "b11"]],["c0", "c1"],["p0","p1",...] */
static void solidity_text(zkml_buf *b, const evm_proof *p)
{
    put_word(b, "[", p->abc[0]);
    put_word(b, ", ", p->abc[1]);
    put_word(b, "],[[", p->abc[2]);
    put_word(b, ", ", p->abc[3]);
    put_word(b, "],[", p->abc[4]);
    put_word(b, ", ", p->abc[5]);
    put_word(b, "]],[", p->abc[6]);
    put_word(b, ", ", p->abc[7]);
    for (size_t i = 0; i < p->n_public; i++)
        put_word(b, i == 0 ? "],[" : ",", p->pub[i]);
    zkml_buf_puts(b, "]");
}

static void call_hex(zkml_buf *b, const evm_proof *p)
{
    uint8_t selector[4];
    evm_verify_proof_selector(selector, p->n_public);
    zkml_buf_printf(b, "0x%02x%02x%02x%02x", selector[0], selector[1], selector[2], selector[3]);
    char hex[65];
    for (int i = 0; i < 8; i++) {
        evm_word_to_hex(hex, p->abc[i]);
        zkml_buf_puts(b, hex);
    }
    for (size_t i = 0; i < p->n_public; i++) {
        evm_word_to_hex(hex, p->pub[i]);
        zkml_buf_puts(b, hex);
    }
}

int evm_calldata(const char *proof_json_path, const char *public_json_path, char **solidity,
                 char **hex, size_t *n_public, zkml_error *err)
{
    *solidity = NULL;
    *hex = NULL;
    evm_proof proof;
    int rc = evm_proof_load(&proof, proof_json_path, public_json_path, err);
    if (rc)
        return rc;
    zkml_buf b = {0};
    solidity_text(&b, &proof);
    rc = zkml_buf_detach(&b, solidity, err);
    if (!rc) {
        call_hex(&b, &proof);
        rc = zkml_buf_detach(&b, hex, err);
    }
    if (n_public)
        *n_public = proof.n_public;
    evm_proof_free(&proof);
    if (rc) {
        free(*solidity);
        *solidity = NULL;
    }
    return rc;
}

int evm_words_calldata(const uint8_t *words, size_t n_words, char **hex, zkml_error *err)
{
    *hex = NULL;
    if (n_words < 9)
        return zkml_fail(err, ZKML_EINVAL, "a proof has 8 words and at least one public signal");
    /* A view of the words: call_hex only reads them. */
    evm_proof view = {.n_public = n_words - 8, .pub = (evm_word *)(uintptr_t)(words + 256)};
    memcpy(view.abc, words, sizeof view.abc);
    zkml_buf b = {0};
    call_hex(&b, &view);
    return zkml_buf_detach(&b, hex, err);
}
