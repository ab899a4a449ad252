/**
 * The math kernel set (contracts/verifier/sets/MathKernels.sol) against the TypeScript runtime, bit for bit: random
 * programs of every ops-math operator (MATH_GENERATORS), random elements, contiguous and sparse witnesses.
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { buildSparseStepProof, buildStepProof, expectedElement } from "../../game/step-proof";
import { execute, validateProgram, type Program } from "../../executor/runtime";
import { WeightsCommitment } from "../../executor/trace/weights";
import type { MathKernels, StepVerifierBatch } from "../../typechain-types";
import { MATH_GENERATORS, Rng } from "./step-fixtures";
import { UNDER_COVERAGE } from "../helpers/coverage";

const CASES_PER_OP = UNDER_COVERAGE ? 12 : 110;
const BATCH = 40;

type Proof = ReturnType<typeof buildStepProof>;
type Sparse = ReturnType<typeof buildSparseStepProof>;

interface Case {
  what: string;
  proof: Proof;
  sparse?: Sparse;
  want: number;
}

function run(p: Program, r: Rng): Int8Array[] {
  let n = 1;
  for (const d of p.inputShape) n *= d;
  return execute(p, r.int8s(n));
}

function cases(op: string, seed: number, count: number): Case[] {
  const r = new Rng(seed);
  const out: Case[] = [];
  while (out.length < count) {
    const p = MATH_GENERATORS[op](r);
    validateProgram(p);
    const states = run(p, r);
    const weights = new WeightsCommitment(p);
    const k = p.layers.length - 1;
    for (let t = 0; t < 2; t++) {
      const e = r.int(0, states[k + 1].length - 1);
      out.push({
        what: `${op} seed ${seed} program #${out.length} element ${e}: ${JSON.stringify(p.layers[k].attrs)}`,
        proof: buildStepProof(p, states, k, e, weights),
        sparse: out.length % 2 === 0 ? buildSparseStepProof(p, states, k, e, weights) : undefined,
        want: expectedElement(p, states, k, e),
      });
    }
  }
  return out;
}

describe("MathKernels: differential fuzzing against the TypeScript runtime (bit-exact)", function () {
  this.timeout(300_000);
  let verifier: MathKernels;
  let batch: StepVerifierBatch;
  let address: string;

  before(async () => {
    verifier = await ethers.deployContract("MathKernels");
    batch = await ethers.deployContract("StepVerifierBatch");
    address = await verifier.getAddress();
  });

  Object.keys(MATH_GENERATORS).forEach((op, i) => {
    it(`${op}: ${CASES_PER_OP}+ random programs and elements give the runtime's byte (contiguous and sparse)`, async () => {
      const cs = cases(op, 5000 + i, CASES_PER_OP);
      for (let j = 0; j < cs.length; j += BATCH) {
        const part = cs.slice(j, j + BATCH);
        const got = await batch.computeMany(
          address,
          part.map((c) => ({ ...c.proof })),
        );
        part.forEach((c, k) => expect(Number(got[k]), c.what).to.equal(c.want));
      }
      const withSparse = cs.filter((c) => c.sparse !== undefined);
      expect(withSparse.length).to.be.at.least(CASES_PER_OP / 3);
      for (let j = 0; j < withSparse.length; j += BATCH) {
        const part = withSparse.slice(j, j + BATCH);
        const got = await batch.computeManySparse(
          address,
          part.map((c) => ({ ...c.sparse! })),
        );
        part.forEach((c, k) => expect(Number(got[k]), `sparse ${c.what}`).to.equal(c.want));
      }
    });
  });

  it("reverts StepVerifierUnknownOp for an op of another set (Relu)", async () => {
    const { reluProgram } = await import("./step-fixtures");
    const p = reluProgram(new Rng(3));
    const states = run(p, new Rng(4));
    const proof = buildStepProof(p, states, 0, 0, new WeightsCommitment(p));
    await expect(
      verifier.computeElement(proof.claim, proof.layer, proof.slice, proof.rows),
    ).to.be.revertedWithCustomError(verifier, "StepVerifierUnknownOp");
  });
});
