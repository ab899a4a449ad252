/**
 * Affine: per-channel y = requant(bias[ch] + w[ch] * (x - zIn)), ch = floor(i / inner) mod channels; a
 * BatchNormalization that could not be folded into a preceding Conv or Gemm (NUMERICS §11).
 */
import { affine as affineKernel } from "../runtime/kernels/elementwise";
import { num, runPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import { defineOperator } from "./definition";

export const affine = defineOperator({
  op: "Affine",
  maxInputs: 1,
  validate(c) {
    const ch = c.scalar("channels", 1, MAX_DIM);
    const inner = c.scalar("inner", 1, MAX_DIM);
    const { inShape } = c;
    if (inShape.length < 2 || inShape[1] !== ch || c.inSize % (ch * inner) !== 0 || c.outSize !== c.inSize) c.fail("shapes");
    c.zeroPoint("zIn");
    c.zeroPoint("zOut");
    c.clamp();
    c.expect("weights", ch);
    c.expect("bias", ch);
    c.requant(ch);
    c.accumulator(1);
  },
  run: (layer, [x]) => affineKernel(layer, x),
  weightRows: (layer) => num(layer.attrs.channels),
  readPattern: () => runPattern("pointwise", 1, 1),
  reads: (layer, [in0], i) => ({
    bytes: [in0 + i],
    row: Math.floor(i / (layer.attrs.inner as number)) % (layer.attrs.channels as number),
  }),
});
