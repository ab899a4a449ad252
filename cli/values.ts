/**
 * The values users type and read: token amounts in whole tokens, addresses, and JSON output with bigints.
 */
import { formatUnits, isAddress, parseUnits } from "ethers";

import { CliError } from "./errors";

export function parseAmount(text: string, decimals: number, what: string): bigint {
  try {
    const v = parseUnits(text.trim(), decimals);
    if (v < 0n) throw new Error("negative");
    return v;
  } catch {
    throw new CliError(
      `${what} '${text}' is not an amount of tokens`,
      "write amounts in whole tokens, e.g. 1000 or 1.5",
    );
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
  if (isAddress(text)) return text;
  if (/^0x[0-9a-fA-F]{40}$/.test(text)) {
    throw new CliError(
      `${what} '${text}' has a bad checksum: its mixed upper and lower case does not match the address (EIP-55)`,
      "check it for a typo (copy it again), or write it all in lower case to skip the checksum",
    );
  }
  throw new CliError(`${what} '${text}' is not an address`, "addresses are 0x followed by 40 hex digits");
}
