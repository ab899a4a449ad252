/**
 * The node daemon (`verity node serve`): serves the requests of the model versions its node is registered for,
 * commits their results (in batches under load), settles them after the challenge window, claims its credits, and
 * answers every dispute against it with the game library. Tests drive it tick by tick with `tick()`; `run()` loops.
 *
 * Everything it promises goes through the journal first (see journal.ts), keyed so that a restart can reconcile:
 *   r:<requestId>  "request" (to serve; carries the input), "claim" (to claim, or waiting out another node's claim
 *                  until its serve deadline), "commit" (commit announced, with output and trace root)
 *                                                                  → done once committed, batched or dropped
 *   b:<firstId>:<n> "batch" (commitBatch announced, with its leaves) → done once mined (or found mined)
 *   s:r:<id>, s:b:<batchId>  "settle" (finalize / finalizeBatch owed after the window) → done once settled
 *   d:<disputeId>  "dispute" (a game against us to play)            → done once resolved
 *   "cursor" (keyless): the last block whose events were taken in.
 * On start, and on every tick for anything still open, an announced action is checked against the chain before it
 * is (re)sent: a commit is re-sent only while the request is still Assigned to us, so nothing is committed twice and
 * nothing announced is lost.
 *
 * The parts, each a plain function of the shared state (context.ts): intake.ts (events → records), serving.ts
 * (execute and commit), batching.ts (commitBatch), settlement.ts (finalize), reconcile.ts (announced actions
 * against the chain), disputes.ts (the games against us), redundant.ts (redundant requests and their games),
 * views.ts (executions, by the injectable `viewProvider`; generations, by the injectable `generationProvider`). The daemon on top is a `Service`
 * (daemons/kit/service.ts), like the challenger: the kit runs the lifecycle (start, tick, run, stop, close, health,
 * credit claims), the daemon supplies its round. Parts as functions of one context, not objects holding the
 * daemon: the imports point one way (daemon → parts → context → options → kit), and a test or tool can drive one
 * part without a daemon.
 */
import type { PartyView } from "../../game/view";
import { InjectedCrash } from "../kit/common";
import { Service, type CreditHolder } from "../kit/service";
import { NodeDaemonError, nodeContext, type NodeContext } from "./context";
import { playDisputes } from "./disputes";
import { refreshVersions, scan } from "./intake";
import type { NodeDaemonOptions } from "./options";
import { reconcile } from "./reconcile";
import { playGames, serveRedundant } from "./redundant";
import { serve } from "./serving";
import { settle } from "./settlement";
import { viewOf } from "./views";

export { InjectedCrash, NodeDaemonError };
export type {
  GenerationProvider,
  GenerationViewRequest,
  NodeAddresses,
  NodeDaemonOptions,
  NodeHooks,
  NodeMetrics,
  RequestKind,
  ViewProvider,
  ViewRequest,
} from "./options";
export { insufficientStake } from "./batching";

/** The node daemon: its round on top of the kit's `Service` (start, tick, run, stop, health, credits). */
export class NodeDaemon extends Service<NodeContext> {
  constructor(readonly opts: NodeDaemonOptions) {
    super("node", nodeContext(opts), opts);
  }

  /** Reconciles every open promise of the journal with the chain before the first round. */
  protected override async started(): Promise<void> {
    await reconcile(this.ctx);
  }

  /** One round: take in new events, claim, execute and commit, settle, play disputes and games. */
  protected async round(): Promise<void> {
    const ctx = this.ctx;
    await refreshVersions(ctx);
    await scan(ctx);
    await reconcile(ctx);
    // Disputes first (their clocks are the only hard deadlines), then settlements (which free stake for new
    // collateral), then new commitments.
    await playDisputes(ctx);
    await playGames(ctx);
    await settle(ctx);
    await serve(ctx);
    await serveRedundant(ctx);
  }

  /** Fees, dispute and game winnings, on every manager. */
  protected creditHolders(): readonly (readonly [string, CreditHolder])[] {
    const { inference, disputes, redundant } = this.ctx;
    return [
      ["inference", inference],
      ["disputes", disputes],
      ...(redundant ? [["redundant", redundant] as const] : []),
    ];
  }

  /** This node's view of InferenceManager request `requestId` (from its `viewProvider`, cached). */
  async viewOf(requestId: bigint, versionId: bigint, input: string): Promise<PartyView> {
    return viewOf(this.ctx, requestId, versionId, input);
  }
}
