// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {Strings} from "@openzeppelin/contracts/utils/Strings.sol";

import {IInferenceManager} from "../interfaces/IInferenceManager.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {IZkSettler} from "../interfaces/IZkSettler.sol";
import {VerificationModes} from "../libraries/VerificationModes.sol";

/// @title ZkSettler
/// @notice Settles ZK-mode requests with Groth16 proofs checked by per-version verifier contracts (docs/ZK.md).
/// @dev Holds no tokens and no per-request state: the inference manager enforces "settles at most once", the fee
/// credit and the callback. The verifier is called with `staticcall`, so it cannot re-enter anything.
contract ZkSettler is IZkSettler, AccessControl {
    string public constant VERSION = "0.1.0";

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");

    /// @notice The BN254 base field modulus: every proof coordinate must be below it.
    uint256 public constant BASE_FIELD_MODULUS =
        21888242871839275222246405745257525088696311157297823662689037894645226208583;
    /// @notice Bounds the public signals (and so the settle loop and the calldata): input plus output elements.
    uint256 public constant MAX_IO_ELEMENTS = 4096;

    IInferenceManager public immutable inferenceManager;
    IModelRegistry public immutable modelRegistry;

    mapping(uint256 versionId => address verifier) private _verifiers;

    constructor(IInferenceManager inferenceManager_, IModelRegistry modelRegistry_, address governor) {
        if (
            address(inferenceManager_) == address(0) || address(modelRegistry_) == address(0) || governor == address(0)
        ) {
            revert ZkSettlerZeroAddress();
        }
        inferenceManager = inferenceManager_;
        modelRegistry = modelRegistry_;
        _grantRole(DEFAULT_ADMIN_ROLE, governor);
        _grantRole(GOVERNOR_ROLE, governor);
    }

    // -- Verifiers --

    /// @inheritdoc IZkSettler
    function registerVerifier(uint256 versionId, address verifier) external {
        IModelRegistry.ModelVersion memory v = modelRegistry.getVersion(versionId);
        address owner = modelRegistry.getModel(v.modelId).owner;
        if (msg.sender != owner) revert ZkSettlerNotModelOwner(versionId, msg.sender);
        if (v.modes & VerificationModes.ZK == 0) revert ZkSettlerModeNotSupported(versionId, v.modes);
        if (verifier.code.length == 0) revert ZkSettlerNotAContract(verifier);
        address current = _verifiers[versionId];
        if (current != address(0)) revert ZkSettlerVerifierAlreadySet(versionId, current);
        _verifiers[versionId] = verifier;
        emit VerifierRegistered(versionId, verifier, msg.sender);
    }

    /// @inheritdoc IZkSettler
    function revokeVerifier(uint256 versionId) external onlyRole(GOVERNOR_ROLE) {
        address current = _verifiers[versionId];
        if (current == address(0)) revert ZkSettlerNoVerifier(versionId);
        delete _verifiers[versionId];
        emit VerifierRevoked(versionId, current);
    }

    // -- Settlement --

    /// @inheritdoc IZkSettler
    function settle(
        uint256 requestId,
        bytes calldata input,
        bytes calldata output,
        bytes32 traceRoot,
        uint256[8] calldata proof
    ) external {
        IInferenceManager.RequestView memory r = inferenceManager.getRequest(requestId);
        if (r.mode != VerificationModes.ZK) revert ZkSettlerNotZkRequest(requestId, r.mode);
        if (r.status != IInferenceManager.RequestStatus.Assigned) {
            revert ZkSettlerInvalidStatus(requestId, uint8(r.status));
        }
        address verifier = _verifiers[r.versionId];
        if (verifier == address(0)) revert ZkSettlerNoVerifier(r.versionId);
        bytes32 inputHash = keccak256(input);
        if (inputHash != r.inputHash) revert ZkSettlerInputMismatch(requestId, inputHash, r.inputHash);
        for (uint256 i = 0; i < 8; ++i) {
            if (proof[i] >= BASE_FIELD_MODULUS) revert ZkSettlerProofNotCanonical(i, proof[i]);
        }
        IModelRegistry.ModelVersion memory v = modelRegistry.getVersion(r.versionId);
        _checkLength(requestId, input.length, v.inputShape);
        _checkLength(requestId, output.length, v.outputShape);

        bytes memory data = _verifierCall(proof, input, output, v.weightsRoot);
        (bool ok, bytes memory ret) = verifier.staticcall(data);
        if (!ok || ret.length != 32 || abi.decode(ret, (uint256)) != 1) {
            revert ZkSettlerInvalidProof(requestId, verifier);
        }
        emit ZkResultSettled(requestId, r.versionId, verifier);
        inferenceManager.settleVerified(requestId, output, traceRoot);
    }

    // -- Views --

    /// @inheritdoc IZkSettler
    function verifierOf(uint256 versionId) external view returns (address) {
        return _verifiers[versionId];
    }

    /// @inheritdoc IZkSettler
    function publicSignals(
        uint256 versionId,
        bytes calldata input,
        bytes calldata output
    ) external view returns (uint256[] memory) {
        return _signals(input, output, modelRegistry.getVersion(versionId).weightsRoot);
    }

    // -- Internal --

    function _checkLength(uint256 requestId, uint256 length, uint32[] memory shape) private pure {
        uint256 expected = 1;
        for (uint256 i = 0; i < shape.length; ++i) expected *= shape[i];
        if (length != expected || expected > MAX_IO_ELEMENTS) {
            revert ZkSettlerInvalidLength(requestId, length, expected);
        }
    }

    /// @dev The public signals: input bytes, output bytes (each `uint8(b) ^ 0x80` = int8 value + 128), then the
    /// weights root's high and low 128 bits.
    function _signals(
        bytes calldata input,
        bytes calldata output,
        bytes32 root
    ) private pure returns (uint256[] memory signals) {
        uint256 n = input.length;
        uint256 m = output.length;
        signals = new uint256[](n + m + 2);
        for (uint256 i = 0; i < n; ++i) signals[i] = uint8(input[i]) ^ 0x80;
        for (uint256 i = 0; i < m; ++i) signals[n + i] = uint8(output[i]) ^ 0x80;
        signals[n + m] = uint256(root) >> 128;
        signals[n + m + 1] = uint128(uint256(root));
    }

    /// @dev ABI-encodes `verifyProof(uint256[2], uint256[2][2], uint256[2], uint256[N])`: all static types, so the
    /// arguments are the 8 proof words followed by the N public signals, one word each (which is what
    /// `abi.encodePacked` gives for arrays: every element padded to 32 bytes, no length).
    function _verifierCall(
        uint256[8] calldata proof,
        bytes calldata input,
        bytes calldata output,
        bytes32 root
    ) private pure returns (bytes memory) {
        uint256[] memory signals = _signals(input, output, root);
        bytes4 selector = bytes4(
            keccak256(
                abi.encodePacked(
                    "verifyProof(uint256[2],uint256[2][2],uint256[2],uint256[",
                    Strings.toString(signals.length),
                    "])"
                )
            )
        );
        return abi.encodePacked(selector, proof, signals);
    }
}
