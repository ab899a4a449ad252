/**
 * LayerNormalization and InstanceNormalization over a slice too long for one provable step (NUMERICS §27.2): the
 * node becomes a chain of existing layers, every step of which fits a proof:
 *
 *   m = ReduceMean(x)           partial means in steps (§18.1)
 *   d = x - m                   Sub (broadcast)
 *   v = ReduceMean(d^2)         a Lut d^2, then partial means in steps
 *   r = 1 / sqrt(v + epsilon)   Lut
 *   z = d * r                   Mul (broadcast)
 *   LayerNorm:    y = z * Scale + B     Mul by the constant Scale (one weight row), then Add of the constant B
 *   InstanceNorm: y = Affine(z)         per-channel scale and bias (§11)
 *
 * Every intermediate is quantized on its range over the calibration inputs (NodeRule.intermediates).
 */
import type { GraphNode } from "../model/graph";
import { clampI32, quantizeMultiplier, quantizeRows } from "../quant/params";
import type { QParams } from "../runtime/types";
import { emitBinary, emitLut, tensorOf } from "./chain";
import type { LoweringContext, QuantTensor } from "./definition";
import { emitReduction } from "./reduce";

/** What the chain needs of the node (norm.ts): slice length, weight indexing, Scale and B per index, epsilon. */
export interface NormChain {
  n: number;
  wDiv: number;
  wMod: number;
  gamma: Float64Array;
  beta: Float64Array;
  eps: number;
  kind: "LayerNormalization" | "InstanceNormalization";
}

/** Per slice of n values: the float intermediates of the chain (their calibration). */
export function normIntermediates(x: Float32Array, g: NormChain): Record<string, ArrayLike<number>> {
  const slices = x.length / g.n;
  const mean = new Float64Array(slices);
  const variance = new Float64Array(slices);
  const rstd = new Float64Array(slices);
  const centred = new Float64Array(x.length);
  const normed = new Float64Array(x.length);
  const scaled = new Float64Array(x.length);
  for (let k = 0; k < slices; k++) {
    const base = k * g.n;
    let s = 0;
    for (let j = 0; j < g.n; j++) s += x[base + j];
    mean[k] = s / g.n;
    let v = 0;
    for (let j = 0; j < g.n; j++) {
      centred[base + j] = x[base + j] - mean[k];
      v += centred[base + j] ** 2;
    }
    variance[k] = v / g.n;
    rstd[k] = 1 / Math.sqrt(variance[k] + g.eps);
    for (let j = 0; j < g.n; j++) {
      normed[base + j] = centred[base + j] * rstd[k];
      scaled[base + j] = normed[base + j] * g.gamma[Math.floor((base + j) / g.wDiv) % g.wMod];
    }
  }
  return { mean, centred, square: centred.map((v) => v * v), variance, rstd, normed, scaled };
}

/** Lowers the node on `x` (slices of n contiguous values from axis `axis` on) to the chain above. */
export function lowerNormSplit(
  ctx: LoweringContext,
  node: GraphNode,
  x: QuantTensor,
  axis: number,
  g: NormChain,
): void {
  const out = node.outputs[0];
  const at = (key: string): QParams => ctx.intermediate(node, key);
  const keep = x.dims.map((d, k) => (k >= axis ? 1 : d));
  const geometry: [number, number, number] = [x.dims.reduce((a, b) => a * b, 1) / g.n, g.n, 1];
  emitReduction("ReduceMean", ctx, node, x, geometry, `${out}#mean`, at("mean"), keep);
  const d = emitBinary(ctx, `${out}#centred`, "Sub", x, tensorOf(ctx, `${out}#mean`), at("centred"), x.dims);
  const sq = emitLut(ctx, `${out}#square`, d, (v) => v * v, at("square"));
  emitReduction("ReduceMean", ctx, node, sq, geometry, `${out}#variance`, at("variance"), keep);
  const r = emitLut(ctx, `${out}#rstd`, tensorOf(ctx, `${out}#variance`), (v) => 1 / Math.sqrt(v + g.eps), at("rstd"));
  const q = ctx.qparams(out);
  const hasBias = g.beta.some((b) => b !== 0);
  const z = emitBinary(ctx, `${out}#normed`, "Mul", d, r, at("normed"), x.dims);
  if (g.kind === "LayerNormalization") {
    const normDims = x.dims.slice(axis);
    const zg = emitBinary(
      ctx,
      hasBias ? `${out}#scaled` : out,
      "Mul",
      z,
      { values: g.gamma, dims: normDims },
      hasBias ? at("scaled") : q,
      x.dims,
    );
    if (hasBias) emitBinary(ctx, out, "Add", zg, { values: g.beta, dims: normDims }, q, x.dims);
    return;
  }
  emitAffine(ctx, out, z, g, q);
}

/** InstanceNorm's per-channel y = gamma[c] * z + beta[c] as one Affine layer (NUMERICS §11), c = floor(i / n) mod C. */
function emitAffine(ctx: LoweringContext, out: string, z: QuantTensor, g: NormChain, q: QParams): void {
  const c = g.wMod;
  const { q: wq, scales } = quantizeRows(g.gamma, c, 1);
  const bias = new Int32Array(c);
  const mult = new Int32Array(c);
  const shift = new Int32Array(c);
  for (let ch = 0; ch < c; ch++) {
    // y = gamma * (z - zIn) * scaleZ + beta: bias in units of scaleZ * scaleW
    bias[ch] = clampI32(Math.round(g.beta[ch] / (z.q.scale * scales[ch])));
    [mult[ch], shift[ch]] = quantizeMultiplier((z.q.scale * scales[ch]) / q.scale);
  }
  ctx.emit(out, q, {
    op: "Affine",
    inputs: [z.id],
    attrs: { channels: c, inner: g.n, zIn: z.q.zeroPoint, zOut: q.zeroPoint, clampMin: -128, clampMax: 127 },
    weights: wq,
    bias,
    multiplier: mult,
    shift,
  });
}
