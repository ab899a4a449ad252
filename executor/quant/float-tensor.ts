/**
 * Float tensors and the elementwise helpers the operators' float references share (executor/ops): ONNX semantics
 * in float64 arithmetic, float32 storage. A reference only: nothing here runs in the integer execution path.
 */
import { ShapeMismatchError } from "../errors";
import { type GraphNode, type Tensor, sizeOf } from "../model/graph";

export interface FTensor {
  dims: number[];
  data: Float32Array;
}

/** A graph tensor (float32 or int64) as a float tensor. */
export function floatOf(t: Tensor): FTensor {
  return { dims: [...t.dims], data: t.dtype === "float32" ? t.data : Float32Array.from(t.data) };
}

/** ONNX multidirectional broadcast of two shapes. */
export function broadcastShape(node: GraphNode, a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeMismatchError(
        `node '${node.name}' (${node.opType}): shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Left-pads `dims` with 1s to `rank`. */
export function padShape(dims: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - dims.length).fill(1), ...dims];
}

/** Row-major strides of `dims`, 0 along an axis of size 1 that `out` broadcasts. */
function stridesFor(dims: readonly number[], out: readonly number[]): number[] {
  const st = new Array<number>(dims.length).fill(0);
  let s = 1;
  for (let d = dims.length - 1; d >= 0; d--) {
    st[d] = dims[d] === 1 && out[d] !== 1 ? 0 : s;
    s *= dims[d];
  }
  return st;
}

/** f applied elementwise with ONNX broadcasting. */
export function elementwise(node: GraphNode, a: FTensor, b: FTensor, f: (x: number, y: number) => number): FTensor {
  const out = broadcastShape(node, a.dims, b.dims);
  const sa = stridesFor(padShape(a.dims, out.length), out);
  const sb = stridesFor(padShape(b.dims, out.length), out);
  const n = sizeOf(out);
  const data = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let rem = i;
    let ia = 0;
    let ib = 0;
    for (let d = out.length - 1; d >= 0; d--) {
      const k = rem % out[d];
      rem = Math.floor(rem / out[d]);
      ia += k * sa[d];
      ib += k * sb[d];
    }
    data[i] = f(a.data[ia], b.data[ib]);
  }
  return { dims: out, data };
}

/** f applied to every value. */
export function map(x: FTensor, f: (v: number) => number): FTensor {
  const data = new Float32Array(x.data.length);
  for (let i = 0; i < data.length; i++) data[i] = f(x.data[i]);
  return { dims: x.dims, data };
}
