/**
 * The shared integer rules of docs/NUMERICS.md §2: round-half-up requantization by multiplier and right shift,
 * and int8 saturation. All values are exact integers held in float64; programs are validated so that every
 * product stays below 2^53 in magnitude.
 */
import type { Layer } from "../types";

/** POW2[k] = 2^k, exact in float64 for k <= 63. */
export const POW2: Float64Array = Float64Array.from({ length: 64 }, (_, k) => 2 ** k);

/**
 * INV_POW2[k] = 2^-k. Multiplying an integer below 2^53 by 2^-k is exact in float64 (only the exponent changes),
 * so `Math.floor(t * INV_POW2[k])` equals `Math.floor(t / 2^k)`, and multiplying is faster than dividing.
 */
export const INV_POW2: Float64Array = Float64Array.from({ length: 64 }, (_, k) => 2 ** -k);

/**
 * floor((acc * m + 2^(shift-1)) / 2^shift): multiply, then shift right rounding half toward +infinity.
 * Exact for |acc| < 2^37, 0 <= m < 2^15, 1 <= shift <= 46 (|acc * m| + 2^45 < 2^53; division by a power of
 * two is exact in float64, so Math.floor sees the exact quotient).
 */
export function roundShift(acc: number, m: number, shift: number): number {
  return Math.floor((acc * m + POW2[shift - 1]) * INV_POW2[shift]);
}

/** min(max(v, lo), hi) */
export function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** Round half up of a / b for integers a, b > 0 with |a| < 2^51: floor((2a + b) / (2b)). */
export function divRoundHalfUp(a: number, b: number): number {
  return Math.floor((2 * a + b) / (2 * b));
}

/** The requantization parameters of a layer with weights (Gemm, Conv, Affine: NUMERICS §5, §6, §11). */
export interface Requant {
  readonly zIn: number;
  readonly zOut: number;
  /** The output clamp [clampMin, clampMax]. */
  readonly lo: number;
  readonly hi: number;
  readonly bias: Int32Array;
  readonly mult: Int32Array;
  readonly shift: Int32Array;
  /** One multiplier and shift per output channel, or one for all. */
  readonly perChannel: boolean;
}

export function requantOf(layer: Layer): Requant {
  const a = layer.attrs;
  const mult = layer.multiplier!;
  return {
    zIn: a.zIn as number,
    zOut: a.zOut as number,
    lo: a.clampMin as number,
    hi: a.clampMax as number,
    bias: layer.bias!,
    mult,
    shift: layer.shift!,
    perChannel: mult.length > 1,
  };
}
