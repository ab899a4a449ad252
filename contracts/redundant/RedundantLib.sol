// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {BisectionGame} from "../game/BisectionGame.sol";
import {GameLib} from "../game/GameLib.sol";
import {ProofPart, StateRootsFault} from "../game/GameTypes.sol";
import {IBisectionGame} from "../interfaces/IBisectionGame.sol";
import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IRedundantManager} from "../interfaces/IRedundantManager.sol";
import {IStaking} from "../interfaces/IStaking.sol";
import {GenerationLib} from "../libraries/GenerationLib.sol";
import {PPMMath} from "../libraries/PPMMath.sol";

/// @title RedundantLib
/// @notice The RedundantManager's settlement (which pair plays next, finalizing or rejecting a request, paying the
/// survivors, eliminating a game's loser) and the checks of its games over generations (the records and pass roots a
/// node reveals, the first pass where two generations part). They are `external` library functions, reached by
/// DELEGATECALL so that they act on the manager's own storage and emit its events, only to keep the manager under
/// the 24 kB code-size limit: a call costs one DELEGATECALL (2.6k gas the first time in a transaction).
/// @dev Reverts only with the manager's errors (`IRedundantManager`), and GenerationLib's on malformed logits.
library RedundantLib {
    /// @notice The largest k governance may allow: the games of a request are at most k - 1, one at a time.
    uint8 internal constant MAX_NODES = 5;
    uint32 internal constant MAX_COLLATERAL_MULTIPLIER = 1_000;
    uint64 internal constant MIN_COMMIT_TIMEOUT = 1 minutes;
    uint64 internal constant MAX_COMMIT_TIMEOUT = 7 days;

    /// @notice Reverts `BisectionGameParameterOutOfBounds` unless every parameter is within its bounds.
    /// @param p The governance parameters.
    function checkParameters(IRedundantManager.Params memory p) external pure {
        _checkBounds("maxNodes", p.maxNodes, 2, MAX_NODES);
        _checkBounds("collateralMultiplier", p.collateralMultiplier, 1, MAX_COLLATERAL_MULTIPLIER);
        _checkBounds("commitTimeout", p.commitTimeout, MIN_COMMIT_TIMEOUT, MAX_COMMIT_TIMEOUT);
        _checkBounds("moveClock", p.moveClock, GameLib.MIN_MOVE_CLOCK, GameLib.MAX_MOVE_CLOCK);
        _checkBounds("clockExtension", p.clockExtension, GameLib.MIN_CLOCK_EXTENSION, GameLib.MAX_CLOCK_EXTENSION);
        _checkBounds("rewardPpm", p.rewardPpm, 0, GameLib.MAX_REWARD_PPM);
    }

    /// @notice After a commit, a close or a game: the first two survivors (by slot order) whose outputs differ, if
    /// any (then the manager opens their game); otherwise, once no slot is pending, settles the request: Finalized
    /// with the survivors' output (each paid and released), or Rejected with none (the escrow left is refunded).
    /// Loops over at most MAX_NODES slots.
    /// @param requestId The request.
    /// @param r Its record.
    /// @param slots Its slots.
    /// @param credits The manager's pull credits.
    /// @param staking The Staking contract (the manager holds INFERENCE_ROLE).
    /// @return pair Whether two survivors disagree.
    /// @return slotA The first of them.
    /// @return slotB The second.
    function advance(
        uint256 requestId,
        IRedundantManager.Request storage r,
        IRedundantManager.Slot[] storage slots,
        mapping(address => uint256) storage credits,
        IStaking staking
    ) external returns (bool pair, uint256 slotA, uint256 slotB) {
        uint256 n = slots.length;
        uint256 first = type(uint256).max;
        uint8 survivors;
        for (uint256 i; i < n; ++i) {
            if (slots[i].status != IRedundantManager.SlotStatus.Committed) continue;
            if (first == type(uint256).max) {
                first = i;
            } else if (slots[i].outputHash != slots[first].outputHash) {
                return (true, first, i);
            }
            ++survivors;
        }
        if (r.committed < r.k && !r.closed) return (false, 0, 0);
        if (survivors == 0) {
            r.status = IRedundantManager.RequestStatus.Rejected;
            uint256 refund = r.escrow;
            r.escrow = 0;
            if (refund > 0) credits[r.requester] += refund;
            emit IRedundantManager.RedundantRejected(requestId);
            return (false, 0, 0);
        }
        r.status = IRedundantManager.RequestStatus.Finalized;
        bytes32 result = slots[first].outputHash;
        r.resultHash = result;
        payCommitted(r, slots, credits, staking, survivors);
        emit IRedundantManager.RedundantFinalized(requestId, result, survivors);
    }

    /// @notice Closes a request past its deadline (the manager checked it may be closed): with fewer than 2
    /// commitments it expires (a lone committer did what it was named for: it is paid its fee and released, otherwise
    /// a requester could lock its collateral for free; the other fees are refunded); otherwise the empty slots' fees
    /// are refunded and the request goes on with the slots it has (the manager advances it).
    /// @param requestId The request.
    /// @param r Its record.
    /// @param slots Its slots.
    /// @param credits The manager's pull credits.
    /// @param staking The Staking contract.
    /// @return expired Whether the request expired (else it was closed and must advance).
    function close(
        uint256 requestId,
        IRedundantManager.Request storage r,
        IRedundantManager.Slot[] storage slots,
        mapping(address => uint256) storage credits,
        IStaking staking
    ) external returns (bool expired) {
        uint8 committed = r.committed;
        if (committed < 2) {
            r.status = IRedundantManager.RequestStatus.Expired;
            payCommitted(r, slots, credits, staking, committed);
            uint256 refund = r.escrow;
            r.escrow = 0;
            credits[r.requester] += refund;
            emit IRedundantManager.RedundantExpired(requestId, committed, refund);
            return true;
        }
        r.closed = true;
        uint256 refunded = r.feePerNode * (r.k - committed);
        r.escrow -= refunded;
        credits[r.requester] += refunded;
        emit IRedundantManager.RedundantClosed(requestId, committed, refunded);
    }

    /// @notice Credits each of the `count` committed (surviving) slots its fee from the escrow and releases its
    /// collateral, once: the slot becomes Paid. Loops over at most MAX_NODES slots.
    /// @param r The request's record.
    /// @param slots Its slots.
    /// @param credits The manager's pull credits.
    /// @param staking The Staking contract.
    /// @param count The number of committed slots.
    function payCommitted(
        IRedundantManager.Request storage r,
        IRedundantManager.Slot[] storage slots,
        mapping(address => uint256) storage credits,
        IStaking staking,
        uint256 count
    ) internal {
        uint256 fee = r.feePerNode;
        uint256 collateral = r.collateral;
        r.escrow -= fee * count;
        uint256 n = slots.length;
        for (uint256 i; i < n; ++i) {
            IRedundantManager.Slot storage s = slots[i];
            if (s.status != IRedundantManager.SlotStatus.Committed) continue;
            s.status = IRedundantManager.SlotStatus.Paid;
            credits[s.node] += fee;
            staking.unlock(s.node, collateral);
        }
    }

    /// @notice Eliminates a game's loser: slashes its slot's collateral (the manager holds SLASHER_ROLE). With a
    /// winner, the winner is credited the loser's fee and `rewardPpm` of the slash; without one (both wrong), the fee
    /// goes back to the requester and the whole slash to the sink. The manager jails the loser.
    /// @param requestId The request.
    /// @param r Its record.
    /// @param s The loser's slot.
    /// @param credits The manager's pull credits.
    /// @param staking The Staking contract.
    /// @param rewardPpm The winner's share of the slash.
    /// @param winner The winner, or address(0) when both lost.
    function eliminate(
        uint256 requestId,
        IRedundantManager.Request storage r,
        IRedundantManager.Slot storage s,
        mapping(address => uint256) storage credits,
        IStaking staking,
        uint32 rewardPpm,
        address winner
    ) external {
        s.status = IRedundantManager.SlotStatus.Eliminated;
        address node = s.node;
        if (winner == address(0)) rewardPpm = 0;
        uint256 released = staking.unlock(node, r.collateral);
        uint256 slashed;
        uint256 reward;
        if (released > 0) {
            slashed = staking.slash(node, released, winner == address(0) ? address(0) : address(this), rewardPpm);
            reward = PPMMath.mulPPM(slashed, rewardPpm);
        }
        uint256 fee = r.feePerNode;
        r.escrow -= fee;
        credits[winner == address(0) ? r.requester : winner] += fee + reward;
        emit IRedundantManager.NodeEliminated(requestId, node, slashed, reward);
    }

    // -- Requests and commitments --

    /// @notice Whether version `versionId` generates text (its generation terms are registered).
    /// @param registry The ModelRegistry's address.
    /// @param versionId The version.
    /// @return True iff its context length is not 0.
    function generates(address registry, uint256 versionId) external view returns (bool) {
        // An address, not IModelRegistry: a contract-typed parameter would put a type ethers cannot parse in the ABI.
        return IModelRegistry(registry).generationOf(versionId).contextLength != 0;
    }

    /// @notice Reserves slot i of a new request for nodes[i]: distinct nodes, each eligible for the version now.
    /// Loops over at most MAX_NODES nodes (and pairs of nodes).
    /// @param slots The request's (empty) slots.
    /// @param registry The NodeRegistry.
    /// @param versionId The version requested.
    /// @param nodes The nodes named.
    function reserveSlots(
        IRedundantManager.Slot[] storage slots,
        INodeRegistry registry,
        uint256 versionId,
        address[] calldata nodes
    ) external {
        uint256 k = nodes.length;
        for (uint256 i; i < k; ++i) {
            address node = nodes[i];
            for (uint256 j; j < i; ++j)
                if (nodes[j] == node) revert IRedundantManager.RedundantManagerDuplicateNode(node);
            if (!registry.isEligible(node, versionId)) {
                revert IRedundantManager.RedundantManagerNotEligible(node, versionId);
            }
            slots.push(
                IRedundantManager.Slot({
                    node: node,
                    status: IRedundantManager.SlotStatus.Named,
                    outputHash: 0,
                    traceRoot: 0
                })
            );
        }
    }

    /// @notice The caller's slot of `requestId`, which must be open to commits, name the caller and still be empty;
    /// the caller must still be eligible. Loops over at most MAX_NODES slots.
    /// @param requestId The request.
    /// @param r Its record.
    /// @param slots Its slots.
    /// @param registry The NodeRegistry.
    /// @return The caller's slot.
    function namedSlot(
        uint256 requestId,
        IRedundantManager.Request storage r,
        IRedundantManager.Slot[] storage slots,
        INodeRegistry registry
    ) external view returns (uint8) {
        if (r.closed || block.timestamp > r.commitDeadline) {
            revert IRedundantManager.RedundantManagerCommitClosed(requestId, r.commitDeadline);
        }
        uint256 n = slots.length;
        for (uint256 i; i < n; ++i) {
            IRedundantManager.Slot storage s = slots[i];
            if (s.node != msg.sender) continue;
            if (s.status != IRedundantManager.SlotStatus.Named) {
                revert IRedundantManager.RedundantManagerAlreadyCommitted(requestId, msg.sender);
            }
            if (!registry.isEligible(msg.sender, r.versionId)) {
                revert IRedundantManager.RedundantManagerNotEligible(msg.sender, r.versionId);
            }
            return uint8(i);
        }
        revert IRedundantManager.RedundantManagerNotNamed(requestId, msg.sender);
    }

    /// @notice A commitment's anchors: the output has the registered length, leaf 0 of the trace root is the input's
    /// root and leaf L the output's. A generation's response is only checked for its length here: its pass roots are
    /// checked when a game reveals them.
    /// @param requestId The request.
    /// @param r Its record.
    /// @param output The committed output.
    /// @param traceRoot The committed trace root.
    /// @param inputProof The proof of the input's root as leaf 0.
    /// @param outputProof The proof of the output's root as leaf L.
    function checkAnchors(
        uint256 requestId,
        IRedundantManager.Request storage r,
        bytes calldata output,
        bytes32 traceRoot,
        bytes32[] calldata inputProof,
        bytes32[] calldata outputProof
    ) external view {
        if (output.length != r.outputLength) {
            revert IRedundantManager.RedundantManagerBadLength(
                IRedundantManager.TraceEnd.Output,
                output.length,
                r.outputLength
            );
        }
        if (r.generation) return;
        uint8 check = GameLib.checkAnchors(traceRoot, r.layerCount, r.inputRoot, output, inputProof, outputProof);
        if (check == GameLib.ANCHOR_BAD_INPUT) {
            revert IRedundantManager.RedundantManagerBadAnchor(requestId, IRedundantManager.TraceEnd.Input);
        }
        if (check == GameLib.ANCHOR_BAD_OUTPUT) {
            revert IRedundantManager.RedundantManagerBadAnchor(requestId, IRedundantManager.TraceEnd.Output);
        }
    }

    // -- Games over generations (docs/GENERATION.md §9) --

    /// @notice The records a node reveals in a game over a generation: the request record must be the request's
    /// (its chunk root, and the registered length, which a chunk root's zero padding would not bind) and the response
    /// the one `s` committed. Reverts `RedundantManagerBadRoots(gameId, InputHash or OutputCommitment)`.
    /// @param gameId The game (for the error).
    /// @param r The request's record.
    /// @param s The revealing node's slot.
    /// @param spec The version's generation terms.
    /// @param input The request record.
    /// @param output The node's response record.
    function checkRecords(
        uint256 gameId,
        IRedundantManager.Request storage r,
        IRedundantManager.Slot storage s,
        IModelRegistry.GenerationSpec memory spec,
        bytes calldata input,
        bytes calldata output
    ) internal view {
        if (
            input.length != GenerationLib.REQUEST_HEADER_BYTES + spec.maxPrompt ||
            GameLib.stateRoot(input) != r.inputRoot
        ) {
            revert IRedundantManager.RedundantManagerBadRoots(gameId, StateRootsFault.InputHash);
        }
        if (keccak256(output) != s.outputHash) {
            revert IRedundantManager.RedundantManagerBadRoots(gameId, StateRootsFault.OutputCommitment);
        }
    }

    /// @notice A node's revealed generation: its records (`checkRecords`), and pass roots that answer them
    /// (`GameLib.checkGeneration`) under `s`'s generation root. Reverts `RedundantManagerBadRoots(gameId, fault)`:
    /// InputHash, OutputCommitment, Response, PassCount or `badRoot`.
    /// @param gameId The game (for the error).
    /// @param r The request's record.
    /// @param s The revealing node's slot.
    /// @param passRoots The node's pass roots.
    /// @param input The request record.
    /// @param output The node's response record.
    /// @param badRoot TraceRootOfA or TraceRootOfB: the fault when the pass roots miss the generation root.
    /// @param spec The version's generation terms.
    function checkGeneration(
        uint256 gameId,
        IRedundantManager.Request storage r,
        IRedundantManager.Slot storage s,
        bytes32[] calldata passRoots,
        bytes calldata input,
        bytes calldata output,
        StateRootsFault badRoot,
        IModelRegistry.GenerationSpec memory spec
    ) internal view {
        checkRecords(gameId, r, s, spec, input, output);
        uint8 check = GameLib.checkGeneration(passRoots, s.traceRoot, input, output, spec);
        if (check == GameLib.GENERATION_BAD_RESPONSE) {
            revert IRedundantManager.RedundantManagerBadRoots(gameId, StateRootsFault.Response);
        }
        if (check == GameLib.GENERATION_BAD_COUNT) {
            revert IRedundantManager.RedundantManagerBadRoots(gameId, StateRootsFault.PassCount);
        }
        if (check == GameLib.GENERATION_BAD_ROOT) revert IRedundantManager.RedundantManagerBadRoots(gameId, badRoot);
    }

    /// @notice A's pass roots (`checkGeneration` against A's slot).
    /// @param gameId The game.
    /// @param g Its state.
    /// @param requests The manager's requests.
    /// @param slots The manager's slots.
    /// @param registry The ModelRegistry.
    /// @param passRoots A's pass roots.
    /// @param input The request record.
    /// @param output A's response record.
    function checkPassRootsOfA(
        uint256 gameId,
        BisectionGame.GameState storage g,
        mapping(uint256 => IRedundantManager.Request) storage requests,
        mapping(uint256 => IRedundantManager.Slot[]) storage slots,
        IModelRegistry registry,
        bytes32[] calldata passRoots,
        bytes calldata input,
        bytes calldata output
    ) external view {
        IRedundantManager.Request storage r = requests[g.requestId];
        IModelRegistry.GenerationSpec memory spec = registry.generationOf(r.versionId);
        IRedundantManager.Slot storage s = slots[g.requestId][g.slotA];
        checkGeneration(gameId, r, s, passRoots, input, output, StateRootsFault.TraceRootOfA, spec);
    }

    /// @notice A's S_0 of the located pass must be the chunk root of the pass's input window over the prompt and
    /// A's bytes before the pass (docs/GENERATION.md §3), A's records being checked first (`checkRecords`). Reverts
    /// `RedundantManagerBadRoots(gameId, FirstRoot)` otherwise.
    /// @param gameId The game.
    /// @param r The request's record.
    /// @param s Node A's slot.
    /// @param registry The ModelRegistry.
    /// @param pass The located pass.
    /// @param firstRoot A's revealed root of S_0.
    /// @param input The request record.
    /// @param output A's response record.
    function checkPassInput(
        uint256 gameId,
        IRedundantManager.Request storage r,
        IRedundantManager.Slot storage s,
        IModelRegistry registry,
        uint32 pass,
        bytes32 firstRoot,
        bytes calldata input,
        bytes calldata output
    ) external view {
        IModelRegistry.GenerationSpec memory spec = registry.generationOf(r.versionId);
        checkRecords(gameId, r, s, spec, input, output);
        if (GameLib.passInputRoot(input, output, pass, spec) != firstRoot) {
            revert IRedundantManager.RedundantManagerBadRoots(gameId, StateRootsFault.FirstRoot);
        }
    }

    /// @notice The choice from the agreed logits of the located pass: the logits' chunk root must be leaf L of the
    /// pass root (`RedundantManagerBadProof(gameId, Logits)` otherwise); the byte they choose (docs/GENERATION.md §4,
    /// seeded by this manager's request id) is compared with both nodes' (`ChoiceProven`).
    /// @param gameId The game.
    /// @param g Its state.
    /// @param requests The manager's requests.
    /// @param p The game's pass terms.
    /// @param logits The pass's 256 int8 logits.
    /// @param proof The proof of their chunk root as leaf L of the pass root.
    /// @return outcome BWrong if A's byte is the choice, AWrong if B's is, BothWrong if neither is (Outcome numbers).
    function choiceOutcome(
        uint256 gameId,
        BisectionGame.GameState storage g,
        mapping(uint256 => IRedundantManager.Request) storage requests,
        IRedundantManager.PassTerms storage p,
        bytes calldata logits,
        bytes32[] calldata proof
    ) external returns (uint8 outcome) {
        uint256 requestId = g.requestId;
        uint256 layerCount = requests[requestId].layerCount;
        GameLib.PassChoice memory c = GameLib.PassChoice(p.rootA, layerCount, p.rule, requestId, p.pass);
        (bool proven, uint8 computed) = GameLib.provenChoice(c, logits, proof);
        if (!proven) revert IRedundantManager.RedundantManagerBadProof(gameId, ProofPart.Logits);
        emit IRedundantManager.ChoiceProven(gameId, p.pass, p.byteA, p.byteB, computed);
        if (computed == p.byteA) return uint8(IRedundantManager.Outcome.BWrong);
        return uint8(computed == p.byteB ? IRedundantManager.Outcome.AWrong : IRedundantManager.Outcome.BothWrong);
    }

    /// @notice B's answer to A's pass roots: checks both generations (`checkGeneration`, B's then A's), stores the
    /// first pass where they part, with both nodes' bytes and pass roots there and the request's rule byte
    /// (`PassLocated`), and returns whether the two pass roots there are equal (only the choice from the agreed logits
    /// is then disputed).
    /// @param gameId The game.
    /// @param g Its state (its request and the two nodes' slots).
    /// @param requests The manager's requests.
    /// @param slots The manager's slots.
    /// @param registry The ModelRegistry.
    /// @param p The game's pass terms, written here.
    /// @param a A's generation, as revealed.
    /// @param b B's generation.
    /// @param input The request record.
    /// @return agreed Whether the two pass roots of the located pass are equal.
    function locatePass(
        uint256 gameId,
        BisectionGame.GameState storage g,
        mapping(uint256 => IRedundantManager.Request) storage requests,
        mapping(uint256 => IRedundantManager.Slot[]) storage slots,
        IModelRegistry registry,
        IRedundantManager.PassTerms storage p,
        IRedundantManager.Generation calldata a,
        IRedundantManager.Generation calldata b,
        bytes calldata input
    ) external returns (bool agreed) {
        _checkBoth(gameId, g, requests[g.requestId], slots[g.requestId], registry, a, b, input);
        (bool found, uint32 t) = _firstDifferingPass(a.passRoots, b.passRoots, a.output, b.output);
        if (!found) revert IRedundantManager.RedundantManagerBadRoots(gameId, StateRootsFault.Identical);
        // A valid request record (the responses have passes: checkGeneration): its first byte is the rule.
        p.pass = t;
        p.rule = uint8(input[0]);
        _storePass(p, t, a, b);
        emit IRedundantManager.PassLocated(gameId, t, p.rootA, p.rootB, p.byteA, p.byteB);
        agreed = p.rootA == p.rootB;
    }

    /// @dev The first pass where two valid responses to one request part: the first t below both pass counts where
    /// the generated bytes or the pass roots differ. Every pass before it read the same window, so the two sides agree
    /// on its S_0. Two different valid responses always differ at a byte both hold (a shorter one ends with the stop
    /// byte, which the longer one would hold in its middle), so `found` is false only for identical generations.
    function _firstDifferingPass(
        bytes32[] calldata rootsA,
        bytes32[] calldata rootsB,
        bytes calldata outputA,
        bytes calldata outputB
    ) private pure returns (bool found, uint32 pass) {
        uint256 n = rootsA.length < rootsB.length ? rootsA.length : rootsB.length;
        for (uint256 t; t < n; ++t) {
            if (rootsA[t] != rootsB[t] || outputA[1 + t] != outputB[1 + t]) return (true, uint32(t));
        }
    }

    /// @dev Both generations' checks, B's then A's.
    function _checkBoth(
        uint256 gameId,
        BisectionGame.GameState storage g,
        IRedundantManager.Request storage r,
        IRedundantManager.Slot[] storage slots,
        IModelRegistry registry,
        IRedundantManager.Generation calldata a,
        IRedundantManager.Generation calldata b,
        bytes calldata input
    ) private view {
        // The version's terms, read once for both generations.
        IModelRegistry.GenerationSpec memory spec = registry.generationOf(r.versionId);
        checkGeneration(gameId, r, slots[g.slotB], b.passRoots, input, b.output, StateRootsFault.TraceRootOfB, spec);
        checkGeneration(gameId, r, slots[g.slotA], a.passRoots, input, a.output, StateRootsFault.TraceRootOfA, spec);
    }

    /// @dev The two nodes' bytes and pass roots at pass `t`.
    function _storePass(
        IRedundantManager.PassTerms storage p,
        uint32 t,
        IRedundantManager.Generation calldata a,
        IRedundantManager.Generation calldata b
    ) private {
        p.byteA = uint8(a.output[1 + t]);
        p.byteB = uint8(b.output[1 + t]);
        p.rootA = a.passRoots[t];
        p.rootB = b.passRoots[t];
    }

    function _checkBounds(bytes32 parameter, uint256 value, uint256 min, uint256 max) private pure {
        if (value < min || value > max) {
            revert IBisectionGame.BisectionGameParameterOutOfBounds(parameter, value, min, max);
        }
    }
}
