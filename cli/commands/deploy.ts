/**
 * `verity deploy`: the Ignition deployment of the whole protocol (ignition/modules/Protocol.ts or a variant) on
 * a JSON-RPC chain, through `npx hardhat ignition deploy --network remote` with VERITY_RPC_URL and
 * VERITY_PRIVATE_KEY set from the CLI's configuration. Prints the contract addresses and the file later commands
 * read them from.
 */
import { spawn } from "child_process";
import * as fs from "fs";
import * as path from "path";
import type { Command } from "commander";
import {
  REPO_ROOT,
  defaultDeploymentId,
  deploymentChainMismatch,
  ignitionAddressesFile,
  readDeploymentFile,
  writeChainRecord,
  type ProtocolAddresses,
} from "../../protocol/deployment";
import { decodeRevertsIn } from "../../protocol/revert";
import { type Chain, connectChain, readDeployment } from "../chain";
import { globalsOf } from "../config";
import { CliError } from "../errors";
import { toJson } from "../values";
import { spin } from "../spinner";
import { formatTable } from "../table";

const MODULES = ["Protocol", "ProtocolExistingToken", "ProtocolExistingTokenHandOver"] as const;

interface DeployOptions {
  parameters: string;
  module: string;
  deploymentId?: string;
  reset?: boolean;
  yes?: boolean;
  json?: boolean;
  networkUrl?: string;
}

/** Runs a child process, collecting its output and passing each line to `onLine`; resolves with the exit code. */
function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  onLine: (line: string) => void,
): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    // Without a terminal, stdin is closed: Ignition's confirmation prompt then cancels at once instead of hanging.
    const stdin = process.stdin.isTTY ? "inherit" : "ignore";
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: [stdin, "pipe", "pipe"] });
    let out = "";
    let pending = "";
    const take = (d: Buffer) => {
      const text = d.toString();
      out += text;
      pending += text;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") onLine(line.trim());
    };
    child.stdout.on("data", take);
    child.stderr.on("data", take);
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

/** The outcome of an Ignition deployment: the deployment id, its addresses file, and every recorded future. */
export interface IgnitionDeployment {
  deploymentId: string;
  file: string;
  addresses: ProtocolAddresses;
  /** deployed_addresses.json as Ignition wrote it: future id -> address (libraries and settlers included). */
  futures: Record<string, string>;
}

export interface IgnitionDeployOptions {
  parameters: string;
  module: string;
  deploymentId?: string;
  reset?: boolean;
  yes?: boolean;
  /** Milliseconds between Ignition's block polls (default Ignition's 1 s; a local chain answers at once). */
  pollMs?: number;
}

/**
 * Deploys `module` with Ignition on `chain` (through `npx hardhat ignition deploy --network remote`), refusing an
 * existing record of the same id made on another chain unless `reset`; writes the chain record beside the addresses.
 */
export async function ignitionDeploy(chain: Chain, opts: IgnitionDeployOptions): Promise<IgnitionDeployment> {
  if (!MODULES.includes(opts.module as (typeof MODULES)[number])) {
    throw new CliError(`unknown module '${opts.module}'`, `choose one of ${MODULES.join(", ")} (ignition/modules/)`);
  }
  const parameters = path.resolve(opts.parameters);
  if (!fs.existsSync(parameters)) {
    throw new CliError(
      `parameter file '${opts.parameters}' does not exist`,
      "start from ignition/parameters/local.json or remote.json",
    );
  }
  const deploymentId = opts.deploymentId ?? defaultDeploymentId(chain.chainId, chain.genesisHash);
  const file = ignitionAddressesFile(deploymentId);
  if (fs.existsSync(file) && !opts.reset) {
    const mismatch = await deploymentChainMismatch(file, readDeploymentFile(file), chain, (a) =>
      chain.provider.getCode(a),
    ).catch(() => null);
    if (mismatch !== null) {
      throw new CliError(
        `the Ignition deployment '${deploymentId}' belongs to another chain: ${mismatch}`,
        "add --reset to replace that record, or pick another --deployment-id",
      );
    }
  }
  const args = [
    "hardhat",
    "ignition",
    "deploy",
    path.join("ignition", "modules", `${opts.module}.ts`),
    "--network",
    "remote",
    "--parameters",
    parameters,
    "--deployment-id",
    deploymentId,
  ];
  if (opts.reset) args.push("--reset");
  const env: NodeJS.ProcessEnv = { ...process.env, VERITY_RPC_URL: chain.settings.rpc };
  if (chain.settings.key !== undefined) env.VERITY_PRIVATE_KEY = chain.settings.key;
  else delete env.VERITY_PRIVATE_KEY; // the node's own unlocked account (hardhat node, anvil) signs
  if (opts.pollMs !== undefined) env.VERITY_IGNITION_POLL_MS = String(opts.pollMs);
  if (opts.yes) {
    env.HARDHAT_IGNITION_CONFIRM_DEPLOYMENT = "true";
    env.HARDHAT_IGNITION_CONFIRM_RESET = "true";
  }
  const npx = process.platform === "win32" ? "npx.cmd" : "npx";
  const label = `deploying ${opts.module} to chain ${chain.chainId} (${deploymentId})`;
  // Ignition redraws its batch table with cursor moves: show each batch and each executed future once.
  const seen = new Set<string>();
  const progress = (line: string) => {
    // eslint-disable-next-line no-control-regex -- ANSI escape sequences (ESC [ … letter)
    const text = line.replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").trim();
    if (!/^(Batch #\d+|Executed |\[ .+ \] successfully deployed)/.test(text) || seen.has(text)) return null;
    seen.add(text);
    return text;
  };
  const result = await spin(
    label,
    (s) =>
      run(npx, args, env, (line) => {
        const text = progress(line);
        if (text !== null) s.update(text);
      }),
    { lines: true, everyUpdate: true },
  );
  const cancelled = /cancel|aborted|confirm/i.test(result.out) && !fs.existsSync(file);
  if (result.code !== 0 || cancelled) {
    process.stderr.write(result.out);
    // Ignition reports a revert as raw data: name it.
    for (const d of decodeRevertsIn(result.out)) process.stderr.write(`decoded revert: ${d.text}\n`);
    if (cancelled) {
      throw new CliError(
        "the Ignition deployment was not confirmed, so nothing was deployed",
        "Ignition asks for confirmation on chains other than 31337 and cannot ask without a terminal: re-run with --yes",
      );
    }
    throw new CliError(
      `the Ignition deployment failed (exit ${result.code}); its output is above`,
      /reconcil|previous run|journal|chain id/i.test(result.out)
        ? `a deployment '${deploymentId}' from an earlier chain exists: add --reset, or pick another --deployment-id`
        : "check the parameter file against docs/DEPLOYER.md and that the deploying account holds gas",
    );
  }
  writeChainRecord(file, { chainId: String(chain.chainId), genesisHash: chain.genesisHash });
  const futures = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>;
  return { deploymentId, file, addresses: readDeployment(file), futures };
}

/** The address table `verity deploy` and `verity dev` print: every contract Ignition recorded, by future id. */
export function addressTable(futures: Record<string, string>): string {
  const rows = Object.entries(futures)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, address]) => [id.split("#")[1] ?? id, address, id]);
  return formatTable(["contract", "address", "Ignition future"], rows);
}

async function deploy(opts: DeployOptions, cmd: Command): Promise<void> {
  const globals = globalsOf(cmd);
  if (opts.networkUrl !== undefined) globals.rpc = opts.networkUrl;
  // The in-process Hardhat network vanishes with the process, so a deployment needs a real endpoint.
  const chain = await connectChain(globals);
  // A local chain answers at once: poll it as fast (Ignition's default is 1 s).
  const local = chain.chainId === 31337n || chain.chainId === 1337n;
  const d = await ignitionDeploy(chain, { ...opts, pollMs: local ? 100 : undefined });
  if (opts.json) {
    process.stdout.write(
      toJson({
        chainId: chain.chainId,
        genesisHash: chain.genesisHash,
        deploymentId: d.deploymentId,
        deployment: d.file,
        addresses: d.addresses,
        futures: d.futures,
      }) + "\n",
    );
    return;
  }
  process.stdout.write(addressTable(d.futures));
  process.stdout.write(
    `\ndeployment ${d.deploymentId} on chain ${chain.chainId}; addresses in ${path.relative(process.cwd(), d.file) || d.file}\n` +
      (opts.deploymentId === undefined
        ? "later commands on this chain find it by themselves\n"
        : `pass --deployment ${d.file} (or VERITY_DEPLOYMENT) to later commands\n`),
  );
}

export function registerDeployCommands(cli: Command): void {
  cli
    .command("deploy")
    .description(
      "deploy the whole protocol with Ignition (ignition/modules/<module>.ts) to a JSON-RPC chain and print the addresses",
    )
    .option(
      "-p, --parameters <file>",
      "Ignition parameter file",
      path.join(REPO_ROOT, "ignition", "parameters", "local.json"),
    )
    .option("-m, --module <name>", `module: ${MODULES.join(" | ")}`, "Protocol")
    .option("--network-url <url>", "the chain's JSON-RPC URL (same as --rpc)")
    .option(
      "--deployment-id <id>",
      "Ignition deployment id (default chain-<chainId>-<first 8 hex digits of the genesis hash>)",
    )
    .option("--reset", "wipe an earlier deployment record with the same id")
    .option("-y, --yes", "do not ask for confirmation on chains other than 31337")
    .option("--json", "print {chainId, genesisHash, deploymentId, deployment, addresses, futures} as one JSON line")
    .action(async (opts: DeployOptions, cmd: Command) => deploy(opts, cmd));
}
