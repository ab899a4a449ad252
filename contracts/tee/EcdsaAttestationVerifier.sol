// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

import {IAttestationVerifier} from "../interfaces/IAttestationVerifier.sol";
import {IEcdsaAttestationVerifier} from "../interfaces/IEcdsaAttestationVerifier.sol";

/// @title EcdsaAttestationVerifier
/// @notice Reference attestation verifier: EIP-712 signatures by governance-registered attestation-service keys.
/// @dev STANDS IN FOR A HARDWARE VENDOR'S ATTESTATION CHAIN (AWS Nitro, Intel SGX/TDX, AMD SEV-SNP): see
/// `IEcdsaAttestationVerifier` and docs/TEE.md.
contract EcdsaAttestationVerifier is IEcdsaAttestationVerifier, AccessControl, EIP712 {
    string public constant VERSION = "0.1.0";

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");
    bytes32 public constant ATTESTATION_TYPEHASH = keccak256(
        "Attestation(bytes32 measurement,address enclaveKey,address node,uint64 expiry)"
    );
    /// @notice The most service keys registered at once.
    uint256 public constant MAX_SERVICE_KEYS = 16;

    mapping(address serviceKey => bool registered) private _serviceKeys;
    uint256 private _serviceKeyCount;

    constructor(address governor) EIP712("Verity Attestation Service", "1") {
        if (governor == address(0)) revert EcdsaAttestationVerifierZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, governor);
        _grantRole(GOVERNOR_ROLE, governor);
    }

    // -- Verification --

    /// @inheritdoc IAttestationVerifier
    function verifyAttestation(
        bytes32 measurement,
        address enclaveKey,
        address node,
        uint64 expiry,
        bytes calldata attestation
    ) external view returns (bool) {
        (address signer, ECDSA.RecoverError err, ) = ECDSA.tryRecoverCalldata(
            _digest(measurement, enclaveKey, node, expiry),
            attestation
        );
        return err == ECDSA.RecoverError.NoError && _serviceKeys[signer];
    }

    // -- Governance --

    /// @inheritdoc IEcdsaAttestationVerifier
    function addServiceKey(address serviceKey) external onlyRole(GOVERNOR_ROLE) {
        if (serviceKey == address(0)) revert EcdsaAttestationVerifierZeroAddress();
        if (_serviceKeys[serviceKey]) revert EcdsaAttestationVerifierKeyAlreadyAdded(serviceKey);
        if (_serviceKeyCount == MAX_SERVICE_KEYS) revert EcdsaAttestationVerifierTooManyKeys(MAX_SERVICE_KEYS);
        _serviceKeys[serviceKey] = true;
        _serviceKeyCount += 1;
        emit ServiceKeyAdded(serviceKey);
    }

    /// @inheritdoc IEcdsaAttestationVerifier
    function removeServiceKey(address serviceKey) external onlyRole(GOVERNOR_ROLE) {
        if (!_serviceKeys[serviceKey]) revert EcdsaAttestationVerifierUnknownKey(serviceKey);
        _serviceKeys[serviceKey] = false;
        _serviceKeyCount -= 1;
        emit ServiceKeyRemoved(serviceKey);
    }

    // -- Views --

    /// @inheritdoc IEcdsaAttestationVerifier
    function isServiceKey(address serviceKey) external view returns (bool) {
        return _serviceKeys[serviceKey];
    }

    /// @inheritdoc IEcdsaAttestationVerifier
    function serviceKeyCount() external view returns (uint256) {
        return _serviceKeyCount;
    }

    /// @inheritdoc IEcdsaAttestationVerifier
    function attestationDigest(
        bytes32 measurement,
        address enclaveKey,
        address node,
        uint64 expiry
    ) external view returns (bytes32) {
        return _digest(measurement, enclaveKey, node, expiry);
    }

    function _digest(
        bytes32 measurement,
        address enclaveKey,
        address node,
        uint64 expiry
    ) private view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(ATTESTATION_TYPEHASH, measurement, enclaveKey, node, expiry)));
    }
}
