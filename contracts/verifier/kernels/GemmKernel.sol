// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title GemmKernel
/// @notice One output element of Gemm / MatMul (`docs/NUMERICS.md` §5): row r = i / n, column o = i % n,
/// y = clamp(zOut + roundShift(bias[o] + sum_j w[o, j] * (x[r, j] - zIn), M[o], s[o]), clampMin, clampMax).
library GemmKernel {
    /// @notice The family's one op (`opOf`).
    uint256 internal constant GEMM = 1;

    bytes32 private constant _GEMM = keccak256("Gemm");

    /// @notice GEMM for the op name "Gemm" (`opHash` is its keccak256), else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        return opHash == _GEMM ? GEMM : 0;
    }

    /// @notice Weight row the element `i` needs: its output column.
    function row(bytes calldata d, uint256, uint256 i) internal pure returns (uint256) {
        return i % Descriptor.uscalar(d, "n");
    }

    /// @notice Element `i` of the output; `w` is the proven weight row `row(d, GEMM, i)`.
    function element(
        bytes calldata d,
        uint256,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        uint256 k = Descriptor.uscalar(d, "k");
        uint256 n = Descriptor.uscalar(d, "n");
        uint256 o = i % n;
        uint256 xp = KernelIO.range(x, KernelIO.inputOffset(d, 0) + (i / n) * k, k);
        int256 zIn = Descriptor.scalar(d, "zIn");
        int256 acc = KernelIO.bias(d, o);
        uint256 wp;
        assembly ("memory-safe") {
            wp := w.offset
        }
        // |acc| < 2^37 for a validated program (NUMERICS §2.4): plain EVM add/mul on two's complement is exact.
        assembly ("memory-safe") {
            for {
                let j := 0
            } lt(j, k) {
                j := add(j, 1)
            } {
                let xv := sub(signextend(0, byte(0, calldataload(add(xp, j)))), zIn)
                acc := add(acc, mul(signextend(0, byte(0, calldataload(add(wp, j)))), xv))
            }
        }
        return KernelIO.requantize(d, acc, o);
    }
}
