/**
 * The byte a pass chooses from its int8 logits (docs/GENERATION.md §4): greedy (the first maximum) or seeded
 * sampling with an integer-only rule. Both are pure functions of the logits (and, for sampling, the seed and the
 * pass index), so the on-chain verifier recomputes them exactly.
 */
import { InvalidInputError } from "../errors";
import { keccak256 } from "../trace/keccak-wasm";
import { toHex } from "../trace/hex";

/** The size of the vocabulary: one logit per byte value. */
export const VOCAB = 256;
/** The largest temperature shift of seeded sampling (weights halve every 2^shift logit steps). */
export const MAX_TEMPERATURE_SHIFT = 7;
/** A weight is 2^(WEIGHT_BITS - e); logits more than WEIGHT_BITS halvings below the maximum weigh 0. */
export const WEIGHT_BITS = 16;

function checkLogits(logits: Int8Array): void {
  if (!(logits instanceof Int8Array) || logits.length !== VOCAB)
    throw new InvalidInputError(`a pass must produce ${VOCAB} int8 logits (one per byte value), got ${logits.length}`);
}

/** Greedy choice: the index of the largest logit, the first one on a tie. */
export function greedyByte(logits: Int8Array): number {
  checkLogits(logits);
  let best = 0;
  for (let i = 1; i < VOCAB; i++) if (logits[i] > logits[best]) best = i;
  return best;
}

/**
 * The weight of each byte under seeded sampling: with d = max - logit and e = d >> shift,
 * w = 2^(16 - e) if e <= 16, else 0. The maximum weighs 2^16, so the total is in [2^16, 2^24].
 */
export function samplingWeights(logits: Int8Array, shift: number): Uint32Array {
  checkLogits(logits);
  if (!Number.isInteger(shift) || shift < 0 || shift > MAX_TEMPERATURE_SHIFT)
    throw new InvalidInputError(
      `the temperature shift must be an integer in [0, ${MAX_TEMPERATURE_SHIFT}], got ${shift}`,
    );
  let max = -128;
  for (let i = 0; i < VOCAB; i++) if (logits[i] > max) max = logits[i];
  const w = new Uint32Array(VOCAB);
  for (let i = 0; i < VOCAB; i++) {
    const e = (max - logits[i]) >> shift;
    w[i] = e > WEIGHT_BITS ? 0 : 1 << (WEIGHT_BITS - e);
  }
  return w;
}

/** The 32-byte draw of pass `pass`: keccak256(seed ‖ uint32 big-endian pass). */
export function drawOf(seed: Uint8Array, pass: number): bigint {
  if (!(seed instanceof Uint8Array) || seed.length !== 32)
    throw new InvalidInputError(`a sampling seed is 32 bytes, got ${seed.length}`);
  if (!Number.isInteger(pass) || pass < 0 || pass > 0xffffffff)
    throw new InvalidInputError(`a pass index is a uint32, got ${pass}`);
  const buf = new Uint8Array(36);
  buf.set(seed, 0);
  new DataView(buf.buffer).setUint32(32, pass, false);
  return BigInt(toHex(keccak256(buf)));
}

/**
 * Seeded sampling: r = draw mod W (W the total weight), and the chosen byte is the smallest i whose cumulative
 * weight w_0 + … + w_i exceeds r.
 */
export function sampledByte(logits: Int8Array, seed: Uint8Array, pass: number, shift: number): number {
  const w = samplingWeights(logits, shift);
  let total = 0;
  for (let i = 0; i < VOCAB; i++) total += w[i];
  const r = Number(drawOf(seed, pass) % BigInt(total));
  let cum = 0;
  for (let i = 0; i < VOCAB; i++) {
    cum += w[i];
    if (cum > r) return i;
  }
  /* c8 ignore next */
  throw new Error("unreachable: the cumulative weight reaches the total");
}
