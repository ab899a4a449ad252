// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {INodeRegistry} from "../interfaces/INodeRegistry.sol";
import {IStepVerifier} from "../interfaces/IStepVerifier.sol";
import {Descriptor} from "../libraries/Descriptor.sol";
import {MerkleLib} from "../libraries/MerkleLib.sol";

/// @title GameLib
/// @notice The pure parts and the registry call of Verity's one bisection game (`BisectionGame`, which the
/// DisputeManager and the RedundantManager inherit): the bounds, the chess-clock arithmetic, the trace and layer
/// checks, the bisection cursor with its padding rule, the one-step dispatch and the jailing of a loser. The game's
/// state, turns and moves are `BisectionGame`'s; this library only computes.
/// @dev No error of this library's own: the checks return codes, on which the callers revert with their own custom
/// errors (only MerkleLib's errors on a malformed proof pass through). `stateRoot`, `checkTrace`, `checkAnchors`,
/// `checkLayer` and `jailLoser` are external: deployed once and linked, they keep the Merkle code and the
/// NodeRegistry calls out of both game contracts' bytecode (the RedundantManager is near the code-size limit), for a
/// DELEGATECALL each. Everything else is internal (inlined): a few opcodes each, which a DELEGATECALL would only make
/// dearer.
library GameLib {
    /// @notice A state holds at most 2^24 bytes (program validation), i.e. 2^19 chunks: chunk trees are at most 19
    /// deep.
    uint256 internal constant MAX_TREE_DEPTH = 19;
    /// @notice The longest post-state a game descends into: 2^MAX_TREE_DEPTH chunks of 32 bytes (2^24 bytes, the
    /// program validator's bound). A longer one is refused when its step is selected, so that every game is bounded.
    uint256 internal constant MAX_STATE_BYTES = 32 << MAX_TREE_DEPTH;
    /// @dev A descriptor's head up to and including its outLength word (docs/COMMITMENTS.md §3).
    uint256 private constant _OUT_LENGTH_END = (Descriptor.OUT_LENGTH + 1) * 32;

    // The results of the external checks, as plain codes (an enum would appear as `GameLib.X` in the library's ABI,
    // which ethers cannot parse). 0 is success; the others name the first check that failed.
    /// @notice Every check passed.
    uint8 internal constant OK = 0;
    /// @notice `checkTrace`: not L + 1 state roots.
    uint8 internal constant TRACE_BAD_COUNT = 1;
    /// @notice `checkTrace`: the state roots do not hash to the trace root.
    uint8 internal constant TRACE_BAD_ROOT = 2;
    /// @notice `checkAnchors`: the input's root is not leaf 0 of the trace root.
    uint8 internal constant ANCHOR_BAD_INPUT = 1;
    /// @notice `checkAnchors`: the output's root is not leaf L of the trace root.
    uint8 internal constant ANCHOR_BAD_OUTPUT = 2;
    /// @notice `checkLayer`: the layer root is not leaf `step` of the weights root.
    uint8 internal constant LAYER_BAD_PROOF = 1;
    /// @notice `checkLayer`: the descriptor is too short to hold its outLength word.
    uint8 internal constant LAYER_BAD_DESCRIPTOR = 2;
    /// @notice `checkLayer`: the post-state is longer than MAX_STATE_BYTES.
    uint8 internal constant LAYER_TOO_LARGE = 3;

    // -- The trace and the layer --

    /// @notice The state root of `state`: the root of its chunk tree (COMMITMENTS.md §1), as the trace's leaves are.
    /// @param state The state's bytes (an input S_0 or an output S_L).
    /// @return MerkleLib.rootOfBytes(state).
    function stateRoot(bytes calldata state) external pure returns (bytes32) {
        return MerkleLib.rootOfBytes(state);
    }

    /// @notice Whether `stateRoots` are the L + 1 state roots whose tree is `traceRoot` (COMMITMENTS.md §2).
    /// @param stateRoots The revealed roots of S_0..S_L.
    /// @param layerCount L, the registered number of layers.
    /// @param traceRoot The committed trace root.
    /// @return check OK, or the code of the first check that failed.
    function checkTrace(
        bytes32[] calldata stateRoots,
        uint256 layerCount,
        bytes32 traceRoot
    ) external pure returns (uint8 check) {
        if (stateRoots.length != layerCount + 1) return TRACE_BAD_COUNT;
        if (MerkleLib.rootOfLeaves(stateRoots) != traceRoot) return TRACE_BAD_ROOT;
        return OK;
    }

    /// @notice The anchors of a trace committed before any game: leaf 0 of `traceRoot` is the input's root and leaf
    /// L the root of `output`, so that two traces with different outputs part at a step with an agreed pre-state.
    /// @dev Reverts only as `MerkleLib.verify` does, on a malformed proof (a wrong proof length).
    /// @param traceRoot The committed trace root (of L + 1 leaves).
    /// @param layerCount L, the registered number of layers.
    /// @param inputRoot The root of the input S_0.
    /// @param output The committed output S_L.
    /// @param inputProof The proof of `inputRoot` as leaf 0.
    /// @param outputProof The proof of the output's root as leaf L.
    /// @return OK, or the code of the first check that failed.
    function checkAnchors(
        bytes32 traceRoot,
        uint256 layerCount,
        bytes32 inputRoot,
        bytes calldata output,
        bytes32[] calldata inputProof,
        bytes32[] calldata outputProof
    ) external pure returns (uint8) {
        uint256 leaves = layerCount + 1;
        if (!MerkleLib.verify(traceRoot, inputRoot, 0, leaves, inputProof)) return ANCHOR_BAD_INPUT;
        if (!MerkleLib.verify(traceRoot, MerkleLib.rootOfBytes(output), layerCount, leaves, outputProof)) {
            return ANCHOR_BAD_OUTPUT;
        }
        return OK;
    }

    /// @notice The layer-root check of step `step`: keccak256(keccak256(descriptor) ‖ rowsRoot) must be leaf `step`
    /// of the registered weights root (of `layerCount` leaves). Returns the length of S_{step+1}, the descriptor's
    /// outLength (`Descriptor.outLength`), which fixes the depth of the chunk tree the game descends.
    /// @dev Reverts only as `MerkleLib.verify` does, on a malformed proof (a step out of range, a wrong proof length).
    /// @param weightsRoot The registered weights root of the model version.
    /// @param layerCount L, the registered number of layers.
    /// @param step k, the disputed step S_k -> S_{k+1}.
    /// @param layer The layer's descriptor, rows root and layer proof.
    /// @return check OK, or the code of the first check that failed.
    /// @return outLength |S_{step+1}| in bytes (0 unless the proof and the descriptor's length passed).
    function checkLayer(
        bytes32 weightsRoot,
        uint256 layerCount,
        uint256 step,
        IStepVerifier.LayerWitness calldata layer
    ) external pure returns (uint8 check, uint256 outLength) {
        bytes32 layerRoot = keccak256(abi.encodePacked(keccak256(layer.descriptor), layer.rowsRoot));
        if (!MerkleLib.verify(weightsRoot, layerRoot, step, layerCount, layer.layerProof)) {
            return (LAYER_BAD_PROOF, 0);
        }
        if (layer.descriptor.length < _OUT_LENGTH_END) return (LAYER_BAD_DESCRIPTOR, 0);
        outLength = Descriptor.outLength(layer.descriptor);
        check = outLength > MAX_STATE_BYTES ? LAYER_TOO_LARGE : OK;
    }

    // -- Chess clocks --

    /// @notice Charges the time since `turnStartedAt` to the mover's `clock`.
    /// @param clock The mover's remaining time, in seconds.
    /// @param turnStartedAt When the move was handed to the mover.
    /// @return left What remains of the clock after this move (0 when it expired).
    /// @return expired True iff the mover has run out of time (the move must be refused).
    function charge(uint64 clock, uint64 turnStartedAt) internal view returns (uint64 left, bool expired) {
        uint64 elapsed = uint64(block.timestamp) - turnStartedAt;
        expired = elapsed > clock;
        unchecked {
            left = expired ? 0 : clock - elapsed; // no underflow: elapsed <= clock
        }
    }

    /// @notice Whether a side handed the move with `clock` left must be raised to the `extension` floor.
    /// @param clock The side's remaining time.
    /// @param extension The clockExtension parameter.
    /// @return True iff `clock < extension` (the side then gets `extension`).
    function needsExtension(uint64 clock, uint64 extension) internal pure returns (bool) {
        return clock < extension;
    }

    /// @notice When a side that was handed the move at `turnStartedAt` with `clock` left runs out of time.
    /// @param turnStartedAt When the move was handed over.
    /// @param clock The side's remaining time.
    /// @return The deadline (a move is still accepted at that second, not after).
    function deadline(uint64 turnStartedAt, uint64 clock) internal pure returns (uint256) {
        return uint256(turnStartedAt) + clock;
    }

    /// @notice The longest a game can last: both clocks plus an extension for every possible move.
    /// @param moveClock Each side's initial clock.
    /// @param clockExtension The floor a side is raised to when handed the move.
    /// @param maxMoves The most moves the user's game has.
    /// @return The bound, in seconds.
    function maxDuration(uint64 moveClock, uint64 clockExtension, uint256 maxMoves) internal pure returns (uint256) {
        return 2 * uint256(moveClock) + maxMoves * uint256(clockExtension);
    }

    // -- The bisection cursor over a chunk tree --

    /// @notice The level the bisection starts at: the depth of the chunk tree of an `outLength`-byte state.
    /// @param outLength The post-state's length in bytes (at most MAX_STATE_BYTES: at most MAX_TREE_DEPTH).
    /// @return The root's level (0: a single chunk, opened at once).
    function rootLevel(uint256 outLength) internal pure returns (uint32) {
        return uint32(MerkleLib.depth(MerkleLib.chunkCount(outLength)));
    }

    /// @notice The tree node over `left` and `right`: a revealed pair opens the cursor iff this is the cursor.
    /// @param left The left child.
    /// @param right The right child.
    /// @return keccak256(left ‖ right).
    function parentOf(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(left, right));
    }

    /// @notice The leaf over a 32-byte chunk: an opened chunk is the cursor's iff this is the cursor (at level 0).
    /// @param chunk The chunk.
    /// @return keccak256(chunk).
    function leafOf(bytes32 chunk) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(chunk));
    }

    /// @notice Moves the cursor (`level`, `index`) down to its left or right child.
    /// @param level The cursor's level (> 0).
    /// @param index The cursor's index within its level.
    /// @param right True for the right child.
    /// @return childLevel level - 1.
    /// @return childIndex 2 index, + 1 for the right child.
    function descend(
        uint32 level,
        uint64 index,
        bool right
    ) internal pure returns (uint32 childLevel, uint64 childIndex) {
        childLevel = level - 1;
        childIndex = index * 2 + (right ? 1 : 0);
    }

    /// @notice prod(shape): the byte length of an int8 tensor of that registered shape.
    function elements(uint32[] memory shape) internal pure returns (uint256 n) {
        n = 1;
        for (uint256 i; i < shape.length; ++i) n *= shape[i];
    }

    /// @notice The padding rule: whether the subtree at (`level`, `index`) lies wholly past the state's chunks, so
    /// that its honest value is known (`emptySubtree(level)`) and the game is decided at once.
    /// @param level The subtree's level.
    /// @param index The subtree's index within its level.
    /// @param outLength The state's length in bytes.
    /// @return True iff index x 2^level >= chunkCount(outLength).
    function inPadding(uint32 level, uint64 index, uint256 outLength) internal pure returns (bool) {
        return (uint256(index) << level) >= MerkleLib.chunkCount(outLength);
    }

    /// @notice The known value of a subtree in the padding: the root of an all-padding subtree of height `level`.
    /// @param level The subtree's height.
    /// @return MerkleLib.emptySubtree(level).
    function emptySubtree(uint32 level) internal pure returns (bytes32) {
        return MerkleLib.emptySubtree(level);
    }

    // -- The last move --

    /// @notice The step claim of byte `byteIndex` of leaf `chunkIndex`, for the one-step verifier.
    /// @param weightsRoot The registered weights root.
    /// @param layerCount L.
    /// @param step k.
    /// @param preStateRoot The agreed root of S_k.
    /// @param chunkIndex The leaf the bisection reached.
    /// @param byteIndex The byte within that chunk (< 32).
    /// @return The claim over element chunkIndex x 32 + byteIndex of S_{k+1}.
    function claimOf(
        bytes32 weightsRoot,
        uint256 layerCount,
        uint32 step,
        bytes32 preStateRoot,
        uint64 chunkIndex,
        uint256 byteIndex
    ) internal pure returns (IStepVerifier.StepClaim memory) {
        return
            IStepVerifier.StepClaim({
                weightsRoot: weightsRoot,
                layerCount: layerCount,
                layer: step,
                preStateRoot: preStateRoot,
                element: uint256(chunkIndex) * 32 + byteIndex
            });
    }

    /// @notice The one-step dispatch: the correct value of the claimed byte. A byte inside the state is recomputed by
    /// the verifier; a byte of the zero padding past the state's end is 0.
    /// @param verifier The one-step verifier.
    /// @param claim The claim (`claimOf`).
    /// @param outLength The post-state's length in bytes.
    /// @param layer The layer witness.
    /// @param slice A contiguous slice of S_k.
    /// @param rows The weight rows the element needs.
    /// @return The correct int8 value.
    function compute(
        IStepVerifier verifier,
        IStepVerifier.StepClaim memory claim,
        uint256 outLength,
        IStepVerifier.LayerWitness calldata layer,
        IStepVerifier.StateSlice calldata slice,
        IStepVerifier.WeightRow[] calldata rows
    ) internal view returns (int8) {
        return claim.element < outLength ? verifier.computeElement(claim, layer, slice, rows) : int8(0);
    }

    /// @notice `compute` with a sparse (multiproven) slice of S_k.
    /// @param verifier The one-step verifier.
    /// @param claim The claim (`claimOf`).
    /// @param outLength The post-state's length in bytes.
    /// @param layer The layer witness.
    /// @param slice Any chunks of S_k with their multiproof.
    /// @param rows The weight rows the element needs.
    /// @return The correct int8 value.
    function computeSparse(
        IStepVerifier verifier,
        IStepVerifier.StepClaim memory claim,
        uint256 outLength,
        IStepVerifier.LayerWitness calldata layer,
        IStepVerifier.SparseSlice calldata slice,
        IStepVerifier.WeightRow[] calldata rows
    ) internal view returns (int8) {
        return claim.element < outLength ? verifier.computeElementSparse(claim, layer, slice, rows) : int8(0);
    }

    // -- The loser --

    /// @notice Jails a node that lost a game, whatever its status (an Exited node must not register again), unless it
    /// already is jailed or was never registered. Runs in the user's context (DELEGATECALL): the user must hold the
    /// NodeRegistry's SLASHER_ROLE.
    /// @param registry The NodeRegistry.
    /// @param node The losing node.
    function jailLoser(INodeRegistry registry, address node) external {
        INodeRegistry.NodeStatus status = registry.statusOf(node);
        if (status != INodeRegistry.NodeStatus.Jailed && status != INodeRegistry.NodeStatus.None) registry.jail(node);
    }
}
