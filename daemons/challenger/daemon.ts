/**
 * The challenger daemon (`verity challenger run`), the mirror of the node daemon: it watches the commitments on the
 * InferenceManager (`ResultCommitted`, and the leaves of every `BatchCommitted` from its transaction's calldata),
 * recomputes each (or a deterministic sample) with the reference executor, and disputes every wrong OPTIMISTIC
 * result inside its window: `proveBatchLeaf` first for a batch leaf, then `openDispute` with the bond, then the game
 * with `DisputePlayer` as the challenger, `resolveTimeout` when the node's clock runs out, and finally its credits.
 *
 * Everything it promises goes through the journal first (daemons/kit/journal.ts), keyed so that a restart can
 * reconcile:
 *   c:r:<requestId>, c:b:<batchId>  "check" (a commitment, or a batch with its leaves, to recompute)
 *                   → done once checked
 *   o:<requestId>   "open" (a wrong result to dispute, with the committed pair, the input, and for a batch leaf its
 *                   batch, index and proof) → done once our dispute is on-chain, or the chance is gone
 *   g:<disputeId>   "game" (our game to play) → done once resolved
 *   "cursor" (keyless): the last block whose events were taken in.
 * An "open" record is written before any transaction for it; before sending `openDispute`, the daemon looks for a
 * `DisputeOpened` of its own for the request since the record was written, so a crash anywhere neither opens a
 * dispute twice nor abandons one.
 *
 * The parts, each a plain function of the shared state (context.ts): intake.ts (commitments → "check" records),
 * checks.ts (recompute, "open" records), opening.ts (proveBatchLeaf, the bond, openDispute), games.ts (our games).
 */
import * as path from "path";

import {
  DisputeManager__factory,
  InferenceManager__factory,
  ModelRegistry__factory,
  type DisputeManager,
  type InferenceManager,
} from "../../typechain-types";
import type { PartyView } from "../../game/view";
import { InjectedCrash, claimAllCredits, runLoop } from "../kit/common";
import { Journal } from "../kit/journal";
import { createLogger, type Logger } from "../kit/log";
import { defaultResolver } from "../../protocol/resolver";
import { DEFAULT_RETRY, Rpc } from "../kit/rpc";
import { checkAll } from "./checks";
import { chainNow, viewOf, type ChallengerContext } from "./context";
import { playGames } from "./games";
import { cursor, scan } from "./intake";
import { openDisputes } from "./opening";
import {
  ChallengerDaemonError,
  newChallengerMetrics,
  type ChallengerDaemonOptions,
  type ChallengerMetrics,
} from "./options";

export { ChallengerDaemonError, InjectedCrash };
export type { ChallengerAddresses, ChallengerDaemonOptions, ChallengerHooks, ChallengerMetrics } from "./options";

/** The default journal path of the challenger `address` under `root` (`.verity` by default). */
export function challengerJournalPath(address: string, root = ".verity"): string {
  return path.join(root, `challenger-${address.toLowerCase()}`, "journal.jsonl");
}

export class ChallengerDaemon {
  readonly inference: InferenceManager;
  readonly disputes: DisputeManager;
  readonly log: Logger;
  readonly metrics: ChallengerMetrics = newChallengerMetrics();
  lastTickAt = 0;

  /** What the parts share (the contracts, the RPC wrapper, the journal, the caches). */
  private readonly ctx: ChallengerContext;
  private readonly claimEvery: number;
  private stopping = false;

  constructor(readonly opts: ChallengerDaemonOptions) {
    const { signer, addresses } = opts;
    this.inference = InferenceManager__factory.connect(addresses.inferenceManager, signer);
    this.disputes = DisputeManager__factory.connect(addresses.disputeManager, signer);
    this.log = opts.log ?? createLogger();
    const models = ModelRegistry__factory.connect(addresses.modelRegistry, signer);
    const sample = opts.sample ?? 1;
    if (!(sample >= 0 && sample <= 1)) {
      throw new ChallengerDaemonError(`sample fraction ${opts.sample} is not in [0, 1]`);
    }
    this.ctx = {
      opts,
      inference: this.inference,
      disputes: this.disputes,
      rpc: new Rpc(signer, this.log, opts.retry ?? DEFAULT_RETRY, opts.confirmations ?? 1),
      log: this.log,
      metrics: this.metrics,
      hooks: opts.hooks ?? {},
      resolver: opts.resolver ?? defaultResolver({ getVersion: (id) => models.getVersion(id) }),
      sample,
      sampleSeed: opts.sampleSeed ?? "verity",
      maxBlockRange: opts.maxBlockRange ?? 2000,
      address: "",
      journal: null,
      views: new Map<string, PartyView>(),
      warned: new Set<string>(),
      reconciled: new Set<string>(),
      token: null,
    };
    this.claimEvery = opts.claimEvery ?? 10;
  }

  /** Opens the journal and resynchronises the nonce. Called by the first `tick()`. */
  async start(): Promise<void> {
    const ctx = this.ctx;
    if (ctx.journal) return;
    ctx.address = await this.opts.signer.getAddress();
    const file = this.opts.journalFile ?? challengerJournalPath(ctx.address);
    ctx.journal = Journal.open(file, { warn: (m, f) => this.log.warn(m, f) });
    this.log.info("challenger daemon starting", {
      challenger: ctx.address,
      journal: file,
      openActions: ctx.journal.replay().length,
      cursor: cursor(ctx),
      sample: ctx.sample,
      sampleSeed: ctx.sampleSeed,
    });
    await ctx.rpc.resyncNonce();
  }

  /** One round: take in new commitments, check them, open the disputes owed, play our games, claim credits. */
  async tick(): Promise<void> {
    const ctx = this.ctx;
    await this.start();
    this.metrics.ticks++;
    await scan(ctx);
    await checkAll(ctx);
    const now = await chainNow(ctx);
    await openDisputes(ctx, now);
    await playGames(ctx, now);
    if (this.claimEvery > 0 && this.metrics.ticks % this.claimEvery === 0) await this.claimCredits();
    ctx.journal!.compactIfLarge();
    this.metrics.rpcRetries = ctx.rpc.retries;
    this.metrics.txSent = ctx.rpc.txSent;
    this.lastTickAt = Date.now();
  }

  /** Loops `tick()` every `pollMs` until `stop()`; a failed tick (the RPC endpoint gone) is retried with backoff. */
  async run(pollMs = 1000): Promise<void> {
    await runLoop(
      () => this.tick(),
      () => this.stopping,
      this.log,
      pollMs,
    );
    this.close();
  }

  stop(): void {
    this.stopping = true;
  }

  close(): void {
    this.ctx.journal?.close();
    this.ctx.journal = null;
    this.log.info("challenger daemon stopped", { challenger: this.ctx.address });
  }

  health(): { ok: boolean; challenger: string; lastTickAt: number; lastBlock: number } {
    return {
      ok: this.ctx.journal !== null,
      challenger: this.ctx.address,
      lastTickAt: this.lastTickAt,
      lastBlock: this.metrics.lastBlock,
    };
  }

  /** This challenger's address (once started). */
  get account(): string {
    return this.ctx.address;
  }

  /** Claims the challenger's credits on both managers (bonds returned, rewards). */
  async claimCredits(): Promise<bigint> {
    const { total, claims } = await claimAllCredits(
      this.ctx.rpc,
      this.ctx.address,
      [
        ["disputes", this.disputes],
        ["inference", this.inference],
      ],
      this.log,
    );
    this.metrics.creditsClaimed += claims;
    return total;
  }

  /** The honest view of request `requestId` (cached while it may be needed for a game). */
  async viewOf(requestId: bigint, versionId: bigint, input: string): Promise<PartyView> {
    return viewOf(this.ctx, requestId, versionId, input);
  }
}
