/** Gemm (also MatMul with a constant right operand, and fused Relu/Clip): docs/NUMERICS.md §5. */
import type { Layer } from "../types";
import { dotJob8, fitsInt32, groupsOf } from "./dot-wasm";
import { INV_POW2, POW2, requantOf } from "./requant";

/** sum_j w[o, j] * (x[r, j] - zIn) for every row and output in WebAssembly SIMD, or null (see dot-wasm.ts). */
function dotSums(w: Int8Array, x: Int8Array, zIn: number, rows: number, k: number, n: number): Int32Array | null {
  if (!fitsInt32(k, 128 * 255)) return null;
  const job = dotJob8(rows, n, k);
  if (job === null) return null;
  const g = groupsOf(k) * 8;
  const { x: xs, w: ws } = job;
  if (g !== k) {
    xs.fill(0);
    ws.fill(0);
    for (let o = 0; o < n; o++) ws.set(w.subarray(o * k, o * k + k), o * g);
  } else ws.set(w);
  for (let r = 0; r < rows; r++) for (let j = 0; j < k; j++) xs[r * g + j] = x[r * k + j] - zIn;
  job.run();
  return job.acc;
}

/**
 * y[r, o] = clamp(zOut + roundShift(bias[o] + sum_j w[o, j] * (x[r, j] - zIn), M[o], s[o]), clampMin, clampMax)
 * for every row r of the input viewed as [rows, k]; j ascends from 0 (the order is irrelevant: sums are exact).
 */
export function gemm(layer: Layer, x: Int8Array): Int8Array {
  const a = layer.attrs;
  const k = a.k as number;
  const n = a.n as number;
  const { zIn, zOut, lo, hi, bias, mult, shift, perChannel } = requantOf(layer);
  const w = layer.weights!;
  const rows = x.length / k;
  const y = new Int8Array(rows * n);
  const xs = new Int32Array(k);
  // per-channel requantization constants, hoisted: q = zOut + floor((acc * M + 2^(s-1)) * 2^-s)
  const mo = new Float64Array(n);
  const half = new Float64Array(n);
  const inv = new Float64Array(n);
  for (let o = 0; o < n; o++) {
    const c = perChannel ? o : 0;
    mo[o] = mult[c];
    half[o] = POW2[shift[c] - 1];
    inv[o] = INV_POW2[shift[c]];
  }
  const requant = (v: number, o: number): number => {
    const q = zOut + Math.floor((v * mo[o] + half[o]) * inv[o]);
    return q < lo ? lo : q > hi ? hi : q;
  };
  const sums = dotSums(w, x, zIn, rows, k, n);
  if (sums !== null) {
    for (let r = 0; r < rows; r++) for (let o = 0; o < n; o++) y[r * n + o] = requant(bias[o] + sums[r * n + o], o);
    return y;
  }
  const nzIdx = new Int32Array(k);
  const nzVal = new Int32Array(k);
  for (let r = 0; r < rows; r++) {
    const xo = r * k;
    let nnz = 0;
    for (let j = 0; j < k; j++) {
      const v = x[xo + j] - zIn;
      xs[j] = v;
      if (v !== 0) {
        nzIdx[nnz] = j;
        nzVal[nnz++] = v;
      }
    }
    if (nnz * 2 < k) {
      // Sparse input (e.g. after Relu, or image background): skip the zero terms, which add nothing.
      for (let o = 0; o < n; o++) {
        const wo = o * k;
        let a0 = bias[o];
        for (let t = 0; t < nnz; t++) a0 += w[wo + nzIdx[t]] * nzVal[t];
        y[r * n + o] = requant(a0, o);
      }
      continue;
    }
    // Four output channels at a time share each input load. Sums are exact integers (|acc| < 2^37 by
    // validation), so the order of the sum is free.
    let o = 0;
    for (; o + 3 < n; o += 4) {
      const w0 = o * k;
      const w1 = w0 + k;
      const w2 = w1 + k;
      const w3 = w2 + k;
      let a0 = bias[o];
      let a1 = bias[o + 1];
      let a2 = bias[o + 2];
      let a3 = bias[o + 3];
      for (let j = 0; j < k; j++) {
        const xv = xs[j];
        a0 += w[w0 + j] * xv;
        a1 += w[w1 + j] * xv;
        a2 += w[w2 + j] * xv;
        a3 += w[w3 + j] * xv;
      }
      const yo = r * n + o;
      y[yo] = requant(a0, o);
      y[yo + 1] = requant(a1, o + 1);
      y[yo + 2] = requant(a2, o + 2);
      y[yo + 3] = requant(a3, o + 3);
    }
    for (; o < n; o++) {
      const wo = o * k;
      let a0 = bias[o];
      for (let j = 0; j < k; j++) a0 += w[wo + j] * xs[j];
      y[r * n + o] = requant(a0, o);
    }
  }
  return y;
}
