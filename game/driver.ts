/**
 * Drives a game with players (game/player.ts), on either game contract: whoever is on the move plays the move its
 * view dictates, until the game is resolved, a given phase is on the board, or a number of moves is played (a
 * daemon's tick, `MOVES_PER_TICK`). Where either side may move (RedundantManager's proof), the second side proves
 * unless it does not play (then the first does). A side that does not play (absent from `players`, or stopped by
 * `stops`) is handed to `onStop`, which ends the game (a timeout) or ends the drive. Used by the demo, the tests
 * and the bench.
 */
import type { TransactionReceipt } from "ethers";

import { VerityError } from "../executor/errors";
import type { BoardState, Move } from "./board";
import type { Player } from "./player";

/** Moves (ours, or timeouts) a daemon sends per game per tick at most; the other side moves in between. */
export const MOVES_PER_TICK = 4;

/** More than any game can take: DisputeManager's MAX_MOVES is 46, RedundantManager's 43. */
const MAX_TURNS = 100;

/** What the driver needs of a player: a `Player`, or a `GenerationPlayer` (game/generation.ts). */
export type GamePlayer<S extends string> = Pick<Player<S>, "side" | "board" | "nextMove">;

/** One transaction of the game, in order. */
export interface PlayedMove<S extends string> {
  side: S;
  /** The move's name (`revealStateRoots`, `selectStep(3)`, ...), or `resolveTimeout` when a side stopped. */
  name: string;
  gasUsed: bigint;
}

export interface DriveOptions<S extends string> {
  /** A side that stops playing after this many of its own moves (to exercise timeouts). */
  stops?: { side: S; after: number };
  /** Stop driving (without resolving) once this phase (the contract's enum, game/enums.ts) is on the board. */
  until?: number;
  /**
   * Stop driving after this many moves (ours and timeouts), the game still open: a daemon's tick
   * (`MOVES_PER_TICK`). Without it the game is played to its end, and one that outlasts any game is an error.
   */
  moves?: number;
  /**
   * Called when the side on the move does not play (it is not in `players`, or has stopped as `stops` says; in the
   * proof either may play, and then this is called only if neither does): it must end the game, typically by
   * calling `resolveTimeout` once the side's deadline has passed, and return the gas it used, or return null to
   * stop driving while the side's clock still runs. Required when a side does not play.
   */
  onStop?: (side: S) => Promise<bigint | null>;
  /** Called after every mined move (for progress output). */
  onMove?: (move: PlayedMove<S>) => void;
  /** Sends a move and waits for its receipt (default: `move.send()` then `wait()`); a daemon retries here. */
  send?: (move: Move, side: S) => Promise<TransactionReceipt | null>;
}

export interface DriveResult<S extends string> {
  /** The contract's outcome and phase where driving stopped (game/enums.ts). */
  outcome: number;
  phase: number;
  resolved: boolean;
  moves: PlayedMove<S>[];
  /** Total gas of the moves played here (the transaction that opened the game is not included). */
  gas: bigint;
}

/** The game did not end within the bound on its number of moves, or a side on the move could not move. */
export class GameDidNotEndError extends VerityError {}

/**
 * Plays game `gameId` with `players` (every player on the same contract; the first one's board is read), from
 * where it stands. Returns the outcome and every move with its gas.
 */
export async function driveGame<S extends string>(
  gameId: bigint,
  players: Partial<Record<S, GamePlayer<S>>>,
  opts: DriveOptions<S> = {},
): Promise<DriveResult<S>> {
  const board = (Object.values(players) as GamePlayer<S>[])[0]?.board;
  if (!board) throw new TypeError("driveGame needs a player");
  const moves: PlayedMove<S>[] = [];
  const made = new Map<S, number>();
  let gas = 0n;
  const plays = (side: S) =>
    players[side] !== undefined && !(opts.stops?.side === side && (made.get(side) ?? 0) >= opts.stops.after);
  const record = (move: PlayedMove<S>) => {
    moves.push(move);
    gas += move.gasUsed;
    opts.onMove?.(move);
  };
  const result = (g: BoardState<S>): DriveResult<S> => ({
    outcome: g.outcome,
    phase: g.phase,
    resolved: g.resolved,
    moves,
    gas,
  });
  const send = opts.send ?? (async (move: Move) => (await move.send()).wait());

  for (let turn = 0; turn < (opts.moves ?? MAX_TURNS); turn++) {
    const g = await board.read(gameId);
    if (g.resolved || g.phase === opts.until) return result(g);
    if (g.mover === null) throw new GameDidNotEndError(`game ${gameId} is not being played (phase ${g.phase})`);
    const owners = g.mover === "either" ? [board.sides[1], board.sides[0]] : [g.mover];
    const side = owners.find(plays);
    if (side === undefined) {
      const who = owners.find((s) => s === opts.stops?.side) ?? owners[0];
      if (!opts.onStop) throw new GameDidNotEndError(`${who} does not play and no onStop handler ends the game`);
      const used = await opts.onStop(who);
      if (used === null) return result(g);
      record({ side: who, name: "resolveTimeout", gasUsed: used });
      continue;
    }
    const move = await players[side]!.nextMove(gameId);
    if (!move) throw new GameDidNotEndError(`${side} is on the move but has no move`);
    const receipt = await send(move, side);
    if (receipt === null || receipt.status !== 1) throw new GameDidNotEndError(`${side}'s ${move.name} failed`);
    made.set(side, (made.get(side) ?? 0) + 1);
    record({ side, name: move.name, gasUsed: receipt.gasUsed });
  }
  if (opts.moves !== undefined) return result(await board.read(gameId));
  throw new GameDidNotEndError(`the game did not end: ${moves.map((m) => `${m.side}: ${m.name}`).join(", ")}`);
}
