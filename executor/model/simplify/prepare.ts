/**
 * The import pass between the float graph as the file states it and the graph that quantization and the float
 * reference see (its "canonical" form), walked once in topological order:
 *  1. the opset is one Verity reads (6..22), and each node's operator exists at that opset;
 *  2. graph inputs get fixed shapes: a symbolic batch dimension (axis 0: dim_param, 0 or -1) is bound to 1, any
 *     other symbolic dimension is refused (DynamicShapeError);
 *  3. each node is normalized to the newest form of its operator (executor/model/opset/table.ts);
 *  4. Identity and Dropout are removed; a node whose inputs are all constants (and Shape/Size of a tensor of known
 *     shape) is folded into a constant, by the small evaluator (./evaluate.ts) or the operator's float reference;
 *     every other node is kept and its output shape computed by its float reference;
 *  5. decomposed LayerNorm and GELU are recognized as LayerNormalization and Gelu (./patterns.ts);
 *  6. nodes that no graph output depends on are dropped;
 *  7. every remaining node is an operator Verity runs: otherwise an UnsupportedOperatorError (or, for an operator
 *     that only the importer evaluates, an UnfoldableNodeError saying which input is not constant).
 * In `strict` mode the first problem throws; otherwise every problem is collected against its node (what
 * `verity model inspect` lists) and the walk goes on.
 */
import {
  ControlFlowError,
  DynamicShapeError,
  InvalidModelError,
  UnfoldableNodeError,
  UnsupportedOperatorError,
  VerityError,
} from "../../errors";
import { nodeRuleOf, type FloatContext } from "../../ops";
import type { FTensor } from "../../quant/float-tensor";
import {
  CONTROL_FLOW_OPERATORS,
  SUPPORTED_OPERATORS,
  sizeOf,
  subgraphAttribute,
  type Graph,
  type GraphNode,
  type Tensor,
  type ValueInfo,
} from "../graph";
import type { RewriteContext } from "../opset/context";
import { applyAll } from "../opset/rewrites";
import { rowsFor } from "../opset/table";
import { CANONICAL_OPSET, checkOperatorExists, checkOpset } from "../opset/versions";
import { FOLDABLE, SHAPE_ONLY, evaluateNode, makeTensor } from "./evaluate";
import { recognizePatterns } from "./patterns";
import { fallbackShape } from "./shapes";
import type { NodeFate } from "./types";

export type { NodeFate } from "./types";

export interface PreparedGraph {
  /** The canonical graph (opsetVersion = CANONICAL_OPSET). */
  readonly graph: Graph;
  /** One entry per node of the source graph, by name. */
  readonly fates: ReadonlyMap<string, NodeFate>;
  /** Every problem found (in strict mode, at most the first, which was thrown). */
  readonly issues: readonly VerityError[];
}

const SUPPORTED = new Set<string>(SUPPORTED_OPERATORS);
/** Operators whose output has the shape of their first input (shape inference skips their float run). */
const SAME_SHAPE = new Set([
  "Relu",
  "LeakyRelu",
  "Sigmoid",
  "Tanh",
  "Clip",
  "Softmax",
  "LogSoftmax",
  "Elu",
  "Selu",
  "Erf",
  "Sqrt",
  "Exp",
  "Neg",
  "Abs",
  "HardSigmoid",
  "HardSwish",
  "Softplus",
  "Softsign",
  "Gelu",
]);

function refuse(node: GraphNode, detail?: string): never {
  throw new UnsupportedOperatorError(node.name, node.opType, SUPPORTED_OPERATORS, detail);
}

function floatTensor(t: Tensor): FTensor {
  return { dims: [...t.dims], data: t.dtype === "float32" ? t.data : Float32Array.from(t.data) };
}

/** Binds symbolic input dims: axis 0 to 1, anything else refused. */
function bindInputs(inputs: readonly ValueInfo[], report: (e: VerityError) => void): ValueInfo[] {
  return inputs.map((vi) => {
    const dims = vi.dims.map((d, axis) => {
      if (d >= 1) return d;
      if (axis !== 0) {
        report(
          new DynamicShapeError(
            vi.name,
            axis,
            `graph input '${vi.name}' has a symbolic dimension at axis ${axis} (dims [${vi.dims.map((x) => (x < 1 ? "?" : x)).join(", ")}]); ` +
              `only the batch dimension (axis 0) may be symbolic (it is bound to 1): re-export with fixed shapes`,
          ),
        );
      }
      return 1;
    });
    return { ...vi, dims };
  });
}

export function prepareGraph(source: Graph, strict: boolean): PreparedGraph {
  const fates = new Map<string, NodeFate>();
  // Every problem is collected with the position of its source node; strict mode throws the earliest at the end,
  // so that the report does not depend on the order in which the passes meet them.
  const found: { e: VerityError; at: number }[] = [];
  const origin = new Map<string, number>(source.nodes.map((n, i) => [n.name, i]));
  const report = (e: VerityError, node?: GraphNode): void => {
    const at = node ? (origin.get(node.name) ?? source.nodes.length) : -1;
    found.push({ e, at });
    const src = at >= 0 && at < source.nodes.length ? source.nodes[at].name : undefined;
    if (src !== undefined && fates.get(src)?.kind !== "refused") fates.set(src, { kind: "refused", error: e });
  };
  checkOpset(source.name || "model", source.opsetVersion);
  const opset = source.opsetVersion;
  const inputs = bindInputs(source.inputs, report);

  const consts = new Map<string, Tensor>(source.initializers);
  /** Values of computed tensors while walking (the float reference on zeros): only their shapes matter. */
  const values = new Map<string, FTensor>();
  for (const vi of inputs)
    values.set(vi.name, { dims: [...vi.dims], data: new Float32Array(vi.dims.reduce((a, b) => a * b, 1)) });
  const alias = new Map<string, string>();
  const resolve = (n: string): string => alias.get(n) ?? n;
  const taken = new Set<string>([...consts.keys(), ...inputs.map((i) => i.name), ...source.outputs.map((o) => o.name)]);
  for (const n of source.nodes) {
    taken.add(n.name);
    for (const o of n.outputs) taken.add(o);
  }
  const fresh = (base: string): string => {
    let name = base;
    for (let i = 1; taken.has(name); i++) name = `${base}_${i}`;
    taken.add(name);
    return name;
  };
  const shapeOf = (name: string): readonly number[] | undefined => consts.get(name)?.dims ?? values.get(name)?.dims;
  const work: Graph = { ...source, opsetVersion: CANONICAL_OPSET, inputs, initializers: consts, nodes: [] };
  const kept: GraphNode[] = [];
  const unknown = new Set<string>();

  const read = new Set<string>(source.outputs.map((o) => o.name));
  for (const n of source.nodes) for (const x of n.inputs) if (x) read.add(x);
  const floatCtx: FloatContext = {
    graph: work,
    input(node, i) {
      const name = node.inputs[i];
      const t = name
        ? (values.get(name) ?? (consts.has(name) ? floatTensor(consts.get(name)!) : undefined))
        : undefined;
      if (!t) throw new UnfoldableNodeError(node.name, node.opType, `its input '${name ?? ""}' is not available`);
      return t;
    },
    optional: (node, i) => (node.inputs[i] ? floatCtx.input(node, i) : undefined),
    consumed: (name) => read.has(name),
  };

  const markUnknown = (n: GraphNode): void => n.outputs.forEach((o) => o && unknown.add(o));

  /** Steps 4: one canonical node. Returns how it ended. */
  const process = (n: GraphNode): "kept" | "folded" | "removed" => {
    const ins = alias.size === 0 ? n.inputs : n.inputs.map(resolve);
    const node: GraphNode = ins === n.inputs ? n : { ...n, inputs: ins };
    if (node.opType === "Identity" || node.opType === "Dropout") {
      const mask = node.outputs.slice(1).find((o) => o && read.has(o));
      if (mask) refuse(node, `its mask output '${mask}', which the graph reads`);
      alias.set(node.outputs[0], ins[0]);
      return "removed";
    }
    const present = ins.filter((x) => x);
    const allConst = present.every((x) => consts.has(x));
    const shapeOnly = SHAPE_ONLY.has(node.opType) && ins[0] !== undefined && shapeOf(ins[0]) !== undefined;
    if (
      node.outputs.length === 1 &&
      ((allConst && present.length > 0) || shapeOnly || (allConst && node.opType === "ConstantOfShape"))
    ) {
      const rule = nodeRuleOf(node.opType);
      if (FOLDABLE.has(node.opType)) {
        const t = evaluateNode(
          node,
          ins.map((x) => (x ? consts.get(x) : undefined)),
          ins.map((x) => (x ? shapeOf(x) : undefined)),
        );
        consts.set(node.outputs[0], t);
        return "folded";
      }
      if (rule && present.every((x) => consts.get(x)!.dtype === "float32")) {
        // a multi-output rule (Split) returns one tensor per output
        const result = rule.float(floatCtx, node);
        (Array.isArray(result) ? result : [result]).forEach((y, i) => {
          const name = node.outputs[i];
          if (name) consts.set(name, makeTensor("float32", y.dims, y.data));
        });
        return "folded";
      }
    }
    const rule = nodeRuleOf(node.opType);
    if (present.some((x) => unknown.has(x))) markUnknown(node);
    else if (!rule) {
      const d = fallbackShape(
        node,
        ins.map((x) => (x ? shapeOf(x) : undefined)),
        (x) => consts.get(x),
      );
      if (d && node.outputs.length === 1) values.set(node.outputs[0], { dims: d, data: new Float32Array(sizeOf(d)) });
      else markUnknown(node);
    } else if (SAME_SHAPE.has(node.opType) && values.has(ins[0])) {
      // an elementwise activation: the output has its input's shape (no float run needed for the shape)
      values.set(node.outputs[0], values.get(ins[0])!);
    } else {
      // every output's shape is known when the rule returns one tensor per output (Split)
      const result = rule.float(floatCtx, node);
      const ys = Array.isArray(result) ? result : [result];
      node.outputs.forEach((o, i) => {
        if (!o) return;
        if (i < ys.length) values.set(o, ys[i]);
        else unknown.add(o);
      });
    }
    kept.push(node);
    return "kept";
  };

  for (const n of source.nodes) {
    try {
      checkOperatorExists(opset, n.name, n.opType);
      const body = subgraphAttribute(n);
      if (CONTROL_FLOW_OPERATORS.includes(n.opType)) throw new ControlFlowError(n.name, n.opType, body);
      if (body !== undefined)
        refuse(n, `attribute '${body}' of type ${n.attributes[body].kind === "graph" ? "GRAPH" : "GRAPHS"}`);
      const rows = rowsFor(n.opType, opset);
      let nodes: GraphNode[] = [n];
      if (rows.length > 0) {
        const ctx: RewriteContext = {
          opset,
          node: { ...n, inputs: n.inputs.map(resolve) },
          constant: (name) => consts.get(resolve(name)),
          shape: (name) => shapeOf(resolve(name)),
          addConstant(base, t) {
            const name = fresh(base);
            consts.set(name, t);
            return name;
          },
          fresh,
        };
        nodes = applyAll(
          ctx,
          rows.map((r) => r.rewrite),
        );
        fates.set(n.name, { kind: "rewritten", changes: rows.map((r) => r.change), into: nodes.map((x) => x.name) });
        const at = origin.get(n.name)!;
        for (const x of nodes) if (!origin.has(x.name)) origin.set(x.name, at);
      }
      const ends = nodes.map((x) => process(x));
      if (!fates.has(n.name) && ends[0] !== "kept") fates.set(n.name, { kind: ends[0] });
    } catch (e) {
      if (!(e instanceof VerityError)) throw e;
      report(e, n);
      kept.push({ ...n, inputs: n.inputs.map(resolve) });
      markUnknown(n);
    }
  }

  // Graph outputs through the aliases: a removed Identity/Dropout at the end renames its producer's output.
  const outputs = source.outputs;
  let nodes = kept;
  const inputNames = new Set(inputs.map((i) => i.name));
  for (const o of outputs) {
    const r = resolve(o.name);
    if (r === o.name) continue;
    const producer = nodes.find((n) => n.outputs.includes(r));
    if (producer && !outputs.some((x) => x.name === r)) {
      const ren = (x: string) => (x === r ? o.name : x);
      nodes = nodes.map((n) => ({ ...n, inputs: n.inputs.map(ren), outputs: n.outputs.map(ren) }));
      for (const [k, v] of alias) if (v === r) alias.set(k, o.name);
    } else if (producer || inputNames.has(r)) {
      nodes.push({
        name: fresh(`${o.name}_identity`),
        opType: "Identity",
        inputs: [r],
        outputs: [o.name],
        attributes: {},
      });
    }
  }
  for (const o of outputs) {
    if (consts.has(resolve(o.name)) && !nodes.some((n) => n.outputs.includes(o.name))) {
      found.push({
        e: new InvalidModelError(`graph output '${o.name}' is a constant: it does not depend on the model input`),
        at: source.nodes.length,
      });
    }
  }

  nodes = recognizePatterns(nodes, { consts, shapeOf, fresh, fates, outputs: new Set(outputs.map((o) => o.name)) });

  // Dead nodes: keep what a graph output depends on.
  const needed = new Set(outputs.map((o) => o.name));
  const live: GraphNode[] = [];
  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i];
    if (!n.outputs.some((o) => needed.has(o))) {
      if (!fates.has(n.name)) fates.set(n.name, { kind: "removed" });
      continue;
    }
    live.push(n);
    for (const x of n.inputs) if (x) needed.add(x);
  }
  live.reverse();

  for (const n of live) {
    if (SUPPORTED.has(n.opType) || fates.get(n.name)?.kind === "refused") continue;
    const nonConst = n.inputs.find((x) => x && !consts.has(x));
    const err = FOLDABLE.has(n.opType)
      ? new UnfoldableNodeError(
          n.name,
          n.opType,
          nonConst !== undefined
            ? `its input '${nonConst}' is computed from the model input (not a constant), and Verity has no ` +
                `run-time kernel for ${n.opType}`
            : `its inputs could not be folded`,
        )
      : new UnsupportedOperatorError(n.name, n.opType, SUPPORTED_OPERATORS);
    report(err, n);
  }
  for (const n of source.nodes) if (!fates.has(n.name)) fates.set(n.name, { kind: "kept" });
  const issues = found.map((f) => f.e);
  if (strict && found.length > 0) throw found.reduce((a, b) => (b.at < a.at ? b : a)).e;

  const initializers = new Map<string, Tensor>();
  for (const n of live) for (const x of n.inputs) if (x && consts.has(x)) initializers.set(x, consts.get(x)!);
  const graph: Graph = { name: source.name, opsetVersion: CANONICAL_OPSET, inputs, outputs, initializers, nodes: live };
  return { graph, fates, issues };
}
