/** MatMul of two int8 operands with batch broadcasting: docs/NUMERICS.md §23. */
import type { Layer } from "../types";
import { dotJob16, fitsInt32, groupsOf } from "./dot-wasm";
import { INV_POW2, POW2 } from "./requant";

/** The geometry of a MatMul layer: operand shapes padded to one rank R >= 2, the broadcast batch, M, K, N. */
export function matmulGeometry(layer: Layer): {
  a: number[];
  b: number[];
  batch: number[];
  m: number;
  k: number;
  n: number;
} {
  const a = layer.attrs.aShape as number[];
  const b = layer.attrs.bShape as number[];
  const r = a.length;
  const batch: number[] = [];
  for (let d = 0; d < r - 2; d++) batch.push(Math.max(a[d], b[d]));
  return { a, b, batch, m: a[r - 2], k: a[r - 1], n: b[r - 1] };
}

/**
 * The offsets of output batch `t` (row-major over `batch`) in A and B: a broadcast axis (size 1) stays at 0.
 * A's batches are M*K bytes apart, B's K*N.
 */
export function batchOffsets(g: ReturnType<typeof matmulGeometry>, t: number): [number, number] {
  let oa = 0;
  let ob = 0;
  let sa = g.m * g.k;
  let sb = g.k * g.n;
  for (let d = g.batch.length - 1; d >= 0; d--) {
    const idx = t % g.batch[d];
    t = Math.floor(t / g.batch[d]);
    if (g.a[d] !== 1) oa += idx * sa;
    if (g.b[d] !== 1) ob += idx * sb;
    sa *= g.a[d];
    sb *= g.b[d];
  }
  return [oa, ob];
}

/**
 * y[t, i, j] = clamp(zOut + roundShift(sum_k (A[t, i, k] - zA) * (B[t, k, j] - zB), M, s), -128, 127), the batch
 * index t broadcast into each operand. A constant operand (side `constSide`) is the layer's weights.
 */
export function matmul(layer: Layer, x0: Int8Array, x1: Int8Array | undefined): Int8Array {
  const geo = matmulGeometry(layer);
  const at = layer.attrs;
  const side = at.constSide;
  const [A, B] = side === 0 ? [layer.weights!, x0] : side === 1 ? [x0, layer.weights!] : [x0, x1!];
  const zA = at.zA as number;
  const zB = at.zB as number;
  const zOut = at.zOut as number;
  const mo = layer.multiplier![0];
  const s = layer.shift![0];
  const half = POW2[s - 1];
  const inv = INV_POW2[s];
  const { m, k, n } = geo;
  let batches = 1;
  for (const d of geo.batch) batches *= d;
  const y = new Int8Array(batches * m * n);
  const job = fitsInt32(k, 255 * 255) ? dotJob16(m, n, k) : null;
  if (job !== null) {
    // WebAssembly SIMD (dot-wasm.ts): A's rows and B's columns as int16 rows, exact int32 sums
    const g = groupsOf(k) * 8;
    const { x: xs, w: ws, acc } = job;
    if (g !== k) {
      xs.fill(0);
      ws.fill(0);
    }
    for (let t = 0; t < batches; t++) {
      const [oa, ob] = batchOffsets(geo, t);
      for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) ws[j * g + kk] = B[ob + kk * n + j] - zB;
      for (let i = 0; i < m; i++) for (let kk = 0; kk < k; kk++) xs[i * g + kk] = A[oa + i * k + kk] - zA;
      job.run();
      for (let i = 0; i < m * n; i++) {
        const v = zOut + Math.floor((acc[i] * mo + half) * inv);
        y[t * m * n + i] = v < -128 ? -128 : v > 127 ? 127 : v;
      }
    }
    return y;
  }
  const bt = new Float64Array(k * n); // one batch of B - zB, transposed: bt[j*K + kk]
  const ar = new Float64Array(k);
  // Sums are exact integers (|acc| < 2^37 by validation): the order is free.
  for (let t = 0; t < batches; t++) {
    const [oa, ob] = batchOffsets(geo, t);
    for (let kk = 0; kk < k; kk++) for (let j = 0; j < n; j++) bt[j * k + kk] = B[ob + kk * n + j] - zB;
    for (let i = 0; i < m; i++) {
      const ra = oa + i * k;
      for (let kk = 0; kk < k; kk++) ar[kk] = A[ra + kk] - zA;
      const yr = (t * m + i) * n;
      for (let j = 0; j < n; j++) {
        let acc = 0;
        const bj = j * k;
        for (let kk = 0; kk < k; kk++) acc += ar[kk] * bt[bj + kk];
        const v = zOut + Math.floor((acc * mo + half) * inv);
        y[yr + j] = v < -128 ? -128 : v > 127 ? 127 : v;
      }
    }
  }
  return y;
}
