/**
 * How large the one-step proof of a layer can get, from the program alone: the worst case, over the layer's output
 * elements, of the calldata and the gas of the transaction that proves one element on-chain
 * (`IStepVerifier.computeElement` / `computeElementSparse`, reached through `DisputeManager.proveStep[Sparse]` or
 * `RedundantManager.proveStep[Sparse]`). A layer whose proof cannot be sent could be lied about with impunity, so
 * `validateProgram` refuses a program unless every layer has a witness within MAX_STEP_PROOF_CALLDATA and
 * MAX_STEP_PROOF_GAS for every element (`StepWitnessTooLargeError`).
 *
 * The sizes follow how `game/step-proof.ts` builds a proof (docs/COMMITMENTS.md §5):
 *   claim   5 words;
 *   layer   the descriptor (its ABI size computed here exactly, field by field), rowsRoot, depth(L) siblings;
 *   slice   contiguous: the chunks from the first to the last byte the element reads, and its range proof;
 *           sparse: the chunks it reads (every chunk of a span the kernel checks whole), one index word each, and
 *           their multiproof. Both are bounded from the layer's read pattern (`ReadPattern`: planes of kernel rows
 *           of taps), the siblings level by level (at most 2 per run of known nodes, 1 per known parent);
 *   rows    the element's weight row (rowLength bytes) and depth(R) siblings, or none.
 * The gas is `GAS_MODEL` applied to those sizes and to the kernel's loop trips (`contracts/disputes/verifiers/
 * kernels/`). `test/executor/step-witness.test.ts` checks every size against the proofs really built, element by
 * element, and the gas against proofs measured on-chain, up to the largest legal layer of each kernel family.
 *
 * Everything here is O((L + attributes) log L): the state layouts come from one sweep over the layers, not from
 * `stateLayout` per step, so a hostile program cannot make validation quadratic.
 */
import { operatorOf } from "../ops";
import type { Layer, Program } from "./types";
import {
  CHUNK,
  type ReadPattern,
  chunksOfSpan,
  depthOf,
  multiproofSiblings,
  runPattern,
  sparseChunksOf,
  sparseSiblingsOf,
  spanOf,
} from "./read-pattern";
import {
  MAX_STEP_PROOF_CALLDATA,
  MAX_STEP_PROOF_GAS,
  WORD,
  dynBytes,
  dynWords,
  stepProofCalldata,
  stepProofGas,
} from "./step-gas";
import type { KernelFamily } from "./read-pattern";

export { MAX_STEP_PROOF_CALLDATA, MAX_STEP_PROOF_GAS, GAS_MODEL, stepProofCalldata, stepProofGas } from "./step-gas";
export type { PathGas, StepProofShape } from "./step-gas";
export type { KernelFamily } from "./read-pattern";
export { chunksOfSpan, depthOf, multiproofSiblings } from "./read-pattern";

/** One witness of a layer at its worst over the layer's elements. */
export interface WitnessBound {
  chunks: number;
  siblings: number;
  calldata: number;
  gas: number;
}

/** The worst case of one layer's step proof. */
export interface StepWitnessBound {
  layer: number;
  op: string;
  family: KernelFamily;
  /** ABI size of the layer descriptor (exact). */
  descriptorBytes: number;
  /** Weight row bytes (0 for a layer without weights) and the siblings of its proof: depth(R). */
  rowBytes: number;
  rowProof: number;
  /** Siblings of the layer's proof into the weights root: depth(L). */
  layerProof: number;
  /** |S_layer| in bytes. */
  inLength: number;
  /** The most input bytes an element reads (kernel loop trips), and its other loop trips (Conv and AveragePool: one
   * per input channel and kernel row; MaxPool: one per kernel position it looks at, padding included). */
  reads: number;
  trips: number;
  /** Each witness at its worst: slice chunks, proof siblings, calldata and gas (GAS_MODEL). */
  contiguous: WitnessBound;
  sparse: WitnessBound;
  /** Which witnesses are within MAX_STEP_PROOF_CALLDATA and MAX_STEP_PROOF_GAS for every element of the layer. */
  usable: { contiguous: boolean; sparse: boolean };
  /**
   * The most calldata and gas of the proof a player sends (`cheapestStepProof` picks among the usable witnesses):
   * the larger bound of the usable ones. With no usable witness (the layer is refused), the bound of the witness of
   * lower gas.
   */
  calldata: number;
  gas: number;
}

const utf8 = new TextEncoder();

/** Size of `layerDescriptor(p, l)` (DESCRIPTOR_ABI_TYPES), computed field by field. */
function descriptorSize(layer: Layer, nInputs: number, inputRanks: number, copies: number): number {
  const names = Object.keys(layer.attrs).sort();
  let attrNames = WORD + WORD * names.length;
  let attrValues = WORD + WORD * names.length;
  for (const k of names) {
    attrNames += dynBytes(utf8.encode(k).length);
    const v = layer.attrs[k];
    attrValues += dynWords(Array.isArray(v) ? v.length : 1);
  }
  return (
    19 * WORD + // heads: 6 static fields and 13 offsets
    dynBytes(utf8.encode(layer.op).length) +
    dynWords(nInputs) + // inputs
    dynWords(layer.outShape.length) +
    attrNames +
    dynWords(names.length) + // bool[] isArray
    attrValues +
    dynBytes(4 * (layer.bias?.length ?? 0)) +
    dynBytes(4 * (layer.multiplier?.length ?? 0)) +
    dynBytes(4 * (layer.shift?.length ?? 0)) +
    dynBytes(layer.lut?.length ?? 0) +
    dynWords(nInputs) + // inputOffsets
    dynWords(nInputs + inputRanks) + // inputShapes: rank then dims, per input
    dynWords(3 * copies)
  );
}

/** The read pattern of one output element of `layer` (its operator's `readPattern`), its first input at byte `in0`. */
function patternOf(layer: Layer, in0: number): ReadPattern {
  const op = operatorOf(layer.op);
  return op ? op.readPattern(layer, in0) : runPattern("pointwise", 1, 1);
}

/** Number of weight rows and row length of a layer (as `weightRows` in executor/trace/weights.ts). */
function rowsOf(layer: Layer): { rows: number; rowLength: number } {
  const w = layer.weights;
  if (!w) return { rows: 0, rowLength: 0 };
  const rows = Math.max(1, operatorOf(layer.op)?.weightRows?.(layer) ?? 1);
  return { rows, rowLength: Math.floor(w.length / rows) };
}

function size(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Prefix sums over tensor ids with point updates (Fenwick tree): the byte offsets of a state's live tensors. */
class Offsets {
  private readonly tree: Float64Array;
  constructor(n: number) {
    this.tree = new Float64Array(n + 1);
  }
  add(id: number, v: number): void {
    for (let i = id + 1; i < this.tree.length; i += i & -i) this.tree[i] += v;
  }
  /** Sum of the values of ids < id. */
  before(id: number): number {
    let s = 0;
    for (let i = id; i > 0; i -= i & -i) s += this.tree[i];
    return s;
  }
}

/**
 * The worst-case step proof of every layer of a structurally valid program (call after the checks of
 * `validateProgram`). O((L + total attribute and parameter sizes) log L).
 */
export function stepWitnessBounds(p: Program): StepWitnessBound[] {
  const L = p.layers.length;
  const sizes = [size(p.inputShape), ...p.layers.map((l) => size(l.outShape))];
  const ranks = [p.inputShape.length, ...p.layers.map((l) => l.outShape.length)];
  // S_s holds tensor s and the tensors t < s that a layer at or after s reads (`liveTensors`), in id order.
  const lastUse = new Array<number>(L + 1).fill(-1);
  p.layers.forEach((layer, j) => {
    for (const t of layer.inputs) lastUse[t] = Math.max(lastUse[t], j);
  });
  const leaving: number[][] = Array.from({ length: L + 1 }, () => []);
  for (let t = 0; t <= L; t++) if (lastUse[t] > t) leaving[lastUse[t]].push(t);
  // carried: the tensors t < s of S_s, as a count, a byte total and offsets by id
  const offsets = new Offsets(L + 1);
  let carried = 0;
  let carriedBytes = 0;
  const layerProof = depthOf(L);
  const out: StepWitnessBound[] = [];
  for (let l = 0; l < L; l++) {
    const layer = p.layers[l];
    const inLength = sizes[l] + carriedBytes;
    const in0 = layer.inputs[0] === l ? carriedBytes : offsets.before(layer.inputs[0]);
    // S_l -> S_{l+1}: tensor l stays if a later layer reads it; tensors last read by layer l leave
    if (lastUse[l] > l) {
      carried++;
      carriedBytes += sizes[l];
      offsets.add(l, sizes[l]);
    }
    for (const t of leaving[l]) {
      if (t < l) {
        carried--;
        carriedBytes -= sizes[t];
        offsets.add(t, -sizes[t]);
      }
    }
    // every tensor of S_{l+1} but the output is carried over from S_l: one copy triple each
    const inputRanks = layer.inputs.reduce((n, t) => n + ranks[t], 0);
    const descriptorBytes = descriptorSize(layer, layer.inputs.length, inputRanks, carried);
    out.push(boundOf(l, layer, descriptorBytes, inLength, in0, layerProof));
  }
  return out;
}

function boundOf(
  l: number,
  layer: Layer,
  descriptorBytes: number,
  inLength: number,
  in0: number,
  layerProof: number,
): StepWitnessBound {
  const inChunks = Math.ceil(inLength / CHUNK);
  const stateDepth = depthOf(inChunks);
  const { rows, rowLength } = rowsOf(layer);
  const rowProof = depthOf(rows);
  const r = patternOf(layer, in0);
  const common = { descriptorBytes, layerProof, rowBytes: rows === 0 ? null : rowLength, rowProof };
  const witness = (chunks: number, siblings: number, path: "contiguous" | "sparse") => {
    const calldata = stepProofCalldata({
      ...common,
      sliceChunks: chunks,
      sliceProof: siblings,
      sparse: path === "sparse",
    });
    const shape = { calldata, chunks, siblings, family: r.family, reads: r.reads, trips: r.trips };
    return { chunks, siblings, calldata, gas: stepProofGas(shape, path) };
  };
  const wide = r.scattered || r.extra !== undefined; // reads anywhere in the state
  const runChunks = Math.min(wide ? inChunks : chunksOfSpan(Math.min(spanOf(r), inLength)), inChunks);
  const contiguous = witness(
    runChunks,
    Math.min(2 * stateDepth, multiproofSiblings(runChunks, stateDepth)),
    "contiguous",
  );
  // a second run (r.extra) adds its own chunks and siblings: the sum bounds those of the union
  const parts = r.extra ? [r, r.extra] : [r];
  const sparseChunks = Math.min(
    parts.reduce((n, q) => n + sparseChunksOf(q), 0),
    inChunks,
  );
  const sparseSiblings = parts.reduce(
    (n, q) => n + sparseSiblingsOf(q, Math.min(sparseChunksOf(q), inChunks), stateDepth),
    0,
  );
  const sparse = witness(
    sparseChunks,
    Math.min(sparseSiblings, multiproofSiblings(sparseChunks, stateDepth)),
    "sparse",
  );
  // A witness is usable for the layer when its worst case is within both limits; the player sends the smaller (in
  // calldata) of the usable witnesses of each element (`cheapestStepProof`), so at most the larger usable bound.
  const fits = (w: WitnessBound): boolean => w.calldata <= MAX_STEP_PROOF_CALLDATA && w.gas <= MAX_STEP_PROOF_GAS;
  const usable = [contiguous, sparse].filter(fits);
  const worst = usable.length === 0 ? (sparse.gas < contiguous.gas ? sparse : contiguous) : undefined;
  return {
    layer: l,
    op: layer.op,
    family: r.family,
    descriptorBytes,
    rowBytes: rowLength,
    rowProof,
    layerProof,
    inLength,
    reads: r.reads,
    trips: r.trips,
    contiguous,
    sparse,
    usable: { contiguous: fits(contiguous), sparse: fits(sparse) },
    calldata: worst ? worst.calldata : Math.max(...usable.map((w) => w.calldata)),
    gas: worst ? worst.gas : Math.max(...usable.map((w) => w.gas)),
  };
}

/** The first layer with no usable witness (none within MAX_STEP_PROOF_CALLDATA and MAX_STEP_PROOF_GAS), if any. */
export function oversizedStep(p: Program, bounds = stepWitnessBounds(p)): StepWitnessBound | undefined {
  return bounds.find((b) => !b.usable.contiguous && !b.usable.sparse);
}
