/**
 * What the challenger daemon is configured with (its options, the deployment's addresses, the test hooks) and what
 * it counts (its metrics). Types and the metrics' initial values only: the context (context.ts), the parts and the
 * daemon (daemon.ts) build on this module, and it imports none of them.
 */
import { VerityError } from "../../executor/errors";
import { serviceMetrics, type ServiceHooks, type ServiceMetrics, type ServiceOptions } from "../kit/state";
import type { ProgramResolver } from "../../protocol/resolver";

/** The deployment's contract addresses the challenger talks to. */
export interface ChallengerAddresses {
  inferenceManager: string;
  disputeManager: string;
  modelRegistry: string;
}

/**
 * Points where a test can inject a crash (throw `InjectedCrash`): `afterJournal` before the first transaction of a
 * journaled action (`proveBatchLeaf`, `openDispute`), `afterSend` after a transaction was mined.
 */
export type ChallengerHooks = ServiceHooks;

/** The kit's options (signer, journal, confirmations, block range, start block, credit claims, retries, log, hooks). */
export interface ChallengerDaemonOptions extends ServiceOptions {
  addresses: ChallengerAddresses;
  /** versionId → program; default: the demo models by artifact CID, or `.verity/store/<cid>`. */
  resolver?: ProgramResolver;
  /** Fraction of commitments recomputed, in [0, 1] (default 1). */
  sample?: number;
  /** Seed of the sample: a commitment is checked iff keccak256(abi.encode(seed, requestId)) falls in the fraction. */
  sampleSeed?: string;
  /**
   * Generations (docs/GENERATION.md): the most passes re-run per checked generation (default 64, every pass of a
   * generation of up to 64 bytes). A longer one has this many passes checked on the node's own prefix: the last
   * (its stop) and the others picked by keccak256(abi.encode(sampleSeed, requestId, pass)).
   */
  maxPasses?: number;
}

export class ChallengerDaemonError extends VerityError {}

export interface ChallengerMetrics extends ServiceMetrics {
  /** Commitments recomputed. */
  checked: number;
  /** Commitments left out by the sample. */
  sampledOut: number;
  /** Commitments not checked: not OPTIMISTIC, program unknown, input not found. */
  skipped: number;
  /** Generation passes re-run by the checks. */
  passesChecked: number;
  mismatches: number;
  leavesProven: number;
  disputesOpened: number;
  /** Wrong results not disputed: window closed, another challenger's game rejected it, or no bond. */
  disputesSkipped: number;
  movesPlayed: number;
  timeoutsResolved: number;
  won: number;
  lost: number;
}

/** Every counter at zero. */
export function newChallengerMetrics(): ChallengerMetrics {
  return {
    ...serviceMetrics(),
    checked: 0,
    sampledOut: 0,
    skipped: 0,
    passesChecked: 0,
    mismatches: 0,
    leavesProven: 0,
    disputesOpened: 0,
    disputesSkipped: 0,
    movesPlayed: 0,
    timeoutsResolved: 0,
    won: 0,
    lost: 0,
  };
}
