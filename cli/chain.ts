/**
 * The CLI's connection to a chain: the RPC endpoint (checked before anything else), the deployed contracts
 * (protocol/deployment.ts, attached by protocol/contracts.ts), the signing key, and transactions sent with a
 * spinner and their reverts decoded (cli/errors.ts). The configuration it connects with is cli/config.ts's.
 */
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
  defaultDeploymentFile,
  deploymentChainMismatch,
  readDeploymentFile,
  type ProtocolAddresses,
} from "../protocol/deployment";
import { setTokenUnits } from "../protocol/revert";
import { resolveSettings, verityHome, type GlobalOptions, type Settings } from "./config";
import { keyLockFile, withKeyLock } from "./key-lock";
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
import { FetchJsonRpcProvider } from "../daemons/kit/provider";

export interface Chain {
  settings: Settings;
  provider: JsonRpcProvider;
  chainId: bigint;
  /** The hash of block 0: with the chain id, it tells two local chains apart. */
  genesisHash: string;
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

/** The key this process signs with: `send` serialises its transactions with other processes (cli/key-lock.ts). */
let keyLock: { address: string; chainId: bigint; nonces: NonceManager } | null = null;

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
  let genesisHash: string;
  try {
    const res = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify([
        { jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] },
        { jsonrpc: "2.0", id: 2, method: "eth_getBlockByNumber", params: ["0x0", false] },
      ]),
      signal: AbortSignal.timeout(5_000),
    });
    const body = (await res.json()) as { id: number; result?: { hash?: string } | string }[];
    const idResult = body.find((b) => b.id === 1)?.result;
    const genesis = body.find((b) => b.id === 2)?.result;
    if (typeof idResult !== "string") throw new Error("no chain id");
    chainId = BigInt(idResult);
    genesisHash = typeof genesis === "object" && typeof genesis.hash === "string" ? genesis.hash : "0x";
  } catch {
    throw new ChainUnreachableError(
      `no JSON-RPC node answers at ${settings.rpc}`,
      "is a chain running there? start one with `verity dev` (or `npx hardhat node --hostname 127.0.0.1`), or set --rpc / VERITY_RPC_URL to your chain's endpoint",
    );
  }
  // No read cache (ethers shares identical reads for 250 ms): a nonce read right after a send must be fresh. Node's
  // fetch as transport (daemons/kit/provider.ts): the daemons' big event reads parse in a tenth of the time.
  const provider = new FetchJsonRpcProvider(url.toString(), Network.from(chainId), {
    staticNetwork: true,
    batchMaxCount: 1,
    cacheTimeout: -1,
  });
  provider.pollingInterval = 250;
  openProviders.add(provider);
  return { settings, provider, chainId, genesisHash };
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
  const { settings, provider, chainId, genesisHash } = chain;
  let source = settings.deployment;
  if (source === undefined) {
    const found = defaultDeploymentFile(chainId, genesisHash);
    if (found.file === null) {
      provider.destroy();
      const looked = found.looked.map((f) => path.relative(process.cwd(), f) || f).join(" or ");
      throw new DeploymentNotFoundError(
        `no deployment found for chain ${chainId} (looked for ${looked})`,
        "deploy with `verity deploy --rpc <url>` (or start a dev chain with `verity dev`), or pass --deployment <deployed_addresses.json> (env VERITY_DEPLOYMENT)",
      );
    }
    source = found.file;
  }
  const addresses = readDeployment(source);
  const mismatch = await deploymentChainMismatch(source, addresses, chain, (a) => provider.getCode(a));
  if (mismatch !== null) {
    provider.destroy();
    throw new DeploymentNotFoundError(
      mismatch,
      "the deployment belongs to another chain or an earlier run of a local node: deploy to this one with `verity deploy`, or pass this chain's --deployment",
    );
  }
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
  // A NonceManager hands out nonces; `send` reloads it from the chain's pending count under the key's lock, so that
  // concurrent verity commands from one key take consecutive nonces.
  const nonces = wallet ? new NonceManager(wallet) : undefined;
  if (wallet && nonces) keyLock = { address: wallet.address, chainId, nonces };
  const contracts = attachProtocol(addresses, nonces ?? provider);
  let decimals = 18;
  let symbol = "tokens";
  try {
    decimals = Number(await contracts.token.decimals());
    symbol = await contracts.token.symbol();
  } catch {
    // an ERC20 without metadata: 18 decimals
  }
  setTokenUnits(decimals, symbol);
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
    const lock = keyLock;
    try {
      response = lock
        ? await withKeyLock(keyLockFile(verityHome(), lock.chainId, lock.address), () => {
            lock.nonces.reset();
            return tx();
          })
        : await tx();
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
