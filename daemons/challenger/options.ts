/**
 * What the challenger daemon is configured with (its options, the deployment's addresses, the test hooks) and what
 * it counts (its metrics). Types and the metrics' initial values only: the context (context.ts), the parts and the
 * daemon (daemon.ts) build on this module, and it imports none of them.
 */
import type { Signer } from "ethers";

import { VerityError } from "../../executor/errors";
import type { JournalRecord } from "../kit/journal";
import type { Logger } from "../kit/log";
import type { RetryPolicy } from "../kit/rpc";
import type { ProgramResolver } from "../../protocol/resolver";

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

/** Every counter at zero. */
export function newChallengerMetrics(): ChallengerMetrics {
  return {
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
}
