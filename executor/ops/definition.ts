/**
 * One operator of the integer program, everything about it in one object: which ONNX nodes become layers of it
 * (their float reference and quantization rule), and how a layer of it is validated, executed and proven one
 * element at a time. `executor/ops/index.ts` lists every definition; the quantizer, the float evaluator, the
 * runtime, the validator, the step-witness bounds and the step-proof builder dispatch through that table.
 */
import type { Graph, GraphNode, Tensor } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import type { ReadPattern } from "../runtime/read-pattern";
import type { Layer, Program, QParams } from "../runtime/types";
import type { LayerCheck } from "./check";

/** What the float reference of a node sees (quant/float-eval.ts). */
export interface FloatContext {
  readonly graph: Graph;
  /** The value of the node's input i; InvalidModelError if nothing provides it. */
  input(node: GraphNode, i: number): FTensor;
  /** The value of an optional input, undefined when the node leaves it empty. */
  optional(node: GraphNode, i: number): FTensor | undefined;
  /** Whether a graph output or a node reads the tensor. */
  consumed(name: string): boolean;
}

/** A quantized tensor while a graph is lowered: its tensor id in the program, quantization and dims. */
export interface QuantTensor {
  id: number;
  q: QParams;
  dims: number[];
}

/** What the quantization rule of a node sees (quant/index.ts): the calibrated graph and the program so far. */
export interface LoweringContext {
  readonly graph: Graph;
  /** The quantized tensor the node's input i reads; UnsupportedOperatorError for a constant, else InvalidModelError. */
  input(node: GraphNode, i: number): QuantTensor;
  /** The initializer of that name, if it is one. */
  constant(name: string | undefined): Tensor | undefined;
  /** Calibrated dims and quantization parameters of a tensor the float graph computes. */
  dims(name: string): number[];
  qparams(name: string): QParams;
  /** Index of the tensor's single consumer node, unless it has several or is the graph output (fusion). */
  soleConsumer(name: string): number | undefined;
  /** Marks a node as folded into the layer being built, so that it is not lowered itself. */
  fuse(nodeIndex: number): void;
  /**
   * Appends a layer producing tensor `name`, quantized with `q`; `dims` gives the shape of a tensor the float graph
   * does not have (an intermediate of a node lowered to several layers), else the calibrated shape is used.
   */
  emit(name: string, q: QParams, layer: Omit<Layer, "output" | "outShape">, dims?: readonly number[]): void;
  /** Tensor `name` is `t` (Identity, a no-op Reshape): no layer. */
  alias(name: string, t: QuantTensor): void;
  /**
   * Whether the node is to be lowered in its split form (NodeRule.intermediates): its one-layer form was found to
   * have a step no proof can carry (NUMERICS §14), so the quantizer lowers the graph again with it split.
   */
  split(node: GraphNode): boolean;
  /**
   * The calibrated quantization of intermediate `key` of a split node (a value its NodeRule.intermediates computes in
   * float). A node the quantizer has not calibrated them for is marked for splitting and the graph lowered again.
   */
  intermediate(node: GraphNode, key: string): QParams;
}

/** One ONNX operator type: its float reference and how a node of it becomes integer layers. */
export interface NodeRule {
  /** The node's output, or one tensor per output for a node with several (Split). */
  float(ctx: FloatContext, node: GraphNode): FTensor | FTensor[];
  lower(ctx: LoweringContext, node: GraphNode): void;
  /**
   * A rule that can lower a node to a chain of smaller layers when its one layer could not be proven in one step
   * (NUMERICS §27): the float values of the chain's new intermediate tensors, by key, computed from the node's inputs
   * on each calibration input (their ranges quantize them, `LoweringContext.intermediate`).
   */
  intermediates?(ctx: FloatContext, node: GraphNode): Record<string, ArrayLike<number>>;
}

/** What output byte `element` of S_{layer+1} reads: byte indices of S_layer, and a weight row (or null). */
export interface ElementReads {
  /** Byte indices of S_layer, in no particular order (possibly empty: e.g. an all-padding pooling window). */
  bytes: number[];
  row: number | null;
  /**
   * Byte ranges [first, last] of S_layer the kernel checks as a whole (`KernelIO.range`): Conv checks each kernel
   * row's span once, the gaps between dilated taps included, so a sparse slice must hold every chunk of it.
   */
  spans?: [number, number][];
}

export interface OperatorDefinition<Op extends string = string> {
  /** The program op name, as encoded in the program and the layer descriptor. */
  readonly op: Op;
  /**
   * The ONNX operator types that lower to this op (each listed by exactly one definition, and the table checks the
   * union against SUPPORTED_OPERATORS): their float reference and quantization rule.
   */
  readonly onnx: Readonly<Record<string, NodeRule>>;
  /** How many computed inputs a layer reads: at least 1, at most this (Concat: many). */
  readonly maxInputs: number;
  /**
   * Checks a layer's attributes and parameter arrays (docs/NUMERICS.md lists each op's), its shapes against its
   * input, and its work and accumulator bounds; throws ProgramDecodeError naming the layer and the reason
   * (`LayerCheck.fail`). The generic checks (op, output id, input ids, outShape) have already run.
   */
  validate(c: LayerCheck): void;
  /** The integer kernel: the layer's output tensor from its input tensors (runtime/kernels). */
  run(layer: Layer, inputs: readonly Int8Array[], p: Program): Int8Array;
  /** Weight rows (output channels) of a layer that has weights; 1 when omitted. */
  weightRows?(layer: Layer): number;
  /**
   * Where one output element reads, at its worst over the layer's elements, for the step-witness bounds
   * (runtime/step-witness.ts); `in0` is the byte offset of the first input in S_k.
   */
  readPattern(layer: Layer, in0: number): ReadPattern;
  /**
   * Exactly what output element `i` of the layer (its index in the output tensor) reads: bytes of S_k (the inputs
   * start at `inputOffsets`) and its weight row, as the Solidity kernel reads them (game/step-proof.ts).
   */
  reads(layer: Layer, inputOffsets: readonly number[], i: number, p: Program): ElementReads;
}

/** Identity with the op name's literal type kept, so that the table can derive the `ProgramOp` union. */
export function defineOperator<Op extends string>(d: OperatorDefinition<Op>): OperatorDefinition<Op> {
  return d;
}
