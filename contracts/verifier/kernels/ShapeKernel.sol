// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title ShapeKernel
/// @notice Data movement (`docs/NUMERICS.md` §13): Reshape (and Flatten) keeps the row-major bytes; Transpose reads
/// y[i_0, ..., i_{r-1}] = x[j] with j_{perm[d]} = i_d.
library ShapeKernel {
    /// @notice The family's ops (`opOf`), numbered from 1.
    uint256 internal constant RESHAPE = 1;
    uint256 internal constant TRANSPOSE = 2;

    bytes32 private constant _RESHAPE = keccak256("Reshape");
    bytes32 private constant _TRANSPOSE = keccak256("Transpose");

    /// @notice RESHAPE or TRANSPOSE for the op names "Reshape" and "Transpose" (`opHash` is the keccak256 of one),
    /// else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        if (opHash == _RESHAPE) return RESHAPE;
        if (opHash == _TRANSPOSE) return TRANSPOSE;
        return 0;
    }

    /// @notice Data movement has no weights: `KernelIO.NO_ROW`.
    function row(bytes calldata, uint256, uint256) internal pure returns (uint256) {
        return KernelIO.NO_ROW;
    }

    /// @notice Element `i` of op `op`'s output (no weight row: `w` is empty).
    function element(
        bytes calldata d,
        uint256 op,
        KernelIO.Slice memory x,
        bytes calldata,
        uint256 i
    ) internal pure returns (int8) {
        return op == RESHAPE ? reshape(d, x, i) : transpose(d, x, i); // TRANSPOSE, the last op `opOf` returns
    }

    /// @notice y[i] = x[i]: the row-major bytes are kept.
    function reshape(bytes calldata d, KernelIO.Slice memory x, uint256 i) internal pure returns (int8) {
        return int8(KernelIO.at(x, KernelIO.inputOffset(d, 0) + i));
    }

    /// @notice y[i_0, ..., i_{r-1}] = x[j] with j_{perm[d]} = i_d.
    function transpose(bytes calldata d, KernelIO.Slice memory x, uint256 i) internal pure returns (int8) {
        uint256[] calldata out = Descriptor.uintArray(d, Descriptor.OUT_SHAPE);
        // inputShapes = [rank, dims...] of the one input
        uint256[] calldata inShape = Descriptor.uintArray(d, Descriptor.INPUT_SHAPES)[1:1 + out.length];
        uint256[] calldata perm = Descriptor.uattr(d, "perm");
        uint256 j;
        for (uint256 k = out.length; k > 0; --k) {
            uint256 dim = out[k - 1];
            uint256 idx = i % dim;
            i /= dim;
            // stride of input axis perm[k-1]: the product of the input dims after it
            uint256 stride = 1;
            for (uint256 a = perm[k - 1] + 1; a < inShape.length; ++a) stride *= inShape[a];
            j += idx * stride;
        }
        return int8(KernelIO.at(x, KernelIO.inputOffset(d, 0) + j));
    }
}
