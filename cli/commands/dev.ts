/**
 * `verity dev` (and `npm run chain`): a local development chain in one command. It starts anvil (cli/dev/anvil.ts)
 * on 127.0.0.1, deploys the protocol with Ignition's module and local parameters as `verity deploy` does, in this
 * process (cli/dev/ignition.ts), with a short challenge window, funds a
 * named dev account for each role with tokens, then switches the chain to interval mining (a block every
 * `--block-time` seconds, so that time passes as on a real chain), prints the accounts with their keys (anvil's
 * well-known dev keys: never use them on a real chain) and writes them as a ready-to-source environment file,
 * `$VERITY_HOME/dev.env`. It runs until SIGINT/SIGTERM, then stops anvil and removes the deployment record and the
 * environment file, which belonged to that chain only.
 */
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import type { Command } from "commander";
import { NonceManager, Wallet, parseUnits } from "ethers";

import { InferenceManagerConstants } from "../../protocol/constants";
import { attachProtocol } from "../../protocol/contracts";
import {
  REPO_ROOT,
  defaultDeploymentId,
  ignitionAddressesFile,
  readDeploymentFile,
  writeChainRecord,
} from "../../protocol/deployment";
import { connectChain } from "../chain";
import { verityHome } from "../config";
import { startAnvil, freePort, type Anvil } from "../dev/anvil";
import { deployInProcess } from "../dev/ignition";
import { spin } from "../spinner";
import { CliError } from "../errors";
import { intOption } from "../daemon-process";
import { formatTable } from "../table";
import { toJson } from "../values";
import { addressTable } from "./deploy";

/** The shortest challenge window the InferenceManager accepts, in seconds. */
const MIN_CHALLENGE_WINDOW = InferenceManagerConstants.MIN_CHALLENGE_WINDOW;

/** Anvil's (and Hardhat's) development accounts, from the mnemonic "test test … junk": public keys, dev only. */
export const DEV_ACCOUNTS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
  "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
  "0x47e179ec197488593b187f80a00eb0da91f1b9d0b13f8733639f19c30a34926a",
] as const;

/** The roles of a dev chain: the environment variable prefix, the account, the tokens it is funded with. */
export const DEV_ROLES = [
  { role: "deployer", env: "DEPLOYER", account: 0, tokens: null, what: "governor and publisher; holds the supply" },
  { role: "operator", env: "OPERATOR", account: 1, tokens: "5000", what: "runs a node (stakes, registers, serves)" },
  { role: "requester", env: "REQUESTER", account: 2, tokens: "1000", what: "pays for inferences" },
  { role: "challenger", env: "CHALLENGER", account: 3, tokens: "1000", what: "watchtower: posts dispute bonds" },
  { role: "operator2", env: "OPERATOR2", account: 4, tokens: "5000", what: "a second node" },
] as const;

interface DevOptions {
  port?: string;
  blockTime: string;
  challengeWindow: string;
  parameters: string;
  json?: boolean;
}

/** 8545 when it is free on 127.0.0.1, else any free port. */
async function defaultPort(): Promise<number> {
  const free = await new Promise<boolean>((resolve) => {
    const srv = net.createServer();
    srv.once("error", () => resolve(false));
    srv.listen(8545, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
  return free ? 8545 : freePort();
}

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string } };
  if (body.error) throw new Error(`${method}: ${body.error.message}`);
  return body.result;
}

/** The local parameters with the dev chain's challenge window, written where Ignition can read them. */
function devParameters(from: string, challengeWindow: number, home: string): string {
  if (!fs.existsSync(from)) {
    throw new CliError(`parameter file '${from}' does not exist`, "start from ignition/parameters/local.json");
  }
  const json = JSON.parse(fs.readFileSync(from, "utf8")) as Record<string, Record<string, unknown>>;
  json.InferenceManager = { ...json.InferenceManager, challengeWindow };
  const out = path.join(home, "dev", "parameters.json");
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify(json, null, 2) + "\n");
  return out;
}

async function dev(opts: DevOptions): Promise<void> {
  const blockTime = intOption(opts.blockTime, "--block-time", 1);
  const challengeWindow = intOption(opts.challengeWindow, "--challenge-window", MIN_CHALLENGE_WINDOW);
  const port = opts.port !== undefined ? intOption(opts.port, "--port", 1) : await defaultPort();
  const home = verityHome();
  const parameters = devParameters(path.resolve(opts.parameters), challengeWindow, home);
  const say = (s: string) => {
    if (!opts.json) process.stderr.write(s + "\n");
  };
  // A dev.env left by a chain that is gone (a killed `verity dev`) must not be mistaken for this one's.
  fs.rmSync(path.join(home, "dev.env"), { force: true });
  say(`starting anvil on 127.0.0.1:${port}`);
  let anvil: Anvil;
  try {
    // Automine while deploying (each transaction mined at once), interval mining afterwards.
    anvil = await startAnvil({ blockTime: 0, port, accounts: 10 });
  } catch (e) {
    throw new CliError(`anvil did not start: ${(e as Error).message}`, "run `npm ci` (it installs @foundry-rs/anvil)");
  }
  const envFile = path.join(home, "dev.env");
  let deploymentDir: string | null = null;
  const cleanUp = async () => {
    await anvil.stop();
    fs.rmSync(envFile, { force: true });
    if (deploymentDir) fs.rmSync(deploymentDir, { recursive: true, force: true });
  };
  try {
    const chain = await connectChain({ rpc: anvil.url, key: DEV_ACCOUNTS[0] });
    const deploymentId = defaultDeploymentId(chain.chainId, chain.genesisHash);
    deploymentDir = path.dirname(ignitionAddressesFile(deploymentId));
    const file = await spin(`deploying the protocol (${deploymentId})`, () =>
      deployInProcess(anvil.url, "Protocol", parameters, deploymentId),
    );
    writeChainRecord(file, { chainId: String(chain.chainId), genesisHash: chain.genesisHash });
    const d = {
      deploymentId,
      file,
      addresses: readDeploymentFile(file),
      futures: JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, string>,
    };
    const deployer = new NonceManager(new Wallet(DEV_ACCOUNTS[0], chain.provider));
    const { token } = attachProtocol(d.addresses, deployer);
    const decimals = Number(await token.decimals());
    const accounts = DEV_ROLES.map((r) => ({ ...r, key: DEV_ACCOUNTS[r.account], address: "" }));
    for (const a of accounts) {
      a.address = new Wallet(a.key).address;
      if (a.tokens !== null) await (await token.transfer(a.address, parseUnits(a.tokens, decimals))).wait();
    }
    await rpc(anvil.url, "evm_setIntervalMining", [blockTime]);
    const balances = await Promise.all(accounts.map((a) => token.balanceOf(a.address)));
    chain.provider.destroy();
    const env = [
      `# verity dev: anvil at ${anvil.url} (chain ${chain.chainId}, a block every ${blockTime} s), deployment ${d.deploymentId}`,
      `# anvil's public dev keys: for this local chain only`,
      `export VERITY_RPC_URL=${anvil.url}`,
      `export VERITY_DEPLOYMENT=${d.file}`,
      ...accounts.flatMap((a) => [`export ${a.env}=${a.address}`, `export ${a.env}_KEY=${a.key}`]),
    ].join("\n");
    fs.mkdirSync(home, { recursive: true });
    fs.writeFileSync(envFile, env + "\n", { mode: 0o600 });
    const envShown = path.relative(process.cwd(), envFile) || envFile;
    if (opts.json) {
      process.stdout.write(
        toJson({
          rpc: anvil.url,
          chainId: chain.chainId,
          blockTime,
          challengeWindow,
          deploymentId: d.deploymentId,
          deployment: d.file,
          envFile,
          accounts: accounts.map((a, i) => ({
            role: a.role,
            address: a.address,
            key: a.key,
            tokens: balances[i],
          })),
        }) + "\n",
      );
    } else {
      const rows = accounts.map((a, i) => [
        a.role,
        a.address,
        `${(balances[i] / 10n ** BigInt(decimals)).toString()} VRT`,
        a.what,
      ]);
      process.stdout.write(
        `anvil on ${anvil.url} (chain ${chain.chainId}, a block every ${blockTime} s); the protocol deployed as ` +
          `${d.deploymentId}, challenge window ${challengeWindow} s\n\n` +
          addressTable(d.futures) +
          "\n" +
          formatTable(["role", "address", "tokens", "what for"], rows) +
          `\nfor another shell (written to ${envShown}; \`source ${envShown}\`):\n\n${env}\n\n` +
          `ready: Ctrl-C stops the chain (its state is not kept)\n`,
      );
    }
  } catch (e) {
    await cleanUp();
    throw e;
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });
  say("stopping anvil");
  await cleanUp();
}

export function registerDevCommand(cli: Command): void {
  cli
    .command("dev")
    .description(
      "a local dev chain in one command: anvil with a block every second, the protocol deployed with a short " +
        "challenge window, funded dev accounts for each role printed with their keys (and written to " +
        "$VERITY_HOME/dev.env); runs until Ctrl-C",
    )
    .option("--port <n>", "TCP port on 127.0.0.1 (default 8545 when free, else any free port)")
    .option("--block-time <s>", "seconds between blocks", "1")
    .option(
      "--challenge-window <s>",
      `the challenge window in seconds (at least ${MIN_CHALLENGE_WINDOW}, the contract's minimum)`,
      "60",
    )
    .option(
      "-p, --parameters <file>",
      "Ignition parameters to start from",
      path.join(REPO_ROOT, "ignition", "parameters", "local.json"),
    )
    .option("--json", "print {rpc, chainId, deploymentId, deployment, envFile, accounts} as one JSON line")
    .action(async (opts: DevOptions) => dev(opts));
}
