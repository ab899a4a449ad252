/**
 * A local anvil chain (Foundry's node, from the `@foundry-rs/anvil` dependency): started on 127.0.0.1 and a
 * free port with interval mining, so that time passes as on a real chain, and stopped with its process group.
 * `verity dev`, the network tool, the network benchmark and the end-to-end tests use it.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";

export interface AnvilOptions {
  /** Seconds between blocks (interval mining); 0 mines a block per transaction (automine). Default 1. */
  blockTime?: number;
  /** TCP port on 127.0.0.1; default a free one. */
  port?: number;
  /** Chain id; default anvil's 31337. */
  chainId?: number;
  /** Dev accounts to fund (anvil's mnemonic); default 10. */
  accounts?: number;
  /** Balance of each dev account in ether; default 10,000. */
  balanceEther?: number;
  /** Milliseconds to wait for the RPC to answer before giving up; default 30 s. */
  startTimeoutMs?: number;
  /** Receives anvil's output lines (default: dropped). */
  onOutput?: (line: string) => void;
}

export interface Anvil {
  /** The JSON-RPC URL, http://127.0.0.1:<port>. */
  readonly url: string;
  readonly port: number;
  readonly pid: number;
  /** Stops the chain (SIGTERM, then SIGKILL after 5 s); resolves once the process has exited. */
  stop(): Promise<void>;
}

/** The anvil binary could not be found or did not start. */
export class AnvilError extends Error {
  override name = "AnvilError";
}

/** Path of the anvil binary shipped in the platform package of `@foundry-rs/anvil`. */
export function anvilBinary(): string {
  const platformPackage = `@foundry-rs/anvil-${process.platform}-${process.arch === "x64" ? "amd64" : process.arch}`;
  let manifest: string;
  try {
    manifest = require.resolve(`${platformPackage}/package.json`);
  } catch {
    throw new AnvilError(
      `anvil is not installed for ${process.platform}/${process.arch}: ${platformPackage} is missing (npm ci installs it)`,
    );
  }
  const binary = join(dirname(manifest), "bin", process.platform === "win32" ? "anvil.exe" : "anvil");
  if (!existsSync(binary)) throw new AnvilError(`anvil binary missing at ${binary}`);
  return binary;
}

/** A TCP port on 127.0.0.1 that nothing listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new AnvilError("no free port on 127.0.0.1"))));
    });
  });
}

async function chainAnswers(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(1000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

function waitExit(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once("exit", () => resolve()));
}

/** Starts anvil on 127.0.0.1 and resolves once its JSON-RPC answers. */
export async function startAnvil(options: AnvilOptions = {}): Promise<Anvil> {
  const blockTime = options.blockTime ?? 1;
  if (!Number.isInteger(blockTime) || blockTime < 0) throw new AnvilError(`blockTime must be an integer >= 0`);
  const port = options.port ?? (await freePort());
  const args = ["--host", "127.0.0.1", "--port", String(port)];
  if (blockTime > 0) args.push("--block-time", String(blockTime));
  if (options.chainId !== undefined) args.push("--chain-id", String(options.chainId));
  if (options.accounts !== undefined) args.push("--accounts", String(options.accounts));
  if (options.balanceEther !== undefined) args.push("--balance", String(options.balanceEther));
  const child = spawn(anvilBinary(), args, { stdio: ["ignore", "pipe", "pipe"] });
  const onOutput = options.onOutput;
  for (const stream of [child.stdout, child.stderr]) {
    stream?.setEncoding("utf8");
    stream?.on("data", (chunk: string) => {
      if (onOutput) for (const line of chunk.split("\n")) if (line.trim() !== "") onOutput(line);
    });
  }
  const killOnExit = () => child.kill("SIGKILL");
  process.once("exit", killOnExit);
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    process.removeListener("exit", killOnExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
    await waitExit(child);
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  while (!(await chainAnswers(url))) {
    if (child.exitCode !== null || child.signalCode !== null) {
      process.removeListener("exit", killOnExit);
      throw new AnvilError(`anvil exited (${child.exitCode ?? child.signalCode}) before answering on ${url}`);
    }
    if (Date.now() > deadline) {
      await stop();
      throw new AnvilError(`anvil did not answer on ${url} within ${options.startTimeoutMs ?? 30_000} ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, port, pid: child.pid ?? 0, stop };
}
