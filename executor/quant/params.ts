/**
 * The arithmetic of post-training quantization (float arithmetic is fine here: it runs once, at publication; the
 * program is the artifact): activation parameters from calibrated ranges, requantization multipliers, symmetric
 * weight rows, and the float <-> int8 edges of a program. Also the errors a lowering rule raises about a node.
 */
import { InvalidInputError, InvalidModelError, UnsupportedOperatorError } from "../errors";
import { type GraphNode, SUPPORTED_OPERATORS } from "../model/graph";
import { shapeSize } from "../runtime/layout";
import { type Program, type QParams, MAX_SHIFT } from "../runtime/types";

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
  if (!Number.isFinite(r) || r < 0)
    throw new InvalidModelError(`requantization ratio ${r} is not a finite non-negative number`);
  if (r === 0) return [0, 1];
  let shift = 14 - Math.floor(Math.log2(r));
  let m = Math.round(r * 2 ** shift);
  while (m >= 2 ** 15) m = Math.round(r * 2 ** --shift);
  while (m < 2 ** 14 && shift < MAX_SHIFT) m = Math.round(r * 2 ** ++shift);
  if (shift > MAX_SHIFT) {
    shift = MAX_SHIFT;
    m = Math.round(r * 2 ** MAX_SHIFT);
  }
  if (shift < 1)
    throw new InvalidModelError(`requantization ratio ${r} is too large (>= 2^14): the tensor ranges are degenerate`);
  return [m, shift];
}

/** Saturates an integer to int8. */
export function clampI8(v: number): number {
  return Math.min(127, Math.max(-128, v)) | 0;
}

/** Saturates an integer to the symmetric int32 range [-(2^31 - 1), 2^31 - 1]. */
export function clampI32(v: number): number {
  return Math.min(2 ** 31 - 1, Math.max(-(2 ** 31 - 1), v));
}

/**
 * The quantization of an integer graph input (token ids, indices): scale 1, zero point -128, so a value v in
 * [0, 255] is carried exactly as the int8 v - 128 (NUMERICS §26.6).
 */
export const INDEX_INPUT_QPARAMS: QParams = Object.freeze({ scale: 1, zeroPoint: -128 });

/** An integer input's values must be integers in [0, 255]: InvalidInputError naming the first that is not. */
export function checkIndexInput(x: Float32Array, what: string): void {
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (!Number.isInteger(v) || v < 0 || v > 255)
      throw new InvalidInputError(`${what}: value ${i} is ${v}; an integer input carries integers in [0, 255]`);
  }
}

/**
 * The ids an integer input may carry, or undefined for a float input. A program reads its input as token ids exactly
 * when it has an Embedding layer (its indices can only come from the integer graph input, NUMERICS §26.6): then an
 * id must be an integer that S0 holds exactly (`id - 128` with the input parameters scale 1, zero point -128, so
 * 0..255) and a row of every embedding table (below the smallest `vocab`).
 */
export function indexInputRange(p: Program): { lo: number; hi: number; vocab: number } | undefined {
  let vocab = Infinity;
  for (const l of p.layers) if (l.op === "Embedding") vocab = Math.min(vocab, l.attrs.vocab as number);
  if (vocab === Infinity) return undefined;
  const { scale, zeroPoint } = p.input;
  return { lo: scale * (-128 - zeroPoint), hi: Math.min(scale * (127 - zeroPoint), vocab - 1), vocab };
}

/**
 * Float input -> S0: q = clamp(zeroPoint + round(x / scale)), Math.round = round half up, in IEEE float64. A float
 * input saturates at the int8 range; an integer input (token ids, `indexInputRange`) is never clamped: an id that S0
 * cannot hold exactly is an InvalidInputError naming `what` (the input), the id, its position and the allowed range.
 */
export function quantizeInput(p: Program, x: Float32Array, what = "the input"): Int8Array {
  if (!(x instanceof Float32Array)) throw new InvalidInputError("the input must be a Float32Array");
  const n = shapeSize(p.inputShape);
  if (x.length !== n)
    throw new InvalidInputError(
      `the input has ${x.length} values, the program expects ${n} (shape [${p.inputShape.join(", ")}])`,
    );
  const ids = indexInputRange(p);
  const q = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const v = x[i];
    if (!Number.isFinite(v)) throw new InvalidInputError(`input value ${i} is ${v}; inputs must be finite numbers`);
    if (ids && !(Number.isInteger(v) && v >= ids.lo && v <= ids.hi)) {
      throw new InvalidInputError(
        `${what}: value ${i} is token id ${v}, outside the ids this program reads, the integers ${ids.lo} to ` +
          `${ids.hi} (an int8 state carries ids 0 to 255 exactly; the smallest embedding table has ${ids.vocab} ` +
          `rows): map the id into that range (e.g. a byte vocabulary), nothing is clamped`,
      );
    }
    q[i] = clampI8(p.input.zeroPoint + Math.round(v / p.input.scale));
  }
  return q;
}

/** S_L -> float output: (q - zeroPoint) * scale. */
export function dequantizeOutput(p: Program, y: Int8Array): Float32Array {
  const n = shapeSize(p.outputShape);
  if (!(y instanceof Int8Array) || y.length !== n)
    throw new InvalidInputError(`the output must be an Int8Array of ${n} values`);
  return Float32Array.from(y, (q) => (q - p.output.zeroPoint) * p.output.scale);
}

/** The node uses its operator in a way Verity does not support (`detail` says how). */
export function unsupported(node: GraphNode, detail?: string): never {
  throw new UnsupportedOperatorError(node.name, node.opType, SUPPORTED_OPERATORS, detail);
}

/** Per-row symmetric int8 quantization of a [rows, rowLen] float matrix. */
export function quantizeRows(w: Float64Array, rows: number, rowLen: number): { q: Int8Array; scales: Float64Array } {
  const q = new Int8Array(rows * rowLen);
  const scales = new Float64Array(rows);
  for (let o = 0; o < rows; o++) {
    let maxAbs = 0;
    for (let j = 0; j < rowLen; j++) maxAbs = Math.max(maxAbs, Math.abs(w[o * rowLen + j]));
    const s = maxAbs > 1e-30 ? maxAbs / 127 : 1;
    scales[o] = s;
    for (let j = 0; j < rowLen; j++)
      q[o * rowLen + j] = Math.max(-127, Math.min(127, Math.round(w[o * rowLen + j] / s)));
  }
  return { q, scales };
}

/** Every value of a folded parameter is finite, or InvalidModelError naming the node. */
export function checkFinite(node: GraphNode, what: string, data: ArrayLike<number>): void {
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i]))
      throw new InvalidModelError(`node '${node.name}' (${node.opType}): ${what} contains ${data[i]}`);
  }
}
