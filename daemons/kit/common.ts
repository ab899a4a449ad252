/**
 * What the node daemon and the challenger daemon share beyond the journal, the RPC wrapper and the logger: the
 * crash hook type, the error text of a failed call, the tick loop with backoff, a deterministic pick by hash and
 * claiming an account's credits on the two managers.
 */
import { AbiCoder, keccak256 } from "ethers";

import { JournalCorruptError } from "./journal";
import type { Logger } from "./log";
import { sleep, type Rpc } from "./rpc";

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

/**
 * Calls `tick` every `pollMs` until `stopping()`; a failed tick is logged and the next one waits twice as long (up
 * to 30 s). Fatal errors (`isFatal`) are rethrown.
 */
export async function runLoop(tick: () => Promise<void>, stopping: () => boolean, log: Logger, pollMs: number) {
  let backoff = pollMs;
  while (!stopping()) {
    try {
      await tick();
      backoff = pollMs;
    } catch (e) {
      if (isFatal(e)) throw e;
      log.error("tick failed; retrying", { error: errorMessage(e), retryInMs: backoff });
      backoff = Math.min(backoff * 2, 30_000);
    }
    if (!stopping()) await sleep(backoff);
  }
}

/** A contract with pull credits (the InferenceManager and the DisputeManager). */
export interface CreditHolder {
  credits(account: string): Promise<bigint>;
  claimCredits(overrides: { nonce: number }): Promise<import("ethers").ContractTransactionResponse>;
}

/**
 * Claims `account`'s credits on each named contract that owes it any. Returns the total claimed and the number of
 * successful claims; a failed claim is logged and left for the next call.
 */
export async function claimAllCredits(
  rpc: Rpc,
  account: string,
  contracts: readonly (readonly [string, CreditHolder])[],
  log: Logger,
): Promise<{ total: bigint; claims: number }> {
  let total = 0n;
  let claims = 0;
  for (const [name, contract] of contracts) {
    const credit = await rpc.call("credits", () => contract.credits(account));
    if (credit === 0n) continue;
    try {
      await rpc.send(`claimCredits(${name})`, (o) => contract.claimCredits(o));
      total += credit;
      claims++;
      log.info("credits claimed", { from: name, amount: credit });
    } catch (e) {
      if (isFatal(e)) throw e;
      log.warn("claiming credits failed", { from: name, error: errorMessage(e) });
    }
  }
  return { total, claims };
}
