/**
 * The worst one-step proofs of the ops-math operators: for each op, the layer of its largest legal size (the
 * largest that `validateProgram` accepts: its worst witness within 5M gas and 128 KiB) and its costliest element.
 * `worstCases()` feeds the bench's `gas.oneStepMax.<Op>` and test/executor/math-step-gas.test.ts, which proves
 * each on-chain through the MathKernels set.
 */
import { type Layer, type Program, oversizedStep } from "../../executor/runtime";

/** A one-layer program on an input of `inputShape`. */
function one(inputShape: number[], layer: Omit<Layer, "inputs" | "output">): Program {
  return {
    name: "worst",
    version: 1,
    inputShape,
    outputShape: layer.outShape,
    input: { scale: 1, zeroPoint: 0 },
    output: { scale: 1, zeroPoint: 0 },
    layers: [{ ...layer, inputs: [0], output: 1 }],
  };
}

const EXP_TABLE = Int32Array.from({ length: 256 }, (_, j) => Math.round(65536 * Math.exp((j - 255) / 32)));
const REQ = { multiplier: Int32Array.of(20000), shift: Int32Array.of(20) };

/** The program makers, by op and shape kind: each grows with x. */
export const MAKERS: Record<string, [string, (x: number) => Program, number][]> = {
  ReduceSum: [
    [
      "over a contiguous axis of n",
      (n) =>
        one([1, n, 1], {
          op: "ReduceSum",
          outShape: [1, 1, 1],
          attrs: { outer: 1, axisSize: n, inner: 1, zIn: 3, zOut: -2 },
          ...REQ,
        }),
      200_000,
    ],
    [
      "over an axis of n, 32 bytes apart (one chunk per read)",
      (n) =>
        one([1, n, 32], {
          op: "ReduceSum",
          outShape: [1, 1, 32],
          attrs: { outer: 1, axisSize: n, inner: 32, zIn: 3, zOut: -2 },
          ...REQ,
        }),
      100_000,
    ],
  ],
  ReduceMax: [
    [
      "over an axis of n, 32 bytes apart",
      (n) => one([1, n, 32], { op: "ReduceMax", outShape: [1, 1, 32], attrs: { outer: 1, axisSize: n, inner: 32 } }),
      100_000,
    ],
  ],
  Norm: [
    [
      "LayerNorm over n",
      (n) =>
        one([2, n], {
          op: "Norm",
          outShape: [2, n],
          attrs: { axisSize: n, wDiv: 1, wMod: n, epsQ: n, zIn: 1, zOut: 0 },
          weights: new Int8Array(n).fill(77),
          bias: new Int32Array(n).fill(-5000),
          ...REQ,
        }),
      100_000,
    ],
  ],
  LogSoftmax: [
    [
      "over an axis of n",
      (n) =>
        one([1, n, 1], {
          op: "LogSoftmax",
          outShape: [1, n, 1],
          attrs: { outer: 1, axisSize: n, inner: 1, zOut: 100 },
          bias: EXP_TABLE,
          multiplier: Int32Array.of(20000, 30000),
          shift: Int32Array.of(20),
        }),
      32_768,
    ],
  ],
};

/** The largest x for which make(x) is legal (bisection over the bound; make must grow with x). */
export function largestLegal(make: (x: number) => Program, hi: number): number {
  let lo = 1;
  if (oversizedStep(make(hi)) === undefined) return hi;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (oversizedStep(make(mid))) hi = mid;
    else lo = mid;
  }
  return lo;
}

/** Pointwise ops have no size that binds: their worst case is a large state and the longest descriptor or row. */
function pointwise(): { op: string; what: string; program: Program; element: number }[] {
  const n = 1 << 20;
  const side = 1 << 10;
  return [
    {
      op: "Div",
      what: `two operands of [${side}, ${side}] (a 2 MiB state, scattered reads)`,
      program: {
        name: "worst",
        version: 1,
        inputShape: [side, side],
        outputShape: [side, side],
        input: { scale: 1, zeroPoint: 0 },
        output: { scale: 1, zeroPoint: 0 },
        layers: [
          {
            op: "Lut",
            inputs: [0],
            output: 1,
            outShape: [side, side],
            attrs: {},
            lut: Int8Array.from({ length: 256 }, (_, j) => ((j * 37) % 256) - 128),
          },
          {
            op: "Div",
            inputs: [0, 1],
            output: 2,
            outShape: [side, side],
            attrs: { aShape: [side, side], bShape: [side, side], zA: 1, zB: -3, zOut: 2 },
            multiplier: Int32Array.of(20000),
            shift: Int32Array.of(20),
          },
        ],
      },
      element: n - 1,
    },
    {
      op: "ChannelLut",
      what: "65536 channels (256-byte rows, a 16-level row proof)",
      program: one([1, 65536, 16], {
        op: "ChannelLut",
        outShape: [1, 65536, 16],
        attrs: { channels: 65536, inner: 16 },
        weights: Int8Array.from({ length: 65536 * 256 }, (_, k) => (k * 7) % 251),
      }),
      element: 65536 * 16 - 1,
    },
  ];
}

export interface WorstCase {
  op: string;
  what: string;
  program: Program;
  /** The layer whose step is proven (the last), and its costliest element. */
  layer: number;
  element: number;
  /** The size parameter (axis length) and whether one more is refused, for the sized ops. */
  size?: number;
}

/** Every ops-math op's worst one-step proof. */
export function worstCases(): WorstCase[] {
  const out: WorstCase[] = [];
  for (const [op, kinds] of Object.entries(MAKERS)) {
    for (const [what, make, hi] of kinds) {
      const x = largestLegal(make, hi);
      const program = make(x);
      const outLen = program.layers[0].outShape.reduce((a, b) => a * b, 1);
      out.push({ op, what, program, layer: 0, element: outLen >> 1, size: x });
    }
  }
  for (const c of pointwise()) out.push({ ...c, layer: c.program.layers.length - 1 });
  return out;
}
