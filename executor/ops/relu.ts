/** Relu: y = max(x, zIn), the output quantized as the input (NUMERICS §10). */
import { relu as reluKernel } from "../runtime/kernels/elementwise";
import { runPattern } from "../runtime/read-pattern";
import { defineOperator } from "./definition";

export const relu = defineOperator({
  op: "Relu",
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
