/**
 * What the challenger reads from the chain to check commitments: the leaves of a batch (the calldata of its
 * `commitBatch` transaction, checked against the committed root), the Merkle proof of one leaf, and the inputs of
 * requests (their `InferenceRequested` events). Stateless helpers; the daemon journals what they return.
 */
import { AbiCoder, keccak256, toBeHex, zeroPadValue, type Interface, type Provider } from "ethers";

import { merkleProof, merkleRoot } from "../../executor/trace/merkle";
import type { Rpc } from "../kit/rpc";

/** One committed result: an individual commitment, or a leaf of a batch. */
export interface Leaf {
  requestId: bigint;
  outputHash: string;
  traceRoot: string;
}

/** The leaf hash of a batch (IInferenceManager): keccak256(abi.encode(requestId, outputHash, traceRoot)). */
export function leafHash(leaf: Leaf): string {
  return keccak256(
    AbiCoder.defaultAbiCoder().encode(
      ["uint256", "bytes32", "bytes32"],
      [leaf.requestId, leaf.outputHash, leaf.traceRoot],
    ),
  );
}

/** The proof of leaf `index` against the batch root, rebuilt from all the leaves (for `proveBatchLeaf`). */
export function batchLeafProof(leaves: readonly Leaf[], index: number): string[] {
  return merkleProof(leaves.map(leafHash), index);
}

/**
 * The leaves of a batch from the calldata `data` of the transaction that committed it, or null when that
 * transaction is not a direct `commitBatch` call whose leaves hash to `root` (e.g. a call through another
 * contract: the leaves are then not recoverable from this transaction alone).
 */
export function batchLeavesFromCalldata(
  inference: Interface,
  data: string,
  root: string,
  count: number,
): Leaf[] | null {
  let parsed;
  try {
    parsed = inference.parseTransaction({ data });
  } catch {
    return null;
  }
  if (parsed?.name !== "commitBatch") return null;
  const ids = parsed.args[0] as bigint[];
  const outputHashes = parsed.args[1] as string[];
  const traceRoots = parsed.args[2] as string[];
  if (ids.length !== count || outputHashes.length !== count || traceRoots.length !== count) return null;
  const leaves = ids.map((requestId, i) => ({ requestId, outputHash: outputHashes[i], traceRoot: traceRoots[i] }));
  return merkleRoot(leaves.map(leafHash)).toLowerCase() === root.toLowerCase() ? leaves : null;
}

/** What a request's `InferenceRequested` event says. */
export interface RequestInput {
  versionId: bigint;
  mode: number;
  input: string;
  block: number;
}

/**
 * The inputs of `ids`, from their `InferenceRequested` events, searched backwards from `beforeBlock` in ranges of
 * `range` blocks (requests precede their commitments). Ids whose event is not found are missing from the map.
 */
export async function requestInputs(
  rpc: Rpc,
  provider: Provider,
  inference: { address: string; iface: Interface },
  ids: readonly bigint[],
  beforeBlock: number,
  range: number,
): Promise<Map<bigint, RequestInput>> {
  const found = new Map<bigint, RequestInput>();
  const topic = inference.iface.getEvent("InferenceRequested")!.topicHash;
  for (let to = beforeBlock; to >= 0 && found.size < new Set(ids).size; to -= range) {
    const fromBlock = Math.max(0, to - range + 1);
    const missing = [...new Set(ids)].filter((id) => !found.has(id));
    // Topic lists are OR-ed; ask for a bounded number of ids at once.
    for (let i = 0; i < missing.length; i += 100) {
      const wanted = missing.slice(i, i + 100).map((id) => zeroPadValue(toBeHex(id), 32));
      const logs = await rpc.call("getLogs(InferenceRequested)", () =>
        provider.getLogs({ address: inference.address, fromBlock, toBlock: to, topics: [topic, wanted] }),
      );
      for (const log of logs) {
        const ev = inference.iface.parseLog(log)!;
        found.set(ev.args.requestId as bigint, {
          versionId: ev.args.versionId as bigint,
          mode: Number(ev.args.mode),
          input: ev.args.input as string,
          block: log.blockNumber,
        });
      }
    }
  }
  return found;
}
