/** Relu: y = max(x, zIn), the output quantized as the input (NUMERICS §10); a Relu after a Gemm or Conv is fused. */
import { map } from "../quant/float-tensor";
import { relu as reluKernel } from "../runtime/kernels/elementwise";
import { runPattern } from "../runtime/read-pattern";
import { defineOperator } from "./definition";

export const relu = defineOperator({
  op: "Relu",
  onnx: {
    Relu: {
      float: (ctx, node) => map(ctx.input(node, 0), (v) => (v > 0 ? v : 0)),
      lower(ctx, node) {
        const x = ctx.input(node, 0);
        ctx.emit(node.outputs[0], x.q, { op: "Relu", inputs: [x.id], attrs: { zIn: x.q.zeroPoint } });
      },
    },
  },
  maxInputs: 1,
  validate(c) {
    c.zeroPoint("zIn");
    if (c.outSize !== c.inSize) c.fail("size");
    c.absent("weights", "multiplier", "shift", "bias", "lut");
  },
  run: (layer, [x]) => reluKernel(layer, x),
  readPattern: () => runPattern("pointwise", 1, 1),
  reads: (_layer, [in0], i) => ({ bytes: [in0 + i], row: null }),
});
