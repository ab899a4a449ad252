/**
 * The two operands of a binary layer (Add, Sub, Mul, Div, MatMul): two computed tensors, or one computed tensor and a
 * constant held as the layer's single weight row on side `constSide` (0: A, the left; 1: B, the right), quantized
 * symmetrically with one scale (zero point 0).
 */
import type { GraphNode, Tensor } from "../model/graph";
import { broadcastShape, padShape } from "../quant/float-tensor";
import { quantizeRows, unsupported } from "../quant/params";
import { shapeSize } from "../runtime/layout";
import { MAX_DIM, type QParams } from "../runtime/types";
import type { LayerCheck } from "./check";
import type { LoweringContext } from "./definition";

export interface BinaryOperands {
  /** Tensor ids of the computed operands, in order. */
  inputs: number[];
  /** The constant operand's bytes, when one operand is constant. */
  weights?: Int8Array;
  /** Which side is constant (0: A, 1: B), when one is. */
  constSide?: 0 | 1;
  /** Quantization of A and of B. */
  qa: QParams;
  qb: QParams;
}

/** Lowers a node's operands `ca`/`cb` (its constant inputs 0 and 1, if any; never both). */
export function binaryOperands(
  ctx: LoweringContext,
  node: GraphNode,
  ca: Tensor | undefined,
  cb: Tensor | undefined,
): BinaryOperands {
  const c = ca ?? cb;
  if (!c) {
    const a = ctx.input(node, 0);
    const b = ctx.input(node, 1);
    return { inputs: [a.id, b.id], qa: a.q, qb: b.q };
  }
  if (c.dtype !== "float32") unsupported(node, "an int64 constant operand");
  const { q: weights, scales } = quantizeRows(Float64Array.from(c.data), 1, c.data.length);
  const cQ: QParams = { scale: scales[0], zeroPoint: 0 };
  const x = ctx.input(node, ca ? 1 : 0);
  return ca
    ? { inputs: [x.id], weights, constSide: 0, qa: cQ, qb: x.q }
    : { inputs: [x.id], weights, constSide: 1, qa: x.q, qb: cQ };
}

/** A broadcasting two-operand layer before its requantization: operands, output quantization and shared attributes. */
export interface BroadcastLayer extends BinaryOperands {
  /** The output's quantization. */
  q: QParams;
  /** aShape and bShape (padded to the output's rank), zOut, constSide when one operand is constant, zA, zB. */
  attrs: Record<string, number | number[]>;
}

/**
 * The part of an Add/Sub/Mul or Div layer that does not depend on the arithmetic: the operands (`binaryOperands`),
 * their shapes checked to broadcast to the output, and the attributes `checkBinaryOperands` validates.
 */
export function broadcastLayer(
  ctx: LoweringContext,
  node: GraphNode,
  ca: Tensor | undefined,
  cb: Tensor | undefined,
): BroadcastLayer {
  const out = node.outputs[0];
  const rank = ctx.dims(out).length;
  const q = ctx.qparams(out);
  const shapeA = ca ? [...ca.dims] : ctx.input(node, 0).dims;
  const shapeB = cb ? [...cb.dims] : ctx.input(node, 1).dims;
  broadcastShape(node, shapeA, shapeB);
  const attrs: Record<string, number | number[]> = {
    aShape: padShape(shapeA, rank),
    bShape: padShape(shapeB, rank),
    zOut: q.zeroPoint,
  };
  const operands = binaryOperands(ctx, node, ca, cb);
  if (operands.constSide !== undefined) attrs.constSide = operands.constSide;
  attrs.zA = operands.qa.zeroPoint;
  attrs.zB = operands.qb.zeroPoint;
  return { ...operands, q, attrs };
}

/**
 * Validates the operand layout that `binaryOperands` lowers to: `aShape`/`bShape` broadcast to the output, the zero
 * points, and the operand sizes (two computed inputs, or one and a constant weight row on side `constSide`).
 */
export function checkBinaryOperands(c: LayerCheck): void {
  const { out, layer } = c;
  const rank = out.length;
  const a = c.ints("aShape", rank, 1, MAX_DIM);
  const b = c.ints("bShape", rank, 1, MAX_DIM);
  for (let d = 0; d < rank; d++) {
    if ((a[d] !== out[d] && a[d] !== 1) || (b[d] !== out[d] && b[d] !== 1)) c.fail("broadcast shapes");
  }
  c.zeroPoint("zA");
  c.zeroPoint("zB");
  c.zeroPoint("zOut");
  if (c.nIn === 2) {
    if (shapeSize(a) !== c.inSize || shapeSize(b) !== shapeSize(c.shapeOf(layer.inputs[1]))) c.fail("operand sizes");
    c.expect("weights", null);
  } else {
    const side = c.scalar("constSide", 0, 1);
    if (shapeSize(side === 0 ? b : a) !== c.inSize) c.fail("operand sizes");
    c.expect("weights", shapeSize(side === 0 ? a : b));
  }
}
