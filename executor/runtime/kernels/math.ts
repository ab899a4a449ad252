/** Div with broadcasting, the per-channel table and LogSoftmax: docs/NUMERICS.md §20-22. */
import type { Layer } from "../types";
import { INV_POW2, POW2, divRoundHalfUp } from "./requant";

/** Row-major strides of `dims`, 0 on a broadcast axis of size 1. */
function strides(dims: readonly number[], out: readonly number[]): number[] {
  const st = new Array<number>(dims.length).fill(0);
  let s = 1;
  for (let d = dims.length - 1; d >= 0; d--) {
    st[d] = dims[d] === 1 && out[d] !== 1 ? 0 : s;
    s *= dims[d];
  }
  return st;
}

/**
 * The quotient rule of Div: a = x_a - zA, b = x_b - zB;
 *   b > 0: q = divRoundHalfUp(a * M, b * 2^s);  b < 0: q = divRoundHalfUp(-a * M, -b * 2^s);
 *   b = 0: q = +255 if a > 0, -255 if a < 0, 0 if a = 0;
 *   y = sat8(zOut + q).
 */
export function divQuotient(a: number, b: number, m: number, s: number): number {
  if (b === 0) return a > 0 ? 255 : a < 0 ? -255 : 0;
  return b > 0 ? divRoundHalfUp(a * m, b * POW2[s]) : divRoundHalfUp(-a * m, -b * POW2[s]);
}

/** Div: a / b with ONNX broadcasting, one operand possibly the constant `weights` (constSide as in §9). */
export function div(layer: Layer, x0: Int8Array, x1: Int8Array | undefined): Int8Array {
  const at = layer.attrs;
  const out = layer.outShape;
  let a = x0;
  let b = x1;
  if (x1 === undefined) [a, b] = (at.constSide as number) === 0 ? [layer.weights!, x0] : [x0, layer.weights!];
  const zA = at.zA as number;
  const zB = at.zB as number;
  const zOut = at.zOut as number;
  const m = layer.multiplier![0];
  const s = layer.shift![0];
  const as = strides(at.aShape as number[], out);
  const bs = strides(at.bShape as number[], out);
  const rank = out.length;
  let total = 1;
  for (const d of out) total *= d;
  const y = new Int8Array(total);
  const idx = new Array<number>(rank).fill(0);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < total; i++) {
    let v = zOut + divQuotient(a[ia] - zA, b![ib] - zB, m, s);
    v = v < -128 ? -128 : v > 127 ? 127 : v;
    y[i] = v;
    for (let d = rank - 1; d >= 0; d--) {
      idx[d]++;
      ia += as[d];
      ib += bs[d];
      if (idx[d] < out[d]) break;
      ia -= as[d] * out[d];
      ib -= bs[d] * out[d];
      idx[d] = 0;
    }
  }
  return y;
}

/** ChannelLut: y = weights[c * 256 + x + 128], c = floor(i / inner) mod channels. */
export function channelLut(layer: Layer, x: Int8Array): Int8Array {
  const inner = layer.attrs.inner as number;
  const channels = layer.attrs.channels as number;
  const w = layer.weights!;
  const y = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = w[(Math.floor(i / inner) % channels) * 256 + x[i] + 128];
  return y;
}

/**
 * log2(S / 2^16) in fixed point with 16 fraction bits, for 2^16 <= S < 2^32 (NUMERICS §22): b = floor(log2 S),
 * m = floor(S * 2^16 / 2^b) in [2^16, 2^17), then 16 times: m = floor(m^2 / 2^16), and if m >= 2^17 the next
 * fraction bit is 1 and m = floor(m / 2). Result (b - 16) * 2^16 + fraction.
 */
export function log2Fixed(sum: number): number {
  let b = 0;
  while (POW2[b + 1] <= sum) b++;
  let m = Math.floor((sum * 65536) / POW2[b]);
  let frac = 0;
  for (let k = 1; k <= 16; k++) {
    m = Math.floor((m * m) / 65536);
    if (m >= 131072) {
      m = Math.floor(m / 2);
      frac += POW2[16 - k];
    }
  }
  return (b - 16) * 65536 + frac;
}

/**
 * LogSoftmax along the middle axis of [outer, n, inner]: mx = max x, S = sum E[x_j - mx + 255] (E = `bias`, as
 * Softmax's table), L = log2Fixed(S), y = sat8(zOut + roundShift((x_i - mx) * MA * 2^16 - L * MB, 1, s + 16)).
 */
export function logSoftmax(layer: Layer, x: Int8Array): Int8Array {
  const a = layer.attrs;
  const outer = a.outer as number;
  const n = a.axisSize as number;
  const inner = a.inner as number;
  const zOut = a.zOut as number;
  const table = layer.bias!;
  const [ma, mb] = layer.multiplier!;
  const s = layer.shift![0];
  const y = new Int8Array(x.length);
  for (let o = 0; o < outer; o++) {
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      let mx = -128;
      for (let i = 0; i < n; i++) if (x[base + i * inner] > mx) mx = x[base + i * inner];
      let sum = 0;
      for (let i = 0; i < n; i++) sum += table[x[base + i * inner] - mx + 255];
      const lm = log2Fixed(sum) * mb;
      for (let i = 0; i < n; i++) {
        const t = (x[base + i * inner] - mx) * ma * 65536 - lm;
        let v = zOut + Math.floor((t + POW2[s + 15]) * INV_POW2[s + 16]);
        v = v < -128 ? -128 : v > 127 ? 127 : v;
        y[base + i * inner] = v;
      }
    }
  }
  return y;
}
