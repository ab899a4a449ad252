/**
 * A small exact evaluator of the operators that shape sub-graphs and constant expressions are made of, on constant
 * tensors (int64 values as JS numbers, float32 rounded after each operation): what the importer folds before
 * quantization. It never runs at inference time. Every failure is an UnfoldableNodeError naming the node.
 */
import { UnfoldableNodeError } from "../../errors";
import { attrInt, attrInts, sizeOf, type GraphNode, type Tensor } from "../graph";

type Dtype = Tensor["dtype"];

function fail(node: GraphNode, reason: string): never {
  throw new UnfoldableNodeError(node.name, node.opType, reason);
}

export function makeTensor(dtype: Dtype, dims: readonly number[], data: ArrayLike<number>): Tensor {
  return dtype === "float32"
    ? { dtype, dims: [...dims], data: Float32Array.from(data) }
    : { dtype, dims: [...dims], data: Array.from(data) };
}

function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= dims[i];
  }
  return s;
}

function ints(node: GraphNode, t: Tensor | undefined, what: string): number[] {
  if (!t) return fail(node, `its ${what} input is not a constant`);
  if (t.dtype !== "int64") fail(node, `its ${what} input must be an integer tensor`);
  return [...t.data];
}

function normAxis(node: GraphNode, axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail(node, `axis ${axis} is out of range for rank ${rank}`);
  return a;
}

/** The numpy broadcast of two shapes. */
function broadcast(node: GraphNode, a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    if (x !== y && x !== 1 && y !== 1) fail(node, `shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`);
    out.push(x === 1 ? y : x);
  }
  return out;
}

/** Flat index into a tensor of `dims` for output coordinates `coord` (broadcast: size-1 dims read index 0). */
function broadcastIndex(dims: readonly number[], coord: readonly number[]): number {
  let idx = 0;
  const off = coord.length - dims.length;
  for (let i = 0; i < dims.length; i++) idx = idx * dims[i] + (dims[i] === 1 ? 0 : coord[off + i]);
  return idx;
}

function* coords(dims: readonly number[]): Generator<number[]> {
  const n = sizeOf(dims);
  const c = new Array<number>(dims.length).fill(0);
  for (let k = 0; k < n; k++) {
    yield c;
    for (let i = dims.length - 1; i >= 0; i--) {
      if (++c[i] < dims[i]) break;
      c[i] = 0;
    }
  }
}

function elementwise(node: GraphNode, ts: readonly Tensor[], dtype: Dtype, f: (...v: number[]) => number): Tensor {
  let dims: number[] = [];
  for (const t of ts) dims = broadcast(node, dims, t.dims);
  const out: number[] = [];
  for (const c of coords(dims)) {
    const v = f(...ts.map((t) => Number(t.data[broadcastIndex(t.dims, c)])));
    if (dtype === "int64" && !Number.isSafeInteger(v)) fail(node, `the integer result ${v} is not exact`);
    out.push(dtype === "float32" ? Math.fround(v) : v);
  }
  return makeTensor(dtype, dims, out);
}

const BINARY: Readonly<Record<string, (a: number, b: number, isInt: boolean) => number>> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b, isInt) => (isInt ? Math.trunc(a / b) : a / b),
  Pow: (a, b) => Math.pow(a, b),
  Max: (a, b) => Math.max(a, b),
  Min: (a, b) => Math.min(a, b),
  Mod: (a, b) => a - b * Math.floor(a / b),
};
const COMPARE: Readonly<Record<string, (a: number, b: number) => boolean>> = {
  Equal: (a, b) => a === b,
  Less: (a, b) => a < b,
  Greater: (a, b) => a > b,
  LessOrEqual: (a, b) => a <= b,
  GreaterOrEqual: (a, b) => a >= b,
  And: (a, b) => a !== 0 && b !== 0,
  Or: (a, b) => a !== 0 || b !== 0,
  Xor: (a, b) => (a !== 0) !== (b !== 0),
};
const UNARY: Readonly<Record<string, (a: number) => number>> = {
  Neg: (a) => -a,
  Abs: (a) => Math.abs(a),
  Sqrt: (a) => Math.sqrt(a),
  Exp: (a) => Math.exp(a),
  Reciprocal: (a) => 1 / a,
  Floor: (a) => Math.floor(a),
  Ceil: (a) => Math.ceil(a),
  Not: (a) => (a === 0 ? 1 : 0),
  Sign: (a) => Math.sign(a),
};

/** ONNX TensorProto.DataType codes of Cast's `to`: FLOAT, DOUBLE -> float32; integers and BOOL -> int64. */
const CAST_FLOAT = new Set([1, 11]);
const CAST_INT = new Set([2, 3, 4, 5, 6, 7, 12, 13]);
const CAST_BOOL = 9;

function gather(node: GraphNode, data: Tensor, indices: Tensor): Tensor {
  const axis = normAxis(node, attrInt(node, "axis", 0), data.dims.length);
  const idx = ints(node, indices, "indices");
  const n = data.dims[axis];
  const outer = sizeOf(data.dims.slice(0, axis));
  const inner = sizeOf(data.dims.slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++)
    for (const raw of idx) {
      const i = raw < 0 ? raw + n : raw;
      if (i < 0 || i >= n) fail(node, `index ${raw} is out of range for a dimension of ${n}`);
      for (let k = 0; k < inner; k++) out.push(Number(data.data[(o * n + i) * inner + k]));
    }
  return makeTensor(data.dtype, [...data.dims.slice(0, axis), ...indices.dims, ...data.dims.slice(axis + 1)], out);
}

function slice(node: GraphNode, data: Tensor, ins: readonly (Tensor | undefined)[]): Tensor {
  const rank = data.dims.length;
  const starts = ints(node, ins[1], "starts");
  const ends = ints(node, ins[2], "ends");
  const axes = ins[3] ? ints(node, ins[3], "axes") : starts.map((_, i) => i);
  const steps = ins[4] ? ints(node, ins[4], "steps") : starts.map(() => 1);
  const begin = data.dims.map(() => 0);
  const step = data.dims.map(() => 1);
  const count = [...data.dims];
  axes.forEach((ax, k) => {
    const a = normAxis(node, ax, rank);
    const d = data.dims[a];
    const s = steps[k];
    if (s === 0) fail(node, "a step of 0");
    let b = starts[k] < 0 ? starts[k] + d : starts[k];
    let e = ends[k] < 0 ? ends[k] + d : ends[k];
    if (s > 0) {
      b = Math.min(Math.max(b, 0), d);
      e = Math.min(Math.max(e, 0), d);
      count[a] = Math.max(0, Math.ceil((e - b) / s));
    } else {
      b = Math.min(Math.max(b, -1), d - 1);
      e = Math.min(Math.max(e, -1), d - 1);
      count[a] = Math.max(0, Math.ceil((b - e) / -s));
    }
    begin[a] = b;
    step[a] = s;
  });
  const st = stridesOf(data.dims);
  const out: number[] = [];
  for (const c of coords(count)) {
    let idx = 0;
    for (let i = 0; i < rank; i++) idx += (begin[i] + c[i] * step[i]) * st[i];
    out.push(Number(data.data[idx]));
  }
  return makeTensor(data.dtype, count, out);
}

function transpose(node: GraphNode, x: Tensor): Tensor {
  const rank = x.dims.length;
  const perm = attrInts(
    node,
    "perm",
    x.dims.map((_, i) => rank - 1 - i),
  );
  if (perm.length !== rank || [...perm].sort((a, b) => a - b).some((p, i) => p !== i)) fail(node, "a bad 'perm'");
  const dims = perm.map((p) => x.dims[p]);
  const st = stridesOf(x.dims);
  const out: number[] = [];
  for (const c of coords(dims)) {
    let idx = 0;
    for (let i = 0; i < rank; i++) idx += c[i] * st[perm[i]];
    out.push(Number(x.data[idx]));
  }
  return makeTensor(x.dtype, dims, out);
}

function reshapeDims(
  node: GraphNode,
  inDims: readonly number[],
  shape: readonly number[],
  allowZero: boolean,
): number[] {
  const out = shape.map((d, i) => (d === 0 && !allowZero ? inDims[i] : d));
  const known = sizeOf(out.filter((d) => d !== -1));
  const minus = out.filter((d) => d === -1).length;
  if (minus > 1 || out.some((d) => d === undefined || d < -1)) fail(node, `a bad shape [${shape.join(", ")}]`);
  if (minus === 1) {
    if (known === 0 || sizeOf(inDims) % known !== 0) fail(node, `-1 in [${shape.join(", ")}] cannot be inferred`);
    out[out.indexOf(-1)] = sizeOf(inDims) / known;
  }
  if (sizeOf(out) !== sizeOf(inDims)) fail(node, `[${inDims.join(", ")}] cannot become [${out.join(", ")}]`);
  return out;
}

/** The operators this evaluator folds. */
export const FOLDABLE = new Set<string>([
  ...Object.keys(BINARY),
  ...Object.keys(COMPARE),
  ...Object.keys(UNARY),
  "Shape",
  "Size",
  "ConstantOfShape",
  "Cast",
  "Range",
  "Gather",
  "Unsqueeze",
  "Squeeze",
  "Concat",
  "Slice",
  "Reshape",
  "Flatten",
  "Expand",
  "Where",
  "Transpose",
  "Identity",
]);

/** The operators that need only the shape of their input, not its value. */
export const SHAPE_ONLY = new Set(["Shape", "Size"]);

/** Folds one node. `inputs` are the constant inputs (undefined when absent); `dims` the static input shapes. */
export function evaluateNode(
  node: GraphNode,
  inputs: readonly (Tensor | undefined)[],
  dims: readonly (readonly number[] | undefined)[],
): Tensor {
  const op = node.opType;
  const [a, b] = inputs;
  const need = (t: Tensor | undefined, what: string): Tensor => t ?? fail(node, `its ${what} input is not a constant`);
  if (op === "Shape" || op === "Size") {
    const d = dims[0];
    if (!d) fail(node, `the shape of its input '${node.inputs[0]}' is not known statically`);
    if (op === "Size") return makeTensor("int64", [], [sizeOf(d)]);
    const r = d.length;
    const clampAxis = (v: number) => Math.min(Math.max(v < 0 ? v + r : v, 0), r);
    const s = d.slice(clampAxis(attrInt(node, "start", 0)), clampAxis(attrInt(node, "end", r)));
    return makeTensor("int64", [s.length], s);
  }
  if (BINARY[op]) {
    const x = need(a, "first");
    const y = need(b, "second");
    const isInt = x.dtype === "int64" && y.dtype === "int64";
    if (x.dtype !== y.dtype) fail(node, "its inputs have different element types");
    if (isInt && (op === "Div" || op === "Mod") && y.data.some((v) => Number(v) === 0)) fail(node, "division by 0");
    return elementwise(node, [x, y], x.dtype, (p, q) => BINARY[op](p, q, isInt));
  }
  if (COMPARE[op]) {
    return elementwise(node, [need(a, "first"), need(b, "second")], "int64", (p, q) => (COMPARE[op](p, q) ? 1 : 0));
  }
  if (UNARY[op]) {
    const x = need(a, "first");
    return elementwise(node, [x], op === "Not" ? "int64" : x.dtype, UNARY[op]);
  }
  switch (op) {
    case "Identity":
      return need(a, "first");
    case "ConstantOfShape": {
      const shape = ints(node, a, "shape");
      if (shape.some((d) => d < 0) || sizeOf(shape) > 2 ** 24) fail(node, `a bad shape [${shape.join(", ")}]`);
      const v = node.attributes.value;
      const fill = v && v.kind === "tensor" ? v.value : makeTensor("float32", [1], [0]);
      if (fill.data.length !== 1) fail(node, "its 'value' must hold one element");
      return makeTensor(fill.dtype, shape, new Array<number>(sizeOf(shape)).fill(Number(fill.data[0])));
    }
    case "Cast": {
      const x = need(a, "first");
      const to = attrInt(node, "to", 0);
      const vals = Array.from(x.data, Number);
      if (CAST_FLOAT.has(to)) return makeTensor("float32", x.dims, vals);
      if (CAST_INT.has(to)) return makeTensor("int64", x.dims, vals.map(Math.trunc));
      if (to === CAST_BOOL)
        return makeTensor(
          "int64",
          x.dims,
          vals.map((v) => (v !== 0 ? 1 : 0)),
        );
      return fail(node, `a cast to element type ${to}, which Verity does not represent`);
    }
    case "Range": {
      const [s, l, d] = [0, 1, 2].map((i) => need(inputs[i], ["start", "limit", "delta"][i]));
      const [start, limit, delta] = [s, l, d].map((t) => Number(t.data[0]));
      if (delta === 0) fail(node, "a delta of 0");
      const n = Math.max(Math.ceil((limit - start) / delta), 0);
      if (n > 2 ** 24) fail(node, `${n} elements`);
      return makeTensor(
        s.dtype,
        [n],
        Array.from({ length: n }, (_, i) => start + i * delta),
      );
    }
    case "Gather":
      return gather(node, need(a, "data"), need(b, "indices"));
    case "Unsqueeze": {
      const x = need(a, "data");
      const axes = b ? ints(node, b, "axes") : attrInts(node, "axes", []);
      const r = x.dims.length + axes.length;
      const set = new Set(axes.map((v) => normAxis(node, v, r)));
      if (set.size !== axes.length) fail(node, "repeated axes");
      const out: number[] = [];
      let k = 0;
      for (let i = 0; i < r; i++) out.push(set.has(i) ? 1 : x.dims[k++]);
      return { ...x, dims: out };
    }
    case "Squeeze": {
      const x = need(a, "data");
      const axes = b
        ? ints(node, b, "axes").map((v) => normAxis(node, v, x.dims.length))
        : x.dims.flatMap((d, i) => (d === 1 ? [i] : []));
      if (axes.some((ax) => x.dims[ax] !== 1)) fail(node, "it squeezes a dimension that is not 1");
      return { ...x, dims: x.dims.filter((_, i) => !axes.includes(i)) };
    }
    case "Concat": {
      const ts = inputs.map((t, i) => need(t, `#${i}`));
      if (ts.length === 0) fail(node, "no inputs");
      const rank = ts[0].dims.length;
      const axis = normAxis(node, attrInt(node, "axis", 0), rank);
      const outer = sizeOf(ts[0].dims.slice(0, axis));
      for (const t of ts) {
        if (
          t.dtype !== ts[0].dtype ||
          t.dims.length !== rank ||
          t.dims.some((d, i) => i !== axis && d !== ts[0].dims[i])
        )
          fail(node, "inputs of different shapes or element types");
      }
      const out: number[] = [];
      for (let o = 0; o < outer; o++)
        for (const t of ts) {
          const chunk = sizeOf(t.dims.slice(axis));
          for (let k = 0; k < chunk; k++) out.push(Number(t.data[o * chunk + k]));
        }
      const dims = [...ts[0].dims];
      dims[axis] = ts.reduce((s, t) => s + t.dims[axis], 0);
      return makeTensor(ts[0].dtype, dims, out);
    }
    case "Slice":
      return slice(node, need(a, "data"), inputs);
    case "Reshape": {
      const x = need(a, "data");
      return { ...x, dims: reshapeDims(node, x.dims, ints(node, b, "shape"), attrInt(node, "allowzero", 0) === 1) };
    }
    case "Flatten": {
      const x = need(a, "data");
      const axis = attrInt(node, "axis", 1);
      const ax = axis < 0 ? axis + x.dims.length : axis;
      return { ...x, dims: [sizeOf(x.dims.slice(0, ax)), sizeOf(x.dims.slice(ax))] };
    }
    case "Expand": {
      const x = need(a, "data");
      const shape = ints(node, b, "shape");
      return elementwise(
        node,
        [x, makeTensor(x.dtype, shape, new Array<number>(sizeOf(shape)).fill(0))],
        x.dtype,
        (p) => p,
      );
    }
    case "Where": {
      const [c, x, y] = [0, 1, 2].map((i) => need(inputs[i], ["condition", "X", "Y"][i]));
      if (x.dtype !== y.dtype) fail(node, "X and Y have different element types");
      return elementwise(node, [c, x, y], x.dtype, (p, q, r) => (p !== 0 ? q : r));
    }
    case "Transpose":
      return transpose(node, need(a, "data"));
    default:
      return fail(node, `${op} is not an operator the importer folds`);
  }
}
