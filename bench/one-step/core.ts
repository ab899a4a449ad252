/**
 * The worst one-step proofs of the core operators (Gemm, Conv, the pools, Softmax, the binary and unary pointwise
 * ops, Reshape, Transpose), for `gas.oneStepMax.<Op>`:
 *  - the sized kernels at their largest legal size, the limit programs of X10-4 (test/executor/step-witness.test.ts
 *    imports the makers from here): Gemm's row of k weights, Conv over c channels (both witnesses) and along one
 *    kernel row, the pools over a whole plane, Softmax over a long axis; plus their strided forms (a pool window of
 *    one column and a Softmax axis whose values sit 32 bytes apart, one chunk per read);
 *  - a binary op's constant operand is one weight row, so its largest legal size binds; Affine's per-channel
 *    multipliers, shifts and biases sit in the descriptor, so its channel count binds;
 *  - the ops that read one byte (Relu, Lut, Reshape, Transpose, a binary op of two computed operands) have no size
 *    that binds: their worst case is a state of 2^24 bytes (MAX_STATE_BYTES, the deepest chunk tree), `full`, or
 *    2^8 bytes otherwise (the tests: the gas differs only by the proof's depth).
 * Conv and the pools in 1-D and 3-D run as the 2-D layers (the same kernels), so their worst cases are these.
 */
import type { Layer, Program } from "../../executor/runtime/types";
import { Rng, program } from "../../test/disputes/step-fixtures";
import { largestLegal, rank8 } from "./shape";

const REQUANT = { multiplier: Int32Array.of(20000), shift: Int32Array.of(30) };
const CLAMP = { zOut: 0, clampMin: -128, clampMax: 127 };
/** Add and Sub: one multiplier per operand, one shift (NUMERICS §9). */
const ADDSUB = { multiplier: Int32Array.of(16384, 20000), shift: Int32Array.of(15) };
const EXP_TABLE = Int32Array.from({ length: 256 }, (_, j) => Math.round(65536 * Math.exp((j - 255) / 16)));

/** Gemm of a [batch, k] input by n rows of k int8 weights. */
export function gemm(k: number, n = 2, batch = 2): Program {
  const r = new Rng(k);
  return program(
    [batch, k],
    [
      {
        op: "Gemm",
        inputs: [0],
        output: 1,
        outShape: [batch, n],
        attrs: { k, n, zIn: -3, ...CLAMP },
        weights: r.int8s(n * k, -127, 127),
        bias: r.int32s(n, -1000, 1000),
        ...REQUANT,
      },
    ],
  );
}

/** A Conv of c input channels on h x w, m output channels, kernel kh x kw (pads keep the size when `same`). */
export function conv(
  c: number,
  h: number,
  w: number,
  kh: number,
  kw: number,
  opts: { m?: number; same?: boolean; d?: number } = {},
): Program {
  const m = opts.m ?? 2;
  const d = opts.d ?? 1;
  const ph = opts.same ? (kh - 1) >> 1 : 0;
  const pw = opts.same ? (kw - 1) >> 1 : 0;
  const oh = h + 2 * ph - (kh - 1) * d;
  const ow = w + 2 * pw - (kw - 1) * d;
  const r = new Rng(c * 7 + kw);
  return program(
    [1, c, h, w],
    [
      {
        op: "Conv",
        inputs: [0],
        output: 1,
        outShape: [1, m, oh, ow],
        attrs: {
          inChw: [c, h, w],
          outChw: [m, oh, ow],
          group: 1,
          kernel: [kh, kw],
          strides: [1, 1],
          pads: [ph, pw, ph, pw],
          dilations: [d, d],
          zIn: 0,
          ...CLAMP,
        },
        weights: r.int8s(m * c * kh * kw, -127, 127),
        bias: r.int32s(m, -1000, 1000),
        ...REQUANT,
      },
    ],
  );
}

/**
 * A pool over an h x w plane with a kh x kw window (by default the whole plane: one output element), stride 1.
 */
export function pool(op: "MaxPool" | "AveragePool", h: number, w: number, kh = h, kw = w): Program {
  const attrs: Layer["attrs"] = {
    inChw: [1, h, w],
    outHw: [h - kh + 1, w - kw + 1],
    kernel: [kh, kw],
    strides: [1, 1],
    pads: [0, 0, 0, 0],
  };
  if (op === "MaxPool") attrs.dilations = [1, 1];
  else Object.assign(attrs, { countIncludePad: 0, zIn: 0 });
  return program([1, 1, h, w], [{ op, inputs: [0], output: 1, outShape: [1, 1, h - kh + 1, w - kw + 1], attrs }]);
}

/** Softmax over the middle axis of [1, n, inner]. */
export function softmax(n: number, inner = 1): Program {
  return program(
    [1, n, inner],
    [
      {
        op: "Softmax",
        inputs: [0],
        output: 1,
        outShape: [1, n, inner],
        attrs: { outer: 1, axisSize: n, inner },
        bias: EXP_TABLE,
      },
    ],
  );
}

/** A binary op of the input [1, n] and a constant [1, n] operand on the right (one weight row of n bytes). */
export function binaryConst(op: "Add" | "Sub" | "Mul", n: number): Program {
  return program(
    [1, n],
    [
      {
        op,
        inputs: [0],
        output: 1,
        outShape: [1, n],
        attrs: { aShape: [1, n], bShape: [1, n], constSide: 1, zA: -3, zB: 0, zOut: 1 },
        weights: new Rng(n).int8s(n, -127, 127),
        ...(op === "Mul" ? REQUANT : ADDSUB),
      },
    ],
  );
}

/**
 * A binary op of two computed operands of half a state each: tensor 0 (the input) and tensor 1 = Relu(input), so the
 * state before it holds both (`full`: 2^24 bytes) and the last element reads a byte of each, half a state apart.
 */
export function binaryAct(op: "Add" | "Sub" | "Mul", full: boolean): Program {
  const s = rank8(full);
  s[0] /= 2;
  return program(s, [
    { op: "Relu", inputs: [0], output: 1, outShape: s, attrs: { zIn: 0 } },
    {
      op,
      inputs: [0, 1],
      output: 2,
      outShape: s,
      attrs: { aShape: s, bShape: s, zA: -3, zB: 0, zOut: 1 },
      ...(op === "Mul" ? REQUANT : ADDSUB),
    },
  ]);
}

/** Affine over c channels of [1, c, inner]: c weights (one row each), c biases, multipliers and shifts. */
export function affine(c: number, inner = 1): Program {
  const r = new Rng(c);
  return program(
    [1, c, inner],
    [
      {
        op: "Affine",
        inputs: [0],
        output: 1,
        outShape: [1, c, inner],
        attrs: { channels: c, inner, zIn: -3, ...CLAMP },
        weights: r.int8s(c, -127, 127),
        bias: r.int32s(c, -1000, 1000),
        multiplier: Int32Array.from({ length: c }, () => 20000),
        shift: Int32Array.from({ length: c }, () => 23),
      },
    ],
  );
}

/** A one-layer program over a rank-8 state (`full`: 2^24 bytes) of an op that reads one byte. */
function unary(layer: (s: number[]) => Omit<Layer, "inputs" | "output">, full: boolean): Program {
  const s = rank8(full);
  return program(s, [{ ...layer(s), inputs: [0], output: 1 }]);
}

export interface CoreCase {
  op: string;
  what: string;
  program: Program;
  /** The layer whose step is proven (the last) and its costliest element. */
  layer: number;
  element: number;
}

/** Every core op's worst cases (an op may have several shapes; its figure is the costliest). */
export function worstCases(full = true): CoreCase[] {
  const last = (p: Program): number => p.layers[p.layers.length - 1].outShape.reduce((a, b) => a * b, 1) - 1;
  const sized: [string, string, (x: number) => Program, number, (p: Program) => number][] = [
    ["Gemm", "one row of k int8 weights", (k) => gemm(k), 60_000, () => 3],
    [
      "Conv",
      "3x3 over c channels of 8x8 (contiguous witness)",
      (c) => conv(c, 8, 8, 3, 3, { same: true }),
      4_000,
      () => 64 + 8 * 3 + 3,
    ],
    [
      "Conv",
      "3x3 over c channels of 32x32 (sparse witness)",
      (c) => conv(c, 32, 32, 3, 3, { same: true }),
      1_000,
      () => 1024 + 32 * 15 + 16,
    ],
    ["Conv", "1 x kw (one kernel row)", (kw) => conv(1, 1, kw, 1, kw), 60_000, () => 1],
    ["MaxPool", "over a 1 x w plane", (w) => pool("MaxPool", 1, w), 60_000, () => 0],
    ["MaxPool", "an h x 1 window on an h x 32 plane", (h) => pool("MaxPool", h, 32, h, 1), 60_000, () => 16],
    ["AveragePool", "over a 1 x w plane", (w) => pool("AveragePool", 1, w), 60_000, () => 0],
    ["AveragePool", "an h x 1 window on an h x 32 plane", (h) => pool("AveragePool", h, 32, h, 1), 60_000, () => 16],
    ["Softmax", "over an axis of n", (n) => softmax(n), 30_000, (p) => p.inputShape[1] >> 1],
    ["Softmax", "over an axis of n, 32 bytes apart", (n) => softmax(n, 32), 30_000, (p) => (p.inputShape[1] >> 1) * 32],
    ["Affine", "over c channels", (c) => affine(c), 1 << 20, last],
  ];
  const out: CoreCase[] = [];
  for (const [op, what, make, hi, element] of sized) {
    const p = make(largestLegal(make, hi));
    out.push({ op, what, program: p, layer: 0, element: element(p) });
  }
  for (const op of ["Add", "Sub", "Mul"] as const) {
    const p = binaryConst(
      op,
      largestLegal((n) => binaryConst(op, n), 1 << 20),
    );
    out.push({ op, what: "a constant operand of n bytes (one weight row)", program: p, layer: 0, element: last(p) });
    const q = binaryAct(op, full);
    out.push({ op, what: "two computed operands, half a state apart", program: q, layer: 1, element: last(q) });
  }
  const lutTable = Int8Array.from({ length: 256 }, (_, j) => ((j * 37) % 256) - 128);
  const unaries: [string, (s: number[]) => Omit<Layer, "inputs" | "output">][] = [
    ["Relu", (s) => ({ op: "Relu", outShape: s, attrs: { zIn: -3 } })],
    ["Lut", (s) => ({ op: "Lut", outShape: s, attrs: {}, lut: lutTable })],
    [
      "Reshape",
      (s) => ({
        op: "Reshape",
        outShape: [...s].reverse().map((d, i) => (i === 0 ? d * 2 : i === 1 ? d / 2 : d)),
        attrs: {},
      }),
    ],
    [
      "Transpose",
      (s) => ({ op: "Transpose", outShape: [...s].reverse(), attrs: { perm: s.map((_, i) => s.length - 1 - i) } }),
    ],
  ];
  for (const [op, layer] of unaries) {
    const p = unary(layer, full);
    out.push({
      op,
      what: `over a rank-8 state of ${p.inputShape.reduce((a, b) => a * b, 1)} bytes`,
      program: p,
      layer: 0,
      element: last(p),
    });
  }
  return out;
}
