/**
 * ConvTranspose 2-D (NCHW; 1-D NCL as a plane of height 1, 3-D NCDHW with its depth folded into the channels) with strides, pads, output_padding, output_shape,
 * auto_pad, dilations and groups, and a fused output clamp (NUMERICS §25).
 */
import type { GraphNode } from "../model/graph";
import { attrInt } from "../model/graph";
import { floatOf } from "../quant/float-tensor";
import { unsupported } from "../quant/params";
import { convTranspose as convTransposeKernel, tapInput } from "../runtime/kernels/convtranspose";
import { nums, windowPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import type { WindowNd } from "../quant/geometry";
import type { LayerCheck } from "./check";
import { type LoweringContext, type QuantTensor, defineOperator } from "./definition";
import { type LinearWeights, lowerLinear } from "./linear";
import { planeShapeOk } from "./pool";
import { convTransposeF, convTransposeWindow } from "./spatial-float";

/**
 * ONNX weights [C, M/group, ...kernel] as M rows of (ci, ky, kx), the bias, the geometry: 1-D as a plane of height
 * 1, 3-D with its depth folded into the channels (`foldDepth`).
 */
function convTransposeWeights(ctx: LoweringContext, node: GraphNode, x: QuantTensor): LinearWeights {
  const wt = ctx.constant(node.inputs[1]);
  if (!wt || wt.dtype !== "float32") unsupported(node, "non-constant weights");
  if (x.dims.length < 3 || x.dims.length > 5 || wt.dims.length !== x.dims.length)
    unsupported(node, `a rank-${x.dims.length} input with rank-${wt.dims.length} weights`);
  const [, c, ...size] = x.dims;
  const group = attrInt(node, "group", 1);
  const [wc, mg, ...kernel] = wt.dims;
  if (group < 1 || wc !== c || c % group !== 0) unsupported(node, `weights [${wt.dims.join(", ")}] for group ${group}`);
  const g = convTransposeWindow(node, size, kernel);
  const m = mg * group;
  const cg = c / group;
  const b = new Float64Array(m);
  const bt = ctx.constant(node.inputs[2]);
  if (node.inputs[2] && !bt) unsupported(node, "a non-constant bias");
  if (bt) b.set(floatOf(bt).data);
  if (size.length === 3) return foldDepth(node, wt.data, b, c, mg, group, size, g);
  const two = size.length === 2;
  const [h, w] = two ? size : [1, size[0]];
  const [kh, kw] = two ? kernel : [1, kernel[0]];
  const rowLen = cg * kh * kw;
  const rows = new Float64Array(m * rowLen);
  for (let o = 0; o < m; o++) {
    const gi = Math.floor(o / mg);
    for (let ci = 0; ci < cg; ci++)
      for (let t = 0; t < kh * kw; t++)
        rows[o * rowLen + ci * kh * kw + t] = wt.data[((gi * cg + ci) * mg + (o % mg)) * kh * kw + t];
  }
  const n = size.length;
  const attrs = {
    inChw: [c, h, w],
    outChw: [m, two ? g.out[0] : 1, g.out[n - 1]],
    group,
    kernel: [kh, kw],
    strides: two ? g.strides : [1, g.strides[0]],
    pads: two ? g.pads : [0, g.pads[0], 0, g.pads[1]],
    dilations: two ? g.dilations : [1, g.dilations[0]],
  };
  return { op: "ConvTranspose", rows: m, rowLen, w: rows, b, attrs, channelAxisLast: false };
}

/**
 * A 3-D ConvTranspose as the 2-D one over [C*D, H, W] planes with M*OD output channels (NUMERICS §25): output
 * channel (o, oz)'s weight for input channel (ci, iz) is w[g*cg + ci, o mod mg, kz] where oz + padFront - kz*DD =
 * iz*SD, else 0.
 */
function foldDepth(
  node: GraphNode,
  w: Float32Array,
  bias: Float64Array,
  c: number,
  mg: number,
  group: number,
  [d, h, wd]: number[],
  g: WindowNd,
): LinearWeights {
  const [kd, kh, kw] = g.kernel;
  const [sd, sh, sw] = g.strides;
  const [dd, dh, dw] = g.dilations;
  const [pf, pt, pl, , pb, pr] = g.pads;
  const [od, oh, ow] = g.out;
  const m = mg * group;
  const cg = c / group;
  const rows = m * od;
  const rowLen = cg * d * kh * kw;
  if (rows * rowLen > 2 ** 26)
    unsupported(node, `a 3-D ConvTranspose whose folded weights (${rows} x ${rowLen}) exceed 2^26`);
  const fw = new Float64Array(rows * rowLen);
  const fb = new Float64Array(rows);
  const plane = kh * kw;
  for (let o = 0; o < m; o++) {
    const gi = Math.floor(o / mg);
    for (let oz = 0; oz < od; oz++) {
      const r = o * od + oz;
      fb[r] = bias[o];
      for (let kz = 0; kz < kd; kz++) {
        const t = oz + pf - kz * dd;
        if (t < 0 || t % sd !== 0 || t / sd >= d) continue;
        const iz = t / sd;
        for (let ci = 0; ci < cg; ci++)
          for (let q = 0; q < plane; q++)
            fw[r * rowLen + (ci * d + iz) * plane + q] = w[(((gi * cg + ci) * mg + (o % mg)) * kd + kz) * plane + q];
      }
    }
  }
  const attrs = {
    inChw: [c * d, h, wd],
    outChw: [rows, oh, ow],
    group,
    kernel: [kh, kw],
    strides: [sh, sw],
    pads: [pt, pl, pb, pr],
    dilations: [dh, dw],
  };
  return { op: "ConvTranspose", rows, rowLen, w: fw, b: fb, attrs, channelAxisLast: false };
}

/** Along one axis: out = S*(in-1) + (K-1)*D + 1 - padBegin - padEnd + outputPadding, 0 <= outputPadding < max(S, D). */
function checkAxis(c: LayerCheck, size: number, pb: number, pe: number, k: number, d: number, s: number, out: number) {
  const extra = out + pb + pe - (s * (size - 1) + (k - 1) * d + 1);
  if (extra < 0 || extra >= Math.max(s, d))
    c.fail(
      `output size ${out} does not follow from input ${size}, pads ${pb}/${pe}, kernel ${k}, dilation ${d}, stride ${s}`,
    );
}

export const convTransposeOp = defineOperator({
  op: "ConvTranspose",
  onnx: {
    ConvTranspose: {
      float: (ctx, node) => convTransposeF(node, ctx.input(node, 0), ctx.input(node, 1), ctx.optional(node, 2)),
      lower: (ctx, node) => lowerLinear(ctx, node, (x) => convTransposeWeights(ctx, node, x)),
    },
  },
  maxInputs: 1,
  validate(c: LayerCheck) {
    const [ch, h, w] = c.ints("inChw", 3, 1, MAX_DIM);
    const [m, oh, ow] = c.ints("outChw", 3, 1, MAX_DIM);
    const group = c.scalar("group", 1, MAX_DIM);
    const [kh, kw] = c.ints("kernel", 2, 1, MAX_DIM);
    const [sh, sw] = c.ints("strides", 2, 1, MAX_DIM);
    const [pt, pl, pb, pr] = c.ints("pads", 4, 0, MAX_DIM);
    const [dh, dw] = c.ints("dilations", 2, 1, MAX_DIM);
    if (ch % group !== 0 || m % group !== 0) c.fail("channels not divisible by group");
    if (!planeShapeOk(c.inShape, c.inShape[0], ch, h, w)) c.fail("input shape");
    if (!planeShapeOk(c.out, c.inShape[0], m, oh, ow)) c.fail("output shape");
    checkAxis(c, h, pt, pb, kh, dh, sh, oh);
    checkAxis(c, w, pl, pr, kw, dw, sw, ow);
    const rowLen = (ch / group) * kh * kw;
    c.work(c.inShape[0] * m * oh * ow * rowLen);
    c.zeroPoint("zIn");
    c.zeroPoint("zOut");
    c.clamp();
    c.expect("weights", m * rowLen);
    c.expect("bias", m);
    c.requant(m);
    c.expect("lut", null);
    c.accumulator(rowLen);
  },
  run: (layer, [x]) => convTransposeKernel(layer, x),
  weightRows: (layer) => nums(layer.attrs.outChw, 3)[0],
  readPattern(layer, in0) {
    const a = layer.attrs;
    const [ch, h, w] = nums(a.inChw, 3);
    const [kh, kw] = nums(a.kernel, 2);
    const [sh, sw] = nums(a.strides, 2);
    const [dh, dw] = nums(a.dilations, 2);
    const cg = ch / Math.max(1, typeof a.group === "number" ? a.group : 1);
    // the taps of one output position read at most floor((K-1)*D/S) + 1 consecutive inputs along each axis
    const ty = Math.min(kh, Math.floor(((kh - 1) * dh) / sh) + 1);
    const tx = Math.min(kw, Math.floor(((kw - 1) * dw) / sw) + 1);
    const e = windowPattern("ConvTranspose", cg, [h, w], [ty, tx], [1, 1], in0, false);
    e.trips = cg * kh * (kw + 1); // the kernel visits every tap and checks it
    return e;
  },
  reads(layer, [in0], i) {
    const a = layer.attrs;
    const [c, h, w] = a.inChw as number[];
    const [m, oh, ow] = a.outChw as number[];
    const [kh, kw] = a.kernel as number[];
    const [sh, sw] = a.strides as number[];
    const [pt, pl] = a.pads as number[];
    const [dh, dw] = a.dilations as number[];
    const group = a.group as number;
    const plane = oh * ow;
    const o = Math.floor(i / plane) % m;
    const b = Math.floor(i / (plane * m));
    const oy = Math.floor((i % plane) / ow);
    const ox = i % ow;
    const cg = c / group;
    const base = in0 + (b * c + Math.floor(o / (m / group)) * cg) * h * w;
    const bytes: number[] = [];
    for (let ci = 0; ci < cg; ci++)
      for (let ky = 0; ky < kh; ky++) {
        const iy = tapInput(oy, pt, ky, dh, sh, h);
        if (iy < 0) continue;
        for (let kx = 0; kx < kw; kx++) {
          const ix = tapInput(ox, pl, kx, dw, sw, w);
          if (ix >= 0) bytes.push(base + (ci * h + iy) * w + ix);
        }
      }
    return { bytes, row: o };
  },
});
