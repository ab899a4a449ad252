/**
 * What MaxPool and AveragePool share: the float reference of the ONNX pools, the window attributes of their layers,
 * the window validation, the read pattern and the geometry of one element.
 */
import { type GraphNode, attrInt, attrInts } from "../model/graph";
import { type FTensor, expect4d } from "../quant/float-tensor";
import { window2d } from "../quant/geometry";
import { unsupported } from "../quant/params";
import { type ReadPattern, nums, windowPattern } from "../runtime/read-pattern";
import { type Layer, MAX_ACCUMULATOR, MAX_DIM } from "../runtime/types";
import type { LayerCheck } from "./check";
import type { LoweringContext, QuantTensor } from "./definition";

/** ONNX MaxPool, AveragePool and GlobalAveragePool in float (2-D, NCHW). */
export function poolF(node: GraphNode, x: FTensor, kind: "max" | "avg" | "global"): FTensor {
  const [n, c, h, w] = expect4d(node, x);
  const kernel = kind === "global" ? [h, w] : attrInts(node, "kernel_shape", []);
  if (kind === "max" && node.outputs.length > 1 && node.outputs[1]) unsupported(node, "the Indices output");
  if (kind === "max" && attrInt(node, "storage_order", 0) !== 0) unsupported(node, "storage_order 1");
  const g =
    kind === "global"
      ? { kernel: [h, w], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], out: [1, 1] }
      : window2d(node, h, w, kernel, true);
  const [oh, ow] = g.out;
  const includePad = attrInt(node, "count_include_pad", 0) === 1;
  const data = new Float32Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        let best = -Infinity;
        let sum = 0;
        let cnt = 0;
        for (let ky = 0; ky < g.kernel[0]; ky++) {
          const iy = oy * g.strides[0] - g.pads[0] + ky * g.dilations[0];
          for (let kx = 0; kx < g.kernel[1]; kx++) {
            const ix = ox * g.strides[1] - g.pads[1] + kx * g.dilations[1];
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const v = x.data[(p * h + iy) * w + ix];
            if (v > best) best = v;
            sum += v;
            cnt++;
          }
        }
        let div = cnt;
        if (kind === "avg" && includePad) {
          const y0 = oy * g.strides[0] - g.pads[0];
          const x0 = ox * g.strides[1] - g.pads[1];
          div = (Math.min(y0 + g.kernel[0], h + g.pads[2]) - y0) * (Math.min(x0 + g.kernel[1], w + g.pads[3]) - x0);
        }
        data[(p * oh + oy) * ow + ox] = kind === "max" ? best : div > 0 ? sum / div : 0;
      }
  return { dims: [n, c, oh, ow], data };
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
  if (x.dims.length !== 4) unsupported(node, `a rank-${x.dims.length} input (only NCHW is supported)`);
  const [, c, h, w] = x.dims;
  const g =
    node.opType === "GlobalAveragePool"
      ? { kernel: [h, w], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], out: [1, 1] }
      : window2d(node, h, w, [...((node.attributes.kernel_shape?.value as number[] | undefined) ?? [])], true);
  const attrs: Record<string, number | number[]> = {
    inChw: [c, h, w],
    outHw: [...g.out],
    kernel: [...g.kernel],
    strides: [...g.strides],
    pads: [...g.pads],
  };
  return { x, dilations: g.dilations, attrs };
}

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
  if (inShape.length !== 4 || inShape[1] !== ch || inShape[2] !== h || inShape[3] !== w) c.fail("input shape");
  if (out.length !== 4 || out[0] !== inShape[0] || out[1] !== ch || out[2] !== oh || out[3] !== ow)
    c.fail("output shape");
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
