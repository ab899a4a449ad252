// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

// The reasons the two bisection games report, declared once for both: the DisputeManager (a challenger against a
// node's commitment, "dispute" below) and the RedundantManager (node A against node B, "refereed" below). Events and
// errors carry them as enums rather than strings: a word of log or revert data instead of a string's three or more,
// and a closed set that off-chain code can switch on. In the ABI each is a uint8 (internalType `enum <Name>`);
// protocol/constants.ts carries them to TypeScript (generated). Append new members at the end: the numbers of the
// existing ones are part of the ABI.

/// @notice How a game ended, as `IDisputeManager.DisputeResolved` and `IRedundantManager.GameResolved` report it:
/// their `outcome` says who lost, this says why. Each member names the game(s) that use it.
enum Resolution {
    /// Never emitted: the zero value, so that a decoded 0 is never mistaken for a reason.
    None,
    /// Dispute: the node's clock ran out on its move.
    NodeTimedOut,
    /// Dispute: the challenger's clock ran out on its move.
    ChallengerTimedOut,
    /// Refereed: node A's clock ran out on its move.
    PlayerATimedOut,
    /// Refereed: node B's clock ran out on its move.
    PlayerBTimedOut,
    /// Refereed: neither node proved the step before the later of the two clocks ran out (both lose).
    NobodyProved,
    /// Both: the bisection reached a subtree wholly inside the chunk tree's zero padding, and the losing node's value
    /// there (in a refereed game: the value of each losing node) is not the empty-subtree root.
    PaddingForged,
    /// Dispute: as PaddingForged, but the node's value is the empty-subtree root: the challenger disputed honest
    /// padding.
    PaddingDisputed,
    /// Dispute: the one-step verifier's byte differs from the node's (the node loses).
    StepRecomputedDifferently,
    /// Dispute: the one-step verifier's byte equals the node's (the challenger loses).
    StepRecomputedIdentically,
    /// Refereed: the one-step verifier's byte decided between the two nodes' bytes (the outcome says whose was
    /// wrong, or that both were).
    StepRecomputed
}

/// @notice Why a list of revealed state roots S_0..S_L was refused: the first check that failed
/// (`IDisputeManager.DisputeManagerBadStateRoots`, `IRedundantManager.RedundantManagerBadRoots`). Each member names
/// the game(s) that use it.
enum StateRootsFault {
    /// Both: not L + 1 roots.
    Count,
    /// Dispute: the roots do not hash to the committed trace root.
    TraceRoot,
    /// Refereed: the roots given as node A's (revealed by A, or echoed by B) do not hash to A's trace root.
    TraceRootOfA,
    /// Refereed: node B's roots do not hash to B's trace root.
    TraceRootOfB,
    /// Dispute: the input bytes do not hash to the request's input hash.
    InputHash,
    /// Dispute: the output bytes, with the trace root, do not hash to the commitment.
    OutputCommitment,
    /// Dispute: the first root is not the chunk root of the input bytes.
    FirstRoot,
    /// Dispute: the last root is not the chunk root of the output bytes.
    LastRoot,
    /// Refereed: B's roots equal A's at every index, so there is no step to dispute.
    Identical
}

/// @notice Which part of a step's witness failed its check when the disputed step was selected (dispute) or located
/// (refereed): `IDisputeManager.DisputeManagerBadProof` (the trace proofs), `IBisectionGame.BisectionGameBadLayer`
/// (the layer, in both games). Each member names the game(s) that use it.
enum ProofPart {
    /// Dispute: the pre-state root's proof as leaf k of the trace root.
    PreState,
    /// Dispute: the post-state root's proof as leaf k + 1 of the trace root.
    PostState,
    /// Both: the layer root's proof as leaf k of the registered weights root.
    Layer,
    /// Both: the layer descriptor, too short to hold its outLength word.
    Descriptor
}
