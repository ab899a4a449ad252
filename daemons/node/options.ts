/**
 * What the node daemon is configured with (its options, the deployment's addresses, how it executes a request, the
 * test hooks) and what it counts (its metrics). Types and the metrics' initial values only: the context
 * (context.ts), the parts and the daemon (daemon.ts) build on this module, and it imports none of them.
 */
import type { GenerationView } from "../../game/generation";
import type { PartyView } from "../../game/view";
import type { GenerationTerms } from "../../executor/generate";
import type { Program } from "../../executor/runtime/program";
import type { WeightsCommitment } from "../../executor/trace/weights";
import { serviceMetrics, type ServiceHooks, type ServiceMetrics, type ServiceOptions } from "../kit/state";
import type { ProgramResolver } from "../../protocol/resolver";
import type { VerifiedSettler } from "../../modes/verified";

/** The deployment's contract addresses the daemon talks to. */
export interface NodeAddresses {
  inferenceManager: string;
  disputeManager: string;
  nodeRegistry: string;
  modelRegistry: string;
  /** The RedundantManager: when given, the node also serves redundant requests and plays their games. */
  redundantManager?: string;
}

/** The manager a request belongs to: the InferenceManager or the RedundantManager (their request ids overlap). */
export type RequestKind = "inference" | "redundant";

/** What the node knows of a request when it executes it: its manager and id, the version's program, the input. */
export interface ViewRequest {
  readonly kind: RequestKind;
  readonly requestId: bigint;
  readonly program: Program;
  readonly weights: WeightsCommitment;
  /** The quantized input S0. */
  readonly s0: Int8Array;
}

/**
 * How the node computes its view of a request (the states and trace it commits to and defends in a game). The
 * default is the honest reference execution (views.ts); tests and tools inject a double here. The view is computed
 * once per request and cached until the request is settled, and must be the same for the same request after a
 * restart (the node defends what it committed).
 */
export type ViewProvider = (request: ViewRequest) => PartyView;

/**
 * What the node knows of a generation request when it answers it: its manager and id (the id seeds a sampled
 * generation), the version's program and terms, the record.
 */
export interface GenerationViewRequest {
  readonly kind: RequestKind;
  readonly requestId: bigint;
  readonly program: Program;
  readonly weights: WeightsCommitment;
  readonly terms: GenerationTerms;
  /** The request record (docs/GENERATION.md §7). */
  readonly input: Uint8Array;
}

/**
 * How the node answers a generation request: the response record and pass roots it commits to and defends, pass by
 * pass, in a game. The default is the honest generation (daemons/node/views.ts `honestGenerations`); tests and tools
 * inject a double here. Computed once per request and cached until the request is settled; after a restart the
 * node rebuilds it from the request and, when it is journaled, the response it committed.
 */
export type GenerationProvider = (request: GenerationViewRequest) => GenerationView;

/** Points where a test can inject a crash (throw `InjectedCrash`) or observe the daemon. */
export type NodeHooks = ServiceHooks;

/** The kit's options (signer, journal, confirmations, block range, start block, credit claims, retries, log, hooks). */
export interface NodeDaemonOptions extends ServiceOptions {
  addresses: NodeAddresses;
  /** versionId → program; default: the demo models by artifact CID, or `.verity/store/<cid>`. */
  resolver?: ProgramResolver;
  /** More than this many results to commit in one tick are committed with `commitBatch` (default 8). */
  batchThreshold?: number;
  /** Leaves per batch (default 256; the contract allows 1024). */
  maxBatchSize?: number;
  /**
   * Claim an open request only if the claim's serve deadline (`min(deadline, now + serveTimeout)`) leaves at least
   * this many seconds to execute it and get the commitment mined (default 30). A claim locks fee × multiplier of
   * the stake, and one left uncommitted past its serve deadline can be reopened by anyone at the cost of one fee.
   */
  minServeSeconds?: number;
  /** Default: the honest reference execution. */
  viewProvider?: ViewProvider;
  /** Default: the honest generation (for the versions the ModelRegistry says are generation versions). */
  generationProvider?: GenerationProvider;
  /**
   * Settlers for the verified modes (TEE, ZK) this node serves, by mode. Requests in a verified mode without a
   * settler here are neither claimed nor served (an assigned one is left to be refunded after its deadline).
   */
  verifiedSettlers?: ReadonlyMap<number, VerifiedSettler>;
}

export interface NodeMetrics extends ServiceMetrics {
  requestsSeen: number;
  /**
   * Requests whose state the node read from the chain before serving them (claimed ones, and requests the contract
   * refused as batch leaves); a request whose node the requester chose is served on its event alone (serving.ts).
   */
  requestsRead: number;
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
  redundantSeen: number;
  redundantCommitted: number;
  games: number;
  gamesWon: number;
  gamesLost: number;
  gameMoves: number;
}

/** Every counter at zero. */
export function newNodeMetrics(): NodeMetrics {
  return {
    ...serviceMetrics(),
    requestsSeen: 0,
    requestsRead: 0,
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
    redundantSeen: 0,
    redundantCommitted: 0,
    games: 0,
    gamesWon: 0,
    gamesLost: 0,
    gameMoves: 0,
  };
}
