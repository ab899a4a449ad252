/**
 * Softmax and LogSoftmax over an axis too long for one provable step (NUMERICS §27.1): the node becomes a chain of
 * existing layers, every step of which fits a proof:
 *
 *   m = ReduceMax(x)            partial maxima in steps (§18.1), exact in x's quantization
 *   d = x - m                   Sub, exact: x's scale, zero point 127 (x - m is 0 to 255 input steps below 0)
 *   e = exp(d)                  Lut, scale 1/255, zero point -128 (e in (0, 1], 1 exactly at the maximum)
 *   S = ReduceSum(e)            partial means in steps (§18.1), the calibrated range of the sum
 *   Softmax:    y = e / S       Div (broadcast), the node's calibrated output range
 *   LogSoftmax: y = d - log(S)  Lut log(S) on its calibrated range, then Sub (broadcast)
 */
import { InvalidModelError } from "../errors";
import { type GraphNode, attrInt, sizeOf } from "../model/graph";
import { rangeToQParams } from "../quant/params";
import { type QParams } from "../runtime/types";
import { emitBinary, emitLut, tensorOf } from "./chain";
import type { FloatContext, LoweringContext, QuantTensor } from "./definition";
import { emitReduction } from "./reduce";

type Kind = "Softmax" | "LogSoftmax";

/** The normalized axis and [outer, n, inner] of the node's input dims. */
function axisOf(node: GraphNode, dims: readonly number[]): { axis: number; geometry: [number, number, number] } {
  const rank = dims.length;
  let axis = attrInt(node, "axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= Math.max(rank, 1))
    throw new InvalidModelError(`node '${node.name}' (${node.opType}): axis out of range for rank ${rank}`);
  return {
    axis,
    geometry: [sizeOf(dims.slice(0, axis)), dims[axis] ?? 1, sizeOf(dims.slice(axis + 1))],
  };
}

/** The quantization of exp(d) for d <= 0: (0, 1] on 255 steps, 1 exactly representable. */
export const EXP_Q: QParams = Object.freeze({ scale: 1 / 255, zeroPoint: -128 });

/** The float intermediates the chain quantizes: the sum of exp(x - max) per slice, and its logarithm. */
export function softmaxIntermediates(ctx: FloatContext, node: GraphNode): Record<string, ArrayLike<number>> {
  const x = ctx.input(node, 0);
  const [outer, n, inner] = axisOf(node, x.dims).geometry;
  const sum = new Float64Array(outer * inner);
  for (let o = 0; o < outer; o++)
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      let mx = -Infinity;
      for (let i = 0; i < n; i++) mx = Math.max(mx, x.data[base + i * inner]);
      let s = 0;
      for (let i = 0; i < n; i++) s += Math.exp(x.data[base + i * inner] - mx);
      sum[o * inner + q] = s;
    }
  return { sum, log: sum.map(Math.log) };
}

/** Lowers a Softmax or LogSoftmax node on `x` to the chain above. */
export function lowerSoftmaxSplit(kind: Kind, ctx: LoweringContext, node: GraphNode, x: QuantTensor): void {
  const out = node.outputs[0];
  const { axis, geometry } = axisOf(node, x.dims);
  const keep = x.dims.map((d, k) => (k === axis ? 1 : d));
  emitReduction("ReduceMax", ctx, node, x, geometry, `${out}#max`, x.q, keep);
  const m = tensorOf(ctx, `${out}#max`);
  // x - m in input steps is in [-255, 0]: zero point 127 holds it exactly at the input's scale (multipliers 1, 1)
  const d = emitBinary(ctx, `${out}#centred`, "Sub", x, m, { scale: x.q.scale, zeroPoint: 127 }, x.dims);
  const e = emitLut(ctx, `${out}#exp`, d, Math.exp, EXP_Q);
  // The ranges are calibrated on float inputs, the chain runs on quantized ones: x - m moves by up to one input step,
  // so the sum and the probabilities by a factor up to exp(scaleIn), log(S) and log-probabilities by scaleIn.
  const grow = Math.exp(x.q.scale);
  const sumQ = widen(ctx.intermediate(node, "sum"), 0, grow);
  emitReduction("ReduceSum", ctx, node, e, geometry, `${out}#sum`, sumQ, keep);
  const s = tensorOf(ctx, `${out}#sum`);
  const [lo, hi] = rangeOf(ctx.qparams(out));
  if (kind === "Softmax") {
    emitBinary(ctx, out, "Div", e, s, rangeToQParams(lo, hi * grow), x.dims);
    return;
  }
  const log = emitLut(ctx, `${out}#log`, s, Math.log, widen(ctx.intermediate(node, "log"), x.q.scale, 1));
  emitBinary(ctx, out, "Sub", d, log, rangeToQParams(lo - 2 * x.q.scale, hi), x.dims);
}

/** The real range [lo, hi] an int8 quantization covers. */
function rangeOf(q: QParams): [number, number] {
  return [q.scale * (-128 - q.zeroPoint), q.scale * (127 - q.zeroPoint)];
}

/** A quantization whose top is raised: hi * factor + add. */
function widen(q: QParams, add: number, factor: number): QParams {
  const [lo, hi] = rangeOf(q);
  return rangeToQParams(lo, hi * factor + add);
}
