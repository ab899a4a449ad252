/**
 * Reconciliation (on start and on every tick): each announced action still open in the journal is checked against
 * the chain before it is (re)sent. A "claim" is sent while the request is still Open and only if the claim leaves
 * the node `minServeSeconds` to serve it (a claim locks collateral, and one left uncommitted past its serve deadline
 * can be reopened at the node's cost); another node's claim is waited out and, once past its serve deadline,
 * reopened and claimed. A "commit" is re-sent only while the request is still Assigned to the node (so nothing is
 * committed twice, and nothing is committed once the request was reopened), and a commit found mined owes its
 * settlement; a "batch" found mined (its BatchCommitted event, by the hash of its ids) is recorded, one not mined
 * is dropped and its leaves are batched again.
 */
import { ZeroAddress, keccak256, solidityPacked, zeroPadValue } from "ethers";

import { recordBatch } from "./batching";
import { InferenceRequestStatus as STATUS } from "../../protocol/constants";
import { errorMessage as message, isFatal } from "../kit/common";
import type { NodeContext } from "./context";
import type { JournalRecord } from "../kit/journal";
import { sendCommit } from "./serving";
import { ensureSettle } from "./settlement";
import { isVerifiedMode } from "../../modes/verified";

/** Checks every open claim, commit and batch announcement against the chain. */
export async function reconcile(ctx: NodeContext): Promise<void> {
  const journal = ctx.journal!;
  const clock = chainClock(ctx);
  for (const r of journal.replay()) {
    try {
      if (r.t === "claim") await reconcileClaim(ctx, r, clock);
      else if (r.t === "commit") await reconcileCommit(ctx, r);
      else if (r.t === "batch") await reconcileBatch(ctx, r);
    } catch (e) {
      if (isFatal(e)) throw e;
      ctx.log.error("reconciling an announced action failed; will retry", { key: r.key, error: message(e) });
    }
  }
}

/** The latest block's timestamp, read at most once per reconciliation pass (and only if needed). */
function chainClock(ctx: NodeContext): () => Promise<bigint> {
  let now: Promise<bigint> | null = null;
  return () => {
    const provider = ctx.opts.signer.provider!;
    now ??= ctx.rpc.call("getBlock", () => provider.getBlock("latest")).then((b) => BigInt(b!.timestamp));
    return now;
  };
}

async function reconcileClaim(ctx: NodeContext, r: JournalRecord, clock: () => Promise<bigint>): Promise<void> {
  // Another node's claim, known to be pending until then: not asked about again before.
  const waitUntil = ctx.notBefore.get(r.key!);
  if (waitUntil !== undefined && waitUntil > (await clock())) return;
  const id = BigInt(r.requestId as string);
  let req = await ctx.rpc.call("getRequest", () => ctx.inference.getRequest(id));
  let mine = req.node.toLowerCase() === ctx.address.toLowerCase();
  if (Number(req.status) === STATUS.Assigned && !mine && req.serveDeadline !== 0n) {
    // Claimed by another node: wait for its serve deadline; past it, reopen the request (the claimant pays the
    // penalty) and claim it below.
    const now = await clock();
    if (now <= req.serveDeadline) {
      ctx.notBefore.set(r.key!, req.serveDeadline + 1n);
      return;
    }
    ctx.notBefore.delete(r.key!);
    try {
      await ctx.rpc.send(`reopen(${id})`, (o) => ctx.inference.reopen(id, o));
      ctx.hooks.afterSend?.(`reopen(${id})`);
      ctx.metrics.reopened++;
      ctx.log.info("reopened a claim its node abandoned", { requestId: id, claimant: req.node });
    } catch (e) {
      if (isFatal(e)) throw e;
      ctx.log.info("abandoned claim not reopened", { requestId: id, error: message(e) });
    }
    req = await ctx.rpc.call("getRequest", () => ctx.inference.getRequest(id));
    mine = req.node.toLowerCase() === ctx.address.toLowerCase();
    if (Number(req.status) === STATUS.Assigned && !mine && req.serveDeadline !== 0n) {
      ctx.notBefore.set(r.key!, req.serveDeadline + 1n); // another node was quicker to reopen and claim it
      return;
    }
  }
  if (Number(req.status) === STATUS.Open) {
    // Claim only what can be served before the serve deadline the claim would get.
    const now = await clock();
    const serveTimeout = BigInt(await ctx.rpc.call("serveTimeout", () => ctx.inference.serveTimeout()));
    const serveBy = now + serveTimeout < req.deadline ? now + serveTimeout : req.deadline;
    if (serveBy - now < BigInt(ctx.minServeSeconds)) {
      ctx.journal!.complete(r.key!, { dropped: `too late to serve: ${serveBy - now} s left` });
      ctx.log.info("open request not claimed: too close to its deadline", { requestId: id, deadline: req.deadline });
      return;
    }
    ctx.hooks.afterJournal?.(r);
    try {
      await ctx.rpc.send(`claim(${id})`, (o) => ctx.inference.claim(id, o));
    } catch (e) {
      if (isFatal(e)) throw e;
      ctx.journal!.complete(r.key!, { dropped: `claim failed: ${message(e)}` });
      ctx.log.info("open request not claimed", { requestId: id, error: message(e) });
      return;
    }
    ctx.hooks.afterSend?.(`claim(${id})`);
    ctx.metrics.claimed++;
    ctx.log.info("request claimed", { requestId: id });
    ctx.journal!.append({ ...r, t: "request" });
  } else if (mine && Number(req.status) === STATUS.Assigned) {
    ctx.journal!.append({ ...r, t: "request" });
  } else {
    ctx.journal!.complete(r.key!, { dropped: `status ${req.status}, node ${req.node}` });
  }
}

/** A commit was announced: done if the chain has it, re-sent while the request is still ours to commit. */
async function reconcileCommit(ctx: NodeContext, r: JournalRecord): Promise<void> {
  const id = BigInt(r.requestId as string);
  const status = Number(await ctx.rpc.call("statusOf", () => ctx.inference.statusOf(id)));
  if (status === STATUS.Assigned) {
    // A claim of ours that was reopened (past its serve deadline) may now be another node's: never commit it.
    const { node } = await ctx.rpc.call("getRequest", () => ctx.inference.getRequest(id));
    if (node.toLowerCase() !== ctx.address.toLowerCase()) {
      ctx.journal!.complete(r.key!, { dropped: `reopened; now assigned to ${node}` });
      ctx.log.warn("commit dropped: the request was reopened and claimed by another node", { requestId: id, node });
      return;
    }
    try {
      await sendCommit(ctx, r);
    } catch (e) {
      if (isFatal(e)) throw e;
      // A revert after the serving deadline is final (the request awaits its refund); anything else is retried.
      const req = await ctx.rpc.call("getRequest", () => ctx.inference.getRequest(id));
      const provider = ctx.opts.signer.provider!;
      const now = (await ctx.rpc.call("getBlock", () => provider.getBlock("latest")))!.timestamp;
      if (BigInt(now) > req.deadline) {
        ctx.journal!.complete(r.key!, { dropped: `deadline passed: ${message(e)}` });
        ctx.log.error("commit dropped: the serving deadline passed", { requestId: id, error: message(e) });
        return;
      }
      throw e;
    }
  } else if (status === STATUS.None || status === STATUS.Open || status === STATUS.Refunded) {
    ctx.journal!.complete(r.key!, { dropped: `status ${status}` });
  } else {
    // Committed (by us, before a crash), or further along: make sure it gets settled (a verified result is
    // final once mined).
    const req = await ctx.rpc.call("getRequest", () => ctx.inference.getRequest(id));
    const verified = isVerifiedMode(Number(req.mode));
    if (req.node.toLowerCase() === ctx.address.toLowerCase() && status !== STATUS.Batched && !verified) {
      ensureSettle(ctx, `s:r:${id}`, {
        t: "settle",
        requestId: id.toString(),
        output: r.output,
        traceRoot: r.traceRoot,
        callback: req.callback !== ZeroAddress,
        block: r.block,
      });
    }
    ctx.journal!.complete(r.key!, { found: `status ${status}` });
  }
}

async function reconcileBatch(ctx: NodeContext, r: JournalRecord): Promise<void> {
  const ids = (r.requestIds as string[]).map(BigInt);
  const status = Number(await ctx.rpc.call("statusOf", () => ctx.inference.statusOf(ids[0])));
  if (status === STATUS.Assigned) {
    // Not mined: the leaves are still "request" records and the next serve() batches them again.
    ctx.journal!.complete(r.key!, { dropped: "not mined; leaves re-queued" });
    return;
  }
  const batchId = await findBatch(ctx, ids, Number(r.fromBlock ?? 0));
  if (batchId === null) {
    ctx.journal!.complete(r.key!, { dropped: `first leaf has status ${status} and no batch of ours holds it` });
    return;
  }
  await recordBatch(ctx, r, batchId);
}

/** The id of the node's batch of exactly `ids` committed at or after `fromBlock`, or null. */
async function findBatch(ctx: NodeContext, ids: bigint[], fromBlock: number): Promise<bigint | null> {
  const idsHash = keccak256(solidityPacked(Array(ids.length).fill("uint256"), ids));
  const provider = ctx.opts.signer.provider!;
  const latest = await ctx.rpc.call("getBlockNumber", () => provider.getBlockNumber());
  const topic = ctx.inference.interface.getEvent("BatchCommitted").topicHash;
  for (let from = fromBlock; from <= latest; from += ctx.maxBlockRange) {
    const logs = await ctx.rpc.call("getLogs(BatchCommitted)", () =>
      provider.getLogs({
        address: ctx.opts.addresses.inferenceManager,
        fromBlock: from,
        toBlock: Math.min(latest, from + ctx.maxBlockRange - 1),
        topics: [topic, null, zeroPadValue(ctx.address, 32)],
      }),
    );
    for (const log of logs) {
      const batchId = ctx.inference.interface.parseLog(log)!.args.batchId as bigint;
      const b = await ctx.rpc.call("getBatch", () => ctx.inference.getBatch(batchId));
      if (b.idsHash.toLowerCase() === idsHash.toLowerCase()) return batchId;
    }
  }
  return null;
}
