// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title VerificationModes
/// @notice The bitmask a model version uses to declare the verification modes it supports.
library VerificationModes {
    /// @notice Commit only; the node stays accountable for equivocation.
    uint8 internal constant NONE = 1 << 0;
    /// @notice Challenge window plus bisection dispute down to one re-executed integer step.
    uint8 internal constant OPTIMISTIC = 1 << 1;
    /// @notice Result signed by an attested enclave key.
    uint8 internal constant TEE = 1 << 2;
    /// @notice Result carries a Groth16 proof of the quantized program.
    uint8 internal constant ZK = 1 << 3;
    uint8 internal constant ALL = NONE | OPTIMISTIC | TEE | ZK;

    /// @notice True for TEE or ZK: modes whose results a settler contract verifies and finalizes at once.
    function isVerified(uint8 mode) internal pure returns (bool) {
        return mode == TEE || mode == ZK;
    }

    /// @notice True for a non-empty mask made only of known modes.
    function isValidMask(uint8 modes) internal pure returns (bool) {
        return modes != 0 && modes & ~ALL == 0;
    }
}
