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
import type { Signer } from "ethers";

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
import { playDisputes } from "./disputes";
import { cursor, refreshVersions, scan } from "./intake";
import { Journal, journalPath, type JournalRecord } from "../kit/journal";
import { createLogger, type Logger } from "../kit/log";
import { reconcile } from "./reconcile";
import { playGames, serveRedundant } from "./redundant";
import { defaultResolver, type ProgramResolver } from "../../protocol/resolver";
import { DEFAULT_RETRY, Rpc, type RetryPolicy } from "../kit/rpc";
import { serve } from "./serving";
import { claimCredits, settle } from "./settlement";
import type { VerifiedSettler } from "../../modes/verified";
import { viewOf } from "./views";

export { InjectedCrash, NodeDaemonError };
export { insufficientStake } from "./batching";

/** The deployment's contract addresses the daemon talks to. */
export interface NodeAddresses {
  inferenceManager: string;
  disputeManager: string;
  nodeRegistry: string;
  modelRegistry: string;
  /** The RedundantManager: when given, the node also serves redundant requests and plays their games. */
  redundantManager?: string;
}

/** Tamper with a fraction of results (tests, demo and network only): deterministic by seed and request id. */
export interface CheatSetting {
  fraction: number;
  seed: string;
}

/** Points where a test can inject a crash (throw `InjectedCrash`) or observe the daemon. */
export interface NodeHooks {
  /** After a record announcing an action was fsynced, before the action. */
  afterJournal?(record: JournalRecord): void;
  /** After a transaction was mined, before its completion record. */
  afterSend?(what: string): void;
}

export interface NodeDaemonOptions {
  signer: Signer;
  addresses: NodeAddresses;
  /** versionId → program; default: the demo models by artifact CID, or `.verity/store/<cid>`. */
  resolver?: ProgramResolver;
  /** Default `.verity/node-<address>/journal.jsonl`. */
  journalFile?: string;
  /** More than this many results to commit in one tick are committed with `commitBatch` (default 8). */
  batchThreshold?: number;
  /** Leaves per batch (default 256; the contract allows 1024). */
  maxBatchSize?: number;
  confirmations?: number;
  /** Blocks of events taken in per tick at most (default 2000). */
  maxBlockRange?: number;
  /** First block to scan on a fresh journal (default 0). */
  startBlock?: number;
  /** Claim credits every this many ticks (default 10; 0 never). */
  claimEvery?: number;
  /**
   * Claim an open request only if the claim's serve deadline (`min(deadline, now + serveTimeout)`) leaves at least
   * this many seconds to execute it and get the commitment mined (default 30). A claim locks fee × multiplier of
   * the stake, and one left uncommitted past its serve deadline can be reopened by anyone at the cost of one fee.
   */
  minServeSeconds?: number;
  retry?: RetryPolicy;
  cheat?: CheatSetting;
  log?: Logger;
  hooks?: NodeHooks;
  /**
   * Settlers for the verified modes (TEE, ZK) this node serves, by mode. Requests in a verified mode without a
   * settler here are neither claimed nor served (an assigned one is left to be refunded after its deadline).
   */
  verifiedSettlers?: ReadonlyMap<number, VerifiedSettler>;
}

export interface NodeMetrics {
  ticks: number;
  requestsSeen: number;
  claimed: number;
  /** Other nodes' claims this node reopened after their serve deadline (then claimed). */
  reopened: number;
  committed: number;
  batches: number;
  batchedRequests: number;
  finalized: number;
  batchesFinalized: number;
  disputes: number;
  disputesWon: number;
  disputesLost: number;
  movesPlayed: number;
  cheated: number;
  creditsClaimed: number;
  redundantSeen: number;
  redundantCommitted: number;
  games: number;
  gamesWon: number;
  gamesLost: number;
  gameMoves: number;
  rpcRetries: number;
  txSent: number;
  lastBlock: number;
}

export class NodeDaemon {
  readonly inference: InferenceManager;
  readonly disputes: DisputeManager;
  readonly registry: NodeRegistry;
  readonly log: Logger;
  readonly metrics: NodeMetrics = {
    ticks: 0,
    requestsSeen: 0,
    claimed: 0,
    reopened: 0,
    committed: 0,
    batches: 0,
    batchedRequests: 0,
    finalized: 0,
    batchesFinalized: 0,
    disputes: 0,
    disputesWon: 0,
    disputesLost: 0,
    movesPlayed: 0,
    cheated: 0,
    creditsClaimed: 0,
    redundantSeen: 0,
    redundantCommitted: 0,
    games: 0,
    gamesWon: 0,
    gamesLost: 0,
    gameMoves: 0,
    rpcRetries: 0,
    txSent: 0,
    lastBlock: 0,
  };
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
