/**
 * The enums of the two game contracts, numbered as their interfaces number them: the one TypeScript copy of each,
 * for the players, the daemons and the tests. `Phase` and `Outcome` are IDisputeManager's; `GamePhase` and
 * `GameOutcome` are IRedundantManager's.
 */

/** IDisputeManager.Phase. */
export enum Phase {
  None,
  AwaitingRoots,
  AwaitingStep,
  AwaitingChildren,
  AwaitingChoice,
  AwaitingChunk,
  AwaitingProof,
  Resolved,
}

/** IDisputeManager.Outcome. */
export enum Outcome {
  None,
  NodeWrong,
  ChallengerWrong,
}

/** IRedundantManager.Phase. */
export enum GamePhase {
  None,
  AwaitingRootsA,
  AwaitingRootsB,
  AwaitingChildrenA,
  AwaitingChildrenB,
  AwaitingChunkA,
  AwaitingChunkB,
  AwaitingProof,
  Resolved,
}

/** IRedundantManager.Outcome. */
export enum GameOutcome {
  None,
  AWrong,
  BWrong,
  BothWrong,
}
