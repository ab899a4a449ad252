/**
 * `verity generate --redundant <k> [--nodes a,b,...]`: asks k distinct nodes for the same generation through the
 * RedundantManager (docs/REDUNDANT.md, docs/GENERATION.md §9), with `verity request --redundant`'s machinery
 * (request-redundant.ts: the nodes named, the approval, the wait, the report). The generation is final as soon as
 * every named node has committed the same response record; two differing ones are settled by a refereed game over
 * the generations, played by the nodes' daemons. A sampled generation's seed is derived from the RedundantManager's
 * request id. `--verify` runs the generation locally (streamed as `verity generate` streams it) and, once the request
 * is settled, compares it with the finalized response and its generation root: MATCH, or MISMATCH (exit 3).
 */
import { decodeResponse, type GenerationTerms } from "../../executor/generate";
import type { Program } from "../../executor/runtime/program";
import type { Protocol } from "../chain";
import { CliError } from "../errors";
import { toJson } from "../values";
import {
  compareGeneration,
  generateLocally,
  printable,
  verdictLines,
  type GenerationVerification,
} from "./generation-local";
import {
  agreedCommitment,
  printRedundant,
  redundantReport,
  sendRedundant,
  waitSettled,
  type RedundantReport,
} from "./request-redundant";

/** The redundant report with the finalized generation's text, and with `--verify` the local run's verdict. */
export interface RedundantGenerationReport extends RedundantReport {
  text: string | null;
  generation?: GenerationVerification;
}

export async function generateRedundant(
  p: Protocol,
  args: {
    versionId: bigint;
    /** The request record. */
    input: Uint8Array;
    terms: GenerationTerms;
    /** Per node. */
    fee: bigint;
    k: number;
    /** The nodes to name (`--nodes`); default: k eligible nodes picked at random. */
    nodes?: string[];
    /** The stored program, to verify; null otherwise. */
    program: Program | null;
    wait?: boolean;
    verify?: boolean;
    timeout: number;
    json?: boolean;
  },
): Promise<void> {
  const { manager, id, tx } = await sendRedundant(p, args);
  if (!args.wait && !args.verify) {
    if (args.json) process.stdout.write(toJson({ redundantRequestId: id, versionId: args.versionId, tx }) + "\n");
    else process.stderr.write(`redundant request ${id} sent (tx ${tx})\n`);
    return;
  }
  // The seed of a sampled generation is the RedundantManager's request id: the local run starts once it is known.
  const local = args.program ? generateLocally(args.program, args.terms, id, args.input) : null;
  await waitSettled(p, manager, id, args.timeout);
  const report = await redundantReport(manager, id, null);
  const agreed = report.resultHash ? await agreedCommitment(manager, id, report.resultHash) : null;
  const bytes = agreed ? decodeResponse(agreed.output) : null;
  const r: RedundantGenerationReport = { ...report, text: bytes ? printable(bytes) : null };
  if (local && agreed && report.resultHash) {
    r.generation = compareGeneration(local, {
      outputHash: report.resultHash,
      traceRoot: agreed.traceRoot,
      via: "RedundantFinalized",
    });
  }
  if (args.json) process.stdout.write(toJson(r) + "\n");
  else {
    const extra: [string, string][] = [];
    if (r.text !== null) extra.push(["text", `"${r.text}"`]);
    if (r.generation) extra.push(...verdictLines(r.generation));
    printRedundant(p, r, extra);
  }
  if (local && !r.generation) {
    throw new CliError(
      `redundant request ${id} is ${r.status}: there is no finalized generation to verify`,
      r.status === "Rejected"
        ? "every node that committed was proven wrong in a refereed game; the fees went back to you (`verity claim`)"
        : "too few named nodes committed before the deadline; ask again, naming nodes that serve the version",
    );
  }
  if (r.generation?.verdict === "MISMATCH") {
    throw new CliError(
      `MISMATCH: redundant request ${id}'s finalized generation differs from the local one (expected "${r.generation.expected.text}")`,
      "the nodes that survived agree on another generation: they may be one operator; name nodes of distinct operators (--nodes), and check the local program is the version's",
      3,
    );
  }
}
