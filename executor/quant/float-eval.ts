/**
 * Float reference evaluator for the supported operators: used to calibrate activation ranges and to measure the
 * quantized program's accuracy. It follows ONNX semantics in float64 arithmetic, storing float32 values; each
 * operator's reference is its `NodeRule.float` in executor/ops. (A reference only: nothing here runs in the
 * integer execution path.) It evaluates the canonical form of the graph (executor/model/simplify): opset rewrites,
 * fixed input shapes, folded constants and shape sub-graphs, fused LayerNorm/GELU.
 */
import { InvalidInputError, InvalidModelError, ShapeMismatchError } from "../errors";
import { type Graph, type GraphNode, sizeOf } from "../model/graph";
import { canonicalGraph } from "../model/simplify";
import { type FloatContext, nodeRuleOf } from "../ops";
import { type FTensor, floatOf } from "./float-tensor";
import { unsupported } from "./params";

export { type FTensor, broadcastShape, floatOf, padShape } from "./float-tensor";

/** The graph's single runtime input, with its symbolic batch dim bound to 1 (executor/model/simplify). */
export function graphInputShape(source: Graph): number[] {
  const graph = canonicalGraph(source);
  if (graph.inputs.length !== 1)
    throw new InvalidModelError(
      `the graph has ${graph.inputs.length} runtime inputs; Verity programs take exactly one`,
    );
  if (graph.outputs.length !== 1)
    throw new InvalidModelError(`the graph has ${graph.outputs.length} outputs; Verity programs produce exactly one`);
  return graph.inputs[0].dims.map((d) => (d < 1 ? 1 : d));
}

/**
 * Evaluates the float graph on one input (row-major, shaped like `graphInputShape`) and returns every tensor
 * by name (initializers included).
 */
export function evaluateFloat(source: Graph, input: Float32Array): Map<string, FTensor> {
  const graph = canonicalGraph(source);
  const inShape = graphInputShape(graph);
  if (!(input instanceof Float32Array)) throw new InvalidInputError("the float input must be a Float32Array");
  if (input.length !== sizeOf(inShape)) {
    throw new ShapeMismatchError(
      `the input has ${input.length} values, the model expects ${sizeOf(inShape)} (shape [${inShape.join(", ")}])`,
    );
  }
  const env = new Map<string, FTensor>();
  for (const [name, t] of graph.initializers) env.set(name, floatOf(t));
  env.set(graph.inputs[0].name, { dims: inShape, data: input });
  const get = (node: GraphNode, i: number): FTensor => {
    const name = node.inputs[i];
    const t = name ? env.get(name) : undefined;
    if (!t)
      throw new InvalidModelError(
        `node '${node.name}' (${node.opType}) reads '${name ?? ""}', which no node or initializer provides`,
      );
    return t;
  };
  const opt = (node: GraphNode, i: number): FTensor | undefined => (node.inputs[i] ? get(node, i) : undefined);
  const consumed = (name: string): boolean =>
    graph.outputs.some((o) => o.name === name) || graph.nodes.some((n) => n.inputs.includes(name));
  const ctx: FloatContext = { graph, input: get, optional: opt, consumed };
  for (const node of graph.nodes) {
    const rule = nodeRuleOf(node.opType);
    if (!rule) unsupported(node);
    const y = rule.float(ctx, node);
    if (!node.outputs[0]) throw new InvalidModelError(`node '${node.name}' has no output`);
    if (Array.isArray(y)) y.forEach((t, k) => node.outputs[k] && env.set(node.outputs[k], t));
    else env.set(node.outputs[0], y);
  }
  return env;
}

/** Runs the float graph and returns its output tensor. */
export function runFloat(source: Graph, input: Float32Array): FTensor {
  const graph = canonicalGraph(source);
  const env = evaluateFloat(graph, input);
  const out = env.get(graph.outputs[0].name);
  if (!out) throw new InvalidModelError(`no node produces the graph output '${graph.outputs[0].name}'`);
  return out;
}
