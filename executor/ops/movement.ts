/**
 * What the data-movement operators share (Slice, Split, Pad, Tile, Expand, Concat, Gather, Embedding; NUMERICS
 * §26): constant int64 inputs read as the newest ONNX form has them, axis normalization, the float reference as the
 * same index map the integer kernel runs (runtime/kernels/movement.ts), and the layer-level plumbing of an index map
 * (run, reads, read pattern).
 */
import { InvalidModelError } from "../errors";
import type { GraphNode } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import { unsupported } from "../quant/params";
import { type IndexMap, gather } from "../runtime/kernels/movement";
import { shapeSize, tensorShape } from "../runtime/layout";
import { type ReadPattern, runPattern } from "../runtime/read-pattern";
import type { Layer, Program } from "../runtime/types";
import type { ElementReads, FloatContext, LoweringContext } from "./definition";

/** The graph's tensors as a rule sees them: the FloatContext's graph or the LoweringContext's. */
type AnyContext = FloatContext | LoweringContext;

/**
 * Constant input i of the node as integers (an int64 initializer), undefined when the optional input is omitted;
 * UnsupportedOperatorError naming the input when it is computed.
 */
export function constInts(ctx: AnyContext, node: GraphNode, i: number, what: string): number[] | undefined {
  const name = node.inputs[i];
  if (!name) return undefined;
  const t = ctx.graph.initializers.get(name);
  if (!t) unsupported(node, `a computed '${what}' input ('${name}'; it must be a constant)`);
  if (t.dtype !== "int64") unsupported(node, `a '${what}' input of type ${t.dtype} (int64 expected)`);
  return [...t.data];
}

/** A constant input i as a float tensor (an initializer of either type), or undefined if computed or omitted. */
export function constFloat(ctx: AnyContext, node: GraphNode, i: number): FTensor | undefined {
  const name = node.inputs[i];
  const t = name ? ctx.graph.initializers.get(name) : undefined;
  if (!t) return undefined;
  return { dims: [...t.dims], data: t.dtype === "float32" ? t.data : Float32Array.from(t.data) };
}

/** Axis a of a rank-r tensor, negative counting from the end; InvalidModelError outside [-r, r). */
export function normAxis(node: GraphNode, a: number, r: number): number {
  if (!Number.isInteger(a) || a < -r || a >= r)
    throw new InvalidModelError(`node '${node.name}' (${node.opType}): axis ${a} is outside [-${r}, ${r})`);
  return a < 0 ? a + r : a;
}

/** The float reference of an index map: output element i is the float at its source, or `constant`. */
export function floatGather(map: IndexMap, inputs: readonly Float32Array[], dims: number[], constant = 0): FTensor {
  const n = shapeSize(dims);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const s = map(i);
    data[i] = s.input < 0 ? constant : inputs[s.input][s.index];
  }
  return { dims, data };
}

/** A layer-shaped object for the index maps of a float reference (they read outShape and attrs only). */
export function shapeOnly(outShape: number[], attrs: Layer["attrs"]): Layer {
  return { op: "", inputs: [], output: 0, outShape, attrs };
}

/** Whether two shapes are equal. */
export function sameDims(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, k) => d === b[k]);
}

/** The fields of an OperatorDefinition shared by the one-input index-map ops. */
export function indexMapOp(mapOf: (layer: Layer, inShape: number[]) => IndexMap): {
  run: (layer: Layer, inputs: readonly Int8Array[], p: Program) => Int8Array;
  readPattern: () => ReadPattern;
  reads: (layer: Layer, inputOffsets: readonly number[], i: number, p: Program) => ElementReads;
} {
  return {
    run: (layer, inputs, p) => gather(mapOf(layer, tensorShape(p, layer.inputs[0])), inputs, shapeSize(layer.outShape)),
    readPattern: () => runPattern("pointwise", 1, 1),
    reads(layer, inputOffsets, i, p) {
      const s = mapOf(layer, tensorShape(p, layer.inputs[0]))(i);
      return { bytes: s.input < 0 ? [] : [inputOffsets[s.input] + s.index], row: null };
    },
  };
}
