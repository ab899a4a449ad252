/**
 * ReduceSum and ReduceMean (program op ReduceSum, the mean's 1/n folded into the multiplier) and ReduceMax (program
 * op ReduceMax), over the axes of a constant `axes` input (NUMERICS §18). The reduced axes of size > 1 must be
 * adjacent, so the input is viewed as [outer, n, inner] and the output as [outer, inner] (keepdims only changes the
 * shape, not the bytes).
 */
import { InvalidModelError } from "../errors";
import { type GraphNode, attrInt, sizeOf } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import { quantizeMultiplier, unsupported } from "../quant/params";
import { reduceMax as maxKernel, reduceSum as sumKernel } from "../runtime/kernels/reduce";
import { num, runPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import type { LayerCheck } from "./check";
import { type FloatContext, type LoweringContext, type NodeRule, defineOperator } from "./definition";

type Kind = "ReduceSum" | "ReduceMean" | "ReduceMax";

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

function lowerReduce(kind: Kind, ctx: LoweringContext, node: GraphNode): void {
  const x = ctx.input(node, 0);
  const axesT = node.inputs[1] ? ctx.constant(node.inputs[1]) : undefined;
  if (node.inputs[1] && !axesT) unsupported(node, "a computed 'axes' input (it must be a constant)");
  const axes = axesOf(node, x.dims.length, axesT?.data);
  if (axes === null) {
    ctx.alias(node.outputs[0], x);
    return;
  }
  const [outer, n, inner] = reduceGeometry(node, x.dims, axes);
  if (kind === "ReduceMax") {
    ctx.emit(node.outputs[0], x.q, { op: "ReduceMax", inputs: [x.id], attrs: { outer, axisSize: n, inner } });
    return;
  }
  const q = ctx.qparams(node.outputs[0]);
  const [m, s] = quantizeMultiplier(x.q.scale / (kind === "ReduceMean" ? n : 1) / q.scale);
  ctx.emit(node.outputs[0], q, {
    op: "ReduceSum",
    inputs: [x.id],
    attrs: { outer, axisSize: n, inner, zIn: x.q.zeroPoint, zOut: q.zeroPoint },
    multiplier: Int32Array.of(m),
    shift: Int32Array.of(s),
  });
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
