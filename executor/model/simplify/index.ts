/**
 * The canonical form of a float graph: what quantization (quantizeGraph), the float reference (evaluateFloat,
 * runFloat) and `verity model inspect` see. `loadOnnx` and `GraphBuilder.build` return the graph as the file or the
 * builder states it (so that `encodeOnnx` writes it back byte for byte), and check that its canonical form exists;
 * `canonicalGraph` computes it once per graph object (a WeakMap cache) and is idempotent.
 */
import type { Graph } from "../graph";
import { prepareGraph } from "./prepare";

export { prepareGraph, type PreparedGraph, type NodeFate } from "./prepare";

const CACHE = new WeakMap<Graph, Graph>();

/** The canonical graph of `g` (opset rewrites, fixed input shapes, folding, patterns); throws the first problem. */
export function canonicalGraph(g: Graph): Graph {
  const hit = CACHE.get(g);
  if (hit) return hit;
  const c = prepareGraph(g, true).graph;
  CACHE.set(g, c);
  CACHE.set(c, c);
  return c;
}
