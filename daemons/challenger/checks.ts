/**
 * The challenger's checks: each journaled commitment (or batch) is recomputed with the reference executor, leaf by
 * leaf for the sampled leaves, and compared with the committed (outputHash, traceRoot). A wrong OPTIMISTIC result
 * becomes an "open" record (the promise to dispute it), written before any transaction; the check is then done.
 */
import { keccak256 } from "ethers";

import type { PartyView } from "../../game/view";
import { errorMessage as message, isFatal } from "../kit/common";
import type { Journal, JournalRecord } from "../kit/journal";
import { ProgramNotFoundError } from "../../protocol/resolver";
import { bytesOf } from "../../executor/trace/trace";
import { OPTIMISTIC, type ChallengerDaemon } from "./daemon";
import { batchLeafProof, requestInputs, type Leaf } from "./intake";

export class CommitmentChecker {
  constructor(
    private readonly d: ChallengerDaemon,
    private readonly journal: Journal,
  ) {}

  async checkAll(): Promise<void> {
    for (const r of this.journal.replay().filter((x) => x.t === "check")) {
      try {
        await this.checkRecord(r);
      } catch (e) {
        if (isFatal(e)) throw e;
        this.d.log.error("checking a commitment failed; will retry", { key: r.key, error: message(e) });
      }
    }
  }

  private async checkRecord(r: JournalRecord): Promise<void> {
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
    const picked = leaves.map((l, index) => ({ ...l, index })).filter((l) => this.d.sampled(l.requestId));
    const inputs = await requestInputs(
      this.d.rpc,
      this.d.opts.signer.provider!,
      { address: this.d.opts.addresses.inferenceManager, iface: this.d.inference.interface },
      picked.map((l) => l.requestId),
      r.block as number,
      this.d.maxBlockRange,
    );
    const provider = this.d.opts.signer.provider!;
    const opens: JournalRecord[] = [];
    let checked = 0;
    let skipped = 0;
    let mismatches = 0;
    for (const leaf of picked) {
      const id = leaf.requestId;
      const req = inputs.get(id);
      if (!req) {
        skipped++;
        this.d.log.error("commitment skipped: no InferenceRequested event for its request", { requestId: id });
        continue;
      }
      if (req.mode !== OPTIMISTIC) {
        skipped++;
        this.d.log.debug("commitment skipped: not an OPTIMISTIC request", { requestId: id, mode: req.mode });
        continue;
      }
      let view: PartyView;
      try {
        view = await this.d.viewOf(id, req.versionId, req.input);
      } catch (e) {
        if (!(e instanceof ProgramNotFoundError)) throw e;
        skipped++;
        this.d.log.warn("commitment skipped: the version's program is unknown", {
          requestId: id,
          versionId: req.versionId,
          error: e.message,
        });
        continue;
      }
      checked++;
      const outputHash = keccak256(bytesOf(view.states[view.program.layers.length]));
      const traceRoot = view.trace.traceRoot;
      if (
        outputHash.toLowerCase() === leaf.outputHash.toLowerCase() &&
        traceRoot.toLowerCase() === leaf.traceRoot.toLowerCase()
      ) {
        this.d.forgetView(id);
        continue;
      }
      mismatches++;
      this.d.log.warn("MISMATCH: the committed result differs from the reference execution", {
        requestId: id,
        node: r.node,
        batchId: r.batchId,
        committed: { outputHash: leaf.outputHash, traceRoot: leaf.traceRoot },
        expected: { outputHash, traceRoot },
      });
      const key = `o:${id}`;
      if (this.journal.has(key)) continue;
      const fromBlock = await this.d.rpc.call("getBlockNumber", () => provider.getBlockNumber());
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
    for (const o of opens) this.journal.append(o);
    this.d.metrics.sampledOut += leaves.length - picked.length;
    this.d.metrics.checked += checked;
    this.d.metrics.skipped += skipped;
    this.d.metrics.mismatches += mismatches;
    this.journal.complete(r.key!, { checked, mismatches, sampledOut: leaves.length - picked.length, skipped });
    if (checked > 0 && mismatches === 0) {
      this.d.log.info(r.batchId === undefined ? "commitment checked: correct" : "batch checked: correct", {
        requestId: r.requestId,
        batchId: r.batchId,
        checked,
      });
    }
  }
}
