// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IKernelSet} from "./IKernelSet.sol";
import {IStepVerifier} from "./IStepVerifier.sol";

/// @title IKernelRouter
/// @notice The one-step verifier the games call: it reads the op name of the proven layer's descriptor and forwards
/// the call, unchanged, to the kernel set that serves the op. The sets are fixed at deployment; a new operator family
/// is a new set and a new router (`docs/ARCHITECTURE.md`, "Adding an operator: Solidity").
interface IKernelRouter is IStepVerifier {
    /// @notice The router was deployed with `count` kernel sets, outside [1, `max`].
    error StepVerifierKernelSetCount(uint256 count, uint256 max);
    /// @notice Kernel set number `index` has no code.
    error StepVerifierKernelSetWithoutCode(uint256 index, address set);

    /// @notice The kernel sets, in the order the router asks them.
    /// @return sets Every kernel set.
    function kernelSets() external view returns (IKernelSet[] memory sets);

    /// @notice The kernel set that computes the op named by `opHash`: the first that serves it, else the first set
    /// (which then reverts `StepVerifierUnknownOp` after its proof checks, as for any op no family serves).
    /// @param opHash keccak256 of the op name, as in a layer descriptor's field 0.
    /// @return set The kernel set the router forwards to.
    function kernelSetOf(bytes32 opHash) external view returns (IKernelSet set);
}
