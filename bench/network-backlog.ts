/**
 * The backlog both network throughput figures share (bench/network.ts, bench/network-kill.ts): BACKLOG requests on
 * real held-out digits, half MLP, half CNN, named round-robin to the three operators, put on-chain while the node
 * daemons are paused (SIGSTOP), and the waits that time them. Every wait has a timeout.
 */
import * as os from "os";
import * as path from "path";

import { runLoad, type LoadRecord } from "../tools/network/load";
import type { VerityNetwork } from "../tools/network/orchestrator";
import { ProcessGroup, sleep } from "../tools/network/processes";

export const BACKLOG = 600;
/** How often the benchmark looks at the chain (and at a daemon's /metrics), ms. */
export const POLL_MS = 50;

const quiet = () => undefined;

/** Warm-up: a few requests to every node, so that each has loaded both programs before anything is timed. */
export async function warmUp(net: VerityNetwork): Promise<LoadRecord[]> {
  const warm = await runLoad(
    { dir: net.dir, requests: 12, rate: 100, openFraction: 0, out: path.join(net.dir, "warm.jsonl") },
    quiet,
  );
  await waitCommitted(net, warm, 60_000, "the warm-up requests committed");
  return warm;
}

/**
 * Pauses the node daemons (SIGSTOP; the challenger, if any, runs on), puts the BACKLOG requests on-chain, and takes
 * their events into the ledger (the observer's own bookkeeping is not the daemons' work, so it is done before the
 * clock starts). The caller resumes the daemons (`resumeNodes`) at t0.
 */
export async function putBacklog(net: VerityNetwork): Promise<{ backlog: LoadRecord[]; loadAverage: number }> {
  for (const d of net.nodes) ProcessGroup.signal(d.proc!, "SIGSTOP");
  const backlog = await runLoad(
    { dir: net.dir, requests: BACKLOG, rate: 10_000, openFraction: 0, out: path.join(net.dir, "backlog.jsonl") },
    quiet,
  );
  await net.ledger.sync();
  // The machine's 1-minute load average when the backlog starts (2 cores, shared with other jobs).
  return { backlog, loadAverage: Math.round(os.loadavg()[0] * 100) / 100 };
}

export function resumeNodes(net: VerityNetwork): void {
  for (const d of net.nodes) ProcessGroup.signal(d.proc!, "SIGCONT");
}

export async function waitUntil(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const started = Date.now();
  while (!cond()) {
    if (Date.now() - started > timeoutMs) throw new Error(`network bench: timed out waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

/** Resolves at the first poll at which every request of `records` is committed on-chain (alone or as a leaf). */
export async function waitCommitted(
  net: VerityNetwork,
  records: LoadRecord[],
  timeoutMs: number,
  what = "commitments",
): Promise<void> {
  const started = Date.now();
  for (;;) {
    await net.ledger.sync();
    if (records.every((r) => net.ledger.requests.get(r.requestId)?.committedBy)) return;
    if (Date.now() - started > timeoutMs) throw new Error(`network bench: timed out waiting for ${what}`);
    await sleep(POLL_MS);
  }
}

export const round1 = (x: number) => Math.round(x * 10) / 10;
export const round2 = (x: number) => Math.round(x * 100) / 100;
