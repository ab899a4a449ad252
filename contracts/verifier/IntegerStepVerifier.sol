// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IKernelRouter} from "../interfaces/IKernelRouter.sol";
import {IKernelSet} from "../interfaces/IKernelSet.sol";
import {IStepVerifier} from "../interfaces/IStepVerifier.sol";
import {Descriptor} from "../libraries/Descriptor.sol";

/// @title IntegerStepVerifier
/// @notice The integer one-step verifier: the games call it with a step's layer, pre-state slice and weight row; it
/// forwards the call to the kernel set that serves the layer's op (`contracts/verifier/sets/`), which proves the
/// witness and recomputes the byte with the kernels of `docs/NUMERICS.md`. Stateless apart from the fixed list of
/// sets; any number of games can share it.
/// @dev The call is forwarded as is (`msg.data`, STATICCALL), so the set sees the same calldata, at the same offsets,
/// as if it had been called directly; its result or revert is returned unchanged. The kernels are split over sets
/// because one contract cannot hold them all within the 24,576-byte code limit.
contract IntegerStepVerifier is IKernelRouter {
    string public constant VERSION = "0.2.0";
    /// @notice At most this many kernel sets (the router asks them in order).
    uint256 public constant MAX_KERNEL_SETS = 8;

    uint256 private immutable _count;
    // The sets, in order (immutables: a step reads them without a storage access). Unused ones are zero.
    IKernelSet private immutable _set0;
    IKernelSet private immutable _set1;
    IKernelSet private immutable _set2;
    IKernelSet private immutable _set3;
    IKernelSet private immutable _set4;
    IKernelSet private immutable _set5;
    IKernelSet private immutable _set6;
    IKernelSet private immutable _set7;

    /// @param sets The kernel sets, commonly disputed ones first.
    constructor(IKernelSet[] memory sets) {
        if (sets.length == 0 || sets.length > MAX_KERNEL_SETS) {
            revert StepVerifierKernelSetCount(sets.length, MAX_KERNEL_SETS);
        }
        IKernelSet[MAX_KERNEL_SETS] memory s;
        for (uint256 i; i < sets.length; ++i) {
            if (address(sets[i]).code.length == 0) revert StepVerifierKernelSetWithoutCode(i, address(sets[i]));
            s[i] = sets[i];
        }
        _count = sets.length;
        (_set0, _set1, _set2, _set3) = (s[0], s[1], s[2], s[3]);
        (_set4, _set5, _set6, _set7) = (s[4], s[5], s[6], s[7]);
    }

    /// @inheritdoc IKernelRouter
    function kernelSets() external view returns (IKernelSet[] memory sets) {
        sets = new IKernelSet[](_count);
        for (uint256 i; i < _count; ++i) sets[i] = _setAt(i);
    }

    /// @inheritdoc IKernelRouter
    function kernelSetOf(bytes32 opHash) public view returns (IKernelSet) {
        for (uint256 i; i < _count; ++i) {
            IKernelSet set = _setAt(i);
            if (set.serves(opHash)) return set;
        }
        return _set0;
    }

    /// @inheritdoc IStepVerifier
    function computeElement(
        StepClaim calldata,
        LayerWitness calldata layer,
        StateSlice calldata,
        WeightRow[] calldata
    ) external view returns (int8) {
        return _forward(layer.descriptor);
    }

    /// @inheritdoc IStepVerifier
    function computeElementSparse(
        StepClaim calldata,
        LayerWitness calldata layer,
        SparseSlice calldata,
        WeightRow[] calldata
    ) external view returns (int8) {
        return _forward(layer.descriptor);
    }

    /// @dev Set number `i` (< `_count`).
    function _setAt(uint256 i) private view returns (IKernelSet) {
        if (i < 4) return i < 2 ? (i == 0 ? _set0 : _set1) : (i == 2 ? _set2 : _set3);
        return i < 6 ? (i == 4 ? _set4 : _set5) : (i == 6 ? _set6 : _set7);
    }

    /// @dev Forwards this call to the set serving the descriptor's op and returns its answer, or bubbles its revert. A
    /// descriptor too malformed to name an op goes to the first set, whose proof checks then refuse it.
    function _forward(bytes calldata descriptor) private view returns (int8 value) {
        address set = address(kernelSetOf(Descriptor.opHashOrZero(descriptor)));
        (bool ok, bytes memory ret) = set.staticcall(msg.data);
        if (!ok) {
            assembly ("memory-safe") {
                revert(add(ret, 32), mload(ret))
            }
        }
        value = abi.decode(ret, (int8));
    }
}
