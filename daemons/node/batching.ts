/**
 * Batches: many results committed with one `commitBatch` under a Merkle root of their leaves. A "batch" record
 * (`b:<firstId>:<n>`) announces each before its transaction; once it is mined (or found mined after a restart) the
 * batch owes its settlement and its leaves' "request" records are closed. A batch whose collateral exceeds the free
 * stake is refused at estimation (StakingInsufficientFreeStake): the batch size is capped at what the free stake
 * covers until a settlement frees more.
 */
import { Interface, keccak256 } from "ethers";

import type { PartyView } from "../../game/view";
import { bytesOf } from "../../executor/trace/trace";
import { errorMessage as message, isFatal } from "../kit/common";
import type { NodeContext } from "./context";
import type { JournalRecord } from "../kit/journal";
import { tokens } from "../kit/log";
import { ensureSettle } from "./settlement";

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
 * with fewer leaves); "failed": nothing more to batch this tick.
 */
export async function commitBatch(
  ctx: NodeContext,
  chunk: { r: JournalRecord; id: bigint; view: PartyView }[],
): Promise<"ok" | "smaller" | "failed"> {
  const journal = ctx.journal!;
  const ids = chunk.map((w) => w.id);
  const outputHashes = chunk.map((w) => keccak256(bytesOf(w.view.states[w.view.program.layers.length])));
  const traceRoots = chunk.map((w) => w.view.trace.traceRoot);
  const provider = ctx.opts.signer.provider!;
  const record: JournalRecord = {
    t: "batch",
    key: `b:${ids[0]}:${ids.length}`,
    requestIds: ids.map(String),
    outputHashes,
    traceRoots,
    blocks: chunk.map((w) => w.r.block),
    fromBlock: await ctx.rpc.call("getBlockNumber", () => provider.getBlockNumber()),
  };
  journal.append(record);
  ctx.hooks.afterJournal?.(record);
  let batchId: bigint;
  try {
    const receipt = await ctx.rpc.send(`commitBatch(${ids.length})`, (o) =>
      ctx.inference.commitBatch(ids, outputHashes, traceRoots, o),
    );
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
