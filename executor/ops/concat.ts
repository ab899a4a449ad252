/**
 * Concat of N computed inputs along an axis: output element i is one byte of the input whose range along the axis
 * holds it, requantized to the output's parameters (NUMERICS §26.4).
 */
import { ShapeMismatchError } from "../errors";
import { type GraphNode, attrInt } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import { quantizeMultiplier } from "../quant/params";
import { concatMap } from "../runtime/kernels/movement";
import { clamp, roundShift } from "../runtime/kernels/requant";
import { shapeSize, tensorShape } from "../runtime/layout";
import { runPattern } from "../runtime/read-pattern";
import { type Layer, type Program, MAX_MULTIPLIER, MAX_SHIFT, MIN_SHIFT } from "../runtime/types";
import { defineOperator } from "./definition";
import type { LayerCheck } from "./check";
import { floatGather, normAxis, shapeOnly } from "./movement";

/** The most inputs of one Concat layer (its descriptor holds 4 + rank words per input). */
export const MAX_CONCAT_INPUTS = 256;

function concatDims(node: GraphNode, xs: readonly FTensor[]): { axis: number; dims: number[] } {
  const r = xs[0].dims.length;
  const axis = normAxis(node, attrInt(node, "axis", 0), r);
  const dims = [...xs[0].dims];
  dims[axis] = 0;
  for (const x of xs) {
    if (x.dims.length !== r || x.dims.some((n, d) => d !== axis && n !== xs[0].dims[d]))
      throw new ShapeMismatchError(`node '${node.name}' (Concat): input shapes differ off axis ${axis}`);
    dims[axis] += x.dims[axis];
  }
  return { axis, dims };
}

function shapesOf(layer: Layer, p: Program): number[][] {
  return layer.inputs.map((t) => tensorShape(p, t));
}

export const concat = defineOperator({
  op: "Concat",
  onnx: {
    Concat: {
      float(ctx, node) {
        const xs = node.inputs.map((_, k) => ctx.input(node, k));
        const { axis, dims } = concatDims(node, xs);
        return floatGather(
          concatMap(
            shapeOnly(dims, { axis }),
            xs.map((x) => x.dims),
          ),
          xs.map((x) => x.data),
          dims,
        );
      },
      lower(ctx, node) {
        const xs = node.inputs.map((_, k) => ctx.input(node, k));
        const out = node.outputs[0];
        if (xs.length === 1) return ctx.alias(out, { ...xs[0] });
        if (xs.length > MAX_CONCAT_INPUTS)
          throw new ShapeMismatchError(
            `node '${node.name}' (Concat): ${xs.length} inputs, at most ${MAX_CONCAT_INPUTS}`,
          );
        const axis = normAxis(node, attrInt(node, "axis", 0), xs[0].dims.length);
        const q = ctx.qparams(out);
        // per input: y = zOut + roundShift(x - zIn_k, M_k, s_k), M_k 2^-s_k ~ scale_k / scaleOut (identity when equal)
        const ms = xs.map((x) => quantizeMultiplier(x.q.scale / q.scale));
        ctx.emit(out, q, {
          op: "Concat",
          inputs: xs.map((x) => x.id),
          attrs: { axis, zIn: xs.map((x) => x.q.zeroPoint), zOut: q.zeroPoint },
          multiplier: Int32Array.from(ms, (m) => m[0]),
          shift: Int32Array.from(ms, (m) => m[1]),
        });
      },
    },
  },
  maxInputs: MAX_CONCAT_INPUTS,
  validate(c: LayerCheck) {
    const r = c.out.length;
    const axis = c.scalar("axis", 0, r - 1);
    let sum = 0;
    for (const t of c.layer.inputs) {
      const s = c.shapeOf(t);
      if (s.length !== r || s.some((n, d) => d !== axis && n !== c.out[d])) c.fail(`input ${t}: shape off the axis`);
      sum += s[axis];
    }
    if (sum !== c.out[axis]) c.fail(`the inputs' ${sum} along axis ${axis} differ from the output's ${c.out[axis]}`);
    c.ints("zIn", c.nIn, -128, 127);
    c.zeroPoint("zOut");
    const m = c.layer.multiplier;
    const s = c.layer.shift;
    if (!m || !s || m.length !== c.nIn || s.length !== c.nIn) c.fail(`multiplier/shift must have ${c.nIn} entries`);
    for (let k = 0; k < c.nIn; k++) {
      if (m[k] < 0 || m[k] >= MAX_MULTIPLIER) c.fail(`multiplier ${m[k]} outside [0, 2^15)`);
      if (s[k] < MIN_SHIFT || s[k] > MAX_SHIFT) c.fail(`shift ${s[k]} outside [${MIN_SHIFT}, ${MAX_SHIFT}]`);
    }
    c.absent("weights", "bias", "lut");
  },
  run(layer, inputs, p) {
    const map = concatMap(layer, shapesOf(layer, p));
    const zIn = layer.attrs.zIn as number[];
    const zOut = layer.attrs.zOut as number;
    const m = layer.multiplier!;
    const sh = layer.shift!;
    const n = shapeSize(layer.outShape);
    const y = new Int8Array(n);
    for (let i = 0; i < n; i++) {
      const { input: k, index } = map(i);
      y[i] = clamp(zOut + roundShift(inputs[k][index] - zIn[k], m[k], sh[k]), -128, 127);
    }
    return y;
  },
  readPattern: () => runPattern("pointwise", 1, 1),
  reads(layer, inputOffsets, i, p) {
    const s = concatMap(layer, shapesOf(layer, p))(i);
    return { bytes: [inputOffsets[s.input] + s.index], row: null };
  },
});
