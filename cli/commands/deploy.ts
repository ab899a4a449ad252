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
  ignitionAddressesFile,
  type ProtocolAddresses,
} from "../../protocol/deployment";
import { connectChain, readDeployment } from "../chain";
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

/** Runs a child process, collecting its output; resolves with the exit code. */
function run(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { cwd: REPO_ROOT, env, stdio: ["inherit", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? 1, out }));
  });
}

async function deploy(opts: DeployOptions, cmd: Command): Promise<void> {
  const globals = globalsOf(cmd);
  if (opts.networkUrl !== undefined) globals.rpc = opts.networkUrl;
  if (!MODULES.includes(opts.module as (typeof MODULES)[number])) {
    throw new CliError(`unknown module '${opts.module}'`, `choose one of ${MODULES.join(", ")} (ignition/modules/)`);
  }
  // The in-process Hardhat network vanishes with the process, so a deployment needs a real endpoint.
  const chain = await connectChain(globals);
  const parameters = path.resolve(opts.parameters);
  if (!fs.existsSync(parameters)) {
    throw new CliError(
      `parameter file '${opts.parameters}' does not exist`,
      "start from ignition/parameters/local.json or remote.json",
    );
  }
  const deploymentId = opts.deploymentId ?? defaultDeploymentId(chain.chainId);
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
  else delete env.VERITY_PRIVATE_KEY; // the node's own unlocked account (hardhat node) signs
  if (opts.yes) {
    env.HARDHAT_IGNITION_CONFIRM_DEPLOYMENT = "true";
    env.HARDHAT_IGNITION_CONFIRM_RESET = "true";
  }
  const npx = process.platform === "win32" ? "npx.cmd" : "npx";
  const result = await spin(`deploying ${opts.module} to chain ${chain.chainId} (${deploymentId})`, () =>
    run(npx, args, env),
  );
  if (result.code !== 0) {
    process.stderr.write(result.out);
    throw new CliError(
      `the Ignition deployment failed (exit ${result.code}); its output is above`,
      /reconcil|previous run|journal|chain id/i.test(result.out)
        ? `a deployment '${deploymentId}' from an earlier chain exists: add --reset, or pick another --deployment-id`
        : "check the parameter file against docs/DEPLOYER.md and that the deploying account holds gas",
    );
  }
  const file = ignitionAddressesFile(deploymentId);
  const addresses: ProtocolAddresses = readDeployment(file);
  if (opts.json) {
    process.stdout.write(toJson({ chainId: chain.chainId, deploymentId, deployment: file, addresses }) + "\n");
    return;
  }
  const order: (keyof ProtocolAddresses)[] = [
    "token",
    "staking",
    "modelRegistry",
    "nodeRegistry",
    "inferenceManager",
    "verifier",
    "disputeManager",
  ];
  const rows = order.filter((k) => addresses[k] !== undefined).map((k) => [k, String(addresses[k])]);
  process.stdout.write(formatTable(["contract", "address"], rows));
  process.stdout.write(
    `\ndeployment ${deploymentId} on chain ${chain.chainId}; addresses in ${path.relative(process.cwd(), file) || file}\n` +
      (deploymentId === defaultDeploymentId(chain.chainId)
        ? "later commands on this chain find it by themselves\n"
        : `pass --deployment ${file} (or VERITY_DEPLOYMENT) to later commands\n`),
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
    .option("--deployment-id <id>", "Ignition deployment id (default chain-<chainId>)")
    .option("--reset", "wipe an earlier deployment with the same id (e.g. after restarting a local node)")
    .option("-y, --yes", "do not ask for confirmation on chains other than 31337")
    .option("--json", "print {chainId, deploymentId, deployment, addresses} as one JSON line")
    .action(async (opts: DeployOptions, cmd: Command) => deploy(opts, cmd));
}
