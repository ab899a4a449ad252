/**
 * Data movement as index maps (docs/NUMERICS.md §26): output element i is one byte of one input tensor, found by a
 * small per-op index function, or a committed constant (Pad). The same functions give the runtime's kernel (`gather`
 * over all elements) and each op's `reads` (one element), so the two cannot disagree; the Solidity kernels
 * (contracts/verifier/kernels/MovementKernel.sol) compute the same index.
 */
import type { Layer } from "../types";

/** Where output element i comes from: byte `index` of input `input`, or (input -1) the constant `index`. */
export interface Source {
  input: number;
  index: number;
}

/** The index function of one layer: output element -> its source. */
export type IndexMap = (i: number) => Source;

function size(dims: readonly number[], from = 0, to = dims.length): number {
  let n = 1;
  for (let d = from; d < to; d++) n *= dims[d];
  return n;
}

/** Row-major strides of `dims`. */
function strides(dims: readonly number[]): number[] {
  const st = new Array<number>(dims.length);
  let s = 1;
  for (let d = dims.length - 1; d >= 0; d--) {
    st[d] = s;
    s *= dims[d];
  }
  return st;
}

/** Slice: input coordinate j_d = starts_d + steps_d * o_d (steps may be negative). */
export function sliceMap(layer: Layer, inShape: readonly number[]): IndexMap {
  const out = layer.outShape;
  const starts = layer.attrs.starts as number[];
  const steps = layer.attrs.steps as number[];
  const st = strides(inShape);
  return (i) => {
    let rem = i;
    let j = 0;
    for (let d = out.length - 1; d >= 0; d--) {
      const o = rem % out[d];
      rem = (rem - o) / out[d];
      j += (starts[d] + steps[d] * o) * st[d];
    }
    return { input: 0, index: j };
  };
}

/** The input coordinate of padded coordinate j along an axis of n (NUMERICS §26.2), or -1 for the constant. */
export function padCoord(j: number, n: number, mode: number): number {
  if (j >= 0 && j < n) return j;
  if (mode === 0) return -1; // constant
  if (mode === 1) return j < 0 ? -j : 2 * (n - 1) - j; // reflect (pads < n)
  if (mode === 2) return j < 0 ? 0 : n - 1; // edge
  return ((j % n) + n) % n; // wrap
}

/** Pad: j_d = o_d - pads_d (the begins), mapped by the mode; the constant `value` outside (constant mode). */
export function padMap(layer: Layer, inShape: readonly number[]): IndexMap {
  const out = layer.outShape;
  const pads = layer.attrs.pads as number[];
  const mode = layer.attrs.mode as number;
  const value = layer.attrs.value as number;
  const st = strides(inShape);
  return (i) => {
    let rem = i;
    let j = 0;
    for (let d = out.length - 1; d >= 0; d--) {
      const o = rem % out[d];
      rem = (rem - o) / out[d];
      const c = padCoord(o - pads[d], inShape[d], mode);
      if (c < 0) return { input: -1, index: value };
      j += c * st[d];
    }
    return { input: 0, index: j };
  };
}

/** Tile (and Expand): the input shape left-padded with 1s to the output rank; j_d = o_d mod in_d. */
export function tileMap(layer: Layer, inShape: readonly number[]): IndexMap {
  const out = layer.outShape;
  const lead = out.length - inShape.length;
  const st = strides(inShape);
  return (i) => {
    let rem = i;
    let j = 0;
    for (let d = out.length - 1; d >= lead; d--) {
      const o = rem % out[d];
      rem = (rem - o) / out[d];
      j += (o % inShape[d - lead]) * st[d - lead];
    }
    return { input: 0, index: j };
  };
}

/** Concat along `axis`: the input whose range along the axis holds the output coordinate. */
export function concatMap(layer: Layer, inShapes: readonly (readonly number[])[]): IndexMap {
  const out = layer.outShape;
  const axis = layer.attrs.axis as number;
  const inner = size(out, axis + 1);
  const n = out[axis];
  return (i) => {
    const r = i % inner;
    const t = (i - r) / inner;
    let a = t % n;
    const outer = (t - a) / n;
    let k = 0;
    while (a >= inShapes[k][axis]) a -= inShapes[k++][axis];
    return { input: k, index: (outer * inShapes[k][axis] + a) * inner + r };
  };
}

/** Gather with constant indices along `axis`: output [pre, indices..., post] reads input [pre, indices[k], post]. */
export function gatherMap(layer: Layer, inShape: readonly number[]): IndexMap {
  const axis = layer.attrs.axis as number;
  const indices = layer.attrs.indices as number[];
  const inner = size(inShape, axis + 1);
  const m = indices.length;
  const n = inShape[axis];
  return (i) => {
    const r = i % inner;
    const t = (i - r) / inner;
    const k = t % m;
    const outer = (t - k) / m;
    return { input: 0, index: (outer * n + indices[k]) * inner + r };
  };
}

/** Runs an index map over every output element; `consts` are never read (inputs[-1] is the constant itself). */
export function gather(map: IndexMap, inputs: readonly Int8Array[], outSize: number): Int8Array {
  const y = new Int8Array(outSize);
  for (let i = 0; i < outSize; i++) {
    const s = map(i);
    y[i] = s.input < 0 ? s.index : inputs[s.input][s.index];
  }
  return y;
}

/** floor-mod: the table row of index value v in a table of n rows (ONNX's negative indices count from the end). */
export function floorMod(v: number, n: number): number {
  return ((v % n) + n) % n;
}

/**
 * Embedding: y[p, j] = table[idx(p), j] with idx(p) = floorMod(x[p] - zIndex, vocab); the table is stored column
 * by column (weights row j holds table[:, j], `vocab` bytes), so that the weight row an element needs depends on
 * the element alone.
 */
export function embedding(layer: Layer, x: Int8Array): Int8Array {
  const vocab = layer.attrs.vocab as number;
  const inner = layer.attrs.inner as number;
  const z = layer.attrs.zIndex as number;
  const w = layer.weights!;
  const y = new Int8Array(x.length * inner);
  for (let p = 0; p < x.length; p++) {
    const idx = floorMod(x[p] - z, vocab);
    for (let j = 0; j < inner; j++) y[p * inner + j] = w[j * vocab + idx];
  }
  return y;
}

/** The index into a tensor of `shape` (padded to the output's rank, each dim 1 or the output's) that output i reads. */
export function broadcastIndex(out: readonly number[], shape: readonly number[], i: number): number {
  let rem = i;
  let j = 0;
  let stride = 1;
  for (let d = out.length - 1; d >= 0; d--) {
    const o = rem % out[d];
    rem = (rem - o) / out[d];
    if (shape[d] !== 1) j += o * stride;
    stride *= shape[d];
  }
  return j;
}

/**
 * Where with a constant condition: which side output element i takes (0 = X where the condition is nonzero, 1 = Y),
 * and the condition's weight row and column (the condition is stored as rows of its last dim).
 */
export function whereCondition(layer: Layer, i: number): { side: number; row: number; col: number } {
  const cShape = layer.attrs.cShape as number[];
  const last = cShape[cShape.length - 1];
  const ci = broadcastIndex(layer.outShape, cShape, i);
  const row = Math.floor(ci / last);
  const col = ci - row * last;
  return { side: layer.weights![ci] !== 0 ? 0 : 1, row, col };
}
