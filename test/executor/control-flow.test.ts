/**
 * Control flow (If, Loop, Scan: operators with sub-graph attributes) cannot be a static integer program. The import
 * path (`loadOnnx`, `GraphBuilder.build`, `verity model import`) refuses such a node with a `ControlFlowError`
 * naming it; the inspect path (`decodeOnnx`, `inspectGraph`, `verity model inspect`) decodes the model and reports
 * the node as refused with that reason, next to the rest of its table. The CLI side is in ./cli.test.ts.
 */
import { expect } from "chai";
import * as ort from "onnxruntime-node";
import { onnx } from "onnx-proto";

import { ControlFlowError, UnsupportedOperatorError } from "../../executor/errors";
import { inspectGraph } from "../../executor/inspect";
import { GraphBuilder } from "../../executor/model/builder";
import { decodeOnnx, encodeGraphProto, encodeOnnx, loadOnnx } from "../../executor/model/onnx";
import { controlFlowBuilder, controlFlowGraph } from "../helpers/control-flow";

const REASON = "control flow cannot be a static integer program";

describe("control flow (If, Loop, Scan)", function () {
  const bytes = encodeOnnx(controlFlowGraph());

  it("the writer encodes GRAPH attributes: onnxruntime runs both branches of the If, and decode/encode keeps the bytes", async () => {
    const session = await ort.InferenceSession.create(bytes, { logSeverityLevel: 3 });
    const run = async (v: number[]) =>
      Array.from(
        (await session.run({ x: new ort.Tensor("float32", Float32Array.from(v), [1, 4]) }))[session.outputNames[0]]
          .data as Float32Array,
      );
    expect(await run([1, 2, 3, -1])).to.deep.equal([2, 4, 6, 0]); // mean > 0: then, x * 2
    expect(await run([-1, -2, -3, 1])).to.deep.equal([1, 2, 3, 0]); // else, -x
    const node = onnx.ModelProto.decode(bytes).graph!.node!.find((n) => n.opType === "If")!;
    expect(node.attribute!.map((a) => [a.name, a.type, a.g?.node?.[0]?.opType])).to.deep.equal([
      ["then_branch", onnx.AttributeProto.AttributeType.GRAPH, "Mul"],
      ["else_branch", onnx.AttributeProto.AttributeType.GRAPH, "Neg"],
    ]);
    expect(encodeOnnx(decodeOnnx(bytes))).to.deep.equal(bytes);
  });

  it("R12-3: loadOnnx and GraphBuilder.build refuse the If with a ControlFlowError naming the node", () => {
    for (const load of [() => loadOnnx(bytes), () => controlFlowBuilder().build()]) {
      let error: unknown;
      try {
        load();
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ControlFlowError).and.instanceOf(UnsupportedOperatorError);
      const e = error as ControlFlowError;
      expect([e.nodeName, e.opType]).to.deep.equal(["if0", "If"]);
      expect(e.message).to.contain("node 'if0' (If) is control flow").and.contain(REASON);
    }
  });

  it("R12-3: inspect decodes the model and lists the If as refused for control flow, with every other node", () => {
    const report = inspectGraph(decodeOnnx(bytes));
    expect(report.operators).to.deep.equal({ ReduceMean: 1, Greater: 1, If: 1, Relu: 1 });
    expect(report.nodes.map((n) => [n.name, n.status])).to.deep.equal([
      ["mean0", "rewritten"],
      ["positive0", "refused"],
      ["if0", "refused"],
      ["relu0", "supported"],
    ]);
    const row = report.nodes.find((n) => n.name === "if0")!;
    expect(row.detail).to.contain("sub-graph attribute 'then_branch'").and.contain(REASON);
    expect(report.refusals).to.include(row.detail);
    expect(report.program).to.equal(undefined);
  });

  it("refuses a sub-graph attribute on any other operator, naming the node and the attribute", () => {
    const b = new GraphBuilder("odd", 13);
    const x = b.input("x", [1, 4]);
    const body = new GraphBuilder("body", 13);
    body.output(body.node("Neg", ["x"], {}, { outputs: ["z"] }), [1, 4]);
    b.output(b.node("Relu", [x], { body: { kind: "graph", value: encodeGraphProto(body.buildUnchecked()) } }), [1, 4]);
    const g = b.buildUnchecked();
    expect(() => loadOnnx(encodeOnnx(g)))
      .to.throw(UnsupportedOperatorError, "uses Relu with attribute 'body' of type GRAPH")
      .and.not.be.instanceOf(ControlFlowError);
    expect(inspectGraph(decodeOnnx(encodeOnnx(g))).refusals).to.have.length(1);
  });
});
