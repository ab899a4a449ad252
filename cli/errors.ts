/**
 * The CLI's errors and their hints. A `CliError` carries its own hint (and exit code); `hintFor` finds one for the
 * other VerityErrors (a missing file, a bad input, a model Verity cannot run); `translateError` turns what ethers
 * throws into a CliError when it means something a newcomer meets first: a revert (decoded into the contract's
 * custom error), gas the account cannot pay, a lost connection.
 */
import {
  ControlFlowError,
  InvalidInputError,
  InvalidModelError,
  OnnxDecodeError,
  ProgramDecodeError,
  ShapeMismatchError,
  StepWitnessTooLargeError,
  UnsupportedOperatorError,
  VerityError,
} from "../executor/errors";
import { DeploymentError, type DeploymentProblem } from "../protocol/deployment";
import { decodeRevert, findRevertData } from "../protocol/revert";
import { FileAccessError } from "./io";

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
/** A transaction or call reverted; `errorName` is decoded from the contracts' ABIs when possible. */
export class RevertError extends CliError {
  constructor(
    message: string,
    hint: string,
    readonly errorName: string | null,
  ) {
    super(message, hint);
  }
}

export function missingKeyError(): MissingKeyError {
  return new MissingKeyError(
    "this command sends a transaction and needs a private key",
    'pass --key 0x… or set VERITY_PRIVATE_KEY (or "key" in the config file)',
  );
}

const DEPLOYMENT_HINTS: Record<DeploymentProblem, string> = {
  missing: "pass the deployed_addresses.json that `verity deploy` printed",
  invalid: "pass an Ignition deployed_addresses.json",
  incomplete: "it must come from a deployment of ignition/modules/Protocol.ts (or a variant): run `verity deploy`",
};

/** A deployment file the CLI cannot use (protocol/deployment.ts), with what to do about it. */
export function deploymentNotFound(e: DeploymentError): DeploymentNotFoundError {
  return new DeploymentNotFoundError(e.message, DEPLOYMENT_HINTS[e.problem]);
}

const ERROR_HINTS: [RegExp, string][] = [
  [
    /InsufficientFreeStake|NodeRegistryInsufficientStake/,
    "stake more with `verity node stake <amount>`, or wait for open commitments to settle (see `verity node status`)",
  ],
  [
    /AccessControlUnauthorizedAccount/,
    "this account lacks the role; use the governor's key (--key or VERITY_PRIVATE_KEY)",
  ],
  [/ERC20InsufficientBalance/, "the account does not hold enough tokens; ask the token holder for a transfer"],
  [
    /ERC20InsufficientAllowance/,
    "the approval is too small; the CLI approves before staking and requesting, so re-run the command",
  ],
  [/UnknownVersion|VersionNotActive/, "list the versions with `verity model list`"],
  [/NothingToWithdraw/, "no thaw request has passed its thawing period yet; check `verity node status`"],
  [/TooManyThawRequests/, "withdraw the thawed requests first (`verity node withdraw`)"],
  [/ParameterOutOfBounds/, "the value is outside the contract's bounds; `verity params show` lists them"],
  [
    /InvalidStatus/,
    "the node or request is not in a state that allows this; check `verity node status` or `verity result`",
  ],
  [/CollateralLocked/, "open commitments still lock collateral; wait until they settle, then retry"],
  [
    /NodeNotEligible/,
    "the node must be Active, serve the version and hold the minimum free stake; see `verity status`",
  ],
  [/FeeTooLow/, "pay at least the version's fee (`verity model list`)"],
  [
    /UnsupportedMode/,
    "pick a mode the version supports (`verity model list` shows them): --mode optimistic or --mode none",
  ],
  [/DeadlinePassed/, "the serving deadline has passed; the requester can be refunded instead"],
  [/WindowOpen/, "the challenge window is still open; try again after it ends (`verity result` shows when)"],
  [/NameTaken/, "this account already owns a model of that name"],
  [/NotModelOwner/, "only the model's owner may publish its versions; use the owner's key"],
];

/** What to do about the contract error `name` (null: an undecoded revert). */
export function hintForRevert(name: string | null): string {
  if (name) for (const [re, hint] of ERROR_HINTS) if (re.test(name)) return hint;
  return "the contract refused the call; the error above names the reason (contracts/interfaces/ document each error)";
}

/** The hint printed under any VerityError: its own for a CliError, else one by its class. */
export function hintFor(e: VerityError): string {
  if (e instanceof CliError) return e.hint;
  if (e instanceof DeploymentError) return DEPLOYMENT_HINTS[e.problem];
  if (e instanceof ShapeMismatchError && /calibration/.test(e.message)) {
    return "every calibration sample must have the model's input size (the message names both): pass samples of this model's input";
  }
  if (e instanceof ShapeMismatchError) {
    return "give the input the model's shape (the message names both); a flat JSON array needs --shape, e.g. --shape 1,1,28,28";
  }
  if (e instanceof FileAccessError) return "check the path (relative paths start from the current directory)";
  if (e instanceof OnnxDecodeError)
    return "pass a binary ONNX ModelProto (.onnx), not a text, JSON or truncated export";
  if (e instanceof ControlFlowError) {
    return "a program is one fixed sequence of layers: export the model without If/Loop/Scan (one traced path, a loop unrolled); docs/MODEL_IMPORT.md, Accepted files";
  }
  if (e instanceof UnsupportedOperatorError)
    return "re-export the model with supported operators only (see executor/model/graph.ts)";
  if (e instanceof InvalidModelError)
    return "the model is not a graph Verity can run; check it with onnx.checker first";
  if (e instanceof StepWitnessTooLargeError) {
    return "every layer must be provable on-chain in one step (docs/NUMERICS.md §14): make the named layer smaller and re-export";
  }
  if (e instanceof ProgramDecodeError)
    return "the program directory is damaged; re-create it with `verity model import`";
  if (e instanceof InvalidInputError) {
    return "inputs are JSON arrays of finite numbers (nested, or flat with --shape) or ONNX TensorProto .pb files";
  }
  return "run with --help for usage";
}

function isConnectionError(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  const code = (e as { code?: string } | null)?.code;
  return (
    /ECONNREFUSED|ECONNRESET|ENOTFOUND|EHOSTUNREACH|fetch failed|socket hang up/i.test(msg) ||
    code === "TIMEOUT" ||
    code === "NETWORK_ERROR" ||
    code === "ECONNREFUSED" ||
    code === "ECONNRESET"
  );
}

/** Every message inside an ethers error (its own, and the node's in `error`, `info`, `cause`), for classification. */
function messagesOf(e: unknown): string {
  const seen = new Set<unknown>();
  const out: string[] = [];
  const walk = (v: unknown, depth: number) => {
    if (depth > 5 || v === null || typeof v !== "object" || seen.has(v)) return;
    seen.add(v);
    const o = v as Record<string, unknown>;
    for (const k of ["message", "shortMessage", "reason"]) if (typeof o[k] === "string") out.push(o[k]);
    for (const k of ["error", "info", "cause", "payload"]) walk(o[k], depth + 1);
  };
  walk(e, 0);
  if (typeof e === "string") out.push(e);
  return out.join("\n");
}

/** A wallet or node error, by ethers' code or the node's message: [pattern, codes, message, hint]. */
const WALLET_ERRORS: [RegExp, string[], string, string][] = [
  [
    /insufficient funds/i,
    ["INSUFFICIENT_FUNDS"],
    "the account cannot pay for gas (no native currency)",
    "fund the signing account with the chain's native currency (ETH); on `verity dev`, use one of the accounts it printed",
  ],
  [
    /nonce (is )?too low|nonce has already been used|already known|NonceTooLow/i,
    ["NONCE_EXPIRED"],
    "the node refused the transaction's nonce as already used (nonce too low)",
    "another process sent from this key at the same time (a running daemon?); re-run the command, and send from a daemon's key only through the daemon",
  ],
  [
    /replacement (transaction )?underpriced|replacement fee too low/i,
    ["REPLACEMENT_UNDERPRICED"],
    "a pending transaction from this key already has this nonce (replacement fee too low)",
    "another process sent from this key at the same time; wait for its transaction to be mined (`verity` commands queue behind each other), then re-run",
  ],
  [
    /underpriced|fee cap less than block base fee|max fee per gas less than block base fee|gas price too low/i,
    [],
    "the node refused the transaction's gas price as too low (underpriced)",
    "the chain's base fee rose; re-run the command (it prices gas from the latest block)",
  ],
];

/**
 * What an ethers error means when it is not a revert: the account cannot pay, a nonce clash, an underpriced
 * transaction, the RPC endpoint gone; or null (something the CLI does not know: a bug).
 */
export function classifyChainError(e: unknown, what: string): CliError | null {
  if (e instanceof VerityError) return null;
  const code = (e as { code?: string } | null)?.code ?? "";
  const text = messagesOf(e);
  for (const [re, codes, message, hint] of WALLET_ERRORS) {
    if (codes.includes(code) || re.test(text)) return new CliError(`${what}: ${message}`, hint);
  }
  if (isConnectionError(e) || /ECONNREFUSED|ECONNRESET|fetch failed|socket hang up/i.test(text)) {
    return new ChainUnreachableError(
      `${what}: lost the connection to the RPC endpoint`,
      "is the node still running (`verity dev`, `npx hardhat node`)? retry the command once it answers",
    );
  }
  return null;
}

/** Turns an ethers error into a CliError when we know what it means; rethrows anything else. */
export function translateError(e: unknown, what: string): never {
  if (e instanceof VerityError) throw e;
  const data = findRevertData(e);
  const decoded = data ? decodeRevert(data) : null;
  if (decoded) throw new RevertError(`${what} reverted: ${decoded.text}`, hintForRevert(decoded.name), decoded.name);
  const known = classifyChainError(e, what);
  if (known) throw known;
  const code = (e as { code?: string } | null)?.code;
  if (code === "CALL_EXCEPTION") {
    const reason = (e as { reason?: string | null }).reason;
    throw new RevertError(`${what} reverted${reason ? `: ${reason}` : " without a reason"}`, hintForRevert(null), null);
  }
  throw e;
}
