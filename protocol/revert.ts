/**
 * Revert data decoded into the protocol's custom errors: `StakingInsufficientFreeStake(0x…, 5, 10)` instead of
 * `0x1a2b3c4d…`, with every error of every contract in contracts/ (protocol/contracts.ts `FACTORIES`), the
 * OpenZeppelin ones they inherit included.
 */
import { ErrorFragment, Interface, type Result } from "ethers";

import { protocolAbis } from "./contracts";

export interface DecodedRevert {
  /** The error's name, e.g. `InferenceManagerInvalidStatus`. */
  name: string;
  args: Result;
  /** `Name(arg, ...)`, bytes32 names shown as text. */
  text: string;
}

let errors: Interface | null = null;

/** One interface holding each protocol error once (errors shared by several contracts have one selector). */
function protocolErrors(): Interface {
  if (errors === null) {
    const bySelector = new Map<string, ErrorFragment>();
    for (const abi of protocolAbis()) {
      for (const fragment of new Interface(abi).fragments) {
        if (fragment instanceof ErrorFragment && !bySelector.has(fragment.selector))
          bySelector.set(fragment.selector, fragment);
      }
    }
    errors = new Interface([...bySelector.values()]);
  }
  return errors;
}

function formatArg(v: unknown): string {
  if (typeof v === "string" && /^0x[0-9a-f]{64}$/i.test(v)) {
    // A bytes32 parameter name ("minimumStake") reads better as text.
    const bytes = Buffer.from(v.slice(2), "hex");
    const end = bytes.indexOf(0);
    const text = bytes.subarray(0, end < 0 ? 32 : end).toString("utf8");
    if (end > 0 && /^[A-Za-z_][A-Za-z0-9_]*$/.test(text) && bytes.subarray(end).every((b) => b === 0))
      return `"${text}"`;
  }
  return String(v);
}

/** Decodes revert data into one of the protocol's errors, or null (too short, or no protocol error). */
export function decodeRevert(data: string): DecodedRevert | null {
  if (typeof data !== "string" || data.length < 10) return null;
  let parsed: ReturnType<Interface["parseError"]>;
  try {
    parsed = protocolErrors().parseError(data);
  } catch {
    return null; // a known selector with malformed arguments
  }
  if (parsed === null) return null;
  return { name: parsed.name, args: parsed.args, text: `${parsed.name}(${parsed.args.map(formatArg).join(", ")})` };
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
