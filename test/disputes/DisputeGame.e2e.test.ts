import { expect } from "chai";
import fc from "fast-check";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { honestView } from "../../game/view";
import { bytesOf } from "../../executor/trace/trace";
import { demoModel, type DemoModelName } from "../../models/demo-models";
import {
  BOND,
  NODE_SHARE,
  deployDisputeFixture,
  digitInput,
  FEE,
  MOVE_CLOCK,
  REWARD_PPM,
} from "../helpers/dispute-fixtures";
import { UNDER_COVERAGE } from "../helpers/coverage";
import { Outcome, playGame, type GameSetup } from "../helpers/dispute-game";
import { NodeStatus } from "../../protocol/constants";

/** Random games in `npm test` (GAME_RUNS overrides; fewer under coverage, whose instrumented EVM is much slower). */
const GAME_RUNS = Number(process.env.GAME_RUNS ?? (UNDER_COVERAGE ? 20 : 100));

describe("Dispute game (end to end, demo models)", function () {
  this.timeout(300_000);

  describe("a lying node against an honest challenger", function () {
    for (const model of ["mlp", "cnn"] as const) {
      it(`G2, G5: ${model}: slashes the node, rewards the challenger, refunds the requester and jails the node`, async function () {
        const f = await loadFixture(deployDisputeFixture);
        const node = f.operators[0];
        const L = demoModel(model).program.layers.length;
        const stakeBefore = await f.staking.totalStake(node.address);
        const tokenBefore = await f.token.balanceOf(f.challenger.address);

        const result = await playGame(f, { model, digit: 3, nodeLie: { step: 1 + (L >> 1), byte: 5 } });
        expect(result.outcome).to.equal(Outcome.NodeWrong, result.moves.join("\n"));

        const collateral = FEE * (await f.inference.collateralMultiplier());
        const reward = (collateral * REWARD_PPM) / 1_000_000n;
        expect(await f.staking.totalStake(node.address)).to.equal(stakeBefore - collateral);
        expect(await f.staking.lockedStake(node.address)).to.equal(0n);
        expect(await f.disputes.credits(f.challenger.address)).to.equal(BOND + reward);
        expect(await f.inference.credits(f.requester.address)).to.equal(FEE);
        expect(await f.nodes.statusOf(node.address)).to.equal(NodeStatus.Jailed);
        await expect(f.disputes.connect(f.challenger).claimCredits()).to.changeTokenBalances(
          f.token,
          [f.challenger, f.disputes],
          [BOND + reward, -(BOND + reward)],
        );
        expect(await f.token.balanceOf(f.challenger.address)).to.equal(tokenBefore + reward);
        // No double settlement: the rejected request can be neither finalized nor disputed again.
        await time.increase(7200);
        const nodeView = honestView(demoModel(model).program, digitInput(model, 3).s0);
        await expect(f.inference.finalize(result.requestId, bytesOf(nodeView.states[L]), nodeView.trace.traceRoot)).to
          .be.reverted;
        expect(await f.token.balanceOf(await f.disputes.getAddress())).to.equal(0n);
      });
    }
  });

  describe("an honest node against a lying challenger", function () {
    for (const model of ["mlp", "cnn"] as const) {
      it(`G2, G5: ${model}: the challenger loses its bond to the node, and the result still finalizes`, async function () {
        const f = await loadFixture(deployDisputeFixture);
        const node = f.operators[0];
        const L = demoModel(model).program.layers.length;
        const stakeBefore = await f.staking.totalStake(node.address);
        const treasuryBefore = await f.token.balanceOf(f.treasury.address);
        const result = await playGame(f, { model, digit: 4, challengerLie: { step: L, byte: 2 } });
        expect(result.outcome).to.equal(Outcome.ChallengerWrong, result.moves.join("\n"));
        expect(await f.staking.totalStake(node.address)).to.equal(stakeBefore);
        // The forfeited bond: rewardPpm of it to the node, the rest to the treasury (the slash sink).
        expect(await f.disputes.credits(node.address)).to.equal(NODE_SHARE);
        expect(await f.token.balanceOf(f.treasury.address)).to.equal(treasuryBefore + BOND - NODE_SHARE);
        expect(await f.disputes.credits(f.challenger.address)).to.equal(0n);
        expect(await f.nodes.statusOf(node.address)).to.equal(NodeStatus.Active);

        await time.increase(2 * 3600);
        const honest = honestView(demoModel(model).program, digitInput(model, 4).s0);
        await f.inference.finalize(result.requestId, bytesOf(honest.states[L]), honest.trace.traceRoot);
        expect(await f.inference.credits(node.address)).to.equal(FEE);
        expect(await f.staking.lockedStake(node.address)).to.equal(0n);
      });
    }
  });

  describe("G1: where the cheat sits", function () {
    const cases: [string, (L: number) => NonNullable<GameSetup["nodeLie"]>][] = [
      ["the first step", () => ({ step: 1, byte: 0 })],
      ["the last step", (L) => ({ step: L, byte: 1 })],
      ["the output only (the trace before it is honest)", (L) => ({ step: L, byte: 0, propagate: false })],
      ["one state only, every later step recomputed from the truth", () => ({ step: 1, byte: 7, propagate: false })],
    ];
    for (const [where, lie] of cases) {
      it(`catches a cheat in ${where}`, async function () {
        const f = await loadFixture(deployDisputeFixture);
        const L = demoModel("mlp").program.layers.length;
        const result = await playGame(f, { model: "mlp", digit: 11, nodeLie: lie(L) });
        expect(result.outcome).to.equal(Outcome.NodeWrong, result.moves.join("\n"));
      });
    }
  });

  it("proves a wide convolution's element with a sparse slice when that is the smaller witness", async function () {
    const f = await loadFixture(deployDisputeFixture);
    // CNN layer 2 is a Conv over 8 channels of 14x14: the element reads 8 short windows spread over the state.
    const result = await playGame(f, { model: "cnn", digit: 5, nodeLie: { step: 3, byte: 3 } });
    expect(result.outcome).to.equal(Outcome.NodeWrong);
    expect(result.moves[result.moves.length - 1]).to.equal("challenger: proveStepSparse(byte 3)");
  });

  describe("G1: a party that stops responding", function () {
    it("the node loses when it never reveals its state roots", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const result = await playGame(f, { model: "mlp", digit: 1, stops: { side: "node", after: 0 } });
      expect(result.outcome).to.equal(Outcome.NodeWrong);
      expect(result.moves).to.deep.equal(["node timed out"]);
    });

    it("the node loses when it stops mid-bisection, even when its result was right", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const L = demoModel("cnn").program.layers.length;
      const result = await playGame(f, {
        model: "cnn",
        digit: 2,
        challengerLie: { step: 1, byte: 300 },
        stops: { side: "node", after: 2 },
      });
      expect(result.outcome).to.equal(Outcome.NodeWrong, result.moves.join("\n"));
      expect(L).to.be.greaterThan(1);
    });

    it("the challenger loses when it stops after opening", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const result = await playGame(f, {
        model: "mlp",
        digit: 5,
        nodeLie: { step: 2, byte: 3 },
        stops: { side: "challenger", after: 0 },
      });
      expect(result.outcome).to.equal(Outcome.ChallengerWrong, result.moves.join("\n"));
    });
  });

  describe("G1: property: the honest party always wins", function () {
    it(`wins ${GAME_RUNS} random games: either side lies, at any step and byte, or stalls`, async function () {
      const runs = GAME_RUNS;
      const f0 = await loadFixture(deployDisputeFixture);
      const lengths = {
        mlp: demoModel("mlp").program.layers.map(
          (_, k) => honestView(demoModel("mlp").program, digitInput("mlp", 0).s0).states[k + 1].length,
        ),
        cnn: demoModel("cnn").program.layers.map(
          (_, k) => honestView(demoModel("cnn").program, digitInput("cnn", 0).s0).states[k + 1].length,
        ),
      };
      expect(f0.disputes).to.not.equal(undefined);
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            model: fc.constantFrom<DemoModelName>("mlp", "mlp", "mlp", "cnn"),
            liar: fc.constantFrom<"node" | "challenger">("node", "challenger"),
            stepSeed: fc.nat(),
            byteSeed: fc.nat(),
            digit: fc.nat({ max: 499 }),
            propagate: fc.boolean(),
            stallSeed: fc.nat({ max: 9 }),
          }),
          async (g) => {
            const f = await loadFixture(deployDisputeFixture);
            const L = lengths[g.model].length;
            const step = 1 + (g.stepSeed % L);
            const lie = { step, byte: g.byteSeed % lengths[g.model][step - 1], propagate: g.propagate };
            // One game in ten, the liar also stops playing after a random number of moves.
            const stops = g.stallSeed === 0 ? { side: g.liar, after: g.byteSeed % 4 } : undefined;
            const result = await playGame(f, {
              model: g.model,
              digit: g.digit,
              nodeLie: g.liar === "node" ? lie : undefined,
              challengerLie: g.liar === "challenger" ? lie : undefined,
              stops,
            });
            const expected = g.liar === "node" ? Outcome.NodeWrong : Outcome.ChallengerWrong;
            expect(result.outcome).to.equal(expected, `${JSON.stringify(g)}\n${result.moves.join("\n")}`);
          },
        ),
        { numRuns: runs, seed: Number(process.env.FC_SEED ?? 4242), endOnFailure: true },
      );
    });
  });

  it("keeps the game bounded by the clocks: a full game never outlasts maxGameDuration", async function () {
    const f = await loadFixture(deployDisputeFixture);
    expect(await f.disputes.maxGameDuration()).to.equal(2n * MOVE_CLOCK + 46n * 600n);
    expect(await f.disputes.MAX_MOVES()).to.equal(46n);
  });
});
