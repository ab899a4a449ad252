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
 * `elementReads` says which bytes of S_layer and which weight row an element reads; it follows docs/NUMERICS.md
 * §5-§13 exactly as the Solidity kernels do, so a slice built from it is always sufficient.
 */
import { hexlify } from "ethers";
import { VerityError } from "../executor/errors";
import { type Layer, type Program, shapeSize, tensorShape } from "../executor/runtime/program";
import { CHUNK_BYTES, MerkleTree } from "../executor/trace/merkle";
import { WeightsCommitment, stepLayout } from "../executor/trace/weights";
import { stepProofCalldata, stepWitnessBounds } from "../executor/runtime/step-witness";

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

/** What output byte `element` of S_{layer+1} reads: byte indices of S_layer, and a weight row (or null). */
export interface ElementReads {
  /** Byte indices of S_layer, in no particular order (possibly empty: e.g. an all-padding pooling window). */
  bytes: number[];
  row: number | null;
  /**
   * Byte ranges [first, last] of S_layer the kernel checks as a whole (`KernelIO.range`): Conv checks each kernel
   * row's span once, the gaps between dilated taps included, so a sparse slice must hold every chunk of it.
   */
  spans?: [number, number][];
}

function int(v: number | number[] | undefined): number {
  return v as number;
}

function arr(v: number | number[] | undefined): number[] {
  return v as number[];
}

/** The bytes of S_layer and the weight row that byte `element` of S_{layer+1} depends on. */
export function elementReads(p: Program, layer: number, element: number): ElementReads {
  const L = p.layers.length;
  if (!Number.isInteger(layer) || layer < 0 || layer >= L) throw new StepProofError(`layer ${layer} is outside 0..${L - 1}`);
  const io = stepLayout(p, layer);
  if (!Number.isInteger(element) || element < 0 || element >= io.outLength) {
    throw new StepProofError(`element ${element} is outside S_${layer + 1} (${io.outLength} bytes)`);
  }
  for (let t = 0; t < io.copies.length; t += 3) {
    const [src, dst, len] = io.copies.slice(t, t + 3);
    if (element >= dst && element < dst + len) return { bytes: [src + element - dst], row: null };
  }
  return outputReads(p, p.layers[layer], io.inputOffsets, element - io.outputOffset);
}

function outputReads(p: Program, layer: Layer, inOff: number[], i: number): ElementReads {
  const a = layer.attrs;
  const in0 = inOff[0];
  const bytes: number[] = [];
  switch (layer.op) {
    case "Gemm": {
      const k = int(a.k);
      const n = int(a.n);
      const start = in0 + Math.floor(i / n) * k;
      for (let j = 0; j < k; j++) bytes.push(start + j);
      return { bytes, row: i % n };
    }
    case "Conv": {
      const [c, h, w] = arr(a.inChw);
      const [m, oh, ow] = arr(a.outChw);
      const group = int(a.group);
      const [kh, kw] = arr(a.kernel);
      const [sh, sw] = arr(a.strides);
      const [pt, pl] = arr(a.pads);
      const [dh, dw] = arr(a.dilations);
      const plane = oh * ow;
      const o = Math.floor(i / plane) % m;
      const b = Math.floor(i / (plane * m));
      const oy = Math.floor((i % plane) / ow);
      const ox = i % ow;
      const cg = c / group;
      const g = Math.floor(o / (m / group));
      const spans: [number, number][] = [];
      for (let ci = 0; ci < cg; ci++) {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= h) continue;
          const first = bytes.length;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix >= 0 && ix < w) bytes.push(in0 + ((b * c + g * cg + ci) * h + iy) * w + ix);
          }
          if (bytes.length > first) spans.push([bytes[first], bytes[bytes.length - 1]]);
        }
      }
      return { bytes, row: o, spans };
    }
    case "MaxPool":
    case "AveragePool": {
      const [, h, w] = arr(a.inChw);
      const [oh, ow] = arr(a.outHw);
      const [kh, kw] = arr(a.kernel);
      const [sh, sw] = arr(a.strides);
      const [pt, pl, pb, pr] = arr(a.pads);
      const [dh, dw] = layer.op === "MaxPool" ? arr(a.dilations) : [1, 1];
      const plane = oh * ow;
      const base = in0 + Math.floor(i / plane) * h * w;
      const oy = Math.floor((i % plane) / ow);
      const ox = i % ow;
      if (layer.op === "MaxPool") {
        for (let ky = 0; ky < kh; ky++) {
          const iy = oy * sh - pt + ky * dh;
          if (iy < 0 || iy >= h) continue;
          for (let kx = 0; kx < kw; kx++) {
            const ix = ox * sw - pl + kx * dw;
            if (ix >= 0 && ix < w) bytes.push(base + iy * w + ix);
          }
        }
      } else {
        const y0 = oy * sh - pt;
        const x0 = ox * sw - pl;
        const yz = Math.min(Math.min(y0 + kh, h + pb), h);
        const xz = Math.min(Math.min(x0 + kw, w + pr), w);
        for (let iy = Math.max(y0, 0); iy < yz; iy++) for (let ix = Math.max(x0, 0); ix < xz; ix++) bytes.push(base + iy * w + ix);
      }
      return { bytes, row: null };
    }
    case "Add":
    case "Sub":
    case "Mul": {
      const out = layer.outShape;
      const aShape = arr(a.aShape);
      const bShape = arr(a.bShape);
      let ia = 0;
      let ib = 0;
      let sa = 1;
      let sb = 1;
      let rem = i;
      for (let d = out.length - 1; d >= 0; d--) {
        const idx = rem % out[d];
        rem = Math.floor(rem / out[d]);
        if (aShape[d] !== 1) ia += idx * sa;
        if (bShape[d] !== 1) ib += idx * sb;
        sa *= aShape[d];
        sb *= bShape[d];
      }
      if (layer.inputs.length === 2) return { bytes: [in0 + ia, inOff[1] + ib], row: null };
      return { bytes: [in0 + (int(a.constSide) === 0 ? ib : ia)], row: 0 };
    }
    case "Affine":
      return { bytes: [in0 + i], row: Math.floor(i / int(a.inner)) % int(a.channels) };
    case "Relu":
    case "Lut":
    case "Reshape":
      return { bytes: [in0 + i], row: null };
    case "Softmax": {
      const n = int(a.axisSize);
      const inner = int(a.inner);
      const span = n * inner;
      const base = in0 + Math.floor(i / span) * span + (i % inner);
      for (let j = 0; j < n; j++) bytes.push(base + j * inner);
      return { bytes, row: null };
    }
    case "Transpose": {
      const inShape = tensorShape(p, layer.inputs[0]);
      const perm = arr(a.perm);
      const out = layer.outShape;
      let rem = i;
      let j = 0;
      for (let d = out.length - 1; d >= 0; d--) {
        const idx = rem % out[d];
        rem = Math.floor(rem / out[d]);
        j += idx * shapeSize(inShape.slice(perm[d] + 1));
      }
      return { bytes: [in0 + j], row: null };
    }
    default:
      throw new StepProofError(`unknown program op '${layer.op}'`);
  }
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
  chunkIndices.forEach((c, k) => chunks.set(pre.subarray(c * CHUNK_BYTES, Math.min(pre.length, (c + 1) * CHUNK_BYTES)), k * CHUNK_BYTES));
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
  if (!state || state.length !== io.inLength) throw new StepProofError(`state S_${layer} must have ${io.inLength} bytes`);
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
  return stepProofCalldataOf(sparse) < stepProofCalldataOf(run) ? { sparse: true, proof: sparse } : { sparse: false, proof: run };
}
