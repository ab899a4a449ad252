/**
 * Validation: a program that passes can be executed without any non-Verity error and within the 2^53 bound, and
 * every one of its steps can be proven on-chain.
 */
import { ProgramDecodeError, StepWitnessTooLargeError } from "../errors";
import { shapeSize, tensorShape } from "./layout";
import { MAX_STEP_PROOF_CALLDATA, MAX_STEP_PROOF_GAS, oversizedStep, stepWitnessBounds } from "./step-witness";
import {
  type Layer,
  type Program,
  MAX_ACCUMULATOR,
  MAX_DIM,
  MAX_LAYER_WORK,
  MAX_MULTIPLIER,
  MAX_SHIFT,
  MAX_STATE_BYTES,
  MIN_SHIFT,
  PROGRAM_OPS,
} from "./types";

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

