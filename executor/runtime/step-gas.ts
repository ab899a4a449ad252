/**
 * The size and gas of one-step proofs: the limits a step proof must fit, the ABI size of its calldata and the gas
 * model of the verifier paths (see step-witness.ts for how a layer's worst case is derived from the program).
 */
import { CHUNK, type KernelFamily } from "./read-pattern";

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
 *    Hardhat's EVM, plus 5 %, rounded up (Reduce: the largest per-read residue of Norm and ReduceSum proofs up to
 *    n = 20,000 in test/executor/math-step-gas.test.ts, plus 15 %); `test/executor/step-witness.test.ts` checks the model against measured
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
    perRead: {
      Gemm: 115,
      Conv: 229,
      MaxPool: 505,
      AveragePool: 318,
      Softmax: 805,
      pointwise: 0,
      Reduce: 75,
      MatMul: 600,
      ConvTranspose: 1_200,
    },
    perTrip: {
      Gemm: 0,
      Conv: 50,
      MaxPool: 472,
      AveragePool: 50,
      Softmax: 0,
      pointwise: 0,
      Reduce: 0,
      MatMul: 0,
      ConvTranspose: 500,
    },
  },
  sparse: {
    perByte: 23,
    perChunk: 2_540,
    perSibling: 153,
    perRead: {
      Gemm: 80,
      Conv: 235,
      MaxPool: 930,
      AveragePool: 745,
      Softmax: 1_260,
      pointwise: 0,
      Reduce: 25,
      MatMul: 1_000,
      ConvTranspose: 1_400,
    },
    perTrip: {
      Gemm: 0,
      Conv: 2_360,
      MaxPool: 474,
      AveragePool: 50,
      Softmax: 0,
      pointwise: 0,
      Reduce: 0,
      MatMul: 0,
      ConvTranspose: 500,
    },
  },
};

/** Bytes in an ABI word. */
export const WORD = 32;

function pad32(n: number): number {
  return Math.ceil(n / WORD) * WORD;
}

/** `abi.encode` size of a dynamic `bytes` or `string` of n bytes (its length word and padded data). */
export function dynBytes(n: number): number {
  return WORD + pad32(n);
}

/** `abi.encode` size of a dynamic array of n static words. */
export function dynWords(n: number): number {
  return WORD + WORD * n;
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
