/**
 * Where a deployment of the protocol lives: the addresses of its contracts, as Ignition records them in
 * `ignition/deployments/<deployment id>/deployed_addresses.json` (keyed by future id, `Staking#Staking`), or as a
 * plain `{ "token": "0x…", "staking": "0x…", … }` map.
 */
import * as fs from "fs";
import * as path from "path";
import { isAddress } from "ethers";

import { VerityError } from "../executor/errors";

/** The repository root: Ignition's deployments live under it. */
export const REPO_ROOT = path.join(__dirname, "..");

export interface ProtocolAddresses {
  token: string;
  staking: string;
  modelRegistry: string;
  nodeRegistry: string;
  inferenceManager: string;
  disputeManager: string;
  verifier?: string;
  /** Optional: deployments without redundant requests lack it. */
  redundantManager?: string;
}

/** Ignition future ids (ignition/modules/*.ts) -> contract keys. */
export const IGNITION_IDS: Readonly<Record<string, keyof ProtocolAddresses>> = {
  "VerityToken#VerityToken": "token",
  "ExistingToken#Token": "token",
  "Staking#Staking": "staking",
  "ModelRegistry#ModelRegistry": "modelRegistry",
  "NodeRegistry#NodeRegistry": "nodeRegistry",
  "InferenceManager#InferenceManager": "inferenceManager",
  "DisputeManager#DisputeManager": "disputeManager",
  "StepVerifier#IntegerStepVerifier": "verifier",
  "RedundantManager#RedundantManager": "redundantManager",
};

/** The contracts every deployment has. */
export const REQUIRED_CONTRACTS: readonly (keyof ProtocolAddresses)[] = [
  "token",
  "staking",
  "modelRegistry",
  "nodeRegistry",
  "inferenceManager",
  "disputeManager",
];
const OPTIONAL_CONTRACTS: readonly (keyof ProtocolAddresses)[] = ["verifier", "redundantManager"];

/** Why a deployment file cannot be used: it does not exist, is not JSON, or lacks required contracts. */
export type DeploymentProblem = "missing" | "invalid" | "incomplete";

export class DeploymentError extends VerityError {
  constructor(
    message: string,
    readonly problem: DeploymentProblem,
    /** The file that was read (after resolving a folder to its deployed_addresses.json). */
    readonly file: string,
  ) {
    super(message);
  }
}

/** `deployed_addresses.json` of Ignition deployment `deploymentId` (`chain-<chainId>` by default) under `root`. */
export function ignitionAddressesFile(deploymentId: string, root = REPO_ROOT): string {
  return path.join(root, "ignition", "deployments", deploymentId, "deployed_addresses.json");
}

/** The deployment id Ignition gives a chain by default (`npm run deploy:local*` use it). */
export function ignitionDefaultId(chainId: bigint | number): string {
  return `chain-${chainId}`;
}

/**
 * The deployment id `verity deploy` gives a chain: its chain id and the first 8 hex digits of its genesis block hash,
 * so that two local chains with chain id 31337 (each `hardhat node` or anvil start is a new chain) never share a
 * record.
 */
export function defaultDeploymentId(chainId: bigint | number, genesisHash: string): string {
  return `chain-${chainId}-${genesisHash.slice(2, 10).toLowerCase()}`;
}

/**
 * The deployment file later commands read by default on a chain: `verity deploy`'s `chain-<id>-<genesis8>`, else
 * Ignition's own `chain-<id>` (`npm run deploy:localhost`), else null. Each path is returned in `looked`.
 */
export function defaultDeploymentFile(
  chainId: bigint,
  genesisHash: string,
  root = REPO_ROOT,
): { file: string | null; looked: string[] } {
  const looked = [defaultDeploymentId(chainId, genesisHash), ignitionDefaultId(chainId)].map((id) =>
    ignitionAddressesFile(id, root),
  );
  return { file: looked.find((f) => fs.existsSync(f)) ?? null, looked };
}

/** The chain a deployment was made on, written beside its addresses (`verity-chain.json`) by `verity deploy`. */
export interface ChainRecord {
  chainId: string;
  genesisHash: string;
}

export const CHAIN_RECORD_FILE = "verity-chain.json";

/** The folder of a deployment file (a `deployed_addresses.json` or its folder). */
function deploymentDir(file: string): string {
  return fs.existsSync(file) && fs.statSync(file).isDirectory() ? file : path.dirname(file);
}

export function writeChainRecord(deploymentFile: string, record: ChainRecord): void {
  const dir = deploymentDir(deploymentFile);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, CHAIN_RECORD_FILE), JSON.stringify(record, null, 2) + "\n");
}

/** The chain record beside a deployment file, or null (a deployment not made by `verity deploy`, or a plain map). */
export function readChainRecord(deploymentFile: string): ChainRecord | null {
  const p = path.join(deploymentDir(deploymentFile), CHAIN_RECORD_FILE);
  if (!fs.existsSync(p)) return null;
  try {
    const json = JSON.parse(fs.readFileSync(p, "utf8")) as Partial<ChainRecord>;
    if (typeof json.chainId === "string" && typeof json.genesisHash === "string") return json as ChainRecord;
  } catch {
    // unreadable: treated as absent (the code check still applies)
  }
  return null;
}

/**
 * Why the deployment in `file` does not belong to the chain `(chainId, genesisHash)`, or null when it may: its chain
 * record (if any) must name this chain, and every recorded address must hold code (`codeAt` returns "0x" for none).
 */
export async function deploymentChainMismatch(
  file: string,
  addresses: ProtocolAddresses,
  chain: { chainId: bigint; genesisHash: string },
  codeAt: (address: string) => Promise<string>,
): Promise<string | null> {
  const record = readChainRecord(file);
  if (record && (BigInt(record.chainId) !== chain.chainId || record.genesisHash !== chain.genesisHash)) {
    return (
      `deployment '${file}' was made on chain ${record.chainId} with genesis ${record.genesisHash.slice(0, 10)}…, ` +
      `not on this chain (${chain.chainId}, genesis ${chain.genesisHash.slice(0, 10)}…)`
    );
  }
  const entries = Object.entries(addresses).filter((e): e is [string, string] => typeof e[1] === "string");
  const codes = await Promise.all(entries.map(([, a]) => codeAt(a)));
  const empty = entries.filter((_, i) => codes[i] === "0x").map(([k, a]) => `${k} ${a}`);
  if (empty.length > 0) {
    return `deployment '${file}' names addresses with no contract on chain ${chain.chainId}: ${empty.join(", ")}`;
  }
  return null;
}

/** Reads an Ignition `deployed_addresses.json` (or its folder), or a plain `{token, staking, ...}` map. */
export function readDeploymentFile(file: string): ProtocolAddresses {
  let p = file;
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) p = path.join(p, "deployed_addresses.json");
  if (!fs.existsSync(p)) throw new DeploymentError(`deployment file '${p}' does not exist`, "missing", p);
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(p, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new DeploymentError(`deployment file '${p}' is not valid JSON: ${(e as Error).message}`, "invalid", p);
  }
  const out: Partial<ProtocolAddresses> = {};
  const plainKeys: readonly string[] = [...REQUIRED_CONTRACTS, ...OPTIONAL_CONTRACTS];
  for (const [k, v] of Object.entries(json)) {
    const key = IGNITION_IDS[k] ?? (plainKeys.includes(k) ? (k as keyof ProtocolAddresses) : undefined);
    if (key !== undefined && typeof v === "string" && isAddress(v)) out[key] = v;
  }
  const missing = REQUIRED_CONTRACTS.filter((k) => out[k] === undefined);
  if (missing.length > 0)
    throw new DeploymentError(`deployment file '${p}' lacks ${missing.join(", ")}`, "incomplete", p);
  return out as ProtocolAddresses;
}
