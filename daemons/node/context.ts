/**
 * The state the node daemon's parts share: the contracts and the RPC wrapper, the journal, the metrics, and what
 * lives from one tick to the next (the versions served, the executions, the batch size the free stake allows, the
 * settlement windows). `NodeDaemon` (daemon.ts) owns one and hands it to each part: intake.ts, serving.ts,
 * batching.ts, settlement.ts, reconcile.ts and disputes.ts, which are plain functions of it.
 */
import type { DisputeManager, InferenceManager, NodeRegistry, RedundantManager } from "../../typechain-types";
import type { PartyView } from "../../game/view";
import { VerityError } from "../../executor/errors";
import type { NodeDaemonOptions, NodeHooks, NodeMetrics } from "./options";
import type { Journal } from "../kit/journal";
import type { Logger } from "../kit/log";
import type { ProgramResolver } from "../../protocol/resolver";
import type { Rpc } from "../kit/rpc";

export class NodeDaemonError extends VerityError {}

export interface NodeContext {
  readonly opts: NodeDaemonOptions;
  readonly inference: InferenceManager;
  readonly disputes: DisputeManager;
  readonly registry: NodeRegistry;
  /** The RedundantManager, when the deployment has one (redundant.ts). */
  readonly redundant: RedundantManager | null;
  readonly rpc: Rpc;
  readonly log: Logger;
  readonly metrics: NodeMetrics;
  readonly hooks: NodeHooks;
  readonly resolver: ProgramResolver;
  /** More than this many results to commit in one tick are committed with `commitBatch`. */
  readonly batchThreshold: number;
  /** An open request is claimed only if the claim leaves at least this many seconds to serve it. */
  readonly minServeSeconds: number;
  /** Leaves per batch at most. */
  readonly maxBatchSize: number;
  /** Blocks per `getLogs` call at most. */
  readonly maxBlockRange: number;
  /** The node's account; set by `start()`. */
  address: string;
  /** Open from `start()` to `close()`; the parts run only in between. */
  journal: Journal | null;
  /** The model versions the node is registered for (refreshed every 10 ticks). */
  versions: bigint[];
  /** Request id → this node's execution of it (tampered when it cheats on it); dropped once settled. */
  readonly views: Map<string, PartyView>;
  /** Leaves per batch that the free stake allows (lowered on StakingInsufficientFreeStake, reset on settlement). */
  batchCap: number;
  /**
   * Record key → a chain time before which it is not re-checked: a settlement's window end, or the serve deadline
   * of another node's claim on a request the node waits to claim.
   */
  readonly notBefore: Map<string, bigint>;
}
