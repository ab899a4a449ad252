/** MaxPool and AveragePool / GlobalAveragePool (NCHW): docs/NUMERICS.md §7-8. */
import type { Layer } from "../types";

/**
 * y[b, c, oy, ox] = max of x over the in-bounds window positions (padding never wins; an all-padding window
 * gives -128). Output quantization = input quantization.
 */
export function maxPool(layer: Layer, x: Int8Array): Int8Array {
  const a = layer.attrs;
  const [c, h, w] = a.inChw as number[];
  const [oh, ow] = a.outHw as number[];
  const [kh, kw] = a.kernel as number[];
  const [sh, sw] = a.strides as number[];
  const [pt, pl] = a.pads as number[];
  const [dh, dw] = a.dilations as number[];
  const planes = x.length / (h * w);
  const y = new Int8Array(planes * oh * ow);
  // in-bounds tap ranges per output row / column (taps outside the input are skipped: padding never wins)
  const kyLo = new Int32Array(oh);
  const kyHi = new Int32Array(oh);
  const kxLo = new Int32Array(ow);
  const kxHi = new Int32Array(ow);
  for (let oy = 0; oy < oh; oy++) {
    const y0 = oy * sh - pt; // iy = y0 + ky*dh in [0, h)
    kyLo[oy] = Math.max(0, Math.ceil(-y0 / dh));
    kyHi[oy] = Math.min(kh, Math.floor((h - 1 - y0) / dh) + 1);
  }
  for (let ox = 0; ox < ow; ox++) {
    const x0 = ox * sw - pl;
    kxLo[ox] = Math.max(0, Math.ceil(-x0 / dw));
    kxHi[ox] = Math.min(kw, Math.floor((w - 1 - x0) / dw) + 1);
  }
  for (let p = 0; p < planes; p++) {
    const xb = p * h * w;
    const yb = p * oh * ow;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - pt;
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - pl;
        let best = -128;
        for (let ky = kyLo[oy]; ky < kyHi[oy]; ky++) {
          const row = xb + (y0 + ky * dh) * w + x0;
          for (let kx = kxLo[ox]; kx < kxHi[ox]; kx++) {
            const v = x[row + kx * dw];
            if (v > best) best = v;
          }
        }
        y[yb + oy * ow + ox] = best;
      }
    }
  }
  void c;
  return y;
}

/**
 * y = zIn + floor((2*S + D) / (2*D)) (S / D rounded half up), S = sum of (x - zIn) over the in-bounds window,
 * D = number of in-bounds positions (countIncludePad = 0) or the window clipped to the padded extent
 * [-padBegin, size + padEnd) (countIncludePad = 1), as in ONNX. Output quantization = input quantization.
 */
export function averagePool(layer: Layer, x: Int8Array): Int8Array {
  const a = layer.attrs;
  const [, h, w] = a.inChw as number[];
  const [oh, ow] = a.outHw as number[];
  const [kh, kw] = a.kernel as number[];
  const [sh, sw] = a.strides as number[];
  const [pt, pl, pb, pr] = a.pads as number[];
  const includePad = (a.countIncludePad as number) === 1;
  const zIn = a.zIn as number;
  const planes = x.length / (h * w);
  const y = new Int8Array(planes * oh * ow);
  for (let p = 0; p < planes; p++) {
    const xb = p * h * w;
    const yb = p * oh * ow;
    for (let oy = 0; oy < oh; oy++) {
      const y0 = oy * sh - pt;
      const y1 = Math.min(y0 + kh, h + pb);
      const ya = Math.max(y0, 0);
      const yz = Math.min(y1, h);
      for (let ox = 0; ox < ow; ox++) {
        const x0 = ox * sw - pl;
        const x1 = Math.min(x0 + kw, w + pr);
        const xa = Math.max(x0, 0);
        const xz = Math.min(x1, w);
        let sum = 0;
        for (let iy = ya; iy < yz; iy++) for (let ix = xa; ix < xz; ix++) sum += x[xb + iy * w + ix] - zIn;
        const d = includePad ? (y1 - y0) * (x1 - x0) : Math.max(yz - ya, 0) * Math.max(xz - xa, 0);
        let v = d > 0 ? zIn + Math.floor((2 * sum + d) / (2 * d)) : zIn;
        v = v < -128 ? -128 : v > 127 ? 127 : v;
        y[yb + oy * ow + ox] = v;
      }
    }
  }
  return y;
}
