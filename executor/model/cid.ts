/**
 * Content identifiers: CIDv1, raw codec (0x55), sha2-256 multihash, base32 multibase ('b' + RFC 4648 lower case,
 * no padding), the form `multiformats` produces with `CID.create(1, raw.code, await sha256.digest(bytes))`.
 *
 * Implemented here by hand, synchronously, because multiformats is ESM-only (and async for sha256) while the
 * executor compiles to CommonJS. `test/executor/onnx.test.ts` checks the output against multiformats itself.
 *
 * Binary layout: varint(1) varint(0x55) varint(0x12) varint(32) digest[32] = 36 bytes. That binary form is what
 * the contracts store as `bytes`.
 */
import { createHash } from "node:crypto";
import { InvalidInputError } from "../errors";

export const CID_VERSION = 1;
export const RAW_CODEC = 0x55;
export const SHA2_256_CODE = 0x12;
const SHA2_256_LENGTH = 32;

const BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** RFC 4648 base32 of `bytes`, lower case, unpadded (the multibase "b" body). */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let bits = 0;
  let value = 0;
  for (const b of bytes) {
    value = (value << 8) | b;
    bits += 8;
    while (bits >= 5) {
      out += BASE32_ALPHABET[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
    value &= (1 << bits) - 1;
  }
  if (bits > 0) out += BASE32_ALPHABET[(value << (5 - bits)) & 31];
  return out;
}

function base32Decode(s: string): Uint8Array {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of s) {
    const v = BASE32_ALPHABET.indexOf(ch);
    if (v < 0) throw new InvalidInputError(`'${ch}' is not a base32 (RFC 4648 lower case) character`);
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
    value &= (1 << bits) - 1;
  }
  if (bits >= 5 || value !== 0) throw new InvalidInputError("base32 string has trailing bits");
  return Uint8Array.from(out);
}

function varint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}

function readVarint(b: Uint8Array, pos: number): [number, number] {
  let n = 0;
  let shift = 0;
  for (let i = pos; i < b.length && i < pos + 4; i++) {
    n |= (b[i] & 0x7f) << shift;
    if ((b[i] & 0x80) === 0) return [n >>> 0, i + 1];
    shift += 7;
  }
  throw new InvalidInputError("CID has a malformed varint");
}

/** sha2-256 of `bytes`. */
export function sha256(bytes: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(bytes).digest());
}

/** The binary CIDv1 (raw, sha2-256) of `bytes`: 36 bytes. */
export function cidBinaryOf(bytes: Uint8Array): Uint8Array {
  const head = [...varint(CID_VERSION), ...varint(RAW_CODEC), ...varint(SHA2_256_CODE), ...varint(SHA2_256_LENGTH)];
  const out = new Uint8Array(head.length + SHA2_256_LENGTH);
  out.set(head, 0);
  out.set(sha256(bytes), head.length);
  return out;
}

/** The CIDv1 (raw, sha2-256) of `bytes` as a base32 string, e.g. "bafkrei...". */
export function cidOf(bytes: Uint8Array): string {
  return "b" + base32Encode(cidBinaryOf(bytes));
}

/**
 * The binary form of a base32 CIDv1 string (what goes on-chain as `bytes`). Accepts any codec with a sha2-256
 * multihash; throws InvalidInputError for anything else (CIDv0 "Qm...", other bases, other hashes, bad lengths).
 */
export function cidBytes(cid: string): Uint8Array {
  if (typeof cid !== "string" || !cid.startsWith("b")) {
    throw new InvalidInputError(`'${String(cid)}' is not a base32 CIDv1 (it must start with 'b', e.g. 'bafkrei...')`);
  }
  let bin: Uint8Array;
  try {
    bin = base32Decode(cid.slice(1));
  } catch (e) {
    throw new InvalidInputError(`CID '${cid}' is malformed: ${(e as Error).message}`);
  }
  const [version, p1] = readVarint(bin, 0);
  if (version !== CID_VERSION) throw new InvalidInputError(`CID '${cid}' has version ${version}, expected 1`);
  const [, p2] = readVarint(bin, p1); // codec
  const [hashCode, p3] = readVarint(bin, p2);
  const [hashLength, p4] = readVarint(bin, p3);
  if (hashCode !== SHA2_256_CODE || hashLength !== SHA2_256_LENGTH) {
    throw new InvalidInputError(`CID '${cid}' does not use a sha2-256 multihash`);
  }
  if (bin.length !== p4 + SHA2_256_LENGTH) throw new InvalidInputError(`CID '${cid}' has a wrong digest length`);
  return bin;
}

/** The base32 string of a binary CID (inverse of `cidBytes`). */
export function cidToString(bin: Uint8Array): string {
  const s = "b" + base32Encode(bin);
  cidBytes(s); // validates
  return s;
}
