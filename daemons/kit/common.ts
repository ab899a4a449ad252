/**
 * Small things the node daemon and the challenger daemon share beyond the journal, the RPC wrapper, the logger and
 * the service frame (service.ts): the crash hook type, the errors never swallowed, the error text of a failed call,
 * a bounded parallel map, a deterministic pick by hash, and the InferenceManager's status codes.
 */
import { AbiCoder, keccak256 } from "ethers";

import { JournalCorruptError } from "./journal";

/** Thrown by test hooks to simulate a crash: the daemons do not catch it. */
export class InjectedCrash extends Error {}

/** Errors a daemon never swallows: an injected crash, a journal it cannot trust. */
export function isFatal(e: unknown): boolean {
  return e instanceof InjectedCrash || e instanceof JournalCorruptError;
}

/** A short text for a failed call: the decoded custom error when there is one, else ethers' short message. */
export function errorMessage(e: unknown): string {
  const err = e as { shortMessage?: string; message?: string; revert?: { name?: string; args?: unknown[] } };
  if (err?.revert?.name) return `${err.revert.name}(${(err.revert.args ?? []).map(String).join(", ")})`;
  return err?.shortMessage ?? err?.message ?? String(e);
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
 * True for a deterministic `fraction` of ids: keccak256(abi.encode(seed, id)) mod 1e6 < fraction × 1e6. The same
 * (seed, id) always gives the same answer, on every run and machine.
 */
export function pickedByHash(seed: string, id: bigint, fraction: number): boolean {
  if (fraction <= 0) return false;
  if (fraction >= 1) return true;
  const h = BigInt(keccak256(AbiCoder.defaultAbiCoder().encode(["string", "uint256"], [seed, id])));
  return Number(h % 1_000_000n) < fraction * 1_000_000;
}
