/**
 * Shared by `npm run demo` (scripts/demo.ts) and `npm run bench` (bench/run.ts): deploy the protocol through its
 * Ignition module on the current Hardhat network, sign EIP-2612 permits, and print aligned tables.
 */
import path from "node:path";
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { TransactionReceipt, TransactionResponse } from "ethers";

import ProtocolModule from "../../ignition/modules/Protocol";
import type {
  DisputeManager,
  InferenceManager,
  IntegerStepVerifier,
  ModelRegistry,
  NodeRegistry,
  RedundantManager,
  Staking,
  VerityToken,
  ZkSettler,
} from "../../typechain-types";

export const LOCAL_PARAMETERS = path.resolve(__dirname, "../../ignition/parameters/local.json");

export interface Protocol {
  token: VerityToken;
  staking: Staking;
  modelRegistry: ModelRegistry;
  nodeRegistry: NodeRegistry;
  inferenceManager: InferenceManager;
  verifier: IntegerStepVerifier;
  disputeManager: DisputeManager;
  redundantManager: RedundantManager;
  /** ZK mode's settler (ignition/modules/Zk.ts), set on the InferenceManager. */
  zkSettler: ZkSettler;
  /** Gas of each contract creation, by contract name, in deployment order. */
  deploymentGas: { contract: string; address: string; gasUsed: bigint }[];
}

/**
 * Deploys ignition/modules/Protocol.ts (the whole protocol, every role wired) with ignition/parameters/local.json,
 * exactly as `npm run deploy:local`.
 */
export async function deployProtocol(hre: HardhatRuntimeEnvironment): Promise<Protocol> {
  const { ethers, ignition } = hre;
  const firstBlock = (await ethers.provider.getBlockNumber()) + 1;
  const result = await ignition.deploy(ProtocolModule, { parameters: LOCAL_PARAMETERS });

  const token = (await ethers.getContractAt("VerityToken", await result.token.getAddress())) as unknown as VerityToken;
  const staking = result.staking as unknown as Staking;
  const modelRegistry = result.modelRegistry as unknown as ModelRegistry;
  const nodeRegistry = result.nodeRegistry as unknown as NodeRegistry;
  const inferenceManager = result.inferenceManager as unknown as InferenceManager;
  const verifier = result.verifier as unknown as IntegerStepVerifier;
  const disputeManager = result.disputeManager as unknown as DisputeManager;
  const redundantManager = result.redundantManager as unknown as RedundantManager;
  const zkSettler = result.zkSettler as unknown as ZkSettler;

  const names = new Map<string, string>();
  for (const [name, contract] of Object.entries({
    VerityToken: token,
    Staking: staking,
    ModelRegistry: modelRegistry,
    NodeRegistry: nodeRegistry,
    InferenceLib: result.inferenceLib,
    InferenceManager: inferenceManager,
    IntegerStepVerifier: verifier,
    GameLib: result.gameLib,
    DisputeManager: disputeManager,
    RedundantManager: redundantManager,
    ZkSettler: zkSettler,
  })) {
    names.set((await contract.getAddress()).toLowerCase(), name);
  }
  const deploymentGas: Protocol["deploymentGas"] = [];
  const lastBlock = await ethers.provider.getBlockNumber();
  for (let n = firstBlock; n <= lastBlock; n++) {
    const block = await ethers.provider.getBlock(n);
    for (const hash of block?.transactions ?? []) {
      const receipt = await ethers.provider.getTransactionReceipt(hash);
      const address = receipt?.contractAddress?.toLowerCase();
      if (receipt && address && names.has(address)) {
        deploymentGas.push({
          contract: names.get(address)!,
          address: receipt.contractAddress!,
          gasUsed: receipt.gasUsed,
        });
      }
    }
  }
  return {
    token,
    staking,
    modelRegistry,
    nodeRegistry,
    inferenceManager,
    verifier,
    disputeManager,
    redundantManager,
    zkSettler,
    deploymentGas,
  };
}

export { signPermit } from "../../protocol/permit";

/** Waits for a transaction and returns its receipt, failing loudly if it reverted or vanished. */
export async function mined(tx: Promise<TransactionResponse>): Promise<TransactionReceipt> {
  const receipt = await (await tx).wait();
  if (receipt === null || receipt.status !== 1)
    throw new Error(`transaction failed: ${receipt?.hash ?? "(no receipt)"}`);
  return receipt;
}

/** Prints rows as an aligned text table (numbers right-aligned). */
export function printTable(header: string[], rows: (string | number | bigint)[][]): void {
  const cells = rows.map((row) => row.map((cell) => (typeof cell === "string" ? cell : cell.toLocaleString("en-US"))));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const numeric = header.map((_, i) => rows.every((row) => typeof row[i] !== "string"));
  const line = (row: string[]) =>
    row
      .map((cell, i) => (numeric[i] ? cell.padStart(widths[i]) : cell.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  console.log(line(header));
  console.log(widths.map((w) => "-".repeat(w)).join("  "));
  for (const row of cells) console.log(line(row));
}
