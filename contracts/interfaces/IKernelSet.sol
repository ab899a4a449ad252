// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IStepVerifier} from "./IStepVerifier.sol";

/// @title IKernelSet
/// @notice A kernel set: a one-step verifier for the ops of the kernel families it holds
/// (`contracts/verifier/sets/`). The router `IntegerStepVerifier` forwards each step to the set that serves its op; a
/// set can also be called directly, with the same checks, errors and results.
interface IKernelSet is IStepVerifier {
    /// @notice Whether one of the set's kernel families serves the op named by `opHash`.
    /// @param opHash keccak256 of the op name, as in a layer descriptor's field 0.
    /// @return served True if `computeElement` of this set computes the op's elements.
    function serves(bytes32 opHash) external view returns (bool served);
}
