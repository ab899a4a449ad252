import { ethers } from "hardhat";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import type { RedundantManager } from "../../typechain-types";
import { GamePhase as Phase } from "../../game/enums";
import { NodeStatus } from "../../protocol/constants";
import { emptySubtree } from "../../game/view";
import { chunkCount, chunkLeaf, hashPair, MerkleTree, treeDepth } from "../../executor/trace/merkle";
import { MODE, versionSpec } from "../helpers/fixtures";
import type { RedundantFixture } from "./redundant-fixtures";

/**
 * SYNTHETIC models for RedundantManager games that need a state or a descriptor no demo model has: a published
 * version whose weights root commits to hand-written layer descriptors (a well-formed 15-word head giving
 * |S_{l+1}|, or any malformed bytes), and hand-made traces whose states may be huge but are mostly zero (a sparse
 * state's chunk-tree roots are computed from its few non-zero bytes). The one-step verifier is never asked: a game
 * played here is decided by the padding rules (a byte or subtree past the state's end) or by the clocks. Model
 * publishing is permissionless, so whatever such a model does is something a game must survive.
 */

export { Phase };

/** A descriptor's 15-word head (docs/COMMITMENTS.md §3) whose only non-zero word is outLength = |S_{l+1}| (word 14). */
export function headDescriptor(outLength: bigint | number): string {
  return ethers.AbiCoder.defaultAbiCoder().encode(
    Array<string>(15).fill("uint256"),
    Array.from({ length: 15 }, (_, i) => (i === 14 ? BigInt(outLength) : 0n)),
  );
}

export interface LayerWitness {
  descriptor: string;
  rowsRoot: string;
  layerProof: string[];
}

export interface SyntheticModel {
  descriptors: string[];
  weightsRoot: string;
  /** The layer's witness, proven into the weights root. */
  witness(layer: number): LayerWitness;
}

export function syntheticModel(descriptors: string[]): SyntheticModel {
  const rowsRoots = descriptors.map((_, k) => ethers.id(`synthetic rows ${k}`));
  const layerRoots = descriptors.map((d, k) => ethers.keccak256(ethers.concat([ethers.keccak256(d), rowsRoots[k]])));
  const tree = MerkleTree.fromLeaves(layerRoots);
  return {
    descriptors,
    weightsRoot: tree.root,
    witness: (layer) => ({ descriptor: descriptors[layer], rowsRoot: rowsRoots[layer], layerProof: tree.proof(layer) }),
  };
}

/** Publishes `model` (fee 0, OPTIMISTIC, `ioBytes` in and out) and has the active operators of 0..3 serve it. */
export async function publishSynthetic(f: RedundantFixture, model: SyntheticModel, ioBytes: number): Promise<bigint> {
  await f.models.connect(f.publisher).publishModel(
    `synthetic-${model.weightsRoot.slice(2, 10)}`,
    versionSpec({
      weightsRoot: model.weightsRoot,
      layerCount: model.descriptors.length,
      inputShape: [ioBytes],
      outputShape: [ioBytes],
      modes: MODE.OPTIMISTIC,
      fee: 0n,
    }),
  );
  const version = await f.models.versionCount();
  for (const op of f.operators.slice(0, 4)) {
    const active = Number(await f.nodes.statusOf(op.address)) === NodeStatus.Active;
    if (active) await f.nodes.connect(op).serveVersions([version]);
  }
  return version;
}

const ZERO_CHUNK = chunkLeaf(new Uint8Array(32));
const zeroChunkSubtrees: string[] = [ZERO_CHUNK];
const emptySubtrees: string[] = [];

/** The root of 2^height real chunks that are all zero (not padding: a zero chunk's leaf is keccak256 of 32 zeros). */
function zeroChunkSubtree(height: number): string {
  while (zeroChunkSubtrees.length <= height) {
    const z = zeroChunkSubtrees[zeroChunkSubtrees.length - 1];
    zeroChunkSubtrees.push(hashPair(z, z));
  }
  return zeroChunkSubtrees[height];
}

function empty(height: number): string {
  return (emptySubtrees[height] ??= emptySubtree(height));
}

/** A state of `length` bytes, zero but for `bytes` (index -> int8 value); an index past `length - 1` is not allowed. */
export class SparseState {
  readonly chunks: number;
  readonly depth: number;

  constructor(
    readonly length: number,
    readonly bytes: ReadonlyMap<number, number> = new Map(),
  ) {
    for (const i of bytes.keys()) if (i >= length) throw new Error(`byte ${i} is past the state's ${length} bytes`);
    this.chunks = chunkCount(length);
    this.depth = treeDepth(this.chunks);
  }

  static of(state: Int8Array): SparseState {
    const bytes = new Map<number, number>();
    state.forEach((v, i) => v !== 0 && bytes.set(i, v));
    return new SparseState(state.length, bytes);
  }

  /** This state with `edits` (index -> value) and, when given, another length (longer: bytes past the real end). */
  with(edits: Record<number, number>, length = this.length): SparseState {
    const bytes = new Map(this.bytes);
    for (const [i, v] of Object.entries(edits)) bytes.set(Number(i), v);
    return new SparseState(length, bytes);
  }

  get root(): string {
    return this.subtreeRoot(this.depth, 0);
  }

  /** The root of the subtree of height `height` at `index` of this state's chunk tree. */
  subtreeRoot(height: number, index: number): string {
    const first = index * 2 ** height;
    if (first >= this.chunks) return empty(height);
    const end = first + 2 ** height;
    if (end <= this.chunks && !this.nonZeroIn(first * 32, end * 32)) return zeroChunkSubtree(height);
    if (height === 0) return chunkLeaf(ethers.getBytes(this.chunkHex(first)));
    return hashPair(this.subtreeRoot(height - 1, 2 * index), this.subtreeRoot(height - 1, 2 * index + 1));
  }

  chunkHex(index: number): string {
    const out = new Uint8Array(32);
    for (const [i, v] of this.bytes) if (i >= index * 32 && i < index * 32 + 32) out[i - index * 32] = v & 0xff;
    return ethers.hexlify(out);
  }

  /** The bytes, for a small state (the output or the input). */
  dense(): Uint8Array {
    const out = new Uint8Array(this.length);
    for (const [i, v] of this.bytes) out[i] = v & 0xff;
    return out;
  }

  private nonZeroIn(from: number, to: number): boolean {
    for (const i of this.bytes.keys()) if (i >= from && i < to) return true;
    return false;
  }
}

/** A node's states S0..SL and the state roots of its trace. */
export interface Party {
  signer: HardhatEthersSigner;
  states: SparseState[];
  roots: string[];
}

export function party(signer: HardhatEthersSigner, states: (Int8Array | SparseState)[]): Party {
  const sparse = states.map((s) => (s instanceof SparseState ? s : SparseState.of(s)));
  return { signer, states: sparse, roots: sparse.map((s) => s.root) };
}

/** `p` commits its trace (output = its last state) to `requestId`. */
export function commitParty(manager: RedundantManager, p: Party, requestId: bigint) {
  const tree = MerkleTree.fromLeaves(p.roots);
  return manager
    .connect(p.signer)
    .commit(requestId, p.states.at(-1)!.dense(), tree.root, tree.proof(0), tree.proof(p.roots.length - 1));
}

/** The next move of the game: who owes it and its transaction (each party's honest move from its own states). */
export async function nextMove(
  manager: RedundantManager,
  model: SyntheticModel,
  gameId: bigint,
  a: Party,
  b: Party,
): Promise<{ mover: Party; send: () => Promise<ContractTransactionResponse> } | null> {
  const g = await manager.getGame(gameId);
  const phase = Number(g.phase);
  const aMoves = phase === Phase.AwaitingRootsA || phase === Phase.AwaitingChildrenA || phase === Phase.AwaitingChunkA;
  const p = aMoves ? a : b;
  const m = manager.connect(p.signer);
  const state = p.states[Number(g.step) + 1];
  const index = Number(g.cursorIndex);
  switch (phase) {
    case Phase.AwaitingRootsA:
      return { mover: p, send: () => m.revealRoots(gameId, p.roots) };
    case Phase.AwaitingRootsB: {
      const i = a.roots.findIndex((r, j) => r !== b.roots[j]);
      return { mover: p, send: () => m.revealRootsAndLocate(gameId, b.roots, a.roots, model.witness(i - 1)) };
    }
    case Phase.AwaitingChildrenA:
    case Phase.AwaitingChildrenB: {
      const h = Number(g.level) - 1;
      const [l, r] = [state.subtreeRoot(h, 2 * index), state.subtreeRoot(h, 2 * index + 1)];
      return { mover: p, send: () => m.revealChildren(gameId, l, r) };
    }
    case Phase.AwaitingChunkA:
    case Phase.AwaitingChunkB:
      return { mover: p, send: () => m.openChunk(gameId, state.chunkHex(index)) };
    default:
      return null;
  }
}

/** Plays the next move; false once nobody owes one (AwaitingProof or Resolved). */
export async function move(
  manager: RedundantManager,
  model: SyntheticModel,
  gameId: bigint,
  a: Party,
  b: Party,
): Promise<boolean> {
  const next = await nextMove(manager, model, gameId, a, b);
  if (!next) return false;
  await (await next.send()).wait();
  return true;
}
