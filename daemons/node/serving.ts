/**
 * Serving: every "request" record still Assigned to the node is executed and committed. Under load (more than
 * `batchThreshold` results in one tick) the NONE and OPTIMISTIC results without callbacks go out in batches
 * (batching.ts); the others each with its own commitment (several at once, so that they can share a block), each
 * announced by a "commit" record before its transaction. When no batch can go out (the free stake does not cover
 * one), the requests the node claimed are still committed one by one: their collateral is locked already, and a
 * claim lapses at its serve deadline. A result in a verified mode (TEE, ZK) is handed to its mode's
 * `VerifiedSettler` (verified.ts) and is final once mined; a NONE or OPTIMISTIC one owes its settlement after the
 * challenge window (settlement.ts).
 */
import { ZeroAddress } from "ethers";

import { InferenceRequestStatus as STATUS } from "../../protocol/constants";
import { bulkView } from "../kit/bulk";
import { eachLimit, errorMessage as message, isFatal, reportFailure } from "../kit/common";
import type { NodeContext } from "./context";
import { commitBatch } from "./batching";
import type { JournalRecord } from "../kit/journal";
import { ensureSettle } from "./settlement";
import { isVerifiedMode } from "../../modes/verified";
import { forgetServed, servedOf, type Served } from "./views";

/** NONE and OPTIMISTIC always; a verified mode when a settler for it was given. */
export function canServe(ctx: NodeContext, mode: number): boolean {
  return !isVerifiedMode(mode) || (ctx.opts.verifiedSettlers?.has(mode) ?? false);
}

/** What serving needs to know of a request beyond its journal record. */
export interface ServeTerms {
  /** Whether it calls a consumer back when finalized (such results are never batch leaves); null: not known. */
  callback: boolean | null;
  mode: number;
  /** Claimed by the node (its collateral is locked already, and the claim lapses at its serve deadline). */
  claimed: boolean;
}

/** A request to commit, executed (or generated). */
export interface Work extends ServeTerms {
  r: JournalRecord;
  id: bigint;
  served: Served;
}

/**
 * The terms of a request whose node the requester chose, from its InferenceRequested event alone (no read), or null
 * for any other record. The contract makes that event authoritative for them: `request` fixes the version, the
 * mode (the low bits of `flags`) and the node once and for all (nothing rewrites them: `claim` and `reopen` apply
 * only to requests created Open, `_commit` and `claim` write the version back unchanged), and such a request is
 * never claimed. Only its status moves, and the node does not take the status on trust: `commit` and
 * `commitBatch` check it themselves (Assigned, to this node; a batch leaf also without a callback and in no batch
 * yet), at estimation, before anything is sent. A commit refused there is reconciled from the chain
 * (reconcile.ts); a batch refused there has its leaves read and checked, then goes out without the bad ones
 * (`serve`). The one field the event lacks, whether the request has a callback, stays unknown (null) until then.
 */
export function termsFromEvent(r: JournalRecord): ServeTerms | null {
  if (r.chosen !== true || typeof r.mode !== "number") return null;
  return { callback: null, mode: r.mode, claimed: false };
}

/**
 * The current terms of the requests of `records`, read from the chain in bulk (JSON-RPC batches of eth_calls: one
 * round trip per 200 requests), by request id. A request no longer Assigned to the node is dropped from the journal;
 * one that could not be read is left out (and kept for the next tick).
 */
async function readTerms(ctx: NodeContext, records: readonly JournalRecord[]): Promise<Map<string, ServeTerms>> {
  const out = new Map<string, ServeTerms>();
  if (records.length === 0) return out;
  type RequestState = Awaited<ReturnType<typeof ctx.inference.getRequest>>;
  let states: (RequestState | null)[];
  try {
    states = await bulkView<RequestState>(
      ctx.rpc,
      ctx.opts.signer.provider!,
      { address: ctx.opts.addresses.inferenceManager, iface: ctx.inference.interface },
      "getRequest",
      records.map((r) => [BigInt(r.requestId as string)]),
      ([id]) => ctx.inference.getRequest(id as bigint),
    );
  } catch (e) {
    if (isFatal(e)) throw e;
    ctx.log.warn("cannot read the pending requests; will retry", { count: records.length, error: message(e) });
    return out;
  }
  ctx.metrics.requestsRead += records.length;
  for (const [i, r] of records.entries()) {
    const req = states[i];
    if (req === null) {
      ctx.log.warn("cannot read request; will retry", { requestId: r.requestId });
      continue;
    }
    const status = Number(req.status);
    if (status !== STATUS.Assigned || req.node.toLowerCase() !== ctx.address.toLowerCase()) {
      ctx.journal!.complete(r.key!, { dropped: `status ${status}` });
      continue;
    }
    out.set(r.requestId as string, {
      callback: req.callback !== ZeroAddress,
      mode: Number(req.mode),
      claimed: req.serveDeadline !== 0n,
    });
  }
  return out;
}

/** Executes and commits every pending request of the node (in batches under load). */
export async function serve(ctx: NodeContext): Promise<void> {
  const pending = ctx.journal!.replay().filter((r) => r.t === "request");
  if (pending.length === 0) return;
  // Requests the requester assigned to us are served on their event's word (termsFromEvent); the others (our
  // claims) are read first.
  const read = await readTerms(
    ctx,
    pending.filter((r) => termsFromEvent(r) === null),
  );
  const work: Work[] = [];
  for (const r of pending) {
    const terms = termsFromEvent(r) ?? read.get(r.requestId as string);
    if (terms === undefined) continue;
    const id = BigInt(r.requestId as string);
    try {
      const served = await servedOf(ctx, id, BigInt(r.versionId as string), r.input as string);
      work.push({ r, id, served, ...terms });
    } catch (e) {
      if (isFatal(e)) throw e;
      ctx.log.error("cannot serve request", { requestId: id, error: message(e) });
    }
  }
  // Batches hold OPTIMISTIC and NONE results without callbacks; verified modes settle one by one, at once.
  const singles =
    work.length > ctx.batchThreshold ? work.filter((w) => w.callback === true || isVerifiedMode(w.mode)) : work;
  if (work.length > ctx.batchThreshold) {
    const batchable = work
      .filter((w) => w.callback !== true && !isVerifiedMode(w.mode))
      .sort((a, b) => (a.id < b.id ? -1 : 1));
    singles.push(...(await serveBatches(ctx, batchable)));
  }
  // Several at once (their broadcasts one after the other, their receipts awaited together: rpc.ts), so that they
  // share a block on a chain that mines on a timer rather than take one block each.
  await eachLimit(singles, COMMIT_CONCURRENCY, (w) => commitOne(ctx, w));
}

/** Single commitments sent at once, at most. */
const COMMIT_CONCURRENCY = 16;

/**
 * Commits `batchable` in batches of at most `maxBatchSize` (and what the free stake covers); returns what is left to
 * commit one by one. A batch the contract refuses at estimation (a leaf no longer ours to commit, or with a callback)
 * has its leaves taken on the event's word read and checked (readTerms), and goes out again without the bad ones.
 */
async function serveBatches(ctx: NodeContext, batchable: Work[]): Promise<Work[]> {
  const singles: Work[] = [];
  let rest = batchable;
  while (rest.length > 0) {
    const chunk = rest.slice(0, Math.min(ctx.maxBatchSize, ctx.batchCap));
    if (chunk.length === 1) {
      singles.push(chunk[0]);
      rest = rest.slice(1);
      continue;
    }
    const outcome = await commitBatch(ctx, chunk);
    if (outcome === "smaller") continue; // the cap was lowered: try again with fewer leaves
    if (outcome === "refused") {
      const unread = chunk.filter((w) => w.callback === null);
      if (unread.length > 0) {
        const read = await readTerms(
          ctx,
          unread.map((w) => w.r),
        );
        // A leaf not read back was dropped (no longer ours) or could not be read (tried again next tick).
        const gone = new Set<Work>(unread.filter((w) => !read.has(w.r.requestId as string)));
        for (const w of unread) if (!gone.has(w)) Object.assign(w, read.get(w.r.requestId as string));
        singles.push(...chunk.filter((w) => !gone.has(w) && w.callback === true));
        rest = rest.filter((w) => !gone.has(w) && w.callback !== true);
        continue;
      }
    }
    if (outcome !== "ok") {
      // Our claims' collateral is locked already, and a claim lapses at its serve deadline: commit those one by
      // one now rather than leave them queued with the rest.
      singles.push(...rest.filter((w) => w.claimed));
      break;
    }
    rest = rest.slice(chunk.length);
  }
  return singles;
}

/** Announces the commitment of `w` (a "commit" record), then sends it. */
async function commitOne(ctx: NodeContext, w: Work): Promise<void> {
  const { output, outputHash, traceRoot } = w.served;
  const verified = isVerifiedMode(w.mode);
  const record: JournalRecord = {
    ...w.r,
    t: "commit",
    // a verified settlement may need the input again after a restart (a ZK proof's public signals)
    input: verified ? w.r.input : undefined,
    outputHash,
    traceRoot,
    output,
    callback: w.callback ?? undefined,
    mode: w.mode,
  };
  ctx.journal!.append(record);
  ctx.hooks.afterJournal?.(record);
  try {
    await sendCommit(ctx, record);
  } catch (e) {
    // A request reopened, refunded or taken under us is a race, not a fault: reconciliation reads the outcome.
    reportFailure(
      ctx.log,
      e,
      {
        race: "the request moved on before our commit (a harmless race); will reconcile",
        failure: "commit failed; will reconcile",
      },
      { requestId: w.id },
    );
  }
}

/** Sends the announced "commit" record `r` (through its settler in a verified mode) and owes its settlement. */
export async function sendCommit(ctx: NodeContext, r: JournalRecord): Promise<void> {
  if (isVerifiedMode(Number(r.mode ?? 0))) return sendVerified(ctx, r);
  const id = BigInt(r.requestId as string);
  const receipt = await ctx.rpc.send(`commit(${id})`, (o) =>
    ctx.inference.commit(id, r.output as string, r.traceRoot as string, o),
  );
  ctx.hooks.afterSend?.(`commit(${id})`);
  ctx.metrics.committed++;
  ensureSettle(ctx, `s:r:${id}`, {
    t: "settle",
    requestId: id.toString(),
    output: r.output,
    traceRoot: r.traceRoot,
    callback: r.callback,
    block: r.block,
  });
  ctx.journal!.complete(r.key!, { tx: receipt.hash });
  ctx.log.info("result committed", {
    requestId: id,
    outputHash: r.outputHash,
    gas: receipt.gasUsed,
  });
}

/** A verified-mode result: the mode's settler sends it with its evidence; final once mined. */
async function sendVerified(ctx: NodeContext, r: JournalRecord): Promise<void> {
  const id = BigInt(r.requestId as string);
  const mode = Number(r.mode);
  const settler = ctx.opts.verifiedSettlers?.get(mode);
  if (!settler) {
    ctx.journal!.complete(r.key!, { dropped: `no settler for mode ${mode}` });
    ctx.log.error("verified result dropped: no settler for its mode", { requestId: id, mode });
    return;
  }
  const versionId = BigInt(r.versionId as string);
  const served = await servedOf(ctx, id, versionId, r.input as string);
  const result = {
    requestId: id,
    versionId,
    input: r.input as string,
    output: r.output as string,
    traceRoot: r.traceRoot as string,
    ...(served.view ? { view: served.view } : {}),
  };
  const receipt = await ctx.rpc.send(`${settler.name}.settle(${id})`, (o) => settler.settle(result, o));
  ctx.hooks.afterSend?.(`${settler.name}.settle(${id})`);
  ctx.metrics.committed++;
  ctx.metrics.finalized++;
  ctx.journal!.complete(r.key!, { tx: receipt.hash, final: true });
  forgetServed(ctx, id);
  ctx.log.info(`result settled in ${settler.name} mode, final at once`, { requestId: id, gas: receipt.gasUsed });
}
