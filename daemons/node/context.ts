/**
 * The state the node daemon's parts share: the kit's (daemons/kit/state.ts: the RPC wrapper, the journal, the
 * metrics), the contracts, and what lives from one tick to the next (the versions served, the executions, the batch
 * size the free stake allows, the settlement windows). `NodeDaemon` (daemon.ts) owns one and hands it to each part:
 * intake.ts, serving.ts, batching.ts, settlement.ts, reconcile.ts, disputes.ts and redundant.ts, which are plain
 * functions of it.
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
  type RedundantManager,
} from "../../typechain-types";
import type { GenerationView } from "../../game/generation";
import type { PartyView } from "../../game/view";
import { VerityError } from "../../executor/errors";
import { termsReader, type TermsReader } from "../kit/generation";
import { serviceState, type ServiceState } from "../kit/state";
import { defaultResolver, type ProgramResolver } from "../../protocol/resolver";
import { newNodeMetrics, type NodeDaemonOptions, type NodeMetrics } from "./options";

export class NodeDaemonError extends VerityError {}

/** The kit's state (signer, RPC wrapper, log, metrics, hooks, scan settings, account, journal) and the node's. */
export interface NodeContext extends ServiceState<NodeMetrics> {
  readonly opts: NodeDaemonOptions;
  readonly inference: InferenceManager;
  readonly disputes: DisputeManager;
  readonly registry: NodeRegistry;
  /** The RedundantManager, when the deployment has one (redundant.ts). */
  readonly redundant: RedundantManager | null;
  readonly resolver: ProgramResolver;
  /** versionId → its generation terms, or null for an inference version (read once per version). */
  readonly terms: TermsReader;
  /** More than this many results to commit in one tick are committed with `commitBatch`. */
  readonly batchThreshold: number;
  /** An open request is claimed only if the claim leaves at least this many seconds to serve it. */
  readonly minServeSeconds: number;
  /** Leaves per batch at most. */
  readonly maxBatchSize: number;
  /** The model versions the node is registered for (refreshed every 10 ticks). */
  versions: bigint[];
  /** Request → this node's view of it (views.ts: from the `viewProvider`, honest by default); dropped once settled. */
  readonly views: Map<string, PartyView>;
  /** Generation request → this node's answer to it (views.ts: from the `generationProvider`); dropped once settled. */
  readonly generations: Map<string, GenerationView>;
  /** Leaves per batch that the free stake allows (lowered on StakingInsufficientFreeStake, reset on settlement). */
  batchCap: number;
  /**
   * Record key → a chain time before which it is not re-checked: a settlement's window end, or the serve deadline
   * of another node's claim on a request the node waits to claim.
   */
  readonly notBefore: Map<string, bigint>;
}

/** The context of a node daemon with options `opts`, before `start()`. */
export function nodeContext(opts: NodeDaemonOptions): NodeContext {
  const { signer, addresses } = opts;
  const models = ModelRegistry__factory.connect(addresses.modelRegistry, signer);
  return {
    ...serviceState(opts, newNodeMetrics()),
    opts,
    inference: InferenceManager__factory.connect(addresses.inferenceManager, signer),
    disputes: DisputeManager__factory.connect(addresses.disputeManager, signer),
    registry: NodeRegistry__factory.connect(addresses.nodeRegistry, signer),
    redundant: addresses.redundantManager
      ? RedundantManager__factory.connect(addresses.redundantManager, signer)
      : null,
    resolver: opts.resolver ?? defaultResolver({ getVersion: (id) => models.getVersion(id) }),
    terms: termsReader({ generationOf: (id) => models.generationOf(id) }),
    batchThreshold: opts.batchThreshold ?? 8,
    minServeSeconds: opts.minServeSeconds ?? 30,
    maxBatchSize: Math.min(opts.maxBatchSize ?? 256, 1024),
    versions: [],
    views: new Map<string, PartyView>(),
    generations: new Map<string, GenerationView>(),
    batchCap: Number.MAX_SAFE_INTEGER,
    notBefore: new Map<string, bigint>(),
  };
}
