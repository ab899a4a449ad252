/**
 * Add / Sub / Mul with ONNX broadcasting, of two computed tensors or of one and a constant (`weights`, on side
 * `constSide`): one family, three program ops that share everything but the arithmetic (NUMERICS §9).
 */
import { InvalidModelError } from "../errors";
import type { GraphNode } from "../model/graph";
import { elementwise } from "../quant/float-tensor";
import { quantizeMultiplier, unsupported } from "../quant/params";
import { binary } from "../runtime/kernels/elementwise";
import { runPattern } from "../runtime/read-pattern";
import { MAX_MULTIPLIER, MAX_SHIFT, MIN_SHIFT, type QParams } from "../runtime/types";
import type { LayerCheck } from "./check";
import { broadcastLayer, checkBinaryOperands } from "./operands";
import { type LoweringContext, type OperatorDefinition, defineOperator } from "./definition";

const FLOAT: Record<"Add" | "Sub" | "Mul", (a: number, b: number) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
};

/**
 * Two computed operands, or one and a constant (quantized symmetric, per tensor, into `weights`); Add/Sub rescale
 * both operands to the output with one shift, Mul their product.
 */
function lowerBinary(ctx: LoweringContext, node: GraphNode): void {
  const out = node.outputs[0];
  const ca = ctx.constant(node.inputs[0]);
  const cb = ctx.constant(node.inputs[1]);
  if (ca && cb) unsupported(node, "two constant operands (fold them before export)");
  const { inputs, weights, qa, qb, q, attrs } = broadcastLayer(ctx, node, ca, cb);
  const { multiplier, shift } = binaryRequant(node.opType as "Add" | "Sub" | "Mul", qa, qb, q, node.name);
  // no `weights` key at all without a constant operand
  ctx.emit(out, q, { op: node.opType, inputs, attrs, ...(weights ? { weights } : {}), multiplier, shift });
}

/**
 * The requantization of an Add/Sub/Mul layer (NUMERICS §9): Mul one multiplier for scaleA * scaleB / scaleOut;
 * Add/Sub one per operand for scaleA / scaleOut and scaleB / scaleOut with one shift, the larger in [2^14, 2^15).
 */
export function binaryRequant(
  op: "Add" | "Sub" | "Mul",
  qa: QParams,
  qb: QParams,
  q: QParams,
  what: string,
): { multiplier: Int32Array; shift: Int32Array } {
  if (op === "Mul") {
    const [m, s] = quantizeMultiplier((qa.scale * qb.scale) / q.scale);
    return { multiplier: Int32Array.of(m), shift: Int32Array.of(s) };
  }
  const ra = qa.scale / q.scale;
  const rb = qb.scale / q.scale;
  let [, s] = quantizeMultiplier(Math.max(ra, rb));
  let ma = Math.round(ra * 2 ** s);
  let mb = Math.round(rb * 2 ** s);
  while (Math.max(ma, mb) >= 2 ** 15) {
    s--;
    ma = Math.round(ra * 2 ** s);
    mb = Math.round(rb * 2 ** s);
  }
  if (s < 1) throw new InvalidModelError(`node '${what}' (${op}): operand scales are degenerate`);
  return { multiplier: Int32Array.of(ma, mb), shift: Int32Array.of(s) };
}

function binaryOperator<Op extends "Add" | "Sub" | "Mul">(op: Op): OperatorDefinition<Op> {
  return defineOperator({
    op,
    onnx: {
      [op]: {
        float: (ctx, node) => elementwise(node, ctx.input(node, 0), ctx.input(node, 1), FLOAT[op]),
        lower: lowerBinary,
      },
    },
    maxInputs: 2,
    validate(c: LayerCheck) {
      checkBinaryOperands(c);
      const { layer } = c;
      const nm = op === "Mul" ? 1 : 2;
      const m = layer.multiplier;
      const s = layer.shift;
      if (!m || m.length !== nm || !s || s.length !== 1) c.fail("multiplier/shift");
      for (const v of m) if (v < 0 || v >= MAX_MULTIPLIER) c.fail("multiplier range");
      if (s[0] < MIN_SHIFT || s[0] > MAX_SHIFT) c.fail("shift range");
      c.expect("bias", null);
      c.expect("lut", null);
    },
    run: (layer, [x0, x1]) => binary(layer, x0, x1),
    readPattern(layer) {
      if (layer.inputs.length === 2) return { ...runPattern("pointwise", 2, 1), planes: 2, scattered: true };
      return runPattern("pointwise", 1, 1);
    },
    reads(layer, inOff, i) {
      const out = layer.outShape;
      const aShape = layer.attrs.aShape as number[];
      const bShape = layer.attrs.bShape as number[];
      let ia = 0;
      let ib = 0;
      let sa = 1;
      let sb = 1;
      let rem = i;
      for (let d = out.length - 1; d >= 0; d--) {
        const idx = rem % out[d];
        rem = Math.floor(rem / out[d]);
        if (aShape[d] !== 1) ia += idx * sa;
        if (bShape[d] !== 1) ib += idx * sb;
        sa *= aShape[d];
        sb *= bShape[d];
      }
      if (layer.inputs.length === 2) return { bytes: [inOff[0] + ia, inOff[1] + ib], row: null };
      return { bytes: [inOff[0] + ((layer.attrs.constSide as number) === 0 ? ib : ia)], row: 0 };
    },
  });
}

export const add = binaryOperator("Add");
export const sub = binaryOperator("Sub");
export const mul = binaryOperator("Mul");
