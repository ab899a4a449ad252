/**
 * The node daemon's intake: the versions it serves, and the events of each new block range (up to
 * `maxBlockRange` blocks per tick, `confirmations` deep). An InferenceRequested assigned to the node becomes a
 * "request" record (to serve), an open one for a version it serves a "claim" record (to claim), a DisputeOpened
 * against it a "dispute" record (to play); then the "cursor" record moves past the range.
 */
import { ZeroAddress, zeroPadValue, type Log } from "ethers";

import { advanceCursor, nextRange } from "../kit/cursor";
import { decodeInferenceRequested } from "../kit/events";
import type { JournalRecord } from "../kit/journal";
import type { NodeContext } from "./context";
import { scanRedundant } from "./redundant";
import { canServe } from "./serving";

/** Reads the versions the node serves from the NodeRegistry on the first tick and every 10 ticks. */
export async function refreshVersions(ctx: NodeContext): Promise<void> {
  if (ctx.versions.length > 0 && ctx.metrics.ticks % 10 !== 1) return;
  const node = await ctx.rpc.call("getNode", () => ctx.registry.getNode(ctx.address));
  ctx.versions = [...node.servedVersions];
}

/**
 * Journals the requests and disputes of the next block range, then moves the cursor past it. The ranges' event
 * queries go out at once (each part journals what it finds; a key is journaled once however often its block is read).
 */
export async function scan(ctx: NodeContext): Promise<void> {
  const range = await nextRange(ctx);
  if (!range) return;
  const { from, to } = range;
  const parts = await Promise.allSettled([
    scanRequests(ctx, from, to),
    scanDisputes(ctx, from, to),
    scanRedundant(ctx, from, to),
  ]);
  for (const p of parts) if (p.status === "rejected") throw p.reason;
  advanceCursor(ctx, to);
}

/** Journals the InferenceRequested events of blocks from..to assigned to the node, or open for a version it serves. */
async function scanRequests(ctx: NodeContext, from: number, to: number): Promise<void> {
  const provider = ctx.signer.provider!;
  const journal = ctx.journal!;
  const topic = ctx.inference.interface.getEvent("InferenceRequested").topicHash;
  const logs: Log[] = await ctx.rpc.call("getLogs(InferenceRequested)", () =>
    provider.getLogs({
      address: ctx.opts.addresses.inferenceManager,
      fromBlock: from,
      toBlock: to,
      // `node` is InferenceRequested's third indexed topic: only our requests and the open ones (not every other
      // node's inputs).
      topics: [topic, null, null, [zeroPadValue(ctx.address, 32), zeroPadValue(ZeroAddress, 32)]],
    }),
  );
  // Journaled together (one write, one fsync) once the whole range is read.
  const taken: JournalRecord[] = [];
  for (const log of logs) {
    const ev = decodeInferenceRequested(log);
    const requestId = ev.requestId;
    const node = ev.node;
    const key = `r:${requestId}`;
    if (node !== ctx.address.toLowerCase() && node !== ZeroAddress) continue;
    // Requests assigned to us are ours whatever the version (the contract checked eligibility); open ones only
    // for the versions we serve.
    if (node === ZeroAddress && !ctx.versions.includes(ev.versionId)) continue;
    if (journal.has(key)) continue;
    const mode = ev.mode;
    if (!canServe(ctx, mode)) {
      if (node !== ZeroAddress)
        ctx.log.warn("request in a mode this node does not serve; left unserved", { requestId, mode });
      continue;
    }
    ctx.metrics.requestsSeen++;
    const chosen = node !== ZeroAddress;
    taken.push({
      t: chosen ? "request" : "claim",
      key,
      requestId: requestId.toString(),
      versionId: ev.versionId.toString(),
      input: ev.input,
      block: log.blockNumber,
      // A request whose node the requester chose is served on its event's word (serving.ts, termsFromEvent).
      ...(chosen ? { chosen: true, mode } : {}),
    });
  }
  journal.appendAll(taken);
}

/** Journals the DisputeOpened events of blocks from..to against the node. */
async function scanDisputes(ctx: NodeContext, from: number, to: number): Promise<void> {
  const provider = ctx.signer.provider!;
  const journal = ctx.journal!;
  const disputeTopic = ctx.disputes.interface.getEvent("DisputeOpened").topicHash;
  const dlogs: Log[] = await ctx.rpc.call("getLogs(DisputeOpened)", () =>
    provider.getLogs({
      address: ctx.opts.addresses.disputeManager,
      fromBlock: from,
      toBlock: to,
      topics: [disputeTopic],
    }),
  );
  for (const log of dlogs) {
    const ev = ctx.disputes.interface.parseLog(log)!;
    if ((ev.args.node as string).toLowerCase() !== ctx.address.toLowerCase()) continue;
    const key = `d:${ev.args.disputeId}`;
    if (journal.has(key)) continue;
    ctx.metrics.disputes++;
    journal.append({
      t: "dispute",
      key,
      disputeId: ev.args.disputeId.toString(),
      requestId: ev.args.requestId.toString(),
    });
    ctx.log.warn("dispute opened against us", {
      disputeId: ev.args.disputeId,
      requestId: ev.args.requestId,
      challenger: ev.args.challenger,
    });
  }
}
