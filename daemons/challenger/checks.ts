/**
 * The challenger's checks: each journaled commitment (or batch) is recomputed with the reference executor, leaf by
 * leaf for the sampled leaves, and compared with the committed (outputHash, traceRoot). A wrong OPTIMISTIC result
 * becomes an "open" record (the promise to dispute it), written before any transaction; the check is then done.
 *
 * A generation (docs/GENERATION.md) costs one forward pass per byte, so a commitment whose response is known (a
 * single commitment's `ResultCommitted` carries it) is checked pass by pass on the node's own prefix
 * (daemons/kit/generation.ts `checkGeneration`): every pass up to `maxPasses`, else a sample of them; a batch
 * leaf (only its hash is on-chain) is generated in full and compared.
 */
import { hexlify, keccak256 } from "ethers";

import { errorMessage as message, isFatal } from "../kit/common";
import type { JournalRecord } from "../kit/journal";
import { ProgramNotFoundError } from "../../protocol/resolver";
import { bytesOf } from "../../executor/trace/trace";
import { MODE } from "../../modes/verified";
import { checkGeneration, generationRootOf, passesToCheck } from "../kit/generation";
import { forgetView, generationViewOf, sampled, viewOf, type ChallengerContext } from "./context";
import { batchLeafProof, requestInputs, type Leaf, type RequestInput } from "./intake";

/** A check's outcome: whether the commitment is right, and what was expected instead (for the log). */
interface Verdict {
  ok: boolean;
  expected: Record<string, unknown>;
}

/** Recomputes the committed `leaf` of request `id` (`output`: its committed response, when known). */
async function verify(
  ctx: ChallengerContext,
  id: bigint,
  req: RequestInput,
  leaf: Leaf,
  output?: string,
): Promise<Verdict> {
  const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();
  const terms = await ctx.terms(req.versionId);
  if (terms !== null && output !== undefined && same(keccak256(output), leaf.outputHash)) {
    const { program } = await ctx.resolver(req.versionId);
    const check = checkGeneration(
      program,
      terms,
      id,
      Buffer.from(req.input.slice(2), "hex"),
      Buffer.from(output.slice(2), "hex"),
      leaf.traceRoot,
      (n) => passesToCheck(n, ctx.maxPasses, ctx.sampleSeed, id),
    );
    ctx.metrics.passesChecked += check.passesChecked;
    return {
      ok: check.ok,
      expected: { reason: check.reason, passes: check.passes, passesChecked: check.passesChecked },
    };
  }
  if (terms !== null) {
    const generation = (await generationViewOf(ctx, id, req.versionId, req.input))!;
    ctx.metrics.passesChecked += generation.passRoots.length;
    const outputHash = keccak256(hexlify(generation.output));
    const traceRoot = generationRootOf(generation);
    return {
      ok: same(outputHash, leaf.outputHash) && same(traceRoot, leaf.traceRoot),
      expected: { outputHash, traceRoot },
    };
  }
  const view = await viewOf(ctx, id, req.versionId, req.input);
  const outputHash = keccak256(bytesOf(view.states[view.program.layers.length]));
  const traceRoot = view.trace.traceRoot;
  return {
    ok: same(outputHash, leaf.outputHash) && same(traceRoot, leaf.traceRoot),
    expected: { outputHash, traceRoot },
  };
}

/** Checks every journaled commitment (or batch) not checked yet. */
export async function checkAll(ctx: ChallengerContext): Promise<void> {
  for (const r of ctx.journal!.replay().filter((x) => x.t === "check")) {
    try {
      await checkRecord(ctx, r);
    } catch (e) {
      if (isFatal(e)) throw e;
      ctx.log.error("checking a commitment failed; will retry", { key: r.key, error: message(e) });
    }
  }
}

async function checkRecord(ctx: ChallengerContext, r: JournalRecord): Promise<void> {
  const leaves: Leaf[] =
    r.batchId === undefined
      ? [
          {
            requestId: BigInt(r.requestId as string),
            outputHash: r.outputHash as string,
            traceRoot: r.traceRoot as string,
          },
        ]
      : (r.requestIds as string[]).map((id, i) => ({
          requestId: BigInt(id),
          outputHash: (r.outputHashes as string[])[i],
          traceRoot: (r.traceRoots as string[])[i],
        }));
  const picked = leaves.map((l, index) => ({ ...l, index })).filter((l) => sampled(ctx, l.requestId));
  const inputs = await requestInputs(
    ctx.rpc,
    ctx.opts.signer.provider!,
    { address: ctx.opts.addresses.inferenceManager, iface: ctx.inference.interface },
    picked.map((l) => l.requestId),
    r.block as number,
    ctx.maxBlockRange,
  );
  const provider = ctx.opts.signer.provider!;
  const opens: JournalRecord[] = [];
  let checked = 0;
  let skipped = 0;
  let mismatches = 0;
  for (const leaf of picked) {
    const id = leaf.requestId;
    const req = inputs.get(id);
    if (!req) {
      skipped++;
      ctx.log.error("commitment skipped: no InferenceRequested event for its request", { requestId: id });
      continue;
    }
    if (req.mode !== MODE.OPTIMISTIC) {
      skipped++;
      ctx.log.debug("commitment skipped: not an OPTIMISTIC request", { requestId: id, mode: req.mode });
      continue;
    }
    let verdict: Verdict;
    try {
      verdict = await verify(
        ctx,
        id,
        req,
        leaf,
        r.batchId === undefined ? (r.output as string | undefined) : undefined,
      );
    } catch (e) {
      if (!(e instanceof ProgramNotFoundError)) throw e;
      skipped++;
      ctx.log.warn("commitment skipped: the version's program is unknown", {
        requestId: id,
        versionId: req.versionId,
        error: e.message,
      });
      continue;
    }
    checked++;
    if (verdict.ok) {
      forgetView(ctx, id);
      continue;
    }
    mismatches++;
    ctx.log.warn("MISMATCH: the committed result differs from the reference execution", {
      requestId: id,
      node: r.node,
      batchId: r.batchId,
      committed: { outputHash: leaf.outputHash, traceRoot: leaf.traceRoot },
      expected: verdict.expected,
    });
    const key = `o:${id}`;
    if (ctx.journal!.has(key)) continue;
    const fromBlock = await ctx.rpc.call("getBlockNumber", () => provider.getBlockNumber());
    opens.push({
      t: "open",
      key,
      requestId: id.toString(),
      versionId: req.versionId.toString(),
      input: req.input,
      outputHash: leaf.outputHash,
      traceRoot: leaf.traceRoot,
      fromBlock,
      ...(r.batchId === undefined
        ? {}
        : { batchId: r.batchId, index: leaf.index, proof: batchLeafProof(leaves, leaf.index) }),
    });
  }
  for (const o of opens) ctx.journal!.append(o);
  ctx.metrics.sampledOut += leaves.length - picked.length;
  ctx.metrics.checked += checked;
  ctx.metrics.skipped += skipped;
  ctx.metrics.mismatches += mismatches;
  ctx.journal!.complete(r.key!, { checked, mismatches, sampledOut: leaves.length - picked.length, skipped });
  if (checked > 0 && mismatches === 0) {
    ctx.log.info(r.batchId === undefined ? "commitment checked: correct" : "batch checked: correct", {
      requestId: r.requestId,
      batchId: r.batchId,
      checked,
    });
  }
}
