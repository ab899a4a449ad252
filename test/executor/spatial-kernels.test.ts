/** Hand-computed values of the spatial kernels (docs/NUMERICS.md §23-§25). */
import { expect } from "chai";
import { execute, validateProgram } from "../../executor/runtime";
import { ProgramDecodeError } from "../../executor/errors";
import { program } from "../disputes/step-fixtures";

describe("spatial kernels: hand-computed values", () => {
  it("MatMul: the example of NUMERICS §23 (B as a constant operand holding B - zB)", () => {
    const p = program(
      [2, 3],
      [
        {
          op: "MatMul",
          inputs: [0],
          output: 1,
          outShape: [2, 2],
          attrs: { aShape: [2, 3], bShape: [3, 2], constSide: 1, zA: 1, zB: 0, zOut: 5 },
          weights: Int8Array.of(1, 2, 0, 3, 2, -1), // B - zB of the example
          multiplier: Int32Array.of(16384),
          shift: Int32Array.of(14),
        },
      ],
    );
    validateProgram(p);
    expect([...execute(p, Int8Array.of(2, 0, -1, 1, 1, 1))[1]]).to.deep.equal([2, 6, 5, 5]);
  });

  it("MatMul of two computed operands subtracts each operand's zero point", () => {
    // A = the input [1, 2, 2]; B = the same bytes (a Reshape); zA = 0, zB = -1, scale 1
    const p = program(
      [1, 2, 2],
      [
        { op: "Reshape", inputs: [0], output: 1, outShape: [1, 2, 2], attrs: {} },
        {
          op: "MatMul",
          inputs: [0, 1],
          output: 2,
          outShape: [1, 2, 2],
          attrs: { aShape: [1, 2, 2], bShape: [1, 2, 2], zA: 0, zB: -1, zOut: 0 },
          multiplier: Int32Array.of(16384),
          shift: Int32Array.of(14),
        },
      ],
    );
    validateProgram(p);
    // A = [[1, 2], [3, 4]], B - zB = [[2, 3], [4, 5]]: A (B - zB) = [[10, 13], [22, 29]]
    expect([...execute(p, Int8Array.of(1, 2, 3, 4))[2]]).to.deep.equal([10, 13, 22, 29]);
  });

  it("a 1-D Conv layer runs on an [N, C, L] tensor as a plane of height 1", () => {
    const p = program(
      [1, 1, 4],
      [
        {
          op: "Conv",
          inputs: [0],
          output: 1,
          outShape: [1, 1, 4],
          attrs: {
            inChw: [1, 1, 4],
            outChw: [1, 1, 4],
            group: 1,
            kernel: [1, 2],
            strides: [1, 1],
            pads: [0, 1, 0, 0],
            dilations: [1, 1],
            zIn: 1,
            zOut: 0,
            clampMin: -128,
            clampMax: 127,
          },
          weights: Int8Array.of(1, 1),
          bias: Int32Array.of(0),
          multiplier: Int32Array.of(16384),
          shift: Int32Array.of(14),
        },
      ],
    );
    validateProgram(p);
    // x - zIn = [0, 1, 2, 3], window [pad, x0], [x0, x1], ...: [0, 1, 3, 5]
    expect([...execute(p, Int8Array.of(1, 2, 3, 4))[1]]).to.deep.equal([0, 1, 3, 5]);
  });

  it("ConvTranspose 1-D: the example of NUMERICS §25", () => {
    const p = program(
      [1, 1, 2],
      [
        {
          op: "ConvTranspose",
          inputs: [0],
          output: 1,
          outShape: [1, 1, 4],
          attrs: {
            inChw: [1, 1, 2],
            outChw: [1, 1, 4],
            group: 1,
            kernel: [1, 2],
            strides: [1, 2],
            pads: [0, 0, 0, 0],
            dilations: [1, 1],
            zIn: 0,
            zOut: 0,
            clampMin: -128,
            clampMax: 127,
          },
          weights: Int8Array.of(1, 2),
          bias: Int32Array.of(0),
          multiplier: Int32Array.of(16384),
          shift: Int32Array.of(14),
        },
      ],
    );
    validateProgram(p);
    expect([...execute(p, Int8Array.of(3, 4))[1]]).to.deep.equal([3, 6, 4, 8]);
  });

  it("ConvTranspose validation refuses an output size that no output_padding gives", () => {
    const layer = {
      op: "ConvTranspose",
      inputs: [0],
      output: 1,
      outShape: [1, 1, 6],
      attrs: {
        inChw: [1, 1, 2],
        outChw: [1, 1, 6],
        group: 1,
        kernel: [1, 2],
        strides: [1, 2],
        pads: [0, 0, 0, 0],
        dilations: [1, 1],
        zIn: 0,
        zOut: 0,
        clampMin: -128,
        clampMax: 127,
      },
      weights: Int8Array.of(1, 2),
      bias: Int32Array.of(0),
      multiplier: Int32Array.of(16384),
      shift: Int32Array.of(14),
    };
    expect(() => validateProgram(program([1, 1, 2], [layer]))).to.throw(
      ProgramDecodeError,
      /layer 0 \(ConvTranspose\): output size 6 does not follow from input 2/,
    );
  });
});
