/**
 * What every daemon is configured with and keeps, whatever its job: the options both daemons take (signer,
 * journal, confirmations, block range, retries, credit claims, logger, test hooks), the counters both report, and
 * the state the kit manages for a daemon and its parts (logger, RPC wrapper, account, journal). A daemon's own
 * options, metrics and context extend these (daemons/node/options.ts, daemons/challenger/options.ts).
 */
import type { Signer } from "ethers";

import { ClockWatch } from "./clock";
import type { Journal, JournalRecord } from "./journal";
import { createLogger, type Logger } from "./log";
import { DEFAULT_RETRY, Rpc, type RetryPolicy } from "./rpc";

/** Points where a test can inject a crash (throw `InjectedCrash`) or observe the daemon. */
export interface ServiceHooks {
  /** After a record announcing an action was fsynced, before the action's first transaction. */
  afterJournal?(record: JournalRecord): void;
  /** After a transaction was mined, before its outcome was journaled. */
  afterSend?(what: string): void;
}

export interface ServiceOptions {
  signer: Signer;
  /**
   * The journal; default `<journalRoot>/<role>-<address>/chain-<id>-<genesis>-<deployment>/journal.jsonl` (role:
   * node, challenger), keyed by the chain and deployment (journal.ts `journalPath`).
   */
  journalFile?: string;
  /** Where default journals go (default `.verity`). */
  journalRoot?: string;
  /** The deployment's contracts by name (the journal is keyed by them); the daemons' own options carry them. */
  addresses?: object;
  /** Blocks deep an event must be before it is taken in, and after each transaction (default 1). */
  confirmations?: number;
  /** Blocks of events taken in per tick at most (default 2000). */
  maxBlockRange?: number;
  /** First block to scan on a fresh journal (default 0). */
  startBlock?: number;
  /** Claim credits every this many ticks (default 10; 0 never). */
  claimEvery?: number;
  retry?: RetryPolicy;
  log?: Logger;
  hooks?: ServiceHooks;
}

/** The counters every daemon reports on /metrics. */
export interface ServiceMetrics {
  ticks: number;
  creditsClaimed: number;
  rpcRetries: number;
  txSent: number;
  /** The last block whose events were taken in. */
  lastBlock: number;
}

export function serviceMetrics(): ServiceMetrics {
  return { ticks: 0, creditsClaimed: 0, rpcRetries: 0, txSent: 0, lastBlock: 0 };
}

/** The part of a daemon's state that the kit manages; a daemon's context extends it. */
export interface ServiceState<M extends ServiceMetrics = ServiceMetrics> {
  readonly signer: Signer;
  readonly rpc: Rpc;
  readonly log: Logger;
  readonly metrics: M;
  readonly hooks: ServiceHooks;
  readonly confirmations: number;
  /** Blocks per `getLogs` call at most. */
  readonly maxBlockRange: number;
  readonly startBlock: number;
  /** The daemon's account; set by `start()`. */
  address: string;
  /** Open from `start()` to `close()`; the parts run only in between. */
  journal: Journal | null;
  /** Warns when the chain's clock stands still while a part waits on it (an automine chain). */
  readonly clock: ClockWatch;
}

/** The kit's state of a daemon with options `opts` and counters `metrics`, before `start()`. */
export function serviceState<M extends ServiceMetrics>(opts: ServiceOptions, metrics: M): ServiceState<M> {
  const log = opts.log ?? createLogger();
  const confirmations = opts.confirmations ?? 1;
  return {
    signer: opts.signer,
    rpc: new Rpc(opts.signer, log, opts.retry ?? DEFAULT_RETRY, confirmations),
    log,
    metrics,
    hooks: opts.hooks ?? {},
    confirmations,
    maxBlockRange: opts.maxBlockRange ?? 2000,
    startBlock: opts.startBlock ?? 0,
    address: "",
    journal: null,
    clock: new ClockWatch(log),
  };
}
