// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

/// What a consumer contract of the Infernet container does with service_output's
/// `proof` bytes (README "Infernet container"): decode them and let the registry
/// check them with the version's own verifier. The task, version and packing
/// (settings.json's packing.output) are the consumer's, fixed at deployment.
interface IModelRegistry {
    function attest(string calldata taskId, uint256 version, uint256[2] calldata a,
                    uint256[2][2] calldata b, uint256[2] calldata c, uint256[] calldata pubSignals,
                    uint256 count, uint256 bits, uint256 offset)
        external view returns (int256[] memory);
}

contract InfernetConsumer {
    IModelRegistry public immutable registry;
    string public taskId;
    uint256 public immutable version;
    uint256 public immutable count;
    uint256 public immutable bits;
    uint256 public immutable offset;

    constructor(IModelRegistry r, string memory task, uint256 v, uint256 n, uint256 b, uint256 o) {
        registry = r;
        taskId = task;
        version = v;
        count = n;
        bits = b;
        offset = o;
    }

    /// The proven outputs of service_output's proof bytes; reverts unless they verify.
    function outputs(bytes calldata proof) external view returns (int256[] memory) {
        (uint256[2] memory a, uint256[2][2] memory b, uint256[2] memory c, uint256[] memory sig) =
            abi.decode(proof, (uint256[2], uint256[2][2], uint256[2], uint256[]));
        return registry.attest(taskId, version, a, b, c, sig, count, bits, offset);
    }
}
