// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {IAttestationVerifier} from "../interfaces/IAttestationVerifier.sol";
import {IInferenceManager} from "../interfaces/IInferenceManager.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {ITeeSettler} from "../interfaces/ITeeSettler.sol";

/// @title TeeSettler
/// @notice The TEE verification mode: attested enclave keys, results signed by them and final at once, and
/// slashing and jailing for equivocation. Set as the InferenceManager's settler for mode TEE; holds SLASHER_ROLE on
/// Staking (slash) and on the NodeRegistry (jail).
contract TeeSettler is ITeeSettler, AccessControl, EIP712, ReentrancyGuardTransient {
    string public constant VERSION = "0.1.0";

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    bytes32 public constant INFERENCE_RESULT_TYPEHASH = keccak256(
        "InferenceResult(uint256 requestId,uint256 modelVersion,bytes32 inputHash,bytes32 outputHash,bytes32 traceRoot)"
    );

    /// @notice The longest an attestation may bind a key for: nodes re-attest at least yearly.
    uint256 public constant MAX_KEY_LIFETIME = 365 days;
    uint256 public constant MIN_EQUIVOCATION_SLASH = 1;
    uint256 public constant MAX_EQUIVOCATION_SLASH = 1e9 ether;
    /// @notice The reporter's share is capped like Staking's (50%): a node gains nothing by reporting itself.
    uint32 public constant MAX_REWARD_PPM = 500_000;

    IInferenceManager private immutable _manager;
    IStaking private immutable _staking;
    INodeRegistry private immutable _nodeRegistry;

    IAttestationVerifier private _verifier;
    uint256 private _equivocationSlash;
    uint32 private _rewardPpm;
    mapping(bytes32 measurement => MeasurementStatus status) private _measurements;
    mapping(address enclaveKey => Enclave enclave) private _enclaves;

    constructor(
        IInferenceManager manager_,
        IStaking staking_,
        INodeRegistry nodeRegistry_,
        IAttestationVerifier verifier_,
        address governor,
        uint256 equivocationSlash_,
        uint32 rewardPpm_
    ) EIP712("Verity TEE Settler", "1") {
        if (
            address(manager_) == address(0) ||
            address(staking_) == address(0) ||
            address(nodeRegistry_) == address(0) ||
            address(verifier_) == address(0) ||
            governor == address(0)
        ) revert TeeSettlerZeroAddress();
        _manager = manager_;
        _staking = staking_;
        _nodeRegistry = nodeRegistry_;
        _grantRole(DEFAULT_ADMIN_ROLE, governor);
        _grantRole(GOVERNOR_ROLE, governor);
        _setAttestationVerifier(verifier_);
        _setEquivocationSlash(equivocationSlash_);
        _setEquivocationReward(rewardPpm_);
    }

    // -- Nodes --

    /// @inheritdoc ITeeSettler
    function registerEnclave(
        bytes32 measurement,
        address enclaveKey,
        uint64 expiry,
        bytes calldata attestation
    ) external {
        MeasurementStatus status = _measurements[measurement];
        if (status != MeasurementStatus.Approved) revert TeeSettlerMeasurementNotApproved(measurement, status);
        if (expiry <= block.timestamp || expiry > block.timestamp + MAX_KEY_LIFETIME) {
            revert TeeSettlerInvalidExpiry(expiry, block.timestamp + 1, block.timestamp + MAX_KEY_LIFETIME);
        }
        if (enclaveKey == address(0)) revert TeeSettlerZeroAddress();
        Enclave storage enclave = _enclaves[enclaveKey];
        address bound = enclave.node;
        if (bound != address(0) && bound != msg.sender) revert TeeSettlerEnclaveKeyTaken(enclaveKey, bound);
        if (enclave.disabled) revert TeeSettlerEnclaveDisabled(enclaveKey);
        if (!_verifier.verifyAttestation(measurement, enclaveKey, msg.sender, expiry, attestation)) {
            revert TeeSettlerAttestationRejected(msg.sender, enclaveKey, measurement);
        }
        enclave.node = msg.sender;
        enclave.expiry = expiry;
        enclave.measurement = measurement;
        emit EnclaveRegistered(msg.sender, enclaveKey, measurement, expiry);
    }

    // -- Settlement --

    /// @inheritdoc ITeeSettler
    function settle(
        uint256 requestId,
        bytes calldata output,
        bytes32 traceRoot,
        bytes calldata signature
    ) external nonReentrant {
        IInferenceManager.RequestView memory r = _manager.getRequest(requestId);
        bytes32 outputHash = keccak256(output);
        address key = _recover(_resultDigest(requestId, r.versionId, r.inputHash, outputHash, traceRoot), signature);
        Enclave memory enclave = _enclaves[key];
        if (enclave.node == address(0)) revert TeeSettlerUnknownEnclaveKey(key);
        if (enclave.node != r.node) revert TeeSettlerWrongNode(requestId, key, enclave.node, r.node);
        if (enclave.disabled) revert TeeSettlerEnclaveDisabled(key);
        if (block.timestamp >= enclave.expiry) revert TeeSettlerEnclaveExpired(key, enclave.expiry);
        MeasurementStatus status = _measurements[enclave.measurement];
        if (status != MeasurementStatus.Approved) revert TeeSettlerMeasurementNotApproved(enclave.measurement, status);
        emit TeeResultSettled(requestId, r.node, key, outputHash);
        _manager.settleVerified(requestId, output, traceRoot);
    }

    /// @inheritdoc ITeeSettler
    function reportEquivocation(
        SignedResult calldata a,
        SignedResult calldata b
    ) external nonReentrant returns (uint256 slashed) {
        address signerA = _recover(_signedDigest(a), a.signature);
        address signerB = _recover(_signedDigest(b), b.signature);
        if (signerA != signerB) revert TeeSettlerSignerMismatch(signerA, signerB);
        // Judged on (version, input) alone: the request id is not evidence, since a reorg can give one id another
        // input (or version), and the honest enclave then signs a different output for it.
        if (a.modelVersion != b.modelVersion || a.inputHash != b.inputHash || a.outputHash == b.outputHash) {
            revert TeeSettlerNotEquivocation();
        }
        Enclave storage enclave = _enclaves[signerA];
        address node = enclave.node;
        if (node == address(0)) revert TeeSettlerUnknownEnclaveKey(signerA);
        if (enclave.disabled) revert TeeSettlerEnclaveDisabled(signerA);
        enclave.disabled = true;
        slashed = _staking.slash(node, _equivocationSlash, msg.sender, _rewardPpm);
        // Jail the node unless it is jailed already or never registered (its operator is then only slashed). An
        // Exited node is jailed too, so that it cannot re-register (NodeRegistry.jail accepts
        // Active, Exiting and Exited nodes).
        INodeRegistry.NodeStatus status = _nodeRegistry.statusOf(node);
        if (status != INodeRegistry.NodeStatus.None && status != INodeRegistry.NodeStatus.Jailed) {
            _nodeRegistry.jail(node);
        }
        emit EquivocationPunished(node, signerA, msg.sender, a.outputHash, b.outputHash, slashed);
    }

    // -- Governance --

    /// @inheritdoc ITeeSettler
    function approveMeasurement(bytes32 measurement) external onlyRole(GOVERNOR_ROLE) {
        MeasurementStatus status = _measurements[measurement];
        if (status != MeasurementStatus.None) revert TeeSettlerMeasurementAlreadyListed(measurement, status);
        _measurements[measurement] = MeasurementStatus.Approved;
        emit MeasurementApproved(measurement);
    }

    /// @inheritdoc ITeeSettler
    function revokeMeasurement(bytes32 measurement) external onlyRole(GOVERNOR_ROLE) {
        MeasurementStatus status = _measurements[measurement];
        if (status != MeasurementStatus.Approved) revert TeeSettlerMeasurementNotApproved(measurement, status);
        _measurements[measurement] = MeasurementStatus.Revoked;
        emit MeasurementRevoked(measurement);
    }

    /// @inheritdoc ITeeSettler
    function setAttestationVerifier(IAttestationVerifier verifier) external onlyRole(GOVERNOR_ROLE) {
        _setAttestationVerifier(verifier);
    }

    /// @inheritdoc ITeeSettler
    function setEquivocationSlash(uint256 amount) external onlyRole(GOVERNOR_ROLE) {
        _setEquivocationSlash(amount);
    }

    /// @inheritdoc ITeeSettler
    function setEquivocationReward(uint32 rewardPpm) external onlyRole(GOVERNOR_ROLE) {
        _setEquivocationReward(rewardPpm);
    }

    // -- Views --

    /// @inheritdoc ITeeSettler
    function inferenceManager() external view returns (address) {
        return address(_manager);
    }

    /// @inheritdoc ITeeSettler
    function staking() external view returns (address) {
        return address(_staking);
    }

    /// @inheritdoc ITeeSettler
    function nodeRegistry() external view returns (address) {
        return address(_nodeRegistry);
    }

    /// @inheritdoc ITeeSettler
    function attestationVerifier() external view returns (IAttestationVerifier) {
        return _verifier;
    }

    /// @inheritdoc ITeeSettler
    function equivocationSlash() external view returns (uint256) {
        return _equivocationSlash;
    }

    /// @inheritdoc ITeeSettler
    function equivocationRewardPpm() external view returns (uint32) {
        return _rewardPpm;
    }

    /// @inheritdoc ITeeSettler
    function measurementStatus(bytes32 measurement) external view returns (MeasurementStatus) {
        return _measurements[measurement];
    }

    /// @inheritdoc ITeeSettler
    function getEnclave(address enclaveKey) external view returns (Enclave memory) {
        return _enclaves[enclaveKey];
    }

    /// @inheritdoc ITeeSettler
    function isEnclaveActive(address enclaveKey) external view returns (bool) {
        Enclave memory enclave = _enclaves[enclaveKey];
        return
            enclave.node != address(0) &&
            !enclave.disabled &&
            block.timestamp < enclave.expiry &&
            _measurements[enclave.measurement] == MeasurementStatus.Approved;
    }

    /// @inheritdoc ITeeSettler
    function resultDigest(
        uint256 requestId,
        uint256 modelVersion,
        bytes32 inputHash,
        bytes32 outputHash,
        bytes32 traceRoot
    ) external view returns (bytes32) {
        return _resultDigest(requestId, modelVersion, inputHash, outputHash, traceRoot);
    }

    // -- Internal --

    function _setAttestationVerifier(IAttestationVerifier verifier) private {
        if (address(verifier) == address(0)) revert TeeSettlerZeroAddress();
        _verifier = verifier;
        emit AttestationVerifierSet(address(verifier));
    }

    function _setEquivocationSlash(uint256 amount) private {
        if (amount < MIN_EQUIVOCATION_SLASH || amount > MAX_EQUIVOCATION_SLASH) {
            revert TeeSettlerParameterOutOfBounds(
                "equivocationSlash",
                amount,
                MIN_EQUIVOCATION_SLASH,
                MAX_EQUIVOCATION_SLASH
            );
        }
        _equivocationSlash = amount;
        emit EquivocationSlashSet(amount);
    }

    function _setEquivocationReward(uint32 rewardPpm) private {
        if (rewardPpm > MAX_REWARD_PPM) {
            revert TeeSettlerParameterOutOfBounds("equivocationRewardPpm", rewardPpm, 0, MAX_REWARD_PPM);
        }
        _rewardPpm = rewardPpm;
        emit EquivocationRewardSet(rewardPpm);
    }

    function _signedDigest(SignedResult calldata s) private view returns (bytes32) {
        return _resultDigest(s.requestId, s.modelVersion, s.inputHash, s.outputHash, s.traceRoot);
    }

    function _resultDigest(
        uint256 requestId,
        uint256 modelVersion,
        bytes32 inputHash,
        bytes32 outputHash,
        bytes32 traceRoot
    ) private view returns (bytes32) {
        return
            _hashTypedDataV4(
                keccak256(
                    abi.encode(INFERENCE_RESULT_TYPEHASH, requestId, modelVersion, inputHash, outputHash, traceRoot)
                )
            );
    }

    /// @dev ECDSA recovery that rejects malleable (high-s) signatures, bad `v` and wrong lengths.
    function _recover(bytes32 digest, bytes calldata signature) private pure returns (address signer) {
        ECDSA.RecoverError err;
        (signer, err, ) = ECDSA.tryRecoverCalldata(digest, signature);
        if (err != ECDSA.RecoverError.NoError) revert TeeSettlerInvalidSignature();
    }
}
