/** Transpose: output axis d is input axis perm[d] (NUMERICS §13). */
import { transpose as transposeKernel } from "../runtime/kernels/shape";
import { shapeSize, tensorShape } from "../runtime/layout";
import { runPattern } from "../runtime/read-pattern";
import { defineOperator } from "./definition";

export const transpose = defineOperator({
  op: "Transpose",
  maxInputs: 1,
  validate(c) {
    const { inShape, out } = c;
    const perm = c.ints("perm", inShape.length, 0, inShape.length - 1);
    if (new Set(perm).size !== perm.length || perm.some((pd, d) => inShape[pd] !== out[d]) || out.length !== inShape.length) {
      c.fail("perm");
    }
    c.absent("weights", "multiplier", "shift", "bias", "lut");
  },
  run: (layer, [x], p) => transposeKernel(layer, x, tensorShape(p, layer.inputs[0])),
  readPattern: () => runPattern("pointwise", 1, 1),
  reads(layer, [in0], i, p) {
    const inShape = tensorShape(p, layer.inputs[0]);
    const perm = layer.attrs.perm as number[];
    const out = layer.outShape;
    let rem = i;
    let j = 0;
    for (let d = out.length - 1; d >= 0; d--) {
      const idx = rem % out[d];
      rem = Math.floor(rem / out[d]);
      j += idx * shapeSize(inShape.slice(perm[d] + 1));
    }
    return { bytes: [in0 + j], row: null };
  },
});
