/**
 * Lut: y = lut[x + 128], a 256-entry int8 table (NUMERICS §10). Any activation of one value becomes one: ONNX
 * LeakyRelu, Sigmoid, Tanh and Clip, each tabulated over the 256 input codes at publication.
 */
import { InvalidModelError } from "../errors";
import { type Graph, type GraphNode, attrFloat } from "../model/graph";
import { map } from "../quant/float-tensor";
import { clampI8, unsupported } from "../quant/params";
import { lut as lutKernel } from "../runtime/kernels/elementwise";
import { runPattern } from "../runtime/read-pattern";
import type { QParams } from "../runtime/types";
import { type NodeRule, defineOperator } from "./definition";

/**
 * Resolved bounds of a Clip node: its optional constant inputs min and max (the opset-11 form; the importer turns the
 * attributes of older opsets into these inputs, executor/model/opset).
 */
export function clipBounds(graph: Graph, node: GraphNode): [number, number] {
  const bound = (i: number, fallback: number): number => {
    const name = node.inputs[i];
    if (!name) return fallback;
    const t = graph.initializers.get(name);
    if (!t) unsupported(node, "a non-constant min/max input");
    if (t.data.length !== 1) throw new InvalidModelError(`node '${node.name}' (Clip): min/max must be scalars`);
    return Number(t.data[0]);
  };
  return [bound(1, -Infinity), bound(2, Infinity)];
}

/** An activation: the real function, and the output quantization when it is fixed (else the calibrated one). */
interface Activation {
  f: (v: number) => number;
  q?: QParams;
}

/** The float reference and the table of one activation. */
function activationRule(activation: (graph: Graph, node: GraphNode) => Activation): NodeRule {
  return {
    float(ctx, node) {
      const { f } = activation(ctx.graph, node);
      return map(ctx.input(node, 0), f);
    },
    lower(ctx, node) {
      const x = ctx.input(node, 0);
      const { f, q: fixed } = activation(ctx.graph, node);
      const q = fixed ?? ctx.qparams(node.outputs[0]);
      const table = new Int8Array(256);
      for (let i = 0; i < 256; i++)
        table[i] = clampI8(q.zeroPoint + Math.round(f(x.q.scale * (i - 128 - x.q.zeroPoint)) / q.scale));
      ctx.emit(node.outputs[0], q, { op: "Lut", inputs: [x.id], attrs: {}, lut: table });
    },
  };
}

export const lut = defineOperator({
  op: "Lut",
  onnx: {
    LeakyRelu: activationRule((_graph, node) => {
      const alpha = attrFloat(node, "alpha", 0.01);
      return { f: (v) => (v >= 0 ? v : alpha * v) };
    }),
    // outputs in (0, 1) and (-1, 1): fixed scales that cover them exactly
    Sigmoid: activationRule(() => ({ f: (v) => 1 / (1 + Math.exp(-v)), q: { scale: 1 / 256, zeroPoint: -128 } })),
    Tanh: activationRule(() => ({ f: Math.tanh, q: { scale: 1 / 128, zeroPoint: 0 } })),
    Clip: activationRule((graph, node) => {
      const [lo, hi] = clipBounds(graph, node);
      return { f: (v) => Math.min(Math.max(v, lo), hi) };
    }),
  },
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
