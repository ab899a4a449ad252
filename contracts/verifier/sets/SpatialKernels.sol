// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {StepVerifierBase} from "../StepVerifierBase.sol";
import {ConvTransposeKernel} from "../kernels/ConvTransposeKernel.sol";
import {KernelIO} from "../kernels/KernelIO.sol";
import {MatMulKernel} from "../kernels/MatMulKernel.sol";

/// @title SpatialKernels
/// @notice The kernel set of the spatial operators beyond the demo models': MatMul in N-D (two computed operands, or
/// one and a constant) and ConvTranspose (`docs/NUMERICS.md` §23, §25). Conv, the pools in 1-D, 2-D and 3-D run as
/// CoreKernels' 2-D Conv and pools (§24).
contract SpatialKernels is StepVerifierBase {
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
        if ((op = MatMulKernel.opOf(opHash)) != 0) return (op, MatMulKernel.row, MatMulKernel.element);
        if ((op = ConvTransposeKernel.opOf(opHash)) != 0)
            return (op, ConvTransposeKernel.row, ConvTransposeKernel.element);
    }
}
