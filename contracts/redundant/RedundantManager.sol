// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";

import {BisectionGame} from "../game/BisectionGame.sol";
import {GameLib} from "../game/GameLib.sol";
import {Resolution, StateRootsFault} from "../game/GameTypes.sol";
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
/// The game itself (the bisection and its padding rule, the chunks, the proof, the clocks, the timeout, the credits)
/// is `BisectionGame`, written once and shared with the DisputeManager; node A is its player A and node B its player B.
/// This contract holds what only a refereed game has: the requests and their slots, the pairing of nodes, both nodes'
/// roots and the step located from them, B's children answering A's (the first differing child is followed), the
/// first differing byte, and the settlement (eliminating the loser(s)).
/// @dev Slots are reserved by name at request time, never handed to the first committers: with first-come slots, one
/// operator's k addresses (or anyone copying an honest node's pending commit) could fill every slot with the same
/// wrong output, final in that transaction. The requester, who pays and who bears a wrong result, decides whom it
/// trusts not to be one operator; an honest named node can neither be outrun to its slot nor outvoted.
contract RedundantManager is IRedundantManager, AccessControl, BisectionGame {
    using SafeERC20 for IERC20;

    string public constant VERSION = "0.1.0";

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");

    /// @notice The largest k governance may allow: the games of a request are at most k - 1, one at a time.
    uint8 public constant MAX_NODES = 5;
    uint32 public constant MAX_COLLATERAL_MULTIPLIER = 1_000;
    uint64 public constant MIN_COMMIT_TIMEOUT = 1 minutes;
    uint64 public constant MAX_COMMIT_TIMEOUT = 7 days;
    /// @notice Roots (A), roots (B), two reveals per tree level, two chunks, the proof.
    uint256 public constant MAX_MOVES = 2 + 2 * MAX_TREE_DEPTH + 2 + 1;

    IModelRegistry public immutable modelRegistry;
    INodeRegistry public immutable nodeRegistry;
    IStaking public immutable staking;

    Params private _params;
    uint256 private _requestCount;
    uint256 private _gameCount;
    mapping(uint256 requestId => Request request) private _requests;
    mapping(uint256 requestId => Slot[] slots) private _slots;

    struct Contracts {
        address token;
        address modelRegistry;
        address nodeRegistry;
        address staking;
        address verifier;
    }

    constructor(
        Contracts memory contracts,
        address admin,
        Params memory params_
    ) BisectionGame(IERC20(contracts.token), IStepVerifier(contracts.verifier)) {
        if (
            contracts.token == address(0) ||
            contracts.modelRegistry == address(0) ||
            contracts.nodeRegistry == address(0) ||
            contracts.staking == address(0) ||
            contracts.verifier == address(0) ||
            admin == address(0)
        ) revert RedundantManagerZeroAddress();
        modelRegistry = IModelRegistry(contracts.modelRegistry);
        nodeRegistry = INodeRegistry(contracts.nodeRegistry);
        staking = IStaking(contracts.staking);
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
        // A refereed game over two generations would need the pass selection the DisputeManager plays: not yet.
        if (v.modes & VerificationModes.OPTIMISTIC == 0 || modelRegistry.generationOf(versionId).contextLength != 0) {
            revert RedundantManagerModeNotSupported(versionId);
        }
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
        GameState storage g = _beginMove(gameId, uint8(Phase.AwaitingRootsA));
        _checkRoots(gameId, stateRoots, _slots[g.requestId][g.slotA].traceRoot, StateRootsFault.TraceRootOfA);
        emit RootsRevealed(gameId, msg.sender, stateRoots);
        _handOver(g, uint8(Phase.AwaitingRootsB));
    }

    /// @inheritdoc IRedundantManager
    function revealRootsAndLocate(
        uint256 gameId,
        bytes32[] calldata stateRoots,
        bytes32[] calldata rootsOfA,
        IStepVerifier.LayerWitness calldata layer
    ) external {
        GameState storage g = _beginMove(gameId, uint8(Phase.AwaitingRootsB));
        uint256 i = _locate(gameId, g, stateRoots, rootsOfA);
        uint32 step = uint32(i - 1);
        uint256 outLength = _layerOutLength(gameId, g, step, layer);

        emit RootsRevealed(gameId, msg.sender, stateRoots);
        g.cursorB = stateRoots[i];
        emit StepLocated(gameId, step, stateRoots[step], rootsOfA[i], stateRoots[i]);
        _startBisection(g, step, stateRoots[step], rootsOfA[i], outLength);
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
    function getGame(uint256 gameId) external view returns (Game memory game) {
        GameState storage g = _existing(gameId);
        game.requestId = g.requestId;
        game.nodeA = g.playerA;
        game.nodeB = g.playerB;
        game.slotA = g.slotA;
        game.slotB = g.slotB;
        game.phase = Phase(g.phase);
        game.outcome = Outcome(g.outcome);
        game.clockA = g.clockA;
        game.clockB = g.clockB;
        game.turnStartedAt = g.turnStartedAt;
        game.step = g.step;
        game.level = g.level;
        game.cursorIndex = g.cursorIndex;
        game.outLength = g.outLength;
        game.preStateRoot = g.preStateRoot;
        game.cursorA = g.cursorA;
        game.cursorB = g.cursorB;
        game.leftA = g.leftA;
        game.rightA = g.rightA;
        game.chunkA = g.chunkA;
        game.chunkB = g.chunkB;
    }

    /// @inheritdoc IRedundantManager
    function parameters() external view returns (Params memory) {
        return _params;
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
        GameState storage g = _games[gameId];
        address nodeA = slots[slotA].node;
        address nodeB = slots[slotB].node;
        g.requestId = requestId;
        g.playerA = nodeA;
        g.playerB = nodeB;
        g.slotA = uint8(slotA);
        g.slotB = uint8(slotB);
        g.phase = uint8(Phase.AwaitingRootsA);
        g.clockA = _params.moveClock;
        g.clockB = _params.moveClock;
        g.turnStartedAt = uint64(block.timestamp);
        r.activeGame = gameId;
        emit GameOpened(gameId, requestId, nodeA, nodeB);
    }

    /// @dev Eliminates the loser(s) of a resolved game (BisectionGame marks it resolved first), then lets the request
    /// move on.
    function _settle(uint256 gameId, GameState storage g, uint8 outcome, Resolution reason) internal override {
        uint256 requestId = g.requestId;
        Request storage r = _requests[requestId];
        r.activeGame = 0;
        emit GameResolved(gameId, requestId, Outcome(outcome), reason);
        if (outcome == _BOTH_WRONG) {
            _eliminate(requestId, r, g.slotA, address(0));
            _eliminate(requestId, r, g.slotB, address(0));
        } else if (outcome == _A_WRONG) {
            _eliminate(requestId, r, g.slotA, g.playerB);
        } else {
            _eliminate(requestId, r, g.slotB, g.playerA);
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

    // -- Internal: the game's hooks (BisectionGame) --

    /// @dev Both nodes reveal children (B's answer is its own) and both open a chunk.
    function _phases() internal pure override returns (uint8, uint8, uint8, uint8, uint8, uint8, uint8) {
        return (
            uint8(Phase.AwaitingChildrenA),
            uint8(Phase.AwaitingChildrenB),
            uint8(Phase.AwaitingChildrenB),
            uint8(Phase.AwaitingChunkA),
            uint8(Phase.AwaitingChunkB),
            uint8(Phase.AwaitingProof),
            uint8(Phase.Resolved)
        );
    }

    /// @dev A moves in the *A phases, B in the *B phases, either player in AwaitingProof.
    function _moverOf(uint8 phase) internal pure override returns (Mover) {
        Phase p = Phase(phase);
        if (p == Phase.Resolved) return Mover.Nobody;
        if (p == Phase.AwaitingProof) return Mover.Either;
        return
            p == Phase.AwaitingRootsA || p == Phase.AwaitingChildrenA || p == Phase.AwaitingChunkA ? Mover.A : Mover.B;
    }

    function _moveClock() internal view override returns (uint64) {
        return _params.moveClock;
    }

    function _clockExtension() internal view override returns (uint64) {
        return _params.clockExtension;
    }

    function _maxMoves() internal pure override returns (uint256) {
        return MAX_MOVES;
    }

    function _stepTerms(uint256, GameState storage g) internal view override returns (bytes32, uint256) {
        Request storage r = _requests[g.requestId];
        return (r.weightsRoot, r.layerCount);
    }

    /// @dev The byte proven is the first where the two opened chunks differ.
    function _checkByte(uint256 gameId, GameState storage g, uint256 byteIndex) internal view override {
        bytes32 a = g.chunkA;
        bytes32 b = g.chunkB;
        uint256 first;
        while (a[first] == b[first]) ++first; // the chunks differ: their leaves differ
        if (byteIndex != first) revert RedundantManagerNotFirstDifference(gameId, byteIndex, first);
    }

    /// @dev The node whose byte equals the verifier's wins; if neither does, both lose.
    function _stepOutcome(
        uint256 gameId,
        GameState storage g,
        uint256 byteIndex,
        uint256 element,
        int8 computed
    ) internal override returns (uint8, Resolution) {
        int8 byteA = int8(uint8(g.chunkA[byteIndex]));
        int8 byteB = int8(uint8(g.chunkB[byteIndex]));
        emit StepProven(gameId, element, byteA, byteB, computed);
        uint8 outcome = computed == byteA ? _B_WRONG : (computed == byteB ? _A_WRONG : _BOTH_WRONG);
        return (outcome, Resolution.StepRecomputed);
    }

    /// @dev Whoever differs from the known value of a padding subtree is wrong.
    function _paddingOutcome(GameState storage g, bytes32 empty) internal view override returns (uint8, Resolution) {
        uint8 outcome = g.cursorA == empty ? _B_WRONG : (g.cursorB == empty ? _A_WRONG : _BOTH_WRONG);
        return (outcome, Resolution.PaddingForged);
    }

    function _timeoutReason(Mover mover) internal pure override returns (Resolution) {
        if (mover == Mover.A) return Resolution.PlayerATimedOut;
        return mover == Mover.B ? Resolution.PlayerBTimedOut : Resolution.NobodyProved;
    }

    // -- Internal: helpers --

    /// @dev Checks both root lists against their trace roots and returns the first index where they differ. Leaf 0
    /// of both is the input's root and leaf L their different outputs' roots (anchored at commit), so the index is
    /// in 1..L and its predecessor is agreed.
    function _locate(
        uint256 gameId,
        GameState storage g,
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
}
