/**
 * Drives a whole refereed game between the two nodes of a redundant request: whoever owes the move plays the move
 * its view dictates, until the game is resolved. In the proof phase, where either node may prove, B proves unless
 * it has stopped (then A does). Used by the tests and the bench; a node daemon would play one side with
 * `RefereePlayer` directly.
 */
import type { RedundantManager } from "../../typechain-types";
import { VerityError } from "../../executor/errors";
import { GameOutcome, GamePhase, RefereePlayer, sideToMove, type Side } from "./player";

export interface RefereeMove {
  side: Side;
  /** The move's name, or `resolveTimeout` when a side stopped. */
  name: string;
  gasUsed: bigint;
}

export interface RefereeDriveOptions {
  /** A side that stops playing after this many of its own moves (to exercise timeouts). */
  stops?: { side: Side; after: number };
  /**
   * Called when the side named in `stops` owes the move and has stopped (in the proof phase: when both have): it
   * must end the game, typically by advancing time past the deadline and calling `resolveTimeout`, and return the
   * gas it used.
   */
  onStop?: (side: Side) => Promise<bigint>;
  onMove?: (move: RefereeMove) => void;
}

export interface RefereeDriveResult {
  outcome: GameOutcome;
  moves: RefereeMove[];
  /** Total gas of the moves played here (the game is opened by a commit, not counted). */
  gas: bigint;
}

export class RefereeGameDidNotEndError extends VerityError {}

/** More than any game can take: `RedundantManager.MAX_MOVES` is 43. */
const MAX_TURNS = 100;

export async function driveRefereeGame(
  manager: RedundantManager,
  gameId: bigint,
  players: Record<Side, RefereePlayer>,
  opts: RefereeDriveOptions = {},
): Promise<RefereeDriveResult> {
  const moves: RefereeMove[] = [];
  const made: Record<Side, number> = { A: 0, B: 0 };
  let gas = 0n;
  const stopped = (side: Side) => opts.stops?.side === side && made[side] >= opts.stops.after;
  const record = (move: RefereeMove) => {
    moves.push(move);
    gas += move.gasUsed;
    opts.onMove?.(move);
  };
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    const g = await manager.getGame(gameId);
    const phase = Number(g.phase) as GamePhase;
    if (phase === GamePhase.Resolved) return { outcome: Number(g.outcome) as GameOutcome, moves, gas };
    const owner = sideToMove(phase);
    let side: Side | null;
    if (owner === "either") side = !stopped("B") ? "B" : !stopped("A") ? "A" : null;
    else side = owner !== null && !stopped(owner) ? owner : null;
    if (side === null) {
      const who = owner === "either" ? opts.stops!.side : (owner as Side);
      if (!opts.onStop) throw new RefereeGameDidNotEndError(`${who} stopped playing and no onStop handler ends it`);
      record({ side: who, name: "resolveTimeout", gasUsed: await opts.onStop(who) });
      continue;
    }
    const move = await players[side].nextMove(gameId);
    if (!move) throw new RefereeGameDidNotEndError(`${side} owes the move but has none`);
    const receipt = await (await move.send()).wait();
    if (receipt === null || receipt.status !== 1) throw new RefereeGameDidNotEndError(`${side}'s ${move.name} failed`);
    made[side]++;
    record({ side, name: move.name, gasUsed: receipt.gasUsed });
  }
  throw new RefereeGameDidNotEndError(`the game did not end: ${moves.map((m) => `${m.side}: ${m.name}`).join(", ")}`);
}
