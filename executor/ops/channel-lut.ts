/**
 * ChannelLut: one 256-entry table per channel, y = table_c[x + 128] with c = floor(i / inner) mod channels
 * (NUMERICS §21): a function of one value that differs by channel. ONNX PRelu with a per-channel slope lowers to it
 * (a slope that is one value is a plain Lut).
 */
import { type GraphNode } from "../model/graph";
import { elementwise, padShape } from "../quant/float-tensor";
import { unsupported } from "../quant/params";
import { channelLut as channelLutKernel } from "../runtime/kernels/math";
import { shapeSize } from "../runtime/layout";
import { num, runPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import { type LoweringContext, defineOperator } from "./definition";
import { emitTable, tableOf, uniformValue } from "./unary";

const prelu = (slope: number) => (v: number) => (v < 0 ? slope * v : v);

/** PRelu(x, slope), slope constant and broadcast to x (unidirectionally). */
function lowerPRelu(ctx: LoweringContext, node: GraphNode): void {
  const x = ctx.input(node, 0);
  const slope = ctx.constant(node.inputs[1]);
  if (!slope) unsupported(node, "a computed 'slope' input (it must be a constant)");
  const out = node.outputs[0];
  const one = uniformValue(slope);
  if (one !== undefined) return emitTable(ctx, out, x, prelu(one));
  // the slope varies along one run of adjacent axes [first, last] and is whole along it: channels = their product
  if (slope.dims.length > x.dims.length) unsupported(node, "a slope of higher rank than the input");
  const sp = padShape(slope.dims, x.dims.length);
  const varying = sp.map((d, k) => (d > 1 ? k : -1)).filter((k) => k >= 0);
  const first = varying[0];
  const last = varying[varying.length - 1];
  for (let k = first; k <= last; k++) {
    if (sp[k] !== x.dims[k])
      unsupported(
        node,
        `a slope of shape [${slope.dims.join(", ")}] that broadcasts along axis ${k} between its channel axes`,
      );
  }
  const channels = shapeSize(x.dims.slice(first, last + 1));
  const inner = shapeSize(x.dims.slice(last + 1));
  const q = ctx.qparams(out);
  const weights = new Int8Array(channels * 256);
  for (let c = 0; c < channels; c++) weights.set(tableOf(prelu(Number(slope.data[c])), x.q, q), c * 256);
  ctx.emit(out, q, { op: "ChannelLut", inputs: [x.id], attrs: { channels, inner }, weights });
}

export const channelLut = defineOperator({
  op: "ChannelLut",
  onnx: {
    PRelu: {
      float: (ctx, node) => elementwise(node, ctx.input(node, 0), ctx.input(node, 1), (v, s) => (v < 0 ? s * v : v)),
      lower: lowerPRelu,
    },
  },
  maxInputs: 1,
  validate(c) {
    const channels = c.scalar("channels", 1, MAX_DIM);
    const inner = c.scalar("inner", 1, MAX_DIM);
    if (c.outSize !== c.inSize || c.inSize % (channels * inner) !== 0) c.fail("shapes");
    c.expect("weights", channels * 256);
    c.absent("bias", "multiplier", "shift", "lut");
  },
  run: (layer, [x]) => channelLutKernel(layer, x),
  weightRows: (layer) => num(layer.attrs.channels),
  readPattern: () => runPattern("pointwise", 1, 1),
  reads: (layer, [in0], i) => ({
    bytes: [in0 + i],
    row: Math.floor(i / (layer.attrs.inner as number)) % (layer.attrs.channels as number),
  }),
});
