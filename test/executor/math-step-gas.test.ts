/**
 * L1 for the ops-math operators: every step provable within 5M gas and 128 KiB. For each op, the largest legal layer
 * (bench/one-step/math.ts `worstCases`) has a worst witness within the limits, one size more is refused
 * (StepWitnessTooLargeError), and its costliest element, proven on-chain through the router and the MathKernels set with the
 * witness a player sends, costs no more than GAS_MODEL's bound; over a spread of small shapes, both witnesses do.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { StepWitnessTooLargeError } from "../../executor/errors";
import {
  type Program,
  MAX_STEP_PROOF_CALLDATA,
  MAX_STEP_PROOF_GAS,
  execute,
  stepWitnessBounds,
  validateProgram,
} from "../../executor/runtime";
import { WeightsCommitment } from "../../executor/trace/weights";
import {
  buildSparseStepProof,
  buildStepProof,
  cheapestStepProof,
  expectedElement,
  type SparseStepProof,
  type StepProof,
} from "../../game/step-proof";
import type { IntegerStepVerifier } from "../../typechain-types";
import { deployStepVerifier, gasWithin } from "../helpers/step-verifier";
import { MAKERS, worstCases } from "../../bench/one-step/math";
import { GENERATORS, MATH_OPS, Rng } from "../disputes/step-fixtures";
import { UNDER_COVERAGE } from "../helpers/coverage";
import { verifierBound } from "../helpers/step-bounds";

function encodeCall(v: IntegerStepVerifier, p: StepProof | SparseStepProof): string {
  return "chunkIndices" in p.slice
    ? v.interface.encodeFunctionData("computeElementSparse", [p.claim, p.layer, p.slice, p.rows])
    : v.interface.encodeFunctionData("computeElement", [p.claim, p.layer, p.slice as StepProof["slice"], p.rows]);
}

function states(p: Program, seed = 5): Int8Array[] {
  return execute(p, new Rng(seed).int8s(p.inputShape.reduce((a, b) => a * b, 1)));
}

(UNDER_COVERAGE ? describe.skip : describe)("ops-math one-step proofs at the limit (L1)", function () {
  this.timeout(600_000);
  let verifier: IntegerStepVerifier;
  before(async () => {
    verifier = await deployStepVerifier();
  });

  const measured: string[] = [];
  after(() => {
    if (process.env.CONFORMANCE_REPORT) console.log(`\n${measured.join("\n")}`);
  });

  for (const c of worstCases()) {
    it(`X10-4: ${c.op} ${c.what}: the largest legal layer's worst element fits the bound (<= 5M gas, <= 128 KiB)${c.size ? ", one more is refused" : ""}`, async () => {
      const p = c.program;
      validateProgram(p);
      const b = stepWitnessBounds(p)[c.layer];
      expect(b.gas).to.be.at.most(MAX_STEP_PROOF_GAS);
      expect(b.calldata).to.be.at.most(MAX_STEP_PROOF_CALLDATA);
      const s = states(p);
      const weights = new WeightsCommitment(p);
      const sent = cheapestStepProof(p, s, c.layer, c.element, weights);
      const to = await verifier.getAddress();
      const data = encodeCall(verifier, sent.proof);
      const value = BigInt.asIntN(256, BigInt(await ethers.provider.call({ to, data })));
      expect(Number(value)).to.equal(expectedElement(p, s, c.layer, c.element));
      const bound = verifierBound(b, sent.sparse ? "sparse" : "contiguous");
      const gas = await gasWithin(to, data, bound);
      expect(gas, "measured gas within the model").to.be.at.most(bound);
      if (c.size) {
        const make = MAKERS[c.op].find(([what]) => what === c.what)![1];
        expect(() => validateProgram(make(c.size! + 1))).to.throw(StepWitnessTooLargeError, /^layer 0 /);
      }
      measured.push(
        `      ${c.op} ${c.what}${c.size ? ` (n = ${c.size})` : ""}: ${gas} gas through the router, ${(data.length - 2) / 2} bytes; bound with a game ${b.gas} gas, ${b.calldata} bytes`,
      );
    });
  }

  it("X10-6: GAS_MODEL bounds the measured gas of both witnesses over random small layers of every ops-math op", async () => {
    const to = await verifier.getAddress();
    for (const op of MATH_OPS) {
      const gen = GENERATORS[op];
      const r = new Rng(77);
      for (let t = 0; t < 4; t++) {
        const p = gen(r);
        const s = states(p, t);
        const weights = new WeightsCommitment(p);
        const k = p.layers.length - 1;
        const b = stepWitnessBounds(p)[k];
        const e = r.int(0, s[k + 1].length - 1);
        for (const [proof, path] of [
          [buildStepProof(p, s, k, e, weights), "contiguous"],
          [buildSparseStepProof(p, s, k, e, weights), "sparse"],
        ] as const) {
          const gas = await gasWithin(to, encodeCall(verifier, proof), verifierBound(b, path));
          expect(gas, `${op} #${t}, ${path}`).to.be.at.most(verifierBound(b, path));
        }
      }
    }
  });
});
