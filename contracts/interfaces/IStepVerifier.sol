// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IStepVerifier
/// @notice The one-step verifier of the verification game: re-executes ONE output byte of ONE integer step
/// `S_layer -> S_{layer+1}` of a registered program, exactly as `docs/NUMERICS.md` specifies, from committed data
/// only. Every input is proven: the layer descriptor and its weight rows against the model version's weights root
/// (`docs/COMMITMENTS.md` §3), and the slice of the pre-state against the agreed pre-state root (§1, §4). The lengths
/// of the states and so the depth of every proof come from the committed descriptor, never from the caller.
interface IStepVerifier {
    /// @notice What the game agreed on when it reached one step.
    /// @param weightsRoot The registered weights root of the model version.
    /// @param layerCount L, the registered number of layers (the weights tree has L leaves).
    /// @param layer k, 0-based: the disputed step is S_k -> S_{k+1}.
    /// @param preStateRoot The agreed root of S_k.
    /// @param element The byte index e of S_{k+1} whose value is disputed.
    struct StepClaim {
        bytes32 weightsRoot;
        uint256 layerCount;
        uint256 layer;
        bytes32 preStateRoot;
        uint256 element;
    }

    /// @notice The layer's descriptor (abi.encode of `DESCRIPTOR_ABI_TYPES`) and the root of its weight rows.
    /// @dev layerRoot = keccak256(keccak256(descriptor) ‖ rowsRoot), proven at index `layer` of `layerCount`.
    struct LayerWitness {
        bytes descriptor;
        bytes32 rowsRoot;
        bytes32[] layerProof;
    }

    /// @notice A contiguous run of 32-byte chunks of S_k, chunks [firstChunk, firstChunk + chunks.length / 32),
    /// with its range proof against the pre-state root (docs/COMMITMENTS.md §4).
    struct StateSlice {
        uint256 firstChunk;
        bytes chunks;
        bytes32[] proof;
    }

    /// @notice Any chunks of S_k, chunk `chunkIndices[j]` being bytes [32 j, 32 j + 32) of `chunks` (indices
    /// strictly increasing), with their multiproof against the pre-state root (docs/COMMITMENTS.md §4). An element
    /// that reads a few bytes from each of many rows or channels (a Conv over many input channels) needs far fewer
    /// bytes of calldata this way than with one contiguous run.
    struct SparseSlice {
        uint256[] chunkIndices;
        bytes chunks;
        bytes32[] proof;
    }

    /// @notice The int8 weights of output channel `row` (unpadded; the verifier hashes them into the row root),
    /// with the siblings of that row root up to the layer's rowsRoot.
    struct WeightRow {
        uint256 row;
        bytes data;
        bytes32[] proof;
    }

    /// @notice The layer proof does not lead to the weights root.
    error StepVerifierBadLayerProof(uint256 layer);
    /// @notice The claimed layer is not below the layer count.
    error StepVerifierLayerOutOfRange(uint256 layer, uint256 layerCount);
    /// @notice The slice's range proof does not lead to the pre-state root.
    error StepVerifierBadSliceProof(uint256 firstChunk, uint256 chunkCount);
    /// @notice The element needs byte `index` of S_k, which the slice does not cover.
    error StepVerifierMissingInput(uint256 index);
    /// @notice A weight row's proof does not lead to the layer's rowsRoot.
    error StepVerifierBadRowProof(uint256 row);
    /// @notice The element needs `expected` weight rows (0 or 1) and was given `given`.
    error StepVerifierWrongRows(uint256 expected, uint256 given);
    /// @notice The element needs weight row `wanted`, and was given row `given`.
    error StepVerifierWrongRow(uint256 wanted, uint256 given);
    /// @notice A weight row has the wrong length.
    error StepVerifierBadRowLength(uint256 row, uint256 length, uint256 expected);
    /// @notice The element is not below the post-state's length.
    error StepVerifierElementOutOfRange(uint256 element, uint256 outLength);
    /// @notice The descriptor names an op this verifier does not know.
    error StepVerifierUnknownOp(bytes32 opHash);
    /// @notice The descriptor's layout fields are inconsistent (field `field`).
    error StepVerifierBadDescriptor(uint256 field);

    /// @notice Returns the correct value of byte `claim.element` of S_{layer+1}. (The post-state's length is field 14
    /// of the descriptor: `Descriptor.outLength(layer.descriptor)`.)
    /// @dev Reverts with one of the errors above on any bad proof or missing input. A view: the game calls it and
    /// compares `value` with the byte the node committed to. Copies of carried-over tensors are answered from the
    /// slice; a byte of the layer's output is recomputed by the op's kernel (NUMERICS §5-§13).
    /// @param claim The weights root, layer count, layer k, agreed pre-state root and element the game reached.
    /// @param layer Layer k's descriptor and rows root, with their proof against the weights root.
    /// @param slice A contiguous run of S_k's chunks covering every byte the element reads, range-proven.
    /// @param rows The weight row the element needs (exactly one), or none (an op without weights, a copied byte).
    /// @return value The correct int8 value of the element.
    function computeElement(
        StepClaim calldata claim,
        LayerWitness calldata layer,
        StateSlice calldata slice,
        WeightRow[] calldata rows
    ) external view returns (int8 value);

    /// @notice `computeElement` with the pre-state given as any set of chunks (a `SparseSlice`, multiproven) instead
    /// of one contiguous run. Same checks, same errors, same result.
    /// @param claim The weights root, layer count, layer k, agreed pre-state root and element the game reached.
    /// @param layer Layer k's descriptor and rows root, with their proof against the weights root.
    /// @param slice Chunks of S_k covering every byte the element reads, multiproven.
    /// @param rows The weight row the element needs (exactly one), or none (an op without weights, a copied byte).
    /// @return value The correct int8 value of the element.
    function computeElementSparse(
        StepClaim calldata claim,
        LayerWitness calldata layer,
        SparseSlice calldata slice,
        WeightRow[] calldata rows
    ) external view returns (int8 value);
}
