/**
 * The challenger's games: finding its own disputes on-chain (reconciliation after a restart), and playing each to
 * its end with `Player` as the challenger: the move it owes, or `resolveTimeout` once the node's clock has
 * run out. Outcomes are journaled (`g:<disputeId>` done with the outcome).
 */
import { toBeHex, zeroPadValue } from "ethers";

import { DisputeBoard } from "../../game/boards/dispute";
import { MOVES_PER_TICK } from "../../game/driver";
import { Outcome, Phase } from "../../game/enums";
import { GenerationPlayer } from "../../game/generation";
import { Player } from "../../game/player";
import { eachLimit, moveFailed, reportFailure } from "../kit/common";
import type { JournalRecord } from "../kit/journal";
import { forgetView, generationViewOf, viewOf, type ChallengerContext } from "./context";

/** The id of a dispute this challenger opened on `requestId` at or after `fromBlock`, or null. */
export async function findOurDispute(
  ctx: ChallengerContext,
  requestId: bigint,
  fromBlock: number,
): Promise<bigint | null> {
  const provider = ctx.opts.signer.provider!;
  const latest = await ctx.rpc.call("getBlockNumber", () => provider.getBlockNumber());
  const topic = ctx.disputes.interface.getEvent("DisputeOpened").topicHash;
  const range = ctx.maxBlockRange;
  for (let from = fromBlock; from <= latest; from += range) {
    const logs = await ctx.rpc.call("getLogs(DisputeOpened)", () =>
      provider.getLogs({
        address: ctx.opts.addresses.disputeManager,
        fromBlock: from,
        toBlock: Math.min(latest, from + range - 1),
        topics: [topic, null, zeroPadValue(toBeHex(requestId), 32), zeroPadValue(ctx.address, 32)],
      }),
    );
    if (logs.length > 0) return ctx.disputes.interface.parseLog(logs[0])!.args.disputeId as bigint;
  }
  return null;
}

/** Our dispute `disputeId` on the request of the "open" record `r` is on-chain: owe its game, close `r`. */
export function recordGame(ctx: ChallengerContext, r: JournalRecord, disputeId: bigint): void {
  const journal = ctx.journal!;
  const key = `g:${disputeId}`;
  if (!journal.has(key)) {
    journal.append({
      t: "game",
      key,
      disputeId: disputeId.toString(),
      requestId: r.requestId,
      versionId: r.versionId,
      input: r.input,
    });
  }
  journal.complete(r.key!, { disputeId: disputeId.toString() });
}

/** Plays the moves the challenger owes in each of its games, and closes the resolved ones. */
export async function playGames(ctx: ChallengerContext, now: bigint): Promise<void> {
  const games = ctx.journal!.replay().filter((x) => x.t === "game");
  ctx.clock.observe(now, games.length > 0 ? `${games.length} dispute game(s) on their move clocks` : null);
  // The games side by side (each one's moves in order): their moves share blocks.
  await eachLimit(games, GAME_CONCURRENCY, async (r) => {
    try {
      await play(ctx, r, now);
    } catch (e) {
      reportFailure(ctx.log, e, moveFailed("dispute"), { disputeId: r.disputeId, requestId: r.requestId });
    }
  });
}

/** Games played at once, at most. */
const GAME_CONCURRENCY = 8;

/** The challenger's player of game `r`: a `GenerationPlayer` over its honest answer for a generation. */
async function playerOf(ctx: ChallengerContext, r: JournalRecord): Promise<{ nextMove: GenerationPlayer["nextMove"] }> {
  const [requestId, versionId, input] = [
    BigInt(r.requestId as string),
    BigInt(r.versionId as string),
    r.input as string,
  ];
  const generation = await generationViewOf(ctx, requestId, versionId, input);
  if (generation) return new GenerationPlayer("challenger", generation, ctx.disputes);
  return new Player("challenger", await viewOf(ctx, requestId, versionId, input), new DisputeBoard(ctx.disputes));
}

async function play(ctx: ChallengerContext, r: JournalRecord, now: bigint): Promise<void> {
  const disputeId = BigInt(r.disputeId as string);
  const requestId = BigInt(r.requestId as string);
  const m = ctx.disputes;
  for (let i = 0; i < MOVES_PER_TICK; i++) {
    const dispute = await ctx.rpc.call("getDispute", () => m.getDispute(disputeId));
    if (Number(dispute.phase) === Phase.Resolved) {
      const won = Number(dispute.outcome) === Outcome.NodeWrong;
      if (won) ctx.metrics.won++;
      else ctx.metrics.lost++;
      (won ? ctx.log.info : ctx.log.error)(won ? "dispute won: the node was slashed" : "dispute lost", {
        disputeId,
        requestId,
      });
      ctx.journal!.complete(r.key!, { outcome: Number(dispute.outcome) });
      forgetView(ctx, requestId);
      return;
    }
    const onTheMove = await ctx.rpc.call("onTheMove", () => m.onTheMove(disputeId));
    if (onTheMove.toLowerCase() !== ctx.address.toLowerCase()) {
      // The node is on the move: end the game once its clock has run out (next block's timestamp > deadline).
      const deadline = await ctx.rpc.call("deadline", () => m.deadline(disputeId));
      if (now < deadline) return;
      await ctx.rpc.send(`resolveTimeout(${disputeId})`, (o) => m.resolveTimeout(disputeId, o));
      ctx.hooks.afterSend?.(`resolveTimeout(${disputeId})`);
      ctx.metrics.timeoutsResolved++;
      ctx.log.warn("the node's clock ran out: timeout resolved", { disputeId, requestId });
      continue;
    }
    const move = await ctx.rpc.call("nextMove", async () => (await playerOf(ctx, r)).nextMove(disputeId));
    if (!move) return;
    const receipt = await ctx.rpc.send(`${move.name} (dispute ${disputeId})`, () => move.send());
    ctx.hooks.afterSend?.(`${move.name} (dispute ${disputeId})`);
    ctx.metrics.movesPlayed++;
    ctx.log.info("dispute move played", { disputeId, requestId, move: move.name, gas: receipt.gasUsed });
  }
}
