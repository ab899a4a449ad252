/** What MaxPool and AveragePool share: the window validation, read pattern and the geometry of one element. */
import { type ReadPattern, nums, windowPattern } from "../runtime/read-pattern";
import { type Layer, MAX_ACCUMULATOR, MAX_DIM } from "../runtime/types";
import type { LayerCheck } from "./check";

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
  if (out.length !== 4 || out[0] !== inShape[0] || out[1] !== ch || out[2] !== oh || out[3] !== ow) c.fail("output shape");
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
