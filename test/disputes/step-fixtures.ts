/**
 * Random small integer programs, one family per operator, for differential fuzzing of the Solidity one-step
 * verifier against the TypeScript runtime. Every generated program passes `validateProgram`.
 */
import { type Layer, type Program, shapeSize } from "../../executor/runtime/program";

/** mulberry32: a small deterministic PRNG, so a failing case can be replayed from its seed. */
export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** Uniform integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bool(): boolean {
    return this.next() < 0.5;
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(0, xs.length - 1)];
  }
  int8s(n: number, lo = -128, hi = 127): Int8Array {
    const a = new Int8Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(lo, hi);
    return a;
  }
  int32s(n: number, lo: number, hi: number): Int32Array {
    const a = new Int32Array(n);
    for (let i = 0; i < n; i++) a[i] = this.int(lo, hi);
    return a;
  }
  shape(rankLo: number, rankHi: number, dimHi: number): number[] {
    const r = this.int(rankLo, rankHi);
    return Array.from({ length: r }, () => this.int(1, dimHi));
  }
}

export function program(inputShape: number[], layers: Layer[]): Program {
  return {
    name: "fuzz",
    version: 1,
    inputShape,
    outputShape: layers[layers.length - 1].outShape,
    input: { scale: 1, zeroPoint: 0 },
    output: { scale: 1, zeroPoint: 0 },
    layers,
  };
}

/** A shift that keeps typical outputs of an accumulator over `terms` products inside int8, or now and then any. */
function shiftFor(r: Rng, base: number): number {
  if (r.int(0, 7) === 0) return r.int(1, 46);
  return Math.max(1, Math.min(46, Math.round(base) + r.int(-3, 3)));
}

function multipliers(r: Rng, n: number): Int32Array {
  return Int32Array.from({ length: n }, () =>
    r.int(0, 9) === 0 ? r.int(0, (1 << 15) - 1) : r.int(1 << 14, (1 << 15) - 1),
  );
}

function requant(r: Rng, channels: number, base: number): { multiplier: Int32Array; shift: Int32Array } {
  const n = r.bool() ? channels : 1;
  return { multiplier: multipliers(r, n), shift: Int32Array.from({ length: n }, () => shiftFor(r, base)) };
}

function zeroClamp(r: Rng): Record<string, number> {
  let lo = -128;
  let hi = 127;
  if (r.bool()) {
    lo = r.int(-128, 127);
    hi = r.int(lo, 127);
  }
  return { zIn: r.int(-128, 127), zOut: r.int(-128, 127), clampMin: lo, clampMax: hi };
}

function log2(n: number): number {
  return Math.round(Math.log2(Math.max(n, 1)));
}

export function gemmProgram(r: Rng): Program {
  const k = r.int(1, 48);
  const n = r.int(1, 6);
  const rows = r.int(1, 3);
  return program(
    [rows, k],
    [
      {
        op: "Gemm",
        inputs: [0],
        output: 1,
        outShape: [rows, n],
        attrs: { k, n, ...zeroClamp(r) },
        weights: r.int8s(n * k, -127, 127),
        bias: r.int32s(n, -(1 << 16), 1 << 16),
        ...requant(r, n, 22 + log2(k) / 2),
      },
    ],
  );
}

export function convProgram(r: Rng): Program {
  for (;;) {
    const kind = r.int(0, 2);
    const group = kind === 0 ? 1 : kind === 1 ? 2 : r.int(1, 4);
    const c = kind === 2 ? group : group * r.int(1, 3);
    const m = kind === 2 ? group : group * r.int(1, 3);
    const [h, w] = [r.int(1, 7), r.int(1, 7)];
    const kernel = [r.int(1, 3), r.int(1, 3)];
    const strides = [r.int(1, 2), r.int(1, 2)];
    const dilations = [r.int(1, 2), r.int(1, 2)];
    const pads = [r.int(0, 2), r.int(0, 2), r.int(0, 2), r.int(0, 2)];
    const spanH = h + pads[0] + pads[2] - ((kernel[0] - 1) * dilations[0] + 1);
    const spanW = w + pads[1] + pads[3] - ((kernel[1] - 1) * dilations[1] + 1);
    if (spanH < 0 || spanW < 0) continue;
    const oh = Math.floor(spanH / strides[0]) + 1;
    const ow = Math.floor(spanW / strides[1]) + 1;
    const batch = r.int(1, 2);
    const rowLen = (c / group) * kernel[0] * kernel[1];
    // a 1-D Conv: [N, C, L] tensors read as planes of height 1
    const oneD = h === 1 && oh === 1 && r.bool();
    return program(oneD ? [batch, c, w] : [batch, c, h, w], [
      {
        op: "Conv",
        inputs: [0],
        output: 1,
        outShape: oneD ? [batch, m, ow] : [batch, m, oh, ow],
        attrs: { inChw: [c, h, w], outChw: [m, oh, ow], group, kernel, strides, pads, dilations, ...zeroClamp(r) },
        weights: r.int8s(m * rowLen, -127, 127),
        bias: r.int32s(m, -(1 << 16), 1 << 16),
        ...requant(r, m, 22 + log2(rowLen) / 2),
      },
    ]);
  }
}

export function poolProgram(r: Rng, op: "MaxPool" | "AveragePool"): Program {
  for (;;) {
    const c = r.int(1, 3);
    const [h, w] = [r.int(1, 7), r.int(1, 7)];
    const global = op === "AveragePool" && r.int(0, 4) === 0;
    const kernel = global ? [h, w] : [r.int(1, 3), r.int(1, 3)];
    const strides = global ? [1, 1] : [r.int(1, 3), r.int(1, 3)];
    const pads = global ? [0, 0, 0, 0] : [r.int(0, 2), r.int(0, 2), r.int(0, 2), r.int(0, 2)];
    const dilations = op === "MaxPool" ? [r.int(1, 2), r.int(1, 2)] : [1, 1];
    const spanH = h + pads[0] + pads[2] - ((kernel[0] - 1) * dilations[0] + 1);
    const spanW = w + pads[1] + pads[3] - ((kernel[1] - 1) * dilations[1] + 1);
    if (spanH < 0 || spanW < 0) continue;
    const ceil = r.bool();
    const out = (span: number, s: number): number => (ceil ? Math.ceil(span / s) : Math.floor(span / s)) + 1;
    const oh = out(spanH, strides[0]);
    const ow = out(spanW, strides[1]);
    const batch = r.int(1, 2);
    const attrs: Record<string, number | number[]> = { inChw: [c, h, w], outHw: [oh, ow], kernel, strides, pads };
    if (op === "MaxPool") attrs.dilations = dilations;
    else {
      attrs.countIncludePad = r.int(0, 1);
      attrs.zIn = r.int(-128, 127);
    }
    // a 1-D pool: [N, C, L] tensors read as planes of height 1
    const oneD = h === 1 && oh === 1 && r.bool();
    const [inS, outS] = oneD
      ? [
          [batch, c, w],
          [batch, c, ow],
        ]
      : [
          [batch, c, h, w],
          [batch, c, oh, ow],
        ];
    return program(inS, [{ op, inputs: [0], output: 1, outShape: outS, attrs }]);
  }
}

function binaryParams(r: Rng, op: "Add" | "Sub" | "Mul"): Pick<Layer, "multiplier" | "shift"> {
  return op === "Mul"
    ? { multiplier: multipliers(r, 1), shift: Int32Array.of(shiftFor(r, 24)) }
    : { multiplier: multipliers(r, 2), shift: Int32Array.of(shiftFor(r, 16)) };
}

function broadcastShapes(r: Rng): { out: number[]; a: number[]; b: number[] } {
  const out = r.shape(1, 4, 4);
  const a = out.map((d) => (r.int(0, 2) === 0 ? 1 : d));
  const b = out.map((d) => (r.int(0, 2) === 0 ? 1 : d));
  return { out, a, b };
}

/**
 * Two dynamic operands: tensor 0 (the input) and tensor 2 = Reshape(Gemm(input)), in either order, so the state
 * before the binary layer holds two tensors and the steps before it carry tensor 0 over (descriptor copies).
 */
export function binaryProgram(r: Rng, op: "Add" | "Sub" | "Mul"): Program {
  const { out, a, b } = broadcastShapes(r);
  const inputFirst = r.bool();
  const sx = inputFirst ? a : b;
  const sy = inputFirst ? b : a;
  const k = shapeSize(sx);
  const n = shapeSize(sy);
  return program(sx, [
    {
      op: "Gemm",
      inputs: [0],
      output: 1,
      outShape: [1, n],
      attrs: { k, n, zIn: r.int(-128, 127), zOut: r.int(-128, 127), clampMin: -128, clampMax: 127 },
      weights: r.int8s(n * k, -127, 127),
      bias: r.int32s(n, -(1 << 12), 1 << 12),
      multiplier: multipliers(r, 1),
      shift: Int32Array.of(22 + Math.round(log2(k) / 2)),
    },
    { op: "Reshape", inputs: [1], output: 2, outShape: sy, attrs: {} },
    {
      op,
      inputs: inputFirst ? [0, 2] : [2, 0],
      output: 3,
      outShape: out,
      attrs: { aShape: a, bShape: b, zA: r.int(-128, 127), zB: r.int(-128, 127), zOut: r.int(-128, 127) },
      ...binaryParams(r, op),
    },
  ]);
}

/** One dynamic operand and a constant one (the layer's weights) on side constSide. */
export function binaryConstProgram(r: Rng, op: "Add" | "Sub" | "Mul"): Program {
  const { out, a, b } = broadcastShapes(r);
  const constSide = r.int(0, 1);
  const zA = constSide === 0 ? 0 : r.int(-128, 127);
  const zB = constSide === 1 ? 0 : r.int(-128, 127);
  return program(constSide === 0 ? b : a, [
    {
      op,
      inputs: [0],
      output: 1,
      outShape: out,
      attrs: { aShape: a, bShape: b, constSide, zA, zB, zOut: r.int(-128, 127) },
      weights: r.int8s(shapeSize(constSide === 0 ? a : b), -127, 127),
      ...binaryParams(r, op),
    },
  ]);
}

export function reluProgram(r: Rng): Program {
  const s = r.shape(1, 4, 5);
  return program(s, [{ op: "Relu", inputs: [0], output: 1, outShape: s, attrs: { zIn: r.int(-128, 127) } }]);
}

export function lutProgram(r: Rng): Program {
  const s = r.shape(1, 4, 5);
  return program(s, [{ op: "Lut", inputs: [0], output: 1, outShape: s, attrs: {}, lut: r.int8s(256) }]);
}

export function affineProgram(r: Rng): Program {
  const c = r.int(1, 4);
  const s = [r.int(1, 2), c, ...r.shape(0, 2, 4)];
  const inner = shapeSize(s.slice(2));
  return program(s, [
    {
      op: "Affine",
      inputs: [0],
      output: 1,
      outShape: s,
      attrs: { channels: c, inner, ...zeroClamp(r) },
      weights: r.int8s(c, -127, 127),
      bias: r.int32s(c, -(1 << 12), 1 << 12),
      ...requant(r, c, 23),
    },
  ]);
}

export function softmaxProgram(r: Rng): Program {
  const [outer, axis, inner] = [r.int(1, 3), r.int(1, 12), r.int(1, 3)];
  const scale = 0.005 + r.next() * 0.3;
  const table = Int32Array.from({ length: 256 }, (_, j) => Math.round(65536 * Math.exp(scale * (j - 255))));
  table[255] = 1 << 16;
  return program(
    [outer, axis, inner],
    [
      {
        op: "Softmax",
        inputs: [0],
        output: 1,
        outShape: [outer, axis, inner],
        attrs: { outer, axisSize: axis, inner },
        bias: table,
      },
    ],
  );
}

export function reshapeProgram(r: Rng): Program {
  const s = r.shape(1, 4, 5);
  const out = r.bool() ? [shapeSize(s)] : [...s].reverse();
  return program(s, [{ op: "Reshape", inputs: [0], output: 1, outShape: out, attrs: {} }]);
}

export function transposeProgram(r: Rng): Program {
  const s = r.shape(1, 5, 4);
  const perm = s.map((_, i) => i);
  for (let i = perm.length - 1; i > 0; i--) {
    const j = r.int(0, i);
    [perm[i], perm[j]] = [perm[j], perm[i]];
  }
  return program(s, [{ op: "Transpose", inputs: [0], output: 1, outShape: perm.map((p) => s[p]), attrs: { perm } }]);
}

/** Operator name -> generator of random programs whose last layer is that operator. */
export const GENERATORS: Record<string, (r: Rng) => Program> = {
  Gemm: gemmProgram,
  Conv: convProgram,
  MaxPool: (r) => poolProgram(r, "MaxPool"),
  AveragePool: (r) => poolProgram(r, "AveragePool"),
  Add: (r) => (r.bool() ? binaryProgram(r, "Add") : binaryConstProgram(r, "Add")),
  Sub: (r) => (r.bool() ? binaryProgram(r, "Sub") : binaryConstProgram(r, "Sub")),
  Mul: (r) => (r.bool() ? binaryProgram(r, "Mul") : binaryConstProgram(r, "Mul")),
  Relu: reluProgram,
  Lut: lutProgram,
  Affine: affineProgram,
  Softmax: softmaxProgram,
  Reshape: reshapeProgram,
  Transpose: transposeProgram,
  // ops-math (the MathKernels set)
  ReduceSum: (r) => reduceProgram(r, "ReduceSum"),
  ReduceMax: (r) => reduceProgram(r, "ReduceMax"),
  Norm: normProgram,
  Div: divProgram,
  ChannelLut: channelLutProgram,
  LogSoftmax: logSoftmaxProgram,
};

// ---- ops-math: reductions, normalizations, division, per-channel tables, LogSoftmax ----

/** A reduction along the middle axis of [outer, n, inner]; the input sometimes follows a Lut (two tensors live). */
export function reduceProgram(r: Rng, op: "ReduceSum" | "ReduceMax"): Program {
  const [outer, n, inner] = [r.int(1, 3), r.int(1, 40), r.pick([1, 1, 2, 3])];
  const attrs: Record<string, number> = { outer, axisSize: n, inner };
  const extra: Partial<Layer> = {};
  if (op === "ReduceSum") {
    attrs.zIn = r.int(-128, 127);
    attrs.zOut = r.int(-128, 127);
    extra.multiplier = multipliers(r, 1);
    extra.shift = Int32Array.of(shiftFor(r, 15 + log2(n)));
  }
  return program([outer, n, inner], [{ op, inputs: [0], output: 1, outShape: [outer, 1, inner], attrs, ...extra }]);
}

/** Norm as LayerNorm (wDiv 1, wMod n) or InstanceNorm (wDiv n, wMod channels). */
export function normProgram(r: Rng): Program {
  const n = r.int(1, 40);
  const layerNorm = r.bool();
  const channels = r.int(1, 3);
  const batch = r.int(1, 2);
  const shape = layerNorm ? [batch * channels, n] : [batch, channels, n];
  const wMod = layerNorm ? n : channels;
  const epsQ = r.pick([0, 1, r.int(0, n * 2 ** 16)]);
  return program(shape, [
    {
      op: "Norm",
      inputs: [0],
      output: 1,
      outShape: shape,
      attrs: { axisSize: n, wDiv: layerNorm ? 1 : n, wMod, epsQ, zIn: r.int(-128, 127), zOut: r.int(-128, 127) },
      weights: r.int8s(wMod, -127, 127),
      bias: r.int32s(wMod, -(1 << 20), 1 << 20),
      multiplier: multipliers(r, 1),
      shift: Int32Array.of(shiftFor(r, 25)),
    },
  ]);
}

/** Div of two computed operands (tensor 0 and a reshaped Gemm of it, either order) or of one and a constant. */
export function divProgram(r: Rng): Program {
  const base = r.bool() ? binaryProgram(r, "Mul") : binaryConstProgram(r, "Mul");
  const last = base.layers[base.layers.length - 1];
  // zero divisors now and then: b - zB = 0 takes the saturating branch
  last.attrs.zB = r.int(0, 3) === 0 ? 0 : (last.attrs.zB as number);
  last.op = "Div";
  last.multiplier = multipliers(r, 1);
  last.shift = Int32Array.of(r.int(1, 24));
  return base;
}

export function channelLutProgram(r: Rng): Program {
  const channels = r.int(1, 4);
  const inner = r.int(1, 5);
  const s = [r.int(1, 2), channels, inner];
  return program(s, [
    {
      op: "ChannelLut",
      inputs: [0],
      output: 1,
      outShape: s,
      attrs: { channels, inner },
      weights: r.int8s(256 * channels),
    },
  ]);
}

export function logSoftmaxProgram(r: Rng): Program {
  const p = softmaxProgram(r);
  const l = p.layers[0];
  l.op = "LogSoftmax";
  l.attrs.zOut = r.int(-128, 127);
  l.multiplier = multipliers(r, 2);
  l.shift = Int32Array.of(r.int(1, 30));
  return p;
}

/** The ops-math ops among GENERATORS (served by the MathKernels set). */
export const MATH_OPS: readonly string[] = ["ReduceSum", "ReduceMax", "Norm", "Div", "ChannelLut", "LogSoftmax"];

// ops-spatial

/** Operand shapes of a random MatMul: rank 2..4, batch axes broadcast (either side may be 1). */
function matmulShapes(r: Rng): { a: number[]; b: number[]; out: number[] } {
  const rank = r.int(2, 4);
  const [m, k, n] = [r.int(1, 4), r.int(1, 40), r.int(1, 5)];
  const a: number[] = [];
  const b: number[] = [];
  for (let d = 0; d < rank - 2; d++) {
    const size = r.int(1, 3);
    a.push(r.int(0, 2) === 0 ? 1 : size);
    b.push(r.int(0, 2) === 0 ? 1 : size);
  }
  const out = a.map((da, d) => Math.max(da, b[d]));
  return { a: [...a, m, k], b: [...b, k, n], out: [...out, m, n] };
}

function matmulRequant(r: Rng, k: number): Pick<Layer, "multiplier" | "shift"> {
  return { multiplier: multipliers(r, 1), shift: Int32Array.of(shiftFor(r, 23 + log2(k) / 2)) };
}

/**
 * MatMul of two computed operands (tensor 0, the input, and tensor 2 = Reshape(Gemm(input)), in either order), or
 * of the input by a constant operand on side constSide (the layer's weights).
 */
export function matmulProgram(r: Rng): Program {
  const { a, b, out } = matmulShapes(r);
  const k = a[a.length - 1];
  const zOut = r.int(-128, 127);
  if (r.int(0, 2) === 0) {
    const constSide = r.int(0, 1);
    return program(constSide === 0 ? b : a, [
      {
        op: "MatMul",
        inputs: [0],
        output: 1,
        outShape: out,
        attrs: {
          aShape: a,
          bShape: b,
          constSide,
          zA: constSide === 0 ? 0 : r.int(-128, 127),
          zB: constSide === 1 ? 0 : r.int(-128, 127),
          zOut,
        },
        weights: r.int8s(shapeSize(constSide === 0 ? a : b), -127, 127),
        ...matmulRequant(r, k),
      },
    ]);
  }
  const inputFirst = r.bool();
  const sx = inputFirst ? a : b;
  const sy = inputFirst ? b : a;
  const kx = shapeSize(sx);
  const ny = shapeSize(sy);
  return program(sx, [
    {
      op: "Gemm",
      inputs: [0],
      output: 1,
      outShape: [1, ny],
      attrs: { k: kx, n: ny, zIn: r.int(-128, 127), zOut: r.int(-128, 127), clampMin: -128, clampMax: 127 },
      weights: r.int8s(ny * kx, -127, 127),
      bias: r.int32s(ny, -(1 << 12), 1 << 12),
      multiplier: multipliers(r, 1),
      shift: Int32Array.of(22 + Math.round(log2(kx) / 2)),
    },
    { op: "Reshape", inputs: [1], output: 2, outShape: sy, attrs: {} },
    {
      op: "MatMul",
      inputs: inputFirst ? [0, 2] : [2, 0],
      output: 3,
      outShape: out,
      attrs: { aShape: a, bShape: b, zA: r.int(-128, 127), zB: r.int(-128, 127), zOut },
      ...matmulRequant(r, k),
    },
  ]);
}

GENERATORS.MatMul = matmulProgram;

/** ConvTranspose 2-D (or 1-D: an [N, C, L] tensor as a plane of height 1) with random geometry. */
export function convTransposeProgram(r: Rng): Program {
  const kind = r.int(0, 2);
  const group = kind === 0 ? 1 : kind === 1 ? 2 : r.int(1, 3);
  const c = group * r.int(1, 2);
  const m = group * r.int(1, 2);
  const oneD = r.int(0, 3) === 0;
  const [h, w] = [oneD ? 1 : r.int(1, 5), r.int(1, 5)];
  const kernel = [oneD ? 1 : r.int(1, 3), r.int(1, 3)];
  const strides = [oneD ? 1 : r.int(1, 3), r.int(1, 3)];
  const dilations = [oneD ? 1 : r.int(1, 2), r.int(1, 2)];
  const axis = (size: number, k: number, s: number, d: number): [number, number, number] => {
    const full = s * (size - 1) + (k - 1) * d + 1;
    const pb = r.int(0, Math.min(2, full - 1));
    const pe = r.int(0, Math.min(2, full - 1 - pb));
    const extra = r.int(0, Math.max(s, d) - 1);
    return [pb, pe, full - pb - pe + extra];
  };
  const [pt, pb, oh] = oneD ? [0, 0, 1] : axis(h, kernel[0], strides[0], dilations[0]);
  const [pl, pr, ow] = axis(w, kernel[1], strides[1], dilations[1]);
  const batch = r.int(1, 2);
  const rowLen = (c / group) * kernel[0] * kernel[1];
  return program(oneD ? [batch, c, w] : [batch, c, h, w], [
    {
      op: "ConvTranspose",
      inputs: [0],
      output: 1,
      outShape: oneD ? [batch, m, ow] : [batch, m, oh, ow],
      attrs: {
        inChw: [c, h, w],
        outChw: [m, oh, ow],
        group,
        kernel,
        strides,
        pads: [pt, pl, pb, pr],
        dilations,
        ...zeroClamp(r),
      },
      weights: r.int8s(m * rowLen, -127, 127),
      bias: r.int32s(m, -(1 << 16), 1 << 16),
      ...requant(r, m, 22 + log2(rowLen) / 2),
    },
  ]);
}

GENERATORS.ConvTranspose = convTransposeProgram;

// -- data movement (NUMERICS §26) --

export function sliceProgram(r: Rng): Program {
  const s = r.shape(1, 4, 6);
  const starts: number[] = [];
  const steps: number[] = [];
  const out = s.map((n) => {
    const step = r.pick([-3, -2, -1, 1, 1, 2, 3]);
    const start = r.int(0, n - 1);
    const room = step > 0 ? Math.floor((n - 1 - start) / step) + 1 : Math.floor(start / -step) + 1;
    starts.push(start);
    steps.push(step);
    return r.int(1, room);
  });
  return program(s, [{ op: "Slice", inputs: [0], output: 1, outShape: out, attrs: { starts, steps } }]);
}

export function padProgram(r: Rng): Program {
  const s = r.shape(1, 4, 5);
  const mode = r.int(0, 3);
  const rank = s.length;
  const pads = new Array<number>(2 * rank).fill(0);
  s.forEach((n, d) => {
    const hi = mode === 1 ? n - 1 : 3;
    pads[d] = r.int(-Math.min(1, n - 1), hi);
    pads[rank + d] = r.int(-Math.max(0, Math.min(1, n - 1 + pads[d] - 1)), hi);
  });
  const out = s.map((n, d) => n + pads[d] + pads[rank + d]);
  return program(s, [
    { op: "Pad", inputs: [0], output: 1, outShape: out, attrs: { pads, mode, value: r.int(-128, 127) } },
  ]);
}

export function tileProgram(r: Rng): Program {
  const s = r.shape(1, 3, 4);
  const lead = Array.from({ length: r.int(0, 2) }, () => r.int(1, 3));
  const out = [...lead, ...s.map((n) => (n === 1 && r.bool() ? r.int(1, 4) : n * r.int(1, 3)))];
  return program(s, [{ op: "Tile", inputs: [0], output: 1, outShape: out, attrs: {} }]);
}

/** Tensor 0 and N - 1 slices of it along `axis` (each its own tensor of S_k), concatenated in a random order. */
export function concatProgram(r: Rng): Program {
  const s = r.shape(1, 4, 4);
  const axis = r.int(0, s.length - 1);
  const layers: Layer[] = [];
  const pieces = r.int(0, 3);
  for (let k = 0; k < pieces; k++) {
    const n = s[axis];
    const start = r.int(0, n - 1);
    const outShape = [...s];
    outShape[axis] = r.int(1, n - start);
    const starts = s.map((_, d) => (d === axis ? start : 0));
    layers.push({
      op: "Slice",
      inputs: [0],
      output: k + 1,
      outShape,
      attrs: { starts, steps: s.map(() => 1) },
    });
  }
  const ids = Array.from({ length: r.int(Math.max(1, pieces), pieces + 2) }, () => r.int(0, pieces));
  const out = [...s];
  out[axis] = ids.reduce((a, t) => a + (t === 0 ? s : layers[t - 1].outShape)[axis], 0);
  layers.push({
    op: "Concat",
    inputs: ids,
    output: pieces + 1,
    outShape: out,
    attrs: { axis, zIn: ids.map(() => r.int(-128, 127)), zOut: r.int(-128, 127) },
    multiplier: multipliers(r, ids.length),
    shift: Int32Array.from(ids, () => shiftFor(r, 14)),
  });
  return program(s, layers);
}

export function gatherProgram(r: Rng): Program {
  const s = r.shape(1, 4, 5);
  const axis = r.int(0, s.length - 1);
  const idxDims = r.shape(0, 2, 3);
  const indices = Array.from({ length: shapeSize(idxDims) }, () => r.int(0, s[axis] - 1));
  const out = [...s.slice(0, axis), ...idxDims, ...s.slice(axis + 1)];
  return program(s, [{ op: "Gather", inputs: [0], output: 1, outShape: out, attrs: { axis, indices } }]);
}

export function embeddingProgram(r: Rng): Program {
  const s = r.shape(1, 3, 4);
  const vocab = r.pick([1, 2, 7, 10, 64, 255, 256, 300]);
  const innerDims = r.shape(1, 2, 4);
  const inner = shapeSize(innerDims);
  return program(s, [
    {
      op: "Embedding",
      inputs: [0],
      output: 1,
      outShape: [...s, ...innerDims],
      attrs: { vocab, inner, zIndex: r.bool() ? -128 : r.int(-128, 127) },
      weights: r.int8s(vocab * inner),
    },
  ]);
}

GENERATORS.Slice = sliceProgram;
GENERATORS.Pad = padProgram;
GENERATORS.Tile = tileProgram;
GENERATORS.Concat = concatProgram;
GENERATORS.Gather = gatherProgram;
GENERATORS.Embedding = embeddingProgram;

/** Where with a constant condition (the weights): X and Y both computed (two tensors of S_k), or one a constant. */
export function whereProgram(r: Rng): Program {
  const out = r.shape(1, 4, 4);
  const bshape = (): number[] => out.map((d) => (r.int(0, 2) === 0 ? 1 : d));
  const [cShape, xShape, yShape] = [bshape(), bshape(), bshape()];
  const constSide = r.int(-1, 1); // -1: both computed
  const attrs = {
    cShape,
    xShape: constSide === 0 ? out.map(() => 1) : xShape,
    yShape: constSide === 1 ? out.map(() => 1) : yShape,
    xConst: constSide === 0 ? 1 : 0,
    yConst: constSide === 1 ? 1 : 0,
    zIn: [r.int(-128, 127), r.int(-128, 127)],
    zOut: r.int(-128, 127),
    value: r.int(-128, 127),
  };
  const params = {
    weights: Int8Array.from({ length: shapeSize(cShape) }, () => (r.bool() ? 1 : 0)),
    multiplier: multipliers(r, 2),
    shift: Int32Array.from([0, 1], () => shiftFor(r, 14)),
  };
  if (constSide >= 0) {
    const s = constSide === 0 ? yShape : xShape;
    return program(s, [{ op: "Where", inputs: [0], output: 1, outShape: out, attrs, ...params }]);
  }
  const nx = shapeSize(xShape);
  const ny = shapeSize(yShape);
  return program(
    [nx + ny],
    [
      { op: "Slice", inputs: [0], output: 1, outShape: [nx], attrs: { starts: [0], steps: [1] } },
      { op: "Reshape", inputs: [1], output: 2, outShape: xShape, attrs: {} },
      { op: "Slice", inputs: [0], output: 3, outShape: [ny], attrs: { starts: [nx], steps: [1] } },
      { op: "Reshape", inputs: [3], output: 4, outShape: yShape, attrs: {} },
      { op: "Where", inputs: [2, 4], output: 5, outShape: out, attrs, ...params },
    ],
  );
}

GENERATORS.Where = whereProgram;
