/**
 * The worst one-step proofs of the data-movement operators (docs/NUMERICS.md §26), for `gas.oneStepMax.<Op>`: each
 * op at its largest legal size. An index-map element reads one byte, so what grows is the descriptor (Gather's
 * committed indices, Concat's inputs), the weight row (Embedding's vocabulary, Where's condition row) and the depth of S_k's tree (a state
 * of 2^24 bytes, the games' MAX_STATE_BYTES, for the ops whose descriptor is small).
 *
 * `worstCases()` gives one program per op with the layer and the element to prove; `largestLegal` is the bisection
 * over the step-witness bound (executor/runtime/step-witness.ts) that sizes them.
 */
import { type Layer, type Program, shapeSize } from "../../executor/runtime/program";
import { oversizedStep } from "../../executor/runtime/step-witness";

export interface WorstCase {
  op: string;
  program: Program;
  layer: number;
  /** The output element proven (its byte index in S_{layer+1}). */
  element: number;
}

function program(inputShape: number[], layers: Layer[]): Program {
  return {
    name: "worst",
    version: 1,
    inputShape,
    outputShape: layers[layers.length - 1].outShape,
    input: { scale: 1, zeroPoint: 0 },
    output: { scale: 1, zeroPoint: 0 },
    layers,
  };
}

/** The largest x in [1, hi) for which make(x) is a provable program (make must grow with x; make(hi) must not be). */
export function largestLegal(make: (x: number) => Program, hi: number): number {
  let lo = 1;
  if (oversizedStep(make(lo))) throw new Error("the smallest size is not provable");
  if (!oversizedStep(make(hi))) throw new Error(`size ${hi} is still provable: try a larger bound`);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (oversizedStep(make(mid))) hi = mid;
    else lo = mid;
  }
  return lo;
}

/** A rank-8 shape of 8^8 = 2^24 elements (`full`: the games' MAX_STATE_BYTES), else of 2^8. */
export function rank8(full: boolean): number[] {
  return new Array<number>(8).fill(full ? 8 : 2);
}

/** Slice of a rank-8 input, every axis reversed with step -1 from its last index. */
export function sliceWorst(full: boolean): Program {
  const s = rank8(full);
  return program(s, [
    {
      op: "Slice",
      inputs: [0],
      output: 1,
      outShape: s.map((n) => n - 1),
      attrs: { starts: s.map((n) => n - 1), steps: s.map(() => -1) },
    },
  ]);
}

/** Pad of a rank-8 input, reflect: the first axis cropped by one, the last padded by one before. */
export function padWorst(full: boolean): Program {
  const s = rank8(full);
  const r = s.length;
  const pads = new Array<number>(2 * r).fill(0);
  pads[0] = -1;
  pads[r - 1] = 1;
  return program(s, [
    {
      op: "Pad",
      inputs: [0],
      output: 1,
      outShape: s.map((n, d) => n + pads[d] + pads[r + d]),
      attrs: { pads, mode: 1, value: 0 },
    },
  ]);
}

/** Tile of a rank-8 input of half the largest state, twice along the last axis (the output is the largest state). */
export function tileWorst(full: boolean): Program {
  const out = rank8(full);
  const s = [...out];
  s[s.length - 1] /= 2;
  return program(s, [{ op: "Tile", inputs: [0], output: 1, outShape: out, attrs: {} }]);
}

/** Gather of `m` constant indices along axis 0 of a [m, 4] input. */
export function gatherWorst(m: number): Program {
  return program(
    [m, 4],
    [
      {
        op: "Gather",
        inputs: [0],
        output: 1,
        outShape: [m, 4],
        attrs: { axis: 0, indices: Array.from({ length: m }, (_, k) => m - 1 - k) },
      },
    ],
  );
}

/** Concat of `n` copies of a rank-8 [1, ..., 1, 2] input along the last axis (the last element reads the last). */
export function concatWorst(n: number): Program {
  const s = [1, 1, 1, 1, 1, 1, 1, 2];
  return program(s, [
    {
      op: "Concat",
      inputs: new Array<number>(n).fill(0),
      output: 1,
      outShape: [1, 1, 1, 1, 1, 1, 1, 2 * n],
      attrs: { axis: 7, zIn: Array.from({ length: n }, (_, k) => (k % 255) - 127), zOut: 3 },
      multiplier: Int32Array.from({ length: n }, (_, k) => 16384 + k),
      shift: Int32Array.from({ length: n }, () => 14),
    },
  ]);
}

/** Embedding of 4 tokens in a table of `vocab` rows of 8 features: one weight row is `vocab` bytes. */
export function embeddingWorst(vocab: number): Program {
  const weights = new Int8Array(vocab * 8);
  for (let k = 0; k < weights.length; k++) weights[k] = ((k * 37) % 255) - 127;
  return program(
    [4],
    [
      {
        op: "Embedding",
        inputs: [0],
        output: 1,
        outShape: [4, 8],
        attrs: { vocab, inner: 8, zIndex: -128 },
        weights,
      },
    ],
  );
}

/** Where over a [1, n] output whose constant condition is one weight row of n bytes (X and Y: the input). */
export function whereWorst(n: number): Program {
  const weights = new Int8Array(n);
  for (let k = 0; k < n; k++) weights[k] = k % 3 === 0 ? 1 : 0;
  return program(
    [1, n],
    [
      {
        op: "Where",
        inputs: [0, 0],
        output: 1,
        outShape: [1, n],
        attrs: {
          cShape: [1, n],
          xShape: [1, n],
          yShape: [1, n],
          xConst: 0,
          yConst: 0,
          zIn: [1, -2],
          zOut: 0,
          value: 0,
        },
        weights,
        multiplier: Int32Array.of(16384, 20000),
        shift: Int32Array.of(14, 15),
      },
    ],
  );
}

/**
 * One worst case per op. `full`: the index maps over a 2^24-byte state (slow to execute and hash: the bench);
 * otherwise over 2^8 bytes (their gas differs only by the proof's depth, which GAS_MODEL prices).
 */
export function worstCases(full = true): WorstCase[] {
  const last = (p: Program): number => shapeSize(p.layers[0].outShape) - 1;
  const cases: [string, Program][] = [
    ["Slice", sliceWorst(full)],
    ["Pad", padWorst(full)],
    ["Tile", tileWorst(full)],
    ["Gather", gatherWorst(largestLegal(gatherWorst, 8192))],
    ["Concat", concatWorst(Math.min(256, largestLegal(concatWorst, 4096)))],
    ["Embedding", embeddingWorst(largestLegal(embeddingWorst, 1 << 18))],
    ["Where", whereWorst(largestLegal(whereWorst, 1 << 18))],
  ];
  return cases.map(([op, p]) => ({ op, program: p, layer: 0, element: last(p) }));
}
