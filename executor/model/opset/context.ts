/**
 * What an opset rewrite (executor/model/opset/rewrites.ts) sees of the graph while the importer walks it in
 * topological order: the model's opset, the node, the constants and the static shapes known so far, and fresh
 * names for the nodes and constant tensors it adds.
 */
import { InvalidModelError, UnsupportedOperatorError } from "../../errors";
import { SUPPORTED_OPERATORS, type AttributeValue, type GraphNode, type Tensor } from "../graph";

export interface RewriteContext {
  /** The model's default-domain opset. */
  readonly opset: number;
  readonly node: GraphNode;
  /** The constant value of a tensor (initializer, folded Constant or shape sub-graph), if it is one. */
  constant(name: string): Tensor | undefined;
  /** The static shape of a tensor, when the importer knows it. */
  shape(name: string): readonly number[] | undefined;
  /** Adds a constant tensor under a fresh name derived from `base`; returns the name. */
  addConstant(base: string, t: Tensor): string;
  /** A fresh tensor or node name derived from `base`. */
  fresh(base: string): string;
}

/** A rewrite returns the canonical node(s) replacing `ctx.node`, in topological order. */
export type Rewrite = (ctx: RewriteContext) => GraphNode[];

/** A copy of the node with some attributes removed and others set. */
export function withAttributes(
  node: GraphNode,
  drop: readonly string[],
  set: Readonly<Record<string, AttributeValue>> = {},
): GraphNode {
  const attributes: Record<string, AttributeValue> = {};
  for (const [k, v] of Object.entries(node.attributes)) {
    if (drop.includes(k)) continue;
    Object.defineProperty(attributes, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  for (const [k, v] of Object.entries(set)) {
    Object.defineProperty(attributes, k, { value: v, enumerable: true, writable: true, configurable: true });
  }
  return { ...node, attributes };
}

/** The node with its inputs replaced. */
export function withInputs(node: GraphNode, inputs: readonly string[]): GraphNode {
  // trailing empty optional inputs are dropped, as ONNX writers do
  const trimmed = [...inputs];
  while (trimmed.length > 0 && trimmed[trimmed.length - 1] === "") trimmed.pop();
  return { ...node, inputs: trimmed };
}

export function int64(dims: readonly number[], data: readonly number[]): Tensor {
  return { dtype: "int64", dims: [...dims], data: [...data] };
}

export function float32(dims: readonly number[], data: readonly number[]): Tensor {
  return { dtype: "float32", dims: [...dims], data: Float32Array.from(data) };
}

export function refuse(node: GraphNode, detail: string): never {
  throw new UnsupportedOperatorError(node.name, node.opType, SUPPORTED_OPERATORS, detail);
}

export function invalid(node: GraphNode, reason: string): never {
  throw new InvalidModelError(`node '${node.name}' (${node.opType}): ${reason}`);
}
