/** Softmax along one axis (outer x axisSize x inner), through a 256-entry exp table held in `bias` (NUMERICS §12). */
import { InvalidModelError } from "../errors";
import { type GraphNode, attrInt, sizeOf } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import { softmax as softmaxKernel } from "../runtime/kernels/softmax";
import { num, runPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import { defineOperator } from "./definition";
import { lowerSoftmaxSplit, softmaxIntermediates } from "./softmax-split";

/**
 * Softmax axis geometry as [outer, axisSize, inner], in the opset-13 form (the importer rewrites the 2-D coercion of
 * older opsets into it, executor/model/opset).
 */
function softmaxGeometry(node: GraphNode, dims: readonly number[]): [number, number, number] {
  const rank = dims.length;
  let axis = attrInt(node, "axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= Math.max(rank, 1))
    throw new InvalidModelError(`node '${node.name}' (Softmax): axis out of range`);
  const outer = sizeOf(dims.slice(0, axis));
  return [outer, dims[axis], sizeOf(dims.slice(axis + 1))];
}

/** ONNX Softmax in float. */
function softmaxF(node: GraphNode, x: FTensor): FTensor {
  const [outer, n, inner] = softmaxGeometry(node, x.dims);
  const data = new Float32Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      let mx = -Infinity;
      for (let i = 0; i < n; i++) mx = Math.max(mx, x.data[base + i * inner]);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.exp(x.data[base + i * inner] - mx);
      for (let i = 0; i < n; i++) data[base + i * inner] = Math.exp(x.data[base + i * inner] - mx) / sum;
    }
  return { dims: x.dims, data };
}

export const softmax = defineOperator({
  op: "Softmax",
  onnx: {
    Softmax: {
      float: (ctx, node) => softmaxF(node, ctx.input(node, 0)),
      lower(ctx, node) {
        const x = ctx.input(node, 0);
        const [outer, axisSize, inner] = softmaxGeometry(node, x.dims);
        // an axis too long for one provable step: a chain of smaller layers (NUMERICS §27.1)
        if (ctx.split(node) || axisSize > 1 << 15) return lowerSoftmaxSplit("Softmax", ctx, node, x);
        // E[j] = round(2^16 * exp(scale * (j - 255))): exp of (x - max) for the 256 possible differences
        const table = new Int32Array(256);
        for (let j = 0; j < 256; j++) table[j] = Math.round(65536 * Math.exp(x.q.scale * (j - 255)));
        const q = { scale: 1 / 256, zeroPoint: -128 };
        ctx.emit(node.outputs[0], q, { op: "Softmax", inputs: [x.id], attrs: { outer, axisSize, inner }, bias: table });
      },
      intermediates: softmaxIntermediates,
    },
  },
  maxInputs: 1,
  validate(c) {
    const outer = c.scalar("outer", 1, MAX_DIM);
    const axis = c.scalar("axisSize", 1, 1 << 15);
    const inner = c.scalar("inner", 1, MAX_DIM);
    if (outer * axis * inner !== c.inSize || c.outSize !== c.inSize) c.fail("shapes");
    c.expect("bias", 256);
    const table = c.layer.bias!;
    for (const e of table) if (e < 0 || e > 1 << 16) c.fail("exp table entries must be in [0, 2^16]");
    if (table[255] !== 1 << 16) c.fail("exp table must end with 2^16");
    c.absent("weights", "multiplier", "shift", "lut");
  },
  run: (layer, [x]) => softmaxKernel(layer, x),
  readPattern(layer) {
    // the n bytes of the element's axis, `inner` apart, read twice, and the element itself (SoftmaxKernel)
    const n = num(layer.attrs.axisSize);
    const inner = num(layer.attrs.inner);
    return { ...runPattern("Softmax", 2 * n + 1, 1), rows: n, rowStride: inner, rowChunks: 1 };
  },
  reads(layer, [in0], i) {
    const n = layer.attrs.axisSize as number;
    const inner = layer.attrs.inner as number;
    const span = n * inner;
    const base = in0 + Math.floor(i / span) * span + (i % inner);
    const bytes: number[] = [];
    for (let j = 0; j < n; j++) bytes.push(base + j * inner);
    return { bytes, row: null };
  },
});
