/**
 * One-step proofs of the data-movement operators at their limits (docs/NUMERICS.md §26, bench/one-step/shape.ts):
 * each op's largest legal layer is provable within 5M gas and 128 KiB (L1), one step past it is refused, and the
 * gas measured on-chain for both witnesses stays within GAS_MODEL's "pointwise" family, the model the validator
 * uses to refuse layers that could not be proven.
 */
import { expect } from "chai";
import { ethers } from "hardhat";

import { ProgramDecodeError, StepWitnessTooLargeError } from "../../executor/errors";
import { buildSparseStepProof, buildStepProof } from "../../game/step-proof";
import { execute, validateProgram, type Program } from "../../executor/runtime";
import {
  MAX_STEP_PROOF_CALLDATA,
  MAX_STEP_PROOF_GAS,
  stepProofGas,
  stepWitnessBounds,
} from "../../executor/runtime/step-witness";
import { WeightsCommitment } from "../../executor/trace/weights";
import type { IntegerStepVerifier } from "../../typechain-types";
import { concatWorst, embeddingWorst, gatherWorst, largestLegal, worstCases } from "../../bench/one-step/shape";
import { Rng } from "../disputes/step-fixtures";
import { UNDER_COVERAGE } from "../helpers/coverage";
import { deployStepVerifier, gasWithin } from "../helpers/step-verifier";

function states(p: Program): Int8Array[] {
  return execute(p, new Rng(3).int8s(p.inputShape.reduce((a, b) => a * b, 1)));
}

describe("data movement: one-step proofs at the limits (X10-4, X10-6)", function () {
  this.timeout(300_000);

  it("X10-4: every op's worst case over a 2^24-byte state is within 5M gas and 128 KiB by the bound", () => {
    for (const w of worstCases(true)) {
      validateProgram(w.program);
      const b = stepWitnessBounds(w.program)[w.layer];
      expect(b.gas, w.op).to.be.at.most(MAX_STEP_PROOF_GAS);
      expect(b.calldata, w.op).to.be.at.most(MAX_STEP_PROOF_CALLDATA);
      console.log(
        `      ${w.op}: |S_k| ${b.inLength} bytes, at most ${b.gas} gas and ${b.calldata} bytes through a game`,
      );
    }
  });

  it("X10-4: one step past the largest legal Gather (indices) and Embedding (vocabulary) is refused; Concat takes at most 256 inputs", () => {
    const m = largestLegal(gatherWorst, 8192);
    expect(() => validateProgram(gatherWorst(m + 1))).to.throw(StepWitnessTooLargeError, /^layer 0 \(Gather\)/);
    const v = largestLegal(embeddingWorst, 1 << 18);
    expect(() => validateProgram(embeddingWorst(v + 1))).to.throw(StepWitnessTooLargeError, /^layer 0 \(Embedding\)/);
    validateProgram(concatWorst(256));
    expect(() => validateProgram(concatWorst(257))).to.throw(ProgramDecodeError, /^layer 0 \(Concat\): bad inputs/);
    expect([m, v]).to.satisfy(([a, b]: number[]) => a > 1000 && b > 60_000);
  });

  (UNDER_COVERAGE ? describe.skip : describe)("on-chain", () => {
    let verifier: IntegerStepVerifier;
    before(async () => {
      verifier = await deployStepVerifier();
    });

    it("X10-4, X10-6: the worst element of each op's largest legal layer: the verifier's byte, both witnesses within GAS_MODEL", async () => {
      const to = await verifier.getAddress();
      for (const w of worstCases(false)) {
        const p = w.program;
        const s = states(p);
        const weights = new WeightsCommitment(p);
        const b = stepWitnessBounds(p)[w.layer];
        for (const [proof, path] of [
          [buildStepProof(p, s, w.layer, w.element, weights), "contiguous"],
          [buildSparseStepProof(p, s, w.layer, w.element, weights), "sparse"],
        ] as const) {
          const data =
            path === "contiguous"
              ? verifier.interface.encodeFunctionData("computeElement", [
                  proof.claim,
                  proof.layer,
                  proof.slice,
                  proof.rows,
                ])
              : verifier.interface.encodeFunctionData("computeElementSparse", [
                  proof.claim,
                  proof.layer,
                  proof.slice,
                  proof.rows,
                ]);
          const value = BigInt.asIntN(256, BigInt(await ethers.provider.call({ to, data })));
          expect(Number(value), `${w.op} ${path}`).to.equal(s[w.layer + 1][w.element]);
          const wb = b[path];
          const bound = stepProofGas(
            {
              calldata: wb.calldata,
              chunks: wb.chunks,
              siblings: wb.siblings,
              family: b.family,
              reads: b.reads,
              trips: b.trips,
            },
            path,
            false,
          );
          const gas = await gasWithin(to, data, bound);
          expect(gas, `${w.op} ${path}: measured gas within the model`).to.be.at.most(bound);
          console.log(
            `      ${w.op} ${path}: ${gas} gas, ${(data.length - 2) / 2} bytes (model ${bound}; through a game at most ${b.gas})`,
          );
        }
      }
    });
  });
});
