/** Reductions along one axis and the normalizations: docs/NUMERICS.md §18-19. */
import type { Layer } from "../types";
import { INV_POW2, POW2, divRoundHalfUp } from "./requant";

/**
 * ReduceSum (also ReduceMean, whose 1/n is in the multiplier), per (outer, inner) pair over the axis:
 *   y = sat8(zOut + roundShift(sum_j (x_j - zIn), M, s))
 */
export function reduceSum(layer: Layer, x: Int8Array): Int8Array {
  const a = layer.attrs;
  const outer = a.outer as number;
  const n = a.axisSize as number;
  const inner = a.inner as number;
  const zIn = a.zIn as number;
  const zOut = a.zOut as number;
  const m = layer.multiplier![0];
  const s = layer.shift![0];
  const y = new Int8Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      let acc = 0;
      for (let j = 0; j < n; j++) acc += x[base + j * inner];
      acc -= n * zIn;
      let v = zOut + Math.floor((acc * m + POW2[s - 1]) * INV_POW2[s]);
      v = v < -128 ? -128 : v > 127 ? 127 : v;
      y[o * inner + q] = v;
    }
  }
  return y;
}

/** ReduceMax: y = max_j x_j (output quantization = input quantization). */
export function reduceMax(layer: Layer, x: Int8Array): Int8Array {
  const a = layer.attrs;
  const outer = a.outer as number;
  const n = a.axisSize as number;
  const inner = a.inner as number;
  const y = new Int8Array(outer * inner);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      let mx = -128;
      for (let j = 0; j < n; j++) if (x[base + j * inner] > mx) mx = x[base + j * inner];
      y[o * inner + q] = mx;
    }
  }
  return y;
}

/** floor(sqrt(v)) of an integer 0 <= v < 2^52, exactly. */
export function isqrt(v: number): number {
  let r = Math.floor(Math.sqrt(v));
  while (r * r > v) r--;
  while ((r + 1) * (r + 1) <= v) r++;
  return r;
}

/** The normalization's fixed-point position: t = z * 2^NORM_BITS. */
export const NORM_BITS = 12;

/**
 * The integer statistics of one slice of n values (x_j - zIn) (NUMERICS §19.1), shared by LayerNormalization and
 * InstanceNormalization: mu = divRoundHalfUp(sum, n), d_j = x_j - zIn - mu, V = sum d_j^2 + epsQ,
 * R = isqrt(floor(V * 2^24 / n)) (the standard deviation in input steps, times 2^12).
 */
export function sliceStats(
  x: Int8Array,
  base: number,
  n: number,
  zIn: number,
  epsQ: number,
): { mu: number; r: number } {
  let sum = 0;
  for (let j = 0; j < n; j++) sum += x[base + j];
  const mu = divRoundHalfUp(sum - n * zIn, n);
  let v = epsQ;
  for (let j = 0; j < n; j++) {
    const d = x[base + j] - zIn - mu;
    v += d * d;
  }
  // floor(V * 2^24 / n) without passing 2^53: V = qn + rem, so it is q * 2^24 + floor(rem * 2^24 / n)
  const q = Math.floor(v / n);
  const rem = v - q * n;
  return { mu, r: isqrt(q * 2 ** 24 + Math.floor((rem * 2 ** 24) / n)) };
}

/**
 * Norm (LayerNormalization, InstanceNormalization): the input is `outer` contiguous slices of n values; for the
 * element i of its slice, with c = floor(i / wDiv) mod wMod:
 *   t = R == 0 ? 0 : divRoundHalfUp(d_i * 2^24, R)          (the normalized value times 2^12)
 *   y = sat8(zOut + roundShift(bias[c] + w[c] * t, M, s))
 */
export function norm(layer: Layer, x: Int8Array): Int8Array {
  const a = layer.attrs;
  const n = a.axisSize as number;
  const wDiv = a.wDiv as number;
  const wMod = a.wMod as number;
  const zIn = a.zIn as number;
  const zOut = a.zOut as number;
  const epsQ = a.epsQ as number;
  const w = layer.weights!;
  const bias = layer.bias!;
  const m = layer.multiplier![0];
  const s = layer.shift![0];
  const y = new Int8Array(x.length);
  for (let base = 0; base < x.length; base += n) {
    const { mu, r } = sliceStats(x, base, n, zIn, epsQ);
    for (let j = 0; j < n; j++) {
      const i = base + j;
      const c = Math.floor(i / wDiv) % wMod;
      const t = r === 0 ? 0 : divRoundHalfUp((x[i] - zIn - mu) * 2 ** 24, r);
      let v = zOut + Math.floor(((bias[c] + w[c] * t) * m + POW2[s - 1]) * INV_POW2[s]);
      v = v < -128 ? -128 : v > 127 ? 127 : v;
      y[i] = v;
    }
  }
  return y;
}
