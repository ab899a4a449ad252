// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

import {BisectionGame} from "../game/BisectionGame.sol";
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
/// @dev The game itself (the bisection and its padding rule, the chunk, the proof, the clocks, the timeout, the
/// credits) is `BisectionGame`, written once and shared with the RedundantManager; the node is its player A and the
/// challenger its player B. This contract holds what only a dispute has: how it is opened (a bond, against a
/// commitment of the InferenceManager), the node's roots and the challenger's step, the challenger's choice of a child,
/// and the settlement (a slash or a forfeited bond).
contract DisputeManager is IDisputeManager, AccessControl, BisectionGame {
    using SafeERC20 for IERC20;

    string public constant VERSION = "0.1.0";

    bytes32 public constant GOVERNOR_ROLE = keccak256("GOVERNOR_ROLE");

    uint256 public constant MIN_BOND = 1;
    uint256 public constant MAX_BOND = 1e9 ether;
    /// @notice open, (reveal pass roots, select pass: a generation,) reveal roots, select step, (children + choice)
    /// per tree level, open chunk, prove.
    uint256 public constant MAX_MOVES = 6 + 2 * (MAX_TREE_DEPTH + 1);
    /// @notice The bond may scale with the collateral a dispute freezes: at most 100% of it.
    uint32 public constant MAX_BOND_PPM = 1_000_000;
    /// @notice The bond doubles with each game a challenger lost on the same commitment, at most this many times
    /// (2^64 bonds exceed any token supply: the cap only keeps the arithmetic from overflowing).
    uint256 public constant MAX_BOND_DOUBLINGS = 64;
    uint32 private constant _DEFAULT_BOND_PPM = 100_000;

    IInferenceManager public immutable inference;
    IModelRegistry public immutable modelRegistry;
    INodeRegistry public immutable nodeRegistry;
    IStaking public immutable staking;

    /// @dev What a dispute holds beside its `GameState` (`_games`): its bond, the registered output length, and the
    /// roots it is played against. A generation's dispute (docs/GENERATION.md §8) also holds the pass it selected and
    /// that pass's trace root, against which its state roots are played.
    struct Terms {
        uint192 bond;
        uint32 outputLength;
        bytes32 traceRoot;
        bytes32 weightsRoot;
        bytes32 passRoot;
        uint32 pass;
        bool generation;
        uint8 rule;
        uint8 claimedByte;
    }

    uint256 private _bond;
    uint64 private _moveClockSetting;
    uint64 private _clockExtensionSetting;
    uint32 private _rewardPpm;
    uint32 private _bondPpm;

    uint256 private _disputeCount;
    mapping(uint256 disputeId => Terms terms) private _terms;
    mapping(uint256 requestId => bool revealed) private _rootsRevealed;
    /// @dev Games lost by a challenger on each request's commitment: the next bond is doubled that many times.
    mapping(uint256 requestId => uint256 losses) private _challengerLosses;
    /// @dev The number of passes of a generation commitment whose pass roots were revealed.
    mapping(uint256 requestId => uint256 passes) private _passCounts;

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
    ) BisectionGame(IERC20(contracts.token), IStepVerifier(contracts.verifier)) {
        if (
            contracts.token == address(0) ||
            contracts.inference == address(0) ||
            contracts.modelRegistry == address(0) ||
            contracts.nodeRegistry == address(0) ||
            contracts.staking == address(0) ||
            contracts.verifier == address(0) ||
            admin == address(0)
        ) revert DisputeManagerZeroAddress();
        inference = IInferenceManager(contracts.inference);
        modelRegistry = IModelRegistry(contracts.modelRegistry);
        nodeRegistry = INodeRegistry(contracts.nodeRegistry);
        staking = IStaking(contracts.staking);
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
        bool generation = modelRegistry.generationOf(info.versionId).contextLength != 0;
        uint256 bond_ = _bondFor(requestId, info.collateral);

        disputeId = ++_disputeCount;
        GameState storage g = _games[disputeId];
        g.requestId = requestId;
        g.playerA = info.node;
        g.playerB = msg.sender;
        g.clockA = _moveClockSetting;
        g.clockB = _moveClockSetting;
        g.turnStartedAt = uint64(block.timestamp);
        g.layerCount = version.layerCount;
        bool revealed = _rootsRevealed[requestId];
        if (generation) g.phase = uint8(revealed ? Phase.AwaitingPass : Phase.AwaitingPassRoots);
        else g.phase = uint8(revealed ? Phase.AwaitingStep : Phase.AwaitingRoots);
        Terms storage t = _terms[disputeId];
        if (generation) t.generation = true;
        t.bond = SafeCast.toUint192(bond_);
        t.outputLength = SafeCast.toUint32(GameLib.elements(version.outputShape));
        t.traceRoot = traceRoot;
        t.weightsRoot = version.weightsRoot;

        token.safeTransferFrom(msg.sender, address(this), bond_);
        emit DisputeOpened(disputeId, requestId, msg.sender, info.node, bond_);
    }

    /// @inheritdoc IDisputeManager
    function revealPassRoots(
        uint256 disputeId,
        bytes32[] calldata passRoots,
        bytes calldata input,
        bytes calldata output
    ) external {
        GameState storage g = _beginMove(disputeId, uint8(Phase.AwaitingPassRoots));
        Terms storage t = _terms[disputeId];
        uint256 requestId = g.requestId;
        IModelRegistry.GenerationSpec memory spec = _checkRecords(disputeId, requestId, t, input, output);
        uint8 check = GameLib.checkGeneration(passRoots, t.traceRoot, input, output, spec);
        if (check == GameLib.GENERATION_BAD_RESPONSE) {
            revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.Response);
        }
        if (check == GameLib.GENERATION_BAD_COUNT) {
            revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.PassCount);
        }
        if (check == GameLib.GENERATION_BAD_ROOT) {
            revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.TraceRoot);
        }
        _rootsRevealed[requestId] = true;
        _passCounts[requestId] = passRoots.length;
        emit PassRootsRevealed(disputeId, requestId, passRoots);
        _handOver(g, uint8(Phase.AwaitingPass));
    }

    /// @inheritdoc IDisputeManager
    function selectPass(uint256 disputeId, uint32 pass, bytes32 passRoot, bytes32[] calldata proof) external {
        GameState storage g = _beginMove(disputeId, uint8(Phase.AwaitingPass));
        uint256 passes = _passCounts[g.requestId];
        if (pass >= passes) revert DisputeManagerPassOutOfRange(pass, passes);
        Terms storage t = _terms[disputeId];
        if (!MerkleLib.verify(t.traceRoot, passRoot, pass, passes, proof)) {
            revert DisputeManagerBadProof(disputeId, ProofPart.Pass);
        }
        t.pass = pass;
        t.passRoot = passRoot;
        emit PassSelected(disputeId, pass, passRoot);
        _handOver(g, uint8(Phase.AwaitingRoots));
    }

    /// @inheritdoc IDisputeManager
    function revealStateRoots(
        uint256 disputeId,
        bytes32[] calldata stateRoots,
        bytes calldata input,
        bytes calldata output
    ) external {
        GameState storage g = _beginMove(disputeId, uint8(Phase.AwaitingRoots));
        Terms storage t = _terms[disputeId];
        uint256 layerCount = g.layerCount;
        bool generation = t.generation;
        uint8 trace = GameLib.checkTrace(stateRoots, layerCount, generation ? t.passRoot : t.traceRoot);
        if (trace == GameLib.TRACE_BAD_COUNT) revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.Count);
        if (trace == GameLib.TRACE_BAD_ROOT) revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.TraceRoot);
        uint256 requestId = g.requestId;
        IModelRegistry.GenerationSpec memory spec = _checkRecords(disputeId, requestId, t, input, output);
        if (generation) {
            // S_0 of the pass is its window over the prompt and the bytes before it; its last state, the logits,
            // is checked against the committed byte by `proveChoice`.
            uint32 pass = t.pass;
            if (GameLib.passInputRoot(input, output, pass, spec) != stateRoots[0]) {
                revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.FirstRoot);
            }
            // What `proveChoice` checks the logits against: the rule (the record is valid, since the response has
            // passes: `checkGeneration`) and the node's byte at the pass.
            t.rule = uint8(input[0]);
            t.claimedByte = uint8(output[1 + pass]);
        } else {
            if (GameLib.stateRoot(input) != stateRoots[0]) {
                revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.FirstRoot);
            }
            if (GameLib.stateRoot(output) != stateRoots[layerCount]) {
                revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.LastRoot);
            }
            _rootsRevealed[requestId] = true;
        }
        emit StateRootsRevealed(disputeId, requestId, stateRoots);
        _handOver(g, uint8(Phase.AwaitingStep));
    }

    /// @inheritdoc IDisputeManager
    function proveChoice(
        uint256 disputeId,
        bytes calldata logits,
        bytes32[] calldata logitsProof
    ) external nonReentrant {
        GameState storage g = _beginMove(disputeId, uint8(Phase.AwaitingStep));
        Terms storage t = _terms[disputeId];
        if (!t.generation) revert DisputeManagerNotGeneration(disputeId);
        uint32 pass = t.pass;
        GameLib.PassChoice memory c = GameLib.PassChoice(t.passRoot, g.layerCount, t.rule, g.requestId, pass);
        (bool proven, uint8 computed) = GameLib.provenChoice(c, logits, logitsProof);
        if (!proven) revert DisputeManagerBadProof(disputeId, ProofPart.PostState);
        uint8 claimed = t.claimedByte;
        if (computed == claimed) revert DisputeManagerChoiceHolds(disputeId, pass, claimed);
        emit ChoiceProven(disputeId, pass, claimed, computed);
        _resolve(disputeId, g, _A_WRONG, Resolution.ChoiceRecomputedDifferently);
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
        GameState storage g = _beginMove(disputeId, uint8(Phase.AwaitingStep));
        uint32 layerCount = g.layerCount;
        if (step >= layerCount) revert DisputeManagerStepOutOfRange(step, layerCount);
        Terms storage t = _terms[disputeId];
        bytes32 traceRoot = t.generation ? t.passRoot : t.traceRoot;
        if (!MerkleLib.verify(traceRoot, preStateRoot, step, uint256(layerCount) + 1, preProof)) {
            revert DisputeManagerBadProof(disputeId, ProofPart.PreState);
        }
        if (!MerkleLib.verify(traceRoot, postStateRoot, uint256(step) + 1, uint256(layerCount) + 1, postProof)) {
            revert DisputeManagerBadProof(disputeId, ProofPart.PostState);
        }
        uint256 outLength = _layerOutLength(disputeId, g, step, layer);
        emit StepSelected(disputeId, step, preStateRoot, postStateRoot);
        _startBisection(g, step, preStateRoot, postStateRoot, outLength);
    }

    /// @inheritdoc IDisputeManager
    function chooseChild(uint256 disputeId, bool right) external {
        _descend(disputeId, _beginMove(disputeId, uint8(Phase.AwaitingChoice)), right);
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
    function getDispute(uint256 disputeId) external view returns (Dispute memory d) {
        GameState storage g = _existing(disputeId);
        Terms storage t = _terms[disputeId];
        d.requestId = g.requestId;
        d.node = g.playerA;
        d.challenger = g.playerB;
        d.phase = Phase(g.phase);
        d.outcome = Outcome(g.outcome);
        d.nodeClock = g.clockA;
        d.challengerClock = g.clockB;
        d.turnStartedAt = g.turnStartedAt;
        d.layerCount = g.layerCount;
        d.outputLength = t.outputLength;
        d.step = g.step;
        d.level = g.level;
        d.cursorIndex = g.cursorIndex;
        d.outLength = g.outLength;
        d.bond = t.bond;
        d.traceRoot = t.traceRoot;
        d.weightsRoot = t.weightsRoot;
        d.preStateRoot = g.preStateRoot;
        d.cursor = g.cursorA;
        d.left = g.leftA;
        d.right = g.rightA;
        d.chunk = g.chunkA;
        d.generation = t.generation;
        d.pass = t.pass;
        d.passRoot = t.passRoot;
    }

    /// @inheritdoc IDisputeManager
    function bond() external view returns (uint256) {
        return _bond;
    }

    /// @inheritdoc IDisputeManager
    function moveClock() external view returns (uint64) {
        return _moveClockSetting;
    }

    /// @inheritdoc IDisputeManager
    function clockExtension() external view returns (uint64) {
        return _clockExtensionSetting;
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
    function disputeCount() external view returns (uint256) {
        return _disputeCount;
    }

    // -- Internal: the game's hooks (BisectionGame) --

    /// @dev The node reveals children and the challenger chooses one; only the node opens a chunk.
    function _phases() internal pure override returns (uint8, uint8, uint8, uint8, uint8, uint8, uint8) {
        return (
            uint8(Phase.AwaitingChildren),
            uint8(Phase.AwaitingChoice),
            0,
            uint8(Phase.AwaitingChunk),
            0,
            uint8(Phase.AwaitingProof),
            uint8(Phase.Resolved)
        );
    }

    /// @dev The node moves in AwaitingRoots, AwaitingChildren and AwaitingChunk, the challenger in the others.
    function _moverOf(uint8 phase) internal pure override returns (Mover) {
        Phase p = Phase(phase);
        if (p == Phase.Resolved) return Mover.Nobody;
        return
            p == Phase.AwaitingRoots ||
            p == Phase.AwaitingChildren ||
            p == Phase.AwaitingChunk ||
            p == Phase.AwaitingPassRoots
                ? Mover.A
                : Mover.B;
    }

    function _moveClock() internal view override returns (uint64) {
        return _moveClockSetting;
    }

    function _clockExtension() internal view override returns (uint64) {
        return _clockExtensionSetting;
    }

    function _maxMoves() internal pure override returns (uint256) {
        return MAX_MOVES;
    }

    function _stepTerms(uint256 disputeId, GameState storage g) internal view override returns (bytes32, uint256) {
        return (_terms[disputeId].weightsRoot, g.layerCount);
    }

    /// @dev The challenger may dispute any byte of the node's chunk.
    function _checkByte(uint256, GameState storage, uint256) internal pure override {}

    /// @dev The verifier's value against the node's byte decides the game.
    function _stepOutcome(
        uint256 disputeId,
        GameState storage g,
        uint256 byteIndex,
        uint256 element,
        int8 computed
    ) internal override returns (uint8, Resolution) {
        int8 claimed = int8(uint8(g.chunkA[byteIndex]));
        emit StepProven(disputeId, element, claimed, computed);
        return
            computed != claimed
                ? (_A_WRONG, Resolution.StepRecomputedDifferently)
                : (_B_WRONG, Resolution.StepRecomputedIdentically);
    }

    /// @dev The node's padding is honest (the challenger loses) or forged (the node loses).
    function _paddingOutcome(GameState storage g, bytes32 empty) internal view override returns (uint8, Resolution) {
        return g.cursorA == empty ? (_B_WRONG, Resolution.PaddingDisputed) : (_A_WRONG, Resolution.PaddingForged);
    }

    function _timeoutReason(Mover mover) internal pure override returns (Resolution) {
        return mover == Mover.A ? Resolution.NodeTimedOut : Resolution.ChallengerTimedOut;
    }

    /// @dev Settles once (BisectionGame marks the game resolved first). Pull credits only; the contracts called are
    /// the protocol's own, and none of them calls back.
    function _settle(uint256 disputeId, GameState storage g, uint8 outcome, Resolution reason) internal override {
        uint256 requestId = g.requestId;
        address node = g.playerA;
        uint256 bond_ = _terms[disputeId].bond;
        if (outcome == _A_WRONG) {
            // An OPTIMISTIC commitment backs a fee of at least 1 with a multiplier of at least 1: collateral > 0.
            uint256 collateral = inference.endDispute(requestId, true);
            uint256 slashed = staking.slash(node, collateral, address(this), _rewardPpm);
            uint256 reward = PPMMath.mulPPM(slashed, _rewardPpm);
            _credits[g.playerB] += bond_ + reward;
            // Jailed whatever its status: a node that exited before its lie was proven must not register again.
            GameLib.jailLoser(nodeRegistry, node);
        } else {
            inference.endDispute(requestId, false);
            ++_challengerLosses[requestId];
            // The node gets `rewardPpm` of the forfeited bond; the rest goes where slashes go. A node colluding with
            // a sham challenger to stall its own commitment therefore pays for every stall.
            uint256 toNode = PPMMath.mulPPM(bond_, _rewardPpm);
            _credits[node] += toNode;
            // rewardPpm <= 50% and bond >= 1: the sink's part is never zero.
            token.safeTransfer(staking.slashSink(), bond_ - toNode);
        }
        emit DisputeResolved(disputeId, requestId, Outcome(outcome), reason);
    }

    // -- Internal: helpers --

    /// @dev The checks every reveal and proof makes of the request and response records the caller gives: the input
    /// is the request's, the output has the registered length and, with the committed trace root, is the commitment.
    /// Returns the version's generation terms (all zero unless it generates).
    function _checkRecords(
        uint256 disputeId,
        uint256 requestId,
        Terms storage t,
        bytes calldata input,
        bytes calldata output
    ) private view returns (IModelRegistry.GenerationSpec memory spec) {
        IInferenceManager.DisputeInfo memory info = inference.disputeInfo(requestId);
        if (keccak256(input) != info.inputHash) {
            revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.InputHash);
        }
        // The chunk root pads the output with zeros: only the registered length binds the bytes the node committed.
        if (output.length != t.outputLength) {
            revert DisputeManagerBadOutputLength(disputeId, output.length, t.outputLength);
        }
        if (keccak256(abi.encode(keccak256(output), t.traceRoot)) != info.commitmentHash) {
            revert DisputeManagerBadStateRoots(disputeId, StateRootsFault.OutputCommitment);
        }
        if (t.generation) spec = modelRegistry.generationOf(info.versionId);
    }

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
        _moveClockSetting = value;
        emit MoveClockSet(value);
    }

    function _setClockExtension(uint64 value) private {
        _checkBounds("clockExtension", value, MIN_CLOCK_EXTENSION, MAX_CLOCK_EXTENSION);
        _clockExtensionSetting = value;
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
}
