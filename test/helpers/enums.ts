/**
 * TypeScript mirrors of the Solidity enums that the games' events and errors carry (in the ABI each is a uint8), so
 * that tests name a reason rather than a bare number. They mirror contracts/game/GameTypes.sol and
 * `IRedundantManager.TraceEnd` member for member, in the same order: a member added there must be added here.
 * (For now written by hand; a later change generates them from the ABI.)
 */

/** contracts/game/GameTypes.sol `Resolution`: why a game ended (`DisputeResolved.reason`, `GameResolved.reason`). */
export enum Resolution {
  None,
  NodeTimedOut,
  ChallengerTimedOut,
  PlayerATimedOut,
  PlayerBTimedOut,
  NobodyProved,
  PaddingForged,
  PaddingDisputed,
  StepRecomputedDifferently,
  StepRecomputedIdentically,
  StepRecomputed,
}

/** contracts/game/GameTypes.sol `StateRootsFault` (`DisputeManagerBadStateRoots`, `RedundantManagerBadRoots`). */
export enum StateRootsFault {
  Count,
  TraceRoot,
  TraceRootOfA,
  TraceRootOfB,
  InputHash,
  OutputCommitment,
  FirstRoot,
  LastRoot,
  Identical,
}

/** contracts/game/GameTypes.sol `ProofPart` (`DisputeManagerBadProof`, `RedundantManagerBadProof`). */
export enum ProofPart {
  PreState,
  PostState,
  Layer,
  Descriptor,
  OutLength,
}

/** `IRedundantManager.TraceEnd` (`RedundantManagerBadLength`, `RedundantManagerBadAnchor`). */
export enum TraceEnd {
  Input,
  Output,
}
