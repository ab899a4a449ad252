/**
 * Affine: per-channel y = requant(bias[ch] + w[ch] * (x - zIn)), ch = floor(i / inner) mod channels; a
 * BatchNormalization that could not be folded into a preceding Conv or Gemm (NUMERICS §11).
 */
import { ShapeMismatchError } from "../errors";
import { type GraphNode, attrFloat, sizeOf } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import { checkFinite, clampI32, quantizeMultiplier, quantizeRows, unsupported } from "../quant/params";
import { affine as affineKernel } from "../runtime/kernels/elementwise";
import { num, runPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import { type LoweringContext, defineOperator } from "./definition";

/** ONNX BatchNormalization (inference mode) in float. */
function batchNormF(node: GraphNode, x: FTensor, s: FTensor, b: FTensor, mean: FTensor, v: FTensor): FTensor {
  const c = x.dims[1];
  if (x.dims.length < 2 || [s, b, mean, v].some((t) => t.data.length !== c)) {
    throw new ShapeMismatchError(`node '${node.name}' (BatchNormalization): parameters must have ${c} entries`);
  }
  const eps = attrFloat(node, "epsilon", 1e-5);
  const inner = sizeOf(x.dims.slice(2));
  return {
    dims: x.dims,
    data: Float32Array.from(x.data, (val, i) => {
      const ch = Math.floor(i / inner) % c;
      return ((val - mean.data[ch]) / Math.sqrt(v.data[ch] + eps)) * s.data[ch] + b.data[ch];
    }),
  };
}

/** A BatchNormalization with constant parameters as one per-channel scale (the weights) and shift (the bias). */
function lowerBatchNorm(ctx: LoweringContext, node: GraphNode): void {
  const x = ctx.input(node, 0);
  const [scale, beta, mean, variance] = [1, 2, 3, 4].map((i) => ctx.constant(node.inputs[i]));
  if (!scale || !beta || !mean || !variance) unsupported(node, "non-constant parameters");
  if (x.dims.length < 2) unsupported(node, "a rank < 2 input");
  const c = x.dims[1];
  const eps = attrFloat(node, "epsilon", 1e-5);
  const f = new Float64Array(c);
  const b = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    f[ch] = Number(scale.data[ch]) / Math.sqrt(Number(variance.data[ch]) + eps);
    b[ch] = Number(beta.data[ch]) - Number(mean.data[ch]) * f[ch];
  }
  checkFinite(node, "folded scale", f);
  const q = ctx.qparams(node.outputs[0]);
  const { q: wq, scales } = quantizeRows(f, c, 1);
  const bias = new Int32Array(c);
  const mult = new Int32Array(c);
  const shift = new Int32Array(c);
  for (let ch = 0; ch < c; ch++) {
    bias[ch] = clampI32(Math.round(b[ch] / (x.q.scale * scales[ch])));
    [mult[ch], shift[ch]] = quantizeMultiplier((x.q.scale * scales[ch]) / q.scale);
  }
  ctx.emit(node.outputs[0], q, {
    op: "Affine",
    inputs: [x.id],
    attrs: {
      channels: c,
      inner: sizeOf(x.dims.slice(2)),
      zIn: x.q.zeroPoint,
      zOut: q.zeroPoint,
      clampMin: -128,
      clampMax: 127,
    },
    weights: wq,
    bias,
    multiplier: mult,
    shift,
  });
}

export const affine = defineOperator({
  op: "Affine",
  onnx: {
    BatchNormalization: {
      float(ctx, node) {
        if (node.outputs.slice(1).some((o) => o && ctx.consumed(o))) unsupported(node, "training-mode outputs");
        const [x, s, b, mean, v] = [0, 1, 2, 3, 4].map((i) => ctx.input(node, i));
        return batchNormF(node, x, s, b, mean, v);
      },
      lower: lowerBatchNorm,
    },
  },
  maxInputs: 1,
  validate(c) {
    const ch = c.scalar("channels", 1, MAX_DIM);
    const inner = c.scalar("inner", 1, MAX_DIM);
    const { inShape } = c;
    if (inShape.length < 2 || inShape[1] !== ch || c.inSize % (ch * inner) !== 0 || c.outSize !== c.inSize)
      c.fail("shapes");
    c.zeroPoint("zIn");
    c.zeroPoint("zOut");
    c.clamp();
    c.expect("weights", ch);
    c.expect("bias", ch);
    c.requant(ch);
    c.accumulator(1);
  },
  run: (layer, [x]) => affineKernel(layer, x),
  weightRows: (layer) => num(layer.attrs.channels),
  readPattern: () => runPattern("pointwise", 1, 1),
  reads: (layer, [in0], i) => ({
    bytes: [in0 + i],
    row: Math.floor(i / (layer.attrs.inner as number)) % (layer.attrs.channels as number),
  }),
});
