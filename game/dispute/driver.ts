/**
 * Drives a whole dispute between two DisputePlayers: whoever is on the move plays the move its view dictates,
 * until the game is resolved (or a given phase is on the board). Used by the demo (scripts/demo.ts), the
 * end-to-end and property tests (test/helpers/dispute-game.ts) and the dispute benchmark; the node and challenger
 * daemons play one side each with `DisputePlayer` directly.
 */
import type { DisputeManager } from "../../typechain-types";
import { VerityError } from "../../executor/errors";
import { DisputeOutcome as Outcome } from "../../protocol/constants";
import { DisputePlayer, Phase, type Role } from "./player";

/** IDisputeManager.Outcome (protocol/constants.ts). */
export { Outcome };

/** One transaction of the game, in order. */
export interface PlayedMove {
  side: Role;
  /** The move's name (`revealStateRoots`, `selectStep(3)`, ...), or `resolveTimeout` when a side stopped. */
  name: string;
  gasUsed: bigint;
}

export interface DriveOptions {
  /** A side that stops playing after this many of its own moves (to exercise timeouts). */
  stops?: { side: Role; after: number };
  /** Stop driving (without resolving) once this phase is on the board. */
  until?: Phase;
  /**
   * Called when the side named in `stops` is on the move and has stopped: it must end the game (typically by
   * advancing time past the deadline and calling `resolveTimeout`) and return the gas it used. Required with `stops`.
   */
  onStop?: (side: Role) => Promise<bigint>;
  /** Called after every mined move (for progress output). */
  onMove?: (move: PlayedMove) => void;
}

export interface DriveResult {
  outcome: Outcome;
  phase: Phase;
  moves: PlayedMove[];
  /** Total gas of the moves played here (the opening transaction is not included). */
  gas: bigint;
}

/** The game did not end within the bound on its number of moves. */
export class GameDidNotEndError extends VerityError {}

/** More than any game can take: `DisputeManager.MAX_MOVES` is 44. */
const MAX_TURNS = 100;

/**
 * Plays dispute `disputeId` to its end with `players.node` (connected as the committing node, `nodeAddress`) and
 * `players.challenger`. Returns the outcome and every move with its gas.
 */
export async function driveDispute(
  manager: DisputeManager,
  disputeId: bigint,
  nodeAddress: string,
  players: Record<Role, DisputePlayer>,
  opts: DriveOptions = {},
): Promise<DriveResult> {
  const moves: PlayedMove[] = [];
  const made: Record<Role, number> = { node: 0, challenger: 0 };
  let gas = 0n;
  const record = (move: PlayedMove) => {
    moves.push(move);
    gas += move.gasUsed;
    opts.onMove?.(move);
  };
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    const d = await manager.getDispute(disputeId);
    const phase = Number(d.phase) as Phase;
    if (phase === Phase.Resolved || phase === opts.until) {
      return { outcome: Number(d.outcome) as Outcome, phase, moves, gas };
    }
    const side: Role =
      (await manager.onTheMove(disputeId)).toLowerCase() === nodeAddress.toLowerCase() ? "node" : "challenger";
    if (opts.stops?.side === side && made[side] >= opts.stops.after) {
      if (!opts.onStop) throw new GameDidNotEndError(`${side} stopped playing and no onStop handler ends the game`);
      record({ side, name: "resolveTimeout", gasUsed: await opts.onStop(side) });
      continue;
    }
    const move = await players[side].nextMove(disputeId);
    if (!move) throw new GameDidNotEndError(`${side} is on the move but has no move`);
    const receipt = await (await move.send()).wait();
    if (receipt === null || receipt.status !== 1) throw new GameDidNotEndError(`${side}'s ${move.name} failed`);
    made[side]++;
    record({ side, name: move.name, gasUsed: receipt.gasUsed });
  }
  throw new GameDidNotEndError(`the game did not end: ${moves.map((m) => `${m.side}: ${m.name}`).join(", ")}`);
}
