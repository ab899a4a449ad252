// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title ElementwiseKernel
/// @notice One output element of Add / Sub / Mul with ONNX broadcasting (`docs/NUMERICS.md` §9), Relu and Lut
/// (§10) and the per-channel Affine (§11).
library ElementwiseKernel {
    /// @notice The family's ops (`opOf`), numbered from 1; the binary ones first (`binary` takes them as its mode).
    uint256 internal constant ADD = 1;
    uint256 internal constant SUB = 2;
    uint256 internal constant MUL = 3;
    uint256 internal constant AFFINE = 4;
    uint256 internal constant RELU = 5;
    uint256 internal constant LUT = 6;

    bytes32 private constant _ADD = keccak256("Add");
    bytes32 private constant _SUB = keccak256("Sub");
    bytes32 private constant _MUL = keccak256("Mul");
    bytes32 private constant _AFFINE = keccak256("Affine");
    bytes32 private constant _RELU = keccak256("Relu");
    bytes32 private constant _LUT = keccak256("Lut");

    /// @notice The op named by `opHash` (keccak256 of "Add", "Sub", "Mul", "Affine", "Relu" or "Lut"), else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        if (opHash == _ADD) return ADD;
        if (opHash == _SUB) return SUB;
        if (opHash == _MUL) return MUL;
        if (opHash == _AFFINE) return AFFINE;
        if (opHash == _RELU) return RELU;
        if (opHash == _LUT) return LUT;
        return 0;
    }

    /// @notice The weight row element `i` of op `op` needs: Affine its channel's (`affineRow`), a binary op with a
    /// constant operand row 0 (the constant), any other `KernelIO.NO_ROW`.
    function row(bytes calldata d, uint256 op, uint256 i) internal pure returns (uint256) {
        if (op == AFFINE) return affineRow(d, i);
        if (op <= MUL && hasConstant(d)) return 0;
        return KernelIO.NO_ROW;
    }

    /// @notice Element `i` of op `op`'s output; `w` is the proven weight row `row(d, op, i)` (empty if none).
    function element(
        bytes calldata d,
        uint256 op,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        if (op <= MUL) return binary(d, x, w, i, op);
        if (op == AFFINE) return affine(d, x, w, i);
        if (op == RELU) return relu(d, x, i);
        return lut(d, x, i); // LUT, the last op `opOf` returns: a new op's line goes above
    }

    /// @notice Whether the layer has a constant operand (one input), so the element needs weight row 0.
    function hasConstant(bytes calldata d) internal pure returns (bool) {
        return Descriptor.uintArray(d, Descriptor.INPUTS).length == 1;
    }

    /// @notice Add (mode ADD), Sub (SUB) or Mul (MUL): the operands' offsets follow the broadcasting rule, the constant
    /// operand (if any) is the proven row `w`, placed as A (constSide = 0) or B (constSide = 1).
    function binary(
        bytes calldata d,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i,
        uint256 mode
    ) internal pure returns (int8) {
        (int256 a, int256 b) = _operands(d, x, w, i);
        return _requant(d, _combine(d, a, b, mode));
    }

    /// @dev (a - zA)*MA ± (b - zB)*MB, or (a - zA)*(b - zB)*M.
    function _combine(bytes calldata d, int256 a, int256 b, uint256 mode) private pure returns (int256) {
        bytes calldata mult = Descriptor.bytesField(d, Descriptor.MULTIPLIER);
        if (mode == MUL) return a * b * Descriptor.int32At(mult, 0);
        if (mode == ADD) return a * Descriptor.int32At(mult, 0) + b * Descriptor.int32At(mult, 1);
        return a * Descriptor.int32At(mult, 0) - b * Descriptor.int32At(mult, 1);
    }

    /// @dev sat8(zOut + roundShift(t, 1, s)).
    function _requant(bytes calldata d, int256 t) private pure returns (int8) {
        uint256 s = uint256(Descriptor.int32At(Descriptor.bytesField(d, Descriptor.SHIFT), 0));
        return int8(KernelIO.clamp(Descriptor.scalar(d, "zOut") + KernelIO.roundShift(t, 1, s), -128, 127));
    }

    /// @dev (a - zA, b - zB) for output element `i`.
    function _operands(
        bytes calldata d,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) private pure returns (int256 a, int256 b) {
        (uint256 ia, uint256 ib) = _operandIndices(d, i);
        if (!hasConstant(d)) {
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

    /// @notice y = max(x, zIn).
    function relu(bytes calldata d, KernelIO.Slice memory x, uint256 i) internal pure returns (int8) {
        int256 v = KernelIO.at(x, KernelIO.inputOffset(d, 0) + i);
        int256 z = Descriptor.scalar(d, "zIn");
        return int8(v > z ? v : z);
    }

    /// @notice y = lut[x + 128].
    function lut(bytes calldata d, KernelIO.Slice memory x, uint256 i) internal pure returns (int8) {
        int256 v = KernelIO.at(x, KernelIO.inputOffset(d, 0) + i);
        return int8(uint8(Descriptor.bytesField(d, Descriptor.LUT)[uint256(v + 128)]));
    }

    /// @notice Weight row (channel) the Affine element `i` needs: floor(i / inner) mod channels.
    function affineRow(bytes calldata d, uint256 i) internal pure returns (uint256) {
        return (i / Descriptor.uscalar(d, "inner")) % Descriptor.uscalar(d, "channels");
    }

    /// @notice y = clamp(zOut + roundShift(bias[c] + w[c] * (x - zIn), M[c], s[c]), clampMin, clampMax).
    function affine(
        bytes calldata d,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        uint256 c = affineRow(d, i);
        int256 v = KernelIO.at(x, KernelIO.inputOffset(d, 0) + i) - Descriptor.scalar(d, "zIn");
        return KernelIO.requantize(d, KernelIO.bias(d, c) + KernelIO.weight(w, 0) * v, c);
    }
}
