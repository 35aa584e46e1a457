/*
 * evm_contracts.h - the contracts compiled at build time by contracts/compile.js
 * (solcjs), which generates evm_contracts.c in the build directory.
 */
#ifndef ZKML_EVM_CONTRACTS_H
#define ZKML_EVM_CONTRACTS_H

#include <stddef.h>
#include <stdint.h>

/* Creation code of contracts/ModelRegistry.sol (no constructor arguments). */
extern const uint8_t evm_model_registry_code[];
extern const size_t evm_model_registry_code_len;
/* Creation code of Groth16KeyedVerifierDeployer; append abi.encode(uint256[] key). */
extern const uint8_t evm_keyed_verifier_deployer_code[];
extern const size_t evm_keyed_verifier_deployer_code_len;
/* ModelRegistry's ABI as compact JSON. */
extern const char evm_model_registry_abi[];

#endif
