/**
 * The import pass (executor/model/opset, executor/model/simplify): opset rewrites to the canonical form, input
 * binding, folding of constants and shape sub-graphs, Identity/Dropout removal, LayerNorm/GELU recognition, and the
 * typed errors of what cannot be imported. The old-opset graphs against onnxruntime: test/conformance/import.test.ts.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";

import {
  DynamicShapeError,
  InvalidModelError,
  UnfoldableNodeError,
  UnsupportedDomainError,
  UnsupportedOperatorError,
  UnsupportedOpsetError,
  VerityError,
} from "../../executor/errors";
import { inspectGraph } from "../../executor/inspect";
import { GraphBuilder, tensorF32, tensorI64 } from "../../executor/model/builder";
import type { Graph } from "../../executor/model/graph";
import { decodeOnnx, encodeOnnx, loadOnnx } from "../../executor/model/onnx";
import { OPSET_TABLE, opsetTableMarkdown } from "../../executor/model/opset/table";
import { CANONICAL_OPSET, MAX_OPSET, MIN_OPSET } from "../../executor/model/opset/versions";
import { canonicalGraph, prepareGraph } from "../../executor/model/simplify";
import { isKnownOperator } from "../../executor/model/simplify/known";
import { checkOperators } from "../../executor/model/validate";
import { runFloat } from "../../executor/quant";

const ROOT = path.join(__dirname, "..", "..");

function ops(g: Graph): string[] {
  return g.nodes.map((n) => n.opType);
}

function range(n: number, scale = 0.1): number[] {
  return Array.from({ length: n }, (_, i) => ((i * 37) % 11) * scale - 0.5);
}

function thrown(f: () => unknown): VerityError {
  try {
    f();
  } catch (e) {
    if (e instanceof VerityError) return e;
    throw e;
  }
  throw new Error("expected a VerityError");
}

describe("import: opsets 6..22 and the canonical form", function () {
  describe("the opset table", function () {
    it("docs/MODEL_IMPORT.md prints exactly the code's table", function () {
      const doc = fs.readFileSync(path.join(ROOT, "docs", "MODEL_IMPORT.md"), "utf8");
      expect(doc, "paste opsetTableMarkdown() into docs/MODEL_IMPORT.md").to.include(opsetTableMarkdown());
    });

    it("has at most one row per operator at any opset, each for an operator the importer knows", function () {
      for (const r of OPSET_TABLE) {
        expect(r.from, r.op).to.be.lessThan(r.until);
        expect(isKnownOperator(r.op), r.op).to.equal(true);
        for (const s of OPSET_TABLE) {
          if (s !== r && s.op === r.op)
            expect(s.until <= r.from || s.from >= r.until, `${r.op} rows overlap`).to.equal(true);
        }
      }
      expect([MIN_OPSET, MAX_OPSET, CANONICAL_OPSET]).to.deep.equal([6, 22, 22]);
    });
  });

  describe("rewrites", function () {
    it("Softmax before 13 coerces to 2-D at axis: Flatten, Softmax on the last axis, Reshape back", function () {
      const b = new GraphBuilder("sm", 11);
      const x = b.input("x", [1, 2, 3]);
      b.output(b.node("Softmax", [x], {}, { name: "sm" }), [1, 2, 3]);
      const g = b.build();
      const c = canonicalGraph(g);
      expect(c.opsetVersion).to.equal(22);
      expect(ops(c)).to.deep.equal(["Flatten", "Softmax", "Reshape"]);
      const input = Float32Array.from(range(6, 0.7));
      const y = runFloat(g, input).data;
      // the opset-11 meaning: softmax over the 6 values of the flattened [1, 6]
      const e = Array.from(input, (v) => Math.exp(v));
      const sum = e.reduce((a, v) => a + v, 0);
      e.forEach((v, i) => expect(y[i]).to.be.closeTo(v / sum, 1e-6));
      expect(c.nodes[1].attributes.axis).to.deep.equal({ kind: "int", value: -1 });
    });

    it("Softmax before 13 on its last axis stays one node with axis -1", function () {
      const b = new GraphBuilder("sm", 9);
      const x = b.input("x", [1, 10]);
      b.output(b.node("Softmax", [x]), [1, 10]);
      expect(ops(canonicalGraph(b.build()))).to.deep.equal(["Softmax"]);
    });

    it("Clip before 11: min/max attributes become constant inputs", function () {
      const b = new GraphBuilder("clip", 6);
      const x = b.input("x", [1, 4]);
      b.output(b.node("Clip", [x], { min: -0.25, max: 0.5 }, { name: "c" }), [1, 4]);
      const g = b.build();
      const c = canonicalGraph(g);
      const node = c.nodes[0];
      expect(node.attributes).to.deep.equal({});
      expect(node.inputs).to.have.length(3);
      expect(c.initializers.get(node.inputs[1])!.data[0]).to.equal(-0.25);
      expect(Array.from(runFloat(g, Float32Array.of(-1, 0.1, 0.4, 2)).data)).to.deep.equal(
        [-0.25, 0.1, 0.4, 0.5].map(Math.fround),
      );
    });

    it("BatchNormalization before 9: is_test and spatial = 1 dropped, spatial = 0 refused naming the node", function () {
      const mk = (spatial: number) => {
        const b = new GraphBuilder("bn", 7);
        const x = b.input("x", [1, 2, 3, 3]);
        const p = (n: string, v: number[]) => b.initializer(n, tensorF32([2], v));
        const y = b.node(
          "BatchNormalization",
          [x, p("s", [1, 2]), p("b", [0, 1]), p("m", [0, 0]), p("v", [1, 1])],
          {
            spatial,
            is_test: 1,
          },
          { name: "bn0" },
        );
        b.output(y, [1, 2, 3, 3]);
        return b;
      };
      expect(canonicalGraph(mk(1).build()).nodes[0].attributes).to.deep.equal({});
      const e = thrown(() => mk(0).build());
      expect(e).to.be.instanceOf(UnsupportedOperatorError);
      expect(e.message).to.include("node 'bn0'").and.include("spatial = 0");
    });

    it("Gemm before 7 drops broadcast; Add before 7 aligns a constant B at axis", function () {
      const b = new GraphBuilder("legacy", 6);
      const x = b.input("x", [1, 3, 2, 2]);
      const y = b.node("Add", [x, b.initializer("bias", tensorF32([3], [1, 2, 3]))], { broadcast: 1, axis: 1 });
      b.output(y, [1, 3, 2, 2]);
      const g = b.build();
      const c = canonicalGraph(g);
      expect(c.nodes[0].attributes).to.deep.equal({});
      expect(c.initializers.get(c.nodes[0].inputs[1])!.dims).to.deep.equal([3, 1, 1]);
      const out = runFloat(g, new Float32Array(12)).data;
      expect(Array.from(out)).to.deep.equal([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);

      const m = new GraphBuilder("gemm6", 6);
      const xi = m.input("x", [1, 2]);
      const w = m.initializer("w", tensorF32([2, 2], [1, 0, 0, 1]));
      m.output(m.node("Gemm", [xi, w, m.initializer("c", tensorF32([2], [1, 1]))], { broadcast: 1 }), [1, 2]);
      expect(canonicalGraph(m.build()).nodes[0].attributes).to.deep.equal({});
    });

    it("Pad before 11, Slice before 10, Squeeze/Unsqueeze/ReduceSum before 13, ReduceMean before 18: attributes become inputs", function () {
      const b = new GraphBuilder("attrs", 9);
      const x = b.input("x", [1, 4]);
      const p = b.node("Pad", [x], { pads: [0, 1, 0, 1], mode: "constant", value: 0.5 }, { name: "pad" });
      const s = b.node("Slice", [p], { starts: [1], ends: [5], axes: [1] }, { name: "slice" });
      const u = b.node("Unsqueeze", [s], { axes: [0] }, { name: "unsq" });
      const q = b.node("Squeeze", [u], { axes: [0] }, { name: "sq" });
      const r = b.node("ReduceSum", [q], { axes: [1], keepdims: 1 }, { name: "rs" });
      b.output(b.node("ReduceMean", [r], { axes: [0] }, { name: "rm" }), [1, 1]);
      const { graph, fates } = prepareGraph(b.buildStructural(), false);
      const byName = new Map(graph.nodes.map((n) => [n.name, n]));
      const ints = (name: string, i: number) => [...graph.initializers.get(byName.get(name)!.inputs[i])!.data];
      expect(ints("pad", 1)).to.deep.equal([0, 1, 0, 1]);
      expect(graph.initializers.get(byName.get("pad")!.inputs[2])!.data[0]).to.equal(0.5);
      expect(ints("slice", 1)).to.deep.equal([1]);
      expect(ints("slice", 2)).to.deep.equal([5]);
      expect(ints("slice", 3)).to.deep.equal([1]);
      expect(ints("unsq", 1)).to.deep.equal([0]);
      expect(ints("sq", 1)).to.deep.equal([0]);
      expect(ints("rs", 1)).to.deep.equal([1]);
      expect(ints("rm", 1)).to.deep.equal([0]);
      // rewritten, and (until their operators land) refused at run time, but never for their old attributes
      for (const n of ["pad", "slice", "unsq", "sq", "rs", "rm"]) {
        const f = fates.get(n)!;
        if (f.kind === "refused") expect(f.error.message).to.not.match(/attribute/);
        else expect(f.kind).to.equal("rewritten");
      }
      for (const n of graph.nodes) expect(Object.keys(n.attributes)).to.not.include.members(["axes", "pads", "starts"]);
    });

    it("Split before 18 without split gets num_outputs; before 13 the split attribute becomes an input", function () {
      const b = new GraphBuilder("split", 11);
      const x = b.input("x", [1, 4]);
      const [a, c] = b.nodeOutputs("Split", [x], { axis: 1 }, { name: "s1", outputs: 2 });
      const [d, e] = b.nodeOutputs("Split", [x], { axis: 1, split: [1, 3] }, { name: "s2", outputs: 2 });
      b.output(b.node("Concat", [a, c, d, e], { axis: 1 }), [1, 8]);
      const { graph } = prepareGraph(b.buildStructural(), false);
      const s1 = graph.nodes.find((n) => n.name === "s1")!;
      const s2 = graph.nodes.find((n) => n.name === "s2")!;
      expect(s1.attributes.num_outputs).to.deep.equal({ kind: "int", value: 2 });
      expect([...graph.initializers.get(s2.inputs[1])!.data]).to.deep.equal([1, 3]);
    });

    it("refuses attributes that a pooling version lacks, and Upsample", function () {
      const b = new GraphBuilder("mp", 8);
      const x = b.input("x", [1, 1, 4, 4]);
      b.output(b.node("MaxPool", [x], { kernel_shape: [2, 2], ceil_mode: 1 }, { name: "mp" }), [1, 1, 2, 2]);
      const e = thrown(() => b.build());
      expect(e).to.be.instanceOf(InvalidModelError);
      expect(e.message).to.include("node 'mp'").and.include("'ceil_mode' exists only from opset 10");
      const u = new GraphBuilder("up", 9);
      const y = u.input("y", [1, 1, 2, 2]);
      u.output(u.node("Upsample", [y, u.initializer("sc", tensorF32([4], [1, 1, 2, 2]))], {}, { name: "up" }), [-1]);
      expect(thrown(() => u.build()).message).to.include("node 'up' uses Upsample");
    });

    it("refuses opsets outside 6..22, other domains (naming node and opset) and operators newer than the opset", function () {
      const b = new GraphBuilder("old", 5);
      b.output(b.node("Relu", [b.input("x", [1, 2])]), [1, 2]);
      expect(thrown(() => b.build())).to.be.instanceOf(UnsupportedOpsetError);
      const ln = new GraphBuilder("ln", 13);
      const x = ln.input("x", [1, 4]);
      const s = ln.initializer("s", tensorF32([4], [1, 1, 1, 1]));
      ln.output(ln.node("LayerNormalization", [x, s], {}, { name: "ln0" }), [1, 4]);
      const e = thrown(() => ln.build()) as UnsupportedOpsetError;
      expect(e).to.be.instanceOf(UnsupportedOpsetError);
      expect(e.message).to.include("node 'ln0' uses LayerNormalization, which ONNX defines from opset 17");
      expect([e.opset, e.nodeName]).to.deep.equal([13, "ln0"]);
      const d = new GraphBuilder("dom", 13);
      const y = d.input("x", [1, 2]);
      d.output(d.node("Relu", [y], {}, { name: "r" }), [1, 2]);
      const nodes = [{ ...d.buildStructural().nodes[0], domain: "com.microsoft" }];
      const de = thrown(() => checkOperators(nodes, 13)) as UnsupportedDomainError;
      expect(de).to.be.instanceOf(UnsupportedDomainError);
      expect([de.nodeName, de.domain, de.opset]).to.deep.equal(["r", "com.microsoft", 13]);
    });
  });

  describe("inputs", function () {
    it("binds a symbolic batch dimension to 1 and refuses other symbolic dimensions", function () {
      const b = new GraphBuilder("dyn", 13);
      const x = b.input("x", [-1, 4]);
      b.output(b.node("Relu", [x]), [-1, 4]);
      expect(canonicalGraph(b.build()).inputs[0].dims).to.deep.equal([1, 4]);
      const c = new GraphBuilder("dyn2", 13);
      c.output(c.node("Relu", [c.input("x", [1, -1])]), [1, -1]);
      const e = thrown(() => c.build()) as DynamicShapeError;
      expect(e).to.be.instanceOf(DynamicShapeError);
      expect([e.input, e.axis]).to.deep.equal(["x", 1]);
      expect(e.message).to.include("symbolic dimension at axis 1");
    });

    it("runs a graph whose other inputs are initializers (IR < 4 lists initializers as graph inputs)", function () {
      const b = new GraphBuilder("ir3", 7);
      const x = b.input("x", [1, 2]);
      b.input("w", [2, 2]);
      const w = b.initializer("w", tensorF32([2, 2], [1, 2, 3, 4]));
      b.output(b.node("MatMul", [x, w]), [1, 2]);
      const g = loadOnnx(encodeOnnx(b.build()));
      expect(g.inputs.map((i) => i.name)).to.deep.equal(["x"]);
      expect(Array.from(runFloat(g, Float32Array.of(1, 1)).data)).to.deep.equal([4, 6]);
    });
  });

  describe("simplification", function () {
    it("folds a PyTorch shape sub-graph (Shape, Gather, Unsqueeze, Concat, Reshape) once the batch is bound", function () {
      const b = new GraphBuilder("view", 11);
      const x = b.input("x", [-1, 2, 2, 2]);
      const shape = b.node("Shape", [x]);
      const n = b.node("Gather", [shape, b.initializer("zero", tensorI64([], [0]))], { axis: 0 });
      const un = b.node("Unsqueeze", [n], { axes: [0] });
      const cat = b.node("Concat", [un, b.node("Constant", [], { value: tensorI64([1], [-1]) })], { axis: 0 });
      const flat = b.node("Reshape", [x, cat], {}, { name: "view" });
      const w = b.initializer("w", tensorF32([3, 8], range(24)));
      b.output(b.node("Gemm", [flat, w], { transB: 1 }), [-1, 3]);
      const g = b.build();
      const c = canonicalGraph(g);
      expect(ops(c)).to.deep.equal(["Reshape", "Gemm"]);
      expect([...c.initializers.get(c.nodes[0].inputs[1])!.data]).to.deep.equal([1, -1]);
      expect(runFloat(g, new Float32Array(8).fill(1)).dims).to.deep.equal([1, 3]);
    });

    it("folds ConstantOfShape, Cast, Range and integer arithmetic (Mul, Div, Add, Sub, Equal, Where) on constants", function () {
      const b = new GraphBuilder("consts", 13);
      const x = b.input("x", [1, 6]);
      const r = b.node("Range", [
        b.initializer("s", tensorI64([], [0])),
        b.initializer("l", tensorI64([], [6])),
        b.initializer("d", tensorI64([], [2])),
      ]); // [0, 2, 4]
      const half = b.node("Div", [
        b.node("Mul", [r, b.initializer("three", tensorI64([], [3]))]),
        b.initializer("two", tensorI64([], [2])),
      ]); // [0, 3, 6]
      const eq = b.node("Equal", [half, b.initializer("z", tensorI64([], [0]))]); // [1, 0, 0]
      const pick = b.node("Where", [eq, b.initializer("one", tensorI64([3], [1, 1, 1])), half]); // [1, 3, 6]
      const f = b.node("Cast", [pick], { to: 1 }); // float
      const ones = b.node("ConstantOfShape", [b.initializer("sh", tensorI64([1], [3]))], {
        value: tensorF32([1], [0.5]),
      });
      const sum = b.node("Add", [f, ones]); // [1.5, 3.5, 6.5]
      const bias = b.node("Concat", [sum, b.node("Sub", [sum, b.initializer("k", tensorF32([], [1]))])], { axis: 0 });
      b.output(b.node("Add", [x, bias], {}, { name: "out" }), [1, 6]);
      const g = b.build();
      const c = canonicalGraph(g);
      expect(ops(c)).to.deep.equal(["Add"]);
      expect(Array.from(c.initializers.get(c.nodes[0].inputs[1])!.data)).to.deep.equal([1.5, 3.5, 6.5, 0.5, 2.5, 5.5]);
    });

    it("removes Identity and Dropout (a trailing one renames its producer's output, keeping the graph output name)", function () {
      const b = new GraphBuilder("id", 13);
      const x = b.input("x", [1, 3]);
      const h = b.node("Dropout", [b.node("Identity", [b.node("Relu", [x])])], {}, { outputs: ["h", ""] });
      b.output(b.node("Identity", [b.node("Sigmoid", [h])], {}, { outputs: ["y"] }), [1, 3]);
      const c = canonicalGraph(b.build());
      expect(ops(c)).to.deep.equal(["Relu", "Sigmoid"]);
      expect(c.nodes[1].outputs).to.deep.equal(["y"]);
      expect(c.outputs[0].name).to.equal("y");
    });

    it("refuses what cannot be folded with an error naming the node and the reason", function () {
      const b = new GraphBuilder("cast", 13);
      const x = b.input("x", [1, 3]);
      b.output(b.node("Cast", [x], { to: 1 }, { name: "cast0" }), [1, 3]);
      const e = thrown(() => b.build());
      expect(e).to.be.instanceOf(UnfoldableNodeError);
      expect(e.message).to.include("node 'cast0' (Cast) cannot be computed before quantization").and.include("'x'");
      const d = new GraphBuilder("div0", 13);
      const y = d.input("x", [1, 1]);
      const bad = d.node(
        "Div",
        [d.initializer("a", tensorI64([1], [1])), d.initializer("z", tensorI64([1], [0]))],
        {},
        { name: "div0" },
      );
      d.output(d.node("Reshape", [y, bad]), [1]);
      expect(thrown(() => d.build()).message)
        .to.include("node 'div0' (Div)")
        .and.include("division by 0");
    });
  });

  describe("patterns", function () {
    /** An MLP with LayerNorm written out as PyTorch exports it (ReduceMean/Sub/Pow/Sqrt/Div plus Constant nodes). */
    function decomposedLayerNorm(opset: number, exponent = 2): GraphBuilder {
      const b = new GraphBuilder("ln_mlp", opset);
      const x = b.input("x", [1, 8]);
      const h = b.node(
        "Gemm",
        [x, b.initializer("w1", tensorF32([6, 8], range(48))), b.initializer("b1", tensorF32([6], range(6)))],
        {
          transB: 1,
        },
      );
      const k = (v: number) => b.node("Constant", [], { value: tensorF32([], [v]) });
      const mean = (t: string, name: string) =>
        opset >= 18
          ? b.node("ReduceMean", [t, b.initializer(`${name}_axes`, tensorI64([1], [-1]))], {}, { name })
          : b.node("ReduceMean", [t], { axes: [-1] }, { name });
      const m = mean(h, "mean0");
      const d = b.node("Sub", [h, m]);
      const v = mean(b.node("Pow", [d, k(exponent)]), "var0");
      const s = b.node("Sqrt", [b.node("Add", [v, k(1e-5)])]);
      const n = b.node("Div", [d, s]);
      const y = b.node("Add", [
        b.node("Mul", [n, b.initializer("gamma", tensorF32([6], range(6)))]),
        b.initializer("beta", tensorF32([6], range(6, 0.05))),
      ]);
      const r = b.node("Relu", [y]);
      b.output(
        b.node(
          "Gemm",
          [r, b.initializer("w2", tensorF32([3, 6], range(18))), b.initializer("b2", tensorF32([3], [0, 0, 0]))],
          { transB: 1 },
        ),
        [1, 3],
      );
      return b;
    }

    for (const opset of [11, 13, 17, 18]) {
      it(`recognizes a decomposed LayerNorm (opset ${opset}) as LayerNormalization(axis, epsilon, scale, bias)`, function () {
        const { graph, fates } = prepareGraph(decomposedLayerNorm(opset).buildStructural(), false);
        expect(ops(graph)).to.deep.equal(["Gemm", "LayerNormalization", "Relu", "Gemm"]);
        const ln = graph.nodes[1];
        expect(ln.attributes.axis).to.deep.equal({ kind: "int", value: 1 });
        expect(ln.attributes.epsilon).to.deep.equal({ kind: "float", value: Math.fround(1e-5) });
        expect(Array.from(graph.initializers.get(ln.inputs[1])!.data)).to.deep.equal(range(6).map(Math.fround));
        expect(Array.from(graph.initializers.get(ln.inputs[2])!.data)).to.deep.equal(range(6, 0.05).map(Math.fround));
        expect(fates.get("mean0")).to.deep.include({ kind: "fused", op: "LayerNormalization" });
      });
    }

    it("leaves a near-miss (Pow 3) op by op", function () {
      const { graph } = prepareGraph(decomposedLayerNorm(13, 3).buildStructural(), false);
      expect(ops(graph)).to.include.members(["ReduceMean", "Pow", "Sqrt", "Div"]);
      expect(ops(graph)).to.not.include("LayerNormalization");
    });

    it("recognizes GELU, erf form (three associations) and tanh form", function () {
      const forms: [string, (b: GraphBuilder, x: string, u: string, half: string) => string][] = [
        ["(x * u) * 0.5", (b, x, u, half) => b.node("Mul", [b.node("Mul", [x, u]), half])],
        ["x * (u * 0.5)", (b, x, u, half) => b.node("Mul", [x, b.node("Mul", [u, half])])],
        ["(x * 0.5) * u", (b, x, u, half) => b.node("Mul", [b.node("Mul", [x, half]), u])],
      ];
      for (const [label, tail] of forms) {
        const b = new GraphBuilder("gelu", 13);
        const x = b.input("x", [1, 4]);
        const k = (v: number) => b.initializer(`k${v}`, tensorF32([], [v]));
        const u = b.node("Add", [b.node("Erf", [b.node("Div", [x, k(1.4142135)])]), k(1)]);
        b.output(tail(b, x, u, k(0.5)), [1, 4]);
        const { graph } = prepareGraph(b.buildStructural(), false);
        expect(ops(graph), label).to.deep.equal(["Gelu"]);
        expect(graph.nodes[0].attributes.approximate).to.deep.equal({ kind: "string", value: "none" });
      }
      const b = new GraphBuilder("gelu_tanh", 13);
      const x = b.input("x", [1, 4]);
      const k = (v: number) => b.initializer(`k${v}`, tensorF32([], [v]));
      const cube = b.node("Pow", [x, k(3)]);
      const r = b.node("Add", [x, b.node("Mul", [cube, k(0.044715)])]);
      const t = b.node("Tanh", [b.node("Mul", [r, k(0.7978845608)])]);
      b.output(b.node("Mul", [b.node("Mul", [x, k(0.5)]), b.node("Add", [t, k(1)])]), [1, 4]);
      const { graph } = prepareGraph(b.buildStructural(), false);
      expect(ops(graph)).to.deep.equal(["Gelu"]);
      expect(graph.nodes[0].attributes.approximate).to.deep.equal({ kind: "string", value: "tanh" });
    });
  });

  describe("inspect", function () {
    it("lists every refusal (not only the first), with the node and the reason", function () {
      const b = new GraphBuilder("bad", 13);
      const x = b.input("x", [1, 4]);
      const e = b.node("Hardmax", [x], {}, { name: "hardmax0" });
      const c = b.node("Cast", [e], { to: 1 }, { name: "cast0" });
      b.output(b.node("Relu", [b.node("LSTM", [c], {}, { name: "lstm0" })]), [1, 4]);
      const report = inspectGraph(decodeOnnx(encodeOnnx(b.buildStructural())));
      const refused = report.nodes.filter((n) => n.status === "refused").map((n) => n.name);
      expect(refused).to.deep.equal(["hardmax0", "cast0", "lstm0"]);
      expect(report.refusals).to.have.length(3);
      expect(report.program).to.equal(undefined);
    });

    it("reports the program's layers, state sizes and one-step witness bounds of a runnable model", function () {
      const report = inspectGraph(decomposedLayerNormFree());
      expect(report.refusals).to.deep.equal([]);
      expect(report.program!.layers.map((l) => l.op)).to.deep.equal(["Gemm", "Softmax"]);
      for (const l of report.program!.layers) {
        expect(l.gas).to.be.greaterThan(0).and.at.most(5_000_000);
        expect(l.calldata).to.be.greaterThan(0);
        expect(l.stateBytes).to.be.greaterThan(0);
      }
      function decomposedLayerNormFree(): Graph {
        const b = new GraphBuilder("small", 6);
        const x = b.input("x", [1, 4]);
        const w = b.initializer("w", tensorF32([3, 4], range(12)));
        const y = b.node("Gemm", [x, w, b.initializer("c", tensorF32([3], [0, 0, 0]))], { transB: 1, broadcast: 1 });
        b.output(b.node("Softmax", [b.node("Dropout", [y], { is_test: 1 })]), [1, 3]);
        return b.build();
      }
    });

    it("builds the program of a model with an integer input (token ids): its synthetic calibration is integers in [0, 255]", function () {
      const b = new GraphBuilder("tokens", 17);
      const ids = b.input("ids", [1, 3], "int64");
      const table = b.initializer("table", tensorF32([256, 2], range(512, 0.01)));
      b.output(b.node("Gather", [table, ids], { axis: 0 }), [1, 3, 2]);
      const report = inspectGraph(decodeOnnx(encodeOnnx(b.build())));
      expect(report.programError).to.equal(undefined);
      expect(report.program!.layers.map((l) => l.op)).to.deep.equal(["Embedding"]);
    });
  });
});
