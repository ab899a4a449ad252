/** Lut: y = lut[x + 128], a 256-entry int8 table; LeakyRelu, Sigmoid, Tanh and Clip become one (NUMERICS §10). */
import { lut as lutKernel } from "../runtime/kernels/elementwise";
import { runPattern } from "../runtime/read-pattern";
import { defineOperator } from "./definition";

export const lut = defineOperator({
  op: "Lut",
  maxInputs: 1,
  validate(c) {
    c.expect("lut", 256);
    if (c.outSize !== c.inSize) c.fail("size");
    c.absent("weights", "multiplier", "shift", "bias");
  },
  run: (layer, [x]) => lutKernel(layer, x),
  readPattern: () => runPattern("pointwise", 1, 1),
  reads: (_layer, [in0], i) => ({ bytes: [in0 + i], row: null }),
});
