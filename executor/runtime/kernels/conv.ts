/** Conv 2-D (NCHW) with strides, pads, dilations and groups, plus fused Relu/Clip: docs/NUMERICS.md §5. */
import type { Layer } from "../program";
import { POW2 } from "./requant";

/**
 * y[b, o, oy, ox] = clamp(zOut + roundShift(bias[o] + sum w[o, ci, ky, kx] * (x[b, g*cg + ci, iy, ix] - zIn), M[o], s[o]))
 * with iy = oy*sh - padTop + ky*dh, ix = ox*sw - padLeft + kx*dw, g = floor(o / (m / group)), cg = c / group.
 * Positions outside the input are zero padding in the real domain, so they contribute nothing and are skipped.
 */
export function conv(layer: Layer, x: Int8Array): Int8Array {
  const a = layer.attrs;
  const [c, h, w] = a.inChw as number[];
  const [m, oh, ow] = a.outChw as number[];
  const group = a.group as number;
  const [kh, kw] = a.kernel as number[];
  const [sh, sw] = a.strides as number[];
  const [pt, pl] = a.pads as number[];
  const [dh, dw] = a.dilations as number[];
  const zIn = a.zIn as number;
  const zOut = a.zOut as number;
  const lo = a.clampMin as number;
  const hi = a.clampMax as number;
  const wt = layer.weights!;
  const bias = layer.bias!;
  const mult = layer.multiplier!;
  const shift = layer.shift!;
  const perChannel = mult.length > 1;
  const cg = c / group;
  const mg = m / group;
  const rowLen = cg * kh * kw;
  const batch = x.length / (c * h * w);
  const xs = new Int32Array(x.length);
  for (let i = 0; i < x.length; i++) xs[i] = x[i] - zIn;
  const y = new Int8Array(batch * m * oh * ow);
  for (let b = 0; b < batch; b++) {
    for (let o = 0; o < m; o++) {
      const g = Math.floor(o / mg);
      const xBase = (b * c + g * cg) * h * w;
      const wBase = o * rowLen;
      const ch = perChannel ? o : 0;
      const mo = mult[ch];
      const s = shift[ch];
      const half = POW2[s - 1];
      const div = POW2[s];
      const yBase = (b * m + o) * oh * ow;
      for (let oy = 0; oy < oh; oy++) {
        const iy0 = oy * sh - pt;
        for (let ox = 0; ox < ow; ox++) {
          const ix0 = ox * sw - pl;
          let acc = bias[o];
          for (let ci = 0; ci < cg; ci++) {
            const xc = xBase + ci * h * w;
            const wc = wBase + ci * kh * kw;
            for (let ky = 0; ky < kh; ky++) {
              const iy = iy0 + ky * dh;
              if (iy < 0 || iy >= h) continue;
              const xr = xc + iy * w;
              const wr = wc + ky * kw;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ix0 + kx * dw;
                if (ix < 0 || ix >= w) continue;
                acc += wt[wr + kx] * xs[xr + ix];
              }
            }
          }
          let v = zOut + Math.floor((acc * mo + half) / div);
          v = v < lo ? lo : v > hi ? hi : v;
          y[yBase + oy * ow + ox] = v;
        }
      }
    }
  }
  return y;
}
