/** Conv 2-D (NCHW) with strides, pads, dilations and groups, plus fused Relu/Clip: docs/NUMERICS.md §6. */
import type { Layer } from "../types";
import { INV_POW2, POW2, requantOf } from "./requant";

/**
 * y[b, o, oy, ox] = clamp(zOut + roundShift(bias[o] + sum w[o, ci, ky, kx] * (x[b, g*cg + ci, iy, ix] - zIn), M[o], s[o]))
 * with iy = oy*sh - padTop + ky*dh, ix = ox*sw - padLeft + kx*dw, g = floor(o / (m / group)), cg = c / group.
 * Positions outside the input are zero padding in the real domain, so they contribute nothing and are skipped.
 */
export function conv(layer: Layer, x: Int8Array): Int8Array {
  // Two loop orders with identical (exact) results: tap-major is faster for short rows, im2col for long ones.
  return convGeometry(layer).rowLen < 8 ? convTapMajor(layer, x) : convIm2col(layer, x);
}

/** The window geometry of a Conv layer (NUMERICS §6) and its per-group sizes, as both loop orders read them. */
function convGeometry(layer: Layer) {
  const a = layer.attrs;
  const [c, h, w] = a.inChw as number[];
  const [m, oh, ow] = a.outChw as number[];
  const [kh, kw] = a.kernel as number[];
  const [sh, sw] = a.strides as number[];
  const [pt, pl, pb, pr] = a.pads as number[];
  const [dh, dw] = a.dilations as number[];
  const group = a.group as number;
  const cg = c / group; // input channels per group
  return { c, h, w, m, oh, ow, group, cg, mg: m / group, rowLen: cg * kh * kw, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw };
}

/** Tap-major: for each weight, add its contribution to every output position whose tap is in bounds. */
export function convTapMajor(layer: Layer, x: Int8Array): Int8Array {
  const { c, h, w, m, oh, ow, cg, mg, rowLen, kh, kw, sh, sw, pt, pl, dh, dw } = convGeometry(layer);
  const { zIn, zOut, lo, hi, bias, mult, shift, perChannel } = requantOf(layer);
  const wt = layer.weights!;
  const batch = x.length / (c * h * w);
  const xs = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) xs[i] = x[i] - zIn;
  const y = new Int8Array(batch * m * oh * ow);
  // Tap-major loops: for each weight, add its contribution to every output position whose tap is in bounds.
  // Accumulators are exact integers in float64 (|acc| < 2^37 by validation), so the order of the sum is free.
  const acc = new Float64Array(oh * ow);
  const oyLo = new Int32Array(kh);
  const oyHi = new Int32Array(kh);
  const oxLo = new Int32Array(kw);
  const oxHi = new Int32Array(kw);
  for (let ky = 0; ky < kh; ky++) {
    const off = ky * dh - pt; // iy = oy*sh + off must be in [0, h)
    oyLo[ky] = Math.max(0, Math.ceil(-off / sh));
    oyHi[ky] = Math.min(oh, Math.floor((h - 1 - off) / sh) + 1);
  }
  for (let kx = 0; kx < kw; kx++) {
    const off = kx * dw - pl;
    oxLo[kx] = Math.max(0, Math.ceil(-off / sw));
    oxHi[kx] = Math.min(ow, Math.floor((w - 1 - off) / sw) + 1);
  }
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < m; o++) {
      const g = Math.floor(o / mg);
      const xBase = (b * c + g * cg) * h * w;
      const wBase = o * rowLen;
      acc.fill(bias[o]);
      for (let ci = 0; ci < cg; ci++) {
        const xc = xBase + ci * h * w;
        for (let ky = 0; ky < kh; ky++) {
          const yLo = oyLo[ky];
          const yHi = oyHi[ky];
          const offY = ky * dh - pt;
          for (let kx = 0; kx < kw; kx++) {
            const wv = wt[wBase + (ci * kh + ky) * kw + kx];
            if (wv === 0) continue;
            const xLo = oxLo[kx];
            const xHi = oxHi[kx];
            const offX = kx * dw - pl;
            for (let oy = yLo; oy < yHi; oy++) {
              const xr = xc + (oy * sh + offY) * w + offX;
              const ar = oy * ow;
              if (sw === 1) {
                for (let ox = xLo; ox < xHi; ox++) acc[ar + ox] += wv * xs[xr + ox];
              } else {
                for (let ox = xLo; ox < xHi; ox++) acc[ar + ox] += wv * xs[xr + ox * sw];
              }
            }
          }
        }
      }
      const ch = perChannel ? o : 0;
      const mo = mult[ch];
      const s = shift[ch];
      const half = POW2[s - 1];
      const inv = INV_POW2[s];
      const yBase = (b * m + o) * oh * ow;
      for (let i = 0; i < oh * ow; i++) {
        let v = zOut + Math.floor((acc[i] * mo + half) * inv);
        v = v < lo ? lo : v > hi ? hi : v;
        y[yBase + i] = v;
      }
    }
  }
  return y;
}

/** im2col: one dot product per output position over a gathered patch (zero terms skipped). */
export function convIm2col(layer: Layer, x: Int8Array): Int8Array {
  const { c, h, w, m, oh, ow, group, cg, mg, rowLen, kh, kw, sh, sw, pt, pl, pb, pr, dh, dw } = convGeometry(layer);
  const { zIn, zOut, lo, hi, bias, mult, shift, perChannel } = requantOf(layer);
  const wt = layer.weights!;
  const batch = x.length / (c * h * w);
  const y = new Int8Array(batch * m * oh * ow);
  // im2col: for each (batch, group), patch p = oy*ow + ox lists the non-zero values (x - zIn) its window reads,
  // with their weight index j = (ci, ky, kx); out-of-bounds taps are zero padding in the real domain. Each output
  // is then one sparse dot product. Sums are exact integers (|acc| < 2^37 by validation): the order is free.
  const P = oh * ow;
  const nzIdx = new Int32Array(P * rowLen);
  const nzVal = new Int32Array(P * rowLen);
  const nzCount = new Int32Array(P);
  const hp = h + pt + pb + sh;
  const wp = w + pl + pr + sw;
  const xp = new Int32Array(cg * hp * wp);
  // offset of weight j = (ci, ky, kx) from a window's top-left corner in the padded copy
  const off = new Int32Array(rowLen);
  for (let ci = 0, j = 0; ci < cg; ci++)
    for (let ky = 0; ky < kh; ky++) for (let kx = 0; kx < kw; kx++) off[j++] = ci * hp * wp + ky * dh * wp + kx * dw;
  // per-channel requantization constants, hoisted: q = zOut + floor((acc * M + 2^(s-1)) * 2^-s)
  const mo = new Float64Array(m);
  const half = new Float64Array(m);
  const inv = new Float64Array(m);
  for (let o = 0; o < m; o++) {
    const ch = perChannel ? o : 0;
    mo[o] = mult[ch];
    half[o] = POW2[shift[ch] - 1];
    inv[o] = INV_POW2[shift[ch]];
  }
  const requant = (v: number, o: number): number => {
    const q = zOut + Math.floor((v * mo[o] + half[o]) * inv[o]);
    return q < lo ? lo : q > hi ? hi : q;
  };
  for (let b = 0; b < batch; b++) {
    for (let g = 0; g < group; g++) {
      // Copy this group's input, minus zIn, into a zero-padded buffer (zero = padding in the real domain), so the
      // patch gather below needs no bounds checks. The extra SH/SW rows/columns cover a ceil-rounded last window.
      xp.fill(0);
      for (let ci = 0; ci < cg; ci++) {
        const src = (b * c + g * cg + ci) * h * w;
        const dst = ci * hp * wp + pt * wp + pl;
        for (let iy = 0; iy < h; iy++)
          for (let ix = 0; ix < w; ix++) xp[dst + iy * wp + ix] = x[src + iy * w + ix] - zIn;
      }
      // Gather each patch's non-zero terms (x - zIn != 0) straight from the padded copy: zero terms (padding,
      // image background, Relu'd-out values) add nothing, so the dot products below skip them.
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const pi = oy * ow + ox;
          const corner = oy * sh * wp + ox * sw;
          const base = pi * rowLen;
          let cnt = 0;
          for (let j = 0; j < rowLen; j++) {
            const v = xp[corner + off[j]];
            if (v !== 0) {
              nzIdx[base + cnt] = j;
              nzVal[base + cnt++] = v;
            }
          }
          nzCount[pi] = cnt;
        }
      }
      // Four output channels per pass over each patch, as in Gemm (exact sums: the order is free).
      const oEnd = (g + 1) * mg;
      let o = g * mg;
      for (; o + 3 < oEnd; o += 4) {
        const w0 = o * rowLen;
        const w1 = w0 + rowLen;
        const w2 = w1 + rowLen;
        const w3 = w2 + rowLen;
        for (let p = 0; p < P; p++) {
          const cb = p * rowLen;
          let a0 = bias[o];
          let a1 = bias[o + 1];
          let a2 = bias[o + 2];
          let a3 = bias[o + 3];
          for (let t = cb; t < cb + nzCount[p]; t++) {
            const j = nzIdx[t];
            const xv = nzVal[t];
            a0 += wt[w0 + j] * xv;
            a1 += wt[w1 + j] * xv;
            a2 += wt[w2 + j] * xv;
            a3 += wt[w3 + j] * xv;
          }
          y[(b * m + o) * P + p] = requant(a0, o);
          y[(b * m + o + 1) * P + p] = requant(a1, o + 1);
          y[(b * m + o + 2) * P + p] = requant(a2, o + 2);
          y[(b * m + o + 3) * P + p] = requant(a3, o + 3);
        }
      }
      for (; o < oEnd; o++) {
        const wBase = o * rowLen;
        for (let p = 0; p < P; p++) {
          const cb = p * rowLen;
          let a0 = bias[o];
          const cnt = nzCount[p];
          for (let t = cb; t < cb + cnt; t++) a0 += wt[wBase + nzIdx[t]] * nzVal[t];
          y[(b * m + o) * P + p] = requant(a0, o);
        }
      }
    }
  }
  return y;
}
