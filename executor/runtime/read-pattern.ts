/**
 * Read patterns: where the element of a layer reads in S_k, as the few numbers a witness bound needs (planes of
 * kernel rows of taps), and the chunk and sibling counts of the witnesses that cover it (step-witness.ts).
 */

/** Bytes in a state chunk (a leaf of a chunk tree). */
export const CHUNK = 32;

/**
 * The kernels by cost: Gemm, Conv, the two pools, Softmax, every op that reads one or two bytes, Reduce (a
 * contiguous run read once or twice after one coverage check: Norm, ReduceSum over an inner axis of 1), MatMul (a row
 * of one operand and a column of the other) and ConvTranspose (a checked visit of every tap).
 */
export type KernelFamily =
  "Gemm" | "Conv" | "MaxPool" | "AveragePool" | "Softmax" | "pointwise" | "Reduce" | "MatMul" | "ConvTranspose";

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

/**
 * Where an element of a layer reads, as a pattern: `planes` planes `planeStride` bytes apart, each with `rows` runs
 * `rowStride` bytes apart, each run within `rowSpan` consecutive bytes and made of at most `rowChunks` chunks (the
 * kernel needs every chunk of a run (Conv, Gemm) or only those holding a tap (the pools, Softmax)). A binary
 * Add/Sub/Mul reads two bytes anywhere (`scattered`).
 */
export interface ReadPattern {
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
  /**
   * A second run of reads in another tensor (MatMul's column of B): its chunks and siblings add to this pattern's,
   * and the contiguous witness may have to cover the whole state between the two.
   */
  extra?: ReadPattern;
}

export function num(v: number | number[] | undefined): number {
  return typeof v === "number" ? v : 0;
}

export function nums(v: number | number[] | undefined, n: number): number[] {
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
export function windowPattern(
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

export function runPattern(family: KernelFamily, reads: number, span: number): ReadPattern {
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

/** Bytes from the first to the last byte an element reads. */
export function spanOf(r: ReadPattern): number {
  return (r.planes - 1) * r.planeStride + (r.rows - 1) * r.rowStride + r.rowSpan;
}

/** The most distinct chunks an element reads (`buildSparseStepProof`'s chunk count). */
export function sparseChunksOf(r: ReadPattern): number {
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
export function sparseSiblingsOf(r: ReadPattern, chunks: number, d: number): number {
  if (r.scattered) return r.planes * d;
  const planeSpan = (r.rows - 1) * r.rowStride + r.rowSpan;
  const span = spanOf(r);
  const ancestors = (level: number): number => {
    const block = CHUNK * 2 ** level;
    return Math.min(
      chunks,
      // a run of one tap that the kernel checks whole (taps = 1, any span) has every block of its span as a node
      r.planes *
        r.rows *
        (r.taps === 1 ? blocksOfSpan(r.rowSpan, block) : Math.min(r.taps, blocksOfSpan(r.rowSpan, block))),
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
