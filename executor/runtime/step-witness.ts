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
import type { Layer, Program } from "./program";

/**
 * The most calldata one step proof may take: 128 KiB less 1 KiB for the rest of the signed transaction, so that the
 * whole transaction stays within the 128 KiB that Ethereum clients accept into their mempool (geth's txMaxSize).
 */
export const MAX_STEP_PROOF_CALLDATA = 128 * 1024 - 1024;
/** The most gas one step proof may take: a sixth of a 30M-gas block, a third of the 16.7M transaction cap (EIP-7825). */
export const MAX_STEP_PROOF_GAS = 5_000_000;

/** Gas coefficients of one verifier path (see `GAS_MODEL`). */
export interface PathGas {
  /** Per byte of calldata: ABI walking, hashing the descriptor, the row and the chunks, copying. */
  perByte: number;
  /** Per chunk of the slice and per sibling of its proof (the sparse path's multiproof walks them in memory). */
  perChunk: number;
  perSibling: number;
  /** Per input byte the kernel reads, and per other loop trip (`StepWitnessBound.trips`), by kernel family. */
  perRead: Record<KernelFamily, number>;
  perTrip: Record<KernelFamily, number>;
}

/**
 * The gas model of one step proof: an upper bound on the gas of `DisputeManager.proveStep[Sparse]` and
 * `RedundantManager.proveStep[Sparse]` (see `stepProofGas`).
 *  - calldata: 16 gas per byte (EIP-2028, every byte counted as non-zero), or the EIP-7623 floor of 40 gas per
 *    non-zero byte when that is more;
 *  - `game`: the game's own work around the verifier call (decoding, the outcome's slashing, credits and events:
 *    measured 183k for DisputeManager, 207k for RedundantManager) plus the copy of the arguments into the call's
 *    memory (3 gas per word and the EVM's quadratic memory cost);
 *  - the verifier (`contiguous` for `computeElement`, `sparse` for `computeElementSparse`): linear in the calldata,
 *    the slice's chunks and siblings, and the kernel's reads and loop trips. The coefficients are the tightest
 *    upper envelope (a linear program) of 124 proofs of 62 shapes of every kernel family, both paths, measured on
 *    Hardhat's EVM, plus 5 %, rounded up; `test/executor/step-witness.test.ts` checks the model against measured
 *    gas (X10-4 to X10-6).
 */
export const GAS_MODEL: {
  tx: number;
  calldataPerByte: number;
  floorPerByte: number;
  game: number;
  contiguous: PathGas;
  sparse: PathGas;
} = {
  tx: 21_000,
  calldataPerByte: 16,
  floorPerByte: 40,
  game: 260_000,
  contiguous: {
    perByte: 25,
    perChunk: 0,
    perSibling: 0,
    perRead: { Gemm: 115, Conv: 229, MaxPool: 505, AveragePool: 318, Softmax: 805, pointwise: 0 },
    perTrip: { Gemm: 0, Conv: 50, MaxPool: 472, AveragePool: 50, Softmax: 0, pointwise: 0 },
  },
  sparse: {
    perByte: 23,
    perChunk: 2_540,
    perSibling: 153,
    perRead: { Gemm: 80, Conv: 235, MaxPool: 930, AveragePool: 745, Softmax: 1_260, pointwise: 0 },
    perTrip: { Gemm: 0, Conv: 2_360, MaxPool: 474, AveragePool: 50, Softmax: 0, pointwise: 0 },
  },
};

/** The kernels by cost: Gemm, Conv, the two pools, Softmax, and every op that reads one or two bytes. */
export type KernelFamily = "Gemm" | "Conv" | "MaxPool" | "AveragePool" | "Softmax" | "pointwise";

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

const WORD = 32;
const CHUNK = 32;

function pad32(n: number): number {
  return Math.ceil(n / WORD) * WORD;
}

/** Tree depth for n leaves: ceil(log2 n), 0 for n <= 1 (as `treeDepth` and `MerkleLib.depth`). */
export function depthOf(n: number): number {
  let d = 0;
  while (2 ** d < n) d++;
  return d;
}

/** The most 32-byte chunks `span` consecutive bytes can touch (they may start anywhere in a chunk). */
export function chunksOfSpan(span: number): number {
  return span <= 0 ? 0 : Math.floor((span + 30) / CHUNK) + 1;
}

/** The most siblings a multiproof of m chunks of a tree of depth d needs: sum over levels of min(m, 2^j). */
export function multiproofSiblings(m: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) s += Math.min(m, 2 ** j);
  return s;
}

/** `abi.encode` size of a dynamic `bytes` or `string` of n bytes (its length word and padded data). */
function dynBytes(n: number): number {
  return WORD + pad32(n);
}

/** `abi.encode` size of a dynamic array of n static words. */
function dynWords(n: number): number {
  return WORD + WORD * n;
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

/**
 * Calldata of `computeElement(claim, layer, slice, rows)` (`computeElementSparse` when `sparse`): the largest of the
 * entry points, the games' `proveStep[Sparse](id, [byteIndex,] layer, slice, rows)` taking 3 or 4 words less.
 */
export function stepProofCalldata(parts: {
  descriptorBytes: number;
  layerProof: number;
  sliceChunks: number;
  sliceProof: number;
  sparse: boolean;
  rowBytes: number | null;
  rowProof: number;
}): number {
  const layer = 3 * WORD + dynBytes(parts.descriptorBytes) + dynWords(parts.layerProof);
  const slice =
    3 * WORD +
    (parts.sparse ? dynWords(parts.sliceChunks) : 0) +
    dynBytes(CHUNK * parts.sliceChunks) +
    dynWords(parts.sliceProof);
  const rows =
    WORD + (parts.rowBytes === null ? 0 : WORD + 3 * WORD + dynBytes(parts.rowBytes) + dynWords(parts.rowProof));
  return 4 + 5 * WORD + 3 * WORD + layer + slice + rows;
}

/** What the gas of one proof depends on: its calldata, its slice, and what the kernel does. */
export interface StepProofShape {
  calldata: number;
  chunks: number;
  siblings: number;
  family: KernelFamily;
  reads: number;
  trips: number;
}

/**
 * Upper bound (GAS_MODEL) of the gas of a proving transaction of this shape through either verifier path: through a
 * game (`DisputeManager` / `RedundantManager.proveStep[Sparse]`), or with `game = false` a transaction to the
 * verifier itself.
 */
export function stepProofGas(s: StepProofShape, path: "contiguous" | "sparse", game = true): number {
  const m = GAS_MODEL;
  const c = m[path];
  const words = Math.ceil(s.calldata / WORD);
  const gameGas = game ? m.game + 3 * words + Math.floor((words * words) / 512) : 0;
  const verifier =
    c.perByte * s.calldata +
    c.perChunk * s.chunks +
    c.perSibling * s.siblings +
    c.perRead[s.family] * s.reads +
    c.perTrip[s.family] * s.trips;
  return m.tx + Math.max(m.calldataPerByte * s.calldata + gameGas + verifier, m.floorPerByte * s.calldata);
}

/**
 * Where an element of a layer reads, as a pattern: `planes` planes `planeStride` bytes apart, each with `rows` runs
 * `rowStride` bytes apart, each run within `rowSpan` consecutive bytes and made of at most `rowChunks` chunks (the
 * kernel needs every chunk of a run (Conv, Gemm) or only those holding a tap (the pools, Softmax)). A binary
 * Add/Sub/Mul reads two bytes anywhere (`scattered`).
 */
interface ReadPattern {
  family: KernelFamily;
  /** Input bytes read (loop trips of the kernel's reads) and other loop trips (`StepWitnessBound.trips`). */
  reads: number;
  trips: number;
  planes: number;
  planeStride: number;
  rows: number;
  rowStride: number;
  rowSpan: number;
  /** The most chunks one run touches, and the taps of a run `tapStride` bytes apart when only taps count. */
  rowChunks: number;
  taps: number;
  tapStride: number;
  scattered: boolean;
}

function num(v: number | number[] | undefined): number {
  return typeof v === "number" ? v : 0;
}

function nums(v: number | number[] | undefined, n: number): number[] {
  return Array.isArray(v) ? v : new Array<number>(n).fill(0);
}

/** The most blocks of `block` bytes that `span` consecutive bytes touch (`chunksOfSpan` for any block size). */
function blocksOfSpan(span: number, block: number): number {
  return span <= 0 ? 0 : Math.floor((span + block - 2) / block) + 1;
}

/**
 * A 2-D window over `planes` consecutive planes of h x w bytes (the first at byte `base` of S_k): taps along y (kh,
 * dilation dh) and x (kw, dw), of which at most min(k, ceil(size / d)) fall inside the plane. `wholeRows`: the kernel
 * checks the whole span of a kernel row (Conv: `KernelIO.range`), so a sparse slice needs every chunk of it.
 */
function windowPattern(
  family: KernelFamily,
  planes: number,
  [h, w]: number[],
  [kh, kw]: number[],
  [dh, dw]: number[],
  base: number,
  wholeRows: boolean,
): ReadPattern {
  const ty = Math.min(kh, Math.ceil(h / dh));
  const tx = Math.min(kw, Math.ceil(w / dw));
  const rowSpan = (tx - 1) * dw + 1;
  let rowChunks = chunksOfSpan(rowSpan);
  // rows that start on a chunk boundary: a run inside a row touches at most the row's ceil(w / 32) chunks
  if (w % CHUNK === 0 && base % CHUNK === 0) rowChunks = Math.min(rowChunks, w / CHUNK);
  if (!wholeRows) rowChunks = Math.min(rowChunks, tx);
  return {
    family,
    reads: planes * ty * tx,
    trips: planes * ty,
    planes,
    planeStride: h * w,
    rows: ty,
    rowStride: dh * w,
    rowSpan,
    rowChunks,
    taps: wholeRows ? 1 : tx,
    tapStride: dw,
    scattered: false,
  };
}

function runPattern(family: KernelFamily, reads: number, span: number): ReadPattern {
  return {
    family,
    reads,
    trips: 0,
    planes: 1,
    planeStride: 0,
    rows: 1,
    rowStride: 0,
    rowSpan: span,
    rowChunks: chunksOfSpan(span),
    taps: 1,
    tapStride: 0,
    scattered: false,
  };
}

/** The read pattern of one output element of `layer`, whose first input starts at byte `in0` of S_k. */
function patternOf(layer: Layer, in0: number): ReadPattern {
  const a = layer.attrs;
  switch (layer.op) {
    case "Gemm":
      return runPattern("Gemm", num(a.k), num(a.k));
    case "Conv": {
      const [c, h, w] = nums(a.inChw, 3);
      const cg = c / Math.max(1, num(a.group));
      return windowPattern("Conv", cg, [h, w], nums(a.kernel, 2), nums(a.dilations, 2), in0, true);
    }
    case "MaxPool":
    case "AveragePool": {
      const [, h, w] = nums(a.inChw, 3);
      const dil = layer.op === "MaxPool" ? nums(a.dilations, 2) : [1, 1];
      const e = windowPattern(layer.op, 1, [h, w], nums(a.kernel, 2), dil, in0, false);
      // MaxPool walks every kernel column of every in-bounds kernel row, padding included (PoolKernel.maxPool).
      if (layer.op === "MaxPool") {
        const [kh, kw] = nums(a.kernel, 2);
        e.trips = kh + e.rows * kw;
      }
      return e;
    }
    case "Softmax": {
      // the n bytes of the element's axis, `inner` apart, read twice, and the element itself (SoftmaxKernel)
      const n = num(a.axisSize);
      const inner = num(a.inner);
      return { ...runPattern("Softmax", 2 * n + 1, 1), rows: n, rowStride: inner, rowChunks: 1 };
    }
    case "Add":
    case "Sub":
    case "Mul":
      if (layer.inputs.length === 2) return { ...runPattern("pointwise", 2, 1), planes: 2, scattered: true };
      return runPattern("pointwise", 1, 1);
    default:
      return runPattern("pointwise", 1, 1);
  }
}

/** Bytes from the first to the last byte an element reads. */
function spanOf(r: ReadPattern): number {
  return (r.planes - 1) * r.planeStride + (r.rows - 1) * r.rowStride + r.rowSpan;
}

/** The most distinct chunks an element reads (`buildSparseStepProof`'s chunk count). */
function sparseChunksOf(r: ReadPattern): number {
  if (r.scattered) return r.planes;
  const planeSpan = (r.rows - 1) * r.rowStride + r.rowSpan;
  const perPlane = Math.min(r.rows * r.rowChunks, chunksOfSpan(planeSpan));
  return Math.min(r.planes * perPlane, chunksOfSpan(spanOf(r)));
}

/**
 * The most siblings of the multiproof of an element's chunks in a tree of depth d. At level j (nodes covering blocks
 * of B = 32 * 2^j bytes) a sibling is needed only by a parent with exactly one known child, so at most two per run of
 * consecutive known nodes and at most one per known parent: the sum over levels of min(2 * runs_j, ancestors_{j+1}).
 * Runs of the pattern merge at the level where the gap between them is under one block.
 */
function sparseSiblingsOf(r: ReadPattern, chunks: number, d: number): number {
  if (r.scattered) return r.planes * d;
  const planeSpan = (r.rows - 1) * r.rowStride + r.rowSpan;
  const span = spanOf(r);
  const ancestors = (level: number): number => {
    const block = CHUNK * 2 ** level;
    return Math.min(
      chunks,
      r.planes * r.rows * Math.min(r.taps, blocksOfSpan(r.rowSpan, block)),
      r.planes * blocksOfSpan(planeSpan, block),
      blocksOfSpan(span, block),
      2 ** (d - level),
    );
  };
  let siblings = 0;
  for (let j = 0; j < d; j++) {
    const block = CHUNK * 2 ** j;
    const tapsMerge = r.taps === 1 || r.tapStride <= block;
    const rowsMerge = r.rows === 1 || r.rowStride - r.rowSpan + 1 <= block;
    const planesMerge = r.planes === 1 || r.planeStride - planeSpan + 1 <= block;
    const perRow = tapsMerge ? 1 : r.taps;
    const perPlane = rowsMerge && tapsMerge ? 1 : r.rows * perRow;
    const runs = planesMerge && perPlane === 1 ? 1 : r.planes * perPlane;
    siblings += Math.min(2 * Math.min(runs, ancestors(j)), ancestors(j + 1));
  }
  return siblings;
}

/** Number of weight rows and row length of a layer (as `weightRows` in executor/trace/weights.ts). */
function rowsOf(layer: Layer): { rows: number; rowLength: number } {
  const w = layer.weights;
  if (!w) return { rows: 0, rowLength: 0 };
  const a = layer.attrs;
  let rows = 1;
  if (layer.op === "Gemm") rows = num(a.n);
  else if (layer.op === "Conv") rows = nums(a.outChw, 3)[0];
  else if (layer.op === "Affine") rows = num(a.channels);
  rows = Math.max(1, rows);
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
  const runChunks = Math.min(r.scattered ? inChunks : chunksOfSpan(Math.min(spanOf(r), inLength)), inChunks);
  const contiguous = witness(
    runChunks,
    Math.min(2 * stateDepth, multiproofSiblings(runChunks, stateDepth)),
    "contiguous",
  );
  const sparseChunks = Math.min(sparseChunksOf(r), inChunks);
  const sparse = witness(
    sparseChunks,
    Math.min(sparseSiblingsOf(r, sparseChunks, stateDepth), multiproofSiblings(sparseChunks, stateDepth)),
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
