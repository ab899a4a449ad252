// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";

import {GameLib} from "../game/GameLib.sol";
import {ProofPart, Resolution, StateRootsFault} from "../game/GameTypes.sol";
import {IDisputeManager} from "../interfaces/IDisputeManager.sol";
import {IInferenceManager} from "../interfaces/IInferenceManager.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {IStepVerifier} from "../interfaces/IStepVerifier.sol";
import {MerkleLib} from "../libraries/MerkleLib.sol";
import {PPMMath} from "../libraries/PPMMath.sol";

/// @title DisputeManager
/// @notice The bisection game over a committed integer trace, down to one byte that the one-step verifier decides,
/// played by a challenger against a node's commitment.
/// @dev The game itself (clocks, bisection cursor, padding rule, layer-root check, bounds, one-step dispatch) is
/// `GameLib`, shared with the RedundantManager; this contract holds the disputes, their turns and their settlement.
contract DisputeManager is IDisputeManager, AccessControl, ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    string public constant VERSION = "0.1.0";

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");

    uint256 public constant MIN_BOND = 1;
    uint256 public constant MAX_BOND = 1e9 ether;
    uint64 public constant MIN_MOVE_CLOCK = 5 minutes;
    uint64 public constant MAX_MOVE_CLOCK = 7 days;
    uint64 public constant MIN_CLOCK_EXTENSION = 1 minutes;
    uint64 public constant MAX_CLOCK_EXTENSION = 1 days;
    /// @notice Staking caps a slash reward at 50%, so a node gains nothing by disputing itself.
    uint32 public constant MAX_REWARD_PPM = 500_000;
    /// @notice A state holds at most 2^24 bytes (program validation), i.e. 2^19 chunks: chunk trees are at most
    /// 19 deep (`GameLib.MAX_TREE_DEPTH`).
    uint256 public constant MAX_TREE_DEPTH = GameLib.MAX_TREE_DEPTH;
    /// @notice The largest state a valid program has (program validation): 2^24 bytes, 2^19 chunks
    /// (`GameLib.MAX_STATE_BYTES`).
    uint256 public constant MAX_STATE_BYTES = GameLib.MAX_STATE_BYTES;
    /// @notice open, reveal roots, select step, (children + choice) per tree level, open chunk, prove.
    uint256 public constant MAX_MOVES = 4 + 2 * (MAX_TREE_DEPTH + 1);
    /// @notice The bond may scale with the collateral a dispute freezes: at most 100% of it.
    uint32 public constant MAX_BOND_PPM = 1_000_000;
    /// @notice The bond doubles with each game a challenger lost on the same commitment, at most this many times
    /// (2^64 bonds exceed any token supply: the cap only keeps the arithmetic from overflowing).
    uint256 public constant MAX_BOND_DOUBLINGS = 64;
    uint32 private constant _DEFAULT_BOND_PPM = 100_000;

    IERC20 public immutable token;
    IInferenceManager public immutable inference;
    IModelRegistry public immutable modelRegistry;
    INodeRegistry public immutable nodeRegistry;
    IStaking public immutable staking;
    IStepVerifier public immutable verifier;

    uint256 private _bond;
    uint64 private _moveClock;
    uint64 private _clockExtension;
    uint32 private _rewardPpm;
    uint32 private _bondPpm;

    uint256 private _disputeCount;
    mapping(uint256 disputeId => Dispute dispute) private _disputes;
    mapping(uint256 requestId => bool revealed) private _rootsRevealed;
    /// @dev Games lost by a challenger on each request's commitment: the next bond is doubled that many times.
    mapping(uint256 requestId => uint256 losses) private _challengerLosses;
    mapping(address account => uint256 amount) private _credits;

    struct Contracts {
        address token;
        address inference;
        address modelRegistry;
        address nodeRegistry;
        address staking;
        address verifier;
    }

    constructor(
        Contracts memory contracts,
        address admin,
        uint256 bond_,
        uint64 moveClock_,
        uint64 clockExtension_,
        uint32 rewardPpm_
    ) {
        if (
            contracts.token == address(0) ||
            contracts.inference == address(0) ||
            contracts.modelRegistry == address(0) ||
            contracts.nodeRegistry == address(0) ||
            contracts.staking == address(0) ||
            contracts.verifier == address(0) ||
            admin == address(0)
        ) revert DisputeManagerZeroAddress();
        token = IERC20(contracts.token);
        inference = IInferenceManager(contracts.inference);
        modelRegistry = IModelRegistry(contracts.modelRegistry);
        nodeRegistry = INodeRegistry(contracts.nodeRegistry);
        staking = IStaking(contracts.staking);
        verifier = IStepVerifier(contracts.verifier);
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(GOVERNOR_ROLE, admin);
        _setBond(bond_);
        _setMoveClock(moveClock_);
        _setClockExtension(clockExtension_);
        _setRewardPpm(rewardPpm_);
        _setBondPpm(_DEFAULT_BOND_PPM);
    }

    // -- The game --

    /// @inheritdoc IDisputeManager
    function openDispute(
        uint256 requestId,
        bytes32 outputHash,
        bytes32 traceRoot
    ) external nonReentrant returns (uint256 disputeId) {
        IInferenceManager.DisputeInfo memory info = inference.disputeInfo(requestId);
        if (keccak256(abi.encode(outputHash, traceRoot)) != info.commitmentHash) {
            revert DisputeManagerCommitmentMismatch(requestId);
        }
        inference.beginDispute(requestId);
        IModelRegistry.ModelVersion memory version = modelRegistry.getVersion(info.versionId);
        uint256 bond_ = _bondFor(requestId, info.collateral);

        disputeId = ++_disputeCount;
        Dispute storage d = _disputes[disputeId];
        d.requestId = requestId;
        d.node = info.node;
        d.challenger = msg.sender;
        d.nodeClock = _moveClock;
        d.challengerClock = _moveClock;
        d.turnStartedAt = uint64(block.timestamp);
        d.layerCount = version.layerCount;
        d.outputLength = SafeCast.toUint32(GameLib.elements(version.outputShape));
        d.bond = bond_;
        d.traceRoot = traceRoot;
        d.weightsRoot = version.weightsRoot;
        d.phase = _rootsRevealed[requestId] ? Phase.AwaitingStep : Phase.AwaitingRoots;

        token.safeTransferFrom(msg.sender, address(this), bond_);
        emit DisputeOpened(disputeId, requestId, msg.sender, info.node, bond_);
    }

    /// @inheritdoc IDisputeManager
    function revealStateRoots(
        uint256 disputeId,
        bytes32[] calldata stateRoots,
        bytes calldata input,
        bytes calldata output
    ) external {
        Dispute storage d = _beginMove(disputeId, Phase.AwaitingRoots);
        uint8 trace = GameLib.checkTrace(stateRoots, d.layerCount, d.traceRoot);
        if (trace == GameLib.TRACE_BAD_COUNT) revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.Count);
        if (trace == GameLib.TRACE_BAD_ROOT) revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.TraceRoot);
        IInferenceManager.DisputeInfo memory info = inference.disputeInfo(d.requestId);
        if (keccak256(input) != info.inputHash) {
            revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.InputHash);
        }
        // The chunk root pads the output with zeros: only the registered length binds the bytes the node committed.
        if (output.length != d.outputLength) {
            revert DisputeManagerBadOutputLength(disputeId, output.length, d.outputLength);
        }
        if (keccak256(abi.encode(keccak256(output), d.traceRoot)) != info.commitmentHash) {
            revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.OutputCommitment);
        }
        if (GameLib.stateRoot(input) != stateRoots[0]) {
            revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.FirstRoot);
        }
        if (GameLib.stateRoot(output) != stateRoots[d.layerCount]) {
            revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.LastRoot);
        }
        _rootsRevealed[d.requestId] = true;
        emit StateRootsRevealed(disputeId, d.requestId, stateRoots);
        _handOver(d, Phase.AwaitingStep);
    }

    /// @inheritdoc IDisputeManager
    function selectStep(
        uint256 disputeId,
        uint32 step,
        bytes32 preStateRoot,
        bytes32[] calldata preProof,
        bytes32 postStateRoot,
        bytes32[] calldata postProof,
        IStepVerifier.LayerWitness calldata layer
    ) external {
        Dispute storage d = _beginMove(disputeId, Phase.AwaitingStep);
        uint256 layerCount = d.layerCount;
        if (step >= layerCount) revert DisputeManagerStepOutOfRange(step, d.layerCount);
        bytes32 traceRoot = d.traceRoot;
        if (!MerkleLib.verify(traceRoot, preStateRoot, step, layerCount + 1, preProof)) {
            revert DisputeManagerBadProof(disputeId, ProofPart.PreState);
        }
        if (!MerkleLib.verify(traceRoot, postStateRoot, uint256(step) + 1, layerCount + 1, postProof)) {
            revert DisputeManagerBadProof(disputeId, ProofPart.PostState);
        }
        uint256 outLength = _layerOutLength(disputeId, d.weightsRoot, layerCount, step, layer);
        uint32 level = GameLib.rootLevel(outLength);

        d.step = step;
        d.preStateRoot = preStateRoot;
        d.cursor = postStateRoot;
        d.cursorIndex = 0;
        d.level = level;
        d.outLength = uint64(outLength);
        emit StepSelected(disputeId, step, preStateRoot, postStateRoot);
        _handOver(d, level == 0 ? Phase.AwaitingChunk : Phase.AwaitingChildren);
    }

    /// @inheritdoc IDisputeManager
    function revealChildren(uint256 disputeId, bytes32 left, bytes32 right) external {
        Dispute storage d = _beginMove(disputeId, Phase.AwaitingChildren);
        if (GameLib.parentOf(left, right) != d.cursor) revert DisputeManagerBadChildren(disputeId);
        d.left = left;
        d.right = right;
        emit ChildrenRevealed(disputeId, d.level, left, right);
        _handOver(d, Phase.AwaitingChoice);
    }

    /// @inheritdoc IDisputeManager
    function chooseChild(uint256 disputeId, bool right) external {
        Dispute storage d = _beginMove(disputeId, Phase.AwaitingChoice);
        (uint32 level, uint64 index) = GameLib.descend(d.level, d.cursorIndex, right);
        bytes32 cursor = right ? d.right : d.left;
        d.level = level;
        d.cursorIndex = index;
        d.cursor = cursor;
        emit ChildChosen(disputeId, level, index);

        // A subtree wholly inside the padding of the chunk tree has a known value: decide now.
        if (GameLib.inPadding(level, index, d.outLength)) {
            bool honestPadding = cursor == GameLib.emptySubtree(level);
            Resolution reason = honestPadding ? Resolution.PaddingDisputed : Resolution.PaddingForged;
            _resolve(d, disputeId, !honestPadding, reason);
            return;
        }
        _handOver(d, level == 0 ? Phase.AwaitingChunk : Phase.AwaitingChildren);
    }

    /// @inheritdoc IDisputeManager
    function openChunk(uint256 disputeId, bytes32 chunk) external {
        Dispute storage d = _beginMove(disputeId, Phase.AwaitingChunk);
        if (GameLib.leafOf(chunk) != d.cursor) revert DisputeManagerBadChunk(disputeId);
        d.chunk = chunk;
        emit ChunkOpened(disputeId, d.cursorIndex, chunk);
        _handOver(d, Phase.AwaitingProof);
    }

    /// @inheritdoc IDisputeManager
    function proveStep(
        uint256 disputeId,
        uint8 byteIndex,
        IStepVerifier.LayerWitness calldata layer,
        IStepVerifier.StateSlice calldata slice,
        IStepVerifier.WeightRow[] calldata rows
    ) external {
        (Dispute storage d, IStepVerifier.StepClaim memory claim) = _beginProof(disputeId, byteIndex);
        int8 computed = GameLib.compute(verifier, claim, d.outLength, layer, slice, rows);
        _decideStep(d, disputeId, byteIndex, claim.element, computed);
    }

    /// @inheritdoc IDisputeManager
    function proveStepSparse(
        uint256 disputeId,
        uint8 byteIndex,
        IStepVerifier.LayerWitness calldata layer,
        IStepVerifier.SparseSlice calldata slice,
        IStepVerifier.WeightRow[] calldata rows
    ) external {
        (Dispute storage d, IStepVerifier.StepClaim memory claim) = _beginProof(disputeId, byteIndex);
        int8 computed = GameLib.computeSparse(verifier, claim, d.outLength, layer, slice, rows);
        _decideStep(d, disputeId, byteIndex, claim.element, computed);
    }

    /// @inheritdoc IDisputeManager
    function resolveTimeout(uint256 disputeId) external {
        Dispute storage d = _existing(disputeId);
        if (d.phase == Phase.Resolved) revert DisputeManagerAlreadyResolved(disputeId);
        bool nodeToMove = _nodeToMove(d.phase);
        uint256 expiresAt = GameLib.deadline(d.turnStartedAt, nodeToMove ? d.nodeClock : d.challengerClock);
        if (block.timestamp <= expiresAt) revert DisputeManagerClockRunning(disputeId, expiresAt);
        _resolve(d, disputeId, nodeToMove, nodeToMove ? Resolution.NodeTimedOut : Resolution.ChallengerTimedOut);
    }

    /// @inheritdoc IDisputeManager
    function claimCredits() external nonReentrant returns (uint256 amount) {
        amount = _credits[msg.sender];
        if (amount == 0) revert DisputeManagerNothingToClaim(msg.sender);
        _credits[msg.sender] = 0;
        token.safeTransfer(msg.sender, amount);
        emit CreditsClaimed(msg.sender, amount);
    }

    // -- Governance --

    /// @inheritdoc IDisputeManager
    function setBond(uint256 bond_) external onlyRole(GOVERNOR_ROLE) {
        _setBond(bond_);
    }

    /// @inheritdoc IDisputeManager
    function setMoveClock(uint64 moveClock_) external onlyRole(GOVERNOR_ROLE) {
        _setMoveClock(moveClock_);
    }

    /// @inheritdoc IDisputeManager
    function setClockExtension(uint64 clockExtension_) external onlyRole(GOVERNOR_ROLE) {
        _setClockExtension(clockExtension_);
    }

    /// @inheritdoc IDisputeManager
    function setRewardPpm(uint32 rewardPpm_) external onlyRole(GOVERNOR_ROLE) {
        _setRewardPpm(rewardPpm_);
    }

    /// @inheritdoc IDisputeManager
    function setBondPpm(uint32 bondPpm_) external onlyRole(GOVERNOR_ROLE) {
        _setBondPpm(bondPpm_);
    }

    // -- Views --

    /// @inheritdoc IDisputeManager
    function getDispute(uint256 disputeId) external view returns (Dispute memory) {
        return _existing(disputeId);
    }

    /// @inheritdoc IDisputeManager
    function onTheMove(uint256 disputeId) external view returns (address) {
        Dispute storage d = _existing(disputeId);
        if (d.phase == Phase.Resolved) return address(0);
        return _nodeToMove(d.phase) ? d.node : d.challenger;
    }

    /// @inheritdoc IDisputeManager
    function deadline(uint256 disputeId) external view returns (uint256) {
        Dispute storage d = _existing(disputeId);
        if (d.phase == Phase.Resolved) return 0;
        return GameLib.deadline(d.turnStartedAt, _nodeToMove(d.phase) ? d.nodeClock : d.challengerClock);
    }

    /// @inheritdoc IDisputeManager
    function credits(address account) external view returns (uint256) {
        return _credits[account];
    }

    /// @inheritdoc IDisputeManager
    function bond() external view returns (uint256) {
        return _bond;
    }

    /// @inheritdoc IDisputeManager
    function moveClock() external view returns (uint64) {
        return _moveClock;
    }

    /// @inheritdoc IDisputeManager
    function clockExtension() external view returns (uint64) {
        return _clockExtension;
    }

    /// @inheritdoc IDisputeManager
    function rewardPpm() external view returns (uint32) {
        return _rewardPpm;
    }

    /// @inheritdoc IDisputeManager
    function bondPpm() external view returns (uint32) {
        return _bondPpm;
    }

    /// @inheritdoc IDisputeManager
    function bondFor(uint256 requestId) external view returns (uint256) {
        return _bondFor(requestId, inference.disputeInfo(requestId).collateral);
    }

    /// @inheritdoc IDisputeManager
    function challengerLosses(uint256 requestId) external view returns (uint256) {
        return _challengerLosses[requestId];
    }

    /// @inheritdoc IDisputeManager
    function maxGameDuration() external view returns (uint256) {
        return GameLib.maxDuration(_moveClock, _clockExtension, MAX_MOVES);
    }

    /// @inheritdoc IDisputeManager
    function disputeCount() external view returns (uint256) {
        return _disputeCount;
    }

    // -- Internal: turns and clocks --

    /// @dev Checks the phase, the caller and the caller's clock, and charges the time it took to move.
    function _beginMove(uint256 disputeId, Phase expected) private returns (Dispute storage d) {
        d = _existing(disputeId);
        if (d.phase != expected) revert DisputeManagerWrongPhase(disputeId, expected, d.phase);
        bool nodeToMove = _nodeToMove(expected);
        if (msg.sender != (nodeToMove ? d.node : d.challenger)) revert DisputeManagerNotYourTurn(disputeId, msg.sender);
        (uint64 left, bool expired) = GameLib.charge(nodeToMove ? d.nodeClock : d.challengerClock, d.turnStartedAt);
        if (expired) revert DisputeManagerClockExpired(disputeId);
        if (nodeToMove) d.nodeClock = left;
        else d.challengerClock = left;
    }

    /// @dev Hands the move to the other side, extending its clock if it is nearly out.
    function _handOver(Dispute storage d, Phase next) private {
        d.phase = next;
        d.turnStartedAt = uint64(block.timestamp);
        uint64 extension = _clockExtension;
        if (_nodeToMove(next)) {
            if (GameLib.needsExtension(d.nodeClock, extension)) d.nodeClock = extension;
        } else if (GameLib.needsExtension(d.challengerClock, extension)) {
            d.challengerClock = extension;
        }
    }

    function _nodeToMove(Phase phase) private pure returns (bool) {
        return phase == Phase.AwaitingRoots || phase == Phase.AwaitingChildren || phase == Phase.AwaitingChunk;
    }

    function _existing(uint256 disputeId) private view returns (Dispute storage d) {
        d = _disputes[disputeId];
        if (d.phase == Phase.None) revert DisputeManagerUnknownDispute(disputeId);
    }

    /// @dev The length of S_{step+1}, from layer `step`'s descriptor proven against the registered weights root
    /// (`GameLib.checkLayer`), with this contract's errors.
    function _layerOutLength(
        uint256 disputeId,
        bytes32 weightsRoot,
        uint256 layerCount,
        uint32 step,
        IStepVerifier.LayerWitness calldata layer
    ) private pure returns (uint256 outLength) {
        uint8 check;
        (check, outLength) = GameLib.checkLayer(weightsRoot, layerCount, step, layer);
        if (check == GameLib.LAYER_BAD_PROOF) revert DisputeManagerBadProof(disputeId, ProofPart.Layer);
        if (check == GameLib.LAYER_BAD_DESCRIPTOR) revert DisputeManagerBadProof(disputeId, ProofPart.Descriptor);
        if (check == GameLib.LAYER_TOO_LARGE) revert DisputeManagerStateTooLarge(disputeId, outLength, MAX_STATE_BYTES);
    }

    // -- Internal: the last move --

    /// @dev The challenger's final move: which byte of the opened chunk it disputes, as a claim for the verifier.
    /// (`GameLib.compute` answers 0 for a byte of the zero padding past the state's end.)
    function _beginProof(
        uint256 disputeId,
        uint8 byteIndex
    ) private returns (Dispute storage d, IStepVerifier.StepClaim memory claim) {
        d = _beginMove(disputeId, Phase.AwaitingProof);
        if (byteIndex >= 32) revert DisputeManagerByteOutOfRange(byteIndex);
        claim = GameLib.claimOf(d.weightsRoot, d.layerCount, d.step, d.preStateRoot, d.cursorIndex, byteIndex);
    }

    /// @dev The verifier's value against the node's byte decides the game.
    function _decideStep(
        Dispute storage d,
        uint256 disputeId,
        uint8 byteIndex,
        uint256 element,
        int8 computed
    ) private {
        int8 claimed = int8(uint8(d.chunk[byteIndex]));
        emit StepProven(disputeId, element, claimed, computed);
        bool nodeWrong = computed != claimed;
        _resolve(
            d,
            disputeId,
            nodeWrong,
            nodeWrong ? Resolution.StepRecomputedDifferently : Resolution.StepRecomputedIdentically
        );
    }

    // -- Internal: resolution --

    /// @dev Settles once (the phase becomes Resolved first). Pull credits only; the contracts called are the
    /// protocol's own, and none of them calls back.
    function _resolve(Dispute storage d, uint256 disputeId, bool nodeWrong, Resolution reason) private {
        d.phase = Phase.Resolved;
        d.outcome = nodeWrong ? Outcome.NodeWrong : Outcome.ChallengerWrong;
        if (nodeWrong) {
            // An OPTIMISTIC commitment backs a fee of at least 1 with a multiplier of at least 1: collateral > 0.
            uint256 collateral = inference.endDispute(d.requestId, true);
            uint256 slashed = staking.slash(d.node, collateral, address(this), _rewardPpm);
            uint256 reward = PPMMath.mulPPM(slashed, _rewardPpm);
            _credits[d.challenger] += d.bond + reward;
            // Jailed whatever its status: a node that exited before its lie was proven must not register again.
            GameLib.jailLoser(nodeRegistry, d.node);
        } else {
            inference.endDispute(d.requestId, false);
            ++_challengerLosses[d.requestId];
            // The node gets `rewardPpm` of the forfeited bond; the rest goes where slashes go. A node colluding with
            // a sham challenger to stall its own commitment therefore pays for every stall.
            uint256 toNode = PPMMath.mulPPM(d.bond, _rewardPpm);
            _credits[d.node] += toNode;
            // rewardPpm <= 50% and bond >= 1: the sink's part is never zero.
            token.safeTransfer(staking.slashSink(), d.bond - toNode);
        }
        emit DisputeResolved(disputeId, d.requestId, d.outcome, reason);
    }

    // -- Internal: helpers --

    /// @dev max(bond, collateral x bondPpm), doubled for every game a challenger lost on this commitment: the cost of
    /// freezing a commitment grows with the capital frozen and geometrically with repetition.
    function _bondFor(uint256 requestId, uint256 collateral) private view returns (uint256) {
        uint256 scaled = PPMMath.mulPPM(collateral, _bondPpm);
        uint256 base = scaled > _bond ? scaled : _bond;
        uint256 losses = _challengerLosses[requestId];
        return base << (losses < MAX_BOND_DOUBLINGS ? losses : MAX_BOND_DOUBLINGS);
    }

    function _setBond(uint256 value) private {
        _checkBounds("bond", value, MIN_BOND, MAX_BOND);
        _bond = value;
        emit BondSet(value);
    }

    function _setMoveClock(uint64 value) private {
        _checkBounds("moveClock", value, MIN_MOVE_CLOCK, MAX_MOVE_CLOCK);
        _moveClock = value;
        emit MoveClockSet(value);
    }

    function _setClockExtension(uint64 value) private {
        _checkBounds("clockExtension", value, MIN_CLOCK_EXTENSION, MAX_CLOCK_EXTENSION);
        _clockExtension = value;
        emit ClockExtensionSet(value);
    }

    function _setBondPpm(uint32 value) private {
        _checkBounds("bondPpm", value, 0, MAX_BOND_PPM);
        _bondPpm = value;
        emit BondPpmSet(value);
    }

    function _setRewardPpm(uint32 value) private {
        _checkBounds("rewardPpm", value, 0, MAX_REWARD_PPM);
        _rewardPpm = value;
        emit RewardPpmSet(value);
    }

    function _checkBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) revert DisputeManagerParameterOutOfBounds(parameter, value, min, max);
    }
}
