/**
 * Differential tests against onnxruntime-node (float): for every supported operator and attribute combination,
 * a small ONNX model is built, quantized on random calibration inputs and run by both engines.
 *
 * Two checks per model:
 *  - the float reference evaluator (executor/quant/float-eval.ts) matches onnxruntime to 1e-4: the quantizer's
 *    view of ONNX semantics (pads, ceil_mode, auto_pad, broadcasting, count_include_pad...) is right;
 *  - the dequantized integer output is within TOLERANCE_STEPS output quantization steps of onnxruntime
 *    (docs/NUMERICS.md §13 explains the bound), plus the largest absolute error is reported per case.
 */
import { expect } from "chai";
import * as ort from "onnxruntime-node";
import { GraphBuilder, tensorF32, tensorI64 } from "../../executor/model/builder";
import type { Graph } from "../../executor/model/graph";
import { encodeOnnx } from "../../executor/model/onnx";
import { dequantizeOutput, quantizeGraph, quantizeInput, runFloat } from "../../executor/quant";
import { type Program, decodeProgram, encodeProgram, execute } from "../../executor/runtime";

/** Max |dequantized - onnxruntime| in units of the output scale, for single-op models. */
const TOLERANCE_STEPS = 3;

function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function randArray(r: () => number, n: number, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => lo + (hi - lo) * r());
}

interface Case {
  graph: Graph;
  inputDims: number[];
  /** allowed error in output steps (default TOLERANCE_STEPS) */
  steps?: number;
  lo?: number;
  hi?: number;
  /** expected program ops, to check lowering/fusion */
  ops?: string[];
}

async function check(c: Case, seed = 7): Promise<{ program: Program; maxErr: number; maxSteps: number }> {
  const r = rng(seed);
  const size = c.inputDims.reduce((a, b) => a * b, 1);
  const calib = Array.from({ length: 12 }, () => randArray(r, size, c.lo ?? -1, c.hi ?? 1));
  const program = decodeProgram(encodeProgram(quantizeGraph(c.graph, calib)));
  if (c.ops) expect(program.layers.map((l) => l.op)).to.deep.equal(c.ops);
  const session = await ort.InferenceSession.create(encodeOnnx(c.graph), { logSeverityLevel: 3 });
  const inName = c.graph.inputs[0].name;
  const outName = c.graph.outputs[0].name;
  let maxErr = 0;
  let maxSteps = 0;
  for (const x of calib.slice(0, 4)) {
    const res = await session.run({ [inName]: new ort.Tensor("float32", x, c.inputDims) });
    const ref = res[outName].data as Float32Array;
    const fl = runFloat(c.graph, x);
    expect(fl.data.length).to.equal(ref.length);
    expect(fl.dims).to.deep.equal([...res[outName].dims]);
    for (let i = 0; i < ref.length; i++)
      expect(Math.abs(fl.data[i] - ref[i]), `float ref at ${i}`).to.be.at.most(1e-4 * (1 + Math.abs(ref[i])));
    const states = execute(program, quantizeInput(program, x));
    const y = dequantizeOutput(program, states[states.length - 1]);
    for (let i = 0; i < ref.length; i++) {
      const e = Math.abs(y[i] - ref[i]);
      maxErr = Math.max(maxErr, e);
      maxSteps = Math.max(maxSteps, e / program.output.scale);
    }
  }
  expect(maxSteps, `max error ${maxErr} = ${maxSteps.toFixed(2)} output steps`).to.be.at.most(
    c.steps ?? TOLERANCE_STEPS,
  );
  return { program, maxErr, maxSteps };
}

function weights(seed: number, dims: number[], scale = 0.5): ReturnType<typeof tensorF32> {
  const r = rng(seed);
  return tensorF32(
    dims,
    randArray(
      r,
      dims.reduce((a, b) => a * b, 1),
      -scale,
      scale,
    ),
  );
}

/** x[1,c,h,w] -> Conv(attrs) [-> extra ops] */
function convModel(
  c: number,
  h: number,
  w: number,
  m: number,
  k: [number, number],
  attrs: Record<string, number | number[] | string>,
  bias = true,
  opset = 13,
): Case {
  const b = new GraphBuilder("conv", opset);
  const x = b.input("x", [1, c, h, w]);
  const group = (attrs.group as number | undefined) ?? 1;
  const wt = b.initializer("w", weights(11, [m, c / group, k[0], k[1]]));
  const ins = [x, wt];
  if (bias) ins.push(b.initializer("b", weights(12, [m], 0.2)));
  const y = b.node("Conv", ins, attrs);
  b.output(y, [-1]);
  return { graph: b.build(), inputDims: [1, c, h, w], ops: ["Conv"] };
}

function unary(
  op: string,
  dims: number[],
  attrs: Record<string, number | number[] | string> = {},
  opset = 13,
  extra: string[] = [],
): Case {
  const b = new GraphBuilder(op, opset);
  const x = b.input("x", dims);
  const y = b.node(op, [x, ...extra.map((e, i) => b.initializer(`c${i}`, tensorF32([], [Number(e)])))], attrs);
  b.output(y, [-1]);
  return { graph: b.build(), inputDims: dims };
}

describe("E5: ort differential: quantized program vs onnxruntime (float)", function () {
  this.timeout(60_000);
  const report: string[] = [];
  after(() => {
    if (process.env.VERITY_REPORT) console.log(report.join("\n"));
  });
  async function run(name: string, c: Case, seed = 7): Promise<void> {
    const { maxErr, maxSteps } = await check(c, seed);
    report.push(`${name}: max |err| ${maxErr.toExponential(2)} (${maxSteps.toFixed(2)} steps)`);
  }

  describe("Conv", () => {
    it("matches with default attributes, 3x3, bias", () => run("conv default", convModel(3, 6, 6, 5, [3, 3], {})));
    it("matches with asymmetric pads and strides 2 on a non-square input", () =>
      run("conv pads/strides", convModel(3, 7, 9, 5, [3, 3], { pads: [1, 0, 2, 1], strides: [2, 2] })));
    it("matches with dilations 2 and different strides per axis", () =>
      run("conv dilations", convModel(2, 9, 8, 3, [3, 2], { dilations: [2, 2], strides: [1, 2], pads: [2, 1, 2, 1] })));
    it("matches with groups (2) and no bias", () =>
      run("conv group 2", convModel(6, 5, 5, 4, [3, 3], { group: 2, pads: [1, 1, 1, 1] }, false)));
    it("matches depthwise (group = channels = 5)", () =>
      run("conv depthwise", convModel(5, 6, 7, 5, [3, 3], { group: 5, pads: [1, 1, 1, 1] })));
    it("matches a 1x1 kernel on a 1x1 input", () => run("conv 1x1", convModel(7, 1, 1, 3, [1, 1], {})));
    for (const autoPad of ["SAME_UPPER", "SAME_LOWER", "VALID"]) {
      it(`matches auto_pad ${autoPad} with strides 2 and an even kernel`, () =>
        run(`conv ${autoPad}`, convModel(2, 7, 6, 3, [2, 4], { auto_pad: autoPad, strides: [2, 2] })));
    }
    it("fuses a following Relu into the output clamp", async () => {
      const c = convModel(3, 6, 6, 4, [3, 3], { pads: [1, 1, 1, 1] });
      const b = new GraphBuilder("conv-relu", 13);
      const x = b.input("x", [1, 3, 6, 6]);
      const y = b.node("Relu", [
        b.node("Conv", [x, b.initializer("w", weights(11, [4, 3, 3, 3])), b.initializer("b", weights(12, [4]))], {
          pads: [1, 1, 1, 1],
        }),
      ]);
      b.output(y, [-1]);
      c.graph = b.build();
      c.ops = ["Conv"];
      await run("conv+relu", c);
    });
    it("folds BatchNormalization and Clip(0, 6) into the Conv", async () => {
      const b = new GraphBuilder("conv-bn-clip", 13);
      const x = b.input("x", [1, 3, 5, 5]);
      let h = b.node("Conv", [x, b.initializer("w", weights(11, [4, 3, 3, 3]))], { pads: [1, 1, 1, 1] });
      h = b.node(
        "BatchNormalization",
        [
          h,
          b.initializer("s", tensorF32([4], [1.5, 0.5, -1, 2])),
          b.initializer("bb", tensorF32([4], [0.1, -0.2, 0.3, 0])),
          b.initializer("m", tensorF32([4], [0.2, 0, -0.1, 0.05])),
          b.initializer("v", tensorF32([4], [1, 0.5, 2, 0.25])),
        ],
        { epsilon: 1e-3 },
      );
      h = b.node("Clip", [h, b.initializer("lo", tensorF32([], [0])), b.initializer("hi", tensorF32([], [0.6]))]);
      b.output(h, [-1]);
      // Clip narrows the output to [0, 0.6] (step 0.0024) while the BN scale (x2) amplifies the input quantization
      // error (step 2/255 over 27 taps): the error is dominated by the input, not by this layer's rounding.
      await run("conv+bn+clip", { graph: b.build(), inputDims: [1, 3, 5, 5], ops: ["Conv"], steps: 16 });
    });
  });

  describe("fusions and reshapes", () => {
    it("folds a constant per-channel Add [1, M, 1, 1] after a Conv into its bias", async () => {
      const b = new GraphBuilder("conv-add", 13);
      const x = b.input("x", [1, 2, 5, 4]);
      const h = b.node("Conv", [x, b.initializer("w", weights(71, [3, 2, 3, 3]))], { pads: [1, 1, 1, 1] });
      b.output(b.node("Add", [h, b.initializer("c", weights(72, [1, 3, 1, 1], 0.5))]), [-1]);
      await run("conv+add", { graph: b.build(), inputDims: [1, 2, 5, 4], ops: ["Conv"] });
    });
    it("folds BatchNormalization after a Gemm and a Clip (opset 9 attributes) into it", async () => {
      const b = new GraphBuilder("gemm-bn-clip", 9);
      const x = b.input("x", [1, 6]);
      let h = b.node("Gemm", [x, b.initializer("B", weights(73, [4, 6])), b.initializer("C", weights(74, [4], 0.2))], {
        transB: 1,
      });
      h = b.node("BatchNormalization", [
        h,
        b.initializer("s", tensorF32([4], [1.2, 0.7, -1, 2])),
        b.initializer("bb", tensorF32([4], [0.1, -0.2, 0.3, 0])),
        b.initializer("m", tensorF32([4], [0.2, 0, -0.1, 0.05])),
        b.initializer("v", tensorF32([4], [1, 0.5, 2, 0.25])),
      ]);
      b.output(b.node("Clip", [h], { min: -0.5, max: { kind: "float", value: 1 } }), [-1]);
      await run("gemm+bn+clip9", { graph: b.build(), inputDims: [1, 6], ops: ["Gemm"] });
    });
    it("runs a Reshape from [1, 36] to [1, 1, 6, 6] into a Conv, then GlobalAveragePool and Flatten", async () => {
      const b = new GraphBuilder("reshape-conv", 13);
      const x = b.input("x", [1, 36]);
      let h = b.node("Reshape", [x, b.initializer("shape", tensorI64([4], [1, 1, 6, 6]))]);
      h = b.node("Conv", [h, b.initializer("w", weights(75, [5, 1, 3, 3]))], { strides: [2, 2], pads: [1, 1, 1, 1] });
      h = b.node("Relu", [h]);
      h = b.node("GlobalAveragePool", [h]);
      b.output(b.node("Flatten", [h]), [-1]);
      await run("reshape+conv+gap", {
        graph: b.build(),
        inputDims: [1, 36],
        ops: ["Reshape", "Conv", "AveragePool", "Reshape"],
      });
    });
    it("MatMul on a rank-1 input", async () => {
      const b = new GraphBuilder("matmul1", 13);
      const x = b.input("x", [7]);
      b.output(b.node("MatMul", [x, b.initializer("W", weights(76, [7, 3]))]), [-1]);
      await run("matmul rank-1", { graph: b.build(), inputDims: [7], ops: ["Gemm"] });
    });
  });

  describe("Gemm and MatMul", () => {
    function gemm(attrs: Record<string, number>, cDims: number[] | null, bDims: number[]): Case {
      const b = new GraphBuilder("gemm", 13);
      const x = b.input("x", [2, 6]);
      const ins = [x, b.initializer("B", weights(21, bDims))];
      if (cDims) ins.push(b.initializer("C", weights(22, cDims, 0.3)));
      b.output(b.node("Gemm", ins, attrs), [-1]);
      return { graph: b.build(), inputDims: [2, 6], ops: ["Gemm"] };
    }
    it("matches transB = 1 with a per-column C", () => run("gemm transB", gemm({ transB: 1 }, [5], [5, 6])));
    it("matches transB = 0, alpha and beta, a [1, N] C", () =>
      run("gemm alpha/beta", gemm({ alpha: 0.7, beta: 1.5 }, [1, 5], [6, 5])));
    it("matches a scalar C and no C", async () => {
      await run("gemm scalar C", gemm({}, [], [6, 3]));
      await run("gemm no C", gemm({ transB: 1 }, null, [3, 6]));
    });
    it("rejects transA = 1 with UnsupportedOperatorError", () => {
      const c = gemm({ transA: 1 }, null, [2, 3]);
      expect(() => quantizeGraph(c.graph, [new Float32Array(12)])).to.throw(/transA/);
    });
    it("matches MatMul on a rank-3 input followed by a constant bias Add (folded)", async () => {
      const b = new GraphBuilder("matmul", 13);
      const x = b.input("x", [1, 3, 4]);
      const h = b.node("MatMul", [x, b.initializer("W", weights(31, [4, 5]))]);
      b.output(b.node("Add", [h, b.initializer("bias", weights(32, [5], 0.3))]), [-1]);
      await run("matmul+add", { graph: b.build(), inputDims: [1, 3, 4], ops: ["Gemm"] });
    });
  });

  describe("elementwise with broadcasting", () => {
    function binaryConst(op: string, xDims: number[], cDims: number[], constFirst: boolean): Case {
      const b = new GraphBuilder(op, 13);
      const x = b.input("x", xDims);
      const c = b.initializer("c", weights(41, cDims, 0.8));
      b.output(b.node(op, constFirst ? [c, x] : [x, c]), [-1]);
      return { graph: b.build(), inputDims: xDims, ops: [op] };
    }
    for (const op of ["Add", "Sub", "Mul"]) {
      it(`${op}: tensor [2,3,4] with constant [3,1]`, () =>
        run(`${op} const [3,1]`, binaryConst(op, [2, 3, 4], [3, 1], false)));
      it(`${op}: constant [4] first, tensor [1,3,4]`, () =>
        run(`${op} const-first [4]`, binaryConst(op, [1, 3, 4], [4], true)));
      it(`${op}: two tensors [1,3,4,5] and [1,3,1,1] (GlobalAveragePool branch)`, async () => {
        const b = new GraphBuilder(op, 13);
        const x = b.input("x", [1, 3, 4, 5]);
        const g = b.node("GlobalAveragePool", [x]);
        const s = b.node("Mul", [g, b.initializer("k", tensorF32([], [3]))]);
        b.output(b.node(op, [x, s]), [-1]);
        await run(`${op} tensor-tensor`, {
          graph: b.build(),
          inputDims: [1, 3, 4, 5],
          ops: ["AveragePool", "Mul", op],
        });
      });
    }
    it("Add of a tensor with itself after Relu (DAG with two live tensors)", async () => {
      const b = new GraphBuilder("residual", 13);
      const x = b.input("x", [1, 2, 4, 4]);
      let h = b.node("Conv", [x, b.initializer("w1", weights(51, [2, 2, 3, 3]))], { pads: [1, 1, 1, 1] });
      h = b.node("Relu", [h]);
      h = b.node("Conv", [h, b.initializer("w2", weights(52, [2, 2, 3, 3]))], { pads: [1, 1, 1, 1] });
      h = b.node("Add", [h, x]);
      b.output(b.node("Relu", [h]), [-1]);
      await run("residual", { graph: b.build(), inputDims: [1, 2, 4, 4], ops: ["Conv", "Conv", "Add", "Relu"] });
    });
  });

  describe("activations", () => {
    it("Relu on the input", () => run("relu", { ...unary("Relu", [2, 7]), ops: ["Relu"] }));
    it("LeakyRelu (alpha 0.2) as a lookup table", () =>
      run("leakyrelu", { ...unary("LeakyRelu", [3, 5], { alpha: 0.2 }), ops: ["Lut"] }));
    it("Sigmoid as a lookup table", () => run("sigmoid", { ...unary("Sigmoid", [3, 5]), lo: -6, hi: 6, ops: ["Lut"] }));
    it("Tanh as a lookup table", () => run("tanh", { ...unary("Tanh", [3, 5]), lo: -3, hi: 3, ops: ["Lut"] }));
    it("Clip with min/max inputs (opset 13)", () =>
      run("clip13", { ...unary("Clip", [4, 4], {}, 13, ["-0.3", "0.5"]), ops: ["Lut"] }));
    it("Clip with min/max attributes (opset 9)", () =>
      run("clip9", { ...unary("Clip", [4, 4], { min: -0.25, max: 0.75 }, 9), ops: ["Lut"] }));
  });

  describe("pooling", () => {
    it("MaxPool 2x2 stride 2", () =>
      run("maxpool", {
        ...unary("MaxPool", [1, 3, 6, 6], { kernel_shape: [2, 2], strides: [2, 2] }),
        ops: ["MaxPool"],
      }));
    it("MaxPool 3x3 with pads, strides 2, non-square input", () =>
      run(
        "maxpool pads",
        unary("MaxPool", [1, 2, 7, 5], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }),
      ));
    it("MaxPool with ceil_mode and dilations", () =>
      run(
        "maxpool ceil/dil",
        unary("MaxPool", [1, 2, 8, 7], { kernel_shape: [2, 2], strides: [2, 2], dilations: [2, 1], ceil_mode: 1 }),
      ));
    it("MaxPool auto_pad SAME_UPPER", () =>
      run(
        "maxpool same",
        unary("MaxPool", [1, 1, 5, 5], { kernel_shape: [2, 2], strides: [2, 2], auto_pad: "SAME_UPPER" }),
      ));
    for (const cip of [0, 1]) {
      it(`AveragePool with pads and count_include_pad = ${cip}`, () =>
        run(`avgpool cip ${cip}`, {
          ...unary("AveragePool", [1, 3, 5, 6], {
            kernel_shape: [3, 3],
            strides: [2, 2],
            pads: [1, 1, 1, 1],
            count_include_pad: cip,
          }),
          ops: ["AveragePool"],
        }));
      it(`AveragePool with ceil_mode and count_include_pad = ${cip}`, () =>
        run(
          `avgpool ceil cip ${cip}`,
          unary("AveragePool", [1, 2, 7, 7], {
            kernel_shape: [2, 2],
            strides: [2, 2],
            ceil_mode: 1,
            pads: [0, 0, 1, 0],
            count_include_pad: cip,
          }),
        ));
    }
    it("GlobalAveragePool on a non-square input", () =>
      run("gap", { ...unary("GlobalAveragePool", [1, 5, 3, 4]), ops: ["AveragePool"] }));
  });

  describe("BatchNormalization, shape ops, Softmax", () => {
    it("BatchNormalization on the input becomes a per-channel Affine layer", async () => {
      const b = new GraphBuilder("bn", 13);
      const x = b.input("x", [1, 3, 2, 2]);
      const h = b.node("BatchNormalization", [
        x,
        b.initializer("s", tensorF32([3], [1.5, -0.5, 2])),
        b.initializer("bb", tensorF32([3], [0.1, -0.2, 0.3])),
        b.initializer("m", tensorF32([3], [0.2, 0, -0.1])),
        b.initializer("v", tensorF32([3], [1, 0.5, 2])),
      ]);
      b.output(h, [-1]);
      await run("bn affine", { graph: b.build(), inputDims: [1, 3, 2, 2], ops: ["Affine"] });
    });
    it("Flatten, Reshape (0 and -1), Transpose, Identity, Dropout move data exactly", async () => {
      const b = new GraphBuilder("shapes", 13);
      const x = b.input("x", [1, 2, 3, 4]);
      let h = b.node("Identity", [x]);
      h = b.node("Transpose", [h], { perm: [0, 3, 1, 2] });
      h = b.node("Reshape", [h, b.initializer("shape", tensorI64([3], [0, -1, 3]))]);
      h = b.node("Dropout", [h]);
      h = b.node("Flatten", [h], { axis: 2 });
      b.output(h, [-1]);
      const { maxSteps } = await check({
        graph: b.build(),
        inputDims: [1, 2, 3, 4],
        ops: ["Transpose", "Reshape", "Reshape"],
      });
      // data movement only: the sole error is the input quantization, at most half a step
      expect(maxSteps).to.be.at.most(0.5 + 1e-6);
    });
    it("Softmax over the last axis (opset 13) of a [2, 3, 5] tensor after a Gemm-like MatMul", async () => {
      const b = new GraphBuilder("softmax", 13);
      const x = b.input("x", [2, 3, 5]);
      const h = b.node("MatMul", [x, b.initializer("W", weights(61, [5, 5], 2))]);
      b.output(b.node("Softmax", [h]), [-1]);
      await run("softmax13", { graph: b.build(), inputDims: [2, 3, 5], ops: ["Gemm", "Softmax"] });
    });
    it("Softmax over axis 1 of a [2, 3, 4] tensor (opset 13, strided axis)", () =>
      run("softmax axis1", { ...unary("Softmax", [2, 3, 4], { axis: 1 }), lo: -3, hi: 3 }));
    it("Softmax with opset 11 flattening semantics (axis 1 of [2, 3, 4])", () =>
      run("softmax11", { ...unary("Softmax", [2, 3, 4], { axis: 1 }, 11), lo: -3, hi: 3 }));
  });
});
