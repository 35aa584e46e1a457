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
/// A version may then record one evaluation (recordEvaluation): a proven
/// metric on a committed dataset, checked by a second verifier deployed the
/// same way from the evaluation key, and bound to the version by its circuit
/// hash (and, with hashed parameters, recordHashedEvaluation, by the parameter
/// commitment its inference proof shows); bestVersion ranks a task's
/// versions per dataset.
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

    /// A version's evaluation (contracts/README.md, "Evaluations"); kind 0:
    /// none. vkHash and verifier are the evaluation key's, computed here; the
    /// other fields are the evaluation proof's public signals. Four slots.
    struct Evaluation {
        bytes32 datasetCommitment;
        bytes32 vkHash;
        address verifier;
        uint64 timestamp;
        uint64 rows;
        uint64 value;     // classification: the correct count; regression: SSE
        uint64 threshold; // regression: rmse_threshold at the output's scale; else 0
        uint8 kind;       // KIND_CLASSIFICATION or KIND_REGRESSION
        bool withinThreshold; // regression: SSE <= rows * threshold^2
    }

    uint8 public constant KIND_CLASSIFICATION = 1;
    uint8 public constant KIND_REGRESSION = 2;
    /// BN254's scalar field: public signals are below it.
    uint256 private constant R =
        21888242871839275222246405745257275088548364400416034343698204186575808495617;

    mapping(bytes32 => Task) private tasks;
    string[] private taskIds;
    mapping(bytes32 => ModelHead) private byModelHash;
    /// keccak256(taskId) => version => its evaluation
    mapping(bytes32 => mapping(uint256 => Evaluation)) private evaluations;
    /// keccak256(taskId) => dataset commitment => the best version (0: none)
    mapping(bytes32 => mapping(bytes32 => uint256)) private best;

    event TaskCreated(string taskId, address owner);
    event VersionRegistered(string taskId, uint256 indexed version, bytes32 indexed modelHash,
                            address indexed registrant, bytes32 circuitHash, bytes32 settingsHash,
                            bytes32 vkHash, address verifier, uint256[] publicSignals);
    event TaskOwnershipTransferred(string taskId, address indexed previousOwner,
                                   address indexed newOwner);
    event EvaluationRecorded(string taskId, uint256 indexed version,
                             bytes32 indexed datasetCommitment, uint8 kind, uint256 rows,
                             uint256 value, uint256 threshold, bool withinThreshold,
                             bytes32 vkHash, address verifier);
    event BestVersionChanged(string taskId, bytes32 indexed datasetCommitment,
                             uint256 indexed version);

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
    error EvaluationExists(string taskId, uint256 version);
    error EvaluationLayout(uint256 publicSignals);
    error EvaluationOfAnotherCircuit(string taskId, uint256 version, uint256 circuitSignal);
    error EvaluationOfOtherParameters(string taskId, uint256 version, uint256 paramSignal);
    error NotTheVersionSignals(string taskId, uint256 version);
    error EvaluationOutOfRange(uint256 signal);
    error BadOutputPacking(uint256 count, uint256 bits, uint256 offset, uint256 signals);
    error OutputsNotPacked(uint256 signal);

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
        (bytes32 vkHash, address verifier) = checkProof(taskId, key, a, b, c, pubSignals);

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

    /// Records version `version`'s evaluation, its proof checked by the
    /// verifier this contract deploys from `key` (as registerVersion does).
    /// Task owner only, once per version. pubSignals (docs/COMMITMENTS.md):
    /// dataset commitment, circuit hash, rows, then the correct count
    /// (classification, 4 signals) or SSE, threshold and within-threshold
    /// (regression, 6). The circuit hash must be the version's circuitHash
    /// mod r: an evaluation proof names the inference circuit it ran on each
    /// row, so another version's evaluation is refused.
    function recordEvaluation(
        string calldata taskId,
        uint256 version,
        uint256[] calldata key,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata pubSignals
    ) external {
        record(taskId, version, key, a, b, c, pubSignals, false, 0);
    }

    /// recordEvaluation for a version with hashed parameters: one circuit
    /// then serves every weight vector, so the circuit hash no longer names
    /// the weights, and the evaluation proof shows the parameter commitment
    /// after the layout above (5 or 7 signals). It must be the one the
    /// version's inference proof shows, its last public signal:
    /// versionSignals are that proof's public signals, which must hash to
    /// the version's signalsHash (the version stores only the hash).
    function recordHashedEvaluation(
        string calldata taskId,
        uint256 version,
        uint256[] calldata key,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata pubSignals,
        uint256[] calldata versionSignals
    ) external {
        uint256 params = versionParams(taskId, version, versionSignals);
        record(taskId, version, key, a, b, c, pubSignals, true, params);
    }

    /// The last of the version's public signals, given in full and checked
    /// against its signalsHash.
    function versionParams(string calldata taskId, uint256 version, uint256[] calldata signals)
        private view returns (uint256)
    {
        Stored[] storage versions = tasks[keccak256(bytes(taskId))].versions;
        if (version == 0 || version > versions.length) revert UnknownVersion(taskId, version);
        if (keccak256(abi.encodePacked(signals)) != versions[version - 1].signalsHash) {
            revert NotTheVersionSignals(taskId, version);
        }
        return signals[signals.length - 1]; // registerVersion refuses none
    }

    /// Both variants: with `hashed` the last signal is the parameter
    /// commitment and must equal `params`.
    function record(
        string calldata taskId,
        uint256 version,
        uint256[] calldata key,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata pubSignals,
        bool hashed,
        uint256 params
    ) private {
        bytes32 id = keccak256(bytes(taskId));
        Task storage task = tasks[id];
        if (version == 0 || version > task.versions.length) revert UnknownVersion(taskId, version);
        if (task.owner != msg.sender) revert NotTaskOwner(taskId, msg.sender, task.owner);
        Evaluation storage e = evaluations[id][version];
        if (e.kind != 0) revert EvaluationExists(taskId, version);
        storeSignals(e, pubSignals, hashed);
        if (pubSignals[1] != uint256(task.versions[version - 1].circuitHash) % R) {
            revert EvaluationOfAnotherCircuit(taskId, version, pubSignals[1]);
        }
        uint256 last = pubSignals[pubSignals.length - 1];
        if (hashed && last != params) revert EvaluationOfOtherParameters(taskId, version, last);
        (e.vkHash, e.verifier) = checkProof(taskId, key, a, b, c, pubSignals);
        e.timestamp = uint64(block.timestamp);
        emit EvaluationRecorded(taskId, version, e.datasetCommitment, e.kind, e.rows, e.value,
                                e.threshold, e.withinThreshold, e.vkHash, e.verifier);
        rank(id, taskId, version, e);
    }

    /// The evaluation's figures from its public signals; the layout gives the
    /// kind (hashed: the parameter commitment follows, compared, not stored).
    /// Each must fit its field, so nothing stored is truncated.
    function storeSignals(Evaluation storage e, uint256[] calldata pub, bool hashed) private {
        uint256 n = hashed && pub.length > 0 ? pub.length - 1 : pub.length;
        if (n != 4 && n != 6) revert EvaluationLayout(pub.length);
        for (uint256 i = 2; i < n; i++) {
            if (pub[i] > type(uint64).max) revert EvaluationOutOfRange(i);
        }
        if (pub[2] == 0) revert EvaluationOutOfRange(2);
        if (n == 4 && pub[3] > pub[2]) revert EvaluationOutOfRange(3);
        if (n == 6 && pub[5] > 1) revert EvaluationOutOfRange(5);
        e.datasetCommitment = bytes32(pub[0]);
        e.rows = uint64(pub[2]);
        e.value = uint64(pub[3]);
        e.kind = n == 4 ? KIND_CLASSIFICATION : KIND_REGRESSION;
        if (n == 6) {
            e.threshold = uint64(pub[4]);
            e.withinThreshold = pub[5] == 1;
        }
    }

    /// Makes `version` the dataset's best if it beats the current one.
    function rank(bytes32 id, string calldata taskId, uint256 version, Evaluation storage e)
        private
    {
        uint256 current = best[id][e.datasetCommitment];
        if (current != 0 && !beats(e, version, evaluations[id][current], current)) return;
        best[id][e.datasetCommitment] = version;
        emit BestVersionChanged(taskId, e.datasetCommitment, version);
    }

    /// Higher accuracy (correct / rows) wins a classification, lower SSE per
    /// row a regression (the threshold flag is not ranked: each upload sets its
    /// own); equal metrics go to the lower version number; another kind never
    /// displaces the holder (one dataset commitment fixes what its labels are).
    function beats(Evaluation storage x, uint256 xVersion, Evaluation storage y, uint256 yVersion)
        private view returns (bool)
    {
        if (x.kind != y.kind) return false;
        uint256 xs = uint256(x.value) * y.rows;
        uint256 ys = uint256(y.value) * x.rows;
        if (xs == ys) return xVersion < yVersion;
        return x.kind == KIND_CLASSIFICATION ? xs > ys : xs < ys;
    }

    /// @return the version's evaluation; kind 0 when it has none.
    function getEvaluation(string calldata taskId, uint256 version)
        external view returns (Evaluation memory)
    {
        bytes32 id = keccak256(bytes(taskId));
        if (version == 0 || version > tasks[id].versions.length) {
            revert UnknownVersion(taskId, version);
        }
        return evaluations[id][version];
    }

    /// @return version the task's best version on the dataset (0 when none
    /// is evaluated on it) and its evaluation.
    function bestVersion(string calldata taskId, bytes32 datasetCommitment)
        external view returns (uint256 version, Evaluation memory e)
    {
        bytes32 id = keccak256(bytes(taskId));
        version = best[id][datasetCommitment];
        e = evaluations[id][version];
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

    /// Checks a proof of a new input for a registered version with that
    /// version's verifier, and returns the proven outputs; reverts
    /// (UnknownVersion, ProofRejected) otherwise. A consumer contract calls it
    /// so as not to trust whoever submits the proof: the outputs come from
    /// the public signals the verifier accepted. They are packed as the
    /// version's settings.json says (packing.output: count, bits, offset; its
    /// SHA-256 is settingsHash), which the consumer fixes with the task and
    /// version it trusts (docs/COMMITMENTS.md, "Packing"): output i is bits
    /// [bits*j, bits*(j+1)) of signal i / per, minus offset, per = 252 / bits,
    /// j = i % per. Only public outputs can be decoded: a signal with bits set
    /// above its packed values (a commitment of hashed outputs, or another
    /// packing than the proof's) reverts with OutputsNotPacked.
    function attest(
        string calldata taskId,
        uint256 version,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata pubSignals,
        uint256 count,
        uint256 bits,
        uint256 offset
    ) external view returns (int256[] memory outputs) {
        Stored[] storage versions = tasks[keccak256(bytes(taskId))].versions;
        if (version == 0 || version > versions.length) revert UnknownVersion(taskId, version);
        Stored storage v = versions[version - 1];
        if (!proofVerifies(v.verifier, a, b, c, pubSignals)) revert ProofRejected(taskId, v.vkHash);
        return unpackOutputs(pubSignals, count, bits, offset);
    }

    /// The packing of docs/COMMITMENTS.md undone: bits of 1..64 (the circuit
    /// packs at most 62), offset at most 2^bits, the packed signals present.
    function unpackOutputs(uint256[] calldata signals, uint256 count, uint256 bits, uint256 offset)
        private pure returns (int256[] memory outputs)
    {
        if (bits == 0 || bits > 64 || offset > (1 << bits) || count == 0
            || (count + 252 / bits - 1) / (252 / bits) > signals.length) {
            revert BadOutputPacking(count, bits, offset, signals.length);
        }
        uint256 per = 252 / bits;
        uint256 mask = (1 << bits) - 1;
        outputs = new int256[](count);
        for (uint256 k = 0; k * per < count; k++) {
            uint256 n = count - k * per < per ? count - k * per : per;
            uint256 e = signals[k];
            if (e >> (bits * n) != 0) revert OutputsNotPacked(k);
            for (uint256 j = 0; j < n; j++) {
                outputs[k * per + j] = int256((e >> (bits * j)) & mask) - int256(offset);
            }
        }
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

    /// The one path from a key to an accepted proof, for versions and
    /// evaluations: the key's length must match the signals, the verifier is
    /// deployed (or reused) from the key, and the proof must verify under it.
    function checkProof(
        string calldata taskId,
        uint256[] calldata key,
        uint256[2] calldata a,
        uint256[2][2] calldata b,
        uint256[2] calldata c,
        uint256[] calldata pubSignals
    ) private returns (bytes32 vkHash, address verifier) {
        if (key.length != 16 + 2 * pubSignals.length) {
            revert KeyLengthMismatch(key.length, pubSignals.length);
        }
        vkHash = keccak256(abi.encodePacked(key));
        verifier = deployVerifier(key);
        if (!proofVerifies(verifier, a, b, c, pubSignals)) revert ProofRejected(taskId, vkHash);
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
