/**
 * Conv 2-D (NCHW) with strides, pads, dilations and groups, and a fused output clamp (NUMERICS §6). A 1-D Conv
 * (NCL) is the same layer over a plane of height 1, a 3-D Conv (NCDHW) the layer over [C*D, H, W] planes with its
 * depth folded into the weights (NUMERICS §24).
 */
import { type GraphNode, attrInt } from "../model/graph";
import { floatOf } from "../quant/float-tensor";
import { type WindowNd, as2d, windowNd } from "../quant/geometry";
import { unsupported } from "../quant/params";
import { conv as convKernel } from "../runtime/kernels/conv";
import { num, nums, windowPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import { type LoweringContext, type QuantTensor, defineOperator } from "./definition";
import { type LinearWeights, lowerLinear } from "./linear";
import { convF } from "./spatial-float";
import { planeShapeOk } from "./pool";

/**
 * The constant weights [m, c / group, ...kernel] as m rows, the optional constant bias, the window geometry; a 1-D
 * Conv as a 2-D one over a plane of height 1 (the row layout (ci, k) is the same), a 3-D one with its depth folded
 * into the channels (`foldDepth`).
 */
function convWeights(ctx: LoweringContext, node: GraphNode, x: QuantTensor): LinearWeights {
  const wt = ctx.constant(node.inputs[1]);
  if (!wt || wt.dtype !== "float32") unsupported(node, "non-constant weights");
  if (x.dims.length < 3 || x.dims.length > 5 || wt.dims.length !== x.dims.length)
    unsupported(node, `a rank-${x.dims.length} input with rank-${wt.dims.length} weights (Conv1d, Conv2d, Conv3d)`);
  const [m, cg] = wt.dims;
  const [, c, ...size] = x.dims;
  const group = attrInt(node, "group", 1);
  const b = new Float64Array(m);
  const bt = ctx.constant(node.inputs[2]);
  if (node.inputs[2] && !bt) unsupported(node, "a non-constant bias");
  if (bt) b.set(floatOf(bt).data);
  const nd = windowNd(node, size, wt.dims.slice(2), false);
  if (size.length === 3) return foldDepth(node, Float64Array.from(wt.data), b, c, m, cg, group, size, nd);
  const g = as2d(nd);
  const [kh, kw] = g.kernel;
  const [h, wd] = size.length === 2 ? size : [1, size[0]];
  const attrs = {
    inChw: [c, h, wd],
    outChw: [m, g.out[0], g.out[1]],
    group,
    kernel: [kh, kw],
    strides: [...g.strides],
    pads: [...g.pads],
    dilations: [...g.dilations],
  };
  return { op: "Conv", rows: m, rowLen: cg * kh * kw, w: Float64Array.from(wt.data), b, attrs, channelAxisLast: false };
}

/**
 * A 3-D Conv as the 2-D Conv over [C*D, H, W] with M*OD output channels (NUMERICS §24): output channel (o, oz)'s
 * weight for input channel (ci, iz) is w[o, ci, kz] where iz = oz*SD - padFront + kz*DD, else 0. The [N, C, D, H, W]
 * input and [N, M, OD, OH, OW] output are exactly the bytes of those planes.
 */
function foldDepth(
  node: GraphNode,
  w: Float64Array,
  bias: Float64Array,
  c: number,
  m: number,
  cg: number,
  group: number,
  [d, h, wd]: number[],
  g: WindowNd,
): LinearWeights {
  const [kd, kh, kw] = g.kernel;
  const [sd, sh, sw] = g.strides;
  const [dd, dh, dw] = g.dilations;
  const [pf, pt, pl, , pb, pr] = g.pads;
  const od = g.out[0];
  const rows = m * od;
  const rowLen = cg * d * kh * kw;
  if (rows * rowLen > 2 ** 26) unsupported(node, `a 3-D Conv whose folded weights (${rows} x ${rowLen}) exceed 2^26`);
  const fw = new Float64Array(rows * rowLen);
  const fb = new Float64Array(rows);
  const plane = kh * kw;
  for (let o = 0; o < m; o++)
    for (let oz = 0; oz < od; oz++) {
      const r = o * od + oz;
      fb[r] = bias[o];
      for (let kz = 0; kz < kd; kz++) {
        const iz = oz * sd - pf + kz * dd;
        if (iz < 0 || iz >= d) continue;
        for (let ci = 0; ci < cg; ci++)
          for (let t = 0; t < plane; t++)
            fw[r * rowLen + (ci * d + iz) * plane + t] = w[((o * cg + ci) * kd + kz) * plane + t];
      }
    }
  const attrs = {
    inChw: [c * d, h, wd],
    outChw: [rows, g.out[1], g.out[2]],
    group,
    kernel: [kh, kw],
    strides: [sh, sw],
    pads: [pt, pl, pb, pr],
    dilations: [dh, dw],
  };
  return { op: "Conv", rows, rowLen, w: fw, b: fb, attrs, channelAxisLast: false };
}

export const conv = defineOperator({
  op: "Conv",
  onnx: {
    Conv: {
      float: (ctx, node) => convF(node, ctx.input(node, 0), ctx.input(node, 1), ctx.optional(node, 2)),
      lower: (ctx, node) => lowerLinear(ctx, node, (x) => convWeights(ctx, node, x)),
    },
  },
  maxInputs: 1,
  validate(c) {
    const [ch, h, w] = c.ints("inChw", 3, 1, MAX_DIM);
    const [m, oh, ow] = c.ints("outChw", 3, 1, MAX_DIM);
    const group = c.scalar("group", 1, MAX_DIM);
    const [kh, kw] = c.ints("kernel", 2, 1, MAX_DIM);
    const [sh, sw] = c.ints("strides", 2, 1, MAX_DIM);
    const [pt, pl] = c.ints("pads", 4, 0, MAX_DIM);
    const [dh, dw] = c.ints("dilations", 2, 1, MAX_DIM);
    const { inShape, out } = c;
    if (ch % group !== 0 || m % group !== 0) c.fail("channels not divisible by group");
    if (!planeShapeOk(inShape, inShape[0], ch, h, w)) c.fail("input shape");
    if (!planeShapeOk(out, inShape[0], m, oh, ow)) c.fail("output shape");
    const [, , pb, pr] = c.layer.attrs.pads as number[];
    c.window(h, pt, pb, kh, dh, sh, oh);
    c.window(w, pl, pr, kw, dw, sw, ow);
    c.work(inShape[0] * m * oh * ow * (ch / group) * kh * kw);
    c.zeroPoint("zIn");
    c.zeroPoint("zOut");
    c.clamp();
    const rowLen = (ch / group) * kh * kw;
    c.expect("weights", m * rowLen);
    c.expect("bias", m);
    c.requant(m);
    c.expect("lut", null);
    c.accumulator(rowLen);
  },
  run: (layer, [x]) => convKernel(layer, x),
  weightRows: (layer) => nums(layer.attrs.outChw, 3)[0],
  readPattern(layer, in0) {
    const a = layer.attrs;
    const [ch, h, w] = nums(a.inChw, 3);
    const cg = ch / Math.max(1, num(a.group));
    return windowPattern("Conv", cg, [h, w], nums(a.kernel, 2), nums(a.dilations, 2), in0, true);
  },
  reads(layer, [in0], i) {
    const a = layer.attrs;
    const [c, h, w] = a.inChw as number[];
    const [m, oh, ow] = a.outChw as number[];
    const group = a.group as number;
    const [kh, kw] = a.kernel as number[];
    const [sh, sw] = a.strides as number[];
    const [pt, pl] = a.pads as number[];
    const [dh, dw] = a.dilations as number[];
    const plane = oh * ow;
    const o = Math.floor(i / plane) % m;
    const b = Math.floor(i / (plane * m));
    const oy = Math.floor((i % plane) / ow);
    const ox = i % ow;
    const cg = c / group;
    const g = Math.floor(o / (m / group));
    const bytes: number[] = [];
    const spans: [number, number][] = [];
    for (let ci = 0; ci < cg; ci++) {
      for (let ky = 0; ky < kh; ky++) {
        const iy = oy * sh - pt + ky * dh;
        if (iy < 0 || iy >= h) continue;
        const first = bytes.length;
        for (let kx = 0; kx < kw; kx++) {
          const ix = ox * sw - pl + kx * dw;
          if (ix >= 0 && ix < w) bytes.push(in0 + ((b * c + g * cg + ci) * h + iy) * w + ix);
        }
        if (bytes.length > first) spans.push([bytes[first], bytes[bytes.length - 1]]);
      }
    }
    return { bytes, row: o, spans };
  },
});
