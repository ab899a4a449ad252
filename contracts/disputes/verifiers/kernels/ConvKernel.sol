// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title ConvKernel
/// @notice One output element of a 2-D NCHW convolution with strides, pads, dilations and groups
/// (`docs/NUMERICS.md` §6). Out-of-bounds taps contribute nothing (zero padding in the real domain).
library ConvKernel {
    struct Geometry {
        uint256 c;
        uint256 h;
        uint256 w;
        uint256 m;
        uint256 oh;
        uint256 ow;
        uint256 cg;
        uint256 mg;
        uint256 kh;
        uint256 kw;
        uint256 sh;
        uint256 sw;
        uint256 pt;
        uint256 pl;
        uint256 dh;
        uint256 dw;
        uint256 o; // the element's output channel
        uint256 oy;
        uint256 ox;
        uint256 base; // byte of S_k where the element's batch and group start
        int256 zIn;
    }

    /// @notice Weight row the element `i` needs: its output channel.
    function row(bytes calldata d, uint256 i) internal pure returns (uint256) {
        int256[] calldata outChw = Descriptor.attr(d, "outChw");
        return (i / (uint256(outChw[1]) * uint256(outChw[2]))) % uint256(outChw[0]);
    }

    function _geometry(bytes calldata d, uint256 i) private pure returns (Geometry memory g) {
        int256[] calldata a = Descriptor.attr(d, "inChw");
        (g.c, g.h, g.w) = (uint256(a[0]), uint256(a[1]), uint256(a[2]));
        a = Descriptor.attr(d, "outChw");
        (g.m, g.oh, g.ow) = (uint256(a[0]), uint256(a[1]), uint256(a[2]));
        uint256 group = Descriptor.uscalar(d, "group");
        (g.cg, g.mg) = (g.c / group, g.m / group);
        a = Descriptor.attr(d, "kernel");
        (g.kh, g.kw) = (uint256(a[0]), uint256(a[1]));
        a = Descriptor.attr(d, "strides");
        (g.sh, g.sw) = (uint256(a[0]), uint256(a[1]));
        a = Descriptor.attr(d, "pads");
        (g.pt, g.pl) = (uint256(a[0]), uint256(a[1]));
        a = Descriptor.attr(d, "dilations");
        (g.dh, g.dw) = (uint256(a[0]), uint256(a[1]));
        uint256 plane = g.oh * g.ow;
        g.o = (i / plane) % g.m;
        g.oy = (i % plane) / g.ow;
        g.ox = i % g.ow;
        g.base = KernelIO.inputOffset(d, 0) + ((i / (plane * g.m)) * g.c + (g.o / g.mg) * g.cg) * g.h * g.w;
        g.zIn = Descriptor.scalar(d, "zIn");
    }

    /// @notice Element `i` of the output; `w` is the proven weight row `row(d, i)` ((ci, ky, kx) order).
    function element(
        bytes calldata d,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        Geometry memory g = _geometry(d, i);
        return KernelIO.requantize(d, KernelIO.bias(d, g.o) + _sum(g, x, w), g.o);
    }

    /// @dev sum over in-bounds taps of w[ci, ky, kx] * (x[g*CG + ci, iy, ix] - zIn)
    function _sum(Geometry memory g, KernelIO.Slice memory x, bytes calldata w) private pure returns (int256 acc) {
        uint256 tap;
        for (uint256 ci; ci < g.cg; ++ci) {
            for (uint256 ky; ky < g.kh; ++ky) {
                uint256 iy = g.oy * g.sh + ky * g.dh; // + pt: the padded coordinate
                if (iy < g.pt || iy - g.pt >= g.h) {
                    tap += g.kw;
                    continue;
                }
                uint256 rowStart = g.base + (ci * g.h + (iy - g.pt)) * g.w;
                for (uint256 kx; kx < g.kw; ++kx) {
                    uint256 ix = g.ox * g.sw + kx * g.dw;
                    if (ix >= g.pl && ix - g.pl < g.w) {
                        acc += KernelIO.weight(w, tap) * (KernelIO.at(x, rowStart + ix - g.pl) - g.zIn);
                    }
                    ++tap;
                }
            }
        }
    }
}
