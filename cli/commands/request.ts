/**
 * Requesters: `verity request --model <versionId> --input <file> [--wait] [--verify]` and `verity result <id>`.
 *
 * The input file (a JSON image/array or an ONNX TensorProto `.pb`, as for `verity infer`) is quantized with the
 * version's program, found in the local store (.verity/store) by the version's artifact CID and program digest,
 * into the int8 state S0 that goes on-chain. `--verify` re-executes the program on the on-chain input and checks
 * the node's committed (outputHash, traceRoot) against the honest execution: MATCH, or MISMATCH (exit 3).
 */
import type { Command } from "commander";
import { ZeroAddress } from "ethers";
import { InferenceRequestStatus } from "../../protocol/constants";
import { quantizeInput } from "../../executor/quant";
import type { Program } from "../../executor/runtime/program";
import { bytesOf } from "../../executor/trace/trace";
import { connect, read, send } from "../chain";
import { globalsOf } from "../config";
import { CliError } from "../errors";
import { formatAmount, parseAddress, parseAmount, toJson } from "../values";
import { checkInputShape, parseShape, readTensorFile } from "../io";
import { loadStoredProgram } from "../store";
import { MODE_BITS } from "./model-registry";
import { generationResult } from "./generate";
import { parseNodes, redundancyOf, requestRedundant } from "./request-redundant";
import { parseTimeout, sendRequest } from "./request-send";
import {
  finish,
  HAS_RESULT,
  printVerification,
  report,
  SETTLED,
  VERIFY_EXIT_HELP,
  verify,
  type Verification,
  versionProgram,
  waitFor,
} from "./request-report";

interface RequestOptions {
  model: string;
  input: string;
  shape?: string;
  node?: string;
  fee?: string;
  mode: string;
  wait?: boolean;
  verify?: boolean;
  timeout: string;
  json?: boolean;
  redundant?: string;
  nodes?: string;
}

function parseId(text: string, what: string): bigint {
  if (!/^\d+$/.test(text) || BigInt(text) === 0n)
    throw new CliError(`${what} '${text}' is not an id`, "ids are positive integers");
  return BigInt(text);
}

async function request(opts: RequestOptions, cmd: Command): Promise<void> {
  const versionId = parseId(opts.model, "--model");
  const mode = MODE_BITS[opts.mode.toLowerCase()];
  if (mode === undefined) throw new CliError(`unknown mode '${opts.mode}'`, "use --mode optimistic, none, tee or zk");
  const timeout = parseTimeout(opts.timeout);
  const shape = opts.shape !== undefined ? parseShape(opts.shape) : undefined;
  const k = redundancyOf(opts);
  if (k !== undefined && (opts.node !== undefined || opts.verify || mode !== MODE_BITS.optimistic)) {
    throw new CliError(
      "--redundant asks k nodes of the RedundantManager",
      "drop --node, --verify and --mode with --redundant (name the k nodes with --nodes)",
    );
  }
  const nodes = opts.nodes !== undefined && k !== undefined ? parseNodes(opts.nodes, k) : undefined;
  const p = await connect(globalsOf(cmd), { needKey: true });
  const version = await read(`getVersion(${versionId})`, () => p.modelRegistry.getVersion(versionId));
  const program = loadStoredProgram(version.artifactCid, version.programDigest, versionId).program;
  const tensor = readTensorFile(opts.input, shape);
  checkInputShape(tensor, program.inputShape, opts.input);
  const s0 = quantizeInput(program, tensor.data, `--input '${opts.input}'`);
  const fee = opts.fee !== undefined ? parseAmount(opts.fee, p.decimals, "--fee") : version.fee;
  if (k !== undefined) {
    return requestRedundant(p, { versionId, s0, fee, k, nodes, program, wait: opts.wait, timeout, json: opts.json });
  }
  const node = opts.node !== undefined ? parseAddress(opts.node, "--node") : ZeroAddress;
  const { requestId, tx } = await sendRequest(p, { versionId, input: bytesOf(s0), fee, node, mode, action: "request" });
  if (!opts.json && !opts.wait && !opts.verify) process.stderr.write(`request ${requestId} sent (tx ${tx})\n`);
  let verification: Verification | undefined;
  if (opts.wait || opts.verify) {
    await waitFor(p, requestId, (s) => HAS_RESULT.has(s) || SETTLED.has(s), timeout, false);
  }
  if (opts.verify) {
    const r = await p.inferenceManager.getRequest(requestId);
    if (HAS_RESULT.has(InferenceRequestStatus[Number(r.status)])) {
      verification = await verify(p, requestId, program, r.node);
      // The verdict is out before the (possibly long) wait for the settlement.
      if (!opts.json) printVerification(verification);
    }
  }
  if (opts.wait && verification?.verdict !== "MISMATCH") {
    try {
      await waitFor(p, requestId, (s) => SETTLED.has(s), timeout, true);
    } catch (e) {
      // The JSON report (with the verdict) is printed even when the wait for the settlement fails.
      if (opts.json && verification) {
        const partial = await report(p, requestId, program);
        partial.verification = verification;
        process.stdout.write(toJson(partial) + "\n");
      }
      throw e;
    }
  }
  const r = await report(p, requestId, program);
  if (verification) r.verification = verification;
  finish(p, r, opts.json);
}

async function result(id: string, opts: { json?: boolean; verify?: boolean }, cmd: Command): Promise<void> {
  const requestId = parseId(id, "request id");
  const p = await connect(globalsOf(cmd));
  const r0 = await read(`getRequest(${requestId})`, () => p.inferenceManager.getRequest(requestId));
  if (Number(r0.status) === InferenceRequestStatus.None)
    throw new CliError(
      `request ${requestId} does not exist`,
      `there are ${await p.inferenceManager.requestCount()} requests`,
    );
  // A generation's report shows its text (and --verify generates locally).
  if (await generationResult(p, requestId, r0.versionId, opts)) return;
  let program: Program | null = null;
  try {
    program = await versionProgram(p, r0.versionId);
  } catch (e) {
    if (opts.verify) throw e; // verifying needs the program; showing does not
  }
  const r = await report(p, requestId, program);
  if (opts.verify) r.verification = await verify(p, requestId, program!, r.node);
  finish(p, r, opts.json);
}

async function refund(id: string, opts: { json?: boolean }, cmd: Command): Promise<void> {
  const requestId = parseId(id, "request id");
  const p = await connect(globalsOf(cmd), { needKey: true });
  const r = await read(`getRequest(${requestId})`, () => p.inferenceManager.getRequest(requestId));
  const status = InferenceRequestStatus[Number(r.status)];
  if (status !== "Open" && status !== "Assigned") {
    throw new CliError(
      `request ${requestId} is ${status}: only an unserved request (Open or Assigned) can be refunded`,
      status === "Rejected"
        ? "a rejected request is refunded already: withdraw the fee with `verity claim`"
        : "see `verity result " + requestId + "`",
    );
  }
  const now = BigInt((await p.provider.getBlock("latest"))?.timestamp ?? 0);
  if (now < r.deadline) {
    throw new CliError(
      `request ${requestId} can be refunded from ${new Date(Number(r.deadline) * 1000).toISOString()} (its serving deadline), in ${r.deadline - now} s`,
      "wait for the deadline; until then the node may still serve it",
    );
  }
  const receipt = await send(`refund(${requestId})`, () => p.inferenceManager.refund(requestId));
  if (opts.json) {
    process.stdout.write(toJson({ requestId, refunded: r.fee, requester: r.requester, tx: receipt.hash }) + "\n");
    return;
  }
  process.stdout.write(
    `request ${requestId} refunded: ${formatAmount(r.fee, p.decimals, p.symbol)} credited to ${r.requester}; ` +
      `\`verity claim\` (with the requester's key) withdraws it (tx ${receipt.hash})\n`,
  );
}

export function registerRequestCommands(cli: Command): void {
  cli
    .command("request")
    .description("requesters: ask for one inference of a model version, escrowing the fee; optionally wait and verify")
    .requiredOption("-m, --model <versionId>", "model version id (from `verity model list`)")
    .requiredOption("-i, --input <file>", "input: JSON array (nested, or flat with --shape) or ONNX TensorProto .pb")
    .option("-s, --shape <dims>", "shape of a flat JSON input, e.g. 1,784")
    .option(
      "--node <address>",
      "ask this node (it must be eligible); default: an open request any eligible node may claim",
    )
    .option("--fee <amount>", "fee in tokens (default: the version's fee)")
    .option(
      "--mode <mode>",
      "verification mode: optimistic (challenge window), none, tee (enclave-signed) or zk (proven); the version must support it",
      "optimistic",
    )
    .option(
      "--redundant <k>",
      "ask k >= 2 distinct nodes through the RedundantManager (final when they agree; a game between two that differ); the request names them: k eligible nodes at random, or --nodes",
    )
    .option(
      "--nodes <addresses>",
      "with --redundant: the k nodes to name, comma-separated (only they can commit; name nodes of distinct operators)",
    )
    .option("--wait", "wait for the commitment and the finalization (finalizing it once the window has passed)")
    .option("--verify", "re-execute locally and check the commitment: MATCH, or MISMATCH (exit 3)")
    .option("--timeout <seconds>", "give up waiting after this long (exit 4)", "600")
    .option("--json", "print the result report as one JSON line")
    .addHelpText("after", VERIFY_EXIT_HELP)
    .action(async (opts: RequestOptions, cmd: Command) => request(opts, cmd));
  cli
    .command("result")
    .description("a request's status, commitment, output and predicted class, and its disputes")
    .argument("<requestId>", "request id")
    .option("--verify", "re-execute locally and check the commitment: MATCH, or MISMATCH (exit 3)")
    .option("--json", "print the report as one JSON line")
    .addHelpText("after", VERIFY_EXIT_HELP)
    .action(async (id: string, opts: { json?: boolean; verify?: boolean }, cmd: Command) => result(id, opts, cmd));
  cli
    .command("refund")
    .description("credit the fee of an unserved request back to its requester, once its serving deadline has passed")
    .argument("<requestId>", "request id")
    .option("--json", "print {requestId, refunded, requester, tx} as one JSON line")
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => refund(id, opts, cmd));
}
