// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IKernelSet} from "../interfaces/IKernelSet.sol";
import {IStepVerifier} from "../interfaces/IStepVerifier.sol";
import {Descriptor} from "../libraries/Descriptor.sol";
import {MerkleLib} from "../libraries/MerkleLib.sol";
import {KernelIO} from "./kernels/KernelIO.sol";

/// @title StepVerifierBase
/// @notice What every kernel set shares: proves the layer, the pre-state slice and the weight row, then recomputes one
/// byte of S_{k+1}, either a byte carried over from S_k or the op's kernel (`docs/NUMERICS.md`). A kernel set is this
/// base plus its dispatch table `_family`, one line per kernel family it holds (`contracts/verifier/sets/`).
/// @dev The kernels are libraries in `kernels/`, one per family of ops, each with the same entry points (`opOf`, `row`,
/// `element`; see `KernelIO`). The op name is resolved to its family once, by `_family`, and the element is computed
/// through that family's `row` and `element`. The router (`IntegerStepVerifier`) forwards its calldata unchanged, so
/// `KernelIO` reads the slice at the same calldata offsets as if the set had been called directly.
abstract contract StepVerifierBase is IKernelSet {
    /// @inheritdoc IStepVerifier
    function computeElement(
        StepClaim calldata claim,
        LayerWitness calldata layer,
        StateSlice calldata slice,
        WeightRow[] calldata rows
    ) external pure returns (int8) {
        _checkLayer(claim, layer);
        KernelIO.Slice memory x = _checkSlice(claim.preStateRoot, Descriptor.inLength(layer.descriptor), slice);
        return _element(claim.element, layer, x, rows);
    }

    /// @inheritdoc IStepVerifier
    function computeElementSparse(
        StepClaim calldata claim,
        LayerWitness calldata layer,
        SparseSlice calldata slice,
        WeightRow[] calldata rows
    ) external pure returns (int8) {
        _checkLayer(claim, layer);
        KernelIO.Slice memory x = _checkSparse(claim.preStateRoot, Descriptor.inLength(layer.descriptor), slice);
        return _element(claim.element, layer, x, rows);
    }

    /// @inheritdoc IKernelSet
    function serves(bytes32 opHash) external pure returns (bool) {
        (uint256 op, , ) = _family(opHash);
        return op != 0;
    }

    // -- internal helpers --

    /// @dev If byte `e` of S_{k+1} lies in a tensor carried over from S_k (descriptor field 18), its byte in S_k.
    function _copySource(bytes calldata d, uint256 e) private pure returns (bool, uint256) {
        uint256[] calldata copies = Descriptor.uintArray(d, Descriptor.COPIES);
        for (uint256 t; t + 2 < copies.length; t += 3) {
            uint256 dst = copies[t + 1];
            if (e >= dst && e - dst < copies[t + 2]) return (true, copies[t] + (e - dst));
        }
        return (false, 0);
    }

    /// @dev layerRoot = keccak256(keccak256(descriptor) ‖ rowsRoot), at index `layer` of the weights tree.
    function _checkLayer(StepClaim calldata claim, LayerWitness calldata layer) private pure {
        if (claim.layer >= claim.layerCount) revert StepVerifierLayerOutOfRange(claim.layer, claim.layerCount);
        if (layer.layerProof.length != MerkleLib.depth(claim.layerCount)) revert StepVerifierBadLayerProof(claim.layer);
        bytes32 layerRoot = keccak256(abi.encodePacked(keccak256(layer.descriptor), layer.rowsRoot));
        if (MerkleLib.processProof(layerRoot, claim.layer, layer.layerProof) != claim.weightsRoot) {
            revert StepVerifierBadLayerProof(claim.layer);
        }
    }

    /// @dev Byte `e` of S_{k+1}: a carried-over byte of S_k, or the op's kernel on element `e - outputOffset`.
    function _element(
        uint256 e,
        LayerWitness calldata layer,
        KernelIO.Slice memory x,
        WeightRow[] calldata rows
    ) private pure returns (int8) {
        uint256 i;
        {
            bytes calldata d = layer.descriptor;
            uint256 outLength = Descriptor.outLength(d);
            if (e >= outLength) revert StepVerifierElementOutOfRange(e, outLength);
            // A byte of a tensor carried over from S_k is the same byte of S_k.
            (bool copied, uint256 src) = _copySource(d, e);
            if (copied) {
                _noRows(rows);
                return int8(KernelIO.at(x, src));
            }
            uint256 outputOffset = Descriptor.outputOffset(d);
            if (e < outputOffset) revert StepVerifierBadDescriptor(Descriptor.OUTPUT_OFFSET);
            i = e - outputOffset;
        }
        return _kernel(layer, x, rows, i);
    }

    /// @dev Multiproves the sparse slice against the pre-state root (depth from the committed inLength).
    function _checkSparse(
        bytes32 preStateRoot,
        uint256 inLength,
        SparseSlice calldata slice
    ) private pure returns (KernelIO.Slice memory x) {
        uint256[] calldata indices = slice.chunkIndices;
        bytes calldata chunks = slice.chunks;
        uint256 n = indices.length;
        if (n == 0 || chunks.length != n << 5) revert StepVerifierBadSliceProof(0, n);
        if (MerkleLib.rootOfChunks(chunks, indices, MerkleLib.chunkCount(inLength), slice.proof) != preStateRoot) {
            revert StepVerifierBadSliceProof(indices[0], n);
        }
        uint256 offset;
        uint256 idxOffset;
        assembly ("memory-safe") {
            offset := chunks.offset
            idxOffset := indices.offset
        }
        x = KernelIO.Slice({first: 0, offset: offset, length: inLength, idxOffset: idxOffset, idxCount: n, cursor: 0});
    }

    /// @dev Range-proves the slice against the pre-state root (depth from the committed inLength).
    function _checkSlice(
        bytes32 preStateRoot,
        uint256 inLength,
        StateSlice calldata slice
    ) private pure returns (KernelIO.Slice memory x) {
        uint256 n = slice.chunks.length >> 5;
        uint256 leafCount = MerkleLib.chunkCount(inLength);
        if (
            slice.chunks.length == 0 ||
            slice.chunks.length & 31 != 0 ||
            slice.firstChunk >= leafCount ||
            n > leafCount - slice.firstChunk
        ) revert StepVerifierBadSliceProof(slice.firstChunk, n);
        if (MerkleLib.rootOfRange(slice.chunks, slice.firstChunk, leafCount, slice.proof) != preStateRoot) {
            revert StepVerifierBadSliceProof(slice.firstChunk, n);
        }
        bytes calldata chunks = slice.chunks;
        uint256 offset;
        assembly ("memory-safe") {
            offset := chunks.offset
        }
        // bytes past inLength are padding, never an input
        uint256 first = slice.firstChunk << 5;
        uint256 len = slice.chunks.length;
        if (first + len > inLength) len = inLength - first;
        x = KernelIO.Slice({first: first, offset: offset, length: len, idxOffset: 0, idxCount: 0, cursor: 0});
    }

    /// @dev The dispatch table, one line per kernel family: the family that serves the op named by `opHash`
    /// (keccak256 of the descriptor's op name), as the op's number in it and the family's `row` and `element`. `op` is
    /// 0 when no family serves it (then the two functions are unset and must not be called).
    function _family(
        bytes32 opHash
    )
        internal
        pure
        virtual
        returns (
            uint256 op,
            function(bytes calldata, uint256, uint256) internal pure returns (uint256) row,
            function(
                bytes calldata,
                uint256,
                KernelIO.Slice memory,
                bytes calldata,
                uint256
            ) internal pure returns (int8) element
        );

    /// @dev Verifies that `rows` is exactly weight row `wanted`, proven into the layer's rowsRoot; returns its bytes.
    function _row(
        LayerWitness calldata layer,
        WeightRow[] calldata rows,
        uint256 wanted
    ) private pure returns (bytes calldata) {
        if (rows.length != 1) revert StepVerifierWrongRows(1, rows.length);
        WeightRow calldata r = rows[0];
        if (r.row != wanted) revert StepVerifierWrongRow(wanted, r.row);
        bytes calldata d = layer.descriptor;
        uint256 expected = Descriptor.rowLength(d);
        if (r.data.length != expected) revert StepVerifierBadRowLength(wanted, r.data.length, expected);
        uint256 count = Descriptor.rows(d);
        if (wanted >= count || r.proof.length != MerkleLib.depth(count)) revert StepVerifierBadRowProof(wanted);
        if (MerkleLib.processProof(MerkleLib.rootOfBytes(r.data), wanted, r.proof) != layer.rowsRoot) {
            revert StepVerifierBadRowProof(wanted);
        }
        return r.data;
    }

    function _noRows(WeightRow[] calldata rows) private pure {
        if (rows.length != 0) revert StepVerifierWrongRows(0, rows.length);
    }

    /// @dev Element `i` of the layer's output tensor: the op's family (`_family`) names the weight row it needs,
    /// which must be the one given (or none), then computes it.
    function _kernel(
        LayerWitness calldata layer,
        KernelIO.Slice memory x,
        WeightRow[] calldata rows,
        uint256 i
    ) private pure returns (int8) {
        bytes calldata d = layer.descriptor;
        (
            uint256 op,
            function(bytes calldata, uint256, uint256) internal pure returns (uint256) row,
            function(
                bytes calldata,
                uint256,
                KernelIO.Slice memory,
                bytes calldata,
                uint256
            ) internal pure returns (int8) element
        ) = _family(Descriptor.opHash(d));
        if (op == 0) {
            // An op without a kernel needs no row: a stray row is reported first, as for any row-less op.
            _noRows(rows);
            revert StepVerifierUnknownOp(Descriptor.opHash(d));
        }
        bytes calldata w = d[0:0];
        {
            uint256 wanted = row(d, op, i);
            if (wanted == KernelIO.NO_ROW) _noRows(rows);
            else w = _row(layer, rows, wanted);
        }
        return element(d, op, x, w, i);
    }
}
