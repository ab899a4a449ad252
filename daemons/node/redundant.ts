/**
 * Redundant requests (contracts/redundant/RedundantManager.sol, docs/REDUNDANT.md): when the deployment has a
 * RedundantManager, the node commits to its slot of every redundant request that names it (the requester names the
 * k nodes; nobody else can take a slot), for a version it serves, and plays its side of every refereed game that
 * names it. A request for a generation version (docs/GENERATION.md §9) is answered like an InferenceManager
 * generation request, by the daemon's `generationProvider` (views.ts `servedOf`, seeded by the RedundantManager's
 * request id): the node commits its response record and generation root, and plays its games over generations with
 * `RefereedGenerationPlayer`.
 *
 * Journal records (see journal.ts for the write-ahead discipline; the `rr:` and `g:` keys keep them apart from the
 * InferenceManager's requests, whose ids overlap these):
 *   rr:<requestId>  "redundant" (named; carries the input) → "rcommit" (commit announced, with output and trace root)
 *                   → done once our commitment is on-chain, or dropped (request settled or closed, deadline passed,
 *                   commit reverted)
 *   g:<gameId>      "rgame" (a game naming us, with our side, the request's input and the output we committed)
 *                   → done once resolved
 * An announced "rcommit" is re-sent only after `getSlots` shows that our slot is still empty, so a restart never
 * commits twice. A game is played move by move with `Player` (an inference) or `RefereedGenerationPlayer` (a
 * generation) from the node's own view (views.ts: the same view it committed, also after a restart: a generation is
 * rebuilt to stand behind the output its "rcommit" or "rgame" record carries, whatever the provider says now); when
 * the other side's clock has run out the node calls `resolveTimeout`. The fees and rewards credited by the
 * RedundantManager are claimed with the others (settlement.ts).
 */
import { hexlify, keccak256, type Log } from "ethers";

import type { Move } from "../../game/board";
import { commitArgs, RedundantBoard, type Side } from "../../game/boards/redundant";
import { MOVES_PER_TICK } from "../../game/driver";
import { GameOutcome, GamePhase } from "../../game/enums";
import { Player } from "../../game/player";
import { generationCommitArgs, RefereedGenerationPlayer } from "../../game/refereed-generation";
import { RedundantRequestStatus, SlotStatus } from "../../protocol/constants";
import { errorMessage as message, isFatal, moveFailed, reportFailure } from "../kit/common";
import { NodeDaemonError, type NodeContext } from "./context";
import type { JournalRecord } from "../kit/journal";
import { forgetServed, servedOf, type Served } from "./views";

/** IRedundantManager.RequestStatus. */
export const REDUNDANT_STATUS = RedundantRequestStatus;
/** IRedundantManager.SlotStatus.Named: a named node that has not committed yet. */
const SLOT_NAMED = SlotStatus.Named;

/** True for a record of the RedundantManager's requests and games (not of the InferenceManager's same ids). */
export function isRedundantRecord(r: JournalRecord): boolean {
  return r.key !== undefined && (r.key.startsWith("rr:") || r.key.startsWith("g:"));
}

/**
 * Journals the RedundantRequested events that name the node, for the versions it serves, and the GameOpened events
 * naming it.
 */
export async function scanRedundant(ctx: NodeContext, from: number, to: number): Promise<void> {
  const manager = ctx.redundant;
  if (!manager) return;
  const provider = ctx.opts.signer.provider!;
  const address = ctx.opts.addresses.redundantManager!;
  const journal = ctx.journal!;
  const me = ctx.address.toLowerCase();
  const reqTopic = manager.interface.getEvent("RedundantRequested").topicHash;
  const logs: Log[] = await ctx.rpc.call("getLogs(RedundantRequested)", () =>
    provider.getLogs({ address, fromBlock: from, toBlock: to, topics: [reqTopic] }),
  );
  for (const log of logs) {
    const ev = manager.interface.parseLog(log)!;
    const versionId = ev.args.versionId as bigint;
    if (!ctx.versions.includes(versionId)) continue;
    if (!(ev.args.nodes as string[]).some((n) => n.toLowerCase() === me)) continue;
    const key = `rr:${ev.args.requestId}`;
    if (journal.has(key)) continue;
    ctx.metrics.redundantSeen++;
    journal.append({
      t: "redundant",
      key,
      requestId: (ev.args.requestId as bigint).toString(),
      versionId: versionId.toString(),
      input: ev.args.input as string,
      block: log.blockNumber,
    });
  }
  const gameTopic = manager.interface.getEvent("GameOpened").topicHash;
  const glogs: Log[] = await ctx.rpc.call("getLogs(GameOpened)", () =>
    provider.getLogs({ address, fromBlock: from, toBlock: to, topics: [gameTopic] }),
  );
  for (const log of glogs) {
    const ev = manager.interface.parseLog(log)!;
    const nodeA = (ev.args.nodeA as string).toLowerCase();
    const nodeB = (ev.args.nodeB as string).toLowerCase();
    if (nodeA !== me && nodeB !== me) continue;
    const key = `g:${ev.args.gameId}`;
    if (journal.has(key)) continue;
    const requestId = ev.args.requestId as bigint;
    const { versionId, input } = await redundantInputOf(ctx, requestId);
    const output = await committedOutput(ctx, requestId);
    ctx.metrics.games++;
    const side: Side = nodeA === me ? "A" : "B";
    journal.append({
      t: "rgame",
      key,
      gameId: (ev.args.gameId as bigint).toString(),
      requestId: requestId.toString(),
      side,
      versionId: versionId.toString(),
      input,
      ...(output !== undefined ? { output } : {}),
    });
    ctx.log.warn("refereed game opened against another node", { gameId: ev.args.gameId, requestId, side });
  }
}

/** The version and input of redundant request `requestId`: from the journal, else from its event. */
async function redundantInputOf(ctx: NodeContext, requestId: bigint): Promise<{ versionId: bigint; input: string }> {
  const key = `rr:${requestId}`;
  for (const r of ctx.journal!.all()) {
    if (r.key === key && typeof r.input === "string" && r.versionId !== undefined) {
      return { versionId: BigInt(r.versionId as string), input: r.input };
    }
  }
  const manager = ctx.redundant!;
  const logs = await ctx.rpc.call("queryFilter(RedundantRequested)", () =>
    manager.queryFilter(manager.filters.RedundantRequested(requestId)),
  );
  if (logs.length === 0) throw new NodeDaemonError(`cannot find the input of redundant request ${requestId} on-chain`);
  return { versionId: logs[0].args.versionId, input: logs[0].args.input };
}

/**
 * The output the node committed to redundant request `requestId`: its "rcommit" record's, else its
 * `RedundantCommitted` event's (a journal compacted since, or lost), else undefined (not committed).
 */
async function committedOutput(ctx: NodeContext, requestId: bigint): Promise<string | undefined> {
  const key = `rr:${requestId}`;
  let output: string | undefined;
  for (const r of ctx.journal!.all()) if (r.key === key && typeof r.output === "string") output = r.output;
  if (output !== undefined) return output;
  const manager = ctx.redundant!;
  const logs = await ctx.rpc.call("queryFilter(RedundantCommitted)", () =>
    manager.queryFilter(manager.filters.RedundantCommitted(requestId, ctx.address)),
  );
  return logs.length > 0 ? logs[0].args.output : undefined;
}

/** What the node commits to redundant request `requestId` (standing behind `committed` when it announced one). */
async function redundantServed(
  ctx: NodeContext,
  requestId: bigint,
  r: JournalRecord,
  committed?: string,
): Promise<Served> {
  return servedOf(ctx, requestId, BigInt(r.versionId as string), r.input as string, { kind: "redundant", committed });
}

/**
 * Commits to the node's slot of every journaled redundant request while that slot is empty and the request open:
 * each commit is announced by an "rcommit" record before its transaction, and an announced one is re-sent only after
 * the chain shows that it did not land.
 */
export async function serveRedundant(ctx: NodeContext): Promise<void> {
  if (!ctx.redundant) return;
  const open = ctx.journal!.replay().filter((r) => r.t === "redundant" || r.t === "rcommit");
  for (const r of open) {
    const id = BigInt(r.requestId as string);
    try {
      await serveOne(ctx, r, id);
    } catch (e) {
      if (isFatal(e)) throw e;
      ctx.log.error("redundant commit failed; will reconcile", { requestId: id, error: message(e) });
    }
  }
}

/** Why the node cannot (or need not) commit to `requestId` now, or null when its named slot is empty and open. */
async function blocker(ctx: NodeContext, id: bigint): Promise<{ ours: boolean; why: string } | null> {
  const manager = ctx.redundant!;
  const [req, slots] = await Promise.all([
    ctx.rpc.call("getRequest", () => manager.getRequest(id)),
    ctx.rpc.call("getSlots", () => manager.getSlots(id)),
  ]);
  const me = ctx.address.toLowerCase();
  const mine = slots.find((s) => s.node.toLowerCase() === me);
  if (!mine) return { ours: false, why: "the request does not name us" };
  if (Number(mine.status) !== SLOT_NAMED) return { ours: true, why: "our commitment is on-chain" };
  if (Number(req.status) !== REDUNDANT_STATUS.Open) return { ours: false, why: `status ${req.status}` };
  if (req.closed) return { ours: false, why: "closed" };
  const provider = ctx.opts.signer.provider!;
  const now = (await ctx.rpc.call("getBlock", () => provider.getBlock("latest")))!.timestamp;
  if (BigInt(now) > req.commitDeadline) return { ours: false, why: "commit deadline passed" };
  return null;
}

async function serveOne(ctx: NodeContext, r: JournalRecord, id: bigint): Promise<void> {
  const journal = ctx.journal!;
  const b = await blocker(ctx, id);
  if (b) {
    journal.complete(r.key!, b.ours ? { found: b.why } : { dropped: b.why });
    if (!b.ours) {
      forgetServed(ctx, id, "redundant");
      ctx.log.info("redundant request not served", { requestId: id, reason: b.why });
    }
    return;
  }
  // An announced commit is re-sent with the output it announced (a generation rebuilt after a restart keeps it).
  const served = await redundantServed(ctx, id, r, r.t === "rcommit" ? (r.output as string) : undefined);
  const args = served.generation ? generationCommitArgs(served.generation, served.traceRoot) : commitArgs(served.view!);
  let record = r;
  if (r.t !== "rcommit") {
    const output = hexlify(args.output);
    record = { ...r, t: "rcommit", output, outputHash: keccak256(output), traceRoot: args.traceRoot };
    journal.append(record);
    ctx.hooks.afterJournal?.(record);
  }
  const manager = ctx.redundant!;
  let receipt;
  try {
    receipt = await ctx.rpc.send(`redundant.commit(${id})`, (o) =>
      manager.commit(id, args.output, args.traceRoot, args.inputProof, args.outputProof, o),
    );
  } catch (e) {
    if (isFatal(e)) throw e;
    // A revert (no longer eligible, stake too low, deadline passed) is final unless our commitment landed after all.
    const after = await blocker(ctx, id);
    if (after?.ours) journal.complete(r.key!, { found: after.why });
    else journal.complete(r.key!, { dropped: `commit failed: ${message(e)}` });
    ctx.log.error("redundant commit failed", { requestId: id, error: message(e) });
    return;
  }
  ctx.hooks.afterSend?.(`redundant.commit(${id})`);
  ctx.metrics.redundantCommitted++;
  journal.complete(r.key!, { tx: receipt.hash });
  ctx.log.info("redundant result committed", { requestId: id, outputHash: record.outputHash, gas: receipt.gasUsed });
}

/** Plays every move the node owes in its refereed games, times out a stalled opponent, closes resolved games. */
export async function playGames(ctx: NodeContext): Promise<void> {
  const manager = ctx.redundant;
  if (!manager) return;
  const open = ctx.journal!.replay().filter((r) => r.t === "rgame");
  for (const r of open) {
    const gameId = BigInt(r.gameId as string);
    const requestId = BigInt(r.requestId as string);
    const side = r.side as Side;
    try {
      // The game is played from the output the node committed (journaled with the game by scanRedundant, which found
      // it in our "rcommit" record or our RedundantCommitted event), whatever the provider says now.
      const output = typeof r.output === "string" ? r.output : undefined;
      const served = await redundantServed(ctx, requestId, r, output);
      const player: { nextMove(gameId: bigint): Promise<Move | null> } = served.generation
        ? new RefereedGenerationPlayer(side, served.generation, manager)
        : new Player(side, served.view!, new RedundantBoard(manager));
      for (let i = 0; i < MOVES_PER_TICK; i++) {
        const g = await ctx.rpc.call("getGame", () => manager.getGame(gameId));
        if (Number(g.phase) === GamePhase.Resolved) {
          closeGame(ctx, r, side, Number(g.outcome) as GameOutcome);
          break;
        }
        const move = await ctx.rpc.call("nextMove", () => player.nextMove(gameId));
        if (!move) {
          await maybeTimeout(ctx, gameId, requestId);
          break;
        }
        await ctx.rpc.send(`${move.name} (game ${gameId})`, () => move.send());
        ctx.hooks.afterSend?.(`${move.name} (game ${gameId})`);
        ctx.metrics.gameMoves++;
        ctx.log.info("game move played", { gameId, requestId, side, move: move.name });
      }
    } catch (e) {
      // A harmless race: either node may prove (the step, or a pass's choice), and the other one's proof landed first.
      reportFailure(ctx.log, e, moveFailed("game"), { gameId, requestId });
    }
  }
}

/** Calls `resolveTimeout` when the other side owes the move and its clock has run out. */
async function maybeTimeout(ctx: NodeContext, gameId: bigint, requestId: bigint): Promise<void> {
  const manager = ctx.redundant!;
  const provider = ctx.opts.signer.provider!;
  const [deadline, block] = await Promise.all([
    ctx.rpc.call("deadline", () => manager.deadline(gameId)),
    ctx.rpc.call("getBlock", () => provider.getBlock("latest")),
  ]);
  // The next block's timestamp is later than the latest one's: resolveTimeout needs block.timestamp > deadline.
  if (deadline === 0n || BigInt(block!.timestamp) < deadline) return;
  await ctx.rpc.send(`resolveTimeout(${gameId})`, (o) => manager.resolveTimeout(gameId, o));
  ctx.hooks.afterSend?.(`resolveTimeout(${gameId})`);
  ctx.log.warn("the other node ran out of time: game resolved by timeout", { gameId, requestId });
}

function closeGame(ctx: NodeContext, r: JournalRecord, side: Side, outcome: GameOutcome): void {
  const lost =
    outcome === GameOutcome.BothWrong ||
    (side === "A" && outcome === GameOutcome.AWrong) ||
    (side === "B" && outcome === GameOutcome.BWrong);
  if (lost) ctx.metrics.gamesLost++;
  else ctx.metrics.gamesWon++;
  (lost ? ctx.log.error : ctx.log.info)(lost ? "refereed game lost: slashed" : "refereed game won", {
    gameId: r.gameId,
    requestId: r.requestId,
    side,
    outcome: GameOutcome[outcome],
  });
  ctx.journal!.complete(r.key!, { outcome });
  forgetServed(ctx, BigInt(r.requestId as string), "redundant");
}
