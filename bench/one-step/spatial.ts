/**
 * The worst one-step proofs of the spatial operators at their largest legal size (ops-spatial): for
 * `gas.oneStepMax.<Op>` in bench/results.json. Conv and the pools in 1-D run as the 2-D layers (the same kernels), so
 * their worst cases are those of the 2-D families; MatMul's are its own.
 */
import { oversizedStep } from "../../executor/runtime/step-witness";
import type { Program } from "../../executor/runtime/types";
import { Rng, program } from "../../test/disputes/step-fixtures";

const REQ = { multiplier: Int32Array.of(20000), shift: Int32Array.of(30) };

/**
 * MatMul of two computed operands: A = the input [n, k], B = Reshape(A) [k, n]; B's column is k taps n bytes apart
 * (n >= 32: one chunk each in a sparse witness).
 */
export function matmulActAct(k: number, n = 64): Program {
  return program(
    [n, k],
    [
      { op: "Reshape", inputs: [0], output: 1, outShape: [k, n], attrs: {} },
      {
        op: "MatMul",
        inputs: [0, 1],
        output: 2,
        outShape: [n, n],
        attrs: { aShape: [n, k], bShape: [k, n], zA: -3, zB: 5, zOut: 0 },
        ...REQ,
      },
    ],
  );
}

/** MatMul of the input [1, k] by a constant [k, n] operand held as weights (one row of k * n bytes). */
export function matmulConstRight(k: number, n = 2): Program {
  return program(
    [2, 1, k],
    [
      {
        op: "MatMul",
        inputs: [0],
        output: 1,
        outShape: [2, 1, n],
        attrs: { aShape: [2, 1, k], bShape: [2, k, n], constSide: 1, zA: -3, zB: 0, zOut: 0 },
        weights: new Rng(k).int8s(2 * k * n, -127, 127),
        ...REQ,
      },
    ],
  );
}

/** ConvTranspose 3x3, stride 2, over c channels of 16x16 (each output reads up to 2x2 taps of each channel). */
export function convTransposeC(c: number): Program {
  const r = new Rng(c);
  return program(
    [1, c, 16, 16],
    [
      {
        op: "ConvTranspose",
        inputs: [0],
        output: 1,
        outShape: [1, 2, 31, 31],
        attrs: {
          inChw: [c, 16, 16],
          outChw: [2, 31, 31],
          group: 1,
          kernel: [3, 3],
          strides: [2, 2],
          pads: [1, 1, 1, 1],
          dilations: [1, 1],
          zIn: -3,
          zOut: 0,
          clampMin: -128,
          clampMax: 127,
        },
        weights: r.int8s(2 * c * 9, -127, 127),
        bias: r.int32s(2, -1000, 1000),
        ...REQ,
      },
    ],
  );
}

/** The largest x for which make(x) is legal (make grows with x; make(1) legal, make(hi) not). */
export function largestLegal(make: (x: number) => Program, hi: number): number {
  let lo = 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (oversizedStep(make(mid))) hi = mid;
    else lo = mid;
  }
  return lo;
}

/** Each operator's worst case: the program, the layer and the element to prove. */
export function worstCases(): { op: string; program: Program; layer: number; element: number }[] {
  const kAct = largestLegal((k) => matmulActAct(k), 20_000);
  const kConst = largestLegal((k) => matmulConstRight(k), 200_000);
  const cT = largestLegal((c) => convTransposeC(c), 4_000);
  return [
    { op: "MatMul", program: matmulActAct(kAct), layer: 1, element: 33 },
    { op: "ConvTranspose", program: convTransposeC(cT), layer: 0, element: 31 * 15 + 15 },
    { op: "MatMulConst", program: matmulConstRight(kConst), layer: 0, element: 3 },
  ];
}
