/**
 * Constant folding at quantization: a node whose every input is a constant (an initializer, or the output of a node
 * folded before it) produces no layer; its value, computed once by the operator's float reference, becomes a
 * constant that the rules of later nodes read (`LoweringContext.constant`). This is how a unary op applied to a
 * weight (Sqrt of a constant variance, Neg of a bias), or Add/Mul/Div of two constants, leaves the program.
 */
import type { Graph, GraphNode, Tensor } from "../model/graph";
import { type FloatContext, nodeRuleOf } from "../ops";
import { type FTensor, floatOf } from "./float-tensor";

/** The constants of the graph: its initializers, then the folded outputs (added by `fold`). */
export class Constants {
  private readonly folded = new Map<string, Tensor>();
  constructor(private readonly graph: Graph) {}

  get(name: string | undefined): Tensor | undefined {
    if (!name) return undefined;
    return this.graph.initializers.get(name) ?? this.folded.get(name);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  /**
   * If every (non-empty) input of `node` is a constant, evaluates the node with its float reference and records its
   * output as a constant; returns whether it did. A node without inputs is not folded.
   */
  fold(node: GraphNode): boolean {
    const names = node.inputs.filter((n) => n);
    const rule = nodeRuleOf(node.opType);
    if (!rule || names.length === 0 || !names.every((n) => this.has(n)) || !node.outputs[0]) return false;
    const read = (n: GraphNode, i: number): FTensor => floatOf(this.get(n.inputs[i])!);
    const ctx: FloatContext = {
      graph: this.graph,
      input: read,
      optional: (n, i) => (n.inputs[i] ? read(n, i) : undefined),
      consumed: () => false,
    };
    const result = rule.float(ctx, node);
    // a multi-output rule (Split) returns one tensor per output
    const ys = Array.isArray(result) ? result : [result];
    ys.forEach((y, i) => {
      const name = node.outputs[i];
      if (name) this.folded.set(name, { dtype: "float32", dims: [...y.dims], data: y.data });
    });
    return true;
  }
}
