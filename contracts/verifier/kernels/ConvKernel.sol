// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
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
        uint256 kxLo; // in-bounds taps along x: [kxLo, kxHi)
        uint256 kxHi;
        uint256 ix0; // input column of tap kxLo
        uint256 span; // bytes from the first to the last in-bounds tap of one kernel row
        // for the contiguous-slice path (read by offset in `_sumContiguous`: keep this order)
        uint256 kyLo; // in-bounds taps along y: [kyLo, kyHi)
        uint256 kyHi;
        uint256 start; // calldata offset of input (ci = 0, iy = 0, ix = ix0) of the element's group
        uint256 plane; // h * w
        uint256 y0; // oy * sh - pt (mod 2^256: only y0 + ky * dh for in-bounds ky is used)
        uint256 wp; // calldata offset of the weight row
    }

    /// @notice The family's one op (`opOf`).
    uint256 internal constant CONV = 1;

    bytes32 private constant _CONV = keccak256("Conv");

    /// @notice CONV for the op name "Conv" (`opHash` is its keccak256), else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        return opHash == _CONV ? CONV : 0;
    }

    /// @notice Weight row the element `i` needs: its output channel.
    function row(bytes calldata d, uint256, uint256 i) internal pure returns (uint256) {
        uint256[] calldata outChw = Descriptor.uattr(d, "outChw");
        return (i / (outChw[1] * outChw[2])) % outChw[0];
    }

    function _geometry(bytes calldata d, uint256 i) private pure returns (Geometry memory g) {
        uint256[] calldata a = Descriptor.uattr(d, "inChw");
        (g.c, g.h, g.w) = (a[0], a[1], a[2]);
        a = Descriptor.uattr(d, "outChw");
        (g.m, g.oh, g.ow) = (a[0], a[1], a[2]);
        uint256 group = Descriptor.uscalar(d, "group");
        (g.cg, g.mg) = (g.c / group, g.m / group);
        a = Descriptor.uattr(d, "kernel");
        (g.kh, g.kw) = (a[0], a[1]);
        a = Descriptor.uattr(d, "strides");
        (g.sh, g.sw) = (a[0], a[1]);
        a = Descriptor.uattr(d, "pads");
        (g.pt, g.pl) = (a[0], a[1]);
        a = Descriptor.uattr(d, "dilations");
        (g.dh, g.dw) = (a[0], a[1]);
        uint256 plane = g.oh * g.ow;
        g.o = (i / plane) % g.m;
        g.oy = (i % plane) / g.ow;
        g.ox = i % g.ow;
        g.base = KernelIO.inputOffset(d, 0) + ((i / (plane * g.m)) * g.c + (g.o / g.mg) * g.cg) * g.h * g.w;
        g.zIn = Descriptor.scalar(d, "zIn");
    }

    /// @notice Element `i` of the output; `w` is the proven weight row `row(d, CONV, i)` ((ci, ky, kx) order).
    function element(
        bytes calldata d,
        uint256,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        Geometry memory g = _geometry(d, i);
        return KernelIO.requantize(d, KernelIO.bias(d, g.o) + _sum(g, x, w), g.o);
    }

    /// @dev sum over in-bounds taps of w[ci, ky, kx] * (x[g*CG + ci, iy, ix] - zIn). The in-bounds taps of one kernel
    /// row are contiguous in kx, so each (ci, ky) checks its input span once and runs an unchecked inner loop.
    function _sum(Geometry memory g, KernelIO.Slice memory x, bytes calldata w) private pure returns (int256 acc) {
        (g.kyLo, g.kyHi) = _taps(g.oy * g.sh, g.pt, g.h, g.kh, g.dh);
        (g.kxLo, g.kxHi) = _taps(g.ox * g.sw, g.pl, g.w, g.kw, g.dw);
        if (g.kyLo >= g.kyHi || g.kxLo >= g.kxHi) return 0;
        g.ix0 = g.ox * g.sw + g.kxLo * g.dw - g.pl;
        g.span = (g.kxHi - 1 - g.kxLo) * g.dw + 1;
        uint256 wp;
        assembly ("memory-safe") {
            wp := w.offset
        }
        if (x.idxCount == 0) {
            // A contiguous slice that holds the first and the last byte read holds every byte in between: check
            // those two once, then read without checks.
            _prepareContiguous(g, x);
            g.wp = wp;
            return _sumContiguous(g);
        }
        for (uint256 ci; ci < g.cg; ++ci) {
            for (uint256 ky = g.kyLo; ky < g.kyHi; ++ky) acc += _kernelRow(g, x, wp, ci, ky);
        }
    }

    /// @dev Checks that the contiguous slice covers the first and the last byte the element reads; sets start, y0
    /// and plane.
    function _prepareContiguous(Geometry memory g, KernelIO.Slice memory x) private pure {
        uint256 first = g.base + (g.oy * g.sh + g.kyLo * g.dh - g.pt) * g.w + g.ix0;
        uint256 lastRow = (g.cg - 1) * g.h + g.oy * g.sh + (g.kyHi - 1) * g.dh - g.pt;
        uint256 last = g.base + lastRow * g.w + g.ix0 + g.span - 1;
        uint256 p = KernelIO.range(x, first, last - first + 1);
        unchecked {
            g.start = p - first + g.base + g.ix0; // the calldata offset "byte 0 of S_k" would have, + base + ix0
            g.y0 = g.oy * g.sh - g.pt;
        }
        g.plane = g.h * g.w;
    }

    /// @dev Every in-bounds tap, unchecked (the caller proved the slice covers them; |acc| < 2^37, NUMERICS §2.4).
    /// Reads Geometry fields by their memory offsets (field n at 32 n).
    function _sumContiguous(Geometry memory g) private pure returns (int256 acc) {
        assembly ("memory-safe") {
            let lo := mload(add(g, 672)) // kxLo (21)
            let hi := mload(add(g, 704)) // kxHi (22)
            let dw := mload(add(g, 480)) // dw (15)
            let zIn := mload(add(g, 640)) // zIn (20)
            for {
                let ci := 0
            } lt(ci, mload(add(g, 192))) {
                // cg (6)
                ci := add(ci, 1)
            } {
                for {
                    let ky := mload(add(g, 800)) // kyLo (25)
                } lt(ky, mload(add(g, 832))) {
                    // kyHi (26)
                    ky := add(ky, 1)
                } {
                    // start (27) + ci * plane (28) + (y0 (29) + ky * dh (14)) * w (2)
                    let xp := add(
                        add(mload(add(g, 864)), mul(ci, mload(add(g, 896)))),
                        mul(add(mload(add(g, 928)), mul(ky, mload(add(g, 448)))), mload(add(g, 64)))
                    )
                    // wp (30) + (ci * kh (8) + ky) * kw (9)
                    let tp := add(mload(add(g, 960)), mul(add(mul(ci, mload(add(g, 256))), ky), mload(add(g, 288))))
                    for {
                        let kx := lo
                    } lt(kx, hi) {
                        kx := add(kx, 1)
                    } {
                        let xv := sub(signextend(0, byte(0, calldataload(add(xp, mul(sub(kx, lo), dw))))), zIn)
                        acc := add(acc, mul(signextend(0, byte(0, calldataload(add(tp, kx)))), xv))
                    }
                }
            }
        }
    }

    /// @dev The taps of kernel row (ci, ky): one range check, then an unchecked loop (|acc| < 2^37, NUMERICS §2.4).
    function _kernelRow(
        Geometry memory g,
        KernelIO.Slice memory x,
        uint256 wp,
        uint256 ci,
        uint256 ky
    ) private pure returns (int256 acc) {
        uint256 iy = g.oy * g.sh + ky * g.dh - g.pt;
        uint256 xp = KernelIO.range(x, g.base + (ci * g.h + iy) * g.w + g.ix0, g.span);
        uint256 tp = wp + (ci * g.kh + ky) * g.kw; // weight of tap (ci, ky, 0)
        (uint256 lo, uint256 hi, uint256 dw) = (g.kxLo, g.kxHi, g.dw);
        int256 zIn = g.zIn;
        assembly ("memory-safe") {
            for {
                let kx := lo
            } lt(kx, hi) {
                kx := add(kx, 1)
            } {
                let xv := sub(signextend(0, byte(0, calldataload(add(xp, mul(sub(kx, lo), dw))))), zIn)
                acc := add(acc, mul(signextend(0, byte(0, calldataload(add(tp, kx)))), xv))
            }
        }
    }

    /// @dev The kernel taps [lo, hi) whose padded coordinate start + k*dil falls inside [pad, pad + size).
    function _taps(
        uint256 start,
        uint256 pad,
        uint256 size,
        uint256 k,
        uint256 dil
    ) private pure returns (uint256 lo, uint256 hi) {
        if (start < pad) lo = (pad - start + dil - 1) / dil;
        if (start >= pad + size) return (0, 0);
        hi = (pad + size - 1 - start) / dil + 1;
        if (hi > k) hi = k;
    }
}
