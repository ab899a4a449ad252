/**
 * Slice: y[o] = x[starts + steps * o] along every axis, steps possibly negative (NUMERICS §26.1). ONNX Slice (starts,
 * ends, axes, steps as constant inputs) and Split (one Slice layer per consumed output) lower to it.
 */
import { InvalidModelError, ShapeMismatchError } from "../errors";
import { type GraphNode, attrInt } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import { sliceMap } from "../runtime/kernels/movement";
import { MAX_DIM } from "../runtime/types";
import { type FloatContext, type LoweringContext, defineOperator } from "./definition";
import { constInts, floatGather, indexMapOp, normAxis, sameDims, shapeOnly } from "./movement";

/** A slice of a tensor of `dims`: the start and step per axis and the output dims. */
export interface SliceSpec {
  starts: number[];
  steps: number[];
  dims: number[];
}

/** ONNX Slice's clamping of start and end along an axis of `dim` (opset 13 semantics), and the output length. */
function axisSlice(start: number, end: number, step: number, dim: number): [number, number] {
  if (start < 0) start += dim;
  if (end < 0) end += dim;
  if (step > 0) {
    start = Math.min(Math.max(start, 0), dim);
    end = Math.min(Math.max(end, 0), dim);
  } else {
    start = Math.min(Math.max(start, 0), dim - 1);
    end = Math.min(Math.max(end, -1), dim - 1);
  }
  return [start, Math.max(0, Math.ceil((end - start) / step))];
}

function sliceSpec(ctx: FloatContext | LoweringContext, node: GraphNode, dims: readonly number[]): SliceSpec {
  const r = dims.length;
  const starts = constInts(ctx, node, 1, "starts");
  const ends = constInts(ctx, node, 2, "ends");
  if (!starts || !ends) throw new InvalidModelError(`node '${node.name}' (Slice): starts and ends are required`);
  const axes = constInts(ctx, node, 3, "axes") ?? starts.map((_, k) => k);
  const steps = constInts(ctx, node, 4, "steps") ?? starts.map(() => 1);
  if (ends.length !== starts.length || axes.length !== starts.length || steps.length !== starts.length)
    throw new InvalidModelError(`node '${node.name}' (Slice): starts, ends, axes and steps differ in length`);
  const spec: SliceSpec = {
    starts: new Array<number>(r).fill(0),
    steps: new Array<number>(r).fill(1),
    dims: [...dims],
  };
  const seen = new Set<number>();
  axes.forEach((a, k) => {
    const d = normAxis(node, a, r);
    if (seen.has(d)) throw new InvalidModelError(`node '${node.name}' (Slice): axis ${a} is repeated`);
    seen.add(d);
    if (steps[k] === 0 || Math.abs(steps[k]) > MAX_DIM)
      throw new InvalidModelError(`node '${node.name}' (Slice): step ${steps[k]} along axis ${a}`);
    const [start, len] = axisSlice(starts[k], ends[k], steps[k], dims[d]);
    if (len === 0) throw new ShapeMismatchError(`node '${node.name}' (Slice): the slice along axis ${a} is empty`);
    spec.starts[d] = start;
    spec.steps[d] = steps[k];
    spec.dims[d] = len;
  });
  return spec;
}

/** The chunk sizes of a Split along an axis of `dim`: the split input, else num_outputs (or the output count) parts. */
function splitSizes(ctx: FloatContext | LoweringContext, node: GraphNode, dim: number): number[] {
  const split = constInts(ctx, node, 1, "split");
  const n = node.outputs.length;
  if (split) {
    if (split.length !== n || split.some((s) => s < 1) || split.reduce((a, b) => a + b, 0) !== dim)
      throw new ShapeMismatchError(
        `node '${node.name}' (Split): split [${split.join(", ")}] does not cut ${dim} into ${n} positive parts`,
      );
    return split;
  }
  const parts = attrInt(node, "num_outputs", n);
  if (parts !== n || n < 1)
    throw new InvalidModelError(`node '${node.name}' (Split): num_outputs ${parts} for ${n} outputs`);
  const chunk = Math.ceil(dim / n);
  const sizes = Array.from({ length: n }, (_, k) => Math.min(chunk, dim - k * chunk));
  if (sizes.some((s) => s < 1))
    throw new ShapeMismatchError(`node '${node.name}' (Split): ${dim} cannot be split into ${n} non-empty parts`);
  return sizes;
}

/** The slice of Split output k. */
function splitSpecs(ctx: FloatContext | LoweringContext, node: GraphNode, dims: readonly number[]): SliceSpec[] {
  const axis = normAxis(node, attrInt(node, "axis", 0), dims.length);
  let offset = 0;
  return splitSizes(ctx, node, dims[axis]).map((s) => {
    const spec: SliceSpec = { starts: dims.map(() => 0), steps: dims.map(() => 1), dims: [...dims] };
    spec.starts[axis] = offset;
    spec.dims[axis] = s;
    offset += s;
    return spec;
  });
}

function sliceF(x: FTensor, spec: SliceSpec): FTensor {
  const map = sliceMap(shapeOnly(spec.dims, { starts: spec.starts, steps: spec.steps }), x.dims);
  return floatGather(map, [x.data], spec.dims);
}

/** Emits a Slice layer for output `name`, or an alias when it is the whole input. */
function emitSlice(ctx: LoweringContext, node: GraphNode, name: string, spec: SliceSpec): void {
  const x = ctx.input(node, 0);
  const whole = sameDims(spec.dims, x.dims) && spec.starts.every((v) => v === 0) && spec.steps.every((v) => v === 1);
  if (whole) ctx.alias(name, { ...x });
  else ctx.emit(name, x.q, { op: "Slice", inputs: [x.id], attrs: { starts: spec.starts, steps: spec.steps } });
}

/** Whether a node or the graph output reads the tensor. */
function consumed(ctx: LoweringContext, name: string): boolean {
  return ctx.graph.outputs.some((o) => o.name === name) || ctx.graph.nodes.some((n) => n.inputs.includes(name));
}

export const slice = defineOperator({
  op: "Slice",
  onnx: {
    Slice: {
      float(ctx, node) {
        const x = ctx.input(node, 0);
        return sliceF(x, sliceSpec(ctx, node, x.dims));
      },
      lower(ctx, node) {
        emitSlice(ctx, node, node.outputs[0], sliceSpec(ctx, node, ctx.input(node, 0).dims));
      },
    },
    Split: {
      float(ctx, node) {
        const x = ctx.input(node, 0);
        return splitSpecs(ctx, node, x.dims).map((spec) => sliceF(x, spec));
      },
      lower(ctx, node) {
        const specs = splitSpecs(ctx, node, ctx.input(node, 0).dims);
        node.outputs.forEach((name, k) => {
          if (name && consumed(ctx, name)) emitSlice(ctx, node, name, specs[k]);
        });
      },
    },
  },
  maxInputs: 1,
  validate(c) {
    const r = c.inShape.length;
    if (c.out.length !== r) c.fail("rank");
    const starts = c.ints("starts", r, 0, MAX_DIM - 1);
    const steps = c.ints("steps", r, -MAX_DIM, MAX_DIM);
    for (let d = 0; d < r; d++) {
      const last = starts[d] + steps[d] * (c.out[d] - 1);
      if (steps[d] === 0 || starts[d] >= c.inShape[d] || last < 0 || last >= c.inShape[d])
        c.fail(`axis ${d}: start ${starts[d]}, step ${steps[d]} and ${c.out[d]} outputs leave [0, ${c.inShape[d]})`);
    }
    c.absent("weights", "multiplier", "shift", "bias", "lut");
  },
  ...indexMapOp(sliceMap),
});
