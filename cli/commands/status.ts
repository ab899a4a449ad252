/**
 * `verity status`: the network at a glance, as tables: models and versions, nodes and their stakes, open requests,
 * commitments in their window, and disputes. Bounded: the newest `--limit` of each.
 */
import type { Command } from "commander";
import { ZeroAddress } from "ethers";
import { DisputeOutcome, DisputePhase, InferenceRequestStatus } from "../../protocol/constants";
import { connect, type Protocol, read } from "../chain";
import { globalsOf } from "../config";
import { formatAmount, toJson } from "../values";
import { formatTable } from "../table";
import { listVersions } from "./model-registry";
import { nodeReport } from "./node";

async function gather(p: Protocol, limit: number) {
  const models = await listVersions(p, limit);
  const nodeAddrs = await read("listNodes", () => p.nodeRegistry.listNodes(0, limit));
  const nodes = await Promise.all(nodeAddrs.map((a) => nodeReport(p, a)));
  const requestCount = await p.inferenceManager.requestCount();
  const requests = [];
  for (let id = requestCount; id >= 1n && id > requestCount - BigInt(limit); id--) {
    const r = await p.inferenceManager.getRequest(id);
    requests.push({
      requestId: id,
      status: InferenceRequestStatus[Number(r.status)],
      versionId: r.versionId,
      node: r.node,
      requester: r.requester,
      fee: r.fee,
      collateral: r.collateral,
      deadline: r.deadline,
      windowEnd: r.windowEnd,
    });
  }
  const disputeCount = await p.disputeManager.disputeCount();
  const disputes = [];
  for (let id = disputeCount; id >= 1n && id > disputeCount - BigInt(limit); id--) {
    const d = await p.disputeManager.getDispute(id);
    disputes.push({
      disputeId: id,
      requestId: d.requestId,
      node: d.node,
      challenger: d.challenger,
      phase: DisputePhase[Number(d.phase)],
      outcome: DisputeOutcome[Number(d.outcome)],
      onTheMove: Number(d.phase) === DisputePhase.Resolved ? ZeroAddress : await p.disputeManager.onTheMove(id),
      bond: d.bond,
    });
  }
  const block = await p.provider.getBlock("latest");
  return {
    chainId: p.chainId,
    block: block?.number ?? 0,
    timestamp: block?.timestamp ?? 0,
    models: models.rows,
    modelCount: models.modelCount,
    nodes,
    nodeCount: await p.nodeRegistry.nodeCount(),
    requests,
    requestCount,
    disputes,
    disputeCount,
  };
}

const short = (a: string) => (a === ZeroAddress ? "(open)" : `${a.slice(0, 8)}…${a.slice(-4)}`);

async function status(opts: { json?: boolean; limit: string }, cmd: Command): Promise<void> {
  const p = await connect(globalsOf(cmd));
  const limit = Math.max(1, Math.min(1000, Number(opts.limit) || 20));
  const s = await gather(p, limit);
  if (opts.json) {
    process.stdout.write(toJson(s) + "\n");
    return;
  }
  const amt = (v: bigint) => formatAmount(v, p.decimals, p.symbol);
  const out: string[] = [];
  out.push(
    `chain ${s.chainId}, block ${s.block} (${new Date(s.timestamp * 1000).toISOString()}), deployment ${p.deploymentSource}\n`,
  );
  out.push(`\nModels (${s.modelCount}; versions shown: ${s.models.length})\n`);
  out.push(
    s.models.length === 0
      ? "  none\n"
      : formatTable(
          ["model", "name", "version", "steps", "modes", "fee", "deprecated"],
          s.models.map((m) => [
            String(m.modelId),
            m.name,
            String(m.versionId),
            String(m.layerCount),
            m.modes,
            amt(m.fee),
            m.deprecated ? "yes" : "no",
          ]),
        ),
  );
  out.push(`\nNodes and stakes (${s.nodeCount})\n`);
  out.push(
    s.nodes.length === 0
      ? "  none\n"
      : formatTable(
          ["node", "status", "serves", "total", "free", "locked", "thawing", "endpoint"],
          s.nodes.map((n) => [
            n.address,
            n.status,
            n.servedVersions.join(",") || "-",
            amt(n.stake.total),
            amt(n.stake.free),
            amt(n.stake.locked),
            amt(n.stake.thawing),
            n.endpoint || "-",
          ]),
        ),
  );
  const open = s.requests.filter((r) => ["Open", "Assigned"].includes(r.status));
  const committed = s.requests.filter((r) => ["Committed", "Disputed", "Batched"].includes(r.status));
  out.push(`\nOpen requests (${open.length} of the newest ${s.requests.length}; ${s.requestCount} in all)\n`);
  out.push(
    open.length === 0
      ? "  none\n"
      : formatTable(
          ["request", "status", "version", "node", "fee", "serve by"],
          open.map((r) => [
            String(r.requestId),
            r.status,
            String(r.versionId),
            short(r.node),
            amt(r.fee),
            new Date(Number(r.deadline) * 1000).toISOString(),
          ]),
        ),
  );
  out.push(`\nCommitments (${committed.length} of the newest ${s.requests.length} requests)\n`);
  out.push(
    committed.length === 0
      ? "  none\n"
      : formatTable(
          ["request", "status", "version", "node", "fee", "collateral", "window ends"],
          committed.map((r) => [
            String(r.requestId),
            r.status,
            String(r.versionId),
            short(r.node),
            amt(r.fee),
            amt(r.collateral),
            r.windowEnd > 0n ? new Date(Number(r.windowEnd) * 1000).toISOString() : "-",
          ]),
        ),
  );
  out.push(`\nDisputes (${s.disputeCount})\n`);
  out.push(
    s.disputes.length === 0
      ? "  none\n"
      : formatTable(
          ["dispute", "request", "node", "challenger", "phase", "outcome", "on the move"],
          s.disputes.map((d) => [
            String(d.disputeId),
            String(d.requestId),
            short(d.node),
            short(d.challenger),
            d.phase,
            d.outcome,
            d.onTheMove === ZeroAddress ? "-" : short(d.onTheMove),
          ]),
        ),
  );
  process.stdout.write(out.join(""));
}

export function registerStatusCommand(cli: Command): void {
  cli
    .command("status")
    .description("everyone: models, nodes and stakes, open requests, commitments and disputes, as tables")
    .option("--limit <n>", "show at most the newest n of each (1..1000)", "20")
    .option("--json", "print everything as one JSON line")
    .action(async (opts: { json?: boolean; limit: string }, cmd: Command) => status(opts, cmd));
}
