/**
 * The node daemon (`verity node serve`): serves the requests of the model versions its node is registered for,
 * commits their results (in batches under load), settles them after the challenge window, claims its credits, and
 * answers every dispute against it with the game library. Tests drive it tick by tick with `tick()`; `run()` loops.
 *
 * Everything it promises goes through the journal first (see journal.ts), keyed so that a restart can reconcile:
 *   r:<requestId>  "request" (to serve; carries the input), "claim" (claim announced), "commit" (commit announced,
 *                  with output and trace root)                     → done once committed, batched or dropped
 *   b:<firstId>:<n> "batch" (commitBatch announced, with its leaves) → done once mined (or found mined)
 *   s:r:<id>, s:b:<batchId>  "settle" (finalize / finalizeBatch owed after the window) → done once settled
 *   d:<disputeId>  "dispute" (a game against us to play)            → done once resolved
 *   "cursor" (keyless): the last block whose events were taken in.
 * On start, and on every tick for anything still open, an announced action is checked against the chain before it
 * is (re)sent: a commit is re-sent only while the request is still Assigned to us, so nothing is committed twice and
 * nothing announced is lost.
 */
import {
  AbiCoder,
  Interface,
  ZeroAddress,
  ZeroHash,
  getBytes,
  hexlify,
  keccak256,
  solidityPacked,
  toBeHex,
  zeroPadValue,
  type Log,
  type Signer,
} from "ethers";

import {
  DisputeManager__factory,
  InferenceManager__factory,
  ModelRegistry__factory,
  NodeRegistry__factory,
  type DisputeManager,
  type InferenceManager,
  type NodeRegistry,
} from "../../typechain-types";
import { DisputePlayer, Phase } from "../dispute/player";
import { honestView, tamperedView, type PartyView } from "../dispute/view";
import { VerityError } from "../errors";
import { bytesOf } from "../trace/trace";
import {
  InjectedCrash,
  claimAllCredits,
  errorMessage as message,
  isFatal,
  mapLimit,
  pickedByHash,
  runLoop,
} from "./common";
import { Journal, journalPath, type JournalRecord } from "./journal";
import { createLogger, type Logger } from "./log";
import { defaultResolver, type ProgramResolver } from "./resolver";
import { DEFAULT_RETRY, Rpc, type RetryPolicy } from "./rpc";
import { isVerifiedMode, type VerifiedSettler } from "./verified";

export { InjectedCrash };

/** The deployment's contract addresses the daemon talks to. */
export interface NodeAddresses {
  inferenceManager: string;
  disputeManager: string;
  nodeRegistry: string;
  modelRegistry: string;
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

export class NodeDaemonError extends VerityError {}

const STATUS = {
  None: 0,
  Open: 1,
  Assigned: 2,
  Committed: 3,
  Disputed: 4,
  Finalized: 5,
  Rejected: 6,
  Refunded: 7,
  Batched: 8,
};
const BATCH_STATUS = { None: 0, Committed: 1, Finalized: 2 };

export interface NodeMetrics {
  ticks: number;
  requestsSeen: number;
  claimed: number;
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
  rpcRetries: number;
  txSent: number;
  lastBlock: number;
}

const STAKE_ERRORS = new Interface(["error StakingInsufficientFreeStake(address node, uint256 free, uint256 needed)"]);

/** The free and needed stake of a `StakingInsufficientFreeStake` revert (raised by Staking, under the manager). */
export function insufficientStake(e: unknown): { free: bigint; needed: bigint } | null {
  const err = e as { data?: unknown; info?: { error?: { data?: unknown } }; message?: string };
  for (const data of [err?.data, err?.info?.error?.data]) {
    if (typeof data !== "string") continue;
    try {
      const parsed = STAKE_ERRORS.parseError(data);
      if (parsed) return { free: parsed.args[1] as bigint, needed: parsed.args[2] as bigint };
    } catch {
      // not this error
    }
  }
  const m = /StakingInsufficientFreeStake\("?0x[0-9a-fA-F]{40}"?, (\d+), (\d+)\)/.exec(err?.message ?? "");
  return m ? { free: BigInt(m[1]), needed: BigInt(m[2]) } : null;
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
    rpcRetries: 0,
    txSent: 0,
    lastBlock: 0,
  };
  lastTickAt = 0;

  private readonly rpc: Rpc;
  private readonly resolver: ProgramResolver;
  private readonly batchThreshold: number;
  private readonly maxBatchSize: number;
  private readonly maxBlockRange: number;
  private readonly claimEvery: number;
  private readonly hooks: NodeHooks;
  private address = "";
  private journal: Journal | null = null;
  private versions: bigint[] = [];
  private readonly views = new Map<string, PartyView>();
  private stopping = false;
  /** Leaves per batch that the free stake allows (lowered on StakingInsufficientFreeStake, reset on settlement). */
  private batchCap = Number.MAX_SAFE_INTEGER;
  /** Settlement key → the window end last read from the chain (settlements are not re-checked before it). */
  private readonly notBefore = new Map<string, bigint>();

  constructor(readonly opts: NodeDaemonOptions) {
    const { signer, addresses } = opts;
    this.inference = InferenceManager__factory.connect(addresses.inferenceManager, signer);
    this.disputes = DisputeManager__factory.connect(addresses.disputeManager, signer);
    this.registry = NodeRegistry__factory.connect(addresses.nodeRegistry, signer);
    this.log = opts.log ?? createLogger();
    this.rpc = new Rpc(signer, this.log, opts.retry ?? DEFAULT_RETRY, opts.confirmations ?? 1);
    const models = ModelRegistry__factory.connect(addresses.modelRegistry, signer);
    this.resolver = opts.resolver ?? defaultResolver({ getVersion: (id) => models.getVersion(id) });
    this.batchThreshold = opts.batchThreshold ?? 8;
    this.maxBatchSize = Math.min(opts.maxBatchSize ?? 256, 1024);
    this.maxBlockRange = opts.maxBlockRange ?? 2000;
    this.claimEvery = opts.claimEvery ?? 10;
    this.hooks = opts.hooks ?? {};
    if (opts.cheat) {
      const { fraction } = opts.cheat;
      if (!(fraction >= 0 && fraction <= 1)) throw new NodeDaemonError(`cheat fraction ${fraction} is not in [0, 1]`);
    }
  }

  /** Opens the journal and reconciles every open promise with the chain. Called by the first `tick()`. */
  async start(): Promise<void> {
    if (this.journal) return;
    this.address = await this.opts.signer.getAddress();
    const file = this.opts.journalFile ?? journalPath(this.address);
    this.journal = Journal.open(file, { warn: (m, f) => this.log.warn(m, f) });
    const open = this.journal.replay();
    this.log.info("node daemon starting", {
      node: this.address,
      journal: file,
      openActions: open.length,
      cursor: this.cursor(),
      cheat: this.opts.cheat ? `${this.opts.cheat.fraction} (seed ${this.opts.cheat.seed})` : undefined,
    });
    if (this.opts.cheat && this.opts.cheat.fraction > 0) {
      this.log.warn("CHEATING ENABLED: this node will commit tampered results (tests and demos only)", {
        fraction: this.opts.cheat.fraction,
      });
    }
    await this.rpc.resyncNonce();
    await this.reconcile();
  }

  /** One round: take in new events, claim, execute and commit, settle, play disputes, claim credits. */
  async tick(): Promise<void> {
    await this.start();
    this.metrics.ticks++;
    await this.refreshVersions();
    await this.scan();
    await this.reconcile();
    // Disputes first (their clocks are the only hard deadlines), then settlements (which free stake for new
    // collateral), then new commitments.
    await this.playDisputes();
    await this.settle();
    await this.serve();
    if (this.claimEvery > 0 && this.metrics.ticks % this.claimEvery === 0) await this.claimCredits();
    if (this.journal!.all().length > 20_000) this.journal!.compact();
    this.metrics.rpcRetries = this.rpc.retries;
    this.metrics.txSent = this.rpc.txSent;
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
    this.journal?.close();
    this.journal = null;
    this.log.info("node daemon stopped", { node: this.address });
  }

  health(): { ok: boolean; node: string; lastTickAt: number; lastBlock: number } {
    return {
      ok: this.journal !== null,
      node: this.address,
      lastTickAt: this.lastTickAt,
      lastBlock: this.metrics.lastBlock,
    };
  }

  /** Claims this node's credits on both managers (fees and dispute winnings). */
  async claimCredits(): Promise<bigint> {
    const { total, claims } = await claimAllCredits(
      this.rpc,
      this.address,
      [
        ["inference", this.inference],
        ["disputes", this.disputes],
      ],
      this.log,
    );
    this.metrics.creditsClaimed += claims;
    return total;
  }

  // -- Taking in events --

  private cursor(): number {
    const c = this.journal?.last("cursor");
    return c ? Number(c.block) : (this.opts.startBlock ?? 0) - 1;
  }

  private async refreshVersions(): Promise<void> {
    if (this.versions.length > 0 && this.metrics.ticks % 10 !== 1) return;
    const node = await this.rpc.call("getNode", () => this.registry.getNode(this.address));
    this.versions = [...node.servedVersions];
  }

  private async scan(): Promise<void> {
    const provider = this.opts.signer.provider!;
    const latest = await this.rpc.call("getBlockNumber", () => provider.getBlockNumber());
    const from = this.cursor() + 1;
    if (from > latest) return;
    // With n confirmations, events are taken in once n blocks deep (the latest block counts as one).
    const safe = latest - ((this.opts.confirmations ?? 1) - 1);
    if (from > safe) return;
    const to = Math.min(safe, from + this.maxBlockRange - 1);
    const journal = this.journal!;
    {
      const topic = this.inference.interface.getEvent("InferenceRequested").topicHash;
      const logs: Log[] = await this.rpc.call("getLogs(InferenceRequested)", () =>
        provider.getLogs({
          address: this.opts.addresses.inferenceManager,
          fromBlock: from,
          toBlock: to,
          topics: [topic],
        }),
      );
      for (const log of logs) {
        const ev = this.inference.interface.parseLog(log)!;
        const requestId = ev.args.requestId as bigint;
        const node = (ev.args.node as string).toLowerCase();
        const key = `r:${requestId}`;
        if (node !== this.address.toLowerCase() && node !== ZeroAddress) continue;
        // Requests assigned to us are ours whatever the version (the contract checked eligibility); open ones only
        // for the versions we serve.
        if (node === ZeroAddress && !this.versions.includes(ev.args.versionId as bigint)) continue;
        if (journal.has(key)) continue;
        const mode = Number(ev.args.mode);
        if (!this.canServe(mode)) {
          if (node !== ZeroAddress)
            this.log.warn("request in a mode this node does not serve; left unserved", { requestId, mode });
          continue;
        }
        this.metrics.requestsSeen++;
        journal.append({
          t: node === ZeroAddress ? "claim" : "request",
          key,
          requestId: requestId.toString(),
          versionId: (ev.args.versionId as bigint).toString(),
          input: ev.args.input as string,
          block: log.blockNumber,
        });
      }
    }
    const disputeTopic = this.disputes.interface.getEvent("DisputeOpened").topicHash;
    const dlogs: Log[] = await this.rpc.call("getLogs(DisputeOpened)", () =>
      provider.getLogs({
        address: this.opts.addresses.disputeManager,
        fromBlock: from,
        toBlock: to,
        topics: [disputeTopic],
      }),
    );
    for (const log of dlogs) {
      const ev = this.disputes.interface.parseLog(log)!;
      if ((ev.args.node as string).toLowerCase() !== this.address.toLowerCase()) continue;
      const key = `d:${ev.args.disputeId}`;
      if (journal.has(key)) continue;
      this.metrics.disputes++;
      journal.append({
        t: "dispute",
        key,
        disputeId: ev.args.disputeId.toString(),
        requestId: ev.args.requestId.toString(),
      });
      this.log.warn("dispute opened against us", {
        disputeId: ev.args.disputeId,
        requestId: ev.args.requestId,
        challenger: ev.args.challenger,
      });
    }
    journal.append({ t: "cursor", block: to });
    this.metrics.lastBlock = to;
  }

  // -- Reconciliation: announced actions against the chain --

  private async reconcile(): Promise<void> {
    const journal = this.journal!;
    for (const r of journal.replay()) {
      try {
        if (r.t === "claim") await this.reconcileClaim(r);
        else if (r.t === "commit") await this.reconcileCommit(r);
        else if (r.t === "batch") await this.reconcileBatch(r);
      } catch (e) {
        if (isFatal(e)) throw e;
        this.log.error("reconciling an announced action failed; will retry", { key: r.key, error: message(e) });
      }
    }
  }

  private async reconcileClaim(r: JournalRecord): Promise<void> {
    const id = BigInt(r.requestId as string);
    const req = await this.rpc.call("getRequest", () => this.inference.getRequest(id));
    const mine = req.node.toLowerCase() === this.address.toLowerCase();
    if (Number(req.status) === STATUS.Open) {
      this.hooks.afterJournal?.(r);
      try {
        await this.rpc.send(`claim(${id})`, (o) => this.inference.claim(id, o));
      } catch (e) {
        if (isFatal(e)) throw e;
        this.journal!.complete(r.key!, { dropped: `claim failed: ${message(e)}` });
        this.log.info("open request not claimed", { requestId: id, error: message(e) });
        return;
      }
      this.hooks.afterSend?.(`claim(${id})`);
      this.metrics.claimed++;
      this.log.info("request claimed", { requestId: id });
      this.journal!.append({ ...r, t: "request" });
    } else if (mine && Number(req.status) === STATUS.Assigned) {
      this.journal!.append({ ...r, t: "request" });
    } else {
      this.journal!.complete(r.key!, { dropped: `status ${req.status}, node ${req.node}` });
    }
  }

  /** A commit was announced: done if the chain has it, re-sent while the request is still ours to commit. */
  private async reconcileCommit(r: JournalRecord): Promise<void> {
    const id = BigInt(r.requestId as string);
    const status = Number(await this.rpc.call("statusOf", () => this.inference.statusOf(id)));
    if (status === STATUS.Assigned) {
      try {
        await this.sendCommit(r);
      } catch (e) {
        if (isFatal(e)) throw e;
        // A revert after the serving deadline is final (the request awaits its refund); anything else is retried.
        const req = await this.rpc.call("getRequest", () => this.inference.getRequest(id));
        const provider = this.opts.signer.provider!;
        const now = (await this.rpc.call("getBlock", () => provider.getBlock("latest")))!.timestamp;
        if (BigInt(now) > req.deadline) {
          this.journal!.complete(r.key!, { dropped: `deadline passed: ${message(e)}` });
          this.log.error("commit dropped: the serving deadline passed", { requestId: id, error: message(e) });
          return;
        }
        throw e;
      }
    } else if (status === STATUS.None || status === STATUS.Open || status === STATUS.Refunded) {
      this.journal!.complete(r.key!, { dropped: `status ${status}` });
    } else {
      // Committed (by us, before a crash), or further along: make sure it gets settled (a verified result is
      // final once mined).
      const req = await this.rpc.call("getRequest", () => this.inference.getRequest(id));
      const verified = isVerifiedMode(Number(req.mode));
      if (req.node.toLowerCase() === this.address.toLowerCase() && status !== STATUS.Batched && !verified) {
        this.ensureSettle(`s:r:${id}`, {
          t: "settle",
          requestId: id.toString(),
          output: r.output,
          traceRoot: r.traceRoot,
          callback: req.callback !== ZeroAddress,
          block: r.block,
        });
      }
      this.journal!.complete(r.key!, { found: `status ${status}` });
    }
  }

  private async reconcileBatch(r: JournalRecord): Promise<void> {
    const ids = (r.requestIds as string[]).map(BigInt);
    const status = Number(await this.rpc.call("statusOf", () => this.inference.statusOf(ids[0])));
    if (status === STATUS.Assigned) {
      // Not mined: the leaves are still "request" records and the next serve() batches them again.
      this.journal!.complete(r.key!, { dropped: "not mined; leaves re-queued" });
      return;
    }
    const batchId = await this.findBatch(ids, Number(r.fromBlock ?? 0));
    if (batchId === null) {
      this.journal!.complete(r.key!, { dropped: `first leaf has status ${status} and no batch of ours holds it` });
      return;
    }
    await this.recordBatch(r, batchId);
  }

  private async findBatch(ids: bigint[], fromBlock: number): Promise<bigint | null> {
    const idsHash = keccak256(solidityPacked(Array(ids.length).fill("uint256"), ids));
    const provider = this.opts.signer.provider!;
    const latest = await this.rpc.call("getBlockNumber", () => provider.getBlockNumber());
    const topic = this.inference.interface.getEvent("BatchCommitted").topicHash;
    for (let from = fromBlock; from <= latest; from += this.maxBlockRange) {
      const logs = await this.rpc.call("getLogs(BatchCommitted)", () =>
        provider.getLogs({
          address: this.opts.addresses.inferenceManager,
          fromBlock: from,
          toBlock: Math.min(latest, from + this.maxBlockRange - 1),
          topics: [topic, null, zeroPadValue(this.address, 32)],
        }),
      );
      for (const log of logs) {
        const batchId = this.inference.interface.parseLog(log)!.args.batchId as bigint;
        const b = await this.rpc.call("getBatch", () => this.inference.getBatch(batchId));
        if (b.idsHash.toLowerCase() === idsHash.toLowerCase()) return batchId;
      }
    }
    return null;
  }

  private ensureSettle(key: string, record: { t: string; [field: string]: unknown }): void {
    const j = this.journal!;
    if (j.has(key)) return;
    j.append({ ...record, key });
  }

  // -- Serving: execute and commit --

  private shouldCheat(requestId: bigint): boolean {
    const c = this.opts.cheat;
    return c !== undefined && pickedByHash(c.seed, requestId, c.fraction);
  }

  /** This node's view of request `requestId` (tampered, deterministically, when it cheats on it). */
  async viewOf(requestId: bigint, versionId: bigint, input: string): Promise<PartyView> {
    const key = requestId.toString();
    const hit = this.views.get(key);
    if (hit) return hit;
    const { program, weights } = await this.resolver(versionId);
    const s0 = new Int8Array(getBytes(input).slice().buffer);
    let view = honestView(program, s0, weights);
    if (this.shouldCheat(requestId)) {
      const h = BigInt(
        keccak256(
          AbiCoder.defaultAbiCoder().encode(
            ["string", "uint256", "string"],
            [this.opts.cheat!.seed, requestId, "where"],
          ),
        ),
      );
      const L = program.layers.length;
      const step = 1 + Number(h % BigInt(L));
      const byteIndex = Number((h >> 64n) % BigInt(view.states[step].length));
      view = tamperedView(view, step, byteIndex, { delta: 1 + Number((h >> 128n) % 100n) });
    }
    this.views.set(key, view);
    return view;
  }

  private async serve(): Promise<void> {
    const journal = this.journal!;
    const pending = journal.replay().filter((r) => r.t === "request");
    if (pending.length === 0) return;
    const work: { r: JournalRecord; id: bigint; view: PartyView; callback: boolean; mode: number }[] = [];
    // The requests' current state, fetched a few at a time (one round trip each over JSON-RPC).
    const states = await mapLimit(pending, 16, async (r) => {
      const id = BigInt(r.requestId as string);
      try {
        return await this.rpc.call("getRequest", () => this.inference.getRequest(id));
      } catch (e) {
        if (isFatal(e)) throw e;
        this.log.error("cannot read request", { requestId: id, error: message(e) });
        return null;
      }
    });
    for (const [i, r] of pending.entries()) {
      const id = BigInt(r.requestId as string);
      const req = states[i];
      if (req === null) continue;
      try {
        const status = Number(req.status);
        if (status !== STATUS.Assigned || req.node.toLowerCase() !== this.address.toLowerCase()) {
          journal.complete(r.key!, { dropped: `status ${status}` });
          continue;
        }
        const view = await this.viewOf(id, BigInt(r.versionId as string), r.input as string);
        work.push({ r, id, view, callback: req.callback !== ZeroAddress, mode: Number(req.mode) });
      } catch (e) {
        if (isFatal(e)) throw e;
        this.log.error("cannot serve request", { requestId: id, error: message(e) });
      }
    }
    // Batches hold OPTIMISTIC and NONE results without callbacks; verified modes settle one by one, at once.
    const batchable = work.filter((w) => !w.callback && !isVerifiedMode(w.mode)).sort((a, b) => (a.id < b.id ? -1 : 1));
    const singles = work.length > this.batchThreshold ? work.filter((w) => w.callback || isVerifiedMode(w.mode)) : work;
    if (work.length > this.batchThreshold) {
      let rest = batchable;
      while (rest.length > 0) {
        const chunk = rest.slice(0, Math.min(this.maxBatchSize, this.batchCap));
        if (chunk.length === 1) {
          singles.push(chunk[0]);
          rest = rest.slice(1);
          continue;
        }
        const outcome = await this.commitBatch(chunk);
        if (outcome === "smaller") continue; // the cap was lowered: try again with fewer leaves
        if (outcome === "failed") break;
        rest = rest.slice(chunk.length);
      }
    }
    for (const w of singles) {
      const L = w.view.program.layers.length;
      const output = hexlify(bytesOf(w.view.states[L]));
      const verified = isVerifiedMode(w.mode);
      const record: JournalRecord = {
        ...w.r,
        t: "commit",
        // a verified settlement may need the input again after a restart (a ZK proof's public signals)
        input: verified ? w.r.input : undefined,
        outputHash: keccak256(output),
        traceRoot: w.view.trace.traceRoot,
        output,
        callback: w.callback,
        mode: w.mode,
      };
      journal.append(record);
      this.hooks.afterJournal?.(record);
      try {
        await this.sendCommit(record);
      } catch (e) {
        if (isFatal(e)) throw e;
        this.log.error("commit failed; will reconcile", { requestId: w.id, error: message(e) });
      }
    }
  }

  private async sendCommit(r: JournalRecord): Promise<void> {
    if (isVerifiedMode(Number(r.mode ?? 0))) return this.sendVerified(r);
    const id = BigInt(r.requestId as string);
    const cheated = this.shouldCheat(id);
    const receipt = await this.rpc.send(`commit(${id})`, (o) =>
      this.inference.commit(id, r.output as string, r.traceRoot as string, o),
    );
    this.hooks.afterSend?.(`commit(${id})`);
    this.metrics.committed++;
    if (cheated) this.metrics.cheated++;
    this.ensureSettle(`s:r:${id}`, {
      t: "settle",
      requestId: id.toString(),
      output: r.output,
      traceRoot: r.traceRoot,
      callback: r.callback,
      block: r.block,
    });
    this.journal!.complete(r.key!, { tx: receipt.hash });
    (cheated ? this.log.warn : this.log.info)(cheated ? "CHEAT: committed a tampered result" : "result committed", {
      requestId: id,
      outputHash: r.outputHash,
      gas: receipt.gasUsed,
    });
  }

  /** A verified-mode result: the mode's settler sends it with its evidence; final once mined. */
  private async sendVerified(r: JournalRecord): Promise<void> {
    const id = BigInt(r.requestId as string);
    const mode = Number(r.mode);
    const settler = this.opts.verifiedSettlers?.get(mode);
    if (!settler) {
      this.journal!.complete(r.key!, { dropped: `no settler for mode ${mode}` });
      this.log.error("verified result dropped: no settler for its mode", { requestId: id, mode });
      return;
    }
    const versionId = BigInt(r.versionId as string);
    const view = await this.viewOf(id, versionId, r.input as string);
    const result = {
      requestId: id,
      versionId,
      input: r.input as string,
      output: r.output as string,
      traceRoot: r.traceRoot as string,
      view,
    };
    const receipt = await this.rpc.send(`${settler.name}.settle(${id})`, (o) => settler.settle(result, o));
    this.hooks.afterSend?.(`${settler.name}.settle(${id})`);
    this.metrics.committed++;
    this.metrics.finalized++;
    this.journal!.complete(r.key!, { tx: receipt.hash, final: true });
    this.views.delete(id.toString());
    this.log.info(`result settled in ${settler.name} mode, final at once`, { requestId: id, gas: receipt.gasUsed });
  }

  /** NONE and OPTIMISTIC always; a verified mode when a settler for it was given. */
  private canServe(mode: number): boolean {
    return !isVerifiedMode(mode) || (this.opts.verifiedSettlers?.has(mode) ?? false);
  }

  private async commitBatch(
    chunk: { r: JournalRecord; id: bigint; view: PartyView }[],
  ): Promise<"ok" | "smaller" | "failed"> {
    const journal = this.journal!;
    const ids = chunk.map((w) => w.id);
    const outputHashes = chunk.map((w) => keccak256(bytesOf(w.view.states[w.view.program.layers.length])));
    const traceRoots = chunk.map((w) => w.view.trace.traceRoot);
    const provider = this.opts.signer.provider!;
    const record: JournalRecord = {
      t: "batch",
      key: `b:${ids[0]}:${ids.length}`,
      requestIds: ids.map(String),
      outputHashes,
      traceRoots,
      blocks: chunk.map((w) => w.r.block),
      fromBlock: await this.rpc.call("getBlockNumber", () => provider.getBlockNumber()),
    };
    journal.append(record);
    this.hooks.afterJournal?.(record);
    let batchId: bigint;
    try {
      const receipt = await this.rpc.send(`commitBatch(${ids.length})`, (o) =>
        this.inference.commitBatch(ids, outputHashes, traceRoots, o),
      );
      this.hooks.afterSend?.(`commitBatch(${ids.length})`);
      const ev = receipt.logs
        .map((l) => this.inference.interface.parseLog(l))
        .find((p) => p?.name === "BatchCommitted");
      batchId = ev!.args.batchId as bigint;
      this.log.info("batch committed", {
        batchId,
        count: ids.length,
        gas: receipt.gasUsed,
        gasPerLeaf: receipt.gasUsed / BigInt(ids.length),
      });
    } catch (e) {
      if (isFatal(e)) throw e;
      const short = insufficientStake(e);
      if (short) {
        // Not enough free stake for this batch's collateral: the transaction was refused at estimation, so nothing
        // was sent. Shrink the batch to what the free stake covers (until a settlement frees more).
        const { free, needed } = short;
        const cap = Number((BigInt(ids.length) * free) / needed);
        journal.complete(record.key!, { dropped: "insufficient free stake" });
        this.log.warn("batch exceeds the free stake; shrinking it", { count: ids.length, free, needed, newCap: cap });
        if (cap < 2) {
          // No room now: leave the requests queued (a batch can still take them after their deadline) until a
          // settlement frees stake.
          this.batchCap = 2;
          return "failed";
        }
        this.batchCap = cap;
        return "smaller";
      }
      this.log.error("commitBatch failed; will reconcile", { count: ids.length, error: message(e) });
      return "failed";
    }
    await this.recordBatch(record, batchId);
    return "ok";
  }

  /** A batch is on-chain: owe its settlement, and close its leaves and its announcement. */
  private async recordBatch(r: JournalRecord, batchId: bigint): Promise<void> {
    const ids = r.requestIds as string[];
    this.metrics.batches++;
    this.metrics.batchedRequests += ids.length;
    for (const id of ids) if (this.shouldCheat(BigInt(id))) this.metrics.cheated++;
    this.ensureSettle(`s:b:${batchId}`, {
      t: "settle",
      batchId: batchId.toString(),
      requestIds: ids,
      outputHashes: r.outputHashes,
      traceRoots: r.traceRoots,
      blocks: r.blocks,
    });
    for (const id of ids)
      if (!this.journal!.isComplete(`r:${id}`)) this.journal!.complete(`r:${id}`, { batchId: batchId.toString() });
    this.journal!.complete(r.key!, { batchId: batchId.toString() });
  }

  // -- Settlement --

  private async settle(): Promise<void> {
    const journal = this.journal!;
    const open = journal.replay().filter((r) => r.t === "settle");
    if (open.length === 0) return;
    const provider = this.opts.signer.provider!;
    const block = await this.rpc.call("getBlock", () => provider.getBlock("latest"));
    const now = BigInt(block!.timestamp);
    for (const r of open) {
      // Known to be inside its window: no need to ask the chain again before the window ends.
      if ((this.notBefore.get(r.key!) ?? 0n) > now) continue;
      try {
        if (r.batchId !== undefined) await this.settleBatch(r, now);
        else await this.settleRequest(r, now);
      } catch (e) {
        if (isFatal(e)) throw e;
        this.log.error("settlement failed; will retry", { key: r.key, error: message(e) });
      }
    }
  }

  private async settleRequest(r: JournalRecord, now: bigint): Promise<void> {
    const id = BigInt(r.requestId as string);
    const req = await this.rpc.call("getRequest", () => this.inference.getRequest(id));
    const status = Number(req.status);
    if (status === STATUS.Finalized || status === STATUS.Rejected) {
      this.journal!.complete(r.key!, { status });
      this.views.delete(id.toString());
      return;
    }
    if (status === STATUS.Committed && req.windowEnd > now) this.notBefore.set(r.key!, req.windowEnd);
    if (status !== STATUS.Committed || req.windowEnd > now) return;
    const withCallback = req.callback !== ZeroAddress;
    await this.rpc.send(`finalize(${id})`, (o) =>
      withCallback
        ? this.inference.finalize(id, r.output as string, r.traceRoot as string, o)
        : this.inference.finalize(id, "0x", ZeroHash, o),
    );
    this.hooks.afterSend?.(`finalize(${id})`);
    this.metrics.finalized++;
    this.batchCap = Number.MAX_SAFE_INTEGER;
    this.journal!.complete(r.key!, { status: STATUS.Finalized });
    this.views.delete(id.toString());
    this.log.info("request finalized", { requestId: id, fee: req.fee });
  }

  private async settleBatch(r: JournalRecord, now: bigint): Promise<void> {
    const batchId = BigInt(r.batchId as string);
    const b = await this.rpc.call("getBatch", () => this.inference.getBatch(batchId));
    if (Number(b.status) === BATCH_STATUS.Finalized) {
      this.journal!.complete(r.key!, { status: "finalized" });
      return;
    }
    if (Number(b.status) === BATCH_STATUS.Committed && b.windowEnd > now) this.notBefore.set(r.key!, b.windowEnd);
    if (Number(b.status) !== BATCH_STATUS.Committed || b.windowEnd > now) return;
    const ids = (r.requestIds as string[]).map(BigInt);
    await this.rpc.send(`finalizeBatch(${batchId})`, (o) => this.inference.finalizeBatch(batchId, ids, o));
    this.hooks.afterSend?.(`finalizeBatch(${batchId})`);
    this.metrics.batchesFinalized++;
    this.batchCap = Number.MAX_SAFE_INTEGER;
    this.journal!.complete(r.key!, { status: "finalized" });
    for (const id of ids) this.views.delete(id.toString());
    this.log.info("batch finalized", { batchId, count: ids.length, paid: b.feeRemaining });
  }

  // -- Disputes --

  /** The input of `requestId`, from the journal or else from its InferenceRequested event. */
  private async inputOf(requestId: bigint): Promise<{ versionId: bigint; input: string }> {
    const provider = this.opts.signer.provider!;
    let block: number | undefined;
    for (const r of this.journal!.all()) {
      if (r.requestId === requestId.toString() && typeof r.input === "string" && r.versionId !== undefined) {
        return { versionId: BigInt(r.versionId as string), input: r.input };
      }
      if (r.requestId === requestId.toString() && typeof r.block === "number") block = r.block;
      if (Array.isArray(r.requestIds)) {
        const i = (r.requestIds as string[]).indexOf(requestId.toString());
        if (i >= 0 && Array.isArray(r.blocks)) block = r.blocks[i] as number;
      }
    }
    const topic = this.inference.interface.getEvent("InferenceRequested").topicHash;
    const latest = await this.rpc.call("getBlockNumber", () => provider.getBlockNumber());
    const ranges: [number, number][] = block !== undefined ? [[block, block]] : [];
    if (block === undefined) {
      for (let to = latest; to >= 0; to -= this.maxBlockRange)
        ranges.push([Math.max(0, to - this.maxBlockRange + 1), to]);
    }
    for (const [fromBlock, toBlock] of ranges) {
      const logs = await this.rpc.call("getLogs(InferenceRequested)", () =>
        provider.getLogs({
          address: this.opts.addresses.inferenceManager,
          fromBlock,
          toBlock,
          topics: [topic, zeroPadValue(toBeHex(requestId), 32)],
        }),
      );
      if (logs.length > 0) {
        const ev = this.inference.interface.parseLog(logs[0])!;
        return { versionId: ev.args.versionId as bigint, input: ev.args.input as string };
      }
    }
    throw new NodeDaemonError(`cannot find the input of request ${requestId} on-chain`);
  }

  private async playDisputes(): Promise<void> {
    const open = this.journal!.replay().filter((r) => r.t === "dispute");
    for (const r of open) {
      const disputeId = BigInt(r.disputeId as string);
      const requestId = BigInt(r.requestId as string);
      try {
        const { versionId, input } = await this.inputOf(requestId);
        const view = await this.viewOf(requestId, versionId, input);
        const player = new DisputePlayer("node", view, this.disputes);
        // A game needs a few moves from us; play every move we owe now (the challenger moves in between).
        for (let i = 0; i < 4; i++) {
          const d = await this.rpc.call("getDispute", () => this.disputes.getDispute(disputeId));
          if (Number(d.phase) === Phase.Resolved) {
            const won = Number(d.outcome) === 2;
            if (won) this.metrics.disputesWon++;
            else this.metrics.disputesLost++;
            (won ? this.log.info : this.log.error)(won ? "dispute won" : "dispute lost: slashed", {
              disputeId,
              requestId,
            });
            // A request that survives stands as an individual commitment (also a proven batch leaf): settle it.
            if (won) {
              const L = view.program.layers.length;
              this.ensureSettle(`s:r:${requestId}`, {
                t: "settle",
                requestId: requestId.toString(),
                output: hexlify(bytesOf(view.states[L])),
                traceRoot: view.trace.traceRoot,
              });
            }
            this.journal!.complete(r.key!, { outcome: Number(d.outcome) });
            break;
          }
          const move = await this.rpc.call("nextMove", () => player.nextMove(disputeId));
          if (!move) break;
          await this.rpc.send(`${move.name} (dispute ${disputeId})`, () => move.send());
          this.metrics.movesPlayed++;
          this.log.info("dispute move played", { disputeId, requestId, move: move.name });
        }
      } catch (e) {
        if (isFatal(e)) throw e;
        this.log.error("dispute move failed; will retry", { disputeId, requestId, error: message(e) });
      }
    }
  }
}
