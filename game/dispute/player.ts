/**
 * Plays either side of a Verity dispute (contracts/disputes/DisputeManager.sol) from a party's own view of the
 * trace: it reads the game's state, computes the move its side owes, builds the proofs and sends the transaction.
 * The tests drive it, and the node and challenger daemons will.
 *
 * The strategy is the honest one for whatever view it is given: the node defends its states; the challenger
 * disputes the first state root where the node's revealed roots leave its own, descends into the first child that
 * differs, and finally names the first byte of the node's chunk that differs from its own. A dishonest party is
 * simply a player holding a tampered view.
 */
import type { ContractTransactionResponse } from "ethers";

import type { DisputeManager } from "../../typechain-types";
import { VerityError } from "../../executor/errors";
import { DisputePhase as Phase } from "../../protocol/constants";
import { bytesOf } from "../../executor/trace/trace";
import { MerkleTree, chunkCount, treeDepth } from "../../executor/trace/merkle";
import { cheapestStepProof } from "../step-proof";
import { chunkHex, emptySubtree, subtreeRoot, type PartyView } from "../view";

export type Role = "node" | "challenger";

/** The on-chain phases, as numbered by IDisputeManager.Phase (protocol/constants.ts). */
export { Phase };

/** The party cannot find a move its view supports (e.g. a challenger that agrees with every revealed root). */
export class NoMoveError extends VerityError {}

export interface Move {
  readonly name: string;
  send(): Promise<ContractTransactionResponse>;
}

export class DisputePlayer {
  constructor(
    readonly role: Role,
    readonly view: PartyView,
    /** The dispute manager, connected to this party's signer. */
    readonly manager: DisputeManager,
  ) {}

  /** The move this party owes in `disputeId` now, or null when the other side (or nobody) is on the move. */
  async nextMove(disputeId: bigint): Promise<Move | null> {
    const d = await this.manager.getDispute(disputeId);
    const phase = Number(d.phase) as Phase;
    const nodeToMove =
      phase === Phase.AwaitingRoots || phase === Phase.AwaitingChildren || phase === Phase.AwaitingChunk;
    if (phase === Phase.Resolved || phase === Phase.None || nodeToMove !== (this.role === "node")) return null;
    const m = this.manager;
    const { states, trace, program, weights } = this.view;
    const L = program.layers.length;

    switch (phase) {
      case Phase.AwaitingRoots: {
        const input = bytesOf(states[0]);
        const output = bytesOf(states[L]);
        return {
          name: "revealStateRoots",
          send: () => m.revealStateRoots(disputeId, [...trace.stateRoots], input, output),
        };
      }
      case Phase.AwaitingStep: {
        const nodeRoots = await this.revealedRoots(d.requestId);
        const diverges = nodeRoots.findIndex((r, i) => r.toLowerCase() !== trace.stateRoots[i].toLowerCase());
        if (diverges < 1) {
          throw new NoMoveError(
            diverges === 0
              ? "the node's first state root differs from the input's, which the contract should have refused"
              : "the challenger agrees with every state root the node revealed: there is nothing to dispute",
          );
        }
        const step = diverges - 1;
        const tree = MerkleTree.fromLeaves(nodeRoots);
        const layer = weights.layerProof(step);
        return {
          name: `selectStep(${step})`,
          send: () =>
            m.selectStep(
              disputeId,
              step,
              nodeRoots[step],
              tree.proof(step),
              nodeRoots[step + 1],
              tree.proof(step + 1),
              {
                descriptor: layer.descriptor,
                rowsRoot: layer.rowsRoot,
                layerProof: layer.layerProof,
              },
            ),
        };
      }
      case Phase.AwaitingChildren: {
        const state = states[Number(d.step) + 1];
        const height = Number(d.level) - 1;
        const index = 2 * Number(d.cursorIndex);
        const left = subtreeRoot(state, height, index);
        const right = subtreeRoot(state, height, index + 1);
        return { name: `revealChildren(level ${d.level})`, send: () => m.revealChildren(disputeId, left, right) };
      }
      case Phase.AwaitingChoice: {
        const state = states[Number(d.step) + 1];
        const height = Number(d.level) - 1;
        const index = 2 * Number(d.cursorIndex);
        const leftDiffers = subtreeRoot(state, height, index).toLowerCase() !== d.left.toLowerCase();
        const rightDiffers = subtreeRoot(state, height, index + 1).toLowerCase() !== d.right.toLowerCase();
        if (!leftDiffers && !rightDiffers) throw new NoMoveError("both children the node revealed agree with ours");
        const right = !leftDiffers;
        return { name: `chooseChild(${right ? "right" : "left"})`, send: () => m.chooseChild(disputeId, right) };
      }
      case Phase.AwaitingChunk: {
        const chunk = chunkHex(states[Number(d.step) + 1], Number(d.cursorIndex));
        return { name: `openChunk(${d.cursorIndex})`, send: () => m.openChunk(disputeId, chunk) };
      }
      case Phase.AwaitingProof: {
        const step = Number(d.step);
        const ours = Buffer.from(chunkHex(states[step + 1], Number(d.cursorIndex)).slice(2), "hex");
        const theirs = Buffer.from(d.chunk.slice(2), "hex");
        const byteIndex = ours.findIndex((b, i) => b !== theirs[i]);
        if (byteIndex < 0) throw new NoMoveError("the node's chunk agrees with ours byte for byte");
        const element = Number(d.cursorIndex) * 32 + byteIndex;
        if (element >= states[step + 1].length) {
          const padding = emptyWitness(weights.layerProof(step));
          return {
            name: `proveStep(byte ${element}, padding)`,
            send: () => m.proveStep(disputeId, byteIndex, padding.layer, padding.slice, padding.rows),
          };
        }
        // Two witnesses for the same element: one contiguous run of S_k, or only the chunks it reads with a
        // multiproof. Send whichever is smaller in calldata (sparse wins for wide convolutions).
        const cheapest = cheapestStepProof(program, states, step, element, weights);
        if (cheapest.sparse) {
          const sparse = cheapest.proof;
          return {
            name: `proveStepSparse(byte ${element})`,
            send: () => m.proveStepSparse(disputeId, byteIndex, sparse.layer, sparse.slice, sparse.rows),
          };
        }
        const run = cheapest.proof;
        return {
          name: `proveStep(byte ${element})`,
          send: () => m.proveStep(disputeId, byteIndex, run.layer, run.slice, run.rows),
        };
      }
      default:
        return null;
    }
  }

  /** Plays the owed move, if any, and waits for it to be mined. Returns the move's name, or null. */
  async play(disputeId: bigint): Promise<string | null> {
    const move = await this.nextMove(disputeId);
    if (!move) return null;
    const tx = await move.send();
    await tx.wait();
    return move.name;
  }

  /** The state roots the node revealed for `requestId` (in this dispute or an earlier one). */
  async revealedRoots(requestId: bigint): Promise<string[]> {
    const logs = await this.manager.queryFilter(this.manager.filters.StateRootsRevealed(undefined, requestId));
    if (logs.length === 0) throw new NoMoveError(`no state roots have been revealed for request ${requestId}`);
    return [...logs[logs.length - 1].args.stateRoots];
  }
}

/** A proof for a byte past the state's end, which the contract decides without the verifier. */
export function emptyWitness(layer: { descriptor: string; rowsRoot: string; layerProof: string[] }) {
  return {
    layer: { descriptor: layer.descriptor, rowsRoot: layer.rowsRoot, layerProof: layer.layerProof },
    slice: { firstChunk: 0, chunks: "0x", proof: [] as string[] },
    rows: [] as { row: number; data: string; proof: string[] }[],
  };
}

/** Depth of the chunk tree of a state of `length` bytes (the number of bisection rounds inside a step). */
export function chunkTreeDepth(length: number): number {
  return treeDepth(chunkCount(length));
}

export { emptySubtree };
