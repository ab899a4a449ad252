/**
 * Output shapes of the operators the import pass keeps without a float reference to run (the parts of the LayerNorm
 * and GELU patterns, before their kernels exist), so that shapes stay known past them: a later pattern or shape
 * sub-graph still folds. Undefined when the rule does not know the operator or the inputs do not fit.
 */
import { attrInt, type GraphNode, type Tensor } from "../graph";

const UNARY = new Set(["Sqrt", "Erf", "Tanh", "Exp", "Neg", "Abs", "Relu", "Sigmoid", "Reciprocal", "Softplus"]);
const BINARY = new Set(["Add", "Sub", "Mul", "Div", "Pow", "Max", "Min"]);
const REDUCE = /^Reduce(Mean|Sum|Max|Min|Prod|L1|L2|LogSum|LogSumExp|SumSquare)$/;

function broadcast(a: readonly number[], b: readonly number[]): number[] | undefined {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) return undefined;
    out.push(x === 1 ? y : x);
  }
  return out;
}

export function fallbackShape(
  node: GraphNode,
  dims: readonly (readonly number[] | undefined)[],
  constant: (name: string) => Tensor | undefined,
): number[] | undefined {
  const [a, b] = dims;
  if (!a) return undefined;
  if (UNARY.has(node.opType)) return [...a];
  if (BINARY.has(node.opType)) return b ? broadcast(a, b) : undefined;
  if (REDUCE.test(node.opType)) {
    const axesT = node.inputs[1] ? constant(node.inputs[1]) : undefined;
    if (node.inputs[1] && !axesT) return undefined;
    const raw = axesT ? [...axesT.data].map(Number) : [];
    const axes = (raw.length > 0 ? raw : a.map((_, i) => i)).map((x) => (x < 0 ? x + a.length : x));
    if (axes.some((x) => x < 0 || x >= a.length)) return undefined;
    const keep = attrInt(node, "keepdims", 1) === 1;
    return keep ? a.map((d, i) => (axes.includes(i) ? 1 : d)) : a.filter((_, i) => !axes.includes(i));
  }
  return undefined;
}
