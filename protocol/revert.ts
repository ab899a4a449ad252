/**
 * Revert data decoded into the protocol's custom errors: `StakingInsufficientFreeStake(0x…, 500 VRT, 1000 VRT)`
 * instead of `0x1a2b3c4d…`. The errors are those of every compiled artifact under `artifacts/contracts/` and
 * `artifacts/@openzeppelin/` (so a contract added to contracts/ is decoded without a change here), else of the
 * protocol contracts' TypeChain factories (protocol/contracts.ts `FACTORIES`). Arguments read as their meaning:
 * enums by name (`InferenceManagerInvalidStatus(5, Finalized)`), token amounts in tokens, bytes32 parameter names
 * as text, timestamps as dates.
 */
import * as fs from "fs";
import * as path from "path";
import { ErrorFragment, Interface, formatUnits, type InterfaceAbi, type JsonFragment, type Result } from "ethers";

import { protocolAbis } from "./contracts";
import { REPO_ROOT } from "./deployment";
import * as enums from "./enums";

export interface DecodedRevert {
  /** The error's name, e.g. `InferenceManagerInvalidStatus`. */
  name: string;
  args: Result;
  /** `Name(arg, ...)`, each argument as it reads best (see the file's comment). */
  text: string;
}

/** How token amounts are shown: the CLI sets the token's decimals and symbol once it has read them. */
let units = { decimals: 18, symbol: "VRT" };
export function setTokenUnits(decimals: number, symbol: string): void {
  units = { decimals, symbol };
}

interface KnownError {
  fragment: ErrorFragment;
  /** Each input's Solidity type as declared (`enum IInferenceManager.RequestStatus`, `uint256`). */
  internalTypes: string[];
}

let known: Map<string, KnownError> | null = null;

/** The ABIs of every compiled artifact (contracts and OpenZeppelin), or [] without a build. */
function artifactAbis(root = path.join(REPO_ROOT, "artifacts")): InterfaceAbi[] {
  const out: InterfaceAbi[] = [];
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return;
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.name.endsWith(".json") && !entry.name.endsWith(".dbg.json")) {
        try {
          const abi = (JSON.parse(fs.readFileSync(p, "utf8")) as { abi?: JsonFragment[] }).abi;
          if (Array.isArray(abi)) out.push(abi.filter((f) => f.type === "error"));
        } catch {
          // not an artifact
        }
      }
    }
  };
  walk(path.join(root, "contracts"));
  walk(path.join(root, "@openzeppelin"));
  return out;
}

/** Each error of every contract once, by selector (errors shared by several contracts have one selector). */
function knownErrors(): Map<string, KnownError> {
  if (known === null) {
    known = new Map();
    const fromArtifacts = artifactAbis();
    for (const abi of fromArtifacts.length > 0 ? fromArtifacts : protocolAbis()) {
      const json = (typeof abi === "string" ? JSON.parse(abi) : abi) as (JsonFragment | string)[];
      for (const raw of json) {
        const fragment = new Interface([raw as JsonFragment]).fragments[0];
        if (!(fragment instanceof ErrorFragment) || known.has(fragment.selector)) continue;
        const inputs = typeof raw === "object" ? (raw.inputs ?? []) : [];
        known.set(fragment.selector, { fragment, internalTypes: inputs.map((i) => i.internalType ?? i.type ?? "") });
      }
    }
  }
  return known;
}

/** Parameter names (`ParameterOutOfBounds("minimumStake", …)`) whose values are token amounts. */
const TOKEN_PARAMETERS = new Set(["minimumStake", "bond", "equivocationSlash"]);
/** Error inputs that hold token amounts, by name; `needed` is gas in InferenceManagerInsufficientGas. */
const TOKEN_INPUTS = /^(allowance|balance|fee|free|locked|maxFee|maximumFee|minimum|minimumFee|needed|stake|amount)$/;
/** Error inputs that hold a timestamp. */
const TIME_INPUTS = /^(deadline|windowEnd|refundableAt|serveDeadline|expiresAt|expiry|commitDeadline)$/;

function bytes32Text(v: string): string | null {
  const bytes = Buffer.from(v.slice(2), "hex");
  const end = bytes.indexOf(0);
  const text = bytes.subarray(0, end < 0 ? 32 : end).toString("utf8");
  if (end > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(text) && bytes.subarray(end).every((b) => b === 0)) return text;
  return null;
}

/** The Solidity enums (ABI internalType `enum <name>`) and their TypeScript twins in protocol/enums.ts. */
const ENUMS: Readonly<Record<string, Record<number, string>>> = {
  "IInferenceManager.RequestStatus": enums.InferenceRequestStatus,
  "IInferenceManager.BatchStatus": enums.BatchStatus,
  "IDisputeManager.Phase": enums.DisputePhase,
  "IDisputeManager.Outcome": enums.DisputeOutcome,
  "INodeRegistry.NodeStatus": enums.NodeStatus,
  "IRedundantManager.RequestStatus": enums.RedundantRequestStatus,
  "IRedundantManager.SlotStatus": enums.SlotStatus,
  "IRedundantManager.Phase": enums.RedundantPhase,
  "IRedundantManager.Outcome": enums.RedundantOutcome,
  "IRedundantManager.TraceEnd": enums.TraceEnd,
  "ITeeSettler.MeasurementStatus": enums.MeasurementStatus,
  Resolution: enums.Resolution,
  StateRootsFault: enums.StateRootsFault,
  ProofPart: enums.ProofPart,
};

function formatArg(error: string, name: string, internalType: string, v: unknown, args: Result): string {
  // ZkSettlerInvalidStatus declares the request status as a uint8.
  const enumType =
    error === "ZkSettlerInvalidStatus" && name === "status" ? "enum IInferenceManager.RequestStatus" : internalType;
  const table = ENUMS[/^enum (.+)$/.exec(enumType)?.[1] ?? ""];
  if (table !== undefined && typeof v === "bigint" && typeof table[Number(v)] === "string") return table[Number(v)];
  if (typeof v === "bigint") {
    const parameter = typeof args[0] === "string" ? bytes32Text(args[0]) : null;
    const tokens =
      (TOKEN_INPUTS.test(name) && !/Gas/.test(error)) ||
      (/ParameterOutOfBounds$/.test(error) &&
        ["value", "min", "max"].includes(name) &&
        TOKEN_PARAMETERS.has(parameter ?? ""));
    if (tokens) {
      let s = formatUnits(v, units.decimals);
      if (s.endsWith(".0")) s = s.slice(0, -2);
      return `${s} ${units.symbol}`;
    }
    if (TIME_INPUTS.test(name) && v > 1_000_000_000n && v < 100_000_000_000n) {
      return new Date(Number(v) * 1000).toISOString();
    }
  }
  if (typeof v === "string" && /^0x[0-9a-f]{64}$/i.test(v)) {
    // A bytes32 parameter name ("minimumStake") reads better as text.
    const text = bytes32Text(v);
    if (text !== null) return `"${text}"`;
  }
  return String(v);
}

/** Decodes revert data into one of the protocol's errors, or null (too short, or no protocol error). */
export function decodeRevert(data: string): DecodedRevert | null {
  if (typeof data !== "string" || data.length < 10) return null;
  const hit = knownErrors().get(data.slice(0, 10).toLowerCase());
  if (!hit) return null;
  let args: Result;
  try {
    args = new Interface([hit.fragment]).decodeErrorResult(hit.fragment, data);
  } catch {
    return null; // a known selector with malformed arguments
  }
  const name = hit.fragment.name;
  const text = args.map((v, i) =>
    formatArg(name, hit.fragment.inputs[i]?.name ?? "", hit.internalTypes[i] ?? "", v, args),
  );
  return { name, args, text: `${name}(${text.join(", ")})` };
}

/** Every decodable revert in a text (an Ignition failure report, a log line): the hex strings that decode. */
export function decodeRevertsIn(text: string): DecodedRevert[] {
  const out = new Map<string, DecodedRevert>();
  for (const m of text.matchAll(/0x[0-9a-fA-F]{8,}/g)) {
    const d = decodeRevert(m[0]);
    if (d) out.set(d.text, d);
  }
  return [...out.values()];
}

/** The revert data somewhere inside an ethers error (`data`, or nested in `error`, `info`, `cause`), or null. */
export function findRevertData(e: unknown): string | null {
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
