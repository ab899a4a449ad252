// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ProofPart, Resolution, StateRootsFault} from "../game/GameTypes.sol";
import {IBisectionGame} from "./IBisectionGame.sol";
import {IStepVerifier} from "./IStepVerifier.sol";

/// @title IRedundantManager
/// @notice Redundant requests (Verde-style refereed delegation): a requester names k >= 2 distinct nodes and asks
/// them for the same inference. When every answer agrees, the result is final at once. When two answers differ, the
/// contract itself opens a refereed game between the two nodes, with no outside challenger: each node's locked
/// collateral backs its own claim. The game bisects between the two traces down to the first step where they part,
/// then down the two chunk trees of that step's post-state to one byte, which the one-step verifier
/// (`IStepVerifier`) recomputes from the agreed pre-state and the registered weights. Whichever node's byte is right
/// wins; a node that stops playing loses on time.
/// @dev Lifecycle of a request (docs/REDUNDANT.md):
///  1. `request(versionId, input, feePerNode, nodes)` names the k = nodes.length nodes (distinct, each eligible in
///     the NodeRegistry for the version) and escrows k x feePerNode from the requester. Slot i belongs to nodes[i].
///  2. Each named node may `commit(requestId, output, traceRoot, inputProof, outputProof)` to its own slot, once,
///     before the commit deadline, locking feePerNode x collateralMultiplier of its stake; nobody else can take a
///     slot. A commitment is anchored when it is made: leaf 0 of its trace root is the root of the request's input
///     and leaf L the root of its output, so that any two commitments with different outputs part at some step with
///     an agreed pre-state.
///  3. Survivors (committed nodes not yet proven wrong) with different output hashes are paired, one game at a time
///     per request (first two by slot order). A game eliminates its loser, or both nodes when neither byte is right.
///  4. Once every slot is filled (or the deadline has passed and `close` was called) and the survivors all agree,
///     the request is final with their output: each survivor is credited its fee and its collateral is released.
///     With no survivor the request is rejected. A request that reaches its deadline with fewer than 2 commitments
///     expires: a lone committer is paid its fee and released (it did its part; the missing node is not its fault),
///     every other fee is refunded.
/// The refereed game is the one game of `IBisectionGame` (implemented once by `BisectionGame`), node A as player A
/// and node B as player B: A reveals its roots, B reveals its own and locates the step (`revealRootsAndLocate`), both
/// reveal children at every level (`revealChildren`) and the first differing child is followed, both open their
/// chunk (`openChunk`), and either proves the first byte where the chunks differ (`proveStep`).
/// A request for a generation version (docs/GENERATION.md §9) is refereed one level higher first: its commitments are
/// response records with generation roots (over the passes' trace roots), not anchored at commit. A reveals its pass
/// roots with the request and response records (`revealPassRoots`); B reveals its own, echoes A's, and the contract
/// finds the first pass where the bytes or the pass roots part (`revealPassRootsAndLocate`). If the two pass roots
/// there are equal, the logits are agreed and either node proves which byte they choose (`proveChoice`); otherwise A
/// reveals the pass's state roots, S_0 checked against the pass's input window (`revealPassStates`), and the game
/// goes on inside the pass as above from `revealRootsAndLocate`.
/// Trust assumption: the requester chooses the nodes, so the guarantee "one honest node among the k suffices" holds
/// for the nodes it names. Slots are never first-come-first-served: an operator with many addresses cannot capture a
/// request, nor front-run an honest node's commit into a slot. A requester that names k addresses of one dishonest
/// operator can be given a wrong result, unanimously and at once; only the requester pays for that choice.
/// Payouts are pull credits (`claimCredits`). A game's winner is credited the loser's fee plus `rewardPpm` of the
/// loser's slashed collateral (on top of its own fee, paid when the request settles); when both nodes are wrong,
/// both are slashed without reward and both fees go back to the requester. A loser is jailed in the NodeRegistry.
interface IRedundantManager is IBisectionGame {
    enum RequestStatus {
        None,
        Open,
        Finalized,
        Rejected,
        Expired
    }

    /// @notice Named: the slot's node has not committed (yet).
    enum SlotStatus {
        Named,
        Committed,
        Eliminated,
        Paid
    }

    /// @notice Who moves: A in the *A phases, B in the *B phases, either player in AwaitingProof and AwaitingChoice.
    /// A game over a generation starts at AwaitingPassRootsA; any other at AwaitingRootsA.
    enum Phase {
        None,
        AwaitingRootsA,
        AwaitingRootsB,
        AwaitingChildrenA,
        AwaitingChildrenB,
        AwaitingChunkA,
        AwaitingChunkB,
        AwaitingProof,
        Resolved,
        /// A generation: A reveals its pass roots.
        AwaitingPassRootsA,
        /// A generation: B reveals its pass roots and locates the pass.
        AwaitingPassRootsB,
        /// A generation: A reveals the state roots of the located pass (then B locates the step: AwaitingRootsB).
        AwaitingPassStatesA,
        /// A generation whose pass roots agree where the bytes part: either node proves the logits' choice.
        AwaitingChoice
    }

    enum Outcome {
        None,
        AWrong,
        BWrong,
        BothWrong
    }

    /// @notice An end of a trace: S_0, the request's input, or S_L, a node's output.
    enum TraceEnd {
        /// S_0, the request's input.
        Input,
        /// S_L, the output a node commits.
        Output
    }

    /// @notice Governance parameters, each bounded (see the MIN_/MAX_ constants of the implementation).
    /// @param maxNodes The largest k a request may ask for (2 ..= MAX_NODES).
    /// @param collateralMultiplier A commitment locks feePerNode x collateralMultiplier of the node's stake.
    /// @param commitTimeout Seconds from the request during which nodes may commit.
    /// @param moveClock Seconds each player has for all its moves in one game (chess clock).
    /// @param clockExtension A player handed the move with less than this left gets this much.
    /// @param rewardPpm The winner's share of the loser's slashed collateral (<= 50%, Staking's cap).
    struct Params {
        uint8 maxNodes;
        uint32 collateralMultiplier;
        uint64 commitTimeout;
        uint64 moveClock;
        uint64 clockExtension;
        uint32 rewardPpm;
    }

    struct Request {
        address requester;
        RequestStatus status;
        uint8 k;
        uint8 committed;
        bool closed;
        uint64 commitDeadline;
        uint32 layerCount;
        uint32 outputLength;
        /// @dev The version generates text: the input is a request record, the output a response record, and a
        /// trace root is the generation root over the passes' trace roots (docs/GENERATION.md §6).
        bool generation;
        uint256 versionId;
        uint256 feePerNode;
        uint256 collateral;
        /// @dev Fees still held for this request (k x feePerNode minus what was credited or refunded).
        uint256 escrow;
        uint256 activeGame;
        /// @dev The chunk root of the input S0 (the input bytes themselves are in `RedundantRequested`).
        bytes32 inputRoot;
        bytes32 weightsRoot;
        bytes32 resultHash;
    }

    struct Slot {
        address node;
        SlotStatus status;
        bytes32 outputHash;
        bytes32 traceRoot;
    }

    /// @notice A node's generation as its game reveals it: the trace roots of its passes and its response record.
    struct Generation {
        bytes32[] passRoots;
        bytes output;
    }

    /// @notice A game over a generation, once its pass is located: the pass, the request's rule byte, the two nodes'
    /// bytes and pass roots there.
    struct PassTerms {
        uint32 pass;
        uint8 rule;
        uint8 byteA;
        uint8 byteB;
        bytes32 rootA;
        bytes32 rootB;
    }

    struct Game {
        uint256 requestId;
        address nodeA;
        address nodeB;
        uint8 slotA;
        uint8 slotB;
        Phase phase;
        Outcome outcome;
        uint64 clockA;
        uint64 clockB;
        uint64 turnStartedAt;
        uint32 step;
        uint32 level;
        uint64 cursorIndex;
        uint64 outLength;
        bytes32 preStateRoot;
        bytes32 cursorA;
        bytes32 cursorB;
        bytes32 leftA;
        bytes32 rightA;
        bytes32 chunkA;
        bytes32 chunkB;
        /// @dev A generation: the pass the game is played in, once located (`PassLocated`); 0 before (the phase tells
        /// whether it is located: after AwaitingPassRootsB).
        uint32 pass;
    }

    // -- Events --

    event RedundantRequested(
        uint256 indexed requestId,
        address indexed requester,
        uint256 indexed versionId,
        bytes input,
        uint256 feePerNode,
        address[] nodes,
        uint64 commitDeadline
    );
    event RedundantCommitted(
        uint256 indexed requestId,
        address indexed node,
        uint8 slot,
        bytes output,
        bytes32 outputHash,
        bytes32 traceRoot
    );
    event RedundantFinalized(uint256 indexed requestId, bytes32 outputHash, uint8 survivors);
    event RedundantRejected(uint256 indexed requestId);
    event RedundantExpired(uint256 indexed requestId, uint8 committed, uint256 refunded);
    event RedundantClosed(uint256 indexed requestId, uint8 committed, uint256 refunded);
    event GameOpened(uint256 indexed gameId, uint256 indexed requestId, address indexed nodeA, address nodeB);
    event RootsRevealed(uint256 indexed gameId, address indexed node, bytes32[] stateRoots);
    event StepLocated(uint256 indexed gameId, uint32 step, bytes32 preStateRoot, bytes32 postRootA, bytes32 postRootB);
    event StepProven(uint256 indexed gameId, uint256 element, int8 byteA, int8 byteB, int8 computed);
    /// @notice A node revealed the trace roots of its passes (a game over a generation).
    event PassRootsRevealed(uint256 indexed gameId, address indexed node, bytes32[] passRoots);
    /// @notice The first pass where the two generations part: the two nodes' pass roots and bytes there.
    event PassLocated(
        uint256 indexed gameId,
        uint32 pass,
        bytes32 passRootA,
        bytes32 passRootB,
        uint8 byteA,
        uint8 byteB
    );
    /// @notice The agreed logits of `pass` choose `computed`; A generated `byteA` and B `byteB` there.
    event ChoiceProven(uint256 indexed gameId, uint32 pass, uint8 byteA, uint8 byteB, uint8 computed);
    /// @notice Game `gameId` of request `requestId` is over; its loser(s) are eliminated next (`NodeEliminated`).
    /// @param gameId The game.
    /// @param requestId The request the game was played for.
    /// @param outcome Who lost: AWrong, BWrong or BothWrong.
    /// @param reason Why: PlayerATimedOut, PlayerBTimedOut, NobodyProved, PaddingForged or StepRecomputed.
    event GameResolved(uint256 indexed gameId, uint256 indexed requestId, Outcome outcome, Resolution reason);
    event NodeEliminated(uint256 indexed requestId, address indexed node, uint256 slashed, uint256 reward);
    event ParametersSet(Params params);

    // -- Errors --

    error RedundantManagerZeroAddress();
    error RedundantManagerBadNodeCount(uint256 k, uint256 maxNodes);
    error RedundantManagerFeeTooLow(uint256 fee, uint256 minimum);
    error RedundantManagerVersionNotActive(uint256 versionId);
    /// @notice Version `versionId` does not support OPTIMISTIC (the refereed game is the optimistic one).
    error RedundantManagerModeNotSupported(uint256 versionId);
    /// @notice The input of a request, or the output of a commitment, is `length` bytes long instead of the
    /// registered `expected`.
    /// @param what Input (at `request`) or Output (at `commit`).
    /// @param length The length given.
    /// @param expected The registered length (prod of the version's input or output shape).
    error RedundantManagerBadLength(TraceEnd what, uint256 length, uint256 expected);
    error RedundantManagerUnknownRequest(uint256 requestId);
    error RedundantManagerNotOpen(uint256 requestId, RequestStatus status);
    error RedundantManagerCommitClosed(uint256 requestId, uint256 commitDeadline);
    error RedundantManagerNotEligible(address node, uint256 versionId);
    error RedundantManagerDuplicateNode(address node);
    error RedundantManagerNotNamed(uint256 requestId, address caller);
    error RedundantManagerAlreadyCommitted(uint256 requestId, address node);
    /// @notice A commitment's trace root does not hold the anchor `what` at its end: the input's root as leaf 0, or
    /// the output's root as leaf L.
    /// @param requestId The request committed to.
    /// @param what The anchor whose proof failed: Input or Output.
    error RedundantManagerBadAnchor(uint256 requestId, TraceEnd what);
    error RedundantManagerDeadlineNotPassed(uint256 requestId, uint256 commitDeadline);
    error RedundantManagerAllSlotsFilled(uint256 requestId);
    /// @notice `proveStep` was given byte `byteIndex`, but the first byte where the two opened chunks differ is
    /// `first`: that byte is the one the game decides.
    error RedundantManagerNotFirstDifference(uint256 gameId, uint256 byteIndex, uint256 first);
    /// @notice State roots revealed (or echoed) in game `gameId` fail a check.
    /// @param gameId The game.
    /// @param fault The first check that failed: Count, TraceRootOfA, TraceRootOfB, FirstRoot or Identical; over a
    /// generation also InputHash, OutputCommitment, Response or PassCount.
    error RedundantManagerBadRoots(uint256 gameId, StateRootsFault fault);
    /// @notice A proof of game `gameId` failed: `part` names it (Logits: the logits as leaf L of the pass root).
    error RedundantManagerBadProof(uint256 gameId, ProofPart part);

    // -- Requests --

    /// @notice Ask the k = `nodes.length` nodes named in `nodes` to run version `versionId` on `input` (the int8 bytes
    /// of S0, of the version's input size), paying each `feePerNode` (at least the version's fee). Takes
    /// k x feePerNode from the caller. Slot i is reserved for nodes[i].
    /// @dev 2 <= k <= maxNodes; the nodes are distinct and each eligible in the NodeRegistry for the version now (a
    /// node is checked again when it commits). The version must be active and support the OPTIMISTIC mode (the game
    /// uses its one-step verifier). The input's chunk root is computed here, once, for the commitments' anchors (for a
    /// generation version, to check the request record its games reveal).
    /// Naming the nodes is what keeps a Sybil operator from filling the slots first: the requester, who pays, decides
    /// whom it trusts not to be one operator. Naming a node obliges it to nothing (it may not commit; then its slot
    /// stays empty and its fee is refunded at `close`).
    /// @param versionId The model version to run.
    /// @param input The int8 bytes of S0, of the version's input size.
    /// @param feePerNode The fee each committing node is paid (at least the version's fee, and at least 1).
    /// @param nodes The k distinct nodes named, slot i for nodes[i].
    /// @return requestId The new request's id.
    function request(
        uint256 versionId,
        bytes calldata input,
        uint256 feePerNode,
        address[] calldata nodes
    ) external returns (uint256 requestId);

    /// @notice The caller commits to its own slot of `requestId` its result: the output bytes S_L and the trace root
    /// over S_0..S_L. `inputProof` proves the request's input root as leaf 0 of `traceRoot` and `outputProof` the
    /// root of `output` as leaf L. Locks feePerNode x collateralMultiplier of the caller's stake.
    /// @dev The caller must be named by the request (`RedundantManagerNotNamed` otherwise), not have committed yet,
    /// and still be eligible in the NodeRegistry for the version. Opens a game at once if the new output differs
    /// from a survivor's (and no game of the request is running), and finalizes the request when the last slot is
    /// filled in agreement. For a generation version, `output` is the response record and `traceRoot` the generation
    /// root over the passes' trace roots; it is not anchored here (its pass roots and records are checked when a game
    /// reveals them) and the two proofs are ignored.
    /// @param requestId The request.
    /// @param output The output bytes S_L, of the registered output length.
    /// @param traceRoot The trace root over S_0..S_L.
    /// @param inputProof The proof of the request's input root as leaf 0 of `traceRoot`.
    /// @param outputProof The proof of the output's root as leaf L of `traceRoot`.
    function commit(
        uint256 requestId,
        bytes calldata output,
        bytes32 traceRoot,
        bytes32[] calldata inputProof,
        bytes32[] calldata outputProof
    ) external;

    /// @notice After the commit deadline, stop waiting for the unfilled slots of `requestId`: their fees are refunded
    /// to the requester. With fewer than 2 commitments the request expires: a lone committer is credited its fee and
    /// its collateral is released (a requester cannot lock a node's collateral for free), every other fee is
    /// refunded. Otherwise it continues with the slots it has. Anyone may call.
    /// @param requestId The request, open and past its commit deadline.
    function close(uint256 requestId) external;

    // -- The refereed game --

    /// @notice Node A reveals its L + 1 state roots (they must hash to its trace root).
    /// @param gameId The game.
    /// @param stateRoots A's state roots S_0..S_L.
    function revealRoots(uint256 gameId, bytes32[] calldata stateRoots) external;

    /// @notice Node B reveals its state roots and echoes A's (from `RootsRevealed`); both are checked against the
    /// two trace roots and the contract locates the first index where they differ, i. Step k = i - 1 is the disputed
    /// step; `layer` is the layer k witness (its descriptor fixes the post-state's length, hence the chunk tree).
    /// @dev A post-state longer than MAX_STATE_BYTES (2^24, the program validator's bound) is refused
    /// (`BisectionGameStateTooLarge(gameId, length, MAX_STATE_BYTES)`): its chunk tree would be deeper than
    /// MAX_TREE_DEPTH and the game could outlast `maxGameDuration()`. Such a version cannot be refereed; nodes must not
    /// serve it.
    /// @param gameId The game.
    /// @param stateRoots B's state roots S_0..S_L.
    /// @param rootsOfA A's state roots, as revealed in `RootsRevealed`.
    /// @param layer The witness of layer k (descriptor, rows root, proof against the registered weights root).
    function revealRootsAndLocate(
        uint256 gameId,
        bytes32[] calldata stateRoots,
        bytes32[] calldata rootsOfA,
        IStepVerifier.LayerWitness calldata layer
    ) external;

    /// @notice A game over a generation: node A reveals the trace roots of its passes with the request and response
    /// records (checked against the request's input root and length, and A's committed output hash). The response
    /// must answer the request (`StateRootsFault.Response`), with one pass root per generated byte (`PassCount`),
    /// hashing to A's generation root (`TraceRootOfA`).
    /// @param gameId The game.
    /// @param passRoots A's pass roots.
    /// @param input The request record.
    /// @param output A's response record.
    function revealPassRoots(
        uint256 gameId,
        bytes32[] calldata passRoots,
        bytes calldata input,
        bytes calldata output
    ) external;

    /// @notice Node B reveals its pass roots (checked as A's were, against B's commitment) and echoes A's, with both
    /// responses; the contract locates the first pass t where the bytes or the pass roots part (`PassLocated`). If
    /// the two pass roots of t are equal, the game moves to AwaitingChoice, else to A's `revealPassStates`.
    /// @param gameId The game.
    /// @param generation B's pass roots and response record.
    /// @param generationOfA A's, as revealed with `revealPassRoots`.
    /// @param input The request record.
    function revealPassRootsAndLocate(
        uint256 gameId,
        Generation calldata generation,
        Generation calldata generationOfA,
        bytes calldata input
    ) external;

    /// @notice Node A reveals the L + 1 state roots of the located pass: they hash to its pass root there, and S_0 is
    /// the chunk root of the pass's input window over the prompt and the bytes before the pass (`FirstRoot`). Then B
    /// answers with `revealRootsAndLocate`, checked against the two pass roots (B's S_0 must equal A's).
    /// @param gameId The game.
    /// @param stateRoots A's state roots of the pass.
    /// @param input The request record.
    /// @param outputA A's response record.
    function revealPassStates(
        uint256 gameId,
        bytes32[] calldata stateRoots,
        bytes calldata input,
        bytes calldata outputA
    ) external;

    /// @notice Either node proves the logits of the located pass, on which both agree (their pass roots there are
    /// equal), as leaf L of the pass root; the contract recomputes the byte they choose (docs/GENERATION.md §4, the
    /// seed derived from this contract's request id) and eliminates whichever node's byte differs from it (both if
    /// neither equals it). `ChoiceProven`, then `GameResolved` with `Resolution.ChoiceRecomputed`.
    /// @param gameId The game, in AwaitingChoice.
    /// @param logits The pass's 256 int8 logits.
    /// @param logitsProof The proof of their chunk root as leaf L of the pass root.
    function proveChoice(uint256 gameId, bytes calldata logits, bytes32[] calldata logitsProof) external;

    // -- Governance --

    /// @notice Governance: sets every parameter at once (each within its MIN_/MAX_ bounds); emits `ParametersSet`.
    /// @param params The new parameters (an open game keeps its players' clocks; a new clockExtension applies from
    /// its next hand-over).
    function setParameters(Params calldata params) external;

    // -- Views --

    /// @notice A request's full state.
    /// @param requestId The request (reverts `RedundantManagerUnknownRequest` for an unknown one).
    /// @return The request.
    function getRequest(uint256 requestId) external view returns (Request memory);

    /// @notice A request's k slots, slot i being the i-th node named.
    /// @param requestId The request (reverts `RedundantManagerUnknownRequest` for an unknown one).
    /// @return The slots.
    function getSlots(uint256 requestId) external view returns (Slot[] memory);

    /// @notice A game's full state.
    /// @param gameId The game (reverts `BisectionGameUnknownGame` for an unknown one).
    /// @return The game.
    function getGame(uint256 gameId) external view returns (Game memory);

    /// @notice The governance parameters in force.
    /// @return The parameters.
    function parameters() external view returns (Params memory);

    /// @notice The number of requests ever made (the last request's id).
    /// @return The count.
    function requestCount() external view returns (uint256);

    /// @notice The number of games ever opened (the last game's id).
    /// @return The count.
    function gameCount() external view returns (uint256);
}
