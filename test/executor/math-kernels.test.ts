/**
 * The math kernels (docs/NUMERICS.md §10, §18-22) against hand-computed values: the examples of each section, the
 * rounding of the integer mean / variance / square root, Div by zero, the fixed-point log2, and the bounds that
 * validation enforces.
 */
import { expect } from "chai";
import { ProgramDecodeError } from "../../executor/errors";
import { type Layer, type Program, execute, validateProgram } from "../../executor/runtime";
import { divQuotient, log2Fixed } from "../../executor/runtime/kernels/math";
import { isqrt, sliceStats } from "../../executor/runtime/kernels/reduce";
import { erf, tableOf } from "../../executor/ops/unary";
import { UnsupportedOperatorError } from "../../executor/errors";
import { GraphBuilder, tensorI64 } from "../../executor/model/builder";
import { quantizeGraph } from "../../executor/quant";
import { REDUCE_STEP_MAX } from "../../executor/ops/reduce";
import { oneLayerProgram } from "../helpers/step-bounds";

/** A validated one-layer program. */
function program(inputShape: number[], layer: Omit<Layer, "output" | "inputs">): Program {
  const p = oneLayerProgram(inputShape, layer, "t");
  validateProgram(p);
  return p;
}

function run(p: Program, x: number[]): number[] {
  const s = execute(p, Int8Array.from(x));
  return Array.from(s[s.length - 1]);
}

const EXP_TABLE = (scale: number): Int32Array =>
  Int32Array.from({ length: 256 }, (_, j) => Math.round(65536 * Math.exp(scale * (j - 255))));

describe("math kernels (NUMERICS §18-22)", () => {
  describe("§18 ReduceSum / ReduceMax", () => {
    it("ReduceSum: half the centred sum, rounded half up; ReduceMax: the maximum", () => {
      const attrs = { outer: 1, axisSize: 3, inner: 1 };
      const sum = program([3], {
        op: "ReduceSum",
        outShape: [1],
        attrs: { ...attrs, zIn: 1, zOut: 0 },
        multiplier: Int32Array.of(16384),
        shift: Int32Array.of(15),
      });
      expect(run(sum, [3, -2, 6])).to.deep.equal([2]);
      const max = program([3], { op: "ReduceMax", outShape: [1], attrs });
      expect(run(max, [3, -2, 6])).to.deep.equal([6]);
    });

    it("reduces the middle axis of [outer, n, inner] (strided reads) and saturates", () => {
      const p = program([2, 2, 2], {
        op: "ReduceSum",
        outShape: [2, 1, 2],
        attrs: { outer: 2, axisSize: 2, inner: 2, zIn: 0, zOut: 0 },
        multiplier: Int32Array.of(16384),
        shift: Int32Array.of(14),
      });
      expect(run(p, [1, 2, 3, 4, 100, -100, 100, -100])).to.deep.equal([4, 6, 127, -128]);
    });
  });

  describe("§18.1 long reductions split into provable steps", () => {
    function reduceMean(n: number, inner: number) {
      const b = new GraphBuilder("long", 18);
      const x = b.input("x", [1, n, inner]);
      b.output(b.node("ReduceMean", [x, b.initializer("axes", tensorI64([1], [1]))], {}, { name: "mean" }), [-1]);
      const calib = [Float32Array.from({ length: n * inner }, (_, i) => Math.sin(i))];
      return () => quantizeGraph(b.build(), calib);
    }

    it("an axis of 3 x 5 x 2^10 strided values becomes steps of at most 1,024 (partial means, then their mean)", () => {
      const p = reduceMean(3 * 5 * 1024, 2)();
      expect(p.layers.map((l) => [l.attrs.outer, l.attrs.axisSize, l.attrs.inner])).to.deep.equal([
        [15, 1024, 2],
        [1, 15, 2],
      ]);
      for (const l of p.layers) expect(l.attrs.axisSize as number).to.be.at.most(REDUCE_STEP_MAX.strided);
    });

    it("refuses an axis longer than a step whose length has no divisor within the limit, naming the node", () => {
      expect(reduceMean(2053, 2)).to.throw(UnsupportedOperatorError, /node 'mean'.*2053 values that cannot be split/);
    });
  });

  describe("§19 Norm (the integer mean, variance and reciprocal square root)", () => {
    it("the example: mu 3, V 14, R 7662, t = [-4379, -2190, 0, 6569], y = round(t / 64)", () => {
      const x = Int8Array.from([1, 2, 3, 6]);
      expect(sliceStats(x, 0, 4, 0, 0)).to.deep.equal({ mu: 3, r: 7662 });
      const p = program([4], {
        op: "Norm",
        outShape: [4],
        attrs: { axisSize: 4, wDiv: 1, wMod: 4, epsQ: 0, zIn: 0, zOut: 0 },
        weights: Int8Array.of(1, 1, 1, 1),
        bias: Int32Array.of(0, 0, 0, 0),
        multiplier: Int32Array.of(16384),
        shift: Int32Array.of(20),
      });
      expect(run(p, [1, 2, 3, 6])).to.deep.equal([-68, -34, 0, 103]);
    });

    it("the mean rounds half up (sum 2 over 4 is 1/2 -> 1) and a constant slice with epsQ 0 gives the bias", () => {
      expect(sliceStats(Int8Array.from([0, 0, 1, 1]), 0, 4, 0, 0).mu).to.equal(1);
      expect(sliceStats(Int8Array.from([0, 0, -1, -1]), 0, 4, 0, 0).mu).to.equal(0);
      const p = program([3], {
        op: "Norm",
        outShape: [3],
        attrs: { axisSize: 3, wDiv: 3, wMod: 1, epsQ: 0, zIn: 5, zOut: -2 },
        weights: Int8Array.of(100),
        bias: Int32Array.of(64),
        multiplier: Int32Array.of(16384),
        shift: Int32Array.of(15),
      });
      expect(run(p, [7, 7, 7])).to.deep.equal([-2 + 32, 30, 30]);
    });

    it("isqrt is the exact floor square root near squares and at 2^42", () => {
      for (const v of [0, 1, 2, 3, 4, 15, 16, 17, 2 ** 42 - 1, 2 ** 42, (2 ** 21 + 1) ** 2 - 1]) {
        const r = isqrt(v);
        expect(r * r <= v && (r + 1) * (r + 1) > v, `isqrt(${v}) = ${r}`).to.equal(true);
      }
    });

    it("refuses epsQ above n * 2^16 (ProgramDecodeError naming the layer)", () => {
      expect(() =>
        program([2], {
          op: "Norm",
          outShape: [2],
          attrs: { axisSize: 2, wDiv: 1, wMod: 2, epsQ: 2 * 65536 + 1, zIn: 0, zOut: 0 },
          weights: Int8Array.of(1, 1),
          bias: Int32Array.of(0, 0),
          multiplier: Int32Array.of(16384),
          shift: Int32Array.of(20),
        }),
      ).to.throw(ProgramDecodeError, /layer 0 \(Norm\): attribute 'epsQ'/);
    });
  });

  describe("§20 Div", () => {
    it("the example: round(a / b) with ties up, saturation on a zero divisor", () => {
      expect([
        divQuotient(7, 2, 16384, 14),
        divQuotient(7, -2, 16384, 14),
        divQuotient(-7, 2, 16384, 14),
        divQuotient(5, 0, 16384, 14),
        divQuotient(-5, 0, 16384, 14),
        divQuotient(0, 0, 16384, 14),
      ]).to.deep.equal([4, -3, -3, 255, -255, 0]);
    });

    it("a constant divisor row broadcast along the last axis", () => {
      const p = program([2, 2], {
        op: "Div",
        outShape: [2, 2],
        attrs: { aShape: [2, 2], bShape: [1, 2], constSide: 1, zA: 0, zB: 0, zOut: 1 },
        weights: Int8Array.of(2, -3),
        multiplier: Int32Array.of(16384),
        shift: Int32Array.of(14),
      });
      expect(run(p, [7, 9, -8, 0])).to.deep.equal([1 + 4, 1 - 3, 1 - 4, 1]);
    });

    it("refuses a shift above 24", () => {
      expect(() =>
        program([2], {
          op: "Div",
          outShape: [2],
          attrs: { aShape: [2], bShape: [1], constSide: 1, zA: 0, zB: 0, zOut: 0 },
          weights: Int8Array.of(2),
          multiplier: Int32Array.of(16384),
          shift: Int32Array.of(25),
        }),
      ).to.throw(ProgramDecodeError, /shift must be in \[1, 24\]/);
    });
  });

  describe("§21 ChannelLut", () => {
    it("the example: each channel reads its own table", () => {
      const weights = new Int8Array(512);
      for (let j = 0; j < 256; j++) {
        weights[j] = j - 128;
        weights[256 + j] = 127 - j;
      }
      const p = program([2], { op: "ChannelLut", outShape: [2], attrs: { channels: 2, inner: 1 }, weights });
      expect(run(p, [5, 5])).to.deep.equal([5, -6]);
    });
  });

  describe("§22 LogSoftmax", () => {
    it("log2Fixed: exact powers of two, the example, and the largest sum", () => {
      expect(log2Fixed(65536)).to.equal(0);
      expect(log2Fixed(131072)).to.equal(65536);
      expect(log2Fixed(89645)).to.equal(29617);
      expect(Math.abs(log2Fixed(89645) / 65536 - Math.log2(89645 / 65536))).to.be.below(2 ** -15);
      expect(log2Fixed(2 ** 31)).to.equal(15 * 65536);
      for (const s of [65537, 100000, 3 ** 19, 2 ** 31 - 1])
        expect(Math.abs(log2Fixed(s) / 65536 - Math.log2(s / 65536)), `S = ${s}`).to.be.below(2 ** -15);
    });

    it("the example: [0, -16] at scale 1/16 -> [0, -16]", () => {
      const p = program([2], {
        op: "LogSoftmax",
        outShape: [2],
        attrs: { outer: 1, axisSize: 2, inner: 1, zOut: 0 },
        bias: EXP_TABLE(1 / 16),
        multiplier: Int32Array.of(16384, 16384),
        shift: Int32Array.of(14),
      });
      expect(run(p, [0, -16])).to.deep.equal([0, -16]);
    });
  });

  describe("§10 tables of the unary activations", () => {
    it("a NaN is real 0 (the zero point), +-Infinity saturates", () => {
      const t = tableOf(Math.sqrt, { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: -7 });
      expect(t[0]).to.equal(-7); // sqrt(-128)
      expect(t[128 + 4]).to.equal(-7 + 2); // sqrt(4)
      const e = tableOf((v) => 1 / v, { scale: 1, zeroPoint: 0 }, { scale: 1, zeroPoint: 0 });
      expect(e[128]).to.equal(127); // 1 / 0
    });

    it("erf agrees with known values to float32 precision", () => {
      const known: [number, number][] = [
        [0, 0],
        [0.5, 0.5204998778130465],
        [1, 0.8427007929497149],
        [-2, -0.9953222650189527],
        [3.5, 0.9999992569016276],
        [5, 1],
      ];
      for (const [x, y] of known) expect(Math.abs(erf(x) - y), `erf(${x})`).to.be.below(1e-12);
    });
  });
});
