// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title MovementKernel
/// @notice Data movement as index maps (`docs/NUMERICS.md` §26): output element `i` is one byte of one input tensor
/// of S_k at an index the op computes from the committed shapes and attributes (Slice, Pad, Tile, Concat, Gather),
/// or a committed constant (Pad), or one byte of a proven weight row chosen by an index byte of S_k (Embedding), or
/// a byte of X or Y chosen by a committed condition (Where).
/// @dev Every op walks the output coordinates from the last axis, as the TypeScript index maps
/// (`executor/runtime/kernels/movement.ts`) do. The kernels assume a validated program (NUMERICS §14): an index a
/// valid program cannot produce is refused by `KernelIO.at` as a missing input.
library MovementKernel {
    /// @notice The family's ops (`opOf`), numbered from 1.
    uint256 internal constant SLICE = 1;
    uint256 internal constant PAD = 2;
    uint256 internal constant TILE = 3;
    uint256 internal constant CONCAT = 4;
    uint256 internal constant GATHER = 5;
    uint256 internal constant EMBEDDING = 6;
    uint256 internal constant WHERE = 7;

    bytes32 private constant _SLICE = keccak256("Slice");
    bytes32 private constant _PAD = keccak256("Pad");
    bytes32 private constant _TILE = keccak256("Tile");
    bytes32 private constant _CONCAT = keccak256("Concat");
    bytes32 private constant _GATHER = keccak256("Gather");
    bytes32 private constant _EMBEDDING = keccak256("Embedding");
    bytes32 private constant _WHERE = keccak256("Where");

    /// @notice The op named by `opHash` (keccak256 of "Slice", "Pad", "Tile", "Concat", "Gather" or "Embedding"),
    /// else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        if (opHash == _SLICE) return SLICE;
        if (opHash == _PAD) return PAD;
        if (opHash == _TILE) return TILE;
        if (opHash == _CONCAT) return CONCAT;
        if (opHash == _GATHER) return GATHER;
        if (opHash == _EMBEDDING) return EMBEDDING;
        if (opHash == _WHERE) return WHERE;
        return 0;
    }

    /// @notice Embedding reads weight row `i mod inner` (feature `j` of every token), Where the row of its condition
    /// byte; the others read no row.
    function row(bytes calldata d, uint256 op, uint256 i) internal pure returns (uint256) {
        if (op == EMBEDDING) return i % Descriptor.uscalar(d, "inner");
        if (op == WHERE) return _broadcast(d, "cShape", i) / _last(d, "cShape");
        return KernelIO.NO_ROW;
    }

    /// @notice Element `i` of op `op`'s output; `w` is the proven weight row (Embedding), else empty.
    function element(
        bytes calldata d,
        uint256 op,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        if (op == SLICE) return slice(d, x, i);
        if (op == PAD) return pad(d, x, i);
        if (op == TILE) return tile(d, x, i);
        if (op == CONCAT) return concat(d, x, i);
        if (op == GATHER) return gather(d, x, i);
        if (op == EMBEDDING) return embedding(d, x, w, i);
        return where(d, x, w, i); // WHERE, the last op `opOf` returns: a new op's line goes above
    }

    /// @notice Slice (§26.1): j_d = starts_d + steps_d * o_d, steps possibly negative.
    function slice(bytes calldata d, KernelIO.Slice memory x, uint256 i) internal pure returns (int8) {
        return _at(d, x, 0, _sliceIndex(d, i));
    }

    /// @notice Pad (§26.2): j_d = o_d - pads_d mapped by the mode (0 constant, 1 reflect, 2 edge, 3 wrap); in
    /// constant mode a coordinate outside the input gives the committed `value`.
    function pad(bytes calldata d, KernelIO.Slice memory x, uint256 i) internal pure returns (int8) {
        int256 j = _padIndex(d, i);
        if (j < 0) return int8(Descriptor.scalar(d, "value"));
        return _at(d, x, 0, j);
    }

    /// @notice Tile and Expand (§26.3): the input shape left-padded with 1s; j_d = o_d mod in_d.
    function tile(bytes calldata d, KernelIO.Slice memory x, uint256 i) internal pure returns (int8) {
        uint256[] calldata out = Descriptor.uintArray(d, Descriptor.OUT_SHAPE);
        uint256[] calldata inShape = _inShape(d);
        uint256 lead = out.length - inShape.length;
        uint256 j;
        uint256 stride = 1;
        for (uint256 k = out.length; k > lead; --k) {
            uint256 o = i % out[k - 1];
            i /= out[k - 1];
            uint256 n = inShape[k - 1 - lead];
            j += (o % n) * stride;
            stride *= n;
        }
        return int8(KernelIO.at(x, KernelIO.inputOffset(d, 0) + j));
    }

    /// @notice Concat (§26.4): the input whose range along `axis` holds the coordinate, requantized:
    /// clamp(zOut + roundShift(x - zIn[k], M[k], s[k]), -128, 127).
    function concat(bytes calldata d, KernelIO.Slice memory x, uint256 i) internal pure returns (int8) {
        (uint256 input, uint256 index) = _concatSource(d, i);
        return _requant(d, KernelIO.at(x, KernelIO.inputOffset(d, input) + index), input);
    }

    /// @dev Concat's source of output element `i`: the input whose extent along `axis` holds its coordinate, and
    /// the element's index in that input.
    function _concatSource(bytes calldata d, uint256 i) private pure returns (uint256 input, uint256) {
        uint256[] calldata out = Descriptor.uintArray(d, Descriptor.OUT_SHAPE);
        uint256 axis = Descriptor.uscalar(d, "axis");
        uint256 inner = 1;
        for (uint256 k = axis + 1; k < out.length; ++k) inner *= out[k];
        uint256 r = i % inner;
        uint256 a = (i / inner) % out[axis];
        uint256 outer = i / inner / out[axis];
        // inputShapes = [rank, dims...] per input
        uint256[] calldata shapes = Descriptor.uintArray(d, Descriptor.INPUT_SHAPES);
        uint256 p;
        for (;;) {
            uint256 n = shapes[p + 1 + axis];
            if (a < n) return (input, (outer * n + a) * inner + r);
            a -= n;
            p += shapes[p] + 1;
            ++input;
        }
    }

    /// @notice Gather with constant indices (§26.5): output [pre, m, post] reads input [pre, indices[k], post].
    function gather(bytes calldata d, KernelIO.Slice memory x, uint256 i) internal pure returns (int8) {
        return _at(d, x, 0, _gatherIndex(d, i));
    }

    /// @notice Embedding (§26.6): y = w[floorMod(x[i / inner] - zIndex, vocab)], `w` the proven row i mod inner
    /// (feature i mod inner of every token).
    function embedding(
        bytes calldata d,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        uint256 inner = Descriptor.uscalar(d, "inner");
        int256 vocab = int256(Descriptor.uscalar(d, "vocab"));
        int256 q = KernelIO.at(x, KernelIO.inputOffset(d, 0) + i / inner) - Descriptor.scalar(d, "zIndex");
        return int8(uint8(w[uint256(((q % vocab) + vocab) % vocab)]));
    }

    /// @dev Pad's input index of output element `i`, or -1 where constant mode gives the value.
    function _padIndex(bytes calldata d, uint256 i) private pure returns (int256 j) {
        uint256[] calldata out = Descriptor.uintArray(d, Descriptor.OUT_SHAPE);
        // inputShapes = [rank, dims...]: dim k - 1 of the input is shapes[k]
        uint256[] calldata shapes = Descriptor.uintArray(d, Descriptor.INPUT_SHAPES);
        int256[] calldata pads = Descriptor.attr(d, "pads");
        int256 mode = Descriptor.scalar(d, "mode");
        int256 stride = 1;
        for (uint256 k = out.length; k > 0; --k) {
            int256 c = _padCoord(int256(i % out[k - 1]) - pads[k - 1], int256(shapes[k]), mode);
            if (c < 0) return -1;
            i /= out[k - 1];
            j += c * stride;
            stride *= int256(shapes[k]);
        }
    }

    /// @dev Coordinate c of an axis of n mapped into [0, n) by the mode (0 constant: -1 outside, 1 reflect, 2 edge,
    /// 3 wrap).
    function _padCoord(int256 c, int256 n, int256 mode) private pure returns (int256) {
        if (c >= 0 && c < n) return c;
        if (mode == 0) return -1;
        if (mode == 1) return c < 0 ? -c : 2 * (n - 1) - c;
        if (mode == 2) return c < 0 ? int256(0) : n - 1;
        return ((c % n) + n) % n;
    }

    /// @dev Gather's input index of output element `i`.
    function _gatherIndex(bytes calldata d, uint256 i) private pure returns (int256) {
        uint256[] calldata inShape = _inShape(d);
        uint256 axis = Descriptor.uscalar(d, "axis");
        int256[] calldata indices = Descriptor.attr(d, "indices");
        uint256 inner = 1;
        for (uint256 k = axis + 1; k < inShape.length; ++k) inner *= inShape[k];
        uint256 t = i / inner;
        uint256 m = indices.length;
        return (int256((t / m) * inShape[axis]) + indices[t % m]) * int256(inner) + int256(i % inner);
    }

    /// @notice Where with a constant condition (§26.7): side 0 (X) where the condition byte (column
    /// `ci mod last` of the proven row) is nonzero, else side 1 (Y); a constant side gives `value`, a computed one its
    /// broadcast byte requantized: clamp(zOut + roundShift(x - zIn[side], M[side], s[side]), -128, 127).
    function where(
        bytes calldata d,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        (uint256 side, bool constant_, uint256 input) = _whereSide(d, w, i);
        if (constant_) return int8(Descriptor.scalar(d, "value"));
        return _whereValue(d, x, side, input, i);
    }

    /// @dev Where's computed side `side` (layer input `input`) at output element `i`, requantized.
    function _whereValue(
        bytes calldata d,
        KernelIO.Slice memory x,
        uint256 side,
        uint256 input,
        uint256 i
    ) private pure returns (int8) {
        uint256 j = KernelIO.inputOffset(d, input) + _broadcast(d, side == 0 ? "xShape" : "yShape", i);
        return _requant(d, KernelIO.at(x, j), side);
    }

    /// @dev Where's side of output element `i` (its condition byte in the proven row `w`), whether that side is the
    /// constant, and else the layer input holding it.
    function _whereSide(bytes calldata d, bytes calldata w, uint256 i) private pure returns (uint256, bool, uint256) {
        uint256 side = w[_broadcast(d, "cShape", i) % _last(d, "cShape")] != 0 ? 0 : 1;
        uint256 xConst = Descriptor.uscalar(d, "xConst");
        bool constant_ = (side == 0 ? xConst : Descriptor.uscalar(d, "yConst")) == 1;
        return (side, constant_, side == 0 ? 0 : 1 - xConst);
    }

    /// @dev clamp(zOut + roundShift(v - zIn[k], M[k], s[k]), -128, 127): input k's byte in the output's quantization.
    function _requant(bytes calldata d, int256 v, uint256 k) private pure returns (int8) {
        bytes calldata mult = Descriptor.bytesField(d, Descriptor.MULTIPLIER);
        bytes calldata shift = Descriptor.bytesField(d, Descriptor.SHIFT);
        int256 y =
            Descriptor.scalar(d, "zOut") +
                KernelIO.roundShift(
                    v - Descriptor.attr(d, "zIn")[k],
                    Descriptor.int32At(mult, k),
                    uint256(Descriptor.int32At(shift, k))
                );
        return int8(KernelIO.clamp(y, -128, 127));
    }

    /// @dev The index into a tensor of the attribute `shape` (the output's rank, each dim 1 or the output's) that
    /// output element `i` reads.
    function _broadcast(bytes calldata d, string memory shape, uint256 i) private pure returns (uint256 j) {
        uint256[] calldata out = Descriptor.uintArray(d, Descriptor.OUT_SHAPE);
        uint256[] calldata s = Descriptor.uattr(d, shape);
        uint256 stride = 1;
        for (uint256 k = out.length; k > 0; --k) {
            if (s[k - 1] != 1) j += (i % out[k - 1]) * stride;
            i /= out[k - 1];
            stride *= s[k - 1];
        }
    }

    /// @dev The last dim of the attribute `shape`.
    function _last(bytes calldata d, string memory shape) private pure returns (uint256) {
        uint256[] calldata s = Descriptor.uattr(d, shape);
        return s[s.length - 1];
    }

    /// @dev Slice's input index of output element `i`.
    function _sliceIndex(bytes calldata d, uint256 i) private pure returns (int256 j) {
        uint256[] calldata out = Descriptor.uintArray(d, Descriptor.OUT_SHAPE);
        uint256[] calldata inShape = _inShape(d);
        int256[] calldata starts = Descriptor.attr(d, "starts");
        int256[] calldata steps = Descriptor.attr(d, "steps");
        int256 stride = 1;
        for (uint256 k = out.length; k > 0; --k) {
            j += (starts[k - 1] + steps[k - 1] * int256(i % out[k - 1])) * stride;
            i /= out[k - 1];
            stride *= int256(inShape[k - 1]);
        }
    }

    /// @dev The dims of the layer's first input (inputShapes = [rank, dims...] per input).
    function _inShape(bytes calldata d) private pure returns (uint256[] calldata) {
        uint256[] calldata shapes = Descriptor.uintArray(d, Descriptor.INPUT_SHAPES);
        return shapes[1:1 + shapes[0]];
    }

    /// @dev Byte `j` of input `n` (a negative j, which no valid program makes, is refused as a missing input).
    function _at(bytes calldata d, KernelIO.Slice memory x, uint256 n, int256 j) private pure returns (int8) {
        uint256 index = j < 0 ? type(uint256).max : KernelIO.inputOffset(d, n) + uint256(j);
        return int8(KernelIO.at(x, index));
    }
}
