/**
 * The two operands of a binary layer (Add, Sub, Mul, Div, MatMul): two computed tensors, or one computed tensor and a
 * constant held as the layer's single weight row on side `constSide` (0: A, the left; 1: B, the right), quantized
 * symmetrically with one scale (zero point 0).
 */
import type { GraphNode, Tensor } from "../model/graph";
import { quantizeRows, unsupported } from "../quant/params";
import type { QParams } from "../runtime/types";
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
