/**
 * Float graphs shared by the ONNX I/O tests and fuzz tests: small MLP- and CNN-shaped models, a graph that uses
 * every supported operator, and a deterministic PRNG for their weights.
 */
import { onnx } from "onnx-proto";

import { GraphBuilder, tensorF32, tensorI64 } from "../../executor/model/builder";
import type { Graph } from "../../executor/model/graph";

/** mulberry32: a tiny seeded PRNG, uniform in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `n` uniform values in [-scale, scale). */
export function randomData(rand: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (rand() * 2 - 1) * scale;
  return out;
}

/** input [1, sizes[0]] -> (Gemm, Relu)* -> Gemm -> Softmax, like the demo MLP (784-128-64-10) but any sizes. */
export function mlpGraph(sizes: readonly number[], seed = 1): Graph {
  const rand = prng(seed);
  const b = new GraphBuilder("mlp", 13);
  let x = b.input("input", [1, sizes[0]]);
  for (let l = 1; l < sizes.length; l++) {
    const w = b.initializer(
      `w${l}`,
      tensorF32([sizes[l], sizes[l - 1]], randomData(rand, sizes[l] * sizes[l - 1], 0.3)),
    );
    const bias = b.initializer(`b${l}`, tensorF32([sizes[l]], randomData(rand, sizes[l], 0.1)));
    x = b.node("Gemm", [x, w, bias], { transB: 1 }, { name: `fc${l}` });
    if (l < sizes.length - 1) x = b.node("Relu", [x], {}, { name: `relu${l}` });
  }
  const y = b.node("Softmax", [x], { axis: 1 }, { name: "softmax" });
  b.output(y, [1, sizes[sizes.length - 1]]);
  return b.build();
}

/** input [1,1,side,side] -> (Conv 3x3 pad 1, Relu, MaxPool 2x2) x2 -> Flatten -> Gemm, like the demo CNN. */
export function cnnGraph(side = 12, c1 = 4, c2 = 8, classes = 10, seed = 2): Graph {
  const rand = prng(seed);
  const b = new GraphBuilder("cnn", 13);
  let x = b.input("input", [1, 1, side, side]);
  let cin = 1;
  let s = side;
  [c1, c2].forEach((cout, i) => {
    const w = b.initializer(`conv${i + 1}.w`, tensorF32([cout, cin, 3, 3], randomData(rand, cout * cin * 9, 0.4)));
    const bias = b.initializer(`conv${i + 1}.b`, tensorF32([cout], randomData(rand, cout, 0.1)));
    x = b.node(
      "Conv",
      [x, w, bias],
      { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] },
      { name: `conv${i + 1}` },
    );
    x = b.node("Relu", [x], {}, { name: `relu${i + 1}` });
    x = b.node("MaxPool", [x], { kernel_shape: [2, 2], strides: [2, 2] }, { name: `pool${i + 1}` });
    cin = cout;
    s = Math.floor(s / 2);
  });
  x = b.node("Flatten", [x], { axis: 1 }, { name: "flatten" });
  const flat = cin * s * s;
  const w = b.initializer("fc.w", tensorF32([classes, flat], randomData(rand, classes * flat, 0.2)));
  const bias = b.initializer("fc.b", tensorF32([classes], randomData(rand, classes, 0.1)));
  const y = b.node("Gemm", [x, w, bias], { transB: 1 }, { name: "fc" });
  b.output(y, [1, classes]);
  return b.build();
}

/**
 * One graph that uses every operator of SUPPORTED_OPERATORS (and a Constant node, folded away), with the
 * attributes that matter: strides, pads, dilations, groups, auto_pad, count_include_pad, epsilon, alpha, perm...
 * It is a valid opset-20 model that onnxruntime runs: input [1,2,6,6] float, output [1,3] (a softmax).
 */
/** The every-operator graph's Where condition: int64 in the builder's graph, BOOL in `forOnnxruntime`'s bytes. */
const WHERE_CONDITION = "where.cond";

/**
 * The every-operator graph's ONNX bytes as onnxruntime needs them: the Where condition retyped BOOL (the builder and
 * `encodeOnnx` write integer tensors as INT64, and the importer reads BOOL as int64).
 */
export function forOnnxruntime(bytes: Uint8Array): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const t = m.graph?.initializer?.find((i) => i.name === WHERE_CONDITION);
  if (!t?.rawData) return bytes;
  const raw = t.rawData;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  t.rawData = Uint8Array.from({ length: raw.byteLength / 8 }, (_, k) => (view.getBigInt64(8 * k, true) !== 0n ? 1 : 0));
  t.dataType = onnx.TensorProto.DataType.BOOL;
  return onnx.ModelProto.encode(m).finish();
}

export function allOperatorsBuilder(seed = 3): GraphBuilder {
  const rand = prng(seed);
  const b = new GraphBuilder("all_ops", 20);
  const x = b.input("x", [1, 2, 6, 6]);
  const w1 = b.initializer("w1", tensorF32([4, 2, 3, 3], randomData(rand, 72, 0.5)));
  const b1 = b.initializer("b1", tensorF32([4], randomData(rand, 4, 0.1)));
  const c1 = b.node(
    "Conv",
    [x, w1, b1],
    { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], dilations: [1, 1], group: 1, auto_pad: "NOTSET" },
    { name: "conv" },
  );
  const bn = b.node(
    "BatchNormalization",
    [
      c1,
      b.initializer("bn.scale", tensorF32([4], [1, 0.5, 2, 1.5])),
      b.initializer("bn.bias", tensorF32([4], [0, 0.1, -0.1, 0.2])),
      b.initializer("bn.mean", tensorF32([4], [0.1, 0, -0.2, 0.3])),
      b.initializer("bn.var", tensorF32([4], [1, 2, 0.5, 1])),
    ],
    { epsilon: 1e-5 },
    { name: "bn" },
  );
  const r = b.node("Relu", [bn], {}, { name: "relu" });
  const wd = b.initializer("wd", tensorF32([4, 1, 3, 3], randomData(rand, 36, 0.5)));
  const dw = b.node(
    "Conv",
    [r, wd],
    { kernel_shape: [3, 3], pads: [2, 2, 2, 2], dilations: [2, 2], group: 4 },
    { name: "depthwise" },
  );
  const skip = b.node("Add", [r, dw], {}, { name: "skip_add" });
  const mp = b.node("MaxPool", [skip], { kernel_shape: [2, 2], strides: [2, 2] }, { name: "maxpool" });
  const ap = b.node(
    "AveragePool",
    [mp],
    { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1], count_include_pad: 1 },
    { name: "avgpool" },
  );
  const lr = b.node("LeakyRelu", [ap], { alpha: 0.1 }, { name: "leaky" });
  const lo = b.node("Constant", [], { value: tensorF32([], [-2]) }, { name: "clip_min" });
  const hi = b.node("Constant", [], { value_float: 2.5 }, { name: "clip_max" });
  const cl = b.node("Clip", [lr, lo, hi], {}, { name: "clip" });
  const sg = b.node("Sigmoid", [cl], {}, { name: "sigmoid" });
  const th = b.node("Tanh", [cl], {}, { name: "tanh" });
  const mu = b.node("Mul", [sg, th], {}, { name: "mul" });
  const su = b.node("Sub", [mu, cl], {}, { name: "sub" });
  const gp = b.node("GlobalAveragePool", [su], {}, { name: "gap" });
  // ops-spatial: a ConvTranspose and a GlobalMaxPool branch, added to the average
  const wt = b.initializer("wt", tensorF32([4, 2, 2, 2], randomData(rand, 32, 0.5)));
  const ct = b.node("ConvTranspose", [su, wt], { strides: [2, 2], pads: [1, 1, 1, 1], group: 2 }, { name: "convt" });
  const gx = b.node("GlobalMaxPool", [ct], {}, { name: "gmp" });
  const gs = b.node("Add", [gp, gx], {}, { name: "pool_sum" });
  const fl = b.node("Flatten", [gs], { axis: 1 }, { name: "flatten" });
  const rs = b.node("Reshape", [fl, b.initializer("shape", tensorI64([2], [1, 4]))], {}, { name: "reshape" });
  const t1 = b.node("Transpose", [rs], { perm: [1, 0] }, { name: "transpose" });
  const t2 = b.node("Transpose", [t1], { perm: [1, 0] }, { name: "transpose_back" });
  // data movement (opset 13 forms: Pad without axes, Split by its split input)
  const i64 = (name: string, v: number[], dims = [v.length]) => b.initializer(name, tensorI64(dims, v));
  const pd = b.node("Pad", [t2, i64("pads", [0, 1, 0, 1])], { mode: "edge" }, { name: "pad" }); // [1, 6]
  const sl = b.node("Slice", [pd, i64("sl.s", [1]), i64("sl.e", [5]), i64("sl.a", [1])], {}, { name: "slice" });
  const [sa, sb] = b.nodeOutputs("Split", [sl, i64("split", [2, 2])], { axis: 1 }, { name: "split", outputs: 2 });
  const cc = b.node("Concat", [sb, sa], { axis: 1 }, { name: "concat" }); // [1, 4]
  const un = b.node("Unsqueeze", [cc, i64("un.axes", [0])], {}, { name: "unsqueeze" }); // [1, 1, 4]
  const tl = b.node("Tile", [un, i64("repeats", [1, 2, 1])], {}, { name: "tile" }); // [1, 2, 4]
  const ex = b.node("Expand", [tl, i64("ex.shape", [2, 1, 1])], {}, { name: "expand" }); // [2, 2, 4]
  const ga = b.node("Gather", [ex, i64("ga.idx", [1], [])], { axis: 1 }, { name: "gather" }); // [2, 4]
  const us = b.node("Unsqueeze", [ga, i64("us.axes", [1])], {}, { name: "unsqueeze_mid" }); // [2, 1, 4]
  const sq = b.node("Squeeze", [us, i64("sq.axes", [1])], {}, { name: "squeeze" }); // [2, 4]
  const s2 = b.node(
    "Slice",
    [sq, i64("s2.s", [-1]), i64("s2.e", [-2]), i64("s2.a", [0]), i64("s2.st", [-1])],
    {},
    {
      name: "slice_reverse",
    },
  ); // [1, 4]
  // Where with a constant condition (BOOL for onnxruntime: `forOnnxruntime`), Y a constant scalar
  const wh = b.node(
    "Where",
    [b.initializer(WHERE_CONDITION, tensorI64([4], [1, 0, 0, 1])), s2, b.initializer("where.y", tensorF32([], [0.25]))],
    {},
    { name: "where" },
  );
  const id = b.node("Identity", [wh], {}, { name: "identity" });
  const dr = b.node("Dropout", [id], {}, { name: "dropout" });
  const mm = b.node(
    "MatMul",
    [dr, b.initializer("wm", tensorF32([4, 5], randomData(rand, 20)))],
    {},
    { name: "matmul" },
  );
  const gm = b.node(
    "Gemm",
    [
      mm,
      b.initializer("wg", tensorF32([3, 5], randomData(rand, 15))),
      b.initializer("bg", tensorF32([3], [0.1, 0.2, 0.3])),
    ],
    { transB: 1, alpha: 0.5, beta: { kind: "float", value: 1 } },
    { name: "gemm" },
  );
  // ops-math: every unary activation, Pow, Div, PRelu, the reductions and normalizations on a side branch of the
  // Gemm output, added back at 1/100 so that their quantization error barely reaches the softmax
  const k = (name: string, dims: number[], v: number[]) => b.initializer(name, tensorF32(dims, v));
  const axes = b.initializer("math.axes", tensorI64([1], [1]));
  let m = b.node("Abs", [gm], {}, { name: "abs" });
  m = b.node("Sqrt", [m], {}, { name: "sqrt" });
  for (const op of ["Neg", "Exp", "Erf", "Elu", "Selu", "Softplus", "Softsign", "HardSigmoid", "HardSwish"])
    m = b.node(op, [m], {}, { name: op.toLowerCase() });
  m = b.node("Gelu", [m], { approximate: "tanh" }, { name: "gelu" });
  m = b.node("Pow", [m, k("math.two", [], [2])], {}, { name: "pow" });
  m = b.node("Div", [m, k("math.half", [], [0.5])], {}, { name: "div_const" });
  m = b.node(
    "PRelu",
    [b.node("Sub", [m, k("math.c", [], [0.3])], {}, { name: "math_sub" }), k("math.slope", [3], [0.1, 0.2, 0.3])],
    {},
    {
      name: "prelu",
    },
  );
  const den = b.node(
    "Add",
    [b.node("ReduceMax", [m, axes], {}, { name: "reducemax" }), k("math.one", [], [1])],
    {},
    {
      name: "math_add",
    },
  );
  m = b.node("Div", [m, den], {}, { name: "div" });
  m = b.node(
    "LayerNormalization",
    [m, k("math.ln.scale", [3], [1, 0.5, 2]), k("math.ln.bias", [3], [0, 0.1, -0.1])],
    { axis: -1 },
    {
      name: "layernorm",
    },
  );
  m = b.node("Reshape", [m, b.initializer("math.shape3", tensorI64([3], [1, 1, 3]))], {}, { name: "math_reshape" });
  m = b.node(
    "InstanceNormalization",
    [m, k("math.in.scale", [1], [1.5]), k("math.in.bias", [1], [0.2])],
    {},
    {
      name: "instancenorm",
    },
  );
  m = b.node("Reshape", [m, b.initializer("math.shape2", tensorI64([2], [1, 3]))], {}, { name: "math_reshape_back" });
  m = b.node("LogSoftmax", [m], { axis: 1 }, { name: "logsoftmax" });
  const mean = b.node("ReduceMean", [m, axes], {}, { name: "reducemean" });
  const sum = b.node("ReduceSum", [m, axes], {}, { name: "reducesum" });
  m = b.node("Add", [b.node("Sub", [m, mean], {}, { name: "math_center" }), sum], {}, { name: "math_join" });
  const back = b.node(
    "Add",
    [gm, b.node("Mul", [m, k("math.small", [], [0.01])], {}, { name: "math_scale" })],
    {},
    {
      name: "math_back",
    },
  );
  const sm = b.node("Softmax", [back], { axis: 1 }, { name: "softmax" });
  b.output(sm, [1, 3]);
  return b;
}
