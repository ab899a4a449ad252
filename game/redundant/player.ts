/**
 * Plays one node's side of a refereed game between two nodes of a redundant request
 * (contracts/redundant/RedundantManager.sol), from that node's own view of the trace (game/view.ts):
 * it reads the game, computes the move its side owes, builds the proofs and sends the transaction.
 *
 * Both sides play the same way: reveal the state roots (B also echoes A's and names the layer of the step where
 * they part, which the contract locates), reveal the children of its own chunk-tree node at every level, open its
 * own chunk, and finally (either side) hand the verifier the witness for the first byte where the two chunks
 * differ. The strategy is honest for whatever view it holds; a lying node is a player with a tampered view.
 */
import type { ContractTransactionResponse } from "ethers";

import type { RedundantManager } from "../../typechain-types";
import { VerityError } from "../../executor/errors";
import { RedundantOutcome as GameOutcome, RedundantPhase as GamePhase } from "../../protocol/constants";
import { cheapestStepProof } from "../step-proof";
import { emptyWitness, type Move } from "../dispute/player";
import { chunkHex, subtreeRoot, type PartyView } from "../view";
import { MerkleTree } from "../../executor/trace/merkle";
import { bytesOf } from "../../executor/trace/trace";

export type Side = "A" | "B";

/** IRedundantManager.Phase and IRedundantManager.Outcome (protocol/constants.ts). */
export { GameOutcome, GamePhase };

/** The player cannot find a move its view supports. */
export class RefereeMoveError extends VerityError {}

export type { Move };

/** The side that owes the move in `phase`, "either" for the proof, null when the game is over. */
export function sideToMove(phase: GamePhase): Side | "either" | null {
  switch (phase) {
    case GamePhase.AwaitingRootsA:
    case GamePhase.AwaitingChildrenA:
    case GamePhase.AwaitingChunkA:
      return "A";
    case GamePhase.AwaitingRootsB:
    case GamePhase.AwaitingChildrenB:
    case GamePhase.AwaitingChunkB:
      return "B";
    case GamePhase.AwaitingProof:
      return "either";
    default:
      return null;
  }
}

/** The root of the tree over `leaves` and the proofs of leaf 0 and leaf L: what `commit` needs. */
export function commitArgs(view: PartyView): {
  output: Uint8Array;
  traceRoot: string;
  inputProof: string[];
  outputProof: string[];
} {
  const L = view.program.layers.length;
  const tree = MerkleTree.fromLeaves(view.trace.stateRoots);
  return {
    output: bytesOf(view.states[L]),
    traceRoot: view.trace.traceRoot,
    inputProof: tree.proof(0),
    outputProof: tree.proof(L),
  };
}

export class RefereePlayer {
  constructor(
    readonly side: Side,
    readonly view: PartyView,
    /** The redundant manager, connected to this node's signer. */
    readonly manager: RedundantManager,
  ) {}

  /** The move this node owes in `gameId` now, or null when it is not its turn (or the game is over). */
  async nextMove(gameId: bigint): Promise<Move | null> {
    const g = await this.manager.getGame(gameId);
    const phase = Number(g.phase) as GamePhase;
    const owner = sideToMove(phase);
    if (owner === null || (owner !== "either" && owner !== this.side)) return null;
    const m = this.manager;
    const { states, trace, weights, program } = this.view;
    const send = (name: string, fn: () => Promise<ContractTransactionResponse>): Move => ({ name, send: fn });

    switch (phase) {
      case GamePhase.AwaitingRootsA:
        return send("revealRoots", () => m.revealRoots(gameId, [...trace.stateRoots]));
      case GamePhase.AwaitingRootsB: {
        const rootsOfA = await this.rootsOf(gameId, g.nodeA);
        const ours = trace.stateRoots;
        const i = rootsOfA.findIndex((r, j) => r.toLowerCase() !== ours[j].toLowerCase());
        if (i < 1) throw new RefereeMoveError(`A's roots ${i === 0 ? "differ at the input" : "equal ours"}`);
        const layer = weights.layerProof(i - 1);
        return send(`revealRootsAndLocate(step ${i - 1})`, () =>
          m.revealRootsAndLocate(gameId, [...ours], rootsOfA, {
            descriptor: layer.descriptor,
            rowsRoot: layer.rowsRoot,
            layerProof: layer.layerProof,
          }),
        );
      }
      case GamePhase.AwaitingChildrenA:
      case GamePhase.AwaitingChildrenB: {
        const state = states[Number(g.step) + 1];
        const height = Number(g.level) - 1;
        const index = 2 * Number(g.cursorIndex);
        const left = subtreeRoot(state, height, index);
        const right = subtreeRoot(state, height, index + 1);
        return send(`revealChildren(level ${g.level})`, () => m.revealChildren(gameId, left, right));
      }
      case GamePhase.AwaitingChunkA:
      case GamePhase.AwaitingChunkB: {
        const chunk = chunkHex(states[Number(g.step) + 1], Number(g.cursorIndex));
        return send(`openChunk(${g.cursorIndex})`, () => m.openChunk(gameId, chunk));
      }
      case GamePhase.AwaitingProof: {
        const step = Number(g.step);
        const a = Buffer.from(g.chunkA.slice(2), "hex");
        const b = Buffer.from(g.chunkB.slice(2), "hex");
        const byteIndex = a.findIndex((x, i) => x !== b[i]);
        if (byteIndex < 0) throw new RefereeMoveError("the two opened chunks are equal");
        const element = Number(g.cursorIndex) * 32 + byteIndex;
        if (element >= Number(g.outLength)) {
          const w = emptyWitness(weights.layerProof(step));
          return send(`proveStep(byte ${element}, padding)`, () => m.proveStep(gameId, w.layer, w.slice, w.rows));
        }
        const cheapest = cheapestStepProof(program, states, step, element, weights);
        if (cheapest.sparse) {
          const w = cheapest.proof;
          return send(`proveStepSparse(byte ${element})`, () => m.proveStepSparse(gameId, w.layer, w.slice, w.rows));
        }
        const w = cheapest.proof;
        return send(`proveStep(byte ${element})`, () => m.proveStep(gameId, w.layer, w.slice, w.rows));
      }
      default:
        return null;
    }
  }

  /** The state roots `node` revealed in game `gameId` (from `RootsRevealed`). */
  async rootsOf(gameId: bigint, node: string): Promise<string[]> {
    const logs = await this.manager.queryFilter(this.manager.filters.RootsRevealed(gameId, node));
    if (logs.length === 0) throw new RefereeMoveError(`${node} has revealed no state roots in game ${gameId}`);
    return [...logs[logs.length - 1].args.stateRoots];
  }
}
