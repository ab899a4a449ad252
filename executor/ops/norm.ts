/**
 * Norm: LayerNormalization (opset 17: axis, epsilon, Scale, optional B) and InstanceNormalization, one program op
 * with the integer mean, variance and reciprocal square root of NUMERICS §19, defined once in
 * runtime/kernels/reduce.ts (`sliceStats`). The input is viewed as contiguous slices of n values (the axes from
 * `axis` on; the spatial axes of one (batch, channel)); the per-element scale and bias are indexed by
 * c = floor(i / wDiv) mod wMod (LayerNorm: the position in the slice; InstanceNorm: the channel).
 */
import { InvalidModelError, ShapeMismatchError } from "../errors";
import { type GraphNode, attrFloat, attrInt, sizeOf } from "../model/graph";
import { type FTensor, padShape } from "../quant/float-tensor";
import { checkFinite, clampI32, quantizeMultiplier, quantizeRows, unsupported } from "../quant/params";
import { NORM_BITS, norm as normKernel } from "../runtime/kernels/reduce";
import { num, runPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import { type FloatContext, type LoweringContext, type NodeRule, defineOperator } from "./definition";
import { lowerNormSplit, normIntermediates } from "./norm-split";

type Kind = "LayerNormalization" | "InstanceNormalization";

/** Slice length n, weight indexing (wDiv, wMod) and the per-index scale and bias (broadcast to wMod entries). */
interface NormGeometry {
  /** The first normalized axis (InstanceNorm: 2). */
  axis: number;
  n: number;
  wDiv: number;
  wMod: number;
  gamma: Float64Array;
  beta: Float64Array;
  eps: number;
}

/** Expands a LayerNorm Scale/B (broadcastable to the normalized shape) to one value per slice position. */
function expand(node: GraphNode, t: ArrayLike<number>, dims: readonly number[], norm: readonly number[]): Float64Array {
  const n = sizeOf(norm);
  if (dims.length > norm.length)
    throw new ShapeMismatchError(`node '${node.name}' (${node.opType}): Scale/B rank too large`);
  const p = padShape(dims, norm.length);
  if (p.some((d, k) => d !== 1 && d !== norm[k]))
    throw new ShapeMismatchError(
      `node '${node.name}' (${node.opType}): Scale/B [${dims.join(", ")}] do not broadcast to [${norm.join(", ")}]`,
    );
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let src = 0;
    let stride = 1;
    for (let d = norm.length - 1; d >= 0; d--) {
      const k = rem % norm[d];
      rem = Math.floor(rem / norm[d]);
      if (p[d] !== 1) src += k * stride;
      stride *= p[d];
    }
    out[i] = Number(t[src]);
  }
  return out;
}

function geometry(
  kind: Kind,
  node: GraphNode,
  dims: readonly number[],
  scale: { dims: readonly number[]; data: ArrayLike<number> },
  bias: { dims: readonly number[]; data: ArrayLike<number> } | undefined,
): NormGeometry {
  const rank = dims.length;
  const eps = attrFloat(node, "epsilon", 1e-5);
  if (kind === "InstanceNormalization") {
    if (rank < 3) unsupported(node, `a rank-${rank} input (InstanceNormalization needs N, C and spatial axes)`);
    const c = dims[1];
    if (scale.data.length !== c || !bias || bias.data.length !== c)
      throw new ShapeMismatchError(`node '${node.name}' (${node.opType}): scale and B must have ${c} entries`);
    const n = sizeOf(dims.slice(2));
    return {
      axis: 2,
      n,
      wDiv: n,
      wMod: c,
      gamma: Float64Array.from(scale.data, Number),
      beta: Float64Array.from(bias.data, Number),
      eps,
    };
  }
  let axis = attrInt(node, "axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank) throw new InvalidModelError(`node '${node.name}' (${node.opType}): axis out of range`);
  const normDims = dims.slice(axis);
  const n = sizeOf(normDims);
  const gamma = expand(node, scale.data, scale.dims, normDims);
  const beta = bias ? expand(node, bias.data, bias.dims, normDims) : new Float64Array(n);
  return { axis, n, wDiv: 1, wMod: n, gamma, beta, eps };
}

/** The float reference of both (ONNX semantics: biased variance, eps inside the square root). */
function normF(kind: Kind, ctx: FloatContext, node: GraphNode): FTensor {
  if (kind === "LayerNormalization" && node.outputs.slice(1).some((o) => o && ctx.consumed(o)))
    unsupported(node, "the Mean / InvStdDev outputs");
  const x = ctx.input(node, 0);
  const g = geometry(kind, node, x.dims, ctx.input(node, 1), ctx.optional(node, 2));
  const data = new Float32Array(x.data.length);
  for (let base = 0; base < x.data.length; base += g.n) {
    let mean = 0;
    for (let j = 0; j < g.n; j++) mean += x.data[base + j];
    mean /= g.n;
    let v = 0;
    for (let j = 0; j < g.n; j++) v += (x.data[base + j] - mean) ** 2;
    const inv = 1 / Math.sqrt(v / g.n + g.eps);
    for (let j = 0; j < g.n; j++) {
      const c = Math.floor((base + j) / g.wDiv) % g.wMod;
      data[base + j] = (x.data[base + j] - mean) * inv * g.gamma[c] + g.beta[c];
    }
  }
  return { dims: x.dims, data };
}

/** Scale quantized per tensor into `weights`, B into `bias` at the scale of w * t (t = z * 2^12), eps in steps^2. */
function lowerNorm(kind: Kind, ctx: LoweringContext, node: GraphNode): void {
  const x = ctx.input(node, 0);
  const scale = ctx.constant(node.inputs[1]);
  const bias = node.inputs[2] ? ctx.constant(node.inputs[2]) : undefined;
  if (!scale || (node.inputs[2] && !bias)) unsupported(node, "a computed scale or bias (they must be constants)");
  const g = geometry(kind, node, x.dims, scale, bias);
  checkFinite(node, "scale", g.gamma);
  checkFinite(node, "bias", g.beta);
  // a slice too long for one provable step: a chain of smaller layers (NUMERICS §27.2)
  if (ctx.split(node)) return lowerNormSplit(ctx, node, x, g.axis, { ...g, kind });
  const { q: w, scales } = quantizeRows(g.gamma, 1, g.wMod);
  const sg = scales[0];
  const step = sg / 2 ** NORM_BITS;
  const q = ctx.qparams(node.outputs[0]);
  const [m, s] = quantizeMultiplier(step / q.scale);
  // eps in input steps squared, times n; at most n * 2^16 (NUMERICS §19.1)
  const epsQ = Math.min(Math.round((g.eps * g.n) / x.q.scale ** 2), g.n * 2 ** 16);
  ctx.emit(node.outputs[0], q, {
    op: "Norm",
    inputs: [x.id],
    attrs: { axisSize: g.n, wDiv: g.wDiv, wMod: g.wMod, epsQ, zIn: x.q.zeroPoint, zOut: q.zeroPoint },
    weights: w,
    bias: Int32Array.from(g.beta, (b) => clampI32(Math.round(b / step))),
    multiplier: Int32Array.of(m),
    shift: Int32Array.of(s),
  });
}

function rule(kind: Kind): NodeRule {
  return {
    float: (ctx, node) => normF(kind, ctx, node),
    lower: (ctx, node) => lowerNorm(kind, ctx, node),
    intermediates(ctx, node) {
      const x = ctx.input(node, 0);
      const g = geometry(kind, node, x.dims, ctx.input(node, 1), ctx.optional(node, 2));
      return normIntermediates(x.data, { ...g, kind });
    },
  };
}

export const norm = defineOperator({
  op: "Norm",
  onnx: { LayerNormalization: rule("LayerNormalization"), InstanceNormalization: rule("InstanceNormalization") },
  maxInputs: 1,
  validate(c) {
    const n = c.scalar("axisSize", 1, MAX_DIM);
    c.scalar("wDiv", 1, MAX_DIM);
    const wMod = c.scalar("wMod", 1, MAX_DIM);
    c.scalar("epsQ", 0, n * 2 ** 16);
    if (c.inSize % n !== 0 || c.outSize !== c.inSize) c.fail("shapes");
    c.zeroPoint("zIn");
    c.zeroPoint("zOut");
    c.expect("weights", wMod);
    c.expect("bias", wMod);
    c.requant(1);
    c.absent("lut");
    c.work(2 * c.inSize);
  },
  run: (layer, [x]) => normKernel(layer, x),
  weightRows: (layer) => num(layer.attrs.wMod),
  readPattern(layer) {
    // the slice read twice (the sum, the squares) and the element itself, one contiguous run
    const n = num(layer.attrs.axisSize);
    return runPattern("Reduce", 2 * n + 1, n);
  },
  reads(layer, [in0], i) {
    const n = layer.attrs.axisSize as number;
    const base = in0 + Math.floor(i / n) * n;
    return {
      bytes: Array.from({ length: n }, (_, j) => base + j),
      row: Math.floor(i / (layer.attrs.wDiv as number)) % (layer.attrs.wMod as number),
      spans: [[base, base + n - 1]],
    };
  },
});
