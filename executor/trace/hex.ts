/**
 * 0x-prefixed hex, the executor's text form of bytes (roots, proofs, chunks). Lower case out; either case in.
 * The same strings as the usual web3 `hexlify` / `getBytes` pair, without a dependency on a chain library.
 */
import { VerityError } from "../errors";

/** A string that is not 0x-prefixed hex of whole bytes. */
export class HexError extends VerityError {}

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Lower-case 0x hex of `bytes` ("0x" for no bytes). */
export function toHex(bytes: Uint8Array): string {
  let out = "0x";
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]];
  return out;
}

/** The value of one hex digit (either case), or -1. */
function nibble(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  if (c >= 97 && c <= 102) return c - 87; // a-f
  if (c >= 65 && c <= 70) return c - 55; // A-F
  return -1;
}

/** The bytes of `hex`: "0x" (or "0X") then an even number of hex digits. Throws HexError otherwise. */
export function fromHex(hex: string): Uint8Array {
  if (typeof hex !== "string" || hex.length % 2 !== 0 || hex[0] !== "0" || (hex[1] !== "x" && hex[1] !== "X")) {
    throw new HexError(`not 0x-prefixed hex of whole bytes: ${String(hex).slice(0, 20)}`);
  }
  const out = new Uint8Array((hex.length - 2) / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = nibble(hex.charCodeAt(2 + 2 * i));
    const lo = nibble(hex.charCodeAt(3 + 2 * i));
    if (hi < 0 || lo < 0) throw new HexError(`not 0x-prefixed hex: '${hex.slice(2 + 2 * i, 4 + 2 * i)}' at byte ${i}`);
    out[i] = (hi << 4) | lo;
  }
  return out;
}
