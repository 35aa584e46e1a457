// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {VerifyProofSelector} from "./VerifyProofSelector.sol";

/// @title A Groth16 (BN254) verifier whose verification key is part of its code.
/// @notice Deployed only through Groth16KeyedVerifierDeployer, which appends the
/// key to this contract's runtime code. The code therefore ends with a trailer
/// of 2N+18 big-endian words:
///   [0]        the verifyProof selector for N signals (in the high 4 bytes)
///   [1..2]     alpha (G1)
///   [3..6]     beta, [7..10] gamma, [11..14] delta (G2, EIP-197 order:
///              x imaginary, x real, y imaginary, y real)
///   [15..]     IC_0 .. IC_N (G1, two words each)
///   [2N+17]    N
/// The key is read with CODECOPY, which costs a few gas per word, instead of
/// SLOAD, which would cost 2,100 per word.
///
/// It answers exactly what the exported Verifier.sol answers for the same key:
/// verifyProof(uint256[2] a, uint256[2][2] b, uint256[2] c, uint256[N] pub)
/// returns true iff every public signal is below r, every proof coordinate is
/// below q, and e(-A, B) e(alpha, beta) e(vk_x, gamma) e(C, delta) = 1 with
/// vk_x = IC_0 + sum pub_i IC_{i+1}. A call with another selector, short
/// calldata or value reverts, as Solidity's dispatcher does for Verifier.sol.
contract Groth16KeyedVerifier {
    fallback() external {
        assembly ("memory-safe") {
            let q := 21888242871839275222246405745257275088696311157297823662689037894645226208583
            let r := 21888242871839275222246405745257275088548364400416034343698204186575808495617

            codecopy(0, sub(codesize(), 32), 32)
            let n := mload(0)
            let key := sub(codesize(), mul(32, add(mul(2, n), 18)))
            codecopy(0, key, 32)
            if iszero(eq(shr(224, calldataload(0)), shr(224, mload(0)))) { revert(0, 0) }
            if lt(calldatasize(), add(4, mul(32, add(8, n)))) { revert(0, 0) }

            let ok := 1
            for { let o := 4 } lt(o, 260) { o := add(o, 32) } {
                ok := and(ok, lt(calldataload(o), q))
            }

            // Pairing input: (-A, B) (alpha, beta) (vk_x, gamma) (C, delta).
            let p := mload(0x40)
            mstore(p, calldataload(4))
            mstore(add(p, 32), mod(sub(q, calldataload(36)), q))
            calldatacopy(add(p, 64), 68, 128)

            // vk_x accumulates at p+384; p+448.. is scratch until gamma goes there.
            let acc := add(p, 384)
            let tmp := add(p, 448)
            codecopy(acc, add(key, 480), 64)
            for { let i := 0 } lt(i, n) { i := add(i, 1) } {
                let s := calldataload(add(260, mul(32, i)))
                ok := and(ok, lt(s, r))
                codecopy(tmp, add(key, add(544, mul(64, i))), 64)
                mstore(add(tmp, 64), s)
                ok := and(ok, staticcall(gas(), 7, tmp, 96, tmp, 64))
                ok := and(ok, staticcall(gas(), 6, acc, 128, acc, 64))
            }

            codecopy(add(p, 192), add(key, 32), 192)
            codecopy(add(p, 448), add(key, 224), 128)
            calldatacopy(add(p, 576), 196, 64)
            codecopy(add(p, 640), add(key, 352), 128)
            ok := and(ok, staticcall(gas(), 8, p, 768, p, 32))
            mstore(0, and(ok, eq(mload(p), 1)))
            return(0, 32)
        }
    }
}

/// @title Deploys a Groth16KeyedVerifier for one verification key.
/// @notice Its creation code, compiled when zkml-registry is built, followed by
/// the ABI encoding of `key`, deploys a verifier: no Solidity compiler is needed
/// at run time. key = alpha(2) beta(4) gamma(4) delta(4) IC_0..IC_N(2 each),
/// G2 points in EIP-197 order, every word below q.
contract Groth16KeyedVerifierDeployer {
    error MalformedVerificationKey(uint256 words);
    error KeyWordNotInField(uint256 index);
    error DegenerateVerificationKey();

    constructor(uint256[] memory key) {
        uint256 len = key.length;
        if (len < 18 || len % 2 != 0) revert MalformedVerificationKey(len);
        if (degenerate(key)) revert DegenerateVerificationKey();
        for (uint256 i = 0; i < len; i++) {
            if (key[i] >= 21888242871839275222246405745257275088696311157297823662689037894645226208583) {
                revert KeyWordNotInField(i);
            }
        }
        uint256 n = (len - 16) / 2;
        bytes memory code = abi.encodePacked(
            type(Groth16KeyedVerifier).runtimeCode,
            bytes32(VerifyProofSelector.forSignals(n)),
            key,
            n);
        assembly ("memory-safe") {
            return(add(code, 32), mload(code))
        }
    }

    /// Refuses keys no honest setup makes: alpha, beta, gamma or delta at
    /// infinity (zero words), or gamma = delta. Some of them verify every input
    /// without any secret, an always-true verifier: with gamma = delta (or both
    /// at infinity), A = alpha, B = beta, C = -vk_x. A key whose maker knows
    /// its setup secret can still be forged for; the registry records vkHash so
    /// that readers judge the key (contracts/README.md, "Trust").
    function degenerate(uint256[] memory key) private pure returns (bool) {
        bool gammaIsDelta = true;
        for (uint256 i = 0; i < 4; i++) {
            gammaIsDelta = gammaIsDelta && key[6 + i] == key[10 + i];
        }
        return gammaIsDelta || (key[0] | key[1]) == 0 || (key[2] | key[3] | key[4] | key[5]) == 0
            || (key[6] | key[7] | key[8] | key[9]) == 0
            || (key[10] | key[11] | key[12] | key[13]) == 0;
    }
}
