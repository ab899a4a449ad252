// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {MerkleLib} from "../libraries/MerkleLib.sol";

/// @notice Test-only: exposes MerkleLib's internal functions.
contract MerkleLibHarness {
    function depth(uint256 n) external pure returns (uint256) {
        return MerkleLib.depth(n);
    }

    function chunkCount(uint256 byteLength) external pure returns (uint256) {
        return MerkleLib.chunkCount(byteLength);
    }

    function processProof(bytes32 leaf, uint256 index, bytes32[] calldata proof) external pure returns (bytes32) {
        return MerkleLib.processProof(leaf, index, proof);
    }

    function verify(
        bytes32 root,
        bytes32 leaf,
        uint256 index,
        uint256 leafCount,
        bytes32[] calldata proof
    ) external pure returns (bool) {
        return MerkleLib.verify(root, leaf, index, leafCount, proof);
    }

    function rootOfBytes(bytes memory data) external pure returns (bytes32) {
        return MerkleLib.rootOfBytes(data);
    }

    function rootOfLeaves(bytes32[] calldata leaves) external pure returns (bytes32) {
        return MerkleLib.rootOfLeaves(leaves);
    }

    function rootOfRange(
        bytes calldata chunks,
        uint256 first,
        uint256 leafCount,
        bytes32[] calldata proof
    ) external pure returns (bytes32) {
        return MerkleLib.rootOfRange(chunks, first, leafCount, proof);
    }

    function rootOfChunks(
        bytes calldata chunks,
        uint256[] calldata indices,
        uint256 leafCount,
        bytes32[] calldata proof
    ) external pure returns (bytes32) {
        return MerkleLib.rootOfChunks(chunks, indices, leafCount, proof);
    }
}
