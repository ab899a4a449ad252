// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ProofPart, Resolution, StateRootsFault} from "../game/GameTypes.sol";
import {IBisectionGame} from "./IBisectionGame.sol";
import {IStepVerifier} from "./IStepVerifier.sol";

/// @title IDisputeManager
/// @notice The verification game. Anyone who believes a committed result is wrong opens a dispute inside the
/// challenge window, posting a bond, and the game narrows the disagreement down to one byte of one state, which the
/// one-step verifier (`IStepVerifier`) recomputes from the agreed pre-state and the registered weights. No human
/// arbitrator: the loser is whoever the arithmetic, or their own clock, says.
/// @dev The bisection, the chunk, the proof, the clocks and the credits are the one game both game contracts play
/// (`IBisectionGame`, implemented once by `BisectionGame`): here the node is player A and the challenger player B.
/// The game, move by move (the node makes the one claim, the challenger steers the search, as in Truebit/opML):
///  1. `openDispute` (challenger): names the commitment's outputHash and traceRoot (checked against the commitment),
///     posts the bond. The node is on the clock, unless an earlier game already revealed this commitment's roots.
///  2. `revealStateRoots` (node): all L + 1 state roots. They must hash to the traceRoot, the first must be the Merkle
///     root of the request's input bytes and the last that of the committed output bytes. Once per commitment:
///     later challengers reuse them (they are in the `StateRootsRevealed` event).
///  3. `selectStep` (challenger): a step k whose pre-state root it accepts and whose post-state root it disputes,
///     both proven against the traceRoot, with the layer's descriptor proven against the registered weightsRoot
///     (which fixes the post-state's length, hence the depth of its chunk tree).
///  4. `revealChildren` (node, IBisectionGame) / `chooseChild` (challenger), repeated: bisection down the node's
///     chunk tree of the disputed post-state to one chunk. A subtree lying wholly in the tree's padding is decided at
///     once.
///  5. `openChunk` (node, IBisectionGame): the 32 bytes of that chunk.
///  6. `proveStep` (challenger, IBisectionGame): one byte of the chunk, and the witness for the verifier. The
///     verifier's value against the node's byte decides the game.
/// The chess clocks are the game's (`IBisectionGame`), with this contract's `moveClock` and `clockExtension`; a
/// dispute has at most 4 + 2 × (tree depth + 1) moves, so it always ends.
/// Resolution pays with pull credits only: a node proven wrong is slashed through Staking (the collateral of the
/// commitment, of which `rewardPpm` goes to the challenger on top of its bond) and jailed, and the requester is
/// refunded by the inference manager; a challenger proven wrong forfeits its bond: `rewardPpm` of it to the node,
/// the rest to the treasury or the burn address (`IStaking.slashSink`), so that a node colluding with a sham
/// challenger to stall its own commitment pays for every stall. The bond should therefore cover at least
/// 1e6 / rewardPpm times the node's gas for a full game (docs/DISPUTES.md).
interface IDisputeManager is IBisectionGame {
    enum Phase {
        None,
        AwaitingRoots,
        AwaitingStep,
        AwaitingChildren,
        AwaitingChoice,
        AwaitingChunk,
        AwaitingProof,
        Resolved,
        AwaitingPassRoots,
        AwaitingPass
    }

    enum Outcome {
        None,
        NodeWrong,
        ChallengerWrong
    }

    struct Dispute {
        uint256 requestId;
        address node;
        address challenger;
        Phase phase;
        Outcome outcome;
        uint64 nodeClock;
        uint64 challengerClock;
        uint64 turnStartedAt;
        uint32 layerCount;
        /// @notice The registered output length (prod of the version's output shape): a revealed output must have it.
        uint32 outputLength;
        uint32 step;
        uint32 level;
        uint64 cursorIndex;
        uint64 outLength;
        uint256 bond;
        bytes32 traceRoot;
        bytes32 weightsRoot;
        bytes32 preStateRoot;
        bytes32 cursor;
        bytes32 left;
        bytes32 right;
        bytes32 chunk;
        /// @notice A dispute over a generation (docs/GENERATION.md §8): the game is played inside pass `pass`,
        /// whose trace root is `passRoot` (both 0 until the challenger selects the pass).
        bool generation;
        uint32 pass;
        bytes32 passRoot;
    }

    // -- Events --

    event DisputeOpened(
        uint256 indexed disputeId,
        uint256 indexed requestId,
        address indexed challenger,
        address node,
        uint256 bond
    );
    event StateRootsRevealed(uint256 indexed disputeId, uint256 indexed requestId, bytes32[] stateRoots);
    /// @notice The node revealed the trace roots of a generation's passes (once per commitment, like the state
    /// roots of an inference).
    event PassRootsRevealed(uint256 indexed disputeId, uint256 indexed requestId, bytes32[] passRoots);
    /// @notice The challenger disputes pass `pass` of a generation, whose trace root is `passRoot`.
    event PassSelected(uint256 indexed disputeId, uint32 pass, bytes32 passRoot);
    /// @notice The committed logits of pass `pass` choose `computed`, where the node generated `claimed`.
    event ChoiceProven(uint256 indexed disputeId, uint32 pass, uint8 claimed, uint8 computed);
    event StepSelected(uint256 indexed disputeId, uint32 step, bytes32 preStateRoot, bytes32 postStateRoot);
    event StepProven(uint256 indexed disputeId, uint256 element, int8 claimed, int8 computed);
    /// @notice Dispute `disputeId` over request `requestId`'s commitment is over; its credits are booked.
    /// @param disputeId The dispute.
    /// @param requestId The request whose commitment was disputed.
    /// @param outcome Who lost: NodeWrong or ChallengerWrong.
    /// @param reason Why: NodeTimedOut, ChallengerTimedOut, PaddingForged, PaddingDisputed,
    /// StepRecomputedDifferently or StepRecomputedIdentically.
    event DisputeResolved(uint256 indexed disputeId, uint256 indexed requestId, Outcome outcome, Resolution reason);
    event BondSet(uint256 bond);
    event MoveClockSet(uint64 moveClock);
    event ClockExtensionSet(uint64 clockExtension);
    event RewardPpmSet(uint32 rewardPpm);
    /// @notice The share of a commitment's collateral that the bond of a dispute over it is at least.
    event BondPpmSet(uint32 bondPpm);

    // -- Errors --

    error DisputeManagerZeroAddress();
    error DisputeManagerCommitmentMismatch(uint256 requestId);
    /// @notice The revealed state roots, input or output fail a check of `revealStateRoots`.
    /// @param disputeId The dispute.
    /// @param fault The first check that failed: Count, TraceRoot, InputHash, OutputCommitment, FirstRoot or
    /// LastRoot.
    error DisputeManagerBadStateRoots(uint256 disputeId, StateRootsFault fault);
    /// @notice The revealed output is `length` bytes long, the registered output `expected`.
    error DisputeManagerBadOutputLength(uint256 disputeId, uint256 length, uint256 expected);
    error DisputeManagerStepOutOfRange(uint32 step, uint32 layerCount);
    /// @notice `selectPass` names pass `pass` of a generation of `passes` passes.
    error DisputeManagerPassOutOfRange(uint32 pass, uint256 passes);
    /// @notice `proveChoice` in a dispute over a result that is not a generation.
    error DisputeManagerNotGeneration(uint256 disputeId);
    /// @notice The pass's committed logits do choose the node's byte `claimed`: there is no wrong choice to prove.
    error DisputeManagerChoiceHolds(uint256 disputeId, uint32 pass, uint8 claimed);
    /// @notice A trace proof given to `selectStep` does not lead to the trace root (the layer's witness is checked by
    /// the game: `BisectionGameBadLayer`, `BisectionGameStateTooLarge`).
    /// @param disputeId The dispute.
    /// @param part The proof that failed: PreState or PostState.
    error DisputeManagerBadProof(uint256 disputeId, ProofPart part);

    // -- The game --

    /// @notice Dispute the committed result of `requestId`, naming its outputHash and traceRoot (from the
    /// `ResultCommitted` event). Takes `bondFor(requestId)` tokens from the caller.
    /// @param requestId The request whose commitment is disputed.
    /// @param outputHash The committed output's hash (keccak256 of its bytes).
    /// @param traceRoot The committed trace root.
    /// @return disputeId The new dispute's id.
    function openDispute(uint256 requestId, bytes32 outputHash, bytes32 traceRoot) external returns (uint256 disputeId);

    /// @notice The node reveals its L + 1 state roots, with the request's input and the committed output bytes that
    /// anchor the first and the last.
    /// @param disputeId The dispute.
    /// In a dispute over a generation, this reveals the roots of the selected pass: they must hash to that pass's
    /// trace root, and the first must be the root of the pass's window (docs/GENERATION.md §3) over the request's
    /// prompt and the committed bytes before the pass; the last, the logits, is checked by `proveChoice`.
    /// @param stateRoots The L + 1 state roots S_0..S_L, whose tree must be the commitment's trace root (the
    /// selected pass's, in a generation).
    /// @param input The request's input bytes S_0 (their hash is the request's input hash); a generation's request
    /// record.
    /// @param output The committed output bytes S_L, of the registered output length; a generation's response
    /// record.
    function revealStateRoots(
        uint256 disputeId,
        bytes32[] calldata stateRoots,
        bytes calldata input,
        bytes calldata output
    ) external;

    /// @notice A dispute over a generation starts here (instead of `revealStateRoots`): the node reveals the trace
    /// roots of its passes, one per generated byte, with the request and response records. The response must answer
    /// the request as docs/GENERATION.md §5 and §7 say (a response that stops wrongly can never be revealed: its node
    /// runs out of time and loses). Once per commitment, like the state roots.
    /// @param disputeId The dispute, in AwaitingPassRoots.
    /// @param passRoots The n pass roots, whose tree must be the committed trace root (the generation root).
    /// @param input The request record (its hash is the request's input hash).
    /// @param output The response record, of the registered output length.
    function revealPassRoots(
        uint256 disputeId,
        bytes32[] calldata passRoots,
        bytes calldata input,
        bytes calldata output
    ) external;

    /// @notice The challenger picks the pass it disputes, the first whose trace root or chosen byte differs from its
    /// own. The node then reveals that pass's state roots (`revealStateRoots`), and the game goes on inside the pass.
    /// @param disputeId The dispute, in AwaitingPass.
    /// @param pass t, below the number of passes.
    /// @param passRoot The node's revealed trace root of pass t.
    /// @param proof Its proof as leaf t of the generation root.
    function selectPass(uint256 disputeId, uint32 pass, bytes32 passRoot, bytes32[] calldata proof) external;

    /// @notice Instead of selecting a step, the challenger proves that the selected pass's committed logits do not
    /// choose the byte the node generated at that pass (greedy or seeded sampling, docs/GENERATION.md §4, seeded by
    /// the request id; the rule and the byte were read from the records `revealStateRoots` checked). The node loses at
    /// once (ChoiceRecomputedDifferently). Reverts DisputeManagerChoiceHolds when the logits do choose the node's
    /// byte.
    /// @param disputeId The dispute, in AwaitingStep, over a generation.
    /// @param logits The pass's last state S_L: its 256 int8 logits.
    /// @param logitsProof The proof of their root as leaf L of the pass's trace root.
    function proveChoice(uint256 disputeId, bytes calldata logits, bytes32[] calldata logitsProof) external;

    /// @notice The challenger picks step `step`: it accepts state root `step` and disputes state root `step + 1`.
    /// @dev Reverts `BisectionGameStateTooLarge` if the descriptor's post-state exceeds MAX_STATE_BYTES.
    /// @param disputeId The dispute.
    /// @param step k < L: the disputed step S_k -> S_{k+1}.
    /// @param preStateRoot The root of S_k, which the challenger accepts.
    /// @param preProof Its proof as leaf k of the trace root.
    /// @param postStateRoot The root of S_{k+1}, which the challenger disputes.
    /// @param postProof Its proof as leaf k + 1 of the trace root.
    /// @param layer Layer k's witness: its descriptor (which fixes |S_{k+1}|), rows root and proof against the
    /// registered weights root.
    function selectStep(
        uint256 disputeId,
        uint32 step,
        bytes32 preStateRoot,
        bytes32[] calldata preProof,
        bytes32 postStateRoot,
        bytes32[] calldata postProof,
        IStepVerifier.LayerWitness calldata layer
    ) external;

    /// @notice The challenger descends into the child it disputes (`right` false: left child).
    /// @param disputeId The dispute.
    /// @param right True to descend into the right child.
    function chooseChild(uint256 disputeId, bool right) external;

    // -- Governance --

    /// @notice Governance: the minimum bond of a dispute.
    /// @param bond MIN_BOND ..= MAX_BOND tokens.
    function setBond(uint256 bond) external;

    /// @notice Governance: each side's total time for its moves in a new game (chess clock).
    /// @param moveClock MIN_MOVE_CLOCK ..= MAX_MOVE_CLOCK seconds.
    function setMoveClock(uint64 moveClock) external;

    /// @notice Governance: the time a side handed the move with less left is raised to.
    /// @param clockExtension MIN_CLOCK_EXTENSION ..= MAX_CLOCK_EXTENSION seconds.
    function setClockExtension(uint64 clockExtension) external;

    /// @notice Governance: the winner's share of a slash (a node proven wrong) or of a forfeited bond.
    /// @param rewardPpm At most MAX_REWARD_PPM (50%).
    function setRewardPpm(uint32 rewardPpm) external;

    /// @notice Governance: the bond of a dispute is at least `bondPpm` parts per million of the collateral it freezes.
    /// @param bondPpm At most MAX_BOND_PPM (100%).
    function setBondPpm(uint32 bondPpm) external;

    // -- Views --

    /// @notice A dispute's full state.
    /// @param disputeId The dispute (reverts `BisectionGameUnknownGame` for an unknown one).
    /// @return The dispute.
    function getDispute(uint256 disputeId) external view returns (Dispute memory);

    /// @notice The minimum bond of a dispute (`bondFor` scales it).
    /// @return The bond, in tokens.
    function bond() external view returns (uint256);

    /// @notice Each side's total time for its moves in a new game.
    /// @return The clock, in seconds.
    function moveClock() external view returns (uint64);

    /// @notice The time a side handed the move with less left is raised to.
    /// @return The extension, in seconds.
    function clockExtension() external view returns (uint64);

    /// @notice The winner's share of a slash or of a forfeited bond.
    /// @return The share, in parts per million.
    function rewardPpm() external view returns (uint32);

    /// @notice The share of the frozen collateral that a bond is at least, in parts per million.
    /// @return The share, in parts per million.
    function bondPpm() external view returns (uint32);

    /// @notice The bond `openDispute` takes for a dispute over request `requestId` now.
    /// @dev max(bond(), collateral x bondPpm / 1e6), doubled for each game a challenger lost on this commitment (at
    /// most MAX_BOND_DOUBLINGS times). Each delay costs a griefer more than the last: holding a commitment for g games
    /// costs at least (2^g - 1) x the first bond, of which `rewardPpm` compensates the node.
    /// @param requestId The request whose commitment would be disputed.
    /// @return The bond, in tokens.
    function bondFor(uint256 requestId) external view returns (uint256);

    /// @notice The number of games challengers have lost on request `requestId`'s commitment.
    /// @param requestId The request.
    /// @return The count, which doubles the next bond that many times.
    function challengerLosses(uint256 requestId) external view returns (uint256);

    /// @notice The number of disputes ever opened (the last dispute's id).
    /// @return The count.
    function disputeCount() external view returns (uint256);
}
