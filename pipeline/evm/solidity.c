/*
 * solidity.c - writes Verifier.sol and its ABI for one verification key.
 *
 * The contract keeps the key in constants and checks a proof with the BN254
 * precompiles: every public signal below r and every proof coordinate below q,
 * vk_x = IC_0 + sum pub_i IC_{i+1} with ecMul (0x07) and ecAdd (0x06), then one
 * ecPairing (0x08) over (-A, B) (alpha, beta) (vk_x, gamma) (C, delta). Its
 * ABI is snarkjs's: verifyProof(uint256[2], uint256[2][2], uint256[2],
 * uint256[N]) returns (bool). contracts/Groth16KeyedVerifier.sol runs the
 * same algorithm with the key read from its code; the two must stay in step.
 */
#include "pipeline/evm/evm.h"
#include "pipeline/evm/evm_internal.h"

#include <stdio.h>
#include <stdlib.h>

static void put_constant(zkml_buf *b, const char *name, const evm_word w)
{
    char hex[65];
    evm_word_to_hex(hex, w);
    zkml_buf_printf(b, "    uint256 internal constant %s = 0x%s;\n", name, hex);
}

static void put_g2(zkml_buf *b, const char *name, const evm_word *w)
{
    static const char *const parts[4] = {"X_IM", "X_RE", "Y_IM", "Y_RE"};
    char full[32];
    for (int i = 0; i < 4; i++) {
        snprintf(full, sizeof full, "%s_%s", name, parts[i]);
        put_constant(b, full, w[i]);
    }
}

static void put_constants(zkml_buf *b, const evm_vkey *vk)
{
    zkml_buf_printf(
        b, "    // BN254: r orders the scalar field (public signals), q the base field.\n");
    put_constant(b, "R", evm_field_r);
    put_constant(b, "Q", evm_field_q);
    zkml_buf_printf(b, "\n    // Verification key. G2 points are in EIP-197 order.\n");
    put_constant(b, "ALPHA_X", vk->words[0]);
    put_constant(b, "ALPHA_Y", vk->words[1]);
    put_g2(b, "BETA", vk->words + 2);
    put_g2(b, "GAMMA", vk->words + 6);
    put_g2(b, "DELTA", vk->words + 10);
    char name[32];
    for (size_t i = 0; i <= vk->n_public; i++) {
        snprintf(name, sizeof name, "IC%zu_X", i);
        put_constant(b, name, vk->words[EVM_VK_FIXED_WORDS + 2 * i]);
        snprintf(name, sizeof name, "IC%zu_Y", i);
        put_constant(b, name, vk->words[EVM_VK_FIXED_WORDS + 2 * i + 1]);
    }
}

static const char verify_head[] =
    "\n"
    "    /// @notice True iff (a, b, c) proves the statement with these public signals.\n"
    "    /// b is in EIP-197 order: [[x_im, x_re], [y_im, y_re]].\n"
    "    function verifyProof(\n"
    "        uint256[2] calldata a,\n"
    "        uint256[2][2] calldata b,\n"
    "        uint256[2] calldata c,\n"
    "        uint256[%zu] calldata pubSignals\n"
    "    ) external view returns (bool valid) {\n"
    "        assembly {\n"
    "            // 1 iff every word of calldata[from, from + 32 * count) is below bound.\n"
    "            function allBelow(from, count, bound) -> yes {\n"
    "                yes := 1\n"
    "                for { let i := 0 } lt(i, count) { i := add(i, 1) } {\n"
    "                    yes := and(yes, lt(calldataload(add(from, mul(32, i))), bound))\n"
    "                }\n"
    "            }\n"
    "            // acc += s * (x, y); acc is 64 bytes of memory, the 96 after it scratch.\n"
    "            function addTerm(acc, x, y, s) -> success {\n"
    "                let t := add(acc, 64)\n"
    "                mstore(t, x)\n"
    "                mstore(add(t, 32), y)\n"
    "                mstore(add(t, 64), s)\n"
    "                success := staticcall(gas(), 0x07, t, 96, t, 64)\n"
    "                success := and(success, staticcall(gas(), 0x06, acc, 128, acc, 64))\n"
    "            }\n"
    "\n"
    "            let ok := and(allBelow(a, 2, Q), and(allBelow(b, 4, Q), allBelow(c, 2, Q)))\n"
    "            ok := and(ok, allBelow(pubSignals, %zu, R))\n"
    "\n"
    "            // Pairing input, 4 x 192 bytes: (-A, B) (alpha, beta) (vk_x, gamma) (C, delta).\n"
    "            let p := mload(0x40)\n"
    "            mstore(p, calldataload(a))\n"
    "            mstore(add(p, 32), mod(sub(Q, calldataload(add(a, 32))), Q))\n"
    "            calldatacopy(add(p, 64), b, 128)\n"
    "\n"
    "            // vk_x = IC0 + sum pubSignals[i] * IC(i+1), built in place at p + 384.\n"
    "            let acc := add(p, 384)\n"
    "            mstore(acc, IC0_X)\n"
    "            mstore(add(acc, 32), IC0_Y)\n";

static const char verify_tail[] =
    "\n"
    "            mstore(add(p, 192), ALPHA_X)\n"
    "            mstore(add(p, 224), ALPHA_Y)\n"
    "            mstore(add(p, 256), BETA_X_IM)\n"
    "            mstore(add(p, 288), BETA_X_RE)\n"
    "            mstore(add(p, 320), BETA_Y_IM)\n"
    "            mstore(add(p, 352), BETA_Y_RE)\n"
    "            mstore(add(p, 448), GAMMA_X_IM)\n"
    "            mstore(add(p, 480), GAMMA_X_RE)\n"
    "            mstore(add(p, 512), GAMMA_Y_IM)\n"
    "            mstore(add(p, 544), GAMMA_Y_RE)\n"
    "            calldatacopy(add(p, 576), c, 64)\n"
    "            mstore(add(p, 640), DELTA_X_IM)\n"
    "            mstore(add(p, 672), DELTA_X_RE)\n"
    "            mstore(add(p, 704), DELTA_Y_IM)\n"
    "            mstore(add(p, 736), DELTA_Y_RE)\n"
    "\n"
    "            ok := and(ok, staticcall(gas(), 0x08, p, 768, p, 32))\n"
    "            valid := and(ok, eq(mload(p), 1))\n"
    "        }\n"
    "    }\n"
    "}\n";

static int verifier_source(const evm_vkey *vk, char **sol, zkml_error *err)
{
    zkml_buf b = {0};
    zkml_buf_printf(&b,
                    "// SPDX-License-Identifier: MIT\n"
                    "// Generated by zkml-registry from a Groth16 verification key (BN254).\n"
                    "pragma solidity ^0.8.0;\n"
                    "\n"
                    "/// @title Groth16 verifier for one verification key, %zu public signal%s.\n"
                    "contract Groth16Verifier {\n",
                    vk->n_public, vk->n_public == 1 ? "" : "s");
    put_constants(&b, vk);
    zkml_buf_printf(&b, verify_head, vk->n_public, vk->n_public);
    for (size_t i = 1; i <= vk->n_public; i++)
        zkml_buf_printf(&b,
                        "            ok := and(ok, addTerm(acc, IC%zu_X, IC%zu_Y, "
                        "calldataload(add(pubSignals, %zu))))\n",
                        i, i, 32 * (i - 1));
    zkml_buf_puts(&b, verify_tail);
    return zkml_buf_detach(&b, sol, err);
}

int evm_verifier_source(const char *vk_json, size_t len, const char *origin, char **sol,
                        size_t *n_public, zkml_error *err)
{
    *sol = NULL;
    evm_vkey vk;
    int rc = evm_vkey_parse(&vk, vk_json, len, origin, err);
    if (rc)
        return rc;
    rc = verifier_source(&vk, sol, err);
    if (!rc && n_public)
        *n_public = vk.n_public;
    evm_vkey_free(&vk);
    return rc;
}

int evm_verifier_abi(size_t n_public, char **abi_json, zkml_error *err)
{
    zkml_buf b = {0};
    zkml_buf_printf(
        &b,
        "[\n {\n  \"inputs\": [\n"
        "   {\"internalType\": \"uint256[2]\", \"name\": \"a\", \"type\": \"uint256[2]\"},\n"
        "   {\"internalType\": \"uint256[2][2]\", \"name\": \"b\", \"type\": \"uint256[2][2]\"},\n"
        "   {\"internalType\": \"uint256[2]\", \"name\": \"c\", \"type\": \"uint256[2]\"},\n"
        "   {\"internalType\": \"uint256[%zu]\", \"name\": \"pubSignals\", \"type\": "
        "\"uint256[%zu]\"}\n"
        "  ],\n"
        "  \"name\": \"verifyProof\",\n"
        "  \"outputs\": [{\"internalType\": \"bool\", \"name\": \"valid\", \"type\": \"bool\"}],\n"
        "  \"stateMutability\": \"view\",\n"
        "  \"type\": \"function\"\n }\n]\n",
        n_public, n_public);
    return zkml_buf_detach(&b, abi_json, err);
}
