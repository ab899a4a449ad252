/**
 * The one-step proof bound (executor/runtime/step-witness.ts, docs/COMMITMENTS.md §5): every layer of a valid
 * program can be proven on-chain within MAX_STEP_PROOF_CALLDATA bytes and MAX_STEP_PROOF_GAS gas.
 *  - the sizes it derives (descriptor, state layout, witness calldata, chunks, siblings) bound what
 *    `game/step-proof.ts` really builds, element by element;
 *  - at the largest legal size of each kernel family the worst element is proven through IntegerStepVerifier and
 *    through a whole DisputeManager game within the limits, and one step more is refused with
 *    StepWitnessTooLargeError, by `validateProgram`, `decodeProgram` and the quantizer alike;
 *  - GAS_MODEL bounds the measured gas of a spread of shapes of every kernel family, on both verifier paths.
 * Gas figures of instrumented bytecode mean nothing: the on-chain parts are skipped under coverage.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { ProgramDecodeError, StepWitnessTooLargeError } from "../../executor/errors";
import {
  buildSparseStepProof,
  buildStepProof,
  cheapestStepProof,
  stepProofCalldataOf,
  type SparseStepProof,
  type StepProof,
} from "../../game/step-proof";
import { DisputeBoard } from "../../game/boards/dispute";
import { driveGame } from "../../game/driver";
import { Outcome } from "../../game/enums";
import { Player } from "../../game/player";
import { honestView } from "../../game/view";
import { tamperedView } from "../../tools/doubles/tamper";
import { GraphBuilder } from "../../executor/model/builder";
import { quantizeGraph } from "../../executor/quant";
import { decodeProgram, encodeProgram, execute, validateProgram, type Program } from "../../executor/runtime";
import {
  GAS_MODEL,
  MAX_STEP_PROOF_CALLDATA,
  MAX_STEP_PROOF_GAS,
  oversizedStep,
  stepWitnessBounds,
  type StepWitnessBound,
} from "../../executor/runtime/step-witness";
import { bytesOf } from "../../executor/trace/trace";
import { WeightsCommitment, layerDescriptor, programDigest, stepLayout } from "../../executor/trace/weights";
import { demoModel } from "../../models/demo-models";
import { IntegerStepVerifier__factory, type IntegerStepVerifier } from "../../typechain-types";
import { GENERATORS, MATH_OPS, Rng, program } from "../disputes/step-fixtures";
import { UNDER_COVERAGE } from "../helpers/coverage";
import { deployDisputeFixture, FEE, outputHashOf } from "../helpers/dispute-fixtures";
import { MODE, versionSpec } from "../helpers/fixtures";
import { deployStepVerifier, gasWithin } from "../helpers/step-verifier";
import { verifierBound } from "../helpers/step-bounds";
import { conv, gemm, pool, softmax } from "../../bench/one-step/core";

function states(p: Program, seed = 5): Int8Array[] {
  return execute(p, new Rng(seed).int8s(p.inputShape.reduce((a, b) => a * b, 1)));
}

/** The largest parameter x for which make(x) is legal, by bisection over the bound (make must grow with x). */
function largestLegal(make: (x: number) => Program, hi: number): number {
  let lo = 1;
  expect(oversizedStep(make(lo)), "the smallest size must be legal").to.equal(undefined);
  expect(oversizedStep(make(hi)), "the largest size tried must be illegal").to.not.equal(undefined);
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (oversizedStep(make(mid))) hi = mid;
    else lo = mid;
  }
  return lo;
}

function args<P extends StepProof | SparseStepProof>(p: P): [P["claim"], P["layer"], P["slice"], P["rows"]] {
  return [p.claim, p.layer, p.slice, p.rows];
}

/** The calldata of computeElement, or computeElementSparse for a sparse proof. */
function encodeCall(
  c: { readonly interface: IntegerStepVerifier["interface"] } | typeof IntegerStepVerifier__factory,
  p: StepProof | SparseStepProof,
): string {
  const iface = "createInterface" in c ? c.createInterface() : c.interface;
  return "chunkIndices" in p.slice
    ? iface.encodeFunctionData("computeElementSparse", [p.claim, p.layer, p.slice, p.rows])
    : iface.encodeFunctionData("computeElement", [p.claim, p.layer, p.slice as StepProof["slice"], p.rows]);
}

/**
 * The corpus of the bound checks: random programs per operator and elements per layer. `npm test` runs a third of
 * `npm run test:long`'s (WITNESS_RUNS=3 there), which checks every element of layers up to 180 bytes.
 */
const WITNESS_RUNS = Number(process.env.WITNESS_RUNS ?? 1);

describe("one-step proof bound (L1: every step provable within 5M gas and 128 KiB)", function () {
  this.timeout(1_200_000);

  describe("sizes", () => {
    /** Small random programs of every op (with carried tensors), and the demo models. */
    function corpus(): [string, Program][] {
      const out: [string, Program][] = [];
      Object.entries(GENERATORS).forEach(([op, gen], i) => {
        const r = new Rng(4000 + i);
        const count = (MATH_OPS.includes(op) ? 1 : 2) * WITNESS_RUNS;
        for (let n = 0; n < count; n++) out.push([`${op} #${n}`, gen(r)]);
      });
      out.push(["demo mlp", demoModel("mlp").program], ["demo cnn", demoModel("cnn").program]);
      // shapes the fuzz generators do not reach: wide dilations (gaps over a chunk), misaligned rows, strided axes
      out.push(
        ["Conv dilation 40", conv(3, 1, 400, 1, 8, { d: 40 })],
        ["Conv dilation 9 on 80x80", conv(2, 80, 80, 4, 4, { d: 9 })],
        ["Conv 3x3 on 33x33", conv(6, 33, 33, 3, 3, { same: true })],
        ["Gemm k=100 batch 3", gemm(100, 3, 3)],
        ["Softmax inner 40", softmax(30, 40)],
        ["MaxPool 5x7 on 9x70", pool("MaxPool", 5, 70)],
      );
      return out;
    }

    it("X10-1: the descriptor size and |S_l| it derives are exact (fuzzed programs of every op, the demo models)", () => {
      for (const [name, p] of corpus()) {
        validateProgram(p);
        stepWitnessBounds(p).forEach((b, l) => {
          expect(b.descriptorBytes, `${name} layer ${l}`).to.equal(layerDescriptor(p, l).length);
          expect(b.inLength, `${name} layer ${l}`).to.equal(stepLayout(p, l).inLength);
        });
      }
    });

    it("X10-2: no element's proof exceeds its layer's bound (calldata, chunks, siblings; both witnesses and the one sent)", () => {
      const encoded = (p: StepProof | SparseStepProof): number =>
        (encodeCall(IntegerStepVerifier__factory, p).length - 2) / 2;
      let checked = 0;
      for (const [name, p] of corpus()) {
        const s = states(p);
        const weights = new WeightsCommitment(p);
        const bounds = stepWitnessBounds(p);
        const r = new Rng(9);
        for (let l = 0; l < p.layers.length; l++) {
          const b = bounds[l];
          const n = s[l + 1].length;
          const most = 60 * WITNESS_RUNS;
          const elements =
            n <= most ? Array.from({ length: n }, (_, e) => e) : Array.from({ length: most }, () => r.int(0, n - 1));
          for (const e of elements) {
            const what = `${name} layer ${l} (${p.layers[l].op}) element ${e}`;
            const run = buildStepProof(p, s, l, e, weights);
            const sparse = buildSparseStepProof(p, s, l, e, weights);
            for (const [proof, w] of [
              [run, b.contiguous],
              [sparse, b.sparse],
            ] as const) {
              const bytes = stepProofCalldataOf(proof);
              expect(bytes, `${what}: the calldata formula`).to.equal(encoded(proof));
              expect(bytes, what).to.be.at.most(w.calldata);
              expect((proof.slice.chunks.length - 2) / 64, what).to.be.at.most(w.chunks);
              expect(proof.slice.proof.length, what).to.be.at.most(w.siblings);
            }
            const sent = cheapestStepProof(p, s, l, e, weights);
            expect(b.usable[sent.sparse ? "sparse" : "contiguous"], what).to.equal(true);
            expect(stepProofCalldataOf(sent.proof), what).to.be.at.most(b.calldata);
            checked++;
          }
        }
      }
      expect(checked).to.be.greaterThan(1_500 * Math.min(WITNESS_RUNS, 2));
    });
  });

  describe("validation", () => {
    it("X10-3: refuses a layer one step past the limit with StepWitnessTooLargeError (validateProgram, decodeProgram, the quantizer)", () => {
      const k = largestLegal((x) => gemm(x, 2, 1), 60_000);
      expect(() => validateProgram(gemm(k, 2, 1))).to.not.throw();
      const over = gemm(k + 1, 2, 1);
      const b = stepWitnessBounds(over)[0];
      let err: unknown;
      try {
        validateProgram(over);
      } catch (e) {
        err = e;
      }
      expect(err).to.be.instanceOf(StepWitnessTooLargeError);
      const e = err as StepWitnessTooLargeError;
      expect([e.layer, e.op, e.calldata, e.maxCalldata, e.gas, e.maxGas]).to.deep.equal([
        0,
        "Gemm",
        b.calldata,
        MAX_STEP_PROOF_CALLDATA,
        b.gas,
        MAX_STEP_PROOF_GAS,
      ]);
      expect(e.gas).to.be.greaterThan(MAX_STEP_PROOF_GAS);
      expect(e.message).to.match(
        new RegExp(
          `^layer 0 \\(Gemm\\): .* ${b.calldata} bytes of calldata \\(limit ${MAX_STEP_PROOF_CALLDATA}\\) and ${b.gas} gas \\(limit ${MAX_STEP_PROOF_GAS}\\)`,
        ),
      );

      // a program that only fails the bound is refused on decode too (the encoding itself is fine)
      expect(() => decodeProgram(encodeProgram(over))).to.throw(StepWitnessTooLargeError, /layer 0 \(Gemm\)/);

      // and at import: a layer with no split form whose step cannot be proven, a MatMul of two computed operands
      // x [64, 1024] by its transpose (each of the 1,024 taps of B's column in its own chunk: K <= 701 at N = 64); a
      // Gemm that reads too many features is split instead (NUMERICS §27.3, test/executor/long-steps.test.ts)
      const g = new GraphBuilder("gram", 13);
      const x = g.input("input", [64, 1024]);
      g.output(g.node("MatMul", [x, g.node("Transpose", [x], { perm: [1, 0] })]), [64, 64]);
      const r = new Rng(3);
      const calibration = [Float32Array.from({ length: 64 * 1024 }, () => r.next() - 0.5)];
      expect(() => quantizeGraph(g.build(), calibration)).to.throw(StepWitnessTooLargeError, /^layer \d+ \(MatMul\): /);
    });
  });

  // Instrumented bytecode costs more gas, and these proofs take minutes under coverage.
  (UNDER_COVERAGE ? describe.skip : describe)("on-chain at the limit", () => {
    let verifier: IntegerStepVerifier;
    before(async () => {
      verifier = await deployStepVerifier();
    });

    /**
     * Proves `element` of the only layer through the verifier as a transaction whose gas limit is the verifier's
     * share of the model for the witness sent (so it fails if the proof needs more); returns its gas and calldata.
     */
    async function proveDirect(p: Program, s: Int8Array[], element: number, b: StepWitnessBound) {
      const weights = new WeightsCommitment(p);
      const sent = cheapestStepProof(p, s, 0, element, weights);
      const data = encodeCall(verifier, sent.proof);
      const to = await verifier.getAddress();
      const value = BigInt.asIntN(256, BigInt(await ethers.provider.call({ to, data })));
      expect(Number(value)).to.equal(s[1][element]);
      const gas = await gasWithin(to, data, verifierBound(b, sent.sparse ? "sparse" : "contiguous"));
      return { gas, calldata: (data.length - 2) / 2, sparse: sent.sparse };
    }

    // [family, program of size x, largest x tried, the element with the most reads (and a misaligned run)]
    const families: [string, (x: number) => Program, number, (p: Program) => number][] = [
      ["Gemm (one row of k int8 weights)", (k) => gemm(k), 60_000, () => 3],
      [
        "Conv 3x3 over c channels of 8x8 (contiguous witness)",
        (c) => conv(c, 8, 8, 3, 3, { same: true }),
        4_000,
        () => 64 + 8 * 3 + 3,
      ],
      [
        "Conv 3x3 over c channels of 32x32 (sparse witness)",
        (c) => conv(c, 32, 32, 3, 3, { same: true }),
        1_000,
        () => 1024 + 32 * 15 + 16,
      ],
      ["Conv 1 x kw (one kernel row)", (kw) => conv(1, 1, kw, 1, kw), 60_000, () => 1],
      ["MaxPool over a 1 x w plane", (w) => pool("MaxPool", 1, w), 60_000, () => 0],
      ["AveragePool over a 1 x w plane", (w) => pool("AveragePool", 1, w), 60_000, () => 0],
      ["Softmax over an axis of n", (n) => softmax(n), 30_000, (p) => p.inputShape[1] >> 1],
    ];
    for (const [family, make, hi, element] of families) {
      it(`X10-4: ${family}: the largest legal layer's worst element fits the bound (<= 5M gas, <= 128 KiB), one more is refused`, async () => {
        const x = largestLegal(make, hi);
        const p = make(x);
        const b: StepWitnessBound = stepWitnessBounds(p)[0];
        expect(b.gas).to.be.at.most(MAX_STEP_PROOF_GAS);
        expect(b.calldata).to.be.at.most(MAX_STEP_PROOF_CALLDATA);
        const s = states(p);
        const got = await proveDirect(p, s, element(p), b);
        // The verifier's share of the model covers the verifier's gas; the game's share is checked by X10-5.
        expect(got.gas, "measured gas within the model").to.be.at.most(
          verifierBound(b, got.sparse ? "sparse" : "contiguous"),
        );
        expect(got.calldata).to.be.at.most(b.calldata);
        expect(() => validateProgram(make(x + 1))).to.throw(StepWitnessTooLargeError, /^layer 0 /);
        console.log(
          `      ${family}: x = ${x}, ${got.sparse ? "sparse" : "contiguous"} witness: ${got.gas} gas, ${got.calldata} bytes ` +
            `(bound ${b.gas} gas, ${b.calldata} bytes)`,
        );
      });
    }

    it("X10-5: a lie in the largest legal Gemm is proven through a DisputeManager game within 5M gas and 128 KiB", async () => {
      const f = await loadFixture(deployDisputeFixture);
      const k = largestLegal((x) => gemm(x), 60_000);
      const p = gemm(k);
      const weights = new WeightsCommitment(p);
      const s0 = new Rng(11).int8s(2 * k);
      const honest = honestView(p, s0, weights);
      const element = 3; // row 1: its k input bytes start at byte k of S_0, off a chunk boundary
      const lying = tamperedView(honest, 1, element);
      await f.models.connect(f.publisher).publishModel(
        "largest-gemm",
        versionSpec({
          programDigest: programDigest(p),
          weightsRoot: weights.root,
          layerCount: 1,
          inputShape: p.inputShape,
          outputShape: p.outputShape,
          modes: MODE.OPTIMISTIC,
          fee: FEE,
        }),
      );
      const versionId = await f.models.versionCount();
      const node = f.operators[0];
      await f.nodes.connect(node).serveVersions([versionId]);
      const request = await (
        await f.inference
          .connect(f.requester)
          .request(versionId, bytesOf(s0), FEE, node.address, MODE.OPTIMISTIC, ethers.ZeroAddress, 0)
      ).wait();
      const requestId = f.inference.interface.parseLog(
        request!.logs.find((l) => f.inference.interface.parseLog(l)?.name === "InferenceRequested")!,
      )!.args.requestId as bigint;
      await f.inference.connect(node).commit(requestId, bytesOf(lying.states[1]), lying.trace.traceRoot);
      const disputeId = (await f.disputes.disputeCount()) + 1n;
      await f.disputes
        .connect(f.challenger)
        .openDispute(requestId, outputHashOf(lying.states[1]), lying.trace.traceRoot);
      const players = {
        node: new Player("node", lying, new DisputeBoard(f.disputes.connect(node))),
        challenger: new Player("challenger", honest, new DisputeBoard(f.disputes.connect(f.challenger))),
      };
      const result = await driveGame(disputeId, players);
      expect(result.outcome).to.equal(Outcome.NodeWrong);
      const prove = result.moves.find((m) => m.name.startsWith("proveStep"))!;
      expect(prove.name).to.equal(`proveStep(byte ${element})`);
      const b = stepWitnessBounds(p)[0];
      const proof = cheapestStepProof(p, honest.states, 0, element, weights).proof as StepProof;
      const calldata =
        (f.disputes.interface.encodeFunctionData("proveStep", [
          disputeId,
          element,
          proof.layer,
          proof.slice,
          proof.rows,
        ]).length -
          2) /
        2;
      const direct = Number(await f.verifier.computeElement.estimateGas(...args(proof)));
      const gas = Number(prove.gasUsed);
      expect(gas).to.be.at.most(b.gas).and.at.most(MAX_STEP_PROOF_GAS);
      expect(calldata).to.be.at.most(b.calldata).and.at.most(MAX_STEP_PROOF_CALLDATA);
      expect(gas - direct, "the game's own share within the model").to.be.at.most(GAS_MODEL.game);
      console.log(
        `      DisputeManager.proveStep, Gemm k = ${k}: ${gas} gas (verifier alone ${direct}), ${calldata} bytes (bound ${b.gas} gas, ${b.calldata} bytes)`,
      );
    });

    it("X10-6: GAS_MODEL bounds the measured gas of both witnesses (both accepted on-chain) over a spread of shapes of every kernel family", async () => {
      const shapes: [string, Program][] = [
        ["Gemm k=256", gemm(256)],
        ["Gemm k=8192", gemm(8192)],
        ["Gemm n=4096 k=64 (a large descriptor)", gemm(64, 4096, 1)],
        ["Conv 1x4096", conv(1, 1, 4096, 1, 4096)],
        ["Conv 3x3 c=64 on 8x8", conv(64, 8, 8, 3, 3, { same: true })],
        ["Conv 1x1 c=512 on 8x8", conv(512, 8, 8, 1, 1)],
        ["Conv 3x3 c=64 on 32x32", conv(64, 32, 32, 3, 3, { same: true })],
        ["Conv 5x5 c=16 on 64x64", conv(16, 64, 64, 5, 5, { same: true })],
        ["Conv 8x8 dilation 9 on 80x80", conv(1, 80, 80, 8, 8, { d: 9 })],
        // taps 40 bytes apart: the sparse witness must hold the chunks between them (KernelIO.range checks the span)
        ["Conv 1x8 dilation 40 over 3 channels", conv(3, 1, 400, 1, 8, { d: 40 })],
        ["Conv 11x11 c=3 on 64x64", conv(3, 64, 64, 11, 11, { same: true })],
        ["MaxPool 1x2048", pool("MaxPool", 1, 2048)],
        ["MaxPool 32x32", pool("MaxPool", 32, 32)],
        ["AveragePool 1x4096", pool("AveragePool", 1, 4096)],
        ["AveragePool 64x64", pool("AveragePool", 64, 64)],
        ["Softmax n=1024", softmax(1024)],
        ["Softmax n=256 inner=64", softmax(256, 64)],
      ];
      for (const [name, p] of shapes) {
        const s = states(p);
        const weights = new WeightsCommitment(p);
        const b = stepWitnessBounds(p)[0];
        const e = Math.floor(s[1].length / 2);
        for (const [proof, path] of [
          [buildStepProof(p, s, 0, e, weights), "contiguous"],
          [buildSparseStepProof(p, s, 0, e, weights), "sparse"],
        ] as const) {
          const data = encodeCall(verifier, proof);
          const gas = await gasWithin(await verifier.getAddress(), data, verifierBound(b, path));
          expect(gas, `${name}, ${path}`).to.be.at.most(verifierBound(b, path));
        }
      }
    });
  });
});

describe("state size bound (the games' MAX_STATE_BYTES)", function () {
  /** input -> Reshape (tensor 1) -> Add(input, tensor 1): S1 holds both tensors of `n` bytes. */
  function twoLiveTensors(n: number): Program {
    return program(
      [1, n],
      [
        { op: "Reshape", inputs: [0], output: 1, outShape: [1, n], attrs: {} },
        {
          op: "Add",
          inputs: [0, 1],
          output: 2,
          outShape: [1, n],
          attrs: { aShape: [1, n], bShape: [1, n], zA: 0, zB: 0, zOut: 0 },
          multiplier: Int32Array.of(1 << 14, 1 << 14),
          shift: Int32Array.of(16),
        },
      ],
    );
  }

  it("X10-9: refuses a program whose state holds more than 2^24 bytes of live tensors, though each tensor fits", function () {
    const n = (1 << 23) + 1; // each tensor is under 2^24; S1 = tensor 0 (carried) + tensor 1 = 2^24 + 2 bytes
    expect(() => validateProgram(twoLiveTensors(n))).to.throw(ProgramDecodeError, /state S1 holds 16777218 bytes/);
  });

  it("X10-9: accepts the same program when every state is at most 2^24 bytes", function () {
    expect(() => validateProgram(twoLiveTensors(1 << 23))).not.to.throw();
  });
});
