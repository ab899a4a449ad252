// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title DivKernel
/// @notice One output element of Div with ONNX broadcasting (`docs/NUMERICS.md` §20): a = x_a - zA, b = x_b - zB,
/// q = divRoundHalfUp(a * M, b * 2^s) (both negated when b < 0), q = +-255 or 0 when b = 0, y = sat8(zOut + q). The
/// operands are read as Add/Sub/Mul read theirs (§9), a constant one from the proven weight row 0.
library DivKernel {
    /// @notice The family's one op (`opOf`).
    uint256 internal constant DIV = 1;

    bytes32 private constant _DIV = keccak256("Div");

    /// @notice DIV for the op name "Div" (`opHash` is its keccak256), else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        return opHash == _DIV ? DIV : 0;
    }

    /// @notice Row 0 (the constant operand) when the layer has one input, else `KernelIO.NO_ROW`.
    function row(bytes calldata d, uint256, uint256) internal pure returns (uint256) {
        return _hasConstant(d) ? 0 : KernelIO.NO_ROW;
    }

    /// @notice Element `i` of the output; `w` is the constant operand (row 0) or empty.
    function element(
        bytes calldata d,
        uint256,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        (int256 a, int256 b) = _operands(d, x, w, i);
        int256 q;
        if (b == 0) {
            q =
                a > 0
                    ? int256(255)
                    : a < 0
                        ? -255
                        : int256(0);
        } else {
            int256 m = Descriptor.int32At(Descriptor.bytesField(d, Descriptor.MULTIPLIER), 0);
            int256 den = b << uint256(Descriptor.int32At(Descriptor.bytesField(d, Descriptor.SHIFT), 0));
            q = b > 0 ? KernelIO.divRoundHalfUp(a * m, den) : KernelIO.divRoundHalfUp(-a * m, -den);
        }
        return int8(KernelIO.clamp(Descriptor.scalar(d, "zOut") + q, -128, 127));
    }

    function _hasConstant(bytes calldata d) private pure returns (bool) {
        return Descriptor.uintArray(d, Descriptor.INPUTS).length == 1;
    }

    /// @dev (a - zA, b - zB) for output element `i`.
    function _operands(
        bytes calldata d,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) private pure returns (int256 a, int256 b) {
        (uint256 ia, uint256 ib) = _operandIndices(d, i);
        if (!_hasConstant(d)) {
            a = KernelIO.at(x, KernelIO.inputOffset(d, 0) + ia);
            b = KernelIO.at(x, KernelIO.inputOffset(d, 1) + ib);
        } else if (Descriptor.scalar(d, "constSide") == 0) {
            a = KernelIO.weight(w, ia);
            b = KernelIO.at(x, KernelIO.inputOffset(d, 0) + ib);
        } else {
            a = KernelIO.at(x, KernelIO.inputOffset(d, 0) + ia);
            b = KernelIO.weight(w, ib);
        }
        a -= Descriptor.scalar(d, "zA");
        b -= Descriptor.scalar(d, "zB");
    }

    /// @dev Row-major offsets in A and B of output element `i` (axes of size 1 broadcast).
    function _operandIndices(bytes calldata d, uint256 i) private pure returns (uint256 ia, uint256 ib) {
        uint256[] calldata out = Descriptor.uintArray(d, Descriptor.OUT_SHAPE);
        uint256[] calldata aShape = Descriptor.uattr(d, "aShape");
        uint256[] calldata bShape = Descriptor.uattr(d, "bShape");
        uint256 sa = 1;
        uint256 sb = 1;
        for (uint256 k = out.length; k > 0; --k) {
            uint256 dim = out[k - 1];
            uint256 idx = i % dim;
            i /= dim;
            uint256 da = aShape[k - 1];
            uint256 db = bShape[k - 1];
            if (da != 1) ia += idx * sa;
            if (db != 1) ib += idx * sb;
            sa *= da;
            sb *= db;
        }
    }
}
