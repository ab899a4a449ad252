/**
 * Lut: y = lut[x + 128], a 256-entry int8 table (NUMERICS §10). Any function of one value becomes one: the unary
 * activations of `unary.ts` (LeakyRelu, Sigmoid, Tanh, Sqrt, Exp, Neg, Abs, Erf, Gelu, Elu, Selu, Softplus, Softsign,
 * HardSigmoid, HardSwish), Clip, and Pow with a constant exponent (or a constant base), each tabulated over the 256
 * input codes at publication.
 */
import { InvalidModelError } from "../errors";
import { type Graph, type GraphNode } from "../model/graph";
import { elementwise } from "../quant/float-tensor";
import { unsupported } from "../quant/params";
import { lut as lutKernel } from "../runtime/kernels/elementwise";
import { runPattern } from "../runtime/read-pattern";
import { type NodeRule, defineOperator } from "./definition";
import { ACTIVATIONS, activationRule, emitTable, uniformValue } from "./unary";

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

/**
 * Pow with one side constant and one value (every entry equal): x^p (a constant exponent: Pow(x, 2) in a decomposed
 * LayerNorm) or c^x (a constant base). Anything else is UnsupportedOperatorError naming the input.
 */
const pow: NodeRule = {
  float: (ctx, node) => elementwise(node, ctx.input(node, 0), ctx.input(node, 1), Math.pow),
  lower(ctx, node) {
    const e = ctx.constant(node.inputs[1]);
    const b = ctx.constant(node.inputs[0]);
    if (e) {
      const p = uniformValue(e);
      if (p === undefined) unsupported(node, "an exponent that is not one value (a constant with different entries)");
      emitTable(ctx, node.outputs[0], ctx.input(node, 0), (v) => Math.pow(v, p));
      return;
    }
    if (b) {
      const c = uniformValue(b);
      if (c === undefined) unsupported(node, "a constant base with different entries");
      emitTable(ctx, node.outputs[0], ctx.input(node, 1), (v) => Math.pow(c, v));
      return;
    }
    unsupported(node, "a computed exponent of a computed base (input 'Y' must be a constant)");
  },
};

const rules: Record<string, NodeRule> = {};
for (const [opType, activation] of Object.entries(ACTIVATIONS)) rules[opType] = activationRule(activation);

export const lut = defineOperator({
  op: "Lut",
  onnx: {
    ...rules,
    Clip: activationRule((graph, node) => {
      const [lo, hi] = clipBounds(graph, node);
      return { f: (v) => Math.min(Math.max(v, lo), hi) };
    }),
    Pow: pow,
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
