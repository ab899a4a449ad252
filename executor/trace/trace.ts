/**
 * The committed trace of one inference: the states S0..SL (S0 the quantized input, SL the output, each S_i the
 * int8 bytes of the state after step i), each committed by a Merkle root over its 32-byte chunks, and a trace
 * root over the state roots in order. See docs/COMMITMENTS.md for the exact layout.
 *
 *   stateRoot_i = merkleRoot(keccak256(chunk_0), ..., keccak256(chunk_{c_i - 1}))   (int8 bytes as stored)
 *   traceRoot   = merkleRoot(stateRoot_0, ..., stateRoot_L)
 *
 * The state count L + 1 and the state lengths are not hashed in again: they come from the registered model
 * (docs/COMMITMENTS.md: "the layer count and the shapes come from the registered model, never from the node"), the verifier derives every tree depth from them and requires proofs of exactly
 * that length.
 */
import { toHex } from "./hex";
import { MerkleTree, MerkleProofError, chunkAt, chunkCount } from "./merkle";
import { StateRootHasher } from "./state-roots";

/** Everything the one-step verifier needs to accept one chunk of one state against a trace root. */
export interface ChunkProof {
  /** The state index i (0 = input, L = output). */
  readonly step: number;
  readonly chunkIndex: number;
  /** The 32 bytes of the chunk (0x hex), zero-padded past the end of the state. */
  readonly chunk: string;
  /** Siblings of keccak256(chunk) in the state's chunk tree, leaf level first. */
  readonly proof: string[];
  readonly stateRoot: string;
  /** Siblings of stateRoot in the trace tree, leaf level first. */
  readonly stateRootProof: string[];
  readonly traceRoot: string;
}

export interface Trace {
  /** stateRoots[i] commits S_i. */
  readonly stateRoots: readonly string[];
  /** Byte length of each state (= element count, int8). */
  readonly stateLengths: readonly number[];
  readonly traceRoot: string;
  /** Proof of chunk `chunkIndex` of state `step`. */
  chunkProof(step: number, chunkIndex: number): ChunkProof;
  /** Proof of stateRoots[step] against traceRoot (for bisection moves). */
  stateRootProof(step: number): string[];
}

class CommittedTrace implements Trace {
  readonly stateRoots: readonly string[];
  readonly stateLengths: readonly number[];
  readonly traceRoot: string;
  /** The chunk tree of each state, built on the first proof asked of it (the roots need no tree). */
  private readonly stateTrees: (MerkleTree | undefined)[];
  private readonly traceTree: MerkleTree;

  constructor(private readonly states: readonly Int8Array[]) {
    const roots = new Uint8Array(states.length * 32);
    const hasher = new StateRootHasher();
    this.stateTrees = new Array<MerkleTree | undefined>(states.length);
    for (let i = 0; i < states.length; i++) {
      // A layout-only step (Reshape) leaves the bytes unchanged: reuse the previous root instead of rehashing.
      if (i > 0 && sameBytes(states[i], states[i - 1])) roots.copyWithin(i * 32, (i - 1) * 32, i * 32);
      else roots.set(hasher.root(bytesOf(states[i])), i * 32);
    }
    this.traceTree = new MerkleTree(roots);
    const hex = toHex(roots).slice(2);
    this.stateRoots = Array.from({ length: states.length }, (_, i) => "0x" + hex.slice(64 * i, 64 * i + 64));
    this.stateLengths = states.map((s) => s.length);
    this.traceRoot = this.traceTree.root;
  }

  private stateTree(step: number): MerkleTree {
    let tree = this.stateTrees[step];
    if (tree === undefined) {
      tree = MerkleTree.fromData(bytesOf(this.states[step]));
      if (tree.root !== this.stateRoots[step])
        throw new MerkleProofError(`state ${step} changed after it was committed (do not mutate committed states)`);
      this.stateTrees[step] = tree;
    }
    return tree;
  }

  chunkProof(step: number, chunkIndex: number): ChunkProof {
    this.checkStep(step);
    const bytes = bytesOf(this.states[step]);
    const n = chunkCount(bytes.length);
    if (!Number.isInteger(chunkIndex) || chunkIndex < 0 || chunkIndex >= n) {
      throw new MerkleProofError(`chunk ${chunkIndex} is out of range: state ${step} has ${n} chunks`);
    }
    const tree = this.stateTree(step);
    return {
      step,
      chunkIndex,
      chunk: toHex(chunkAt(bytes, chunkIndex)),
      proof: tree.proof(chunkIndex),
      stateRoot: this.stateRoots[step],
      stateRootProof: this.traceTree.proof(step),
      traceRoot: this.traceRoot,
    };
  }

  stateRootProof(step: number): string[] {
    this.checkStep(step);
    return this.traceTree.proof(step);
  }

  private checkStep(step: number): void {
    if (!Number.isInteger(step) || step < 0 || step >= this.states.length) {
      throw new MerkleProofError(`step ${step} is out of range: the trace has states 0..${this.states.length - 1}`);
    }
  }
}

function sameBytes(a: Int8Array, b: Int8Array): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  const n = a.length;
  let i = 0;
  if (((a.byteOffset | b.byteOffset) & 3) === 0) {
    // four bytes at a time where both are aligned
    const wa = new Int32Array(a.buffer, a.byteOffset, n >> 2);
    const wb = new Int32Array(b.buffer, b.byteOffset, n >> 2);
    for (let k = 0; k < wa.length; k++) if (wa[k] !== wb[k]) return false;
    i = wa.length << 2;
  }
  for (; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The bytes of an int8 state, without copying (two's complement, one byte per element). */
export function bytesOf(state: Int8Array): Uint8Array {
  return new Uint8Array(state.buffer, state.byteOffset, state.byteLength);
}

/** Commits the states S0..SL. The states are kept by reference (not copied): do not mutate them afterwards. */
export function commitTrace(states: readonly Int8Array[]): Trace {
  if (states.length === 0) throw new MerkleProofError("a trace needs at least one state (the input)");
  return new CommittedTrace(states);
}

/** The root of a single state, as committed in a trace. */
export function stateRoot(state: Int8Array): string {
  return toHex(new StateRootHasher().root(bytesOf(state)));
}
