// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ProofPart} from "../game/GameTypes.sol";
import {IStepVerifier} from "./IStepVerifier.sol";

/// @title IBisectionGame
/// @notice The one bisection game of Verity, as both of its contracts expose it: the DisputeManager (a challenger
/// against a node's commitment) and the RedundantManager (node A against node B, refereed). Both narrow a
/// disagreement over a committed integer trace down to one step, then down the chunk tree of that step's post-state
/// to one chunk and one byte of it, which the one-step verifier (`IStepVerifier`) recomputes from the agreed pre-state
/// and the registered weights. This interface is the part of their ABI that is the same move for move: the chunk-tree
/// bisection, the opened chunk, the proof, the chess clocks and the pull credits. Implemented once, by the abstract
/// `BisectionGame` (contracts/game/BisectionGame.sol); IDisputeManager and IRedundantManager extend it with what each
/// game adds (how a game is opened and its step fixed, what a resolution pays and slashes).
/// @dev The two players. Player A is the side that claims first: the DisputeManager's node, the RedundantManager's
/// node A. Player B answers: the DisputeManager's challenger, the RedundantManager's node B. A game's phase (each
/// contract's `Phase` enum, an uint8 here) says whose move it is; in a RedundantManager game either player may prove.
/// Chess clocks: each player has `moveClock` seconds in total for its moves; a player whose clock runs out loses
/// (`resolveTimeout`, callable by anyone), and a player handed the move with less than `clockExtension` left gets
/// `clockExtension` (both players when either may move). The number of moves is bounded (each contract's
/// MAX_MOVES), so every game ends within `maxGameDuration()`. Each contract's `Outcome` enum numbers its members the
/// same way: 1 is "player A was wrong" (NodeWrong, AWrong), 2 "player B was wrong" (ChallengerWrong, BWrong), 3 "both
/// were" (BothWrong, RedundantManager only).
interface IBisectionGame {
    // -- Events --

    /// @notice `player` revealed the two children of its cursor at `level` (the cursor is one level above them).
    /// @param gameId The game (a dispute id for the DisputeManager).
    /// @param player The player who revealed them.
    /// @param level The cursor's level.
    /// @param left The left child.
    /// @param right The right child.
    event ChildrenRevealed(uint256 indexed gameId, address indexed player, uint32 level, bytes32 left, bytes32 right);

    /// @notice The bisection descended: the cursor is now node `index` of level `level` of the chunk tree.
    /// @param gameId The game.
    /// @param level The new cursor's level (0: a leaf).
    /// @param index The new cursor's index within its level.
    event ChildChosen(uint256 indexed gameId, uint32 level, uint64 index);

    /// @notice `player` opened its leaf `chunkIndex` of the post-state's chunk tree.
    /// @param gameId The game.
    /// @param player The player who opened it.
    /// @param chunkIndex The leaf's index.
    /// @param chunk The 32 bytes of the chunk.
    event ChunkOpened(uint256 indexed gameId, address indexed player, uint64 chunkIndex, bytes32 chunk);

    /// @notice `account` withdrew `amount` tokens of credits.
    /// @param account The account.
    /// @param amount The tokens transferred.
    event CreditsClaimed(address indexed account, uint256 amount);

    // -- Errors --

    /// @notice No game `gameId` was ever opened.
    error BisectionGameUnknownGame(uint256 gameId);
    /// @notice The move needs phase `expected`; game `gameId` is in phase `actual` (each contract's `Phase`).
    error BisectionGameWrongPhase(uint256 gameId, uint8 expected, uint8 actual);
    /// @notice Game `gameId` is over.
    error BisectionGameAlreadyResolved(uint256 gameId);
    /// @notice `caller` is not the player on the move in game `gameId`.
    error BisectionGameNotYourTurn(uint256 gameId, address caller);
    /// @notice The mover's clock in game `gameId` has run out: the move is refused (`resolveTimeout` ends the game).
    error BisectionGameClockExpired(uint256 gameId);
    /// @notice The clock of the player on the move in game `gameId` runs until `expiresAt`.
    error BisectionGameClockRunning(uint256 gameId, uint256 expiresAt);
    /// @notice The witness of the disputed step's layer, given when the step is fixed (`selectStep`,
    /// `revealRootsAndLocate`), fails a check.
    /// @param gameId The game.
    /// @param part Layer (not leaf k of the registered weights root) or Descriptor (too short for its outLength word).
    error BisectionGameBadLayer(uint256 gameId, ProofPart part);
    /// @notice The layer's descriptor claims a post-state of `length` bytes, more than any valid program has (`max`,
    /// MAX_STATE_BYTES): its chunk tree would be deeper than MAX_TREE_DEPTH and the game could outlast
    /// `maxGameDuration()`.
    error BisectionGameStateTooLarge(uint256 gameId, uint256 length, uint256 max);
    /// @notice The revealed children do not hash to the player's cursor.
    error BisectionGameBadChildren(uint256 gameId);
    /// @notice The opened chunk does not hash to the player's leaf.
    error BisectionGameBadChunk(uint256 gameId);
    /// @notice A chunk has 32 bytes: `byteIndex` is not one of them.
    error BisectionGameByteOutOfRange(uint256 byteIndex);
    /// @notice `account` has no credits.
    error BisectionGameNothingToClaim(address account);
    /// @notice Governance: `parameter` = `value` is outside [`min`, `max`].
    error BisectionGameParameterOutOfBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max);

    // -- The bisection --

    /// @notice The player on the move reveals the two children of its cursor in the chunk tree. In a dispute the node
    /// reveals and the challenger then chooses a child (`IDisputeManager.chooseChild`); in a refereed game both nodes
    /// reveal, A then B, and the contract descends into the first child where they differ (left before right). A
    /// child lying wholly in the tree's zero padding is decided at once.
    /// @param gameId The game.
    /// @param left The left child (keccak256(left ‖ right) must be the player's cursor).
    /// @param right The right child.
    function revealChildren(uint256 gameId, bytes32 left, bytes32 right) external;

    /// @notice The player on the move opens its leaf of the post-state (a 32-byte chunk): the node in a dispute, A
    /// then B in a refereed game.
    /// @param gameId The game.
    /// @param chunk The 32 bytes of the chunk (keccak256(chunk) must be the player's leaf).
    function openChunk(uint256 gameId, bytes32 chunk) external;

    /// @notice The last move: byte `byteIndex` of the opened chunk and the verifier's witness for it. Decides the
    /// game. In a dispute the challenger proves the byte it disputes; in a refereed game either node proves, within the
    /// later of the two clocks, and `byteIndex` must be the first byte where the two opened chunks differ
    /// (`IRedundantManager.RedundantManagerNotFirstDifference` otherwise). A byte past the state's end is checked
    /// against 0, without the verifier.
    /// @param gameId The game.
    /// @param byteIndex The byte of the opened chunk (< 32).
    /// @param layer Layer k's witness.
    /// @param slice A contiguous run of S_k's chunks, range-proven against the agreed pre-state root.
    /// @param rows The weight rows the element needs.
    function proveStep(
        uint256 gameId,
        uint8 byteIndex,
        IStepVerifier.LayerWitness calldata layer,
        IStepVerifier.StateSlice calldata slice,
        IStepVerifier.WeightRow[] calldata rows
    ) external;

    /// @notice `proveStep` with a sparse slice (any set of chunks of S_k and their multiproof), for elements whose
    /// inputs are spread thinly over a large state (a wide convolution): cheaper than one contiguous run.
    /// @param gameId The game.
    /// @param byteIndex The byte of the opened chunk (< 32).
    /// @param layer Layer k's witness.
    /// @param slice Any chunks of S_k, multiproven against the agreed pre-state root.
    /// @param rows The weight rows the element needs.
    function proveStepSparse(
        uint256 gameId,
        uint8 byteIndex,
        IStepVerifier.LayerWitness calldata layer,
        IStepVerifier.SparseSlice calldata slice,
        IStepVerifier.WeightRow[] calldata rows
    ) external;

    /// @notice End a game whose player on the move has run out of clock: that player loses (when either player may
    /// move, both lose). Anyone may call.
    /// @param gameId The game.
    function resolveTimeout(uint256 gameId) external;

    /// @notice Withdraw the caller's credits (bonds, fees, refunds, rewards).
    /// @return amount The tokens transferred to the caller.
    function claimCredits() external returns (uint256 amount);

    // -- Views --

    /// @notice The player that must move next: address(0) once resolved, and when either player may move.
    /// @param gameId The game (reverts `BisectionGameUnknownGame` for an unknown one).
    /// @return Player A or player B, or address(0).
    function onTheMove(uint256 gameId) external view returns (address);

    /// @notice When the player on the move (when either may move: the later of the two) runs out of time.
    /// @param gameId The game (reverts `BisectionGameUnknownGame` for an unknown one).
    /// @return The last second a move is accepted, or 0 once resolved.
    function deadline(uint256 gameId) external view returns (uint256);

    /// @notice What `account` can withdraw with `claimCredits`.
    /// @param account The account.
    /// @return The credits, in tokens.
    function credits(address account) external view returns (uint256);

    /// @notice The longest one game can last: both clocks plus an extension for every possible move
    /// (2 x moveClock + MAX_MOVES x clockExtension). Holds for every game, since no chunk tree is deeper than
    /// MAX_TREE_DEPTH.
    /// @return The bound, in seconds.
    function maxGameDuration() external view returns (uint256);
}
