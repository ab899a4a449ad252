// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title ReduceKernel
/// @notice One output element of a reduction along one axis (`docs/NUMERICS.md` §18): the input is viewed as
/// [outer, axisSize, inner] and element i = o * inner + q reads the axisSize bytes base + j * inner,
/// base = inputOffset + o * axisSize * inner + q.
///  - ReduceSum (also ReduceMean): y = sat8(zOut + roundShift(sum_j (x_j - zIn), M, s));
///  - ReduceMax: y = max_j x_j.
library ReduceKernel {
    /// @notice The family's ops (`opOf`), numbered from 1.
    uint256 internal constant REDUCE_SUM = 1;
    uint256 internal constant REDUCE_MAX = 2;

    bytes32 private constant _REDUCE_SUM = keccak256("ReduceSum");
    bytes32 private constant _REDUCE_MAX = keccak256("ReduceMax");

    /// @notice The op named by `opHash` (keccak256 of "ReduceSum" or "ReduceMax"), else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        if (opHash == _REDUCE_SUM) return REDUCE_SUM;
        if (opHash == _REDUCE_MAX) return REDUCE_MAX;
        return 0;
    }

    /// @notice Reductions have no weights: `KernelIO.NO_ROW`.
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
        uint256 n = Descriptor.uscalar(d, "axisSize");
        uint256 inner = Descriptor.uscalar(d, "inner");
        uint256 base = KernelIO.inputOffset(d, 0) + (i / inner) * n * inner + (i % inner);
        if (op == REDUCE_SUM) return _sum(d, x, base, n, inner);
        return _max(x, base, n, inner); // REDUCE_MAX, the last op `opOf` returns: a new op's line goes above
    }

    /// @dev sat8(zOut + roundShift(sum_j x_j - n * zIn, M, s)).
    function _sum(
        bytes calldata d,
        KernelIO.Slice memory x,
        uint256 base,
        uint256 n,
        uint256 inner
    ) private pure returns (int8) {
        int256 acc;
        if (inner == 1) {
            // one contiguous run: one coverage check, then unchecked calldata reads
            uint256 p = KernelIO.range(x, base, n);
            assembly ("memory-safe") {
                for {
                    let j := 0
                } lt(j, n) {
                    j := add(j, 1)
                } {
                    acc := add(acc, signextend(0, byte(0, calldataload(add(p, j)))))
                }
            }
        } else {
            for (uint256 j; j < n; ++j) acc += KernelIO.at(x, base + j * inner);
        }
        acc -= int256(n) * Descriptor.scalar(d, "zIn");
        int256 m = Descriptor.int32At(Descriptor.bytesField(d, Descriptor.MULTIPLIER), 0);
        uint256 s = uint256(Descriptor.int32At(Descriptor.bytesField(d, Descriptor.SHIFT), 0));
        return int8(KernelIO.clamp(Descriptor.scalar(d, "zOut") + KernelIO.roundShift(acc, m, s), -128, 127));
    }

    /// @dev max_j x_j, from -128.
    function _max(KernelIO.Slice memory x, uint256 base, uint256 n, uint256 inner) private pure returns (int8) {
        int256 mx = -128;
        for (uint256 j; j < n; ++j) {
            int256 v = KernelIO.at(x, base + j * inner);
            if (v > mx) mx = v;
        }
        return int8(mx);
    }
}
