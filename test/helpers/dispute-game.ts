import { expect } from "chai";
import { ethers } from "hardhat";
import { keccak256 } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { DisputeBoard, type Role } from "../../game/boards/dispute";
import { driveGame } from "../../game/driver";
import { Outcome, Phase } from "../../game/enums";
import { Player } from "../../game/player";
import { honestView, type PartyView } from "../../game/view";
import { tamperedView } from "../../tools/doubles/tamper";
import { chunkLeaf, hashPair, MerkleTree, merkleRoot, toHex } from "../../executor/trace/merkle";
import { bytesOf, commitTrace } from "../../executor/trace/trace";
import { demoModel, type DemoModelName } from "../../models/demo-models";
import { digitInput, FEE, outputHashOf, requestFrom, type DisputeFixture } from "./dispute-fixtures";
import { MODE, versionSpec } from "./fixtures";

/** Sets up whole games between two players on DisputeManager (game/player.ts, game/boards/dispute.ts) for the
 * end-to-end and property tests, and plays them with the shared driver `driveGame` (game/driver.ts). */
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
  players: Record<Role, Player<Role>>;
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
      node: new Player("node", nodeView, new DisputeBoard(f.disputes.connect(node))),
      challenger: new Player("challenger", challengerView, new DisputeBoard(f.disputes.connect(f.challenger))),
    },
    gas: receipt!.gasUsed,
  };
}

/**
 * Plays an open game with the shared driver (game/driver.ts): each side makes the move its view
 * dictates, until the game is resolved or `until` is the phase on the board. A side named in `stops` stops moving
 * after that many moves and is timed out: time runs to its deadline (checking the clock still runs there), then
 * a stranger calls `resolveTimeout`.
 */
export async function runGame(
  f: DisputeFixture,
  game: OpenGame,
  opts: { stops?: GameSetup["stops"]; until?: Phase } = {},
): Promise<GameResult> {
  const result = await driveGame(game.disputeId, game.players, {
    stops: opts.stops,
    until: opts.until,
    onStop: async () => {
      // The next block is mined at the deadline itself: the clock has not run out yet.
      await time.increaseTo((await f.disputes.deadline(game.disputeId)) - 1n);
      await expect(f.disputes.resolveTimeout(game.disputeId)).to.be.revertedWithCustomError(
        f.disputes,
        "BisectionGameClockRunning",
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

/**
 * A publisher-supplied one-layer version whose only layer has `descriptor` (and an empty rows root), served by
 * operator 0, with a dispute opened on a committed 4-byte result and its roots revealed: the game waits for the
 * challenger's `selectStep`, whose arguments are returned (the descriptor is proven into the weights root).
 */
export async function oneLayerDisputeAtStep(f: DisputeFixture, name: string, descriptor: string) {
  const node = f.operators[0];
  const rowsRoot = ethers.ZeroHash;
  const weightsRoot = merkleRoot([hashPair(keccak256(descriptor), rowsRoot)]);
  await f.models.connect(f.publisher).publishModel(
    name,
    versionSpec({
      weightsRoot,
      layerCount: 1,
      inputShape: [1, 4],
      outputShape: [1, 4],
      modes: MODE.OPTIMISTIC,
      fee: FEE,
    }),
  );
  const versionId = await f.models.versionCount();
  await f.nodes.connect(node).serveVersions([versionId]);
  const states = [new Int8Array([1, 2, 3, 4]), new Int8Array([5, 6, 7, 8])];
  const trace = commitTrace(states);
  await f.inference
    .connect(f.requester)
    .request(versionId, bytesOf(states[0]), FEE, node.address, MODE.OPTIMISTIC, ethers.ZeroAddress, 0);
  const requestId = await f.inference.requestCount();
  await f.inference.connect(node).commit(requestId, bytesOf(states[1]), trace.traceRoot);
  const disputeId = (await f.disputes.disputeCount()) + 1n;
  await f.disputes.connect(f.challenger).openDispute(requestId, keccak256(bytesOf(states[1])), trace.traceRoot);
  await f.disputes
    .connect(node)
    .revealStateRoots(disputeId, [...trace.stateRoots], bytesOf(states[0]), bytesOf(states[1]));
  const selectStep = () =>
    f.disputes
      .connect(f.challenger)
      .selectStep(
        disputeId,
        0,
        trace.stateRoots[0],
        trace.stateRootProof(0),
        trace.stateRoots[1],
        trace.stateRootProof(1),
        {
          descriptor,
          rowsRoot,
          layerProof: [],
        },
      );
  return { disputeId, selectStep };
}

/**
 * An MLP commitment whose trace hides `value` at byte `byteIndex` of the padding past S_{L-1}'s 10 logits (one chunk,
 * 22 bytes of padding), played up to the challenger's last move: the roots are revealed, the honest challenger has
 * selected the step into S_{L-1}, and the node has opened its forged chunk.
 */
export async function forgedPaddingAtProof(f: DisputeFixture, digit: number, byteIndex: number, value: number) {
  const node = f.operators[0];
  const m = demoModel("mlp");
  const { s0 } = digitInput("mlp", digit);
  const view = honestView(m.program, s0, m.weights);
  const L = view.states.length - 1;
  const step = L - 1;
  const real = bytesOf(view.states[step]);
  expect(real.length).to.equal(10);
  const forgedChunk = new Uint8Array(32);
  forgedChunk.set(real);
  forgedChunk[byteIndex] = value;
  const roots = [...view.trace.stateRoots];
  roots[step] = chunkLeaf(forgedChunk);
  const traceRoot = MerkleTree.fromLeaves(roots).root;
  const requestId = await requestFrom(f, "mlp", s0, node.address);
  await f.inference.connect(node).commit(requestId, bytesOf(view.states[L]), traceRoot);
  await f.disputes.connect(f.challenger).openDispute(requestId, outputHashOf(view.states[L]), traceRoot);
  const id = await f.disputes.disputeCount();
  await f.disputes.connect(node).revealStateRoots(id, roots, bytesOf(s0), bytesOf(view.states[L]));
  const challenger = new Player("challenger", view, new DisputeBoard(f.disputes.connect(f.challenger)));
  expect(await challenger.play(id)).to.equal(`selectStep(${step - 1})`);
  await f.disputes.connect(node).openChunk(id, toHex(forgedChunk));
  return { id, view, step, challenger };
}
