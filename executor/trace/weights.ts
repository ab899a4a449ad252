/**
 * The model commitment: what ModelRegistry stores for a version and what the one-step verifier checks a layer's
 * parameters against. docs/COMMITMENTS.md is the normative description.
 *
 *   programDigest = keccak256(encodeProgram(p))                       (the whole program, canonical bytes)
 *   weightsRoot   = merkleRoot(layerRoot_0, ..., layerRoot_{L-1})
 *   layerRoot_l   = keccak256(descriptorHash_l ‖ rowsRoot_l)
 *   descriptorHash_l = keccak256(layerDescriptor(p, l))               (ABI encoding, see below)
 *   rowsRoot_l    = merkleRoot(rowRoot_0, ..., rowRoot_{R-1})          (bytes32(0) for a layer without weights)
 *   rowRoot_o     = merkleRoot over the 32-byte chunks of weights row o (int8, zero-padded to a chunk boundary)
 *
 * Every row of the output-channel-major weights is its own chunk tree, so each row starts on a chunk boundary and
 * the verifier proves the weights of ONE output channel with its bytes plus log2(R) siblings, and the layer
 * itself with log2(L) siblings.
 */
import { abiEncode } from "./abi";
import { toHex } from "./hex";
import { keccak256 } from "./keccak-wasm";
import { MerkleTree, EMPTY_LEAF, chunkLeaves, hashPair } from "./merkle";
import { encodeProgram, stateLayout, tensorShape, type Layer, type Program } from "../runtime/program";
import { VerityError } from "../errors";
import { operatorOf } from "../ops";

/** A weight proof asked of a layer or row that does not exist. */
export class WeightProofError extends VerityError {}

/** keccak256 of the canonical program bytes. */
export function programDigest(p: Program): string {
  return toHex(keccak256(encodeProgram(p)));
}

/**
 * Number of weight rows of a layer, as its operator defines them (`weightRows` in executor/ops: Gemm `n`, Conv
 * `outChw[0]`, Affine `channels`); any other layer with weights (a constant operand of Add/Sub/Mul) is one row; a
 * layer without weights has none.
 */
export function weightRows(layer: Layer): number {
  if (!layer.weights) return 0;
  const rows = operatorOf(layer.op)?.weightRows?.(layer) ?? 1;
  if (!(rows >= 1) || layer.weights.length % rows !== 0) {
    throw new WeightProofError(`layer ${layer.op}: ${layer.weights.length} weights do not split into ${rows} rows`);
  }
  return rows;
}

function int32sBigEndian(a: Int32Array | undefined): Uint8Array {
  if (!a) return new Uint8Array(0);
  const out = new Uint8Array(a.length * 4);
  const view = new DataView(out.buffer);
  for (let i = 0; i < a.length; i++) view.setInt32(4 * i, a[i], false);
  return out;
}

function int8Bytes(a: Int8Array | undefined): Uint8Array {
  return a ? new Uint8Array(a.buffer, a.byteOffset, a.byteLength) : new Uint8Array(0);
}

export const DESCRIPTOR_ABI_TYPES = [
  "string", // op
  "uint256[]", // inputs (tensor ids)
  "uint256", // output (tensor id)
  "uint256[]", // outShape
  "string[]", // attribute names, strictly ascending (UTF-16 code unit order; all ASCII in practice)
  "bool[]", // attribute is an array (true) or a scalar (false)
  "int256[][]", // attribute values (a scalar is a one-element array)
  "uint256", // weight rows R (0 without weights)
  "uint256", // weight row length in int8 values (0 without weights)
  "bytes", // bias, int32 big-endian each (empty if absent)
  "bytes", // multiplier, int32 big-endian each (empty if absent)
  "bytes", // shift, int32 big-endian each (empty if absent)
  "bytes", // lut, 256 int8 (empty if absent)
  "uint256", // inLength = |S_l| bytes (the pre-state)
  "uint256", // outLength = |S_{l+1}| bytes (the post-state)
  "uint256[]", // inputOffsets: byte offset in S_l of each input tensor, in the layer's input order
  "uint256[]", // inputShapes, flattened: for each input in order, its rank then its dims
  "uint256", // outputOffset: byte offset of the layer's output tensor in S_{l+1}
  "uint256[]", // copies: triples (srcOffset in S_l, dstOffset in S_{l+1}, length) of tensors carried over unchanged
] as const;

/** Where layer `l` reads its inputs in S_l, and how S_{l+1} is assembled (descriptor fields 13-18). */
export interface StepLayout {
  readonly inLength: number;
  readonly outLength: number;
  readonly inputOffsets: number[];
  readonly inputShapes: number[];
  readonly outputOffset: number;
  readonly copies: number[];
}

/** The state layout of step S_l -> S_{l+1}, derived from `stateLayout(p, l)` and `stateLayout(p, l + 1)`. */
export function stepLayout(p: Program, l: number): StepLayout {
  const layer = layerAt(p, l);
  const before = stateLayout(p, l);
  const after = stateLayout(p, l + 1);
  const offsetIn = new Map(before.map((e) => [e.id, e.offset]));
  const inputOffsets = layer.inputs.map((t) => {
    const off = offsetIn.get(t);
    if (off === undefined) throw new WeightProofError(`layer ${l}: input tensor ${t} is not live in S_${l}`);
    return off;
  });
  const inputShapes: number[] = [];
  for (const t of layer.inputs) {
    const shape = tensorShape(p, t);
    inputShapes.push(shape.length, ...shape);
  }
  let outputOffset = -1;
  const copies: number[] = [];
  for (const e of after) {
    if (e.id === layer.output) {
      outputOffset = e.offset;
      continue;
    }
    const src = offsetIn.get(e.id);
    if (src === undefined) throw new WeightProofError(`layer ${l}: tensor ${e.id} of S_${l + 1} is not in S_${l}`);
    copies.push(src, e.offset, e.length);
  }
  return {
    inLength: before.reduce((n, e) => n + e.length, 0),
    outLength: after.reduce((n, e) => n + e.length, 0),
    inputOffsets,
    inputShapes,
    outputOffset,
    copies,
  };
}

/** The canonical descriptor of layer `l`: everything but the weights themselves, `abi.encode`d. */
export function layerDescriptor(p: Program, l: number): Uint8Array {
  const layer = layerAt(p, l);
  const names = Object.keys(layer.attrs).sort();
  const isArray = names.map((k) => Array.isArray(layer.attrs[k]));
  const values = names.map((k) => {
    const v = layer.attrs[k];
    return (Array.isArray(v) ? v : [v]).map((x) => BigInt(x));
  });
  const rows = weightRows(layer);
  const rowLength = rows === 0 ? 0 : (layer.weights as Int8Array).length / rows;
  const io = stepLayout(p, l);
  return abiEncode(DESCRIPTOR_ABI_TYPES, [
    layer.op,
    layer.inputs,
    layer.output,
    layer.outShape,
    names,
    isArray,
    values,
    rows,
    rowLength,
    int32sBigEndian(layer.bias),
    int32sBigEndian(layer.multiplier),
    int32sBigEndian(layer.shift),
    int8Bytes(layer.lut),
    io.inLength,
    io.outLength,
    io.inputOffsets,
    io.inputShapes,
    io.outputOffset,
    io.copies,
  ]);
}

function layerAt(p: Program, l: number): Layer {
  const layer = p.layers[l];
  if (!Number.isInteger(l) || !layer) {
    throw new WeightProofError(`layer ${l} does not exist (the program has layers 0..${p.layers.length - 1})`);
  }
  return layer;
}

/** The bytes of weights row `row`, unpadded. */
function rowBytes(layer: Layer, row: number, rows: number): Uint8Array {
  const w = int8Bytes(layer.weights);
  const len = w.length / rows;
  return w.subarray(row * len, (row + 1) * len);
}

interface LayerCommitment {
  readonly descriptor: Uint8Array;
  readonly descriptorHash: string;
  readonly rows: number;
  readonly rowTree: MerkleTree;
  readonly rowsRoot: string;
  readonly layerRoot: string;
}

function commitLayer(p: Program, l: number): LayerCommitment {
  const layer = layerAt(p, l);
  const descriptor = layerDescriptor(p, l);
  const descriptorHash = toHex(keccak256(descriptor));
  const rows = weightRows(layer);
  const rowRoots = new Uint8Array(rows * 32);
  for (let o = 0; o < rows; o++) rowRoots.set(MerkleTree.fromData(rowBytes(layer, o, rows)).rootBytes(), o * 32);
  const rowTree = new MerkleTree(rowRoots);
  const rowsRoot = rows === 0 ? EMPTY_LEAF : rowTree.root;
  return { descriptor, descriptorHash, rows, rowTree, rowsRoot, layerRoot: hashPair(descriptorHash, rowsRoot) };
}

/** The full weights commitment of a program, computed once; proofs of any layer or row reuse it. */
export class WeightsCommitment {
  private readonly layers: LayerCommitment[];
  private readonly tree: MerkleTree;
  readonly root: string;

  constructor(private readonly program: Program) {
    this.layers = program.layers.map((_, l) => commitLayer(program, l));
    this.tree = MerkleTree.fromLeaves(this.layers.map((c) => c.layerRoot));
    this.root = this.tree.root;
  }

  layerRoot(l: number): string {
    layerAt(this.program, l);
    return this.layers[l].layerRoot;
  }

  /** Everything needed to check layer `l`'s descriptor and weights row `row` against the weights root. */
  rowProof(l: number, row: number): WeightRowProof {
    const layer = layerAt(this.program, l);
    const c = this.layers[l];
    if (!Number.isInteger(row) || row < 0 || row >= c.rows) {
      throw new WeightProofError(
        c.rows === 0
          ? `layer ${l} (${layer.op}) has no weights`
          : `row ${row} is out of range: layer ${l} (${layer.op}) has ${c.rows} weight rows`,
      );
    }
    const bytes = rowBytes(layer, row, c.rows);
    const leaves = chunkLeaves(bytes);
    return {
      layer: l,
      row,
      descriptor: toHex(c.descriptor),
      descriptorHash: c.descriptorHash,
      rowBytes: toHex(bytes),
      rowRoot: new MerkleTree(leaves).root,
      rowProof: c.rowTree.proof(row),
      rowsRoot: c.rowsRoot,
      layerRoot: c.layerRoot,
      layerProof: this.tree.proof(l),
      weightsRoot: this.root,
    };
  }

  /** Proof of layer `l`'s descriptor alone (layers without weights: pooling, LUTs, reshapes...). */
  layerProof(l: number): { descriptor: string; rowsRoot: string; layerRoot: string; layerProof: string[] } {
    layerAt(this.program, l);
    const c = this.layers[l];
    return {
      descriptor: toHex(c.descriptor),
      rowsRoot: c.rowsRoot,
      layerRoot: c.layerRoot,
      layerProof: this.tree.proof(l),
    };
  }
}

export interface WeightRowProof {
  readonly layer: number;
  readonly row: number;
  /** abi.encode(...) of the layer descriptor (DESCRIPTOR_ABI_TYPES). */
  readonly descriptor: string;
  readonly descriptorHash: string;
  /** The int8 weights of output channel `row`, unpadded (the verifier zero-pads the last chunk). */
  readonly rowBytes: string;
  readonly rowRoot: string;
  /** Siblings of rowRoot in the layer's row tree, leaf level first. */
  readonly rowProof: string[];
  readonly rowsRoot: string;
  readonly layerRoot: string;
  /** Siblings of layerRoot in the weights tree, leaf level first. */
  readonly layerProof: string[];
  readonly weightsRoot: string;
}

/** The weights root of a program (see the file comment). */
export function weightsRoot(p: Program): string {
  return new WeightsCommitment(p).root;
}

/** Proof of weights row `row` of layer `layer`. Build a `WeightsCommitment` once to take many proofs. */
export function weightChunkProof(p: Program, layer: number, row: number): WeightRowProof {
  return new WeightsCommitment(p).rowProof(layer, row);
}
