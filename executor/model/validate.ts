/**
 * Turns a graph draft (nodes in any order, Constant nodes still present, initializers possibly listed as inputs)
 * into a validated `Graph`: the single place where both `loadOnnx` and `GraphBuilder.build` enforce the rules of
 * the float graph IR.
 *
 * Rules, in the order they are checked (the first violation is reported):
 *  1. default-domain opset in MIN_OPSET..MAX_OPSET (6..22, executor/model/opset/versions.ts);
 *  2. every node is of the default domain and (with `knownOnly`, as loadOnnx and GraphBuilder.build ask) of an
 *     operator the importer knows (executor/model/simplify/known.ts); all nodes are scanned, the first offending one
 *     in file order is reported. Whether a known operator can run is decided by the import pass
 *     (executor/model/simplify), which may fold it away or fuse it into a pattern;
 *  3. `Constant` nodes are folded into initializers;
 *  4. every initializer is well formed: integer dims >= 0, data length = product of dims, at most
 *     MAX_TENSOR_ELEMENTS elements, float data finite;
 *  5. the graph has at least one operator node, one runtime input and one output;
 *  6. every tensor name is defined once (graph input, initializer or node output);
 *  7. every node input is defined; every graph output is defined;
 *  8. the nodes are sorted topologically (stable: ties keep file order); a cycle is rejected.
 * Empty node names are replaced by `<opType>_<index>`, and duplicate node names get a `_<index>` suffix, so that
 * errors and trace steps can always name a node unambiguously.
 */
import { ControlFlowError, InvalidModelError, UnsupportedDomainError, UnsupportedOperatorError } from "../errors";
import {
  CONTROL_FLOW_OPERATORS,
  SUPPORTED_OPERATORS,
  type AttributeValue,
  type Graph,
  type GraphNode,
  type Tensor,
  type ValueInfo,
} from "./graph";

/** The largest tensor (in elements) the loader accepts: 2^28, i.e. 1 GiB of float32. */
export const MAX_TENSOR_ELEMENTS = 2 ** 28;

import { MAX_OPSET, MIN_OPSET, checkOpset } from "./opset/versions";
import { isKnownOperator } from "./simplify/known";

export { MAX_OPSET, MIN_OPSET };

/** A node before validation; `domain` is the ONNX operator domain ("" or "ai.onnx" for the default one). */
export interface DraftNode {
  readonly name: string;
  readonly opType: string;
  readonly domain?: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attributes: Readonly<Record<string, AttributeValue>>;
}

export interface GraphDraft {
  readonly name: string;
  readonly opsetVersion: number;
  /** Declared graph inputs; those that are also initializers are dropped from the runtime inputs. */
  readonly inputs: readonly ValueInfo[];
  readonly outputs: readonly ValueInfo[];
  /** Initializers in declaration order. */
  readonly initializers: readonly (readonly [string, Tensor])[];
  readonly nodes: readonly DraftNode[];
}

function isDefaultDomain(domain: string | undefined): boolean {
  return domain === undefined || domain === "" || domain === "ai.onnx";
}

/**
 * Rule 2, exported so the ONNX loader can run it before decoding attributes: a node of another domain (custom
 * operators, ai.onnx.ml, com.microsoft...) is refused, naming the node, its domain and the model's opset.
 */
export function checkOperators(
  nodes: readonly { name: string; opType: string; domain?: string }[],
  opset: number,
  knownOnly = false,
): void {
  nodes.forEach((n, i) => {
    const name = n.name || `${n.opType}_${i}`;
    if (!isDefaultDomain(n.domain)) {
      throw new UnsupportedDomainError(
        name,
        n.opType,
        n.domain ?? "",
        opset,
        `domain '${n.domain}' (Verity reads the default ONNX domain only, opsets ${MIN_OPSET} to ${MAX_OPSET}; ` +
          `the model imports default-domain opset ${opset})`,
      );
    }
    if (!n.opType) throw new UnsupportedOperatorError(name, "(empty op_type)", SUPPORTED_OPERATORS);
    if (knownOnly && CONTROL_FLOW_OPERATORS.includes(n.opType)) throw new ControlFlowError(name, n.opType);
    if (knownOnly && !isKnownOperator(n.opType))
      throw new UnsupportedOperatorError(name, n.opType, SUPPORTED_OPERATORS);
  });
}

/** Rule 4 for one tensor. `label` names it in the message, e.g. "initializer 'w1'". */
export function checkTensor(t: Tensor, label: string, fail: (msg: string) => never = invalidModel): void {
  let n = 1;
  for (const d of t.dims) {
    if (!Number.isSafeInteger(d) || d < 0)
      fail(`${label} has an invalid dimension ${d} in dims [${t.dims.join(", ")}]`);
    n *= d;
    if (n > MAX_TENSOR_ELEMENTS) {
      fail(`${label} has dims [${t.dims.join(", ")}], more than ${MAX_TENSOR_ELEMENTS} elements, which Verity refuses`);
    }
  }
  if (t.data.length !== n) {
    fail(`${label} has ${t.data.length} values, but its dims [${t.dims.join(", ")}] need ${n}`);
  }
  if (t.dtype === "float32") {
    const d = t.data;
    for (let i = 0; i < d.length; i++) {
      if (!Number.isFinite(d[i])) {
        fail(`${label} contains ${d[i]} at flat index ${i}; weights must be finite (check the training run)`);
      }
    }
  } else {
    for (let i = 0; i < t.data.length; i++) {
      if (!Number.isSafeInteger(t.data[i])) fail(`${label} contains a non-integer or unsafe int64 value ${t.data[i]}`);
    }
  }
}

function invalidModel(msg: string): never {
  throw new InvalidModelError(msg);
}

/** Folds one Constant node into a tensor (ONNX Constant: exactly one of value, value_float(s), value_int(s)). */
function constantValue(node: DraftNode): Tensor {
  const keys = Object.keys(node.attributes);
  if (keys.length !== 1) {
    invalidModel(`Constant node '${node.name}' must have exactly one value attribute, found [${keys.join(", ")}]`);
  }
  const key = keys[0];
  const a = node.attributes[key];
  if (key === "value" && a.kind === "tensor") return a.value;
  if (key === "value_float" && (a.kind === "float" || a.kind === "int")) {
    return { dtype: "float32", dims: [], data: Float32Array.of(a.value) };
  }
  if (key === "value_floats" && a.kind === "floats") {
    return { dtype: "float32", dims: [a.value.length], data: Float32Array.from(a.value) };
  }
  if (key === "value_int" && a.kind === "int") return { dtype: "int64", dims: [], data: [a.value] };
  if (key === "value_ints" && a.kind === "ints") return { dtype: "int64", dims: [a.value.length], data: [...a.value] };
  throw new UnsupportedOperatorError(node.name, "Constant", SUPPORTED_OPERATORS, `attribute '${key}' (${a.kind})`);
}

/** A binary min-heap of node indices, so that sorting stays O(n log n) on wide graphs (hostile files included). */
class MinHeap {
  private readonly a: Int32Array;
  size = 0;

  constructor(capacity: number) {
    this.a = new Int32Array(Math.max(1, capacity));
  }

  push(v: number): void {
    const a = this.a;
    let k = this.size++;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      if (a[parent] <= v) break;
      a[k] = a[parent];
      k = parent;
    }
    a[k] = v;
  }

  pop(): number {
    const a = this.a;
    const top = a[0];
    const last = a[--this.size];
    let k = 0;
    for (;;) {
      let child = 2 * k + 1;
      if (child >= this.size) break;
      if (child + 1 < this.size && a[child + 1] < a[child]) child++;
      if (a[child] >= last) break;
      a[k] = a[child];
      k = child;
    }
    a[k] = last;
    return top;
  }
}

/** Applies the rules above; throws InvalidModelError / UnsupportedOperatorError on the first violation. */
export function finalizeGraph(draft: GraphDraft, knownOnly = false): Graph {
  const graphName = draft.name || "model";
  checkOpset(graphName, draft.opsetVersion);

  // Names: fill empty ones, make duplicates unique.
  const seenNames = new Set<string>();
  const named = draft.nodes.map((n, i) => {
    let name = n.name || `${n.opType}_${i}`;
    while (seenNames.has(name)) name = `${name}_${i}`;
    seenNames.add(name);
    return { ...n, name };
  });

  checkOperators(named, draft.opsetVersion, knownOnly);

  // Constant folding.
  const initializers = new Map<string, Tensor>();
  for (const [name, t] of draft.initializers) {
    if (!name) invalidModel(`model '${graphName}' has an initializer without a name`);
    if (initializers.has(name)) invalidModel(`initializer '${name}' is defined twice`);
    initializers.set(name, t);
  }
  const ops: DraftNode[] = [];
  for (const n of named) {
    if (n.opType !== "Constant") {
      ops.push(n);
      continue;
    }
    if (n.outputs.length !== 1 || !n.outputs[0]) {
      invalidModel(`Constant node '${n.name}' must have exactly one named output`);
    }
    const out = n.outputs[0];
    if (initializers.has(out)) invalidModel(`Constant node '${n.name}' redefines tensor '${out}'`);
    initializers.set(out, constantValue(n));
  }
  for (const [name, t] of initializers) checkTensor(t, `initializer '${name}'`);

  if (ops.length === 0) invalidModel(`model '${graphName}' has an empty graph: no operator nodes`);

  const inputs: ValueInfo[] = [];
  const defined = new Set<string>(initializers.keys());
  for (const vi of draft.inputs) {
    if (!vi.name) invalidModel(`model '${graphName}' has a graph input without a name`);
    if (initializers.has(vi.name)) continue;
    if (defined.has(vi.name)) invalidModel(`graph input '${vi.name}' is declared twice`);
    defined.add(vi.name);
    inputs.push(vi);
  }
  if (inputs.length === 0) {
    invalidModel(`model '${graphName}' has no runtime input (every declared input is an initializer)`);
  }
  if (draft.outputs.length === 0) invalidModel(`model '${graphName}' declares no graph output`);

  // Producers.
  const producer = new Map<string, number>();
  ops.forEach((n, i) => {
    if (n.outputs.length === 0 || n.outputs.every((o) => !o)) {
      invalidModel(`node '${n.name}' (${n.opType}) has no output`);
    }
    for (const o of n.outputs) {
      if (!o) continue;
      if (defined.has(o) || producer.has(o)) {
        invalidModel(`node '${n.name}' (${n.opType}) writes tensor '${o}', which is already defined elsewhere`);
      }
      producer.set(o, i);
    }
  });

  for (const n of ops) {
    for (const t of n.inputs) {
      if (t && !defined.has(t) && !producer.has(t)) {
        invalidModel(
          `node '${n.name}' (${n.opType}) reads tensor '${t}', which is missing: no node produces it and it is ` +
            `neither an initializer nor a graph input`,
        );
      }
    }
  }
  for (const o of draft.outputs) {
    if (!defined.has(o.name) && !producer.has(o.name)) {
      invalidModel(`graph output '${o.name}' is not produced by any node`);
    }
  }

  // Topological sort (Kahn), stable: among ready nodes, the earliest in file order goes first.
  const indegree = new Int32Array(ops.length);
  const consumers: number[][] = ops.map(() => []);
  ops.forEach((n, i) => {
    const deps = new Set<number>();
    for (const t of n.inputs) {
      const p = t ? producer.get(t) : undefined;
      if (p !== undefined) deps.add(p);
    }
    indegree[i] = deps.size;
    for (const p of deps) consumers[p].push(i);
  });
  const ready = new MinHeap(ops.length);
  for (let i = 0; i < ops.length; i++) if (indegree[i] === 0) ready.push(i);
  const order: GraphNode[] = [];
  while (ready.size > 0) {
    const i = ready.pop();
    const n = ops[i];
    order.push({ name: n.name, opType: n.opType, inputs: n.inputs, outputs: n.outputs, attributes: n.attributes });
    for (const c of consumers[i]) if (--indegree[c] === 0) ready.push(c);
  }
  if (order.length !== ops.length) {
    const stuck = ops.filter((_, i) => indegree[i] > 0).map((n) => `'${n.name}'`);
    invalidModel(
      `model '${graphName}' has a cycle through nodes ${stuck.slice(0, 8).join(", ")}${stuck.length > 8 ? ", ..." : ""}`,
    );
  }

  return {
    name: graphName,
    opsetVersion: draft.opsetVersion,
    inputs,
    outputs: draft.outputs,
    initializers,
    nodes: order,
  };
}
