/**
 * The challenger daemon (`verity challenger run`), the mirror of the node daemon: it watches the commitments on the
 * InferenceManager (`ResultCommitted`, and the leaves of every `BatchCommitted` from its transaction's calldata),
 * recomputes each (or a deterministic sample) with the reference executor, and disputes every wrong OPTIMISTIC
 * result inside its window: `proveBatchLeaf` first for a batch leaf, then `openDispute` with the bond, then the game
 * with `Player` as the challenger, `resolveTimeout` when the node's clock runs out, and finally its credits.
 *
 * Everything it promises goes through the journal first (daemons/kit/journal.ts), keyed so that a restart can
 * reconcile:
 *   c:r:<requestId>, c:b:<batchId>  "check" (a commitment, or a batch with its leaves, to recompute)
 *                   → done once checked
 *   o:<requestId>   "open" (a wrong result to dispute, with the committed pair, the input, and for a batch leaf its
 *                   batch, index and proof) → done once our dispute is on-chain, or the chance is gone
 *   g:<disputeId>   "game" (our game to play) → done once resolved
 *   "cursor" (keyless): the last block whose events were taken in.
 * An "open" record is written before any transaction for it; before sending `openDispute`, the daemon looks for a
 * `DisputeOpened` of its own for the request since the record was written, so a crash anywhere neither opens a
 * dispute twice nor abandons one.
 *
 * The parts, each a plain function of the shared state (context.ts): intake.ts (commitments → "check" records),
 * checks.ts (recompute, "open" records), opening.ts (proveBatchLeaf, the bond, openDispute), games.ts (our games).
 * The daemon on top is a `Service` (daemons/kit/service.ts), like the node daemon: the kit runs the lifecycle
 * (start, tick, run, stop, close, health, credit claims), the daemon supplies its round.
 */
import type { PartyView } from "../../game/view";
import { InjectedCrash } from "../kit/common";
import { Service, type CreditHolder } from "../kit/service";
import type { Fields } from "../kit/log";
import { checkAll } from "./checks";
import { challengerContext, chainNow, viewOf, type ChallengerContext } from "./context";
import { playGames } from "./games";
import { scan } from "./intake";
import { openDisputes } from "./opening";
import type { ChallengerDaemonOptions } from "./options";

export { ChallengerDaemonError } from "./options";
export { InjectedCrash };
export type { ChallengerAddresses, ChallengerDaemonOptions, ChallengerHooks, ChallengerMetrics } from "./options";

/** The challenger daemon: its round on top of the kit's `Service` (start, tick, run, stop, health, credits). */
export class ChallengerDaemon extends Service<ChallengerContext> {
  constructor(readonly opts: ChallengerDaemonOptions) {
    super("challenger", challengerContext(opts), opts);
  }

  protected override startFields(): Fields {
    return { sample: this.ctx.sample, sampleSeed: this.ctx.sampleSeed };
  }

  /** One round: take in new commitments, check them, open the disputes owed, play our games. */
  protected async round(): Promise<void> {
    const ctx = this.ctx;
    await scan(ctx);
    await checkAll(ctx);
    const now = await chainNow(ctx);
    await openDisputes(ctx, now);
    await playGames(ctx, now);
  }

  /** Bonds returned and rewards, on both managers. */
  protected creditHolders(): readonly (readonly [string, CreditHolder])[] {
    return [
      ["disputes", this.ctx.disputes],
      ["inference", this.ctx.inference],
    ];
  }

  /** The honest view of request `requestId` (cached while it may be needed for a game). */
  async viewOf(requestId: bigint, versionId: bigint, input: string): Promise<PartyView> {
    return viewOf(this.ctx, requestId, versionId, input);
  }
}
