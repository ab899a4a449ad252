// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title SoftmaxKernel
/// @notice One output element of the integer Softmax (`docs/NUMERICS.md` §12). It reads the whole slice along the
/// axis: mx = max x, e_j = E[x_j - mx + 255], S = sum e_j, y = min(floor((512 e_i + S) / (2 S)) - 128, 127).
library SoftmaxKernel {
    /// @dev The element's slice along the axis: bytes base, base + inner, ..., base + (n - 1) * inner of S_k.
    struct Axis {
        uint256 n;
        uint256 inner;
        uint256 base;
        uint256 pos; // the element's index along the axis
        uint256 table; // calldata offset of the exp table (256 big-endian int32 in [0, 2^16])
    }

    /// @notice The family's one op (`opOf`).
    uint256 internal constant SOFTMAX = 1;

    bytes32 private constant _SOFTMAX = keccak256("Softmax");

    /// @notice SOFTMAX for the op name "Softmax" (`opHash` is its keccak256), else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        return opHash == _SOFTMAX ? SOFTMAX : 0;
    }

    /// @notice Softmax has no weights (its exp table is a descriptor field): `KernelIO.NO_ROW`.
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
        a.pos = (i % span) / a.inner;
        bytes calldata table = Descriptor.bytesField(d, Descriptor.BIAS);
        if (table.length != 1024) revert Descriptor.DescriptorOutOfBounds(Descriptor.BIAS, table.length);
        uint256 tableOffset;
        assembly ("memory-safe") {
            tableOffset := table.offset
        }
        a.table = tableOffset;
        int256 mx = _max(x, a);
        int256 sum;
        for (uint256 j; j < a.n; ++j) sum += _exp(a, x, a.base + j * a.inner, mx);
        int256 e = _exp(a, x, a.base + a.pos * a.inner, mx);
        // all operands are non-negative and S >= 2^16 > 0, so `/` is floor here
        int256 y = (512 * e + sum) / (2 * sum) - 128;
        return int8(y > 127 ? int256(127) : y);
    }

    function _max(KernelIO.Slice memory x, Axis memory a) private pure returns (int256 mx) {
        mx = -128;
        for (uint256 j; j < a.n; ++j) {
            int256 v = KernelIO.at(x, a.base + j * a.inner);
            if (v > mx) mx = v;
        }
    }

    /// @dev E[x - mx + 255] for the byte at `index` (x - mx + 255 is in [0, 255]; entries are non-negative).
    function _exp(Axis memory a, KernelIO.Slice memory x, uint256 index, int256 mx) private pure returns (int256 e) {
        uint256 p = a.table + 4 * uint256(KernelIO.at(x, index) - mx + 255);
        assembly ("memory-safe") {
            e := shr(224, calldataload(p))
        }
    }
}
