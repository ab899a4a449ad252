/**
 * End-to-end throughput and latency of the multi-process network (tools/network/orchestrator.ts) on a local
 * JSON-RPC chain: anvil on 127.0.0.1 with a block every second (interval mining, `--block-time 1`; `--chain hardhat`
 * or NETWORK_BENCH_CHAIN=hardhat for a `hardhat node`, automine), three `verity node serve` daemons (honest, batch
 * threshold 4, poll 100 ms). Two networks, one after the other, each with its own chain and daemons:
 *
 *   1. no challenger (it is not on a request's critical path) and nothing killed: inferencesPerSec, the latency
 *      figures and the profile below (this file);
 *   2. the configuration of the multi-process test (test/network/network.test.ts): the same daemons AND the
 *      `verity challenger run` watchtower, and node 1 killed with SIGKILL in the middle of its share of the same
 *      backlog and restarted on its journal, then checked from the chain (nothing lost, nothing settled twice):
 *      inferencesPerSecWithChallengerAndKill, with backlogSecondsWithChallengerAndKill,
 *      loadAverageWithChallengerAndKill, killAfterSeconds, restartSeconds and owedAtKill (bench/network-kill.ts
 *      says how, and why the challenger is not paused).
 *
 * Both put the same backlog on-chain the same way (bench/network-backlog.ts).
 *
 * inferencesPerSec (with batching): the three daemons are started and warmed up (each has loaded both programs),
 *   then paused with SIGSTOP while the requesters put a backlog of BACKLOG requests on-chain (named round-robin,
 *   half MLP, half CNN, real held-out digits). The daemons are resumed with SIGCONT at t0; t1 is the first poll
 *   (every 50 ms) at which every backlog request is committed on-chain (individually or as a batch leaf, read
 *   from the events). inferencesPerSec = BACKLOG / (t1 - t0): requests committed per second of wall time, with
 *   everything a daemon does per request included (reading its requests, executing the integer program with its
 *   trace and Merkle roots, journaling, committing, and waiting for the block that includes the commitment: up to a
 *   second on anvil).
 *
 * p50/p95 latency, request to commit: LATENCY_REQUESTS requests sent at a steady LATENCY_RATE per second to the
 *   running daemons; per request, from "request mined" (the requester got its receipt, wall clock) to "commit seen"
 *   (the first 50 ms poll whose events show the commitment). On anvil both ends wait for a block, so a request's
 *   latency is about one to two block times. commitP50Ms is the same figure; finalizeP50Ms is, once the challenge
 *   window is over (the first poll at which the latest block's timestamp reached the commitment's windowEnd), the
 *   median time until the settlement is seen. On anvil the window (30 s, ignition/parameters/anvil.json) passes
 *   with the blocks; on a hardhat node the benchmark moves the clock past it (`evm_increaseTime` + `evm_mine`).
 *
 * Where the time goes (profileBacklog below, from this process, on the same chain and backlog, each piece timed
 * alone): before, on a hardhat node, one eth_getLogs of the whole backlog's InferenceRequested events (each with its
 * 784-byte input) made by every daemon, and one getRequest eth_call per request, dominated (85-134 inferences/s).
 * Then the event's `node` was indexed, so each daemon reads only its own requests' inputs (getLogsMs: one node's
 * share), and pending requests were read in JSON-RPC batches of 200 eth_calls (getRequestMs: the whole backlog so;
 * 190 inferences/s on anvil). Now a daemon does not read the requests its requester assigned to it at all (their
 * event is authoritative for what it needs: daemons/node/serving.ts `termsFromEvent`), so getRequestMs is off the
 * critical path; timers and CPU profiles of the daemons then showed ethers' JavaScript UTF-8 decoding of the 400 kB
 * getLogs reply (150-350 ms a daemon; now Node's fetch, daemons/kit/provider.ts), ethers' ABI encoding, re-parsing
 * and hashing of a 19 kB commitBatch transaction (0.3-0.5 s a daemon; now daemons/kit/calldata.ts and sender.ts),
 * and this benchmark's own ledger decoding each batch with ethers (up to 0.3 s before it saw the commitments; now
 * raw calldata, decoded word by word; the backlog's request events are taken in before t0). What is left is the
 * execution itself (executeMs: one core for the whole backlog; the three daemons share two) and waiting for the
 * block. The 2-core machine is shared with other jobs, so figures move a lot from run to run, and are pessimistic
 * when it is busy: `loadAverage` records the machine's 1-minute load average when the backlog starts.
 */
import * as fs from "fs";
import * as path from "path";
import { Wallet, zeroPadValue } from "ethers";

import { InferenceManager__factory } from "../typechain-types/factories/contracts/inference/InferenceManager__factory";
import { honestView } from "../game/view";
import { demoModel } from "../models/demo-models";
import { bulkView } from "../daemons/kit/bulk";
import { createLogger } from "../daemons/kit/log";
import { Rpc } from "../daemons/kit/rpc";
import { CHAIN_KINDS, type ChainKind } from "../tools/network/chain";
import { runLoad, type LoadRecord } from "../tools/network/load";
import { VerityNetwork } from "../tools/network/orchestrator";
import { sleep } from "../tools/network/processes";
import { benchWithChallengerAndKill, type ChallengerAndKillBench } from "./network-kill";
import {
  BACKLOG,
  POLL_MS,
  putBacklog,
  resumeNodes,
  round1,
  round2,
  waitCommitted,
  waitUntil,
  warmUp,
} from "./network-backlog";

const LATENCY_REQUESTS = 90;
const LATENCY_RATE = 15;

export interface NetworkBench extends ChallengerAndKillBench {
  /** The local chain: "anvil" (a block every second) or "hardhat" (hardhat node, automine). */
  chain: ChainKind;
  inferencesPerSec: number;
  backlog: number;
  backlogSeconds: number;
  batches: number;
  latencyP50Ms: number;
  latencyP95Ms: number;
  latencyRequests: number;
  latencyRate: number;
  /** Median time from request mined to commitment seen (= latencyP50Ms), and from window closed to final seen. */
  commitP50Ms: number;
  finalizeP50Ms: number;
  /** Where the backlog's time goes, measured from this process on the same chain (see profileBacklog). */
  profile: BacklogProfile;
  /** The machine's 1-minute load average when the backlog started (2 cores, shared with other jobs). */
  loadAverage: number;
}

/** The backlog's work, piece by piece, each timed alone from the benchmark process (ms for the whole backlog). */
export interface BacklogProfile {
  /**
   * getRequest of every backlog request, in JSON-RPC batches of 200 eth_calls: what the daemons would spend reading
   * them (they read only the requests they claimed, and leaves the contract refused in a batch).
   */
  getRequestMs: number;
  /** eth_getLogs of one node's InferenceRequested events (its inputs) over the backlog's blocks, in one call. */
  getLogsMs: number;
  /** Executing every request with the reference executor (trace and Merkle roots included), one core. */
  executeMs: number;
}

async function profileBacklog(net: VerityNetwork, backlog: LoadRecord[]): Promise<BacklogProfile> {
  const im = InferenceManager__factory.connect(net.config.addresses.inferenceManager, net.provider);
  let t = Date.now();
  const rpc = new Rpc(new Wallet(net.config.governor.key, net.provider), createLogger({ level: "error" }));
  await bulkView(
    rpc,
    net.provider,
    { address: net.config.addresses.inferenceManager, iface: im.interface },
    "getRequest",
    backlog.map((r) => [BigInt(r.requestId)]),
    ([id]) => im.getRequest(id as bigint),
  );
  const getRequestMs = Date.now() - t;
  const blocks = backlog.map((r) => r.block);
  const node = net.config.operators[0].address;
  t = Date.now();
  await net.provider.getLogs({
    address: net.config.addresses.inferenceManager,
    fromBlock: Math.min(...blocks),
    toBlock: Math.max(...blocks),
    topics: [im.interface.getEvent("InferenceRequested").topicHash, null, null, zeroPadValue(node, 32)],
  });
  const getLogsMs = Date.now() - t;
  const models = { mlp: demoModel("mlp"), cnn: demoModel("cnn") };
  t = Date.now();
  for (const r of backlog) {
    const m = models[r.model];
    const bytes = Buffer.from(net.config.inputs[r.model][r.digit].slice(2), "hex");
    honestView(m.program, new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), m.weights);
  }
  const executeMs = Date.now() - t;
  return { getRequestMs, getLogsMs, executeMs };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const i = Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1);
  return sorted[Math.max(0, i)];
}

export async function benchNetwork(
  log: (line: string) => void = console.log,
  chain: ChainKind = (process.env.NETWORK_BENCH_CHAIN as ChainKind | undefined) ?? "anvil",
): Promise<NetworkBench> {
  if (!CHAIN_KINDS.includes(chain)) throw new Error(`NETWORK_BENCH_CHAIN must be one of ${CHAIN_KINDS.join(", ")}`);
  // One network after the other (never two at once on the two cores): the first is stopped before the second starts.
  const base = await benchWithoutChallenger(log, chain);
  const withKill = await benchWithChallengerAndKill(log, chain, process.env.NETWORK_BENCH_DIR);
  return { ...base, ...withKill };
}

/** Three node daemons, no challenger, nothing killed: inferencesPerSec, latency, profile. */
async function benchWithoutChallenger(
  log: (line: string) => void,
  chain: ChainKind,
): Promise<Omit<NetworkBench, keyof ChallengerAndKillBench>> {
  const net = new VerityNetwork({
    chain,
    dir: process.env.NETWORK_BENCH_DIR,
    challenger: false,
    cheat: 0,
    pollMs: 100,
    batchThreshold: 4,
    log,
  });
  const quiet = () => undefined;
  try {
    await net.start();
    const outFile = (name: string) => path.join(net.dir, `${name}.jsonl`);
    await warmUp(net);

    // 1. Throughput on a backlog.
    const { backlog, loadAverage } = await putBacklog(net);
    const batchesBefore = net.ledger.batches.size;
    const t0 = Date.now();
    resumeNodes(net);
    await waitCommitted(net, backlog, 180_000, "the backlog committed");
    const backlogSeconds = (Date.now() - t0) / 1000;
    const inferencesPerSec = BACKLOG / backlogSeconds;
    log(
      `network: ${BACKLOG} backlog requests committed in ${backlogSeconds.toFixed(2)} s = ${inferencesPerSec.toFixed(1)}/s`,
    );
    await settleAll(net);
    const profile = await profileBacklog(net, backlog);
    log(`network: profile of a ${BACKLOG}-request backlog: ${JSON.stringify(profile)}`);

    // 2. Latency at a steady rate.
    const im = InferenceManager__factory.connect(net.config.addresses.inferenceManager, net.provider);
    const committedAt = new Map<string, number>();
    const windowEnd = new Map<string, bigint>();
    const closedAt = new Map<string, number>();
    const finalAt = new Map<string, number>();
    let watch = new Set<string>();
    let done = false;
    const poller = (async () => {
      while (!done) {
        await net.ledger.sync();
        const now = Date.now();
        const chainNow = BigInt((await net.provider.getBlock("latest"))!.timestamp);
        for (const k of watch) {
          const r = net.ledger.requests.get(k);
          if (!r) continue;
          if (r.committedBy && !committedAt.has(k)) committedAt.set(k, now);
          if (r.committedBy && !windowEnd.has(k)) {
            const end =
              r.batchId !== undefined
                ? net.ledger.batches.get(r.batchId.toString())!.windowEnd
                : (await im.getRequest(r.id)).windowEnd;
            windowEnd.set(k, end);
          }
          if (windowEnd.has(k) && chainNow >= windowEnd.get(k)! && !closedAt.has(k)) closedAt.set(k, now);
          if (r.settlements.length > 0 && !finalAt.has(k)) finalAt.set(k, now);
        }
        await sleep(POLL_MS);
      }
    })();
    const latencyOut = outFile("latency");
    const loading = runLoad(
      { dir: net.dir, requests: LATENCY_REQUESTS, rate: LATENCY_RATE, openFraction: 0, out: latencyOut },
      quiet,
    );
    while (!done) {
      // The load generator appends each mined request to its file: watch them as they come.
      if (fs.existsSync(latencyOut)) {
        watch = new Set(
          fs
            .readFileSync(latencyOut, "utf8")
            .trim()
            .split("\n")
            .filter(Boolean)
            .map((l) => (JSON.parse(l) as LoadRecord).requestId),
        );
      }
      if (watch.size === LATENCY_REQUESTS && [...watch].every((id) => committedAt.has(id))) break;
      await sleep(POLL_MS);
    }
    const records = await loading;
    watch = new Set(records.map((r) => r.requestId));
    const ids = [...watch];
    await waitUntil(() => ids.every((id) => committedAt.has(id)), 120_000, "latency requests committed");
    // On an automine chain, close the windows that wall-clock time has not closed yet (anvil's pass with its blocks).
    if (!net.clockRuns) await net.increaseTime(net.config.challengeWindow + 1);
    await waitUntil(() => ids.every((id) => finalAt.has(id) && closedAt.has(id)), 120_000, "latency requests final");
    done = true;
    await poller;
    const commitMs = records.map((r) => Math.max(0, committedAt.get(r.requestId)! - r.minedAt)).sort((a, b) => a - b);
    const finalMs = records
      .map((r) => Math.max(0, finalAt.get(r.requestId)! - closedAt.get(r.requestId)!))
      .sort((a, b) => a - b);
    return {
      chain,
      inferencesPerSec: round1(inferencesPerSec),
      backlog: BACKLOG,
      backlogSeconds: round2(backlogSeconds),
      batches: net.ledger.batches.size - batchesBefore,
      latencyP50Ms: percentile(commitMs, 50),
      latencyP95Ms: percentile(commitMs, 95),
      latencyRequests: LATENCY_REQUESTS,
      latencyRate: LATENCY_RATE,
      commitP50Ms: percentile(commitMs, 50),
      finalizeP50Ms: percentile(finalMs, 50),
      profile,
      loadAverage,
    };
  } finally {
    await net.stop(3_000);
    net.cleanup();
  }
}

/** Closes every window and waits until every request so far is settled. */
async function settleAll(net: VerityNetwork): Promise<void> {
  if (!net.clockRuns) await net.increaseTime(net.config.challengeWindow + 1);
  const started = Date.now();
  for (;;) {
    await net.ledger.sync();
    const s = net.ledger.summary();
    if (s.settled === s.requested) return;
    if (Date.now() - started > 120_000) throw new Error("network bench: timed out waiting for settlement");
    await sleep(200);
  }
}

if (require.main === module) {
  const i = process.argv.indexOf("--chain");
  benchNetwork(console.log, i > 0 ? (process.argv[i + 1] as ChainKind) : undefined).then(
    (r) => {
      console.log(JSON.stringify(r, null, 2));
      if (process.argv.includes("--write")) {
        const file = path.join(__dirname, "results.json");
        const results = fs.existsSync(file)
          ? (JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>)
          : {};
        results.network = r;
        fs.writeFileSync(file, JSON.stringify(results, null, 2) + "\n");
      }
      process.exit(0);
    },
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
