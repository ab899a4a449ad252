import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { MODE, ONE } from "../helpers/fixtures";
import {
  bytesOf,
  CHALLENGE_WINDOW,
  CLAIM_PENALTY_REWARD_PPM,
  COLLATERAL_MULTIPLIER,
  deployInferenceFixture,
  DIGITS_INPUT_BYTES,
  DIGITS_OUTPUT_BYTES,
  DIGITS_VERSION,
  makeBatch,
  merkleProof,
  NODE_STATUS,
  SERVE_TIMEOUT,
  STATUS,
  VERSION_FEE,
} from "../helpers/inference-fixtures";
import type { InferenceFixture } from "../helpers/inference-fixtures";

// Claims of open requests (finding F3: a free claim let any eligible node hold every open request until its
// deadline) and commitments from nodes that left the registry (finding F2, commit side).

const NONE = ethers.ZeroAddress;
const INPUT = bytesOf(DIGITS_INPUT_BYTES, 41);
const OUTPUT = bytesOf(DIGITS_OUTPUT_BYTES, 42);
const OUTPUT_HASH = ethers.keccak256(OUTPUT);
const TRACE_ROOT = ethers.keccak256(bytesOf(32, 43));
const COLLATERAL = VERSION_FEE * COLLATERAL_MULTIPLIER;
const REQUESTER_SHARE = (VERSION_FEE * CLAIM_PENALTY_REWARD_PPM) / 1_000_000n;

async function fixture() {
  return loadFixture(deployInferenceFixture);
}

/** A request by requester 0: open (no node) unless `node` is given. */
async function request(f: InferenceFixture, o: { node?: string; mode?: number; fee?: bigint } = {}): Promise<bigint> {
  await f.manager
    .connect(f.requesters[0])
    .request(DIGITS_VERSION, INPUT, o.fee ?? VERSION_FEE, o.node ?? NONE, o.mode ?? MODE.OPTIMISTIC, NONE, 0);
  return f.manager.requestCount();
}

/** Claims `id` as `node` in a block at `at` (default: one second from now); returns the serve deadline. */
async function claimAt(f: InferenceFixture, node: InferenceFixture["node"], id: bigint, at?: bigint): Promise<bigint> {
  const when = at ?? BigInt(await time.latest()) + 1n;
  await time.setNextBlockTimestamp(when);
  await f.manager.connect(node).claim(id);
  const deadline = (await f.manager.getRequest(id)).deadline;
  return when + SERVE_TIMEOUT < deadline ? when + SERVE_TIMEOUT : deadline;
}

describe("InferenceManager: claims and who may commit", function () {
  describe("claim", function () {
    it("C10-1 locks fee x multiplier of the claimant's stake and sets a serve deadline serveTimeout away", async function () {
      const f = await fixture();
      const id = await request(f);
      const at = BigInt(await time.latest()) + 10n;
      await time.setNextBlockTimestamp(at);
      const tx = f.manager.connect(f.node2).claim(id);
      await expect(tx)
        .to.emit(f.manager, "RequestClaimed")
        .withArgs(id, f.node2.address, at + SERVE_TIMEOUT, COLLATERAL);
      await expect(tx).to.emit(f.staking, "StakeLocked").withArgs(f.node2.address, COLLATERAL, COLLATERAL);
      const r = await f.manager.getRequest(id);
      expect(r.status).to.equal(STATUS.Assigned);
      expect(r.node).to.equal(f.node2.address);
      expect(r.serveDeadline).to.equal(at + SERVE_TIMEOUT);
      expect(r.collateral).to.equal(COLLATERAL);
      expect(await f.staking.lockedStake(f.node2)).to.equal(COLLATERAL);
    });

    it("C10-3 never gives a serve deadline past the requester's deadline", async function () {
      const f = await fixture();
      const id = await request(f);
      const deadline = (await f.manager.getRequest(id)).deadline;
      await time.setNextBlockTimestamp(deadline - 100n);
      await expect(f.manager.connect(f.node2).claim(id))
        .to.emit(f.manager, "RequestClaimed")
        .withArgs(id, f.node2.address, deadline, COLLATERAL);
      expect((await f.manager.getRequest(id)).serveDeadline).to.equal(deadline);
    });

    it("reverts when the claimant's free stake does not cover the collateral, and the request stays open", async function () {
      const f = await fixture();
      const fee = 201n * ONE; // x10 = 2,010 tokens, more than the 2,000 staked
      const id = await request(f, { fee });
      const free = await f.staking.freeStake(f.node);
      await expect(f.manager.connect(f.node).claim(id))
        .to.be.revertedWithCustomError(f.staking, "StakingInsufficientFreeStake")
        .withArgs(f.node.address, free, fee * COLLATERAL_MULTIPLIER);
      expect(await f.manager.statusOf(id)).to.equal(STATUS.Open);
    });
  });

  describe("reopen", function () {
    it("C10-1 a griefer's claim holds an open request for at most serveTimeout: then anyone reopens it and an honest node serves it", async function () {
      const f = await fixture();
      const id = await request(f);
      const deadline = (await f.manager.getRequest(id)).deadline;
      const serveDeadline = await claimAt(f, f.node2, id); // the griefer, which will never commit
      await expect(f.manager.connect(f.node).claim(id))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Assigned);

      await time.setNextBlockTimestamp(serveDeadline);
      await expect(f.manager.connect(f.stranger).reopen(id))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerClaimNotExpired")
        .withArgs(id, serveDeadline);
      await expect(f.manager.connect(f.stranger).reopen(id))
        .to.emit(f.manager, "ClaimAbandoned")
        .withArgs(id, f.node2.address, COLLATERAL, VERSION_FEE);

      const r = await f.manager.getRequest(id);
      expect(r.status).to.equal(STATUS.Open);
      expect(r.node).to.equal(NONE);
      expect(r.deadline).to.equal(deadline); // the requester's deadline, unchanged
      expect(r.serveDeadline).to.equal(0n);
      expect(r.collateral).to.equal(0n);
      await expect(f.manager.connect(f.node2).commit(id, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Open);

      await f.manager.connect(f.node).claim(id);
      await expect(f.manager.connect(f.node2).commit(id, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNotAssignedNode")
        .withArgs(id, f.node2.address);
      await f.manager.connect(f.node).commit(id, OUTPUT, TRACE_ROOT);
      await time.increase(CHALLENGE_WINDOW);
      await expect(f.manager.finalize(id, "0x", ethers.ZeroHash))
        .to.emit(f.manager, "RequestFinalized")
        .withArgs(id, f.node.address, VERSION_FEE, COLLATERAL);
      expect(await f.staking.lockedStake(f.node)).to.equal(0n);
      expect(await f.staking.lockedStake(f.node2)).to.equal(0n);
    });

    it("C10-2 an abandoned claim costs the claimant one fee of stake, half of it to the requester; the rest of its collateral is released", async function () {
      const f = await fixture();
      const [alice] = f.requesters;
      const id = await request(f);
      const stakeBefore = await f.staking.totalStake(f.node2);
      const serveDeadline = await claimAt(f, f.node2, id);
      await time.setNextBlockTimestamp(serveDeadline + 1n);
      const tx = f.manager.connect(f.stranger).reopen(id);
      await expect(tx).to.emit(f.staking, "StakeUnlocked").withArgs(f.node2.address, COLLATERAL, 0n);
      await expect(tx)
        .to.emit(f.staking, "StakeSlashed")
        .withArgs(f.node2.address, VERSION_FEE, REQUESTER_SHARE, alice.address, f.treasury.address);
      await expect(tx).to.changeTokenBalances(
        f.token,
        [alice, f.treasury, f.staking, f.manager],
        [REQUESTER_SHARE, VERSION_FEE - REQUESTER_SHARE, -VERSION_FEE, 0n],
      );
      expect(await f.staking.totalStake(f.node2)).to.equal(stakeBefore - VERSION_FEE);
      expect(await f.staking.lockedStake(f.node2)).to.equal(0n);
      // the fee is still escrowed for the request, which any node may claim again
      expect(await f.manager.statusOf(id)).to.equal(STATUS.Open);
    });

    it("lets the claimant give its claim up before the serve deadline, at the same penalty", async function () {
      const f = await fixture();
      const id = await request(f);
      await claimAt(f, f.node2, id);
      await expect(f.manager.connect(f.node2).reopen(id))
        .to.emit(f.manager, "ClaimAbandoned")
        .withArgs(id, f.node2.address, COLLATERAL, VERSION_FEE);
      expect(await f.manager.statusOf(id)).to.equal(STATUS.Open);
    });

    it("lets a late claimant still commit until someone reopens the request", async function () {
      const f = await fixture();
      const id = await request(f);
      const serveDeadline = await claimAt(f, f.node2, id);
      await time.setNextBlockTimestamp(serveDeadline + 60n);
      await expect(f.manager.connect(f.node2).commit(id, OUTPUT, TRACE_ROOT))
        .to.emit(f.manager, "ResultCommitted")
        .withArgs(id, f.node2.address, OUTPUT_HASH, TRACE_ROOT, OUTPUT);
      await expect(f.manager.connect(f.stranger).reopen(id))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Committed);
    });

    it("reverts for an unknown, open, committed or batched request, for a requester's choice of node, and twice", async function () {
      const f = await fixture();
      await expect(f.manager.reopen(42n))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(42n, STATUS.None);
      const open = await request(f);
      await expect(f.manager.reopen(open))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(open, STATUS.Open);
      const chosen = await request(f, { node: f.node.address });
      await time.increase(SERVE_TIMEOUT + 1n);
      await expect(f.manager.reopen(chosen))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNotClaimed")
        .withArgs(chosen);
      await expect(f.manager.connect(f.node).reopen(chosen))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNotClaimed")
        .withArgs(chosen);

      const [a, b] = [await request(f), await request(f)];
      await f.manager.connect(f.node).claim(a);
      await f.manager.connect(f.node).claim(b);
      await f.manager.connect(f.node).commit(a, OUTPUT, TRACE_ROOT);
      const batch = makeBatch([b]);
      await f.manager.connect(f.node).commitBatch(batch.requestIds, batch.outputHashes, batch.traceRoots);
      await time.increase(SERVE_TIMEOUT + 1n);
      await expect(f.manager.reopen(a))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(a, STATUS.Committed);
      await expect(f.manager.reopen(b))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(b, STATUS.Batched);

      const c = await request(f);
      await claimAt(f, f.node2, c);
      await time.increase(SERVE_TIMEOUT + 1n);
      await f.manager.reopen(c);
      await expect(f.manager.reopen(c))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(c, STATUS.Open);
    });
  });

  describe("refund of a claimed request", function () {
    it("C10-3 after the requester's deadline releases the claim less the penalty and credits the fee back", async function () {
      const f = await fixture();
      const [alice] = f.requesters;
      const id = await request(f);
      const deadline = (await f.manager.getRequest(id)).deadline;
      await claimAt(f, f.node2, id, deadline - 10n);
      await time.setNextBlockTimestamp(deadline + 1n);
      const tx = f.manager.connect(f.stranger).refund(id);
      await expect(tx).to.emit(f.manager, "ClaimAbandoned").withArgs(id, f.node2.address, COLLATERAL, VERSION_FEE);
      await expect(tx).to.emit(f.manager, "RequestRefunded").withArgs(id, alice.address, VERSION_FEE);
      await expect(tx).to.changeTokenBalances(
        f.token,
        [alice, f.treasury, f.staking],
        [REQUESTER_SHARE, VERSION_FEE - REQUESTER_SHARE, -VERSION_FEE],
      );
      expect(await f.manager.credits(alice)).to.equal(VERSION_FEE);
      expect(await f.staking.lockedStake(f.node2)).to.equal(0n);
      const r = await f.manager.getRequest(id);
      expect(r.status).to.equal(STATUS.Refunded);
      expect(r.collateral).to.equal(0n);
      expect(r.serveDeadline).to.equal(0n);
    });
  });

  describe("commitments of claimed requests", function () {
    it("C10-4 an OPTIMISTIC commitment keeps the claim's collateral and multiplier: nothing more is locked", async function () {
      const f = await fixture();
      const id = await request(f);
      await f.manager.connect(f.node).claim(id);
      await f.manager.connect(f.governor).setCollateralMultiplier(3);
      await expect(f.manager.connect(f.node).commit(id, OUTPUT, TRACE_ROOT)).to.not.emit(f.staking, "StakeLocked");
      const info = await f.manager.disputeInfo(id);
      expect(info.collateral).to.equal(COLLATERAL);
      expect(await f.staking.lockedStake(f.node)).to.equal(COLLATERAL);
      const r = await f.manager.getRequest(id);
      expect(r.serveDeadline).to.equal(0n);
      expect(r.windowEnd).to.equal(BigInt(await time.latest()) + CHALLENGE_WINDOW);
      await time.increase(CHALLENGE_WINDOW);
      await expect(f.manager.finalize(id, "0x", ethers.ZeroHash))
        .to.emit(f.manager, "RequestFinalized")
        .withArgs(id, f.node.address, VERSION_FEE, COLLATERAL);
      expect(await f.staking.lockedStake(f.node)).to.equal(0n);
    });

    it("C10-4 a NONE commitment releases the claim's collateral", async function () {
      const f = await fixture();
      const id = await request(f, { mode: MODE.NONE });
      await f.manager.connect(f.node).claim(id);
      await expect(f.manager.connect(f.node).commit(id, OUTPUT, TRACE_ROOT))
        .to.emit(f.staking, "StakeUnlocked")
        .withArgs(f.node.address, COLLATERAL, 0n);
      expect((await f.manager.disputeInfo(id)).collateral).to.equal(0n);
      expect(await f.staking.lockedStake(f.node)).to.equal(0n);
      await expect(f.manager.finalize(id, "0x", ethers.ZeroHash))
        .to.emit(f.manager, "RequestFinalized")
        .withArgs(id, f.node.address, VERSION_FEE, 0n);
    });

    it("C10-4 a batch of claimed and chosen leaves locks exactly its collateral: the claims' locks count toward it", async function () {
      const f = await fixture();
      // claimed at multiplier 10: a (OPTIMISTIC, fee 2), b (NONE, fee 1); chosen: c (OPTIMISTIC, fee 1)
      const a = await request(f, { fee: 2n * VERSION_FEE });
      const b = await request(f, { mode: MODE.NONE });
      const c = await request(f, { node: f.node.address });
      await f.manager.connect(f.node).claim(a);
      await f.manager.connect(f.node).claim(b);
      expect(await f.staking.lockedStake(f.node)).to.equal(3n * COLLATERAL);
      await f.manager.connect(f.governor).setCollateralMultiplier(4);
      const batch = makeBatch([a, b, c]);
      // the batch holds (2 + 1) fees x 4; the claims held 3 fees x 10: 18 fees are released
      const tx = f.manager.connect(f.node).commitBatch(batch.requestIds, batch.outputHashes, batch.traceRoots);
      await expect(tx)
        .to.emit(f.staking, "StakeUnlocked")
        .withArgs(f.node.address, 18n * VERSION_FEE, 12n * VERSION_FEE);
      await expect(tx).to.not.emit(f.staking, "StakeLocked");
      const batchId = await f.manager.batchCount();
      expect((await f.manager.getBatch(batchId)).collateralRemaining).to.equal(12n * VERSION_FEE);
      expect(await f.staking.lockedStake(f.node)).to.equal(12n * VERSION_FEE);
      for (const id of [a, b, c]) expect((await f.manager.getRequest(id)).collateral).to.equal(0n);

      // a proven leaf carries the batch's multiplier
      await f.manager.proveBatchLeaf(
        batchId,
        0,
        a,
        batch.outputHashes[0],
        batch.traceRoots[0],
        merkleProof(batch.leaves, 0),
      );
      expect((await f.manager.disputeInfo(a)).collateral).to.equal(8n * VERSION_FEE);

      // claimed at multiplier 4, batched at 10: the batch locks the difference
      const d = await request(f);
      await f.manager.connect(f.node).claim(d);
      await f.manager.connect(f.governor).setCollateralMultiplier(10);
      const e = await request(f, { node: f.node.address });
      const batch2 = makeBatch([d, e]);
      await expect(f.manager.connect(f.node).commitBatch(batch2.requestIds, batch2.outputHashes, batch2.traceRoots))
        .to.emit(f.staking, "StakeLocked")
        .withArgs(f.node.address, 20n * VERSION_FEE - 4n * VERSION_FEE, 32n * VERSION_FEE);

      await time.increase(CHALLENGE_WINDOW);
      await f.manager.finalize(a, "0x", ethers.ZeroHash);
      await f.manager.finalizeBatch(batchId, batch.requestIds);
      await f.manager.finalizeBatch(batchId + 1n, batch2.requestIds);
      expect(await f.staking.lockedStake(f.node)).to.equal(0n);
    });
  });

  describe("commitments from nodes that left (finding F2)", function () {
    it("C10-5 a node that completed its exit can neither commit nor batch the requests it was assigned", async function () {
      const f = await fixture();
      const a = await request(f, { node: f.node.address });
      const b = await request(f, { node: f.node.address });
      await f.nodes.connect(f.node).exit();
      await f.nodes.connect(f.node).completeExit(); // nothing was locked for the assigned requests
      expect(await f.nodes.statusOf(f.node)).to.equal(NODE_STATUS.Exited);
      await expect(f.manager.connect(f.node).commit(a, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNodeInactive")
        .withArgs(f.node.address, NODE_STATUS.Exited);
      const batch = makeBatch([a, b]);
      await expect(f.manager.connect(f.node).commitBatch(batch.requestIds, batch.outputHashes, batch.traceRoots))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNodeInactive")
        .withArgs(f.node.address, NODE_STATUS.Exited);
      // the requests are refunded after their deadline
      await time.increaseTo((await f.manager.getRequest(b)).deadline + 1n);
      await expect(f.manager.refund(a)).to.emit(f.manager, "RequestRefunded");
    });

    it("C10-5 a jailed node still commits what it was assigned before its jail, but takes no new work", async function () {
      const f = await fixture();
      const id = await request(f, { node: f.node.address });
      await f.nodes.connect(f.slasher).jail(f.node);
      await expect(f.manager.connect(f.node).commit(id, OUTPUT, TRACE_ROOT))
        .to.emit(f.manager, "ResultCommitted")
        .withArgs(id, f.node.address, OUTPUT_HASH, TRACE_ROOT, OUTPUT);
      expect(await f.nodes.isEligible(f.node.address, DIGITS_VERSION)).to.equal(false);
    });

    it("C10-5 an Exiting node still commits and batches what it was assigned or claimed, and cannot complete its exit meanwhile", async function () {
      const f = await fixture();
      const a = await request(f, { node: f.node.address });
      const b = await request(f, { node: f.node.address });
      const c = await request(f);
      await f.manager.connect(f.node).claim(c);
      await f.nodes.connect(f.node).exit();
      await expect(f.nodes.connect(f.node).completeExit())
        .to.be.revertedWithCustomError(f.nodes, "NodeRegistryCollateralLocked")
        .withArgs(f.node.address, COLLATERAL);
      await expect(f.manager.connect(f.node).commit(a, OUTPUT, TRACE_ROOT)).to.emit(f.manager, "ResultCommitted");
      const batch = makeBatch([b, c]);
      await expect(
        f.manager.connect(f.node).commitBatch(batch.requestIds, batch.outputHashes, batch.traceRoots),
      ).to.emit(f.manager, "BatchCommitted");
    });
  });
});
