/**
 * The frame both daemons run in, in the spirit of Optimism's BaseServiceV2. A daemon is a `Service` subclass that
 * supplies its round of work, its credit holders and the fields of its start line; the base does the rest, the same
 * way for both:
 *   start()  reads the chain's identity (chain id, genesis block hash, the deployment's addresses), opens and locks
 *            the journal keyed by it (`.verity/<role>-<address>/chain-<id>-<genesis>-<deployment>/journal.jsonl`
 *            by default; a journal of another chain or deployment, or one locked by a live daemon, is refused), logs
 *            "<role> daemon starting", resynchronises the nonce, then the subclass's `started()` (the node
 *            reconciles its journal there);
 *   tick()   start(), one round, the credits every `claimEvery` ticks, journal compaction, the RPC counters;
 *   run()    ticks every `pollMs` until `stop()`, a failed tick logged and retried with backoff (`runLoop`), then
 *            close();
 *   health() `{ ok, <role>: address, lastTickAt, lastBlock, rpc }`: ok (HTTP 200) while the journal is open and the
 *            RPC endpoint answers, not ok (503) before the start and during an RPC outage; `healthSource()` serves
 *            it on /health and /metrics.
 */
import type { ContractTransactionResponse } from "ethers";

import { errorMessage, isFatal } from "./common";
import { cursor } from "./cursor";
import type { HealthSource } from "./health";
import { Journal, journalPath, type ChainIdentity } from "./journal";
import { tokens, type Fields, type Logger } from "./log";
import { sleep } from "./rpc";
import type { ServiceOptions, ServiceState } from "./state";

/** A contract with pull credits (the InferenceManager, the DisputeManager, the RedundantManager). */
export interface CreditHolder {
  credits(account: string): Promise<bigint>;
  claimCredits(overrides: { nonce: number }): Promise<ContractTransactionResponse>;
}

/** What `health()` reports: `ok` while the journal is open, the account under the daemon's role. */
export type ServiceHealth = Record<string, unknown> & { ok: boolean; lastTickAt: number; lastBlock: number };

export abstract class Service<S extends ServiceState = ServiceState> {
  /** Wall-clock ms of the end of the last tick. */
  lastTickAt = 0;
  private stopping = false;
  private readonly claimEvery: number;
  private readonly journalFile: string | undefined;
  private readonly journalRoot: string | undefined;
  private readonly addresses: Readonly<Record<string, string>>;

  protected constructor(
    /** "node" or "challenger": names the journal's folder, the log lines, the health field and the metrics. */
    readonly role: string,
    /** What the daemon's parts share; the kit's part of it (state.ts) is managed here. */
    protected readonly ctx: S,
    opts: ServiceOptions,
  ) {
    this.claimEvery = opts.claimEvery ?? 10;
    this.journalFile = opts.journalFile;
    this.journalRoot = opts.journalRoot;
    const addresses: Record<string, string> = {};
    for (const [name, a] of Object.entries(opts.addresses ?? {})) if (typeof a === "string") addresses[name] = a;
    this.addresses = addresses;
  }

  /** The chain and deployment this daemon runs against, which its journal is keyed by. */
  async chainIdentity(): Promise<ChainIdentity> {
    const provider = this.ctx.signer.provider!;
    const [network, genesis] = await Promise.all([
      this.ctx.rpc.call("getNetwork", () => provider.getNetwork()),
      this.ctx.rpc.call("getBlock(0)", () => provider.getBlock(0)),
    ]);
    return { chainId: network.chainId.toString(), genesis: genesis?.hash ?? "unknown", addresses: this.addresses };
  }

  get metrics(): S["metrics"] {
    return this.ctx.metrics;
  }

  get log(): Logger {
    return this.ctx.log;
  }

  /** The daemon's address (once started). */
  get account(): string {
    return this.ctx.address;
  }

  /** One round of the daemon's own work; the base does the rest of the tick. */
  protected abstract round(): Promise<void>;

  /** The contracts the daemon claims its credits on, by name, in order. */
  protected abstract creditHolders(): readonly (readonly [string, CreditHolder])[];

  /** Fields added to the "starting" log line. */
  protected startFields(): Fields {
    return {};
  }

  /** Called once the journal is open and the nonce resynchronised (e.g. to reconcile the journal). */
  protected async started(): Promise<void> {}

  /** Opens the journal and resynchronises the nonce. Called by the first `tick()`. */
  async start(): Promise<void> {
    const ctx = this.ctx;
    if (ctx.journal) return;
    ctx.address = await ctx.signer.getAddress();
    const identity = await this.chainIdentity();
    const file = this.journalFile ?? journalPath(ctx.address, this.journalRoot, this.role, identity);
    ctx.journal = Journal.open(file, { warn: (m, f) => ctx.log.warn(m, f), identity, lock: true });
    ctx.log.info(`${this.role} daemon starting`, {
      [this.role]: ctx.address,
      journal: file,
      chainId: identity.chainId,
      openActions: ctx.journal.replay().length,
      cursor: cursor(ctx),
      ...this.startFields(),
    });
    await ctx.rpc.resyncNonce();
    await this.started();
  }

  /** One tick: the daemon's round, then the credits (every `claimEvery` ticks) and the journal's compaction. */
  async tick(): Promise<void> {
    const ctx = this.ctx;
    await this.start();
    ctx.metrics.ticks++;
    await this.round();
    if (this.claimEvery > 0 && ctx.metrics.ticks % this.claimEvery === 0) await this.claimCredits();
    ctx.journal!.compactIfLarge();
    ctx.metrics.rpcRetries = ctx.rpc.retries;
    ctx.metrics.txSent = ctx.rpc.txSent;
    this.lastTickAt = Date.now();
  }

  /** Loops `tick()` every `pollMs` until `stop()`; a failed tick (the RPC endpoint gone) is retried with backoff. */
  async run(pollMs = 1000): Promise<void> {
    await runLoop(
      () => this.tick(),
      () => this.stopping,
      this.ctx.log,
      pollMs,
    );
    this.close();
  }

  /** Asks `run()` to finish its current tick and return. */
  stop(): void {
    this.stopping = true;
  }

  close(): void {
    this.ctx.journal?.close();
    this.ctx.journal = null;
    this.ctx.log.info(`${this.role} daemon stopped`, { [this.role]: this.ctx.address });
  }

  health(): ServiceHealth {
    const down = this.ctx.rpc.failingSince;
    return {
      ok: this.ctx.journal !== null && down === null,
      [this.role]: this.ctx.address,
      lastTickAt: this.lastTickAt,
      lastBlock: this.ctx.metrics.lastBlock,
      rpc: down === null ? "up" : `failing since ${new Date(down).toISOString()}`,
      ...(this.ctx.journal === null ? { starting: true } : {}),
    };
  }

  /** The daemon as /health and /metrics show it; `extra` adds counters of the caller's to the daemon's own. */
  healthSource(extra: () => Record<string, number> = () => ({})): HealthSource {
    return {
      health: () => this.health(),
      metrics: () => ({ ...this.ctx.metrics, ...extra() }) as Record<string, number>,
    };
  }

  /**
   * Claims the daemon's credits on each of its credit holders that owes it any; returns the total claimed. A failed
   * claim is logged and left for the next call.
   */
  async claimCredits(): Promise<bigint> {
    const ctx = this.ctx;
    let total = 0n;
    for (const [name, contract] of this.creditHolders()) {
      const credit = await ctx.rpc.call("credits", () => contract.credits(ctx.address));
      if (credit === 0n) continue;
      try {
        await ctx.rpc.send(`claimCredits(${name})`, (o) => contract.claimCredits(o));
        total += credit;
        ctx.metrics.creditsClaimed++;
        ctx.log.info("credits claimed", { from: name, amount: tokens(credit) });
      } catch (e) {
        if (isFatal(e)) throw e;
        ctx.log.warn("claiming credits failed", { from: name, error: errorMessage(e) });
      }
    }
    return total;
  }
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
