/** Reshape: the same values in the same row-major order under a new shape (Flatten and Reshape nodes; NUMERICS §13). */
import { reshape as reshapeKernel } from "../runtime/kernels/shape";
import { runPattern } from "../runtime/read-pattern";
import { defineOperator } from "./definition";

export const reshape = defineOperator({
  op: "Reshape",
  maxInputs: 1,
  validate(c) {
    if (c.outSize !== c.inSize) c.fail("size");
    c.absent("weights", "multiplier", "shift", "bias", "lut");
  },
  run: (layer, [x]) => reshapeKernel(layer, x),
  readPattern: () => runPattern("pointwise", 1, 1),
  reads: (_layer, [in0], i) => ({ bytes: [in0 + i], row: null }),
});
