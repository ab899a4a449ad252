import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { driveGame, MOVES_PER_TICK, type PlayedMove } from "../../game/driver";
import { GameOutcome, GamePhase, Outcome, Phase } from "../../game/enums";
import { demoModel } from "../../models/demo-models";
import { deployDisputeFixture } from "../helpers/dispute-fixtures";
import { openGame } from "../helpers/dispute-game";
import { deployRedundantFixture, openRefereeGame } from "../redundant/redundant-fixtures";

/**
 * The driver (game/driver.ts) as a daemon uses it: one side's player a tick at a time (`moves: MOVES_PER_TICK`),
 * the other side absent (`onStop` waits, or times it out), with the daemon's own sender. The whole-game use (both
 * players, to the end) is exercised by every game test.
 */
describe("driveGame, one side a tick at a time", function () {
  this.timeout(120_000);

  it("plays only its own side's moves, at most MOVES_PER_TICK a tick, and reaches the outcome of a whole game", async function () {
    const f = await loadFixture(deployDisputeFixture);
    const L = demoModel("mlp").program.layers.length;
    const game = await openGame(f, { model: "mlp", digit: 3, nodeLie: { step: L - 1, byte: 5 } });
    const sent: string[] = [];
    const played: PlayedMove<"node" | "challenger">[] = [];
    let ticks = 0;
    let resolved = false;
    for (; ticks < 40 && !resolved; ticks++) {
      const side = ticks % 2 === 0 ? "challenger" : "node";
      const tick = await driveGame(
        game.disputeId,
        { [side]: game.players[side] },
        {
          moves: MOVES_PER_TICK,
          onStop: async () => null,
          send: async (move, by) => {
            sent.push(`${by}: ${move.name}`);
            return (await move.send()).wait();
          },
        },
      );
      expect(tick.moves.length).to.be.at.most(MOVES_PER_TICK);
      expect(tick.moves.every((m) => m.side === side)).to.equal(true);
      if (ticks === 0) expect(tick.phase).to.equal(Phase.AwaitingRoots); // the node owes the first move
      played.push(...tick.moves);
      resolved = tick.resolved;
      if (resolved) expect(tick.outcome).to.equal(Outcome.NodeWrong);
    }
    expect(resolved).to.equal(true);
    expect(sent).to.deep.equal(played.map((m) => `${m.side}: ${m.name}`));
    expect(played[0].name).to.equal("revealStateRoots");
    expect(played.at(-1)!.name).to.match(/^proveStep/);
  });

  it("stops after `moves` moves with the game open; in the refereed proof, the one side present proves", async function () {
    const f = await loadFixture(deployRedundantFixture);
    const L = demoModel("mlp").program.layers.length;
    const game = await openRefereeGame(f, { model: "mlp", digit: 4, lieB: { step: L, byte: 0 } });
    const two = await driveGame(game.gameId, game.players, { moves: 2 });
    expect(two.moves.map((m) => `${m.side}: ${m.name}`)).to.deep.equal([
      "A: revealRoots",
      `B: revealRootsAndLocate(step ${L - 1})`,
    ]);
    expect(two.resolved).to.equal(false);
    expect(two.phase).to.equal(GamePhase.AwaitingChunkA); // S_L is one chunk: nothing to bisect
    const before = await driveGame(game.gameId, game.players, { until: GamePhase.AwaitingProof });
    expect(before.resolved).to.equal(false);
    expect(before.phase).to.equal(GamePhase.AwaitingProof);
    const tick = await driveGame(game.gameId, { A: game.players.A }, { moves: MOVES_PER_TICK });
    expect(tick.moves.map((m) => m.side)).to.deep.equal(["A"]);
    expect(tick.outcome).to.equal(GameOutcome.BWrong);
  });

  it("hands an absent side on the move to onStop: it waits while the clock runs, then times the side out", async function () {
    const f = await loadFixture(deployRedundantFixture);
    const L = demoModel("mlp").program.layers.length;
    const game = await openRefereeGame(f, { model: "mlp", digit: 5, lieB: { step: L, byte: 0 } });
    const board = game.players.A.board;
    const onStop = async () => {
      if (BigInt(await time.latest()) < (await board.manager.deadline(game.gameId))) return null;
      return (await (await board.manager.resolveTimeout(game.gameId)).wait())!.gasUsed;
    };
    const first = await driveGame(game.gameId, { A: game.players.A }, { moves: MOVES_PER_TICK, onStop });
    expect(first.moves.map((m) => m.name)).to.deep.equal(["revealRoots"]);
    expect(first.phase).to.equal(GamePhase.AwaitingRootsB);
    await time.increaseTo(await board.manager.deadline(game.gameId));
    const second = await driveGame(game.gameId, { A: game.players.A }, { moves: MOVES_PER_TICK, onStop });
    expect(second.moves).to.have.length(1);
    expect(second.moves[0]).to.include({ side: "B", name: "resolveTimeout" });
    expect(second.outcome).to.equal(GameOutcome.BWrong);
  });
});
