/**
 * One-step proofs of the spatial operators at their limits (ops-spatial): the largest legal MatMul's worst element is
 * proven through IntegerStepVerifier within GAS_MODEL's bound (<= 5M gas, <= 128 KiB), one size more is refused, and
 * GAS_MODEL bounds the measured gas of both witnesses over a spread of MatMul shapes.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { StepWitnessTooLargeError } from "../../executor/errors";
import { cheapestStepProof } from "../../game/step-proof";
import { buildSparseStepProof, buildStepProof } from "../../game/step-proof";
import { execute, type Program, validateProgram } from "../../executor/runtime";
import {
  MAX_STEP_PROOF_CALLDATA,
  MAX_STEP_PROOF_GAS,
  stepProofGas,
  stepWitnessBounds,
  type StepWitnessBound,
} from "../../executor/runtime/step-witness";
import { WeightsCommitment } from "../../executor/trace/weights";
import type { IntegerStepVerifier } from "../../typechain-types";
import { convTransposeC, largestLegal, matmulActAct, matmulConstRight } from "../../bench/one-step/spatial";
import { Rng } from "../disputes/step-fixtures";
import { UNDER_COVERAGE } from "../helpers/coverage";
import { deployStepVerifier, gasWithin } from "../helpers/step-verifier";

function states(p: Program): Int8Array[] {
  return execute(p, new Rng(5).int8s(p.inputShape.reduce((a, b) => a * b, 1)));
}

function verifierBound(b: StepWitnessBound, path: "contiguous" | "sparse"): number {
  const w = b[path];
  return stepProofGas(
    { calldata: w.calldata, chunks: w.chunks, siblings: w.siblings, family: b.family, reads: b.reads, trips: b.trips },
    path,
    false,
  );
}

(UNDER_COVERAGE ? describe.skip : describe)("one-step proofs of MatMul and ConvTranspose at the limit", function () {
  this.timeout(600_000);
  let verifier: IntegerStepVerifier;
  before(async () => {
    verifier = await deployStepVerifier();
  });

  /** The gas of the verifier's call with `data`, which must fit `limit` (one execution: helpers/step-verifier.ts). */
  async function gasOf(data: string, limit: number): Promise<number> {
    return gasWithin(await verifier.getAddress(), data, limit);
  }

  function encode(p: ReturnType<typeof buildStepProof> | ReturnType<typeof buildSparseStepProof>): string {
    return "chunkIndices" in p.slice
      ? verifier.interface.encodeFunctionData("computeElementSparse", [p.claim, p.layer, p.slice, p.rows])
      : verifier.interface.encodeFunctionData("computeElement", [p.claim, p.layer, p.slice as never, p.rows]);
  }

  const families: [string, (x: number) => Program, number, number, number][] = [
    ["MatMul of two activations, k taps 64 bytes apart", (k) => matmulActAct(k), 20_000, 1, 33],
    ["MatMul by a constant [2, k, 2] operand", (k) => matmulConstRight(k), 200_000, 0, 3],
    ["ConvTranspose 3x3 stride 2 over c channels of 16x16", (c) => convTransposeC(c), 4_000, 0, 31 * 15 + 15],
  ];
  for (const [name, make, hi, layer, element] of families) {
    it(`X10-4: ${name}: the largest legal layer's worst element fits the bound (<= 5M gas, <= 128 KiB), one more is refused`, async () => {
      const x = largestLegal(make, hi);
      const p = make(x);
      const b = stepWitnessBounds(p)[layer];
      expect(b.gas).to.be.at.most(MAX_STEP_PROOF_GAS);
      expect(b.calldata).to.be.at.most(MAX_STEP_PROOF_CALLDATA);
      const s = states(p);
      const sent = cheapestStepProof(p, s, layer, element, new WeightsCommitment(p));
      const data = encode(sent.proof);
      const value = BigInt.asIntN(256, BigInt(await ethers.provider.call({ to: await verifier.getAddress(), data })));
      expect(Number(value)).to.equal(s[layer + 1][element]);
      const bound = verifierBound(b, sent.sparse ? "sparse" : "contiguous");
      const gas = await gasOf(data, bound);
      expect(gas, "measured gas within the model").to.be.at.most(bound);
      expect((data.length - 2) / 2).to.be.at.most(b.calldata);
      expect(() => validateProgram(make(x + 1))).to.throw(
        StepWitnessTooLargeError,
        /^layer \d+ \((MatMul|ConvTranspose)\)/,
      );
      console.log(`      ${name}: x = ${x}, ${sent.sparse ? "sparse" : "contiguous"}: ${gas} gas (bound ${b.gas})`);
    });
  }

  it("X10-6: GAS_MODEL bounds the measured gas of both MatMul and ConvTranspose witnesses over a spread of shapes", async () => {
    const shapes: [string, Program, number][] = [
      ["act x act k=64 n=64", matmulActAct(64), 1],
      ["act x act k=256 n=4", matmulActAct(256, 4), 1],
      ["act x act k=2048 n=1", matmulActAct(2048, 1), 1],
      ["const right k=4096", matmulConstRight(4096), 0],
      ["ConvTranspose c=8", convTransposeC(8), 0],
      ["ConvTranspose c=64", convTransposeC(64), 0],
    ];
    for (const [name, p, layer] of shapes) {
      const s = states(p);
      const weights = new WeightsCommitment(p);
      const b = stepWitnessBounds(p)[layer];
      const e = Math.floor(s[layer + 1].length / 2);
      for (const [proof, path] of [
        [buildStepProof(p, s, layer, e, weights), "contiguous"],
        [buildSparseStepProof(p, s, layer, e, weights), "sparse"],
      ] as const) {
        const gas = await gasOf(encode(proof), verifierBound(b, path));
        if (process.env.GAS_REPORT)
          console.log(
            `      ${name} ${path}: ${gas} gas, bound ${verifierBound(b, path)}, reads ${b.reads}, chunks ${b[path].chunks}, calldata ${b[path].calldata}`,
          );
        expect(gas, `${name}, ${path}`).to.be.at.most(verifierBound(b, path));
      }
    }
  });
});
