/**
 * The node daemon (`verity node serve`): serves the requests of the model versions its node is registered for,
 * commits their results (in batches under load), settles them after the challenge window, claims its credits, and
 * answers every dispute against it with the game library. Tests drive it tick by tick with `tick()`; `run()` loops.
 *
 * Everything it promises goes through the journal first (see journal.ts), keyed so that a restart can reconcile:
 *   r:<requestId>  "request" (to serve; carries the input), "claim" (to claim, or waiting out another node's claim
 *                  until its serve deadline), "commit" (commit announced, with output and trace root)
 *                                                                  → done once committed, batched or dropped
 *   b:<firstId>:<n> "batch" (commitBatch announced, with its leaves) → done once mined (or found mined)
 *   s:r:<id>, s:b:<batchId>  "settle" (finalize / finalizeBatch owed after the window) → done once settled
 *   d:<disputeId>  "dispute" (a game against us to play)            → done once resolved
 *   "cursor" (keyless): the last block whose events were taken in.
 * On start, and on every tick for anything still open, an announced action is checked against the chain before it
 * is (re)sent: a commit is re-sent only while the request is still Assigned to us, so nothing is committed twice and
 * nothing announced is lost.
 *
 * The parts, each a plain function of the shared state (context.ts): intake.ts (events → records), serving.ts
 * (execute and commit), batching.ts (commitBatch), settlement.ts (finalize, credits), reconcile.ts (announced actions
 * against the chain), disputes.ts (the games against us), views.ts (executions, and cheating for tests).
 */
import {
  DisputeManager__factory,
  InferenceManager__factory,
  ModelRegistry__factory,
  NodeRegistry__factory,
  RedundantManager__factory,
  type DisputeManager,
  type InferenceManager,
  type NodeRegistry,
} from "../../typechain-types";
import type { PartyView } from "../../game/view";
import { InjectedCrash, runLoop } from "../kit/common";
import { NodeDaemonError, type NodeContext } from "./context";
import { newNodeMetrics, type NodeDaemonOptions, type NodeMetrics } from "./options";
import { playDisputes } from "./disputes";
import { cursor, refreshVersions, scan } from "./intake";
import { Journal, journalPath } from "../kit/journal";
import { createLogger, type Logger } from "../kit/log";
import { reconcile } from "./reconcile";
import { playGames, serveRedundant } from "./redundant";
import { defaultResolver } from "../../protocol/resolver";
import { DEFAULT_RETRY, Rpc } from "../kit/rpc";
import { serve } from "./serving";
import { claimCredits, settle } from "./settlement";
import { viewOf } from "./views";

export { InjectedCrash, NodeDaemonError };
export type { CheatSetting, NodeAddresses, NodeDaemonOptions, NodeHooks, NodeMetrics } from "./options";
export { insufficientStake } from "./batching";

export class NodeDaemon {
  readonly inference: InferenceManager;
  readonly disputes: DisputeManager;
  readonly registry: NodeRegistry;
  readonly log: Logger;
  readonly metrics: NodeMetrics = newNodeMetrics();
  lastTickAt = 0;

  /** What the parts share (the contracts, the RPC wrapper, the journal, the caches). */
  private readonly ctx: NodeContext;
  private readonly claimEvery: number;
  private stopping = false;

  constructor(readonly opts: NodeDaemonOptions) {
    const { signer, addresses } = opts;
    this.inference = InferenceManager__factory.connect(addresses.inferenceManager, signer);
    this.disputes = DisputeManager__factory.connect(addresses.disputeManager, signer);
    this.registry = NodeRegistry__factory.connect(addresses.nodeRegistry, signer);
    this.log = opts.log ?? createLogger();
    const models = ModelRegistry__factory.connect(addresses.modelRegistry, signer);
    this.ctx = {
      opts,
      inference: this.inference,
      disputes: this.disputes,
      registry: this.registry,
      redundant: addresses.redundantManager
        ? RedundantManager__factory.connect(addresses.redundantManager, signer)
        : null,
      rpc: new Rpc(signer, this.log, opts.retry ?? DEFAULT_RETRY, opts.confirmations ?? 1),
      log: this.log,
      metrics: this.metrics,
      hooks: opts.hooks ?? {},
      resolver: opts.resolver ?? defaultResolver({ getVersion: (id) => models.getVersion(id) }),
      batchThreshold: opts.batchThreshold ?? 8,
      minServeSeconds: opts.minServeSeconds ?? 30,
      maxBatchSize: Math.min(opts.maxBatchSize ?? 256, 1024),
      maxBlockRange: opts.maxBlockRange ?? 2000,
      address: "",
      journal: null,
      versions: [],
      views: new Map<string, PartyView>(),
      batchCap: Number.MAX_SAFE_INTEGER,
      notBefore: new Map<string, bigint>(),
    };
    this.claimEvery = opts.claimEvery ?? 10;
    if (opts.cheat) {
      const { fraction } = opts.cheat;
      if (!(fraction >= 0 && fraction <= 1)) throw new NodeDaemonError(`cheat fraction ${fraction} is not in [0, 1]`);
    }
  }

  /** Opens the journal and reconciles every open promise with the chain. Called by the first `tick()`. */
  async start(): Promise<void> {
    const ctx = this.ctx;
    if (ctx.journal) return;
    ctx.address = await this.opts.signer.getAddress();
    const file = this.opts.journalFile ?? journalPath(ctx.address);
    ctx.journal = Journal.open(file, { warn: (m, f) => this.log.warn(m, f) });
    const open = ctx.journal.replay();
    this.log.info("node daemon starting", {
      node: ctx.address,
      journal: file,
      openActions: open.length,
      cursor: cursor(ctx),
      cheat: this.opts.cheat ? `${this.opts.cheat.fraction} (seed ${this.opts.cheat.seed})` : undefined,
    });
    if (this.opts.cheat && this.opts.cheat.fraction > 0) {
      this.log.warn("CHEATING ENABLED: this node will commit tampered results (tests and demos only)", {
        fraction: this.opts.cheat.fraction,
      });
    }
    await ctx.rpc.resyncNonce();
    await reconcile(ctx);
  }

  /** One round: take in new events, claim, execute and commit, settle, play disputes, claim credits. */
  async tick(): Promise<void> {
    const ctx = this.ctx;
    await this.start();
    this.metrics.ticks++;
    await refreshVersions(ctx);
    await scan(ctx);
    await reconcile(ctx);
    // Disputes first (their clocks are the only hard deadlines), then settlements (which free stake for new
    // collateral), then new commitments.
    await playDisputes(ctx);
    await playGames(ctx);
    await settle(ctx);
    await serve(ctx);
    await serveRedundant(ctx);
    if (this.claimEvery > 0 && this.metrics.ticks % this.claimEvery === 0) await this.claimCredits();
    ctx.journal!.compactIfLarge();
    this.metrics.rpcRetries = ctx.rpc.retries;
    this.metrics.txSent = ctx.rpc.txSent;
    this.lastTickAt = Date.now();
  }

  /** Loops `tick()` every `pollMs` until `stop()`; transient failures are logged and the loop backs off. */
  async run(pollMs = 1000): Promise<void> {
    await runLoop(
      () => this.tick(),
      () => this.stopping,
      this.log,
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
    this.log.info("node daemon stopped", { node: this.ctx.address });
  }

  health(): { ok: boolean; node: string; lastTickAt: number; lastBlock: number } {
    return {
      ok: this.ctx.journal !== null,
      node: this.ctx.address,
      lastTickAt: this.lastTickAt,
      lastBlock: this.metrics.lastBlock,
    };
  }

  /** Claims this node's credits on every manager (fees, dispute and game winnings). */
  async claimCredits(): Promise<bigint> {
    return claimCredits(this.ctx);
  }

  /** This node's view of request `requestId` (tampered, deterministically, when it cheats on it). */
  async viewOf(requestId: bigint, versionId: bigint, input: string): Promise<PartyView> {
    return viewOf(this.ctx, requestId, versionId, input);
  }
}
