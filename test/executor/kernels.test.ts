/**
 * Integer kernels against hand-computed values (docs/NUMERICS.md), including rounding ties, saturation,
 * odd shapes, and the 2^53 exactness bound of the requantization arithmetic.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ProgramDecodeError } from "../../executor/errors";
import {
  type Layer,
  type Program,
  decodeProgram,
  encodeProgram,
  execute,
  executeStep,
  liveTensors,
  stateLayout,
  validateProgram,
} from "../../executor/runtime";
import { convIm2col, convTapMajor } from "../../executor/runtime/kernels/conv";
import { divRoundHalfUp, roundShift } from "../../executor/runtime/kernels/requant";

function program(inputShape: number[], layers: Omit<Layer, "output">[]): Program {
  const p: Program = {
    name: "t",
    version: 1,
    inputShape,
    outputShape: layers.length ? layers[layers.length - 1].outShape : inputShape,
    input: { scale: 1, zeroPoint: 0 },
    output: { scale: 1, zeroPoint: 0 },
    layers: layers.map((l, i) => ({ ...l, output: i + 1 })),
  };
  validateProgram(p);
  return p;
}

function run(p: Program, x: number[]): number[] {
  const s = execute(p, Int8Array.from(x));
  return Array.from(s[s.length - 1]);
}

const i32 = (...v: number[]): Int32Array => Int32Array.from(v);
const i8 = (...v: number[]): Int8Array => Int8Array.from(v);

describe("integer kernels", () => {
  describe("roundShift (requantization rounding)", () => {
    it("rounds half toward +infinity on both signs", () => {
      expect(roundShift(3, 1, 1)).to.equal(2); // 1.5 -> 2
      expect(roundShift(-3, 1, 1)).to.equal(-1); // -1.5 -> -1
      expect(roundShift(5, 1, 2)).to.equal(1); // 1.25 -> 1
      expect(roundShift(-5, 1, 2)).to.equal(-1); // -1.25 -> -1
      expect(roundShift(-7, 1, 2)).to.equal(-2); // -1.75 -> -2
      expect(roundShift(6, 1, 2)).to.equal(2); // 1.5 -> 2
    });
    it("is exact up to the documented bound |acc| < 2^37, m < 2^15, shift <= 46 (BigInt reference)", () => {
      fc.assert(
        fc.property(
          fc.bigInt({ min: -(2n ** 37n) + 1n, max: 2n ** 37n - 1n }),
          fc.integer({ min: 0, max: 2 ** 15 - 1 }),
          fc.integer({ min: 1, max: 46 }),
          (acc, m, s) => {
            const p = acc * BigInt(m) + (1n << BigInt(s - 1));
            // floor division for BigInt (BigInt '/' truncates toward zero)
            let q = p / (1n << BigInt(s));
            if (p < 0n && q * (1n << BigInt(s)) !== p) q -= 1n;
            return roundShift(Number(acc), m, s) === Number(q);
          },
        ),
        { numRuns: 2000 },
      );
    });
    it("divRoundHalfUp rounds ties up: 1/2 -> 1, -1/2 -> 0, -3/2 -> -1, 5/3 -> 2", () => {
      expect([divRoundHalfUp(1, 2), divRoundHalfUp(-1, 2), divRoundHalfUp(-3, 2), divRoundHalfUp(5, 3)]).to.deep.equal([
        1, 0, -1, 2,
      ]);
    });
  });

  describe("Gemm", () => {
    const gemm = (extra: Partial<Layer["attrs"]> = {}, mult = i32(16384, 24576), shift = i32(15, 16)): Program =>
      program(
        [1, 3],
        [
          {
            op: "Gemm",
            inputs: [0],
            outShape: [1, 2],
            attrs: { k: 3, n: 2, zIn: 2, zOut: -1, clampMin: -128, clampMax: 127, ...extra },
            weights: i8(1, 2, 3, -4, 0, 5),
            bias: i32(100, -3),
            multiplier: mult,
            shift,
          },
        ],
      );
    it("computes bias + sum w (x - zIn), per-channel requantization, output zero point", () => {
      // x - zIn = [8, -7, 1]; acc0 = 100 + 8 - 14 + 3 = 97; acc1 = -3 - 32 + 0 + 5 = -30
      // y0 = -1 + floor((97*16384 + 2^14) / 2^15) = -1 + 49 = 48
      // y1 = -1 + floor((-30*24576 + 2^15) / 2^16) = -1 + floor(-10.75) = -12   (-11.25 rounds to -11)
      expect(run(gemm(), [10, -5, 3])).to.deep.equal([48, -12]);
    });
    it("applies the fused activation clamp [clampMin, clampMax]", () => {
      expect(run(gemm({ clampMin: 0, clampMax: 40 }), [10, -5, 3])).to.deep.equal([40, 0]);
    });
    it("saturates to [-128, 127]", () => {
      // x - zIn = [125, -130, 125]: acc0 = 100 + 125 - 260 + 375 = 340, acc1 = -3 - 500 + 625 = 122;
      // with M = 32767, shift 7: 340 * 32767 / 128 = 87038 and 122 * 32767 / 128 = 31231 both saturate to 127
      expect(run(gemm({}, i32(32767), i32(7)), [127, -128, 127])).to.deep.equal([127, 127]);
      // xs = [-130, 125, -130]: acc0 = 100 - 130 + 250 - 390 = -170 -> -43518.25 -> -128; acc1 = -3 + 520 - 650 = -133 -> -128
      expect(run(gemm({}, i32(32767), i32(7)), [-128, 127, -128])).to.deep.equal([-128, -128]);
    });
    it("treats a [rows, k] input row by row (batch 2)", () => {
      const p = program(
        [2, 1],
        [
          {
            op: "Gemm",
            inputs: [0],
            outShape: [2, 1],
            attrs: { k: 1, n: 1, zIn: 0, zOut: 0, clampMin: -128, clampMax: 127 },
            weights: i8(3),
            bias: i32(1),
            multiplier: i32(16384),
            shift: i32(15),
          },
        ],
      );
      // (3*5 + 1)/2 = 8; (3*-5 + 1)/2 = -7
      expect(run(p, [5, -5])).to.deep.equal([8, -7]);
    });
  });

  describe("Gemm (property)", () => {
    it("E4: equals a direct BigInt transcription of NUMERICS §5 for random sizes, zero points and clamps", () => {
      fc.assert(
        fc.property(
          fc.integer({ min: 1, max: 3 }),
          fc.integer({ min: 1, max: 40 }),
          fc.integer({ min: 1, max: 11 }),
          fc.integer({ min: -128, max: 127 }),
          fc.integer({ min: -128, max: 127 }),
          fc.boolean(),
          fc.nat(),
          (rows, k, n, zIn, zOut, perChannel, seed) => {
            let st = seed;
            const rnd = (lo: number, hi: number): number => {
              st = (Math.imul(st, 1664525) + 1013904223) >>> 0;
              return lo + (st % (hi - lo + 1));
            };
            const nm = perChannel ? n : 1;
            const clampMin = rnd(-128, 0);
            const layer: Layer = {
              op: "Gemm",
              inputs: [0],
              output: 1,
              outShape: [rows, n],
              attrs: { k, n, zIn, zOut, clampMin, clampMax: rnd(clampMin, 127) },
              weights: Int8Array.from({ length: n * k }, () => rnd(-128, 127)),
              // ranges where outputs are mostly not saturated, so a wrong accumulator shows in the output
              bias: Int32Array.from({ length: n }, () => rnd(-5000, 5000)),
              multiplier: Int32Array.from({ length: nm }, () => rnd(2 ** 14, 2 ** 15 - 1)),
              shift: Int32Array.from({ length: nm }, () => rnd(14, 26)),
            };
            const p = program([rows, k], [layer]);
            // mostly x = zIn (zero terms), so both the dense and the sparse (zero-skipping) paths run
            const sparsity = rnd(0, 10);
            const x = Int8Array.from({ length: rows * k }, () => (rnd(0, 9) < sparsity ? zIn : rnd(-128, 127)));
            const got = run(p, Array.from(x));
            for (let r = 0; r < rows; r++)
              for (let o = 0; o < n; o++) {
                let acc = BigInt(layer.bias![o]);
                for (let j = 0; j < k; j++) acc += BigInt(layer.weights![o * k + j]) * BigInt(x[r * k + j] - zIn);
                const c = perChannel ? o : 0;
                const s = BigInt(layer.shift![c]);
                const q = (acc * BigInt(layer.multiplier![c]) + (1n << (s - 1n))) >> s; // BigInt >> is floor
                let v = BigInt(zOut) + q;
                if (v < BigInt(layer.attrs.clampMin as number)) v = BigInt(layer.attrs.clampMin as number);
                if (v > BigInt(layer.attrs.clampMax as number)) v = BigInt(layer.attrs.clampMax as number);
                if (got[r * n + o] !== Number(v)) return false;
              }
            return true;
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe("Conv", () => {
    const base = { zIn: 0, zOut: 0, clampMin: -128, clampMax: 127, dilations: [1, 1] };
    it("1x1 kernel on a 1x1 input with 3 input channels", () => {
      const p = program(
        [1, 3, 1, 1],
        [
          {
            op: "Conv",
            inputs: [0],
            outShape: [1, 2, 1, 1],
            attrs: {
              ...base,
              inChw: [3, 1, 1],
              outChw: [2, 1, 1],
              group: 1,
              kernel: [1, 1],
              strides: [1, 1],
              pads: [0, 0, 0, 0],
            },
            weights: i8(1, 2, 3, -1, -1, -1),
            bias: i32(0, 10),
            multiplier: i32(16384),
            shift: i32(14),
          },
        ],
      );
      // ch0: 1*4 + 2*5 + 3*6 = 32 -> *1 = 32; ch1: 10 - 15 = -5
      expect(run(p, [4, 5, 6])).to.deep.equal([32, -5]);
    });
    it("zero-pads in the real domain: padded taps contribute nothing (non-square 2x3 input, 2x2 kernel, pads 1)", () => {
      const p = program(
        [1, 1, 2, 3],
        [
          {
            op: "Conv",
            inputs: [0],
            outShape: [1, 1, 3, 4],
            attrs: {
              ...base,
              zIn: 1,
              inChw: [1, 2, 3],
              outChw: [1, 3, 4],
              group: 1,
              kernel: [2, 2],
              strides: [1, 1],
              pads: [1, 1, 1, 1],
            },
            weights: i8(1, 1, 1, 1),
            bias: i32(0),
            multiplier: i32(16384),
            shift: i32(14),
          },
        ],
      );
      // x - zIn = [[0,1,2],[3,4,5]]; each output = sum of the in-bounds taps of the 2x2 window
      expect(run(p, [1, 2, 3, 4, 5, 6])).to.deep.equal([0, 1, 3, 2, 3, 8, 12, 7, 3, 7, 9, 5]);
    });
    it("groups: each output channel reads only its group's input channels; strides 2 and dilation 2", () => {
      const p = program(
        [1, 2, 3, 3],
        [
          {
            op: "Conv",
            inputs: [0],
            outShape: [1, 2, 1, 1],
            attrs: {
              ...base,
              inChw: [2, 3, 3],
              outChw: [2, 1, 1],
              group: 2,
              kernel: [2, 2],
              strides: [2, 2],
              pads: [0, 0, 0, 0],
              dilations: [2, 2],
            },
            weights: i8(1, 1, 1, 1, 1, -1, 0, 0),
            bias: i32(0, 0),
            multiplier: i32(16384),
            shift: i32(14),
          },
        ],
      );
      const x = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 20, 30, 40, 50, 60, 70, 80, 90];
      // ch0 (group 0): corners of channel 0 = 1 + 3 + 7 + 9 = 20; ch1 (group 1): 10 - 30 = -20
      expect(run(p, x)).to.deep.equal([20, -20]);
    });
    it("E4: both loop orders equal a direct BigInt transcription of NUMERICS §6 on random layers", () => {
      const layerArb = fc
        .record({
          g: fc.integer({ min: 1, max: 3 }),
          cg: fc.integer({ min: 1, max: 3 }),
          mg: fc.integer({ min: 1, max: 3 }),
          h: fc.integer({ min: 1, max: 6 }),
          w: fc.integer({ min: 1, max: 6 }),
          kh: fc.integer({ min: 1, max: 3 }),
          kw: fc.integer({ min: 1, max: 3 }),
          sh: fc.integer({ min: 1, max: 3 }),
          sw: fc.integer({ min: 1, max: 3 }),
          dh: fc.integer({ min: 1, max: 2 }),
          dw: fc.integer({ min: 1, max: 2 }),
          pads: fc.tuple(fc.nat(2), fc.nat(2), fc.nat(2), fc.nat(2)),
          zIn: fc.integer({ min: -128, max: 127 }),
          zOut: fc.integer({ min: -128, max: 127 }),
          seed: fc.nat(),
        })
        .filter(
          (r) =>
            r.h + r.pads[0] + r.pads[2] >= (r.kh - 1) * r.dh + 1 &&
            r.w + r.pads[1] + r.pads[3] >= (r.kw - 1) * r.dw + 1,
        );
      fc.assert(
        fc.property(layerArb, (r) => {
          const c = r.g * r.cg;
          const m = r.g * r.mg;
          const oh = Math.floor((r.h + r.pads[0] + r.pads[2] - (r.kh - 1) * r.dh - 1) / r.sh) + 1;
          const ow = Math.floor((r.w + r.pads[1] + r.pads[3] - (r.kw - 1) * r.dw - 1) / r.sw) + 1;
          let st = r.seed;
          const rnd = (lo: number, hi: number): number => {
            st = (Math.imul(st, 1664525) + 1013904223) >>> 0;
            return lo + (st % (hi - lo + 1));
          };
          const rowLen = r.cg * r.kh * r.kw;
          const layer: Layer = {
            op: "Conv",
            inputs: [0],
            output: 1,
            outShape: [1, m, oh, ow],
            attrs: {
              inChw: [c, r.h, r.w],
              outChw: [m, oh, ow],
              group: r.g,
              kernel: [r.kh, r.kw],
              strides: [r.sh, r.sw],
              pads: [...r.pads],
              dilations: [r.dh, r.dw],
              zIn: r.zIn,
              zOut: r.zOut,
              clampMin: -128,
              clampMax: 127,
            },
            weights: Int8Array.from({ length: m * rowLen }, () => rnd(-127, 127)),
            bias: Int32Array.from({ length: m }, () => rnd(-100000, 100000)),
            multiplier: Int32Array.from({ length: m }, () => rnd(1 << 14, (1 << 15) - 1)),
            shift: Int32Array.from({ length: m }, () => rnd(12, 24)),
          };
          const sparsity = rnd(0, 10); // share of x = zIn: exercises the dense and the zero-skipping paths
          const x = Int8Array.from({ length: c * r.h * r.w }, () => (rnd(0, 9) < sparsity ? r.zIn : rnd(-128, 127)));
          const ref = new Int8Array(m * oh * ow);
          for (let o = 0; o < m; o++)
            for (let oy = 0; oy < oh; oy++)
              for (let ox = 0; ox < ow; ox++) {
                let acc = BigInt(layer.bias![o]);
                const g = Math.floor(o / r.mg);
                for (let ci = 0; ci < r.cg; ci++)
                  for (let ky = 0; ky < r.kh; ky++)
                    for (let kx = 0; kx < r.kw; kx++) {
                      const iy = oy * r.sh - r.pads[0] + ky * r.dh;
                      const ix = ox * r.sw - r.pads[1] + kx * r.dw;
                      if (iy < 0 || iy >= r.h || ix < 0 || ix >= r.w) continue;
                      const wv = layer.weights![((o * r.cg + ci) * r.kh + ky) * r.kw + kx];
                      acc += BigInt(wv) * BigInt(x[((g * r.cg + ci) * r.h + iy) * r.w + ix] - r.zIn);
                    }
                const s = BigInt(layer.shift![o]);
                const p = acc * BigInt(layer.multiplier![o]) + (1n << (s - 1n));
                const q = p >= 0n ? p >> s : -((-p + (1n << s) - 1n) >> s); // floor division by 2^s
                const v = BigInt(r.zOut) + q;
                ref[(o * oh + oy) * ow + ox] = Number(v < -128n ? -128n : v > 127n ? 127n : v);
              }
          const a = convTapMajor(layer, x);
          const b = convIm2col(layer, x);
          return Buffer.from(a).equals(Buffer.from(ref)) && Buffer.from(b).equals(Buffer.from(ref));
        }),
        { numRuns: 300 },
      );
    });
  });

  describe("pooling", () => {
    it("MaxPool: padding never wins, even against -128", () => {
      const p = program(
        [1, 1, 2, 2],
        [
          {
            op: "MaxPool",
            inputs: [0],
            outShape: [1, 1, 2, 2],
            attrs: {
              inChw: [1, 2, 2],
              outHw: [2, 2],
              kernel: [2, 2],
              strides: [1, 1],
              pads: [1, 1, 0, 0],
              dilations: [1, 1],
            },
          },
        ],
      );
      expect(run(p, [-128, -100, -90, -128])).to.deep.equal([-128, -100, -90, -90]);
    });
    it("AveragePool: sum of (x - zIn) / count rounded half up; count_include_pad changes the divisor", () => {
      const mk = (cip: number): Program =>
        program(
          [1, 1, 1, 2],
          [
            {
              op: "AveragePool",
              inputs: [0],
              outShape: [1, 1, 1, 2],
              attrs: {
                inChw: [1, 1, 2],
                outHw: [1, 2],
                kernel: [1, 2],
                strides: [1, 1],
                pads: [0, 1, 0, 0],
                countIncludePad: cip,
                zIn: -10,
              },
            },
          ],
        );
      // x - zIn = [1, 2]; window 0 = [pad, 1], window 1 = [1, 2]
      // cip 0: [1/1, 3/2 = 1.5 -> 2] + zIn = [-9, -8]; cip 1: [1/2 = 0.5 -> 1, 2] + zIn = [-9, -8]
      expect(run(mk(0), [-9, -8])).to.deep.equal([-9, -8]);
      // x - zIn = [-1, 2]: cip 0: [-1, 0.5 -> 1] -> [-11, -9]; cip 1: [-0.5 -> 0, 1] -> [-10, -9]
      expect(run(mk(0), [-11, -8])).to.deep.equal([-11, -9]);
      expect(run(mk(1), [-11, -8])).to.deep.equal([-10, -9]);
    });
  });

  describe("elementwise", () => {
    it("Add broadcasts [2,1] + [1,3] with per-operand multipliers and rounds half up", () => {
      const p = program(
        [2, 1],
        [
          {
            op: "Add",
            inputs: [0],
            outShape: [2, 3],
            attrs: { aShape: [2, 1], bShape: [1, 3], zA: 1, zB: 0, zOut: 5, constSide: 1 },
            weights: i8(0, 1, -3),
            multiplier: i32(16384, 8192),
            shift: i32(15),
          },
        ],
      );
      // a - zA = [2, -2] (x = [3, -1]); y = 5 + floor((a*16384 + b*8192 + 2^14) / 2^15) = 5 + round_half_up(a/2 + b/4)
      // row 0: 1, 1.25, 0.25 -> 1, 1, 0 ; row 1: -1, -0.75, -1.75 -> -1, -1, -2
      expect(run(p, [3, -1])).to.deep.equal([6, 6, 5, 4, 4, 3]);
    });
    it("Sub with the constant first computes c - x", () => {
      const p = program(
        [3],
        [
          {
            op: "Sub",
            inputs: [0],
            outShape: [3],
            attrs: { aShape: [1], bShape: [3], zA: 0, zB: 0, zOut: 0, constSide: 0 },
            weights: i8(10),
            multiplier: i32(16384, 16384),
            shift: i32(14),
          },
        ],
      );
      expect(run(p, [1, -5, 127])).to.deep.equal([9, 15, -117]);
    });
    it("Add of two tensors (DAG) saturates at both ends", () => {
      const p = program(
        [3],
        [
          { op: "Relu", inputs: [0], outShape: [3], attrs: { zIn: 0 } },
          {
            op: "Add",
            inputs: [0, 1],
            outShape: [3],
            attrs: { aShape: [3], bShape: [3], zA: 0, zB: 0, zOut: 0 },
            multiplier: i32(16384, 16384),
            shift: i32(14),
          },
        ],
      );
      // x + relu(x): 100 + 100 -> 127; -100 + 0 -> -100; 3 + 3 = 6
      expect(run(p, [100, -100, 3])).to.deep.equal([127, -100, 6]);
      const p2 = program(
        [1],
        [
          {
            op: "Sub",
            inputs: [0],
            outShape: [1],
            attrs: { aShape: [1], bShape: [1], zA: 0, zB: 0, zOut: 0, constSide: 1 },
            weights: i8(100),
            multiplier: i32(16384, 16384),
            shift: i32(14),
          },
        ],
      );
      expect(run(p2, [-100])).to.deep.equal([-128]);
    });
    it("Mul multiplies (a - zA)(b - zB) then requantizes", () => {
      const p = program(
        [2],
        [
          {
            op: "Mul",
            inputs: [0],
            outShape: [2],
            attrs: { aShape: [2], bShape: [1], zA: 0, zB: 0, zOut: 0, constSide: 1 },
            weights: i8(-3),
            multiplier: i32(16384),
            shift: i32(17),
          },
        ],
      );
      // y = round_half_up(x * -3 / 8): 5 -> -1.875 -> -2; -4 -> 1.5 -> 2
      expect(run(p, [5, -4])).to.deep.equal([-2, 2]);
    });
    it("Relu keeps the input quantization: y = max(x, zIn)", () => {
      expect(
        run(program([4], [{ op: "Relu", inputs: [0], outShape: [4], attrs: { zIn: -20 } }]), [-128, -21, -20, 50]),
      ).to.deep.equal([-20, -20, -20, 50]);
    });
    it("Lut indexes the table by x + 128", () => {
      const lut = Int8Array.from({ length: 256 }, (_, i) => 127 - i);
      expect(
        run(program([3], [{ op: "Lut", inputs: [0], outShape: [3], attrs: {}, lut }]), [-128, 0, 127]),
      ).to.deep.equal([127, -1, -128]);
    });
    it("Affine applies a per-channel weight and bias along axis 1", () => {
      const p = program(
        [1, 2, 2],
        [
          {
            op: "Affine",
            inputs: [0],
            outShape: [1, 2, 2],
            attrs: { channels: 2, inner: 2, zIn: 0, zOut: 0, clampMin: -128, clampMax: 127 },
            weights: i8(2, -1),
            bias: i32(1, 0),
            multiplier: i32(16384),
            shift: i32(14),
          },
        ],
      );
      expect(run(p, [3, 4, 3, 4])).to.deep.equal([7, 9, -3, -4]);
    });
  });

  describe("Softmax", () => {
    const table = Int32Array.from({ length: 256 }, (_, j) => Math.round(65536 * Math.exp((j - 255) / 16)));
    const sm = (n: number): Program =>
      program(
        [n],
        [{ op: "Softmax", inputs: [0], outShape: [n], attrs: { outer: 1, axisSize: n, inner: 1 }, bias: table }],
      );
    it("splits equal inputs evenly: 1/2 -> 0 (128 - 128), 1/3 -> 85 - 128, a single element saturates to 127", () => {
      expect(run(sm(2), [7, 7])).to.deep.equal([0, 0]);
      expect(run(sm(3), [-5, -5, -5])).to.deep.equal([-43, -43, -43]);
      expect(run(sm(1), [-128])).to.deep.equal([127]);
    });
    it("uses E[x - max + 255] and rounds 256 e / S half up", () => {
      // x = [0, -16]: e = [65536, round(65536 e^-1) = 24109], S = 89645
      // y0 = floor((512*65536 + 89645) / 179290) - 128 = 187 - 128 = 59; y1 = floor((512*24109 + 89645)/179290) - 128 = 69 - 128
      expect(table[239]).to.equal(24109);
      expect(run(sm(2), [0, -16])).to.deep.equal([59, -59]);
    });
  });

  describe("shape ops", () => {
    it("Transpose [2,3] -> [3,2]", () => {
      const p = program([2, 3], [{ op: "Transpose", inputs: [0], outShape: [3, 2], attrs: { perm: [1, 0] } }]);
      expect(run(p, [1, 2, 3, 4, 5, 6])).to.deep.equal([1, 4, 2, 5, 3, 6]);
    });
    it("Transpose [1,2,3,2] with perm [0,3,1,2] (NCHW -> NWCH-like)", () => {
      const p = program(
        [1, 2, 3, 2],
        [{ op: "Transpose", inputs: [0], outShape: [1, 2, 2, 3], attrs: { perm: [0, 3, 1, 2] } }],
      );
      const x = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11];
      // y[0, w, c, h] = x[0, c, h, w]
      expect(run(p, x)).to.deep.equal([0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]);
    });
    it("Reshape copies the data unchanged", () => {
      expect(
        run(program([2, 2], [{ op: "Reshape", inputs: [0], outShape: [4], attrs: {} }]), [1, -2, 3, -4]),
      ).to.deep.equal([1, -2, 3, -4]);
    });
  });

  describe("states and steps", () => {
    const dag = (): Program =>
      program(
        [2],
        [
          { op: "Relu", inputs: [0], outShape: [2], attrs: { zIn: 0 } },
          {
            op: "Lut",
            inputs: [1],
            outShape: [2],
            attrs: {},
            lut: Int8Array.from({ length: 256 }, (_, i) => (i - 128) >> 1),
          },
          {
            op: "Add",
            inputs: [0, 2],
            outShape: [2],
            attrs: { aShape: [2], bShape: [2], zA: 0, zB: 0, zOut: 0 },
            multiplier: i32(16384, 16384),
            shift: i32(14),
          },
          { op: "Relu", inputs: [3], outShape: [2], attrs: { zIn: 0 } },
        ],
      );
    it("liveTensors lists the tensors a later layer still reads, plus the newest one", () => {
      const p = dag();
      expect([0, 1, 2, 3, 4].map((s) => liveTensors(p, s))).to.deep.equal([[0], [0, 1], [0, 2], [3], [4]]);
      expect(stateLayout(p, 2)).to.deep.equal([
        { id: 0, offset: 0, length: 2 },
        { id: 2, offset: 2, length: 2 },
      ]);
    });
    it("states concatenate live tensors in id order and executeStep reproduces every step", () => {
      const p = dag();
      const s = execute(p, i8(-6, 10));
      expect(s.map((a) => Array.from(a))).to.deep.equal([
        [-6, 10],
        [-6, 10, 0, 10],
        [-6, 10, 0, 5],
        [-6, 15],
        [0, 15],
      ]);
      for (let k = 1; k <= 4; k++) expect(Array.from(executeStep(p, k, s[k - 1]))).to.deep.equal(Array.from(s[k]));
    });
    it("executeStep rejects a state of the wrong size and a step out of range", () => {
      const p = dag();
      expect(() => executeStep(p, 2, i8(1, 2))).to.throw(/state S1 must be an Int8Array of 4 values/);
      expect(() => executeStep(p, 0, i8(1, 2))).to.throw(/outside 1..4/);
      expect(() => execute(p, i8(1))).to.throw(/expects 2/);
    });
  });

  describe("program validation", () => {
    const good = (): Program =>
      program(
        [1, 3],
        [
          {
            op: "Gemm",
            inputs: [0],
            outShape: [1, 2],
            attrs: { k: 3, n: 2, zIn: 0, zOut: 0, clampMin: -128, clampMax: 127 },
            weights: i8(1, 2, 3, 4, 5, 6),
            bias: i32(0, 0),
            multiplier: i32(16384),
            shift: i32(15),
          },
        ],
      );
    it("rejects a multiplier >= 2^15, a shift outside [1, 46] and weights of the wrong length", () => {
      const p1 = good();
      p1.layers[0].multiplier = i32(32768);
      expect(() => validateProgram(p1)).to.throw(ProgramDecodeError, /multiplier/);
      const p2 = good();
      p2.layers[0].shift = i32(47);
      expect(() => validateProgram(p2)).to.throw(ProgramDecodeError, /shift/);
      const p3 = good();
      p3.layers[0].weights = i8(1, 2, 3);
      expect(() => validateProgram(p3)).to.throw(ProgramDecodeError, /weights/);
    });
    it("rejects a window geometry whose output size does not follow from the input, pads, kernel and stride", () => {
      const pool = (outHw: number[]): Program => ({
        name: "t",
        version: 1,
        inputShape: [1, 1, 4, 4],
        outputShape: [1, 1, ...outHw],
        input: { scale: 1, zeroPoint: 0 },
        output: { scale: 1, zeroPoint: 0 },
        layers: [
          {
            op: "MaxPool",
            inputs: [0],
            output: 1,
            outShape: [1, 1, ...outHw],
            attrs: { inChw: [1, 4, 4], outHw, kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1] },
          },
        ],
      });
      expect(() => validateProgram(pool([2, 2]))).to.not.throw();
      expect(() => validateProgram(pool([2, 9]))).to.throw(ProgramDecodeError, /output size 9 does not follow/);
    });
    it("encode is canonical and decode(encode(p)) round-trips exactly", () => {
      const p = good();
      const bytes = encodeProgram(p);
      const q = decodeProgram(bytes);
      expect(q).to.deep.equal(p);
      expect(Buffer.from(encodeProgram(q)).equals(Buffer.from(bytes))).to.equal(true);
      // attribute insertion order does not change the bytes
      const shuffled = {
        ...p,
        layers: [{ ...p.layers[0], attrs: Object.fromEntries(Object.entries(p.layers[0].attrs).reverse()) }],
      };
      expect(Buffer.from(encodeProgram(shuffled)).equals(Buffer.from(bytes))).to.equal(true);
    });
  });
});
