import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { BatchStatus } from "../../protocol/constants";
import { MODE } from "../helpers/fixtures";
import {
  bytesOf,
  CHALLENGE_WINDOW,
  COLLATERAL_MULTIPLIER,
  commitmentHash,
  deployInferenceFixture,
  DIGITS_INPUT_BYTES,
  DIGITS_VERSION,
  makeBatch,
  merkleProof,
  STATUS,
  VERSION_FEE,
} from "../helpers/inference-fixtures";
import type { InferenceFixture } from "../helpers/inference-fixtures";

const NONE = ethers.ZeroAddress;
const INPUT = bytesOf(DIGITS_INPUT_BYTES, 21);

async function requests(f: InferenceFixture, n: number, node = f.node.address, fee = VERSION_FEE): Promise<bigint[]> {
  const ids: bigint[] = [];
  for (let i = 0; i < n; i++) {
    await f.manager.connect(f.requesters[i % 2]).request(DIGITS_VERSION, INPUT, fee, node, MODE.OPTIMISTIC, NONE, 0);
    ids.push(await f.manager.requestCount());
  }
  return ids;
}

async function fixture() {
  return loadFixture(deployInferenceFixture);
}

describe("InferenceManager batches", function () {
  describe("commitBatch", function () {
    it("commits the root of COMMITMENTS.md section 1 over the leaves and locks collateral once", async function () {
      const f = await fixture();
      const ids = await requests(f, 5);
      const b = makeBatch(ids);
      const fee = 5n * VERSION_FEE;
      const collateral = fee * COLLATERAL_MULTIPLIER;
      const tx = f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots);
      await expect(tx).to.emit(f.staking, "StakeLocked").withArgs(f.node.address, collateral, collateral);
      const windowEnd = BigInt(await time.latest()) + CHALLENGE_WINDOW;
      await expect(tx)
        .to.emit(f.manager, "BatchCommitted")
        .withArgs(1n, f.node.address, b.root, 5, fee, collateral, windowEnd);
      const batch = await f.manager.getBatch(1n);
      expect(batch.root).to.equal(b.root);
      expect(batch.idsHash).to.equal(ethers.solidityPackedKeccak256(["uint256[]"], [ids]));
      expect(batch.count).to.equal(5n);
      expect(batch.feeRemaining).to.equal(fee);
      expect(batch.collateralRemaining).to.equal(collateral);
      expect(batch.status).to.equal(BatchStatus.Committed);
      for (const id of ids) expect(await f.manager.statusOf(id)).to.equal(STATUS.Batched);
    });

    it("I3: locks collateral for the OPTIMISTIC leaves only: NONE leaves lock nothing, as single NONE commitments", async function () {
      const f = await fixture();
      const ids: bigint[] = [];
      const modes = [MODE.OPTIMISTIC, MODE.NONE, MODE.OPTIMISTIC, MODE.NONE, MODE.NONE];
      for (const mode of modes) {
        await f.manager
          .connect(f.requesters[0])
          .request(DIGITS_VERSION, INPUT, VERSION_FEE, f.node.address, mode, NONE, 0);
        ids.push(await f.manager.requestCount());
      }
      const b = makeBatch(ids);
      const collateral = 2n * VERSION_FEE * COLLATERAL_MULTIPLIER;
      const lockedBefore = await f.staking.lockedStake(f.node.address);
      const windowEnd = BigInt(await time.latest()) + 1n + CHALLENGE_WINDOW;
      await expect(f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots))
        .to.emit(f.manager, "BatchCommitted")
        .withArgs(1n, f.node.address, b.root, 5, 5n * VERSION_FEE, collateral, windowEnd);
      expect(await f.staking.lockedStake(f.node.address)).to.equal(lockedBefore + collateral);
      // a proven NONE leaf takes no collateral out of the batch; an OPTIMISTIC one takes its share
      await f.manager.proveBatchLeaf(1n, 1, ids[1], b.outputHashes[1], b.traceRoots[1], merkleProof(b.leaves, 1));
      expect((await f.manager.getBatch(1n)).collateralRemaining).to.equal(collateral);
      await f.manager.proveBatchLeaf(1n, 0, ids[0], b.outputHashes[0], b.traceRoots[0], merkleProof(b.leaves, 0));
      expect((await f.manager.getBatch(1n)).collateralRemaining).to.equal(collateral / 2n);
      await time.increaseTo(windowEnd);
      await f.manager.finalizeBatch(1n, ids);
      for (const i of [0, 1]) await f.manager.finalize(ids[i], "0x", ethers.ZeroHash);
      expect(await f.staking.lockedStake(f.node.address)).to.equal(lockedBefore);
    });

    it("I2: makes the leaves neither committable nor refundable", async function () {
      const f = await fixture();
      const ids = await requests(f, 2);
      const b = makeBatch(ids);
      await f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots);
      await expect(f.manager.connect(f.node).commit(ids[0], bytesOf(10), ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(ids[0], STATUS.Batched);
      await time.increase(7200n);
      await expect(f.manager.refund(ids[1]))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(ids[1], STATUS.Batched);
      await expect(f.manager.connect(f.node).commitBatch([ids[1]], [b.outputHashes[1]], [b.traceRoots[1]]))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidBatchLeaf")
        .withArgs(0n, ids[1]);
    });

    it("reverts on leaves that are not the caller's Assigned callback-free requests", async function () {
      const f = await fixture();
      const [mine] = await requests(f, 1);
      const [other] = await requests(f, 1, f.node2.address);
      const [open] = await requests(f, 1, NONE);
      const consumer = await ethers.deployContract("RecordingConsumer");
      await f.manager
        .connect(f.requesters[0])
        .request(DIGITS_VERSION, INPUT, VERSION_FEE, f.node, MODE.OPTIMISTIC, await consumer.getAddress(), 50_000);
      const withCallback = await f.manager.requestCount();
      const [done] = await requests(f, 1);
      await f.manager.connect(f.node).commit(done, bytesOf(10), ethers.ZeroHash);
      for (const bad of [other, open, withCallback, done, 999n]) {
        const ids = bad > mine ? [mine, bad] : [bad, mine];
        const b = makeBatch(ids);
        await expect(f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots))
          .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidBatchLeaf")
          .withArgs(ids.indexOf(bad), bad);
      }
    });

    it("reverts on unsorted or repeated ids, mismatched lengths, and empty or oversized batches", async function () {
      const f = await fixture();
      const ids = await requests(f, 3);
      const b = makeBatch(ids);
      const m = f.manager.connect(f.node);
      await expect(m.commitBatch([ids[1], ids[0]], b.outputHashes.slice(0, 2), b.traceRoots.slice(0, 2)))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerBatchNotSorted")
        .withArgs(1n);
      await expect(m.commitBatch([ids[0], ids[0]], b.outputHashes.slice(0, 2), b.traceRoots.slice(0, 2)))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerBatchNotSorted")
        .withArgs(1n);
      await expect(m.commitBatch(ids, b.outputHashes.slice(0, 2), b.traceRoots)).to.be.revertedWithCustomError(
        f.manager,
        "InferenceManagerBatchLengthMismatch",
      );
      await expect(m.commitBatch(ids, b.outputHashes, b.traceRoots.slice(0, 2))).to.be.revertedWithCustomError(
        f.manager,
        "InferenceManagerBatchLengthMismatch",
      );
      await expect(m.commitBatch([], [], []))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidBatch")
        .withArgs(0n, 1024n);
      const many = Array.from({ length: 1025 }, (_, i) => BigInt(i + 1));
      const hashes = many.map(() => ethers.ZeroHash);
      await expect(m.commitBatch(many, hashes, hashes))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidBatch")
        .withArgs(1025n, 1024n);
    });

    it("I6: builds the same root as the TypeScript tree for every size from 1 to 9", async function () {
      const f = await fixture();
      const ids = await requests(f, 45);
      let start = 0;
      for (let n = 1; n <= 9; n++) {
        const b = makeBatch(ids.slice(start, start + n), n);
        start += n;
        await f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots);
        expect((await f.manager.getBatch(await f.manager.batchCount())).root).to.equal(b.root);
      }
    });
  });

  describe("finalizeBatch", function () {
    it("I2: finalizes every leaf, credits the node once and unlocks the collateral; anyone may call", async function () {
      const f = await fixture();
      const ids = await requests(f, 4);
      const b = makeBatch(ids);
      await f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots);
      await time.increase(CHALLENGE_WINDOW);
      const collateral = 4n * VERSION_FEE * COLLATERAL_MULTIPLIER;
      const tx = f.manager.connect(f.stranger).finalizeBatch(1n, ids);
      await expect(tx)
        .to.emit(f.manager, "BatchFinalized")
        .withArgs(1n, f.node.address, 4n * VERSION_FEE, collateral);
      await expect(tx).to.emit(f.staking, "StakeUnlocked").withArgs(f.node.address, collateral, 0n);
      await expect(tx).to.changeTokenBalance(f.token, f.manager, 0n);
      expect(await f.manager.credits(f.node)).to.equal(4n * VERSION_FEE);
      for (const id of ids) expect(await f.manager.statusOf(id)).to.equal(STATUS.Finalized);
      await expect(f.manager.finalizeBatch(1n, ids))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerBatchNotCommitted")
        .withArgs(1n, BatchStatus.Finalized);
      await expect(f.manager.refund(ids[0]))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(ids[0], STATUS.Finalized);
    });

    it("reverts inside the window, with the wrong ids, and for an unknown batch", async function () {
      const f = await fixture();
      const ids = await requests(f, 3);
      const b = makeBatch(ids);
      await f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots);
      const windowEnd = (await f.manager.getBatch(1n)).windowEnd;
      await expect(f.manager.finalizeBatch(1n, ids))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerWindowOpen")
        .withArgs(1n, windowEnd);
      await time.increaseTo(windowEnd);
      await expect(f.manager.finalizeBatch(1n, ids.slice(0, 2)))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerBatchIdsMismatch")
        .withArgs(1n);
      await expect(f.manager.finalizeBatch(2n, ids))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerBatchNotCommitted")
        .withArgs(2n, BatchStatus.None);
    });

    it("settles ids spanning several bitmap words", async function () {
      const f = await fixture();
      // ids 1..300 exist; the node batches 250..300 (words 0 and 1)
      await requests(f, 249, f.node2.address);
      const ids = await requests(f, 51);
      const b = makeBatch(ids);
      await f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots);
      expect(await f.manager.statusOf(255n)).to.equal(STATUS.Batched);
      expect(await f.manager.statusOf(256n)).to.equal(STATUS.Batched);
      expect(await f.manager.statusOf(249n)).to.equal(STATUS.Assigned);
      await time.increase(CHALLENGE_WINDOW);
      await f.manager.finalizeBatch(1n, ids);
      for (const id of [250n, 255n, 256n, 300n]) expect(await f.manager.statusOf(id)).to.equal(STATUS.Finalized);
      expect(await f.manager.statusOf(249n)).to.equal(STATUS.Assigned);
      expect(await f.manager.credits(f.node)).to.equal(51n * VERSION_FEE);
    });
  });

  describe("proveBatchLeaf", function () {
    it("I5: materializes a leaf into a disputable commitment with the batch's window and its share of collateral", async function () {
      const f = await fixture();
      const ids = await requests(f, 5);
      const b = makeBatch(ids);
      await f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots);
      const windowEnd = (await f.manager.getBatch(1n)).windowEnd;
      const collateral = VERSION_FEE * COLLATERAL_MULTIPLIER;
      await expect(
        f.manager
          .connect(f.stranger)
          .proveBatchLeaf(1n, 3, ids[3], b.outputHashes[3], b.traceRoots[3], merkleProof(b.leaves, 3)),
      )
        .to.emit(f.manager, "BatchLeafProven")
        .withArgs(1n, ids[3], 3n, b.outputHashes[3], b.traceRoots[3], collateral);
      const info = await f.manager.disputeInfo(ids[3]);
      expect(info.status).to.equal(STATUS.Committed);
      expect(info.commitmentHash).to.equal(commitmentHash(b.outputHashes[3], b.traceRoots[3]));
      expect(info.windowEnd).to.equal(windowEnd);
      expect(info.collateral).to.equal(collateral);
      const batch = await f.manager.getBatch(1n);
      expect(batch.feeRemaining).to.equal(4n * VERSION_FEE);
      expect(batch.collateralRemaining).to.equal(4n * collateral);

      // the per-request dispute path: node proven wrong
      await f.manager.connect(f.disputer).beginDispute(ids[3]);
      expect(await f.manager.connect(f.disputer).endDispute.staticCall(ids[3], true)).to.equal(collateral);
      await f.manager.connect(f.disputer).endDispute(ids[3], true);
      await time.increaseTo(windowEnd);
      await expect(f.manager.finalizeBatch(1n, ids))
        .to.emit(f.manager, "BatchFinalized")
        .withArgs(1n, f.node.address, 4n * VERSION_FEE, 4n * collateral);
      expect(await f.manager.statusOf(ids[3])).to.equal(STATUS.Rejected);
      expect(await f.manager.statusOf(ids[2])).to.equal(STATUS.Finalized);
      expect(await f.manager.credits(f.node)).to.equal(4n * VERSION_FEE);
      expect(await f.manager.credits(f.requesters[1])).to.equal(VERSION_FEE); // ids[3] was requester 1's
      expect(await f.staking.lockedStake(f.node)).to.equal(0n);
    });

    it("a proven leaf that survives its window finalizes individually", async function () {
      const f = await fixture();
      const ids = await requests(f, 2);
      const b = makeBatch(ids);
      await f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots);
      await f.manager.proveBatchLeaf(1n, 0, ids[0], b.outputHashes[0], b.traceRoots[0], merkleProof(b.leaves, 0));
      await time.increase(CHALLENGE_WINDOW);
      await f.manager.finalizeBatch(1n, ids);
      await expect(f.manager.finalize(ids[0], "0x", ethers.ZeroHash))
        .to.emit(f.manager, "RequestFinalized")
        .withArgs(ids[0], f.node.address, VERSION_FEE, VERSION_FEE * COLLATERAL_MULTIPLIER);
      expect(await f.manager.credits(f.node)).to.equal(2n * VERSION_FEE);
      expect(await f.staking.lockedStake(f.node)).to.equal(0n);
    });

    it("I6: reverts on a bad proof, a wrong index, a second proof, after the window and on a settled batch", async function () {
      const f = await fixture();
      const ids = await requests(f, 3);
      const b = makeBatch(ids);
      await f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots);
      const proof = merkleProof(b.leaves, 1);
      await expect(f.manager.proveBatchLeaf(1n, 1, ids[1], b.outputHashes[0], b.traceRoots[1], proof))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidBatchProof")
        .withArgs(1n, 1n);
      await expect(f.manager.proveBatchLeaf(1n, 2, ids[1], b.outputHashes[1], b.traceRoots[1], proof))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidBatchProof")
        .withArgs(1n, 2n);
      await expect(f.manager.proveBatchLeaf(1n, 1, ids[1], b.outputHashes[1], b.traceRoots[1], proof.slice(1)))
        .to.be.revertedWithCustomError(f.manager, "MerkleLibBadProofLength")
        .withArgs(1n, 2n);
      await f.manager.proveBatchLeaf(1n, 1, ids[1], b.outputHashes[1], b.traceRoots[1], proof);
      await expect(f.manager.proveBatchLeaf(1n, 1, ids[1], b.outputHashes[1], b.traceRoots[1], proof))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(ids[1], STATUS.Committed);
      const windowEnd = (await f.manager.getBatch(1n)).windowEnd;
      await time.increaseTo(windowEnd);
      await expect(
        f.manager.proveBatchLeaf(1n, 0, ids[0], b.outputHashes[0], b.traceRoots[0], merkleProof(b.leaves, 0)),
      )
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerWindowClosed")
        .withArgs(1n, windowEnd);
      await f.manager.finalizeBatch(1n, ids);
      await expect(
        f.manager.proveBatchLeaf(1n, 0, ids[0], b.outputHashes[0], b.traceRoots[0], merkleProof(b.leaves, 0)),
      )
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerBatchNotCommitted")
        .withArgs(1n, BatchStatus.Finalized);
    });
  });
});
