// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {StepVerifierBase} from "../StepVerifierBase.sol";
import {KernelIO} from "../kernels/KernelIO.sol";
import {MovementKernel} from "../kernels/MovementKernel.sol";

/// @title MovementKernels
/// @notice The kernel set of data movement as index maps: Slice, Pad, Tile, Concat, Gather, Embedding and Where
/// (`docs/NUMERICS.md` §26). Reshape and Transpose stay in `CoreKernels`.
contract MovementKernels is StepVerifierBase {
    string public constant VERSION = "0.1.0";

    /// @dev The dispatch table, one line per kernel family (see `CoreKernels._family`).
    function _family(
        bytes32 opHash
    )
        internal
        pure
        override
        returns (
            uint256 op,
            function(bytes calldata, uint256, uint256) internal pure returns (uint256) row,
            function(
                bytes calldata,
                uint256,
                KernelIO.Slice memory,
                bytes calldata,
                uint256
            ) internal pure returns (int8) element
        )
    {
        if ((op = MovementKernel.opOf(opHash)) != 0) return (op, MovementKernel.row, MovementKernel.element);
    }
}
