/**
 * The float graph: the executor's in-memory form of an ONNX model, before quantization.
 *
 * `executor/model/onnx.ts` decodes ONNX bytes into a `Graph` (and `encodeOnnx` writes one back), and
 * `executor/quant/` turns a validated `Graph` into the integer `Program` that the runtime executes.
 * Everything here is plain data: no protobuf types leak past the model loader.
 */

/** Element types the executor understands. int64 is used only for shape-like constants (Reshape, Clip bounds...). */
export type DataType = "float32" | "int64";

/** A dense row-major tensor. `data.length` always equals the product of `dims` (1 for a scalar, dims = []). */
export type Tensor =
  | { readonly dtype: "float32"; readonly dims: readonly number[]; readonly data: Float32Array }
  | { readonly dtype: "int64"; readonly dims: readonly number[]; readonly data: readonly number[] };

/** A graph input or output: a name, an element type and a shape. Unknown (symbolic) dims are recorded as -1. */
export interface ValueInfo {
  readonly name: string;
  readonly dtype: DataType;
  readonly dims: readonly number[];
}

/**
 * An ONNX attribute value, decoded. Ints and floats are JS numbers; a TENSOR attribute (Constant) is a Tensor. A
 * GRAPH (GRAPHS) attribute, the body of a control-flow node (If, Loop, Scan), is kept as its encoded GraphProto
 * bytes and never read: such a node is refused (ControlFlowError), and `verity model inspect` reports it.
 */
export type AttributeValue =
  | { readonly kind: "int"; readonly value: number }
  | { readonly kind: "float"; readonly value: number }
  | { readonly kind: "ints"; readonly value: readonly number[] }
  | { readonly kind: "floats"; readonly value: readonly number[] }
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "tensor"; readonly value: Tensor }
  | { readonly kind: "graph"; readonly value: Uint8Array }
  | { readonly kind: "graphs"; readonly value: readonly Uint8Array[] };

/** The control-flow operators: their attributes are sub-graphs (executor/errors.ts ControlFlowError). */
export const CONTROL_FLOW_OPERATORS: readonly string[] = ["If", "Loop", "Scan", "SequenceMap"];

/** The first attribute of a node that holds a sub-graph (GRAPH or GRAPHS), if any. */
export function subgraphAttribute(node: Pick<GraphNode, "attributes">): string | undefined {
  return Object.keys(node.attributes).find((k) => {
    const kind = node.attributes[k].kind;
    return kind === "graph" || kind === "graphs";
  });
}

/** One operator application. Input names may be "" for an omitted optional input, as in ONNX. */
export interface GraphNode {
  readonly name: string;
  readonly opType: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

/**
 * A whole model. `nodes` are in topological order (the loader sorts and rejects cycles).
 * `initializers` holds every constant tensor, including the outputs of `Constant` nodes, which the loader
 * folds away, so no `Constant` node survives in `nodes`.
 */
export interface Graph {
  readonly name: string;
  /** The default-domain opset the model imports (MIN_OPSET to MAX_OPSET: 6 to 22). */
  readonly opsetVersion: number;
  /** Runtime inputs only: names that are also initializers are not listed here. */
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  readonly initializers: ReadonlyMap<string, Tensor>;
  readonly nodes: readonly GraphNode[];
}

/** The operators Verity executes. Anything else is an UnsupportedOperatorError at import. */
export const SUPPORTED_OPERATORS = [
  "Gemm",
  "MatMul",
  "Add",
  "Sub",
  "Mul",
  "Relu",
  "LeakyRelu",
  "Sigmoid",
  "Tanh",
  "Clip",
  "Conv",
  "MaxPool",
  "AveragePool",
  "GlobalAveragePool",
  "BatchNormalization",
  "Flatten",
  "Reshape",
  "Transpose",
  "Identity",
  "Dropout",
  "Softmax",
  // ops-math: unary activations (Lut), Pow, Div, PRelu, reductions, normalizations, LogSoftmax
  "Sqrt",
  "Exp",
  "Neg",
  "Abs",
  "Erf",
  "Gelu",
  "Elu",
  "Selu",
  "Softplus",
  "Softsign",
  "HardSigmoid",
  "HardSwish",
  "Pow",
  "ReduceSum",
  "ReduceMean",
  "ReduceMax",
  "LayerNormalization",
  "InstanceNormalization",
  "Div",
  "PRelu",
  "LogSoftmax",
  // ops-spatial
  "GlobalMaxPool",
  "ConvTranspose",
  // data movement (executor/ops: slice, pad, tile, concat, gather, reshape)
  "Slice",
  "Split",
  "Pad",
  "Tile",
  "Expand",
  "Concat",
  "Gather",
  "Squeeze",
  "Unsqueeze",
  "Where",
] as const;

export type SupportedOperator = (typeof SUPPORTED_OPERATORS)[number];

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Attribute accessors with defaults, so operator code reads like the ONNX spec. */
export function attrInt(node: GraphNode, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a && (a.kind === "int" || a.kind === "float") ? a.value : fallback;
}

export function attrFloat(node: GraphNode, name: string, fallback: number): number {
  const a = node.attributes[name];
  return a && (a.kind === "float" || a.kind === "int") ? a.value : fallback;
}

export function attrInts(node: GraphNode, name: string, fallback: readonly number[]): readonly number[] {
  const a = node.attributes[name];
  return a && a.kind === "ints" ? a.value : fallback;
}

export function attrString(node: GraphNode, name: string, fallback: string): string {
  const a = node.attributes[name];
  return a && a.kind === "string" ? a.value : fallback;
}
