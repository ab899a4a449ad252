import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { driveDispute, Outcome } from "../../executor/dispute/driver";
import { DisputePlayer, Phase } from "../../executor/dispute/player";
import { honestView, tamperedView, type PartyView } from "../../executor/dispute/view";
import { bytesOf } from "../../executor/trace/trace";
import { demoModel, type DemoModelName } from "../../scripts/lib/demo-models";
import { digitInput, outputHashOf, requestFrom, type DisputeFixture } from "./dispute-fixtures";

/** Sets up whole games between two DisputePlayers (executor/dispute) for the end-to-end and property tests, and
 * plays them with the shared driver `driveDispute` (executor/dispute/driver.ts). */
export { Outcome };

export interface GameSetup {
  model: DemoModelName;
  digit: number;
  /** The node's view: honest, or a lie at (step, byte). */
  nodeLie?: { step: number; byte: number; propagate?: boolean };
  /** The challenger's view: honest, or a lie at (step, byte). */
  challengerLie?: { step: number; byte: number; propagate?: boolean };
  /** A side that stops playing after this many of its own moves. */
  stops?: { side: "node" | "challenger"; after: number };
}

export interface GameResult {
  outcome: Outcome;
  moves: string[];
  requestId: bigint;
  disputeId: bigint;
  gas: bigint;
}

export function viewFor(model: DemoModelName, s0: Int8Array, lie?: GameSetup["nodeLie"]): PartyView {
  const m = demoModel(model);
  const honest = honestView(m.program, s0, m.weights);
  return lie ? tamperedView(honest, lie.step, lie.byte, { propagate: lie.propagate }) : honest;
}

export interface OpenGame {
  requestId: bigint;
  disputeId: bigint;
  nodeView: PartyView;
  challengerView: PartyView;
  node: HardhatEthersSigner;
  players: Record<"node" | "challenger", DisputePlayer>;
  /** Gas of every transaction sent through the game so far, opening included. */
  gas: bigint;
}

/** Requests an inference, commits the node's view of it and opens a dispute with the challenger's view. */
export async function openGame(f: DisputeFixture, setup: GameSetup): Promise<OpenGame> {
  const node = f.operators[0];
  const { s0 } = digitInput(setup.model, setup.digit);
  const nodeView = viewFor(setup.model, s0, setup.nodeLie);
  const challengerView = viewFor(setup.model, s0, setup.challengerLie);
  const L = nodeView.program.layers.length;
  const requestId = await requestFrom(f, setup.model, s0, node.address);
  const output = nodeView.states[L];
  await f.inference.connect(node).commit(requestId, bytesOf(output), nodeView.trace.traceRoot);
  const disputeId = (await f.disputes.disputeCount()) + 1n;
  const receipt = await (
    await f.disputes.connect(f.challenger).openDispute(requestId, outputHashOf(output), nodeView.trace.traceRoot)
  ).wait();
  return {
    requestId,
    disputeId,
    nodeView,
    challengerView,
    node,
    players: {
      node: new DisputePlayer("node", nodeView, f.disputes.connect(node)),
      challenger: new DisputePlayer("challenger", challengerView, f.disputes.connect(f.challenger)),
    },
    gas: receipt!.gasUsed,
  };
}

/**
 * Plays an open game with the shared driver (executor/dispute/driver.ts): each side makes the move its view
 * dictates, until the game is resolved or `until` is the phase on the board. A side named in `stops` stops moving
 * after that many moves and is timed out: time runs to its deadline (checking the clock still runs there), then
 * a stranger calls `resolveTimeout`.
 */
export async function runGame(
  f: DisputeFixture,
  game: OpenGame,
  opts: { stops?: GameSetup["stops"]; until?: Phase } = {},
): Promise<GameResult> {
  const result = await driveDispute(f.disputes, game.disputeId, game.node.address, game.players, {
    stops: opts.stops,
    until: opts.until,
    onStop: async () => {
      // The next block is mined at the deadline itself: the clock has not run out yet.
      await time.increaseTo((await f.disputes.deadline(game.disputeId)) - 1n);
      await expect(f.disputes.resolveTimeout(game.disputeId)).to.be.revertedWithCustomError(
        f.disputes,
        "DisputeManagerClockRunning",
      );
      return (await (await f.disputes.connect(f.stranger).resolveTimeout(game.disputeId)).wait())!.gasUsed;
    },
  });
  game.gas += result.gas;
  const moves = result.moves.map((m) => (m.name === "resolveTimeout" ? `${m.side} timed out` : `${m.side}: ${m.name}`));
  return { outcome: result.outcome, moves, requestId: game.requestId, disputeId: game.disputeId, gas: game.gas };
}

/** Opens a game and plays it to the end. */
export async function playGame(f: DisputeFixture, setup: GameSetup): Promise<GameResult> {
  return runGame(f, await openGame(f, setup), { stops: setup.stops });
}
