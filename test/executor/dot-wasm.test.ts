import { expect } from "chai";
import { dotJob16, dotJob8, fitsInt32, groupsOf } from "../../executor/runtime/kernels/dot-wasm";

/** Deterministic pseudo-random integers in [lo, hi] (xorshift32), so failures reproduce. */
function ints(n: number, seed: number, lo: number, hi: number): number[] {
  let x = seed | 1;
  return Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return lo + ((x >>> 0) % (hi - lo + 1));
  });
}

describe("executor/runtime/kernels/dot-wasm (Gemm and MatMul sums in WebAssembly SIMD)", () => {
  for (const [name, wLo, wHi] of [
    ["dotJob8 (int8 rows of w)", -128, 127],
    ["dotJob16 (int16 rows of w)", -255, 255],
  ] as const) {
    it(`${name} gives the exact sums of every row of x against every row of w, rows of any length`, () => {
      for (const [rows, n, len] of [
        [1, 1, 1],
        [3, 5, 7],
        [2, 4, 8],
        [5, 3, 17],
        [4, 6, 64],
        [1, 9, 255],
      ]) {
        const x = ints(rows * len, rows * 100 + len, -255, 255);
        const w = ints(n * len, n * 100 + len, wLo, wHi);
        const job = wLo === -128 ? dotJob8(rows, n, len) : dotJob16(rows, n, len);
        expect(job, "this Node has WebAssembly SIMD").to.not.equal(null);
        const g = groupsOf(len) * 8;
        job!.x.fill(0);
        job!.w.fill(0);
        for (let r = 0; r < rows; r++) for (let j = 0; j < len; j++) job!.x[r * g + j] = x[r * len + j];
        for (let o = 0; o < n; o++) for (let j = 0; j < len; j++) job!.w[o * g + j] = w[o * len + j];
        job!.run();
        for (let r = 0; r < rows; r++)
          for (let o = 0; o < n; o++) {
            let sum = 0;
            for (let j = 0; j < len; j++) sum += x[r * len + j] * w[o * len + j];
            expect(job!.acc[r * n + o], `rows ${rows}, n ${n}, len ${len}: [${r}, ${o}]`).to.equal(sum);
          }
      }
    });
  }

  it("is used only while no int32 sum can overflow, and has no job for an empty operand", () => {
    expect(fitsInt32(65793, 128 * 255)).to.equal(true); // 65793 * 32640 = 2^31 - 128
    expect(fitsInt32(65794, 128 * 255)).to.equal(false);
    expect(fitsInt32(33025, 255 * 255)).to.equal(true); // 33025 * 65025 = 2^31 - 33023
    expect(fitsInt32(33026, 255 * 255)).to.equal(false);
    expect(dotJob8(0, 4, 8)).to.equal(null);
    expect(dotJob16(4, 4, 0)).to.equal(null);
  });
});
