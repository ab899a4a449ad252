/**
 * The multi-process Verity network on a real JSON-RPC chain, all on 127.0.0.1: a local chain (tools/network/chain.ts:
 * anvil with interval mining by default, or `hardhat node`), the protocol deployed and set up
 * (tools/network/setup.ts), one `verity node serve` process per operator (one of them may cheat:
 * tools/network/cheating-node.ts, the same daemon with a tampering test double), optionally the
 * `verity challenger run` daemon, and the load generator (tools/network/load.ts). Every child is in a ProcessGroup
 * (tools/network/processes.ts), which `stop()` ends: SIGTERM, a grace period, SIGKILL.
 *
 * The chain's clock. On anvil, a block comes every second and the challenge window is short (30 s,
 * ignition/parameters/anvil.json): results finalize by the wall clock and the tool never touches the clock. On a
 * `hardhat node` (automine: time moves only with transactions) the window is 60 s and the orchestrator moves time
 * forward (`evm_increaseTime` + `evm_mine`) in steps of a third of the window while commitments are waiting, so
 * results finalize in seconds. With a challenger it only moves the clock once the challenger has checked every
 * commitment (its /metrics `lastBlock` covers them and a whole tick has passed since), so that no window closes on a
 * result the watchtower has not checked yet. The `hardhat node` keeps automined blocks in their wall-clock second
 * (hardhat.config.ts), so only these steps move the clock faster than the wall clock.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { JsonRpcProvider, NonceManager, Wallet } from "ethers";

import { InferenceManager__factory } from "../../typechain-types/factories/contracts/inference/InferenceManager__factory";
import { NodeRegistry__factory } from "../../typechain-types/factories/contracts/registry/NodeRegistry__factory";
import { Staking__factory } from "../../typechain-types/factories/contracts/staking/Staking__factory";
import { InferenceRequestStatus } from "../../protocol/constants";
import { FetchJsonRpcProvider } from "../../daemons/kit/provider";
import { ChainLedger } from "./ledger";
import { freePort, getJson, metricsOf, ProcessGroup, ROOT, sleep, waitFor, type Managed } from "./processes";
import { increaseTime, PARAMETERS, startLocalChain, type ChainKind, type LocalChain } from "./chain";
import { setupNetwork, type NetworkConfig } from "./setup";

/** The cheating operator's entry: `verity node serve` with the tampering double injected. */
const CHEATING_NODE = path.join(ROOT, "tools", "network", "cheating-node.ts");
import type { StatusSnapshot } from "./status";

export interface NetworkOptions {
  /** The local chain (default anvil, interval mining). */
  chain?: ChainKind;
  /** Working directory (journals, logs, network.json); default a fresh temporary one, removed by `cleanup()`. */
  dir?: string;
  operators?: number;
  /** Index of the cheating operator (default: the last one), and the fraction of its requests it tampers with. */
  cheater?: number;
  cheat?: number;
  challenger?: boolean;
  /** Node daemon poll interval (ms). */
  pollMs?: number;
  batchThreshold?: number;
  /** Wall-clock ms between clock steps. */
  travelEveryMs?: number;
  log?: (line: string) => void;
}

interface Daemon {
  name: string;
  port: number;
  proc?: Managed;
  starts: number;
}

export class VerityNetwork {
  readonly group = new ProcessGroup();
  readonly dir: string;
  private readonly ownDir: boolean;
  url = "";
  chain: LocalChain | null = null;
  config!: NetworkConfig;
  provider!: JsonRpcProvider;
  ledger!: ChainLedger;
  readonly nodes: Daemon[] = [];
  challenger: Daemon | null = null;
  load: Managed | null = null;
  chainTimeOffset = 0;
  readonly startedAt = Date.now();
  private traveling: Promise<void> | null = null;
  private stopTravel = false;
  private readonly log: (line: string) => void;

  constructor(readonly opts: NetworkOptions = {}) {
    this.ownDir = opts.dir === undefined;
    this.dir = opts.dir ?? fs.mkdtempSync(path.join(os.tmpdir(), "verity-network-"));
    fs.mkdirSync(this.dir, { recursive: true });
    this.log = opts.log ?? ((line) => console.log(line));
  }

  /** The chain this network runs on. */
  get kind(): ChainKind {
    return this.opts.chain ?? "anvil";
  }

  /** True when the chain's clock runs by itself (interval mining): no time travel is needed or done. */
  get clockRuns(): boolean {
    return this.kind === "anvil";
  }

  get cheaterIndex(): number {
    return this.opts.cheater ?? (this.opts.operators ?? 3) - 1;
  }

  /** True when operator i runs the cheating node. */
  cheats(i: number): boolean {
    return i === this.cheaterIndex && (this.opts.cheat ?? 0) > 0;
  }

  /** Starts the chain, deploys and sets up, then starts the node daemons (and the challenger) and waits for /health. */
  async start(): Promise<void> {
    const t0 = Date.now();
    const kind = this.kind;
    const chain = await startLocalChain(kind, this.group, { logFile: path.join(this.dir, `${kind}.log`) });
    this.chain = chain;
    this.url = chain.url;
    this.log(
      kind === "anvil"
        ? `anvil on ${this.url}, a block every second (${Date.now() - t0} ms)`
        : `hardhat node on ${this.url} (${Date.now() - t0} ms): it mines a block per transaction (automine), so its ` +
            `clock moves only with transactions; this tool moves it past each challenge window (evm_increaseTime)`,
    );
    const t1 = Date.now();
    this.config = await setupNetwork({
      url: this.url,
      chain: kind,
      dir: this.dir,
      operators: this.opts.operators ?? 3,
      parameters: PARAMETERS[kind],
      challengeWindow: kind === "hardhat" ? 60 : undefined,
    });
    await chain.endSetup();
    this.log(
      `deployed, published digits-mlp (version ${this.config.versions.mlp}) and digits-cnn (version ${this.config.versions.cnn}), ` +
        `${this.config.operators.length} operators staked and registered; challenge window ${this.config.challengeWindow} s (${Date.now() - t1} ms)`,
    );
    // Node's fetch as transport, as the daemons (daemons/kit/provider.ts): the ledger reads every request's input.
    this.provider = new FetchJsonRpcProvider(this.url, undefined, { staticNetwork: true, batchMaxCount: 1 });
    this.ledger = new ChainLedger(this.provider, this.config.addresses);
    for (let i = 0; i < this.config.operators.length; i++) {
      this.nodes.push({ name: `node ${i + 1}`, port: await freePort(), starts: 0 });
      this.startNode(i);
    }
    if (this.opts.challenger) {
      this.challenger = { name: "challenger", port: await freePort(), starts: 0 };
      this.startChallenger();
    }
    await Promise.all([...this.nodes, ...(this.challenger ? [this.challenger] : [])].map((d) => this.waitHealthy(d)));
    this.log(
      `${this.nodes.length} node daemons${this.challenger ? " and the challenger" : ""} healthy (${Date.now() - t0} ms since start)`,
    );
  }

  private commonArgs(key: string): string[] {
    return ["--rpc", this.url, "--key", key, "--deployment", this.config.deployment];
  }

  private env(): NodeJS.ProcessEnv {
    return {
      VERITY_HOME: path.join(this.dir, ".verity"),
      VERITY_RPC_URL: "",
      VERITY_PRIVATE_KEY: "",
      VERITY_DEPLOYMENT: "",
    };
  }

  journalOf(i: number): string {
    return path.join(this.dir, `node-${i + 1}.journal.jsonl`);
  }

  /**
   * (Re)starts operator i's `verity node serve` (the cheater's tools/network/cheating-node.ts, which takes the same
   * options), with the same journal and health port as before.
   */
  startNode(i: number): Managed {
    const d = this.nodes[i];
    const options = [
      ...this.commonArgs(this.config.operators[i].key),
      "--journal",
      this.journalOf(i),
      "--health-port",
      String(d.port),
      "--poll-ms",
      String(this.opts.pollMs ?? 250),
      "--batch-threshold",
      String(this.opts.batchThreshold ?? 4),
    ];
    d.starts++;
    const logFile = path.join(this.dir, `node-${i + 1}.log`);
    if (this.cheats(i)) {
      // The same daemon with the tampering double injected (tools/network/cheating-node.ts): the CLI has no cheat flag.
      d.proc = this.group.spawn(
        d.name,
        process.execPath,
        ["-r", "ts-node/register/transpile-only", CHEATING_NODE, ...options, "--cheat", String(this.opts.cheat)],
        { env: { ...this.env(), TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") }, logFile },
      );
    } else {
      d.proc = this.group.verity(d.name, ["node", "serve", ...options], { env: this.env(), logFile });
    }
    return d.proc;
  }

  startChallenger(): Managed {
    const d = this.challenger!;
    d.starts++;
    d.proc = this.group.verity(
      "challenger",
      [
        "challenger",
        "run",
        ...this.commonArgs(this.config.challenger.key),
        "--journal",
        path.join(this.dir, "challenger.journal.jsonl"),
        "--health-port",
        String(d.port),
        "--poll-ms",
        String(this.opts.pollMs ?? 250),
      ],
      { env: this.env(), logFile: path.join(this.dir, "challenger.log") },
    );
    return d.proc;
  }

  async waitHealthy(d: Daemon, timeoutMs = 90_000): Promise<void> {
    await waitFor(
      `${d.name} /health on 127.0.0.1:${d.port}`,
      async () => {
        if (d.proc?.exitCode() !== undefined) throw new Error(`${d.name} exited with ${d.proc?.exitCode()}`);
        const h = await getJson(d.port, "/health");
        return h.ok === true ? true : undefined;
      },
      timeoutMs,
      250,
    ).catch((e: Error) => {
      if (d.proc?.exitCode() !== undefined) {
        const logFile = path.join(this.dir, `${d.name.replace(" ", "-")}.log`);
        const tail = fs.existsSync(logFile) ? fs.readFileSync(logFile, "utf8").slice(-2000) : "";
        throw new Error(`${d.name} exited (${d.proc.exitCode()}) before it was healthy:\n${tail}`);
      }
      throw e;
    });
  }

  async metrics(d: Daemon): Promise<Record<string, number> | null> {
    if (!d.proc || d.proc.exitCode() !== undefined) return null;
    try {
      return await metricsOf(d.port);
    } catch {
      return null;
    }
  }

  /** SIGKILLs operator i's daemon (no clean-up at all) and waits until it is gone. */
  async killNode(i: number): Promise<void> {
    const d = this.nodes[i];
    if (!d.proc) return;
    ProcessGroup.signal(d.proc, "SIGKILL");
    await d.proc.exited;
  }

  /** Starts the load generator as its own process; resolves when it was spawned (see `load.exited`). */
  startLoad(requests: number, rate: number, openFraction = 0.2): Managed {
    this.load = this.group.spawn(
      "load",
      process.execPath,
      [
        "-r",
        "ts-node/register/transpile-only",
        path.join(ROOT, "tools", "network", "load.ts"),
        "--dir",
        this.dir,
        "--requests",
        String(requests),
        "--rate",
        String(rate),
        "--open",
        String(openFraction),
        "--out",
        path.join(this.dir, "requests.jsonl"),
      ],
      { logFile: path.join(this.dir, "load.log"), env: { TS_NODE_PROJECT: path.join(ROOT, "tsconfig.json") } },
    );
    return this.load;
  }

  loadState(): string {
    if (!this.load) return "not started";
    const code = this.load.exitCode();
    if (code === undefined) return "running";
    return code === 0 ? "done" : `failed (${code})`;
  }

  // -- The chain's clock --

  /** Moves the chain's clock (a ChainCapabilityError on a chain without time travel). */
  async increaseTime(seconds: number): Promise<void> {
    await increaseTime(this.url, seconds);
    this.chainTimeOffset += seconds;
  }

  /** Resolves once the latest block's timestamp is at least `timestamp` (moving the clock on an automine chain). */
  async waitChainTime(timestamp: number): Promise<void> {
    for (;;) {
      const now = (await this.provider.getBlock("latest"))!.timestamp;
      if (now >= timestamp) return;
      if (!this.clockRuns) await this.increaseTime(timestamp - now);
      else await sleep(500);
    }
  }

  /** The challenger's tick count when its scan first covered the newest commitment (see challengerCaughtUp). */
  private coveredAtTick: { block: number; ticks: number } | null = null;

  /**
   * True when the challenger (if any) has checked every commitment made so far: its /metrics `lastBlock` (the
   * last block whose events it took in) covers the newest unsettled commitment, and it has finished a whole tick
   * since then (a tick takes in events first, then recomputes and disputes), so a dispute it owes is already open.
   */
  private async challengerCaughtUp(): Promise<boolean> {
    if (!this.challenger) return true;
    const metrics = await this.metrics(this.challenger);
    if (!metrics || !("lastBlock" in metrics) || !("ticks" in metrics)) return false;
    let newest = 0;
    for (const r of this.ledger.requests.values())
      if ((r.committedBlock ?? 0) > newest && r.settlements.length === 0) newest = r.committedBlock!;
    if (metrics.lastBlock < newest) {
      this.coveredAtTick = null;
      return false;
    }
    if (this.coveredAtTick === null || this.coveredAtTick.block < newest) {
      this.coveredAtTick = { block: newest, ticks: metrics.ticks };
      return false;
    }
    return metrics.ticks >= this.coveredAtTick.ticks + 2;
  }

  /** Moves the chain clock by a third of the window every `travelEveryMs` while commitments await their window. */
  startClock(): void {
    if (this.traveling || this.clockRuns) return; // on anvil, time passes with its blocks
    this.stopTravel = false;
    const step = Math.ceil(this.config.challengeWindow / 3);
    const every = this.opts.travelEveryMs ?? 1_500;
    this.traveling = (async () => {
      while (!this.stopTravel) {
        await sleep(every);
        if (this.stopTravel) break;
        try {
          await this.ledger.sync();
          const waiting = [...this.ledger.requests.values()].some((r) => r.committedBy && r.settlements.length === 0);
          const openDisputes = this.ledger.disputesOpened.size > this.ledger.disputesResolved.size;
          if ((waiting || openDisputes) && (await this.challengerCaughtUp())) await this.increaseTime(step);
        } catch (e) {
          this.log(`clock: ${(e as Error).message}`);
        }
      }
    })();
  }

  async stopClock(): Promise<void> {
    this.stopTravel = true;
    await this.traveling;
    this.traveling = null;
  }

  /**
   * The requesters' part at the end: requests still Open or Assigned past their serving deadline are refunded (by
   * their requester), so that every request settles. Returns how many were refunded.
   */
  async refundExpired(): Promise<number> {
    const im = InferenceManager__factory.connect(this.config.addresses.inferenceManager, this.provider);
    const byRequester = new Map(this.config.requesters.map((r) => [r.address.toLowerCase(), r.key]));
    let refunded = 0;
    for (const r of this.ledger.requests.values()) {
      if (r.settlements.length > 0 || r.committedBy) continue;
      const req = await im.getRequest(r.id);
      const status = Number(req.status);
      if (status !== InferenceRequestStatus.Open && status !== InferenceRequestStatus.Assigned) continue;
      const now = (await this.provider.getBlock("latest"))!.timestamp;
      // An hour away with the local parameters: moved with evm_increaseTime (anvil has it too).
      if (now <= Number(req.deadline)) await this.increaseTime(Number(req.deadline) - now + 1);
      const key = byRequester.get(req.requester.toLowerCase());
      if (!key) continue;
      const signer = new NonceManager(new Wallet(key, this.provider));
      await (await im.connect(signer).refund(r.id)).wait();
      refunded++;
    }
    return refunded;
  }

  async snapshot(): Promise<StatusSnapshot> {
    const staking = Staking__factory.connect(this.config.addresses.staking, this.provider);
    const registry = NodeRegistry__factory.connect(this.config.addresses.nodeRegistry, this.provider);
    const nodes = await Promise.all(
      this.nodes.map(async (d, i) => {
        const op = this.config.operators[i];
        const [stake, node, metrics] = await Promise.all([
          staking.totalStake(op.address),
          registry.getNode(op.address),
          this.metrics(d),
        ]);
        const status = ["none", "active", "exiting", "exited", "JAILED"][Number(node.status)] ?? "?";
        const proc = d.proc?.exitCode() === undefined ? "up" : `down (${d.proc?.exitCode()})`;
        const tag = this.cheats(i) ? " cheats" : "";
        return {
          name: `${d.name}${tag}`,
          address: op.address,
          state: `${proc}, ${status}${d.starts > 1 ? `, restarted` : ""}`,
          stake,
          metrics,
        };
      }),
    );
    const challenger = this.challenger
      ? {
          state: this.challenger.proc?.exitCode() === undefined ? "up" : `down (${this.challenger.proc?.exitCode()})`,
          metrics: await this.metrics(this.challenger),
        }
      : null;
    return {
      elapsedMs: Date.now() - this.startedAt,
      block: this.ledger.lastBlock,
      chainTimeOffset: this.chainTimeOffset,
      load: this.loadState(),
      nodes,
      challenger,
    };
  }

  /** Stops the daemons and the load generator (SIGTERM, then SIGKILL after graceMs), leaving the chain running. */
  async stopDaemons(graceMs = 5_000): Promise<void> {
    const procs = [...this.nodes, ...(this.challenger ? [this.challenger] : [])].map((d) => d.proc);
    if (this.load) procs.push(this.load);
    await Promise.all(
      procs.filter((p): p is Managed => p !== undefined).map((p) => ProcessGroup.terminate(p, graceMs)),
    );
  }

  /** Stops the clock and every child process (SIGTERM, then SIGKILL after graceMs). */
  async stop(graceMs = 5_000): Promise<void> {
    this.stopTravel = true;
    await Promise.race([this.traveling ?? Promise.resolve(), sleep(3_000)]);
    await this.group.stop(graceMs);
    await this.chain?.stop();
    this.provider?.destroy();
  }

  /** Removes the working directory if this instance created it. */
  cleanup(): void {
    if (this.ownDir) fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
