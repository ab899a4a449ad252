/** Softmax along one axis (outer x axisSize x inner), through a 256-entry exp table held in `bias` (NUMERICS §12). */
import { softmax as softmaxKernel } from "../runtime/kernels/softmax";
import { num, runPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import { defineOperator } from "./definition";

export const softmax = defineOperator({
  op: "Softmax",
  maxInputs: 1,
  validate(c) {
    const outer = c.scalar("outer", 1, MAX_DIM);
    const axis = c.scalar("axisSize", 1, 1 << 15);
    const inner = c.scalar("inner", 1, MAX_DIM);
    if (outer * axis * inner !== c.inSize || c.outSize !== c.inSize) c.fail("shapes");
    c.expect("bias", 256);
    const table = c.layer.bias!;
    for (const e of table) if (e < 0 || e > 1 << 16) c.fail("exp table entries must be in [0, 2^16]");
    if (table[255] !== 1 << 16) c.fail("exp table must end with 2^16");
    c.absent("weights", "multiplier", "shift", "lut");
  },
  run: (layer, [x]) => softmaxKernel(layer, x),
  readPattern(layer) {
    // the n bytes of the element's axis, `inner` apart, read twice, and the element itself (SoftmaxKernel)
    const n = num(layer.attrs.axisSize);
    const inner = num(layer.attrs.inner);
    return { ...runPattern("Softmax", 2 * n + 1, 1), rows: n, rowStride: inner, rowChunks: 1 };
  },
  reads(layer, [in0], i) {
    const n = layer.attrs.axisSize as number;
    const inner = layer.attrs.inner as number;
    const span = n * inner;
    const base = in0 + Math.floor(i / span) * span + (i % inner);
    const bytes: number[] = [];
    for (let j = 0; j < n; j++) bytes.push(base + j * inner);
    return { bytes, row: null };
  },
});
