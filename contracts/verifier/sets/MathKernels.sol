// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {StepVerifierBase} from "../StepVerifierBase.sol";
import {ChannelLutKernel} from "../kernels/ChannelLutKernel.sol";
import {DivKernel} from "../kernels/DivKernel.sol";
import {KernelIO} from "../kernels/KernelIO.sol";
import {LogSoftmaxKernel} from "../kernels/LogSoftmaxKernel.sol";
import {NormKernel} from "../kernels/NormKernel.sol";
import {ReduceKernel} from "../kernels/ReduceKernel.sol";

/// @title MathKernels
/// @notice The kernel set of the math operators: the reductions (ReduceSum, ReduceMax), the normalizations (Norm),
/// Div, the per-channel tables (ChannelLut) and LogSoftmax (`docs/NUMERICS.md` §18-§22). The unary activations are
/// `Lut` layers, served by `CoreKernels`.
contract MathKernels is StepVerifierBase {
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
        if ((op = ReduceKernel.opOf(opHash)) != 0) return (op, ReduceKernel.row, ReduceKernel.element);
        if ((op = NormKernel.opOf(opHash)) != 0) return (op, NormKernel.row, NormKernel.element);
        if ((op = DivKernel.opOf(opHash)) != 0) return (op, DivKernel.row, DivKernel.element);
        if ((op = ChannelLutKernel.opOf(opHash)) != 0) return (op, ChannelLutKernel.row, ChannelLutKernel.element);
        if ((op = LogSoftmaxKernel.opOf(opHash)) != 0) return (op, LogSoftmaxKernel.row, LogSoftmaxKernel.element);
    }
}
