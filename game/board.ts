/**
 * The game board: what a player (game/player.ts) and the driver (game/driver.ts) need of a bisection game
 * contract, whichever it is. Both DisputeManager (a node against a challenger) and RedundantManager (node A
 * against node B, refereed) play the one game of contracts/game/BisectionGame.sol: the state roots are revealed and
 * the first step where the two sides part is located, the chunk tree of that step's post-state is bisected down to
 * one chunk, the chunk is opened and the first differing byte is proven with the one-step verifier. Its moves from
 * the children on are the same calls on both (`SharedCalls`, IBisectionGame); a board reads a game in those terms
 * and sends the moves that differ: game/boards/ adapts each contract.
 */
import type { ContractTransactionResponse } from "ethers";

import type { LayerWitness, SparseSlice, StateSlice, WeightRow } from "./step-proof";
import type { PartyView } from "./view";

/** A move a party owes: its name (for logs and tests) and how to send it. */
export interface Move {
  readonly name: string;
  send(): Promise<ContractTransactionResponse>;
}

/**
 * What the game asks for now. `roots`: the first side reveals its state roots; `locate`: the second answers them
 * and so fixes the disputed step; `children`: the side on the move reveals the two children of its cursor in the
 * chunk tree; `choice`: the challenger descends into a child it disputes (DisputeManager only: RedundantManager
 * descends by itself); `chunk`: the side on the move opens its leaf; `proof`: the first differing byte is proven.
 * A game over a generation (docs/GENERATION.md §8–§9) starts with two more: `passRoots`, the first side reveals its
 * passes' trace roots; `pass`, the second side fixes the pass (the challenger selects the pass it disputes; node B
 * reveals its own pass roots and the RedundantManager locates the first pass where the two part). When the two
 * sides' states of that pass agree, `logits`: the logits' choice is proven (game/generation.ts and
 * game/refereed-generation.ts play these).
 */
export type Stage = "roots" | "locate" | "children" | "choice" | "chunk" | "proof" | "passRoots" | "pass" | "logits";

/** A game as a board reads it. `S` names the two sides ("node" | "challenger", or "A" | "B"). */
export interface BoardState<S extends string> {
  /** The contract's phase, as its enum numbers it (game/enums.ts). */
  readonly phase: number;
  /** The contract's outcome, as its enum numbers it (None until resolved). */
  readonly outcome: number;
  readonly resolved: boolean;
  /** What the phase asks for, or null when nothing can be played (no such game, or resolved). */
  readonly stage: Stage | null;
  /** Who owes the move: one side, "either" (RedundantManager's proof and logits), or null. */
  readonly mover: S | "either" | null;
  readonly requestId: bigint;
  /** The two sides' accounts. */
  readonly accounts: Readonly<Record<S, string>>;
  /** The disputed step k (S_k -> S_{k+1}), once located. */
  readonly step: number;
  /** The cursor's height in the chunk tree of S_{k+1} (0: a leaf), and its index at that height. */
  readonly level: number;
  readonly cursorIndex: number;
  /** |S_{k+1}| in bytes: a byte at or past it is padding. */
  readonly outLength: number;
  /** In `choice`: the children of the cursor the other side revealed, left and right. */
  readonly revealed?: readonly [string, string];
  /** In `proof`: the chunks opened on-chain at the cursor, by side. */
  readonly chunks: Readonly<Partial<Record<S, string>>>;
}

/** The fields both contracts' game structs have, under the same names. */
type SharedStruct = Record<"requestId" | "phase" | "outcome" | "step" | "level" | "cursorIndex" | "outLength", bigint>;

/**
 * A board state from a contract's game struct `g`: `stages` says what each phase asks for and of whom, `resolved`
 * is the phase of a resolved game, and `own` holds the fields the struct names its own way.
 */
export function boardState<S extends string>(
  g: SharedStruct,
  stages: Readonly<Partial<Record<number, readonly [Stage, S | "either"]>>>,
  resolved: number,
  own: Pick<BoardState<S>, "accounts" | "revealed" | "chunks">,
): BoardState<S> {
  const phase = Number(g.phase);
  const [stage, mover] = stages[phase] ?? [null, null];
  return {
    phase,
    outcome: Number(g.outcome),
    resolved: phase === resolved,
    stage,
    mover,
    requestId: g.requestId,
    step: Number(g.step),
    level: Number(g.level),
    cursorIndex: Number(g.cursorIndex),
    outLength: Number(g.outLength),
    ...own,
  };
}

/** The witness of `proveStep` (a contiguous slice of S_k) or `proveStepSparse` (any chunks, multiproven). */
export type StepWitness =
  | { sparse: false; proof: { layer: LayerWitness; slice: StateSlice; rows: WeightRow[] } }
  | { sparse: true; proof: { layer: LayerWitness; slice: SparseSlice; rows: WeightRow[] } };

/** The calls both contracts take with the same arguments (IBisectionGame): a board's `manager` has them as they are. */
export interface SharedCalls {
  /** The side on the move reveals the two children of its cursor. */
  revealChildren(gameId: bigint, left: string, right: string): Promise<ContractTransactionResponse>;
  /** The side on the move opens its leaf of the chunk tree (32 bytes). */
  openChunk(gameId: bigint, chunk: string): Promise<ContractTransactionResponse>;
  /** The last second a move of the side on the move is accepted (0 once resolved). */
  deadline(gameId: bigint): Promise<bigint>;
  /** Ends a game whose side on the move has run out of time. */
  resolveTimeout(gameId: bigint): Promise<ContractTransactionResponse>;
  /** The last move, with a contiguous slice of S_k: byte `byteIndex` of the opened chunk. */
  proveStep(
    gameId: bigint,
    byteIndex: number,
    layer: LayerWitness,
    slice: StateSlice,
    rows: WeightRow[],
  ): Promise<ContractTransactionResponse>;
  /** The last move, with any chunks of S_k and their multiproof. */
  proveStepSparse(
    gameId: bigint,
    byteIndex: number,
    layer: LayerWitness,
    slice: SparseSlice,
    rows: WeightRow[],
  ): Promise<ContractTransactionResponse>;
}

/** The proof of byte `byteIndex` of the opened chunk, the same call on either contract. */
export function sendProof(
  manager: SharedCalls,
  gameId: bigint,
  byteIndex: number,
  { sparse, proof: w }: StepWitness,
): Promise<ContractTransactionResponse> {
  return sparse
    ? manager.proveStepSparse(gameId, byteIndex, w.layer, w.slice, w.rows)
    : manager.proveStep(gameId, byteIndex, w.layer, w.slice, w.rows);
}

/**
 * One game contract, connected to the signer of the party that plays through it: what its ABI does differently.
 * `S` names its two sides.
 */
export interface GameBoard<S extends string> {
  readonly manager: SharedCalls;
  /** The two sides, in the order they first move: the one that reveals its roots, the one that locates the step. */
  readonly sides: readonly [S, S];
  read(gameId: bigint): Promise<BoardState<S>>;
  /** The state roots the first side revealed for this game. */
  firstRoots(gameId: bigint, state: BoardState<S>): Promise<string[]>;
  /** The first side's `roots` move, from its view. */
  revealRoots(gameId: bigint, view: PartyView): Move;
  /**
   * The second side's `locate` move: `step` is where its roots (`ours`) and the first side's (`theirs`) part, and
   * `layer` the witness of layer `step`.
   */
  locate(gameId: bigint, step: number, ours: readonly string[], theirs: readonly string[], layer: LayerWitness): Move;
  /** Present on a board with a `choice` stage: descend into the right child (else the left). */
  chooseChild?(gameId: bigint, right: boolean): Promise<ContractTransactionResponse>;
}
