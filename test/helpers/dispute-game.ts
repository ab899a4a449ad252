import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { DisputePlayer, Phase } from "../../executor/dispute/player";
import { honestView, tamperedView, type PartyView } from "../../executor/dispute/view";
import { bytesOf } from "../../executor/trace/trace";
import { demoModel, type DemoModelName } from "../../scripts/lib/demo-models";
import { digitInput, outputHashOf, requestFrom, type DisputeFixture } from "./dispute-fixtures";

/** Drives whole games between two DisputePlayers (executor/dispute), for the end-to-end and property tests. */
export enum Outcome {
  None,
  NodeWrong,
  ChallengerWrong,
}

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
 * Plays an open game: each side makes the move its view dictates, until the game is resolved or `until` is the
 * phase on the board. A side named in `stops` stops moving after that many moves and is timed out.
 */
export async function runGame(
  f: DisputeFixture,
  game: OpenGame,
  opts: { stops?: GameSetup["stops"]; until?: Phase } = {},
): Promise<GameResult> {
  const moves: string[] = [];
  const made = { node: 0, challenger: 0 };
  const mined = async (p: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => {
    game.gas += (await (await p).wait())!.gasUsed;
  };
  for (let turn = 0; turn < 100; turn++) {
    const d = await f.disputes.getDispute(game.disputeId);
    const phase = Number(d.phase) as Phase;
    if (phase === Phase.Resolved || phase === opts.until) {
      return { outcome: Number(d.outcome), moves, requestId: game.requestId, disputeId: game.disputeId, gas: game.gas };
    }
    const side = (await f.disputes.onTheMove(game.disputeId)) === game.node.address ? "node" : "challenger";
    if (opts.stops?.side === side && made[side] >= opts.stops.after) {
      // The next block is mined at the deadline itself: the clock has not run out yet.
      await time.increaseTo((await f.disputes.deadline(game.disputeId)) - 1n);
      await expect(f.disputes.resolveTimeout(game.disputeId)).to.be.revertedWithCustomError(
        f.disputes,
        "DisputeManagerClockRunning",
      );
      await mined(f.disputes.connect(f.stranger).resolveTimeout(game.disputeId) as never);
      moves.push(`${side} timed out`);
      continue;
    }
    const move = await game.players[side].nextMove(game.disputeId);
    if (!move) throw new Error(`${side} is on the move but has no move`);
    await mined(move.send() as never);
    moves.push(`${side}: ${move.name}`);
    made[side]++;
  }
  throw new Error(`the game did not end: ${moves.join(", ")}`);
}

/** Opens a game and plays it to the end. */
export async function playGame(f: DisputeFixture, setup: GameSetup): Promise<GameResult> {
  return runGame(f, await openGame(f, setup), { stops: setup.stops });
}
