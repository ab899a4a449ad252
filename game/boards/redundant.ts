/**
 * RedundantManager (contracts/redundant/RedundantManager.sol) as a game board: a refereed game between two nodes of
 * a redundant request. A reveals its state roots (`revealRoots`); B reveals its own and echoes A's, and the contract
 * locates the step where they part (`revealRootsAndLocate`); at every level both reveal their children and the
 * contract descends by itself (no choice); both open their chunk, and either proves the first differing byte (the
 * proof, like the children and the chunks, is a call of the shared game: game/board.ts `SharedCalls`). A game over
 * a generation fixes its pass first (game/refereed-generation.ts plays that level, then this board with the records).
 * Play it with `new Player(side, view, new RedundantBoard(manager))`; `commitArgs(view)` builds a node's commit.
 */
import type { RedundantManager } from "../../typechain-types";
import { MerkleTree } from "../../executor/trace/merkle";
import { bytesOf } from "../../executor/trace/trace";
import { boardState, type BoardState, type GameBoard, type Move, type Stage } from "../board";
import { GamePhase } from "../enums";
import { NoMoveError } from "../player";
import type { LayerWitness } from "../step-proof";
import type { PartyView } from "../view";

export type Side = "A" | "B";

/** What each phase asks for, and of whom ("either" for the proof). */
const STAGES: Partial<Record<GamePhase, [Stage, Side | "either"]>> = {
  [GamePhase.AwaitingRootsA]: ["roots", "A"],
  [GamePhase.AwaitingRootsB]: ["locate", "B"],
  [GamePhase.AwaitingChildrenA]: ["children", "A"],
  [GamePhase.AwaitingChildrenB]: ["children", "B"],
  [GamePhase.AwaitingChunkA]: ["chunk", "A"],
  [GamePhase.AwaitingChunkB]: ["chunk", "B"],
  [GamePhase.AwaitingProof]: ["proof", "either"],
  [GamePhase.AwaitingPassRootsA]: ["passRoots", "A"],
  [GamePhase.AwaitingPassRootsB]: ["pass", "B"],
  [GamePhase.AwaitingPassStatesA]: ["roots", "A"],
  [GamePhase.AwaitingChoice]: ["logits", "either"],
};

/** The request record and node A's response record, which A's state roots of a pass are revealed with. */
export interface RefereedRecords {
  readonly input: Uint8Array;
  readonly output: Uint8Array;
}

/** The output, the trace root and the proofs of leaf 0 and leaf L of the trace: what `commit` needs. */
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

export class RedundantBoard implements GameBoard<Side> {
  readonly sides = ["A", "B"] as const;

  /**
   * `manager`: the redundant manager, connected to the signer of the node that plays through this board. `records`:
   * in a game over a generation, played inside one pass, the records A's state roots of the pass are revealed with.
   */
  constructor(
    readonly manager: RedundantManager,
    readonly records?: RefereedRecords,
  ) {}

  async read(gameId: bigint): Promise<BoardState<Side>> {
    const g = await this.manager.getGame(gameId);
    const proof = Number(g.phase) === GamePhase.AwaitingProof;
    return boardState(g, STAGES, GamePhase.Resolved, {
      accounts: { A: g.nodeA, B: g.nodeB },
      chunks: proof ? { A: g.chunkA, B: g.chunkB } : {},
    });
  }

  /** The state roots A revealed in this game (from `RootsRevealed`). */
  async firstRoots(gameId: bigint, g: BoardState<Side>): Promise<string[]> {
    const logs = await this.manager.queryFilter(this.manager.filters.RootsRevealed(gameId, g.accounts.A));
    if (logs.length === 0) throw new NoMoveError(`${g.accounts.A} has revealed no state roots in game ${gameId}`);
    return [...logs[logs.length - 1].args.stateRoots];
  }

  /** `revealRoots`; in a game over a generation, `revealPassStates` with the records. */
  revealRoots(gameId: bigint, view: PartyView): Move {
    const roots = [...view.trace.stateRoots];
    const records = this.records;
    if (records) {
      return {
        name: "revealPassStates",
        send: () => this.manager.revealPassStates(gameId, roots, records.input, records.output),
      };
    }
    return { name: "revealRoots", send: () => this.manager.revealRoots(gameId, roots) };
  }

  /** `revealRootsAndLocate`: B's roots and the echo of A's; the contract finds `step` itself. */
  locate(
    gameId: bigint,
    step: number,
    ours: readonly string[],
    rootsOfA: readonly string[],
    layer: LayerWitness,
  ): Move {
    return {
      name: `revealRootsAndLocate(step ${step})`,
      send: () => this.manager.revealRootsAndLocate(gameId, [...ours], [...rootsOfA], layer),
    };
  }
}
