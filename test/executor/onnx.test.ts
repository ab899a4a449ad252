import { expect } from "chai";
import fc from "fast-check";
import * as ort from "onnxruntime-node";

import {
  InvalidInputError,
  InvalidModelError,
  OnnxDecodeError,
  UnsupportedOperatorError,
  UnsupportedOpsetError,
  VerityError,
} from "../../executor/errors";
import { GraphBuilder, tensorF32, tensorI64, toAttribute } from "../../executor/model/builder";
import { cidBytes, cidOf, cidToString } from "../../executor/model/cid";
import { SUPPORTED_OPERATORS, type Tensor } from "../../executor/model/graph";
import { decodeTensorProto, encodeOnnx, encodeTensorProto, loadOnnx } from "../../executor/model/onnx";
import { onnx } from "onnx-proto";
import { allOperatorsBuilder, cnnGraph, forOnnxruntime, mlpGraph, prng, randomData } from "../helpers/onnx-fixtures";

/** Runs `fn` and returns what it threw (fails the test if it did not throw). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  expect.fail("expected an error, but the call returned normally");
}

function expectError(fn: () => unknown, cls: new (...a: never[]) => VerityError, fragment: string | RegExp): Error {
  const e = thrown(fn);
  expect(e).to.be.instanceOf(cls, `got ${e?.constructor?.name}: ${e?.message}`);
  if (typeof fragment === "string") expect(e.message).to.include(fragment);
  else expect(e.message).to.match(fragment);
  return e;
}

// Loaded lazily through a real dynamic import: multiformats is ESM-only and this project compiles to CommonJS.
const esmImport = new Function("s", "return import(s)") as (s: string) => Promise<Record<string, unknown>>;

async function runOrt(bytes: Uint8Array, feeds: Record<string, { data: Float32Array; dims: number[] }>) {
  const session = await ort.InferenceSession.create(bytes);
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = new ort.Tensor("float32", v.data, v.dims);
  return session.run(ortFeeds);
}

/** A ModelProto assembled by hand (plain objects in onnx.proto field names), for inputs encodeOnnx cannot write. */
function rawModel(graph: Record<string, unknown>, opset = 13): Uint8Array {
  return onnx.ModelProto.encode({ irVersion: 8, opsetImport: [{ domain: "", version: opset }], graph }).finish();
}

const floatInfo = (name: string, dims: number[]) => ({
  name,
  type: {
    tensorType: { elemType: onnx.TensorProto.DataType.FLOAT, shape: { dim: dims.map((d) => ({ dimValue: d })) } },
  },
});

/** A one-node Relu graph whose extra initializer `w` (consumed by an Add) is given as a raw TensorProto object. */
function modelWithInitializer(w: Record<string, unknown>): Uint8Array {
  return rawModel({
    name: "g",
    node: [{ name: "add", opType: "Add", input: ["x", "w"], output: ["y"] }],
    initializer: [{ name: "w", ...w }],
    input: [floatInfo("x", [2])],
    output: [floatInfo("y", [2])],
  });
}

describe("ONNX model I/O", function () {
  describe("E8: encodeOnnx / loadOnnx round trip", function () {
    it("round-trips a graph that uses every supported operator", function () {
      const g = allOperatorsBuilder().build();
      const used = new Set(g.nodes.map((n) => n.opType));
      for (const op of SUPPORTED_OPERATORS) expect(used, `operator ${op}`).to.include(op);
      const back = loadOnnx(encodeOnnx(g));
      expect(back).to.deep.equal(g);
    });

    it("writes the same bytes again after a round trip", function () {
      const bytes = encodeOnnx(allOperatorsBuilder().build());
      expect(Buffer.from(encodeOnnx(loadOnnx(bytes))).equals(Buffer.from(bytes))).to.equal(true);
    });

    it("round-trips every attribute kind: int, float, ints, floats, string, tensor", function () {
      const b = new GraphBuilder("attrs", 13);
      const x = b.input("x", [2, 3]);
      const y = b.node("Identity", [x], {
        i: 7,
        neg: -3,
        big: 2 ** 40,
        f: 0.1,
        forcedFloat: { kind: "float", value: 2 },
        is: [1, -2, 3],
        fs: [0.5, 1.25, -3.1],
        forcedFloats: { kind: "floats", value: [1, 2] },
        s: "SAME_UPPER",
        unicode: "π ≈ 3.14",
        t: tensorF32([2, 2], [1, 2, 3, 4]),
        t64: tensorI64([3], [-1, 0, 2 ** 50]),
      });
      b.output(y, [2, 3]);
      const g = b.build();
      const attrs = loadOnnx(encodeOnnx(g)).nodes[0].attributes;
      expect(attrs).to.deep.equal(g.nodes[0].attributes);
      expect(attrs.i).to.deep.equal({ kind: "int", value: 7 });
      expect(attrs.f).to.deep.equal({ kind: "float", value: Math.fround(0.1) });
      expect(attrs.forcedFloat).to.deep.equal({ kind: "float", value: 2 });
      expect(attrs.is.kind).to.equal("ints");
      expect(attrs.fs.kind).to.equal("floats");
      expect(attrs.unicode).to.deep.equal({ kind: "string", value: "π ≈ 3.14" });
      expect(attrs.t64).to.deep.equal({ kind: "tensor", value: tensorI64([3], [-1, 0, 2 ** 50]) });
    });

    it("loads from a view with an odd byteOffset and does not alias the caller's bytes", function () {
      const g = cnnGraph();
      const bytes = encodeOnnx(g);
      const backing = new Uint8Array(bytes.length + 7);
      backing.set(bytes, 3);
      const view = backing.subarray(3, 3 + bytes.length);
      const back = loadOnnx(view);
      expect(back).to.deep.equal(g);
      backing.fill(0);
      expect(back).to.deep.equal(g);
    });

    it("keeps unknown (symbolic) dimensions as -1", function () {
      const b = new GraphBuilder("dyn", 13);
      const x = b.input("x", [-1, 4]);
      b.output(b.node("Relu", [x]), [-1, 4]);
      const back = loadOnnx(encodeOnnx(b.build()));
      expect(back.inputs[0].dims).to.deep.equal([-1, 4]);
      expect(back.outputs[0].dims).to.deep.equal([-1, 4]);
    });

    it("uses opts.name over the graph's own name", function () {
      const bytes = encodeOnnx(mlpGraph([4, 3]));
      expect(loadOnnx(bytes).name).to.equal("mlp");
      expect(loadOnnx(bytes, { name: "digits" }).name).to.equal("digits");
    });

    it("writes ir_version 8 and the graph's opset unless told otherwise", function () {
      const g = mlpGraph([4, 3]);
      const m = onnx.ModelProto.decode(encodeOnnx(g, { producerName: "trainer", irVersion: 7 })) as unknown as {
        irVersion: { toNumber(): number } | number;
        producerName: string;
        opsetImport: { domain: string; version: { toNumber(): number } | number }[];
      };
      expect(Number(m.irVersion)).to.equal(7);
      expect(m.producerName).to.equal("trainer");
      expect(Number(m.opsetImport[0].version)).to.equal(13);
      const d = onnx.ModelProto.decode(encodeOnnx(g)) as unknown as { irVersion: number };
      expect(Number(d.irVersion)).to.equal(8);
    });

    it("writes onnx.proto's proto2 layout (dims, ints and floats unpacked), which decodes like onnx-proto's packed one", function () {
      const b = new GraphBuilder("layout", 13);
      const x = b.input("x", [1, 1, 4, 4]);
      const y = b.node("MaxPool", [x], { kernel_shape: [2, 3], fs: { kind: "floats", value: [1, 2] } });
      b.output(y, [1, 1, 2, 2]);
      b.initializer("w", tensorF32([5, 6], randomData(prng(9), 30)));
      const g = b.buildUnchecked();
      const ours = Array.from(encodeOnnx(g));
      const has = (seq: number[]) => ours.some((_, i) => seq.every((v, k) => ours[i + k] === v));
      expect(has([0x40, 2, 0x40, 3]), "ints: tag (8 << 3 | 0) before each value").to.equal(true);
      expect(has([0x3d, 0, 0, 0x80, 0x3f, 0x3d, 0, 0, 0, 0x40]), "floats: tag (7 << 3 | 5) before each value").to.equal(
        true,
      );
      expect(has([0x08, 5, 0x08, 6, 0x10, 1]), "dims: tag (1 << 3 | 0) before each value, then data_type").to.equal(
        true,
      );
      // onnx-proto (compiled from onnx.proto3) packs all three; its bytes differ, the model read from them does not.
      const packed = onnx.ModelProto.encode(onnx.ModelProto.decode(Uint8Array.from(ours))).finish();
      expect(Buffer.from(packed).equals(Buffer.from(ours))).to.equal(false);
      expect(loadOnnx(packed)).to.deep.equal(loadOnnx(Uint8Array.from(ours)));
    });

    it("decodes a Node Buffer exactly as the same bytes in a plain Uint8Array (as a browser would)", function () {
      const good = encodeOnnx(mlpGraph([4, 3]));
      // A trailing ModelProto.doc_string (field 6) that claims 10 bytes and has 3: protobufjs' Buffer reader would
      // truncate the string and accept the file.
      const bad = Uint8Array.from([...good, 0x32, 10, 0x61, 0x62, 0x63]);
      expectError(() => loadOnnx(new Uint8Array(bad)), OnnxDecodeError, "could not be decoded");
      expectError(() => loadOnnx(Buffer.from(bad)), OnnxDecodeError, "could not be decoded");
      // Invalid UTF-8 in the graph name (GraphProto.name: tag 0x12, length 3, "mlp") decodes to the same string.
      const field = [0x12, 3, 0x6d, 0x6c, 0x70];
      const at = good.findIndex((_, i) => field.every((c, k) => good[i + k] === c));
      expect(at).to.be.greaterThan(0);
      const odd = Uint8Array.from(good);
      odd[at + 3] = 0xc3; // "m\xc3p": a lead byte without its continuation
      expect(loadOnnx(Buffer.from(odd)).name).to.equal(loadOnnx(new Uint8Array(odd)).name);
    });
  });

  describe("Constant folding and graph structure", function () {
    it("folds every Constant form (value, value_float(s), value_int(s)) into initializers", function () {
      const b = new GraphBuilder("consts", 13);
      const x = b.input("x", [2]);
      const c1 = b.node("Constant", [], { value: tensorF32([2], [1, 2]) }, { name: "c1" });
      const c2 = b.node("Constant", [], { value_float: 0.5 }, { name: "c2" });
      const c3 = b.node("Constant", [], { value_floats: [0.25, 4] }, { name: "c3" });
      const c4 = b.node("Constant", [], { value_int: 3 }, { name: "c4" });
      const c5 = b.node("Constant", [], { value_ints: [1, 2] }, { name: "c5" });
      const a = b.node("Add", [x, c1]);
      const m = b.node("Mul", [a, c2]);
      const s = b.node("Sub", [m, c3]);
      const r = b.node("Reshape", [s, c5]);
      b.output(r, [1, 2]);
      // Unchecked: the encoded file really contains the Constant nodes.
      const bytes = encodeOnnx(b.buildUnchecked());
      expect((onnx.ModelProto.decode(bytes) as unknown as { graph: { node: unknown[] } }).graph.node).to.have.length(9);
      const g = loadOnnx(bytes);
      expect(g.nodes.map((n) => n.opType)).to.deep.equal(["Add", "Mul", "Sub", "Reshape"]);
      expect(g.initializers.get(c1)).to.deep.equal(tensorF32([2], [1, 2]));
      expect(g.initializers.get(c2)).to.deep.equal(tensorF32([], [0.5]));
      expect(g.initializers.get(c3)).to.deep.equal(tensorF32([2], [0.25, 4]));
      expect(g.initializers.get(c4)).to.deep.equal(tensorI64([], [3]));
      expect(g.initializers.get(c5)).to.deep.equal(tensorI64([2], [1, 2]));
      expect(b.build()).to.deep.equal(g);
    });

    it("sorts a shuffled chain back into its only topological order", function () {
      const g = cnnGraph();
      const rand = prng(42);
      for (let trial = 0; trial < 5; trial++) {
        const shuffled = [...g.nodes];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = Math.floor(rand() * (i + 1));
          [shuffled[i], shuffled[j]] = [shuffled[j], shuffled[i]];
        }
        expect(shuffled.map((n) => n.name)).to.not.deep.equal(g.nodes.map((n) => n.name));
        const back = loadOnnx(encodeOnnx({ ...g, nodes: shuffled }));
        expect(back.nodes.map((n) => n.name)).to.deep.equal(g.nodes.map((n) => n.name));
      }
    });

    it("orders random DAGs so that every input is defined before use, keeping file order among ready nodes", function () {
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom("Add", "Sub", "Mul")), { minLength: 1, maxLength: 25 }),
          fc.array(fc.nat(), { minLength: 25, maxLength: 25 }),
          (specs, perm) => {
            const b = new GraphBuilder("dag", 13);
            const names = [b.input("x", [3])];
            specs.forEach(([i, j, op], k) => {
              names.push(b.node(op, [names[i % names.length], names[j % names.length]], {}, { name: `n${k}` }));
            });
            b.output(names[names.length - 1], [3]);
            const g = b.buildUnchecked();
            const nodes = [...g.nodes];
            perm.slice(0, nodes.length).forEach((p, i) => {
              const j = p % nodes.length;
              [nodes[i], nodes[j]] = [nodes[j], nodes[i]];
            });
            const back = loadOnnx(encodeOnnx({ ...g, nodes }));
            const defined = new Set(["x"]);
            for (const n of back.nodes) {
              for (const t of n.inputs)
                expect(defined.has(t), `${n.name} reads ${t} before it is defined`).to.equal(true);
              n.outputs.forEach((o) => defined.add(o));
            }
            expect(back.nodes).to.have.length(specs.length);
            // The builder's own order is already topological, so building unshuffled keeps it exactly.
            expect(b.build().nodes.map((n) => n.name)).to.deep.equal(g.nodes.map((n) => n.name));
          },
        ),
        { seed: 7, numRuns: 100 },
      );
    });

    it("loads a skip-connection DAG (residual Add) that onnxruntime runs identically", async function () {
      const rand = prng(5);
      const b = new GraphBuilder("resnet_block", 13);
      const x = b.input("x", [1, 2, 5, 5]);
      const w1 = b.initializer("w1", tensorF32([2, 2, 3, 3], randomData(rand, 36, 0.5)));
      const w2 = b.initializer("w2", tensorF32([2, 2, 3, 3], randomData(rand, 36, 0.5)));
      const h = b.node("Conv", [x, w1], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: "conv_a" });
      const r = b.node("Relu", [h], {}, { name: "relu_a" });
      const h2 = b.node("Conv", [r, w2], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }, { name: "conv_b" });
      const s = b.node("Add", [h2, x], {}, { name: "residual" });
      const y = b.node("Relu", [s], {}, { name: "relu_out" });
      b.output(y, [1, 2, 5, 5]);
      const g = b.build();
      // Put the residual Add first in the file: the loader must still place it after both of its producers.
      const bytes = encodeOnnx({ ...g, nodes: [g.nodes[3], g.nodes[4], ...g.nodes.slice(0, 3)] });
      const back = loadOnnx(bytes);
      expect(back.nodes.map((n) => n.name)).to.deep.equal(["conv_a", "relu_a", "conv_b", "residual", "relu_out"]);
      const input = randomData(rand, 50);
      const out = (await runOrt(bytes, { x: { data: input, dims: [1, 2, 5, 5] } }))[y].data as Float32Array;
      const ref = (await runOrt(encodeOnnx(g), { x: { data: input, dims: [1, 2, 5, 5] } }))[y].data as Float32Array;
      expect(Array.from(out)).to.deep.equal(Array.from(ref));
    });

    it("loads and sorts a wide 60k-node graph written consumers-first (heap-based sort, a linear import pass)", function () {
      // 30k independent Relus on the input, each feeding one Tanh, written consumers-first.
      const n = 30_000;
      const node: Record<string, unknown>[] = [];
      for (let i = 0; i < n; i++) node.push({ name: `t${i}`, opType: "Tanh", input: [`r${i}`], output: [`y${i}`] });
      for (let i = 0; i < n; i++) node.push({ name: `r${i}`, opType: "Relu", input: ["x"], output: [`r${i}`] });
      const bytes = rawModel({ name: "wide", node, input: [floatInfo("x", [1])], output: [floatInfo("y0", [1])] });
      const g = loadOnnx(bytes);
      expect(g.nodes.slice(0, 3).map((x) => x.name)).to.deep.equal(["r0", "t0", "r1"]);
      expect(g.nodes).to.have.length(2 * n);
      // decoding and sorting take ~1-2 s, the import pass (executor/model/simplify) ~0.5-1 s; quadratic work would
      // take minutes and run into mocha's timeout (no wall-clock assertion here: tests never time, benchmarks do)
    });

    it("keeps an attribute named __proto__ as a plain attribute", function () {
      const bytes = rawModel({
        name: "g",
        node: [
          {
            name: "r",
            opType: "Relu",
            input: ["x"],
            output: ["y"],
            attribute: [{ name: "__proto__", type: 2, i: 5 }],
          },
        ],
        input: [floatInfo("x", [2])],
        output: [floatInfo("y", [2])],
      });
      const attrs = loadOnnx(bytes).nodes[0].attributes;
      expect(Object.getPrototypeOf(attrs)).to.equal(Object.prototype);
      expect(Object.keys(attrs)).to.deep.equal(["__proto__"]);
      expect(Object.getOwnPropertyDescriptor(attrs, "__proto__")?.value).to.deep.equal({ kind: "int", value: 5 });
    });

    it("drops graph inputs that are also initializers from the runtime inputs", function () {
      const bytes = rawModel({
        name: "g",
        node: [{ name: "add", opType: "Add", input: ["x", "w"], output: ["y"] }],
        initializer: [{ name: "w", dims: [2], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [1, 2] }],
        input: [floatInfo("x", [2]), floatInfo("w", [2])],
        output: [floatInfo("y", [2])],
      });
      const g = loadOnnx(bytes);
      expect(g.inputs.map((i) => i.name)).to.deep.equal(["x"]);
      expect(g.initializers.get("w")).to.deep.equal(tensorF32([2], [1, 2]));
    });

    it("names unnamed nodes <opType>_<index> and de-duplicates repeated names", function () {
      const bytes = rawModel({
        name: "g",
        node: [
          { opType: "Relu", input: ["x"], output: ["a"] },
          { name: "dup", opType: "Relu", input: ["a"], output: ["b"] },
          { name: "dup", opType: "Relu", input: ["b"], output: ["c"] },
        ],
        input: [floatInfo("x", [2])],
        output: [floatInfo("c", [2])],
      });
      expect(loadOnnx(bytes).nodes.map((n) => n.name)).to.deep.equal(["Relu_0", "dup", "dup_2"]);
    });
  });

  describe("tensor data encodings", function () {
    it("reads float_data, raw_data, double_data and int32/int64/int8/bool data", function () {
      const cases: [Record<string, unknown>, Tensor][] = [
        [{ dims: [2], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [1.5, -2] }, tensorF32([2], [1.5, -2])],
        [
          {
            dims: [2],
            dataType: onnx.TensorProto.DataType.FLOAT,
            rawData: new Uint8Array(Float32Array.of(3, 4).buffer),
          },
          tensorF32([2], [3, 4]),
        ],
        [{ dims: [2], dataType: onnx.TensorProto.DataType.DOUBLE, doubleData: [0.1, 2] }, tensorF32([2], [0.1, 2])],
        [
          {
            dims: [2],
            dataType: onnx.TensorProto.DataType.DOUBLE,
            rawData: new Uint8Array(Float64Array.of(0.1, -7).buffer),
          },
          tensorF32([2], [0.1, -7]),
        ],
        [
          { dims: [2], dataType: onnx.TensorProto.DataType.INT64, int64Data: [-5, 2 ** 40] },
          tensorI64([2], [-5, 2 ** 40]),
        ],
        [
          {
            dims: [2],
            dataType: onnx.TensorProto.DataType.INT64,
            rawData: new Uint8Array(BigInt64Array.of(-5n, 1n << 52n).buffer),
          },
          tensorI64([2], [-5, 2 ** 52]),
        ],
        [{ dims: [3], dataType: onnx.TensorProto.DataType.INT32, int32Data: [-1, 0, 7] }, tensorI64([3], [-1, 0, 7])],
        [
          { dims: [2], dataType: onnx.TensorProto.DataType.INT8, rawData: Uint8Array.of(0xff, 0x05) },
          tensorI64([2], [-1, 5]),
        ],
        [{ dims: [2], dataType: onnx.TensorProto.DataType.BOOL, int32Data: [1, 0] }, tensorI64([2], [1, 0])],
      ];
      for (const [proto, expected] of cases) {
        const t = decodeTensorProto(onnx.TensorProto.encode(proto).finish());
        expect(t, JSON.stringify(proto.dataType)).to.deep.equal(expected);
      }
    });

    it("decodes a hand-assembled TensorProto (onnx.proto field numbers 1, 2, 8, 9)", function () {
      // dims=[2] (field 1, varint), data_type=FLOAT (field 2), name="in" (field 8), raw_data=[1.0, -2.0] (field 9)
      const bytes = Uint8Array.from([
        0x08, 0x02, 0x10, 0x01, 0x42, 0x02, 0x69, 0x6e, 0x4a, 0x08, 0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0,
      ]);
      expect(decodeTensorProto(bytes)).to.deep.equal(tensorF32([2], [1, -2]));
      expect(Array.from(encodeTensorProto(tensorF32([2], [1, -2]), "in"))).to.deep.equal(Array.from(bytes));
    });

    it("decodes both packed and unpacked repeated fields (float_data, int64_data)", function () {
      // float_data unpacked: tag (4 << 3 | 5) = 0x25 per value; int64_data unpacked: tag (7 << 3 | 0) = 0x38.
      const floats = Uint8Array.from([0x08, 0x02, 0x10, 0x01, 0x25, 0, 0, 0x80, 0x3f, 0x25, 0, 0, 0, 0x40]);
      expect(decodeTensorProto(floats)).to.deep.equal(tensorF32([2], [1, 2]));
      const ints = Uint8Array.from([0x08, 0x02, 0x10, 0x07, 0x38, 0x05, 0x38, 0x7f]);
      expect(decodeTensorProto(ints)).to.deep.equal(tensorI64([2], [5, 127]));
      // The same, packed: tag (7 << 3 | 2) = 0x3a, length 2.
      expect(decodeTensorProto(Uint8Array.from([0x08, 0x02, 0x10, 0x07, 0x3a, 0x02, 0x05, 0x7f]))).to.deep.equal(
        tensorI64([2], [5, 127]),
      );
    });

    it("reads float_data and int64_data initializers and Constant tensors as onnxruntime does", async function () {
      // y = Reshape(x + w + k, shape), with w in float_data, k a Constant node, shape in int64_data.
      const bytes = rawModel({
        name: "g",
        node: [
          {
            name: "k",
            opType: "Constant",
            output: ["k"],
            attribute: [
              {
                name: "value",
                type: 4,
                t: { dims: [4], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [10, 20, 30, 40] },
              },
            ],
          },
          { name: "add", opType: "Add", input: ["x", "w"], output: ["s"] },
          { name: "add2", opType: "Add", input: ["s", "k"], output: ["t"] },
          { name: "reshape", opType: "Reshape", input: ["t", "shape"], output: ["y"] },
        ],
        initializer: [
          { name: "w", dims: [4], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [0.5, -1, 2, 3] },
          { name: "shape", dims: [2], dataType: onnx.TensorProto.DataType.INT64, int64Data: [2, 2] },
        ],
        input: [floatInfo("x", [4])],
        output: [floatInfo("y", [2, 2])],
      });
      const g = loadOnnx(bytes);
      const w = g.initializers.get("w") as Tensor & { dtype: "float32" };
      const k = g.initializers.get("k") as Tensor & { dtype: "float32" };
      expect(g.initializers.get("shape")).to.deep.equal(tensorI64([2], [2, 2]));
      const x = Float32Array.of(1, 2, 3, 4);
      const out = (await runOrt(bytes, { x: { data: x, dims: [4] } }))["y"];
      expect(out.dims).to.deep.equal([2, 2]);
      expect(Array.from(out.data as Float32Array)).to.deep.equal(Array.from(x, (v, i) => v + w.data[i] + k.data[i]));
    });

    it("round-trips TensorProto files for float32 and int64 tensors", function () {
      const f = tensorF32([1, 3, 2], randomData(prng(9), 6));
      const i = tensorI64([4], [-(2 ** 53 - 1), -1, 0, 2 ** 53 - 1]);
      expect(decodeTensorProto(encodeTensorProto(f, "x"))).to.deep.equal(f);
      expect(decodeTensorProto(encodeTensorProto(i))).to.deep.equal(i);
      expect(decodeTensorProto(encodeTensorProto(tensorF32([], [7])))).to.deep.equal(tensorF32([], [7]));
    });

    it("rejects unusable TensorProto input files with InvalidInputError", function () {
      const good = encodeTensorProto(tensorF32([4], [1, 2, 3, 4]));
      expectError(
        () => decodeTensorProto(good.subarray(0, good.length - 3)),
        InvalidInputError,
        "truncated or corrupted",
      );
      expectError(() => decodeTensorProto(new Uint8Array(0)), InvalidInputError, "empty");
      expectError(() => decodeTensorProto(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 1, 2])), InvalidInputError, "PNG");
      expectError(() => decodeTensorProto(encodeTensorProto(tensorF32([2], [1, NaN]))), InvalidInputError, "NaN");
      expectError(
        () => decodeTensorProto(encodeTensorProto(tensorF32([2], [Infinity, 1]))),
        InvalidInputError,
        "Infinity",
      );
      const f16 = onnx.TensorProto.encode({
        dims: [1],
        dataType: onnx.TensorProto.DataType.FLOAT16,
        rawData: Uint8Array.of(0, 0x3c),
      }).finish();
      expectError(() => decodeTensorProto(f16), InvalidInputError, "FLOAT16");
    });
  });

  describe("E8: onnxruntime-node runs what encodeOnnx writes", function () {
    it("runs a Gemm+Relu model and matches a float reference", async function () {
      const rand = prng(11);
      const [inF, outF] = [6, 4];
      const w = randomData(rand, outF * inF);
      const bias = randomData(rand, outF);
      const b = new GraphBuilder("gemm_relu", 13);
      const x = b.input("x", [2, inF]);
      const h = b.node(
        "Gemm",
        [x, b.initializer("w", tensorF32([outF, inF], w)), b.initializer("b", tensorF32([outF], bias))],
        {
          transB: 1,
        },
      );
      const y = b.node("Relu", [h]);
      b.output(y, [2, outF]);
      const input = randomData(rand, 2 * inF);
      const out = (await runOrt(encodeOnnx(b.build()), { x: { data: input, dims: [2, inF] } }))[y];
      expect(out.dims).to.deep.equal([2, outF]);
      const data = out.data as Float32Array;
      let positives = 0;
      for (let r = 0; r < 2; r++) {
        for (let o = 0; o < outF; o++) {
          let acc = bias[o];
          for (let i = 0; i < inF; i++) acc += input[r * inF + i] * w[o * inF + i];
          const expected = Math.max(0, acc);
          if (expected > 0) positives++;
          expect(data[r * outF + o]).to.be.closeTo(expected, 1e-5);
        }
      }
      expect(positives).to.be.greaterThan(0);
    });

    it("writes zero-valued attributes explicitly, so onnxruntime sees Gemm beta = 0 and transA = 0", async function () {
      const b = new GraphBuilder("gemm_beta0", 13);
      const x = b.input("x", [1, 2]);
      const w = b.initializer("w", tensorF32([2, 2], [1, 2, 3, 4]));
      const c = b.initializer("c", tensorF32([2], [100, 100]));
      const y = b.node("Gemm", [x, w, c], {
        transA: 0,
        transB: 1,
        alpha: { kind: "float", value: 1 },
        beta: { kind: "float", value: 0 },
      });
      b.output(y, [1, 2]);
      const bytes = encodeOnnx(b.build());
      expect(loadOnnx(bytes).nodes[0].attributes.beta).to.deep.equal({ kind: "float", value: 0 });
      const out = (await runOrt(bytes, { x: { data: Float32Array.of(1, 1), dims: [1, 2] } }))[y];
      expect(Array.from(out.data as Float32Array)).to.deep.equal([3, 7]);
    });

    it("runs a strided, padded Conv model and matches a float reference", async function () {
      const rand = prng(12);
      const [cin, cout, h, wd, k, stride, pad] = [3, 2, 7, 5, 3, 2, 1];
      const weight = randomData(rand, cout * cin * k * k);
      const bias = randomData(rand, cout);
      const b = new GraphBuilder("conv", 11);
      const x = b.input("x", [1, cin, h, wd]);
      const y = b.node(
        "Conv",
        [x, b.initializer("w", tensorF32([cout, cin, k, k], weight)), b.initializer("b", tensorF32([cout], bias))],
        { kernel_shape: [k, k], strides: [stride, stride], pads: [pad, pad, pad, pad] },
      );
      const oh = Math.floor((h + 2 * pad - k) / stride) + 1;
      const ow = Math.floor((wd + 2 * pad - k) / stride) + 1;
      b.output(y, [1, cout, oh, ow]);
      const input = randomData(rand, cin * h * wd);
      const out = (await runOrt(encodeOnnx(b.build()), { x: { data: input, dims: [1, cin, h, wd] } }))[y];
      expect(out.dims).to.deep.equal([1, cout, oh, ow]);
      const data = out.data as Float32Array;
      for (let co = 0; co < cout; co++) {
        for (let oy = 0; oy < oh; oy++) {
          for (let ox = 0; ox < ow; ox++) {
            let acc = bias[co];
            for (let ci = 0; ci < cin; ci++) {
              for (let ky = 0; ky < k; ky++) {
                for (let kx = 0; kx < k; kx++) {
                  const iy = oy * stride - pad + ky;
                  const ix = ox * stride - pad + kx;
                  if (iy < 0 || iy >= h || ix < 0 || ix >= wd) continue;
                  acc += input[(ci * h + iy) * wd + ix] * weight[((co * cin + ci) * k + ky) * k + kx];
                }
              }
            }
            expect(data[(co * oh + oy) * ow + ox]).to.be.closeTo(acc, 1e-5);
          }
        }
      }
    });

    it("runs the every-operator graph (with int64 Reshape shape and folded Clip bounds)", async function () {
      const bytes = forOnnxruntime(encodeOnnx(allOperatorsBuilder().build()));
      const out = (await runOrt(bytes, { x: { data: randomData(prng(13), 72), dims: [1, 2, 6, 6] } }))["softmax_out"];
      expect(out.dims).to.deep.equal([1, 3]);
      const p = Array.from(out.data as Float32Array);
      expect(p.reduce((a, v) => a + v, 0)).to.be.closeTo(1, 1e-5);
      expect(p.every((v) => v > 0 && v < 1)).to.equal(true);
    });

    it("runs the MLP and CNN fixtures", async function () {
      const mlp = await runOrt(encodeOnnx(mlpGraph([16, 8, 4])), {
        input: { data: randomData(prng(1), 16), dims: [1, 16] },
      });
      expect(mlp["softmax_out"].dims).to.deep.equal([1, 4]);
      const cnn = await runOrt(encodeOnnx(cnnGraph()), {
        input: { data: randomData(prng(1), 144), dims: [1, 1, 12, 12] },
      });
      expect(cnn["fc_out"].dims).to.deep.equal([1, 10]);
    });
  });

  describe("bad input", function () {
    const good = encodeOnnx(mlpGraph([8, 6, 3]));

    it("rejects truncated bytes with OnnxDecodeError", function () {
      expectError(
        () => loadOnnx(good.subarray(0, Math.floor(good.length / 2))),
        OnnxDecodeError,
        "truncated or corrupted",
      );
      expectError(() => loadOnnx(good.subarray(0, good.length - 1)), OnnxDecodeError, "truncated or corrupted");
    });

    it("rejects corrupted bytes with OnnxDecodeError", function () {
      const bad = Uint8Array.from(good);
      bad.fill(0xff, 0, 12); // a varint that never terminates
      expectError(() => loadOnnx(bad), OnnxDecodeError, "truncated or corrupted");
    });

    it("rejects an empty file", function () {
      expectError(() => loadOnnx(new Uint8Array(0)), OnnxDecodeError, "empty");
    });

    it("rejects wrong magic: PNG, ZIP (PyTorch checkpoint), gzip, JSON and text files", function () {
      const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
      expectError(() => loadOnnx(png), OnnxDecodeError, "PNG image");
      expectError(() => loadOnnx(Uint8Array.from([0x50, 0x4b, 3, 4, 20, 0])), OnnxDecodeError, "torch.onnx.export");
      expectError(() => loadOnnx(Uint8Array.from([0x1f, 0x8b, 8, 0])), OnnxDecodeError, "gzip");
      expectError(() => loadOnnx(Buffer.from('{"layers": []}')), OnnxDecodeError, "JSON");
      expectError(() => loadOnnx(Buffer.from("hello world, this is not a model\n")), OnnxDecodeError, "text file");
    });

    it("rejects a protobuf that is not a ModelProto (no graph)", function () {
      expectError(() => loadOnnx(Uint8Array.from([0x08, 0x07])), OnnxDecodeError, "no ONNX graph");
      expectError(
        () => loadOnnx(encodeTensorProto(tensorF32([2], [1, 2]), "x")),
        OnnxDecodeError,
        /no ONNX graph|corrupted/,
      );
    });

    it("rejects a missing initializer, naming the node and the tensor", function () {
      const b = new GraphBuilder("m", 13);
      const x = b.input("x", [1, 4]);
      b.output(b.node("Gemm", [x, "w_missing"], { transB: 1 }, { name: "fc1" }), [1, 2]);
      const e = expectError(
        () => loadOnnx(encodeOnnx(b.buildUnchecked())),
        InvalidModelError,
        "node 'fc1' (Gemm) reads tensor 'w_missing', which is missing",
      );
      expect(e.message).to.include("neither an initializer nor a graph input");
      expectError(() => b.build(), InvalidModelError, "'w_missing'");
    });

    it("rejects a cycle, naming the nodes on it", function () {
      const b = new GraphBuilder("m", 13);
      const x = b.input("x", [2]);
      b.node("Add", [x, "c"], {}, { name: "a", outputs: ["a"] });
      b.node("Relu", ["a"], {}, { name: "b", outputs: ["b"] });
      b.node("Relu", ["b"], {}, { name: "c", outputs: ["c"] });
      b.output("c", [2]);
      const e = expectError(() => loadOnnx(encodeOnnx(b.buildUnchecked())), InvalidModelError, "has a cycle");
      expect(e.message).to.include("'a', 'b', 'c'");
    });

    it("rejects an empty graph, also when only Constant nodes remain after folding", function () {
      const b = new GraphBuilder("m", 13);
      b.input("x", [2]);
      b.output("x", [2]);
      expectError(() => loadOnnx(encodeOnnx(b.buildUnchecked())), InvalidModelError, "empty graph");
      const c = new GraphBuilder("m", 13);
      c.input("x", [2]);
      c.output(c.node("Constant", [], { value_float: 1 }), []);
      expectError(() => loadOnnx(encodeOnnx(c.buildUnchecked())), InvalidModelError, "empty graph");
    });

    it("rejects a graph without runtime input or without output", function () {
      const b = new GraphBuilder("m", 13);
      b.initializer("w", tensorF32([2], [1, 2]));
      b.output(b.node("Relu", ["w"]), [2]);
      expectError(() => loadOnnx(encodeOnnx(b.buildUnchecked())), InvalidModelError, "no runtime input");
      const c = new GraphBuilder("m", 13);
      c.node("Relu", [c.input("x", [2])]);
      expectError(() => loadOnnx(encodeOnnx(c.buildUnchecked())), InvalidModelError, "no graph output");
    });

    it("rejects NaN and Inf weights, naming the tensor", function () {
      for (const [bad, word] of [
        [NaN, "NaN"],
        [Infinity, "Infinity"],
        [-Infinity, "-Infinity"],
      ] as const) {
        const g = mlpGraph([4, 3]);
        const w = g.initializers.get("w1") as Tensor & { dtype: "float32" };
        const data = Float32Array.from(w.data);
        data[5] = bad;
        const inits = new Map(g.initializers).set("w1", { ...w, data });
        expectError(
          () => loadOnnx(encodeOnnx({ ...g, initializers: inits })),
          InvalidModelError,
          `initializer 'w1' contains ${word} at flat index 5`,
        );
      }
      const c = new GraphBuilder("m", 13);
      const x = c.input("x", [2]);
      c.output(c.node("Add", [x, c.node("Constant", [], { value: tensorF32([2], [1, NaN]) }, { name: "k" })]), [2]);
      expectError(
        () => loadOnnx(encodeOnnx(c.buildUnchecked())),
        InvalidModelError,
        "attribute 'value' of node 'k' contains NaN",
      );
      expectError(() => c.build(), InvalidModelError, "contains NaN");
    });

    it("rejects opsets outside 6..22 (UnsupportedOpsetError) and models without a default-domain opset", function () {
      for (const opset of [5, 23]) {
        const g = { ...mlpGraph([4, 3]), opsetVersion: opset };
        const e = expectError(
          () => loadOnnx(encodeOnnx(g)),
          UnsupportedOpsetError,
          `opset ${opset}, but Verity reads default-domain opsets 6 to 22`,
        );
        expect(e).to.be.instanceOf(InvalidModelError);
        expect((e as UnsupportedOpsetError).opset).to.equal(opset);
      }
      const noOpset = onnx.ModelProto.encode({
        irVersion: 8,
        opsetImport: [{ domain: "com.microsoft", version: 1 }],
        graph: { name: "g" },
      }).finish();
      expectError(() => loadOnnx(noOpset), InvalidModelError, "no default-domain opset");
    });

    it("rejects an unsupported operator, naming the first such node, its op and the supported list", function () {
      const b = new GraphBuilder("m", 13);
      const x = b.input("x", [1, 4]);
      const h = b.node("Relu", [x], {}, { name: "ok" });
      const l = b.node("NonMaxSuppression", [h], {}, { name: "nms_1" });
      b.output(b.node("LSTM", [l], {}, { name: "lstm_2" }), [1, 4]);
      const e = expectError(
        () => loadOnnx(encodeOnnx(b.buildUnchecked())),
        UnsupportedOperatorError,
        "node 'nms_1' uses NonMaxSuppression, which Verity does not support yet (supported: Gemm, MatMul, Add",
      );
      expect((e as UnsupportedOperatorError).nodeName).to.equal("nms_1");
      expect((e as UnsupportedOperatorError).opType).to.equal("NonMaxSuppression");
      expect(e.message).to.include(SUPPORTED_OPERATORS.join(", "));
    });

    it("reports unsupported operators before any later problem in the file", function () {
      // The NonMaxSuppression node also reads a missing tensor: the operator is still what gets reported.
      const bytes = rawModel({
        name: "g",
        node: [{ name: "e", opType: "NonMaxSuppression", input: ["nowhere"], output: ["y"] }],
        input: [floatInfo("x", [2])],
        output: [floatInfo("y", [2])],
      });
      expectError(() => loadOnnx(bytes), UnsupportedOperatorError, "node 'e' uses NonMaxSuppression");
    });

    it("rejects operators from other domains", function () {
      const bytes = rawModel({
        name: "g",
        node: [{ name: "fc", opType: "FusedConv", domain: "com.microsoft", input: ["x"], output: ["y"] }],
        input: [floatInfo("x", [2])],
        output: [floatInfo("y", [2])],
      });
      expectError(() => loadOnnx(bytes), UnsupportedOperatorError, "node 'fc' uses com.microsoft.FusedConv");
    });

    it("rejects attributes of kinds Verity never reads (graphs, sparse tensors)", function () {
      const bytes = rawModel({
        name: "g",
        node: [{ name: "r", opType: "Relu", input: ["x"], output: ["y"], attribute: [{ name: "body", type: 5 }] }],
        input: [floatInfo("x", [2])],
        output: [floatInfo("y", [2])],
      });
      expectError(() => loadOnnx(bytes), UnsupportedOperatorError, "attribute 'body' of type GRAPH");
    });

    it("rejects an attribute whose declared type does not match the value it carries", function () {
      const bytes = rawModel({
        name: "g",
        node: [
          {
            name: "l",
            opType: "LeakyRelu",
            input: ["x"],
            output: ["y"],
            attribute: [{ name: "alpha", type: 2, f: 0.5 }],
          },
        ],
        input: [floatInfo("x", [2])],
        output: [floatInfo("y", [2])],
      });
      expectError(
        () => loadOnnx(bytes),
        InvalidModelError,
        "attribute 'alpha' of node 'l' declares type INT but carries no 'i' value",
      );
    });

    it("rejects tensor data whose length does not match its dims", function () {
      const g = mlpGraph([4, 3]);
      const inits = new Map(g.initializers).set("b1", {
        dtype: "float32",
        dims: [2, 3],
        data: new Float32Array(5),
      } as Tensor);
      expectError(
        () => loadOnnx(encodeOnnx({ ...g, initializers: inits })),
        InvalidModelError,
        "initializer 'b1' has 20 bytes of raw_data, but its dims [2, 3] need 6 FLOAT values",
      );
      expectError(
        () =>
          loadOnnx(
            modelWithInitializer({ dims: [2], dataType: onnx.TensorProto.DataType.FLOAT, floatData: [1, 2, 3] }),
          ),
        InvalidModelError,
        "initializer 'w' has 3 values, but its dims [2] need 2 FLOAT values",
      );
      expectError(
        () => loadOnnx(modelWithInitializer({ dims: [2], dataType: onnx.TensorProto.DataType.INT64, int64Data: [1] })),
        InvalidModelError,
        "initializer 'w' has 1 values, but its dims [2] need 2 INT64 values",
      );
    });

    it("rejects negative and absurdly large dims without allocating", function () {
      expectError(
        () => loadOnnx(modelWithInitializer({ dims: [-1, 2], dataType: onnx.TensorProto.DataType.FLOAT })),
        InvalidModelError,
        "initializer 'w' has a negative dimension in dims [-1, 2]",
      );
      expectError(
        () => loadOnnx(modelWithInitializer({ dims: [65536, 65536], dataType: onnx.TensorProto.DataType.FLOAT })),
        InvalidModelError,
        "more than 268435456 elements",
      );
      expectError(
        () => loadOnnx(modelWithInitializer({ dims: [2 ** 60], dataType: onnx.TensorProto.DataType.FLOAT })),
        InvalidModelError,
        "outside the range Verity accepts",
      );
    });

    it("rejects element types and storage Verity does not read, saying what to do", function () {
      expectError(
        () =>
          loadOnnx(
            modelWithInitializer({
              dims: [1],
              dataType: onnx.TensorProto.DataType.FLOAT16,
              rawData: Uint8Array.of(0, 0x3c),
            }),
          ),
        InvalidModelError,
        "element type FLOAT16",
      );
      expectError(
        () =>
          loadOnnx(
            modelWithInitializer({
              dims: [2],
              dataType: onnx.TensorProto.DataType.FLOAT,
              dataLocation: 1,
              externalData: [{ key: "location", value: "weights.bin" }],
            }),
          ),
        InvalidModelError,
        "save_as_external_data=False",
      );
      expectError(() => loadOnnx(modelWithInitializer({ dims: [2] })), InvalidModelError, "no data_type");
    });

    it("rejects graph inputs without shape or with an unsupported element type", function () {
      const base = {
        name: "g",
        node: [{ name: "r", opType: "Relu", input: ["x"], output: ["y"] }],
        output: [floatInfo("y", [2])],
      };
      expectError(
        () => loadOnnx(rawModel({ ...base, input: [{ name: "x", type: { tensorType: { elemType: 1 } } }] })),
        InvalidModelError,
        "graph input 'x' has no shape",
      );
      expectError(
        () =>
          loadOnnx(
            rawModel({ ...base, input: [{ name: "x", type: { tensorType: { elemType: 11, shape: { dim: [] } } } }] }),
          ),
        InvalidModelError,
        "graph input 'x' has element type DOUBLE",
      );
      expectError(
        () => loadOnnx(rawModel({ ...base, input: [{ name: "x" }] })),
        InvalidModelError,
        "has no tensor type",
      );
    });

    it("rejects tensors defined twice and outputs nobody produces", function () {
      const b = new GraphBuilder("m", 13);
      const x = b.input("x", [2]);
      b.node("Relu", [x], {}, { outputs: ["y"] });
      b.node("Tanh", [x], {}, { outputs: ["y"] });
      b.output("y", [2]);
      expectError(
        () => loadOnnx(encodeOnnx(b.buildUnchecked())),
        InvalidModelError,
        "writes tensor 'y', which is already defined",
      );
      const c = new GraphBuilder("m", 13);
      c.node("Relu", [c.input("x", [2])]);
      c.output("ghost", [2]);
      expectError(
        () => loadOnnx(encodeOnnx(c.buildUnchecked())),
        InvalidModelError,
        "graph output 'ghost' is not produced",
      );
    });

    it("wraps non-Uint8Array arguments in OnnxDecodeError instead of a TypeError", function () {
      expectError(() => loadOnnx("model.onnx" as unknown as Uint8Array), OnnxDecodeError, "Uint8Array");
    });
  });

  describe("GraphBuilder", function () {
    it("converts plain attribute values as documented", function () {
      expect(toAttribute(1)).to.deep.equal({ kind: "int", value: 1 });
      expect(toAttribute(0.25)).to.deep.equal({ kind: "float", value: 0.25 });
      expect(toAttribute(0.1)).to.deep.equal({ kind: "float", value: Math.fround(0.1) });
      expect(toAttribute([1, 2])).to.deep.equal({ kind: "ints", value: [1, 2] });
      expect(toAttribute([1, 2.5])).to.deep.equal({ kind: "floats", value: [1, 2.5] });
      expect(toAttribute("NOTSET")).to.deep.equal({ kind: "string", value: "NOTSET" });
      expect(toAttribute({ kind: "float", value: 1 })).to.deep.equal({ kind: "float", value: 1 });
      expect(toAttribute(tensorI64([1], [4]))).to.deep.equal({ kind: "tensor", value: tensorI64([1], [4]) });
    });

    it("rejects tensors whose data does not match their dims", function () {
      expectError(() => tensorF32([2, 2], [1, 2, 3]), InvalidModelError, "3 values for dims [2, 2]");
      expectError(() => tensorI64([1], [0.5]), InvalidModelError, "not a safe integer");
    });
  });
});

describe("E9: Content ids (CIDv1 raw sha2-256)", function () {
  it("matches multiformats for the empty string, 'hello' and an encoded model", async function () {
    const { CID } = (await esmImport("multiformats/cid")) as {
      CID: { create(v: number, c: number, d: unknown): { toString(): string; bytes: Uint8Array } };
    };
    const { sha256 } = (await esmImport("multiformats/hashes/sha2")) as {
      sha256: { digest(b: Uint8Array): Promise<unknown> };
    };
    const raw = (await esmImport("multiformats/codecs/raw")) as { code: number };
    for (const bytes of [new Uint8Array(0), Buffer.from("hello"), encodeOnnx(mlpGraph([4, 3]))]) {
      const expected = CID.create(1, raw.code, await sha256.digest(bytes));
      expect(cidOf(bytes)).to.equal(expected.toString());
      expect(Array.from(cidBytes(cidOf(bytes)))).to.deep.equal(Array.from(expected.bytes));
    }
    expect(cidOf(new Uint8Array(0))).to.equal("bafkreihdwdcefgh4dqkjv67uzcmw7ojee6xedzdetojuzjevtenxquvyku");
  });

  it("agrees with multiformats on random byte strings", async function () {
    const { CID } = (await esmImport("multiformats/cid")) as {
      CID: { parse(s: string): { bytes: Uint8Array; code: number; version: number } };
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        const s = cidOf(bytes);
        const parsed = CID.parse(s);
        expect(parsed.version).to.equal(1);
        expect(parsed.code).to.equal(0x55);
        expect(Array.from(parsed.bytes)).to.deep.equal(Array.from(cidBytes(s)));
        expect(cidToString(cidBytes(s))).to.equal(s);
        expect(cidBytes(s)).to.have.length(36);
      }),
      { seed: 3, numRuns: 200 },
    );
  });

  it("rejects CIDv0, other bases and malformed strings with InvalidInputError", function () {
    expectError(() => cidBytes("QmYwAPJzv5CZsnA625s3Xf2nemtYgPpHdWEz79ojWnPbdG"), InvalidInputError, "base32 CIDv1");
    expectError(() => cidBytes("bafkrei!!"), InvalidInputError, "base32");
    expectError(() => cidBytes("b" + "a".repeat(10)), InvalidInputError, "CID");
    const good = cidOf(Buffer.from("x"));
    expectError(() => cidBytes(good.slice(0, -4)), InvalidInputError, "CID");
  });
});
