import { expect } from "chai";
import { ethers } from "hardhat";
import { AbiCoder, concat, getBytes } from "ethers";
import * as fs from "fs";
import * as path from "path";
import {
  buildSparseStepProof,
  buildStepProof,
  expectedElement,
  type SparseStepProof,
  type StepProof,
} from "../../game/step-proof";
import { loadOnnx } from "../../executor/model/onnx";
import { quantizeGraph } from "../../executor/quant";
import { execute, validateProgram, type Program } from "../../executor/runtime";
import { DESCRIPTOR_ABI_TYPES, WeightsCommitment, stepLayout } from "../../executor/trace/weights";
import type { CoreKernels, IntegerStepVerifier, StepVerifierBatch } from "../../typechain-types";
import { conv } from "../../bench/one-step/core";
import { GENERATORS, Rng, program } from "./step-fixtures";
import { UNDER_COVERAGE } from "../helpers/coverage";
import { deployStepVerifier, kernelErrors } from "../helpers/step-verifier";

/** Instrumented bytecode costs more gas: the gas bounds are only asserted on the real bytecode. */
const COVERAGE = UNDER_COVERAGE;

/**
 * Cases per operator (random program x random element); each operator gets at least this many. Instrumented
 * bytecode is two orders of magnitude slower, so a coverage run takes a few per operator (every kernel path is
 * still reached).
 */
const CASES_PER_OP = COVERAGE ? 12 : 100;
/**
 * Under coverage, the ops whose generators mix several operand layouts (a constant on either side, two computed
 * operands, broadcast batch axes, zero and negative divisors) get more cases, so that every layout comes up.
 */
const COVERAGE_CASES: Record<string, number> = { MatMul: 48, Div: 48 };
const casesFor = (op: string) => (COVERAGE ? (COVERAGE_CASES[op] ?? CASES_PER_OP) : CASES_PER_OP);
/** Cases per eth_call of the batch harness. */
const BATCH = 40;

interface Case {
  what: string;
  proof: StepProof;
  /** Every third case also goes through computeElementSparse. */
  sparse?: SparseStepProof;
  want: number;
}

function args(p: StepProof): [StepProof["claim"], StepProof["layer"], StepProof["slice"], StepProof["rows"]] {
  return [p.claim, p.layer, p.slice, p.rows];
}

function sargs(
  p: SparseStepProof,
): [SparseStepProof["claim"], SparseStepProof["layer"], SparseStepProof["slice"], SparseStepProof["rows"]] {
  return [p.claim, p.layer, p.slice, p.rows];
}

/** Random S_0 and the honest states of `p`. */
function run(p: Program, r: Rng): Int8Array[] {
  let n = 1;
  for (const d of p.inputShape) n *= d;
  return execute(p, r.int8s(n));
}

/** `count` cases for one operator: random programs, random elements of every step (the last step twice). */
function cases(op: string, seed: number, count: number): Case[] {
  const r = new Rng(seed);
  const out: Case[] = [];
  while (out.length < count) {
    const p = GENERATORS[op](r);
    validateProgram(p);
    const states = run(p, r);
    const weights = new WeightsCommitment(p);
    const L = p.layers.length;
    for (let k = 0; k < L; k++) {
      const reps = k === L - 1 ? 2 : 1;
      for (let t = 0; t < reps; t++) {
        const e = r.int(0, states[k + 1].length - 1);
        out.push({
          what: `${op} seed ${seed} program #${out.length} layer ${k} (${p.layers[k].op}) element ${e}: ${JSON.stringify(p.layers[k].attrs)}`,
          proof: buildStepProof(p, states, k, e, weights),
          sparse: out.length % 3 === 0 ? buildSparseStepProof(p, states, k, e, weights) : undefined,
          want: expectedElement(p, states, k, e),
        });
      }
    }
  }
  return out;
}

async function computeMany(batch: StepVerifierBatch, verifier: string, cs: Case[]): Promise<number[]> {
  const got: number[] = [];
  for (let i = 0; i < cs.length; i += BATCH) {
    const part = cs.slice(i, i + BATCH).map((c) => ({ ...c.proof }));
    got.push(...(await batch.computeMany(verifier, part)).map(Number));
  }
  return got;
}

/** The cases that carry a sparse proof, through computeElementSparse. */
async function computeManySparse(
  batch: StepVerifierBatch,
  verifier: string,
  cs: Case[],
): Promise<{ c: Case; got: number }[]> {
  const with_ = cs.filter((c) => c.sparse !== undefined);
  const out: { c: Case; got: number }[] = [];
  for (let i = 0; i < with_.length; i += BATCH) {
    const part = with_.slice(i, i + BATCH);
    const got = await batch.computeManySparse(
      verifier,
      part.map((c) => ({ ...c.sparse! })),
    );
    part.forEach((c, j) => out.push({ c, got: Number(got[j]) }));
  }
  return out;
}

const ROOT = path.join(__dirname, "..", "..");

function demoProgram(name: "mlp" | "cnn"): { program: Program; input: Float32Array } {
  const images = (file: string): number[][] =>
    (JSON.parse(fs.readFileSync(path.join(ROOT, "models", file), "utf8")) as { images: number[][] }).images;
  const calibration = images("digits-calibration.json")
    .slice(0, 64)
    .map((v) => Float32Array.from(v));
  const onnx = new Uint8Array(fs.readFileSync(path.join(ROOT, "models", `${name}.onnx`)));
  return {
    program: quantizeGraph(loadOnnx(onnx), calibration),
    input: Float32Array.from(images("digits-test.json")[0]),
  };
}

describe("IntegerStepVerifier", function () {
  this.timeout(300_000);
  let verifier: IntegerStepVerifier;
  let kernels: CoreKernels;
  let batch: StepVerifierBatch;
  let verifierAddress: string;

  before(async () => {
    verifier = await deployStepVerifier();
    kernels = await kernelErrors(verifier);
    batch = await ethers.deployContract("StepVerifierBatch");
    verifierAddress = await verifier.getAddress();
  });

  describe("V1, V7: differential fuzzing against the TypeScript runtime (bit-exact)", () => {
    Object.keys(GENERATORS).forEach((op, i) => {
      it(`${op}: ${casesFor(op)}+ random programs and elements give the runtime's byte`, async () => {
        const cs = cases(op, 1000 + i, casesFor(op));
        const got = await computeMany(batch, verifierAddress, cs);
        cs.forEach((c, j) => expect(got[j], c.what).to.equal(c.want));
        const sparse = await computeManySparse(batch, verifierAddress, cs);
        expect(sparse.length).to.be.at.least(casesFor(op) / 3);
        for (const { c, got: g } of sparse) expect(g, `sparse ${c.what}`).to.equal(c.want);
      });
    });
  });

  describe("V2: the demo models", () => {
    for (const name of ["mlp", "cnn"] as const) {
      it(`${name}: every layer, first/last/random elements agree with the runtime; gas of the largest step`, async () => {
        const { program: p, input } = demoProgram(name);
        const { quantizeInput } = await import("../../executor/quant");
        const states = execute(p, quantizeInput(p, input));
        const weights = new WeightsCommitment(p);
        const r = new Rng(7);
        const cs: Case[] = [];
        for (let k = 0; k < p.layers.length; k++) {
          const n = states[k + 1].length;
          for (const e of [0, n - 1, r.int(0, n - 1), r.int(0, n - 1)]) {
            cs.push({
              what: `${name} layer ${k} (${p.layers[k].op}) element ${e}`,
              proof: buildStepProof(p, states, k, e, weights),
              want: states[k + 1][e],
            });
          }
        }
        const got = await computeMany(batch, verifierAddress, cs);
        cs.forEach((c, j) => expect(got[j], c.what).to.equal(c.want));
        if (COVERAGE) return;
        const gas: Record<string, number> = {};
        for (const c of cs) {
          const key = c.what.replace(/ element \d+$/, "");
          const g = Number(await verifier.computeElement.estimateGas(...args(c.proof)));
          gas[key] = Math.max(gas[key] ?? 0, g);
        }
        console.log(`      gas (max over sampled elements) ${name}: ${JSON.stringify(gas)}`);
        if (!COVERAGE) expect(Math.max(...Object.values(gas))).to.be.below(5_000_000);
      });
    }
  });

  // Gas figures of instrumented bytecode mean nothing, and these steps take minutes under coverage.
  (COVERAGE ? describe.skip : describe)("synthetic worst cases (about 1M parameters)", () => {
    const worst: [string, () => Program][] = [
      [
        "Gemm 1024x1024",
        () =>
          program(
            [1, 1024],
            [
              {
                op: "Gemm",
                inputs: [0],
                output: 1,
                outShape: [1, 1024],
                attrs: { k: 1024, n: 1024, zIn: -3, zOut: 5, clampMin: -128, clampMax: 127 },
                weights: new Rng(1).int8s(1024 * 1024, -127, 127),
                bias: new Rng(2).int32s(1024, -1000, 1000),
                multiplier: Int32Array.of(20000),
                shift: Int32Array.of(26),
              },
            ],
          ),
      ],
      ...[
        // 256 channels on 8x8 as well in npm run test:long (16x16 reads the same rows over a larger plane)
        ...(process.env.WITNESS_RUNS ? [[256, 8]] : []),
        [256, 16],
        // 112 channels: the most a 3x3 Conv on 32x32 may read (validateProgram's step proof bound; 120 is refused)
        [112, 32],
      ].map(([c, hw]): [string, () => Program] => [
        `Conv 3x3 ${c}->${c} on ${hw}x${hw}`,
        () => conv(c, hw, hw, 3, 3, { m: c, same: true }),
      ]),
    ];
    for (const [label, make] of worst) {
      it(`V3: ${label}: a middle element is correct and costs under 5M gas (with the sparse slice)`, async () => {
        const p = make();
        validateProgram(p);
        const states = run(p, new Rng(5));
        const e = Math.floor(states[1].length / 2) + 3;
        const weights = new WeightsCommitment(p);
        const proof = buildStepProof(p, states, 0, e, weights);
        const sparse = buildSparseStepProof(p, states, 0, e, weights);
        expect(Number(await verifier.computeElement(...args(proof)))).to.equal(states[1][e]);
        expect(Number(await verifier.computeElementSparse(...sargs(sparse)))).to.equal(states[1][e]);
        const g = Number(await verifier.computeElement.estimateGas(...args(proof)));
        const gs = Number(await verifier.computeElementSparse.estimateGas(...sargs(sparse)));
        const bytes = (h: string): number => (h.length - 2) / 2;
        console.log(
          `      gas ${label}: contiguous ${g} (slice ${bytes(proof.slice.chunks)} bytes), sparse ${gs} (${bytes(sparse.slice.chunks)} bytes)`,
        );
        expect(gs).to.be.below(5_000_000);
      });
    }
  });

  describe("V4: reverts", () => {
    // A two-row Gemm after a Relu: S_1 = [relu], S_2 = [gemm]; and a residual Add whose step carries a tensor.
    let p: Program;
    let states: Int8Array[];
    let weights: WeightsCommitment;
    const K = 40;
    before(() => {
      const r = new Rng(99);
      p = program(
        [2, K],
        [
          { op: "Relu", inputs: [0], output: 1, outShape: [2, K], attrs: { zIn: -3 } },
          {
            op: "Gemm",
            inputs: [1],
            output: 2,
            outShape: [2, 4],
            attrs: { k: K, n: 4, zIn: -3, zOut: 0, clampMin: -128, clampMax: 127 },
            weights: r.int8s(4 * K, -127, 127),
            bias: r.int32s(4, -100, 100),
            multiplier: Int32Array.of(20000),
            shift: Int32Array.of(24),
          },
        ],
      );
      validateProgram(p);
      states = run(p, r);
      weights = new WeightsCommitment(p);
    });
    const gemm = (e: number): StepProof => buildStepProof(p, states, 1, e, weights);
    const flip = (hex: string, at = 2): string => hex.slice(0, at) + (hex[at] === "0" ? "1" : "0") + hex.slice(at + 1);

    it("accepts the honest proof (the baseline of every revert below)", async () => {
      expect(Number(await verifier.computeElement(...args(gemm(5))))).to.equal(states[2][5]);
    });

    it("reverts StepVerifierBadLayerProof on a wrong layer sibling, a tampered descriptor or a wrong rowsRoot", async () => {
      const a = gemm(5);
      a.layer.layerProof = [flip(a.layer.layerProof[0])];
      await expect(verifier.computeElement(...args(a)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierBadLayerProof")
        .withArgs(1);
      const b = gemm(5);
      b.layer.descriptor = flip(b.layer.descriptor, 10);
      await expect(verifier.computeElement(...args(b)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierBadLayerProof")
        .withArgs(1);
      const c = gemm(5);
      c.layer.rowsRoot = flip(c.layer.rowsRoot);
      await expect(verifier.computeElement(...args(c)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierBadLayerProof")
        .withArgs(1);
      const d = gemm(5);
      d.layer.layerProof = [];
      await expect(verifier.computeElement(...args(d)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierBadLayerProof")
        .withArgs(1);
    });

    it("reverts StepVerifierLayerOutOfRange for a layer index at or above the layer count", async () => {
      const a = gemm(5);
      a.claim.layer = 2;
      await expect(verifier.computeElement(...args(a)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierLayerOutOfRange")
        .withArgs(2, 2);
    });

    it("reverts StepVerifierBadSliceProof on a tampered chunk, a wrong sibling, a wrong pre-state root or a misplaced run", async () => {
      const a = gemm(5);
      const chunks = (a.slice.chunks.length / 2 - 1) >> 5;
      a.slice.chunks = flip(a.slice.chunks, 4);
      await expect(verifier.computeElement(...args(a)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierBadSliceProof")
        .withArgs(a.slice.firstChunk, chunks);
      const b = gemm(5);
      b.slice.proof = b.slice.proof.map((h) => flip(h));
      await expect(verifier.computeElement(...args(b))).to.be.revertedWithCustomError(
        verifier,
        "StepVerifierBadSliceProof",
      );
      const c = gemm(5);
      c.claim.preStateRoot = flip(c.claim.preStateRoot);
      await expect(verifier.computeElement(...args(c))).to.be.revertedWithCustomError(
        verifier,
        "StepVerifierBadSliceProof",
      );
      const d = gemm(5);
      d.slice.firstChunk = 3; // beyond the 3 chunks of S_1 (80 bytes)
      await expect(verifier.computeElement(...args(d)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierBadSliceProof")
        .withArgs(3, chunks);
    });

    it("reverts StepVerifierMissingInput when the proven slice does not cover a byte the element reads", async () => {
      // element 5 = row 1, column 1 reads bytes 40..79 of S_1; the honest slice of element 1 (row 0) covers bytes 0..63
      const a = gemm(5);
      const b = gemm(1);
      a.slice = b.slice;
      await expect(verifier.computeElement(...args(a)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierMissingInput")
        .withArgs(64);
    });

    it("reverts on a missing, extra, wrong, tampered or truncated weight row", async () => {
      const a = gemm(5);
      a.rows = [];
      await expect(verifier.computeElement(...args(a)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierWrongRows")
        .withArgs(1, 0);
      const b = gemm(5);
      b.rows = [...b.rows, ...gemm(6).rows];
      await expect(verifier.computeElement(...args(b)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierWrongRows")
        .withArgs(1, 2);
      const c = gemm(5);
      c.rows = gemm(6).rows;
      await expect(verifier.computeElement(...args(c)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierWrongRow")
        .withArgs(1, 2);
      const d = gemm(5);
      d.rows[0].data = flip(d.rows[0].data);
      await expect(verifier.computeElement(...args(d)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierBadRowProof")
        .withArgs(1);
      const e = gemm(5);
      e.rows[0].data = e.rows[0].data.slice(0, -2);
      await expect(verifier.computeElement(...args(e)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierBadRowLength")
        .withArgs(1, K - 1, K);
      const f = buildStepProof(p, states, 0, 3, weights); // Relu: no weights
      f.rows = gemm(5).rows;
      await expect(verifier.computeElement(...args(f)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierWrongRows")
        .withArgs(0, 1);
    });

    it("reverts StepVerifierElementOutOfRange for an element at or beyond |S_{k+1}|", async () => {
      const a = gemm(5);
      a.claim.element = 8;
      await expect(verifier.computeElement(...args(a)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierElementOutOfRange")
        .withArgs(8, 8);
    });

    it("reverts StepVerifierUnknownOp for a committed layer whose op it does not know", async () => {
      const q = program([2, K], [{ op: "Floor", inputs: [0], output: 1, outShape: [2, K], attrs: {} }]);
      const qStates = [states[0], states[0]];
      const relu = program([2, K], [{ op: "Relu", inputs: [0], output: 1, outShape: [2, K], attrs: { zIn: 0 } }]);
      const a = buildStepProof(relu, qStates, 0, 3);
      const w = new WeightsCommitment(q);
      const lp = w.layerProof(0);
      a.claim.weightsRoot = w.root;
      a.layer = { descriptor: lp.descriptor, rowsRoot: lp.rowsRoot, layerProof: lp.layerProof };
      await expect(verifier.computeElement(...args(a)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierUnknownOp")
        .withArgs(ethers.keccak256(ethers.toUtf8Bytes("Floor")));
    });

    it("reverts StepVerifierMissingInput when the slice starts after a byte the element reads", async () => {
      const a = gemm(1); // row 0 reads bytes 0..39 of S_1
      a.slice = gemm(5).slice; // chunks 1..2 (bytes 32..95)
      await expect(verifier.computeElement(...args(a)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierMissingInput")
        .withArgs(0);
    });

    /** A one-layer weights root over an arbitrary descriptor: layerRoot = keccak(keccak(descriptor) ‖ rowsRoot). */
    const commitDescriptor = (proof: StepProof, descriptor: Uint8Array): StepProof => {
      const rowsRoot = proof.layer.rowsRoot;
      const layerRoot = ethers.keccak256(concat([ethers.keccak256(descriptor), rowsRoot]));
      return {
        ...proof,
        claim: { ...proof.claim, weightsRoot: layerRoot, layerCount: 1, layer: 0 },
        layer: { descriptor: ethers.hexlify(descriptor), rowsRoot, layerProof: [] },
      };
    };

    it("reverts (never reads other calldata) when a committed descriptor is malformed: truncated, missing an attribute, or with layout fields that do not tile S_{k+1}", async () => {
      const relu = buildStepProof(p, states, 0, 3, weights);
      const full = getBytes(relu.layer.descriptor);
      await expect(
        verifier.computeElement(...args(commitDescriptor(relu, full.subarray(0, 200)))),
      ).to.be.revertedWithCustomError(kernels, "DescriptorOutOfBounds");
      const fields = AbiCoder.defaultAbiCoder().decode(DESCRIPTOR_ABI_TYPES, full).toArray();
      const noAttrs = [...fields];
      noAttrs[4] = [];
      noAttrs[5] = [];
      noAttrs[6] = [];
      const d1 = getBytes(AbiCoder.defaultAbiCoder().encode(DESCRIPTOR_ABI_TYPES, noAttrs));
      await expect(verifier.computeElement(...args(commitDescriptor(relu, d1))))
        .to.be.revertedWithCustomError(kernels, "DescriptorMissingAttribute")
        .withArgs("zIn");
      const shifted = [...fields];
      shifted[17] = 1n; // outputOffset 1 and no copies: byte 0 of S_1 is neither copied nor computed
      const d2 = getBytes(AbiCoder.defaultAbiCoder().encode(DESCRIPTOR_ABI_TYPES, shifted));
      const b = commitDescriptor(buildStepProof(p, states, 0, 0, weights), d2);
      await expect(verifier.computeElement(...args(b)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierBadDescriptor")
        .withArgs(17);
      const table = Int32Array.from({ length: 256 }, (_, j) => (j === 255 ? 65536 : j));
      const sm = program(
        [1, 4],
        [
          {
            op: "Softmax",
            inputs: [0],
            output: 1,
            outShape: [1, 4],
            attrs: { outer: 1, axisSize: 4, inner: 1 },
            bias: table,
          },
        ],
      );
      const smProof = buildStepProof(sm, execute(sm, Int8Array.of(1, 2, 3, 4)), 0, 2);
      const smFields = AbiCoder.defaultAbiCoder().decode(DESCRIPTOR_ABI_TYPES, smProof.layer.descriptor).toArray();
      smFields[9] = "0x0001"; // a 2-byte exp table
      const d3 = getBytes(AbiCoder.defaultAbiCoder().encode(DESCRIPTOR_ABI_TYPES, smFields));
      await expect(verifier.computeElement(...args(commitDescriptor(smProof, d3))))
        .to.be.revertedWithCustomError(kernels, "DescriptorOutOfBounds")
        .withArgs(9, 2);
    });

    it("V7: computeElementSparse reverts on a bad multiproof, a chunk count that does not match, or a missing chunk", async () => {
      const ok = buildSparseStepProof(p, states, 1, 5, weights);
      expect(Number(await verifier.computeElementSparse(...sargs(ok)))).to.equal(states[2][5]);
      const a = buildSparseStepProof(p, states, 1, 5, weights);
      a.slice.chunks = flip(a.slice.chunks, 4);
      await expect(verifier.computeElementSparse(...sargs(a)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierBadSliceProof")
        .withArgs(a.slice.chunkIndices[0], a.slice.chunkIndices.length);
      const b = buildSparseStepProof(p, states, 1, 5, weights);
      b.slice.chunks = b.slice.chunks.slice(0, -64);
      await expect(verifier.computeElementSparse(...sargs(b)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierBadSliceProof")
        .withArgs(0, b.slice.chunkIndices.length);
      const c = buildSparseStepProof(p, states, 1, 5, weights); // reads bytes 40..79: chunks 1 and 2
      const d = buildSparseStepProof(p, states, 1, 1, weights); // reads bytes 0..39: chunks 0 and 1
      c.slice = d.slice;
      await expect(verifier.computeElementSparse(...sargs(c)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierMissingInput")
        .withArgs(64);
      const e = buildSparseStepProof(p, states, 1, 1, weights);
      e.slice = buildSparseStepProof(p, states, 1, 5, weights).slice;
      await expect(verifier.computeElementSparse(...sargs(e)))
        .to.be.revertedWithCustomError(kernels, "StepVerifierMissingInput")
        .withArgs(0);
    });

    it("V5: answers a carried-over byte from the pre-state (descriptor copies)", async () => {
      // a residual block: t1 = Relu(t0), t2 = Add(t1, t0): t0 is carried from S_0 to S_1
      const r = new Rng(3);
      const q = program(
        [6],
        [
          { op: "Relu", inputs: [0], output: 1, outShape: [6], attrs: { zIn: 0 } },
          {
            op: "Add",
            inputs: [1, 0],
            output: 2,
            outShape: [6],
            attrs: { aShape: [6], bShape: [6], zA: 0, zB: 0, zOut: 0 },
            multiplier: Int32Array.of(16384, 16384),
            shift: Int32Array.of(15),
          },
        ],
      );
      validateProgram(q);
      const s = run(q, r);
      expect(stepLayout(q, 0).copies).to.deep.equal([0, 0, 6]);
      for (let e = 0; e < 12; e++) {
        expect(Number(await verifier.computeElement(...args(buildStepProof(q, s, 0, e))))).to.equal(s[1][e]);
      }
    });
  });
});
