// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IAttestationVerifier} from "../interfaces/IAttestationVerifier.sol";

/// @title MockAttestationVerifier
/// @notice Test-only: accepts exactly the attestation bytes it was told to accept, for any fields. Shows that the
/// settler takes any `IAttestationVerifier` (a Nitro or SGX verifier plugs in the same way).
contract MockAttestationVerifier is IAttestationVerifier {
    bytes32 public acceptedHash;

    function setAccepted(bytes calldata attestation) external {
        acceptedHash = keccak256(attestation);
    }

    function verifyAttestation(
        bytes32,
        address,
        address,
        uint64,
        bytes calldata attestation
    ) external view returns (bool) {
        return keccak256(attestation) == acceptedHash;
    }
}
