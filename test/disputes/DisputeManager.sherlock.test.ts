import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { DisputeBoard } from "../../game/boards/dispute";
import { Phase } from "../../game/enums";
import { InferenceRequestStatus } from "../../protocol/constants";
import { Player } from "../../game/player";
import { bytesOf } from "../../executor/trace/trace";
import {
  BOND,
  CLOCK_EXTENSION,
  deployDisputeFixture,
  digitInput,
  MOVE_CLOCK,
  outputHashOf,
  requestFrom,
  type DisputeFixture,
} from "../helpers/dispute-fixtures";
import { openGame, Outcome, runGame, viewFor, type OpenGame } from "../helpers/dispute-game";

/**
 * The vulnerability classes Sherlock's 2024 contest found in Optimism's FaultDisputeGame, checked against
 * DisputeManager's challenger-against-node game. Each title says whether the class applies; none does after issue 10.
 */

const LIE = { model: "mlp" as const, digit: 11, nodeLie: { step: 2, byte: 5 } };

/** Waits until one second is left on the mover's clock, then lets the player make its move. */
async function moveAtLastSecond(f: DisputeFixture, game: OpenGame, side: "node" | "challenger") {
  const deadline = await f.disputes.deadline(game.disputeId);
  await time.setNextBlockTimestamp(deadline);
  const move = await game.players[side].nextMove(game.disputeId);
  await move!.send();
}

/** Sum of every open bond and unclaimed credit the DisputeManager owes. */
async function owed(f: DisputeFixture, disputeIds: bigint[]): Promise<bigint> {
  let total = 0n;
  for (const id of disputeIds) {
    const d = await f.disputes.getDispute(id);
    if (d.phase !== BigInt(Phase.Resolved)) total += d.bond;
  }
  const accounts = [f.challenger, f.stranger, ...f.operators];
  for (const a of new Set(accounts.map((s) => s.address))) total += await f.disputes.credits(a);
  return total;
}

describe("G13: DisputeManager (Sherlock FaultDisputeGame classes)", function () {
  this.timeout(180_000);

  it("chess-clock gaming: not exposed, a game played at the last second of every clock ends within maxGameDuration", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const game = await openGame(f, LIE);
    const openedAt = BigInt(await time.latest());
    for (;;) {
      const d = await f.disputes.getDispute(game.disputeId);
      if (d.phase === BigInt(Phase.Resolved)) break;
      const mover = await f.disputes.onTheMove(game.disputeId);
      await moveAtLastSecond(f, game, mover === game.node.address ? "node" : "challenger");
    }
    const elapsed = BigInt(await time.latest()) - openedAt;
    expect(elapsed).to.be.lessThanOrEqual(await f.disputes.maxGameDuration());
    expect(elapsed).to.be.greaterThan(MOVE_CLOCK); // both clocks really were drained
    expect((await f.disputes.getDispute(game.disputeId)).outcome).to.equal(Outcome.NodeWrong);
  });

  it("last-second wins in subgames: not exposed, a move at the last second leaves the opponent at least clockExtension", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const game = await openGame(f, LIE);
    await game.players.node.play(game.disputeId); // roots
    // The challenger spends nearly all its clock on selectStep, then the node answers at its own last second.
    await time.increase(MOVE_CLOCK - 10n);
    await game.players.challenger.play(game.disputeId);
    await moveAtLastSecond(f, game, "node");
    const d = await f.disputes.getDispute(game.disputeId);
    expect(d.challengerClock).to.be.greaterThanOrEqual(CLOCK_EXTENSION);
    expect(await f.disputes.deadline(game.disputeId)).to.equal(BigInt(await time.latest()) + d.challengerClock);
    expect((await runGame(f, game)).outcome).to.equal(Outcome.NodeWrong);
  });

  it("a move after resolution bricking the game: not exposed, every move and resolveTimeout revert once resolved", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const game = await openGame(f, LIE);
    const result = await runGame(f, game);
    expect(result.outcome).to.equal(Outcome.NodeWrong);
    const id = game.disputeId;
    const zero = ethers.ZeroHash;
    const witness = { descriptor: "0x", rowsRoot: zero, layerProof: [] };
    const byChallenger = f.disputes.connect(f.challenger);
    const byNode = f.disputes.connect(game.node);
    // Each move is sent only when its expectation awaits it: a move sent earlier could revert before any handler is
    // attached, an unhandled rejection that ends the test early.
    const moves = [
      () => byNode.revealStateRoots(id, [], "0x", "0x"),
      () => byChallenger.selectStep(id, 0, zero, [], zero, [], witness),
      () => byNode.revealChildren(id, zero, zero),
      () => byChallenger.chooseChild(id, true),
      () => byNode.openChunk(id, zero),
      () => byChallenger.proveStep(id, 0, witness, { firstChunk: 0, chunks: "0x", proof: [] }, []),
      () => byChallenger.proveStepSparse(id, 0, witness, { chunkIndices: [], chunks: "0x", proof: [] }, []),
      // The generation moves (docs/GENERATION.md): the pass level of the game.
      () => byNode.revealPassRoots(id, [], "0x", "0x"),
      () => byChallenger.selectPass(id, 0, zero, []),
      () => byChallenger.proveChoice(id, "0x", []),
    ];
    for (const move of moves) {
      await expect(move()).to.be.revertedWithCustomError(f.disputes, "BisectionGameWrongPhase");
    }
    await expect(f.disputes.resolveTimeout(id))
      .to.be.revertedWithCustomError(f.disputes, "BisectionGameAlreadyResolved")
      .withArgs(id);
    // The request stays Rejected and its bond was paid out once.
    expect(await f.inference.statusOf(game.requestId)).to.equal(InferenceRequestStatus.Rejected);
    expect(await f.token.balanceOf(await f.disputes.getAddress())).to.equal(await owed(f, [id]));
  });

  it("resolution too heavy in gas: not exposed, resolution has no loop and stays under 250k gas on every path", async function () {
    const f = await loadFixture(deployDisputeFixture);
    // The challenger times out (bond split), then the node times out (slash + jail).
    const timedOutChallenger = await openGame(f, { model: "mlp", digit: 13, challengerLie: { step: 1, byte: 1 } });
    await timedOutChallenger.players.node.play(timedOutChallenger.disputeId);
    await time.increaseTo((await f.disputes.deadline(timedOutChallenger.disputeId)) + 1n);
    const r1 = await (await f.disputes.connect(f.stranger).resolveTimeout(timedOutChallenger.disputeId)).wait();
    const timedOutNode = await openGame(f, { ...LIE, digit: 12 });
    await time.increaseTo((await f.disputes.deadline(timedOutNode.disputeId)) + 1n);
    const r2 = await (await f.disputes.connect(f.stranger).resolveTimeout(timedOutNode.disputeId)).wait();
    for (const gas of [r1!.gasUsed, r2!.gasUsed]) expect(gas).to.be.lessThan(250_000n);
  });

  it("bonds locked when games resolve out of order: not exposed, every bond is paid out exactly once whatever the order", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const games: OpenGame[] = [];
    for (const digit of [14, 15, 16]) {
      games.push(await openGame(f, { model: "mlp", digit, nodeLie: digit === 15 ? undefined : { step: 1, byte: 0 } }));
    }
    const ids = games.map((g) => g.disputeId);
    const dm = await f.disputes.getAddress();
    expect(await f.token.balanceOf(dm)).to.equal(await owed(f, ids));
    // Resolve the last first, then the first, then the middle one.
    for (const g of [games[2], games[0], games[1]]) {
      await runGame(f, g, { stops: g === games[1] ? { side: "challenger", after: 0 } : undefined });
      expect(await f.token.balanceOf(dm)).to.equal(await owed(f, ids));
    }
    for (const g of games) expect((await f.disputes.getDispute(g.disputeId)).phase).to.equal(Phase.Resolved);
    // Everyone claims: nothing is left behind.
    for (const who of [f.challenger, ...f.operators.slice(0, 2)]) {
      if ((await f.disputes.credits(who.address)) > 0n) await f.disputes.connect(who).claimCredits();
    }
    expect(await f.token.balanceOf(dm)).to.equal(0n);
  });

  it("front-running of moves and bonds: not exposed, a stranger cannot move, a front-run opening takes no bond, and the allowance caps a bond that grew", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const game = await openGame(f, LIE);
    const roots = [...game.nodeView.trace.stateRoots];
    const L = roots.length - 1;
    const input = bytesOf(game.nodeView.states[0]);
    const output = bytesOf(game.nodeView.states[L]);
    await expect(f.disputes.connect(f.stranger).revealStateRoots(game.disputeId, roots, input, output))
      .to.be.revertedWithCustomError(f.disputes, "BisectionGameNotYourTurn")
      .withArgs(game.disputeId, f.stranger.address);

    // A second challenger whose opening lands after the first takes no bond: the commitment is already Disputed.
    await f.token.connect(f.stranger).approve(await f.disputes.getAddress(), ethers.MaxUint256);
    const before = await f.token.balanceOf(f.stranger.address);
    await expect(
      f.disputes
        .connect(f.stranger)
        .openDispute(game.requestId, outputHashOf(game.nodeView.states[L]), game.nodeView.trace.traceRoot),
    ).to.be.revertedWithCustomError(f.inference, "InferenceManagerInvalidStatus");
    expect(await f.token.balanceOf(f.stranger.address)).to.equal(before);

    // A bond that doubled between the quote and the opening is refused by an exact allowance, not over-charged.
    const { s0 } = digitInput("mlp", 17);
    const honest = viewFor("mlp", s0);
    const requestId = await requestFrom(f, "mlp", s0, game.node.address);
    const outputHash = outputHashOf(honest.states[L]);
    await f.inference.connect(game.node).commit(requestId, bytesOf(honest.states[L]), honest.trace.traceRoot);
    const quoted = await f.disputes.bondFor(requestId);
    expect(quoted).to.equal(BOND);
    // Meanwhile a sham challenger opens a game on the same commitment and loses it (the node reveals, the sham
    // challenger lets its clock run out).
    const shamId = (await f.disputes.disputeCount()) + 1n;
    await f.disputes.connect(f.challenger).openDispute(requestId, outputHash, honest.trace.traceRoot);
    await new Player("node", honest, new DisputeBoard(f.disputes.connect(game.node))).play(shamId);
    await time.increaseTo((await f.disputes.deadline(shamId)) + 1n);
    await f.disputes.connect(f.stranger).resolveTimeout(shamId);
    expect(await f.disputes.bondFor(requestId)).to.equal(2n * quoted);
    await f.token.connect(f.stranger).approve(await f.disputes.getAddress(), quoted);
    await expect(
      f.disputes.connect(f.stranger).openDispute(requestId, outputHash, honest.trace.traceRoot),
    ).to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance");
  });
});
