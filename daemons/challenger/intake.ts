/**
 * The challenger's intake: the commitments of each new block range (up to `maxBlockRange` blocks per tick,
 * `confirmations` deep) become "check" records (`ResultCommitted` one commitment each, `BatchCommitted` one batch
 * with its leaves read from its transaction's calldata), then the "cursor" record moves past the range. Also what
 * the checks read from the chain: the leaves of a batch (checked against the committed root), the Merkle proof of
 * one leaf, and the inputs of requests (their `InferenceRequested` events).
 */
import { decodeInferenceRequested } from "../kit/events";
import { AbiCoder, keccak256, toBeHex, zeroPadValue, type Interface, type Log, type Provider } from "ethers";

import { merkleProof, merkleRoot } from "../../executor/trace/merkle";
import { advanceCursor, nextRange } from "../kit/cursor";
import type { Rpc } from "../kit/rpc";
import type { ChallengerContext } from "./context";

/** Journals the commitments and batches of the next block range, then moves the cursor past it. */
export async function scan(ctx: ChallengerContext): Promise<void> {
  const range = await nextRange(ctx);
  if (!range) return;
  const { from, to } = range;
  const provider = ctx.signer.provider!;
  const iface = ctx.inference.interface;
  const committed = iface.getEvent("ResultCommitted").topicHash;
  const batched = iface.getEvent("BatchCommitted").topicHash;
  const logs: Log[] = await ctx.rpc.call("getLogs(commitments)", () =>
    provider.getLogs({
      address: ctx.opts.addresses.inferenceManager,
      fromBlock: from,
      toBlock: to,
      topics: [[committed, batched]],
    }),
  );
  const journal = ctx.journal!;
  for (const log of logs) {
    const ev = iface.parseLog(log)!;
    if (ev.name === "ResultCommitted") {
      const key = `c:r:${ev.args.requestId}`;
      if (journal.has(key)) continue;
      journal.append({
        t: "check",
        key,
        requestId: ev.args.requestId.toString(),
        node: ev.args.node,
        outputHash: ev.args.outputHash,
        traceRoot: ev.args.traceRoot,
        // The response a generation check re-runs pass by pass (checks.ts); a batch leaf's output is not on-chain.
        output: ev.args.output,
        block: log.blockNumber,
      });
    } else {
      const key = `c:b:${ev.args.batchId}`;
      if (journal.has(key)) continue;
      const tx = await ctx.rpc.call("getTransaction", () => provider.getTransaction(log.transactionHash));
      const leaves = tx ? batchLeavesFromCalldata(iface, tx.data, ev.args.root, Number(ev.args.count)) : null;
      if (!leaves) {
        ctx.metrics.skipped += Number(ev.args.count);
        ctx.log.warn("batch skipped: its leaves are not in its transaction's calldata", {
          batchId: ev.args.batchId,
          tx: log.transactionHash,
        });
        continue;
      }
      journal.append({
        t: "check",
        key,
        batchId: ev.args.batchId.toString(),
        node: ev.args.node,
        requestIds: leaves.map((l) => l.requestId.toString()),
        outputHashes: leaves.map((l) => l.outputHash),
        traceRoots: leaves.map((l) => l.traceRoot),
        block: log.blockNumber,
      });
    }
  }
  advanceCursor(ctx, to);
}

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
        const ev = decodeInferenceRequested(log);
        found.set(ev.requestId, { versionId: ev.versionId, mode: ev.mode, input: ev.input, block: log.blockNumber });
      }
    }
  }
  return found;
}
