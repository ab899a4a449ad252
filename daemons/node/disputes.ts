/**
 * Disputes against the node: each "dispute" record (`d:<disputeId>`) is played with `Player` as the node,
 * from its own view of the request (views.ts: the same view it committed), a few moves per tick (the
 * challenger moves in between). A dispute over a generation is played with `GenerationPlayer` from the node's
 * answer (views.ts `servedOf`: the pass roots it committed, each pass rebuilt when the game opens it). When the game is resolved the record is closed with its outcome; a request that
 * survives a dispute stands as an individual commitment and owes its settlement.
 */
import { toBeHex, zeroPadValue } from "ethers";

import { DisputeBoard } from "../../game/boards/dispute";
import { MOVES_PER_TICK } from "../../game/driver";
import { Outcome, Phase } from "../../game/enums";
import { GenerationPlayer } from "../../game/generation";
import { Player } from "../../game/player";
import { eachLimit, moveFailed, reportFailure } from "../kit/common";
import { NodeDaemonError, type NodeContext } from "./context";
import { isRedundantRecord } from "./redundant";
import { ensureSettle } from "./settlement";
import { servedOf } from "./views";

/** The output the node committed for `requestId`, while the journal has it (single commitments). */
function committedOutput(ctx: NodeContext, requestId: bigint): string | undefined {
  let output: string | undefined;
  for (const r of ctx.journal!.all()) {
    if (isRedundantRecord(r)) continue; // the RedundantManager's request ids overlap the InferenceManager's
    if (r.requestId === requestId.toString() && typeof r.output === "string") output = r.output;
  }
  return output;
}

/** The input of `requestId`, from the journal or else from its InferenceRequested event. */
async function inputOf(ctx: NodeContext, requestId: bigint): Promise<{ versionId: bigint; input: string }> {
  const provider = ctx.opts.signer.provider!;
  let block: number | undefined;
  for (const r of ctx.journal!.all()) {
    if (isRedundantRecord(r)) continue;
    if (r.requestId === requestId.toString() && typeof r.input === "string" && r.versionId !== undefined) {
      return { versionId: BigInt(r.versionId as string), input: r.input };
    }
    if (r.requestId === requestId.toString() && typeof r.block === "number") block = r.block;
    if (Array.isArray(r.requestIds)) {
      const i = (r.requestIds as string[]).indexOf(requestId.toString());
      if (i >= 0 && Array.isArray(r.blocks)) block = r.blocks[i] as number;
    }
  }
  const topic = ctx.inference.interface.getEvent("InferenceRequested").topicHash;
  const latest = await ctx.rpc.call("getBlockNumber", () => provider.getBlockNumber());
  const ranges: [number, number][] = block !== undefined ? [[block, block]] : [];
  if (block === undefined) {
    for (let to = latest; to >= 0; to -= ctx.maxBlockRange) ranges.push([Math.max(0, to - ctx.maxBlockRange + 1), to]);
  }
  for (const [fromBlock, toBlock] of ranges) {
    const logs = await ctx.rpc.call("getLogs(InferenceRequested)", () =>
      provider.getLogs({
        address: ctx.opts.addresses.inferenceManager,
        fromBlock,
        toBlock,
        topics: [topic, zeroPadValue(toBeHex(requestId), 32)],
      }),
    );
    if (logs.length > 0) {
      const ev = ctx.inference.interface.parseLog(logs[0])!;
      return { versionId: ev.args.versionId as bigint, input: ev.args.input as string };
    }
  }
  throw new NodeDaemonError(`cannot find the input of request ${requestId} on-chain`);
}

/** Plays every move the node owes in its open disputes, and closes the resolved ones. */
export async function playDisputes(ctx: NodeContext): Promise<void> {
  const open = ctx.journal!.replay().filter((r) => r.t === "dispute");
  // The games side by side (each one's moves in order): their moves share blocks.
  await eachLimit(open, GAME_CONCURRENCY, async (r) => {
    const disputeId = BigInt(r.disputeId as string);
    const requestId = BigInt(r.requestId as string);
    try {
      const { versionId, input } = await inputOf(ctx, requestId);
      // A generation rebuilt after a restart stands behind the response the journal says was committed.
      const served = await servedOf(ctx, requestId, versionId, input, { committed: committedOutput(ctx, requestId) });
      const player = served.generation
        ? new GenerationPlayer("node", served.generation, ctx.disputes)
        : new Player("node", served.view!, new DisputeBoard(ctx.disputes));
      // A game needs a few moves from us; play every move we owe now (the challenger moves in between).
      for (let i = 0; i < MOVES_PER_TICK; i++) {
        const d = await ctx.rpc.call("getDispute", () => ctx.disputes.getDispute(disputeId));
        if (Number(d.phase) === Phase.Resolved) {
          const won = Number(d.outcome) === Outcome.ChallengerWrong;
          if (won) ctx.metrics.disputesWon++;
          else ctx.metrics.disputesLost++;
          (won ? ctx.log.info : ctx.log.error)(won ? "dispute won" : "dispute lost: slashed", {
            disputeId,
            requestId,
          });
          // A request that survives stands as an individual commitment (also a proven batch leaf): settle it.
          if (won) {
            ensureSettle(ctx, `s:r:${requestId}`, {
              t: "settle",
              requestId: requestId.toString(),
              output: served.output,
              traceRoot: served.traceRoot,
            });
          }
          ctx.journal!.complete(r.key!, { outcome: Number(d.outcome) });
          break;
        }
        const move = await ctx.rpc.call("nextMove", () => player.nextMove(disputeId));
        if (!move) break;
        await ctx.rpc.send(`${move.name} (dispute ${disputeId})`, () => move.send());
        ctx.metrics.movesPlayed++;
        ctx.log.info("dispute move played", { disputeId, requestId, move: move.name });
      }
    } catch (e) {
      reportFailure(ctx.log, e, moveFailed("dispute"), { disputeId, requestId });
    }
  });
}

/** Disputes played at once, at most. */
const GAME_CONCURRENCY = 8;
