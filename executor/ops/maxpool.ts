/**
 * MaxPool and GlobalMaxPool (NCHW, and NCL as a height-1 plane): the largest in-bounds value of each window; padding
 * never wins (NUMERICS §7).
 */
import type { GraphNode } from "../model/graph";
import { maxPool as maxPoolKernel } from "../runtime/kernels/pool";
import { nums } from "../runtime/read-pattern";
import { type LoweringContext, defineOperator } from "./definition";
import { lowerPool3d, poolF, poolLayer, poolPattern, poolWindow, validatePool } from "./pool";

/** Output quantization = input quantization; GlobalMaxPool is one window over the whole plane. */
function lowerMaxPool(ctx: LoweringContext, node: GraphNode): void {
  if (ctx.input(node, 0).dims.length === 5) return lowerPool3d(ctx, node, "MaxPool");
  const { x, dilations, attrs } = poolLayer(ctx, node);
  attrs.dilations = [...dilations];
  ctx.emit(node.outputs[0], x.q, { op: "MaxPool", inputs: [x.id], attrs });
}

export const maxPool = defineOperator({
  op: "MaxPool",
  onnx: {
    MaxPool: {
      float: (ctx, node) => poolF(node, ctx.input(node, 0), "max"),
      lower: lowerMaxPool,
    },
    GlobalMaxPool: { float: (ctx, node) => poolF(node, ctx.input(node, 0), "globalMax"), lower: lowerMaxPool },
  },
  maxInputs: 1,
  validate: (c) => validatePool(c, "MaxPool"),
  run: (layer, [x]) => maxPoolKernel(layer, x),
  readPattern(layer, in0) {
    const e = poolPattern(layer, "MaxPool", in0);
    // MaxPool walks every kernel column of every in-bounds kernel row, padding included (PoolKernel.maxPool).
    const [kh, kw] = nums(layer.attrs.kernel, 2);
    e.trips = kh + e.rows * kw;
    return e;
  },
  reads(layer, [in0], i) {
    const a = layer.attrs;
    const [, h, w] = a.inChw as number[];
    const [kh, kw] = a.kernel as number[];
    const [dh, dw] = a.dilations as number[];
    const { base, y0, x0 } = poolWindow(layer, in0, i);
    const bytes: number[] = [];
    for (let ky = 0; ky < kh; ky++) {
      const iy = y0 + ky * dh;
      if (iy < 0 || iy >= h) continue;
      for (let kx = 0; kx < kw; kx++) {
        const ix = x0 + kx * dw;
        if (ix >= 0 && ix < w) bytes.push(base + iy * w + ix);
      }
    }
    return { bytes, row: null };
  },
});
