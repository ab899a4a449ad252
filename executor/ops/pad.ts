/**
 * Pad: y[o] = x[j] with j_d = o_d - padBegin_d mapped by the mode (constant, reflect, edge, wrap), or the quantized
 * constant (NUMERICS §26.2). ONNX Pad in its newest form: pads, constant_value and axes are (constant) inputs.
 */
import { InvalidModelError, ShapeMismatchError } from "../errors";
import { type GraphNode, attrString } from "../model/graph";
import { clampI8, unsupported } from "../quant/params";
import { padMap } from "../runtime/kernels/movement";
import { MAX_DIM } from "../runtime/types";
import { type FloatContext, type LoweringContext, defineOperator } from "./definition";
import { constFloat, constInts, floatGather, indexMapOp, normAxis, shapeOnly } from "./movement";

/** The program's mode numbers. */
const MODES: Record<string, number> = { constant: 0, reflect: 1, edge: 2, wrap: 3 };

interface PadSpec {
  /** begins of every axis, then ends. */
  pads: number[];
  mode: number;
  value: number;
  dims: number[];
}

function padSpec(ctx: FloatContext | LoweringContext, node: GraphNode, dims: readonly number[]): PadSpec {
  const r = dims.length;
  const modeName = attrString(node, "mode", "constant");
  const mode = MODES[modeName];
  if (mode === undefined) unsupported(node, `mode '${modeName}'`);
  const given = constInts(ctx, node, 1, "pads");
  if (!given) throw new InvalidModelError(`node '${node.name}' (Pad): the pads input is required`);
  const axes = (constInts(ctx, node, 3, "axes") ?? dims.map((_, d) => d)).map((a) => normAxis(node, a, r));
  if (given.length !== 2 * axes.length || new Set(axes).size !== axes.length)
    throw new InvalidModelError(`node '${node.name}' (Pad): ${given.length} pads for ${axes.length} axes`);
  const pads = new Array<number>(2 * r).fill(0);
  axes.forEach((d, k) => {
    pads[d] = given[k];
    pads[r + d] = given[axes.length + k];
  });
  const out = dims.map((n, d) => n + pads[d] + pads[r + d]);
  if (out.some((n) => n < 1 || n > MAX_DIM))
    throw new ShapeMismatchError(
      `node '${node.name}' (Pad): pads [${given.join(", ")}] give shape [${out.join(", ")}]`,
    );
  if (mode === 1 && dims.some((n, d) => pads[d] > n - 1 || pads[r + d] > n - 1))
    unsupported(node, "reflect pads as large as the axis (onnxruntime refuses them too)");
  const c = constFloat(ctx, node, 2);
  if (node.inputs[2] && !c) unsupported(node, "a computed constant_value");
  return { pads, mode, value: c ? c.data[0] : 0, dims: out };
}

export const pad = defineOperator({
  op: "Pad",
  onnx: {
    Pad: {
      float(ctx, node) {
        const x = ctx.input(node, 0);
        const s = padSpec(ctx, node, x.dims);
        const map = padMap(shapeOnly(s.dims, { pads: s.pads, mode: s.mode, value: 0 }), x.dims);
        return floatGather(map, [x.data], s.dims, s.value);
      },
      lower(ctx, node) {
        const x = ctx.input(node, 0);
        const s = padSpec(ctx, node, x.dims);
        // the output keeps the input's quantization; the constant saturates if it lies outside its range
        const value = clampI8(x.q.zeroPoint + Math.round(s.value / x.q.scale));
        ctx.emit(node.outputs[0], x.q, { op: "Pad", inputs: [x.id], attrs: { pads: s.pads, mode: s.mode, value } });
      },
    },
  },
  maxInputs: 1,
  validate(c) {
    const r = c.inShape.length;
    if (c.out.length !== r) c.fail("rank");
    const pads = c.ints("pads", 2 * r, -MAX_DIM, MAX_DIM);
    const mode = c.scalar("mode", 0, 3);
    c.zeroPoint("value");
    for (let d = 0; d < r; d++) {
      const n = c.inShape[d];
      if (c.out[d] !== n + pads[d] + pads[r + d]) c.fail(`axis ${d}: output ${c.out[d]} is not ${n} + pads`);
      if (mode === 1 && (pads[d] > n - 1 || pads[r + d] > n - 1)) c.fail(`axis ${d}: reflect pads over ${n - 1}`);
    }
    c.absent("weights", "multiplier", "shift", "bias", "lut");
  },
  ...indexMapOp(padMap),
});
