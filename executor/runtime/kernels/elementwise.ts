/** Add / Sub / Mul with ONNX broadcasting, Relu, lookup tables and the per-channel affine: docs/NUMERICS.md §9-11. */
import type { Layer } from "../types";
import { INV_POW2, POW2, clamp, requantOf, roundShift } from "./requant";

/** Row-major strides of `dims`, with stride 0 on every axis of size 1 where the output is larger (broadcast). */
function broadcastStrides(dims: readonly number[], out: readonly number[]): number[] {
  const strides = new Array<number>(dims.length).fill(0);
  let s = 1;
  for (let d = dims.length - 1; d >= 0; d--) {
    strides[d] = dims[d] === 1 && out[d] !== 1 ? 0 : s;
    s *= dims[d];
  }
  return strides;
}

/**
 * Add / Sub: y = clamp(zOut + roundShift((a - zA) * Ma ± (b - zB) * Mb, 1, s))
 * Mul:       y = clamp(zOut + roundShift((a - zA) * (b - zB) * M, 1, s))
 * where roundShift(t, 1, s) = floor((t + 2^(s-1)) / 2^s) and a, b are read with ONNX multidirectional
 * broadcasting (aShape / bShape are left-padded with 1s to the output rank).
 * With one dynamic input, the constant operand is `weights` (zero point zA or zB as given) on side constSide.
 */
export function binary(layer: Layer, x0: Int8Array, x1: Int8Array | undefined): Int8Array {
  const at = layer.attrs;
  const out = layer.outShape;
  const aShape = at.aShape as number[];
  const bShape = at.bShape as number[];
  let a: Int8Array;
  let b: Int8Array;
  if (x1 !== undefined) {
    a = x0;
    b = x1;
  } else if ((at.constSide as number) === 0) {
    a = layer.weights!;
    b = x0;
  } else {
    a = x0;
    b = layer.weights!;
  }
  const zA = at.zA as number;
  const zB = at.zB as number;
  const zOut = at.zOut as number;
  const s = layer.shift![0];
  const half = POW2[s - 1];
  const inv = INV_POW2[s];
  const mA = layer.multiplier![0];
  const mB = layer.op === "Mul" ? 0 : layer.multiplier![1];
  const mode = layer.op === "Add" ? 0 : layer.op === "Sub" ? 1 : 2;
  const rank = out.length;
  const as = broadcastStrides(aShape, out);
  const bs = broadcastStrides(bShape, out);
  let total = 1;
  for (const d of out) total *= d;
  const y = new Int8Array(total);
  const last = rank - 1;
  const inner = rank > 0 ? out[last] : 1; // a scalar is one row of one
  const sa = rank > 0 ? as[last] : 0;
  const sb = rank > 0 ? bs[last] : 0;
  const idx = new Int32Array(rank);
  let ia = 0;
  let ib = 0;
  for (let i = 0; i < total; i += inner) {
    // one row along the last axis, then an odometer increment over the other axes
    for (let j = 0; j < inner; j++) {
      const va = a[ia + j * sa] - zA;
      const vb = b[ib + j * sb] - zB;
      const t = mode === 0 ? va * mA + vb * mB : mode === 1 ? va * mA - vb * mB : va * vb * mA;
      const v = zOut + Math.floor((t + half) * inv);
      y[i + j] = v < -128 ? -128 : v > 127 ? 127 : v;
    }
    for (let d = last - 1; d >= 0; d--) {
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

/** y = max(x, zIn): Relu with output quantization = input quantization. */
export function relu(layer: Layer, x: Int8Array): Int8Array {
  const z = layer.attrs.zIn as number;
  const y = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = x[i] > z ? x[i] : z;
  return y;
}

/** y = lut[x + 128]. */
export function lut(layer: Layer, x: Int8Array): Int8Array {
  const t = layer.lut!;
  const y = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) y[i] = t[x[i] + 128];
  return y;
}

/**
 * Per-channel affine (a BatchNormalization that could not be folded): channel ch = floor(i / inner) mod channels,
 * y = clamp(zOut + roundShift(bias[ch] + w[ch] * (x - zIn), M[ch], s[ch]), clampMin, clampMax).
 */
export function affine(layer: Layer, x: Int8Array): Int8Array {
  const a = layer.attrs;
  const channels = a.channels as number;
  const inner = a.inner as number;
  const { zIn, zOut, lo, hi, bias, mult, shift, perChannel } = requantOf(layer);
  const w = layer.weights!;
  const y = new Int8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const ch = Math.floor(i / inner) % channels;
    const c = perChannel ? ch : 0;
    const acc = bias[ch] + w[ch] * (x[i] - zIn);
    const s = shift[c];
    let v = zOut + Math.floor((acc * mult[c] + POW2[s - 1]) * INV_POW2[s]);
    v = v < lo ? lo : v > hi ? hi : v;
    y[i] = v;
  }
  return y;
}

/**
 * Where with a constant condition (NUMERICS §26.7), all elements at once: y = X's requantized value where the
 * condition (the weights, broadcast) is nonzero, else Y's; a constant side gives `value`. Each side's requantization
 * clamp(zOut + roundShift(v - zIn, M, s), -128, 127) depends on the int8 value v alone, so it is tabulated once.
 */
export function where(layer: Layer, inputs: readonly Int8Array[]): Int8Array {
  const at = layer.attrs;
  const out = layer.outShape;
  const zIn = at.zIn as number[];
  const xConst = at.xConst as number;
  const sideInput = [xConst === 1 ? -1 : 0, (at.yConst as number) === 1 ? -1 : 1 - xConst];
  const tables = [0, 1].map((side) => {
    const t = new Int8Array(256);
    if (sideInput[side] < 0) t.fill(at.value as number);
    else
      for (let v = -128; v < 128; v++)
        t[v + 128] = clamp(
          (at.zOut as number) + roundShift(v - zIn[side], layer.multiplier![side], layer.shift![side]),
          -128,
          127,
        );
    return t;
  });
  const empty = new Int8Array(1);
  const [xs, ys] = sideInput.map((k) => (k < 0 ? empty : inputs[k]));
  const [tx, ty] = tables;
  const cond = layer.weights!;
  const strides = ["cShape", "xShape", "yShape"].map((s) => broadcastStrides(at[s] as number[], out));
  const [cs, xst, yst] = strides;
  const rank = out.length;
  let total = 1;
  for (const d of out) total *= d;
  const y = new Int8Array(total);
  const last = rank - 1;
  const inner = rank > 0 ? out[last] : 1; // a scalar is one row of one
  const [c1, x1, y1] = rank > 0 ? [cs[last], xst[last], yst[last]] : [0, 0, 0];
  const idx = new Int32Array(rank);
  let ic = 0;
  let ix = 0;
  let iy = 0;
  for (let i = 0; i < total; i += inner) {
    for (let j = 0; j < inner; j++)
      y[i + j] = cond[ic + j * c1] !== 0 ? tx[xs[ix + j * x1] + 128] : ty[ys[iy + j * y1] + 128];
    for (let d = last - 1; d >= 0; d--) {
      idx[d]++;
      ic += cs[d];
      ix += xst[d];
      iy += yst[d];
      if (idx[d] < out[d]) break;
      ic -= cs[d] * out[d];
      ix -= xst[d] * out[d];
      iy -= yst[d] * out[d];
      idx[d] = 0;
    }
  }
  return y;
}
