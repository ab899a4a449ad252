/**
 * Small things the node daemon and the challenger daemon share beyond the journal, the RPC wrapper, the logger and
 * the service frame (service.ts): the crash hook type, the errors never swallowed, the error text of a failed call,
 * what is logged for a failed action, a bounded parallel map, a deterministic pick by hash, and the InferenceManager's
 * status codes.
 */
import { AbiCoder, keccak256 } from "ethers";

import { BatchStatus, DisputePhase, InferenceRequestStatus, NodeStatus } from "../../protocol/constants";
import { JournalCorruptError, JournalRefusedError } from "./journal";
import type { Fields, Logger } from "./log";

/** Thrown by test hooks to simulate a crash: the daemons do not catch it. */
export class InjectedCrash extends Error {}

/** Errors a daemon never swallows: an injected crash, a journal it cannot trust. */
export function isFatal(e: unknown): boolean {
  return e instanceof InjectedCrash || e instanceof JournalCorruptError || e instanceof JournalRefusedError;
}

/** Custom errors whose arguments include a protocol enum: the argument's index and the enum (named in logs). */
const ENUM_ARGS: Record<string, [number, Record<number, string>][]> = {
  InferenceManagerInvalidStatus: [[1, InferenceRequestStatus]],
  InferenceManagerBatchNotCommitted: [[1, BatchStatus]],
  InferenceManagerNodeInactive: [[1, NodeStatus]],
  DisputeManagerWrongPhase: [
    [1, DisputePhase],
    [2, DisputePhase],
  ],
};

/**
 * Reverts that mean another party acted first on the same object, which is no fault of the daemon: the request or
 * batch was settled (or disputed) by someone else, the game (a dispute, or a refereed game, where either node may
 * prove) was resolved or moved by the other side. The daemon logs them as INFO and lets its next reconciliation read
 * the outcome from the chain. Each is an error of a manager's ABI (the games' are `IBisectionGame`'s, since both
 * games are `BisectionGame`): test/node/kit.test.ts checks it.
 */
export const RACE_ERRORS = [
  "InferenceManagerInvalidStatus",
  "InferenceManagerBatchNotCommitted",
  "BisectionGameAlreadyResolved",
  "BisectionGameNotYourTurn",
  "BisectionGameWrongPhase",
];

function revertOf(e: unknown): { name: string; args: unknown[] } | null {
  const err = e as { revert?: { name?: string; args?: unknown[] } } | null;
  return err?.revert?.name ? { name: err.revert.name, args: [...(err.revert.args ?? [])] } : null;
}

/**
 * A short text for a failed call: the decoded custom error when there is one (protocol enums by name, e.g.
 * `InferenceManagerInvalidStatus(7, Finalized)`), else ethers' short message.
 */
export function errorMessage(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string };
  const revert = revertOf(e);
  if (revert) {
    const names = new Map(ENUM_ARGS[revert.name] ?? []);
    const args = revert.args.map((a, i) => names.get(i)?.[Number(a)] ?? String(a));
    return `${revert.name}(${args.join(", ")})`;
  }
  return err?.shortMessage ?? err?.message ?? String(e);
}

/** True for a revert that only says someone else acted first (see RACE_ERRORS). */
export function isHarmlessRace(e: unknown): boolean {
  const name = revertOf(e)?.name;
  if (name !== undefined) return RACE_ERRORS.includes(name);
  const text = (e as { message?: string } | null)?.message ?? "";
  return RACE_ERRORS.some((r) => text.includes(r));
}

/**
 * Logs an action that failed and will be tried again by a later tick, which reads the chain first: a harmless race
 * (another party acted first) as the INFO line `lines.race` with its `reason`, anything else as the ERROR line
 * `lines.failure` with its `error`. A fatal error (see `isFatal`) is rethrown.
 */
export function reportFailure(log: Logger, e: unknown, lines: { race: string; failure: string }, fields: Fields): void {
  if (isFatal(e)) throw e;
  if (isHarmlessRace(e)) log.info(lines.race, { ...fields, reason: errorMessage(e) });
  else log.error(lines.failure, { ...fields, error: errorMessage(e) });
}

/** The lines of a game move that failed (`reportFailure`): `what` is "dispute" or "game" (a refereed game). */
export function moveFailed(what: string): { race: string; failure: string } {
  return {
    race: "the game moved on before our move (a harmless race); will read it again",
    failure: `${what} move failed; will retry`,
  };
}

/** `fn` over `items`, at most `limit` at a time, results in order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * `fn` over `items`, at most `limit` at a time, for work whose transactions may share a block (settlements, moves
 * of different games). Every started item finishes before it returns; once one throws, no new item starts, and the
 * first error is rethrown at the end (so an injected crash still stops the tick, with nothing left running).
 */
export async function eachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let failed: { error: unknown } | null = null;
  let next = 0;
  const worker = async () => {
    while (next < items.length && failed === null) {
      const item = items[next++];
      try {
        await fn(item);
      } catch (e) {
        failed ??= { error: e };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed !== null) throw (failed as { error: unknown }).error;
}

/**
 * True for a deterministic `fraction` of ids: keccak256(abi.encode(seed, id)) mod 1e6 < fraction × 1e6. The same
 * (seed, id) always gives the same answer, on every run and machine.
 */
export function pickedByHash(seed: string, id: bigint, fraction: number): boolean {
  if (fraction <= 0) return false;
  if (fraction >= 1) return true;
  const h = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(["string", "uint256"], [seed, id])));
  return Number(h % 1_000_000n) < fraction * 1_000_000;
}
