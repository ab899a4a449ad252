/**
 * The binary keccak256 Merkle tree every Verity commitment is built from (states, the trace, weights).
 * docs/COMMITMENTS.md is the normative description; Solidity verifies exactly this:
 *
 *   - data is cut into CHUNK_BYTES = 32-byte chunks (one EVM word), the last one zero-padded;
 *   - leaf(chunk) = keccak256(chunk) (32-byte preimage); a parent is keccak256(left ‖ right) (64-byte preimage),
 *     positional: the left child has the even index. Pairs are never sorted, so a proof pins the leaf index;
 *   - the leaves are padded to a power of two with EMPTY_LEAF = bytes32(0). A tree of one leaf has that leaf as
 *     its root (depth 0); a tree of zero leaves has root bytes32(0).
 *
 * No domain prefix is added to leaves or nodes: a leaf preimage is always exactly 32 bytes and a node preimage
 * exactly 64, so a node can never be passed off as a chunk (the verifier hashes the 32-byte chunk itself), and the
 * verifier fixes the proof length from the registered shapes, so a proof cannot stop early at an inner node.
 * Leaving the prefix out keeps a leaf at one KECCAK256 over a single word of memory.
 */
import { fromHex, toHex } from "./hex";
import { hashChunks, hashPairs, keccak256 } from "./keccak-wasm";
import { VerityError } from "../errors";

export { toHex };

export const CHUNK_BYTES = 32;
/** The value of a padding leaf: bytes32(0). A real chunk's leaf is keccak256 of it, never zero in practice. */
export const EMPTY_LEAF = "0x" + "00".repeat(32);

/** A proof or a root that does not match the tree it is asked of (index out of range, bad hex). */
export class MerkleProofError extends VerityError {}

/** zeroHashes[k] = root of a full subtree of 2^k empty leaves. */
const zeroHashes: Uint8Array[] = [new Uint8Array(32)];
/** The root of a full subtree of 2^level empty leaves (shared: do not modify). */
export function zeroHash(level: number): Uint8Array {
  while (zeroHashes.length <= level) {
    const prev = zeroHashes[zeroHashes.length - 1];
    zeroHashes.push(pairBytes(prev, prev));
  }
  return zeroHashes[level];
}

/** Number of 32-byte chunks of `byteLength` bytes (0 for empty data). */
export function chunkCount(byteLength: number): number {
  return Math.ceil(byteLength / CHUNK_BYTES);
}

/** Tree depth for `n` leaves: ceil(log2 n), 0 for n <= 1. This is the exact proof length. */
export function treeDepth(n: number): number {
  let d = 0;
  while (1 << d < n) d++;
  return d;
}

/** The leaf hashes of `bytes` cut into 32-byte chunks (last one zero-padded), packed 32 bytes per leaf. */
export function chunkLeaves(bytes: Uint8Array): Uint8Array {
  return hashChunks(bytes);
}

/** The `index`-th 32-byte chunk of `bytes`, zero-padded. */
export function chunkAt(bytes: Uint8Array, index: number): Uint8Array {
  const out = new Uint8Array(CHUNK_BYTES);
  out.set(bytes.subarray(index * CHUNK_BYTES, Math.min(bytes.length, (index + 1) * CHUNK_BYTES)));
  return out;
}

/** The parent layer of a packed layer at `level` (0 = leaves); an odd last node is paired with the empty subtree. */
export function parentLayer(layer: Uint8Array, level: number): Uint8Array {
  return hashPairs(layer, zeroHash(level));
}

/** A Merkle tree whose layers are computed once, so that any number of proofs costs no further hashing. */
export class MerkleTree {
  /** layers[0] holds the leaves, packed (32 bytes each, unpadded); the last layer holds the root. */
  private readonly layers: Uint8Array[];
  readonly leafCount: number;
  readonly depth: number;

  /** `packedLeaves`: leaf hashes, 32 bytes each (as returned by `chunkLeaves`). */
  constructor(packedLeaves: Uint8Array) {
    if (packedLeaves.length % 32 !== 0) throw new MerkleProofError("packed leaves must be a multiple of 32 bytes");
    this.leafCount = packedLeaves.length / 32;
    this.depth = treeDepth(this.leafCount);
    this.layers = [packedLeaves];
    for (let level = 0; level < this.depth; level++) this.layers.push(parentLayer(this.layers[level], level));
  }

  static fromLeaves(leaves: readonly string[]): MerkleTree {
    return new MerkleTree(packHashes(leaves));
  }

  /** The tree over the chunks of `bytes`. */
  static fromData(bytes: Uint8Array): MerkleTree {
    return new MerkleTree(chunkLeaves(bytes));
  }

  /** The root as 32 bytes (shared: do not modify). */
  rootBytes(): Uint8Array {
    if (this.leafCount === 0) return zeroHash(0);
    return this.layers[this.depth]; // the top layer is exactly one 32-byte node
  }

  get root(): string {
    return toHex(this.rootBytes());
  }

  leaf(index: number): string {
    this.checkIndex(index);
    return toHex(this.layers[0].subarray(index * 32, index * 32 + 32));
  }

  /** Sibling hashes from the leaf level up: exactly `depth` entries. */
  proof(index: number): string[] {
    this.checkIndex(index);
    const proof: string[] = [];
    let i = index;
    for (let level = 0; level < this.depth; level++) {
      const sib = i ^ 1;
      const layer = this.layers[level];
      proof.push(sib * 32 < layer.length ? toHex(layer.subarray(sib * 32, sib * 32 + 32)) : toHex(zeroHash(level)));
      i >>= 1;
    }
    return proof;
  }

  /**
   * Range proof of the leaves [first, first + count) (docs/COMMITMENTS.md §4): level by level from the leaves, the
   * left sibling when the run starts at an odd index, then the right sibling when it ends at an even index.
   */
  rangeProof(first: number, count: number): string[] {
    if (!Number.isInteger(count) || count < 1)
      throw new MerkleProofError(`a range proof needs at least one leaf, got ${count}`);
    this.checkIndex(first);
    this.checkIndex(first + count - 1);
    const proof: string[] = [];
    let lo = first;
    let hi = first + count - 1;
    for (let level = 0; level < this.depth; level++) {
      const layer = this.layers[level];
      const node = (i: number): string =>
        i * 32 < layer.length ? toHex(layer.subarray(i * 32, i * 32 + 32)) : toHex(zeroHash(level));
      if (lo & 1) proof.push(node(lo - 1));
      if ((hi & 1) === 0) proof.push(node(hi + 1));
      lo >>= 1;
      hi >>= 1;
    }
    return proof;
  }

  /**
   * Multiproof of the leaves at `indices` (strictly increasing), docs/COMMITMENTS.md §4: level by level from the
   * leaves, walking the known nodes in ascending order, the sibling of every node whose sibling is not itself known.
   * For one contiguous run it is exactly `rangeProof`.
   */
  multiProof(indices: readonly number[]): string[] {
    if (indices.length === 0) throw new MerkleProofError("a multiproof needs at least one leaf");
    indices.forEach((i, k) => {
      this.checkIndex(i);
      if (k > 0 && i <= indices[k - 1]) throw new MerkleProofError("multiproof indices must be strictly increasing");
    });
    const proof: string[] = [];
    let known = [...indices];
    for (let level = 0; level < this.depth; level++) {
      const layer = this.layers[level];
      const node = (i: number): string =>
        i * 32 < layer.length ? toHex(layer.subarray(i * 32, i * 32 + 32)) : toHex(zeroHash(level));
      const next: number[] = [];
      for (let k = 0; k < known.length; k++) {
        const i = known[k];
        if ((i & 1) === 0 && known[k + 1] === i + 1) k++;
        else proof.push(node(i ^ 1));
        next.push(i >> 1);
      }
      known = next;
    }
    return proof;
  }

  private checkIndex(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.leafCount) {
      throw new MerkleProofError(`leaf index ${index} is out of range (the tree has ${this.leafCount} leaves)`);
    }
  }
}

function toBytes32(h: string | Uint8Array, what: string): Uint8Array {
  const b = typeof h === "string" ? safeBytes(h, what) : h;
  if (b.length !== 32) throw new MerkleProofError(`${what} must be 32 bytes, got ${b.length}`);
  return b;
}

function safeBytes(h: string, what: string): Uint8Array {
  try {
    return fromHex(h);
  } catch {
    throw new MerkleProofError(`${what} is not 0x-prefixed hex: ${h.slice(0, 20)}`);
  }
}

/** keccak256(left ‖ right) of two 32-byte nodes, as bytes. */
function pairBytes(left: Uint8Array, right: Uint8Array): Uint8Array {
  const buf = new Uint8Array(64);
  buf.set(left, 0);
  buf.set(right, 32);
  return keccak256(buf);
}

/** Packs 32-byte hex hashes into one array. */
export function packHashes(hashes: readonly (string | Uint8Array)[]): Uint8Array {
  const out = new Uint8Array(hashes.length * 32);
  hashes.forEach((h, i) => out.set(toBytes32(h, `leaf ${i}`), i * 32));
  return out;
}

/** Root of the tree over `leaves` (32-byte hashes, hex or packed). */
export function merkleRoot(leaves: readonly string[] | Uint8Array): string {
  return new MerkleTree(leaves instanceof Uint8Array ? leaves : packHashes(leaves)).root;
}

/** Proof (siblings, leaf level first) of `leaves[index]`. Build a `MerkleTree` to take many proofs of one tree. */
export function merkleProof(leaves: readonly string[] | Uint8Array, index: number): string[] {
  return new MerkleTree(leaves instanceof Uint8Array ? leaves : packHashes(leaves)).proof(index);
}

/** Root implied by `leaf` at `index` with `proof`, hashing positionally (bit k of index = side at level k). */
export function rootFromProof(leaf: string | Uint8Array, index: number, proof: readonly string[]): string {
  let cur = toBytes32(leaf, "leaf");
  let i = index;
  for (let level = 0; level < proof.length; level++) {
    const sib = toBytes32(proof[level], `proof[${level}]`);
    cur = i & 1 ? pairBytes(sib, cur) : pairBytes(cur, sib);
    i = Math.floor(i / 2);
  }
  return toHex(cur);
}

/**
 * True iff `leaf` sits at `index` of the tree with `root`. The index must fit in the proof's depth
 * (index < 2^proof.length), so one proof cannot be replayed for another index.
 */
export function verifyProof(root: string, leaf: string | Uint8Array, index: number, proof: readonly string[]): boolean {
  if (!Number.isInteger(index) || index < 0 || index >= 2 ** proof.length) return false;
  try {
    return rootFromProof(leaf, index, proof).toLowerCase() === root.toLowerCase();
  } catch (e) {
    if (e instanceof MerkleProofError) return false;
    throw e;
  }
}

/** keccak256 of a 32-byte chunk: the leaf of that chunk. */
export function chunkLeaf(chunk: Uint8Array): string {
  if (chunk.length !== CHUNK_BYTES) throw new MerkleProofError(`a chunk is ${CHUNK_BYTES} bytes, got ${chunk.length}`);
  return toHex(keccak256(chunk));
}

/** keccak256(a ‖ b) of two 32-byte hashes. */
export function hashPair(a: string | Uint8Array, b: string | Uint8Array): string {
  return toHex(pairBytes(toBytes32(a, "left"), toBytes32(b, "right")));
}

/**
 * Root implied by the 32-byte chunks `chunks` (a whole number of chunks) placed at leaves [first, first + n) of a
 * tree of `leafCount` leaves, with the range proof `proof` (docs/COMMITMENTS.md §4). Throws MerkleProofError when
 * the run does not fit in the tree or the proof has the wrong number of siblings.
 */
export function rootOfRange(chunks: Uint8Array, first: number, leafCount: number, proof: readonly string[]): string {
  if (chunks.length === 0 || chunks.length % CHUNK_BYTES !== 0)
    throw new MerkleProofError("a range is a positive whole number of chunks");
  const n = chunks.length / CHUNK_BYTES;
  if (!Number.isInteger(first) || first < 0 || first + n > leafCount) {
    throw new MerkleProofError(`chunks [${first}, ${first + n}) do not fit in a tree of ${leafCount} leaves`);
  }
  let nodes: Uint8Array[] = [];
  for (let i = 0; i < n; i++) nodes.push(keccak256(chunks.subarray(i * 32, i * 32 + 32)));
  let lo = first;
  let used = 0;
  const depth = treeDepth(leafCount);
  const take = (): Uint8Array => {
    if (used >= proof.length) throw new MerkleProofError(`range proof too short (${proof.length} siblings)`);
    return toBytes32(proof[used++], `proof[${used - 1}]`);
  };
  for (let level = 0; level < depth; level++) {
    const hi = lo + nodes.length - 1;
    if (lo & 1) nodes.unshift(take());
    if ((hi & 1) === 0) nodes.push(take());
    const next: Uint8Array[] = [];
    for (let i = 0; i < nodes.length; i += 2) next.push(pairBytes(nodes[i], nodes[i + 1]));
    nodes = next;
    lo >>= 1;
  }
  if (used !== proof.length)
    throw new MerkleProofError(`range proof too long (${proof.length} siblings, ${used} used)`);
  return toHex(nodes[0]);
}

/**
 * Root implied by the 32-byte chunks `chunks` placed at the leaves `indices` (strictly increasing, one chunk each)
 * of a tree of `leafCount` leaves, with the multiproof `proof` (docs/COMMITMENTS.md §4).
 */
export function rootOfChunks(
  chunks: Uint8Array,
  indices: readonly number[],
  leafCount: number,
  proof: readonly string[],
): string {
  if (indices.length === 0 || chunks.length !== indices.length * CHUNK_BYTES) {
    throw new MerkleProofError("a multiproof needs one 32-byte chunk per index, and at least one");
  }
  indices.forEach((i, k) => {
    if (!Number.isInteger(i) || i < 0 || i >= leafCount || (k > 0 && i <= indices[k - 1])) {
      throw new MerkleProofError(`indices must be strictly increasing and below ${leafCount}`);
    }
  });
  let idx = [...indices];
  let nodes = idx.map((_, k) => keccak256(chunks.subarray(k * 32, k * 32 + 32)));
  let used = 0;
  const take = (): Uint8Array => {
    if (used >= proof.length) throw new MerkleProofError(`multiproof too short (${proof.length} siblings)`);
    return toBytes32(proof[used++], `proof[${used - 1}]`);
  };
  const depth = treeDepth(leafCount);
  for (let level = 0; level < depth; level++) {
    const nextIdx: number[] = [];
    const nextNodes: Uint8Array[] = [];
    for (let k = 0; k < idx.length; k++) {
      const i = idx[k];
      let h: Uint8Array;
      if ((i & 1) === 0 && idx[k + 1] === i + 1) {
        h = pairBytes(nodes[k], nodes[k + 1]);
        k++;
      } else if (i & 1) h = pairBytes(take(), nodes[k]);
      else h = pairBytes(nodes[k], take());
      nextIdx.push(i >> 1);
      nextNodes.push(h);
    }
    idx = nextIdx;
    nodes = nextNodes;
  }
  if (used !== proof.length) throw new MerkleProofError(`multiproof too long (${proof.length} siblings, ${used} used)`);
  return toHex(nodes[0]);
}
