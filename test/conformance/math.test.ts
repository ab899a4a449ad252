/**
 * Conformance of the math operators (the harness: ./harness.ts): the unary activations (one Lut each), Pow, Div,
 * PRelu, the reductions, the normalizations and Softmax / LogSoftmax, at the opset of each operator's newest form.
 */
import { GraphBuilder, tensorF32, tensorI64 } from "../../executor/model/builder";
import type { AttributeInput } from "../../executor/model/builder";
import { STEPS } from "./bounds";
import { type ConformanceCase, conformanceSuite, randomArray, rng } from "./harness";

function constant(seed: number, dims: number[], lo = -1, hi = 1) {
  return tensorF32(
    dims,
    randomArray(
      rng(seed),
      dims.reduce((a, b) => a * b, 1),
      lo,
      hi,
    ),
  );
}

interface UnaryOpts {
  attrs?: Record<string, AttributeInput>;
  opset?: number;
  dims?: number[];
  lo?: number;
  hi?: number;
  steps?: number;
  label?: string;
}

/** One node of `op` on the graph input. */
function unary(op: string, o: UnaryOpts = {}): ConformanceCase {
  const opset = o.opset ?? 18;
  const dims = o.dims ?? [2, 3, 4];
  const b = new GraphBuilder(op.toLowerCase(), opset);
  const x = b.input("x", dims);
  const y = b.node(op, [x], o.attrs ?? {});
  b.output(y, [-1]);
  return {
    name: `${op}${o.label ?? (o.attrs ? " " + JSON.stringify(o.attrs) : "")} opset ${opset}`,
    graph: b.build(),
    inputDims: dims,
    lo: o.lo,
    hi: o.hi,
    steps: o.steps ?? STEPS.lut,
    ops: ["Lut"],
  };
}

/** A node of `op` on the input and constant operands (`consts[i]` at input position i, the input elsewhere). */
function withConstants(
  op: string,
  dims: number[],
  consts: Record<number, ReturnType<typeof tensorF32>>,
  o: {
    opset?: number;
    attrs?: Record<string, AttributeInput>;
    ops?: string[];
    label: string;
    lo?: number;
    hi?: number;
    steps?: number;
  },
): ConformanceCase {
  const opset = o.opset ?? 18;
  const b = new GraphBuilder(op.toLowerCase(), opset);
  const x = b.input("x", dims);
  const n = Math.max(...Object.keys(consts).map(Number), 0) + 1;
  const inputs = Array.from({ length: Math.max(n, 2) }, (_, i) => (consts[i] ? b.initializer(`c${i}`, consts[i]) : x));
  const y = b.node(op, inputs, o.attrs ?? {});
  b.output(y, [-1]);
  return {
    name: `${op} ${o.label} opset ${opset}`,
    graph: b.build(),
    inputDims: dims,
    ops: o.ops,
    lo: o.lo,
    hi: o.hi,
    steps: o.steps ?? (op === "Div" ? STEPS.div : op === "PRelu" ? STEPS.prelu : STEPS.lut),
  };
}

const unaryCases: ConformanceCase[] = [
  // steep near 0: the input's half step is amplified (NUMERICS §16)
  unary("Sqrt", { lo: 0, hi: 4, steps: STEPS.lutSqrt }),
  unary("Exp"),
  unary("Exp", { lo: -4, hi: 2, label: " wide range", steps: STEPS.lutExpWide }),
  unary("Neg"),
  unary("Abs"),
  unary("Erf", { lo: -3, hi: 3 }),
  unary("Gelu", { opset: 20, lo: -4, hi: 4 }),
  unary("Gelu", { opset: 20, attrs: { approximate: "tanh" }, lo: -4, hi: 4 }),
  unary("Elu", { lo: -3, hi: 3 }),
  unary("Elu", { attrs: { alpha: 0.5 }, lo: -3, hi: 3 }),
  unary("Selu", { lo: -3, hi: 3 }),
  unary("Selu", { attrs: { alpha: 1.5, gamma: { kind: "float", value: 2 } }, lo: -3, hi: 3 }),
  unary("Softplus", { lo: -5, hi: 5 }),
  unary("Softsign", { lo: -5, hi: 5 }),
  unary("HardSigmoid", { lo: -4, hi: 4 }),
  unary("HardSigmoid", { attrs: { alpha: 0.3, beta: 0.4 }, lo: -4, hi: 4 }),
  unary("HardSwish", { lo: -5, hi: 5 }),
  unary("Sigmoid", { lo: -6, hi: 6 }),
  unary("Tanh", { lo: -3, hi: 3 }),
  unary("LeakyRelu", { attrs: { alpha: 0.1 } }),
  unary("LeakyRelu", { dims: [1, 8] }),
  {
    ...unary("Relu"),
    ops: ["Relu"],
  },
  withConstants(
    "Clip",
    [2, 5],
    { 1: tensorF32([], [-0.3]), 2: tensorF32([], [0.6]) },
    { label: "min/max inputs", ops: ["Lut"] },
  ),
  withConstants("Pow", [2, 5], { 1: tensorF32([], [2]) }, { label: "x^2", ops: ["Lut"] }),
  withConstants("Pow", [2, 5], { 1: tensorF32([1], [3]) }, { label: "x^3", ops: ["Lut"] }),
  withConstants("Pow", [2, 5], { 1: tensorF32([], [0.5]) }, { label: "x^0.5", ops: ["Lut"], lo: 0, hi: 2 }),
  withConstants("Pow", [2, 5], { 0: tensorF32([], [2]) }, { label: "2^x", ops: ["Lut"], lo: -2, hi: 2 }),
];

conformanceSuite("math: unary activations (Lut)", unaryCases);

/** A reduction over constant `axes` (omitted when null). */
function reduce(
  op: string,
  dims: number[],
  axes: number[] | null,
  attrs: Record<string, AttributeInput> = {},
  ops = [op === "ReduceMean" ? "ReduceSum" : op],
): ConformanceCase {
  const b = new GraphBuilder(op.toLowerCase(), 18);
  const x = b.input("x", dims);
  const inputs = axes === null ? [x] : [x, b.initializer("axes", tensorI64([axes.length], axes))];
  const y = b.node(op, inputs, attrs);
  b.output(y, [-1]);
  return {
    name: `${op} axes ${axes === null ? "none" : `[${axes.join(",")}]`} of [${dims.join(",")}] ${JSON.stringify(attrs)} opset 18`,
    graph: b.build(),
    inputDims: dims,
    ops,
    steps: op === "ReduceMax" ? STEPS.indexMap : STEPS.reduceSum,
  };
}

const reduceCases: ConformanceCase[] = [];
for (const op of ["ReduceMean", "ReduceSum", "ReduceMax"]) {
  reduceCases.push(
    reduce(op, [2, 3, 8], [-1]),
    reduce(op, [2, 3, 8], [1], { keepdims: 0 }),
    reduce(op, [2, 4, 3, 3], [2, 3]),
    reduce(op, [3, 5], null),
  );
}
// long axes, split into provable steps of partial maxima / partial means (NUMERICS §18.1)
const long = (op: string, dims: number[], axes: number[], parts: number) => ({
  ...reduce(op, dims, axes),
  name: `${op} over a long axis [${dims.join(",")}] axes [${axes.join(",")}] in ${parts} steps opset 18`,
  ops: new Array<string>(parts).fill(op === "ReduceMean" ? "ReduceSum" : op),
  steps: op === "ReduceMax" ? STEPS.indexMap : STEPS.reduceSumLong,
});
reduceCases.push(
  long("ReduceMean", [1, 40000], [1], 2),
  long("ReduceSum", [1, 3000, 2], [1], 2),
  long("ReduceMax", [2, 3000, 2], [1], 2),
  long("ReduceMean", [1, 2000, 3, 3], [1], 2),
);
reduceCases.push(
  reduce("ReduceMean", [1, 6, 5], [0, 2], { keepdims: 0 }),
  reduce("ReduceSum", [2, 5], [], { noop_with_empty_axes: 1 }, []),
  reduce("ReduceMax", [4, 6], [0]),
);

/** LayerNormalization (opset 17) over the axes from `axis`, with Scale and (optionally) B. */
function layerNorm(dims: number[], axis: number, withBias: boolean, epsilon?: number): ConformanceCase {
  const b = new GraphBuilder("layernorm", 17);
  const x = b.input("x", dims);
  const norm = dims.slice(axis < 0 ? axis + dims.length : axis);
  const inputs = [x, b.initializer("scale", constant(11, norm, 0.5, 1.5))];
  if (withBias) inputs.push(b.initializer("bias", constant(12, norm, -0.5, 0.5)));
  const attrs: Record<string, AttributeInput> = { axis };
  if (epsilon !== undefined) attrs.epsilon = { kind: "float", value: epsilon };
  const y = b.node("LayerNormalization", inputs, attrs);
  b.output(y, [-1]);
  return {
    name: `LayerNormalization axis ${axis} of [${dims.join(",")}]${withBias ? " +B" : ""}${epsilon !== undefined ? ` eps ${epsilon}` : ""} opset 17`,
    graph: b.build(),
    inputDims: dims,
    ops: ["Norm"],
    steps: STEPS.norm,
  };
}

function instanceNorm(dims: number[]): ConformanceCase {
  const b = new GraphBuilder("instancenorm", 18);
  const x = b.input("x", dims);
  const c = dims[1];
  const y = b.node("InstanceNormalization", [
    x,
    b.initializer("scale", constant(13, [c], 0.5, 1.5)),
    b.initializer("bias", constant(14, [c], -0.5, 0.5)),
  ]);
  b.output(y, [-1]);
  return {
    name: `InstanceNormalization [${dims.join(",")}] opset 18`,
    graph: b.build(),
    inputDims: dims,
    ops: ["Norm"],
    steps: STEPS.norm,
  };
}

const normCases: ConformanceCase[] = [
  longChain(
    layerNorm([1, 16384], -1, true),
    ["ReduceSum", "Sub", "Lut", "ReduceSum", "Lut", "Mul", "Mul", "Add"],
    STEPS.layerNormLong,
  ),
  longChain(
    instanceNorm([1, 2, 160, 160]),
    ["ReduceSum", "ReduceSum", "Sub", "Lut", "ReduceSum", "ReduceSum", "Lut", "Mul", "Affine"],
    STEPS.instanceNormLong,
  ),
  layerNorm([2, 16], -1, true),
  layerNorm([2, 16], -1, false),
  layerNorm([2, 3, 8], 1, true),
  layerNorm([1, 4, 32], -1, true, 0.01),
  layerNorm([3, 64], -1, true),
  instanceNorm([1, 3, 4, 4]),
  instanceNorm([2, 2, 10]),
  instanceNorm([1, 2, 2, 3, 3]),
];

conformanceSuite("math: reductions (ReduceSum, ReduceMean, ReduceMax)", reduceCases);
conformanceSuite("math: normalizations (LayerNormalization, InstanceNormalization)", normCases);

/** Div of the input by itself transformed (two computed operands): x / (Sigmoid(x) + 0.5) keeps the divisor away from 0. */
function divComputed(dims: number[], bDims?: number[]): ConformanceCase {
  const b = new GraphBuilder("div", 18);
  const x = b.input("x", dims);
  let den = b.node("Sigmoid", [x]);
  if (bDims) den = b.node("ReduceMax", [den, b.initializer("axes", tensorI64([1], [dims.length - 1]))]);
  const d = b.node("Add", [den, b.initializer("half", tensorF32([], [0.5]))]);
  const y = b.node("Div", [x, d]);
  b.output(y, [-1]);
  return {
    name: `Div computed / computed${bDims ? " (broadcast)" : ""} [${dims.join(",")}] opset 18`,
    graph: b.build(),
    inputDims: dims,
    ops: bDims ? ["Lut", "ReduceMax", "Add", "Div"] : ["Lut", "Add", "Div"],
    steps: STEPS.div,
  };
}

const elementwiseCases: ConformanceCase[] = [
  withConstants("Div", [2, 5], { 1: tensorF32([], [0.4]) }, { label: "x / scalar", ops: ["Lut"] }),
  withConstants("Div", [2, 5], { 0: tensorF32([], [0.7]) }, { label: "scalar / x", ops: ["Lut"], lo: 0.5, hi: 2 }),
  withConstants("Div", [2, 5], { 1: constant(21, [5], 0.5, 2) }, { label: "x / const[5]", ops: ["Div"] }),
  withConstants(
    "Div",
    [3, 4],
    { 0: constant(22, [3, 1], 0.5, 2) },
    { label: "const[3,1] / x", ops: ["Div"], lo: 0.5, hi: 2 },
  ),
  divComputed([2, 6]),
  divComputed([2, 3, 4], [2, 3, 1]),
  withConstants("PRelu", [2, 5], { 1: tensorF32([], [0.25]) }, { label: "scalar slope", ops: ["Lut"] }),
  withConstants(
    "PRelu",
    [2, 3, 4, 4],
    { 1: constant(23, [3, 1, 1], 0, 0.5) },
    { label: "slope [C,1,1]", ops: ["ChannelLut"] },
  ),
  withConstants(
    "PRelu",
    [2, 6],
    { 1: constant(24, [6], -0.2, 0.5) },
    { label: "slope [C] on [N,C]", ops: ["ChannelLut"] },
  ),
  withConstants(
    "PRelu",
    [1, 2, 3, 4],
    { 1: constant(25, [2, 3, 1], 0, 0.5) },
    { label: "slope [2,3,1]", ops: ["ChannelLut"] },
  ),
];

function softmaxLike(op: "Softmax" | "LogSoftmax", dims: number[], axis?: number): ConformanceCase {
  const b = new GraphBuilder(op.toLowerCase(), 18);
  const x = b.input("x", dims);
  const y = b.node(op, [x], axis === undefined ? {} : { axis });
  b.output(y, [-1]);
  return {
    name: `${op} axis ${axis ?? "default"} of [${dims.join(",")}] opset 18`,
    graph: b.build(),
    inputDims: dims,
    lo: -4,
    hi: 4,
    ops: [op],
    steps: op === "Softmax" ? STEPS.softmax : STEPS.logSoftmax,
  };
}

/**
 * An axis or slice too long for one provable step, lowered to a chain of layers (NUMERICS §27): the probabilities'
 * error is mostly the input's half step, exp(±scaleIn / 2), measured on the calibrated (fine) output scale.
 */
function longChain(c: ConformanceCase, ops: string[], steps: number): ConformanceCase {
  return { ...c, name: `${c.name} (long: a chain of ${ops.length} steps)`, ops, steps };
}

const SOFTMAX_CHAIN = ["ReduceMax", "Sub", "Lut", "ReduceSum", "Div"];
const LOG_SOFTMAX_CHAIN = ["ReduceMax", "Sub", "Lut", "ReduceSum", "Lut", "Sub"];

const softmaxCases: ConformanceCase[] = [
  longChain(softmaxLike("Softmax", [1, 4096]), SOFTMAX_CHAIN, STEPS.softmaxLong),
  longChain(softmaxLike("Softmax", [1, 10000]), ["ReduceMax", ...SOFTMAX_CHAIN], STEPS.softmaxLong),
  longChain(
    { ...softmaxLike("Softmax", [1, 10000]), name: "Softmax of [1,10000] inputs in [-1, 1] opset 18", lo: -1, hi: 1 },
    ["ReduceMax", ...SOFTMAX_CHAIN],
    STEPS.softmaxLongNarrow,
  ),
  longChain(
    softmaxLike("Softmax", [1, 3000, 4], 1),
    ["ReduceMax", "ReduceMax", "Sub", "Lut", "ReduceSum", "ReduceSum", "Div"],
    STEPS.softmaxLongStrided,
  ),
  longChain(softmaxLike("LogSoftmax", [1, 4096]), LOG_SOFTMAX_CHAIN, STEPS.logSoftmaxLong),
  longChain(softmaxLike("LogSoftmax", [2, 10000]), ["ReduceMax", ...LOG_SOFTMAX_CHAIN], STEPS.logSoftmaxLong),
  softmaxLike("Softmax", [2, 3, 5], 1),
  softmaxLike("Softmax", [2, 3, 5], 0),
  softmaxLike("Softmax", [2, 3, 5], -1),
  softmaxLike("LogSoftmax", [2, 10]),
  softmaxLike("LogSoftmax", [2, 3, 5], 1),
  softmaxLike("LogSoftmax", [2, 3, 5], 0),
  softmaxLike("LogSoftmax", [1, 1000], -1),
];

/** BatchNormalization that folds into nothing (the input is the graph input): an Affine layer, any rank >= 2. */
function batchNorm(dims: number[]): ConformanceCase {
  const b = new GraphBuilder("batchnorm", 15);
  const x = b.input("x", dims);
  const c = dims[1];
  const y = b.node("BatchNormalization", [
    x,
    b.initializer("scale", constant(31, [c], 0.5, 1.5)),
    b.initializer("bias", constant(32, [c], -0.5, 0.5)),
    b.initializer("mean", constant(33, [c], -0.2, 0.2)),
    b.initializer("var", constant(34, [c], 0.5, 1.5)),
  ]);
  b.output(y, [-1]);
  return {
    name: `BatchNormalization [${dims.join(",")}] opset 15`,
    graph: b.build(),
    inputDims: dims,
    ops: ["Affine"],
    steps: STEPS.batchNorm,
  };
}

const batchNormCases: ConformanceCase[] = [batchNorm([2, 3]), batchNorm([1, 3, 7]), batchNorm([1, 2, 2, 3, 3])];

conformanceSuite("math: Div and PRelu", elementwiseCases);
conformanceSuite("math: Softmax and LogSoftmax on any axis", softmaxCases);
conformanceSuite("math: BatchNormalization in any rank", batchNormCases);

/** A unary op of a constant folds away: x * Sqrt(c) + Neg(d) is one Mul and one Add. */
function foldedConstants(): ConformanceCase {
  const b = new GraphBuilder("fold", 18);
  const x = b.input("x", [2, 5]);
  const s = b.node("Sqrt", [b.initializer("c", constant(41, [5], 0.2, 2))]);
  const n = b.node("Neg", [b.initializer("d", constant(42, [5], -0.5, 0.5))]);
  const y = b.node("Add", [b.node("Mul", [x, s]), n]);
  b.output(y, [-1]);
  return {
    name: "Sqrt and Neg of constants fold (x * Sqrt(c) + Neg(d)) opset 18",
    graph: b.build(),
    inputDims: [2, 5],
    ops: ["Mul", "Add"],
    steps: STEPS.binaryConst,
  };
}

/**
 * LayerNorm as PyTorch's older exports write it. Exactly the pattern, the importer fuses it into one Norm layer;
 * with epsilon added after the square root (a near miss: the standard deviation plus epsilon), it stays op by op,
 * the importer's fallback.
 */
function decomposedLayerNorm(dims: number[], nearMiss = false): ConformanceCase {
  const b = new GraphBuilder("layernorm_decomposed", 18);
  const x = b.input("x", dims);
  const axes = b.initializer("axes", tensorI64([1], [-1]));
  const n = dims[dims.length - 1];
  const mean = b.node("ReduceMean", [x, axes]);
  const d = b.node("Sub", [x, mean]);
  const variance = b.node("ReduceMean", [b.node("Pow", [d, b.initializer("two", tensorF32([], [2]))]), axes]);
  const eps = b.initializer("eps", tensorF32([], [1e-5]));
  const sd = nearMiss
    ? b.node("Add", [b.node("Sqrt", [variance]), eps])
    : b.node("Sqrt", [b.node("Add", [variance, eps])]);
  const z = b.node("Div", [d, sd]);
  const y = b.node("Add", [
    b.node("Mul", [z, b.initializer("gamma", constant(43, [n], 0.5, 1.5))]),
    b.initializer("beta", constant(44, [n], -0.3, 0.3)),
  ]);
  b.output(y, [-1]);
  return nearMiss
    ? {
        name: `LayerNorm near miss (epsilon after Sqrt) op by op [${dims.join(",")}] opset 18`,
        graph: b.build(),
        inputDims: dims,
        ops: ["ReduceSum", "Sub", "Lut", "ReduceSum", "Lut", "Add", "Div", "Mul", "Add"],
        steps: STEPS.layerNormOpByOp,
      }
    : {
        name: `LayerNorm decomposed (ReduceMean Sub Pow ReduceMean Add Sqrt Div Mul Add) fused into Norm [${dims.join(",")}] opset 18`,
        graph: b.build(),
        inputDims: dims,
        ops: ["Norm"],
        steps: STEPS.norm,
      };
}

conformanceSuite("math: constant folding and op-by-op graphs", [
  foldedConstants(),
  decomposedLayerNorm([2, 16]),
  decomposedLayerNorm([1, 3, 32]),
  decomposedLayerNorm([2, 16], true),
  decomposedLayerNorm([1, 3, 32], true),
]);

export { constant, unary, withConstants, tensorI64 };
