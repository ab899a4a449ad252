/**
 * Gather (NUMERICS §26.5, §26.6). ONNX Gather lowers to one of two program ops:
 *  - a computed tensor gathered by constant indices: the `Gather` layer (an index map, the indices committed in its
 *    attributes);
 *  - a constant table gathered by computed integer indices (embeddings: token ids from an integer graph input): the
 *    `Embedding` layer (embedding.ts), the table in its weights.
 * Both computed is not supported.
 */
import { ShapeMismatchError } from "../errors";
import { type GraphNode, attrInt } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import { unsupported } from "../quant/params";
import { floorMod, gatherMap } from "../runtime/kernels/movement";
import { MAX_DIM } from "../runtime/types";
import { type LoweringContext, defineOperator } from "./definition";
import type { LayerCheck } from "./check";
import { lowerEmbedding } from "./embedding";
import { constFloat, floatGather, indexMapOp, normAxis, shapeOnly } from "./movement";

/** The output dims of Gather: data[:axis] + indices + data[axis + 1:]. */
function gatherDims(data: readonly number[], axis: number, indices: readonly number[]): number[] {
  return [...data.slice(0, axis), ...indices, ...data.slice(axis + 1)];
}

/** Index values as ONNX reads them: integers in [-n, n), negative ones counting from the end. */
function normIndices(node: GraphNode, values: ArrayLike<number>, n: number): number[] {
  return Array.from(values, (v) => {
    const k = Math.round(v);
    if (k < -n || k >= n)
      throw new ShapeMismatchError(`node '${node.name}' (Gather): index ${k} outside [-${n}, ${n})`);
    return floorMod(k, n);
  });
}

function gatherF(node: GraphNode, data: FTensor, idx: FTensor): FTensor {
  const axis = normAxis(node, attrInt(node, "axis", 0), data.dims.length);
  const indices = normIndices(node, idx.data, data.dims[axis]);
  const dims = gatherDims(data.dims, axis, idx.dims);
  return floatGather(gatherMap(shapeOnly(dims, { axis, indices }), data.dims), [data.data], dims);
}

function lowerGather(ctx: LoweringContext, node: GraphNode): void {
  const table = constFloat(ctx, node, 0);
  const idx = constFloat(ctx, node, 1);
  if (table && !idx) return lowerEmbedding(ctx, node);
  if (!idx) unsupported(node, "computed data gathered by computed indices");
  const x = ctx.input(node, 0);
  const axis = normAxis(node, attrInt(node, "axis", 0), x.dims.length);
  const indices = normIndices(node, idx.data, x.dims[axis]);
  ctx.emit(node.outputs[0], x.q, { op: "Gather", inputs: [x.id], attrs: { axis, indices } });
}

export const gather = defineOperator({
  op: "Gather",
  onnx: {
    Gather: {
      float: (ctx, node) => gatherF(node, ctx.input(node, 0), ctx.input(node, 1)),
      lower: lowerGather,
    },
  },
  maxInputs: 1,
  validate(c: LayerCheck) {
    const r = c.inShape.length;
    const axis = c.scalar("axis", 0, r - 1);
    const v = c.layer.attrs.indices;
    const m = Array.isArray(v) ? v.length : 0;
    if (m < 1 || m > MAX_DIM) c.fail("attribute 'indices' must be a non-empty list");
    const indices = c.ints("indices", m, 0, c.inShape[axis] - 1);
    const pre = c.inShape.slice(0, axis);
    const post = c.inShape.slice(axis + 1);
    const mid = c.out.length - pre.length - post.length;
    const ok =
      mid >= 0 &&
      pre.every((n, d) => c.out[d] === n) &&
      post.every((n, d) => c.out[pre.length + mid + d] === n) &&
      c.out.slice(pre.length, pre.length + mid).reduce((a, b) => a * b, 1) === indices.length;
    if (!ok) c.fail(`output shape [${c.out.join(", ")}] is not the input's with axis ${axis} gathered`);
    c.absent("weights", "multiplier", "shift", "bias", "lut");
  },
  ...indexMapOp(gatherMap),
});
