// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title PoolKernel
/// @notice One output element of MaxPool (`docs/NUMERICS.md` §7) and of AveragePool / GlobalAveragePool (§8).
library PoolKernel {
    /// @notice The family's ops (`opOf`), numbered from 1.
    uint256 internal constant MAX_POOL = 1;
    uint256 internal constant AVERAGE_POOL = 2;

    bytes32 private constant _MAX_POOL = keccak256("MaxPool");
    bytes32 private constant _AVERAGE_POOL = keccak256("AveragePool");

    struct Window {
        uint256 h;
        uint256 w;
        uint256 oh;
        uint256 ow;
        uint256 kh;
        uint256 kw;
        uint256 sh;
        uint256 sw;
        uint256 pt;
        uint256 pl;
        uint256 pb;
        uint256 pr;
        uint256 base; // byte of S_k where the element's input plane starts
        uint256 oy;
        uint256 ox;
    }

    /// @notice MAX_POOL or AVERAGE_POOL for the op names "MaxPool" and "AveragePool" (`opHash` is the keccak256 of
    /// one), else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        if (opHash == _MAX_POOL) return MAX_POOL;
        if (opHash == _AVERAGE_POOL) return AVERAGE_POOL;
        return 0;
    }

    /// @notice Pooling has no weights: `KernelIO.NO_ROW`.
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
        return op == MAX_POOL ? maxPool(d, x, i) : averagePool(d, x, i); // AVERAGE_POOL, the last op `opOf` returns
    }

    function _window(bytes calldata d, uint256 i) private pure returns (Window memory g) {
        uint256[] calldata a = Descriptor.uattr(d, "inChw");
        (g.h, g.w) = (a[1], a[2]);
        a = Descriptor.uattr(d, "outHw");
        (g.oh, g.ow) = (a[0], a[1]);
        a = Descriptor.uattr(d, "kernel");
        (g.kh, g.kw) = (a[0], a[1]);
        a = Descriptor.uattr(d, "strides");
        (g.sh, g.sw) = (a[0], a[1]);
        a = Descriptor.uattr(d, "pads");
        (g.pt, g.pl, g.pb, g.pr) = (a[0], a[1], a[2], a[3]);
        uint256 plane = g.oh * g.ow;
        g.base = KernelIO.inputOffset(d, 0) + (i / plane) * g.h * g.w;
        g.oy = (i % plane) / g.ow;
        g.ox = i % g.ow;
    }

    /// @notice Max over the in-bounds taps, starting from -128 (padding never wins).
    function maxPool(bytes calldata d, KernelIO.Slice memory x, uint256 i) internal pure returns (int8) {
        Window memory g = _window(d, i);
        uint256[] calldata dil = Descriptor.uattr(d, "dilations");
        (uint256 dh, uint256 dw) = (dil[0], dil[1]);
        int256 best = -128;
        for (uint256 ky; ky < g.kh; ++ky) {
            uint256 iy = g.oy * g.sh + ky * dh;
            if (iy < g.pt || iy - g.pt >= g.h) continue;
            uint256 rowStart = g.base + (iy - g.pt) * g.w;
            for (uint256 kx; kx < g.kw; ++kx) {
                uint256 ix = g.ox * g.sw + kx * dw;
                if (ix < g.pl || ix - g.pl >= g.w) continue;
                int256 v = KernelIO.at(x, rowStart + ix - g.pl);
                if (v > best) best = v;
            }
        }
        return int8(best);
    }

    /// @notice zIn + divRoundHalfUp(S, D) saturated, S the sum of (x - zIn) over the in-bounds window, D the in-bounds
    /// count (countIncludePad = 0) or the window clipped to the padded extent (countIncludePad = 1); zIn if D <= 0.
    function averagePool(bytes calldata d, KernelIO.Slice memory x, uint256 i) internal pure returns (int8) {
        Window memory g = _window(d, i);
        int256 zIn = Descriptor.scalar(d, "zIn");
        int256[8] memory b = _box(g); // y0, y1, ya, yz, x0, x1, xa, xz
        int256 sum;
        // at most 2^31 taps of |x - zIn| <= 255 (program validation): nothing here can overflow
        unchecked {
            for (int256 iy = b[2]; iy < b[3]; ++iy) {
                uint256 rowStart = g.base + uint256(iy) * g.w;
                for (int256 ix = b[6]; ix < b[7]; ++ix) sum += KernelIO.at(x, rowStart + uint256(ix)) - zIn;
            }
        }
        int256 div =
            Descriptor.scalar(d, "countIncludePad") == 1
                ? (b[1] - b[0]) * (b[5] - b[4])
                : _max(b[3] - b[2], 0) * _max(b[7] - b[6], 0);
        if (div <= 0) return int8(zIn);
        return int8(KernelIO.clamp(zIn + KernelIO.divRoundHalfUp(sum, div), -128, 127));
    }

    /// @dev The window of NUMERICS §8 in input coordinates: y0 = oy*SH - top, y1 = min(y0 + KH, H + bottom),
    /// ya = max(y0, 0), yz = min(y1, H), and the same along x.
    function _box(Window memory g) private pure returns (int256[8] memory b) {
        b[0] = int256(g.oy * g.sh) - int256(g.pt);
        b[1] = _min(b[0] + int256(g.kh), int256(g.h + g.pb));
        b[2] = _max(b[0], 0);
        b[3] = _min(b[1], int256(g.h));
        b[4] = int256(g.ox * g.sw) - int256(g.pl);
        b[5] = _min(b[4] + int256(g.kw), int256(g.w + g.pr));
        b[6] = _max(b[4], 0);
        b[7] = _min(b[5], int256(g.w));
    }

    function _min(int256 a, int256 b) private pure returns (int256) {
        return a < b ? a : b;
    }

    function _max(int256 a, int256 b) private pure returns (int256) {
        return a > b ? a : b;
    }
}
