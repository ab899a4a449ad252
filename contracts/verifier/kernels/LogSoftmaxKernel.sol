// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title LogSoftmaxKernel
/// @notice One output element of the integer LogSoftmax (`docs/NUMERICS.md` §22). It reads the element's slice along
/// the axis: mx = max x, S = sum E[x_j - mx + 255] (the exp table in the bias field, as Softmax's), L = log2Fixed(S),
/// y = sat8(zOut + roundShift((x_i - mx) * MA * 2^16 - L * MB, 1, s + 16)).
library LogSoftmaxKernel {
    /// @dev The element's slice along the axis: bytes base, base + inner, ..., base + (n - 1) * inner of S_k.
    struct Axis {
        uint256 n;
        uint256 inner;
        uint256 base;
    }

    /// @notice The family's one op (`opOf`).
    uint256 internal constant LOG_SOFTMAX = 1;

    bytes32 private constant _LOG_SOFTMAX = keccak256("LogSoftmax");

    /// @notice LOG_SOFTMAX for the op name "LogSoftmax" (`opHash` is its keccak256), else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        return opHash == _LOG_SOFTMAX ? LOG_SOFTMAX : 0;
    }

    /// @notice LogSoftmax has no weights (its exp table is a descriptor field): `KernelIO.NO_ROW`.
    function row(bytes calldata, uint256, uint256) internal pure returns (uint256) {
        return KernelIO.NO_ROW;
    }

    /// @notice Element `i` of the output (no weight row: `w` is empty).
    function element(
        bytes calldata d,
        uint256,
        KernelIO.Slice memory x,
        bytes calldata,
        uint256 i
    ) internal pure returns (int8) {
        Axis memory a;
        a.n = Descriptor.uscalar(d, "axisSize");
        a.inner = Descriptor.uscalar(d, "inner");
        uint256 span = a.n * a.inner;
        a.base = KernelIO.inputOffset(d, 0) + (i / span) * span + (i % a.inner);
        int256 mx = -128;
        for (uint256 j; j < a.n; ++j) {
            int256 v = KernelIO.at(x, a.base + j * a.inner);
            if (v > mx) mx = v;
        }
        int256 lg = log2Fixed(_sum(d, x, a, mx));
        int256 xi = KernelIO.at(x, a.base + ((i % span) / a.inner) * a.inner) - mx;
        return _requant(d, xi, lg);
    }

    /// @dev sat8(zOut + roundShift(xi * MA * 2^16 - lg * MB, 1, s + 16)).
    function _requant(bytes calldata d, int256 xi, int256 lg) private pure returns (int8) {
        bytes calldata mult = Descriptor.bytesField(d, Descriptor.MULTIPLIER);
        uint256 s = uint256(Descriptor.int32At(Descriptor.bytesField(d, Descriptor.SHIFT), 0)) + 16;
        int256 t = xi * Descriptor.int32At(mult, 0) * 65536 - lg * Descriptor.int32At(mult, 1);
        return int8(KernelIO.clamp(Descriptor.scalar(d, "zOut") + KernelIO.roundShift(t, 1, s), -128, 127));
    }

    /// @notice log2(S / 2^16) with 16 fraction bits for 2^16 <= S < 2^32 (NUMERICS §22): b = floor(log2 S),
    /// m = floor(S * 2^16 / 2^b), then 16 times m = floor(m^2 / 2^16), a fraction bit set (and m halved) when
    /// m >= 2^17; the result is (b - 16) * 2^16 + the fraction.
    function log2Fixed(int256 sum) internal pure returns (int256) {
        uint256 u = uint256(sum);
        uint256 b;
        while (u >> (b + 1) != 0) ++b;
        uint256 m = (u << 16) >> b;
        uint256 frac;
        for (uint256 k = 1; k <= 16; ++k) {
            m = (m * m) >> 16;
            if (m >= 1 << 17) {
                m >>= 1;
                frac |= 1 << (16 - k);
            }
        }
        return (int256(b) - 16) * 65536 + int256(frac);
    }

    /// @dev S = sum_j E[x_j - mx + 255], the table's 256 big-endian int32 in the bias field.
    function _sum(
        bytes calldata d,
        KernelIO.Slice memory x,
        Axis memory a,
        int256 mx
    ) private pure returns (int256 sum) {
        bytes calldata table = Descriptor.bytesField(d, Descriptor.BIAS);
        if (table.length != 1024) revert Descriptor.DescriptorOutOfBounds(Descriptor.BIAS, table.length);
        uint256 t;
        assembly ("memory-safe") {
            t := table.offset
        }
        for (uint256 j; j < a.n; ++j) {
            uint256 p = t + 4 * uint256(KernelIO.at(x, a.base + j * a.inner) - mx + 255);
            int256 e;
            assembly ("memory-safe") {
                e := shr(224, calldataload(p))
            }
            sum += e;
        }
    }
}
