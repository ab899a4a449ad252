/**
 * Post-training static quantization: Graph (float) + calibration inputs -> Program (integer).
 *
 * - Weights: int8, per output channel, symmetric (zero point 0, values in [-127, 127]).
 * - Activations: int8, per tensor, asymmetric: the calibrated [min, max] is widened to include 0, then
 *   scale = (max - min) / 255 and zeroPoint = clamp(round(-128 - min / scale), -128, 127), so real 0 is exact.
 * - Bias: int32 = round(b / (inputScale * weightScale[o])).
 * - Requantization: (multiplier, shift) with multiplier in [2^14, 2^15) where possible (docs/NUMERICS.md §2).
 * - BatchNormalization is folded into a preceding Conv/Gemm/MatMul, a constant per-channel Add into its bias,
 *   and a following Relu/Clip into its output clamp; everything else becomes one layer per node.
 * The rule of each ONNX operator is its `NodeRule.lower` in executor/ops (the folding: executor/ops/linear.ts);
 * this module calibrates, runs the rules in graph order and checks the result.
 */
import { InvalidInputError, InvalidModelError, StepWitnessTooLargeError } from "../errors";
import { type Graph, type GraphNode, SUPPORTED_OPERATORS, sizeOf } from "../model/graph";
import { canonicalGraph } from "../model/simplify";
import { type FloatContext, type LoweringContext, type QuantTensor, nodeRuleOf } from "../ops";
import { type Layer, type Program, type QParams, validateProgram } from "../runtime/program";
import { evaluateFloat, graphInputShape } from "./float-eval";
import { Constants } from "./fold";
import type { FTensor } from "./float-tensor";
import { INDEX_INPUT_QPARAMS, checkIndexInput, rangeToQParams, unsupported } from "./params";

export { evaluateFloat, runFloat, graphInputShape } from "./float-eval";
export type { FTensor } from "./float-tensor";
export {
  INDEX_INPUT_QPARAMS,
  indexInputRange,
  rangeToQParams,
  quantizeMultiplier,
  quantizeInput,
  dequantizeOutput,
} from "./params";

export interface QuantizeOptions {
  onProgress?: (done: number, total: number) => void;
}

export function quantizeGraph(source: Graph, calibration: Float32Array[], opts: QuantizeOptions = {}): Program {
  if (source.nodes.length === 0) throw new InvalidModelError("the graph has no nodes: nothing to quantize");
  // the canonical form (executor/model/simplify): what every rule below reads
  const graph = canonicalGraph(source);
  if (graph.nodes.length === 0) throw new InvalidModelError("the graph has no nodes: nothing to quantize");
  for (const node of graph.nodes)
    if (!(SUPPORTED_OPERATORS as readonly string[]).includes(node.opType)) unsupported(node);
  const inShape = graphInputShape(graph);
  const inSize = sizeOf(inShape);
  const integerInput = graph.inputs[0].dtype === "int64";
  if (!Array.isArray(calibration) || calibration.length === 0)
    throw new InvalidInputError("quantization needs at least one calibration input");
  calibration.forEach((x, k) => {
    if (!(x instanceof Float32Array)) throw new InvalidInputError(`calibration input ${k} must be a Float32Array`);
    if (x.length !== inSize) {
      throw new InvalidInputError(
        `calibration input ${k} has ${x.length} values, the model expects ${inSize} (shape [${inShape.join(", ")}])`,
      );
    }
    for (let i = 0; i < x.length; i++)
      if (!Number.isFinite(x[i])) throw new InvalidInputError(`calibration input ${k} has a non-finite value at ${i}`);
    if (integerInput) checkIndexInput(x, `calibration input ${k}`);
  });
  for (const [name, t] of graph.initializers) {
    if (t.dtype === "float32")
      for (const v of t.data)
        if (!Number.isFinite(v)) throw new InvalidModelError(`initializer '${name}' contains ${v}`);
  }

  // 1. Calibrate: float run on every calibration input, min/max per tensor.
  const ranges = new Map<string, [number, number]>();
  const shapes = new Map<string, number[]>();
  // every output of every node (Split has several); an output the float reference leaves unset (Dropout's mask) is
  // never read
  const produced = [graph.inputs[0].name, ...graph.nodes.flatMap((n) => n.outputs.filter((o) => o))];
  calibration.forEach((x, k) => {
    const env = evaluateFloat(graph, x);
    for (const name of produced) {
      const t = env.get(name);
      if (!t) continue;
      let [lo, hi] = ranges.get(name) ?? [Infinity, -Infinity];
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (!Number.isFinite(lo) || !Number.isFinite(hi))
        throw new InvalidModelError(`tensor '${name}' takes non-finite values on calibration input ${k}`);
      ranges.set(name, [lo, hi]);
      shapes.set(name, t.dims);
    }
    opts.onProgress?.(k + 1, calibration.length);
  });
  const qOf = (name: string): QParams => {
    const r = ranges.get(name)!;
    return rangeToQParams(r[0], r[1]);
  };

  // 2. Consumers, for fusion decisions.
  const consumers = new Map<string, number[]>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((t) => t && consumers.set(t, [...(consumers.get(t) ?? []), i])));
  const outputName = graph.outputs[0].name;
  const sole = (name: string): number | undefined => {
    const c = consumers.get(name) ?? [];
    return c.length === 1 && name !== outputName ? c[0] : undefined;
  };

  // 3. Lower node by node, each by its operator's rule. A node whose one layer has a step no proof can carry
  //    (StepWitnessTooLargeError) and whose rule has a split form is lowered again in that form, after its
  //    intermediates are calibrated (NUMERICS §27); until every step fits or no such node is left.
  const split = new Set<number>();
  const calibrated = new Set<number>();
  // the ranges of split nodes' intermediates, by `${node index}/${key}` (apart from the graph's tensors)
  const aux = new Map<string, [number, number]>();
  const auxQ = (nodeIndex: number, key: string): QParams => {
    const r = aux.get(`${nodeIndex}/${key}`);
    if (!r) throw new InvalidModelError(`node ${nodeIndex} has no calibrated intermediate '${key}'`);
    return rangeToQParams(r[0], r[1]);
  };
  for (;;) {
    const pending = [...split].filter((i) => !calibrated.has(i));
    if (pending.length > 0) {
      calibrateIntermediates(graph, calibration, pending, aux);
      pending.forEach((i) => calibrated.add(i));
    }
    const attempt = lowerGraph(graph, { inShape, integerInput, qOf, auxQ, sole, split, shapes, outputName });
    if (typeof attempt === "number") {
      split.add(attempt);
      continue;
    }
    try {
      validateProgram(attempt.program);
      return attempt.program;
    } catch (e) {
      const node = e instanceof StepWitnessTooLargeError ? attempt.origin[e.layer] : undefined;
      if (node === undefined || split.has(node) || !nodeRuleOf(graph.nodes[node].opType)?.intermediates) throw e;
      split.add(node);
    }
  }
}

/** Runs the float graph on every calibration input again and records the ranges of the nodes' intermediates. */
function calibrateIntermediates(
  graph: Graph,
  calibration: Float32Array[],
  nodes: number[],
  ranges: Map<string, [number, number]>,
): void {
  for (const x of calibration) {
    const env = evaluateFloat(graph, x);
    const read = (n: GraphNode, i: number): FTensor => env.get(n.inputs[i])!;
    const ctx: FloatContext = {
      graph,
      input: read,
      optional: (n, i) => (n.inputs[i] ? env.get(n.inputs[i]) : undefined),
      consumed: () => true,
    };
    for (const idx of nodes) {
      const node = graph.nodes[idx];
      const values = nodeRuleOf(node.opType)!.intermediates!(ctx, node);
      for (const [key, data] of Object.entries(values)) {
        const name = `${idx}/${key}`;
        let [lo, hi] = ranges.get(name) ?? [Infinity, -Infinity];
        for (let i = 0; i < data.length; i++) {
          lo = Math.min(lo, data[i]);
          hi = Math.max(hi, data[i]);
        }
        if (!Number.isFinite(lo) || !Number.isFinite(hi))
          throw new InvalidModelError(`node '${node.name}' (${node.opType}): intermediate '${key}' is not finite`);
        ranges.set(name, [lo, hi]);
      }
    }
  }
}

interface LoweringSetup {
  inShape: number[];
  integerInput: boolean;
  qOf: (name: string) => QParams;
  auxQ: (nodeIndex: number, key: string) => QParams;
  sole: (name: string) => number | undefined;
  split: ReadonlySet<number>;
  shapes: ReadonlyMap<string, number[]>;
  outputName: string;
}

/**
 * Lowers every node once: the program and, per layer, the index of the node that emitted it; or the index of a
 * node that asked for its intermediates before they were calibrated (it is to be split).
 */
function lowerGraph(graph: Graph, setup: LoweringSetup): { program: Program; origin: number[] } | number {
  const { inShape, integerInput, qOf, auxQ, sole, split, shapes, outputName } = setup;
  const entries = new Map<string, QuantTensor>();
  // an integer input (token ids) is carried exactly: q = v - 128 for v in [0, 255] (NUMERICS §26.6)
  const inputQ = integerInput ? INDEX_INPUT_QPARAMS : qOf(graph.inputs[0].name);
  entries.set(graph.inputs[0].name, { id: 0, q: inputQ, dims: inShape });
  const layers: Layer[] = [];
  const origin: number[] = [];
  const fused = new Set<number>();
  const constants = new Constants(graph);
  const indexOf = new Map(graph.nodes.map((n, i) => [n, i]));
  let current = -1;
  let wanted: number | undefined;
  const ctx: LoweringContext = {
    graph,
    input(node, i) {
      const name = node.inputs[i];
      const e = name ? entries.get(name) : undefined;
      if (!e) {
        if (name && constants.has(name))
          unsupported(node, `a constant tensor '${name}' where a computed input is expected`);
        throw new InvalidModelError(
          `node '${node.name}' (${node.opType}) reads '${name ?? ""}', which no node provides`,
        );
      }
      return e;
    },
    constant: (name) => constants.get(name),
    dims: (name) => shapes.get(name)!,
    qparams: qOf,
    soleConsumer: sole,
    fuse: (nodeIndex) => void fused.add(nodeIndex),
    emit(name, q, layer, explicit) {
      const dims = explicit ? [...explicit] : shapes.get(name)!;
      layers.push({ ...layer, output: layers.length + 1, outShape: [...dims] });
      origin.push(current);
      entries.set(name, { id: layers.length, q, dims: [...dims] });
    },
    alias: (name, t) => void entries.set(name, t),
    split: (node) => split.has(indexOf.get(node) ?? -1),
    intermediate(node, key) {
      const idx = indexOf.get(node) ?? -1;
      if (!split.has(idx)) {
        wanted = idx;
        throw new SplitRequest();
      }
      return auxQ(idx, key);
    },
  };
  try {
    graph.nodes.forEach((node: GraphNode, idx) => {
      if (fused.has(idx) || constants.fold(node)) return;
      const rule = nodeRuleOf(node.opType);
      if (!rule) unsupported(node);
      current = idx;
      rule.lower(ctx, node);
    });
  } catch (e) {
    if (e instanceof SplitRequest && wanted !== undefined) return wanted;
    throw e;
  }

  // 4. The output must be the last layer's tensor.
  const final = entries.get(outputName);
  if (!final) throw new InvalidModelError(`no node produces the graph output '${outputName}'`);
  if (final.id !== layers.length) {
    throw new InvalidModelError(
      `the graph output '${outputName}' is not produced by the last operator (dead nodes after it?)`,
    );
  }
  const program: Program = {
    name: graph.name || "model",
    version: 1,
    inputShape: [...inShape],
    outputShape: [...final.dims],
    input: entries.get(graph.inputs[0].name)!.q,
    output: final.q,
    layers,
  };
  return { program, origin };
}

/** Raised inside a lowering pass by a rule that needs its intermediates calibrated (it is then split). */
class SplitRequest extends Error {}
