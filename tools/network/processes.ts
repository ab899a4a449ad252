/**
 * Child-process plumbing shared by `npm run network`, its end-to-end test, the network benchmark and the CLI suite:
 * free loopback ports, raw JSON-RPC calls, a `hardhat node` on 127.0.0.1, and a process group that stops every
 * child it started (SIGTERM, a grace period, then SIGKILL of each child's whole process group), so that nothing is
 * left running and no port stays bound, even when the caller fails half-way.
 */
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

export const ROOT = path.join(__dirname, "..", "..");
export const VERITY_BIN = path.join(ROOT, "bin", "verity.js");
export const HARDHAT_BIN = path.join(ROOT, "node_modules", "hardhat", "internal", "cli", "bootstrap.js");

/** Hardhat's well-known development accounts (mnemonic "test test … junk"), funded with ETH by `hardhat node`. */
export const DEV_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
  "0x8b3a350cf5c34c9194ca85829a2df0ec3153be0318b5e2d3348e872092edffba",
  "0x92db14e403b83dfe3df233f83dfa3a0d7096f21ca9b0d6d6b8d88b2b4ec1564e",
  "0x4bbbf85ce3377467afe5d46f804f221813b2bb87f24d81f60f1fcdbf7cbf4356",
  "0xdbda1821b80551c9d65939329250298aa3472ba22feea921c0cf5d620ea67b97",
  "0x2a871d0798f97d79848a013d4936a73bf4cc922c825d33c1cf7073dff6d409c6",
] as const;

/** A TCP port that was free on 127.0.0.1 a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

/** True if something accepts connections on 127.0.0.1:port. */
export function portInUse(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: "127.0.0.1", port });
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** One raw JSON-RPC call (no ethers retry noise); throws the node's error message. */
export async function rpc(url: string, method: string, params: unknown[] = []): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const json = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (json.error) throw new Error(json.error.message);
  return json.result;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `probe` until it returns a value other than undefined, or throws `what` after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  timeoutMs: number,
  everyMs = 200,
): Promise<T> {
  const started = Date.now();
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch {
      // not yet
    }
    if (Date.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** GET http://127.0.0.1:port/path as JSON, or as Prometheus-style `name value` lines turned into an object. */
export async function getJson(port: number, route: string): Promise<Record<string, unknown>> {
  const res = await fetch(`http://127.0.0.1:${port}${route}`, { signal: AbortSignal.timeout(2_000) });
  const text = await res.text();
  if (!res.ok && res.status !== 503) throw new Error(`${route}: HTTP ${res.status}`);
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch {
    const out: Record<string, unknown> = {};
    for (const line of text.split("\n")) {
      const m =
        /^verity_[a-z]+_([A-Za-z0-9_]+)\s+(-?[0-9.e+]+)$/.exec(line.trim()) ??
        /^([A-Za-z0-9_]+)\s+(-?[0-9.e+]+)$/.exec(line.trim());
      if (m) out[m[1]] = Number(m[2]);
    }
    return out;
  }
}

/** A daemon's counters from its /metrics endpoint (numbers only; missing ones read as 0 through `metric`). */
export async function metricsOf(port: number): Promise<Record<string, number>> {
  const raw = await getJson(port, "/metrics");
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(raw)) if (typeof v === "number") out[k] = v;
  return out;
}

export interface ManagedOptions {
  /** File that receives the child's stdout and stderr (appended). */
  logFile?: string;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

/** A child started by a `ProcessGroup`, in its own process group (so that its own children die with it). */
export interface Managed {
  readonly name: string;
  readonly child: ChildProcess;
  /** Resolves with the exit code (or the signal's name) when the child has exited. */
  readonly exited: Promise<number | string>;
  exitCode(): number | string | undefined;
}

/**
 * Every child process of one run. `stop()` sends SIGTERM to each live child's process group, waits up to `graceMs`,
 * then SIGKILLs the stragglers' groups; it is idempotent and safe to call from `after` hooks and signal handlers.
 */
export class ProcessGroup {
  private readonly children: Managed[] = [];
  private stopping: Promise<void> | null = null;

  spawn(name: string, command: string, args: string[], opts: ManagedOptions = {}): Managed {
    const out = opts.logFile ? fs.openSync(opts.logFile, "a") : "ignore";
    const child = spawn(command, args, {
      cwd: opts.cwd ?? ROOT,
      env: { ...process.env, ...opts.env },
      detached: true, // its own process group: a group kill reaches anything it spawns
      stdio: ["ignore", out, out],
    });
    if (typeof out === "number") fs.closeSync(out);
    let code: number | string | undefined;
    const exited = new Promise<number | string>((resolve) => {
      child.once("exit", (c, sig) => {
        code = c ?? sig ?? "unknown";
        resolve(code);
      });
      child.once("error", () => {
        code = code ?? "spawn error";
        resolve(code);
      });
    });
    const managed: Managed = { name, child, exited, exitCode: () => code };
    this.children.push(managed);
    return managed;
  }

  /** `node bin/verity.js <args>` as a managed child. */
  verity(name: string, args: string[], opts: ManagedOptions = {}): Managed {
    return this.spawn(name, process.execPath, [VERITY_BIN, ...args], opts);
  }

  live(): Managed[] {
    return this.children.filter((c) => c.exitCode() === undefined);
  }

  /** Sends `signal` to the child's whole process group. */
  static signal(m: Managed, signal: NodeJS.Signals): void {
    if (m.child.pid === undefined || m.exitCode() !== undefined) return;
    try {
      process.kill(-m.child.pid, signal);
    } catch {
      try {
        m.child.kill(signal);
      } catch {
        // already gone
      }
    }
  }

  /** SIGTERM, wait up to graceMs for the child to exit, then SIGKILL its group. */
  static async terminate(m: Managed, graceMs = 5_000): Promise<void> {
    if (m.exitCode() !== undefined) return;
    ProcessGroup.signal(m, "SIGTERM");
    const timer = new Promise<"late">((r) => setTimeout(() => r("late"), graceMs).unref());
    if ((await Promise.race([m.exited, timer])) === "late") {
      ProcessGroup.signal(m, "SIGKILL");
      await Promise.race([m.exited, sleep(2_000)]);
    }
    // Whatever the child left in its group (e.g. a grandchild that ignored SIGTERM).
    if (m.child.pid !== undefined) {
      try {
        process.kill(-m.child.pid, "SIGKILL");
      } catch {
        // the group is empty
      }
    }
  }

  /** Stops every child (in reverse start order), at most graceMs each, all at the same time. */
  stop(graceMs = 5_000): Promise<void> {
    if (!this.stopping) {
      this.stopping = Promise.all([...this.children].reverse().map((m) => ProcessGroup.terminate(m, graceMs))).then(
        () => undefined,
      );
    }
    return this.stopping;
  }

  /** Synchronous last resort (process 'exit' handlers): SIGKILL every child's group. */
  killAllNow(): void {
    for (const m of this.children) ProcessGroup.signal(m, "SIGKILL");
  }
}

/** Starts `hardhat node --hostname 127.0.0.1 --port <port>` and waits until it answers eth_chainId. */
export async function startHardhatNode(
  group: ProcessGroup,
  opts: { port?: number; logFile?: string; timeoutMs?: number } = {},
): Promise<{ url: string; port: number; proc: Managed }> {
  const port = opts.port ?? (await freePort());
  const url = `http://127.0.0.1:${port}`;
  const proc = group.spawn(
    "hardhat node",
    process.execPath,
    [HARDHAT_BIN, "node", "--hostname", "127.0.0.1", "--port", String(port)],
    {
      logFile: opts.logFile,
      // hardhat.config.ts: automined blocks share their wall-clock second instead of adding one each.
      env: { VERITY_SAME_SECOND_BLOCKS: "1" },
    },
  );
  await waitFor(
    `hardhat node on ${url}`,
    async () => {
      if (proc.exitCode() !== undefined) throw new Error(`hardhat node exited (${proc.exitCode()})`);
      return (await rpc(url, "eth_chainId")) as string;
    },
    opts.timeoutMs ?? 60_000,
    250,
  ).catch((e: Error) => {
    if (proc.exitCode() !== undefined) throw new Error(`hardhat node exited with ${proc.exitCode()} before answering`);
    throw e;
  });
  return { url, port, proc };
}
