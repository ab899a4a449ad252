/**
 * ReduceSum and ReduceMean (program op ReduceSum, the mean's 1/n folded into the multiplier) and ReduceMax (program
 * op ReduceMax), over the axes of a constant `axes` input (NUMERICS §18). The reduced axes of size > 1 must be
 * adjacent, so the input is viewed as [outer, n, inner] and the output as [outer, inner] (keepdims only changes the
 * shape, not the bytes).
 */
import { InvalidModelError } from "../errors";
import { type GraphNode, attrInt, sizeOf } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import { quantizeMultiplier, rangeToQParams, unsupported } from "../quant/params";
import { reduceMax as maxKernel, reduceSum as sumKernel } from "../runtime/kernels/reduce";
import { num, runPattern } from "../runtime/read-pattern";
import { type QParams, MAX_DIM } from "../runtime/types";
import type { LayerCheck } from "./check";
import { type FloatContext, type LoweringContext, type NodeRule, type QuantTensor, defineOperator } from "./definition";

export type ReduceKind = "ReduceSum" | "ReduceMean" | "ReduceMax";
type Kind = ReduceKind;

/** The reduced axes (sorted, unique, non-negative), or null for "none" (empty axes with noop_with_empty_axes). */
function axesOf(node: GraphNode, rank: number, axes: ArrayLike<number> | undefined): number[] | null {
  const list = axes ? Array.from(axes, Number) : [];
  if (list.length === 0) {
    if (attrInt(node, "noop_with_empty_axes", 0) !== 0) return null;
    return Array.from({ length: rank }, (_, d) => d);
  }
  const out = new Set<number>();
  for (const a of list) {
    const d = a < 0 ? a + rank : a;
    if (!Number.isInteger(d) || d < 0 || d >= rank)
      throw new InvalidModelError(`node '${node.name}' (${node.opType}): axis ${a} is out of range for rank ${rank}`);
    out.add(d);
  }
  return [...out].sort((p, q) => p - q);
}

function outDims(node: GraphNode, dims: readonly number[], axes: number[]): number[] {
  const keep = attrInt(node, "keepdims", 1) !== 0;
  const out: number[] = [];
  dims.forEach((d, k) => {
    if (!axes.includes(k)) out.push(d);
    else if (keep) out.push(1);
  });
  return out;
}

/** ONNX ReduceSum / ReduceMean / ReduceMax in float, over any axes. */
function reduceF(kind: Kind, ctx: FloatContext, node: GraphNode): FTensor {
  const x = ctx.input(node, 0);
  const axes = axesOf(node, x.dims.length, ctx.optional(node, 1)?.data);
  if (axes === null) return x;
  const dims = x.dims;
  const rank = dims.length;
  const outStrides = new Array<number>(rank).fill(0);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    if (!axes.includes(d)) {
      outStrides[d] = s;
      s *= dims[d];
    }
  }
  const size = s;
  const acc = new Float64Array(size).fill(kind === "ReduceMax" ? -Infinity : 0);
  const idx = new Array<number>(rank).fill(0);
  for (let i = 0; i < x.data.length; i++) {
    let o = 0;
    for (let d = 0; d < rank; d++) o += idx[d] * outStrides[d];
    const v = x.data[i];
    acc[o] = kind === "ReduceMax" ? Math.max(acc[o], v) : acc[o] + v;
    for (let d = rank - 1; d >= 0; d--) {
      if (++idx[d] < dims[d]) break;
      idx[d] = 0;
    }
  }
  const n = x.data.length / Math.max(size, 1);
  const data = Float32Array.from(acc, (v) => (kind === "ReduceMean" ? v / n : v));
  return { dims: outDims(node, dims, axes), data };
}

/** [outer, n, inner] of a reduction whose reduced axes of size > 1 are adjacent, else UnsupportedOperatorError. */
export function reduceGeometry(node: GraphNode, dims: readonly number[], axes: number[]): [number, number, number] {
  const big = axes.filter((d) => dims[d] > 1);
  if (big.length === 0) return [sizeOf(dims), 1, 1];
  const first = big[0];
  const last = big[big.length - 1];
  for (let d = first; d <= last; d++) {
    if (dims[d] > 1 && !axes.includes(d))
      unsupported(
        node,
        `reduced axes [${axes.join(", ")}] that are not adjacent (axis ${d} of size ${dims[d]} lies between)`,
      );
  }
  return [sizeOf(dims.slice(0, first)), sizeOf(dims.slice(first, last + 1)), sizeOf(dims.slice(last + 1))];
}

/**
 * The most values one reduction step reads: a longer axis is split at quantization into steps over parts of it
 * (NUMERICS §18.1), so that every step stays provable. A ReduceSum over a contiguous axis (inner 1) checks the run
 * once and reads it unchecked (Reduce family, legal up to about 39,000), a ReduceMax reads each value through
 * `KernelIO.at` (legal up to about 5,400), strided axes a value per chunk (legal up to about 2,100): all with margin
 * for a deeper state.
 */
export const REDUCE_STEP_MAX = { contiguous: 16_384, contiguousMax: 5_120, strided: 1_024 } as const;

/** The largest divisor of n that is at most `max` (1 when none larger exists). */
function partOf(n: number, max: number): number {
  for (let p = Math.min(n, max); p > 1; p--) if (n % p === 0) return p;
  return 1;
}

/**
 * The quantization of partial means that leave `g` of them to average: the output's range `out` as a mean (a sum's
 * divided by n), widened by 2 sqrt(g) (independent values: a partial mean spreads sqrt(g) times as far as the whole
 * mean), within the input's range (a mean never leaves it).
 */
function partialMeanQ(kind: Kind, out: QParams, qIn: QParams, n: number, g: number): QParams {
  const asMean = kind === "ReduceSum" ? 1 / n : 1;
  const widen = 2 * Math.sqrt(g);
  const lo = out.scale * (-128 - out.zeroPoint) * asMean * widen;
  const hi = out.scale * (127 - out.zeroPoint) * asMean * widen;
  const inLo = qIn.scale * (-128 - qIn.zeroPoint);
  const inHi = qIn.scale * (127 - qIn.zeroPoint);
  return rangeToQParams(Math.max(lo, inLo), Math.min(hi, inHi));
}

/**
 * Emits the partial steps of a reduction over an axis of n longer than one step may read: each step reduces parts
 * of p values (the largest divisor of n within the limit) into an intermediate tensor [outer, n / p, inner] named
 * `name#partK`, the partial maxima or partial means in the input's quantization. Returns the last intermediate and
 * the number of values each of its entries stands for.
 */
function splitReduce(
  kind: Kind,
  ctx: LoweringContext,
  node: GraphNode,
  x: QuantTensor,
  [outer, n, inner]: [number, number, number],
  name: string,
  out: QParams,
): { x: QuantTensor; n: number; per: number } {
  const max =
    inner !== 1
      ? REDUCE_STEP_MAX.strided
      : kind === "ReduceMax"
        ? REDUCE_STEP_MAX.contiguousMax
        : REDUCE_STEP_MAX.contiguous;
  const total = n;
  let cur = x;
  let per = 1;
  let part = 0;
  while (n > max) {
    const p = partOf(n, max);
    if (p === 1)
      unsupported(node, `a reduced axis of ${n} values that cannot be split into steps of at most ${max} (no divisor)`);
    const g = n / p;
    const partName = `${name}#part${part++}`;
    const dims = [outer, g, inner];
    const attrs: Record<string, number> = { outer: outer * g, axisSize: p, inner };
    if (kind === "ReduceMax") ctx.emit(partName, x.q, { op: "ReduceMax", inputs: [cur.id], attrs }, dims);
    else {
      const mid = partialMeanQ(kind, out, x.q, total, total / (per * p));
      const [m, s] = quantizeMultiplier(cur.q.scale / p / mid.scale);
      ctx.emit(
        partName,
        mid,
        {
          op: "ReduceSum",
          inputs: [cur.id],
          attrs: { ...attrs, zIn: cur.q.zeroPoint, zOut: mid.zeroPoint },
          multiplier: Int32Array.of(m),
          shift: Int32Array.of(s),
        },
        dims,
      );
    }
    cur = ctx.input({ ...node, inputs: [partName] }, 0);
    per *= p;
    n = g;
  }
  return { x: cur, n, per };
}

/**
 * Emits the reduction of x viewed as [outer, n, inner] into tensor `name` (dims `dims`, else the calibrated ones),
 * quantized with `q` (a ReduceMax keeps the input's), in as many provable steps as the axis needs (§18.1).
 */
export function emitReduction(
  kind: Kind,
  ctx: LoweringContext,
  node: GraphNode,
  x: QuantTensor,
  geometry: [number, number, number],
  name: string,
  q: QParams,
  dims?: readonly number[],
): void {
  const [outer, , inner] = geometry;
  const { x: last, n, per } = splitReduce(kind, ctx, node, x, geometry, name, q);
  if (kind === "ReduceMax") {
    ctx.emit(name, x.q, { op: "ReduceMax", inputs: [last.id], attrs: { outer, axisSize: n, inner } }, dims);
    return;
  }
  // each of the n values stands for `per` inputs (a partial mean): the sum is per * their sum, the mean their mean
  const [m, s] = quantizeMultiplier((last.q.scale * (kind === "ReduceMean" ? 1 / n : per)) / q.scale);
  ctx.emit(
    name,
    q,
    {
      op: "ReduceSum",
      inputs: [last.id],
      attrs: { outer, axisSize: n, inner, zIn: last.q.zeroPoint, zOut: q.zeroPoint },
      multiplier: Int32Array.of(m),
      shift: Int32Array.of(s),
    },
    dims,
  );
}

function lowerReduce(kind: Kind, ctx: LoweringContext, node: GraphNode): void {
  const x = ctx.input(node, 0);
  const axesT = node.inputs[1] ? ctx.constant(node.inputs[1]) : undefined;
  if (node.inputs[1] && !axesT) unsupported(node, "a computed 'axes' input (it must be a constant)");
  const axes = axesOf(node, x.dims.length, axesT?.data);
  if (axes === null) {
    ctx.alias(node.outputs[0], x);
    return;
  }
  const out = node.outputs[0];
  const q = kind === "ReduceMax" ? x.q : ctx.qparams(out);
  emitReduction(kind, ctx, node, x, reduceGeometry(node, x.dims, axes), out, q);
}

function rule(kind: Kind): NodeRule {
  return { float: (ctx, node) => reduceF(kind, ctx, node), lower: (ctx, node) => lowerReduce(kind, ctx, node) };
}

/** The axis geometry both ops share: outer * n * inner = the input, outer * inner = the output. */
function checkAxis(c: LayerCheck): number {
  const outer = c.scalar("outer", 1, MAX_DIM);
  const n = c.scalar("axisSize", 1, MAX_DIM);
  const inner = c.scalar("inner", 1, MAX_DIM);
  if (outer * n * inner !== c.inSize || outer * inner !== c.outSize) c.fail("shapes");
  c.work(c.inSize);
  return n;
}

/**
 * Where the element reads: the n bytes of its axis, `inner` apart, each read once (the Softmax pattern); ReduceSum
 * over a contiguous axis (inner 1) checks the run once and reads it unchecked (ReduceKernel), the Reduce family.
 */
function axisPattern(contiguousFamily: "Reduce" | "Softmax") {
  return (layer: { attrs: Record<string, number | number[]> }) => {
    const n = num(layer.attrs.axisSize);
    const inner = num(layer.attrs.inner);
    if (inner === 1) return runPattern(contiguousFamily, n, n);
    return { ...runPattern("Softmax", n, 1), rows: n, rowStride: inner, rowChunks: 1 };
  };
}

function axisReads(layer: { attrs: Record<string, number | number[]> }, in0: number, i: number): number[] {
  const n = layer.attrs.axisSize as number;
  const inner = layer.attrs.inner as number;
  const base = in0 + Math.floor(i / inner) * n * inner + (i % inner);
  return Array.from({ length: n }, (_, j) => base + j * inner);
}

export const reduceSum = defineOperator({
  op: "ReduceSum",
  onnx: { ReduceSum: rule("ReduceSum"), ReduceMean: rule("ReduceMean") },
  maxInputs: 1,
  validate(c) {
    checkAxis(c);
    c.zeroPoint("zIn");
    c.zeroPoint("zOut");
    c.requant(1);
    c.absent("weights", "bias", "lut");
  },
  run: (layer, [x]) => sumKernel(layer, x),
  readPattern: axisPattern("Reduce"),
  reads: (layer, [in0], i) => ({ bytes: axisReads(layer, in0, i), row: null }),
});

export const reduceMax = defineOperator({
  op: "ReduceMax",
  onnx: { ReduceMax: rule("ReduceMax") },
  maxInputs: 1,
  validate(c) {
    checkAxis(c);
    c.absent("weights", "bias", "multiplier", "shift", "lut");
  },
  run: (layer, [x]) => maxKernel(layer, x),
  readPattern: axisPattern("Softmax"),
  reads: (layer, [in0], i) => ({ bytes: axisReads(layer, in0, i), row: null }),
});
