/**
 * The backlog throughput of bench/network.ts in the configuration of the multi-process network test
 * (test/network/network.test.ts): the three node daemons AND the `verity challenger run` watchtower, and node 1
 * killed with SIGKILL in the middle of its share and restarted on its journal. On a fresh network of its own (a new
 * chain, deployment and daemons, after the first network is stopped), with the same daemon options as the first
 * figure (poll 100 ms, batch threshold 4, at most 256 leaves a batch) and no cheater (every node is honest, so every
 * request must finalize).
 *
 * inferencesPerSecWithChallengerAndKill: after a warm-up, the node daemons are paused (SIGSTOP) while the same
 *   BACKLOG is put on-chain, and resumed at t0. The challenger is not paused: its intake is the commitment events
 *   (daemons/challenger/intake.ts), so it has nothing to do until the first commitment, and from then on it competes
 *   for the two cores as it recomputes every commitment, as it does in the test (it runs throughout there too). At
 *   the first 50 ms poll at which node 1's /metrics show it has taken in backlog requests it has not committed, it is
 *   frozen (SIGSTOP, so that it sends nothing more, as in the test), then killed with SIGKILL, and restarted at once
 *   on the same journal and health port. A node commits its whole 200-request share in one commitBatch (its share is
 *   within the 256-leaf batch limit, and batches hold everything executed in a tick), so there is no moment at which
 *   it has committed part of the share and owes the rest: the kill lands between its taking the share in (journaled)
 *   and that batch being mined, and the restart must recover the share from its journal (execute it again, or find
 *   an announced batch on-chain) without committing anything twice. t1 is the first poll at which all BACKLOG
 *   requests are committed. inferencesPerSecWithChallengerAndKill = BACKLOG / (t1 - t0): with a backlog this short,
 *   the restart of node 1 (a new process, its journal reconciled with the chain, both programs loaded again) is on
 *   the critical path (restartSeconds).
 *
 * Then the windows pass (on a hardhat node the orchestrator's clock moves them, once the challenger has caught up)
 * and the daemons stop gracefully; from the chain alone (tools/network/ledger.ts) the benchmark checks that nothing
 * was lost (every request the chain counts, the backlog's included, was committed and finalized; what node 1 owed
 * at the kill was committed by node 1) and nothing settled twice (one settlement per request, one BatchFinalized per
 * batch), and that no dispute was opened; it throws if not.
 */
import * as path from "path";

import { InferenceManager__factory } from "../typechain-types/factories/contracts/inference/InferenceManager__factory";
import type { ChainKind } from "../tools/network/chain";
import type { LoadRecord } from "../tools/network/load";
import { VerityNetwork } from "../tools/network/orchestrator";
import { ProcessGroup, sleep, waitFor } from "../tools/network/processes";
import { BACKLOG, POLL_MS, putBacklog, resumeNodes, round1, round2, waitCommitted, warmUp } from "./network-backlog";

/** The node killed and restarted (node 1, honest, as in the network test). */
const KILLED = 0;

export interface ChallengerAndKillBench {
  /** BACKLOG / (t1 - t0) with the challenger running and node 1 killed (SIGKILL) and restarted mid-share. */
  inferencesPerSecWithChallengerAndKill: number;
  backlogSecondsWithChallengerAndKill: number;
  /** The machine's 1-minute load average when that backlog started. */
  loadAverageWithChallengerAndKill: number;
  /** Seconds from t0 to node 1's SIGKILL. */
  killAfterSeconds: number;
  /** Seconds from the SIGKILL until the restarted daemon answered /health. */
  restartSeconds: number;
  /** Node 1's backlog requests not committed on-chain when it was killed (committed by its restart, each once). */
  owedAtKill: number;
}

interface Kill {
  killedAt: number;
  healthyAt: number;
  owed: string[];
}

/** Node 1's counters that say how much of its work is done. */
function progress(m: Record<string, number>): { seen: number; done: number } {
  return { seen: m.requestsSeen ?? 0, done: (m.committed ?? 0) + (m.batchedRequests ?? 0) };
}

/**
 * Waits (from t0) until node 1 has taken in backlog requests it has not committed, then freezes it, SIGKILLs it and
 * restarts it on its journal. Throws if the share was committed before the kill could land, or after timeoutMs.
 */
async function killMidShare(
  net: VerityNetwork,
  base: { seen: number; done: number },
  share: LoadRecord[],
  timeoutMs: number,
): Promise<Kill> {
  const node = net.nodes[KILLED];
  const started = Date.now();
  for (;;) {
    if (Date.now() - started > timeoutMs) throw new Error("network bench: node 1 never owed backlog work to kill");
    const m = await net.metrics(node);
    if (m) {
      const seen = progress(m).seen - base.seen;
      const done = progress(m).done - base.done;
      if (done >= share.length)
        throw new Error(`network bench: node 1 committed its ${share.length}-request share before the kill landed`);
      if (seen >= 1 && seen > done) {
        ProcessGroup.signal(node.proc!, "SIGSTOP");
        break;
      }
    }
    await sleep(POLL_MS);
  }
  const killedAt = Date.now();
  await net.killNode(KILLED);
  await net.ledger.sync();
  const owed = share.filter((r) => !net.ledger.requests.get(r.requestId)?.committedBy).map((r) => r.requestId);
  net.startNode(KILLED);
  await net.waitHealthy(node, 60_000);
  return { killedAt, healthyAt: Date.now(), owed };
}

/**
 * Nothing lost, nothing settled twice, from the chain alone (the ledger the network test checks, and the contract's
 * request count); an Error naming every violation otherwise.
 */
async function checkLedger(net: VerityNetwork, backlog: LoadRecord[], owed: string[]): Promise<void> {
  const problems: string[] = [];
  const ledger = net.ledger;
  const im = InferenceManager__factory.connect(net.config.addresses.inferenceManager, net.provider);
  const s = ledger.summary();
  const count = Number(await im.requestCount());
  if (s.requested !== count) problems.push(`the chain counts ${count} requests, the ledger saw ${s.requested}`);
  for (const r of backlog) if (!ledger.requests.has(r.requestId)) problems.push(`backlog request ${r.requestId} lost`);
  for (const r of ledger.requests.values()) {
    if (!r.committedBy) problems.push(`request ${r.id} never committed`);
    if (r.settlements.length !== 1 || r.settlements[0] !== "finalized")
      problems.push(`request ${r.id} settled as [${r.settlements.join(", ")}], not finalized exactly once`);
  }
  for (const b of ledger.batches.values())
    if (b.finalized !== 1) problems.push(`batch ${b.id} finalized ${b.finalized} times`);
  if (ledger.disputesOpened.size > 0) problems.push(`${ledger.disputesOpened.size} disputes against honest nodes`);
  const node1 = net.config.operators[KILLED].address.toLowerCase();
  for (const id of owed) {
    const by = ledger.requests.get(id)?.committedBy;
    if (by !== node1) problems.push(`request ${id}, owed by node 1 at the kill, committed by ${by ?? "nobody"}`);
  }
  if (net.nodes[KILLED].starts !== 2) problems.push(`node 1 started ${net.nodes[KILLED].starts} times, not 2`);
  if (problems.length > 0)
    throw new Error(`network bench (challenger and kill): ${problems.slice(0, 20).join("; ")}; logs in ${net.dir}`);
}

export async function benchWithChallengerAndKill(
  log: (line: string) => void,
  chain: ChainKind,
  dir?: string,
): Promise<ChallengerAndKillBench> {
  const net = new VerityNetwork({
    chain,
    dir: dir === undefined ? undefined : path.join(dir, "with-challenger-and-kill"),
    challenger: true,
    cheat: 0,
    pollMs: 100,
    batchThreshold: 4,
    log,
  });
  try {
    await net.start();
    await warmUp(net);
    const before = await net.metrics(net.nodes[KILLED]);
    if (!before) throw new Error(`network bench: node 1's /metrics did not answer; logs in ${net.dir}`);
    const { backlog, loadAverage } = await putBacklog(net);
    const node1 = net.config.operators[KILLED].address.toLowerCase();
    const share = backlog.filter((r) => r.node.toLowerCase() === node1);

    const t0 = Date.now();
    resumeNodes(net);
    const killing = killMidShare(net, progress(before), share, 60_000);
    const committed = waitCommitted(net, backlog, 180_000, "the backlog committed").then(() => Date.now());
    const [kill, t1] = await Promise.all([killing, committed]);
    const backlogSeconds = (t1 - t0) / 1000;
    log(
      `network (challenger, node 1 killed ${((kill.killedAt - t0) / 1000).toFixed(2)} s in owing ${kill.owed.length}, ` +
        `healthy again ${((kill.healthyAt - kill.killedAt) / 1000).toFixed(2)} s later): ${BACKLOG} backlog ` +
        `requests committed in ${backlogSeconds.toFixed(2)} s = ${(BACKLOG / backlogSeconds).toFixed(1)}/s`,
    );

    // Every window passes (the orchestrator moves a hardhat node's clock once the challenger has caught up).
    net.startClock();
    await waitFor(
      "every request settled and no dispute open",
      async () => {
        await net.ledger.sync();
        const s = net.ledger.summary();
        return s.settled === s.requested && s.disputesOpen === 0 ? s : undefined;
      },
      120_000,
      500,
    ).catch((e: Error) => {
      throw new Error(
        `network bench: ${e.message}; ledger ${JSON.stringify(net.ledger.summary())}; logs in ${net.dir}`,
      );
    });
    await net.stopClock();
    // The daemons stop (gracefully) before the checks, so that nothing lands between two reads.
    await net.stopDaemons(5_000);
    await net.ledger.sync();
    await checkLedger(net, backlog, kill.owed);
    log(`network (challenger and kill): nothing lost, nothing settled twice (${net.ledger.summary().settled} settled)`);
    return {
      inferencesPerSecWithChallengerAndKill: round1(BACKLOG / backlogSeconds),
      backlogSecondsWithChallengerAndKill: round2(backlogSeconds),
      loadAverageWithChallengerAndKill: loadAverage,
      killAfterSeconds: round2((kill.killedAt - t0) / 1000),
      restartSeconds: round2((kill.healthyAt - kill.killedAt) / 1000),
      owedAtKill: kill.owed.length,
    };
  } finally {
    await net.stop(3_000);
    net.cleanup();
  }
}
