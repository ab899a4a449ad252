/**
 * Gemm, and MatMul by a constant 2-D matrix, whose row of k inputs is too long for one provable step (NUMERICS
 * §27.3): the k inputs are cut into P = ceil(k / 16,384) parts of nearly equal length, and the node becomes
 *
 *   x_p = Slice(x)                  the part's columns
 *   g_p = Gemm(x_p; W_p, bias_p)    the part's product (the bias in part 0), on the calibrated range of the partial
 *   y   = g_0 + g_1 + ... g_{P-1}   a chain of Adds, each running sum on its calibrated range, the last on the node's
 *
 * Without fusions: a BatchNormalization, Add, Relu or Clip after the node is lowered as its own layer.
 */
import { type GraphNode, attrFloat, attrInt } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import { clampI32, quantizeMultiplier, quantizeRows } from "../quant/params";
import { emitBinary, tensorOf } from "./chain";
import type { FloatContext, LoweringContext, QuantTensor } from "./definition";

/** The most inputs one part's row reads (a Gemm row is provable up to about 23,000; margin for the descriptor). */
export const GEMM_STEP_MAX_K = 16_384;

/** [start, length] of each part of a row of k inputs. */
export function gemmParts(k: number): [number, number][] {
  const p = Math.ceil(k / GEMM_STEP_MAX_K);
  const base = Math.floor(k / p);
  const parts: [number, number][] = [];
  let start = 0;
  for (let i = 0; i < p; i++) {
    const len = base + (i < k % p ? 1 : 0);
    parts.push([start, len]);
    start += len;
  }
  return parts;
}

/** The float weights [n, k] (times alpha) and bias [n] (beta * C) of a Gemm or MatMul node from its float inputs. */
function floatRows(node: GraphNode, b: FTensor, c: FTensor | undefined): { w: Float64Array; bias: Float64Array } {
  const gemm = node.opType === "Gemm";
  const transB = gemm && attrInt(node, "transB", 0) === 1;
  const alpha = gemm ? attrFloat(node, "alpha", 1) : 1;
  const [k, n] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
  const w = new Float64Array(n * k);
  for (let o = 0; o < n; o++)
    for (let j = 0; j < k; j++) w[o * k + j] = alpha * (transB ? b.data[o * k + j] : b.data[j * n + o]);
  const bias = new Float64Array(n);
  if (gemm && c) {
    const beta = attrFloat(node, "beta", 1);
    for (let o = 0; o < n; o++) bias[o] = beta * c.data[c.data.length === 1 ? 0 : o];
  }
  return { w, bias };
}

/** The partial products and running sums the chain quantizes, computed in float from the node's inputs. */
export function gemmIntermediates(ctx: FloatContext, node: GraphNode): Record<string, ArrayLike<number>> {
  const b = node.inputs[1];
  if (!b || !ctx.graph.initializers.has(b)) return {};
  const a = ctx.input(node, 0);
  const bt = ctx.input(node, 1);
  if (bt.dims.length !== 2 || (node.opType === "Gemm" && attrInt(node, "transA", 0) === 1)) return {};
  const c = node.opType === "Gemm" ? ctx.optional(node, 2) : undefined;
  const { w, bias } = floatRows(node, bt, c);
  const n = bias.length;
  const k = w.length / n;
  if (k <= GEMM_STEP_MAX_K) return {};
  const rows = a.data.length / k;
  const out: Record<string, Float64Array> = {};
  const parts = gemmParts(k);
  const running = new Float64Array(rows * n);
  parts.forEach(([start, len], p) => {
    const part = new Float64Array(rows * n);
    for (let r = 0; r < rows; r++)
      for (let o = 0; o < n; o++) {
        let acc = p === 0 ? bias[o] : 0;
        for (let j = start; j < start + len; j++) acc += a.data[r * k + j] * w[o * k + j];
        part[r * n + o] = acc;
      }
    out[`part${p}`] = part;
    for (let i = 0; i < running.length; i++) running[i] += part[i];
    if (p > 0 && p < parts.length - 1) out[`sum${p}`] = Float64Array.from(running);
  });
  return out;
}

/** The float weights of the node: `rows` output columns of `rowLen` (k) weights each, and the bias. */
export interface GemmRows {
  rows: number;
  rowLen: number;
  w: Float64Array;
  b: Float64Array;
}

/** Lowers the node on `x` with its weights `lw` to the chain above. */
export function lowerGemmSplit(ctx: LoweringContext, node: GraphNode, x: QuantTensor, lw: GemmRows): void {
  const out = node.outputs[0];
  const outDims = ctx.dims(out);
  const { rows: n, rowLen: k, w, b } = lw;
  const lead = x.dims.slice(0, -1);
  const parts = gemmParts(k);
  const partials = parts.map(([start, len], p) => {
    const xs = `${out}#x${p}`;
    ctx.emit(
      xs,
      x.q,
      {
        op: "Slice",
        inputs: [x.id],
        attrs: { starts: [...lead.map(() => 0), start], steps: x.dims.map(() => 1) },
      },
      [...lead, len],
    );
    const wp = new Float64Array(n * len);
    for (let o = 0; o < n; o++) for (let j = 0; j < len; j++) wp[o * len + j] = w[o * k + start + j];
    const q = ctx.intermediate(node, `part${p}`);
    emitPart(ctx, `${out}#part${p}`, tensorOf(ctx, xs), wp, p === 0 ? b : new Float64Array(n), len, q, outDims);
    return tensorOf(ctx, `${out}#part${p}`);
  });
  let acc = partials[0];
  for (let p = 1; p < partials.length; p++) {
    const last = p === partials.length - 1;
    const name = last ? out : `${out}#sum${p}`;
    acc = emitBinary(
      ctx,
      name,
      "Add",
      acc,
      partials[p],
      last ? ctx.qparams(out) : ctx.intermediate(node, `sum${p}`),
      outDims,
    );
  }
}

/** One part's Gemm layer: per-column int8 weights, int32 bias and requantization, as `lowerLinear` makes them. */
function emitPart(
  ctx: LoweringContext,
  name: string,
  x: QuantTensor,
  w: Float64Array,
  b: Float64Array,
  k: number,
  q: { scale: number; zeroPoint: number },
  dims: readonly number[],
): void {
  const n = b.length;
  const { q: wq, scales } = quantizeRows(w, n, k);
  const bias = new Int32Array(n);
  const mult = new Int32Array(n);
  const shift = new Int32Array(n);
  for (let o = 0; o < n; o++) {
    bias[o] = clampI32(Math.round(b[o] / (x.q.scale * scales[o])));
    [mult[o], shift[o]] = quantizeMultiplier((x.q.scale * scales[o]) / q.scale);
  }
  ctx.emit(
    name,
    q,
    {
      op: "Gemm",
      inputs: [x.id],
      attrs: { k, n, zIn: x.q.zeroPoint, zOut: q.zeroPoint, clampMin: -128, clampMax: 127 },
      weights: wq,
      bias,
      multiplier: mult,
      shift,
    },
    dims,
  );
}
