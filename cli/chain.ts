/**
 * The CLI's connection to a chain: the RPC endpoint (checked before anything else), the deployed contracts
 * (protocol/deployment.ts, attached by protocol/contracts.ts), the signing key, and transactions sent with a
 * spinner and their reverts decoded (cli/errors.ts). The configuration it connects with is cli/config.ts's.
 */
import * as fs from "fs";
import * as path from "path";
import {
  JsonRpcProvider,
  Network,
  NonceManager,
  Wallet,
  type ContractTransactionResponse,
  type TransactionReceipt,
} from "ethers";

import { attachProtocol, type ProtocolContracts } from "../protocol/contracts";
import {
  DeploymentError,
  defaultDeploymentId,
  ignitionAddressesFile,
  readDeploymentFile,
  type ProtocolAddresses,
} from "../protocol/deployment";
import { resolveSettings, type GlobalOptions, type Settings } from "./config";
import {
  ChainUnreachableError,
  CliError,
  DeploymentNotFoundError,
  RevertError,
  deploymentNotFound,
  hintForRevert,
  missingKeyError,
  translateError,
} from "./errors";
import { spin } from "./spinner";

export interface Chain {
  settings: Settings;
  provider: JsonRpcProvider;
  chainId: bigint;
}

export interface Protocol extends Chain, ProtocolContracts {
  addresses: ProtocolAddresses;
  deploymentSource: string;
  decimals: number;
  symbol: string;
  /** The signer, when a key is configured. */
  wallet?: Wallet;
}

const openProviders = new Set<JsonRpcProvider>();

/** Closes every provider the command opened (so that the process can exit). */
export function closeAll(): void {
  for (const p of openProviders) p.destroy();
  openProviders.clear();
}

/** Opens the JSON-RPC connection and checks that something answers. */
export async function connectChain(opts: GlobalOptions): Promise<Chain> {
  const settings = resolveSettings(opts);
  let url: URL;
  try {
    url = new URL(settings.rpc);
  } catch {
    throw new CliError(`'${settings.rpc}' is not a URL`, "give --rpc or VERITY_RPC_URL as http(s)://host:port");
  }
  // Probe with a plain request first: an ethers provider pointed at nothing keeps retrying and logging.
  let chainId: bigint;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await res.json()) as { result?: string };
    if (typeof body.result !== "string") throw new Error("no chain id");
    chainId = BigInt(body.result);
  } catch {
    throw new ChainUnreachableError(
      `no JSON-RPC node answers at ${settings.rpc}`,
      "is `npx hardhat node --hostname 127.0.0.1` running? (or set --rpc / VERITY_RPC_URL to your chain's endpoint)",
    );
  }
  const provider = new JsonRpcProvider(url.toString(), Network.from(chainId), {
    staticNetwork: true,
    batchMaxCount: 1,
  });
  provider.pollingInterval = 250;
  openProviders.add(provider);
  return { settings, provider, chainId };
}

/** The contract addresses in `file` (protocol/deployment.ts), or a DeploymentNotFoundError with a hint. */
export function readDeployment(file: string): ProtocolAddresses {
  try {
    return readDeploymentFile(file);
  } catch (e) {
    if (e instanceof DeploymentError) throw deploymentNotFound(e);
    throw e;
  }
}

/** Connects and attaches the deployed contracts (and the signer, if a key is configured). */
export async function connect(opts: GlobalOptions, { needKey = false } = {}): Promise<Protocol> {
  const chain = await connectChain(opts);
  const { settings, provider, chainId } = chain;
  let source = settings.deployment;
  if (source === undefined) {
    source = ignitionAddressesFile(defaultDeploymentId(chainId));
    if (!fs.existsSync(source)) {
      provider.destroy();
      throw new DeploymentNotFoundError(
        `no deployment found for chain ${chainId} (looked for ${path.relative(process.cwd(), source) || source})`,
        "deploy with `verity deploy --rpc <url>`, or pass --deployment <deployed_addresses.json> (env VERITY_DEPLOYMENT)",
      );
    }
  }
  const addresses = readDeployment(source);
  let wallet: Wallet | undefined;
  if (settings.key !== undefined) {
    try {
      wallet = new Wallet(settings.key, provider);
    } catch {
      throw new CliError(
        "the private key is not a 32-byte hex string",
        "pass --key 0x<64 hex digits> (or VERITY_PRIVATE_KEY)",
      );
    }
  } else if (needKey) {
    throw missingKeyError();
  }
  // A NonceManager counts nonces locally: ethers de-duplicates identical RPC reads for a moment, so two
  // transactions sent back to back could otherwise be given the same "pending" nonce.
  const contracts = attachProtocol(addresses, wallet ? new NonceManager(wallet) : provider);
  const code = await provider.getCode(addresses.staking);
  if (code === "0x") {
    provider.destroy();
    throw new DeploymentNotFoundError(
      `no contract at the Staking address ${addresses.staking} on chain ${chainId} (from ${source})`,
      "the deployment file belongs to another chain or an earlier run of a local node: redeploy with `verity deploy`",
    );
  }
  let decimals = 18;
  let symbol = "tokens";
  try {
    decimals = Number(await contracts.token.decimals());
    symbol = await contracts.token.symbol();
  } catch {
    // an ERC20 without metadata: 18 decimals
  }
  return { ...chain, ...contracts, addresses, deploymentSource: source, decimals, symbol, wallet };
}

export function signerOf(p: Protocol): Wallet {
  if (!p.wallet) throw missingKeyError();
  return p.wallet;
}

/** Sends a transaction with a spinner on stderr, waits for its receipt, decodes reverts. */
export async function send(label: string, tx: () => Promise<ContractTransactionResponse>): Promise<TransactionReceipt> {
  return spin(label, async () => {
    let response: ContractTransactionResponse;
    try {
      response = await tx();
    } catch (e) {
      translateError(e, label);
    }
    let receipt: TransactionReceipt | null;
    try {
      receipt = await response.wait();
    } catch (e) {
      translateError(e, label);
    }
    if (receipt === null || receipt.status !== 1)
      throw new RevertError(`${label}: transaction ${response.hash} failed`, hintForRevert(null), null);
    return receipt;
  });
}

/** A read call with revert decoding. */
export async function read<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (e) {
    translateError(e, what);
  }
}
