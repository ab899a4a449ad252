/** AveragePool / GlobalAveragePool (NCHW, and NCL as a height-1 plane): the rounded mean of each window, ONNX's count_include_pad (NUMERICS §8). */
import { type GraphNode, attrInt } from "../model/graph";
import { averagePool as averagePoolKernel } from "../runtime/kernels/pool";
import { type LoweringContext, defineOperator } from "./definition";
import { lowerPool3d, poolF, poolLayer, poolPattern, poolWindow, validatePool } from "./pool";

/** Output quantization = input quantization; GlobalAveragePool never counts padding (it has none). */
function lowerAveragePool(ctx: LoweringContext, node: GraphNode): void {
  if (ctx.input(node, 0).dims.length === 5) return lowerPool3d(ctx, node, "AveragePool");
  const { x, attrs } = poolLayer(ctx, node);
  attrs.countIncludePad = node.opType === "AveragePool" ? attrInt(node, "count_include_pad", 0) : 0;
  attrs.zIn = x.q.zeroPoint;
  ctx.emit(node.outputs[0], x.q, { op: "AveragePool", inputs: [x.id], attrs });
}

export const averagePool = defineOperator({
  op: "AveragePool",
  onnx: {
    AveragePool: { float: (ctx, node) => poolF(node, ctx.input(node, 0), "avg"), lower: lowerAveragePool },
    GlobalAveragePool: { float: (ctx, node) => poolF(node, ctx.input(node, 0), "globalAvg"), lower: lowerAveragePool },
  },
  maxInputs: 1,
  validate: (c) => validatePool(c, "AveragePool"),
  run: (layer, [x]) => averagePoolKernel(layer, x),
  readPattern: (layer, in0) => poolPattern(layer, "AveragePool", in0),
  reads(layer, [in0], i) {
    const a = layer.attrs;
    const [, h, w] = a.inChw as number[];
    const [kh, kw] = a.kernel as number[];
    const [, , pb, pr] = a.pads as number[];
    const { base, y0, x0 } = poolWindow(layer, in0, i);
    const yz = Math.min(Math.min(y0 + kh, h + pb), h);
    const xz = Math.min(Math.min(x0 + kw, w + pr), w);
    const bytes: number[] = [];
    for (let iy = Math.max(y0, 0); iy < yz; iy++)
      for (let ix = Math.max(x0, 0); ix < xz; ix++) bytes.push(base + iy * w + ix);
    return { bytes, row: null };
  },
});
