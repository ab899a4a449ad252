/**
 * Recognition of decomposed LayerNorm and GELU, as PyTorch exports them, into the fused operators
 * (LayerNormalization, opset-17 form: X, Scale, B, attributes axis and epsilon; Gelu, opset-20 form: attribute
 * approximate "none" | "tanh"). A pattern matches only exactly: every intermediate tensor read by the next node of
 * the pattern alone (and no graph output), the constants within 1e-3 relative of their exact value, the reduced axes
 * the trailing ones. Anything else is left as it is and runs op by op (ReduceMean, Sub, Pow, Sqrt, Div, Erf, Mul,
 * Add, Tanh).
 *
 *   LayerNorm: m = ReduceMean(x, axes); d = Sub(x, m); p = Pow(d, 2) | Mul(d, d); v = ReduceMean(p, axes);
 *              e = Add(v, eps); s = Sqrt(e); n = Div(d, s); [y = Mul(n, gamma)]; [y = Add(y, beta)]
 *   GELU:      a = Div(x, sqrt 2) | Mul(x, 1/sqrt 2); u = Add(Erf(a), 1); y = 0.5 * x * u (any association)
 *   GELU tanh: c = Pow(x, 3) | Mul(x, Mul(x, x)); r = Add(x, Mul(c, 0.044715)); u = Add(Tanh(Mul(r, sqrt(2/pi))), 1);
 *              y = 0.5 * x * u
 */
import { sizeOf, type GraphNode, type Tensor } from "../graph";
import { evaluateNode, makeTensor } from "./evaluate";
import type { NodeFate } from "./types";

/** Operators that are kept for pattern recognition even when Verity cannot run them alone. */
export const PATTERN_PARTS = new Set(["ReduceMean", "Pow", "Sqrt", "Div", "Erf", "Tanh", "Mul", "Add", "Sub"]);

export interface PatternContext {
  readonly consts: Map<string, Tensor>;
  shapeOf(name: string): readonly number[] | undefined;
  fresh(base: string): string;
  readonly fates: Map<string, NodeFate>;
  /** Graph output names (never fused away). */
  readonly outputs: ReadonlySet<string>;
}

interface Match {
  nodes: GraphNode[];
  fused: GraphNode;
}

class View {
  readonly producer = new Map<string, GraphNode>();
  readonly readers = new Map<string, GraphNode[]>();
  constructor(
    nodes: readonly GraphNode[],
    readonly ctx: PatternContext,
  ) {
    for (const n of nodes) {
      for (const o of n.outputs) if (o) this.producer.set(o, n);
      for (const x of n.inputs) {
        if (!x) continue;
        const r = this.readers.get(x);
        if (r) r.push(n);
        else this.readers.set(x, [n]);
      }
    }
  }

  /** The single node reading `t`, when `t` is not a graph output. */
  sole(t: string, op?: string): GraphNode | undefined {
    const r = this.readers.get(t) ?? [];
    if (r.length !== 1 || this.ctx.outputs.has(t)) return undefined;
    return op === undefined || r[0].opType === op ? r[0] : undefined;
  }

  scalar(name: string): number | undefined {
    const t = this.ctx.consts.get(name);
    return t && t.dtype === "float32" && t.data.length === 1 ? t.data[0] : undefined;
  }

  /** For a commutative binary node with one input `t`: the other input. */
  other(n: GraphNode, t: string): string | undefined {
    if (n.inputs.length !== 2) return undefined;
    if (n.inputs[0] === t) return n.inputs[1];
    if (n.inputs[1] === t) return n.inputs[0];
    return undefined;
  }
}

const near = (v: number | undefined, want: number): boolean =>
  v !== undefined && Math.abs(v - want) <= 1e-3 * Math.abs(want);

/** The trailing axes a ReduceMean reduces (keepdims 1), as the first of them, or undefined. */
function trailingAxis(v: View, n: GraphNode, rank: number): number | undefined {
  const keep = n.attributes.keepdims;
  if (keep && keep.kind === "int" && keep.value !== 1) return undefined;
  const axesT = n.inputs[1] ? v.ctx.consts.get(n.inputs[1]) : undefined;
  if (n.inputs[1] && !axesT) return undefined;
  const axes = axesT ? [...axesT.data].map((a) => (Number(a) < 0 ? Number(a) + rank : Number(a))) : [];
  if (axes.length === 0) return undefined;
  axes.sort((a, b) => a - b);
  if (axes.some((a, i) => a !== rank - axes.length + i)) return undefined;
  return axes[0];
}

/** `t` (a float constant) broadcast to exactly `dims`, or undefined. */
function expandTo(t: Tensor | undefined, dims: readonly number[]): Tensor | undefined {
  if (!t || t.dtype !== "float32") return undefined;
  const lead = t.dims.length - dims.length;
  if (lead > 0 && t.dims.slice(0, lead).some((d) => d !== 1)) return undefined;
  const core = { ...t, dims: t.dims.slice(Math.max(0, lead)) };
  try {
    const shape = makeTensor("int64", [dims.length], dims);
    const node: GraphNode = { name: "expand", opType: "Expand", inputs: ["t", "s"], outputs: ["y"], attributes: {} };
    const out = evaluateNode(node, [core, shape], [core.dims, shape.dims]);
    return out.dims.length === dims.length && out.dims.every((d, i) => d === dims[i]) ? out : undefined;
  } catch {
    return undefined;
  }
}

function layerNorm(v: View, m1: GraphNode): Match | undefined {
  const x = m1.inputs[0];
  const dims = v.ctx.shapeOf(x);
  if (!dims) return undefined;
  const axis = trailingAxis(v, m1, dims.length);
  if (axis === undefined) return undefined;
  const sub = v.sole(m1.outputs[0], "Sub");
  if (!sub || sub.inputs[0] !== x || sub.inputs[1] !== m1.outputs[0]) return undefined;
  const d = sub.outputs[0];
  const dr = v.readers.get(d) ?? [];
  if (dr.length !== 2 || v.ctx.outputs.has(d)) return undefined;
  const sq = dr.find(
    (n) =>
      (n.opType === "Pow" && n.inputs[0] === d && near(v.scalar(n.inputs[1]), 2)) ||
      (n.opType === "Mul" && n.inputs[0] === d && n.inputs[1] === d),
  );
  const div = dr.find((n) => n.opType === "Div" && n.inputs[0] === d);
  if (!sq || !div) return undefined;
  const m2 = v.sole(sq.outputs[0], "ReduceMean");
  if (!m2 || trailingAxis(v, m2, dims.length) !== axis) return undefined;
  const add = v.sole(m2.outputs[0], "Add");
  const epsName = add && v.other(add, m2.outputs[0]);
  const eps = epsName === undefined ? undefined : v.scalar(epsName);
  if (!add || eps === undefined || eps < 0) return undefined;
  const sqrt = v.sole(add.outputs[0], "Sqrt");
  if (!sqrt || v.sole(sqrt.outputs[0]) !== div || div.inputs[1] !== sqrt.outputs[0]) return undefined;
  const nodes = [m1, sub, sq, m2, add, sqrt, div];
  const normShape = dims.slice(axis);
  let out = div.outputs[0];
  let scale = makeTensor("float32", normShape, new Array<number>(sizeOf(normShape)).fill(1));
  let bias = makeTensor("float32", normShape, new Array<number>(sizeOf(normShape)).fill(0));
  const mul = v.sole(out, "Mul");
  const gamma = mul && expandTo(v.ctx.consts.get(v.other(mul, out) ?? ""), normShape);
  if (mul && gamma) {
    nodes.push(mul);
    scale = gamma;
    out = mul.outputs[0];
  }
  const addB = v.sole(out, "Add");
  const beta = addB && expandTo(v.ctx.consts.get(v.other(addB, out) ?? ""), normShape);
  if (addB && beta) {
    nodes.push(addB);
    bias = beta;
    out = addB.outputs[0];
  }
  const name = v.ctx.fresh(`${m1.name}_LayerNormalization`);
  const scaleName = v.ctx.fresh(`${name}_scale`);
  const biasName = v.ctx.fresh(`${name}_bias`);
  v.ctx.consts.set(scaleName, scale);
  v.ctx.consts.set(biasName, bias);
  return {
    nodes,
    fused: {
      name,
      opType: "LayerNormalization",
      inputs: [x, scaleName, biasName],
      outputs: [out],
      attributes: { axis: { kind: "int", value: axis }, epsilon: { kind: "float", value: Math.fround(eps) } },
    },
  };
}

/** y = 0.5 * x * u from the node reading u (three associations); the nodes and y. */
function halfTimes(v: View, x: string, u: string): { nodes: GraphNode[]; out: string } | undefined {
  const m1 = v.sole(u, "Mul");
  if (!m1) return undefined;
  const o = v.other(m1, u);
  if (o === undefined) return undefined;
  if (o === x) {
    const m2 = v.sole(m1.outputs[0], "Mul");
    if (m2 && near(v.scalar(v.other(m2, m1.outputs[0]) ?? ""), 0.5)) return { nodes: [m1, m2], out: m2.outputs[0] };
    return undefined;
  }
  if (near(v.scalar(o), 0.5)) {
    const m2 = v.sole(m1.outputs[0], "Mul");
    if (m2 && v.other(m2, m1.outputs[0]) === x) return { nodes: [m1, m2], out: m2.outputs[0] };
    return undefined;
  }
  const h = v.producer.get(o);
  if (h && h.opType === "Mul" && v.sole(o) === m1 && v.other(h, x) !== undefined && near(v.scalar(v.other(h, x)!), 0.5))
    return { nodes: [h, m1], out: m1.outputs[0] };
  return undefined;
}

function gelu(v: View, act: GraphNode): Match | undefined {
  const a = act.inputs[0];
  const pre = v.producer.get(a);
  if (!pre || v.sole(a) !== act) return undefined;
  let x: string | undefined;
  const nodes: GraphNode[] = [];
  let approximate: "none" | "tanh";
  if (act.opType === "Erf") {
    approximate = "none";
    if (pre.opType === "Div" && near(v.scalar(pre.inputs[1]), Math.SQRT2)) x = pre.inputs[0];
    else if (pre.opType === "Mul") {
      const k = pre.inputs.find((i) => near(v.scalar(i), Math.SQRT1_2));
      x = k === undefined ? undefined : v.other(pre, k);
    }
    if (x === undefined) return undefined;
    nodes.push(pre);
  } else {
    approximate = "tanh";
    // pre = Mul(r, sqrt(2/pi)); r = Add(x, q); q = Mul(c, 0.044715); c = Pow(x, 3) | Mul(x, Mul(x, x))
    const k = pre.opType === "Mul" ? pre.inputs.find((i) => near(v.scalar(i), Math.sqrt(2 / Math.PI))) : undefined;
    const r = k === undefined ? undefined : v.producer.get(v.other(pre, k)!);
    if (!r || r.opType !== "Add" || v.sole(r.outputs[0]) !== pre) return undefined;
    for (const cand of r.inputs) {
      const q = v.producer.get(r.inputs[0] === cand ? r.inputs[1] : r.inputs[0]);
      if (!q || q.opType !== "Mul" || v.sole(q.outputs[0]) !== r) continue;
      const ck = q.inputs.find((i) => near(v.scalar(i), 0.044715));
      const c = ck === undefined ? undefined : v.producer.get(v.other(q, ck)!);
      if (!c || v.sole(c.outputs[0]) !== q) continue;
      if (c.opType === "Pow" && c.inputs[0] === cand && near(v.scalar(c.inputs[1]), 3)) {
        nodes.push(c, q, r, pre);
        x = cand;
        break;
      }
      const sq = c.opType === "Mul" ? v.producer.get(v.other(c, cand) ?? "") : undefined;
      if (sq && sq.opType === "Mul" && sq.inputs[0] === cand && sq.inputs[1] === cand && v.sole(sq.outputs[0]) === c) {
        nodes.push(sq, c, q, r, pre);
        x = cand;
        break;
      }
    }
    if (x === undefined) return undefined;
  }
  const add = v.sole(act.outputs[0], "Add");
  if (!add || !near(v.scalar(v.other(add, act.outputs[0]) ?? ""), 1)) return undefined;
  const tail = halfTimes(v, x, add.outputs[0]);
  if (!tail) return undefined;
  return {
    nodes: [...nodes, act, add, ...tail.nodes],
    fused: {
      name: v.ctx.fresh(`${act.name}_Gelu`),
      opType: "Gelu",
      inputs: [x],
      outputs: [tail.out],
      attributes: { approximate: { kind: "string", value: approximate } },
    },
  };
}

/** Rewrites every matched pattern (the fused node takes the place of the pattern's last node). */
export function recognizePatterns(nodes: readonly GraphNode[], ctx: PatternContext): GraphNode[] {
  let current = [...nodes];
  const starts: Readonly<Record<string, (v: View, n: GraphNode) => Match | undefined>> = {
    ReduceMean: layerNorm,
    Erf: gelu,
    Tanh: gelu,
  };
  // a pattern starts at a ReduceMean, or at an Erf/Tanh reading a Div or a Mul
  const producers = new Map<string, string>();
  for (const n of nodes) for (const o of n.outputs) producers.set(o, n.opType);
  const candidates = nodes.filter(
    (n) =>
      n.opType === "ReduceMean" ||
      ((n.opType === "Erf" || n.opType === "Tanh") && /^(Div|Mul)$/.test(producers.get(n.inputs[0]) ?? "")),
  );
  if (candidates.length === 0) return current;
  for (const op of Object.keys(starts)) {
    const match = starts[op];
    let v = new View(current, ctx);
    const removed = new Set<GraphNode>();
    for (const start of candidates.filter((n) => n.opType === op)) {
      if (removed.has(start)) continue;
      const m = match(v, start);
      if (!m) continue;
      const gone = new Set(m.nodes);
      for (const n of m.nodes) removed.add(n);
      const lastIndex = Math.max(...m.nodes.map((n) => current.indexOf(n)));
      const next: GraphNode[] = [];
      current.forEach((n, i) => {
        if (i === lastIndex) next.push(m.fused);
        else if (!gone.has(n)) next.push(n);
      });
      for (const n of m.nodes) ctx.fates.set(n.name, { kind: "fused", into: m.fused.name, op: m.fused.opType });
      current = next;
      v = new View(current, ctx);
    }
  }
  return current;
}
