// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {VerifyProofSelector} from "./VerifyProofSelector.sol";

/// @title zkml-registry's on-chain record of model versions.
/// @notice Per task (an id matching [A-Za-z0-9_-]{1,64}): an owner, who is the
/// first account to register a version and the only one that may add more, and
/// a list of versions numbered from 1. A version is recorded only if its
/// verifier accepts the Groth16 proof given with it. Every change emits an
/// event. findByModelHash answers with the first registration of a model hash.
contract ModelRegistry {
    struct Version {
        bytes32 modelHash;
        bytes32 vkHash;
        address verifier;
        string uri;
        address registrant;
        uint256 timestamp;
    }

    struct Task {
        address owner;
        Version[] versions;
    }

    struct Location {
        string taskId;
        uint256 version;
    }

    mapping(bytes32 => Task) private tasks;
    mapping(bytes32 => Location) private firstRegistration;

    event TaskCreated(string taskId, address owner);
    event VersionRegistered(string taskId, uint256 indexed version, bytes32 indexed modelHash,
                            address verifier);
    event TaskOwnershipTransferred(string taskId, address indexed previousOwner,
                                   address indexed newOwner);

    error InvalidTaskId(string taskId);
    error ZeroModelHash();
    error VerifierHasNoCode(address verifier);
    error NoPublicSignals();
    error NotTaskOwner(string taskId, address caller, address owner);
    error ProofRejected(string taskId, address verifier);
    error UnknownTask(string taskId);
    error UnknownVersion(string taskId, uint256 version);
    error UnknownModelHash(bytes32 modelHash);
    error ZeroNewOwner();

    function registerVersion(
        string calldata taskId,
        bytes32 modelHash,
        bytes32 vkHash,
        address verifier,
        string calldata uri,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata pubSignals
    ) external returns (uint256 version) {
        Task storage task = claimTask(taskId);
        if (modelHash == bytes32(0)) revert ZeroModelHash();
        if (verifier.code.length == 0) revert VerifierHasNoCode(verifier);
        if (!proofVerifies(verifier, a, b, c, pubSignals)) revert ProofRejected(taskId, verifier);

        task.versions.push(Version(modelHash, vkHash, verifier, uri, msg.sender, block.timestamp));
        version = task.versions.length;
        noteFirstRegistration(modelHash, taskId, version);
        emit VersionRegistered(taskId, version, modelHash, verifier);
    }

    function transferTaskOwnership(string calldata taskId, address newOwner) external {
        Task storage task = tasks[keccak256(bytes(taskId))];
        if (task.owner == address(0)) revert UnknownTask(taskId);
        if (task.owner != msg.sender) revert NotTaskOwner(taskId, msg.sender, task.owner);
        if (newOwner == address(0)) revert ZeroNewOwner();
        emit TaskOwnershipTransferred(taskId, task.owner, newOwner);
        task.owner = newOwner;
    }

    /// @return the owner, or address(0) for a task nobody has registered.
    function taskOwner(string calldata taskId) external view returns (address) {
        return tasks[keccak256(bytes(taskId))].owner;
    }

    /// @return the number of versions, 0 for an unknown task.
    function versionCount(string calldata taskId) external view returns (uint256) {
        return tasks[keccak256(bytes(taskId))].versions.length;
    }

    function getVersion(string calldata taskId, uint256 version)
        external view returns (Version memory)
    {
        Version[] storage versions = tasks[keccak256(bytes(taskId))].versions;
        if (version == 0 || version > versions.length) revert UnknownVersion(taskId, version);
        return versions[version - 1];
    }

    function latestVersion(string calldata taskId)
        external view returns (uint256 version, Version memory v)
    {
        Version[] storage versions = tasks[keccak256(bytes(taskId))].versions;
        version = versions.length;
        if (version == 0) revert UnknownTask(taskId);
        v = versions[version - 1];
    }

    function findByModelHash(bytes32 modelHash)
        external view returns (string memory taskId, uint256 version)
    {
        Location storage first = firstRegistration[modelHash];
        if (first.version == 0) revert UnknownModelHash(modelHash);
        return (first.taskId, first.version);
    }

    function noteFirstRegistration(bytes32 modelHash, string calldata taskId, uint256 version)
        private
    {
        Location storage first = firstRegistration[modelHash];
        if (first.version == 0) {
            first.taskId = taskId;
            first.version = version;
        }
    }

    /// Returns the task, creating it with the caller as owner if it is new;
    /// reverts unless the caller owns it.
    function claimTask(string calldata taskId) private returns (Task storage task) {
        if (!isValidTaskId(taskId)) revert InvalidTaskId(taskId);
        task = tasks[keccak256(bytes(taskId))];
        if (task.owner == address(0)) {
            task.owner = msg.sender;
            emit TaskCreated(taskId, msg.sender);
        } else if (task.owner != msg.sender) {
            revert NotTaskOwner(taskId, msg.sender, task.owner);
        }
    }

    function isValidTaskId(string calldata taskId) private pure returns (bool) {
        bytes calldata id = bytes(taskId);
        if (id.length == 0 || id.length > 64) return false;
        for (uint256 i = 0; i < id.length; i++) {
            bytes1 ch = id[i];
            bool ok = (ch >= "a" && ch <= "z") || (ch >= "A" && ch <= "Z")
                || (ch >= "0" && ch <= "9") || ch == "_" || ch == "-";
            if (!ok) return false;
        }
        return true;
    }

    /// Calls verifier.verifyProof(a, b, c, pub) with pub as a fixed-size array
    /// of pubSignals.length words; true only for a call that succeeds and
    /// returns exactly true.
    function proofVerifies(
        address verifier,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata pubSignals
    ) private view returns (bool) {
        if (pubSignals.length == 0) revert NoPublicSignals();
        bytes memory call = bytes.concat(
            VerifyProofSelector.forSignals(pubSignals.length),
            abi.encode(a, b, c),
            abi.encodePacked(pubSignals));
        (bool ok, bytes memory answer) = verifier.staticcall(call);
        return ok && answer.length == 32 && abi.decode(answer, (uint256)) == 1;
    }
}
