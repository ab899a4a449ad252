/**
 * Add / Sub / Mul with ONNX broadcasting, of two computed tensors or of one and a constant (`weights`, on side
 * `constSide`): one family, three program ops that share everything but the arithmetic (NUMERICS §9).
 */
import { binary } from "../runtime/kernels/elementwise";
import { shapeSize } from "../runtime/layout";
import { runPattern } from "../runtime/read-pattern";
import { MAX_DIM, MAX_MULTIPLIER, MAX_SHIFT, MIN_SHIFT } from "../runtime/types";
import type { LayerCheck } from "./check";
import { type OperatorDefinition, defineOperator } from "./definition";

function binaryOperator<Op extends "Add" | "Sub" | "Mul">(op: Op): OperatorDefinition<Op> {
  return defineOperator({
    op,
    maxInputs: 2,
    validate(c: LayerCheck) {
      const { out, layer } = c;
      const rank = out.length;
      const a = c.ints("aShape", rank, 1, MAX_DIM);
      const b = c.ints("bShape", rank, 1, MAX_DIM);
      for (let d = 0; d < rank; d++) {
        if ((a[d] !== out[d] && a[d] !== 1) || (b[d] !== out[d] && b[d] !== 1)) c.fail("broadcast shapes");
      }
      c.zeroPoint("zA");
      c.zeroPoint("zB");
      c.zeroPoint("zOut");
      if (c.nIn === 2) {
        if (shapeSize(a) !== c.inSize || shapeSize(b) !== shapeSize(c.shapeOf(layer.inputs[1]))) c.fail("operand sizes");
        c.expect("weights", null);
      } else {
        const side = c.scalar("constSide", 0, 1);
        const dynSize = shapeSize(side === 0 ? b : a);
        if (dynSize !== c.inSize) c.fail("operand sizes");
        c.expect("weights", shapeSize(side === 0 ? a : b));
      }
      const nm = op === "Mul" ? 1 : 2;
      const m = layer.multiplier;
      const s = layer.shift;
      if (!m || m.length !== nm || !s || s.length !== 1) c.fail("multiplier/shift");
      for (const v of m) if (v < 0 || v >= MAX_MULTIPLIER) c.fail("multiplier range");
      if (s[0] < MIN_SHIFT || s[0] > MAX_SHIFT) c.fail("shift range");
      c.expect("bias", null);
      c.expect("lut", null);
    },
    run: (layer, [x0, x1]) => binary(layer, x0, x1),
    readPattern(layer) {
      if (layer.inputs.length === 2) return { ...runPattern("pointwise", 2, 1), planes: 2, scattered: true };
      return runPattern("pointwise", 1, 1);
    },
    reads(layer, inOff, i) {
      const out = layer.outShape;
      const aShape = layer.attrs.aShape as number[];
      const bShape = layer.attrs.bShape as number[];
      let ia = 0;
      let ib = 0;
      let sa = 1;
      let sb = 1;
      let rem = i;
      for (let d = out.length - 1; d >= 0; d--) {
        const idx = rem % out[d];
        rem = Math.floor(rem / out[d]);
        if (aShape[d] !== 1) ia += idx * sa;
        if (bShape[d] !== 1) ib += idx * sb;
        sa *= aShape[d];
        sb *= bShape[d];
      }
      if (layer.inputs.length === 2) return { bytes: [inOff[0] + ia, inOff[1] + ib], row: null };
      return { bytes: [inOff[0] + ((layer.attrs.constSide as number) === 0 ? ib : ia)], row: 0 };
    },
  });
}

export const add = binaryOperator("Add");
export const sub = binaryOperator("Sub");
export const mul = binaryOperator("Mul");
