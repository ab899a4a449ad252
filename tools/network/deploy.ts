/**
 * Deploys ignition/modules/Protocol.ts with a parameters file (ignition/parameters/local.json by default; the network
 * tool gives anvil.json on anvil) to a JSON-RPC chain through Ignition's core library, in memory (no
 * ignition/deployments/ folder is written), signing with the node's unlocked account 0. Same module and same wiring
 * as `verity deploy`, without starting a Hardhat task in a child process (which costs about half a minute on a busy
 * 2-core machine); the chain mines each transaction at once during the set-up (automine), so Ignition may poll
 * every 20 ms instead of every second.
 */
import * as fs from "fs";
import * as path from "path";
import { deploy, type ArtifactResolver, type EIP1193Provider } from "@nomicfoundation/ignition-core";
import { Artifacts } from "hardhat/internal/artifacts";

import ProtocolModule from "../../ignition/modules/Protocol";
import { ROOT, rpc } from "./processes";

export const LOCAL_PARAMETERS = path.join(ROOT, "ignition", "parameters", "local.json");

/** The contract addresses of a deployment, as `verity --deployment <file>` reads them. */
export interface NetworkAddresses {
  token: string;
  staking: string;
  modelRegistry: string;
  nodeRegistry: string;
  inferenceManager: string;
  verifier: string;
  disputeManager: string;
}

function bigintReviver(_key: string, value: unknown): unknown {
  return typeof value === "string" && /^\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value;
}

/** An EIP-1193 provider over plain HTTP JSON-RPC. */
function httpProvider(url: string): EIP1193Provider {
  return {
    request: ({ method, params }) => rpc(url, method, (params as unknown[] | undefined) ?? []),
  } as EIP1193Provider;
}

function artifactResolver(): ArtifactResolver {
  const artifacts = new Artifacts(path.join(ROOT, "artifacts"));
  return {
    loadArtifact: (name) => artifacts.readArtifact(name),
    getBuildInfo: async (name) => {
      const fq = name.includes(":")
        ? name
        : (await artifacts.getArtifactPaths()).find((p) => path.parse(p).name === name);
      if (fq === undefined) return undefined;
      if (name.includes(":")) return artifacts.getBuildInfo(name);
      const dbg = JSON.parse(fs.readFileSync(fq.replace(/\.json$/, ".dbg.json"), "utf8")) as { buildInfo: string };
      return JSON.parse(fs.readFileSync(path.join(path.dirname(fq), dbg.buildInfo), "utf8"));
    },
  };
}

/** Deploys the protocol on `url` and writes `{token, staking, …}` to `addressesFile`. */
export async function deployProtocolTo(
  url: string,
  addressesFile: string,
  parametersFile = LOCAL_PARAMETERS,
): Promise<NetworkAddresses> {
  const parameters = JSON.parse(fs.readFileSync(parametersFile, "utf8"), bigintReviver);
  const accounts = (await rpc(url, "eth_accounts")) as string[];
  const result = await deploy({
    config: { blockPollingInterval: 20, requiredConfirmations: 1 },
    provider: httpProvider(url),
    artifactResolver: artifactResolver(),
    ignitionModule: ProtocolModule,
    deploymentParameters: parameters,
    accounts,
    defaultSender: accounts[0],
  });
  if (result.type !== "SUCCESSFUL_DEPLOYMENT") {
    throw new Error(
      `the Ignition deployment failed: ${JSON.stringify(result, (_k, v) => (typeof v === "bigint" ? String(v) : v))}`,
    );
  }
  const c = result.contracts;
  const byId = (suffix: string) => {
    const hit = Object.entries(c).find(([id]) => id.endsWith(`#${suffix}`));
    if (!hit) throw new Error(`the deployment has no ${suffix} (ids: ${Object.keys(c).join(", ")})`);
    return hit[1].address;
  };
  const addresses: NetworkAddresses = {
    token: byId("VerityToken"),
    staking: byId("Staking"),
    modelRegistry: byId("ModelRegistry"),
    nodeRegistry: byId("NodeRegistry"),
    inferenceManager: byId("InferenceManager"),
    verifier: byId("IntegerStepVerifier"),
    disputeManager: byId("DisputeManager"),
  };
  fs.writeFileSync(addressesFile, JSON.stringify(addresses, null, 2) + "\n");
  return addresses;
}
