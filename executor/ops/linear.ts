/**
 * The quantization rule Gemm, MatMul and Conv share: per-output-channel int8 weights with an int32 bias and a
 * requantization per channel, after folding the nodes that follow when their output is read only by the next:
 * any run of BatchNormalization and Add of a constant per channel (into the weights and bias), then optionally a
 * Relu or Clip (into the output clamp).
 */
import { type GraphNode, attrFloat } from "../model/graph";
import { floatOf, padShape } from "../quant/float-tensor";
import { checkFinite, clampI32, clampI8, quantizeMultiplier, quantizeRows } from "../quant/params";
import type { LoweringContext, QuantTensor } from "./definition";
import { clipBounds } from "./lut";
import { GEMM_STEP_MAX_K, lowerGemmSplit } from "./gemm-split";

/** The float weights of a linear node before folding: `rows` output channels of `rowLen` weights, and a bias. */
export interface LinearWeights {
  op: "Gemm" | "Conv" | "ConvTranspose";
  rows: number;
  rowLen: number;
  w: Float64Array;
  b: Float64Array;
  /** The layer's attributes but the zero points and the clamp. */
  attrs: Record<string, number | number[]>;
  /** Whether the output channel is the last axis (Gemm, MatMul) or axis 1 (Conv, NCHW). */
  channelAxisLast: boolean;
}

/** Lowers a Gemm, MatMul or Conv node (`weightsOf` reads its weights) and the nodes it absorbs to one layer. */
export function lowerLinear(ctx: LoweringContext, node: GraphNode, weightsOf: (x: QuantTensor) => LinearWeights): void {
  const { graph } = ctx;
  const x = ctx.input(node, 0);
  const outDims0 = ctx.dims(node.outputs[0]);
  const { op, rows, rowLen, w, b, attrs, channelAxisLast } = weightsOf(x);
  // a row too long for one provable step: partial products summed (NUMERICS §27.3); a layer past the bound for
  // another reason (a descriptor of too many output columns) stays whole and is refused
  if (op === "Gemm" && rowLen > GEMM_STEP_MAX_K && ctx.split(node))
    return lowerGemmSplit(ctx, node, x, { rows, rowLen, w, b });
  // Fusion chain: [BatchNormalization | Add(const per channel)]* then optionally Relu / Clip.
  let outName = node.outputs[0];
  const outRank = outDims0.length;
  let act: [number, number] | null = null;
  for (;;) {
    const ni = ctx.soleConsumer(outName);
    if (ni === undefined) break;
    const next = graph.nodes[ni];
    if (next.inputs[0] !== outName && !(next.opType === "Add" && next.inputs[1] === outName)) break;
    if (next.opType === "BatchNormalization" && (channelAxisLast ? outRank === 2 : true)) {
      const ps = [1, 2, 3, 4].map((i) => ctx.constant(next.inputs[i]));
      if (ps.some((t) => !t || t.data.length !== rows)) break;
      const [s, be, mu, va] = ps.map((t) => floatOf(t!).data);
      const eps = attrFloat(next, "epsilon", 1e-5);
      for (let o = 0; o < rows; o++) {
        const f = s[o] / Math.sqrt(va[o] + eps);
        for (let j = 0; j < rowLen; j++) w[o * rowLen + j] *= f;
        b[o] = (b[o] - mu[o]) * f + be[o];
      }
    } else if (next.opType === "Add") {
      const other = next.inputs[0] === outName ? next.inputs[1] : next.inputs[0];
      const ct = ctx.constant(other);
      if (!ct || ct.dtype !== "float32" || ct.dims.length > outRank) break;
      const pd = padShape(ct.dims, outRank);
      const axis = channelAxisLast ? outRank - 1 : 1;
      if (pd.some((d, k) => d !== 1 && k !== axis) || (pd[axis] !== 1 && pd[axis] !== rows)) break;
      for (let o = 0; o < rows; o++) b[o] += ct.data[pd[axis] === 1 ? 0 : o];
    } else if (next.opType === "Relu") {
      act = [0, Infinity];
    } else if (next.opType === "Clip") {
      act = clipBounds(graph, next);
    } else break;
    ctx.fuse(ni);
    outName = next.outputs[0];
    if (act) break;
  }
  checkFinite(node, "folded weights", w);
  checkFinite(node, "folded bias", b);
  const q = ctx.qparams(outName);
  const { q: wq, scales } = quantizeRows(w, rows, rowLen);
  const bias = new Int32Array(rows);
  const mult = new Int32Array(rows);
  const shift = new Int32Array(rows);
  for (let o = 0; o < rows; o++) {
    bias[o] = clampI32(Math.round(b[o] / (x.q.scale * scales[o])));
    [mult[o], shift[o]] = quantizeMultiplier((x.q.scale * scales[o]) / q.scale);
  }
  let clampMin = -128;
  let clampMax = 127;
  if (act) {
    const [lo, hi] = act;
    if (lo > -Infinity) clampMin = clampI8(q.zeroPoint + Math.round(lo / q.scale));
    if (hi < Infinity) clampMax = clampI8(q.zeroPoint + Math.round(hi / q.scale));
    if (clampMin > clampMax) clampMin = clampMax;
  }
  Object.assign(attrs, { zIn: x.q.zeroPoint, zOut: q.zeroPoint, clampMin, clampMax });
  ctx.emit(outName, q, {
    op,
    inputs: [x.id],
    attrs,
    weights: wq,
    bias,
    multiplier: mult,
    shift,
  });
}
