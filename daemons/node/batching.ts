/**
 * Batches: many results committed with one `commitBatch` under a Merkle root of their leaves. A "batch" record
 * (`b:<firstId>:<n>`) announces each before its transaction; once it is mined (or found mined after a restart) the
 * batch owes its settlement and its leaves' "request" records are closed. A batch whose collateral exceeds the free
 * stake is refused at estimation (StakingInsufficientFreeStake): the batch size is capped at what the free stake
 * covers until a settlement frees more.
 */
import { Interface } from "ethers";

import { errorMessage as message, isFatal } from "../kit/common";
import { cursor } from "../kit/cursor";
import { encodeCommitBatch } from "../kit/calldata";
import { sendCall } from "../kit/sender";
import type { NodeContext } from "./context";
import type { JournalRecord } from "../kit/journal";
import { tokens } from "../kit/log";
import { ensureSettle } from "./settlement";
import type { Served } from "./views";

const STAKE_ERRORS = new Interface(["error StakingInsufficientFreeStake(address node, uint256 free, uint256 needed)"]);

/** The free and needed stake of a `StakingInsufficientFreeStake` revert (raised by Staking, under the manager). */
export function insufficientStake(e: unknown): { free: bigint; needed: bigint } | null {
  const err = e as { data?: unknown; info?: { error?: { data?: unknown } }; message?: string };
  for (const data of [err?.data, err?.info?.error?.data]) {
    if (typeof data !== "string") continue;
    try {
      const parsed = STAKE_ERRORS.parseError(data);
      if (parsed) return { free: parsed.args[1] as bigint, needed: parsed.args[2] as bigint };
    } catch {
      // not this error
    }
  }
  const m = /StakingInsufficientFreeStake\("?0x[0-9a-fA-F]{40}"?, (\d+), (\d+)\)/.exec(err?.message ?? "");
  return m ? { free: BigInt(m[1]), needed: BigInt(m[2]) } : null;
}

/**
 * Commits `chunk` as one batch. "smaller": the free stake does not cover it and `batchCap` was lowered (try again
 * with fewer leaves); "refused": the contract refused it at estimation for another reason (a leaf that is not ours
 * to commit, has a callback or is batched already; nothing was sent); "failed": nothing more to batch this tick.
 */
export async function commitBatch(
  ctx: NodeContext,
  chunk: { r: JournalRecord; id: bigint; served: Served }[],
): Promise<"ok" | "smaller" | "refused" | "failed"> {
  const journal = ctx.journal!;
  const ids = chunk.map((w) => w.id);
  const outputHashes = chunk.map((w) => w.served.outputHash);
  const traceRoots = chunk.map((w) => w.served.traceRoot);
  const record: JournalRecord = {
    t: "batch",
    key: `b:${ids[0]}:${ids.length}`,
    requestIds: ids.map(String),
    outputHashes,
    traceRoots,
    blocks: chunk.map((w) => w.r.block),
    // Where a restart looks for the batch (reconcile.ts): it cannot be mined before the last block taken in.
    fromBlock: cursor(ctx),
  };
  journal.append(record);
  ctx.hooks.afterJournal?.(record);
  let batchId: bigint;
  let sent = false;
  try {
    const call = {
      to: ctx.opts.addresses.inferenceManager,
      iface: ctx.inference.interface,
      data: encodeCommitBatch(ids, outputHashes, traceRoots),
    };
    const receipt = await ctx.rpc.send(`commitBatch(${ids.length})`, async (o) => {
      const tx = await sendCall(ctx.signer, call, o.nonce);
      sent = true;
      return tx;
    });
    ctx.hooks.afterSend?.(`commitBatch(${ids.length})`);
    const ev = receipt.logs.map((l) => ctx.inference.interface.parseLog(l)).find((p) => p?.name === "BatchCommitted");
    batchId = ev!.args.batchId as bigint;
    ctx.log.info("batch committed", {
      batchId,
      count: ids.length,
      gas: receipt.gasUsed,
      gasPerLeaf: receipt.gasUsed / BigInt(ids.length),
    });
  } catch (e) {
    if (isFatal(e)) throw e;
    const short = insufficientStake(e);
    if (short) {
      // Not enough free stake for this batch's collateral: the transaction was refused at estimation, so nothing
      // was sent. Shrink the batch to what the free stake covers (until a settlement frees more).
      const { free, needed } = short;
      const cap = Number((BigInt(ids.length) * free) / needed);
      journal.complete(record.key!, { dropped: "insufficient free stake" });
      ctx.log.warn("batch exceeds the free stake; shrinking it", {
        count: ids.length,
        free: tokens(free),
        needed: tokens(needed),
        newCap: cap,
      });
      if (cap < 2) {
        // No room now: leave the requests queued (a batch can still take them after their deadline) until a
        // settlement frees stake.
        ctx.batchCap = 2;
        return "failed";
      }
      ctx.batchCap = cap;
      return "smaller";
    }
    // ethers says CALL_EXCEPTION; the in-process Hardhat network of the tests "VM Exception ... reverted with ..."
    if (!sent && ((e as { code?: unknown }).code === "CALL_EXCEPTION" || /revert/i.test(message(e)))) {
      // Refused at estimation, so never sent: the announcement is void, and the caller checks the leaves.
      journal.complete(record.key!, { dropped: `refused: ${message(e)}` });
      ctx.log.info("batch refused at estimation; checking its leaves", { count: ids.length, reason: message(e) });
      return "refused";
    }
    ctx.log.error("commitBatch failed; will reconcile", { count: ids.length, error: message(e) });
    return "failed";
  }
  await recordBatch(ctx, record, batchId);
  return "ok";
}

/** A batch is on-chain: owe its settlement, and close its leaves and its announcement. */
export async function recordBatch(ctx: NodeContext, r: JournalRecord, batchId: bigint): Promise<void> {
  const ids = r.requestIds as string[];
  ctx.metrics.batches++;
  ctx.metrics.batchedRequests += ids.length;
  ensureSettle(ctx, `s:b:${batchId}`, {
    t: "settle",
    batchId: batchId.toString(),
    requestIds: ids,
    outputHashes: r.outputHashes,
    traceRoots: r.traceRoots,
    blocks: r.blocks,
  });
  // The leaves and the announcement closed in one write (the settlement is owed already).
  const open = ids.map((id) => `r:${id}`).filter((key) => !ctx.journal!.isComplete(key));
  ctx.journal!.completeAll([...open, r.key!], { batchId: batchId.toString() });
}
