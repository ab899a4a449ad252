// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IAttestationVerifier
/// @notice Verifies that an enclave key was generated inside an enclave with a given measurement and bound to a
/// given node, until a given expiry. The TEE settler (`ITeeSettler`) asks it before binding an enclave key to a node.
/// @dev Pluggable: governance points the settler at another verifier with `ITeeSettler.setAttestationVerifier`. The
/// reference implementation (`EcdsaAttestationVerifier`) accepts an EIP-712 signature by a governance-registered
/// attestation-service key; a hardware verifier (AWS Nitro: a COSE_Sign1 attestation document chained to the AWS
/// root, PCRs as the measurement; Intel SGX/TDX: a DCAP quote chained to Intel's root, MRENCLAVE as the
/// measurement) implements the same function over its own attestation format. See docs/TEE.md.
interface IAttestationVerifier {
    /// @notice True when `attestation` proves that `enclaveKey` lives in an enclave whose code has the measurement
    /// `measurement`, was bound to `node` (the operator's address, carried in the attestation's user data) and is
    /// valid until `expiry` (unix seconds).
    /// @dev Must not revert on a malformed attestation: return false. Must be a view (no state change).
    /// @param measurement The enclave code's measurement the settler approved.
    /// @param enclaveKey The address of the key generated inside the enclave.
    /// @param node The operator the key is bound to.
    /// @param expiry The last second the binding is valid (unix seconds).
    /// @param attestation The attestation, in the verifier's own format.
    /// @return True iff the attestation proves all four fields.
    function verifyAttestation(
        bytes32 measurement,
        address enclaveKey,
        address node,
        uint64 expiry,
        bytes calldata attestation
    ) external view returns (bool);
}
