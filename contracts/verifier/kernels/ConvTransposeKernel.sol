// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title ConvTransposeKernel
/// @notice One output element of a 2-D NCHW transposed convolution (1-D as a plane of height 1) with strides, pads,
/// output padding, dilations and groups (`docs/NUMERICS.md` §25): tap (ky, kx) of output (oy, ox) reads input
/// (iy, ix) when oy + top - ky*DH = iy*SH and ox + left - kx*DW = ix*SW, in bounds.
library ConvTransposeKernel {
    /// @notice The family's one op (`opOf`).
    uint256 internal constant CONV_TRANSPOSE = 1;

    bytes32 private constant _CONV_TRANSPOSE = keccak256("ConvTranspose");

    struct Geometry {
        uint256 h;
        uint256 w;
        uint256 cg;
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
        uint256 rowStart; // byte of S_k of input (ci, iy, 0) for the kernel row being summed
        uint256 t0; // weight of tap (ci, ky, 0) in the row
    }

    /// @notice CONV_TRANSPOSE for the op name "ConvTranspose" (`opHash` is its keccak256), else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        return opHash == _CONV_TRANSPOSE ? CONV_TRANSPOSE : 0;
    }

    /// @notice Weight row the element `i` needs: its output channel.
    function row(bytes calldata d, uint256, uint256 i) internal pure returns (uint256) {
        uint256[] calldata outChw = Descriptor.uattr(d, "outChw");
        return (i / (outChw[1] * outChw[2])) % outChw[0];
    }

    /// @notice Element `i` of the output; `w` is the proven weight row `row(d, CONV_TRANSPOSE, i)` ((ci, ky, kx)).
    function element(
        bytes calldata d,
        uint256,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        Geometry memory g = _geometry(d, i);
        int256 acc = KernelIO.bias(d, g.o);
        for (uint256 ci; ci < g.cg; ++ci) {
            for (uint256 ky; ky < g.kh; ++ky) {
                (bool ok, uint256 iy) = _tap(g.oy, g.pt, ky, g.dh, g.sh, g.h);
                if (!ok) continue;
                (g.rowStart, g.t0) = (g.base + (ci * g.h + iy) * g.w, (ci * g.kh + ky) * g.kw);
                acc += _kernelRow(g, x, w);
            }
        }
        return KernelIO.requantize(d, acc, g.o);
    }

    function _geometry(bytes calldata d, uint256 i) private pure returns (Geometry memory g) {
        uint256[] calldata a = Descriptor.uattr(d, "inChw");
        uint256 c = a[0];
        (g.h, g.w) = (a[1], a[2]);
        a = Descriptor.uattr(d, "outChw");
        (uint256 m, uint256 oh, uint256 ow) = (a[0], a[1], a[2]);
        uint256 group = Descriptor.uscalar(d, "group");
        g.cg = c / group;
        a = Descriptor.uattr(d, "kernel");
        (g.kh, g.kw) = (a[0], a[1]);
        a = Descriptor.uattr(d, "strides");
        (g.sh, g.sw) = (a[0], a[1]);
        a = Descriptor.uattr(d, "pads");
        (g.pt, g.pl) = (a[0], a[1]);
        a = Descriptor.uattr(d, "dilations");
        (g.dh, g.dw) = (a[0], a[1]);
        uint256 plane = oh * ow;
        g.o = (i / plane) % m;
        g.oy = (i % plane) / ow;
        g.ox = i % ow;
        g.base = KernelIO.inputOffset(d, 0) + ((i / (plane * m)) * c + (g.o / (m / group)) * g.cg) * g.h * g.w;
        g.zIn = Descriptor.scalar(d, "zIn");
    }

    /// @dev The taps kx of kernel row (ci, ky) whose input column is in bounds, each read with `KernelIO.at`.
    function _kernelRow(
        Geometry memory g,
        KernelIO.Slice memory x,
        bytes calldata w
    ) private pure returns (int256 acc) {
        for (uint256 kx; kx < g.kw; ++kx) {
            (bool ok, uint256 ix) = _tap(g.ox, g.pl, kx, g.dw, g.sw, g.w);
            if (ok) acc += KernelIO.weight(w, g.t0 + kx) * (KernelIO.at(x, g.rowStart + ix) - g.zIn);
        }
    }

    /// @dev Whether tap k of output position p reads an input, and which: p + pad - k*dil = i*s, 0 <= i < size.
    function _tap(
        uint256 p,
        uint256 pad,
        uint256 k,
        uint256 dil,
        uint256 s,
        uint256 size
    ) private pure returns (bool ok, uint256 i) {
        uint256 from = p + pad;
        uint256 back = k * dil;
        if (back > from || (from - back) % s != 0) return (false, 0);
        i = (from - back) / s;
        ok = i < size;
    }
}
