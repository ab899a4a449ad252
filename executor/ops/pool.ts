/**
 * What MaxPool and AveragePool share: the float reference of the ONNX pools, the window attributes of their layers,
 * the window validation, the read pattern and the geometry of one element.
 */
import { type GraphNode, attrInt } from "../model/graph";
import { as2d } from "../quant/geometry";
import { unsupported } from "../quant/params";
import { type ReadPattern, nums, windowPattern } from "../runtime/read-pattern";
import { type Layer, MAX_ACCUMULATOR, MAX_DIM } from "../runtime/types";
import type { LayerCheck } from "./check";
import type { LoweringContext, QuantTensor } from "./definition";
import { type PoolKind, poolWindow as nodeWindow } from "./spatial-float";

export { poolF } from "./spatial-float";

/**
 * The shape of a plane-wise layer's tensor: `n` batches of `ch` planes of h x w bytes, whatever the tensor's rank
 * (3 to 5): [n, ch, h, w]; [n, ch, w] for a 1-D layer (h = 1); [n, c, d, h, w] for a 3-D layer whose depth is
 * folded into the planes (NUMERICS §24). The kernels read bytes only, so the byte count is what must agree.
 */
export function planeShapeOk(shape: readonly number[], n: number, ch: number, h: number, w: number): boolean {
  if (shape.length < 3 || shape.length > 5 || shape[0] !== n) return false;
  return shape.reduce((a, b) => a * b, 1) === n * ch * h * w;
}

/**
 * The input of a pooling node and its layer's window attributes (inChw, outHw, kernel, strides, pads; the op adds
 * its own): GlobalAveragePool is a window over the whole plane.
 */
export function poolLayer(
  ctx: LoweringContext,
  node: GraphNode,
): { x: QuantTensor; dilations: readonly number[]; attrs: Record<string, number | number[]> } {
  const x = ctx.input(node, 0);
  if (x.dims.length !== 3 && x.dims.length !== 4)
    unsupported(node, `a rank-${x.dims.length} input (only 1-D NCL and 2-D NCHW pools)`);
  const [, c, ...size] = x.dims;
  const [h, w] = size.length === 2 ? size : [1, size[0]];
  const g = as2d(nodeWindow(node, size, POOL_KIND[node.opType] ?? "max"));
  const attrs: Record<string, number | number[]> = {
    inChw: [c, h, w],
    outHw: [...g.out],
    kernel: [...g.kernel],
    strides: [...g.strides],
    pads: [...g.pads],
  };
  return { x, dilations: g.dilations, attrs };
}

const POOL_KIND: Record<string, PoolKind> = {
  MaxPool: "max",
  AveragePool: "avg",
  GlobalAveragePool: "globalAvg",
  GlobalMaxPool: "globalMax",
};

export function validatePool(c: LayerCheck, kind: "MaxPool" | "AveragePool"): void {
  const [ch, h, w] = c.ints("inChw", 3, 1, MAX_DIM);
  const [oh, ow] = c.ints("outHw", 2, 1, MAX_DIM);
  const [kh, kw] = c.ints("kernel", 2, 1, MAX_DIM);
  c.ints("strides", 2, 1, MAX_DIM);
  c.ints("pads", 4, 0, MAX_DIM);
  if (kind === "MaxPool") c.ints("dilations", 2, 1, MAX_DIM);
  else {
    c.scalar("countIncludePad", 0, 1);
    c.zeroPoint("zIn");
    if (kh * kw * 255 * 2 >= MAX_ACCUMULATOR) c.fail("window too large");
  }
  const { inShape, out } = c;
  const a = c.layer.attrs;
  if (!planeShapeOk(inShape, inShape[0], ch, h, w)) c.fail("input shape");
  if (!planeShapeOk(out, inShape[0], ch, oh, ow)) c.fail("output shape");
  const [sh, sw] = a.strides as number[];
  const [pt, pl, pb, pr] = a.pads as number[];
  const [dh, dw] = kind === "MaxPool" ? (a.dilations as number[]) : [1, 1];
  c.window(h, pt, pb, kh, dh, sh, oh);
  c.window(w, pl, pr, kw, dw, sw, ow);
  c.work(inShape[0] * ch * oh * ow * Math.min(kh, h) * Math.min(kw, w));
  c.absent("weights", "bias", "multiplier", "shift", "lut");
}

/** One plane's window of taps, `dilations` apart (MaxPool) or adjacent (AveragePool). */
export function poolPattern(layer: Layer, kind: "MaxPool" | "AveragePool", in0: number): ReadPattern {
  const a = layer.attrs;
  const [, h, w] = nums(a.inChw, 3);
  const dil = kind === "MaxPool" ? nums(a.dilations, 2) : [1, 1];
  return windowPattern(kind, 1, [h, w], nums(a.kernel, 2), dil, in0, false);
}

/** The window of output element i: its plane's first byte in S_k and its top-left corner (before padding). */
export function poolWindow(layer: Layer, in0: number, i: number): { base: number; y0: number; x0: number } {
  const a = layer.attrs;
  const [, h, w] = a.inChw as number[];
  const [oh, ow] = a.outHw as number[];
  const [sh, sw] = a.strides as number[];
  const [pt, pl] = a.pads as number[];
  const plane = oh * ow;
  const oy = Math.floor((i % plane) / ow);
  const ox = i % ow;
  return { base: in0 + Math.floor(i / plane) * h * w, y0: oy * sh - pt, x0: ox * sw - pl };
}

/**
 * A 3-D pool ([N, C, D, H, W]) as 2-D pool layers (NUMERICS §24): a global pool is one window over [C, D*H, W]
 * planes; otherwise the pool over (H, W) of each of the C*D planes, then the pool along D of the [D, OH*OW] planes
 * (skipped when it is the identity). Max is separable exactly; the average is rounded once per stage.
 */
export function lowerPool3d(ctx: LoweringContext, node: GraphNode, op: "MaxPool" | "AveragePool"): void {
  const x = ctx.input(node, 0);
  const [n, c, d, h, w] = x.dims;
  const kind = POOL_KIND[node.opType] ?? "max";
  const g = nodeWindow(node, [d, h, w], kind);
  const own: Record<string, number | number[]> =
    op === "MaxPool"
      ? {}
      : {
          countIncludePad: node.opType === "AveragePool" ? attrInt(node, "count_include_pad", 0) : 0,
          zIn: x.q.zeroPoint,
        };
  const emit = (input: number, name: string, a: Record<string, number | number[]>, dil: number[], dims?: number[]) => {
    const attrs = { ...a, ...own, ...(op === "MaxPool" ? { dilations: dil } : {}) };
    ctx.emit(name, x.q, { op, inputs: [input], attrs }, dims);
  };
  const out = node.outputs[0];
  if (kind === "globalAvg" || kind === "globalMax") {
    const a = { inChw: [c, d * h, w], outHw: [1, 1], kernel: [d * h, w], strides: [1, 1], pads: [0, 0, 0, 0] };
    emit(x.id, out, a, [1, 1]);
    return;
  }
  const [kd, kh, kw] = g.kernel;
  const [sd, sh, sw] = g.strides;
  const [dd, dh, dw] = g.dilations;
  const [pf, pt, pl, pk, pb, pr] = g.pads;
  const [od, oh, ow] = g.out;
  const depthIsIdentity = kd === 1 && sd === 1 && pf === 0 && pk === 0;
  const first = depthIsIdentity ? out : `${out}::pool_hw`;
  const a1 = { inChw: [c * d, h, w], outHw: [oh, ow], kernel: [kh, kw], strides: [sh, sw], pads: [pt, pl, pb, pr] };
  emit(x.id, first, a1, [dh, dw], depthIsIdentity ? undefined : [n, c, d, oh, ow]);
  if (depthIsIdentity) return;
  const mid = ctx.input({ ...node, inputs: [first] }, 0);
  const a2 = { inChw: [c, d, oh * ow], outHw: [od, oh * ow], kernel: [kd, 1], strides: [sd, 1], pads: [pf, 0, pk, 0] };
  emit(mid.id, out, a2, [dd, 1]);
}
