import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { RedundantBoard } from "../../game/boards/redundant";
import { driveGame } from "../../game/driver";
import { Player } from "../../game/player";
import { demoModel } from "../../models/demo-models";
import { outputHashOf } from "../helpers/dispute-fixtures";
import {
  COLLATERAL,
  COMMIT_TIMEOUT,
  commitView,
  deployRedundantFixture,
  FEE,
  GameOutcome,
  lieView,
  requestRedundant,
  RequestStatus,
  REWARD,
  SlotStatus,
} from "./redundant-fixtures";

/**
 * The findings of the adversarial review of the RedundantManager (issue 10), each as the exploit it describes.
 * F5: slots went to the first k committers, so k Sybil addresses (or anyone front-running an honest node's public
 * commit) filled a request with one wrong output, final at once. L2: a requester locked a lone committer's collateral
 * for the commit window and got every fee back.
 */
describe("RedundantManager: review findings", function () {
  this.timeout(120_000);
  const L = demoModel("mlp").program.layers.length;

  describe("F5: Sybil capture of a redundant request", function () {
    it("R10-1 two Sybil addresses committing the same wrong output first cannot take a k = 2 request: their commits revert NotNamed, the named nodes' disagreement is refereed and the honest one wins", async function () {
      const f = await loadFixture(deployRedundantFixture);
      // Operators 2 and 3 are one dishonest operator's two eligible, staked addresses; the requester names 0 and 1.
      const [honest, other, sybil1, sybil2] = f.operators;
      const { requestId, s0 } = await requestRedundant(f, "mlp", 3, 2, [honest.address, other.address]);
      const wrong = lieView("mlp", s0, { step: L, byte: 0 });
      for (const sybil of [sybil1, sybil2]) {
        await expect(commitView(f, sybil, requestId, wrong))
          .to.be.revertedWithCustomError(f.redundant, "RedundantManagerNotNamed")
          .withArgs(requestId, sybil.address);
        expect(await f.staking.lockedStake(sybil.address)).to.equal(0n);
      }
      let r = await f.redundant.getRequest(requestId);
      expect(r.status).to.equal(RequestStatus.Open);
      expect(r.committed).to.equal(0n);
      expect(r.resultHash).to.equal(`0x${"00".repeat(32)}`);

      // The honest named node still commits; the other named node commits the wrong output: a game, not a result.
      const right = lieView("mlp", s0);
      await commitView(f, honest, requestId, right);
      await expect(commitView(f, other, requestId, wrong))
        .to.emit(f.redundant, "GameOpened")
        .withArgs(1n, requestId, honest.address, other.address);
      expect((await f.redundant.getRequest(requestId)).status).to.equal(RequestStatus.Open);
      const { outcome } = await driveGame(1n, {
        A: new Player("A", right, new RedundantBoard(f.redundant.connect(honest))),
        B: new Player("B", wrong, new RedundantBoard(f.redundant.connect(other))),
      });
      expect(outcome).to.equal(GameOutcome.BWrong);
      r = await f.redundant.getRequest(requestId);
      expect(r.status).to.equal(RequestStatus.Finalized);
      expect(r.resultHash).to.equal(outputHashOf(right.states[L]));
      expect(await f.redundant.credits(honest.address)).to.equal(2n * FEE + REWARD);
      for (const sybil of [sybil1, sybil2]) expect(await f.redundant.credits(sybil.address)).to.equal(0n);
    });

    it("R10-1 the trust that remains: a requester that names two addresses of one dishonest operator gets their unanimous wrong result (docs/REDUNDANT.md)", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const [, , sybil1, sybil2] = f.operators;
      const { requestId, s0 } = await requestRedundant(f, "mlp", 4, 2, [sybil1.address, sybil2.address]);
      const wrong = lieView("mlp", s0, { step: L, byte: 0 });
      await commitView(f, sybil1, requestId, wrong);
      await expect(commitView(f, sybil2, requestId, wrong))
        .to.emit(f.redundant, "RedundantFinalized")
        .withArgs(requestId, outputHashOf(wrong.states[L]), 2);
    });
  });

  describe("L2: a lone committer's collateral", function () {
    it("R10-2 a lone named committer is paid its fee and released at expiry; the requester gets back only the absent nodes' fees (exact token deltas)", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const [lone, absent] = f.operators;
      const manager = await f.redundant.getAddress();
      const requesterBefore = await f.token.balanceOf(f.requester.address);
      const loneBefore = await f.token.balanceOf(lone.address);
      const stakeBefore = await f.staking.totalStake(lone.address);
      const lockedBefore = await f.staking.lockedStake(lone.address);
      const { requestId, s0 } = await requestRedundant(f, "mlp", 8, 3, [
        absent.address,
        lone.address,
        f.operators[2].address,
      ]);
      await commitView(f, lone, requestId, lieView("mlp", s0));
      expect(await f.staking.lockedStake(lone.address)).to.equal(lockedBefore + COLLATERAL);
      await time.increase(COMMIT_TIMEOUT + 1n);

      await expect(f.redundant.connect(f.stranger).close(requestId))
        .to.emit(f.redundant, "RedundantExpired")
        .withArgs(requestId, 1, 2n * FEE);
      const r = await f.redundant.getRequest(requestId);
      expect(r.status).to.equal(RequestStatus.Expired);
      expect(r.escrow).to.equal(0n);
      const slots = await f.redundant.getSlots(requestId);
      expect(slots.map((s) => Number(s.status))).to.deep.equal([SlotStatus.Named, SlotStatus.Paid, SlotStatus.Named]);
      expect(await f.staking.lockedStake(lone.address)).to.equal(lockedBefore);
      expect(await f.staking.totalStake(lone.address)).to.equal(stakeBefore);

      await expect(f.redundant.connect(lone).claimCredits()).to.changeTokenBalances(
        f.token,
        [lone, manager],
        [FEE, -FEE],
      );
      await expect(f.redundant.connect(f.requester).claimCredits()).to.changeTokenBalances(
        f.token,
        [f.requester, manager],
        [2n * FEE, -2n * FEE],
      );
      // Overall: the requester paid exactly one fee, the one node that answered; nothing is left in the manager.
      expect(await f.token.balanceOf(f.requester.address)).to.equal(requesterBefore - FEE);
      expect(await f.token.balanceOf(lone.address)).to.equal(loneBefore + FEE);
      expect(await f.token.balanceOf(manager)).to.equal(0n);
      expect(await f.redundant.credits(absent.address)).to.equal(0n);
    });

    it("R10-2 a request nobody committed to refunds every fee to the requester and credits no node", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId } = await requestRedundant(f, "mlp", 9, 2);
      await time.increase(COMMIT_TIMEOUT + 1n);
      await expect(f.redundant.close(requestId)).to.changeTokenBalances(f.token, [f.requester], [0n]);
      expect(await f.redundant.credits(f.requester.address)).to.equal(2n * FEE);
      for (const op of f.operators.slice(0, 2)) expect(await f.redundant.credits(op.address)).to.equal(0n);
    });
  });
});
