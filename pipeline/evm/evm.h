/*
 * evm.h - public face of pipeline/evm: the Solidity verifier export and
 * calldata encoding.
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
/* The proof as 32-byte big-endian words in verifyProof's argument order:
 * a (2), b (4, EIP-197 order), c (2), then the public signals. *words is
 * malloc'ed, 32 * *n_words bytes. */
int evm_proof_words(const char *proof_json_path, const char *public_json_path,
                    uint8_t **words, size_t *n_words, zkml_error *err);

#endif
