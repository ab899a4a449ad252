import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";

import { demoModel } from "../../scripts/lib/demo-models";
import { digitInput } from "../helpers/dispute-fixtures";
import {
  COLLATERAL,
  commitView,
  deployRedundantFixture,
  expectedOutcome,
  FEE,
  GameOutcome,
  lieView,
  openRefereeGame,
  playRefereeGame,
  requestRedundant,
  RequestStatus,
  REWARD,
  SlotStatus,
  type RedundantFixture,
  type RefereeSetup,
} from "./redundant-fixtures";

/**
 * Whole refereed games between two nodes of a redundant request, with the real one-step verifier on the demo
 * models: the honest node wins wherever the lie sits and whichever slot it holds, a node that stops loses, and the
 * request settles once with the honest output (docs/REDUNDANT.md, test/PROPERTIES.md K3-K6).
 */
describe("RedundantManager: refereed games", function () {
  this.timeout(300_000);

  const MLP_L = demoModel("mlp").program.layers.length;
  const CNN_L = demoModel("cnn").program.layers.length;

  async function stakes(f: RedundantFixture) {
    const [a, b] = [f.operators[0].address, f.operators[1].address];
    return {
      a: await f.staking.totalStake(a),
      b: await f.staking.totalStake(b),
      lockedA: await f.staking.lockedStake(a),
      lockedB: await f.staking.lockedStake(b),
    };
  }

  /** Plays a k = 2 game and checks the exact stake, credit and status changes of its outcome. */
  async function playAndCheck(f: RedundantFixture, setup: RefereeSetup, expected: GameOutcome) {
    const before = await stakes(f);
    const game = await openRefereeGame(f, setup);
    expect(game.gameId).to.not.equal(0n);
    const { outcome } = await playRefereeGame(f, game, setup.stops);
    expect(outcome).to.equal(expected);
    const after = await stakes(f);
    const r = await f.redundant.getRequest(game.requestId);
    const slots = await f.redundant.getSlots(game.requestId);
    expect(after.lockedA).to.equal(before.lockedA);
    expect(after.lockedB).to.equal(before.lockedB);
    expect(r.activeGame).to.equal(0n);
    expect(r.escrow).to.equal(0n);
    const [a, b] = [f.operators[0].address, f.operators[1].address];
    if (expected === GameOutcome.BothWrong) {
      expect(r.status).to.equal(RequestStatus.Rejected);
      expect(after.a).to.equal(before.a - COLLATERAL);
      expect(after.b).to.equal(before.b - COLLATERAL);
      expect(await f.redundant.credits(f.requester.address)).to.equal(2n * FEE);
      expect(await f.nodes.statusOf(a)).to.equal(4n);
      expect(await f.nodes.statusOf(b)).to.equal(4n);
      return game;
    }
    const winner = expected === GameOutcome.BWrong ? "A" : "B";
    const [w, l] = winner === "A" ? [a, b] : [b, a];
    expect(r.status).to.equal(RequestStatus.Finalized);
    expect(r.resultHash).to.equal(slots[winner === "A" ? 0 : 1].outputHash);
    expect(after[winner === "A" ? "a" : "b"]).to.equal(before[winner === "A" ? "a" : "b"]);
    expect(after[winner === "A" ? "b" : "a"]).to.equal(before[winner === "A" ? "b" : "a"] - COLLATERAL);
    // The right node: the full fee (its own and the loser's) plus the reward; the requester pays the whole escrow.
    expect(await f.redundant.credits(w)).to.equal(2n * FEE + REWARD);
    expect(await f.redundant.credits(l)).to.equal(0n);
    expect(await f.redundant.credits(f.requester.address)).to.equal(0n);
    expect(await f.nodes.statusOf(l)).to.equal(4n); // Jailed
    expect(await f.nodes.statusOf(w)).to.equal(1n); // Active
    expect(slots[winner === "A" ? 0 : 1].status).to.equal(SlotStatus.Paid);
    expect(slots[winner === "A" ? 1 : 0].status).to.equal(SlotStatus.Eliminated);
    return game;
  }

  describe("the cheat on either side", function () {
    it("A lies (from step 1): B wins, A is slashed and jailed, B gets 2 fees + the reward", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(
        f,
        {
          model: "mlp",
          digit: 1,
          lieA: [
            { step: 1, byte: 3 },
            { step: MLP_L, byte: 1 },
          ],
        },
        GameOutcome.AWrong,
      );
    });

    it("B lies (from step 2): A wins", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(
        f,
        {
          model: "mlp",
          digit: 2,
          lieB: [
            { step: 2, byte: 5 },
            { step: MLP_L, byte: 2 },
          ],
        },
        GameOutcome.BWrong,
      );
    });

    it("a lie at the last step (the output only) by B loses", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await playAndCheck(
        f,
        { model: "mlp", digit: 3, lieB: { step: MLP_L, byte: 0 } },
        GameOutcome.BWrong,
      );
      expect((await f.redundant.getGame(game.gameId)).step).to.equal(BigInt(MLP_L - 1));
    });

    it("a lie at the last step (the output only) by A loses", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(f, { model: "mlp", digit: 4, lieA: { step: MLP_L, byte: 9 } }, GameOutcome.AWrong);
    });

    it("a lie at the first step loses at step 0", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await playAndCheck(
        f,
        {
          model: "mlp",
          digit: 5,
          lieA: [
            { step: 1, byte: 0 },
            { step: MLP_L, byte: 0 },
          ],
        },
        GameOutcome.AWrong,
      );
      expect((await f.redundant.getGame(game.gameId)).step).to.equal(0n);
    });

    it("both lie, differently: both are slashed, the requester is refunded, the request is rejected", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(
        f,
        {
          model: "mlp",
          digit: 6,
          lieA: [
            { step: 2, byte: 1, delta: 40 },
            { step: MLP_L, byte: 1, delta: 40 },
          ],
          lieB: [
            { step: 2, byte: 1, delta: 90 },
            { step: MLP_L, byte: 1, delta: 90 },
          ],
        },
        GameOutcome.BothWrong,
      );
    });

    it("a lie that does not reach the output is not disputed: the outputs agree and the request is final", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, s0 } = await requestRedundant(f, "mlp", 8, 2);
      const lying = lieView("mlp", s0, { step: 1, byte: 0, propagate: false });
      await commitView(f, f.operators[0], requestId, lying);
      await commitView(f, f.operators[1], requestId, lieView("mlp", s0));
      expect((await f.redundant.getRequest(requestId)).status).to.equal(RequestStatus.Finalized);
      expect(await f.redundant.gameCount()).to.equal(0n);
    });

    it("the CNN: a lie in the first step loses", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(
        f,
        {
          model: "cnn",
          digit: 7,
          lieB: [
            { step: 1, byte: 100 },
            { step: CNN_L, byte: 3 },
          ],
        },
        GameOutcome.BWrong,
      );
    });
  });
});
