/**
 * Settlement: every "settle" record (`s:r:<requestId>` for a commitment, `s:b:<batchId>` for a batch) is finalized
 * once its challenge window has ended (`finalize`, `finalizeBatch`), and closed when the chain shows it settled.
 * A window end read from the chain is remembered, so a settlement is not asked about again before it. Each
 * settlement frees stake, so it lifts the batch size cap. (The node's credits are claimed by the kit's `Service`.)
 */
import { ZeroAddress, ZeroHash } from "ethers";

import { BatchStatus as BATCH_STATUS, InferenceRequestStatus as STATUS } from "../../protocol/constants";
import { eachLimit, reportFailure } from "../kit/common";
import type { NodeContext } from "./context";
import type { JournalRecord } from "../kit/journal";
import { tokens } from "../kit/log";
import { forgetServed } from "./views";

/** Journals the settlement `key` as owed, unless it already is. */
export function ensureSettle(ctx: NodeContext, key: string, record: { t: string; [field: string]: unknown }): void {
  const j = ctx.journal!;
  if (j.has(key)) return;
  j.append({ ...record, key });
}

/** Finalizes every owed settlement whose window has ended. */
export async function settle(ctx: NodeContext): Promise<void> {
  const journal = ctx.journal!;
  const open = journal.replay().filter((r) => r.t === "settle");
  if (open.length === 0) return;
  const provider = ctx.opts.signer.provider!;
  const block = await ctx.rpc.call("getBlock", () => provider.getBlock("latest"));
  const now = BigInt(block!.timestamp);
  // Known to be inside its window: no need to ask the chain again before the window ends.
  const due = open.filter((r) => (ctx.notBefore.get(r.key!) ?? 0n) <= now);
  const waiting = open.length - due.length;
  ctx.clock.observe(now, waiting > 0 ? `${waiting} settlement(s) after their challenge windows` : null);
  // Several at once: their transactions can share a block.
  await eachLimit(due, SETTLE_CONCURRENCY, async (r) => {
    try {
      if (r.batchId !== undefined) await settleBatch(ctx, r, now);
      else await settleRequest(ctx, r, now);
    } catch (e) {
      reportFailure(
        ctx.log,
        e,
        {
          race: "already settled by someone else (a harmless race); will confirm from the chain",
          failure: "settlement failed; will retry",
        },
        { key: r.key },
      );
    }
  });
}

/** Settlements sent at once, at most. */
const SETTLE_CONCURRENCY = 16;

async function settleRequest(ctx: NodeContext, r: JournalRecord, now: bigint): Promise<void> {
  const id = BigInt(r.requestId as string);
  const req = await ctx.rpc.call("getRequest", () => ctx.inference.getRequest(id));
  const status = Number(req.status);
  if (status === STATUS.Finalized || status === STATUS.Rejected) {
    ctx.journal!.complete(r.key!, { status });
    forgetServed(ctx, id);
    return;
  }
  if (status === STATUS.Committed && req.windowEnd > now) ctx.notBefore.set(r.key!, req.windowEnd);
  if (status !== STATUS.Committed || req.windowEnd > now) return;
  const withCallback = req.callback !== ZeroAddress;
  await ctx.rpc.send(`finalize(${id})`, (o) =>
    withCallback
      ? ctx.inference.finalize(id, r.output as string, r.traceRoot as string, o)
      : ctx.inference.finalize(id, "0x", ZeroHash, o),
  );
  ctx.hooks.afterSend?.(`finalize(${id})`);
  ctx.metrics.finalized++;
  ctx.batchCap = Number.MAX_SAFE_INTEGER;
  ctx.journal!.complete(r.key!, { status: STATUS.Finalized });
  forgetServed(ctx, id);
  ctx.log.info("request finalized", { requestId: id, fee: tokens(req.fee) });
}

async function settleBatch(ctx: NodeContext, r: JournalRecord, now: bigint): Promise<void> {
  const batchId = BigInt(r.batchId as string);
  const b = await ctx.rpc.call("getBatch", () => ctx.inference.getBatch(batchId));
  if (Number(b.status) === BATCH_STATUS.Finalized) {
    ctx.journal!.complete(r.key!, { status: "finalized" });
    return;
  }
  if (Number(b.status) === BATCH_STATUS.Committed && b.windowEnd > now) ctx.notBefore.set(r.key!, b.windowEnd);
  if (Number(b.status) !== BATCH_STATUS.Committed || b.windowEnd > now) return;
  const ids = (r.requestIds as string[]).map(BigInt);
  await ctx.rpc.send(`finalizeBatch(${batchId})`, (o) => ctx.inference.finalizeBatch(batchId, ids, o));
  ctx.hooks.afterSend?.(`finalizeBatch(${batchId})`);
  ctx.metrics.batchesFinalized++;
  ctx.batchCap = Number.MAX_SAFE_INTEGER;
  ctx.journal!.complete(r.key!, { status: "finalized" });
  for (const id of ids) forgetServed(ctx, id);
  ctx.log.info("batch finalized", { batchId, count: ids.length, paid: tokens(b.feeRemaining) });
}
