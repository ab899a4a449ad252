/**
 * Conformance of the data-movement operators (NUMERICS §13, §26; the harness: ./harness.ts): Pad, Concat, Split,
 * Slice, Squeeze, Unsqueeze, Gather (constant indices, and embeddings of an integer input), Tile, Expand, Transpose,
 * Flatten, Reshape and Where (constant condition), at opset 18 (Pad's axes input, Split's num_outputs) unless a case
 * says otherwise. A pure index map keeps its input's quantization, so its output is within half a step of
 * onnxruntime (the input rounding); Concat and Where requantize each input to the output's parameters (one more
 * rounding); an embedding is the table quantized per tensor.
 */
import { onnx } from "onnx-proto";

import { GraphBuilder, tensorF32, tensorI64 } from "../../executor/model/builder";
import { encodeOnnx } from "../../executor/model/onnx";
import { STEPS } from "./bounds";
import { type ConformanceCase, conformanceSuite, randomArray, rng } from "./harness";

const OPSET = 18;
const INDEX_MAP_STEPS = STEPS.indexMap;

function size(dims: readonly number[]): number {
  return dims.reduce((a, b) => a * b, 1);
}

/** One node on the input x of `dims`, its constant int64 inputs after x; the output is the node's. */
function unary(
  name: string,
  op: string,
  dims: number[],
  consts: (readonly number[] | undefined)[],
  attrs: Record<string, number | number[] | string> = {},
  programOps?: string[],
  opset = OPSET,
): ConformanceCase {
  const b = new GraphBuilder(op.toLowerCase(), opset);
  const x = b.input("x", dims);
  const ins = [x, ...consts.map((c, k) => (c === undefined ? "" : b.initializer(`c${k}`, tensorI64([c.length], c))))];
  while (ins.length > 1 && ins[ins.length - 1] === "") ins.pop();
  b.output(b.node(op, ins, attrs), [-1]);
  return { name, graph: b.build(), inputDims: dims, steps: INDEX_MAP_STEPS, ops: programOps };
}

function pad(dims: number[], pads: number[], mode: string, value?: number, axes?: number[]): ConformanceCase {
  const b = new GraphBuilder("pad", OPSET);
  const x = b.input("x", dims);
  const ins = [x, b.initializer("pads", tensorI64([pads.length], pads))];
  ins.push(value === undefined ? "" : b.initializer("value", tensorF32([], [value])));
  if (axes) ins.push(b.initializer("axes", tensorI64([axes.length], axes)));
  while (ins[ins.length - 1] === "") ins.pop();
  b.output(b.node("Pad", ins, { mode }), [-1]);
  const what = `Pad ${mode} [${dims.join("x")}] pads [${pads.join(",")}]${value === undefined ? "" : ` value ${value}`}${axes ? ` axes [${axes.join(",")}]` : ""}`;
  return { name: what, graph: b.build(), inputDims: dims, steps: INDEX_MAP_STEPS, ops: ["Pad"] };
}

/** Split of x into parts, the parts put back together in reverse order by Concat (so every output is used). */
function split(dims: number[], axis: number, parts: number | number[]): ConformanceCase {
  const b = new GraphBuilder("split", OPSET);
  const x = b.input("x", dims);
  const n = typeof parts === "number" ? parts : parts.length;
  const outs =
    typeof parts === "number"
      ? b.nodeOutputs("Split", [x], { axis, num_outputs: parts }, { outputs: n })
      : b.nodeOutputs("Split", [x, b.initializer("split", tensorI64([n], parts))], { axis }, { outputs: n });
  b.output(b.node("Concat", [...outs].reverse(), { axis }), [-1]);
  return {
    name: `Split [${dims.join("x")}] axis ${axis} ${typeof parts === "number" ? `num_outputs ${parts}` : `split [${parts.join(",")}]`}`,
    graph: b.build(),
    inputDims: dims,
    steps: INDEX_MAP_STEPS,
    ops: [...Array<string>(n).fill("Slice"), "Concat"],
  };
}

/** Concat of x with activations of other ranges (requantized) or x itself, along an axis. */
function concat(dims: number[], axis: number, kind: "self" | "sigmoid" | "three"): ConformanceCase {
  const b = new GraphBuilder("concat", OPSET);
  const x = b.input("x", dims);
  const ins =
    kind === "self"
      ? [x, x]
      : kind === "sigmoid"
        ? [b.node("Sigmoid", [x]), x]
        : [x, b.node("Tanh", [x]), b.node("Relu", [x])];
  b.output(b.node("Concat", ins, { axis }), [-1]);
  return {
    name: `Concat [${dims.join("x")}] axis ${axis} of ${kind}`,
    graph: b.build(),
    inputDims: dims,
    steps: STEPS.oneRequant,
  };
}

function gatherConst(dims: number[], axis: number, indices: number[], idxDims: number[]): ConformanceCase {
  const b = new GraphBuilder("gather", OPSET);
  const x = b.input("x", dims);
  const idx = b.initializer("idx", tensorI64(idxDims, indices));
  b.output(b.node("Gather", [x, idx], { axis }), [-1]);
  return {
    name: `Gather [${dims.join("x")}] axis ${axis} constant indices [${indices.join(",")}] of [${idxDims.join("x")}]`,
    graph: b.build(),
    inputDims: dims,
    steps: INDEX_MAP_STEPS,
    ops: ["Gather"],
  };
}

/** An embedding table [vocab, ...inner] gathered by an int64 graph input of token ids (then optionally a Relu). */
function embedding(tokens: number[], vocab: number, inner: number[], after?: string): ConformanceCase {
  const b = new GraphBuilder("embed", OPSET);
  const ids = b.input("ids", tokens, "int64");
  const table = tensorF32([vocab, ...inner], randomArray(rng(5), vocab * size(inner)));
  let y = b.node("Gather", [b.initializer("table", table), ids], { axis: 0 });
  if (after === "Transpose") y = b.node("Transpose", [y]);
  b.output(y, [-1]);
  return {
    name: `Gather embedding vocab ${vocab} x [${inner.join("x")}] of int64 ids [${tokens.join("x")}]${after ? ` then ${after}` : ""}`,
    graph: b.build(),
    inputDims: tokens,
    inputType: "int64",
    hi: vocab - 1,
    steps: INDEX_MAP_STEPS,
    ops: after ? ["Embedding", after] : ["Embedding"],
  };
}

/** Embedding of byte tokens, then Unsqueeze, Slice and Concat of the embeddings (an LM-like prefix). */
function tokenPipeline(): ConformanceCase {
  const b = new GraphBuilder("tokens", OPSET);
  const ids = b.input("ids", [1, 6], "int64");
  const table = tensorF32([256, 8], randomArray(rng(9), 256 * 8));
  const e = b.node("Gather", [b.initializer("table", table), ids], { axis: 0 }); // [1, 6, 8]
  const first = b.node("Slice", [
    e,
    b.initializer("s", tensorI64([1], [0])),
    b.initializer("e", tensorI64([1], [1])),
    b.initializer("a", tensorI64([1], [1])),
  ]); // [1, 1, 8]
  b.output(b.node("Concat", [first, e], { axis: 1 }), [-1]);
  return {
    name: "Gather embedding 256x8 of byte tokens, Slice, Concat",
    graph: b.build(),
    inputDims: [1, 6],
    inputType: "int64",
    steps: STEPS.oneRequant,
    ops: ["Embedding", "Slice", "Concat"],
  };
}

function reshapeCase(dims: number[], shape: number[], allowzero?: number): ConformanceCase {
  const b = new GraphBuilder("reshape", OPSET);
  const x = b.input("x", dims);
  const t = b.node("Relu", [x]);
  const y = b.node(
    "Reshape",
    [t, b.initializer("shape", tensorI64([shape.length], shape))],
    allowzero === undefined ? {} : { allowzero },
  );
  b.output(b.node("Transpose", [y]), [-1]);
  return {
    name: `Reshape [${dims.join("x")}] to [${shape.join(",")}]${allowzero === undefined ? "" : ` allowzero ${allowzero}`} then Transpose`,
    graph: b.build(),
    inputDims: dims,
    steps: INDEX_MAP_STEPS,
  };
}

/** The graph's ONNX bytes with initializer `name` retyped as BOOL (the builder writes int64 only). */
function withBool(bytes: Uint8Array, name: string): Uint8Array {
  const m = onnx.ModelProto.decode(bytes);
  const t = m.graph!.initializer!.find((i) => i.name === name)!;
  const raw = t.rawData!;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  t.rawData = Uint8Array.from({ length: raw.byteLength / 8 }, (_, k) => (view.getBigInt64(8 * k, true) !== 0n ? 1 : 0));
  t.dataType = onnx.TensorProto.DataType.BOOL;
  return onnx.ModelProto.encode(m).finish();
}

/** Where with a constant condition of `cDims`: X = x, Y = Sigmoid(x), or one of them a constant scalar. */
function where(dims: number[], cDims: number[], kind: "both" | "x const" | "y const"): ConformanceCase {
  const b = new GraphBuilder("where", OPSET);
  const x = b.input("x", dims);
  const r = rng(cDims.length * 7 + dims.length);
  const cond = b.initializer(
    "cond",
    tensorI64(
      cDims,
      Array.from({ length: size(cDims) }, () => (r() < 0.5 ? 1 : 0)),
    ),
  );
  const c = b.initializer("c", tensorF32([], [-0.75]));
  const ins = kind === "both" ? [x, b.node("Sigmoid", [x])] : kind === "x const" ? [c, x] : [x, c];
  b.output(b.node("Where", [cond, ...ins]), [-1]);
  const graph = b.build();
  return {
    name: `Where constant condition [${cDims.join("x")}] on [${dims.join("x")}], ${kind}`,
    graph,
    onnx: withBool(encodeOnnx(graph), "cond"),
    inputDims: dims,
    steps: STEPS.oneRequant,
  };
}

const cases: ConformanceCase[] = [
  // Pad: every mode, negative pads, the axes input, a constant value
  pad([1, 2, 4, 4], [0, 0, 1, 2, 0, 0, 2, 1], "constant"),
  pad([1, 2, 4, 4], [0, 0, 1, 1, 0, 0, 1, 1], "constant", 0.25),
  pad([2, 5], [1, 2, 0, 3], "constant", -0.5),
  pad([1, 3, 5, 5], [0, 0, 2, 2, 0, 0, 2, 2], "reflect"),
  pad([2, 6], [0, 3, 1, 5], "reflect"),
  pad([1, 3, 5, 5], [0, 0, 3, 1, 0, 0, 0, 4], "edge"),
  pad([4, 3], [2, 0, 0, 2], "edge"),
  pad([2, 3, 4], [1, 2, 1, 2], "reflect", undefined, [1, 2]),
  pad([2, 3, 4], [3, -1], "constant", 0.1, [-1]),
  pad([1, 2, 6, 6], [0, 0, -1, -2, 0, 0, 2, -1], "edge"),
  pad([1, 1, 8], [0, 0, 3, 0, 0, 2], "wrap"),
  pad([2, 3, 4], [1, 2, 1, 1, 1, 2], "constant"),
  // Slice: starts/ends/axes/steps, negative indices and steps, clamping
  unary("Slice [4x6] rows 1:3", "Slice", [4, 6], [[1], [3]], {}, ["Slice"]),
  unary("Slice [4x6] axes [1] -4:-1", "Slice", [4, 6], [[-4], [-1], [1]], {}, ["Slice"]),
  unary("Slice [2x8] step 2", "Slice", [2, 8], [[1], [100], [1], [2]], {}, ["Slice"]),
  unary("Slice [2x8] step -1 (reverse)", "Slice", [2, 8], [[-1], [-1000], [1], [-1]], {}, ["Slice"]),
  unary(
    "Slice [3x4x5] two axes step -2, 3",
    "Slice",
    [3, 4, 5],
    [
      [3, 0],
      [0, 5],
      [1, 2],
      [-2, 3],
    ],
    {},
    ["Slice"],
  ),
  unary(
    "Slice [1x3x8x8] spatial crop",
    "Slice",
    [1, 3, 8, 8],
    [
      [1, 2],
      [7, 6],
      [2, 3],
    ],
    {},
    ["Slice"],
  ),
  unary("Slice [5x5] axes [0] negative axis", "Slice", [5, 5], [[2], [5], [-2]], {}, ["Slice"]),
  // Split: num_outputs (opset 18, uneven), split input, several axes
  split([2, 6], 1, 2),
  split([2, 7], 1, 3),
  split([4, 3, 2], 0, [1, 3]),
  split([1, 6, 4], -2, [2, 2, 2]),
  // Concat: same tensor, requantized inputs, three inputs, every axis
  concat([2, 3], 0, "self"),
  concat([2, 3], 1, "sigmoid"),
  concat([1, 2, 3, 2], 1, "three"),
  concat([1, 2, 3, 2], 3, "sigmoid"),
  concat([3, 4], -1, "three"),
  // Squeeze / Unsqueeze (axes as inputs)
  unary("Squeeze [1x3x1x4] axes [0, 2]", "Squeeze", [1, 3, 1, 4], [[0, 2]], {}, ["Reshape"]),
  unary("Squeeze [1x3x1x4] all", "Squeeze", [1, 3, 1, 4], [], {}, ["Reshape"]),
  unary("Unsqueeze [3x4] axes [0, -1]", "Unsqueeze", [3, 4], [[0, -1]], {}, ["Reshape"]),
  unary("Unsqueeze [3x4] axes [1]", "Unsqueeze", [3, 4], [[1]], {}, ["Reshape"]),
  // Gather with constant indices on an activation
  gatherConst([5, 4], 0, [4, 0, 2], [3]),
  gatherConst([5, 4], 1, [-1, 1], [2]),
  gatherConst([2, 5, 3], 1, [0, 4, 1, 1], [2, 2]),
  gatherConst([2, 5, 3], -1, [2], []),
  gatherConst([6, 3], 0, [5], []),
  // Gather of embeddings by an integer input
  embedding([1, 7], 256, [16]),
  embedding([2, 3], 10, [4]),
  embedding([5], 32, [2, 3], "Transpose"),
  tokenPipeline(),
  // Tile and Expand
  unary("Tile [2x3] repeats [2, 3]", "Tile", [2, 3], [[2, 3]], {}, ["Tile"]),
  unary("Tile [1x2x3] repeats [3, 1, 2]", "Tile", [1, 2, 3], [[3, 1, 2]], {}, ["Tile"]),
  unary("Expand [3x1] to [2, 3, 4]", "Expand", [3, 1], [[2, 3, 4]], {}, ["Tile"]),
  unary("Expand [1x4] to [3, 1]", "Expand", [1, 4], [[3, 1]], {}, ["Tile"]),
  unary("Expand [2x3] to [1] (no-op)", "Expand", [2, 3], [[1]], {}, []),
  // Transpose (any permutation, any rank), Flatten, Reshape
  unary("Transpose [2x3x4] default perm", "Transpose", [2, 3, 4], [], {}, ["Transpose"]),
  unary("Transpose [2x3x4x5] perm [0,2,3,1]", "Transpose", [2, 3, 4, 5], [], { perm: [0, 2, 3, 1] }, ["Transpose"]),
  unary("Transpose [2x1x3x2x2] perm [4,2,0,3,1]", "Transpose", [2, 1, 3, 2, 2], [], { perm: [4, 2, 0, 3, 1] }, [
    "Transpose",
  ]),
  unary("Flatten [2x3x4] axis 2", "Flatten", [2, 3, 4], [], { axis: 2 }, ["Reshape"]),
  unary("Flatten [2x3x4] axis -3", "Flatten", [2, 3, 4], [], { axis: -3 }, ["Reshape"]),
  reshapeCase([2, 3, 4], [0, -1]),
  reshapeCase([2, 3, 4], [4, 0, 2]),
  reshapeCase([2, 3, 4], [-1, 2, 2], 0),
  // Where with a constant condition (an attention-mask shape, broadcasting, a constant side)
  where([2, 4, 4], [4, 4], "both"),
  where([3, 4], [3, 1], "y const"),
  where([1, 2, 3], [2, 1], "x const"),
];

conformanceSuite("shape (data movement)", cases);
