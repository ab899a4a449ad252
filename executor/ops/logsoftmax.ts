/**
 * LogSoftmax along one axis (opset-13 semantics; the importer rewrites older forms): the Softmax exp table in
 * `bias`, a fixed-point log2 of the sum, and two multipliers (NUMERICS §22).
 */
import { InvalidModelError } from "../errors";
import { type GraphNode, attrInt, sizeOf } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import { quantizeMultiplier, unsupported } from "../quant/params";
import { logSoftmax as logSoftmaxKernel } from "../runtime/kernels/math";
import { num, runPattern } from "../runtime/read-pattern";
import { MAX_DIM, MAX_MULTIPLIER, MIN_SHIFT } from "../runtime/types";
import { defineOperator } from "./definition";
import { lowerSoftmaxSplit, softmaxIntermediates } from "./softmax-split";
import type { LayerCheck } from "./check";

/** The largest shift: the sum and its rounding term stay below 2^53 at shift s + 16 (NUMERICS §22). */
export const LOG_SOFTMAX_MAX_SHIFT = 30;

/** [outer, n, inner] of the axis (default -1). */
export function axisGeometry(node: GraphNode, dims: readonly number[]): [number, number, number] {
  const rank = dims.length;
  let axis = attrInt(node, "axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= Math.max(rank, 1))
    throw new InvalidModelError(`node '${node.name}' (${node.opType}): axis out of range for rank ${rank}`);
  return [sizeOf(dims.slice(0, axis)), dims[axis] ?? 1, sizeOf(dims.slice(axis + 1))];
}

function logSoftmaxF(node: GraphNode, x: FTensor): FTensor {
  const [outer, n, inner] = axisGeometry(node, x.dims);
  const data = new Float32Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      let mx = -Infinity;
      for (let i = 0; i < n; i++) mx = Math.max(mx, x.data[base + i * inner]);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.exp(x.data[base + i * inner] - mx);
      const ls = Math.log(sum);
      for (let i = 0; i < n; i++) data[base + i * inner] = x.data[base + i * inner] - mx - ls;
    }
  return { dims: x.dims, data };
}

export const logSoftmax = defineOperator({
  op: "LogSoftmax",
  onnx: {
    LogSoftmax: {
      float: (ctx, node) => logSoftmaxF(node, ctx.input(node, 0)),
      lower(ctx, node) {
        const x = ctx.input(node, 0);
        const [outer, axisSize, inner] = axisGeometry(node, x.dims);
        // an axis too long for one provable step: a chain of smaller layers (NUMERICS §27.1)
        if (ctx.split(node) || axisSize > 1 << 15) return lowerSoftmaxSplit("LogSoftmax", ctx, node, x);
        const table = new Int32Array(256);
        for (let j = 0; j < 256; j++) table[j] = Math.round(65536 * Math.exp(x.q.scale * (j - 255)));
        const q = ctx.qparams(node.outputs[0]);
        // y = ((x - mx) * 2^16 * scaleIn / scaleOut - L * ln2 / scaleOut) / 2^16, one shift for both
        const ra = x.q.scale / q.scale;
        const rb = Math.LN2 / q.scale;
        let [, s] = quantizeMultiplier(Math.max(ra, rb));
        s = Math.min(s, LOG_SOFTMAX_MAX_SHIFT);
        while (Math.max(Math.round(ra * 2 ** s), Math.round(rb * 2 ** s)) >= MAX_MULTIPLIER) s--;
        if (s < MIN_SHIFT) unsupported(node, "an output range too narrow for its input (degenerate scales)");
        ctx.emit(node.outputs[0], q, {
          op: "LogSoftmax",
          inputs: [x.id],
          attrs: { outer, axisSize, inner, zOut: q.zeroPoint },
          bias: table,
          multiplier: Int32Array.of(Math.round(ra * 2 ** s), Math.round(rb * 2 ** s)),
          shift: Int32Array.of(s),
        });
      },
      intermediates: softmaxIntermediates,
    },
  },
  maxInputs: 1,
  validate(c: LayerCheck) {
    const outer = c.scalar("outer", 1, MAX_DIM);
    const axis = c.scalar("axisSize", 1, 1 << 15);
    const inner = c.scalar("inner", 1, MAX_DIM);
    if (outer * axis * inner !== c.inSize || c.outSize !== c.inSize) c.fail("shapes");
    c.zeroPoint("zOut");
    c.expect("bias", 256);
    const table = c.layer.bias!;
    for (const e of table) if (e < 0 || e > 1 << 16) c.fail("exp table entries must be in [0, 2^16]");
    if (table[255] !== 1 << 16) c.fail("exp table must end with 2^16");
    const m = c.layer.multiplier;
    const s = c.layer.shift;
    if (!m || m.length !== 2 || !s || s.length !== 1) c.fail("multiplier/shift must have 2 and 1 entries");
    for (const v of m) if (v < 0 || v >= MAX_MULTIPLIER) c.fail("multiplier range");
    if (s[0] < MIN_SHIFT || s[0] > LOG_SOFTMAX_MAX_SHIFT) c.fail(`shift must be in [1, ${LOG_SOFTMAX_MAX_SHIFT}]`);
    c.absent("weights", "lut");
  },
  run: (layer, [x]) => logSoftmaxKernel(layer, x),
  readPattern(layer) {
    const n = num(layer.attrs.axisSize);
    return { ...runPattern("Softmax", 2 * n + 1, 1), rows: n, rowStride: num(layer.attrs.inner), rowChunks: 1 };
  },
  reads(layer, [in0], i) {
    const n = layer.attrs.axisSize as number;
    const inner = layer.attrs.inner as number;
    const base = in0 + Math.floor(i / (n * inner)) * n * inner + (i % inner);
    return { bytes: Array.from({ length: n }, (_, j) => base + j * inner), row: null };
  },
});
