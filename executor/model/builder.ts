/**
 * A small builder for float graphs, used by tests and by the training scripts to export ONNX.
 *
 *   const b = new GraphBuilder("mlp", 13);
 *   const x = b.input("input", [1, 784]);
 *   const w = b.initializer("w1", tensorF32([128, 784], weights));
 *   const bias = b.initializer("b1", tensorF32([128], biases));
 *   const h = b.node("Gemm", [x, w, bias], { transB: 1 });
 *   const y = b.node("Relu", [h]);
 *   b.output(y, [1, 128]);
 *   const graph = b.build();              // validated exactly as loadOnnx validates
 *   const bytes = encodeOnnx(graph);
 *
 * Attribute values are plain JS, converted as follows:
 *   - an integer-valued number      -> int    (`{ transB: 1 }`)
 *   - a non-integer number          -> float  (`{ alpha: 0.01 }`), rounded to float32 as ONNX stores it
 *   - number[]                      -> ints if every entry is an integer, else floats (`{ pads: [1, 1, 1, 1] }`)
 *   - string                        -> string (`{ auto_pad: "SAME_UPPER" }`)
 *   - a Tensor                      -> tensor (`{ value: tensorF32([2], [1, 2]) }` for a Constant node)
 *   - `{ kind, value }`             -> taken as is, to force a kind: `{ epsilon: { kind: "float", value: 1 } }`,
 *                                      `{ scales: { kind: "floats", value: [1, 2] } }`
 * Floats are always rounded to float32 (Math.fround) so that `loadOnnx(encodeOnnx(g))` deep-equals `g`.
 */
import { InvalidModelError } from "../errors";
import {
  sizeOf,
  type AttributeValue,
  type DataType,
  type Graph,
  type GraphNode,
  type Tensor,
  type ValueInfo,
} from "./graph";
import { canonicalGraph } from "./simplify";
import { finalizeGraph } from "./validate";

/** A float32 tensor; `data` is copied (plain arrays are rounded to float32). */
export function tensorF32(dims: readonly number[], data: ArrayLike<number>): Tensor {
  if (data.length !== sizeOf(dims)) {
    throw new InvalidModelError(
      `tensorF32: ${data.length} values for dims [${dims.join(", ")}] (need ${sizeOf(dims)})`,
    );
  }
  return { dtype: "float32", dims: [...dims], data: Float32Array.from(data) };
}

/** An int64 tensor (values must be safe integers). */
export function tensorI64(dims: readonly number[], data: ArrayLike<number>): Tensor {
  if (data.length !== sizeOf(dims)) {
    throw new InvalidModelError(
      `tensorI64: ${data.length} values for dims [${dims.join(", ")}] (need ${sizeOf(dims)})`,
    );
  }
  const out = Array.from(data);
  for (const v of out)
    if (!Number.isSafeInteger(v)) throw new InvalidModelError(`tensorI64: ${v} is not a safe integer`);
  return { dtype: "int64", dims: [...dims], data: out };
}

export type AttributeInput = number | readonly number[] | string | Tensor | AttributeValue;

function isTensor(v: object): v is Tensor {
  return "dtype" in v && "dims" in v && "data" in v;
}

/** Converts a plain JS attribute value as documented at the top of this file. */
export function toAttribute(v: AttributeInput): AttributeValue {
  if (typeof v === "number") {
    return Number.isInteger(v) ? { kind: "int", value: v } : { kind: "float", value: Math.fround(v) };
  }
  if (typeof v === "string") return { kind: "string", value: v };
  if (Array.isArray(v)) {
    const arr = v as readonly number[];
    return arr.every((x) => Number.isInteger(x))
      ? { kind: "ints", value: [...arr] }
      : { kind: "floats", value: arr.map((x) => Math.fround(x)) };
  }
  const o = v as Tensor | AttributeValue;
  if (isTensor(o)) return { kind: "tensor", value: o };
  switch (o.kind) {
    case "float":
      return { kind: "float", value: Math.fround(o.value) };
    case "floats":
      return { kind: "floats", value: o.value.map((x) => Math.fround(x)) };
    case "ints":
      return { kind: "ints", value: [...o.value] };
    default:
      return o;
  }
}

export interface NodeOptions {
  /** Node name; default `<opType lowercased>_<counter>`. */
  name?: string;
  /** Output tensor names, or how many outputs to create (default 1, named `<node name>_out[<i>]`). */
  outputs?: readonly string[] | number;
}

export class GraphBuilder {
  private readonly inputs: ValueInfo[] = [];
  private readonly outputs: ValueInfo[] = [];
  private readonly inits: [string, Tensor][] = [];
  private readonly nodes: GraphNode[] = [];
  private counter = 0;

  constructor(
    readonly name: string,
    readonly opsetVersion = 13,
  ) {}

  /** Declares a runtime input; returns its tensor name. Use -1 for an unknown (batch) dimension. */
  input(name: string, dims: readonly number[], dtype: DataType = "float32"): string {
    this.inputs.push({ name, dtype, dims: [...dims] });
    return name;
  }

  /** Adds a constant tensor; returns its name. */
  initializer(name: string, t: Tensor): string {
    this.inits.push([name, t]);
    return name;
  }

  /** Adds a node; returns its first output's name (see `nodeOutputs` for all of them). */
  node(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttributeInput> = {},
    opts: NodeOptions = {},
  ): string {
    return this.nodeOutputs(opType, inputs, attrs, opts)[0];
  }

  /** Adds a node; returns all its output names. */
  nodeOutputs(
    opType: string,
    inputs: readonly string[],
    attrs: Record<string, AttributeInput> = {},
    opts: NodeOptions = {},
  ): string[] {
    const name = opts.name ?? `${opType.toLowerCase()}_${this.counter++}`;
    const outs =
      typeof opts.outputs === "object"
        ? [...opts.outputs]
        : Array.from({ length: opts.outputs ?? 1 }, (_, i) => (i === 0 ? `${name}_out` : `${name}_out${i}`));
    const attributes: Record<string, AttributeValue> = {};
    for (const [k, v] of Object.entries(attrs)) {
      Object.defineProperty(attributes, k, {
        value: toAttribute(v),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    this.nodes.push({ name, opType, inputs: [...inputs], outputs: outs, attributes });
    return outs;
  }

  /** Declares `tensor` (a node output, input or initializer name) as a graph output. */
  output(tensor: string, dims: readonly number[], dtype: DataType = "float32"): void {
    this.outputs.push({ name: tensor, dtype, dims: [...dims] });
  }

  /** The validated graph: Constant nodes folded, nodes sorted, same rules as `loadOnnx` (canonical form checked). */
  build(): Graph {
    const graph = this.finalize(true);
    canonicalGraph(graph);
    return graph;
  }

  /**
   * The graph validated structurally (Constant nodes folded, nodes sorted, names defined once...) but not checked
   * for operator support, as `decodeOnnx` returns it: for tests of the import pass (executor/model/simplify).
   */
  buildStructural(): Graph {
    return this.finalize(false);
  }

  private finalize(knownOnly: boolean): Graph {
    return finalizeGraph(
      {
        name: this.name,
        opsetVersion: this.opsetVersion,
        inputs: this.inputs,
        outputs: this.outputs,
        initializers: this.inits,
        nodes: this.nodes,
      },
      knownOnly,
    );
  }

  /**
   * The graph exactly as declared, without validation (no folding, sorting or checks): for tests that need to
   * encode a broken model (cycle, missing initializer...) and check that `loadOnnx` rejects it.
   */
  buildUnchecked(): Graph {
    return {
      name: this.name,
      opsetVersion: this.opsetVersion,
      inputs: [...this.inputs],
      outputs: [...this.outputs],
      initializers: new Map(this.inits),
      nodes: [...this.nodes],
    };
  }
}
