/** Integer Softmax: docs/NUMERICS.md §12. */
import type { Layer } from "../types";

/**
 * For each slice along the axis (outer x axisSize x inner layout):
 *   mx = max x;  e_i = E[x_i - mx + 255] (E = `bias`, 256 entries, E[255] = 2^16);  S = sum e_i;
 *   y_i = clamp(floor((512 * e_i + S) / (2 * S)) - 128, -128, 127)   (round half up of 256 * e_i / S)
 * Output quantization: scale 1/256, zero point -128.
 */
export function softmax(layer: Layer, x: Int8Array): Int8Array {
  const a = layer.attrs;
  const outer = a.outer as number;
  const n = a.axisSize as number;
  const inner = a.inner as number;
  const table = layer.bias!;
  const y = new Int8Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      let mx = -128;
      for (let i = 0; i < n; i++) if (x[base + i * inner] > mx) mx = x[base + i * inner];
      let sum = 0;
      for (let i = 0; i < n; i++) sum += table[x[base + i * inner] - mx + 255];
      for (let i = 0; i < n; i++) {
        const e = table[x[base + i * inner] - mx + 255];
        let v = Math.floor((512 * e + sum) / (2 * sum)) - 128;
        v = v > 127 ? 127 : v;
        y[base + i * inner] = v;
      }
    }
  }
  return y;
}
