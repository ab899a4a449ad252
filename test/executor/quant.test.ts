/**
 * Quantization end to end: lowering and fusion, determinism, the program encoding, input/output edges, typed
 * errors on bad input, and the demo models' quantized-vs-float agreement on held-out digits.
 */
import { expect } from "chai";
import fc from "fast-check";
import { existsSync, readFileSync } from "fs";
import * as ort from "onnxruntime-node";
import path from "path";
import {
  InvalidInputError,
  InvalidModelError,
  ProgramDecodeError,
  ShapeMismatchError,
  UnsupportedOperatorError,
  VerityError,
} from "../../executor/errors";
import { GraphBuilder, tensorF32 } from "../../executor/model/builder";
import type { Graph } from "../../executor/model/graph";
import { encodeOnnx, loadOnnx } from "../../executor/model/onnx";
import {
  dequantizeOutput,
  quantizeGraph,
  quantizeInput,
  quantizeMultiplier,
  rangeToQParams,
  runFloat,
} from "../../executor/quant";
import { type Program, decodeProgram, encodeProgram, execute, executeStep, liveTensors } from "../../executor/runtime";
import { allOperatorsBuilder, cnnGraph, forOnnxruntime, mlpGraph, prng, randomData } from "../helpers/onnx-fixtures";

const hex = (a: Uint8Array | Int8Array): string => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString("hex");

function calibrationFor(graph: Graph, n: number, seed: number, lo = 0): Float32Array[] {
  const size = graph.inputs[0].dims.reduce((a, d) => a * Math.max(d, 1), 1);
  const r = prng(seed);
  return Array.from({ length: n }, () => Float32Array.from(randomData(r, size), (v) => (lo === 0 ? Math.abs(v) : v)));
}

describe("quantization", function () {
  this.timeout(120_000);

  describe("quantizeMultiplier and rangeToQParams", () => {
    it("puts the multiplier in [2^14, 2^15) and keeps m * 2^-shift within 2^-15 relative error", () => {
      for (const r of [1, 0.5, 0.75, 1e-3, 0.0123, 3.7, 1000, 2 ** -20]) {
        const [m, s] = quantizeMultiplier(r);
        expect(m).to.be.within(2 ** 14, 2 ** 15 - 1);
        expect(Math.abs(m / 2 ** s - r) / r).to.be.at.most(2 ** -15);
      }
    });
    it("caps the shift at 46 for tiny ratios and rejects ratios >= 2^14", () => {
      expect(quantizeMultiplier(2 ** -40)).to.deep.equal([2 ** 6, 46]);
      expect(quantizeMultiplier(0)).to.deep.equal([0, 1]);
      expect(() => quantizeMultiplier(2 ** 14)).to.throw(InvalidModelError);
    });
    it("makes real 0 exact: [0, max] -> zero point -128, [-1, 1] -> zero point 0 (round half up of -0.5)", () => {
      const q = rangeToQParams(0, 2.55);
      expect(q.scale).to.be.closeTo(0.01, 1e-12);
      expect(q.zeroPoint).to.equal(-128);
      expect(rangeToQParams(0.5, 2.55).zeroPoint).to.equal(-128); // widened to include 0
      expect(Object.is(rangeToQParams(-1, 1).zeroPoint, 0)).to.equal(true); // -0.5 rounds up to 0 (not -0)
      expect(rangeToQParams(-2, -1)).to.deep.equal({ scale: 2 / 255, zeroPoint: 127 });
    });
  });

  describe("lowering", () => {
    it("fuses Relu into Gemm and lowers the MLP to Gemm, Gemm, Gemm, Softmax", () => {
      const g = mlpGraph([20, 16, 8, 4]);
      const p = quantizeGraph(g, calibrationFor(g, 8, 1));
      expect(p.layers.map((l) => l.op)).to.deep.equal(["Gemm", "Gemm", "Gemm", "Softmax"]);
      expect(p.layers[0].attrs.clampMin).to.equal(p.layers[0].attrs.zOut); // fused Relu
      expect(p.output).to.deep.equal({ scale: 1 / 256, zeroPoint: -128 });
      expect(p.layers[0].weights!.length).to.equal(16 * 20);
    });
    it("lowers the every-operator DAG (BN folded, skip Add with two live tensors) and matches onnxruntime", async () => {
      const g = allOperatorsBuilder().build();
      const calib = calibrationFor(g, 16, 5, -1);
      const p = quantizeGraph(g, calib);
      const ops = p.layers.map((l) => l.op);
      expect(ops).to.include.members([
        "Conv",
        "Add",
        "MaxPool",
        "AveragePool",
        "Lut",
        "Mul",
        "Sub",
        "Transpose",
        "Gemm",
        "Softmax",
      ]);
      expect(ops).to.not.include("Affine"); // BatchNormalization folded into the Conv
      const addStep = ops.indexOf("Add") + 1;
      expect(liveTensors(p, addStep - 1)).to.have.length(2); // the skip tensor is live alongside the depthwise output
      const session = await ort.InferenceSession.create(forOnnxruntime(encodeOnnx(g)), { logSeverityLevel: 3 });
      for (const x of calib.slice(0, 4)) {
        const ref = (await session.run({ x: new ort.Tensor("float32", x, [1, 2, 6, 6]) }))[g.outputs[0].name]
          .data as Float32Array;
        const s = execute(p, quantizeInput(p, x));
        const y = dequantizeOutput(p, s[s.length - 1]);
        // a 20-layer chain with LUTs compounds rounding: allow 6 output steps (6/256) on the probabilities
        for (let i = 0; i < 3; i++) expect(Math.abs(y[i] - ref[i])).to.be.at.most(6 / 256);
        for (let k = 1; k < s.length; k++) expect(hex(executeStep(p, k, s[k - 1]))).to.equal(hex(s[k]));
      }
    });
    it("keeps an unfoldable BatchNormalization as a per-channel Affine layer", () => {
      const b = new GraphBuilder("bn", 13);
      const x = b.input("x", [1, 2, 3, 3]);
      const h = b.node("MaxPool", [x], { kernel_shape: [2, 2] });
      const y = b.node("BatchNormalization", [
        h,
        ...["s", "b", "m", "v"].map((n, i) => b.initializer(n, tensorF32([2], [1 + i, 0.5 + i]))),
      ]);
      b.output(y, [1, 2, 2, 2]);
      const g = b.build();
      expect(quantizeGraph(g, calibrationFor(g, 4, 2, -1)).layers.map((l) => l.op)).to.deep.equal([
        "MaxPool",
        "Affine",
      ]);
    });
  });

  describe("E1, E3: determinism and encoding", () => {
    const g = cnnGraph(10, 3, 5, 4);
    const calib = calibrationFor(g, 6, 9);
    it("quantizing twice gives byte-identical programs", () => {
      expect(hex(encodeProgram(quantizeGraph(g, calib)))).to.equal(hex(encodeProgram(quantizeGraph(g, calib))));
    });
    it("executing twice gives byte-identical states, and decode(encode(p)) runs identically", () => {
      const p = quantizeGraph(g, calib);
      const q = decodeProgram(encodeProgram(p));
      expect(q).to.deep.equal(p);
      const x = quantizeInput(p, calib[3]);
      const a = execute(p, x).map(hex);
      expect(execute(p, x).map(hex)).to.deep.equal(a);
      expect(execute(q, x).map(hex)).to.deep.equal(a);
      expect(a).to.have.length(p.layers.length + 1);
    });
    it("decodes from a Node Buffer that is a slice of a larger shared pool", () => {
      const p = quantizeGraph(g, calib);
      const bytes = encodeProgram(p);
      const pool = Buffer.concat([Buffer.alloc(13, 7), Buffer.from(bytes), Buffer.alloc(5, 9)]);
      const view = pool.subarray(13, 13 + bytes.length);
      expect(decodeProgram(view)).to.deep.equal(p);
    });
    it("rejects bad bytes with ProgramDecodeError: wrong magic, wrong version, every truncation, trailing bytes", () => {
      const bytes = encodeProgram(quantizeGraph(g, calib));
      const bad = bytes.slice();
      bad[0] = 0x58;
      expect(() => decodeProgram(bad)).to.throw(ProgramDecodeError, /magic/);
      const v2 = bytes.slice();
      v2[4] = 2;
      expect(() => decodeProgram(v2)).to.throw(ProgramDecodeError, /version 2/);
      for (let n = 0; n < bytes.length; n += Math.max(1, Math.floor(bytes.length / 300))) {
        expect(() => decodeProgram(bytes.subarray(0, n))).to.throw(ProgramDecodeError);
      }
      expect(() => decodeProgram(Uint8Array.from([...bytes, 0]))).to.throw(ProgramDecodeError, /trailing/);
    });
    it("E7: byte mutations either decode to a valid program that executes, or throw ProgramDecodeError (fuzz, 600 cases)", () => {
      const p = quantizeGraph(g, calib);
      const bytes = encodeProgram(p);
      const x = quantizeInput(p, calib[0]);
      fc.assert(
        fc.property(
          fc.array(fc.tuple(fc.nat({ max: bytes.length - 1 }), fc.integer({ min: 0, max: 255 })), {
            minLength: 1,
            maxLength: 4,
          }),
          (muts) => {
            const m = bytes.slice();
            for (const [i, v] of muts) m[i] = v;
            try {
              const q = decodeProgram(m);
              if (q.inputShape.reduce((a, d) => a * d, 1) === x.length) execute(q, x);
            } catch (e) {
              if (!(e instanceof VerityError)) throw e;
            }
          },
        ),
        { numRuns: 600, seed: 42 },
      );
    });
  });

  describe("edges and bad input", () => {
    const g = mlpGraph([6, 4, 3]);
    const calib = calibrationFor(g, 4, 3);
    const p: Program = quantizeGraph(g, calib);
    it("quantizeInput rounds x / scale half up, adds the zero point and saturates", () => {
      const s = p.input.scale;
      const q = quantizeInput(p, Float32Array.from([0, s, 2.5 * s, 1e9, -1e9, 100 * s]));
      const z = p.input.zeroPoint;
      expect(Array.from(q)).to.deep.equal([z, z + 1, z + 3, 127, -128, Math.min(127, z + 100)]);
    });
    it("quantizeInput rejects NaN, Infinity and the wrong length with InvalidInputError", () => {
      expect(() => quantizeInput(p, Float32Array.from([0, 0, NaN, 0, 0, 0]))).to.throw(InvalidInputError, /NaN/);
      expect(() => quantizeInput(p, Float32Array.from([0, 0, 0, Infinity, 0, 0]))).to.throw(InvalidInputError);
      expect(() => quantizeInput(p, new Float32Array(5))).to.throw(InvalidInputError, /expects 6/);
    });
    it("R12-4: token ids are never clamped: an id S0 cannot carry, or past the embedding table, is an InvalidInputError naming the input, the id and the range", () => {
      const embed = (vocab: number): Program => {
        const b = new GraphBuilder("embed", 13);
        const ids = b.input("ids", [1, 4], "int64");
        const table = b.initializer("table", tensorF32([vocab, 2], randomData(prng(vocab), 2 * vocab)));
        b.output(b.node("Gather", [table, ids], { axis: 0 }), [1, 4, 2]);
        return quantizeGraph(b.build(), [Float32Array.from([0, 1, 2, Math.min(vocab, 256) - 1])]);
      };
      const wide = embed(300);
      expect(Array.from(quantizeInput(wide, Float32Array.from([0, 1, 128, 255])))).to.deep.equal([-128, -127, 0, 127]);
      const refused = (p: Program, ids: number[], what?: string): string => {
        try {
          quantizeInput(p, Float32Array.from(ids), what);
        } catch (e) {
          expect(e).to.be.instanceOf(InvalidInputError);
          return (e as Error).message;
        }
        throw new Error(`ids [${ids.join(", ")}] were accepted`);
      };
      expect(refused(wide, [0, 256, 1, 2], "--input 'ids.json'")).to.match(
        /^--input 'ids.json': value 1 is token id 256, outside .* the integers 0 to 255 /,
      );
      expect(refused(wide, [0, 1, 2, -1])).to.match(/^the input: value 3 is token id -1, .* 0 to 255 /);
      expect(refused(wide, [0, 1.5, 2, 3])).to.contain("value 1 is token id 1.5");
      const small = embed(50);
      expect(Array.from(quantizeInput(small, Float32Array.from([49, 0, 0, 0])))).to.deep.equal([-79, -128, -128, -128]);
      expect(refused(small, [50, 0, 0, 0])).to.match(/token id 50, .* 0 to 49 .* has 50 rows/);
      // a float input still saturates (the test above): only an input read as token ids is checked
      expect(Array.from(quantizeInput(p, Float32Array.from([1e9, 0, 0, 0, 0, 0])))[0]).to.equal(127);
    });
    it("dequantizeOutput maps q to scale * (q - zeroPoint)", () => {
      expect(Array.from(dequantizeOutput(p, Int8Array.from([-128, 0, 127])))).to.deep.equal(
        [0, 0.5, 255 / 256].map((v) => Math.fround(v)),
      );
    });
    it("rejects calibration inputs of the wrong size, non-finite ones, and none at all", () => {
      expect(() => quantizeGraph(g, [new Float32Array(5)])).to.throw(InvalidInputError, /expects 6/);
      expect(() => quantizeGraph(g, [Float32Array.from([0, 0, 0, 0, 0, NaN])])).to.throw(
        InvalidInputError,
        /non-finite/,
      );
      expect(() => quantizeGraph(g, [])).to.throw(InvalidInputError, /at least one/);
    });
    it("rejects unsupported operators, an empty graph and NaN weights with typed errors", () => {
      const base = {
        name: "g",
        opsetVersion: 13,
        inputs: [{ name: "x", dtype: "float32" as const, dims: [1, 2] }],
        outputs: [{ name: "y", dtype: "float32" as const, dims: [1, 2] }],
      };
      const erf: Graph = {
        ...base,
        initializers: new Map(),
        nodes: [{ name: "e", opType: "NonMaxSuppression", inputs: ["x"], outputs: ["y"], attributes: {} }],
      };
      expect(() => quantizeGraph(erf, [new Float32Array(2)])).to.throw(
        UnsupportedOperatorError,
        /node 'e' uses NonMaxSuppression/,
      );
      expect(() => quantizeGraph({ ...base, initializers: new Map(), nodes: [] }, [new Float32Array(2)])).to.throw(
        InvalidModelError,
        /no nodes/,
      );
      const nan: Graph = {
        ...base,
        initializers: new Map([["c", tensorF32([2], [1, NaN])]]),
        nodes: [{ name: "a", opType: "Add", inputs: ["x", "c"], outputs: ["y"], attributes: {} }],
      };
      expect(() => quantizeGraph(nan, [new Float32Array(2)])).to.throw(InvalidModelError, /NaN/);
    });
    it("rejects mismatched operand shapes with ShapeMismatchError", () => {
      const b = new GraphBuilder("mm", 13);
      const x = b.input("x", [1, 3]);
      b.output(b.node("MatMul", [x, b.initializer("w", tensorF32([4, 2], new Array(8).fill(1)))]), [1, 2]);
      expect(() => quantizeGraph(b.buildUnchecked(), [new Float32Array(3)])).to.throw(
        ShapeMismatchError,
        /inner dimensions/,
      );
    });
  });

  describe("E6: demo models on held-out digits", () => {
    const dir = path.join(__dirname, "..", "..", "models");
    const load = (f: string): { images: number[][]; labels: number[] } =>
      JSON.parse(readFileSync(path.join(dir, f), "utf8"));
    const argmax = (a: ArrayLike<number>): number => {
      let b = 0;
      for (let i = 1; i < a.length; i++) if (a[i] > a[b]) b = i;
      return b;
    };
    for (const model of ["mlp", "cnn"]) {
      it(`${model}: quantized top-1 agrees with the float model on >= 99% of the test digits`, function () {
        if (!existsSync(path.join(dir, `${model}.onnx`))) this.skip();
        const g = loadOnnx(readFileSync(path.join(dir, `${model}.onnx`)));
        const cal = load("digits-calibration.json").images.map((a) => Float32Array.from(a));
        const test = load("digits-test.json");
        const p = quantizeGraph(g, cal);
        let agree = 0;
        let maxErr = 0;
        for (const img of test.images) {
          const x = Float32Array.from(img);
          const f = runFloat(g, x).data;
          const s = execute(p, quantizeInput(p, x));
          const y = dequantizeOutput(p, s[s.length - 1]);
          if (argmax(f) === argmax(s[s.length - 1])) agree++;
          for (let k = 0; k < y.length; k++) maxErr = Math.max(maxErr, Math.abs(y[k] - f[k]));
        }
        const rate = agree / test.images.length;
        console.log(
          `      ${model}: top-1 agreement ${(100 * rate).toFixed(2)}% on ${test.images.length} digits, max |quantized - float| = ${maxErr.toFixed(4)}`,
        );
        expect(rate).to.be.at.least(0.99);
        expect(maxErr).to.be.below(0.1);
      });
    }
  });
});
