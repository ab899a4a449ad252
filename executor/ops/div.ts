/**
 * Div with ONNX broadcasting (NUMERICS §20): of two computed tensors, or of one and a constant. A constant that is
 * one value makes the division a function of one value, i.e. a Lut (x / c, c / x); any other constant operand is
 * the layer's `weights` on side `constSide`, as for Add/Sub/Mul.
 */
import type { GraphNode } from "../model/graph";
import { elementwise } from "../quant/float-tensor";
import { quantizeMultiplier, unsupported } from "../quant/params";
import { div as divKernel } from "../runtime/kernels/math";
import { runPattern } from "../runtime/read-pattern";
import { MAX_MULTIPLIER, type QParams } from "../runtime/types";
import { type LoweringContext, defineOperator } from "./definition";
import type { LayerCheck } from "./check";
import { broadcastLayer, checkBinaryOperands } from "./operands";
import { emitTable, uniformValue } from "./unary";

/** The largest shift of a Div layer: b * 2^s stays below 2^32 (NUMERICS §20). */
export const DIV_MAX_SHIFT = 24;

function lowerDiv(ctx: LoweringContext, node: GraphNode): void {
  const out = node.outputs[0];
  const ca = ctx.constant(node.inputs[0]);
  const cb = ctx.constant(node.inputs[1]);
  if (ca && cb) unsupported(node, "two constant operands (fold them before export)");
  const cv = cb ? uniformValue(cb) : ca ? uniformValue(ca) : undefined;
  if (cv !== undefined && cb) return emitTable(ctx, out, ctx.input(node, 0), (v) => v / cv);
  if (cv !== undefined) return emitTable(ctx, out, ctx.input(node, 1), (v) => cv / v);
  const { inputs, weights, qa, qb, q, attrs } = broadcastLayer(ctx, node, ca, cb);
  // a / b in output steps is (a' / b') * scaleA / (scaleB * scaleOut) = (a' * M) / (b' * 2^s)
  ctx.emit(out, q, { op: "Div", inputs, attrs, ...(weights ? { weights } : {}), ...divRequant(qa, qb, q) });
}

/** The requantization of a Div layer: M / 2^s ~ scaleA / (scaleB * scaleOut), the shift at most 24 (NUMERICS §20). */
export function divRequant(qa: QParams, qb: QParams, q: QParams): { multiplier: Int32Array; shift: Int32Array } {
  const r = qa.scale / (qb.scale * q.scale);
  let [m, s] = quantizeMultiplier(r);
  if (s > DIV_MAX_SHIFT) [m, s] = [Math.round(r * 2 ** DIV_MAX_SHIFT), DIV_MAX_SHIFT];
  return { multiplier: Int32Array.of(m), shift: Int32Array.of(s) };
}

/** Offsets in A and B of output element i (axes of size 1 broadcast), as `ElementwiseKernel` computes them. */
export function operandOffsets(
  out: readonly number[],
  aShape: number[],
  bShape: number[],
  i: number,
): [number, number] {
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
  return [ia, ib];
}

export const div = defineOperator({
  op: "Div",
  onnx: {
    Div: {
      float: (ctx, node) => elementwise(node, ctx.input(node, 0), ctx.input(node, 1), (a, b) => a / b),
      lower: lowerDiv,
    },
  },
  maxInputs: 2,
  validate(c: LayerCheck) {
    checkBinaryOperands(c);
    const { layer } = c;
    const m = layer.multiplier;
    const s = layer.shift;
    if (!m || m.length !== 1 || !s || s.length !== 1) c.fail("multiplier/shift must have 1 entry each");
    if (m[0] < 0 || m[0] >= MAX_MULTIPLIER) c.fail("multiplier range");
    if (s[0] < 1 || s[0] > DIV_MAX_SHIFT) c.fail(`shift must be in [1, ${DIV_MAX_SHIFT}]`);
    c.absent("bias", "lut");
  },
  run: (layer, [x0, x1]) => divKernel(layer, x0, x1),
  readPattern(layer) {
    if (layer.inputs.length === 2) return { ...runPattern("pointwise", 2, 1), planes: 2, scattered: true };
    return runPattern("pointwise", 1, 1);
  },
  reads(layer, inOff, i) {
    const [ia, ib] = operandOffsets(layer.outShape, layer.attrs.aShape as number[], layer.attrs.bShape as number[], i);
    if (layer.inputs.length === 2) return { bytes: [inOff[0] + ia, inOff[1] + ib], row: null };
    return { bytes: [inOff[0] + ((layer.attrs.constSide as number) === 0 ? ib : ia)], row: 0 };
  },
});
