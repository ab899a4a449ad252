/** Conv 2-D (NCHW) with strides, pads, dilations and groups, and a fused output clamp (NUMERICS §6). */
import { conv as convKernel } from "../runtime/kernels/conv";
import { num, nums, windowPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import { defineOperator } from "./definition";

export const conv = defineOperator({
  op: "Conv",
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
    if (inShape.length !== 4 || inShape[1] !== ch || inShape[2] !== h || inShape[3] !== w) c.fail("input shape");
    if (out.length !== 4 || out[0] !== inShape[0] || out[1] !== m || out[2] !== oh || out[3] !== ow) c.fail("output shape");
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
