/*
 * evm.h - public face of pipeline/evm: the Solidity verifier export, calldata
 * encoding, and the creation code of the contracts zkml-registry deploys
 * (compiled from contracts/ at build time, so no Solidity compiler is needed
 * at run time). Inputs are snarkjs's JSON files; see contracts/README.md.
 */
#ifndef ZKML_EVM_H
#define ZKML_EVM_H

#include "common/common.h"

#include <stddef.h>
#include <stdint.h>

/* export: verification_key.json, proof.json, public.json
 *         -> Verifier.sol, Verifier.abi.json, calldata.json */
int evm_export_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);

/* Creation code (constructor + runtime) of contracts/ModelRegistry.sol, compiled
 * at build time. *code is malloc'ed. */
int evm_registry_creation_code(uint8_t **code, size_t *len, zkml_error *err);
/* Creation code of a verifier for verification_key.json that accepts exactly
 * what Verifier.sol accepts; needs no Solidity compiler at run time. */
int evm_verifier_creation_code(const char *vk_json_path, uint8_t **code, size_t *len,
                               zkml_error *err);
/* The verification key as the words ModelRegistry.registerVersion takes
 * (alpha, beta, gamma, delta, IC_0..IC_N; contracts/README.md): *words is
 * malloc'ed, 32 * *n_words bytes. keccak-256 of them is the on-chain vkHash. */
int evm_verifier_key_words(const char *vk_json_path, uint8_t **words, size_t *n_words,
                           zkml_error *err);
/* The proof as 32-byte big-endian words in verifyProof's argument order:
 * a (2), b (4, EIP-197 order), c (2), then the public signals. *words is
 * malloc'ed, 32 * *n_words bytes. */
int evm_proof_words(const char *proof_json_path, const char *public_json_path, uint8_t **words,
                    size_t *n_words, zkml_error *err);

/* The same from snarkjs's proof.json and public.json texts held in memory
 * (a request's "proof" and "public_signals"; messages name those). */
int evm_proof_words_parse(const char *proof_json, size_t proof_len, const char *public_json,
                          size_t public_len, uint8_t **words, size_t *n_words, zkml_error *err);
/* verifyProof's calldata ("0x" + selector + words) for proof words; *hex malloc'ed. */
int evm_words_calldata(const uint8_t *words, size_t n_words, char **hex, zkml_error *err);
/* The same words as verifyProof's calldata in both textual forms: snarkjs's
 * `zkey export soliditycalldata` text, and "0x" + selector + words. Each
 * string is malloc'ed. n_public (may be NULL) receives the signal count. */
int evm_calldata(const char *proof_json_path, const char *public_json_path, char **solidity,
                 char **hex, size_t *n_public, zkml_error *err);

/* Verifier.sol for a verification_key.json held in memory (origin names it in
 * messages). *sol is malloc'ed; n_public (may be NULL) receives N. */
int evm_verifier_source(const char *vk_json, size_t len, const char *origin, char **sol,
                        size_t *n_public, zkml_error *err);
/* Verifier.abi.json for a verifier with n_public signals. *abi_json is malloc'ed. */
int evm_verifier_abi(size_t n_public, char **abi_json, zkml_error *err);
/* ModelRegistry's ABI (compact JSON), embedded at build time. */
const char *evm_registry_abi_json(void);

/* Keccak-256 as Ethereum uses it (original Keccak padding). */
void evm_keccak256(uint8_t out[32], const void *data, size_t len);

#endif
