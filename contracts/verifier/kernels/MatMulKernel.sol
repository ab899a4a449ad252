// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title MatMulKernel
/// @notice One output element of an N-D MatMul with batch broadcasting (`docs/NUMERICS.md` §23): two computed
/// operands, or one computed and one constant operand (the proven row `w`, on side `constSide`).
library MatMulKernel {
    /// @notice The family's one op (`opOf`).
    uint256 internal constant MAT_MUL = 1;

    bytes32 private constant _MAT_MUL = keccak256("MatMul");

    /// @dev Where element i reads: A's row starts at `a`, B's column at `b` (N bytes apart), K terms.
    struct Operands {
        uint256 a;
        uint256 b;
        uint256 k;
        uint256 n;
        bool constA;
        bool constB;
    }

    /// @notice MAT_MUL for the op name "MatMul" (`opHash` is its keccak256), else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        return opHash == _MAT_MUL ? MAT_MUL : 0;
    }

    /// @notice Row 0 (the whole constant operand) for a layer with one computed input, else `KernelIO.NO_ROW`.
    function row(bytes calldata d, uint256, uint256) internal pure returns (uint256) {
        return Descriptor.uintArray(d, Descriptor.INPUTS).length == 1 ? 0 : KernelIO.NO_ROW;
    }

    /// @notice Element `i`: clamp(zOut + roundShift(sum_k (A[t, r, k] - zA) (B[t, k, j] - zB), M, s), -128, 127).
    function element(
        bytes calldata d,
        uint256,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        return _requant(d, _sum(d, _operands(d, i), x, w));
    }

    function _requant(bytes calldata d, int256 acc) private pure returns (int8) {
        bytes calldata mult = Descriptor.bytesField(d, Descriptor.MULTIPLIER);
        bytes calldata shift = Descriptor.bytesField(d, Descriptor.SHIFT);
        int256 v = KernelIO.roundShift(acc, Descriptor.int32At(mult, 0), uint256(Descriptor.int32At(shift, 0)));
        return int8(KernelIO.clamp(Descriptor.scalar(d, "zOut") + v, -128, 127));
    }

    /// @dev The first byte of A's row and of B's column for element i (in S_k, or in `w` for the constant operand),
    /// the batch index broadcast into each operand (an axis of size 1 stays at 0).
    function _operands(bytes calldata d, uint256 i) private pure returns (Operands memory o) {
        _indices(Descriptor.uattr(d, "aShape"), Descriptor.uattr(d, "bShape"), i, o);
        bool oneInput = Descriptor.uintArray(d, Descriptor.INPUTS).length == 1;
        if (oneInput && Descriptor.scalar(d, "constSide") == 0) {
            o.constA = true;
            o.b += KernelIO.inputOffset(d, 0);
        } else {
            o.constB = oneInput;
            o.a += KernelIO.inputOffset(d, 0);
            if (!oneInput) o.b += KernelIO.inputOffset(d, 1);
        }
    }

    /// @dev Sets K, N and the operands' offsets within their tensors: a = ((batch of A) M + r) K and
    /// b = (batch of B) K N + j.
    function _indices(uint256[] calldata a, uint256[] calldata b, uint256 i, Operands memory o) private pure {
        uint256 r = a.length;
        uint256 m = a[r - 2];
        (o.k, o.n) = (a[r - 1], b[r - 1]);
        uint256 t = i / o.n;
        (o.a, o.b) = ((t % m) * o.k, i % o.n);
        t /= m;
        (uint256 sa, uint256 sb) = (m * o.k, o.k * o.n);
        for (uint256 q = r - 2; q > 0; --q) {
            (uint256 da, uint256 db) = (a[q - 1], b[q - 1]);
            uint256 size = da > db ? da : db;
            uint256 idx = t % size;
            t /= size;
            if (da != 1) o.a += idx * sa;
            if (db != 1) o.b += idx * sb;
            sa *= da;
            sb *= db;
        }
    }

    /// @dev sum over k of (A - zA) (B - zB): A's row is checked as one range (or read from `w`), B's column as one
    /// range on a contiguous slice, tap by tap on a sparse one (or read from `w`). |acc| < 2^37 (NUMERICS §23).
    function _sum(
        bytes calldata d,
        Operands memory o,
        KernelIO.Slice memory x,
        bytes calldata w
    ) private pure returns (int256 acc) {
        uint256 pa;
        uint256 pb;
        uint256 bStep = o.n; // calldata bytes between B's taps, 0 when read tap by tap
        if (o.constA) {
            assembly ("memory-safe") {
                pa := w.offset
            }
            pa += o.a;
        } else pa = KernelIO.range(x, o.a, o.k);
        if (o.constB) {
            assembly ("memory-safe") {
                pb := w.offset
            }
            pb += o.b;
        } else if (x.idxCount == 0) pb = KernelIO.range(x, o.b, (o.k - 1) * o.n + 1);
        else bStep = 0;
        (int256 zA, int256 zB) = (Descriptor.scalar(d, "zA"), Descriptor.scalar(d, "zB"));
        if (bStep == 0) return _sumSparse(pa, o, x, zA, zB);
        uint256 k = o.k;
        assembly ("memory-safe") {
            for {
                let q := 0
            } lt(q, k) {
                q := add(q, 1)
            } {
                let av := sub(signextend(0, byte(0, calldataload(add(pa, q)))), zA)
                let bv := sub(signextend(0, byte(0, calldataload(add(pb, mul(q, bStep))))), zB)
                acc := add(acc, mul(av, bv))
            }
        }
    }

    /// @dev The sum with B's column read tap by tap from a sparse slice (`KernelIO.at`).
    function _sumSparse(
        uint256 pa,
        Operands memory o,
        KernelIO.Slice memory x,
        int256 zA,
        int256 zB
    ) private pure returns (int256 acc) {
        for (uint256 q; q < o.k; ++q) {
            int256 av;
            assembly ("memory-safe") {
                av := sub(signextend(0, byte(0, calldataload(add(pa, q)))), zA)
            }
            acc += av * (KernelIO.at(x, o.b + q * o.n) - zB);
        }
    }
}
