/**
 * The game enums under the names the players use: `Phase` and `Outcome` are IDisputeManager's, `GamePhase` and
 * `GameOutcome` IRedundantManager's. They are the generated ones (protocol/constants.ts, `npm run gen:constants`),
 * never a hand copy.
 */
export {
  DisputeOutcome as Outcome,
  DisputePhase as Phase,
  ProofPart,
  RedundantOutcome as GameOutcome,
  RedundantPhase as GamePhase,
  Resolution,
  StateRootsFault,
  TraceEnd,
} from "../protocol/constants";
