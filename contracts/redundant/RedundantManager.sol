// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {GameLib} from "../game/GameLib.sol";
import {ProofPart, Resolution, StateRootsFault} from "../game/GameTypes.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IRedundantManager} from "../interfaces/IRedundantManager.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {IStepVerifier} from "../interfaces/IStepVerifier.sol";
import {PPMMath} from "../libraries/PPMMath.sol";
import {VerificationModes} from "../libraries/VerificationModes.sol";

/// @title RedundantManager
/// @notice Redundant requests answered by k distinct nodes that the requester names; a disagreement is settled by a
/// refereed game between the two nodes, decided by the one-step verifier. See IRedundantManager and docs/REDUNDANT.md.
/// The game itself (clocks, bisection cursor, padding rule, layer-root check, bounds, one-step dispatch) is `GameLib`,
/// shared with the DisputeManager; this contract holds the requests, the pairing of nodes and the settlement.
/// @dev Slots are reserved by name at request time, never handed to the first committers: with first-come slots, one
/// operator's k addresses (or anyone copying an honest node's pending commit) could fill every slot with the same
/// wrong output, final in that transaction. The requester, who pays and who bears a wrong result, decides whom it
/// trusts not to be one operator; an honest named node can neither be outrun to its slot nor outvoted.
contract RedundantManager is IRedundantManager, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    string public constant VERSION = "0.1.0";

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");

    /// @notice The largest k governance may allow: the games of a request are at most k - 1, one at a time.
    uint8 public constant MAX_NODES = 5;
    uint32 public constant MAX_COLLATERAL_MULTIPLIER = 1_000;
    uint64 public constant MIN_COMMIT_TIMEOUT = 1 minutes;
    uint64 public constant MAX_COMMIT_TIMEOUT = 7 days;
    uint64 public constant MIN_MOVE_CLOCK = 5 minutes;
    uint64 public constant MAX_MOVE_CLOCK = 7 days;
    uint64 public constant MIN_CLOCK_EXTENSION = 1 minutes;
    uint64 public constant MAX_CLOCK_EXTENSION = 1 days;
    /// @notice Staking caps a slash reward at 50%, so a node gains nothing by losing a game to its own second node.
    uint32 public constant MAX_REWARD_PPM = 500_000;
    /// @notice A state holds at most 2^24 bytes (program validation): chunk trees are at most 19 deep
    /// (`GameLib.MAX_TREE_DEPTH`).
    uint256 public constant MAX_TREE_DEPTH = GameLib.MAX_TREE_DEPTH;
    /// @notice The longest post-state a game descends into (2^MAX_TREE_DEPTH chunks of 32 bytes); a longer one is
    /// refused at `revealRootsAndLocate`, so that MAX_MOVES, hence `maxGameDuration()`, bounds every game
    /// (`GameLib.MAX_STATE_BYTES`).
    uint256 public constant MAX_STATE_BYTES = GameLib.MAX_STATE_BYTES;
    /// @notice Roots (A), roots (B), two reveals per tree level, two chunks, the proof.
    uint256 public constant MAX_MOVES = 2 + 2 * MAX_TREE_DEPTH + 2 + 1;

    IERC20 public immutable token;
    IModelRegistry public immutable modelRegistry;
    INodeRegistry public immutable nodeRegistry;
    IStaking public immutable staking;
    IStepVerifier public immutable verifier;

    Params private _params;
    uint256 private _requestCount;
    uint256 private _gameCount;
    mapping(uint256 requestId => Request request) private _requests;
    mapping(uint256 requestId => Slot[] slots) private _slots;
    mapping(uint256 gameId => Game game) private _games;
    mapping(address account => uint256 amount) private _credits;

    struct Contracts {
        address token;
        address modelRegistry;
        address nodeRegistry;
        address staking;
        address verifier;
    }

    constructor(Contracts memory contracts, address admin, Params memory params_) {
        if (
            contracts.token == address(0) ||
            contracts.modelRegistry == address(0) ||
            contracts.nodeRegistry == address(0) ||
            contracts.staking == address(0) ||
            contracts.verifier == address(0) ||
            admin == address(0)
        ) revert RedundantManagerZeroAddress();
        token = IERC20(contracts.token);
        modelRegistry = IModelRegistry(contracts.modelRegistry);
        nodeRegistry = INodeRegistry(contracts.nodeRegistry);
        staking = IStaking(contracts.staking);
        verifier = IStepVerifier(contracts.verifier);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNOR_ROLE, admin);
        _setParameters(params_);
    }

    // -- Requests --

    /// @inheritdoc IRedundantManager
    function request(
        uint256 versionId,
        bytes calldata input,
        uint256 feePerNode,
        address[] calldata nodes
    ) external nonReentrant returns (uint256 requestId) {
        Params memory p = _params;
        uint256 k = nodes.length;
        if (k < 2 || k > p.maxNodes) revert RedundantManagerBadNodeCount(k, p.maxNodes);
        if (!modelRegistry.isActiveVersion(versionId)) revert RedundantManagerVersionNotActive(versionId);
        IModelRegistry.ModelVersion memory v = modelRegistry.getVersion(versionId);
        if (v.modes & VerificationModes.OPTIMISTIC == 0) revert RedundantManagerModeNotSupported(versionId);
        uint256 minimumFee = v.fee == 0 ? 1 : v.fee;
        if (feePerNode < minimumFee) revert RedundantManagerFeeTooLow(feePerNode, minimumFee);
        uint256 inputLength = GameLib.elements(v.inputShape);
        if (input.length != inputLength) revert RedundantManagerBadLength(TraceEnd.Input, input.length, inputLength);

        requestId = ++_requestCount;
        _reserveSlots(requestId, versionId, nodes);
        Request storage r = _requests[requestId];
        r.requester = msg.sender;
        r.status = RequestStatus.Open;
        r.k = uint8(k);
        r.commitDeadline = uint64(block.timestamp) + p.commitTimeout;
        r.layerCount = v.layerCount;
        r.outputLength = uint32(GameLib.elements(v.outputShape));
        r.versionId = versionId;
        r.feePerNode = feePerNode;
        r.collateral = feePerNode * p.collateralMultiplier;
        r.escrow = feePerNode * k;
        r.inputRoot = GameLib.stateRoot(input);
        r.weightsRoot = v.weightsRoot;

        token.safeTransferFrom(msg.sender, address(this), r.escrow);
        emit RedundantRequested(requestId, msg.sender, versionId, input, feePerNode, nodes, r.commitDeadline);
    }

    /// @inheritdoc IRedundantManager
    function commit(
        uint256 requestId,
        bytes calldata output,
        bytes32 traceRoot,
        bytes32[] calldata inputProof,
        bytes32[] calldata outputProof
    ) external nonReentrant {
        Request storage r = _open(requestId);
        uint8 slot = _namedSlot(requestId, r);
        _checkAnchors(requestId, r, output, traceRoot, inputProof, outputProof);
        bytes32 outputHash = keccak256(output);
        Slot storage s = _slots[requestId][slot];
        s.status = SlotStatus.Committed;
        s.outputHash = outputHash;
        s.traceRoot = traceRoot;
        ++r.committed;
        staking.lock(msg.sender, r.collateral);
        emit RedundantCommitted(requestId, msg.sender, slot, output, outputHash, traceRoot);
        _advance(requestId, r);
    }

    /// @inheritdoc IRedundantManager
    function close(uint256 requestId) external nonReentrant {
        Request storage r = _open(requestId);
        if (block.timestamp <= r.commitDeadline) revert RedundantManagerDeadlineNotPassed(requestId, r.commitDeadline);
        if (r.closed || r.committed == r.k) revert RedundantManagerAllSlotsFilled(requestId);
        uint8 committed = r.committed;
        if (committed < 2) {
            // Not a redundant result, but a lone committer did what it was named for: it is paid its fee and
            // released (otherwise a requester could lock its collateral for free); the other fees are refunded.
            r.status = RequestStatus.Expired;
            _payCommitted(requestId, r, committed);
            uint256 refund = r.escrow;
            r.escrow = 0;
            _credits[r.requester] += refund;
            emit RedundantExpired(requestId, committed, refund);
            return;
        }
        r.closed = true;
        uint256 refunded = r.feePerNode * (r.k - committed);
        r.escrow -= refunded;
        _credits[r.requester] += refunded;
        emit RedundantClosed(requestId, committed, refunded);
        _advance(requestId, r);
    }

    // -- The refereed game --

    /// @inheritdoc IRedundantManager
    function revealRoots(uint256 gameId, bytes32[] calldata stateRoots) external {
        Game storage g = _beginMove(gameId, Phase.AwaitingRootsA);
        _checkRoots(gameId, stateRoots, _slots[g.requestId][g.slotA].traceRoot, StateRootsFault.TraceRootOfA);
        emit RootsRevealed(gameId, msg.sender, stateRoots);
        _handOver(g, Phase.AwaitingRootsB);
    }

    /// @inheritdoc IRedundantManager
    function revealRootsAndLocate(
        uint256 gameId,
        bytes32[] calldata stateRoots,
        bytes32[] calldata rootsOfA,
        IStepVerifier.LayerWitness calldata layer
    ) external {
        Game storage g = _beginMove(gameId, Phase.AwaitingRootsB);
        uint256 i = _locate(gameId, g, stateRoots, rootsOfA);
        uint32 step = uint32(i - 1);
        uint256 outLength = _outLength(gameId, g, step, layer);
        uint32 level = GameLib.rootLevel(outLength);

        emit RootsRevealed(gameId, msg.sender, stateRoots);
        g.step = step;
        g.preStateRoot = stateRoots[step];
        g.cursorA = rootsOfA[i];
        g.cursorB = stateRoots[i];
        g.level = level;
        g.outLength = uint64(outLength);
        emit StepLocated(gameId, step, stateRoots[step], rootsOfA[i], stateRoots[i]);
        _handOver(g, level == 0 ? Phase.AwaitingChunkA : Phase.AwaitingChildrenA);
    }

    /// @inheritdoc IRedundantManager
    function revealChildren(uint256 gameId, bytes32 left, bytes32 right) external {
        Game storage g = _existing(gameId);
        bytes32 parent = GameLib.parentOf(left, right);
        if (g.phase == Phase.AwaitingChildrenA) {
            _beginMove(gameId, Phase.AwaitingChildrenA);
            if (parent != g.cursorA) revert RedundantManagerBadChildren(gameId);
            g.leftA = left;
            g.rightA = right;
            emit ChildrenRevealed(gameId, msg.sender, g.level, left, right);
            _handOver(g, Phase.AwaitingChildrenB);
            return;
        }
        _beginMove(gameId, Phase.AwaitingChildrenB);
        if (parent != g.cursorB) revert RedundantManagerBadChildren(gameId);
        emit ChildrenRevealed(gameId, msg.sender, g.level, left, right);
        // The parents differ, so at least one pair of children does: descend into the first.
        bool goRight = g.leftA == left;
        (uint32 level, uint64 index) = GameLib.descend(g.level, g.cursorIndex, goRight);
        bytes32 a = goRight ? g.rightA : g.leftA;
        bytes32 b = goRight ? right : left;
        g.level = level;
        g.cursorIndex = index;
        g.cursorA = a;
        g.cursorB = b;
        emit ChildChosen(gameId, level, index);

        // A subtree wholly inside the padding has a known value: whoever differs from it is wrong.
        if (GameLib.inPadding(level, index, g.outLength)) {
            bytes32 empty = GameLib.emptySubtree(level);
            Outcome outcome = a == empty ? Outcome.BWrong : (b == empty ? Outcome.AWrong : Outcome.BothWrong);
            _resolve(gameId, g, outcome, Resolution.PaddingForged);
            return;
        }
        _handOver(g, level == 0 ? Phase.AwaitingChunkA : Phase.AwaitingChildrenA);
    }

    /// @inheritdoc IRedundantManager
    function openChunk(uint256 gameId, bytes32 chunk) external {
        Game storage g = _existing(gameId);
        bytes32 leaf = GameLib.leafOf(chunk);
        if (g.phase == Phase.AwaitingChunkA) {
            _beginMove(gameId, Phase.AwaitingChunkA);
            if (leaf != g.cursorA) revert RedundantManagerBadChunk(gameId);
            g.chunkA = chunk;
            emit ChunkOpened(gameId, msg.sender, g.cursorIndex, chunk);
            _handOver(g, Phase.AwaitingChunkB);
            return;
        }
        _beginMove(gameId, Phase.AwaitingChunkB);
        if (leaf != g.cursorB) revert RedundantManagerBadChunk(gameId);
        g.chunkB = chunk;
        emit ChunkOpened(gameId, msg.sender, g.cursorIndex, chunk);
        _handOver(g, Phase.AwaitingProof);
    }

    /// @inheritdoc IRedundantManager
    function proveStep(
        uint256 gameId,
        IStepVerifier.LayerWitness calldata layer,
        IStepVerifier.StateSlice calldata slice,
        IStepVerifier.WeightRow[] calldata rows
    ) external nonReentrant {
        (Game storage g, IStepVerifier.StepClaim memory claim, uint256 byteIndex) = _beginProof(gameId);
        int8 computed = GameLib.compute(verifier, claim, g.outLength, layer, slice, rows);
        _decide(gameId, g, claim.element, byteIndex, computed);
    }

    /// @inheritdoc IRedundantManager
    function proveStepSparse(
        uint256 gameId,
        IStepVerifier.LayerWitness calldata layer,
        IStepVerifier.SparseSlice calldata slice,
        IStepVerifier.WeightRow[] calldata rows
    ) external nonReentrant {
        (Game storage g, IStepVerifier.StepClaim memory claim, uint256 byteIndex) = _beginProof(gameId);
        int8 computed = GameLib.computeSparse(verifier, claim, g.outLength, layer, slice, rows);
        _decide(gameId, g, claim.element, byteIndex, computed);
    }

    /// @inheritdoc IRedundantManager
    function resolveTimeout(uint256 gameId) external nonReentrant {
        Game storage g = _existing(gameId);
        Phase phase = g.phase;
        if (phase == Phase.Resolved) revert RedundantManagerAlreadyResolved(gameId);
        uint256 expiresAt = _deadline(g);
        if (block.timestamp <= expiresAt) revert RedundantManagerClockRunning(gameId, expiresAt);
        if (phase == Phase.AwaitingProof) {
            _resolve(gameId, g, Outcome.BothWrong, Resolution.NobodyProved);
        } else if (_aToMove(phase)) {
            _resolve(gameId, g, Outcome.AWrong, Resolution.PlayerATimedOut);
        } else {
            _resolve(gameId, g, Outcome.BWrong, Resolution.PlayerBTimedOut);
        }
    }

    /// @inheritdoc IRedundantManager
    function claimCredits() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        if (amount == 0) revert RedundantManagerNothingToClaim(msg.sender);
        _credits[msg.sender] = 0;
        token.safeTransfer(msg.sender, amount);
        emit CreditsClaimed(msg.sender, amount);
    }

    // -- Governance --

    /// @inheritdoc IRedundantManager
    function setParameters(Params calldata params_) external onlyRole(GOVERNOR_ROLE) {
        _setParameters(params_);
    }

    // -- Views --

    /// @inheritdoc IRedundantManager
    function getRequest(uint256 requestId) external view returns (Request memory) {
        return _existingRequest(requestId);
    }

    /// @inheritdoc IRedundantManager
    function getSlots(uint256 requestId) external view returns (Slot[] memory) {
        _existingRequest(requestId);
        return _slots[requestId];
    }

    /// @inheritdoc IRedundantManager
    function getGame(uint256 gameId) external view returns (Game memory) {
        return _existing(gameId);
    }

    /// @inheritdoc IRedundantManager
    function onTheMove(uint256 gameId) external view returns (address) {
        Game storage g = _existing(gameId);
        if (g.phase == Phase.Resolved || g.phase == Phase.AwaitingProof) return address(0);
        return _aToMove(g.phase) ? g.nodeA : g.nodeB;
    }

    /// @inheritdoc IRedundantManager
    function deadline(uint256 gameId) external view returns (uint256) {
        Game storage g = _existing(gameId);
        return g.phase == Phase.Resolved ? 0 : _deadline(g);
    }

    /// @inheritdoc IRedundantManager
    function credits(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc IRedundantManager
    function parameters() external view returns (Params memory) {
        return _params;
    }

    /// @inheritdoc IRedundantManager
    function maxGameDuration() external view returns (uint256) {
        return GameLib.maxDuration(_params.moveClock, _params.clockExtension, MAX_MOVES);
    }

    /// @inheritdoc IRedundantManager
    function requestCount() external view returns (uint256) {
        return _requestCount;
    }

    /// @inheritdoc IRedundantManager
    function gameCount() external view returns (uint256) {
        return _gameCount;
    }

    // -- Internal: settlement --

    /// @dev After a commit, a close or a game: pair the first two survivors that disagree in a new game, or, when
    /// every survivor agrees and no named slot is pending, settle. Loops over at most MAX_NODES slots.
    function _advance(uint256 requestId, Request storage r) private {
        if (r.activeGame != 0) return;
        Slot[] storage slots = _slots[requestId];
        uint256 n = slots.length;
        uint256 first = type(uint256).max;
        uint8 survivors;
        for (uint256 i; i < n; ++i) {
            if (slots[i].status != SlotStatus.Committed) continue;
            if (first == type(uint256).max) {
                first = i;
            } else if (slots[i].outputHash != slots[first].outputHash) {
                _openGame(requestId, r, first, i);
                return;
            }
            ++survivors;
        }
        if (r.committed < r.k && !r.closed) return;
        if (survivors == 0) {
            r.status = RequestStatus.Rejected;
            uint256 refund = r.escrow;
            r.escrow = 0;
            if (refund > 0) _credits[r.requester] += refund;
            emit RedundantRejected(requestId);
            return;
        }
        r.status = RequestStatus.Finalized;
        bytes32 result = slots[first].outputHash;
        r.resultHash = result;
        _payCommitted(requestId, r, survivors);
        emit RedundantFinalized(requestId, result, survivors);
    }

    /// @dev Credits each of the `count` committed (surviving) slots its fee from the escrow and releases its
    /// collateral, once: the slot becomes Paid. Loops over at most MAX_NODES slots.
    function _payCommitted(uint256 requestId, Request storage r, uint256 count) private {
        uint256 fee = r.feePerNode;
        uint256 collateral = r.collateral;
        r.escrow -= fee * count;
        Slot[] storage slots = _slots[requestId];
        uint256 n = slots.length;
        for (uint256 i; i < n; ++i) {
            Slot storage s = slots[i];
            if (s.status != SlotStatus.Committed) continue;
            s.status = SlotStatus.Paid;
            _credits[s.node] += fee;
            staking.unlock(s.node, collateral);
        }
    }

    function _openGame(uint256 requestId, Request storage r, uint256 slotA, uint256 slotB) private {
        Slot[] storage slots = _slots[requestId];
        uint256 gameId = ++_gameCount;
        Game storage g = _games[gameId];
        g.requestId = requestId;
        g.nodeA = slots[slotA].node;
        g.nodeB = slots[slotB].node;
        g.slotA = uint8(slotA);
        g.slotB = uint8(slotB);
        g.phase = Phase.AwaitingRootsA;
        g.clockA = _params.moveClock;
        g.clockB = _params.moveClock;
        g.turnStartedAt = uint64(block.timestamp);
        r.activeGame = gameId;
        emit GameOpened(gameId, requestId, g.nodeA, g.nodeB);
    }

    /// @dev Resolves once (the phase becomes Resolved first), eliminates the loser(s), then lets the request move on.
    function _resolve(uint256 gameId, Game storage g, Outcome outcome, Resolution reason) private {
        g.phase = Phase.Resolved;
        g.outcome = outcome;
        uint256 requestId = g.requestId;
        Request storage r = _requests[requestId];
        r.activeGame = 0;
        emit GameResolved(gameId, requestId, outcome, reason);
        if (outcome == Outcome.BothWrong) {
            _eliminate(requestId, r, g.slotA, address(0));
            _eliminate(requestId, r, g.slotB, address(0));
        } else if (outcome == Outcome.AWrong) {
            _eliminate(requestId, r, g.slotA, g.nodeB);
        } else {
            _eliminate(requestId, r, g.slotB, g.nodeA);
        }
        _advance(requestId, r);
    }

    /// @dev Slashes the slot's collateral and jails its node. With a winner, the winner is credited the loser's fee
    /// and `rewardPpm` of the slash; without one (both wrong), the fee goes back to the requester and the whole
    /// slash to the sink.
    function _eliminate(uint256 requestId, Request storage r, uint8 slot, address winner) private {
        Slot storage s = _slots[requestId][slot];
        s.status = SlotStatus.Eliminated;
        address node = s.node;
        uint32 rewardPpm = winner == address(0) ? 0 : _params.rewardPpm;
        uint256 released = staking.unlock(node, r.collateral);
        uint256 slashed;
        uint256 reward;
        if (released > 0) {
            slashed = staking.slash(node, released, winner == address(0) ? address(0) : address(this), rewardPpm);
            reward = PPMMath.mulPPM(slashed, rewardPpm);
        }
        uint256 fee = r.feePerNode;
        r.escrow -= fee;
        _credits[winner == address(0) ? r.requester : winner] += fee + reward;
        // Jailed whatever its status (NodeRegistry.jail takes Exited nodes), unless it already is.
        GameLib.jailLoser(nodeRegistry, node);
        emit NodeEliminated(requestId, node, slashed, reward);
    }

    // -- Internal: turns and clocks --

    function _beginMove(uint256 gameId, Phase expected) private returns (Game storage g) {
        g = _existing(gameId);
        if (g.phase != expected) revert RedundantManagerWrongPhase(gameId, g.phase);
        bool a = _aToMove(expected);
        if (msg.sender != (a ? g.nodeA : g.nodeB)) revert RedundantManagerNotYourTurn(gameId, msg.sender);
        (uint64 left, bool expired) = GameLib.charge(a ? g.clockA : g.clockB, g.turnStartedAt);
        if (expired) revert RedundantManagerClockExpired(gameId);
        if (a) g.clockA = left;
        else g.clockB = left;
    }

    /// @dev Hands the move over, raising the clock of whoever must move next to at least `clockExtension` (both
    /// players' for the proof).
    function _handOver(Game storage g, Phase next) private {
        g.phase = next;
        g.turnStartedAt = uint64(block.timestamp);
        uint64 extension = _params.clockExtension;
        bool proof = next == Phase.AwaitingProof;
        if ((proof || _aToMove(next)) && GameLib.needsExtension(g.clockA, extension)) g.clockA = extension;
        if ((proof || !_aToMove(next)) && GameLib.needsExtension(g.clockB, extension)) g.clockB = extension;
    }

    function _deadline(Game storage g) private view returns (uint256) {
        uint64 clock;
        if (g.phase == Phase.AwaitingProof) clock = g.clockA > g.clockB ? g.clockA : g.clockB;
        else clock = _aToMove(g.phase) ? g.clockA : g.clockB;
        return GameLib.deadline(g.turnStartedAt, clock);
    }

    function _aToMove(Phase phase) private pure returns (bool) {
        return phase == Phase.AwaitingRootsA || phase == Phase.AwaitingChildrenA || phase == Phase.AwaitingChunkA;
    }

    // -- Internal: the last move --

    /// @dev Either player may prove, within the later of the two clocks. The disputed element is the first byte
    /// where the two opened chunks differ.
    function _beginProof(
        uint256 gameId
    ) private returns (Game storage g, IStepVerifier.StepClaim memory claim, uint256 byteIndex) {
        g = _existing(gameId);
        if (g.phase != Phase.AwaitingProof) revert RedundantManagerWrongPhase(gameId, g.phase);
        if (msg.sender != g.nodeA && msg.sender != g.nodeB) revert RedundantManagerNotYourTurn(gameId, msg.sender);
        if (block.timestamp > _deadline(g)) revert RedundantManagerClockExpired(gameId);
        bytes32 a = g.chunkA;
        bytes32 b = g.chunkB;
        while (a[byteIndex] == b[byteIndex]) ++byteIndex; // the chunks differ: their leaves differ
        Request storage r = _requests[g.requestId];
        claim = GameLib.claimOf(r.weightsRoot, r.layerCount, g.step, g.preStateRoot, g.cursorIndex, byteIndex);
    }

    function _decide(uint256 gameId, Game storage g, uint256 element, uint256 byteIndex, int8 computed) private {
        int8 byteA = int8(uint8(g.chunkA[byteIndex]));
        int8 byteB = int8(uint8(g.chunkB[byteIndex]));
        emit StepProven(gameId, element, byteA, byteB, computed);
        Outcome outcome = computed == byteA ? Outcome.BWrong : (computed == byteB ? Outcome.AWrong : Outcome.BothWrong);
        _resolve(gameId, g, outcome, Resolution.StepRecomputed);
    }

    // -- Internal: helpers --

    /// @dev Checks both root lists against their trace roots and returns the first index where they differ. Leaf 0
    /// of both is the input's root and leaf L their different outputs' roots (anchored at commit), so the index is
    /// in 1..L and its predecessor is agreed.
    function _locate(
        uint256 gameId,
        Game storage g,
        bytes32[] calldata rootsOfB,
        bytes32[] calldata rootsOfA
    ) private view returns (uint256 i) {
        Slot[] storage slots = _slots[g.requestId];
        _checkRoots(gameId, rootsOfB, slots[g.slotB].traceRoot, StateRootsFault.TraceRootOfB);
        _checkRoots(gameId, rootsOfA, slots[g.slotA].traceRoot, StateRootsFault.TraceRootOfA);
        uint256 n = rootsOfB.length;
        i = 1;
        while (i < n && rootsOfB[i] == rootsOfA[i]) ++i;
        if (i == n) revert RedundantManagerBadRoots(gameId, StateRootsFault.Identical);
    }

    /// @dev The length of S_{step+1}, from layer `step`'s descriptor proven against the registered weights root.
    function _outLength(
        uint256 gameId,
        Game storage g,
        uint32 step,
        IStepVerifier.LayerWitness calldata layer
    ) private view returns (uint256) {
        Request storage r = _requests[g.requestId];
        (uint8 check, uint256 outLength) = GameLib.checkLayer(r.weightsRoot, r.layerCount, step, layer);
        if (check == GameLib.LAYER_BAD_PROOF) revert RedundantManagerBadProof(gameId, ProofPart.Layer);
        if (check == GameLib.LAYER_BAD_DESCRIPTOR) revert RedundantManagerBadProof(gameId, ProofPart.Descriptor);
        if (check == GameLib.LAYER_TOO_LARGE) revert RedundantManagerBadProof(gameId, ProofPart.OutLength);
        return outLength;
    }

    /// @dev Reserves slot i of `requestId` for nodes[i]: distinct nodes, each eligible for the version now. Loops over
    /// at most MAX_NODES nodes (and pairs of nodes).
    function _reserveSlots(uint256 requestId, uint256 versionId, address[] calldata nodes) private {
        Slot[] storage slots = _slots[requestId];
        uint256 k = nodes.length;
        for (uint256 i; i < k; ++i) {
            address node = nodes[i];
            for (uint256 j; j < i; ++j) if (nodes[j] == node) revert RedundantManagerDuplicateNode(node);
            if (!nodeRegistry.isEligible(node, versionId)) revert RedundantManagerNotEligible(node, versionId);
            slots.push(Slot({node: node, status: SlotStatus.Named, outputHash: 0, traceRoot: 0}));
        }
    }

    /// @dev The caller's slot of `requestId`, which must be open to commits, name the caller and still be empty; the
    /// caller must still be eligible. Loops over at most MAX_NODES slots.
    function _namedSlot(uint256 requestId, Request storage r) private view returns (uint8) {
        if (r.closed || block.timestamp > r.commitDeadline) {
            revert RedundantManagerCommitClosed(requestId, r.commitDeadline);
        }
        Slot[] storage slots = _slots[requestId];
        uint256 n = slots.length;
        for (uint256 i; i < n; ++i) {
            Slot storage s = slots[i];
            if (s.node != msg.sender) continue;
            if (s.status != SlotStatus.Named) revert RedundantManagerAlreadyCommitted(requestId, msg.sender);
            if (!nodeRegistry.isEligible(msg.sender, r.versionId)) {
                revert RedundantManagerNotEligible(msg.sender, r.versionId);
            }
            return uint8(i);
        }
        revert RedundantManagerNotNamed(requestId, msg.sender);
    }

    /// @dev Leaf 0 of the trace root is the input's root and leaf L the output's (of the registered length).
    function _checkAnchors(
        uint256 requestId,
        Request storage r,
        bytes calldata output,
        bytes32 traceRoot,
        bytes32[] calldata inputProof,
        bytes32[] calldata outputProof
    ) private view {
        if (output.length != r.outputLength) {
            revert RedundantManagerBadLength(TraceEnd.Output, output.length, r.outputLength);
        }
        uint8 check = GameLib.checkAnchors(traceRoot, r.layerCount, r.inputRoot, output, inputProof, outputProof);
        if (check == GameLib.ANCHOR_BAD_INPUT) revert RedundantManagerBadAnchor(requestId, TraceEnd.Input);
        if (check == GameLib.ANCHOR_BAD_OUTPUT) revert RedundantManagerBadAnchor(requestId, TraceEnd.Output);
    }

    /// @dev Reverts `RedundantManagerBadRoots` unless `roots` are the L + 1 roots of `traceRoot`; `badRoot` names
    /// whose trace root they miss (TraceRootOfA or TraceRootOfB).
    function _checkRoots(
        uint256 gameId,
        bytes32[] calldata roots,
        bytes32 traceRoot,
        StateRootsFault badRoot
    ) private view {
        uint256 layerCount = _requests[_games[gameId].requestId].layerCount;
        uint8 check = GameLib.checkTrace(roots, layerCount, traceRoot);
        if (check == GameLib.TRACE_BAD_COUNT) revert RedundantManagerBadRoots(gameId, StateRootsFault.Count);
        if (check == GameLib.TRACE_BAD_ROOT) revert RedundantManagerBadRoots(gameId, badRoot);
    }

    function _existing(uint256 gameId) private view returns (Game storage g) {
        g = _games[gameId];
        if (g.phase == Phase.None) revert RedundantManagerUnknownGame(gameId);
    }

    function _existingRequest(uint256 requestId) private view returns (Request storage r) {
        r = _requests[requestId];
        if (r.status == RequestStatus.None) revert RedundantManagerUnknownRequest(requestId);
    }

    function _open(uint256 requestId) private view returns (Request storage r) {
        r = _existingRequest(requestId);
        if (r.status != RequestStatus.Open) revert RedundantManagerNotOpen(requestId, r.status);
    }

    function _setParameters(Params memory p) private {
        _checkBounds("maxNodes", p.maxNodes, 2, MAX_NODES);
        _checkBounds("collateralMultiplier", p.collateralMultiplier, 1, MAX_COLLATERAL_MULTIPLIER);
        _checkBounds("commitTimeout", p.commitTimeout, MIN_COMMIT_TIMEOUT, MAX_COMMIT_TIMEOUT);
        _checkBounds("moveClock", p.moveClock, MIN_MOVE_CLOCK, MAX_MOVE_CLOCK);
        _checkBounds("clockExtension", p.clockExtension, MIN_CLOCK_EXTENSION, MAX_CLOCK_EXTENSION);
        _checkBounds("rewardPpm", p.rewardPpm, 0, MAX_REWARD_PPM);
        _params = p;
        emit ParametersSet(p);
    }

    function _checkBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert RedundantManagerParameterOutOfBounds(parameter, value, min, max);
    }
}
