// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title NormKernel
/// @notice One output element of Norm, the integer LayerNormalization / InstanceNormalization (`docs/NUMERICS.md`
/// §19). Element i lies in the contiguous slice of n = axisSize bytes from inputOffset + floor(i / n) * n; with
/// x_j the slice's values: mu = divRoundHalfUp(sum (x_j - zIn), n), d_j = x_j - zIn - mu,
/// V = sum d_j^2 + epsQ, R = isqrt(floor(V * 2^24 / n)), t = R == 0 ? 0 : divRoundHalfUp(d_i * 2^24, R), and
/// y = sat8(zOut + roundShift(bias[c] + w[c] * t, M, s)) for c = floor(i / wDiv) mod wMod (the weight row).
library NormKernel {
    /// @notice The family's one op (`opOf`).
    uint256 internal constant NORM = 1;

    bytes32 private constant _NORM = keccak256("Norm");

    /// @notice NORM for the op name "Norm" (`opHash` is its keccak256), else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        return opHash == _NORM ? NORM : 0;
    }

    /// @notice Weight row (one scale byte) element `i` needs: floor(i / wDiv) mod wMod.
    function row(bytes calldata d, uint256, uint256 i) internal pure returns (uint256) {
        return (i / Descriptor.uscalar(d, "wDiv")) % Descriptor.uscalar(d, "wMod");
    }

    /// @notice Element `i` of the output; `w` is the proven weight row `row(d, NORM, i)`.
    function element(
        bytes calldata d,
        uint256,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        int256 t = _normalized(d, x, i);
        uint256 c = row(d, NORM, i);
        int256 acc = KernelIO.bias(d, c) + KernelIO.weight(w, 0) * t;
        int256 m = Descriptor.int32At(Descriptor.bytesField(d, Descriptor.MULTIPLIER), 0);
        uint256 s = uint256(Descriptor.int32At(Descriptor.bytesField(d, Descriptor.SHIFT), 0));
        return int8(KernelIO.clamp(Descriptor.scalar(d, "zOut") + KernelIO.roundShift(acc, m, s), -128, 127));
    }

    /// @dev t = R == 0 ? 0 : divRoundHalfUp(d_i * 2^24, R): element i normalized, times 2^12.
    function _normalized(bytes calldata d, KernelIO.Slice memory x, uint256 i) private pure returns (int256 t) {
        uint256 n = Descriptor.uscalar(d, "axisSize");
        uint256 p = KernelIO.range(x, KernelIO.inputOffset(d, 0) + (i / n) * n, n);
        int256 zIn = Descriptor.scalar(d, "zIn");
        (int256 mu, uint256 r) = _stats(p, n, zIn, Descriptor.uscalar(d, "epsQ"));
        if (r == 0) return 0;
        int256 di;
        uint256 at = p + (i % n);
        assembly ("memory-safe") {
            di := signextend(0, byte(0, calldataload(at)))
        }
        t = KernelIO.divRoundHalfUp((di - zIn - mu) * (1 << 24), int256(r));
    }

    /// @dev The slice's rounded mean mu and R = isqrt(floor(V * 2^24 / n)) (NUMERICS §19.1); the n bytes are at
    /// calldata offset `p` (already checked by `KernelIO.range`).
    function _stats(uint256 p, uint256 n, int256 zIn, uint256 epsQ) private pure returns (int256 mu, uint256 r) {
        int256 sum;
        assembly ("memory-safe") {
            for {
                let j := 0
            } lt(j, n) {
                j := add(j, 1)
            } {
                sum := add(sum, signextend(0, byte(0, calldataload(add(p, j)))))
            }
        }
        mu = KernelIO.divRoundHalfUp(sum - int256(n) * zIn, int256(n));
        uint256 v = epsQ;
        int256 off = zIn + mu;
        assembly ("memory-safe") {
            for {
                let j := 0
            } lt(j, n) {
                j := add(j, 1)
            } {
                let dj := sub(signextend(0, byte(0, calldataload(add(p, j)))), off)
                v := add(v, mul(dj, dj))
            }
        }
        r = Math.sqrt((v << 24) / n);
    }
}
