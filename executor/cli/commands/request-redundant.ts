/**
 * `verity request --redundant <k>`: asks k distinct nodes for the same inference through the RedundantManager
 * (docs/REDUNDANT.md). The result is final as soon as every slot is filled in agreement; two differing answers are
 * settled by a refereed game between the two nodes, played by their daemons. With `--wait` the command polls until
 * the request is settled (Finalized, Rejected or Expired), closing it itself once the commit deadline has passed.
 */
import { getBytes, hexlify } from "ethers";

import type { RedundantManager } from "../../../typechain-types";
import { RedundantManager__factory } from "../../../typechain-types";
import { dequantizeOutput } from "../../quant";
import type { Program } from "../../runtime/program";
import { bytesOf } from "../../trace/trace";
import { CliError, formatAmount, read, send, signerOf, toJson, type Protocol } from "../chain";
import { spin } from "../spinner";
import { formatPairs } from "../table";

export const REDUNDANT_STATUS = ["None", "Open", "Finalized", "Rejected", "Expired"] as const;
const SLOT_STATUS = ["None", "Committed", "Eliminated", "Paid"] as const;

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
  return RedundantManager__factory.connect(address, p.token.runner);
}

export async function requestRedundant(
  p: Protocol,
  args: {
    versionId: bigint;
    s0: Int8Array;
    fee: bigint;
    k: number;
    program: Program;
    wait?: boolean;
    timeout: number;
    json?: boolean;
  },
): Promise<void> {
  const manager = redundantManagerOf(p);
  const me = signerOf(p);
  const address = await manager.getAddress();
  const total = args.fee * BigInt(args.k);
  if ((await p.token.allowance(me.address, address)) < total) {
    await send("approve RedundantManager", () => p.token.approve(address, total));
  }
  const receipt = await send(
    `redundant request (version ${args.versionId}, ${args.k} nodes x ${formatAmount(args.fee, p.decimals, p.symbol)})`,
    () => manager.request(args.versionId, hexlify(bytesOf(args.s0)), args.fee, args.k),
  );
  const ev = receipt.logs
    .map((l) => {
      try {
        return manager.interface.parseLog(l);
      } catch {
        return null;
      }
    })
    .find((l) => l?.name === "RedundantRequested");
  if (!ev) throw new CliError("the request emitted no RedundantRequested", "check the RedundantManager address");
  const id = ev.args.requestId as bigint;
  if (!args.json && !args.wait) process.stderr.write(`redundant request ${id} sent (tx ${receipt.hash})\n`);
  if (args.wait) await waitSettled(p, manager, id, args.timeout);
  const r = await redundantReport(manager, id, args.program);
  if (args.json) process.stdout.write(toJson(r) + "\n");
  else printRedundant(p, r);
}

/** Polls until the request is settled; closes it once its commit deadline has passed with slots unfilled. */
async function waitSettled(p: Protocol, manager: RedundantManager, id: bigint, timeoutS: number): Promise<void> {
  const giveUp = Date.now() + timeoutS * 1000;
  await spin(`waiting for redundant request ${id}`, async (s) => {
    for (;;) {
      const r = await read(`getRequest(${id})`, () => manager.getRequest(id));
      const status = REDUNDANT_STATUS[Number(r.status)];
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

export async function redundantReport(
  manager: RedundantManager,
  id: bigint,
  program: Program | null,
): Promise<RedundantReport> {
  const [r, slots] = await Promise.all([manager.getRequest(id), manager.getSlots(id)]);
  const status = REDUNDANT_STATUS[Number(r.status)];
  let output: number[] | null = null;
  if (status === "Finalized" && program) {
    const commits = await manager.queryFilter(manager.filters.RedundantCommitted(id), 0);
    const agreed = commits.find((c) => c.args.outputHash === r.resultHash);
    if (agreed) {
      const bytes = getBytes(agreed.args.output);
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
      status: SLOT_STATUS[Number(s.status)],
      outputHash: s.outputHash,
      traceRoot: s.traceRoot,
    })),
    resultHash: status === "Finalized" ? r.resultHash : null,
    output,
    predictedClass,
  };
}

function printRedundant(p: Protocol, r: RedundantReport): void {
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
  process.stdout.write(formatPairs(lines));
}
