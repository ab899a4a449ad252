/**
 * For the suites that drive the `verity` CLI end to end (test/cli, test/tee): anvil (cli/dev/anvil.ts) on a free
 * loopback port, mining a block per transaction (automine, so that the suites control time with evm_increaseTime),
 * a scratch directory with its own VERITY_HOME, and `node bin/verity.js …` run as a child process against them
 * (asynchronously: the chain and the CLI run at the same time). `stop()` kills the chain and every daemon the suite
 * started, and removes the scratch directory and the Ignition deployment folder the suite created.
 */
import { expect } from "chai";
import { spawn, type ChildProcess } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { JsonRpcProvider } from "ethers";

import { startAnvil, type Anvil } from "../../cli/dev/anvil";
import { buildManifest, MANIFEST_FILE, PROGRAM_FILE } from "../../cli/model-source";
import { encodeProgram } from "../../executor/runtime/program";
import { languageModel } from "../../models/lm";
import { DEV_KEYS, ROOT, VERITY_BIN } from "../../tools/network/processes";

export interface CliRun {
  status: number | null;
  /** The signal that ended the command: SIGKILL when it ran past COMMAND_TIMEOUT_MS. */
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Writes the byte LM's program directory into `dir`/lm, as `verity model import models/lm/byte-lm.onnx -c
 * models/lm/calibration.json` writes it (the same program: the same ONNX file and calibration windows), for
 * `verity model publish lm --generation`.
 */
export function writeLanguageModelDir(dir: string): void {
  const lm = languageModel();
  const target = path.join(dir, "lm");
  fs.mkdirSync(target);
  fs.writeFileSync(path.join(target, PROGRAM_FILE), encodeProgram(lm.program));
  fs.writeFileSync(path.join(target, MANIFEST_FILE), JSON.stringify(buildManifest(lm.program, lm.onnx)));
  fs.writeFileSync(path.join(target, "byte-lm.onnx"), lm.onnx);
}

/** The environment that makes the CLI sign with Hardhat development account `i`. */
export const asKey = (i: number) => ({ VERITY_PRIVATE_KEY: DEV_KEYS[i] });

/** How long one CLI command may run before it is killed (its result then has status null). */
const COMMAND_TIMEOUT_MS = 150_000;
/** How long the chain may take to answer its first call. */
const CHAIN_START_MS = 40_000;

function killGroup(child: ChildProcess | undefined): void {
  if (child?.pid === undefined) return;
  try {
    process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}

export class CliChain {
  /** The CLI's environment for every command (tests may add to it, e.g. VERITY_DEPLOYMENT after `deploy`). */
  readonly env: Record<string, string>;
  readonly deploymentId: string;
  private readonly children: ChildProcess[] = [];

  private constructor(
    readonly dir: string,
    readonly url: string,
    readonly port: number,
    readonly provider: JsonRpcProvider,
    private readonly chain: Anvil,
    name: string,
  ) {
    this.deploymentId = `${name}-${port}-${process.pid}`;
    this.env = {
      VERITY_RPC_URL: url,
      VERITY_HOME: path.join(dir, ".verity"),
      VERITY_PRIVATE_KEY: "",
      VERITY_DEPLOYMENT: "",
    };
  }

  /** Starts the chain and waits until it answers; `name` prefixes the scratch directory and the deployment id. */
  static async start(name: string): Promise<CliChain> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `verity-${name}-`));
    const chain = await startAnvil({ blockTime: 0, startTimeoutMs: CHAIN_START_MS });
    const { url, port } = chain;
    return new CliChain(dir, url, port, new JsonRpcProvider(url, undefined, { staticNetwork: true }), chain, name);
  }

  /** Runs `verity <args>` in the scratch directory with `env` plus `extra`. */
  verity(args: string[], extra: Record<string, string> = {}): Promise<CliRun> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [VERITY_BIN, ...args], {
        cwd: this.dir,
        env: { ...process.env, ...this.env, ...extra },
      });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
      child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
      const timer = setTimeout(() => child.kill("SIGKILL"), COMMAND_TIMEOUT_MS);
      child.on("close", (status, signal) => {
        clearTimeout(timer);
        resolve({ status, signal, stdout, stderr });
      });
    });
  }

  /** `verity`, expecting exit 0 (the failure message carries the command and its output). */
  async ok(args: string[], extra: Record<string, string> = {}): Promise<CliRun> {
    const r = await this.verity(args, extra);
    expect(r.status, `verity ${args.join(" ")} (signal ${r.signal})\n${r.stderr}${r.stdout}`).to.equal(0);
    return r;
  }

  /** `verity <args> --json`, expecting exit 0, parsed. */
  async json<T>(args: string[], extra: Record<string, string> = {}): Promise<T> {
    const r = await this.ok([...args, "--json"], extra);
    try {
      return JSON.parse(r.stdout) as T;
    } catch (e) {
      throw new Error(
        `verity ${args.join(" ")} --json exited 0 but printed no JSON document (${(e as Error).message}): ${JSON.stringify(r.stdout)}`,
      );
    }
  }

  /** Starts a long-running `verity` command (a daemon) in its own process group; `stop()` kills it. */
  spawnVerity(args: string[], extra: Record<string, string> = {}): ChildProcess {
    const child = spawn(process.execPath, [VERITY_BIN, ...args], {
      cwd: this.dir,
      env: { ...process.env, ...this.env, ...extra },
      detached: true,
    });
    this.children.push(child);
    return child;
  }

  stop(): void {
    for (const child of this.children) killGroup(child);
    this.provider.destroy();
    try {
      process.kill(this.chain.pid, "SIGKILL");
    } catch {
      // already gone
    }
    fs.rmSync(path.join(ROOT, "ignition", "deployments", this.deploymentId), { recursive: true, force: true });
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
