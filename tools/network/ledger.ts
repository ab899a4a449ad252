/**
 * What the chain says happened to every request, rebuilt from the contracts' events alone (incrementally: each
 * `sync()` reads only the blocks since the last one). The live status table and the end-to-end test's assertions
 * both read it, so the test checks exactly what the operator sees.
 *
 * A request settles through exactly one of: `RequestFinalized`, `DisputeEnded(nodeWrong = true)` (Rejected),
 * `RequestRefunded`, or the `BatchFinalized` of the batch that holds it as a leaf (unless the leaf was proven out of
 * the batch with `BatchLeafProven`, after which it settles on its own). `settlements` counts them per request, so
 * "settled exactly once" is a check on that map. Batch leaves are read from the `commitBatch` calldata.
 */
import { decodeCommitBatch } from "../../daemons/kit/calldata";
import { decodeInferenceRequested, INFERENCE_REQUESTED_TOPIC } from "../../daemons/kit/events";
import { JsonRpcProvider, type Log } from "ethers";

import { DisputeManager__factory } from "../../typechain-types/factories/contracts/disputes/DisputeManager__factory";
import { InferenceManager__factory } from "../../typechain-types/factories/contracts/inference/InferenceManager__factory";
import type { NetworkAddresses } from "./deploy";

export type Settlement = "finalized" | "rejected" | "refunded";

export interface RequestRecord {
  id: bigint;
  node: string | null;
  fee: bigint;
  versionId: bigint;
  /** The request's input (S0), hex, from InferenceRequested. */
  input: string;
  requestedBlock: number;
  /** What the node committed: (outputHash, traceRoot), individually or as a batch leaf. */
  outputHash?: string;
  traceRoot?: string;
  committedBy?: string;
  committedBlock?: number;
  batchId?: bigint;
  /** Proven out of its batch (a dispute on a batch leaf starts this way). */
  proven?: boolean;
  disputes: number;
  settlements: Settlement[];
  settledBlock?: number;
}

export interface BatchRecord {
  id: bigint;
  node: string;
  ids: bigint[];
  fee: bigint;
  windowEnd: bigint;
  finalized: number;
  paid?: bigint;
}

export class ChainLedger {
  readonly requests = new Map<string, RequestRecord>();
  readonly batches = new Map<string, BatchRecord>();
  readonly disputesOpened = new Map<string, { requestId: bigint; challenger: string; node: string }>();
  readonly disputesResolved = new Map<string, { requestId: bigint; outcome: number }>();
  /** Fees credited per node by RequestFinalized and BatchFinalized. */
  readonly paid = new Map<string, bigint>();
  /** Credits claimed per account, from each manager's CreditsClaimed. */
  readonly claimed = { inference: new Map<string, bigint>(), disputes: new Map<string, bigint>() };
  lastBlock = -1;
  private readonly im = InferenceManager__factory.createInterface();
  private readonly dm = DisputeManager__factory.createInterface();

  constructor(
    readonly provider: JsonRpcProvider,
    readonly addresses: NetworkAddresses,
  ) {}

  private req(id: bigint): RequestRecord {
    let r = this.requests.get(id.toString());
    if (!r) {
      r = { id, node: null, fee: 0n, versionId: 0n, input: "0x", requestedBlock: -1, disputes: 0, settlements: [] };
      this.requests.set(id.toString(), r);
    }
    return r;
  }

  private settle(id: bigint, how: Settlement, block: number): void {
    const r = this.req(id);
    r.settlements.push(how);
    r.settledBlock = block;
  }

  private credit(node: string, amount: bigint): void {
    const k = node.toLowerCase();
    this.paid.set(k, (this.paid.get(k) ?? 0n) + amount);
  }

  private syncing: Promise<void> = Promise.resolve();

  /**
   * Takes in every event up to the latest block (at most `maxRange` blocks per getLogs call). Calls are queued, so
   * that two callers (the clock and the status loop) never take in the same blocks twice.
   */
  sync(maxRange = 5_000): Promise<void> {
    const next = this.syncing.then(() => this.syncNow(maxRange));
    this.syncing = next.catch(() => undefined);
    return next;
  }

  private async syncNow(maxRange: number): Promise<void> {
    const latest = await this.provider.getBlockNumber();
    for (let from = this.lastBlock + 1; from <= latest; from += maxRange) {
      const to = Math.min(latest, from + maxRange - 1);
      const logs: Log[] = await this.provider.getLogs({
        address: [this.addresses.inferenceManager, this.addresses.disputeManager],
        fromBlock: from,
        toBlock: to,
      });
      // The batches' calldata (their leaves) fetched together, before the logs are taken in order.
      const batchTopic = this.im.getEvent("BatchCommitted").topicHash.toLowerCase();
      const calls = new Map<string, Promise<string>>();
      for (const log of logs) {
        if (log.topics[0]?.toLowerCase() === batchTopic && !calls.has(log.transactionHash)) {
          const input = this.calldata(log.transactionHash);
          input.catch(() => undefined); // awaited by take(); a failure surfaces there
          calls.set(log.transactionHash, input);
        }
      }
      for (const log of logs) await this.take(log, calls);
      this.lastBlock = to;
    }
  }

  /**
   * The input of transaction `hash`, read raw: ethers' getTransaction re-serializes and hashes the transaction in
   * JavaScript (tens of milliseconds for a 200-leaf batch's 19 kB), and its ABI decoder took 40-300 ms more: together
   * they delayed the benchmark's view of a commit by up to 0.3 s.
   */
  private async calldata(hash: string): Promise<string> {
    const tx = (await this.provider.send("eth_getTransactionByHash", [hash])) as { input?: string } | null;
    if (typeof tx?.input !== "string") throw new Error(`ledger: transaction ${hash} not found`);
    return tx.input;
  }

  private async take(log: Log, calls: Map<string, Promise<string>>): Promise<void> {
    const fromIm = log.address.toLowerCase() === this.addresses.inferenceManager.toLowerCase();
    if (fromIm && log.topics[0]?.toLowerCase() === INFERENCE_REQUESTED_TOPIC) {
      // The bulk of the logs, each with its input: the fast decoder (ethers' parseLog costs milliseconds each).
      const e = decodeInferenceRequested(log);
      const r = this.req(e.requestId);
      r.fee = e.fee;
      r.versionId = e.versionId;
      r.input = e.input;
      r.requestedBlock = log.blockNumber;
      r.node = /^0x0+$/.test(e.node) ? null : e.node;
      return;
    }
    const ev = (fromIm ? this.im : this.dm).parseLog(log);
    if (!ev) return;
    const a = ev.args;
    switch (fromIm ? ev.name : `dm:${ev.name}`) {
      case "InferenceRequested": {
        const r = this.req(a.requestId as bigint);
        r.fee = a.fee as bigint;
        r.versionId = a.versionId as bigint;
        r.input = a.input as string;
        r.requestedBlock = log.blockNumber;
        const node = (a.node as string).toLowerCase();
        r.node = /^0x0+$/.test(node) ? null : node;
        break;
      }
      case "RequestClaimed":
        this.req(a.requestId as bigint).node = (a.node as string).toLowerCase();
        break;
      case "ResultCommitted": {
        const r = this.req(a.requestId as bigint);
        r.committedBy = (a.node as string).toLowerCase();
        r.committedBlock = log.blockNumber;
        r.outputHash = a.outputHash as string;
        r.traceRoot = a.traceRoot as string;
        break;
      }
      case "BatchCommitted": {
        const { ids, outputHashes, traceRoots } = decodeCommitBatch(
          await (calls.get(log.transactionHash) ?? this.calldata(log.transactionHash)),
        );
        const node = (a.node as string).toLowerCase();
        this.batches.set(String(a.batchId), {
          id: a.batchId as bigint,
          node,
          ids,
          fee: a.fee as bigint,
          windowEnd: a.windowEnd as bigint,
          finalized: 0,
        });
        for (const [i, id] of ids.entries()) {
          const r = this.req(id);
          r.outputHash = outputHashes[i];
          r.traceRoot = traceRoots[i];
          r.committedBy = node;
          r.committedBlock = log.blockNumber;
          r.batchId = a.batchId as bigint;
        }
        break;
      }
      case "BatchLeafProven":
        this.req(a.requestId as bigint).proven = true;
        break;
      case "BatchFinalized": {
        const b = this.batches.get(String(a.batchId));
        if (!b) throw new Error(`BatchFinalized for unknown batch ${a.batchId}`);
        b.finalized++;
        b.paid = a.paid as bigint;
        this.credit(a.node as string, a.paid as bigint);
        for (const id of b.ids) if (!this.req(id).proven) this.settle(id, "finalized", log.blockNumber);
        break;
      }
      case "RequestFinalized":
        this.settle(a.requestId as bigint, "finalized", log.blockNumber);
        this.credit(a.node as string, a.fee as bigint);
        break;
      case "RequestRefunded":
        this.settle(a.requestId as bigint, "refunded", log.blockNumber);
        break;
      case "DisputeBegun":
        this.req(a.requestId as bigint).disputes++;
        break;
      case "DisputeEnded":
        if (a.nodeWrong as boolean) this.settle(a.requestId as bigint, "rejected", log.blockNumber);
        break;
      case "CreditsClaimed":
      case "dm:CreditsClaimed": {
        const m = fromIm ? this.claimed.inference : this.claimed.disputes;
        const k = (a.account as string).toLowerCase();
        m.set(k, (m.get(k) ?? 0n) + (a.amount as bigint));
        break;
      }
      case "dm:DisputeOpened":
        this.disputesOpened.set(String(a.disputeId), {
          requestId: a.requestId as bigint,
          challenger: (a.challenger as string).toLowerCase(),
          node: (a.node as string).toLowerCase(),
        });
        break;
      case "dm:DisputeResolved":
        this.disputesResolved.set(String(a.disputeId), {
          requestId: a.requestId as bigint,
          outcome: Number(a.outcome),
        });
        break;
      default:
        break;
    }
  }

  /** Counts for the status table. */
  summary(): {
    requested: number;
    committed: number;
    settled: number;
    finalized: number;
    rejected: number;
    refunded: number;
    disputed: number;
    batches: number;
    disputesOpen: number;
  } {
    let committed = 0;
    let finalized = 0;
    let rejected = 0;
    let refunded = 0;
    let disputed = 0;
    let settled = 0;
    for (const r of this.requests.values()) {
      if (r.committedBy) committed++;
      if (r.disputes > 0) disputed++;
      if (r.settlements.length > 0) settled++;
      const last = r.settlements[0];
      if (last === "finalized") finalized++;
      else if (last === "rejected") rejected++;
      else if (last === "refunded") refunded++;
    }
    const requested = [...this.requests.values()].filter((r) => r.requestedBlock >= 0).length;
    return {
      requested,
      committed,
      settled,
      finalized,
      rejected,
      refunded,
      disputed,
      batches: this.batches.size,
      disputesOpen: this.disputesOpened.size - this.disputesResolved.size,
    };
  }

  /** Committed per node (individually or as batch leaves). */
  commitsByNode(): Map<string, number> {
    const out = new Map<string, number>();
    for (const r of this.requests.values())
      if (r.committedBy) out.set(r.committedBy, (out.get(r.committedBy) ?? 0) + 1);
    return out;
  }
}
