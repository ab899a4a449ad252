/**
 * Talking to an unreliable RPC endpoint: bounded retries with exponential backoff for transient failures
 * (connection refused or reset, timeouts, 5xx), and one in-flight transaction sender that manages its own nonce
 * (resynchronised from `getTransactionCount(.., "pending")` on any nonce error) and waits for confirmations.
 */
import type { Signer, TransactionReceipt, TransactionResponse } from "ethers";

import { VerityError } from "../../executor/errors";
import type { Logger } from "./log";

export interface RetryPolicy {
  /** Attempts in total (default 6). */
  attempts: number;
  /** First delay in ms, doubled after every failure (default 250). */
  baseMs: number;
  /** Delay cap in ms (default 8000). */
  maxMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { attempts: 6, baseMs: 250, maxMs: 8000 };

/** The endpoint kept failing for the whole retry budget. */
export class RpcUnavailableError extends VerityError {}

/** A transaction was mined but reverted, or vanished. */
export class TransactionFailedError extends VerityError {}

const TRANSIENT_CODES = new Set([
  "NETWORK_ERROR",
  "SERVER_ERROR",
  "TIMEOUT",
  "ECONNREFUSED",
  "ECONNRESET",
  "UNKNOWN_ERROR",
]);
const TRANSIENT_TEXT = /ECONNREFUSED|ECONNRESET|EPIPE|socket hang up|fetch failed|timeout|network|503|502|504/i;

function codeOf(e: unknown): string | undefined {
  const c = (e as { code?: unknown } | null)?.code;
  return typeof c === "string" ? c : undefined;
}

/** A failure worth retrying: the endpoint, not the request, is at fault. Reverts never are. */
export function isTransient(e: unknown): boolean {
  const code = codeOf(e);
  if (code === "CALL_EXCEPTION" || code === "INSUFFICIENT_FUNDS" || code === "NONCE_EXPIRED") return false;
  if (code !== undefined && TRANSIENT_CODES.has(code)) return true;
  return e instanceof Error && TRANSIENT_TEXT.test(e.message) && !/revert/i.test(e.message);
}

export function isNonceError(e: unknown): boolean {
  const code = codeOf(e);
  if (code === "NONCE_EXPIRED" || code === "REPLACEMENT_UNDERPRICED") return true;
  return (
    e instanceof Error && /nonce (too low|too high|has already been used)|invalid nonce|already known/i.test(e.message)
  );
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class Rpc {
  /** Transient failures retried so far. */
  retries = 0;
  txSent = 0;
  /** Wall-clock ms of the first transient failure of the current outage; null while the endpoint answers. */
  failingSince: number | null = null;
  private nonce: number | null = null;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    readonly signer: Signer,
    readonly log: Logger,
    readonly policy: RetryPolicy = DEFAULT_RETRY,
    readonly confirmations = 1,
  ) {}

  /** Runs `fn`, retrying transient failures with exponential backoff, at most `policy.attempts` times. */
  async call<T>(what: string, fn: () => Promise<T>): Promise<T> {
    let delay = this.policy.baseMs;
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await fn();
        this.failingSince = null;
        return result;
      } catch (e) {
        if (!isTransient(e)) {
          this.failingSince = null; // the endpoint answered (with a revert or another error)
          throw e;
        }
        this.failingSince ??= Date.now();
        if (attempt >= this.policy.attempts) {
          throw new RpcUnavailableError(
            `${what} failed ${attempt} times (${(e as Error).message}); is the RPC endpoint up?`,
          );
        }
        this.retries++;
        this.log.warn("rpc: transient failure, retrying", {
          what,
          attempt,
          delayMs: delay,
          error: (e as Error).message,
        });
        await sleep(delay);
        delay = Math.min(this.policy.maxMs, delay * 2);
      }
    }
  }

  /**
   * Sends one transaction built by `build` with the sender's next nonce, then waits for `confirmations`. Broadcasts
   * are serialised (one nonce at a time); the waits are not, so that callers sending several transactions at once
   * (settlements, moves in several games) get them into the same block on a chain that mines on a timer. A nonce
   * error resyncs the nonce and tries again; a transient error is retried with the same nonce (if the first attempt
   * did reach the pool, the retry meets a nonce error and the caller's next reconciliation sees the result
   * on-chain). A revert is thrown as is.
   */
  send(
    what: string,
    build: (overrides: { nonce: number }) => Promise<TransactionResponse>,
  ): Promise<TransactionReceipt> {
    const broadcast = this.queue.then(() => this.broadcastNow(what, build));
    this.queue = broadcast.catch(() => undefined);
    return broadcast.then((tx) => this.confirm(what, tx));
  }

  private async confirm(what: string, tx: TransactionResponse): Promise<TransactionReceipt> {
    const receipt = await this.call(`${what} (wait)`, () => tx.wait(this.confirmations));
    if (receipt === null || receipt.status !== 1) {
      throw new TransactionFailedError(`${what}: transaction ${tx.hash} failed`);
    }
    return receipt;
  }

  async resyncNonce(): Promise<number> {
    const address = await this.signer.getAddress();
    const provider = this.signer.provider!;
    this.nonce = await this.call("getTransactionCount", () => provider.getTransactionCount(address, "pending"));
    return this.nonce;
  }

  private async broadcastNow(
    what: string,
    build: (overrides: { nonce: number }) => Promise<TransactionResponse>,
  ): Promise<TransactionResponse> {
    let nonceResyncs = 0;
    for (;;) {
      const nonce = this.nonce ?? (await this.resyncNonce());
      let tx: TransactionResponse;
      try {
        tx = await this.call(what, () => build({ nonce }));
      } catch (e) {
        if (isNonceError(e) && nonceResyncs < 3) {
          nonceResyncs++;
          this.log.warn("rpc: nonce error, resyncing from the pending count", {
            what,
            nonce,
            error: (e as Error).message,
          });
          await this.resyncNonce();
          continue;
        }
        // The node's view of the nonce may be stale after any failure: resync before the next send.
        this.nonce = null;
        throw e;
      }
      // A builder that ignores the override (a game move) used the signer's own count: follow the transaction.
      this.nonce = Math.max(nonce, tx.nonce) + 1;
      this.txSent++;
      return tx;
    }
  }
}
