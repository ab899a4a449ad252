/**
 * The quantized integer program as plain data: what a publisher registers, what a node executes and what the
 * on-chain one-step verifier re-executes (docs/NUMERICS.md is the normative text), and the numeric bounds every
 * validated program keeps. Types and constants only.
 */

/** Affine quantization of a tensor: real = scale * (q - zeroPoint), q in [-128, 127]. */
export interface QParams {
  /** Float metadata, used only to quantize the input and dequantize the output at the edges. */
  scale: number;
  zeroPoint: number;
}

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

/** The largest dimension, and element count, of any tensor of a program. */
export const MAX_DIM = 1 << 24;
/** The longest state the on-chain games accept (`MAX_STATE_BYTES` of DisputeManager and RedundantManager). */
export const MAX_STATE_BYTES = 1 << 24;
/** Upper bound on the multiply-adds (or window taps) of one layer, so that no valid program can hang a verifier. */
export const MAX_LAYER_WORK = 2 ** 31;
