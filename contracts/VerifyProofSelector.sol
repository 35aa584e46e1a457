// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// @notice The 4-byte selector of
/// verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[N]), the ABI shared
/// by every Groth16 verifier we deploy. It depends on N, the number of public
/// signals, so it is derived here instead of being written down per size.
library VerifyProofSelector {
    function forSignals(uint256 n) internal pure returns (bytes4) {
        return bytes4(keccak256(abi.encodePacked(
            "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[", decimal(n), "])")));
    }

    function decimal(uint256 v) internal pure returns (bytes memory out) {
        uint256 digits = 1;
        for (uint256 t = v / 10; t != 0; t /= 10) {
            digits++;
        }
        out = new bytes(digits);
        for (uint256 i = digits; i > 0; i--) {
            out[i - 1] = bytes1(uint8(48 + (v % 10)));
            v /= 10;
        }
    }
}
