/**
 * The roots of the states of one trace, hashing every distinct 4096-byte block once. Consecutive states share most
 * of their bytes (a live tensor is carried from state to state, docs/COMMITMENTS.md), and a Merkle node depends only
 * on the bytes below it: a block of BLOCK_CHUNKS = 128 chunks that starts on a multiple of 4096 bytes is the full
 * subtree under one node of level 7, so equal blocks have equal subtree roots wherever they sit. Each block is looked
 * up (a fingerprint selects candidates, an exact byte comparison decides) among the blocks already hashed for the
 * trace; only new blocks, the partial last block and the levels above the blocks are hashed. The roots are exactly
 * those of `MerkleTree.fromData` (test/executor/trace.test.ts checks both on shared, shifted and repeated blocks).
 */
import { subtreeRoot } from "./keccak-wasm";
import { chunkCount, parentLayer, treeDepth, zeroHash } from "./merkle";

/** Level of the block subtrees: 2^7 chunks of 32 bytes. */
const BLOCK_LEVEL = 7;
const BLOCK_BYTES = 32 << BLOCK_LEVEL;
const BLOCK_WORDS = BLOCK_BYTES >> 2;

interface Block {
  readonly words: Int32Array;
  readonly root: Uint8Array;
}

/** The block's bytes as 32-bit words when aligned (a copy otherwise): for fingerprints and comparisons. */
function wordsOf(bytes: Uint8Array, offset: number): Int32Array {
  const at = bytes.byteOffset + offset;
  if ((at & 3) === 0) return new Int32Array(bytes.buffer, at, BLOCK_WORDS);
  return new Int32Array(bytes.slice(offset, offset + BLOCK_BYTES).buffer);
}

function fingerprint(w: Int32Array): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < BLOCK_WORDS; i++) h = Math.imul(h ^ w[i], 0x01000193);
  return h;
}

function sameWords(a: Int32Array, b: Int32Array): boolean {
  if (a === b) return true;
  for (let i = 0; i < BLOCK_WORDS; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** State roots over one trace: blocks already hashed by this hasher are not hashed again. */
export class StateRootHasher {
  private readonly blocks = new Map<number, Block[]>();

  /** The 32-byte root of the chunk tree of `bytes` (equal to `MerkleTree.fromData(bytes).rootBytes()`; shared for
   * an empty state: do not modify). */
  root(bytes: Uint8Array): Uint8Array {
    const full = Math.floor(bytes.length / BLOCK_BYTES);
    if (full === 0) {
      const n = chunkCount(bytes.length);
      return n === 0 ? zeroHash(0) : subtreeRoot(bytes, treeDepth(n), zeroHash);
    }
    const tail = bytes.length - full * BLOCK_BYTES;
    const roots = new Uint8Array((full + (tail > 0 ? 1 : 0)) * 32);
    for (let b = 0; b < full; b++) roots.set(this.blockRoot(bytes, b * BLOCK_BYTES), b * 32);
    if (tail > 0) roots.set(subtreeRoot(bytes.subarray(full * BLOCK_BYTES), BLOCK_LEVEL, zeroHash), full * 32);
    let level = BLOCK_LEVEL;
    let nodes: Uint8Array = roots;
    while (nodes.length > 32) nodes = parentLayer(nodes, level++);
    return nodes;
  }

  private blockRoot(bytes: Uint8Array, offset: number): Uint8Array {
    const words = wordsOf(bytes, offset);
    const key = fingerprint(words);
    let same = this.blocks.get(key);
    if (same === undefined) {
      same = [];
      this.blocks.set(key, same);
    }
    for (const block of same) if (sameWords(block.words, words)) return block.root;
    const root = subtreeRoot(bytes.subarray(offset, offset + BLOCK_BYTES), BLOCK_LEVEL, zeroHash);
    same.push({ words, root });
    return root;
  }
}
