/**
 * Requesters: `verity generate --model <id|name> --prompt "…" --max-tokens 64 [--temperature-shift s] [--node <addr>]
 * [--mode optimistic|tee|none] [--wait] [--verify] [--json]` asks a generation version (docs/GENERATION.md) for text; with `--redundant <k>
 * [--nodes a,b,…]` it asks k nodes of the RedundantManager instead (generate-redundant.ts).
 *
 * The prompt and the rule are encoded into the version's request record (refused here when the version cannot
 * serve it: a prompt too long, more tokens than the version allows, a version that does not generate); the request
 * is sent like `verity request`'s and waited for with its machinery (request-report.ts). `--verify` runs the
 * generation locally pass by pass (the stored program, the on-chain record and request id), streaming each byte as
 * its pass completes (in place on a terminal, as progress lines otherwise, on stderr), and checks the node's
 * committed response and generation root against it: MATCH, or MISMATCH (exit 3).
 */
import type { Command } from "commander";
import { ZeroAddress } from "ethers";

import { decodeResponse, encodeRequest, type GenerationTerms } from "../../executor/generate";
import { InvalidInputError } from "../../executor/errors";
import { InferenceRequestStatus } from "../../protocol/constants";
import { termsOfSpec } from "../../protocol/generation";
import { connect, type Protocol, read } from "../chain";
import { globalsOf } from "../config";
import { CliError } from "../errors";
import { loadStoredProgram } from "../store";
import { formatPairs } from "../table";
import { parseAddress, parseAmount, toJson } from "../values";
import { generateRedundant } from "./generate-redundant";
import {
  compareGeneration,
  generateLocally,
  printable,
  verdictLines,
  type GenerationVerification,
  type LocalGeneration,
} from "./generation-local";
import { listVersions, MODE_BITS } from "./model-registry";
import { parseNodes, redundancyOf } from "./request-redundant";
import { parseTimeout, sendRequest } from "./request-send";
import {
  committedResult,
  HAS_RESULT,
  printReport,
  report,
  requestInput,
  SETTLED,
  VERIFY_EXIT_HELP,
  versionProgram,
  waitFor,
  type ResultReport,
} from "./request-report";

interface GenerateOptions {
  model: string;
  prompt: string;
  maxTokens: string;
  temperatureShift?: string;
  node?: string;
  fee?: string;
  wait?: boolean;
  verify?: boolean;
  timeout: string;
  json?: boolean;
  redundant?: string;
  nodes?: string;
  mode: string;
}

/** The modes a generation may be asked in: ZK does not prove generations (the registry refuses it for them). */
const GENERATION_MODES = ["optimistic", "none", "tee"];

/** The mode bits of `--mode`, refused unless a generation can be served in it. */
function parseGenerationMode(text: string): number {
  const name = text.toLowerCase();
  if (name === "zk")
    throw new CliError(
      "a generation cannot be asked in the zk mode: no circuit proves a generation, and generation versions refuse it",
      "use --mode optimistic (the default), tee or none",
    );
  if (!GENERATION_MODES.includes(name))
    throw new CliError(`unknown mode '${text}'`, `use --mode ${GENERATION_MODES.join(", ")}`);
  return MODE_BITS[name];
}

/** The version `--model` names: an id, or the newest generation version of the model(s) of that name. */
async function versionOf(p: Protocol, model: string): Promise<bigint> {
  if (/^\d+$/.test(model) && BigInt(model) > 0n) return BigInt(model);
  const { rows } = await listVersions(p, 100);
  const named = rows.filter((r) => r.name === model && !r.deprecated).map((r) => r.versionId);
  for (const id of named.sort((a, b) => (a < b ? 1 : -1))) {
    if ((await p.modelRegistry.generationOf(id)).contextLength !== 0n) return id;
  }
  throw new CliError(
    `no active generation version of a model named '${model}'`,
    "`verity model list` shows the models; publish one with `verity model publish <dir> --name <name> --generation`",
  );
}

async function termsOf(p: Protocol, versionId: bigint): Promise<GenerationTerms> {
  const g = await read(`generationOf(${versionId})`, () => p.modelRegistry.generationOf(versionId));
  const terms = termsOfSpec(g);
  if (terms === null)
    throw new CliError(
      `version ${versionId} is not a generation version: it takes tensors, not prompts`,
      "use `verity request` for it, or pick a generation version (`verity model publish --generation`)",
    );
  return terms;
}

function parseSmallInt(text: string, flag: string): number {
  if (!/^\d+$/.test(text)) throw new CliError(`${flag} '${text}' is not a non-negative integer`, `e.g. ${flag} 2`);
  return Number(text);
}

async function verifyGeneration(
  p: Protocol,
  requestId: bigint,
  node: string,
  local: LocalGeneration,
): Promise<GenerationVerification> {
  const committed = await committedResult(p, requestId, node);
  if (!committed)
    throw new CliError(
      `request ${requestId} has no commitment to verify yet`,
      "wait for the node to commit (`--wait`)",
    );
  return compareGeneration(local, committed);
}

/** The result report with the generated text (when the node's response is on-chain). */
interface GenerationReport extends ResultReport {
  text: string | null;
  generation?: GenerationVerification;
}

async function generationReport(p: Protocol, requestId: bigint): Promise<GenerationReport> {
  const r = await report(p, requestId, null);
  const committed = r.committed ? await committedResult(p, requestId, r.node) : null;
  const bytes = committed?.output ? decodeResponse(committed.output) : null;
  return { ...r, text: bytes ? printable(bytes) : null };
}

function finishGeneration(p: Protocol, r: GenerationReport, json: boolean | undefined, shown: boolean): void {
  if (json) process.stdout.write(toJson(r) + "\n");
  else {
    const lines: [string, string][] = [];
    if (r.text !== null) lines.push(["text", `"${r.text}"`]);
    if (r.generation && !shown) lines.push(...verdictLines(r.generation));
    printReport(p, r, lines);
  }
  if (r.generation?.verdict === "MISMATCH")
    throw new CliError(
      `MISMATCH: request ${r.requestId}'s committed generation differs from the local one (expected "${r.generation.expected.text}")`,
      r.status === "Rejected"
        ? "a dispute already proved it wrong: the request is Rejected and its fee refunded (`verity claim` withdraws it)"
        : "the node's generation is wrong: dispute it inside the challenge window (a challenger daemon does this), or do not rely on it",
      3,
    );
}

async function generate(opts: GenerateOptions, cmd: Command): Promise<void> {
  const maxTokens = parseSmallInt(opts.maxTokens, "--max-tokens");
  const shift =
    opts.temperatureShift === undefined ? undefined : parseSmallInt(opts.temperatureShift, "--temperature-shift");
  const timeout = parseTimeout(opts.timeout);
  const k = redundancyOf(opts);
  const mode = parseGenerationMode(opts.mode);
  if (k !== undefined && mode !== MODE_BITS.optimistic) {
    throw new CliError(
      "--redundant asks k nodes of the RedundantManager, whose refereed game is the optimistic one",
      "drop --mode with --redundant",
    );
  }
  if (k !== undefined && opts.node !== undefined) {
    throw new CliError(
      "--redundant asks k nodes of the RedundantManager, --node one node of the InferenceManager",
      "drop --node with --redundant (name the k nodes with --nodes)",
    );
  }
  const nodes = opts.nodes !== undefined && k !== undefined ? parseNodes(opts.nodes, k) : undefined;
  const prompt = new TextEncoder().encode(opts.prompt);
  const p = await connect(globalsOf(cmd), { needKey: true });
  const versionId = await versionOf(p, opts.model);
  const version = await read(`getVersion(${versionId})`, () => p.modelRegistry.getVersion(versionId));
  const terms = await termsOf(p, versionId);
  let input: Uint8Array;
  try {
    input = encodeRequest({ prompt, maxTokens, temperatureShift: shift }, terms);
  } catch (e) {
    if (!(e instanceof InvalidInputError)) throw e;
    throw new CliError(
      `version ${versionId} cannot serve this request: ${e.message}`,
      `this version takes prompts of up to ${terms.maxPrompt} bytes, --max-tokens 1 to ${terms.maxTokens} and --temperature-shift 0 to 7`,
    );
  }
  // The program is needed only to verify; load it first so that a missing one fails before the fee is paid.
  const program = opts.verify ? loadStoredProgram(version.artifactCid, version.programDigest, versionId).program : null;
  const fee = opts.fee !== undefined ? parseAmount(opts.fee, p.decimals, "--fee") : version.fee;
  if (k !== undefined) {
    const { wait, verify, json } = opts;
    return generateRedundant(p, { versionId, input, terms, fee, k, nodes, program, wait, verify, timeout, json });
  }
  const node = opts.node !== undefined ? parseAddress(opts.node, "--node") : ZeroAddress;
  const { requestId, tx } = await sendRequest(p, { versionId, input, fee, node, mode, action: "generate" });
  if (!opts.wait && !opts.verify) {
    if (opts.json) process.stdout.write(toJson({ requestId, versionId, tx }) + "\n");
    else process.stderr.write(`request ${requestId} sent (tx ${tx}); \`verity result ${requestId}\` shows it\n`);
    return;
  }
  // The seed of a sampled generation is the request id's: the local run starts once the id is known.
  const local = program ? generateLocally(program, terms, requestId, input) : null;
  await waitFor(p, requestId, (s) => HAS_RESULT.has(s) || SETTLED.has(s), timeout, false);
  let verification: GenerationVerification | undefined;
  if (local) {
    const r = await p.inferenceManager.getRequest(requestId);
    if (HAS_RESULT.has(InferenceRequestStatus[Number(r.status)])) {
      verification = await verifyGeneration(p, requestId, r.node, local);
      // The verdict is out before the (possibly long) wait for the settlement.
      if (!opts.json) process.stdout.write(formatPairs(verdictLines(verification)));
    }
  }
  if (opts.wait && verification?.verdict !== "MISMATCH") {
    try {
      await waitFor(p, requestId, (s) => SETTLED.has(s), timeout, true);
    } catch (e) {
      if (opts.json && verification) {
        const partial = await generationReport(p, requestId);
        process.stdout.write(toJson({ ...partial, generation: verification }) + "\n");
      }
      throw e;
    }
  }
  const r = await generationReport(p, requestId);
  if (verification) r.generation = verification;
  finishGeneration(p, r, opts.json, !opts.json && verification !== undefined);
}

/**
 * `verity result <id>` of a generation request: the report with the text, and with `verify` the local generation
 * checked against the commitment. Null when the request's version is not a generation version.
 */
export async function generationResult(
  p: Protocol,
  requestId: bigint,
  versionId: bigint,
  opts: { json?: boolean; verify?: boolean },
): Promise<boolean> {
  if ((await read(`generationOf(${versionId})`, () => p.modelRegistry.generationOf(versionId))).contextLength === 0n)
    return false;
  const r = await generationReport(p, requestId);
  if (opts.verify) {
    const terms = await termsOf(p, versionId);
    const program = await versionProgram(p, versionId);
    const input = await requestInput(p, requestId);
    r.generation = await verifyGeneration(p, requestId, r.node, generateLocally(program, terms, requestId, input));
  }
  finishGeneration(p, r, opts.json, false);
  return true;
}

export function registerGenerateCommand(cli: Command): void {
  cli
    .command("generate")
    .description(
      "requesters: ask a generation version for text (optimistic, tee or none mode, or k nodes with --redundant); optionally wait and verify",
    )
    .requiredOption("-m, --model <id|name>", "generation version id, or a model name (its newest generation version)")
    .requiredOption("-p, --prompt <text>", "the prompt (UTF-8; at most the version's maxPrompt bytes)")
    .option("--max-tokens <n>", "bytes to generate at most (at most the version's maxTokens)", "64")
    .option(
      "--temperature-shift <s>",
      "seeded sampling with temperature shift s (0-7; seed from the request id); default greedy",
    )
    .option(
      "--node <address>",
      "ask this node (it must be eligible); default: an open request any eligible node may claim",
    )
    .option(
      "--redundant <k>",
      "ask k >= 2 distinct nodes through the RedundantManager (final when they agree; a refereed game between two that differ); k eligible nodes at random, or --nodes",
    )
    .option(
      "--nodes <addresses>",
      "with --redundant: the k nodes to name, comma-separated (only they can commit; name nodes of distinct operators)",
    )
    .option(
      "--mode <mode>",
      "optimistic (a challenge window), tee (an enclave's signature, final at once; the version and the node must support it) or none",
      "optimistic",
    )
    .option("--fee <amount>", "fee in tokens (default: the version's fee, per generation; per node with --redundant)")
    .option("--wait", "wait for the commitment and the finalization (finalizing it once the window has passed)")
    .option(
      "--verify",
      "generate locally, streaming each byte, and check the commitment (with --redundant: the finalized response): MATCH, or MISMATCH (exit 3)",
    )
    .option("--timeout <seconds>", "give up waiting after this long (exit 4)", "600")
    .option("--json", "print the result report (with the text) as one JSON line")
    .addHelpText("after", VERIFY_EXIT_HELP)
    .action(async (opts: GenerateOptions, cmd: Command) => generate(opts, cmd));
}
