// SPDX-License-Identifier: MIT
pragma solidity ^0.8.20;

import {Groth16KeyedVerifierDeployer} from "./Groth16KeyedVerifier.sol";
import {VerifyProofSelector} from "./VerifyProofSelector.sol";

/// @title zkml-registry's on-chain record of model versions.
/// @notice Per task (an id matching [A-Za-z0-9_-]{1,64}): an owner, who is the
/// first account to register a version and the only one that may add more, and
/// a list of versions numbered from 1. A version is recorded only if its proof
/// verifies under a verifier that this contract deploys itself from the
/// verification key given with it: no caller chooses the verifier's code, and
/// the recorded vkHash is computed here from the key that accepted the proof.
/// Every registration of a model hash, by anyone, is listed by
/// registrationCount/registrationAt: nobody claims a model hash first.
contract ModelRegistry {
    /// What a version records. vkHash, verifier and signalsHash are computed
    /// here; modelHash, circuitHash and settingsHash are the registrant's
    /// claims (SHA-256 of model.onnx, network.r1cs and settings.json), which a
    /// reader checks against the files (contracts/README.md, "Trust").
    struct Version {
        bytes32 modelHash;
        bytes32 circuitHash;
        bytes32 settingsHash;
        bytes32 vkHash;      // keccak256 of the key words
        bytes32 signalsHash; // keccak256 of the public signals, 32 bytes each
        address verifier;
        uint64 timestamp;
        address registrant;
    }

    /// A Version as stored: its fields, and a link to the registration of the
    /// same model hash before it ((task number << 48) | version, 0 for none),
    /// which packs into the registrant's slot. Seven slots.
    struct Stored {
        bytes32 modelHash;
        bytes32 circuitHash;
        bytes32 settingsHash;
        bytes32 vkHash;
        bytes32 signalsHash;
        address verifier;
        uint64 timestamp;
        address registrant;
        uint96 previous;
    }

    struct Task {
        address owner;
        uint48 number; // index + 1 in taskIds
        Stored[] versions;
    }

    /// The newest registration of a model hash (packed as in Stored.previous)
    /// and how many there are.
    struct ModelHead {
        uint96 newest;
        uint64 count;
    }

    mapping(bytes32 => Task) private tasks;
    string[] private taskIds;
    mapping(bytes32 => ModelHead) private byModelHash;

    event TaskCreated(string taskId, address owner);
    event VersionRegistered(string taskId, uint256 indexed version, bytes32 indexed modelHash,
                            address indexed registrant, bytes32 circuitHash, bytes32 settingsHash,
                            bytes32 vkHash, address verifier, uint256[] publicSignals);
    event TaskOwnershipTransferred(string taskId, address indexed previousOwner,
                                   address indexed newOwner);

    error InvalidTaskId(string taskId);
    error ZeroModelHash();
    error NoPublicSignals();
    error KeyLengthMismatch(uint256 keyWords, uint256 publicSignals);
    error NotTaskOwner(string taskId, address caller, address owner);
    error ProofRejected(string taskId, bytes32 vkHash);
    error UnknownTask(string taskId);
    error UnknownVersion(string taskId, uint256 version);
    error UnknownRegistration(bytes32 modelHash, uint256 index);
    error ZeroNewOwner();

    /// Deploys (or reuses) the verifier for `key`, checks the proof with it and
    /// records the version. key = alpha(2) beta(4) gamma(4) delta(4)
    /// IC_0..IC_N(2 each), N = pubSignals.length (Groth16KeyedVerifier.sol).
    function registerVersion(
        string calldata taskId,
        bytes32 modelHash,
        bytes32 circuitHash,
        bytes32 settingsHash,
        uint256[] calldata key,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata pubSignals
    ) external returns (uint256 version) {
        Task storage task = claimTask(taskId);
        if (modelHash == bytes32(0)) revert ZeroModelHash();
        if (pubSignals.length == 0) revert NoPublicSignals();
        if (key.length != 16 + 2 * pubSignals.length) {
            revert KeyLengthMismatch(key.length, pubSignals.length);
        }
        bytes32 vkHash = keccak256(abi.encodePacked(key));
        address verifier = deployVerifier(key);
        if (!proofVerifies(verifier, a, b, c, pubSignals)) revert ProofRejected(taskId, vkHash);

        ModelHead storage head = byModelHash[modelHash];
        task.versions.push(Stored(modelHash, circuitHash, settingsHash, vkHash,
                                  keccak256(abi.encodePacked(pubSignals)), verifier,
                                  uint64(block.timestamp), msg.sender, head.newest));
        version = task.versions.length;
        head.newest = uint96((uint256(task.number) << 48) | version);
        head.count += 1;
        emit VersionRegistered(taskId, version, modelHash, msg.sender, circuitHash, settingsHash,
                               vkHash, verifier, pubSignals);
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
        Stored[] storage versions = tasks[keccak256(bytes(taskId))].versions;
        if (version == 0 || version > versions.length) revert UnknownVersion(taskId, version);
        return unpack(versions[version - 1]);
    }

    function latestVersion(string calldata taskId)
        external view returns (uint256 version, Version memory v)
    {
        Stored[] storage versions = tasks[keccak256(bytes(taskId))].versions;
        version = versions.length;
        if (version == 0) revert UnknownTask(taskId);
        v = unpack(versions[version - 1]);
    }

    /// @return how many versions, in any task by any registrant, carry modelHash.
    function registrationCount(bytes32 modelHash) external view returns (uint256) {
        return byModelHash[modelHash].count;
    }

    /// The task and version of the index-th registration of modelHash (0 is
    /// the oldest); getVersion gives its registrant and the rest. Walks the
    /// links from the newest, so a view call costs gas in proportion to count.
    function registrationAt(bytes32 modelHash, uint256 index)
        external view returns (string memory taskId, uint256 version)
    {
        ModelHead storage head = byModelHash[modelHash];
        if (index >= head.count) revert UnknownRegistration(modelHash, index);
        uint256 ref = head.newest;
        for (uint256 steps = head.count - 1 - index; steps > 0; steps--) {
            ref = taskVersion(ref).previous;
        }
        return (taskIds[(ref >> 48) - 1], uint48(ref));
    }

    function taskVersion(uint256 ref) private view returns (Stored storage) {
        string storage taskId = taskIds[(ref >> 48) - 1];
        return tasks[keccak256(bytes(taskId))].versions[uint48(ref) - 1];
    }

    function unpack(Stored storage s) private view returns (Version memory) {
        return Version(s.modelHash, s.circuitHash, s.settingsHash, s.vkHash, s.signalsHash,
                       s.verifier, s.timestamp, s.registrant);
    }

    /// The address a key's verifier has (or will have): CREATE2 by this
    /// contract, salt 0, of the deployer's creation code ++ abi.encode(key).
    function verifierAddress(uint256[] calldata key) external view returns (address) {
        return create2Address(verifierInitCode(key));
    }

    function create2Address(bytes memory init) private view returns (address) {
        return address(uint160(uint256(keccak256(abi.encodePacked(
            bytes1(0xff), address(this), bytes32(0), keccak256(init))))));
    }

    function verifierInitCode(uint256[] calldata key) private pure returns (bytes memory) {
        return abi.encodePacked(type(Groth16KeyedVerifierDeployer).creationCode, abi.encode(key));
    }

    /// The same key always gives the same verifier, deployed once; a key the
    /// deployer refuses reverts with the deployer's own error.
    function deployVerifier(uint256[] calldata key) private returns (address verifier) {
        bytes memory init = verifierInitCode(key);
        verifier = create2Address(init);
        if (verifier.code.length != 0) return verifier;
        address made;
        assembly ("memory-safe") {
            made := create2(0, add(init, 32), mload(init), 0)
            if iszero(made) {
                returndatacopy(0, 0, returndatasize())
                revert(0, returndatasize())
            }
        }
        return made;
    }

    /// Returns the task, creating it with the caller as owner if it is new;
    /// reverts unless the caller owns it.
    function claimTask(string calldata taskId) private returns (Task storage task) {
        if (!isValidTaskId(taskId)) revert InvalidTaskId(taskId);
        task = tasks[keccak256(bytes(taskId))];
        if (task.owner == address(0)) {
            taskIds.push(taskId);
            task.owner = msg.sender;
            task.number = uint48(taskIds.length);
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
        bytes memory call = bytes.concat(
            VerifyProofSelector.forSignals(pubSignals.length),
            abi.encode(a, b, c),
            abi.encodePacked(pubSignals));
        (bool ok, bytes memory answer) = verifier.staticcall(call);
        return ok && answer.length == 32 && abi.decode(answer, (uint256)) == 1;
    }
}
