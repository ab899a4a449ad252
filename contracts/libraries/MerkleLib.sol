// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title MerkleLib
/// @notice The Verity Merkle tree, exactly as `docs/COMMITMENTS.md` §1 and §4 define it: 32-byte chunks, leaf =
/// keccak256(chunk), parent = keccak256(left ‖ right) (positional, never sorted), padding leaves bytes32(0) up to
/// the next power of two, depth(n) = ceil(log2 n). The caller derives every leaf count from registered data and the
/// library enforces the proof length it implies (rule (b)) and that the index is in range (rule (c)).
library MerkleLib {
    /// @notice A proof has `given` siblings where the tree of `leafCount` leaves needs `expected`.
    error MerkleLibBadProofLength(uint256 given, uint256 expected);
    /// @notice A leaf index (or the end of a range) is not inside a tree of `leafCount` leaves.
    error MerkleLibIndexOutOfRange(uint256 index, uint256 leafCount);
    /// @notice A range is empty or not a whole number of 32-byte chunks.
    error MerkleLibBadRange(uint256 byteLength);

    /// @notice ceil(log2 n), 0 for n <= 1: the proof length of a tree of `n` leaves.
    function depth(uint256 n) internal pure returns (uint256 d) {
        while (d < 256 && (uint256(1) << d) < n) d++;
    }

    /// @notice Number of 32-byte chunks of `byteLength` bytes: ceil(byteLength / 32).
    function chunkCount(uint256 byteLength) internal pure returns (uint256) {
        return (byteLength + 31) >> 5;
    }

    /// @notice The root implied by `leaf` at `index` with `proof` (siblings from the leaf level up; bit k of
    /// `index` says the side at level k). Checks neither the length nor the index: use `verify`.
    function processProof(bytes32 leaf, uint256 index, bytes32[] calldata proof) internal pure returns (bytes32 root) {
        root = leaf;
        uint256 n = proof.length;
        for (uint256 k; k < n; ++k) {
            root = (index >> k) & 1 == 0 ? _hashPair(root, proof[k]) : _hashPair(proof[k], root);
        }
    }

    /// @notice True iff `leaf` is leaf `index` of the tree of `leafCount` leaves with root `root`. Requires
    /// `index < leafCount` and `proof.length == depth(leafCount)` (reverts otherwise: a malformed proof, not a false
    /// one).
    function verify(
        bytes32 root,
        bytes32 leaf,
        uint256 index,
        uint256 leafCount,
        bytes32[] calldata proof
    ) internal pure returns (bool) {
        if (index >= leafCount) revert MerkleLibIndexOutOfRange(index, leafCount);
        uint256 d = depth(leafCount);
        if (proof.length != d) revert MerkleLibBadProofLength(proof.length, d);
        return processProof(leaf, index, proof) == root;
    }

    /// @notice The root of the tree whose leaves are `leaves` themselves (not re-hashed), padded with bytes32(0):
    /// e.g. the trace root over the state roots (COMMITMENTS.md §2). bytes32(0) for no leaves.
    function rootOfLeaves(bytes32[] calldata leaves) internal pure returns (bytes32) {
        uint256 n = leaves.length;
        if (n == 0) return bytes32(0);
        bytes32[] memory nodes = leaves;
        return _rootOfNodes(nodes, n);
    }

    /// @notice The root of the chunk tree of `data` (a state root, or a weight row's root): chunks of 32 bytes, the
    /// last one zero-padded, the leaves padded to a power of two with bytes32(0). bytes32(0) for empty data.
    function rootOfBytes(bytes memory data) internal pure returns (bytes32 root) {
        uint256 len = data.length;
        uint256 n = (len + 31) >> 5;
        if (n == 0) return bytes32(0);
        bytes32[] memory nodes = new bytes32[](n);
        assembly ("memory-safe") {
            let src := add(data, 32)
            let dst := add(nodes, 32)
            let full := shr(5, len)
            for {
                let i := 0
            } lt(i, full) {
                i := add(i, 1)
            } {
                mstore(0, mload(add(src, shl(5, i))))
                mstore(add(dst, shl(5, i)), keccak256(0, 32))
            }
            let rem := and(len, 31)
            if rem {
                // keep the first `rem` bytes of the last word; memory past `data` may hold anything
                let mask := not(sub(shl(mul(sub(32, rem), 8), 1), 1))
                mstore(0, and(mload(add(src, shl(5, full))), mask))
                mstore(add(dst, shl(5, full)), keccak256(0, 32))
            }
        }
        return _rootOfNodes(nodes, n);
    }

    /// @notice The root implied by the chunks [first, first + chunks.length / 32) of a tree of `leafCount` leaves,
    /// with the range proof `proof` (docs/COMMITMENTS.md §4: level by level, the left sibling when the run starts at
    /// an odd index, then the right sibling when it ends at an even index). Reverts on a malformed range or a proof
    /// that is not used up exactly.
    function rootOfRange(
        bytes calldata chunks,
        uint256 first,
        uint256 leafCount,
        bytes32[] calldata proof
    ) internal pure returns (bytes32) {
        uint256 len = chunks.length;
        if (len == 0 || len & 31 != 0) revert MerkleLibBadRange(len);
        uint256 n = len >> 5;
        if (first >= leafCount || n > leafCount - first) revert MerkleLibIndexOutOfRange(first + n - 1, leafCount);
        // One spare slot on the left for the left sibling; the run is hashed in place, level by level.
        bytes32[] memory nodes = new bytes32[](n + 2);
        assembly ("memory-safe") {
            let dst := add(nodes, 64)
            let src := chunks.offset
            for {
                let i := 0
            } lt(i, n) {
                i := add(i, 1)
            } {
                calldatacopy(0, add(src, shl(5, i)), 32)
                mstore(add(dst, shl(5, i)), keccak256(0, 32))
            }
        }
        uint256 d = depth(leafCount);
        uint256 used;
        uint256 lo = first;
        // the run occupies nodes[1 .. n]
        for (uint256 level; level < d; ++level) {
            uint256 hi = lo + n - 1;
            uint256 start = 1;
            if (lo & 1 == 1) {
                if (used >= proof.length) revert MerkleLibBadProofLength(proof.length, used + 1);
                nodes[0] = proof[used++];
                start = 0;
                n++;
            }
            if (hi & 1 == 0) {
                if (used >= proof.length) revert MerkleLibBadProofLength(proof.length, used + 1);
                nodes[start + n] = proof[used++];
                n++;
            }
            // n is even now; hash pairs from nodes[start..] into nodes[1..]
            uint256 half = n >> 1;
            assembly ("memory-safe") {
                let base := add(add(nodes, 32), shl(5, start))
                let out := add(nodes, 64)
                for {
                    let i := 0
                } lt(i, half) {
                    i := add(i, 1)
                } {
                    let p := add(base, shl(6, i))
                    mstore(add(out, shl(5, i)), keccak256(p, 64))
                }
            }
            n = half;
            lo >>= 1;
        }
        if (used != proof.length) revert MerkleLibBadProofLength(proof.length, used);
        return nodes[1];
    }

    /// @notice The root implied by the 32-byte chunks `chunks` at the leaves `indices` (strictly increasing, one chunk
    /// each) of a tree of `leafCount` leaves, with the multiproof `proof` (docs/COMMITMENTS.md §4: level by level, the
    /// known nodes in ascending order, the sibling of each node whose sibling is not known). For one contiguous run
    /// the proof is the range proof of `rootOfRange`.
    function rootOfChunks(
        bytes calldata chunks,
        uint256[] calldata indices,
        uint256 leafCount,
        bytes32[] calldata proof
    ) internal pure returns (bytes32) {
        (uint256[] memory idx, bytes32[] memory nodes) = _chunkLeaves(chunks, indices, leafCount);
        return _climb(idx, nodes, depth(leafCount), proof);
    }

    // -- internal helpers --

    /// @dev The leaf hashes of `chunks`, after checking that `indices` are strictly increasing and in the tree.
    function _chunkLeaves(
        bytes calldata chunks,
        uint256[] calldata indices,
        uint256 leafCount
    ) private pure returns (uint256[] memory idx, bytes32[] memory nodes) {
        uint256 m = indices.length;
        if (m == 0 || chunks.length != m << 5) revert MerkleLibBadRange(chunks.length);
        idx = new uint256[](m);
        nodes = new bytes32[](m);
        for (uint256 k; k < m; ++k) {
            uint256 i = indices[k];
            if (i >= leafCount || (k > 0 && i <= indices[k - 1])) revert MerkleLibIndexOutOfRange(i, leafCount);
            idx[k] = i;
            bytes32 leaf;
            uint256 src = k << 5;
            assembly ("memory-safe") {
                calldatacopy(0, add(chunks.offset, src), 32)
                leaf := keccak256(0, 32)
            }
            nodes[k] = leaf;
        }
    }

    /// @dev Hashes the known nodes up `d` levels, in place, taking the missing siblings from `proof` in order.
    function _climb(
        uint256[] memory idx,
        bytes32[] memory nodes,
        uint256 d,
        bytes32[] calldata proof
    ) private pure returns (bytes32) {
        uint256 used;
        uint256 m = idx.length;
        for (uint256 level; level < d; ++level) {
            uint256 n;
            for (uint256 k; k < m; ++k) {
                uint256 i = idx[k];
                bytes32 node;
                if (i & 1 == 0 && k + 1 < m && idx[k + 1] == i + 1) {
                    node = _hashPair(nodes[k], nodes[k + 1]);
                    ++k;
                } else {
                    if (used >= proof.length) revert MerkleLibBadProofLength(proof.length, used + 1);
                    node = i & 1 == 1 ? _hashPair(proof[used], nodes[k]) : _hashPair(nodes[k], proof[used]);
                    ++used;
                }
                idx[n] = i >> 1;
                nodes[n] = node;
                ++n;
            }
            m = n;
        }
        if (used != proof.length) revert MerkleLibBadProofLength(proof.length, used);
        return nodes[0];
    }

    /// @notice Root of an all-padding subtree of height `level`: Z_0 = bytes32(0), Z_{k+1} = keccak(Z_k ‖ Z_k).
    function emptySubtree(uint256 level) internal pure returns (bytes32 z) {
        for (uint256 i; i < level; ++i) z = _hashPair(z, z);
    }

    /// @dev Root over `n` leaf hashes in `nodes` (hashed in place), padding odd levels with the empty subtree root.
    function _rootOfNodes(bytes32[] memory nodes, uint256 n) private pure returns (bytes32) {
        bytes32 zero; // Z_level: the root of an empty subtree of this level's height
        while (n > 1) {
            uint256 half = (n + 1) >> 1;
            for (uint256 i; i < half; ++i) {
                uint256 l = 2 * i;
                nodes[i] = _hashPair(nodes[l], l + 1 < n ? nodes[l + 1] : zero);
            }
            zero = _hashPair(zero, zero);
            n = half;
        }
        return nodes[0];
    }

    function _hashPair(bytes32 a, bytes32 b) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            mstore(0, a)
            mstore(32, b)
            h := keccak256(0, 64)
        }
    }
}
