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
import {VerificationModes} from "../libraries/VerificationModes.sol";
import {RedundantLib} from "./RedundantLib.sol";

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
    uint8 public constant MAX_NODES = RedundantLib.MAX_NODES;
    uint32 public constant MAX_COLLATERAL_MULTIPLIER = RedundantLib.MAX_COLLATERAL_MULTIPLIER;
    uint64 public constant MIN_COMMIT_TIMEOUT = RedundantLib.MIN_COMMIT_TIMEOUT;
    uint64 public constant MAX_COMMIT_TIMEOUT = RedundantLib.MAX_COMMIT_TIMEOUT;
    /// @notice (A generation: pass roots (A), pass roots (B),) roots (A), roots (B), two reveals per tree level, two
    /// chunks, the proof.
    uint256 public constant MAX_MOVES = 2 + 2 + 2 * MAX_TREE_DEPTH + 2 + 1;

    IModelRegistry public immutable modelRegistry;
    INodeRegistry public immutable nodeRegistry;
    IStaking public immutable staking;

    Params private _params;
    uint256 private _requestCount;
    uint256 private _gameCount;
    mapping(uint256 requestId => Request request) private _requests;
    mapping(uint256 requestId => Slot[] slots) private _slots;
    mapping(uint256 gameId => PassTerms terms) private _passes;

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
        if (v.modes & VerificationModes.OPTIMISTIC == 0) revert RedundantManagerModeNotSupported(versionId);
        uint256 minimumFee = v.fee == 0 ? 1 : v.fee;
        if (feePerNode < minimumFee) revert RedundantManagerFeeTooLow(feePerNode, minimumFee);
        uint256 inputLength = GameLib.elements(v.inputShape);
        if (input.length != inputLength) revert RedundantManagerBadLength(TraceEnd.Input, input.length, inputLength);

        requestId = ++_requestCount;
        RedundantLib.reserveSlots(_slots[requestId], nodeRegistry, versionId, nodes);
        Request storage r = _requests[requestId];
        r.requester = msg.sender;
        r.status = RequestStatus.Open;
        r.k = uint8(k);
        r.commitDeadline = uint64(block.timestamp) + p.commitTimeout;
        r.layerCount = v.layerCount;
        r.outputLength = uint32(GameLib.elements(v.outputShape));
        if (RedundantLib.generates(address(modelRegistry), versionId)) r.generation = true;
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
        uint8 slot = RedundantLib.namedSlot(requestId, r, _slots[requestId], nodeRegistry);
        RedundantLib.checkAnchors(requestId, r, output, traceRoot, inputProof, outputProof);
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
        if (!RedundantLib.close(requestId, r, _slots[requestId], _credits, staking)) _advance(requestId, r);
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

    /// @inheritdoc IRedundantManager
    function revealPassRoots(
        uint256 gameId,
        bytes32[] calldata passRoots,
        bytes calldata input,
        bytes calldata output
    ) external {
        GameState storage g = _beginMove(gameId, uint8(Phase.AwaitingPassRootsA));
        RedundantLib.checkPassRootsOfA(gameId, g, _requests, _slots, modelRegistry, passRoots, input, output);
        emit PassRootsRevealed(gameId, msg.sender, passRoots);
        _handOver(g, uint8(Phase.AwaitingPassRootsB));
    }

    /// @inheritdoc IRedundantManager
    function revealPassRootsAndLocate(
        uint256 gameId,
        Generation calldata generation,
        Generation calldata generationOfA,
        bytes calldata input
    ) external {
        _beginMove(gameId, uint8(Phase.AwaitingPassRootsB));
        bool agreed = RedundantLib.locatePass(
            gameId,
            _games[gameId],
            _requests,
            _slots,
            modelRegistry,
            _passes[gameId],
            generationOfA,
            generation,
            input
        );
        emit PassRootsRevealed(gameId, msg.sender, generation.passRoots);
        // Equal pass roots where the bytes part: the logits are agreed, and only the choice from them is disputed.
        _handOver(_games[gameId], uint8(agreed ? Phase.AwaitingChoice : Phase.AwaitingPassStatesA));
    }

    /// @inheritdoc IRedundantManager
    function revealPassStates(
        uint256 gameId,
        bytes32[] calldata stateRoots,
        bytes calldata input,
        bytes calldata outputA
    ) external {
        GameState storage g = _beginMove(gameId, uint8(Phase.AwaitingPassStatesA));
        PassTerms storage p = _passes[gameId];
        _checkRoots(gameId, stateRoots, p.rootA, StateRootsFault.TraceRootOfA);
        uint256 requestId = g.requestId;
        RedundantLib.checkPassInput(
            gameId,
            _requests[requestId],
            _slots[requestId][g.slotA],
            modelRegistry,
            p.pass,
            stateRoots[0],
            input,
            outputA
        );
        emit RootsRevealed(gameId, msg.sender, stateRoots);
        _handOver(g, uint8(Phase.AwaitingRootsB));
    }

    /// @inheritdoc IRedundantManager
    function proveChoice(uint256 gameId, bytes calldata logits, bytes32[] calldata logitsProof) external nonReentrant {
        GameState storage g = _beginMove(gameId, uint8(Phase.AwaitingChoice));
        uint8 outcome = RedundantLib.choiceOutcome(gameId, g, _requests, _passes[gameId], logits, logitsProof);
        _resolve(gameId, g, outcome, Resolution.ChoiceRecomputed);
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
        game.pass = _passes[gameId].pass;
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

    /// @dev After a commit, a close or a game: opens a game between the first two survivors that disagree, or lets
    /// RedundantLib settle the request.
    function _advance(uint256 requestId, Request storage r) private {
        if (r.activeGame != 0) return;
        (bool pair, uint256 slotA, uint256 slotB) = RedundantLib.advance(
            requestId,
            r,
            _slots[requestId],
            _credits,
            staking
        );
        if (pair) _openGame(requestId, r, slotA, slotB);
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
        g.phase = uint8(r.generation ? Phase.AwaitingPassRootsA : Phase.AwaitingRootsA);
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

    /// @dev Slashes the slot's collateral (RedundantLib.eliminate) and jails its node.
    function _eliminate(uint256 requestId, Request storage r, uint8 slot, address winner) private {
        Slot storage s = _slots[requestId][slot];
        RedundantLib.eliminate(requestId, r, s, _credits, staking, _params.rewardPpm, winner);
        // Jailed whatever its status (NodeRegistry.jail takes Exited nodes), unless it already is.
        GameLib.jailLoser(nodeRegistry, s.node);
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

    /// @dev A moves in the *A phases, B in the *B phases, either player in AwaitingProof and AwaitingChoice.
    function _moverOf(uint8 phase) internal pure override returns (Mover) {
        Phase p = Phase(phase);
        if (p == Phase.Resolved) return Mover.Nobody;
        if (p == Phase.AwaitingProof || p == Phase.AwaitingChoice) return Mover.Either;
        return
            p == Phase.AwaitingRootsA ||
            p == Phase.AwaitingChildrenA ||
            p == Phase.AwaitingChunkA ||
            p == Phase.AwaitingPassRootsA ||
            p == Phase.AwaitingPassStatesA
                ? Mover.A
                : Mover.B;
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

    /// @dev Checks both root lists against their trace roots (a generation: their pass roots at the located pass)
    /// and returns the first index where they differ. Leaf 0 of both is agreed: the input's root anchored at commit,
    /// or a pass's input window (A's checked by `revealPassStates`, B's must equal it). The roots differ somewhere:
    /// at leaf L (different outputs, anchored at commit), or anywhere (different pass roots). So the index is in
    /// 1..L and its predecessor is agreed.
    function _locate(
        uint256 gameId,
        GameState storage g,
        bytes32[] calldata rootsOfB,
        bytes32[] calldata rootsOfA
    ) private view returns (uint256 i) {
        bytes32 rootA;
        bytes32 rootB;
        if (_requests[g.requestId].generation) {
            PassTerms storage p = _passes[gameId];
            (rootA, rootB) = (p.rootA, p.rootB);
        } else {
            Slot[] storage slots = _slots[g.requestId];
            (rootA, rootB) = (slots[g.slotA].traceRoot, slots[g.slotB].traceRoot);
        }
        _checkRoots(gameId, rootsOfB, rootB, StateRootsFault.TraceRootOfB);
        _checkRoots(gameId, rootsOfA, rootA, StateRootsFault.TraceRootOfA);
        if (rootsOfB[0] != rootsOfA[0]) revert RedundantManagerBadRoots(gameId, StateRootsFault.FirstRoot);
        uint256 n = rootsOfB.length;
        i = 1;
        while (i < n && rootsOfB[i] == rootsOfA[i]) ++i;
        if (i == n) revert RedundantManagerBadRoots(gameId, StateRootsFault.Identical);
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
        RedundantLib.checkParameters(p);
        _params = p;
        emit ParametersSet(p);
    }
}
