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

/** The deployment id Ignition gives a chain by default. */
export function defaultDeploymentId(chainId: bigint | number): string {
  return `chain-${chainId}`;
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
