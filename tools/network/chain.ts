/**
 * The local JSON-RPC chain of `npm run network`, its end-to-end test and the network benchmark, and what the tool
 * may do to its clock.
 *
 *   anvil (default)  Foundry's anvil (cli/dev/anvil.ts) on 127.0.0.1 and a free port, with interval mining
 *                    (`--block-time 1`): time passes as on a real chain, one block a second whatever the load. The
 *                    deployment and set-up run with automine switched on for their few seconds
 *                    (`evm_setAutomine`), then interval mining resumes (`evm_setIntervalMining 1`) before any
 *                    daemon starts. The challenge window is short (ignition/parameters/anvil.json), so results
 *                    finalize by the wall clock, with no time travel.
 *   hardhat          `hardhat node` (automine: one block per transaction, so time moves only with transactions):
 *                    the tool moves the clock with `evm_increaseTime` + `evm_mine` past each challenge window, as
 *                    before. Anything that needs this says so (`increaseTime` throws a `ChainCapabilityError` on a chain
 *                    that refuses `evm_increaseTime`).
 */
import * as path from "path";

import { startAnvil } from "../../cli/dev/anvil";
import { ProcessGroup, ROOT, rpc, startHardhatNode } from "./processes";

export type ChainKind = "anvil" | "hardhat";
export const CHAIN_KINDS: readonly ChainKind[] = ["anvil", "hardhat"];

/** Seconds between anvil's blocks. */
export const ANVIL_BLOCK_TIME = 1;

/** Ignition parameters per chain: anvil's has a challenge window of seconds (time passes with its blocks). */
export const PARAMETERS: Record<ChainKind, string> = {
  anvil: path.join(ROOT, "ignition", "parameters", "anvil.json"),
  hardhat: path.join(ROOT, "ignition", "parameters", "local.json"),
};

export interface LocalChain {
  kind: ChainKind;
  url: string;
  /** True when blocks come on a timer (time passes by itself); false on an automine chain. */
  intervalMining: boolean;
  /** Mines a block per transaction until `endSetup()` (fast deployment); a no-op on an automine chain. */
  endSetup(): Promise<void>;
  stop(): Promise<void>;
}

/** The tool's chain could not do what was asked (e.g. time travel on a chain without `evm_increaseTime`). */
export class ChainCapabilityError extends Error {
  override name = "ChainCapabilityError";
}

export async function startLocalChain(
  kind: ChainKind,
  group: ProcessGroup,
  opts: { logFile?: string } = {},
): Promise<LocalChain> {
  if (kind === "hardhat") {
    const node = await startHardhatNode(group, { logFile: opts.logFile });
    return {
      kind,
      url: node.url,
      intervalMining: false,
      endSetup: async () => undefined,
      stop: () => ProcessGroup.terminate(node.proc, 3_000),
    };
  }
  const anvil = await startAnvil({ blockTime: ANVIL_BLOCK_TIME });
  // Set-up transactions are mined at once; the daemons then run on interval mining only.
  await rpc(anvil.url, "evm_setAutomine", [true]);
  return {
    kind,
    url: anvil.url,
    intervalMining: true,
    endSetup: async () => {
      await rpc(anvil.url, "evm_setIntervalMining", [ANVIL_BLOCK_TIME]);
    },
    stop: () => anvil.stop(),
  };
}

/** What `web3_clientVersion` says the chain at `url` is ("anvil/v1.x", "HardhatNetwork/2.x", ...). */
export async function clientVersion(url: string): Promise<string> {
  try {
    return String(await rpc(url, "web3_clientVersion"));
  } catch {
    return "unknown";
  }
}

/**
 * Moves the chain's clock `seconds` forward and mines a block (`evm_increaseTime` + `evm_mine`), or throws a
 * ChainCapabilityError saying why the chain cannot: only development chains (hardhat node, anvil) have time travel.
 */
export async function increaseTime(url: string, seconds: number): Promise<void> {
  try {
    await rpc(url, "evm_increaseTime", [seconds]);
    await rpc(url, "evm_mine");
  } catch (e) {
    throw new ChainCapabilityError(
      `the chain at ${url} (${await clientVersion(url)}) cannot move its clock (evm_increaseTime: ` +
        `${(e as Error).message}); on a real chain, wait for the challenge window to pass instead`,
    );
  }
}
