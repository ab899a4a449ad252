/**
 * Reshape: the same values in the same row-major order under a new shape (NUMERICS §13). ONNX Flatten, Reshape,
 * Squeeze and Unsqueeze (axes as a constant input) become one (or nothing when the shape does not change); Identity and Dropout (inference) never make a layer.
 */
import { InvalidModelError, ShapeMismatchError } from "../errors";
import { type GraphNode, attrInt, sizeOf } from "../model/graph";
import { unsupported } from "../quant/params";
import { reshape as reshapeKernel } from "../runtime/kernels/shape";
import { runPattern } from "../runtime/read-pattern";
import { type FloatContext, type LoweringContext, type NodeRule, defineOperator } from "./definition";
import { constInts, normAxis } from "./movement";

/** Shape of a Reshape node's output (0 copies the input dim unless allowzero, -1 is inferred). */
function reshapeDims(node: GraphNode, inDims: readonly number[], shape: readonly number[]): number[] {
  const allowZero = attrInt(node, "allowzero", 0) === 1;
  const out = shape.map((d, i) => (d === 0 && !allowZero ? inDims[i] : d));
  const inSize = sizeOf(inDims);
  const minus = out.filter((d) => d === -1).length;
  if (minus > 1 || out.some((d) => d === undefined || d < -1))
    throw new InvalidModelError(`node '${node.name}' (Reshape): bad shape [${shape.join(", ")}]`);
  if (minus === 1) {
    const known = sizeOf(out.filter((d) => d !== -1));
    if (known === 0 || inSize % known !== 0)
      throw new ShapeMismatchError(
        `node '${node.name}' (Reshape): cannot infer -1 in [${shape.join(", ")}] for ${inSize} elements`,
      );
    out[out.indexOf(-1)] = inSize / known;
  }
  if (sizeOf(out) !== inSize)
    throw new ShapeMismatchError(
      `node '${node.name}' (Reshape): [${inDims.join(", ")}] cannot become [${out.join(", ")}]`,
    );
  return out;
}

/** Shape of a Flatten node's output: [product of the dims before axis, product of the rest]. */
function flattenDims(node: GraphNode, dims: readonly number[]): number[] {
  let axis = attrInt(node, "axis", 1);
  if (axis < 0) axis += dims.length;
  if (axis < 0 || axis > dims.length) throw new InvalidModelError(`node '${node.name}' (Flatten): axis out of range`);
  return [sizeOf(dims.slice(0, axis)), sizeOf(dims.slice(axis))];
}

/** Shape of a Squeeze node's output: the listed axes (or every axis of size 1) removed. */
function squeezeDims(ctx: FloatContext, node: GraphNode, dims: readonly number[]): number[] {
  const given = constInts(ctx, node, 1, "axes");
  const axes = given ? given.map((a) => normAxis(node, a, dims.length)) : dims.flatMap((n, d) => (n === 1 ? [d] : []));
  if (axes.some((d) => dims[d] !== 1))
    throw new ShapeMismatchError(`node '${node.name}' (Squeeze): an axis of [${axes.join(", ")}] is not of size 1`);
  return dims.filter((_, d) => !axes.includes(d));
}

/** Shape of an Unsqueeze node's output: a 1 inserted at each of the axes (of the output's rank). */
function unsqueezeDims(ctx: FloatContext, node: GraphNode, dims: readonly number[]): number[] {
  const given = constInts(ctx, node, 1, "axes");
  if (!given) throw new InvalidModelError(`node '${node.name}' (Unsqueeze): the axes input is required`);
  const r = dims.length + given.length;
  const axes = given.map((a) => normAxis(node, a, r));
  if (new Set(axes).size !== axes.length) throw new InvalidModelError(`node '${node.name}' (Unsqueeze): repeated axes`);
  const out: number[] = [];
  let k = 0;
  for (let d = 0; d < r; d++) out.push(axes.includes(d) ? 1 : dims[k++]);
  return out;
}

/** A Reshape layer, or none (an alias) when the dims do not change. */
function lowerReshape(ctx: LoweringContext, node: GraphNode): void {
  const out = node.outputs[0];
  const x = ctx.input(node, 0);
  const dims = ctx.dims(out);
  if (dims.length === x.dims.length && dims.every((d, k) => d === x.dims[k])) ctx.alias(out, { ...x, dims });
  else ctx.emit(out, x.q, { op: "Reshape", inputs: [x.id], attrs: {} });
}

/** Identity, and Dropout at inference: the output is the input. */
const passThrough: NodeRule = {
  float(ctx, node) {
    if (node.opType === "Dropout" && node.outputs.length > 1 && node.outputs[1] && ctx.consumed(node.outputs[1])) {
      unsupported(node, "the mask output");
    }
    return ctx.input(node, 0);
  },
  lower: (ctx, node) => ctx.alias(node.outputs[0], ctx.input(node, 0)),
};

export const reshape = defineOperator({
  op: "Reshape",
  onnx: {
    Flatten: {
      float(ctx, node) {
        const x = ctx.input(node, 0);
        return { dims: flattenDims(node, x.dims), data: x.data };
      },
      lower: lowerReshape,
    },
    Reshape: {
      float(ctx, node) {
        const x = ctx.input(node, 0);
        const shapeName = node.inputs[1];
        const shape = shapeName ? ctx.graph.initializers.get(shapeName) : undefined;
        if (!shape || shape.dtype !== "int64") unsupported(node, "a shape that is not a constant int64 tensor");
        return { dims: reshapeDims(node, x.dims, shape.data), data: x.data };
      },
      lower: lowerReshape,
    },
    Squeeze: {
      float(ctx, node) {
        const x = ctx.input(node, 0);
        return { dims: squeezeDims(ctx, node, x.dims), data: x.data };
      },
      lower: lowerReshape,
    },
    Unsqueeze: {
      float(ctx, node) {
        const x = ctx.input(node, 0);
        return { dims: unsqueezeDims(ctx, node, x.dims), data: x.data };
      },
      lower: lowerReshape,
    },
    Identity: passThrough,
    Dropout: passThrough,
  },
  maxInputs: 1,
  validate(c) {
    if (c.outSize !== c.inSize) c.fail("size");
    c.absent("weights", "multiplier", "shift", "bias", "lut");
  },
  run: (layer, [x]) => reshapeKernel(layer, x),
  readPattern: () => runPattern("pointwise", 1, 1),
  reads: (_layer, [in0], i) => ({ bytes: [in0 + i], row: null }),
});
