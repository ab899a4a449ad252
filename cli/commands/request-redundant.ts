/**
 * `verity request --redundant <k> [--nodes a,b,...]`: asks k distinct nodes for the same inference through the
 * RedundantManager (docs/REDUNDANT.md). The request names its k nodes (only they can commit): the ones given with
 * `--nodes`, or k picked at random among the nodes eligible for the version. The result is final as soon as every
 * named node has committed in agreement; two differing answers are settled by a refereed game between the two nodes,
 * played by their daemons. With `--wait` the command polls until the request is settled (Finalized, Rejected or
 * Expired), closing it itself once the commit deadline has passed.
 */
import { randomInt } from "crypto";
import { getBytes, hexlify } from "ethers";

import type { RedundantManager } from "../../typechain-types";
import { attach } from "../../protocol/contracts";
import { dequantizeOutput } from "../../executor/quant";
import type { Program } from "../../executor/runtime/program";
import { bytesOf } from "../../executor/trace/trace";
import { RedundantRequestStatus, SlotStatus } from "../../protocol/constants";
import { findEvent } from "../../protocol/events";
import { type Protocol, read, send, signerOf } from "../chain";
import { CliError } from "../errors";
import { formatAmount, parseAddress, toJson } from "../values";
import { spin } from "../spinner";
import { formatPairs } from "../table";

/** How many addresses one `listNodes` call reads. */
const LIST_PAGE = 100;

export interface RedundantReport {
  redundantRequestId: bigint;
  status: string;
  k: number;
  committed: number;
  versionId: bigint;
  feePerNode: bigint;
  commitDeadline: bigint;
  slots: { node: string; status: string; outputHash: string; traceRoot: string }[];
  resultHash: string | null;
  output: number[] | null;
  predictedClass: number | null;
}

/** Parses `--redundant <k>`: an integer 2..255 (the contract bounds it further by `maxNodes`). */
export function parseRedundancy(text: string): number {
  const k = Number(text);
  if (!/^\d+$/.test(text) || k < 2 || k > 255) {
    throw new CliError(`--redundant '${text}' is not a node count`, "ask at least 2 nodes, e.g. --redundant 3");
  }
  return k;
}

/** `--redundant <k>`'s k, or undefined without it; `--nodes` without `--redundant` is refused. */
export function redundancyOf(opts: { redundant?: string; nodes?: string }): number | undefined {
  if (opts.redundant !== undefined) return parseRedundancy(opts.redundant);
  if (opts.nodes !== undefined) {
    throw new CliError(
      "--nodes names the nodes of a redundant request",
      "add --redundant <k>, k the number of nodes named",
    );
  }
  return undefined;
}

/** Parses `--nodes a,b,c`: k distinct addresses, k the `--redundant` count. */
export function parseNodes(text: string, k: number): string[] {
  const nodes = text.split(",").map((a) => parseAddress(a.trim(), "--nodes entry"));
  if (nodes.length !== k) {
    throw new CliError(
      `--nodes names ${nodes.length} node(s) but --redundant asks ${k}`,
      `name exactly ${k} nodes, comma-separated`,
    );
  }
  const seen = new Set<string>();
  for (const n of nodes) {
    if (seen.has(n.toLowerCase()))
      throw new CliError(`--nodes names ${n} twice`, "the k nodes of a redundant request are distinct");
    seen.add(n.toLowerCase());
  }
  return nodes;
}

/** Every registered node that is eligible for `versionId` now (active, serving it, with the minimum free stake). */
export async function eligibleNodes(p: Protocol, versionId: bigint): Promise<string[]> {
  const count = await read("nodeCount", () => p.nodeRegistry.nodeCount());
  const all: string[] = [];
  for (let offset = 0n; offset < count; offset += BigInt(LIST_PAGE)) {
    all.push(...(await read("listNodes", () => p.nodeRegistry.listNodes(offset, LIST_PAGE))));
  }
  const eligible = await Promise.all(
    all.map((a) => read(`isEligible(${a})`, () => p.nodeRegistry.isEligible(a, versionId))),
  );
  return all.filter((_, i) => eligible[i]);
}

/**
 * The k nodes to name: `named` (each checked eligible, so that a bad one fails here with a clear message rather than
 * as a revert), or k drawn uniformly at random among the eligible nodes. Random rather than the first k of the
 * registry's list: an operator that registers many addresses at once would otherwise be named for every slot.
 */
export async function pickNodes(p: Protocol, versionId: bigint, k: number, named?: string[]): Promise<string[]> {
  if (named) {
    for (const n of named) {
      if (!(await read(`isEligible(${n})`, () => p.nodeRegistry.isEligible(n, versionId)))) {
        throw new CliError(
          `node ${n} is not eligible for version ${versionId}`,
          "a named node must be active, serve the version and have the minimum free stake (verity node status <address>)",
        );
      }
    }
    return named;
  }
  const pool = await eligibleNodes(p, versionId);
  if (pool.length < k) {
    throw new CliError(
      `only ${pool.length} node(s) are eligible for version ${versionId}; --redundant ${k} needs ${k}`,
      `ask fewer nodes (--redundant ${Math.max(2, pool.length)}), or wait for more operators to serve the version`,
    );
  }
  for (let i = pool.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, k);
}

/** The RedundantManager of the deployment, or a CliError saying the deployment has none. */
export function redundantManagerOf(p: Protocol): RedundantManager {
  const address = p.addresses.redundantManager;
  if (address === undefined) {
    throw new CliError(
      "this deployment has no RedundantManager",
      "redeploy with ignition/modules/Protocol.ts, or pass a --deployment whose file has RedundantManager#RedundantManager",
    );
  }
  signerOf(p); // a key is needed
  // The protocol's runner (a NonceManager over the wallet): the approval and the request go out back to back.
  return attach("RedundantManager", address, p.token.runner);
}

/** A redundant request sent: its manager, id and transaction. */
export interface SentRedundant {
  manager: RedundantManager;
  id: bigint;
  tx: string;
}

/**
 * Names k nodes (`nodes`, or k eligible ones at random), approves k × fee if the allowance is short and sends
 * `RedundantManager.request` with the version's `input` record (an S0 tensor's bytes, or a generation's request
 * record).
 */
export async function sendRedundant(
  p: Protocol,
  args: { versionId: bigint; input: Uint8Array; fee: bigint; k: number; nodes?: string[] },
): Promise<SentRedundant> {
  const manager = redundantManagerOf(p);
  const me = signerOf(p);
  const address = await manager.getAddress();
  const nodes = await pickNodes(p, args.versionId, args.k, args.nodes);
  const total = args.fee * BigInt(args.k);
  if ((await p.token.allowance(me.address, address)) < total) {
    await send("approve RedundantManager", () => p.token.approve(address, total));
  }
  const receipt = await send(
    `redundant request (version ${args.versionId}, ${args.k} nodes x ${formatAmount(args.fee, p.decimals, p.symbol)})`,
    () => manager.request(args.versionId, hexlify(args.input), args.fee, nodes),
  );
  const ev = findEvent(receipt.logs, manager.interface, "RedundantRequested");
  if (!ev) throw new CliError("the request emitted no RedundantRequested", "check the RedundantManager address");
  return { manager, id: ev.args.requestId as bigint, tx: receipt.hash };
}

export async function requestRedundant(
  p: Protocol,
  args: {
    versionId: bigint;
    s0: Int8Array;
    fee: bigint;
    k: number;
    /** The nodes to name (`--nodes`); default: k eligible nodes picked at random. */
    nodes?: string[];
    program: Program;
    wait?: boolean;
    timeout: number;
    json?: boolean;
  },
): Promise<void> {
  const { manager, id, tx } = await sendRedundant(p, { ...args, input: bytesOf(args.s0) });
  if (!args.json && !args.wait) process.stderr.write(`redundant request ${id} sent (tx ${tx})\n`);
  if (args.wait) await waitSettled(p, manager, id, args.timeout);
  const r = await redundantReport(manager, id, args.program);
  if (args.json) process.stdout.write(toJson(r) + "\n");
  else printRedundant(p, r);
}

/** Polls until the request is settled; closes it once its commit deadline has passed with slots unfilled. */
export async function waitSettled(p: Protocol, manager: RedundantManager, id: bigint, timeoutS: number): Promise<void> {
  const giveUp = Date.now() + timeoutS * 1000;
  await spin(`waiting for redundant request ${id}`, async (s) => {
    for (;;) {
      const r = await read(`getRequest(${id})`, () => manager.getRequest(id));
      const status = RedundantRequestStatus[Number(r.status)];
      s.update(
        `${status}: ${r.committed} of ${r.k} committed${r.activeGame !== 0n ? `, game ${r.activeGame} running` : ""}`,
      );
      if (status !== "Open") return;
      const now = BigInt((await p.provider.getBlock("latest"))?.timestamp ?? 0);
      if (now > r.commitDeadline && !r.closed && r.activeGame === 0n) {
        await send(`close redundant request ${id}`, () => manager.close(id));
        continue;
      }
      if (Date.now() > giveUp) {
        throw new CliError(
          `redundant request ${id} is still Open after ${timeoutS} s (${r.committed} of ${r.k} committed)`,
          "wait longer with --timeout; after the commit deadline anyone may close it",
          4,
        );
      }
      await new Promise((res) => setTimeout(res, 500));
    }
  });
}

/** The commitment of `id` whose output hash is the request's result (`resultHash`): its output and trace root. */
export async function agreedCommitment(
  manager: RedundantManager,
  id: bigint,
  resultHash: string,
): Promise<{ output: Uint8Array; traceRoot: string } | null> {
  const commits = await read(`RedundantCommitted(${id})`, () =>
    manager.queryFilter(manager.filters.RedundantCommitted(id), 0),
  );
  const agreed = commits.find((c) => c.args.outputHash === resultHash);
  return agreed ? { output: getBytes(agreed.args.output), traceRoot: agreed.args.traceRoot } : null;
}

export async function redundantReport(
  manager: RedundantManager,
  id: bigint,
  program: Program | null,
): Promise<RedundantReport> {
  const [r, slots] = await Promise.all([manager.getRequest(id), manager.getSlots(id)]);
  const status = RedundantRequestStatus[Number(r.status)];
  let output: number[] | null = null;
  if (status === "Finalized" && program) {
    const agreed = await agreedCommitment(manager, id, r.resultHash);
    if (agreed) {
      const bytes = agreed.output;
      output = Array.from(dequantizeOutput(program, new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)));
    }
  }
  let predictedClass: number | null = null;
  if (output) predictedClass = output.reduce((best, v, i, a) => (v > a[best] ? i : best), 0);
  return {
    redundantRequestId: id,
    status,
    k: Number(r.k),
    committed: Number(r.committed),
    versionId: r.versionId,
    feePerNode: r.feePerNode,
    commitDeadline: r.commitDeadline,
    slots: slots.map((s) => ({
      node: s.node,
      status: SlotStatus[Number(s.status)],
      outputHash: s.outputHash,
      traceRoot: s.traceRoot,
    })),
    resultHash: status === "Finalized" ? r.resultHash : null,
    output,
    predictedClass,
  };
}

/** The report as `name  value` lines, with `extra` lines after it. */
export function printRedundant(p: Protocol, r: RedundantReport, extra: [string, string][] = []): void {
  const lines: [string, string][] = [
    ["redundant request", String(r.redundantRequestId)],
    ["status", r.status],
    ["version", String(r.versionId)],
    ["nodes", `${r.committed} of ${r.k} committed`],
    ["fee per node", formatAmount(r.feePerNode, p.decimals, p.symbol)],
    ["commit by", new Date(Number(r.commitDeadline) * 1000).toISOString()],
  ];
  r.slots.forEach((s, i) => lines.push([`slot ${i}`, `${s.node} ${s.status} ${s.outputHash}`]));
  if (r.resultHash) lines.push(["result", r.resultHash]);
  if (r.output) {
    lines.push(
      ["output", `[${r.output.map((v) => Number(v.toPrecision(5))).join(", ")}]`],
      ["predicted", String(r.predictedClass)],
    );
  }
  process.stdout.write(formatPairs([...lines, ...extra]));
}
