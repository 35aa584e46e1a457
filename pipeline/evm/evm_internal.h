/*
 * evm_internal.h - what the files of pipeline/evm share: 32-byte words and
 * the verification key and proof as EVM words.
 */
#ifndef ZKML_EVM_INTERNAL_H
#define ZKML_EVM_INTERNAL_H

#include "common/common.h"

#include <stddef.h>
#include <stdint.h>

typedef uint8_t evm_word[32]; /* one big-endian 256-bit EVM word */

/* BN254's base field order q (coordinates) and scalar field order r (signals). */
extern const evm_word evm_field_q;
extern const evm_word evm_field_r;

/* Writes the word as 64 lowercase hex digits and a NUL. */
void evm_word_to_hex(char out[65], const evm_word w);

/* A Groth16 verification key as EVM words, in the order the keyed verifier's
 * deployer takes them: alpha (2), beta (4), gamma (4), delta (4), then
 * IC_0..IC_n (2 each). G2 points are in EIP-197 order (x_im, x_re, y_im, y_re);
 * points at infinity are zero words. */
enum { EVM_VK_FIXED_WORDS = 14 };
typedef struct evm_vkey {
    size_t n_public;
    size_t n_words; /* 14 + 2 * (n_public + 1) */
    evm_word *words;
} evm_vkey;

/* Reads verification_key.json (text in memory or a file) with pipeline/snark's
 * checked reader; origin names it in messages. */
int evm_vkey_parse(evm_vkey *vk, const char *text, size_t len, const char *origin, zkml_error *err);
int evm_vkey_load(evm_vkey *vk, const char *path, zkml_error *err);
void evm_vkey_free(evm_vkey *vk);

/* The proof words a(2) b(4, EIP-197) c(2) and the public signals (at least
 * one), read by pipeline/snark's checked readers. */
typedef struct evm_proof {
    evm_word abc[8];
    size_t n_public;
    evm_word *pub;
} evm_proof;

int evm_proof_load(evm_proof *proof, const char *proof_path, const char *public_path,
                   zkml_error *err);
/* The same from JSON text in memory (messages name "proof" and "public_signals"). */
int evm_proof_parse(evm_proof *proof, const char *proof_json, size_t proof_len,
                    const char *public_json, size_t public_len, zkml_error *err);
void evm_proof_free(evm_proof *proof);

/* keccak256("verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[n])")[0..4) */
void evm_verify_proof_selector(uint8_t out[4], size_t n_public);

#endif
