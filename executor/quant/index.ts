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
 */
import { InvalidInputError, InvalidModelError, UnsupportedOperatorError } from "../errors";
import { type Graph, type GraphNode, SUPPORTED_OPERATORS, type Tensor, attrFloat, attrInt, sizeOf } from "../model/graph";
import { type Layer, type Program, type QParams, MAX_SHIFT, shapeSize, validateProgram } from "../runtime/program";
import { window2d } from "./geometry";
import {
  type FTensor,
  broadcastShape,
  clipBounds,
  evaluateFloat,
  floatOf,
  graphInputShape,
  padShape,
  softmaxGeometry,
  transposePerm,
} from "./float-eval";

export { evaluateFloat, runFloat, graphInputShape } from "./float-eval";

export interface QuantizeOptions {
  onProgress?: (done: number, total: number) => void;
}

// ---------------------------------------------------------------------------------------------------------------
// Scalar helpers (float arithmetic is fine here: it runs once, at publication; the program is the artifact)
// ---------------------------------------------------------------------------------------------------------------

/** Asymmetric int8 parameters for a calibrated range (widened to include 0). */
export function rangeToQParams(min: number, max: number): QParams {
  const lo = Math.min(min, 0);
  const hi = Math.max(max, 0);
  if (!(hi > lo)) return { scale: 1, zeroPoint: -128 };
  const scale = (hi - lo) / 255;
  const zeroPoint = Math.min(127, Math.max(-128, Math.round(-128 - lo / scale))) | 0; // | 0: never -0
  return { scale, zeroPoint };
}

/** (m, shift) with m * 2^-shift ~ r, m in [2^14, 2^15) unless r < 2^-32 (then shift = 46, m smaller). */
export function quantizeMultiplier(r: number): [number, number] {
  if (!Number.isFinite(r) || r < 0) throw new InvalidModelError(`requantization ratio ${r} is not a finite non-negative number`);
  if (r === 0) return [0, 1];
  let shift = 14 - Math.floor(Math.log2(r));
  let m = Math.round(r * 2 ** shift);
  while (m >= 2 ** 15) m = Math.round(r * 2 ** --shift);
  while (m < 2 ** 14 && shift < MAX_SHIFT) m = Math.round(r * 2 ** ++shift);
  if (shift > MAX_SHIFT) {
    shift = MAX_SHIFT;
    m = Math.round(r * 2 ** MAX_SHIFT);
  }
  if (shift < 1) throw new InvalidModelError(`requantization ratio ${r} is too large (>= 2^14): the tensor ranges are degenerate`);
  return [m, shift];
}

function clampI8(v: number): number {
  return Math.min(127, Math.max(-128, v)) | 0;
}

function clampI32(v: number): number {
  return Math.min(2 ** 31 - 1, Math.max(-(2 ** 31 - 1), v));
}

/** Float input -> S0: q = clamp(zeroPoint + round(x / scale)), Math.round = round half up, in IEEE float64. */
export function quantizeInput(p: Program, x: Float32Array): Int8Array {
  if (!(x instanceof Float32Array)) throw new InvalidInputError("the input must be a Float32Array");
  const n = shapeSize(p.inputShape);
  if (x.length !== n) throw new InvalidInputError(`the input has ${x.length} values, the program expects ${n} (shape [${p.inputShape.join(", ")}])`);
  const q = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) throw new InvalidInputError(`input value ${i} is ${v}; inputs must be finite numbers`);
    q[i] = clampI8(p.input.zeroPoint + Math.round(v / p.input.scale));
  }
  return q;
}

/** S_L -> float output: (q - zeroPoint) * scale. */
export function dequantizeOutput(p: Program, y: Int8Array): Float32Array {
  const n = shapeSize(p.outputShape);
  if (!(y instanceof Int8Array) || y.length !== n) throw new InvalidInputError(`the output must be an Int8Array of ${n} values`);
  return Float32Array.from(y, (q) => (q - p.output.zeroPoint) * p.output.scale);
}

// ---------------------------------------------------------------------------------------------------------------
// Quantizer
// ---------------------------------------------------------------------------------------------------------------

interface Entry {
  id: number;
  q: QParams;
  dims: number[];
}

function unsupported(node: GraphNode, detail?: string): never {
  throw new UnsupportedOperatorError(node.name, node.opType, SUPPORTED_OPERATORS, detail);
}

/** Per-row symmetric int8 quantization of a [rows, rowLen] float matrix. */
function quantizeRows(w: Float64Array, rows: number, rowLen: number): { q: Int8Array; scales: Float64Array } {
  const q = new Int8Array(rows * rowLen);
  const scales = new Float64Array(rows);
  for (let o = 0; o < rows; o++) {
    let maxAbs = 0;
    for (let j = 0; j < rowLen; j++) maxAbs = Math.max(maxAbs, Math.abs(w[o * rowLen + j]));
    const s = maxAbs > 1e-30 ? maxAbs / 127 : 1;
    scales[o] = s;
    for (let j = 0; j < rowLen; j++) q[o * rowLen + j] = Math.max(-127, Math.min(127, Math.round(w[o * rowLen + j] / s)));
  }
  return { q, scales };
}

function checkFinite(node: GraphNode, what: string, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) throw new InvalidModelError(`node '${node.name}' (${node.opType}): ${what} contains ${data[i]}`);
  }
}

export function quantizeGraph(graph: Graph, calibration: Float32Array[], opts: QuantizeOptions = {}): Program {
  if (graph.nodes.length === 0) throw new InvalidModelError("the graph has no nodes: nothing to quantize");
  for (const node of graph.nodes) if (!(SUPPORTED_OPERATORS as readonly string[]).includes(node.opType)) unsupported(node);
  const inShape = graphInputShape(graph);
  const inSize = sizeOf(inShape);
  if (!Array.isArray(calibration) || calibration.length === 0) throw new InvalidInputError("quantization needs at least one calibration input");
  calibration.forEach((x, k) => {
    if (!(x instanceof Float32Array)) throw new InvalidInputError(`calibration input ${k} must be a Float32Array`);
    if (x.length !== inSize) {
      throw new InvalidInputError(`calibration input ${k} has ${x.length} values, the model expects ${inSize} (shape [${inShape.join(", ")}])`);
    }
    for (let i = 0; i < x.length; i++) if (!Number.isFinite(x[i])) throw new InvalidInputError(`calibration input ${k} has a non-finite value at ${i}`);
  });
  for (const [name, t] of graph.initializers) {
    if (t.dtype === "float32") for (const v of t.data) if (!Number.isFinite(v)) throw new InvalidModelError(`initializer '${name}' contains ${v}`);
  }

  // 1. Calibrate: float run on every calibration input, min/max per tensor.
  const ranges = new Map<string, [number, number]>();
  const shapes = new Map<string, number[]>();
  const produced = [graph.inputs[0].name, ...graph.nodes.map((n) => n.outputs[0])];
  calibration.forEach((x, k) => {
    const env = evaluateFloat(graph, x);
    for (const name of produced) {
      const t = env.get(name)!;
      let [lo, hi] = ranges.get(name) ?? [Infinity, -Infinity];
      for (let i = 0; i < t.data.length; i++) {
        const v = t.data[i];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new InvalidModelError(`tensor '${name}' takes non-finite values on calibration input ${k}`);
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
  const constant = (name: string | undefined): Tensor | undefined => (name ? graph.initializers.get(name) : undefined);

  // 3. Lower node by node.
  const entries = new Map<string, Entry>();
  entries.set(graph.inputs[0].name, { id: 0, q: qOf(graph.inputs[0].name), dims: inShape });
  const layers: Layer[] = [];
  const fused = new Set<number>();
  const entry = (node: GraphNode, i: number): Entry => {
    const name = node.inputs[i];
    const e = name ? entries.get(name) : undefined;
    if (!e) {
      if (name && graph.initializers.has(name)) unsupported(node, `a constant tensor '${name}' where a computed input is expected`);
      throw new InvalidModelError(`node '${node.name}' (${node.opType}) reads '${name ?? ""}', which no node provides`);
    }
    return e;
  };
  const emit = (name: string, q: QParams, layer: Omit<Layer, "output" | "outShape">): void => {
    const dims = shapes.get(name)!;
    layers.push({ ...layer, output: layers.length + 1, outShape: [...dims] });
    entries.set(name, { id: layers.length, q, dims: [...dims] });
  };

  graph.nodes.forEach((node, idx) => {
    if (fused.has(idx)) return;
    const out = node.outputs[0];
    switch (node.opType) {
      case "Conv":
      case "Gemm":
      case "MatMul":
        lowerLinear(node);
        return;
      case "Identity":
      case "Dropout":
        entries.set(out, entry(node, 0));
        return;
      case "Flatten":
      case "Reshape": {
        const x = entry(node, 0);
        const dims = shapes.get(out)!;
        if (dims.length === x.dims.length && dims.every((d, k) => d === x.dims[k])) entries.set(out, { ...x, dims });
        else emit(out, x.q, { op: "Reshape", inputs: [x.id], attrs: {} });
        return;
      }
      case "Transpose": {
        const x = entry(node, 0);
        emit(out, x.q, { op: "Transpose", inputs: [x.id], attrs: { perm: transposePerm(node, x.dims.length) } });
        return;
      }
      case "Relu": {
        const x = entry(node, 0);
        emit(out, x.q, { op: "Relu", inputs: [x.id], attrs: { zIn: x.q.zeroPoint } });
        return;
      }
      case "LeakyRelu":
      case "Sigmoid":
      case "Tanh":
      case "Clip": {
        const x = entry(node, 0);
        let f: (v: number) => number;
        let q: QParams;
        if (node.opType === "Sigmoid") {
          f = (v) => 1 / (1 + Math.exp(-v));
          q = { scale: 1 / 256, zeroPoint: -128 };
        } else if (node.opType === "Tanh") {
          f = Math.tanh;
          q = { scale: 1 / 128, zeroPoint: 0 };
        } else if (node.opType === "LeakyRelu") {
          const alpha = attrFloat(node, "alpha", 0.01);
          f = (v) => (v >= 0 ? v : alpha * v);
          q = qOf(out);
        } else {
          const [lo, hi] = clipBounds(graph, node, () => undefined);
          f = (v) => Math.min(Math.max(v, lo), hi);
          q = qOf(out);
        }
        const lut = new Int8Array(256);
        for (let i = 0; i < 256; i++) lut[i] = clampI8(q.zeroPoint + Math.round(f(x.q.scale * (i - 128 - x.q.zeroPoint)) / q.scale));
        emit(out, q, { op: "Lut", inputs: [x.id], attrs: {}, lut });
        return;
      }
      case "MaxPool":
      case "AveragePool":
      case "GlobalAveragePool": {
        const x = entry(node, 0);
        if (x.dims.length !== 4) unsupported(node, `a rank-${x.dims.length} input (only NCHW is supported)`);
        const [, c, h, w] = x.dims;
        const g =
          node.opType === "GlobalAveragePool"
            ? { kernel: [h, w], strides: [1, 1], dilations: [1, 1], pads: [0, 0, 0, 0], out: [1, 1] }
            : window2d(node, h, w, [...((node.attributes.kernel_shape?.value as number[] | undefined) ?? [])], true);
        const attrs: Record<string, number | number[]> = {
          inChw: [c, h, w],
          outHw: [...g.out],
          kernel: [...g.kernel],
          strides: [...g.strides],
          pads: [...g.pads],
        };
        if (node.opType === "MaxPool") {
          attrs.dilations = [...g.dilations];
          emit(out, x.q, { op: "MaxPool", inputs: [x.id], attrs });
        } else {
          attrs.countIncludePad = node.opType === "AveragePool" ? attrInt(node, "count_include_pad", 0) : 0;
          attrs.zIn = x.q.zeroPoint;
          emit(out, x.q, { op: "AveragePool", inputs: [x.id], attrs });
        }
        return;
      }
      case "Add":
      case "Sub":
      case "Mul":
        lowerBinary(node);
        return;
      case "BatchNormalization": {
        const x = entry(node, 0);
        const [scale, beta, mean, variance] = [1, 2, 3, 4].map((i) => constant(node.inputs[i]));
        if (!scale || !beta || !mean || !variance) unsupported(node, "non-constant parameters");
        if (x.dims.length < 2) unsupported(node, "a rank < 2 input");
        const c = x.dims[1];
        const eps = attrFloat(node, "epsilon", 1e-5);
        const f = new Float64Array(c);
        const b = new Float64Array(c);
        for (let ch = 0; ch < c; ch++) {
          f[ch] = Number(scale.data[ch]) / Math.sqrt(Number(variance.data[ch]) + eps);
          b[ch] = Number(beta.data[ch]) - Number(mean.data[ch]) * f[ch];
        }
        checkFinite(node, "folded scale", f);
        const q = qOf(out);
        const { q: wq, scales } = quantizeRows(f, c, 1);
        const bias = new Int32Array(c);
        const mult = new Int32Array(c);
        const shift = new Int32Array(c);
        for (let ch = 0; ch < c; ch++) {
          bias[ch] = clampI32(Math.round(b[ch] / (x.q.scale * scales[ch])));
          [mult[ch], shift[ch]] = quantizeMultiplier((x.q.scale * scales[ch]) / q.scale);
        }
        emit(out, q, {
          op: "Affine",
          inputs: [x.id],
          attrs: { channels: c, inner: sizeOf(x.dims.slice(2)), zIn: x.q.zeroPoint, zOut: q.zeroPoint, clampMin: -128, clampMax: 127 },
          weights: wq,
          bias,
          multiplier: mult,
          shift,
        });
        return;
      }
      case "Softmax": {
        const x = entry(node, 0);
        const [outer, axisSize, inner] = softmaxGeometry(graph, node, x.dims);
        if (axisSize > 1 << 15) unsupported(node, `a softmax axis of ${axisSize} elements (at most 32768)`);
        const table = new Int32Array(256);
        for (let j = 0; j < 256; j++) table[j] = Math.round(65536 * Math.exp(x.q.scale * (j - 255)));
        emit(out, { scale: 1 / 256, zeroPoint: -128 }, { op: "Softmax", inputs: [x.id], attrs: { outer, axisSize, inner }, bias: table });
        return;
      }
      default:
        unsupported(node);
    }
  });

  function lowerLinear(node: GraphNode): void {
    const x = entry(node, 0);
    let rows: number; // output channels
    let rowLen: number;
    let w: Float64Array;
    let b: Float64Array;
    let attrs: Record<string, number | number[]>;
    let channelAxisLast: boolean;
    const outDims0 = shapes.get(node.outputs[0])!;
    if (node.opType === "Conv") {
      const wt = constant(node.inputs[1]);
      if (!wt || wt.dtype !== "float32") unsupported(node, "non-constant weights");
      if (x.dims.length !== 4 || wt.dims.length !== 4) unsupported(node, "a non-2-D convolution (only NCHW inputs with 4-D weights)");
      const [m, cg, kh, kw] = wt.dims;
      const [, c, h, wd] = x.dims;
      const g = window2d(node, h, wd, [kh, kw], false);
      const group = attrInt(node, "group", 1);
      rows = m;
      rowLen = cg * kh * kw;
      w = Float64Array.from(wt.data);
      b = new Float64Array(m);
      const bt = constant(node.inputs[2]);
      if (node.inputs[2] && !bt) unsupported(node, "a non-constant bias");
      if (bt) b.set(floatOf(bt).data);
      attrs = {
        inChw: [c, h, wd],
        outChw: [m, g.out[0], g.out[1]],
        group,
        kernel: [kh, kw],
        strides: [...g.strides],
        pads: [...g.pads],
        dilations: [...g.dilations],
      };
      channelAxisLast = false;
    } else if (node.opType === "Gemm") {
      if (attrInt(node, "transA", 0) === 1) unsupported(node, "transA = 1");
      const bt = constant(node.inputs[1]);
      if (!bt || bt.dtype !== "float32") unsupported(node, "a non-constant B operand");
      const transB = attrInt(node, "transB", 0) === 1;
      const alpha = attrFloat(node, "alpha", 1);
      const beta = attrFloat(node, "beta", 1);
      const [K, N] = transB ? [bt.dims[1], bt.dims[0]] : [bt.dims[0], bt.dims[1]];
      rows = N;
      rowLen = K;
      w = new Float64Array(N * K);
      for (let o = 0; o < N; o++) for (let k = 0; k < K; k++) w[o * K + k] = alpha * (transB ? bt.data[o * K + k] : bt.data[k * N + o]);
      b = new Float64Array(N);
      const ct = constant(node.inputs[2]);
      if (node.inputs[2] && !ct) unsupported(node, "a non-constant C operand");
      if (ct) {
        const cd = floatOf(ct);
        if (cd.data.length === N) for (let o = 0; o < N; o++) b[o] = beta * cd.data[o];
        else if (cd.data.length === 1) b.fill(beta * cd.data[0]);
        else unsupported(node, `a C operand of shape [${cd.dims.join(", ")}] (only per-column or scalar C)`);
      }
      attrs = { k: K, n: N };
      channelAxisLast = true;
    } else {
      const bt = constant(node.inputs[1]);
      if (!bt || bt.dtype !== "float32") unsupported(node, "a non-constant right operand (only activations x constant matrices)");
      if (bt.dims.length !== 2) unsupported(node, `a rank-${bt.dims.length} right operand (only 2-D)`);
      const [K, N] = bt.dims;
      rows = N;
      rowLen = K;
      w = new Float64Array(N * K);
      for (let o = 0; o < N; o++) for (let k = 0; k < K; k++) w[o * K + k] = bt.data[k * N + o];
      b = new Float64Array(N);
      attrs = { k: K, n: N };
      channelAxisLast = true;
    }
    // Fusion chain: [BatchNormalization | Add(const per channel)]* then optionally Relu / Clip.
    let outName = node.outputs[0];
    const outRank = outDims0.length;
    let act: [number, number] | null = null;
    for (;;) {
      const ni = sole(outName);
      if (ni === undefined) break;
      const next = graph.nodes[ni];
      if (next.inputs[0] !== outName && !(next.opType === "Add" && next.inputs[1] === outName)) break;
      if (next.opType === "BatchNormalization" && (channelAxisLast ? outRank === 2 : true)) {
        const ps = [1, 2, 3, 4].map((i) => constant(next.inputs[i]));
        if (ps.some((t) => !t || t.data.length !== rows)) break;
        const [s, be, mu, va] = ps.map((t) => floatOf(t!).data);
        const eps = attrFloat(next, "epsilon", 1e-5);
        for (let o = 0; o < rows; o++) {
          const f = s[o] / Math.sqrt(va[o] + eps);
          for (let j = 0; j < rowLen; j++) w[o * rowLen + j] *= f;
          b[o] = (b[o] - mu[o]) * f + be[o];
        }
      } else if (next.opType === "Add") {
        const other = next.inputs[0] === outName ? next.inputs[1] : next.inputs[0];
        const ct = constant(other);
        if (!ct || ct.dtype !== "float32" || ct.dims.length > outRank) break;
        const pd = padShape(ct.dims, outRank);
        const axis = channelAxisLast ? outRank - 1 : 1;
        if (pd.some((d, k) => d !== 1 && k !== axis) || (pd[axis] !== 1 && pd[axis] !== rows)) break;
        for (let o = 0; o < rows; o++) b[o] += ct.data[pd[axis] === 1 ? 0 : o];
      } else if (next.opType === "Relu") {
        act = [0, Infinity];
      } else if (next.opType === "Clip") {
        act = clipBounds(graph, next, () => undefined);
      } else break;
      fused.add(ni);
      outName = next.outputs[0];
      if (act) break;
    }
    checkFinite(node, "folded weights", w);
    checkFinite(node, "folded bias", b);
    const q = qOf(outName);
    const { q: wq, scales } = quantizeRows(w, rows, rowLen);
    const bias = new Int32Array(rows);
    const mult = new Int32Array(rows);
    const shift = new Int32Array(rows);
    for (let o = 0; o < rows; o++) {
      bias[o] = clampI32(Math.round(b[o] / (x.q.scale * scales[o])));
      [mult[o], shift[o]] = quantizeMultiplier((x.q.scale * scales[o]) / q.scale);
    }
    let clampMin = -128;
    let clampMax = 127;
    if (act) {
      const [lo, hi] = act;
      if (lo > -Infinity) clampMin = clampI8(q.zeroPoint + Math.round(lo / q.scale));
      if (hi < Infinity) clampMax = clampI8(q.zeroPoint + Math.round(hi / q.scale));
      if (clampMin > clampMax) clampMin = clampMax;
    }
    Object.assign(attrs, { zIn: x.q.zeroPoint, zOut: q.zeroPoint, clampMin, clampMax });
    emit(outName, q, {
      op: node.opType === "Conv" ? "Conv" : "Gemm",
      inputs: [x.id],
      attrs,
      weights: wq,
      bias,
      multiplier: mult,
      shift,
    });
  }

  function lowerBinary(node: GraphNode): void {
    const out = node.outputs[0];
    const dims = shapes.get(out)!;
    const ca = constant(node.inputs[0]);
    const cb = constant(node.inputs[1]);
    if (ca && cb) unsupported(node, "two constant operands (fold them before export)");
    const q = qOf(out);
    const shapeA = ca ? [...ca.dims] : entry(node, 0).dims;
    const shapeB = cb ? [...cb.dims] : entry(node, 1).dims;
    broadcastShape(node, shapeA, shapeB);
    const attrs: Record<string, number | number[]> = {
      aShape: padShape(shapeA, dims.length),
      bShape: padShape(shapeB, dims.length),
      zOut: q.zeroPoint,
    };
    let qa: QParams;
    let qb: QParams;
    let inputs: number[];
    let weights: Int8Array | undefined;
    const c = ca ?? cb;
    if (c) {
      if (c.dtype !== "float32") unsupported(node, "an int64 constant operand");
      const { q: cq, scales } = quantizeRows(Float64Array.from(c.data), 1, c.data.length);
      weights = cq;
      const cQ: QParams = { scale: scales[0], zeroPoint: 0 };
      const x = entry(node, ca ? 1 : 0);
      inputs = [x.id];
      [qa, qb] = ca ? [cQ, x.q] : [x.q, cQ];
      attrs.constSide = ca ? 0 : 1;
    } else {
      const a = entry(node, 0);
      const bb = entry(node, 1);
      inputs = [a.id, bb.id];
      [qa, qb] = [a.q, bb.q];
    }
    attrs.zA = qa.zeroPoint;
    attrs.zB = qb.zeroPoint;
    let multiplier: Int32Array;
    let shift: Int32Array;
    if (node.opType === "Mul") {
      const [m, s] = quantizeMultiplier((qa.scale * qb.scale) / q.scale);
      multiplier = Int32Array.of(m);
      shift = Int32Array.of(s);
    } else {
      const ra = qa.scale / q.scale;
      const rb = qb.scale / q.scale;
      let [, s] = quantizeMultiplier(Math.max(ra, rb));
      let ma = Math.round(ra * 2 ** s);
      let mb = Math.round(rb * 2 ** s);
      while (Math.max(ma, mb) >= 2 ** 15) {
        s--;
        ma = Math.round(ra * 2 ** s);
        mb = Math.round(rb * 2 ** s);
      }
      if (s < 1) throw new InvalidModelError(`node '${node.name}' (${node.opType}): operand scales are degenerate`);
      multiplier = Int32Array.of(ma, mb);
      shift = Int32Array.of(s);
    }
    emit(out, q, { op: node.opType, inputs, attrs, weights, multiplier, shift });
    if (!weights) delete layers[layers.length - 1].weights;
  }

  // 4. The output must be the last layer's tensor.
  const final = entries.get(outputName);
  if (!final) throw new InvalidModelError(`no node produces the graph output '${outputName}'`);
  if (final.id !== layers.length) {
    throw new InvalidModelError(`the graph output '${outputName}' is not produced by the last operator (dead nodes after it?)`);
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
  validateProgram(program);
  return program;
}

export type { FTensor };
