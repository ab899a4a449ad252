/**
 * The calldata of `commitBatch(uint256[] ids, bytes32[] outputHashes, bytes32[] traceRoots)`, written and read word
 * by word, for the daemons' 200-leaf batches: ethers' ABI coder, which checks and copies every item, took tens of
 * milliseconds to write one and 40-300 ms to read one on the 2-core machine of bench/network.ts. The layout: the
 * 4-byte selector, a head of three offsets (0x60 and after), then each array as its length and its 32-byte items.
 * test/node/kit.test.ts checks both against ethers'.
 */
import { InferenceManager__factory } from "../../typechain-types";

const COMMIT_BATCH = InferenceManager__factory.createInterface().getFunction("commitBatch");

/** The calldata of `commitBatch(ids, outputHashes, traceRoots)` (see the layout above). */
export function encodeCommitBatch(
  ids: readonly bigint[],
  outputHashes: readonly string[],
  traceRoots: readonly string[],
): string {
  const n = ids.length;
  if (outputHashes.length !== n || traceRoots.length !== n)
    throw new RangeError("commitBatch: arrays of unequal length");
  const word = (v: bigint) => {
    if (v < 0n || v >= 1n << 256n) throw new RangeError(`commitBatch: ${v} is not a uint256`);
    return v.toString(16).padStart(64, "0");
  };
  const bytes32 = (h: string) => {
    if (!/^0x[0-9a-fA-F]{64}$/.test(h)) throw new RangeError(`commitBatch: ${h} is not a bytes32`);
    return h.slice(2).toLowerCase();
  };
  const size = BigInt(32 * (n + 1));
  const parts = [COMMIT_BATCH.selector, word(96n), word(96n + size), word(96n + 2n * size)];
  parts.push(word(BigInt(n)), ...ids.map(word));
  parts.push(word(BigInt(n)), ...outputHashes.map(bytes32));
  parts.push(word(BigInt(n)), ...traceRoots.map(bytes32));
  return parts.join("");
}

/** The leaves of a `commitBatch` call's calldata `data`; throws a RangeError on anything else. */
export function decodeCommitBatch(data: string): { ids: bigint[]; outputHashes: string[]; traceRoots: string[] } {
  const bad = (why: string) => new RangeError(`not commitBatch calldata (${why})`);
  if (!data.toLowerCase().startsWith(COMMIT_BATCH.selector)) throw bad("selector");
  const hex = data.slice(10);
  if (!/^[0-9a-fA-F]*$/.test(hex) || hex.length % 64 !== 0) throw bad("words");
  const words = hex.length / 64;
  const word = (i: number) => {
    if (i >= words) throw bad("too short");
    return hex.slice(64 * i, 64 * (i + 1));
  };
  const array = (head: number) => {
    const offset = BigInt("0x" + word(head));
    if (offset % 32n !== 0n || offset / 32n >= BigInt(words)) throw bad("offset");
    const at = Number(offset / 32n);
    const n = BigInt("0x" + word(at));
    if (n > BigInt(words)) throw bad("length");
    return Array.from({ length: Number(n) }, (_, i) => word(at + 1 + i));
  };
  const [ids, outputHashes, traceRoots] = [0, 1, 2].map(array);
  if (outputHashes.length !== ids.length || traceRoots.length !== ids.length) throw bad("unequal lengths");
  return {
    ids: ids.map((w) => BigInt("0x" + w)),
    outputHashes: outputHashes.map((w) => "0x" + w.toLowerCase()),
    traceRoots: traceRoots.map((w) => "0x" + w.toLowerCase()),
  };
}
