import { expect } from "chai";
import fc from "fast-check";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

import { UnsupportedOperatorError } from "../../executor/errors";
import { run } from "../../executor/runtime";
import { validateProgram, type Layer, type Program } from "../../executor/runtime/program";
import { weightsRoot } from "../../executor/trace/weights";
import { generateCircuit, publicSignals, splitRoot, ZK_SUPPORTED_OPS } from "../../modes/zk/circuit";
import { zkPrng } from "../../modes/zk/model";
import { compileCircuit, computeWitness, zkShutdown } from "../../modes/zk/setup";
import { ZK_SIZES, zkCircuit } from "../helpers/zk-fixtures";

// The generated circuit computes exactly the reference executor (docs/NUMERICS.md §5, §10): for random inputs the
// witness for (input, run(input)) satisfies every constraint, and the same input with any other output does not.
// Witness generation is cheap (milliseconds), so these run many cases; proving is tested in ZkSettler.test.ts.

const RUNS = Number(process.env.ZK_RUNS ?? 150);

function int8s(n: number): fc.Arbitrary<Int8Array> {
  return fc.array(fc.integer({ min: -128, max: 127 }), { minLength: n, maxLength: n }).map((a) => Int8Array.from(a));
}

/** A random Gemm layer over `k` inputs with `rows` rows; `extreme` pushes bias, multiplier and shift to their bounds. */
function gemmLayer(rand: () => number, id: number, rows: number, k: number, n: number, extreme = false): Layer {
  const ri = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const perChannel = rand() < 0.5;
  const channels = perChannel ? n : 1;
  const zOut = ri(-128, 127);
  const lo = rand() < 0.4 ? zOut : ri(-128, 0);
  const hi = rand() < 0.5 ? 127 : ri(Math.max(lo, 0), 127);
  // scale ~ 1 / (k * 64) keeps most outputs inside the clamp, so both the clamp and the rounding are exercised
  const base = Math.ceil(Math.log2(k * 64)) + 14;
  return {
    op: "Gemm",
    inputs: [id - 1],
    output: id,
    outShape: rows === 1 ? [1, n] : [rows, n],
    attrs: { k, n, zIn: ri(-128, 127), zOut, clampMin: lo, clampMax: hi },
    weights: Int8Array.from({ length: n * k }, () => ri(-127, 127)),
    bias: Int32Array.from({ length: n }, () => (extreme ? ri(-(2 ** 31 - 1), 2 ** 31 - 1) : ri(-4000, 4000))),
    multiplier: Int32Array.from({ length: channels }, () => (extreme ? 2 ** 15 - 1 : ri(1 << 13, (1 << 15) - 1))),
    shift: Int32Array.from({ length: channels }, () => (extreme ? ri(30, 46) : ri(base - 7, base))),
  };
}

function randomProgram(seed: number, extreme = false): Program {
  const rand = zkPrng(seed);
  const layers: Layer[] = [];
  layers.push(gemmLayer(rand, 1, 2, 6, 5, extreme)); // two rows of 6: [2, 6] -> [2, 5]
  layers.push({ op: "Reshape", inputs: [1], output: 2, outShape: [1, 10], attrs: {} });
  layers.push({ op: "Relu", inputs: [2], output: 3, outShape: [1, 10], attrs: { zIn: -7 } });
  layers.push(gemmLayer(rand, 4, 1, 10, 3, extreme));
  const p: Program = {
    name: `random-${seed}`,
    version: 1,
    inputShape: [2, 6],
    outputShape: [1, 3],
    input: { scale: 1, zeroPoint: 0 },
    output: { scale: 1, zeroPoint: 0 },
    layers,
  };
  validateProgram(p);
  return p;
}

describe("ZK circuit generator (modes/zk)", function () {
  this.timeout(300_000);
  let tmp: string;

  before(function () {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "verity-zk-circuit-"));
  });

  after(async function () {
    fs.rmSync(tmp, { recursive: true, force: true });
    await zkShutdown();
  });

  describe("Z2: generateCircuit", function () {
    it("rejects an unsupported operator with UnsupportedOperatorError naming the layer and the op", function () {
      const p = randomProgram(1);
      const conv: Layer = { ...p.layers[2], op: "Lut", lut: new Int8Array(256) };
      const bad: Program = { ...p, layers: [p.layers[0], p.layers[1], conv, p.layers[3]] };
      expect(() => generateCircuit(bad))
        .to.throw(UnsupportedOperatorError)
        .with.property("message")
        .that.matches(/node 'layer 2' uses Lut.*supported: Gemm, Relu, Reshape/);
      expect(ZK_SUPPORTED_OPS).to.deep.equal(["Gemm", "Relu", "Reshape"]);
    });

    it("rejects a layer that does not read the previous layer's output (residual graphs)", function () {
      const p = randomProgram(2);
      const skip: Layer = { ...p.layers[3], inputs: [2] };
      expect(() => generateCircuit({ ...p, layers: [...p.layers.slice(0, 3), skip] }))
        .to.throw(UnsupportedOperatorError)
        .with.property("message")
        .that.matches(/node 'layer 3' uses Gemm with a non-sequential input/);
    });

    it("pins the weights root as two 128-bit public constants, after the input and output signals", function () {
      const p = randomProgram(3);
      const c = generateCircuit(p);
      const root = weightsRoot(p);
      const [hi, lo] = splitRoot(root);
      expect(c.weightsRoot).to.equal(root);
      expect((hi << 128n) | lo).to.equal(BigInt(root));
      expect(c.source).to.contain(`root[0] === ${hi};`).and.contain(`root[1] === ${lo};`);
      const x = new Int8Array(12).fill(-128);
      const y = Int8Array.from([0, 127, -1]);
      expect(publicSignals(x, y, root)).to.deep.equal([
        ...Array(12).fill("0"),
        "128",
        "255",
        "127",
        hi.toString(),
        lo.toString(),
      ]);
    });
  });

  describe("Z1: witness = reference executor, bit for bit", function () {
    for (const [label, seed, extreme] of [
      ["random Gemm(2 rows)-Reshape-Relu-Gemm, per-tensor and per-channel requantization", 11, false],
      ["the same with biases up to 2^31, multipliers 2^15 - 1 and shifts 30..46", 12, true],
    ] as const) {
      it(label, async function () {
        const p = randomProgram(seed, extreme);
        const { files } = await compileCircuit(p, tmp, `random${seed}`);
        const root = weightsRoot(p);
        let clamped = 0;
        let inside = 0;
        await fc.assert(
          fc.asyncProperty(int8s(12), fc.nat(2), async (x, which) => {
            const y = run(p, x);
            const last = p.layers[p.layers.length - 1].attrs;
            if (y.some((v) => v === last.clampMin || v === last.clampMax)) clamped++;
            if (y.some((v) => v > (last.clampMin as number) && v < (last.clampMax as number))) inside++;
            await computeWitness(files.wasm, x, y, root);
            const wrong = Int8Array.from(y);
            wrong[which] = wrong[which] === 127 ? 126 : wrong[which] + 1;
            let rejected = false;
            await computeWitness(files.wasm, x, wrong, root).catch(() => (rejected = true));
            expect(rejected, `output ${which} + 1 accepted`).to.equal(true);
          }),
          { numRuns: RUNS, seed },
        );
        expect(clamped, "no case reached the clamp").to.be.greaterThan(0);
        if (!extreme) expect(inside, "every case saturated").to.be.greaterThan(0);
      });
    }

    it("Z2: the test MLP (6-4-3, quantized from a float graph): every random input, and a wrong weights root fails", async function () {
      const zk = await zkCircuit();
      await fc.assert(
        fc.asyncProperty(int8s(ZK_SIZES[0]), async (x) => {
          const y = run(zk.program, x);
          await computeWitness(zk.files.wasm, x, y, zk.meta.weightsRoot);
        }),
        { numRuns: RUNS, seed: 13 },
      );
      const x = new Int8Array(ZK_SIZES[0]).fill(5);
      const y = run(zk.program, x);
      const otherRoot = "0x" + "11".repeat(32);
      let rejected = false;
      await computeWitness(zk.files.wasm, x, y, otherRoot).catch(() => (rejected = true));
      expect(rejected).to.equal(true);
    });
  });
});
