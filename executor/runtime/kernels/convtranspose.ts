/** ConvTranspose 2-D (NCHW; 1-D as a plane of height 1): docs/NUMERICS.md §25. */
import type { Layer } from "../types";
import { requantOf, roundShift } from "./requant";

/** The attributes of a ConvTranspose layer. */
export function convTransposeGeometry(layer: Layer) {
  const a = layer.attrs;
  const [c, h, w] = a.inChw as number[];
  const [m, oh, ow] = a.outChw as number[];
  const [kh, kw] = a.kernel as number[];
  const [sh, sw] = a.strides as number[];
  const [pt, pl] = a.pads as number[];
  const [dh, dw] = a.dilations as number[];
  const group = a.group as number;
  return { c, h, w, m, oh, ow, kh, kw, sh, sw, pt, pl, dh, dw, group, cg: c / group, mg: m / group };
}

/** The input index tap k of output position p reads along one axis, or -1: p + pad - k*d = i*s, 0 <= i < size. */
export function tapInput(p: number, pad: number, k: number, d: number, s: number, size: number): number {
  const t = p + pad - k * d;
  if (t < 0 || t % s !== 0) return -1;
  const i = t / s;
  return i < size ? i : -1;
}

/**
 * y[b, o, oy, ox] = clamp(zOut + roundShift(bias[o] + sum w[o, ci, ky, kx] * (x[b, g*cg + ci, iy, ix] - zIn), M[o], s[o]))
 * over the taps with oy + padTop - ky*DH = iy*SH (0 <= iy < H) and likewise along x.
 */
export function convTranspose(layer: Layer, x: Int8Array): Int8Array {
  const g = convTransposeGeometry(layer);
  const { zIn, zOut, lo, hi, bias, mult, shift, perChannel } = requantOf(layer);
  const wt = layer.weights!;
  const batch = x.length / (g.c * g.h * g.w);
  const y = new Int8Array(batch * g.m * g.oh * g.ow);
  const rowLen = g.cg * g.kh * g.kw;
  // the input row/column of each (output position, tap), -1 where the tap reads nothing
  const iyOf = new Int32Array(g.oh * g.kh);
  const ixOf = new Int32Array(g.ow * g.kw);
  for (let oy = 0; oy < g.oh; oy++)
    for (let ky = 0; ky < g.kh; ky++) iyOf[oy * g.kh + ky] = tapInput(oy, g.pt, ky, g.dh, g.sh, g.h);
  for (let ox = 0; ox < g.ow; ox++)
    for (let kx = 0; kx < g.kw; kx++) ixOf[ox * g.kw + kx] = tapInput(ox, g.pl, kx, g.dw, g.sw, g.w);
  let q = 0;
  for (let b = 0; b < batch; b++)
    for (let o = 0; o < g.m; o++) {
      const xg = (b * g.c + Math.floor(o / g.mg) * g.cg) * g.h * g.w;
      const ch = perChannel ? o : 0;
      for (let oy = 0; oy < g.oh; oy++)
        for (let ox = 0; ox < g.ow; ox++) {
          let acc = bias[o];
          for (let ci = 0; ci < g.cg; ci++)
            for (let ky = 0; ky < g.kh; ky++) {
              const iy = iyOf[oy * g.kh + ky];
              if (iy < 0) continue;
              const xr = xg + (ci * g.h + iy) * g.w;
              const wr = o * rowLen + (ci * g.kh + ky) * g.kw;
              for (let kx = 0; kx < g.kw; kx++) {
                const ix = ixOf[ox * g.kw + kx];
                if (ix >= 0) acc += wt[wr + kx] * (x[xr + ix] - zIn);
              }
            }
          const v = zOut + roundShift(acc, mult[ch], shift[ch]);
          y[q++] = v < lo ? lo : v > hi ? hi : v;
        }
    }
  return y;
}
