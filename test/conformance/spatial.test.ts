/**
 * Conformance of the spatial operators (the harness: ./harness.ts): Conv, MaxPool, AveragePool, GlobalAveragePool
 * and GlobalMaxPool in 1-D, 2-D and 3-D with every attribute (pads, auto_pad, strides, dilations, groups, ceil_mode,
 * count_include_pad), and MatMul in N-D (activation x activation with batch broadcasting, 1-D operands, a constant
 * left or N-D right operand, attention).
 */
import { GraphBuilder, tensorF32, tensorI64 } from "../../executor/model/builder";
import { STEPS } from "./bounds";
import { type ConformanceCase, conformanceSuite, randomArray, rng } from "./harness";

type Attrs = Record<string, number | number[] | string>;

function weights(seed: number, dims: number[], scale = 0.5) {
  const n = dims.reduce((a, b) => a * b, 1);
  return tensorF32(dims, randomArray(rng(seed), n, -scale, scale));
}

function conv(size: number[], c: number, m: number, kernel: number[], attrs: Attrs, opset = 18): ConformanceCase {
  const b = new GraphBuilder("conv", opset);
  const group = typeof attrs.group === "number" ? attrs.group : 1;
  const dims = [1, c, ...size];
  const x = b.input("x", dims);
  const y = b.node(
    "Conv",
    [x, b.initializer("w", weights(3, [m, c / group, ...kernel])), b.initializer("b", weights(4, [m], 0.2))],
    attrs,
  );
  b.output(y, [-1]);
  return {
    name: `Conv ${size.length}-D k${kernel.join("x")} ${JSON.stringify(attrs)} opset ${opset}`,
    graph: b.build(),
    inputDims: dims,
    ops: ["Conv"],
    steps: STEPS.conv,
  };
}

function pool(op: string, size: number[], attrs: Attrs, opset = 18): ConformanceCase {
  const b = new GraphBuilder("pool", opset);
  const dims = [1, 2, ...size];
  const y = b.node(op, [b.input("x", dims)], attrs);
  b.output(y, [-1]);
  const prog = op === "AveragePool" || op === "GlobalAveragePool" ? "AveragePool" : "MaxPool";
  return {
    name: `${op} ${size.length}-D ${JSON.stringify(attrs)} opset ${opset}`,
    graph: b.build(),
    inputDims: dims,
    ops: size.length < 3 || op.startsWith("Global") ? [prog] : undefined,
    steps:
      prog === "MaxPool"
        ? STEPS.indexMap
        : size.length === 3 && op === "AveragePool"
          ? STEPS.averagePool3d
          : STEPS.averagePool,
  };
}

function convTranspose(
  size: number[],
  c: number,
  m: number,
  kernel: number[],
  attrs: Attrs,
  opset = 18,
): ConformanceCase {
  const b = new GraphBuilder("convtranspose", opset);
  const group = typeof attrs.group === "number" ? attrs.group : 1;
  const dims = [1, c, ...size];
  const y = b.node(
    "ConvTranspose",
    [
      b.input("x", dims),
      b.initializer("w", weights(11, [c, m / group, ...kernel])),
      b.initializer("b", weights(12, [m], 0.2)),
    ],
    attrs,
  );
  b.output(y, [-1]);
  return {
    name: `ConvTranspose ${size.length}-D k${kernel.join("x")} ${JSON.stringify(attrs)} opset ${opset}`,
    graph: b.build(),
    inputDims: dims,
    ops: ["ConvTranspose"],
    steps: STEPS.convTranspose,
  };
}

/** MatMul of the input by Transpose(input) or by the input reshaped: two computed operands. */
function matmulSelf(dims: number[], perm: number[], opset = 18): ConformanceCase {
  const b = new GraphBuilder("matmul", opset);
  const x = b.input("x", dims);
  const t = b.node("Transpose", [x], { perm });
  b.output(b.node("MatMul", [x, t]), [-1]);
  return {
    name: `MatMul x . x^T [${dims.join(", ")}] opset ${opset}`,
    graph: b.build(),
    inputDims: dims,
    steps: STEPS.matMul,
  };
}

/** MatMul of two computed operands of different shapes (batch broadcasting): x times Relu(x W) reshaped. */
function matmulBroadcast(a: number[], bDims: number[], opset = 18): ConformanceCase {
  const b = new GraphBuilder("matmul", opset);
  const x = b.input("x", a);
  const size = (d: number[]) => d.reduce((p, q) => p * q, 1);
  const flat = b.node("Reshape", [x, b.initializer("s0", tensorI64([2], [1, size(a)]))]);
  const proj = b.node("MatMul", [flat, b.initializer("w", weights(5, [size(a), size(bDims)]))]);
  const shaped = b.node("Reshape", [proj, b.initializer("s1", tensorI64([bDims.length], bDims))]);
  b.output(b.node("MatMul", [x, shaped]), [-1]);
  return {
    name: `MatMul [${a.join(", ")}] x computed [${bDims.join(", ")}] opset ${opset}`,
    graph: b.build(),
    inputDims: a,
    steps: STEPS.matMul,
  };
}

function matmulConst(x: number[], c: number[], side: "left" | "right", opset = 18): ConformanceCase {
  const b = new GraphBuilder("matmul", opset);
  const xi = b.input("x", x);
  const w = b.initializer("w", weights(6, c));
  b.output(b.node("MatMul", side === "left" ? [w, xi] : [xi, w]), [-1]);
  return {
    name: `MatMul constant ${side} [${c.join(", ")}] by [${x.join(", ")}] opset ${opset}`,
    graph: b.build(),
    inputDims: x,
    ops: ["MatMul"],
    steps: STEPS.gemm,
  };
}

/** Single-head attention: softmax(Q K^T / sqrt(d)) V, Q, K, V projections of the input. */
function attention(s: number, d: number, opset = 18): ConformanceCase {
  const b = new GraphBuilder("attention", opset);
  const x = b.input("x", [1, s, d]);
  const q = b.node("MatMul", [x, b.initializer("wq", weights(7, [d, d]))]);
  const k = b.node("MatMul", [x, b.initializer("wk", weights(8, [d, d]))]);
  const v = b.node("MatMul", [x, b.initializer("wv", weights(9, [d, d]))]);
  const kt = b.node("Transpose", [k], { perm: [0, 2, 1] });
  const scores = b.node("Mul", [b.node("MatMul", [q, kt]), b.initializer("scale", tensorF32([1], [1 / Math.sqrt(d)]))]);
  const p = b.node("Softmax", [scores], { axis: -1 });
  b.output(b.node("MatMul", [p, v]), [-1]);
  return {
    name: `attention s=${s} d=${d} opset ${opset}`,
    graph: b.build(),
    inputDims: [1, s, d],
    steps: STEPS.attention,
  };
}

conformanceSuite("spatial (Conv, pools, MatMul)", [
  // Conv 1-D
  conv([12], 2, 3, [3], {}),
  conv([12], 2, 3, [3], { pads: [1, 2] }),
  conv([15], 2, 2, [3], { strides: [2] }),
  conv([16], 2, 2, [3], { dilations: [2], pads: [2, 2] }),
  conv([12], 4, 4, [3], { group: 2, pads: [1, 1] }),
  conv([12], 3, 3, [5], { group: 3 }),
  conv([13], 2, 3, [4], { auto_pad: "SAME_UPPER", strides: [2] }),
  conv([13], 2, 3, [4], { auto_pad: "SAME_LOWER" }),
  conv([11], 2, 3, [3], { auto_pad: "VALID", strides: [3] }),
  conv([10], 2, 2, [1], {}, 11),
  conv([10], 2, 2, [3], { pads: [1, 1] }, 22),
  // Conv 2-D
  conv([7, 7], 2, 4, [3, 3], { group: 2, dilations: [2, 1], pads: [2, 1, 2, 1] }),
  conv([8, 6], 2, 2, [2, 3], { auto_pad: "SAME_LOWER", strides: [2, 1] }),
  conv([9, 9], 3, 3, [3, 3], { group: 3, strides: [2, 2], auto_pad: "VALID" }),
  conv([6, 6], 2, 2, [3, 3], { auto_pad: "SAME_UPPER" }, 22),
  // Conv 3-D (depth folded into the channels of a 2-D layer)
  conv([4, 5, 5], 2, 3, [3, 3, 3], { pads: [1, 1, 1, 1, 1, 1] }),
  conv([5, 6, 6], 2, 2, [2, 3, 3], { strides: [2, 2, 1], dilations: [1, 1, 2] }),
  conv([4, 4, 4], 4, 4, [3, 1, 3], { group: 2, auto_pad: "SAME_UPPER" }),
  conv([5, 4, 4], 2, 2, [3, 2, 2], { auto_pad: "SAME_LOWER", strides: [2, 1, 1] }, 22),
  // ConvTranspose 1-D / 2-D / 3-D
  convTranspose([5, 5], 2, 3, [3, 3], {}),
  convTranspose([4, 4], 2, 2, [3, 3], { strides: [2, 2], pads: [1, 1, 1, 1] }),
  convTranspose([4, 4], 2, 2, [3, 3], { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] }),
  convTranspose([4, 3], 4, 4, [2, 3], { group: 2, strides: [2, 1], dilations: [1, 2] }),
  convTranspose([4, 4], 2, 2, [3, 3], { strides: [2, 2], output_shape: [8, 8] }),
  convTranspose([3, 4], 2, 3, [4, 4], { strides: [2, 2], auto_pad: "SAME_UPPER" }),
  convTranspose([3, 4], 2, 3, [4, 4], { strides: [2, 2], auto_pad: "SAME_LOWER" }),
  convTranspose([6], 2, 3, [3], { strides: [2] }),
  convTranspose([6], 2, 2, [4], { strides: [3], pads: [1, 2], output_padding: [2] }),
  convTranspose([5], 3, 3, [3], { group: 3, dilations: [2] }, 22),
  convTranspose([3, 3, 3], 2, 2, [2, 3, 3], { strides: [2, 2, 2], pads: [0, 1, 1, 0, 1, 1] }),
  convTranspose([3, 4, 4], 2, 4, [3, 2, 2], { group: 2, strides: [1, 2, 2], dilations: [2, 1, 1] }),
  convTranspose([2, 3, 3], 2, 2, [3, 3, 3], { strides: [2, 1, 2], output_padding: [1, 0, 1] }, 22),
  // MaxPool 1-D / 2-D
  pool("MaxPool", [12], { kernel_shape: [2] }),
  pool("MaxPool", [12], { kernel_shape: [3], strides: [2], pads: [1, 1] }),
  pool("MaxPool", [13], { kernel_shape: [3], strides: [2], ceil_mode: 1 }),
  pool("MaxPool", [14], { kernel_shape: [2], dilations: [3] }),
  pool("MaxPool", [11], { kernel_shape: [4], strides: [3], auto_pad: "SAME_UPPER" }),
  pool("MaxPool", [11], { kernel_shape: [3], auto_pad: "VALID", strides: [2] }),
  pool("MaxPool", [7, 7], { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }),
  pool("MaxPool", [8, 8], { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 1, 1, 1] }),
  pool("MaxPool", [7, 8], { kernel_shape: [3, 2], auto_pad: "SAME_LOWER", strides: [2, 2] }, 22),
  // AveragePool 1-D / 2-D
  pool("AveragePool", [12], { kernel_shape: [3] }),
  pool("AveragePool", [12], { kernel_shape: [3], pads: [1, 1], count_include_pad: 1 }),
  pool("AveragePool", [12], { kernel_shape: [3], pads: [1, 1], count_include_pad: 0 }),
  pool("AveragePool", [13], { kernel_shape: [3], strides: [2], ceil_mode: 1 }),
  pool("AveragePool", [13], { kernel_shape: [4], strides: [2], auto_pad: "SAME_UPPER" }),
  pool("AveragePool", [7, 7], { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], count_include_pad: 1 }),
  pool("AveragePool", [7, 7], { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }),
  pool("AveragePool", [9], { kernel_shape: [2], auto_pad: "VALID", strides: [2] }, 22),
  // pools 3-D (separable: the (H, W) pool of each depth slice, then the pool along D)
  pool("MaxPool", [4, 5, 5], { kernel_shape: [2, 2, 2] }),
  pool("MaxPool", [5, 6, 6], { kernel_shape: [3, 3, 3], strides: [2, 2, 2], pads: [1, 1, 1, 1, 1, 1] }),
  pool("MaxPool", [5, 5, 5], { kernel_shape: [2, 3, 2], strides: [2, 2, 2], ceil_mode: 1, dilations: [2, 1, 1] }),
  pool("MaxPool", [3, 6, 6], { kernel_shape: [1, 2, 2], strides: [1, 2, 2] }),
  pool("AveragePool", [4, 6, 6], { kernel_shape: [2, 2, 2], strides: [2, 2, 2] }),
  pool("AveragePool", [5, 5, 5], { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1], count_include_pad: 1 }),
  pool("AveragePool", [5, 5, 5], { kernel_shape: [3, 3, 3], pads: [1, 1, 1, 1, 1, 1], count_include_pad: 0 }),
  pool("AveragePool", [5, 6, 6], { kernel_shape: [2, 3, 3], strides: [2, 2, 2], ceil_mode: 1 }, 22),
  pool("GlobalAveragePool", [3, 4, 5], {}),
  pool("GlobalMaxPool", [3, 4, 5], {}),
  // global pools
  pool("GlobalAveragePool", [10], {}),
  pool("GlobalAveragePool", [5, 6], {}),
  pool("GlobalMaxPool", [10], {}),
  pool("GlobalMaxPool", [5, 6], {}),
  pool("GlobalMaxPool", [4, 4], {}, 22),
  // MatMul
  matmulSelf([4, 6], [1, 0]),
  matmulSelf([2, 3, 5], [0, 2, 1]),
  matmulSelf([2, 2, 3, 4], [0, 1, 3, 2], 13),
  matmulBroadcast([2, 3, 4], [4, 5]),
  matmulBroadcast([3, 4], [2, 4, 3]),
  matmulBroadcast([2, 1, 3, 4], [1, 2, 4, 2]),
  matmulBroadcast([6], [6, 3]),
  matmulBroadcast([2, 3, 4], [4]),
  matmulConst([5, 3], [4, 5], "left"),
  matmulConst([2, 6, 3], [4, 6], "left"),
  matmulConst([2, 3, 6], [2, 6, 4], "right"),
  matmulConst([3, 6], [2, 6, 4], "right", 13),
  attention(4, 8),
  attention(6, 4, 22),
]);
