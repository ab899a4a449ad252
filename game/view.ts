/**
 * What one party of a dispute believes: the program, and the states S0..SL of the execution it stands behind.
 * An honest party's states come from `execute`; a dishonest one's are built outside the product (the test and
 * network-tool double `tools/doubles/tamper.ts`). The game player only ever reads a view, so the same code plays the
 * node and the challenger, honest or not.
 */
import type { Program } from "../executor/runtime/program";
import { execute } from "../executor/runtime";
import { chunkCount, chunkLeaf, EMPTY_LEAF, hashPair, CHUNK_BYTES } from "../executor/trace/merkle";
import { bytesOf, commitTrace, type Trace } from "../executor/trace/trace";
import { WeightsCommitment } from "../executor/trace/weights";

export interface PartyView {
  readonly program: Program;
  readonly weights: WeightsCommitment;
  readonly states: readonly Int8Array[];
  readonly trace: Trace;
}

/** The view of an honest party: the real execution of `program` on the quantized input `s0`. */
export function honestView(program: Program, s0: Int8Array, weights = new WeightsCommitment(program)): PartyView {
  return viewOf(program, execute(program, s0), weights);
}

export function viewOf(
  program: Program,
  states: readonly Int8Array[],
  weights = new WeightsCommitment(program),
): PartyView {
  return { program, weights, states, trace: commitTrace(states) };
}

/**
 * The hash of the node at `height` above the leaves and position `index` in the chunk tree of `state`, with the
 * tree's zero padding (COMMITMENTS.md §1). Height 0 is a leaf.
 */
export function subtreeRoot(state: Int8Array, height: number, index: number): string {
  const bytes = bytesOf(state);
  const leaves = chunkCount(bytes.length);
  const first = index * 2 ** height;
  if (first >= leaves) return emptySubtree(height);
  if (height === 0) {
    const chunk = new Uint8Array(CHUNK_BYTES);
    chunk.set(bytes.subarray(first * CHUNK_BYTES, Math.min(bytes.length, (first + 1) * CHUNK_BYTES)));
    return chunkLeaf(chunk);
  }
  return hashPair(subtreeRoot(state, height - 1, 2 * index), subtreeRoot(state, height - 1, 2 * index + 1));
}

export function emptySubtree(height: number): string {
  let z = EMPTY_LEAF;
  for (let i = 0; i < height; i++) z = hashPair(z, z);
  return z;
}

/** The 32-byte chunk `index` of a state, zero-padded, as 0x-hex. */
export function chunkHex(state: Int8Array, index: number): string {
  const bytes = bytesOf(state);
  const out = new Uint8Array(CHUNK_BYTES);
  out.set(bytes.subarray(index * CHUNK_BYTES, Math.min(bytes.length, (index + 1) * CHUNK_BYTES)));
  return "0x" + Buffer.from(out).toString("hex");
}
