/**
 * IntegerStepVerifier as a router: it forwards a step, unchanged, to the kernel set serving the layer's op, and
 * returns what the set returns (the value or the revert), whichever of the two entry points is called.
 */
import { expect } from "chai";
import { ethers } from "hardhat";

import { buildSparseStepProof, buildStepProof } from "../../game/step-proof";
import { execute, validateProgram, type Program } from "../../executor/runtime";
import { WeightsCommitment } from "../../executor/trace/weights";
import { KERNEL_SETS } from "../../protocol/kernel-sets";
import type { CoreKernels, IntegerStepVerifier } from "../../typechain-types";
import { deployStepVerifier } from "../helpers/step-verifier";
import { Rng, program } from "./step-fixtures";

const opHash = (name: string) => ethers.keccak256(ethers.toUtf8Bytes(name));

describe("IntegerStepVerifier (router over kernel sets)", function () {
  let verifier: IntegerStepVerifier;
  let core: CoreKernels;
  let p: Program;
  let states: Int8Array[];

  before(async () => {
    verifier = await deployStepVerifier();
    core = (await ethers.getContractAt("CoreKernels", (await verifier.kernelSets())[0])) as unknown as CoreKernels;
    const r = new Rng(3);
    p = program([1, 16], [{ op: "Relu", inputs: [0], output: 1, outShape: [1, 16], attrs: { zIn: -2 } }]);
    validateProgram(p);
    states = execute(p, r.int8s(16));
  });

  describe("constructor", () => {
    it("reverts StepVerifierKernelSetCount with no set or more than MAX_KERNEL_SETS", async () => {
      const max = await verifier.MAX_KERNEL_SETS();
      await expect(ethers.deployContract("IntegerStepVerifier", [[]]))
        .to.be.revertedWithCustomError(verifier, "StepVerifierKernelSetCount")
        .withArgs(0, max);
      const many = Array.from({ length: Number(max) + 1 }, () => core.target);
      await expect(ethers.deployContract("IntegerStepVerifier", [many]))
        .to.be.revertedWithCustomError(verifier, "StepVerifierKernelSetCount")
        .withArgs(max + 1n, max);
    });

    it("reverts StepVerifierKernelSetWithoutCode for a set address without code", async () => {
      const [eoa] = await ethers.getSigners();
      await expect(ethers.deployContract("IntegerStepVerifier", [[core.target, eoa.address]]))
        .to.be.revertedWithCustomError(verifier, "StepVerifierKernelSetWithoutCode")
        .withArgs(1, eoa.address);
    });

    it("keeps the sets in the order of protocol/kernel-sets.ts", async () => {
      const sets = await verifier.kernelSets();
      expect(sets.length).to.equal(KERNEL_SETS.length);
      expect(sets[0]).to.equal(core.target);
    });
  });

  describe("kernelSetOf", () => {
    it("names the set serving an op, and the first set for an op no set serves", async () => {
      for (const op of ["Gemm", "Conv", "Relu", "Softmax", "Transpose"]) {
        expect(await core.serves(opHash(op)), op).to.equal(true);
        expect(await verifier.kernelSetOf(opHash(op)), op).to.equal(core.target);
      }
      expect(await core.serves(opHash("Floor"))).to.equal(false);
      expect(await verifier.kernelSetOf(opHash("Floor"))).to.equal(core.target);
    });
  });

  describe("computeElement / computeElementSparse", () => {
    it("answer exactly what the serving set answers when called directly", async () => {
      const weights = new WeightsCommitment(p);
      for (const e of [0, 7, 15]) {
        const s = buildStepProof(p, states, 0, e, weights);
        const direct = await core.computeElement(s.claim, s.layer, s.slice, s.rows);
        expect(await verifier.computeElement(s.claim, s.layer, s.slice, s.rows)).to.equal(direct);
        expect(direct).to.equal(states[1][e]);
        const sp = buildSparseStepProof(p, states, 0, e, weights);
        expect(await verifier.computeElementSparse(sp.claim, sp.layer, sp.slice, sp.rows)).to.equal(direct);
      }
    });

    it("bubble the set's revert unchanged (a bad layer proof)", async () => {
      const s = buildStepProof(p, states, 0, 3, new WeightsCommitment(p));
      const bad = { ...s.claim, weightsRoot: ethers.ZeroHash };
      await expect(verifier.computeElement(bad, s.layer, s.slice, s.rows))
        .to.be.revertedWithCustomError(core, "StepVerifierBadLayerProof")
        .withArgs(0);
      await expect(core.computeElement(bad, s.layer, s.slice, s.rows))
        .to.be.revertedWithCustomError(core, "StepVerifierBadLayerProof")
        .withArgs(0);
    });
  });
});
