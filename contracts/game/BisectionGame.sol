// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {GameLib} from "./GameLib.sol";
import {ProofPart, Resolution} from "./GameTypes.sol";
import {IBisectionGame} from "../interfaces/IBisectionGame.sol";
import {IStepVerifier} from "../interfaces/IStepVerifier.sol";

/// @title BisectionGame
/// @notice The one bisection game of Verity, written once: the game state, the turns and chess clocks, the chunk-tree
/// bisection with its padding rule, the opened chunks, the one-step proof, the timeout, the bounds and the pull
/// credits. Its two users inherit it and add only what is theirs (as Optimism's `PermissionedDisputeGame is
/// FaultDisputeGame`): the DisputeManager (a challenger against a node's commitment) and the RedundantManager (node A
/// against node B, refereed). Each opens its games, fixes the disputed step its own way (the node's roots and the
/// challenger's selection, or both nodes' roots and the first index where they part), and settles a resolved game
/// (bonds, or redundant slots).
/// @dev How the two games differ in their moves is data, given by the `_phases()` hook: the phase numbers of
/// each contract's `Phase` enum for the bisection (player A's children, player B's answer to them, A's and B's chunk,
/// the proof). A game whose `childrenB` is 0 (the DisputeManager) has player B answer by choosing a child
/// (`_descend` from the user's own move); otherwise B reveals its own children and the first differing child is
/// followed. A game whose `chunkB` is 0 has only A open its chunk. What else differs is the virtual hooks: whose move
/// a phase is (`_moverOf`), the clock settings, the step's weights root, the check of the proven byte, the outcome
/// of a padding subtree and of a proof, the reason of a timeout, and the settlement (`_settle`). Storage is one
/// `GameState` per game id; each user keeps what only it needs beside it (its requests, a dispute's bond). The Merkle
/// code and the NodeRegistry calls stay in `GameLib` (linked), which keeps both users under the size limit.
abstract contract BisectionGame is IBisectionGame, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /// @notice The shortest a player's total clock may be set to.
    uint64 public constant MIN_MOVE_CLOCK = GameLib.MIN_MOVE_CLOCK;
    /// @notice The longest a player's total clock may be set to.
    uint64 public constant MAX_MOVE_CLOCK = GameLib.MAX_MOVE_CLOCK;
    /// @notice The smallest floor a player handed the move is raised to.
    uint64 public constant MIN_CLOCK_EXTENSION = GameLib.MIN_CLOCK_EXTENSION;
    /// @notice The largest floor a player handed the move is raised to.
    uint64 public constant MAX_CLOCK_EXTENSION = GameLib.MAX_CLOCK_EXTENSION;
    /// @notice Staking caps a slash reward at 50%, so a node gains nothing by losing a game to itself (a challenger
    /// or a second node of its own).
    uint32 public constant MAX_REWARD_PPM = GameLib.MAX_REWARD_PPM;
    /// @notice A state holds at most 2^24 bytes (program validation), i.e. 2^19 chunks: chunk trees are at most 19
    /// deep (`GameLib.MAX_TREE_DEPTH`).
    uint256 public constant MAX_TREE_DEPTH = GameLib.MAX_TREE_DEPTH;
    /// @notice The longest post-state a game descends into (2^MAX_TREE_DEPTH chunks of 32 bytes, the program
    /// validator's bound); a longer one is refused when the step is fixed, so that MAX_MOVES, hence
    /// `maxGameDuration()`, bounds every game (`GameLib.MAX_STATE_BYTES`).
    uint256 public constant MAX_STATE_BYTES = GameLib.MAX_STATE_BYTES;

    /// @dev The `Outcome` numbers both users' enums share (IBisectionGame).
    uint8 internal constant _A_WRONG = 1;
    uint8 internal constant _B_WRONG = 2;
    uint8 internal constant _BOTH_WRONG = 3;

    /// @dev Who may move in a phase: nobody (resolved), player A, player B, or either (a refereed proof).
    enum Mover {
        Nobody,
        A,
        B,
        Either
    }

    /// @dev One game, whoever plays it. A user reads its players as it names them (the node and the challenger, or
    /// nodes A and B) through its own getter. Packed for the moves: a move reads and writes the phase, the clocks and
    /// the turn's start in one slot, and reads the mover's address with the cursor (A) or the post-state's length (B).
    struct GameState {
        /// The user's request the game is about.
        uint256 requestId;
        /// The user's `Phase`, as a number (0: no such game).
        uint8 phase;
        /// The user's `Outcome`, as a number (_A_WRONG, _B_WRONG, _BOTH_WRONG; 0 until resolved).
        uint8 outcome;
        /// The RedundantManager's slots of the two players (unused by the DisputeManager).
        uint8 slotA;
        uint8 slotB;
        /// Each player's time left, and when the move was handed over.
        uint64 clockA;
        uint64 clockB;
        uint64 turnStartedAt;
        /// k, the disputed step S_k -> S_{k+1}, once fixed.
        uint32 step;
        address playerA;
        /// The cursor's level in the chunk tree of S_{k+1} (0: a leaf) and its index at that level.
        uint32 level;
        uint64 cursorIndex;
        address playerB;
        /// |S_{k+1}| in bytes.
        uint64 outLength;
        /// The DisputeManager's registered L (the RedundantManager keeps it in its request).
        uint32 layerCount;
        bytes32 preStateRoot;
        /// Each player's node of the chunk tree at the cursor (player B's only in a refereed game).
        bytes32 cursorA;
        bytes32 cursorB;
        /// The children player A revealed last.
        bytes32 leftA;
        bytes32 rightA;
        /// The chunks opened at the leaf (player B's only in a refereed game).
        bytes32 chunkA;
        bytes32 chunkB;
    }

    IERC20 public immutable token;
    IStepVerifier public immutable verifier;

    mapping(uint256 gameId => GameState game) internal _games;
    mapping(address account => uint256 amount) internal _credits;

    /// @param token_ The token of bonds, fees and credits.
    /// @param verifier_ The one-step verifier.
    constructor(IERC20 token_, IStepVerifier verifier_) {
        token = token_;
        verifier = verifier_;
    }

    // -- The bisection --

    /// @inheritdoc IBisectionGame
    function revealChildren(uint256 gameId, bytes32 left, bytes32 right) external {
        GameState storage g = _existing(gameId);
        (uint8 childrenA, uint8 answer, uint8 childrenB, , , , ) = _phases();
        // childrenB is 0 where B never reveals children, and no game's phase is 0.
        bool byB = g.phase == childrenB;
        _move(gameId, g, byB ? childrenB : childrenA);
        if (GameLib.parentOf(left, right) != (byB ? g.cursorB : g.cursorA)) revert BisectionGameBadChildren(gameId);
        emit ChildrenRevealed(gameId, msg.sender, g.level, left, right);
        if (!byB) {
            g.leftA = left;
            g.rightA = right;
            _handOver(g, answer);
            return;
        }
        // The parents differ, so at least one pair of children does: descend into the first.
        bool toRight = g.leftA == left;
        g.cursorB = toRight ? right : left;
        _descend(gameId, g, toRight);
    }

    /// @inheritdoc IBisectionGame
    function openChunk(uint256 gameId, bytes32 chunk) external {
        GameState storage g = _existing(gameId);
        (, , , uint8 chunkA, uint8 chunkB, uint8 proof, ) = _phases();
        // chunkB is 0 where B opens no chunk, and no game's phase is 0.
        bool byB = g.phase == chunkB;
        _move(gameId, g, byB ? chunkB : chunkA);
        if (GameLib.leafOf(chunk) != (byB ? g.cursorB : g.cursorA)) revert BisectionGameBadChunk(gameId);
        if (byB) g.chunkB = chunk;
        else g.chunkA = chunk;
        emit ChunkOpened(gameId, msg.sender, g.cursorIndex, chunk);
        _handOver(g, byB || chunkB == 0 ? proof : chunkB);
    }

    /// @inheritdoc IBisectionGame
    function proveStep(
        uint256 gameId,
        uint8 byteIndex,
        IStepVerifier.LayerWitness calldata layer,
        IStepVerifier.StateSlice calldata slice,
        IStepVerifier.WeightRow[] calldata rows
    ) external nonReentrant {
        (GameState storage g, IStepVerifier.StepClaim memory claim) = _beginProof(gameId, byteIndex);
        int8 computed = GameLib.compute(verifier, claim, g.outLength, layer, slice, rows);
        (uint8 outcome, Resolution reason) = _stepOutcome(gameId, g, byteIndex, claim.element, computed);
        _resolve(gameId, g, outcome, reason);
    }

    /// @inheritdoc IBisectionGame
    function proveStepSparse(
        uint256 gameId,
        uint8 byteIndex,
        IStepVerifier.LayerWitness calldata layer,
        IStepVerifier.SparseSlice calldata slice,
        IStepVerifier.WeightRow[] calldata rows
    ) external nonReentrant {
        (GameState storage g, IStepVerifier.StepClaim memory claim) = _beginProof(gameId, byteIndex);
        int8 computed = GameLib.computeSparse(verifier, claim, g.outLength, layer, slice, rows);
        (uint8 outcome, Resolution reason) = _stepOutcome(gameId, g, byteIndex, claim.element, computed);
        _resolve(gameId, g, outcome, reason);
    }

    /// @inheritdoc IBisectionGame
    function resolveTimeout(uint256 gameId) external nonReentrant {
        GameState storage g = _existing(gameId);
        Mover mover = _moverOf(g.phase);
        if (mover == Mover.Nobody) revert BisectionGameAlreadyResolved(gameId);
        uint256 expiresAt = _deadline(g, mover);
        if (block.timestamp <= expiresAt) revert BisectionGameClockRunning(gameId, expiresAt);
        uint8 outcome = mover == Mover.A ? _A_WRONG : (mover == Mover.B ? _B_WRONG : _BOTH_WRONG);
        _resolve(gameId, g, outcome, _timeoutReason(mover));
    }

    /// @inheritdoc IBisectionGame
    function claimCredits() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        if (amount == 0) revert BisectionGameNothingToClaim(msg.sender);
        _credits[msg.sender] = 0;
        token.safeTransfer(msg.sender, amount);
        emit CreditsClaimed(msg.sender, amount);
    }

    // -- Views --

    /// @inheritdoc IBisectionGame
    function onTheMove(uint256 gameId) external view returns (address) {
        GameState storage g = _existing(gameId);
        Mover mover = _moverOf(g.phase);
        if (mover == Mover.A) return g.playerA;
        return mover == Mover.B ? g.playerB : address(0);
    }

    /// @inheritdoc IBisectionGame
    function deadline(uint256 gameId) external view returns (uint256) {
        GameState storage g = _existing(gameId);
        Mover mover = _moverOf(g.phase);
        return mover == Mover.Nobody ? 0 : _deadline(g, mover);
    }

    /// @inheritdoc IBisectionGame
    function credits(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc IBisectionGame
    function maxGameDuration() external view returns (uint256) {
        return GameLib.maxDuration(_moveClock(), _clockExtension(), _maxMoves());
    }

    // -- Internal: for the users --

    /// @dev The game `gameId`, which must exist.
    function _existing(uint256 gameId) internal view returns (GameState storage g) {
        g = _games[gameId];
        if (g.phase == 0) revert BisectionGameUnknownGame(gameId);
    }

    /// @dev Checks the phase, the caller and the caller's clock, and charges the time it took to move.
    function _beginMove(uint256 gameId, uint8 expected) internal returns (GameState storage g) {
        g = _existing(gameId);
        _move(gameId, g, expected);
    }

    /// @dev The length of S_{step+1}, from layer `step`'s descriptor proven against the registered weights root
    /// (`GameLib.checkLayer`), refused above MAX_STATE_BYTES so that every game is bounded.
    function _layerOutLength(
        uint256 gameId,
        GameState storage g,
        uint32 step,
        IStepVerifier.LayerWitness calldata layer
    ) internal view returns (uint256 outLength) {
        (bytes32 weightsRoot, uint256 layerCount) = _stepTerms(gameId, g);
        uint8 check;
        (check, outLength) = GameLib.checkLayer(weightsRoot, layerCount, step, layer);
        if (check == GameLib.LAYER_BAD_PROOF) revert BisectionGameBadLayer(gameId, ProofPart.Layer);
        if (check == GameLib.LAYER_BAD_DESCRIPTOR) revert BisectionGameBadLayer(gameId, ProofPart.Descriptor);
        if (check == GameLib.LAYER_TOO_LARGE) revert BisectionGameStateTooLarge(gameId, outLength, MAX_STATE_BYTES);
    }

    /// @dev The step is fixed (step k, its agreed pre-state root, player A's root of S_{k+1}, |S_{k+1}|): the
    /// bisection starts at the root of the chunk tree (at once at its only leaf when S_{k+1} is one chunk).
    function _startBisection(
        GameState storage g,
        uint32 step,
        bytes32 preStateRoot,
        bytes32 postRootA,
        uint256 outLength
    ) internal {
        uint32 level = GameLib.rootLevel(outLength);
        g.step = step;
        g.preStateRoot = preStateRoot;
        g.cursorA = postRootA;
        g.level = level;
        g.outLength = uint64(outLength);
        _handOver(g, _bisectionPhase(level));
    }

    /// @dev Moves the cursor(s) to the left or right child (player B's cursor, if any, is set by the caller), and
    /// decides a subtree wholly in the padding at once.
    function _descend(uint256 gameId, GameState storage g, bool right) internal {
        (uint32 level, uint64 index) = GameLib.descend(g.level, g.cursorIndex, right);
        g.level = level;
        g.cursorIndex = index;
        g.cursorA = right ? g.rightA : g.leftA;
        emit ChildChosen(gameId, level, index);

        // A subtree wholly inside the padding of the chunk tree has a known value: decide now.
        if (GameLib.inPadding(level, index, g.outLength)) {
            (uint8 outcome, Resolution reason) = _paddingOutcome(g, GameLib.emptySubtree(level));
            _resolve(gameId, g, outcome, reason);
            return;
        }
        _handOver(g, _bisectionPhase(level));
    }

    /// @dev Hands the move over, raising the clock of whoever must move next to at least `clockExtension` (both
    /// players' when either may move).
    function _handOver(GameState storage g, uint8 next) internal {
        g.phase = next;
        g.turnStartedAt = uint64(block.timestamp);
        uint64 extension = _clockExtension();
        Mover mover = _moverOf(next);
        if (mover != Mover.B && GameLib.needsExtension(g.clockA, extension)) g.clockA = extension;
        if (mover != Mover.A && GameLib.needsExtension(g.clockB, extension)) g.clockB = extension;
    }

    /// @dev Resolves once (the phase becomes resolved first), then lets the user settle.
    function _resolve(uint256 gameId, GameState storage g, uint8 outcome, Resolution reason) internal {
        (, , , , , , uint8 resolved) = _phases();
        g.phase = resolved;
        g.outcome = outcome;
        _settle(gameId, g, outcome, reason);
    }

    function _checkBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max) internal pure {
        if (value < min || value > max) revert BisectionGameParameterOutOfBounds(parameter, value, min, max);
    }

    // -- Hooks: what the users define --

    /// @dev The phases of the user's `Phase` enum that the bisection moves through, as numbers (0: the game has no
    /// such phase): player A's children, player B's answer to them (a choice, or B's own children: then `childrenB` is
    /// that phase too), A's chunk, B's chunk, the proof, and the resolved game.
    function _phases()
        internal
        pure
        virtual
        returns (
            uint8 childrenA,
            uint8 answer,
            uint8 childrenB,
            uint8 chunkA,
            uint8 chunkB,
            uint8 proof,
            uint8 resolved
        );

    /// @dev Who moves in `phase` of the user's `Phase` enum (Nobody once resolved).
    function _moverOf(uint8 phase) internal pure virtual returns (Mover);

    /// @dev Each player's initial clock for a new game.
    function _moveClock() internal view virtual returns (uint64);

    /// @dev The floor a player handed the move is raised to.
    function _clockExtension() internal view virtual returns (uint64);

    /// @dev The most moves a game has.
    function _maxMoves() internal pure virtual returns (uint256);

    /// @dev The registered weights root and L of the game's model version.
    function _stepTerms(
        uint256 gameId,
        GameState storage g
    ) internal view virtual returns (bytes32 weightsRoot, uint256 layerCount);

    /// @dev Refuses a byte the user's rules do not let be proven (beyond byteIndex < 32).
    function _checkByte(uint256 gameId, GameState storage g, uint256 byteIndex) internal view virtual;

    /// @dev The outcome of the proof of byte `byteIndex` (element `element`), which the verifier computed as
    /// `computed`; emits the user's `StepProven`.
    function _stepOutcome(
        uint256 gameId,
        GameState storage g,
        uint256 byteIndex,
        uint256 element,
        int8 computed
    ) internal virtual returns (uint8 outcome, Resolution reason);

    /// @dev The outcome when the cursor reached a subtree wholly in the padding, whose honest value is `empty`.
    function _paddingOutcome(
        GameState storage g,
        bytes32 empty
    ) internal view virtual returns (uint8 outcome, Resolution reason);

    /// @dev Why the game ended when `mover` ran out of time.
    function _timeoutReason(Mover mover) internal pure virtual returns (Resolution);

    /// @dev Pays and slashes for a resolved game and emits the user's resolution event.
    function _settle(uint256 gameId, GameState storage g, uint8 outcome, Resolution reason) internal virtual;

    // -- Internal: turns and clocks --

    /// @dev The phase at the cursor `level`: A opens its chunk at a leaf, or reveals the cursor's children.
    function _bisectionPhase(uint32 level) private pure returns (uint8) {
        (uint8 childrenA, , , uint8 chunkA, , , ) = _phases();
        return level == 0 ? chunkA : childrenA;
    }

    /// @dev `_beginMove` on a game already read. When either player may move, no clock is charged: the move must
    /// come before the later of the two runs out.
    function _move(uint256 gameId, GameState storage g, uint8 expected) private {
        uint8 phase = g.phase;
        if (phase != expected) revert BisectionGameWrongPhase(gameId, expected, phase);
        Mover mover = _moverOf(expected);
        if (mover == Mover.Either) {
            if (msg.sender != g.playerA && msg.sender != g.playerB) revert BisectionGameNotYourTurn(gameId, msg.sender);
            if (block.timestamp > _deadline(g, mover)) revert BisectionGameClockExpired(gameId);
            return;
        }
        bool a = mover == Mover.A;
        if (msg.sender != (a ? g.playerA : g.playerB)) revert BisectionGameNotYourTurn(gameId, msg.sender);
        (uint64 left, bool expired) = GameLib.charge(a ? g.clockA : g.clockB, g.turnStartedAt);
        if (expired) revert BisectionGameClockExpired(gameId);
        if (a) g.clockA = left;
        else g.clockB = left;
    }

    /// @dev When `mover` (of the game's current phase) runs out of time; for Either, the later of the two clocks.
    function _deadline(GameState storage g, Mover mover) private view returns (uint256) {
        uint64 clock;
        if (mover == Mover.A) clock = g.clockA;
        else if (mover == Mover.B) clock = g.clockB;
        else clock = g.clockA > g.clockB ? g.clockA : g.clockB;
        return GameLib.deadline(g.turnStartedAt, clock);
    }

    /// @dev The proof's checks (the phase, the prover, its clock, the byte) and its claim for the verifier.
    function _beginProof(
        uint256 gameId,
        uint8 byteIndex
    ) private returns (GameState storage g, IStepVerifier.StepClaim memory claim) {
        (, , , , , uint8 proof, ) = _phases();
        g = _beginMove(gameId, proof);
        if (byteIndex >= 32) revert BisectionGameByteOutOfRange(byteIndex);
        _checkByte(gameId, g, byteIndex);
        (bytes32 weightsRoot, uint256 layerCount) = _stepTerms(gameId, g);
        claim = GameLib.claimOf(weightsRoot, layerCount, g.step, g.preStateRoot, g.cursorIndex, byteIndex);
    }
}
