/**
 * Float reference evaluator for the supported operators: used to calibrate activation ranges and to measure the
 * quantized program's accuracy. It follows ONNX semantics in float64 arithmetic, storing float32 values.
 * (It is a reference only: nothing here runs in the integer execution path.)
 */
import { InvalidInputError, InvalidModelError, ShapeMismatchError, UnsupportedOperatorError } from "../errors";
import {
  type Graph,
  type GraphNode,
  SUPPORTED_OPERATORS,
  type Tensor,
  attrFloat,
  attrInt,
  attrInts,
  sizeOf,
} from "../model/graph";
import { window2d } from "./geometry";

export interface FTensor {
  dims: number[];
  data: Float32Array;
}

function unsupported(node: GraphNode, detail?: string): never {
  throw new UnsupportedOperatorError(node.name, node.opType, SUPPORTED_OPERATORS, detail);
}

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
      throw new ShapeMismatchError(`node '${node.name}' (${node.opType}): shapes [${a.join(", ")}] and [${b.join(", ")}] do not broadcast`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Left-pads `dims` with 1s to `rank`. */
export function padShape(dims: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - dims.length).fill(1), ...dims];
}

function stridesFor(dims: readonly number[], out: readonly number[]): number[] {
  const st = new Array<number>(dims.length).fill(0);
  let s = 1;
  for (let d = dims.length - 1; d >= 0; d--) {
    st[d] = dims[d] === 1 && out[d] !== 1 ? 0 : s;
    s *= dims[d];
  }
  return st;
}

function elementwise(node: GraphNode, a: FTensor, b: FTensor, f: (x: number, y: number) => number): FTensor {
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

function map(x: FTensor, f: (v: number) => number): FTensor {
  const data = new Float32Array(x.data.length);
  for (let i = 0; i < data.length; i++) data[i] = f(x.data[i]);
  return { dims: x.dims, data };
}

/** Resolved bounds of a Clip node (attributes below opset 11, optional inputs from 11). */
export function clipBounds(graph: Graph, node: GraphNode, get: (name: string) => FTensor | undefined): [number, number] {
  if (graph.opsetVersion < 11) return [attrFloat(node, "min", -3.4028234663852886e38), attrFloat(node, "max", 3.4028234663852886e38)];
  const bound = (i: number, fallback: number): number => {
    const name = node.inputs[i];
    if (!name) return fallback;
    const t = graph.initializers.get(name);
    if (!t) unsupported(node, "a non-constant min/max input");
    if (t.data.length !== 1) throw new InvalidModelError(`node '${node.name}' (Clip): min/max must be scalars`);
    void get;
    return Number(t.data[0]);
  };
  return [bound(1, -Infinity), bound(2, Infinity)];
}

/** Softmax axis geometry as [outer, axisSize, inner] (opset < 13 flattens at the axis, as ONNX did then). */
export function softmaxGeometry(graph: Graph, node: GraphNode, dims: readonly number[]): [number, number, number] {
  const rank = dims.length;
  let axis = attrInt(node, "axis", graph.opsetVersion >= 13 ? -1 : 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= Math.max(rank, 1)) throw new InvalidModelError(`node '${node.name}' (Softmax): axis out of range`);
  const outer = sizeOf(dims.slice(0, axis));
  if (graph.opsetVersion < 13) return [outer, sizeOf(dims.slice(axis)), 1];
  return [outer, dims[axis], sizeOf(dims.slice(axis + 1))];
}

/** Shape of a Reshape node's output (0 copies the input dim unless allowzero, -1 is inferred). */
export function reshapeDims(node: GraphNode, inDims: readonly number[], shape: readonly number[]): number[] {
  const allowZero = attrInt(node, "allowzero", 0) === 1;
  const out = shape.map((d, i) => (d === 0 && !allowZero ? inDims[i] : d));
  const inSize = sizeOf(inDims);
  const minus = out.filter((d) => d === -1).length;
  if (minus > 1 || out.some((d) => d === undefined || d < -1)) throw new InvalidModelError(`node '${node.name}' (Reshape): bad shape [${shape.join(", ")}]`);
  if (minus === 1) {
    const known = sizeOf(out.filter((d) => d !== -1));
    if (known === 0 || inSize % known !== 0) throw new ShapeMismatchError(`node '${node.name}' (Reshape): cannot infer -1 in [${shape.join(", ")}] for ${inSize} elements`);
    out[out.indexOf(-1)] = inSize / known;
  }
  if (sizeOf(out) !== inSize) throw new ShapeMismatchError(`node '${node.name}' (Reshape): [${inDims.join(", ")}] cannot become [${out.join(", ")}]`);
  return out;
}

export function flattenDims(node: GraphNode, dims: readonly number[]): number[] {
  let axis = attrInt(node, "axis", 1);
  if (axis < 0) axis += dims.length;
  if (axis < 0 || axis > dims.length) throw new InvalidModelError(`node '${node.name}' (Flatten): axis out of range`);
  return [sizeOf(dims.slice(0, axis)), sizeOf(dims.slice(axis))];
}

export function transposePerm(node: GraphNode, rank: number): number[] {
  const perm = attrInts(node, "perm", [...Array(rank).keys()].reverse());
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    throw new InvalidModelError(`node '${node.name}' (Transpose): perm [${perm.join(", ")}] is not a permutation of rank ${rank}`);
  }
  return [...perm];
}

function transposeF(x: FTensor, perm: number[]): FTensor {
  const rank = x.dims.length;
  const out = perm.map((p) => x.dims[p]);
  const inStr = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStr[d] = s;
    s *= x.dims[d];
  }
  const data = new Float32Array(x.data.length);
  for (let i = 0; i < data.length; i++) {
    let rem = i;
    let src = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const k = rem % out[d];
      rem = Math.floor(rem / out[d]);
      src += k * inStr[perm[d]];
    }
    data[i] = x.data[src];
  }
  return { dims: out, data };
}

function expect4d(node: GraphNode, x: FTensor): [number, number, number, number] {
  if (x.dims.length !== 4) unsupported(node, `a rank-${x.dims.length} input (only NCHW 2-D spatial inputs are supported)`);
  return [x.dims[0], x.dims[1], x.dims[2], x.dims[3]];
}

function convF(node: GraphNode, x: FTensor, w: FTensor, b: FTensor | undefined): FTensor {
  const [n, c, h, wd] = expect4d(node, x);
  if (w.dims.length !== 4) unsupported(node, "non-2-D weights");
  const [m, cg, kh, kw] = w.dims;
  const group = attrInt(node, "group", 1);
  if (group < 1 || c % group !== 0 || m % group !== 0 || cg !== c / group) {
    throw new ShapeMismatchError(`node '${node.name}' (Conv): input channels ${c}, weights [${w.dims.join(", ")}], group ${group} do not fit`);
  }
  const ks = attrInts(node, "kernel_shape", [kh, kw]);
  if (ks[0] !== kh || ks[1] !== kw) throw new ShapeMismatchError(`node '${node.name}' (Conv): kernel_shape differs from the weights`);
  const g = window2d(node, h, wd, [kh, kw], false);
  const [oh, ow] = g.out;
  const mg = m / group;
  const data = new Float32Array(n * m * oh * ow);
  for (let bi = 0; bi < n; bi++)
    for (let o = 0; o < m; o++) {
      const gi = Math.floor(o / mg);
      for (let oy = 0; oy < oh; oy++)
        for (let ox = 0; ox < ow; ox++) {
          let acc = b ? b.data[o] : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let ky = 0; ky < kh; ky++) {
              const iy = oy * g.strides[0] - g.pads[0] + ky * g.dilations[0];
              if (iy < 0 || iy >= h) continue;
              for (let kx = 0; kx < kw; kx++) {
                const ix = ox * g.strides[1] - g.pads[1] + kx * g.dilations[1];
                if (ix < 0 || ix >= wd) continue;
                acc += w.data[((o * cg + ci) * kh + ky) * kw + kx] * x.data[((bi * c + gi * cg + ci) * h + iy) * wd + ix];
              }
            }
          data[((bi * m + o) * oh + oy) * ow + ox] = acc;
        }
    }
  return { dims: [n, m, oh, ow], data };
}

function poolF(node: GraphNode, x: FTensor, kind: "max" | "avg" | "global"): FTensor {
  const [n, c, h, w] = expect4d(node, x);
  const kernel = kind === "global" ? [h, w] : attrInts(node, "kernel_shape", []);
  if (kind === "max" && node.outputs.length > 1 && node.outputs[1]) unsupported(node, "the Indices output");
  if (kind === "max" && attrInt(node, "storage_order", 0) !== 0) unsupported(node, "storage_order 1");
  const g = kind === "global"
    ? { kernel: [h, w], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], out: [1, 1] }
    : window2d(node, h, w, kernel, true);
  const [oh, ow] = g.out;
  const includePad = attrInt(node, "count_include_pad", 0) === 1;
  const data = new Float32Array(n * c * oh * ow);
  for (let p = 0; p < n * c; p++)
    for (let oy = 0; oy < oh; oy++)
      for (let ox = 0; ox < ow; ox++) {
        let best = -Infinity;
        let sum = 0;
        let cnt = 0;
        for (let ky = 0; ky < g.kernel[0]; ky++) {
          const iy = oy * g.strides[0] - g.pads[0] + ky * g.dilations[0];
          for (let kx = 0; kx < g.kernel[1]; kx++) {
            const ix = ox * g.strides[1] - g.pads[1] + kx * g.dilations[1];
            if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
            const v = x.data[(p * h + iy) * w + ix];
            if (v > best) best = v;
            sum += v;
            cnt++;
          }
        }
        let div = cnt;
        if (kind === "avg" && includePad) {
          const y0 = oy * g.strides[0] - g.pads[0];
          const x0 = ox * g.strides[1] - g.pads[1];
          div = (Math.min(y0 + g.kernel[0], h + g.pads[2]) - y0) * (Math.min(x0 + g.kernel[1], w + g.pads[3]) - x0);
        }
        data[(p * oh + oy) * ow + ox] = kind === "max" ? best : div > 0 ? sum / div : 0;
      }
  return { dims: [n, c, oh, ow], data };
}

function gemmF(node: GraphNode, a: FTensor, b: FTensor, c: FTensor | undefined): FTensor {
  const transA = attrInt(node, "transA", 0) === 1;
  const transB = attrInt(node, "transB", 0) === 1;
  const alpha = attrFloat(node, "alpha", 1);
  const beta = attrFloat(node, "beta", 1);
  if (a.dims.length !== 2 || b.dims.length !== 2) throw new ShapeMismatchError(`node '${node.name}' (Gemm): operands must be 2-D, got [${a.dims.join(", ")}] and [${b.dims.join(", ")}]`);
  const [M, K] = transA ? [a.dims[1], a.dims[0]] : [a.dims[0], a.dims[1]];
  const [K2, N] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
  if (K !== K2) throw new ShapeMismatchError(`node '${node.name}' (Gemm): inner dimensions ${K} and ${K2} differ`);
  const out = [M, N];
  const cT = c ? elementwise(node, { dims: out, data: new Float32Array(M * N) }, c, (_z, v) => v) : undefined;
  const data = new Float32Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += (transA ? a.data[k * M + i] : a.data[i * K + k]) * (transB ? b.data[j * K + k] : b.data[k * N + j]);
      data[i * N + j] = alpha * acc + (cT ? beta * cT.data[i * N + j] : 0);
    }
  return { dims: out, data };
}

function matmulF(node: GraphNode, a: FTensor, b: FTensor): FTensor {
  if (b.dims.length !== 2 || a.dims.length < 1) unsupported(node, "a right operand that is not 2-D");
  const K = a.dims[a.dims.length - 1];
  const [K2, N] = b.dims;
  if (K !== K2) throw new ShapeMismatchError(`node '${node.name}' (MatMul): inner dimensions ${K} and ${K2} differ`);
  const rows = a.data.length / K;
  const data = new Float32Array(rows * N);
  for (let r = 0; r < rows; r++)
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++) acc += a.data[r * K + k] * b.data[k * N + j];
      data[r * N + j] = acc;
    }
  return { dims: [...a.dims.slice(0, -1), N], data };
}

function batchNormF(node: GraphNode, x: FTensor, s: FTensor, b: FTensor, mean: FTensor, v: FTensor): FTensor {
  const c = x.dims[1];
  if (x.dims.length < 2 || [s, b, mean, v].some((t) => t.data.length !== c)) {
    throw new ShapeMismatchError(`node '${node.name}' (BatchNormalization): parameters must have ${c} entries`);
  }
  const eps = attrFloat(node, "epsilon", 1e-5);
  const inner = sizeOf(x.dims.slice(2));
  return {
    dims: x.dims,
    data: Float32Array.from(x.data, (val, i) => {
      const ch = Math.floor(i / inner) % c;
      return ((val - mean.data[ch]) / Math.sqrt(v.data[ch] + eps)) * s.data[ch] + b.data[ch];
    }),
  };
}

function softmaxF(graph: Graph, node: GraphNode, x: FTensor): FTensor {
  const [outer, n, inner] = softmaxGeometry(graph, node, x.dims);
  const data = new Float32Array(x.data.length);
  for (let o = 0; o < outer; o++)
    for (let q = 0; q < inner; q++) {
      const base = o * n * inner + q;
      let mx = -Infinity;
      for (let i = 0; i < n; i++) mx = Math.max(mx, x.data[base + i * inner]);
      let sum = 0;
      for (let i = 0; i < n; i++) sum += Math.exp(x.data[base + i * inner] - mx);
      for (let i = 0; i < n; i++) data[base + i * inner] = Math.exp(x.data[base + i * inner] - mx) / sum;
    }
  return { dims: x.dims, data };
}

/** The graph's single runtime input, with symbolic dims (-1) set to 1. */
export function graphInputShape(graph: Graph): number[] {
  if (graph.inputs.length !== 1) throw new InvalidModelError(`the graph has ${graph.inputs.length} runtime inputs; Verity programs take exactly one`);
  if (graph.outputs.length !== 1) throw new InvalidModelError(`the graph has ${graph.outputs.length} outputs; Verity programs produce exactly one`);
  if (graph.inputs[0].dtype !== "float32") throw new InvalidInputError(`the graph input '${graph.inputs[0].name}' is ${graph.inputs[0].dtype}; only float32 inputs are supported`);
  return graph.inputs[0].dims.map((d) => (d < 1 ? 1 : d));
}

/**
 * Evaluates the float graph on one input (row-major, shaped like `graphInputShape`) and returns every tensor
 * by name (initializers included).
 */
export function evaluateFloat(graph: Graph, input: Float32Array): Map<string, FTensor> {
  const inShape = graphInputShape(graph);
  if (!(input instanceof Float32Array)) throw new InvalidInputError("the float input must be a Float32Array");
  if (input.length !== sizeOf(inShape)) {
    throw new ShapeMismatchError(`the input has ${input.length} values, the model expects ${sizeOf(inShape)} (shape [${inShape.join(", ")}])`);
  }
  const env = new Map<string, FTensor>();
  for (const [name, t] of graph.initializers) env.set(name, floatOf(t));
  env.set(graph.inputs[0].name, { dims: inShape, data: input });
  const get = (node: GraphNode, i: number): FTensor => {
    const name = node.inputs[i];
    const t = name ? env.get(name) : undefined;
    if (!t) throw new InvalidModelError(`node '${node.name}' (${node.opType}) reads '${name ?? ""}', which no node or initializer provides`);
    return t;
  };
  const opt = (node: GraphNode, i: number): FTensor | undefined => (node.inputs[i] ? get(node, i) : undefined);
  const consumed = (name: string): boolean =>
    graph.outputs.some((o) => o.name === name) || graph.nodes.some((n) => n.inputs.includes(name));
  for (const node of graph.nodes) {
    let y: FTensor;
    switch (node.opType) {
      case "Gemm":
        y = gemmF(node, get(node, 0), get(node, 1), opt(node, 2));
        break;
      case "MatMul":
        y = matmulF(node, get(node, 0), get(node, 1));
        break;
      case "Add":
        y = elementwise(node, get(node, 0), get(node, 1), (a, b) => a + b);
        break;
      case "Sub":
        y = elementwise(node, get(node, 0), get(node, 1), (a, b) => a - b);
        break;
      case "Mul":
        y = elementwise(node, get(node, 0), get(node, 1), (a, b) => a * b);
        break;
      case "Relu":
        y = map(get(node, 0), (v) => (v > 0 ? v : 0));
        break;
      case "LeakyRelu": {
        const alpha = attrFloat(node, "alpha", 0.01);
        y = map(get(node, 0), (v) => (v >= 0 ? v : alpha * v));
        break;
      }
      case "Sigmoid":
        y = map(get(node, 0), (v) => 1 / (1 + Math.exp(-v)));
        break;
      case "Tanh":
        y = map(get(node, 0), Math.tanh);
        break;
      case "Clip": {
        const [lo, hi] = clipBounds(graph, node, (n) => env.get(n));
        y = map(get(node, 0), (v) => Math.min(Math.max(v, lo), hi));
        break;
      }
      case "Conv":
        y = convF(node, get(node, 0), get(node, 1), opt(node, 2));
        break;
      case "MaxPool":
        y = poolF(node, get(node, 0), "max");
        break;
      case "AveragePool":
        y = poolF(node, get(node, 0), "avg");
        break;
      case "GlobalAveragePool":
        y = poolF(node, get(node, 0), "global");
        break;
      case "BatchNormalization":
        if (node.outputs.slice(1).some((o) => o && consumed(o))) unsupported(node, "training-mode outputs");
        y = batchNormF(node, get(node, 0), get(node, 1), get(node, 2), get(node, 3), get(node, 4));
        break;
      case "Flatten": {
        const x = get(node, 0);
        y = { dims: flattenDims(node, x.dims), data: x.data };
        break;
      }
      case "Reshape": {
        const x = get(node, 0);
        const shapeName = node.inputs[1];
        const shape = shapeName ? graph.initializers.get(shapeName) : undefined;
        if (!shape || shape.dtype !== "int64") unsupported(node, "a shape that is not a constant int64 tensor");
        y = { dims: reshapeDims(node, x.dims, shape.data), data: x.data };
        break;
      }
      case "Transpose": {
        const x = get(node, 0);
        y = transposeF(x, transposePerm(node, x.dims.length));
        break;
      }
      case "Identity":
      case "Dropout":
        if (node.opType === "Dropout" && node.outputs.length > 1 && node.outputs[1] && consumed(node.outputs[1])) unsupported(node, "the mask output");
        y = get(node, 0);
        break;
      case "Softmax":
        y = softmaxF(graph, node, get(node, 0));
        break;
      default:
        unsupported(node);
    }
    if (!node.outputs[0]) throw new InvalidModelError(`node '${node.name}' has no output`);
    env.set(node.outputs[0], y);
  }
  return env;
}

/** Runs the float graph and returns its output tensor. */
export function runFloat(graph: Graph, input: Float32Array): FTensor {
  const env = evaluateFloat(graph, input);
  const out = env.get(graph.outputs[0].name);
  if (!out) throw new InvalidModelError(`no node produces the graph output '${graph.outputs[0].name}'`);
  return out;
}
