/**
 * Where with a constant condition (NUMERICS §26.7): y = X where the condition is nonzero, else Y, with ONNX
 * broadcasting. The condition is the layer's weights (0/1 bytes, in rows of its last dim); X and Y are computed
 * tensors requantized to the output's parameters (as Concat), or one of them a constant scalar quantized to the
 * output's (`value`). A computed condition is not supported here.
 */
import { type GraphNode } from "../model/graph";
import { broadcastShape, padShape } from "../quant/float-tensor";
import { clampI8, quantizeMultiplier, unsupported } from "../quant/params";
import { broadcastIndex, whereCondition } from "../runtime/kernels/movement";
import { where as whereKernel } from "../runtime/kernels/elementwise";
import { shapeSize } from "../runtime/layout";
import { runPattern } from "../runtime/read-pattern";
import { type Layer, MAX_DIM, MAX_MULTIPLIER, MAX_SHIFT, MIN_SHIFT } from "../runtime/types";
import type { LayerCheck } from "./check";
import { type LoweringContext, type QuantTensor, defineOperator } from "./definition";
import { constFloat } from "./movement";

/** The computed input (its position in the layer's inputs) of side 0 (X) or 1 (Y), or -1 for the constant side. */
function inputOf(layer: Layer, side: number): number {
  const xConst = layer.attrs.xConst as number;
  const yConst = layer.attrs.yConst as number;
  if (side === 0) return xConst === 1 ? -1 : 0;
  return yConst === 1 ? -1 : 1 - xConst;
}

/** Output element i: its side, and the input byte it reads (input -1: the constant `value`). */
function source(layer: Layer, i: number): { side: number; row: number; input: number; index: number } {
  const { side, row } = whereCondition(layer, i);
  const input = inputOf(layer, side);
  const shape = layer.attrs[side === 0 ? "xShape" : "yShape"] as number[];
  return { side, row, input, index: input < 0 ? 0 : broadcastIndex(layer.outShape, shape, i) };
}

function lowerWhere(ctx: LoweringContext, node: GraphNode): void {
  const cond = constFloat(ctx, node, 0);
  if (!cond) unsupported(node, "a computed condition");
  const out = node.outputs[0];
  const dims = ctx.dims(out);
  const r = dims.length;
  const q = ctx.qparams(out);
  const sides: (QuantTensor | number)[] = [1, 2].map((k) => {
    const c = constFloat(ctx, node, k);
    if (!c) return ctx.input(node, k);
    if (c.data.length !== 1) unsupported(node, "a constant X or Y that is not a scalar");
    return c.data[0];
  });
  if (sides.every((s) => typeof s === "number")) unsupported(node, "constant X and Y (fold it first)");
  const ms = sides.map((s) => (typeof s === "number" ? [1 << 14, 14] : quantizeMultiplier(s.q.scale / q.scale)));
  const constant = sides.find((s) => typeof s === "number");
  const tensors = sides.filter((s): s is QuantTensor => typeof s !== "number");
  ctx.emit(out, q, {
    op: "Where",
    inputs: tensors.map((t) => t.id),
    attrs: {
      cShape: padShape(cond.dims, r),
      xShape: typeof sides[0] === "number" ? dims.map(() => 1) : padShape(sides[0].dims, r),
      yShape: typeof sides[1] === "number" ? dims.map(() => 1) : padShape(sides[1].dims, r),
      xConst: typeof sides[0] === "number" ? 1 : 0,
      yConst: typeof sides[1] === "number" ? 1 : 0,
      zIn: sides.map((s) => (typeof s === "number" ? q.zeroPoint : s.q.zeroPoint)),
      zOut: q.zeroPoint,
      value: constant === undefined ? 0 : clampI8(q.zeroPoint + Math.round(constant / q.scale)),
    },
    weights: Int8Array.from(cond.data, (v) => (v !== 0 ? 1 : 0)),
    multiplier: Int32Array.from(ms, (m) => m[0]),
    shift: Int32Array.from(ms, (m) => m[1]),
  });
}

export const where = defineOperator({
  op: "Where",
  onnx: {
    Where: {
      float(ctx, node) {
        const [c, x, y] = [0, 1, 2].map((k) => ctx.input(node, k));
        const dims = broadcastShape(node, broadcastShape(node, c.dims, x.dims), y.dims);
        const r = dims.length;
        const [cs, xs, ys] = [c, x, y].map((t) => padShape(t.dims, r));
        const n = shapeSize(dims);
        const data = new Float32Array(n);
        for (let i = 0; i < n; i++) {
          const pick = c.data[broadcastIndex(dims, cs, i)] !== 0;
          data[i] = pick ? x.data[broadcastIndex(dims, xs, i)] : y.data[broadcastIndex(dims, ys, i)];
        }
        return { dims, data };
      },
      lower: lowerWhere,
    },
  },
  maxInputs: 2,
  validate(c: LayerCheck) {
    const r = c.out.length;
    const shapes = ["cShape", "xShape", "yShape"].map((name) => c.ints(name, r, 1, MAX_DIM));
    for (const s of shapes) if (s.some((n, d) => n !== 1 && n !== c.out[d])) c.fail("a shape does not broadcast");
    const xConst = c.scalar("xConst", 0, 1);
    const yConst = c.scalar("yConst", 0, 1);
    if (xConst + yConst > 1 || c.nIn !== 2 - xConst - yConst) c.fail("inputs and constant sides disagree");
    [0, 1].forEach((side) => {
      const k = inputOf(c.layer, side);
      if (k >= 0 && shapeSize(c.shapeOf(c.layer.inputs[k])) !== shapeSize(shapes[1 + side]))
        c.fail(`input ${k}: size differs from its shape`);
    });
    c.ints("zIn", 2, -128, 127);
    c.zeroPoint("zOut");
    c.zeroPoint("value");
    c.expect("weights", shapeSize(shapes[0]));
    const m = c.layer.multiplier;
    const s = c.layer.shift;
    if (!m || !s || m.length !== 2 || s.length !== 2) c.fail("multiplier/shift must have 2 entries");
    for (let k = 0; k < 2; k++) {
      if (m[k] < 0 || m[k] >= MAX_MULTIPLIER) c.fail(`multiplier ${m[k]} outside [0, 2^15)`);
      if (s[k] < MIN_SHIFT || s[k] > MAX_SHIFT) c.fail(`shift ${s[k]} outside [${MIN_SHIFT}, ${MAX_SHIFT}]`);
    }
    c.absent("bias", "lut");
  },
  run: (layer, inputs) => whereKernel(layer, inputs),
  weightRows(layer) {
    const cShape = layer.attrs.cShape as number[];
    return shapeSize(cShape) / cShape[cShape.length - 1];
  },
  readPattern: () => runPattern("pointwise", 1, 1),
  reads(layer, inputOffsets, i) {
    const s = source(layer, i);
    return { bytes: s.input < 0 ? [] : [inputOffsets[s.input] + s.index], row: s.row };
  },
});
