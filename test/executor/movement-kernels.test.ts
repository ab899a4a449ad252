/** Hand-computed values of the data-movement kernels (docs/NUMERICS.md §26), through the integer runtime. */
import { expect } from "chai";

import { execute, validateProgram, type Layer } from "../../executor/runtime";
import { program } from "../disputes/step-fixtures";

/** The output of a one-layer program on `x`. */
function run(inShape: number[], layer: Omit<Layer, "inputs" | "output">, x: number[]): number[] {
  const p = program(inShape, [{ ...layer, inputs: [0], output: 1 }]);
  validateProgram(p);
  const s = execute(p, Int8Array.from(x));
  return [...s[1]];
}

describe("data-movement kernels: hand-computed values (NUMERICS §26)", () => {
  it("Slice: starts [1, 2], steps [-1, -2] of [[1, 2, 3], [4, 5, 6]] is [[6, 4], [3, 1]]", () => {
    expect(
      run([2, 3], { op: "Slice", outShape: [2, 2], attrs: { starts: [1, 2], steps: [-1, -2] } }, [1, 2, 3, 4, 5, 6]),
    ).to.deep.equal([6, 4, 3, 1]);
  });

  it("Pad: [1, 2, 3] padded by 2 on each side in the four modes", () => {
    const pad = (mode: number) =>
      run([3], { op: "Pad", outShape: [7], attrs: { pads: [2, 2], mode, value: 9 } }, [1, 2, 3]);
    expect(pad(0)).to.deep.equal([9, 9, 1, 2, 3, 9, 9]);
    expect(pad(1)).to.deep.equal([3, 2, 1, 2, 3, 2, 1]);
    expect(pad(2)).to.deep.equal([1, 1, 1, 2, 3, 3, 3]);
    expect(pad(3)).to.deep.equal([2, 3, 1, 2, 3, 1, 2]);
    // negative pads crop
    expect(
      run([4], { op: "Pad", outShape: [3], attrs: { pads: [-2, 1], mode: 2, value: 0 } }, [1, 2, 3, 4]),
    ).to.deep.equal([3, 4, 4]);
  });

  it("Tile and Expand: [1, 2] tiled to [2, 4]; [[1], [2]] broadcast to [2, 3]", () => {
    expect(run([2], { op: "Tile", outShape: [2, 4], attrs: {} }, [1, 2])).to.deep.equal([1, 2, 1, 2, 1, 2, 1, 2]);
    expect(run([2, 1], { op: "Tile", outShape: [2, 3], attrs: {} }, [1, 2])).to.deep.equal([1, 1, 1, 2, 2, 2]);
  });

  it("Concat: the input [4, 10] (zIn 1, identity) and its slice [10] (zIn 2, halved) along axis 1, zOut 1: [4, 10, 5]", () => {
    const p = program(
      [1, 2],
      [
        { op: "Slice", inputs: [0], output: 1, outShape: [1, 1], attrs: { starts: [0, 1], steps: [1, 1] } },
        {
          op: "Concat",
          inputs: [0, 1],
          output: 2,
          outShape: [1, 3],
          attrs: { axis: 1, zIn: [1, 2], zOut: 1 },
          multiplier: Int32Array.of(16384, 16384),
          shift: Int32Array.of(14, 15),
        },
      ],
    );
    validateProgram(p);
    // input [4, 10]: the slice is [10]; 1 + (4 - 1) = 4, 1 + (10 - 1) = 10, 1 + roundShift(10 - 2, 2^14, 15) = 1 + 4 = 5
    expect([...execute(p, Int8Array.of(4, 10))[2]]).to.deep.equal([4, 10, 5]);
  });

  it("Gather: rows [2, 0] of [[1, 2], [3, 4], [5, 6]]; column 1 (a scalar index) is [2, 4, 6]", () => {
    const x = [1, 2, 3, 4, 5, 6];
    expect(run([3, 2], { op: "Gather", outShape: [2, 2], attrs: { axis: 0, indices: [2, 0] } }, x)).to.deep.equal([
      5, 6, 1, 2,
    ]);
    expect(run([3, 2], { op: "Gather", outShape: [3], attrs: { axis: 1, indices: [1] } }, x)).to.deep.equal([2, 4, 6]);
  });

  it("Embedding: tokens 2, 0, 4 (mod 3 = 1) and -1 (from the end) of a 3 x 2 table stored column by column", () => {
    // table rows (token v): [10, 11], [20, 21], [30, 31]; weight row j = column j
    const weights = Int8Array.of(10, 20, 30, 11, 21, 31);
    const layer = { op: "Embedding", outShape: [3, 2], attrs: { vocab: 3, inner: 2, zIndex: -128 }, weights };
    expect(run([3], layer, [-126, -128, -124])).to.deep.equal([30, 31, 10, 11, 20, 21]);
    const zero = { ...layer, outShape: [1, 2], attrs: { vocab: 3, inner: 2, zIndex: 0 } };
    expect(run([1], zero, [-1])).to.deep.equal([30, 31]);
  });

  it("Where: condition [1, 0] over [[4, 5], [6, 7]] (X, identity requantization), Y the constant 9: [[4, 9], [6, 9]]", () => {
    const layer = {
      op: "Where",
      outShape: [2, 2],
      attrs: { cShape: [1, 2], xShape: [2, 2], yShape: [1, 1], xConst: 0, yConst: 1, zIn: [0, 0], zOut: 0, value: 9 },
      weights: Int8Array.of(1, 0),
      multiplier: Int32Array.of(16384, 16384),
      shift: Int32Array.of(14, 14),
    };
    expect(run([2, 2], layer, [4, 5, 6, 7])).to.deep.equal([4, 9, 6, 9]);
  });
});
