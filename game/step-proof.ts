/**
 * The one-step proof: everything `IStepVerifier.computeElement` needs to recompute byte `element` of state
 * S_{layer+1} from S_layer and the layer's committed parameters (contracts/interfaces/IStepVerifier.sol).
 *
 *   claim  = (weightsRoot, L, layer, stateRoot(S_layer), element)
 *   layer  = the layer descriptor, its rowsRoot and its proof into the weights root   (docs/COMMITMENTS.md §3)
 *   slice  = the minimal contiguous run of 32-byte chunks of S_layer covering every byte the element reads,
 *            with its range proof against stateRoot(S_layer)                          (docs/COMMITMENTS.md §4)
 *   rows   = the one weight row (output channel) the element needs, or none
 *
 * `elementReads` says which bytes of S_layer and which weight row an element reads (each operator's `reads`, in
 * executor/ops); it follows docs/NUMERICS.md §5-§13 exactly as the Solidity kernels do, so a slice built from it is
 * always sufficient.
 */
import { hexlify } from "ethers";
import { VerityError } from "../executor/errors";
import { type ElementReads, operatorOf } from "../executor/ops";
import type { Program } from "../executor/runtime/program";
import { CHUNK_BYTES, MerkleTree } from "../executor/trace/merkle";
import { WeightsCommitment, stepLayout } from "../executor/trace/weights";
import { stepProofCalldata, stepWitnessBounds } from "../executor/runtime/step-witness";

export type { ElementReads } from "../executor/ops";

/** A step proof asked of a layer or element that does not exist, or of states that do not fit the program. */
export class StepProofError extends VerityError {}

export interface StepClaim {
  weightsRoot: string;
  layerCount: number;
  layer: number;
  preStateRoot: string;
  element: number;
}

export interface LayerWitness {
  descriptor: string;
  rowsRoot: string;
  layerProof: string[];
}

export interface StateSlice {
  firstChunk: number;
  chunks: string;
  proof: string[];
}

/** Any chunks of S_layer (strictly increasing indices) with their multiproof (IStepVerifier.SparseSlice). */
export interface SparseSlice {
  chunkIndices: number[];
  chunks: string;
  proof: string[];
}

export interface WeightRow {
  row: number;
  data: string;
  proof: string[];
}

/** The arguments of `computeElement(claim, layer, slice, rows)`, in order. */
export interface StepProof {
  claim: StepClaim;
  layer: LayerWitness;
  slice: StateSlice;
  rows: WeightRow[];
}

/** The arguments of `computeElementSparse(claim, layer, slice, rows)`, in order. */
export interface SparseStepProof {
  claim: StepClaim;
  layer: LayerWitness;
  slice: SparseSlice;
  rows: WeightRow[];
}

/** The bytes of S_layer and the weight row that byte `element` of S_{layer+1} depends on. */
export function elementReads(p: Program, layer: number, element: number): ElementReads {
  const L = p.layers.length;
  if (!Number.isInteger(layer) || layer < 0 || layer >= L)
    throw new StepProofError(`layer ${layer} is outside 0..${L - 1}`);
  const io = stepLayout(p, layer);
  if (!Number.isInteger(element) || element < 0 || element >= io.outLength) {
    throw new StepProofError(`element ${element} is outside S_${layer + 1} (${io.outLength} bytes)`);
  }
  for (let t = 0; t < io.copies.length; t += 3) {
    const [src, dst, len] = io.copies.slice(t, t + 3);
    if (element >= dst && element < dst + len) return { bytes: [src + element - dst], row: null };
  }
  const op = operatorOf(p.layers[layer].op);
  if (!op) throw new StepProofError(`unknown program op '${p.layers[layer].op}'`);
  return op.reads(p.layers[layer], io.inputOffsets, element - io.outputOffset, p);
}

function asBytes(s: Int8Array): Uint8Array {
  return new Uint8Array(s.buffer, s.byteOffset, s.byteLength);
}

/** The correct value of byte `element` of S_{layer+1}: what `computeElement` must return. */
export function expectedElement(p: Program, states: readonly Int8Array[], layer: number, element: number): number {
  const s = states[layer + 1];
  if (!s || !Number.isInteger(element) || element < 0 || element >= s.length) {
    throw new StepProofError(`element ${element} of S_${layer + 1} does not exist`);
  }
  return s[element];
}

/**
 * The proof that lets the verifier recompute byte `element` of S_{layer+1} (0-based `layer`: the step
 * S_layer -> S_{layer+1}), for `computeElement`: the pre-state as the smallest contiguous chunk run covering every
 * byte the element reads. `states` are the honest states S_0..S_L (`execute`); pass a `WeightsCommitment` of `p`
 * to reuse it across many proofs.
 */
export function buildStepProof(
  p: Program,
  states: readonly Int8Array[],
  layer: number,
  element: number,
  weights: WeightsCommitment = new WeightsCommitment(p),
): StepProof {
  const { reads, pre, tree, common } = prepare(p, states, layer, element, weights);
  let lo = 0;
  let hi = 0;
  if (reads.bytes.length > 0) {
    lo = Infinity;
    hi = -Infinity;
    for (const b of reads.bytes) {
      if (b < lo) lo = b;
      if (b > hi) hi = b;
    }
  }
  const firstChunk = Math.floor(lo / CHUNK_BYTES);
  const lastChunk = Math.floor(hi / CHUNK_BYTES);
  const chunks = new Uint8Array((lastChunk - firstChunk + 1) * CHUNK_BYTES);
  chunks.set(pre.subarray(firstChunk * CHUNK_BYTES, Math.min(pre.length, (lastChunk + 1) * CHUNK_BYTES)));
  return {
    ...common,
    slice: { firstChunk, chunks: hexlify(chunks), proof: tree.rangeProof(firstChunk, lastChunk - firstChunk + 1) },
  };
}

/**
 * The same proof for `computeElementSparse`: the pre-state as exactly the chunks the element reads (every chunk of a
 * span the kernel checks whole, `ElementReads.spans`), with their multiproof. Much less calldata than
 * `buildStepProof` when the reads are spread out (a Conv over many channels).
 */
export function buildSparseStepProof(
  p: Program,
  states: readonly Int8Array[],
  layer: number,
  element: number,
  weights: WeightsCommitment = new WeightsCommitment(p),
): SparseStepProof {
  const { reads, pre, tree, common } = prepare(p, states, layer, element, weights);
  const set = new Set<number>(reads.bytes.map((b) => Math.floor(b / CHUNK_BYTES)));
  for (const [first, last] of reads.spans ?? []) {
    for (let c = Math.floor(first / CHUNK_BYTES); c <= Math.floor(last / CHUNK_BYTES); c++) set.add(c);
  }
  if (set.size === 0) set.add(0);
  const chunkIndices = [...set].sort((a, b) => a - b);
  const chunks = new Uint8Array(chunkIndices.length * CHUNK_BYTES);
  chunkIndices.forEach((c, k) =>
    chunks.set(pre.subarray(c * CHUNK_BYTES, Math.min(pre.length, (c + 1) * CHUNK_BYTES)), k * CHUNK_BYTES),
  );
  return { ...common, slice: { chunkIndices, chunks: hexlify(chunks), proof: tree.multiProof(chunkIndices) } };
}

function prepare(
  p: Program,
  states: readonly Int8Array[],
  layer: number,
  element: number,
  weights: WeightsCommitment,
): { reads: ElementReads; pre: Uint8Array; tree: MerkleTree; common: Omit<StepProof, "slice"> } {
  const reads = elementReads(p, layer, element);
  const state = states[layer];
  const io = stepLayout(p, layer);
  if (!state || state.length !== io.inLength)
    throw new StepProofError(`state S_${layer} must have ${io.inLength} bytes`);
  const pre = asBytes(state);
  const tree = MerkleTree.fromData(pre);
  const lp = weights.layerProof(layer);
  const rows: WeightRow[] = [];
  if (reads.row !== null) {
    const rp = weights.rowProof(layer, reads.row);
    rows.push({ row: reads.row, data: rp.rowBytes, proof: rp.rowProof });
  }
  return {
    reads,
    pre,
    tree,
    common: {
      claim: { weightsRoot: weights.root, layerCount: p.layers.length, layer, preStateRoot: tree.root, element },
      layer: { descriptor: lp.descriptor, rowsRoot: lp.rowsRoot, layerProof: lp.layerProof },
      rows,
    },
  };
}

/** Calldata of `computeElement` / `computeElementSparse` with this proof (exact: the ABI sizes of its parts). */
export function stepProofCalldataOf(proof: StepProof | SparseStepProof): number {
  const hexBytes = (hex: string): number => (hex.length - 2) / 2;
  const row = proof.rows[0];
  return stepProofCalldata({
    descriptorBytes: hexBytes(proof.layer.descriptor),
    layerProof: proof.layer.layerProof.length,
    sliceChunks: hexBytes(proof.slice.chunks) / CHUNK_BYTES,
    sliceProof: proof.slice.proof.length,
    sparse: "chunkIndices" in proof.slice,
    rowBytes: row === undefined ? null : hexBytes(row.data),
    rowProof: row === undefined ? 0 : row.proof.length,
  });
}

/**
 * The cheaper of the two witnesses for the same element: one contiguous run of S_layer (`buildStepProof`) or only
 * the chunks it reads with a multiproof (`buildSparseStepProof`, smaller for wide convolutions). It is the one with
 * less calldata among the witnesses `stepWitnessBounds` finds usable for the layer (within MAX_STEP_PROOF_CALLDATA and
 * MAX_STEP_PROOF_GAS for every element; `validateProgram` admits a program only if every layer has one), so the
 * proof sent always fits both limits. Both game players (game/dispute, game/redundant) send whichever this
 * picks.
 */
export function cheapestStepProof(
  p: Program,
  states: readonly Int8Array[],
  layer: number,
  element: number,
  weights: WeightsCommitment,
): { sparse: false; proof: StepProof } | { sparse: true; proof: SparseStepProof } {
  const { usable } = stepWitnessBounds(p)[layer];
  const run = usable.contiguous || !usable.sparse ? buildStepProof(p, states, layer, element, weights) : null;
  const sparse = usable.sparse || !usable.contiguous ? buildSparseStepProof(p, states, layer, element, weights) : null;
  if (run === null) return { sparse: true, proof: sparse! };
  if (sparse === null) return { sparse: false, proof: run };
  return stepProofCalldataOf(sparse) < stepProofCalldataOf(run)
    ? { sparse: true, proof: sparse }
    : { sparse: false, proof: run };
}
