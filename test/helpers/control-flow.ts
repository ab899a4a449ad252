/**
 * A model with control flow: `y = Relu(If(ReduceMean(x) > 0, then: x * 2, else: -x))`, written with the project's
 * builder and ONNX writer (the If's branches are GRAPH attributes, sub-graphs reading the outer `x`). onnxruntime
 * runs it; Verity refuses it (executor/errors.ts ControlFlowError), and `verity model inspect` reports it.
 */
import { GraphBuilder, tensorF32 } from "../../executor/model/builder";
import type { Graph } from "../../executor/model/graph";
import { encodeGraphProto } from "../../executor/model/onnx";

/** One branch: a sub-graph with no inputs, reading the enclosing graph's `x`, writing `out` of shape [1, 4]. */
function branch(name: string, op: "Mul" | "Neg", out: string): Uint8Array {
  const b = new GraphBuilder(name, 13);
  const inputs = op === "Mul" ? ["x", b.initializer(`${name}_two`, tensorF32([], [2]))] : ["x"];
  b.node(op, inputs, {}, { name: `${name}_${op.toLowerCase()}`, outputs: [out] });
  b.output(out, [1, 4]);
  return encodeGraphProto(b.buildUnchecked());
}

/** The model's builder (`build()` refuses it, `buildUnchecked()` gives the graph as declared). */
export function controlFlowBuilder(): GraphBuilder {
  const b = new GraphBuilder("branchy", 13);
  const x = b.input("x", [1, 4]);
  const mean = b.node("ReduceMean", [x], { axes: [0, 1], keepdims: 0 }, { name: "mean0" });
  const cond = b.node("Greater", [mean, b.initializer("zero", tensorF32([], [0]))], {}, { name: "positive0" });
  const chosen = b.node(
    "If",
    [cond],
    {
      then_branch: { kind: "graph", value: branch("then", "Mul", "then_out") },
      else_branch: { kind: "graph", value: branch("else", "Neg", "else_out") },
    },
    { name: "if0" },
  );
  b.output(b.node("Relu", [chosen], {}, { name: "relu0" }), [1, 4]);
  return b;
}

export function controlFlowGraph(): Graph {
  return controlFlowBuilder().buildUnchecked();
}
