import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { shouldBehaveLikeRoleGated } from "../behaviours/role-gated.behaviour";
import { MODE } from "../helpers/fixtures";
import {
  bytesOf,
  COLLATERAL_MULTIPLIER,
  commitmentHash,
  deployInferenceFixture,
  DIGITS_INPUT_BYTES,
  DIGITS_OUTPUT_BYTES,
  DIGITS_VERSION,
  makeBatch,
  NODE_STATUS,
  REQUEST_TIMEOUT,
  STATUS,
  VERSION_FEE,
} from "../helpers/inference-fixtures";
import type { InferenceFixture } from "../helpers/inference-fixtures";

// The verified-mode hook: a TEE or ZK request is settled, final at once, by the settler contract governance set
// for its mode. Here an EOA (`f.stranger`) stands in for the settler; the real settlers (enclave signatures,
// Groth16 proofs) have their own suites and call exactly this hook.

const NONE = ethers.ZeroAddress;
const INPUT = bytesOf(DIGITS_INPUT_BYTES, 21);
const OUTPUT = bytesOf(DIGITS_OUTPUT_BYTES, 22);
const OUTPUT_HASH = ethers.keccak256(OUTPUT);
const TRACE_ROOT = ethers.keccak256(bytesOf(32, 23));

async function fixture() {
  const f = await loadFixture(deployInferenceFixture);
  await f.manager.connect(f.governor).setModeSettler(MODE.TEE, f.stranger.address);
  return f;
}

async function teeRequest(f: InferenceFixture, callback = NONE, gasLimit = 0): Promise<bigint> {
  await f.manager
    .connect(f.requesters[0])
    .request(DIGITS_VERSION, INPUT, VERSION_FEE, f.node.address, MODE.TEE, callback, gasLimit);
  return f.manager.requestCount();
}

describe("I9: InferenceManager: verified modes (settleVerified)", function () {
  describe("setModeSettler", function () {
    it("sets the settler of TEE or ZK, emits, and can remove it", async function () {
      const f = await loadFixture(deployInferenceFixture);
      await expect(f.manager.connect(f.governor).setModeSettler(MODE.ZK, f.stranger.address))
        .to.emit(f.manager, "ModeSettlerSet")
        .withArgs(MODE.ZK, f.stranger.address);
      expect(await f.manager.modeSettler(MODE.ZK)).to.equal(f.stranger.address);
      await f.manager.connect(f.governor).setModeSettler(MODE.ZK, NONE);
      expect(await f.manager.modeSettler(MODE.ZK)).to.equal(NONE);
    });

    it("reverts for any mode but TEE and ZK", async function () {
      const f = await loadFixture(deployInferenceFixture);
      for (const mode of [0, MODE.NONE, MODE.OPTIMISTIC, MODE.TEE | MODE.ZK, 16]) {
        await expect(f.manager.connect(f.governor).setModeSettler(mode, f.stranger.address))
          .to.be.revertedWithCustomError(f.manager, "InferenceManagerNotModeSettler")
          .withArgs(mode, f.stranger.address);
      }
    });

    shouldBehaveLikeRoleGated({
      fixture: () => loadFixture(deployInferenceFixture),
      contract: (f: InferenceFixture) => f.manager,
      role: "GOVERNOR_ROLE",
      callers: (f) => [f.stranger],
      calls: { setModeSettler: (m, caller) => m.setModeSettler(MODE.TEE, caller.address) },
    });
  });

  describe("requests in a verified mode", function () {
    it("are accepted once the mode has a settler, and refused again once it is removed", async function () {
      const f = await fixture();
      const id = await teeRequest(f);
      expect((await f.manager.getRequest(id)).mode).to.equal(MODE.TEE);
      await f.manager.connect(f.governor).setModeSettler(MODE.TEE, NONE);
      await expect(teeRequest(f))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerUnsupportedMode")
        .withArgs(DIGITS_VERSION, MODE.TEE);
    });

    it("still need the version to support the mode", async function () {
      const f = await fixture();
      await f.manager.connect(f.governor).setModeSettler(MODE.ZK, f.stranger.address);
      await expect(
        f.manager.connect(f.requesters[0]).request(DIGITS_VERSION, INPUT, VERSION_FEE, NONE, MODE.ZK, NONE, 0),
      )
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerUnsupportedMode")
        .withArgs(DIGITS_VERSION, MODE.ZK);
    });

    it("cannot be committed through commit, nor batched, by the node itself", async function () {
      const f = await fixture();
      const id = await teeRequest(f);
      await expect(f.manager.connect(f.node).commit(id, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNotModeSettler")
        .withArgs(MODE.TEE, f.node.address);
      const b = makeBatch([id]);
      await expect(f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidBatchLeaf")
        .withArgs(0, id);
    });
  });

  describe("settleVerified", function () {
    it("commits and finalizes at once: fee credited to the node, nothing locked, events emitted", async function () {
      const f = await fixture();
      const id = await teeRequest(f);
      const lockedBefore = await f.staking.lockedStake(f.node.address);
      await expect(f.manager.connect(f.stranger).settleVerified(id, OUTPUT, TRACE_ROOT))
        .to.emit(f.manager, "ResultCommitted")
        .withArgs(id, f.node.address, OUTPUT_HASH, TRACE_ROOT, OUTPUT)
        .and.to.emit(f.manager, "RequestFinalized")
        .withArgs(id, f.node.address, VERSION_FEE, 0);
      const r = await f.manager.getRequest(id);
      expect(r.status).to.equal(STATUS.Finalized);
      expect(r.commitmentHash).to.equal(commitmentHash(OUTPUT_HASH, TRACE_ROOT));
      expect(r.collateral).to.equal(0n);
      expect(await f.manager.credits(f.node.address)).to.equal(VERSION_FEE);
      expect(await f.staking.lockedStake(f.node.address)).to.equal(lockedBefore);
    });

    it("C10-4 releases the collateral of the node's claim on an open request", async function () {
      const f = await fixture();
      await f.manager.connect(f.requesters[0]).request(DIGITS_VERSION, INPUT, VERSION_FEE, NONE, MODE.TEE, NONE, 0);
      const id = await f.manager.requestCount();
      await f.manager.connect(f.node).claim(id);
      const collateral = VERSION_FEE * COLLATERAL_MULTIPLIER;
      expect(await f.staking.lockedStake(f.node.address)).to.equal(collateral);
      await expect(f.manager.connect(f.stranger).settleVerified(id, OUTPUT, TRACE_ROOT))
        .to.emit(f.staking, "StakeUnlocked")
        .withArgs(f.node.address, collateral, 0n)
        .and.to.emit(f.manager, "RequestFinalized")
        .withArgs(id, f.node.address, VERSION_FEE, 0n);
      expect(await f.staking.lockedStake(f.node.address)).to.equal(0n);
      expect((await f.manager.getRequest(id)).collateral).to.equal(0n);
    });

    it("C10-5 reverts for a node that completed its exit", async function () {
      const f = await fixture();
      const id = await teeRequest(f);
      await f.nodes.connect(f.node).exit();
      await f.nodes.connect(f.node).completeExit();
      await expect(f.manager.connect(f.stranger).settleVerified(id, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNodeInactive")
        .withArgs(f.node.address, NODE_STATUS.Exited);
    });

    it("calls the consumer with the output", async function () {
      const f = await fixture();
      const consumer = await ethers.deployContract("RecordingConsumer");
      const id = await teeRequest(f, await consumer.getAddress(), 200_000);
      await expect(f.manager.connect(f.stranger).settleVerified(id, OUTPUT, TRACE_ROOT))
        .to.emit(f.manager, "CallbackExecuted")
        .withArgs(id, await consumer.getAddress(), true);
      expect(await consumer.lastOutput()).to.equal(OUTPUT);
      expect(await consumer.lastOutputHash()).to.equal(OUTPUT_HASH);
    });

    it("reverts for anyone but the settler of the request's mode", async function () {
      const f = await fixture();
      const id = await teeRequest(f);
      for (const caller of [f.node, f.requesters[0], f.governor]) {
        await expect(f.manager.connect(caller).settleVerified(id, OUTPUT, TRACE_ROOT))
          .to.be.revertedWithCustomError(f.manager, "InferenceManagerNotModeSettler")
          .withArgs(MODE.TEE, caller.address);
      }
      // the TEE settler cannot settle an OPTIMISTIC request (mode 2 has no settler)
      await f.manager
        .connect(f.requesters[0])
        .request(DIGITS_VERSION, INPUT, VERSION_FEE, f.node.address, MODE.OPTIMISTIC, NONE, 0);
      const optimistic = await f.manager.requestCount();
      await expect(f.manager.connect(f.stranger).settleVerified(optimistic, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNotModeSettler")
        .withArgs(MODE.OPTIMISTIC, f.stranger.address);
    });

    it("settles once only", async function () {
      const f = await fixture();
      const id = await teeRequest(f);
      await f.manager.connect(f.stranger).settleVerified(id, OUTPUT, TRACE_ROOT);
      await expect(f.manager.connect(f.stranger).settleVerified(id, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Finalized);
      await time.increase(REQUEST_TIMEOUT + 1n);
      await expect(f.manager.refund(id))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Finalized);
    });

    it("reverts for an open request, after the deadline, and for an output of the wrong length", async function () {
      const f = await fixture();
      await f.manager.connect(f.requesters[0]).request(DIGITS_VERSION, INPUT, VERSION_FEE, NONE, MODE.TEE, NONE, 0);
      const open = await f.manager.requestCount();
      await expect(f.manager.connect(f.stranger).settleVerified(open, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(open, STATUS.Open);

      const id = await teeRequest(f);
      await expect(f.manager.connect(f.stranger).settleVerified(id, bytesOf(DIGITS_OUTPUT_BYTES + 1, 5), TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidOutputLength")
        .withArgs(DIGITS_OUTPUT_BYTES + 1, DIGITS_OUTPUT_BYTES);
      const deadline = (await f.manager.getRequest(id)).deadline;
      await time.increaseTo(deadline + 1n);
      await expect(f.manager.connect(f.stranger).settleVerified(id, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerDeadlinePassed")
        .withArgs(id, deadline);
      // an unserved verified request is refunded like any other
      await expect(f.manager.refund(id))
        .to.emit(f.manager, "RequestRefunded")
        .withArgs(id, f.requesters[0].address, VERSION_FEE);
    });
  });
});
