/**
 * A request's result as the requester sees it: the node's commitment, the on-chain input, a re-execution that checks
 * the commitment (`--verify`), waiting for settlement, and the report `verity request --wait` and `verity result`
 * print (text or `--json`).
 */

import { ZeroAddress, ZeroHash, getBytes, keccak256 } from "ethers";
import { honestView } from "../../game/view";
import { InferenceRequestStatus } from "../../protocol/constants";
import { dequantizeOutput } from "../../executor/quant";
import { run } from "../../executor/runtime";
import type { Program } from "../../executor/runtime/program";
import { bytesOf } from "../../executor/trace/trace";
import { type Protocol, read, send } from "../chain";
import { CliError, RevertError } from "../errors";
import { formatAmount, toJson } from "../values";
import { spin } from "../spinner";
import { loadStoredProgram } from "../store";
import { formatPairs } from "../table";
import { MODE_BITS } from "./model-registry";

export const SETTLED = new Set(["Finalized", "Rejected", "Refunded"]);
export const HAS_RESULT = new Set(["Committed", "Disputed", "Finalized", "Rejected", "Batched"]);

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** The exit codes of a command that may wait and verify (`request`, `generate`), for its help. */
export const VERIFY_EXIT_HELP = `
Exit codes: 0 done (with --verify: MATCH), 2 bad input or a revert, 3 --verify found a MISMATCH, 4 --timeout passed.`;

export async function versionProgram(p: Protocol, versionId: bigint): Promise<Program> {
  const v = await read(`getVersion(${versionId})`, () => p.modelRegistry.getVersion(versionId));
  return loadStoredProgram(v.artifactCid, v.programDigest, versionId).program;
}

/** What the node committed for a request: from ResultCommitted, BatchLeafProven, or the commitBatch calldata. */
interface Committed {
  outputHash: string;
  traceRoot: string;
  /** The output bytes, when they are on-chain (individual commitments). */
  output: Uint8Array | null;
  via: "commit" | "batch";
}

export async function committedResult(p: Protocol, requestId: bigint, node: string): Promise<Committed | null> {
  const im = p.inferenceManager;
  const direct = await im.queryFilter(im.filters.ResultCommitted(requestId), 0);
  if (direct.length > 0) {
    const a = direct[direct.length - 1].args;
    return { outputHash: a.outputHash, traceRoot: a.traceRoot, output: getBytes(a.output), via: "commit" };
  }
  const proven = await im.queryFilter(im.filters.BatchLeafProven(undefined, requestId), 0);
  let leaf: Committed | null =
    proven.length > 0
      ? { outputHash: proven[0].args.outputHash, traceRoot: proven[0].args.traceRoot, output: null, via: "batch" }
      : null;
  if (leaf) return leaf;
  // The leaves of a batch are the calldata of its commitBatch transaction.
  for (const ev of await im.queryFilter(im.filters.BatchCommitted(undefined, node), 0)) {
    const tx = await p.provider.getTransaction(ev.transactionHash);
    if (!tx) continue;
    let parsed;
    try {
      parsed = im.interface.parseTransaction({ data: tx.data, value: tx.value });
    } catch {
      continue;
    }
    if (parsed?.name !== "commitBatch") continue;
    const ids = parsed.args[0] as bigint[];
    const i = ids.findIndex((x) => x === requestId);
    if (i >= 0) {
      leaf = {
        outputHash: (parsed.args[1] as string[])[i],
        traceRoot: (parsed.args[2] as string[])[i],
        output: null,
        via: "batch",
      };
      break;
    }
  }
  return leaf;
}

export async function requestInput(p: Protocol, requestId: bigint): Promise<Uint8Array> {
  const im = p.inferenceManager;
  const evs = await im.queryFilter(im.filters.InferenceRequested(requestId), 0);
  if (evs.length === 0)
    throw new CliError(
      `no InferenceRequested event for request ${requestId}`,
      "the RPC node may prune old logs; use an archive endpoint",
    );
  return getBytes(evs[0].args.input);
}

export interface Verification {
  verdict: "MATCH" | "MISMATCH";
  expected: { outputHash: string; traceRoot: string };
  committed: { outputHash: string; traceRoot: string; via: string };
  output: number[];
  predictedClass: number;
}

export async function verify(p: Protocol, requestId: bigint, program: Program, node: string): Promise<Verification> {
  const committed = await committedResult(p, requestId, node);
  if (!committed)
    throw new CliError(
      `request ${requestId} has no commitment to verify yet`,
      "wait for the node to commit (`--wait`)",
    );
  const input = await requestInput(p, requestId);
  const view = await spin(`re-executing request ${requestId} (${program.layers.length} steps)`, async () =>
    honestView(program, new Int8Array(input.buffer, input.byteOffset, input.byteLength)),
  );
  const out = view.states[view.states.length - 1];
  const outputHash = keccak256(bytesOf(out));
  const traceRoot = view.trace.traceRoot;
  const ok = outputHash === committed.outputHash && traceRoot === committed.traceRoot;
  const deq = Array.from(dequantizeOutput(program, out));
  return {
    verdict: ok ? "MATCH" : "MISMATCH",
    expected: { outputHash, traceRoot },
    committed: { outputHash: committed.outputHash, traceRoot: committed.traceRoot, via: committed.via },
    output: deq,
    predictedClass: argmax(deq),
  };
}

/** Seconds without a new block after which a wait says the chain only mines on transactions. */
const STALLED_S = 6;

export const AUTOMINE_HINT =
  "the chain mines a block only when a transaction arrives (automine: `npx hardhat node`, or anvil without " +
  "--block-time), so its clock stands still and a challenge window never ends by waiting: use `verity dev` (anvil " +
  "with a block every second and a 60 s window), or start anvil with --block-time 1";

/**
 * Polls the request until `until` says stop; finalizes a Committed request itself once its window has passed (a
 * request someone else finalized first, such as the node's daemon, is just as settled). Prints progress lines
 * without a terminal, and says so when the wait cannot end: a window past the timeout, or a chain whose clock only
 * moves with transactions.
 */
export async function waitFor(
  p: Protocol,
  requestId: bigint,
  until: (status: string) => boolean,
  timeoutS: number,
  finalize: boolean,
): Promise<string> {
  const deadline = Date.now() + timeoutS * 1000;
  let lastBlock = -1;
  let lastBlockAt = Date.now();
  let stalled = false;
  let warnedWindow = false;
  const warn = (text: string) => process.stderr.write(`warning: ${text}\n`);
  return spin(
    `waiting for request ${requestId}`,
    async (s) => {
      for (;;) {
        const status = InferenceRequestStatus[Number(await p.inferenceManager.statusOf(requestId))];
        const block = await p.provider.getBlock("latest");
        if (block && block.number !== lastBlock) {
          lastBlock = block.number;
          lastBlockAt = Date.now();
        }
        if (status === "Committed" && finalize) {
          const windowEnd = (await p.inferenceManager.getRequest(requestId)).windowEnd;
          const now = BigInt(block?.timestamp ?? 0);
          const left = windowEnd - now;
          s.update(left > 0n ? `Committed; challenge window ends in ${left} s` : "Committed; window over");
          if (left > 0n && !warnedWindow && Number(left) * 1000 > deadline - Date.now()) {
            warnedWindow = true;
            warn(
              `the challenge window of request ${requestId} ends in ${left} s, after --timeout ${timeoutS}: ` +
                "raise --timeout, or check `verity result` later (on a dev chain, `verity params set " +
                "InferenceManager.challengeWindow 60` shortens the window of later requests)",
            );
          }
          if (left > 0n && !stalled && Date.now() - lastBlockAt > STALLED_S * 1000) {
            stalled = true;
            warn(`no block for ${STALLED_S} s: ${AUTOMINE_HINT}`);
          }
        } else s.update(status);
        if (until(status)) return status;
        if (finalize && status === "Committed" && p.wallet) {
          // Anyone may finalize once the window has passed; try it (a static call first, so nothing is wasted).
          let ready = true;
          try {
            await p.inferenceManager.finalize.staticCall(requestId, "0x", ZeroHash);
          } catch {
            ready = false;
          }
          if (ready) {
            try {
              await send(`finalize request ${requestId}`, () => p.inferenceManager.finalize(requestId, "0x", ZeroHash));
            } catch (e) {
              // Finalized by someone else in between (the node's daemon does it too): the next poll sees it.
              if (!(e instanceof RevertError)) throw e;
            }
            continue;
          }
        }
        if (Date.now() > deadline) {
          throw new CliError(
            `request ${requestId} is still ${status} after ${timeoutS} s`,
            stalled
              ? AUTOMINE_HINT
              : "wait longer with --timeout, or check `verity result` later (it finalizes nothing by itself)",
            4,
          );
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    },
    { lines: true },
  );
}

export interface ResultReport {
  requestId: bigint;
  status: string;
  requester: string;
  node: string;
  versionId: bigint;
  fee: bigint;
  collateral: bigint;
  mode: string;
  deadline: bigint;
  /** While a node's claim is pending: after it, anyone may reopen the request (0 otherwise). */
  serveDeadline: bigint;
  windowEnd: bigint;
  inputHash: string;
  commitmentHash: string;
  committed: { outputHash: string; traceRoot: string; via: string } | null;
  output: number[] | null;
  /** Where `output` comes from: the commitment's calldata on-chain, or (batched) recomputed and checked locally. */
  outputFrom: "chain" | "recomputed" | null;
  /** A batched result: the output recomputed from the on-chain input and the stored program, against the leaf. */
  recomputed: { outputHash: string; matchesLeaf: boolean } | null;
  predictedClass: number | null;
  disputes: bigint[];
  verification?: Verification;
}

/**
 * A batch commits only each leaf's output hash, so the output itself is not on-chain. Recomputes it from the input
 * in the InferenceRequested event with the registered program (no trace: one run) and checks it against the leaf.
 */
export async function recomputeBatched(
  p: Protocol,
  requestId: bigint,
  program: Program,
  leafOutputHash: string,
): Promise<{ output: Int8Array; outputHash: string; matchesLeaf: boolean }> {
  const input = await requestInput(p, requestId);
  const output = run(program, new Int8Array(input.buffer, input.byteOffset, input.byteLength));
  const outputHash = keccak256(bytesOf(output));
  return { output, outputHash, matchesLeaf: outputHash === leafOutputHash };
}

export async function report(p: Protocol, requestId: bigint, program: Program | null): Promise<ResultReport> {
  const r = await read(`getRequest(${requestId})`, () => p.inferenceManager.getRequest(requestId));
  const status = InferenceRequestStatus[Number(r.status)];
  if (status === "None")
    throw new CliError(
      `request ${requestId} does not exist`,
      `there are ${await p.inferenceManager.requestCount()} requests`,
    );
  const committed = HAS_RESULT.has(status) ? await committedResult(p, requestId, r.node) : null;
  let output: number[] | null = null;
  let outputFrom: ResultReport["outputFrom"] = null;
  let recomputed: ResultReport["recomputed"] = null;
  if (committed?.output && program) {
    output = Array.from(
      dequantizeOutput(
        program,
        new Int8Array(committed.output.buffer, committed.output.byteOffset, committed.output.byteLength),
      ),
    );
    outputFrom = "chain";
  } else if (committed?.via === "batch" && program) {
    const again = await recomputeBatched(p, requestId, program, committed.outputHash);
    recomputed = { outputHash: again.outputHash, matchesLeaf: again.matchesLeaf };
    if (again.matchesLeaf) {
      output = Array.from(dequantizeOutput(program, again.output));
      outputFrom = "recomputed";
    }
  }
  const dm = p.disputeManager;
  const disputes = (await dm.queryFilter(dm.filters.DisputeOpened(undefined, requestId), 0)).map(
    (e) => e.args.disputeId,
  );
  const modeName = Object.entries(MODE_BITS).find(([, b]) => b === Number(r.mode))?.[0] ?? String(r.mode);
  return {
    requestId,
    status,
    requester: r.requester,
    node: r.node,
    versionId: r.versionId,
    fee: r.fee,
    collateral: r.collateral,
    mode: modeName,
    deadline: r.deadline,
    serveDeadline: r.serveDeadline,
    // A Rejected request keeps the window time it had left when disputed, not a date: no window end.
    windowEnd: status === "Rejected" ? 0n : r.windowEnd,
    inputHash: r.inputHash,
    commitmentHash: r.commitmentHash,
    committed: committed
      ? { outputHash: committed.outputHash, traceRoot: committed.traceRoot, via: committed.via }
      : null,
    output,
    outputFrom,
    recomputed,
    predictedClass: output ? argmax(output) : null,
    disputes,
  };
}

/** Prints the report; `extra` lines (e.g. a generation's text and verdict) go at its end, aligned with it. */
export function printReport(p: Protocol, r: ResultReport, extra: readonly [string, string][] = []): void {
  const lines: [string, string][] = [
    ["request", String(r.requestId)],
    ["status", r.status],
    ["version", String(r.versionId)],
    ["node", r.node === ZeroAddress ? "(open: any eligible node may claim it)" : r.node],
    ["requester", r.requester],
    ["fee", formatAmount(r.fee, p.decimals, p.symbol)],
    ["mode", r.mode],
  ];
  // The serving deadline is cleared once the request is settled.
  if (r.deadline > 0n) lines.push(["serve by", new Date(Number(r.deadline) * 1000).toISOString()]);
  if (r.serveDeadline > 0n) {
    lines.push([
      "claim lapses",
      `${new Date(Number(r.serveDeadline) * 1000).toISOString()} (then anyone may reopen it)`,
    ]);
  }
  if (r.windowEnd > 0n) lines.push(["window ends", new Date(Number(r.windowEnd) * 1000).toISOString()]);
  if (r.committed) {
    lines.push(["outputHash", r.committed.outputHash], ["traceRoot", r.committed.traceRoot]);
    if (r.committed.via === "batch") lines.push(["committed in", "a batch (only the output hash is on-chain)"]);
  }
  if (r.output)
    lines.push(
      ["output", `[${r.output.map((v) => Number(v.toPrecision(5))).join(", ")}]`],
      ["predicted", String(r.predictedClass)],
    );
  if (r.outputFrom === "recomputed") {
    lines.push([
      "",
      "recomputed locally from the on-chain input and the stored program; its hash equals the leaf's outputHash",
    ]);
  }
  if (r.recomputed && !r.recomputed.matchesLeaf) {
    lines.push(
      ["output", "not shown: the output recomputed locally does NOT hash to the leaf's outputHash"],
      ["  recomputed", `outputHash ${r.recomputed.outputHash}`],
      [
        "",
        `check it with \`verity result ${r.requestId} --verify\` (exit 3 on MISMATCH) and dispute it inside the window`,
      ],
    );
  }
  if (r.disputes.length) lines.push(["disputes", r.disputes.join(", ")]);
  if (r.verification && !verificationShown) lines.push(...verificationLines(r.verification));
  process.stdout.write(formatPairs([...lines, ...extra]));
}

/** The verdict lines of a `--verify` report. */
function verificationLines(v: Verification): [string, string][] {
  const lines: [string, string][] = [
    [
      "verify",
      v.verdict === "MATCH" ? "MATCH (recomputed output hash and trace root equal the commitment)" : "MISMATCH",
    ],
  ];
  if (v.verdict === "MISMATCH") {
    lines.push(["  expected", `outputHash ${v.expected.outputHash}`], ["", `traceRoot  ${v.expected.traceRoot}`]);
  }
  lines.push([
    "recomputed",
    `[${v.output.map((x) => Number(x.toPrecision(5))).join(", ")}] -> class ${v.predictedClass}`,
  ]);
  return lines;
}

/**
 * `request --wait --verify` prints the verdict as soon as it is known, before waiting for the settlement (which may
 * time out); the final report then leaves it out.
 */
let verificationShown = false;
export function printVerification(v: Verification): void {
  process.stdout.write(formatPairs(verificationLines(v)));
  verificationShown = true;
}

export function finish(p: Protocol, r: ResultReport, json: boolean | undefined): void {
  if (json) process.stdout.write(toJson(r) + "\n");
  else printReport(p, r);
  if (r.verification?.verdict === "MISMATCH") {
    throw new CliError(
      `MISMATCH: request ${r.requestId}'s commitment differs from the honest execution (expected output hash ${r.verification.expected.outputHash})`,
      r.status === "Rejected"
        ? "a dispute already proved it wrong: the request is Rejected and its fee refunded (`verity claim` withdraws it)"
        : "the node's result is wrong: dispute it inside the challenge window (a challenger daemon does this), or do not rely on it",
      3,
    );
  }
}
