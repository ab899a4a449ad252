/**
 * The challenger daemon (`verity challenger run`), the mirror of the node daemon: it watches the commitments on the
 * InferenceManager (`ResultCommitted`, and the leaves of every `BatchCommitted` from its transaction's calldata),
 * recomputes each (or a deterministic sample) with the reference executor, and disputes every wrong OPTIMISTIC
 * result inside its window: `proveBatchLeaf` first for a batch leaf, then `openDispute` with the bond, then the game
 * with `Player` as the challenger, `resolveTimeout` when the node's clock runs out, and finally its credits.
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
 */
import { getBytes, type Log, type Signer } from "ethers";
import * as path from "path";

import {
  DisputeManager__factory,
  InferenceManager__factory,
  ModelRegistry__factory,
  type DisputeManager,
  type InferenceManager,
} from "../../typechain-types";
import { honestView, type PartyView } from "../../game/view";
import { VerityError } from "../../executor/errors";
import { InferenceRequestStatus, VerificationModes } from "../../protocol/constants";
import { InjectedCrash, claimAllCredits, pickedByHash, runLoop } from "../kit/common";
import { Journal, type JournalRecord } from "../kit/journal";
import { createLogger, type Logger } from "../kit/log";
import { defaultResolver, type ProgramResolver } from "../../protocol/resolver";
import { DEFAULT_RETRY, Rpc, type RetryPolicy } from "../kit/rpc";
import { CommitmentChecker } from "./checks";
import { GamePlayer } from "./games";
import { batchLeavesFromCalldata } from "./intake";
import { DisputeOpener } from "./opening";

export { InjectedCrash };

/** The deployment's contract addresses the challenger talks to. */
export interface ChallengerAddresses {
  inferenceManager: string;
  disputeManager: string;
  modelRegistry: string;
}

/** Points where a test can inject a crash (throw `InjectedCrash`). */
export interface ChallengerHooks {
  /** Before the first transaction of a journaled action (`proveBatchLeaf`, `openDispute`). */
  afterJournal?(record: JournalRecord): void;
  /** After a transaction was mined, before its outcome was journaled. */
  afterSend?(what: string): void;
}

export interface ChallengerDaemonOptions {
  signer: Signer;
  addresses: ChallengerAddresses;
  /** versionId → program; default: the demo models by artifact CID, or `.verity/store/<cid>`. */
  resolver?: ProgramResolver;
  /** Default `.verity/challenger-<address>/journal.jsonl`. */
  journalFile?: string;
  /** Fraction of commitments recomputed, in [0, 1] (default 1). */
  sample?: number;
  /** Seed of the sample: a commitment is checked iff keccak256(abi.encode(seed, requestId)) falls in the fraction. */
  sampleSeed?: string;
  confirmations?: number;
  /** Blocks of events taken in per tick at most (default 2000). */
  maxBlockRange?: number;
  /** First block to scan on a fresh journal (default 0). */
  startBlock?: number;
  /** Claim credits every this many ticks (default 10; 0 never). */
  claimEvery?: number;
  retry?: RetryPolicy;
  log?: Logger;
  hooks?: ChallengerHooks;
}

export class ChallengerDaemonError extends VerityError {}

/** IInferenceManager.RequestStatus. */
export const STATUS = InferenceRequestStatus;
export const BATCHED = InferenceRequestStatus.Batched;
/** VerificationModes.OPTIMISTIC: the only mode whose commitments can be disputed. */
export const OPTIMISTIC = VerificationModes.OPTIMISTIC;

export interface ChallengerMetrics {
  ticks: number;
  /** Commitments recomputed. */
  checked: number;
  /** Commitments left out by the sample. */
  sampledOut: number;
  /** Commitments not checked: not OPTIMISTIC, program unknown, input not found. */
  skipped: number;
  mismatches: number;
  leavesProven: number;
  disputesOpened: number;
  /** Wrong results not disputed: window closed, another challenger's game rejected it, or no bond. */
  disputesSkipped: number;
  movesPlayed: number;
  timeoutsResolved: number;
  won: number;
  lost: number;
  creditsClaimed: number;
  rpcRetries: number;
  txSent: number;
  lastBlock: number;
}

/** The default journal path of the challenger `address` under `root` (`.verity` by default). */
export function challengerJournalPath(address: string, root = ".verity"): string {
  return path.join(root, `challenger-${address.toLowerCase()}`, "journal.jsonl");
}

export class ChallengerDaemon {
  readonly inference: InferenceManager;
  readonly disputes: DisputeManager;
  readonly log: Logger;
  readonly metrics: ChallengerMetrics = {
    ticks: 0,
    checked: 0,
    sampledOut: 0,
    skipped: 0,
    mismatches: 0,
    leavesProven: 0,
    disputesOpened: 0,
    disputesSkipped: 0,
    movesPlayed: 0,
    timeoutsResolved: 0,
    won: 0,
    lost: 0,
    creditsClaimed: 0,
    rpcRetries: 0,
    txSent: 0,
    lastBlock: 0,
  };
  lastTickAt = 0;

  readonly rpc: Rpc;
  private readonly resolver: ProgramResolver;
  private readonly sample: number;
  private readonly sampleSeed: string;
  readonly maxBlockRange: number;
  private readonly claimEvery: number;
  readonly hooks: ChallengerHooks;
  private address = "";
  private journal: Journal | null = null;
  private games: GamePlayer | null = null;
  private checker: CommitmentChecker | null = null;
  private opener: DisputeOpener | null = null;
  private stopping = false;
  /** Honest views of the requests we dispute (recomputed after a restart). */
  private readonly views = new Map<string, PartyView>();
  /** Keys whose skip reason was logged already (a waiting record logs once, not every tick). */
  private readonly warned = new Set<string>();

  constructor(readonly opts: ChallengerDaemonOptions) {
    const { signer, addresses } = opts;
    this.inference = InferenceManager__factory.connect(addresses.inferenceManager, signer);
    this.disputes = DisputeManager__factory.connect(addresses.disputeManager, signer);
    this.log = opts.log ?? createLogger();
    this.rpc = new Rpc(signer, this.log, opts.retry ?? DEFAULT_RETRY, opts.confirmations ?? 1);
    const models = ModelRegistry__factory.connect(addresses.modelRegistry, signer);
    this.resolver = opts.resolver ?? defaultResolver({ getVersion: (id) => models.getVersion(id) });
    this.sample = opts.sample ?? 1;
    if (!(this.sample >= 0 && this.sample <= 1)) {
      throw new ChallengerDaemonError(`sample fraction ${opts.sample} is not in [0, 1]`);
    }
    this.sampleSeed = opts.sampleSeed ?? "verity";
    this.maxBlockRange = opts.maxBlockRange ?? 2000;
    this.claimEvery = opts.claimEvery ?? 10;
    this.hooks = opts.hooks ?? {};
  }

  /** Opens the journal and resynchronises the nonce. Called by the first `tick()`. */
  async start(): Promise<void> {
    if (this.journal) return;
    this.address = await this.opts.signer.getAddress();
    const file = this.opts.journalFile ?? challengerJournalPath(this.address);
    this.journal = Journal.open(file, { warn: (m, f) => this.log.warn(m, f) });
    this.games = new GamePlayer(this, this.journal, (id, versionId, input) => this.viewOf(id, versionId, input));
    this.checker = new CommitmentChecker(this, this.journal);
    this.opener = new DisputeOpener(this, this.journal, this.games);
    this.log.info("challenger daemon starting", {
      challenger: this.address,
      journal: file,
      openActions: this.journal.replay().length,
      cursor: this.cursor(),
      sample: this.sample,
      sampleSeed: this.sampleSeed,
    });
    await this.rpc.resyncNonce();
  }

  /** One round: take in new commitments, check them, open the disputes owed, play our games, claim credits. */
  async tick(): Promise<void> {
    await this.start();
    this.metrics.ticks++;
    await this.scan();
    await this.checker!.checkAll();
    const now = await this.now();
    await this.opener!.openAll(now);
    await this.games!.playAll(now);
    if (this.claimEvery > 0 && this.metrics.ticks % this.claimEvery === 0) await this.claimCredits();
    this.journal!.compactIfLarge();
    this.metrics.rpcRetries = this.rpc.retries;
    this.metrics.txSent = this.rpc.txSent;
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
    this.journal?.close();
    this.journal = null;
    this.log.info("challenger daemon stopped", { challenger: this.address });
  }

  health(): { ok: boolean; challenger: string; lastTickAt: number; lastBlock: number } {
    return {
      ok: this.journal !== null,
      challenger: this.address,
      lastTickAt: this.lastTickAt,
      lastBlock: this.metrics.lastBlock,
    };
  }

  /** This challenger's address (once started). */
  get account(): string {
    return this.address;
  }

  /** Claims the challenger's credits on both managers (bonds returned, rewards). */
  async claimCredits(): Promise<bigint> {
    const { total, claims } = await claimAllCredits(
      this.rpc,
      this.address,
      [
        ["disputes", this.disputes],
        ["inference", this.inference],
      ],
      this.log,
    );
    this.metrics.creditsClaimed += claims;
    return total;
  }

  /** Logs `msg` once per key and process (for records that wait, tick after tick). */
  logOnce(key: string, level: "info" | "warn", msg: string, fields: Record<string, unknown>): void {
    if (this.warned.has(`${key}:${msg}`)) return;
    this.warned.add(`${key}:${msg}`);
    this.log[level](msg, fields);
  }

  async now(): Promise<bigint> {
    const provider = this.opts.signer.provider!;
    const block = await this.rpc.call("getBlock", () => provider.getBlock("latest"));
    return BigInt(block!.timestamp);
  }

  /** Whether the sample includes `requestId` (the same answer on every run for the same seed). */
  sampled(requestId: bigint): boolean {
    return pickedByHash(this.sampleSeed, requestId, this.sample);
  }

  // -- Taking in commitments --

  private cursor(): number {
    const c = this.journal?.last("cursor");
    return c ? Number(c.block) : (this.opts.startBlock ?? 0) - 1;
  }

  private async scan(): Promise<void> {
    const provider = this.opts.signer.provider!;
    const latest = await this.rpc.call("getBlockNumber", () => provider.getBlockNumber());
    const from = this.cursor() + 1;
    // With n confirmations, events are taken in once n blocks deep (the latest block counts as one).
    const safe = latest - ((this.opts.confirmations ?? 1) - 1);
    if (from > safe) return;
    const to = Math.min(safe, from + this.maxBlockRange - 1);
    const iface = this.inference.interface;
    const committed = iface.getEvent("ResultCommitted").topicHash;
    const batched = iface.getEvent("BatchCommitted").topicHash;
    const logs: Log[] = await this.rpc.call("getLogs(commitments)", () =>
      provider.getLogs({
        address: this.opts.addresses.inferenceManager,
        fromBlock: from,
        toBlock: to,
        topics: [[committed, batched]],
      }),
    );
    const journal = this.journal!;
    for (const log of logs) {
      const ev = iface.parseLog(log)!;
      if (ev.name === "ResultCommitted") {
        const key = `c:r:${ev.args.requestId}`;
        if (journal.has(key)) continue;
        journal.append({
          t: "check",
          key,
          requestId: ev.args.requestId.toString(),
          node: ev.args.node,
          outputHash: ev.args.outputHash,
          traceRoot: ev.args.traceRoot,
          block: log.blockNumber,
        });
      } else {
        const key = `c:b:${ev.args.batchId}`;
        if (journal.has(key)) continue;
        const tx = await this.rpc.call("getTransaction", () => provider.getTransaction(log.transactionHash));
        const leaves = tx ? batchLeavesFromCalldata(iface, tx.data, ev.args.root, Number(ev.args.count)) : null;
        if (!leaves) {
          this.metrics.skipped += Number(ev.args.count);
          this.log.warn("batch skipped: its leaves are not in its transaction's calldata", {
            batchId: ev.args.batchId,
            tx: log.transactionHash,
          });
          continue;
        }
        journal.append({
          t: "check",
          key,
          batchId: ev.args.batchId.toString(),
          node: ev.args.node,
          requestIds: leaves.map((l) => l.requestId.toString()),
          outputHashes: leaves.map((l) => l.outputHash),
          traceRoots: leaves.map((l) => l.traceRoot),
          block: log.blockNumber,
        });
      }
    }
    journal.append({ t: "cursor", block: to });
    this.metrics.lastBlock = to;
  }

  /** The honest view of request `requestId` (cached while it may be needed for a game). */
  async viewOf(requestId: bigint, versionId: bigint, input: string): Promise<PartyView> {
    const key = requestId.toString();
    const hit = this.views.get(key);
    if (hit) return hit;
    const { program, weights } = await this.resolver(versionId);
    const s0 = new Int8Array(getBytes(input).slice().buffer);
    const view = honestView(program, s0, weights);
    this.views.set(key, view);
    return view;
  }

  forgetView(requestId: bigint): void {
    this.views.delete(requestId.toString());
  }
}
