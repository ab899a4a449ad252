/**
 * `verity dev`'s deployment: the same Ignition module and parameters `verity deploy` runs (through
 * `hardhat ignition deploy`), run in this process with Ignition's core library instead, in memory, signed by the dev
 * chain's unlocked account 0. Only the addresses are recorded, in Ignition's format
 * (`ignition/deployments/<id>/deployed_addresses.json`): the dev chain dies with `verity dev`, so a journal to resume
 * from is of no use, and writing one (a copy of the 15 MB build info per contract) makes the deployment four to five
 * times slower on a busy machine.
 *
 * The module is loaded from the repository at run time (the CLI runs from a clone; `ignition/` sits above the
 * product layers, like the child process `verity deploy` starts).
 */
import * as fs from "fs";
import * as path from "path";
import {
  deploy,
  type ArtifactResolver,
  type EIP1193Provider,
  type IgnitionModule,
} from "@nomicfoundation/ignition-core";
import { Artifacts } from "hardhat/internal/artifacts";

import { REPO_ROOT } from "../../protocol/deployment";

function bigintReviver(_key: string, value: unknown): unknown {
  return typeof value === "string" && /^\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value;
}

async function rpc(url: string, method: string, params: unknown[]): Promise<unknown> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message: string; code?: number; data?: unknown } };
  if (body.error) throw Object.assign(new Error(body.error.message), body.error);
  return body.result;
}

function artifactResolver(): ArtifactResolver {
  const artifacts = new Artifacts(path.join(REPO_ROOT, "artifacts"));
  // Ignition asks for the build info of every contract it records; one file (15 MB) serves most of them.
  const parsed = new Map<string, unknown>();
  const readBuildInfo = (file: string) => {
    if (!parsed.has(file)) parsed.set(file, JSON.parse(fs.readFileSync(file, "utf8")));
    return parsed.get(file);
  };
  return {
    loadArtifact: (name) => artifacts.readArtifact(name),
    getBuildInfo: async (name) => {
      const fq = name.includes(":")
        ? name
        : (await artifacts.getArtifactPaths()).find((p) => path.parse(p).name === name);
      if (fq === undefined) return undefined;
      if (name.includes(":")) return artifacts.getBuildInfo(name);
      const dbg = JSON.parse(fs.readFileSync(fq.replace(/\.json$/, ".dbg.json"), "utf8")) as { buildInfo: string };
      return readBuildInfo(path.resolve(path.dirname(fq), dbg.buildInfo)) as Awaited<
        ReturnType<ArtifactResolver["getBuildInfo"]>
      >;
    },
  };
}

/**
 * Deploys `ignition/modules/<moduleName>.ts` with `parametersFile` on the chain at `url`, recording it in
 * `ignition/deployments/<deploymentId>/`; resolves with the deployed_addresses.json file.
 */
export async function deployInProcess(
  url: string,
  moduleName: string,
  parametersFile: string,
  deploymentId: string,
): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const loaded = require(path.join(REPO_ROOT, "ignition", "modules", moduleName)) as { default: IgnitionModule };
  const parameters = JSON.parse(fs.readFileSync(parametersFile, "utf8"), bigintReviver);
  const accounts = (await rpc(url, "eth_accounts", [])) as string[];
  const provider = {
    request: ({ method, params }: { method: string; params?: unknown[] }) => rpc(url, method, params ?? []),
  } as EIP1193Provider;
  const result = await deploy({
    config: { blockPollingInterval: 20, requiredConfirmations: 1 },
    provider,
    artifactResolver: artifactResolver(),
    ignitionModule: loaded.default,
    deploymentParameters: parameters,
    accounts,
    defaultSender: accounts[0],
  });
  if (result.type !== "SUCCESSFUL_DEPLOYMENT") {
    throw new Error(
      `the Ignition deployment failed: ${JSON.stringify(result, (_k, v: unknown) => (typeof v === "bigint" ? String(v) : v))}`,
    );
  }
  const addresses = Object.fromEntries(Object.entries(result.contracts).map(([id, c]) => [id, c.address]));
  const file = path.join(REPO_ROOT, "ignition", "deployments", deploymentId, "deployed_addresses.json");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, JSON.stringify(addresses, null, 2) + "\n");
  return file;
}
