// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title ShapeKernel
/// @notice Data movement (`docs/NUMERICS.md` §13): Reshape (and Flatten) keeps the row-major bytes; Transpose reads
/// y[i_0, ..., i_{r-1}] = x[j] with j_{perm[d]} = i_d.
library ShapeKernel {
    function reshape(bytes calldata d, KernelIO.Slice memory x, uint256 i) internal pure returns (int8) {
        return int8(KernelIO.at(x, KernelIO.inputOffset(d, 0) + i));
    }

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
