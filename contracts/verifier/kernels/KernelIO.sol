// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IStepVerifier} from "../../interfaces/IStepVerifier.sol";
import {Descriptor} from "../../libraries/Descriptor.sol";

/// @title KernelIO
/// @notice What every one-step kernel shares: reading bytes of the proven pre-state slice, reading int8 weights, and
/// the integer rules of `docs/NUMERICS.md` §2 (round-half-up requantization, saturation, rounded division).
/// @dev Every kernel library is one family of ops and has the same three entry points, which the verifier's dispatch
/// table (`IntegerStepVerifier._family`) reaches through function pointers:
///  - `opOf(bytes32 opHash) returns (uint256 op)`: which of the family's ops the descriptor's op name
///    (keccak256 of it) is, numbered from 1, or 0 if the family does not serve it;
///  - `row(bytes calldata d, uint256 op, uint256 i) returns (uint256)`: the weight row output element `i` needs, or
///    `NO_ROW`;
///  - `element(bytes calldata d, uint256 op, Slice memory x, bytes calldata w, uint256 i) returns (int8)`: output
///    element `i`, given the proven row `w` (empty when `row` said `NO_ROW`).
library KernelIO {
    /// @notice What a kernel's `row` returns for an element that needs no weight row.
    uint256 internal constant NO_ROW = type(uint256).max;

    /// @notice The proven part of S_k (a state of `length` bytes as far as reads are concerned).
    /// Contiguous (`idxCount == 0`): bytes [first, first + length) of S_k at calldata offset `offset`.
    /// Sparse (`idxCount > 0`): the chunks whose indices are the `idxCount` strictly increasing words at calldata
    /// offset `idxOffset`, the k-th of them at calldata offset `offset + 32 k`; `first` is 0 and `length` is |S_k|.
    struct Slice {
        uint256 first;
        uint256 offset;
        uint256 length;
        uint256 idxOffset;
        uint256 idxCount;
        uint256 cursor; // sparse: the position found last (a search hint only)
    }

    /// @notice Byte `index` of S_k as an int8 value; reverts if the slice does not cover it.
    function at(Slice memory s, uint256 index) internal pure returns (int256 v) {
        bool missing;
        bool sparse;
        // contiguous fast path: Slice is (first, offset, length, idxOffset, idxCount, cursor), one word each
        assembly ("memory-safe") {
            sparse := iszero(iszero(mload(add(s, 128))))
            if iszero(sparse) {
                let rel := sub(index, mload(s))
                missing := or(lt(index, mload(s)), iszero(lt(rel, mload(add(s, 64)))))
                if iszero(missing) {
                    v := signextend(0, byte(0, calldataload(add(mload(add(s, 32)), rel))))
                }
            }
        }
        if (missing) revert IStepVerifier.StepVerifierMissingInput(index);
        if (sparse) {
            if (index >= s.length) revert IStepVerifier.StepVerifierMissingInput(index);
            uint256 p = s.offset + (_position(s, index >> 5, index) << 5) + (index & 31);
            assembly ("memory-safe") {
                v := signextend(0, byte(0, calldataload(p)))
            }
        }
    }

    /// @notice Reverts unless the slice covers the `len` bytes of S_k from `index` (len >= 1); returns their
    /// calldata offset (they are contiguous in calldata), for loops that read them unchecked.
    function range(Slice memory s, uint256 index, uint256 len) internal pure returns (uint256) {
        uint256 first = s.first;
        if (index < first) revert IStepVerifier.StepVerifierMissingInput(index);
        if (index - first + len > s.length) {
            uint256 missing = first + s.length < index ? index : first + s.length;
            revert IStepVerifier.StepVerifierMissingInput(missing);
        }
        if (s.idxCount == 0) return s.offset + (index - first);
        uint256 c0 = index >> 5;
        uint256 span = ((index + len - 1) >> 5) - c0;
        uint256 p0 = _position(s, c0, index);
        for (uint256 q = 1; q <= span; ++q) {
            if (p0 + q >= s.idxCount || _indexAt(s, p0 + q) != c0 + q) {
                revert IStepVerifier.StepVerifierMissingInput((c0 + q) << 5);
            }
        }
        return s.offset + (p0 << 5) + (index & 31);
    }

    /// @dev Position of chunk `chunk` in a sparse slice; reverts MissingInput(index) if absent. Kernels read in mostly
    /// ascending order, so it first looks at the position after the last one found (`cursor`), then searches.
    function _position(Slice memory s, uint256 chunk, uint256 index) private pure returns (uint256) {
        uint256 n = s.idxCount;
        uint256 k = s.cursor;
        if (k < n && _indexAt(s, k) == chunk) return k;
        if (k + 1 < n && _indexAt(s, k + 1) == chunk) {
            s.cursor = k + 1;
            return k + 1;
        }
        uint256 lo;
        uint256 hi = n;
        while (lo < hi) {
            uint256 mid = (lo + hi) >> 1;
            uint256 c = _indexAt(s, mid);
            if (c == chunk) {
                s.cursor = mid;
                return mid;
            }
            if (c < chunk) lo = mid + 1;
            else hi = mid;
        }
        revert IStepVerifier.StepVerifierMissingInput(index);
    }

    function _indexAt(Slice memory s, uint256 k) private pure returns (uint256 c) {
        uint256 p = s.idxOffset + (k << 5);
        assembly ("memory-safe") {
            c := calldataload(p)
        }
    }

    /// @notice Weight `j` of a row (int8).
    function weight(bytes calldata w, uint256 j) internal pure returns (int256) {
        return int256(int8(uint8(w[j])));
    }

    /// @notice roundShift(acc, m, s) = floor((acc * m + 2^(s-1)) / 2^s) (NUMERICS §2.1; `>>` on int256 floors).
    function roundShift(int256 acc, int256 m, uint256 s) internal pure returns (int256) {
        return (acc * m + int256(1 << (s - 1))) >> s;
    }

    /// @notice min(max(v, lo), hi).
    function clamp(int256 v, int256 lo, int256 hi) internal pure returns (int256) {
        return
            v < lo
                ? lo
                : v > hi
                    ? hi
                    : v;
    }

    /// @notice floor((2a + b) / (2b)) for b > 0: a / b rounded half up (NUMERICS §2.2; Solidity's `/` truncates).
    function divRoundHalfUp(int256 a, int256 b) internal pure returns (int256 q) {
        int256 n = 2 * a + b;
        int256 dd = 2 * b;
        q = n / dd;
        if (n < 0 && q * dd != n) q -= 1;
    }

    /// @notice The requantization of output channel `o` shared by Gemm, Conv and Affine (NUMERICS §5, §6, §11):
    /// clamp(zOut + roundShift(acc, M[o], s[o]), clampMin, clampMax), with M and s per channel or of length 1.
    function requantize(bytes calldata d, int256 acc, uint256 o) internal pure returns (int8) {
        bytes calldata mult = Descriptor.bytesField(d, Descriptor.MULTIPLIER);
        bytes calldata shift = Descriptor.bytesField(d, Descriptor.SHIFT);
        uint256 c = mult.length == 4 ? 0 : o;
        int256 v =
            Descriptor.scalar(d, "zOut") +
                roundShift(acc, Descriptor.int32At(mult, c), uint256(Descriptor.int32At(shift, c)));
        return int8(clamp(v, Descriptor.scalar(d, "clampMin"), Descriptor.scalar(d, "clampMax")));
    }

    /// @notice Bias of output channel `o` (int32).
    function bias(bytes calldata d, uint256 o) internal pure returns (int256) {
        return Descriptor.int32At(Descriptor.bytesField(d, Descriptor.BIAS), o);
    }

    /// @notice Byte offset in S_k of the layer's input `n`.
    function inputOffset(bytes calldata d, uint256 n) internal pure returns (uint256) {
        return Descriptor.uintArray(d, Descriptor.INPUT_OFFSETS)[n];
    }
}
