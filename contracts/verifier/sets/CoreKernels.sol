// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {StepVerifierBase} from "../StepVerifierBase.sol";
import {ConvKernel} from "../kernels/ConvKernel.sol";
import {ElementwiseKernel} from "../kernels/ElementwiseKernel.sol";
import {GemmKernel} from "../kernels/GemmKernel.sol";
import {KernelIO} from "../kernels/KernelIO.sol";
import {PoolKernel} from "../kernels/PoolKernel.sol";
import {ShapeKernel} from "../kernels/ShapeKernel.sol";
import {SoftmaxKernel} from "../kernels/SoftmaxKernel.sol";

/// @title CoreKernels
/// @notice The kernel set of the demo models' operators: Gemm, Conv, the element-wise ops and lookup tables, the
/// pools, Softmax, Reshape and Transpose (`docs/NUMERICS.md` §5-§13).
contract CoreKernels is StepVerifierBase {
    string public constant VERSION = "0.1.0";

    /// @dev The dispatch table, one line per kernel family: the family that serves the op named by `opHash`
    /// (keccak256 of the descriptor's op name), as the op's number in it and the family's `row` and `element`. `op` is
    /// 0 when no family serves it (then the two functions are unset and must not be called).
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
        if ((op = GemmKernel.opOf(opHash)) != 0) return (op, GemmKernel.row, GemmKernel.element);
        if ((op = ConvKernel.opOf(opHash)) != 0) return (op, ConvKernel.row, ConvKernel.element);
        if ((op = ElementwiseKernel.opOf(opHash)) != 0) return (op, ElementwiseKernel.row, ElementwiseKernel.element);
        if ((op = PoolKernel.opOf(opHash)) != 0) return (op, PoolKernel.row, PoolKernel.element);
        if ((op = SoftmaxKernel.opOf(opHash)) != 0) return (op, SoftmaxKernel.row, SoftmaxKernel.element);
        if ((op = ShapeKernel.opOf(opHash)) != 0) return (op, ShapeKernel.row, ShapeKernel.element);
    }
}
