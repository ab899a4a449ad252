// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAttestationVerifier} from "./IAttestationVerifier.sol";

/// @title IEcdsaAttestationVerifier
/// @notice The reference attestation verifier: an attestation is an EIP-712 signature, by an attestation-service
/// key that governance registered, over
/// `Attestation(bytes32 measurement,address enclaveKey,address node,uint64 expiry)` in the domain
/// `("Verity Attestation Service", "1", chainId, this contract)`.
/// @dev THIS STANDS IN FOR A HARDWARE VENDOR'S ATTESTATION CHAIN. Trust rests entirely on the service keys: whoever
/// holds one can attest any key for any measurement. A production deployment replaces it by a verifier of the
/// vendor's attestation document (AWS Nitro, Intel SGX/TDX DCAP, AMD SEV-SNP), which needs no trusted service key;
/// see docs/TEE.md. Signatures with a high `s` (malleable) or a wrong length are rejected (false).
interface IEcdsaAttestationVerifier is IAttestationVerifier {
    /// @notice Governance registered an attestation-service key.
    event ServiceKeyAdded(address indexed serviceKey);
    /// @notice Governance removed an attestation-service key: its attestations no longer verify (enclave keys it
    /// attested before stay bound in the settler until they expire; revoke their measurement to stop them at once).
    event ServiceKeyRemoved(address indexed serviceKey);

    error EcdsaAttestationVerifierZeroAddress();
    error EcdsaAttestationVerifierKeyAlreadyAdded(address serviceKey);
    error EcdsaAttestationVerifierUnknownKey(address serviceKey);
    error EcdsaAttestationVerifierTooManyKeys(uint256 maxKeys);

    /// @notice Register an attestation-service key (GOVERNOR_ROLE). At most `MAX_SERVICE_KEYS` keys.
    /// @param serviceKey The signer's address (not zero, not registered yet).
    function addServiceKey(address serviceKey) external;

    /// @notice Remove an attestation-service key (GOVERNOR_ROLE).
    /// @param serviceKey A registered signer's address.
    function removeServiceKey(address serviceKey) external;

    /// @notice True when `serviceKey` is registered.
    /// @param serviceKey The address.
    /// @return Whether its signatures verify.
    function isServiceKey(address serviceKey) external view returns (bool);

    /// @notice The number of registered service keys.
    /// @return The count (at most MAX_SERVICE_KEYS).
    function serviceKeyCount() external view returns (uint256);

    /// @notice The EIP-712 digest a service key signs for these fields.
    /// @param measurement The enclave code's measurement.
    /// @param enclaveKey The address of the key generated inside the enclave.
    /// @param node The operator the key is bound to.
    /// @param expiry The last second the binding is valid (unix seconds).
    /// @return The typed-data hash of `Attestation(measurement, enclaveKey, node, expiry)` in this contract's domain.
    function attestationDigest(
        bytes32 measurement,
        address enclaveKey,
        address node,
        uint64 expiry
    ) external view returns (bytes32);
}
