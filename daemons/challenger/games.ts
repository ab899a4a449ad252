/**
 * The challenger's games: finding its own disputes on-chain (reconciliation after a restart), and playing each to
 * its end with `Player` as the challenger: the move it owes, or `resolveTimeout` once the node's clock has
 * run out. Outcomes are journaled (`g:<disputeId>` done with the outcome).
 */
import { toBeHex, zeroPadValue } from "ethers";

import { DisputeBoard } from "../../game/boards/dispute";
import { MOVES_PER_TICK } from "../../game/driver";
import { Outcome, Phase } from "../../game/enums";
import { Player } from "../../game/player";
import type { PartyView } from "../../game/view";
import { errorMessage as message, isFatal } from "../kit/common";
import type { Journal, JournalRecord } from "../kit/journal";
import type { ChallengerDaemon } from "./daemon";

export class GamePlayer {
  constructor(
    private readonly d: ChallengerDaemon,
    private readonly journal: Journal,
    private readonly viewOf: (requestId: bigint, versionId: bigint, input: string) => Promise<PartyView>,
  ) {}

  /** The id of a dispute this challenger opened on `requestId` at or after `fromBlock`, or null. */
  async findOurDispute(requestId: bigint, fromBlock: number): Promise<bigint | null> {
    const provider = this.d.opts.signer.provider!;
    const latest = await this.d.rpc.call("getBlockNumber", () => provider.getBlockNumber());
    const topic = this.d.disputes.interface.getEvent("DisputeOpened").topicHash;
    const range = this.d.opts.maxBlockRange ?? 2000;
    for (let from = fromBlock; from <= latest; from += range) {
      const logs = await this.d.rpc.call("getLogs(DisputeOpened)", () =>
        provider.getLogs({
          address: this.d.opts.addresses.disputeManager,
          fromBlock: from,
          toBlock: Math.min(latest, from + range - 1),
          topics: [topic, null, zeroPadValue(toBeHex(requestId), 32), zeroPadValue(this.d.account, 32)],
        }),
      );
      if (logs.length > 0) return this.d.disputes.interface.parseLog(logs[0])!.args.disputeId as bigint;
    }
    return null;
  }

  /** Our dispute `disputeId` on the request of the "open" record `r` is on-chain: owe its game, close `r`. */
  record(r: JournalRecord, disputeId: bigint): void {
    const key = `g:${disputeId}`;
    if (!this.journal.has(key)) {
      this.journal.append({
        t: "game",
        key,
        disputeId: disputeId.toString(),
        requestId: r.requestId,
        versionId: r.versionId,
        input: r.input,
      });
    }
    this.journal.complete(r.key!, { disputeId: disputeId.toString() });
  }

  async playAll(now: bigint): Promise<void> {
    for (const r of this.journal.replay().filter((x) => x.t === "game")) {
      try {
        await this.play(r, now);
      } catch (e) {
        if (isFatal(e)) throw e;
        this.d.log.error("dispute move failed; will retry", {
          disputeId: r.disputeId,
          requestId: r.requestId,
          error: message(e),
        });
      }
    }
  }

  private async play(r: JournalRecord, now: bigint): Promise<void> {
    const disputeId = BigInt(r.disputeId as string);
    const requestId = BigInt(r.requestId as string);
    const m = this.d.disputes;
    for (let i = 0; i < MOVES_PER_TICK; i++) {
      const dispute = await this.d.rpc.call("getDispute", () => m.getDispute(disputeId));
      if (Number(dispute.phase) === Phase.Resolved) {
        const won = Number(dispute.outcome) === Outcome.NodeWrong;
        if (won) this.d.metrics.won++;
        else this.d.metrics.lost++;
        (won ? this.d.log.info : this.d.log.error)(won ? "dispute won: the node was slashed" : "dispute lost", {
          disputeId,
          requestId,
        });
        this.journal.complete(r.key!, { outcome: Number(dispute.outcome) });
        this.d.forgetView(requestId);
        return;
      }
      const onTheMove = await this.d.rpc.call("onTheMove", () => m.onTheMove(disputeId));
      if (onTheMove.toLowerCase() !== this.d.account.toLowerCase()) {
        // The node is on the move: end the game once its clock has run out (next block's timestamp > deadline).
        const deadline = await this.d.rpc.call("deadline", () => m.deadline(disputeId));
        if (now < deadline) return;
        await this.d.rpc.send(`resolveTimeout(${disputeId})`, (o) => m.resolveTimeout(disputeId, o));
        this.d.hooks.afterSend?.(`resolveTimeout(${disputeId})`);
        this.d.metrics.timeoutsResolved++;
        this.d.log.warn("the node's clock ran out: timeout resolved", { disputeId, requestId });
        continue;
      }
      const view = await this.viewOf(requestId, BigInt(r.versionId as string), r.input as string);
      const move = await this.d.rpc.call("nextMove", () =>
        new Player("challenger", view, new DisputeBoard(m)).nextMove(disputeId),
      );
      if (!move) return;
      const receipt = await this.d.rpc.send(`${move.name} (dispute ${disputeId})`, () => move.send());
      this.d.hooks.afterSend?.(`${move.name} (dispute ${disputeId})`);
      this.d.metrics.movesPlayed++;
      this.d.log.info("dispute move played", { disputeId, requestId, move: move.name, gas: receipt.gasUsed });
    }
  }
}
