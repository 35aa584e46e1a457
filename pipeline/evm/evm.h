/*
 * evm.h - public face of pipeline/evm: the Solidity verifier export and
 * calldata encoding.
 */
#ifndef ZKML_EVM_H
#define ZKML_EVM_H

#include "common/common.h"

/* export: verification_key.json, proof.json, public.json
 *         -> Verifier.sol, Verifier.abi.json, calldata.json */
int evm_export_step(const char *dir, const zkml_step_opts *opts, zkml_error *err);

#endif
