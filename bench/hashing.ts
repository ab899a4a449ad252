/**
 * Why the executor hashes with its own generated WebAssembly (executor/trace/keccak-wasm.ts) and not a library:
 * keccak256 hashes per second on the same Merkle work, one pair layer of 2^14 nodes (64-byte inputs) and the
 * 32-byte chunk leaves of a 256 KiB state, plus MB/s on one 1 MiB message (a program digest).
 *
 *   batched wasm     hashPairs / hashChunks: the whole layer in one call (what MerkleTree does)
 *   wasm, per hash   keccak256 (the sponge function of the same module), one call per hash
 *   hash-wasm        createKeccak(256), awaited once, then init/update/digest("binary") per hash
 *   ethers           keccak256 (pure JavaScript, hex out), per hash
 *
 *   npx ts-node bench/hashing.ts              prints a table (about 10 s)
 */
import { keccak256 as ethersKeccak } from "ethers";
import { createKeccak } from "hash-wasm";
import { hashChunks, hashPairs, keccak256 } from "../executor/trace/keccak-wasm";

/** Each row is the best of WINDOWS timed windows of WINDOW_MS each (after one warm-up call): the machines this
 * runs on are shared, and the best window is the least disturbed one. */
const WINDOWS = 7;
const WINDOW_MS = Number(process.env.VERITY_BENCH_MS ?? 100);
const LAYER_NODES = 1 << 14;
const STATE_BYTES = 256 * 1024;
const MESSAGE_BYTES = 1 << 20;

export interface HashingRow {
  /** keccak256 hashes per second over one pair layer (64-byte inputs). */
  pairsPerSec: number;
  /** keccak256 hashes per second over the chunks of a state (32-byte inputs). */
  chunksPerSec: number;
  /** Megabytes per second hashing one 1 MiB message. */
  messageMBps: number;
}

export type HashingBench = Record<"batchedWasm" | "wasmPerHash" | "hashWasm" | "ethers", HashingRow>;

function pseudoRandom(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed | 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** Runs `once` in WINDOWS windows of at least WINDOW_MS; returns `units` processed per second in the best one. */
function rate(units: number, once: () => unknown): number {
  once();
  let best = 0;
  for (let w = 0; w < WINDOWS; w++) {
    let calls = 0;
    const start = performance.now();
    let elapsed = 0;
    do {
      once();
      calls++;
      elapsed = performance.now() - start;
    } while (elapsed < WINDOW_MS);
    best = Math.max(best, (calls * units * 1000) / elapsed);
  }
  return best;
}

/** Calls `hash` on each `size`-byte slice of `data`. */
function each(data: Uint8Array, size: number, hash: (input: Uint8Array) => unknown): () => void {
  return () => {
    for (let o = 0; o < data.length; o += size) hash(data.subarray(o, o + size));
  };
}

export async function benchHashing(): Promise<HashingBench> {
  const layer = pseudoRandom(LAYER_NODES * 32, 1);
  const state = pseudoRandom(STATE_BYTES, 2);
  const message = pseudoRandom(MESSAGE_BYTES, 3);
  const pairs = LAYER_NODES / 2;
  const chunks = STATE_BYTES / 32;
  const mb = MESSAGE_BYTES / 1e6;

  const hasher = await createKeccak(256);
  const hw = (input: Uint8Array): Uint8Array => hasher.init().update(input).digest("binary");

  const row = (pairsOnce: () => unknown, chunksOnce: () => unknown, messageOnce: () => unknown): HashingRow => ({
    pairsPerSec: Math.round(rate(pairs, pairsOnce)),
    chunksPerSec: Math.round(rate(chunks, chunksOnce)),
    messageMBps: Math.round(rate(mb, messageOnce) * 10) / 10,
  });
  return {
    batchedWasm: row(
      () => hashPairs(layer, new Uint8Array(32)),
      () => hashChunks(state),
      () => keccak256(message),
    ),
    wasmPerHash: row(each(layer, 64, keccak256), each(state, 32, keccak256), () => keccak256(message)),
    hashWasm: row(each(layer, 64, hw), each(state, 32, hw), () => hw(message)),
    ethers: row(each(layer, 64, ethersKeccak), each(state, 32, ethersKeccak), () => ethersKeccak(message)),
  };
}

if (require.main === module) {
  benchHashing()
    .then((r) => {
      console.table(
        Object.entries(r).map(([name, b]) => ({
          hasher: name,
          "pair hashes/s": b.pairsPerSec,
          "chunk hashes/s": b.chunksPerSec,
          "1 MiB message MB/s": b.messageMBps,
        })),
      );
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
}
