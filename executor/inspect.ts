/**
 * What `verity model inspect` reports about a float graph, offline: its opset and operators, what the import pass
 * (executor/model/simplify) does with each node (kept, rewritten for its opset, folded, removed, fused, or refused
 * with the reason: every refusal, not only the first), the canonical graph, and, when the graph is runnable, the
 * integer program's layers with their state sizes and the worst one-step witness (calldata, gas) of each layer.
 *
 * The program is quantized on synthetic calibration inputs (uniform in [-1, 1], seeded; for an integer input such as
 * token ids, integers uniform in [0, 255], the values an integer input carries, NUMERICS §26.6): its layers, shapes
 * and witness bounds do not depend on the calibration values, only its quantization parameters do.
 */
import { VerityError } from "./errors";
import { sizeOf, type Graph } from "./model/graph";
import { CANONICAL_OPSET } from "./model/opset/versions";
import { prepareGraph, type NodeFate } from "./model/simplify";
import { quantizeGraph } from "./quant";
import { stepWitnessBounds } from "./runtime/step-witness";

export interface InspectedNode {
  name: string;
  op: string;
  status: "supported" | "rewritten" | "folded" | "removed" | "fused" | "refused";
  /** Why: the opset changes applied, the fused operator, or the refusal's message. */
  detail?: string;
}

export interface InspectedLayer {
  index: number;
  op: string;
  outShape: number[];
  /** Bytes of the state S_k the layer reads (the tensors still live). */
  stateBytes: number;
  /** The worst one-step proof of an element of the layer: calldata bytes and gas (executor/runtime/step-witness). */
  calldata: number;
  gas: number;
  witness: "contiguous" | "sparse" | "both" | "none";
}

export interface InspectReport {
  name: string;
  opset: number;
  canonicalOpset: number;
  inputs: { name: string; dims: number[]; bound: number[] }[];
  outputs: { name: string; dims: number[] }[];
  /** Operator type -> number of nodes, in the source graph. */
  operators: Record<string, number>;
  nodes: InspectedNode[];
  /** Every problem, in the order found. Empty when the graph can be quantized. */
  refusals: string[];
  /** The canonical graph (nodes and number of constant tensors). */
  simplified: { nodes: { name: string; op: string; inputs: string[]; outputs: string[] }[]; constants: number };
  program?: { layers: InspectedLayer[]; inputBytes: number; outputBytes: number };
  /** Why the program could not be built, when the graph itself was accepted. */
  programError?: string;
}

function describeFate(f: NodeFate | undefined): Pick<InspectedNode, "status" | "detail"> {
  if (!f || f.kind === "kept") return { status: "supported" };
  switch (f.kind) {
    case "rewritten":
      return { status: "rewritten", detail: f.changes.join("; ") };
    case "fused":
      return { status: "fused", detail: `into ${f.op} '${f.into}'` };
    case "refused":
      return { status: "refused", detail: f.error.message };
    default:
      return { status: f.kind };
  }
}

function synthetic(n: number, size: number, integer: boolean): Float32Array[] {
  let s = 12345;
  return Array.from({ length: n }, () =>
    Float32Array.from({ length: size }, () => {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      return integer ? Math.floor((s / 2 ** 32) * 256) : (s / 2 ** 32) * 2 - 1;
    }),
  );
}

/** Inspects a structurally valid graph (`decodeOnnx`); throws only for an opset Verity does not read. */
export function inspectGraph(graph: Graph, calibrationSamples = 2): InspectReport {
  const prepared = prepareGraph(graph, false);
  const operators: Record<string, number> = {};
  for (const n of graph.nodes) operators[n.opType] = (operators[n.opType] ?? 0) + 1;
  const report: InspectReport = {
    name: graph.name,
    opset: graph.opsetVersion,
    canonicalOpset: CANONICAL_OPSET,
    inputs: graph.inputs.map((vi, i) => ({
      name: vi.name,
      dims: [...vi.dims],
      bound: [...(prepared.graph.inputs[i]?.dims ?? vi.dims)],
    })),
    outputs: graph.outputs.map((vi) => ({ name: vi.name, dims: [...vi.dims] })),
    operators,
    nodes: graph.nodes.map((n) => ({ name: n.name, op: n.opType, ...describeFate(prepared.fates.get(n.name)) })),
    refusals: prepared.issues.map((e) => e.message),
    simplified: {
      nodes: prepared.graph.nodes.map((n) => ({
        name: n.name,
        op: n.opType,
        inputs: [...n.inputs],
        outputs: [...n.outputs],
      })),
      constants: prepared.graph.initializers.size,
    },
  };
  if (report.refusals.length > 0) return report;
  try {
    const input = prepared.graph.inputs[0];
    const size = sizeOf(input?.dims ?? []);
    const program = quantizeGraph(prepared.graph, synthetic(calibrationSamples, size, input?.dtype === "int64"));
    const bounds = stepWitnessBounds(program);
    report.program = {
      inputBytes: sizeOf(program.inputShape),
      outputBytes: sizeOf(program.outputShape),
      layers: program.layers.map((l, i) => {
        const b = bounds[i];
        const { contiguous, sparse } = b.usable;
        return {
          index: i,
          op: l.op,
          outShape: [...l.outShape],
          stateBytes: b.inLength,
          calldata: b.calldata,
          gas: b.gas,
          witness: contiguous && sparse ? "both" : contiguous ? "contiguous" : sparse ? "sparse" : "none",
        };
      }),
    };
  } catch (e) {
    if (!(e instanceof VerityError)) throw e;
    report.programError = e.message;
  }
  return report;
}
