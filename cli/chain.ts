/**
 * The CLI's connection to a chain: the RPC endpoint, the signing key, the deployed contracts, and the errors a
 * newcomer meets first (no node running, no deployment, no key, a revert), each with a hint.
 *
 * Configuration precedence (docs/CLI.md, "Configuration"): flags (`--rpc`, `--key`, `--deployment`), then the environment
 * (`VERITY_RPC_URL`, `VERITY_PRIVATE_KEY`, `VERITY_DEPLOYMENT`), then the config file (`--config <file>`, or
 * `$VERITY_HOME/config.json`, `VERITY_HOME` defaulting to `.verity` in the current directory), then defaults
 * (RPC `http://127.0.0.1:8545`; contracts from Ignition's `ignition/deployments/chain-<chainId>/deployed_addresses.json`).
 */
import * as fs from "fs";
import * as path from "path";
import {
  Contract,
  Interface,
  JsonRpcProvider,
  Network,
  NonceManager,
  Wallet,
  formatUnits,
  isAddress,
  parseUnits,
  type ContractTransactionResponse,
  type InterfaceAbi,
  type Result,
  type TransactionReceipt,
} from "ethers";
import type { Command } from "commander";
import { VerityError } from "../executor/errors";
import type {
  DisputeManager,
  InferenceManager,
  ModelRegistry,
  NodeRegistry,
  Staking,
  VerityToken,
} from "../typechain-types";
import { spin } from "./spinner";

export const DEFAULT_RPC_URL = "http://127.0.0.1:8545";
export const ROOT = path.join(__dirname, "..");

/** A CLI error that carries its own hint. Exit code 2 unless `exitCode` says otherwise. */
export class CliError extends VerityError {
  constructor(
    message: string,
    readonly hint: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}
/** No JSON-RPC endpoint answers at the configured URL. */
export class ChainUnreachableError extends CliError {}
/** No contract addresses for this chain. */
export class DeploymentNotFoundError extends CliError {}
/** A write command without a key. */
export class MissingKeyError extends CliError {}
/** A transaction or call reverted; `errorName` and `args` are decoded from the contracts' ABIs when possible. */
export class RevertError extends CliError {
  constructor(
    message: string,
    hint: string,
    readonly errorName: string | null,
  ) {
    super(message, hint);
  }
}

/** The global options every chain command sees (registered on the root command). */
export interface GlobalOptions {
  rpc?: string;
  key?: string;
  deployment?: string;
  config?: string;
}

export interface ConfigFile {
  rpc?: string;
  key?: string;
  deployment?: string;
}

export function verityHome(): string {
  return path.resolve(process.env.VERITY_HOME ?? ".verity");
}

export function storeDir(): string {
  return path.join(verityHome(), "store");
}

function readConfig(file: string | undefined): ConfigFile {
  const explicit = file !== undefined;
  const p = file ?? path.join(verityHome(), "config.json");
  if (!fs.existsSync(p)) {
    if (explicit) throw new CliError(`config file '${p}' does not exist`, "check the path given to --config");
    return {};
  }
  try {
    const json = JSON.parse(fs.readFileSync(p, "utf8")) as unknown;
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw new Error("not a JSON object");
    return json as ConfigFile;
  } catch (e) {
    throw new CliError(`config file '${p}' is not valid: ${(e as Error).message}`, 'it must be a JSON object such as {"rpc": "http://127.0.0.1:8545"}');
  }
}

export interface Settings {
  rpc: string;
  key?: string;
  deployment?: string;
}

/** Flags, then environment, then config file, then defaults. */
export function resolveSettings(opts: GlobalOptions): Settings {
  const cfg = readConfig(opts.config);
  const pick = (flag: string | undefined, env: string | undefined, file: string | undefined) =>
    [flag, env, file].find((v) => v !== undefined && v !== "");
  return {
    rpc: pick(opts.rpc, process.env.VERITY_RPC_URL, cfg.rpc) ?? DEFAULT_RPC_URL,
    key: pick(opts.key, process.env.VERITY_PRIVATE_KEY, cfg.key),
    deployment: pick(opts.deployment, process.env.VERITY_DEPLOYMENT, cfg.deployment),
  };
}

/** Registers the global connection options on the root command. */
export function addGlobalOptions(cli: Command): void {
  cli
    .option("--rpc <url>", `JSON-RPC URL (env VERITY_RPC_URL; default ${DEFAULT_RPC_URL})`)
    .option("--key <hex>", "private key that signs transactions (env VERITY_PRIVATE_KEY)")
    .option("--deployment <file>", "contract addresses: an Ignition deployed_addresses.json or its folder (env VERITY_DEPLOYMENT)")
    .option("--config <file>", "config file with rpc, key, deployment (default $VERITY_HOME/config.json, VERITY_HOME=.verity)");
}

export function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

// -- Deployment ----------------------------------------------------------------------------------------------------

export interface Addresses {
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
const IGNITION_IDS: Record<string, keyof Addresses> = {
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
const REQUIRED: (keyof Addresses)[] = ["token", "staking", "modelRegistry", "nodeRegistry", "inferenceManager", "disputeManager"];

/** Reads an Ignition `deployed_addresses.json` (or its folder), or a plain `{token, staking, ...}` map. */
export function readDeploymentFile(file: string): Addresses {
  let p = file;
  if (fs.existsSync(p) && fs.statSync(p).isDirectory()) p = path.join(p, "deployed_addresses.json");
  if (!fs.existsSync(p)) {
    throw new DeploymentNotFoundError(`deployment file '${p}' does not exist`, "pass the deployed_addresses.json that `verity deploy` printed");
  }
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(fs.readFileSync(p, "utf8")) as Record<string, unknown>;
  } catch (e) {
    throw new DeploymentNotFoundError(`deployment file '${p}' is not valid JSON: ${(e as Error).message}`, "pass an Ignition deployed_addresses.json");
  }
  const out: Partial<Addresses> = {};
  for (const [k, v] of Object.entries(json)) {
    const key = IGNITION_IDS[k] ?? (REQUIRED.includes(k as keyof Addresses) || k === "verifier" || k === "redundantManager" ? (k as keyof Addresses) : undefined);
    if (key !== undefined && typeof v === "string" && isAddress(v)) out[key] = v;
  }
  const missing = REQUIRED.filter((k) => out[k] === undefined);
  if (missing.length > 0) {
    throw new DeploymentNotFoundError(
      `deployment file '${p}' lacks ${missing.join(", ")}`,
      "it must come from a deployment of ignition/modules/Protocol.ts (or a variant): run `verity deploy`",
    );
  }
  return out as Addresses;
}

export function ignitionAddressesFile(deploymentId: string): string {
  return path.join(ROOT, "ignition", "deployments", deploymentId, "deployed_addresses.json");
}

// -- Revert decoding -----------------------------------------------------------------------------------------------

let decoders: Interface[] | null = null;

function abis(): InterfaceAbi[] {
  /* eslint-disable @typescript-eslint/no-require-imports */
  const f = (p: string) => require(`../typechain-types/factories/contracts/${p}`) as Record<string, { abi: InterfaceAbi }>;
  return [
    f("token/VerityToken__factory").VerityToken__factory.abi,
    f("staking/Staking__factory").Staking__factory.abi,
    f("registry/ModelRegistry__factory").ModelRegistry__factory.abi,
    f("registry/NodeRegistry__factory").NodeRegistry__factory.abi,
    f("inference/InferenceManager__factory").InferenceManager__factory.abi,
    f("disputes/DisputeManager__factory").DisputeManager__factory.abi,
    f("tee/TeeSettler__factory").TeeSettler__factory.abi,
    f("tee/EcdsaAttestationVerifier__factory").EcdsaAttestationVerifier__factory.abi,
    f("redundant/RedundantManager__factory").RedundantManager__factory.abi,
    // The managers' linked game library: MerkleLib's errors on a malformed proof revert from it.
    f("game/GameLib__factory").GameLib__factory.abi,
  ];
  /* eslint-enable @typescript-eslint/no-require-imports */
}

function errorDecoders(): Interface[] {
  if (decoders === null) decoders = abis().map((abi) => new Interface(abi));
  return decoders;
}

function fmtArg(v: unknown): string {
  if (typeof v === "string" && /^0x[0-9a-f]{64}$/i.test(v)) {
    // A bytes32 parameter name ("minimumStake") reads better as text.
    const bytes = Buffer.from(v.slice(2), "hex");
    const end = bytes.indexOf(0);
    const text = bytes.subarray(0, end < 0 ? 32 : end).toString("utf8");
    if (end > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(text) && bytes.subarray(end).every((b) => b === 0)) return `"${text}"`;
  }
  return String(v);
}

/** Decodes revert data into `Name(arg, ...)` with any of the protocol's ABIs, or null. */
export function decodeRevert(data: string): { name: string; args: Result; text: string } | null {
  if (typeof data !== "string" || data.length < 10) return null;
  for (const iface of errorDecoders()) {
    try {
      const parsed = iface.parseError(data);
      if (parsed) {
        const text = `${parsed.name}(${parsed.args.map(fmtArg).join(", ")})`;
        return { name: parsed.name, args: parsed.args, text };
      }
    } catch {
      // not this contract's error
    }
  }
  return null;
}

const ERROR_HINTS: [RegExp, string][] = [
  [/InsufficientFreeStake|NodeRegistryInsufficientStake/, "stake more with `verity node stake <amount>`, or wait for open commitments to settle (see `verity node status`)"],
  [/AccessControlUnauthorizedAccount/, "this account lacks the role; use the governor's key (--key or VERITY_PRIVATE_KEY)"],
  [/ERC20InsufficientBalance/, "the account does not hold enough tokens; ask the token holder for a transfer"],
  [/ERC20InsufficientAllowance/, "the approval is too small; the CLI approves before staking and requesting, so re-run the command"],
  [/UnknownVersion|VersionNotActive/, "list the versions with `verity model list`"],
  [/NothingToWithdraw/, "no thaw request has passed its thawing period yet; check `verity node status`"],
  [/TooManyThawRequests/, "withdraw the thawed requests first (`verity node withdraw`)"],
  [/ParameterOutOfBounds/, "the value is outside the contract's bounds; `verity params show` lists them"],
  [/InvalidStatus/, "the node or request is not in a state that allows this; check `verity node status` or `verity result`"],
  [/CollateralLocked/, "open commitments still lock collateral; wait until they settle, then retry"],
  [/NodeNotEligible/, "the node must be Active, serve the version and hold the minimum free stake; see `verity status`"],
  [/FeeTooLow/, "pay at least the version's fee (`verity model list`)"],
  [/UnsupportedMode/, "pick a mode the version supports (`verity model list` shows them): --mode optimistic or --mode none"],
  [/DeadlinePassed/, "the serving deadline has passed; the requester can be refunded instead"],
  [/WindowOpen/, "the challenge window is still open; try again after it ends (`verity result` shows when)"],
  [/NameTaken/, "this account already owns a model of that name"],
  [/NotModelOwner/, "only the model's owner may publish its versions; use the owner's key"],
];

export function hintForRevert(name: string | null): string {
  if (name) for (const [re, hint] of ERROR_HINTS) if (re.test(name)) return hint;
  return "the contract refused the call; the error above names the reason (contracts/interfaces/ document each error)";
}

function findRevertData(e: unknown): string | null {
  const seen = new Set<unknown>();
  const walk = (v: unknown, depth: number): string | null => {
    if (depth > 6 || v === null || typeof v !== "object" || seen.has(v)) return null;
    seen.add(v);
    const o = v as Record<string, unknown>;
    if (typeof o.data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(o.data)) return o.data;
    for (const k of ["error", "info", "cause", "data"]) {
      const r = walk(o[k], depth + 1);
      if (r) return r;
    }
    return null;
  };
  return walk(e, 0);
}

function isConnectionError(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string } | null)?.code;
  return /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|fetch failed|socket hang up/i.test(msg) || code === "TIMEOUT" || code === "NETWORK_ERROR";
}

/** Turns an ethers error into a CliError when we know what it means; rethrows anything else. */
export function translateError(e: unknown, what: string): never {
  if (e instanceof VerityError) throw e;
  const data = findRevertData(e);
  const decoded = data ? decodeRevert(data) : null;
  if (decoded) throw new RevertError(`${what} reverted: ${decoded.text}`, hintForRevert(decoded.name), decoded.name);
  const code = (e as { code?: string } | null)?.code;
  if (code === "CALL_EXCEPTION") {
    const reason = (e as { reason?: string | null }).reason;
    throw new RevertError(`${what} reverted${reason ? `: ${reason}` : " without a reason"}`, hintForRevert(null), null);
  }
  if (code === "INSUFFICIENT_FUNDS") {
    throw new CliError(`${what}: the account cannot pay for gas`, "fund the signing account with the chain's native currency");
  }
  if (isConnectionError(e)) {
    throw new ChainUnreachableError(`${what}: lost the connection to the RPC endpoint`, "is the node still running? retry the command");
  }
  throw e;
}

// -- Connection ----------------------------------------------------------------------------------------------------

export interface Chain {
  settings: Settings;
  provider: JsonRpcProvider;
  chainId: bigint;
}

export interface Protocol extends Chain {
  addresses: Addresses;
  deploymentSource: string;
  token: VerityToken;
  staking: Staking;
  modelRegistry: ModelRegistry;
  nodeRegistry: NodeRegistry;
  inferenceManager: InferenceManager;
  disputeManager: DisputeManager;
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
  const provider = new JsonRpcProvider(url.toString(), Network.from(chainId), { staticNetwork: true, batchMaxCount: 1 });
  provider.pollingInterval = 250;
  openProviders.add(provider);
  return { settings, provider, chainId };
}

/** Connects and attaches the deployed contracts (and the signer, if a key is configured). */
export async function connect(opts: GlobalOptions, { needKey = false } = {}): Promise<Protocol> {
  const chain = await connectChain(opts);
  const { settings, provider, chainId } = chain;
  let source = settings.deployment;
  if (source === undefined) {
    source = ignitionAddressesFile(`chain-${chainId}`);
    if (!fs.existsSync(source)) {
      provider.destroy();
      throw new DeploymentNotFoundError(
        `no deployment found for chain ${chainId} (looked for ${path.relative(process.cwd(), source) || source})`,
        "deploy with `verity deploy --rpc <url>`, or pass --deployment <deployed_addresses.json> (env VERITY_DEPLOYMENT)",
      );
    }
  }
  const addresses = readDeploymentFile(source);
  let wallet: Wallet | undefined;
  if (settings.key !== undefined) {
    try {
      wallet = new Wallet(settings.key, provider);
    } catch {
      throw new CliError("the private key is not a 32-byte hex string", "pass --key 0x<64 hex digits> (or VERITY_PRIVATE_KEY)");
    }
  } else if (needKey) {
    throw new MissingKeyError("this command sends a transaction and needs a private key", "pass --key 0x… or set VERITY_PRIVATE_KEY (or \"key\" in the config file)");
  }
  // A NonceManager counts nonces locally: ethers de-duplicates identical RPC reads for a moment, so two
  // transactions sent back to back could otherwise be given the same "pending" nonce.
  const runner = wallet ? new NonceManager(wallet) : provider;
  /* eslint-disable @typescript-eslint/no-require-imports */
  const f = (p: string) => require(`../typechain-types/factories/contracts/${p}`) as Record<string, { connect(a: string, r: unknown): unknown }>;
  const token = f("token/VerityToken__factory").VerityToken__factory.connect(addresses.token, runner) as VerityToken;
  const staking = f("staking/Staking__factory").Staking__factory.connect(addresses.staking, runner) as Staking;
  const modelRegistry = f("registry/ModelRegistry__factory").ModelRegistry__factory.connect(addresses.modelRegistry, runner) as ModelRegistry;
  const nodeRegistry = f("registry/NodeRegistry__factory").NodeRegistry__factory.connect(addresses.nodeRegistry, runner) as NodeRegistry;
  const inferenceManager = f("inference/InferenceManager__factory").InferenceManager__factory.connect(
    addresses.inferenceManager,
    runner,
  ) as InferenceManager;
  const disputeManager = f("disputes/DisputeManager__factory").DisputeManager__factory.connect(addresses.disputeManager, runner) as DisputeManager;
  /* eslint-enable @typescript-eslint/no-require-imports */
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
    decimals = Number(await token.decimals());
    symbol = await token.symbol();
  } catch {
    // an ERC20 without metadata: 18 decimals
  }
  return { ...chain, addresses, deploymentSource: source, token, staking, modelRegistry, nodeRegistry, inferenceManager, disputeManager, decimals, symbol, wallet };
}

export function signerOf(p: Protocol): Wallet {
  if (!p.wallet) {
    throw new MissingKeyError("this command sends a transaction and needs a private key", "pass --key 0x… or set VERITY_PRIVATE_KEY (or \"key\" in the config file)");
  }
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
    if (receipt === null || receipt.status !== 1) throw new RevertError(`${label}: transaction ${response.hash} failed`, hintForRevert(null), null);
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

// -- Amounts -------------------------------------------------------------------------------------------------------

export function parseAmount(text: string, decimals: number, what: string): bigint {
  try {
    const v = parseUnits(text.trim(), decimals);
    if (v < 0n) throw new Error("negative");
    return v;
  } catch {
    throw new CliError(`${what} '${text}' is not an amount of tokens`, "write amounts in whole tokens, e.g. 1000 or 1.5");
  }
}

export function formatAmount(wei: bigint, decimals: number, symbol?: string): string {
  let s = formatUnits(wei, decimals);
  if (s.endsWith(".0")) s = s.slice(0, -2);
  return symbol ? `${s} ${symbol}` : s;
}

/** JSON.stringify with bigints as decimal strings. */
export function toJson(v: unknown): string {
  return JSON.stringify(v, (_, x: unknown) => (typeof x === "bigint" ? x.toString() : x));
}

export function parseAddress(text: string, what: string): string {
  if (!isAddress(text)) throw new CliError(`${what} '${text}' is not an address`, "addresses are 0x followed by 40 hex digits");
  return text;
}

/** A plain Contract, for the rare call the typed handles do not cover. */
export function contractAt(address: string, abi: InterfaceAbi, p: Protocol): Contract {
  return new Contract(address, abi, p.wallet ?? p.provider);
}
