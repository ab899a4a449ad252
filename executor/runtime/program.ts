/**
 * The quantized integer program: what a publisher registers, what a node executes and what the on-chain
 * one-step verifier re-executes. Plain data plus a canonical binary encoding.
 *
 * Conventions (docs/NUMERICS.md is the normative text):
 * - Tensor id 0 is the program input; layer i (0-based) produces tensor id i + 1, so `layers[i].output === i + 1`.
 * - State S0 is the quantized input; state S_k (k = 1..L) is the state after `layers[k - 1]`: the live tensors
 *   (see `liveTensors`) concatenated in ascending tensor id order. For a sequential graph that is simply the
 *   current activation.
 * - Every layer is self-contained: its attributes carry every zero point and dimension its kernel needs, so a
 *   verifier needs the layer descriptor and its input slice only.
 */
import { ProgramDecodeError, StepWitnessTooLargeError } from "../errors";
import { MAX_STEP_PROOF_CALLDATA, MAX_STEP_PROOF_GAS, oversizedStep, stepWitnessBounds } from "./step-witness";

/** Affine quantization of a tensor: real = scale * (q - zeroPoint), q in [-128, 127]. */
export interface QParams {
  /** Float metadata, used only to quantize the input and dequantize the output at the edges. */
  scale: number;
  zeroPoint: number;
}

/** Operators of the integer program (one layer = one trace step). */
export const PROGRAM_OPS = [
  "Gemm",
  "Conv",
  "MaxPool",
  "AveragePool",
  "Add",
  "Sub",
  "Mul",
  "Relu",
  "Lut",
  "Affine",
  "Softmax",
  "Reshape",
  "Transpose",
] as const;
export type ProgramOp = (typeof PROGRAM_OPS)[number];

export interface Layer {
  op: string;
  /** Tensor ids read by this layer (1 or 2), each < output. */
  inputs: number[];
  /** Tensor id written by this layer: always (index of the layer) + 1. */
  output: number;
  outShape: number[];
  /** Integer attributes only (see docs/NUMERICS.md for each op's list). */
  attrs: Record<string, number | number[]>;
  /** int8 weights, OUTPUT-CHANNEL-MAJOR: row o holds everything output channel o needs. */
  weights?: Int8Array;
  /** int32 bias per output channel (Softmax: the 256-entry exp table). */
  bias?: Int32Array;
  /** Requantization multipliers, each in [0, 2^15): per output channel, or length 1 (Add/Sub: [Ma, Mb]). */
  multiplier?: Int32Array;
  /** Requantization right shifts, each in [1, 46]: per output channel, or length 1. */
  shift?: Int32Array;
  /** 256-entry int8 table, indexed by (x + 128). */
  lut?: Int8Array;
}

export interface Program {
  name: string;
  version: 1;
  inputShape: number[];
  outputShape: number[];
  input: QParams;
  output: QParams;
  layers: Layer[];
}

/** Bounds that keep every intermediate product an exact integer in a float64 (|p| < 2^53). See NUMERICS.md. */
export const MAX_MULTIPLIER = 1 << 15; // exclusive
export const MIN_SHIFT = 1;
export const MAX_SHIFT = 46;
/** Worst-case |accumulator| a validated program can reach; times MAX_MULTIPLIER stays < 2^52. */
export const MAX_ACCUMULATOR = 2 ** 37;

// ---------------------------------------------------------------------------------------------------------------
// Shapes and state layout
// ---------------------------------------------------------------------------------------------------------------

export function shapeSize(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Shape of tensor `id` (0 = input, i + 1 = output of layers[i]). */
export function tensorShape(p: Program, id: number): number[] {
  if (id === 0) return p.inputShape;
  const layer = p.layers[id - 1];
  if (!layer) throw new RangeError(`tensor ${id} does not exist (program has ${p.layers.length} layers)`);
  return layer.outShape;
}

/**
 * Tensor ids that make up state S_step (step = 0..L), ascending: the tensors produced at or before the step
 * that a later layer still reads, plus the tensor produced by the step itself. S_L is the output alone.
 */
export function liveTensors(p: Program, step: number): number[] {
  const L = p.layers.length;
  if (!Number.isInteger(step) || step < 0 || step > L) throw new RangeError(`step ${step} is outside 0..${L}`);
  const live = new Set<number>([step]);
  for (let j = step; j < L; j++) for (const t of p.layers[j].inputs) if (t <= step) live.add(t);
  return [...live].sort((a, b) => a - b);
}

/** Layout of state S_step: for each live tensor, its id, offset and length in the concatenated state. */
export function stateLayout(p: Program, step: number): { id: number; offset: number; length: number }[] {
  let offset = 0;
  return liveTensors(p, step).map((id) => {
    const length = shapeSize(tensorShape(p, id));
    const entry = { id, offset, length };
    offset += length;
    return entry;
  });
}

/** Number of int8 values in state S_step. */
export function stateSize(p: Program, step: number): number {
  return stateLayout(p, step).reduce((n, e) => n + e.length, 0);
}

// ---------------------------------------------------------------------------------------------------------------
// Validation: a program that passes can be executed without any non-Verity error and within the 2^53 bound
// ---------------------------------------------------------------------------------------------------------------

function fail(msg: string): never {
  throw new ProgramDecodeError(msg);
}

function isInt(x: unknown): x is number {
  return typeof x === "number" && Number.isInteger(x);
}

function scalar(layer: Layer, i: number, name: string, min: number, max: number): number {
  const v = layer.attrs[name];
  if (!isInt(v) || v < min || v > max) fail(`layer ${i} (${layer.op}): attribute '${name}' must be an integer in [${min}, ${max}]`);
  return v;
}

function ints(layer: Layer, i: number, name: string, len: number, min: number, max: number): number[] {
  const v = layer.attrs[name];
  if (!Array.isArray(v) || v.length !== len || v.some((x) => !isInt(x) || x < min || x > max)) {
    fail(`layer ${i} (${layer.op}): attribute '${name}' must be ${len} integers in [${min}, ${max}]`);
  }
  return v;
}

function expectLen(layer: Layer, i: number, field: "weights" | "bias" | "multiplier" | "shift" | "lut", len: number | null): void {
  const arr = layer[field];
  if (len === null) {
    if (arr !== undefined) fail(`layer ${i} (${layer.op}): unexpected '${field}'`);
    return;
  }
  if (arr === undefined || arr.length !== len) fail(`layer ${i} (${layer.op}): '${field}' must have ${len} entries`);
}

function requantParams(layer: Layer, i: number, channels: number): void {
  const m = layer.multiplier;
  const s = layer.shift;
  if (!m || !s || (m.length !== channels && m.length !== 1) || s.length !== m.length) {
    fail(`layer ${i} (${layer.op}): multiplier/shift must have ${channels} or 1 entries`);
  }
  for (let c = 0; c < m.length; c++) {
    if (m[c] < 0 || m[c] >= MAX_MULTIPLIER) fail(`layer ${i} (${layer.op}): multiplier ${m[c]} outside [0, 2^15)`);
    if (s[c] < MIN_SHIFT || s[c] > MAX_SHIFT) fail(`layer ${i} (${layer.op}): shift ${s[c]} outside [${MIN_SHIFT}, ${MAX_SHIFT}]`);
  }
}

function accBound(layer: Layer, i: number, rowLen: number): void {
  let maxBias = 0;
  if (layer.bias) for (const b of layer.bias) maxBias = Math.max(maxBias, Math.abs(b));
  if (maxBias + rowLen * 128 * 255 >= MAX_ACCUMULATOR) fail(`layer ${i} (${layer.op}): accumulator bound exceeds 2^37`);
}

const MAX_DIM = 1 << 24;
/** The longest state the on-chain games accept (`MAX_STATE_BYTES` of DisputeManager and RedundantManager). */
export const MAX_STATE_BYTES = 1 << 24;
/** Upper bound on the multiply-adds (or window taps) of one layer, so that no valid program can hang a verifier. */
export const MAX_LAYER_WORK = 2 ** 31;

function workBound(layer: Layer, i: number, work: number): void {
  if (work > MAX_LAYER_WORK) fail(`layer ${i} (${layer.op}): ${work} multiply-adds exceed the 2^31 per-layer bound`);
}

/**
 * The output size along one axis must be what ONNX gives for these pads, kernel, dilation and stride, with the
 * floor or the ceil rule: out - 1 in {floor(span / s), ceil(span / s)}, span = size + padBegin + padEnd - extent >= 0.
 */
function windowFits(layer: Layer, i: number, size: number, pBegin: number, pEnd: number, k: number, d: number, s: number, out: number): void {
  const span = size + pBegin + pEnd - ((k - 1) * d + 1);
  if (span < 0 || (out - 1 !== Math.floor(span / s) && out - 1 !== Math.ceil(span / s))) {
    fail(`layer ${i} (${layer.op}): output size ${out} does not follow from input ${size}, pads ${pBegin}/${pEnd}, kernel ${k}, dilation ${d}, stride ${s}`);
  }
}

/**
 * Checks every structural and arithmetic invariant of a program, and that every step can be proven on-chain (its
 * one-step proof within MAX_STEP_PROOF_CALLDATA and MAX_STEP_PROOF_GAS); throws ProgramDecodeError
 * (StepWitnessTooLargeError for the last).
 */
export function validateProgram(p: Program): void {
  if (p.version !== 1) fail(`unsupported program version ${String(p.version)}`);
  const checkShape = (dims: unknown, what: string): number[] => {
    if (!Array.isArray(dims) || dims.length > 8 || dims.some((d) => !isInt(d) || d < 1 || d > MAX_DIM)) {
      fail(`${what}: shape must be at most 8 positive dims`);
    }
    if (shapeSize(dims) > MAX_DIM) fail(`${what}: more than 2^24 elements`);
    return dims;
  };
  checkShape(p.inputShape, "input");
  checkShape(p.outputShape, "output");
  for (const [q, what] of [
    [p.input, "input"],
    [p.output, "output"],
  ] as const) {
    if (!Number.isFinite(q.scale) || q.scale <= 0 || !isInt(q.zeroPoint) || q.zeroPoint < -128 || q.zeroPoint > 127) {
      fail(`${what} quantization parameters invalid`);
    }
  }
  const last = p.layers.length === 0 ? p.inputShape : p.layers[p.layers.length - 1].outShape;
  if (last.length !== p.outputShape.length || last.some((d, k) => d !== p.outputShape[k])) {
    fail("outputShape differs from the last layer's shape");
  }
  p.layers.forEach((layer, i) => {
    if (!(PROGRAM_OPS as readonly string[]).includes(layer.op)) fail(`layer ${i}: unknown op '${layer.op}'`);
    if (layer.output !== i + 1) fail(`layer ${i}: output must be tensor ${i + 1}`);
    const two = layer.op === "Add" || layer.op === "Sub" || layer.op === "Mul";
    const nIn = layer.inputs.length;
    if (nIn < 1 || nIn > (two ? 2 : 1) || layer.inputs.some((t) => !isInt(t) || t < 0 || t > i)) {
      fail(`layer ${i} (${layer.op}): bad inputs`);
    }
    const out = checkShape(layer.outShape, `layer ${i}`);
    const outSize = shapeSize(out);
    const inShape = tensorShape(p, layer.inputs[0]);
    const inSize = shapeSize(inShape);
    const z = (name: string): number => scalar(layer, i, name, -128, 127);
    const clamp = (): void => {
      const lo = z("clampMin");
      const hi = z("clampMax");
      if (lo > hi) fail(`layer ${i} (${layer.op}): clampMin > clampMax`);
    };
    switch (layer.op) {
      case "Gemm": {
        const k = scalar(layer, i, "k", 1, MAX_DIM);
        const n = scalar(layer, i, "n", 1, MAX_DIM);
        if (inSize % k !== 0 || outSize !== (inSize / k) * n || out[out.length - 1] !== n) fail(`layer ${i} (Gemm): shapes`);
        workBound(layer, i, (inSize / k) * n * k);
        z("zIn");
        z("zOut");
        clamp();
        expectLen(layer, i, "weights", n * k);
        expectLen(layer, i, "bias", n);
        requantParams(layer, i, n);
        expectLen(layer, i, "lut", null);
        accBound(layer, i, k);
        break;
      }
      case "Conv": {
        const [c, h, w] = ints(layer, i, "inChw", 3, 1, MAX_DIM);
        const [m, oh, ow] = ints(layer, i, "outChw", 3, 1, MAX_DIM);
        const group = scalar(layer, i, "group", 1, MAX_DIM);
        const [kh, kw] = ints(layer, i, "kernel", 2, 1, MAX_DIM);
        const [sh, sw] = ints(layer, i, "strides", 2, 1, MAX_DIM);
        const [pt, pl] = ints(layer, i, "pads", 4, 0, MAX_DIM);
        const [dh, dw] = ints(layer, i, "dilations", 2, 1, MAX_DIM);
        if (c % group !== 0 || m % group !== 0) fail(`layer ${i} (Conv): channels not divisible by group`);
        if (inShape.length !== 4 || inShape[1] !== c || inShape[2] !== h || inShape[3] !== w) fail(`layer ${i} (Conv): input shape`);
        if (out.length !== 4 || out[0] !== inShape[0] || out[1] !== m || out[2] !== oh || out[3] !== ow) fail(`layer ${i} (Conv): output shape`);
        const [, , pb, pr] = layer.attrs.pads as number[];
        windowFits(layer, i, h, pt, pb, kh, dh, sh, oh);
        windowFits(layer, i, w, pl, pr, kw, dw, sw, ow);
        workBound(layer, i, inShape[0] * m * oh * ow * (c / group) * kh * kw);
        z("zIn");
        z("zOut");
        clamp();
        const rowLen = (c / group) * kh * kw;
        expectLen(layer, i, "weights", m * rowLen);
        expectLen(layer, i, "bias", m);
        requantParams(layer, i, m);
        expectLen(layer, i, "lut", null);
        accBound(layer, i, rowLen);
        break;
      }
      case "MaxPool":
      case "AveragePool": {
        const [c, h, w] = ints(layer, i, "inChw", 3, 1, MAX_DIM);
        const [oh, ow] = ints(layer, i, "outHw", 2, 1, MAX_DIM);
        const [kh, kw] = ints(layer, i, "kernel", 2, 1, MAX_DIM);
        ints(layer, i, "strides", 2, 1, MAX_DIM);
        ints(layer, i, "pads", 4, 0, MAX_DIM);
        if (layer.op === "MaxPool") ints(layer, i, "dilations", 2, 1, MAX_DIM);
        else {
          scalar(layer, i, "countIncludePad", 0, 1);
          z("zIn");
          if (kh * kw * 255 * 2 >= MAX_ACCUMULATOR) fail(`layer ${i} (AveragePool): window too large`);
        }
        if (inShape.length !== 4 || inShape[1] !== c || inShape[2] !== h || inShape[3] !== w) fail(`layer ${i} (${layer.op}): input shape`);
        if (out.length !== 4 || out[0] !== inShape[0] || out[1] !== c || out[2] !== oh || out[3] !== ow) fail(`layer ${i} (${layer.op}): output shape`);
        const [sh, sw] = layer.attrs.strides as number[];
        const [pt, pl, pb, pr] = layer.attrs.pads as number[];
        const [dh, dw] = layer.op === "MaxPool" ? (layer.attrs.dilations as number[]) : [1, 1];
        windowFits(layer, i, h, pt, pb, kh, dh, sh, oh);
        windowFits(layer, i, w, pl, pr, kw, dw, sw, ow);
        workBound(layer, i, inShape[0] * c * oh * ow * Math.min(kh, h) * Math.min(kw, w));
        for (const f of ["weights", "bias", "multiplier", "shift", "lut"] as const) expectLen(layer, i, f, null);
        break;
      }
      case "Add":
      case "Sub":
      case "Mul": {
        const rank = out.length;
        const a = ints(layer, i, "aShape", rank, 1, MAX_DIM);
        const b = ints(layer, i, "bShape", rank, 1, MAX_DIM);
        for (let d = 0; d < rank; d++) {
          if ((a[d] !== out[d] && a[d] !== 1) || (b[d] !== out[d] && b[d] !== 1)) fail(`layer ${i} (${layer.op}): broadcast shapes`);
        }
        z("zA");
        z("zB");
        z("zOut");
        if (nIn === 2) {
          if (shapeSize(a) !== inSize || shapeSize(b) !== shapeSize(tensorShape(p, layer.inputs[1]))) fail(`layer ${i} (${layer.op}): operand sizes`);
          expectLen(layer, i, "weights", null);
        } else {
          const side = scalar(layer, i, "constSide", 0, 1);
          const dynSize = shapeSize(side === 0 ? b : a);
          if (dynSize !== inSize) fail(`layer ${i} (${layer.op}): operand sizes`);
          expectLen(layer, i, "weights", shapeSize(side === 0 ? a : b));
        }
        const nm = layer.op === "Mul" ? 1 : 2;
        const m = layer.multiplier;
        const s = layer.shift;
        if (!m || m.length !== nm || !s || s.length !== 1) fail(`layer ${i} (${layer.op}): multiplier/shift`);
        for (const v of m) if (v < 0 || v >= MAX_MULTIPLIER) fail(`layer ${i} (${layer.op}): multiplier range`);
        if (s[0] < MIN_SHIFT || s[0] > MAX_SHIFT) fail(`layer ${i} (${layer.op}): shift range`);
        expectLen(layer, i, "bias", null);
        expectLen(layer, i, "lut", null);
        break;
      }
      case "Relu":
        z("zIn");
        if (outSize !== inSize) fail(`layer ${i} (Relu): size`);
        break;
      case "Lut":
        expectLen(layer, i, "lut", 256);
        if (outSize !== inSize) fail(`layer ${i} (Lut): size`);
        break;
      case "Affine": {
        const c = scalar(layer, i, "channels", 1, MAX_DIM);
        const inner = scalar(layer, i, "inner", 1, MAX_DIM);
        if (inShape.length < 2 || inShape[1] !== c || inSize % (c * inner) !== 0 || outSize !== inSize) fail(`layer ${i} (Affine): shapes`);
        z("zIn");
        z("zOut");
        clamp();
        expectLen(layer, i, "weights", c);
        expectLen(layer, i, "bias", c);
        requantParams(layer, i, c);
        accBound(layer, i, 1);
        break;
      }
      case "Softmax": {
        const outer = scalar(layer, i, "outer", 1, MAX_DIM);
        const axis = scalar(layer, i, "axisSize", 1, 1 << 15);
        const inner = scalar(layer, i, "inner", 1, MAX_DIM);
        if (outer * axis * inner !== inSize || outSize !== inSize) fail(`layer ${i} (Softmax): shapes`);
        expectLen(layer, i, "bias", 256);
        for (const e of layer.bias!) if (e < 0 || e > 1 << 16) fail(`layer ${i} (Softmax): exp table entries must be in [0, 2^16]`);
        if (layer.bias![255] !== 1 << 16) fail(`layer ${i} (Softmax): exp table must end with 2^16`);
        break;
      }
      case "Reshape":
        if (outSize !== inSize) fail(`layer ${i} (Reshape): size`);
        break;
      case "Transpose": {
        const perm = ints(layer, i, "perm", inShape.length, 0, inShape.length - 1);
        if (new Set(perm).size !== perm.length || perm.some((pd, d) => inShape[pd] !== out[d]) || out.length !== inShape.length) {
          fail(`layer ${i} (Transpose): perm`);
        }
        break;
      }
    }
    if (!["Gemm", "Conv", "Affine", "Add", "Sub", "Mul"].includes(layer.op)) {
      for (const f of ["weights", "multiplier", "shift"] as const) expectLen(layer, i, f, null);
      if (layer.op !== "Softmax") expectLen(layer, i, "bias", null);
      if (layer.op !== "Lut") expectLen(layer, i, "lut", null);
    }
  });
  // Every state (the live tensors side by side) fits the games' chunk trees: at most 2^24 bytes, MAX_STATE_BYTES in
  // DisputeManager and RedundantManager, which refuse a longer post-state (its tree would be deeper than 19 levels).
  const bounds = stepWitnessBounds(p);
  const longState = bounds.find((b) => b.inLength > MAX_STATE_BYTES);
  if (longState) {
    fail(`state S${longState.layer} holds ${longState.inLength} bytes of live tensors, more than 2^24 (MAX_STATE_BYTES)`);
  }
  // Every step must be provable on-chain: its one-step proof within the calldata and gas limits (step-witness.ts).
  const over = oversizedStep(p, bounds);
  if (over) {
    throw new StepWitnessTooLargeError(over.layer, over.op, over.calldata, MAX_STEP_PROOF_CALLDATA, over.gas, MAX_STEP_PROOF_GAS);
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Canonical binary encoding (little-endian)
//
//   "VRTY" | u32 version | str name | shape input | shape output | qparams input | qparams output | u32 L | layer*L
//   str     = u32 byteLength, UTF-8 bytes
//   shape   = u32 rank, u32 dims...
//   qparams = f64 scale, i32 zeroPoint
//   layer   = str op | u32 nInputs, u32 ids... | u32 output | shape outShape | u32 nAttrs, attr* (keys strictly
//             ascending by UTF-16 code unit order) | u8 presence bits (1 weights, 2 bias, 4 multiplier, 8 shift,
//             16 lut) | each present array in that order: u32 length, then int8 bytes or i32 values
//   attr    = str key, u8 tag (0 = i32 scalar, 1 = i32 array), i32 | (u32 length, i32...)
// ---------------------------------------------------------------------------------------------------------------

const MAGIC = [0x56, 0x52, 0x54, 0x59]; // "VRTY"

class Writer {
  private buf = new Uint8Array(1024);
  private view = new DataView(this.buf.buffer);
  len = 0;
  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < this.len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
    this.view = new DataView(next.buffer);
  }
  u8(v: number): void {
    this.ensure(1);
    this.buf[this.len++] = v;
  }
  u32(v: number): void {
    this.ensure(4);
    this.view.setUint32(this.len, v, true);
    this.len += 4;
  }
  i32(v: number): void {
    this.ensure(4);
    this.view.setInt32(this.len, v, true);
    this.len += 4;
  }
  f64(v: number): void {
    this.ensure(8);
    this.view.setFloat64(this.len, v, true);
    this.len += 8;
  }
  bytes(b: Uint8Array): void {
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }
  str(s: string): void {
    const b = new TextEncoder().encode(s);
    this.u32(b.length);
    this.bytes(b);
  }
  result(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}

class Reader {
  private view: DataView;
  pos = 0;
  constructor(private readonly buf: Uint8Array) {
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }
  private need(n: number): void {
    if (this.pos + n > this.buf.length) fail(`program truncated at byte ${this.pos} (needs ${n} more, has ${this.buf.length - this.pos})`);
  }
  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  f64(): number {
    this.need(8);
    const v = this.view.getFloat64(this.pos, true);
    this.pos += 8;
    return v;
  }
  count(elemSize: number, what: string): number {
    const n = this.u32();
    if (n * elemSize > this.buf.length - this.pos) fail(`${what}: length ${n} exceeds the remaining ${this.buf.length - this.pos} bytes`);
    return n;
  }
  /** A fresh copy that owns its ArrayBuffer (also when the input is a Node Buffer from a shared pool). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const b = new Uint8Array(n);
    b.set(this.buf.subarray(this.pos, this.pos + n));
    this.pos += n;
    return b;
  }
  str(what: string): string {
    const n = this.count(1, what);
    try {
      return new TextDecoder("utf-8", { fatal: true }).decode(this.bytes(n));
    } catch {
      return fail(`${what}: invalid UTF-8`);
    }
  }
  end(): boolean {
    return this.pos === this.buf.length;
  }
}

function writeShape(w: Writer, dims: readonly number[]): void {
  w.u32(dims.length);
  for (const d of dims) w.u32(d);
}

function readShape(r: Reader, what: string): number[] {
  const n = r.count(4, what);
  const dims: number[] = [];
  for (let k = 0; k < n; k++) dims.push(r.u32());
  return dims;
}

function assertI32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw new RangeError(`${what}: ${v} is not an int32`);
  return v;
}

/** Canonical bytes of a program: the same program always encodes to the same bytes. */
export function encodeProgram(p: Program): Uint8Array {
  const w = new Writer();
  for (const b of MAGIC) w.u8(b);
  w.u32(p.version);
  w.str(p.name);
  writeShape(w, p.inputShape);
  writeShape(w, p.outputShape);
  for (const q of [p.input, p.output]) {
    w.f64(q.scale);
    w.i32(assertI32(q.zeroPoint, "zeroPoint"));
  }
  w.u32(p.layers.length);
  for (const layer of p.layers) {
    w.str(layer.op);
    w.u32(layer.inputs.length);
    for (const t of layer.inputs) w.u32(t);
    w.u32(layer.output);
    writeShape(w, layer.outShape);
    const keys = Object.keys(layer.attrs).sort();
    w.u32(keys.length);
    for (const key of keys) {
      w.str(key);
      const v = layer.attrs[key];
      if (Array.isArray(v)) {
        w.u8(1);
        w.u32(v.length);
        for (const x of v) w.i32(assertI32(x, `attribute ${key}`));
      } else {
        w.u8(0);
        w.i32(assertI32(v, `attribute ${key}`));
      }
    }
    const present =
      (layer.weights ? 1 : 0) | (layer.bias ? 2 : 0) | (layer.multiplier ? 4 : 0) | (layer.shift ? 8 : 0) | (layer.lut ? 16 : 0);
    w.u8(present);
    if (layer.weights) {
      w.u32(layer.weights.length);
      w.bytes(new Uint8Array(layer.weights.buffer, layer.weights.byteOffset, layer.weights.length));
    }
    for (const arr of [layer.bias, layer.multiplier, layer.shift]) {
      if (!arr) continue;
      w.u32(arr.length);
      for (const x of arr) w.i32(x);
    }
    if (layer.lut) {
      w.u32(layer.lut.length);
      w.bytes(new Uint8Array(layer.lut.buffer, layer.lut.byteOffset, layer.lut.length));
    }
  }
  return w.result();
}

/** Inverse of encodeProgram. Any malformed or non-canonical input throws ProgramDecodeError. */
export function decodeProgram(bytes: Uint8Array): Program {
  if (!(bytes instanceof Uint8Array)) fail("program bytes must be a Uint8Array");
  const r = new Reader(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  for (let k = 0; k < 4; k++) if (r.u8() !== MAGIC[k]) fail('not a Verity program (magic "VRTY" missing)');
  const version = r.u32();
  if (version !== 1) fail(`unsupported program version ${version} (this executor reads version 1)`);
  const name = r.str("name");
  const inputShape = readShape(r, "inputShape");
  const outputShape = readShape(r, "outputShape");
  const qp = (): QParams => ({ scale: r.f64(), zeroPoint: r.i32() });
  const input = qp();
  const output = qp();
  const L = r.count(1, "layer count");
  const layers: Layer[] = [];
  for (let i = 0; i < L; i++) {
    const op = r.str(`layer ${i} op`);
    const nIn = r.count(4, `layer ${i} inputs`);
    const inputs: number[] = [];
    for (let k = 0; k < nIn; k++) inputs.push(r.u32());
    const outputId = r.u32();
    const outShape = readShape(r, `layer ${i} outShape`);
    const nAttrs = r.count(6, `layer ${i} attrs`);
    const attrs: Record<string, number | number[]> = {};
    let prev: string | null = null;
    for (let k = 0; k < nAttrs; k++) {
      const key = r.str(`layer ${i} attribute name`);
      if (prev !== null && !(prev < key)) fail(`layer ${i}: attribute names not strictly ascending (non-canonical)`);
      prev = key;
      const tag = r.u8();
      if (tag === 0) attrs[key] = r.i32();
      else if (tag === 1) {
        const n = r.count(4, `layer ${i} attribute ${key}`);
        const arr: number[] = [];
        for (let j = 0; j < n; j++) arr.push(r.i32());
        attrs[key] = arr;
      } else fail(`layer ${i}: attribute ${key} has unknown tag ${tag}`);
    }
    const present = r.u8();
    if (present & ~31) fail(`layer ${i}: unknown presence bits ${present}`);
    const layer: Layer = { op, inputs, output: outputId, outShape, attrs };
    if (present & 1) layer.weights = new Int8Array(r.bytes(r.count(1, `layer ${i} weights`)).buffer);
    const i32s = (what: string): Int32Array => {
      const n = r.count(4, `layer ${i} ${what}`);
      const a = new Int32Array(n);
      for (let j = 0; j < n; j++) a[j] = r.i32();
      return a;
    };
    if (present & 2) layer.bias = i32s("bias");
    if (present & 4) layer.multiplier = i32s("multiplier");
    if (present & 8) layer.shift = i32s("shift");
    if (present & 16) layer.lut = new Int8Array(r.bytes(r.count(1, `layer ${i} lut`)).buffer);
    layers.push(layer);
  }
  if (!r.end()) fail(`${bytes.length - r.pos} trailing bytes after the last layer`);
  const p: Program = { name, version: 1, inputShape, outputShape, input, output, layers };
  validateProgram(p);
  return p;
}
