/**
 * `abi.encode(...)` (Solidity's ABI encoding of a tuple) for the types a layer descriptor uses: uint256, int256,
 * bool, bytes, string, and dynamic arrays of them (`T[]`, `T[][]`...): exactly the bytes Solidity's `abi.encode`
 * and `abi.decode` agree on for these types (test/executor/trace.test.ts compares it with a reference ABI coder).
 *
 * The layout (Solidity ABI specification, "Formal Specification of the Encoding"): a tuple is its heads then its
 * tails; a static value (uint256, int256, bool) is one 32-byte big-endian word in the head; a dynamic value
 * (bytes, string, T[]) puts in the head the byte offset of its tail from the start of the tuple, and its tail is
 * its length in one word followed by its content: the bytes zero-padded to a whole number of words, or the
 * elements encoded as a tuple.
 */
import { VerityError } from "../errors";

/** A value the encoder does not accept for its type (wrong JS type, out of range, unknown type). */
export class AbiEncodeError extends VerityError {}

export type AbiValue = number | bigint | boolean | string | Uint8Array | readonly AbiValue[];

const WORD = 32;
const TWO_256 = 1n << 256n;
const TWO_255 = 1n << 255n;
const utf8 = new TextEncoder();

function isDynamic(type: string): boolean {
  return type === "bytes" || type === "string" || type.endsWith("[]");
}

/** `v` as one 32-byte big-endian word; `v` is already reduced to [0, 2^256). */
function word(v: bigint): Uint8Array {
  const out = new Uint8Array(WORD);
  for (let i = WORD - 1; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

function integer(value: AbiValue, type: string): bigint {
  if (typeof value === "bigint") return value;
  if (typeof value === "number" && Number.isSafeInteger(value)) return BigInt(value);
  throw new AbiEncodeError(`${type}: ${String(value)} is not an integer (a bigint or a safe-integer number)`);
}

function staticWord(type: string, value: AbiValue): Uint8Array {
  if (type !== "bool" && type !== "uint256" && type !== "int256")
    throw new AbiEncodeError(`unsupported ABI type '${type}'`);
  if (type === "bool") {
    if (typeof value !== "boolean") throw new AbiEncodeError(`bool: ${String(value)} is not a boolean`);
    return word(value ? 1n : 0n);
  }
  const v = integer(value, type);
  if (type === "uint256") {
    if (v < 0n || v >= TWO_256) throw new AbiEncodeError(`uint256: ${v} is out of range`);
    return word(v);
  }
  if (v < -TWO_255 || v >= TWO_255) throw new AbiEncodeError(`int256: ${v} is out of range`);
  return word(v < 0n ? v + TWO_256 : v);
}

/** A byte string's tail: its length, then its bytes zero-padded to a whole number of words. */
function bytesTail(data: Uint8Array): Uint8Array[] {
  const padded = new Uint8Array(Math.ceil(data.length / WORD) * WORD);
  padded.set(data);
  return [word(BigInt(data.length)), padded];
}

function dynamicTail(type: string, value: AbiValue): Uint8Array[] {
  if (type === "bytes") {
    if (!(value instanceof Uint8Array)) throw new AbiEncodeError("bytes: the value is not a Uint8Array");
    return bytesTail(value);
  }
  if (type === "string") {
    if (typeof value !== "string") throw new AbiEncodeError("string: the value is not a string");
    return bytesTail(utf8.encode(value));
  }
  if (!Array.isArray(value)) throw new AbiEncodeError(`${type}: the value is not an array`);
  const items = value as readonly AbiValue[];
  const element = type.slice(0, -2);
  return [word(BigInt(items.length)), ...tuple(new Array<string>(items.length).fill(element), items)];
}

/** The parts of the tuple encoding of `values` as `types`: heads, then tails. */
function tuple(types: readonly string[], values: readonly AbiValue[]): Uint8Array[] {
  if (types.length !== values.length) {
    throw new AbiEncodeError(`${values.length} values for ${types.length} types`);
  }
  const heads: Uint8Array[] = [];
  const tails: Uint8Array[] = [];
  let offset = types.length * WORD;
  types.forEach((type, i) => {
    if (!isDynamic(type)) {
      heads.push(staticWord(type, values[i]));
      return;
    }
    heads.push(word(BigInt(offset)));
    for (const part of dynamicTail(type, values[i])) {
      tails.push(part);
      offset += part.length;
    }
  });
  return [...heads, ...tails];
}

/** `abi.encode(values)` with the ABI types `types` (see the file comment for the types supported). */
export function abiEncode(types: readonly string[], values: readonly AbiValue[]): Uint8Array {
  const parts = tuple(types, values);
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
