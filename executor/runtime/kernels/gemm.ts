/** Gemm (also MatMul with a constant right operand, and fused Relu/Clip): docs/NUMERICS.md §4. */
import type { Layer } from "../program";
import { POW2 } from "./requant";

/**
 * y[r, o] = clamp(zOut + roundShift(bias[o] + sum_j w[o, j] * (x[r, j] - zIn), M[o], s[o]), clampMin, clampMax)
 * for every row r of the input viewed as [rows, k]; j ascends from 0 (the order is irrelevant: sums are exact).
 */
export function gemm(layer: Layer, x: Int8Array): Int8Array {
  const a = layer.attrs;
  const k = a.k as number;
  const n = a.n as number;
  const zIn = a.zIn as number;
  const zOut = a.zOut as number;
  const lo = a.clampMin as number;
  const hi = a.clampMax as number;
  const w = layer.weights!;
  const bias = layer.bias!;
  const mult = layer.multiplier!;
  const shift = layer.shift!;
  const perChannel = mult.length > 1;
  const rows = x.length / k;
  const y = new Int8Array(rows * n);
  const xs = new Int32Array(k);
  for (let r = 0; r < rows; r++) {
    const xo = r * k;
    for (let j = 0; j < k; j++) xs[j] = x[xo + j] - zIn;
    for (let o = 0; o < n; o++) {
      // four partial sums (exact integers: |acc| < 2^37 by validation, so the order of the sum is free)
      const wo = o * k;
      let a0 = bias[o];
      let a1 = 0;
      let a2 = 0;
      let a3 = 0;
      let j = 0;
      for (; j + 3 < k; j += 4) {
        a0 += w[wo + j] * xs[j];
        a1 += w[wo + j + 1] * xs[j + 1];
        a2 += w[wo + j + 2] * xs[j + 2];
        a3 += w[wo + j + 3] * xs[j + 3];
      }
      for (; j < k; j++) a0 += w[wo + j] * xs[j];
      const acc = a0 + a1 + a2 + a3;
      const c = perChannel ? o : 0;
      const s = shift[c];
      let v = zOut + Math.floor((acc * mult[c] + POW2[s - 1]) / POW2[s]);
      v = v < lo ? lo : v > hi ? hi : v;
      y[r * n + o] = v;
    }
  }
  return y;
}
