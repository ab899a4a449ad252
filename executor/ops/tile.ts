/**
 * Tile: y[o] = x[j] with j_d = o_d mod in_d, the input shape left-padded with 1s to the output rank (NUMERICS §26.3).
 * ONNX Tile (repeats) and Expand (a broadcast to a shape) both lower to it: broadcasting is tiling by out_d.
 */
import { InvalidModelError } from "../errors";
import type { GraphNode } from "../model/graph";
import { broadcastShape } from "../quant/float-tensor";
import { tileMap } from "../runtime/kernels/movement";
import { type FloatContext, type LoweringContext, type NodeRule, defineOperator } from "./definition";
import { constInts, floatGather, indexMapOp, sameDims, shapeOnly } from "./movement";

type DimsOf = (ctx: FloatContext | LoweringContext, node: GraphNode, dims: readonly number[]) => number[];

const tileDims: DimsOf = (ctx, node, dims) => {
  const reps = constInts(ctx, node, 1, "repeats");
  if (!reps || reps.length !== dims.length || reps.some((v) => v < 1))
    throw new InvalidModelError(`node '${node.name}' (Tile): repeats must be ${dims.length} positive integers`);
  return dims.map((n, d) => n * reps[d]);
};

const expandDims: DimsOf = (ctx, node, dims) => {
  const shape = constInts(ctx, node, 1, "shape");
  if (!shape) throw new InvalidModelError(`node '${node.name}' (Expand): the shape input is required`);
  return broadcastShape(node, dims, shape);
};

function rule(dimsOf: DimsOf): NodeRule {
  return {
    float(ctx, node) {
      const x = ctx.input(node, 0);
      const dims = dimsOf(ctx, node, x.dims);
      return floatGather(tileMap(shapeOnly(dims, {}), x.dims), [x.data], dims);
    },
    lower(ctx, node) {
      const x = ctx.input(node, 0);
      const dims = dimsOf(ctx, node, x.dims);
      if (sameDims(dims, x.dims)) ctx.alias(node.outputs[0], { ...x });
      else ctx.emit(node.outputs[0], x.q, { op: "Tile", inputs: [x.id], attrs: {} });
    },
  };
}

export const tile = defineOperator({
  op: "Tile",
  onnx: { Tile: rule(tileDims), Expand: rule(expandDims) },
  maxInputs: 1,
  validate(c) {
    const lead = c.out.length - c.inShape.length;
    if (lead < 0) c.fail("the output rank is below the input's");
    c.inShape.forEach((n, d) => {
      if (c.out[lead + d] % n !== 0) c.fail(`axis ${lead + d}: ${c.out[lead + d]} is not a multiple of ${n}`);
    });
    c.absent("weights", "multiplier", "shift", "bias", "lut");
  },
  ...indexMapOp(tileMap),
});
