// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title Descriptor
/// @notice Reads a layer descriptor (`docs/COMMITMENTS.md` §3: `abi.encode` of the 19 fields of
/// `DESCRIPTOR_ABI_TYPES`) in place, from calldata, without decoding the whole tuple. Every read is bounds-checked
/// against the descriptor's length, so a malformed descriptor reverts instead of reading other calldata.
/// @dev A descriptor is only trusted once its hash is proven into the registered weights root; this library does
/// not check that (the caller does, see `IntegerStepVerifier`).
library Descriptor {
    uint256 internal constant OP = 0;
    uint256 internal constant INPUTS = 1;
    uint256 internal constant OUTPUT = 2;
    uint256 internal constant OUT_SHAPE = 3;
    uint256 internal constant ATTR_NAMES = 4;
    uint256 internal constant ATTR_IS_ARRAY = 5;
    uint256 internal constant ATTR_VALUES = 6;
    uint256 internal constant ROWS = 7;
    uint256 internal constant ROW_LENGTH = 8;
    uint256 internal constant BIAS = 9;
    uint256 internal constant MULTIPLIER = 10;
    uint256 internal constant SHIFT = 11;
    uint256 internal constant LUT = 12;
    uint256 internal constant IN_LENGTH = 13;
    uint256 internal constant OUT_LENGTH = 14;
    uint256 internal constant INPUT_OFFSETS = 15;
    uint256 internal constant INPUT_SHAPES = 16;
    uint256 internal constant OUTPUT_OFFSET = 17;
    uint256 internal constant COPIES = 18;
    /// @notice Number of fields of a descriptor.
    uint256 internal constant FIELDS = 19;

    /// @notice A read at byte `offset` would leave the descriptor (`length` bytes).
    error DescriptorOutOfBounds(uint256 offset, uint256 length);
    /// @notice The descriptor has no attribute called `name`.
    error DescriptorMissingAttribute(string name);
    /// @notice Attribute `name` holds `value`, negative where the kernels need a size, a count or an index (the
    /// program validator refuses such a program; a publisher's descriptor may still carry it).
    error DescriptorNegativeAttribute(string name, int256 value);

    // -- static fields --

    /// @notice The head word of field `field` (the value of a static field, the offset of a dynamic one).
    function head(bytes calldata d, uint256 field) internal pure returns (uint256) {
        return _word(d, field << 5);
    }

    /// @notice |S_l|: field 13.
    function inLength(bytes calldata d) internal pure returns (uint256) {
        return _word(d, IN_LENGTH << 5);
    }

    /// @notice |S_{l+1}|: field 14.
    function outLength(bytes calldata d) internal pure returns (uint256) {
        return _word(d, OUT_LENGTH << 5);
    }

    /// @notice Byte offset of the layer's output tensor in S_{l+1}: field 17.
    function outputOffset(bytes calldata d) internal pure returns (uint256) {
        return _word(d, OUTPUT_OFFSET << 5);
    }

    /// @notice Number of weight rows R: field 7.
    function rows(bytes calldata d) internal pure returns (uint256) {
        return _word(d, ROWS << 5);
    }

    /// @notice Length of a weight row in int8 values: field 8.
    function rowLength(bytes calldata d) internal pure returns (uint256) {
        return _word(d, ROW_LENGTH << 5);
    }

    // -- dynamic fields --

    /// @notice A `bytes` or `string` field (op, bias, multiplier, shift, lut), as a calldata slice.
    function bytesField(bytes calldata d, uint256 field) internal pure returns (bytes calldata out) {
        (uint256 len, uint256 start) = _dyn(d, head(d, field));
        _check(d, start, len);
        out = d[start:start + len];
    }

    /// @notice A `uint256[]` field (inputs, outShape, inputOffsets, inputShapes, copies), as a calldata array.
    function uintArray(bytes calldata d, uint256 field) internal pure returns (uint256[] calldata a) {
        (uint256 len, uint256 start) = _dyn(d, head(d, field));
        a = _uints(d, start, len);
    }

    /// @notice keccak256 of the op name (field 0).
    function opHash(bytes calldata d) internal pure returns (bytes32) {
        return keccak256(bytesField(d, OP));
    }

    /// @notice `opHash`, or zero when the descriptor is too malformed to hold an op name. Never reverts: the router
    /// uses it before anything is proven, and leaves the errors to the proof checks.
    function opHashOrZero(bytes calldata d) internal pure returns (bytes32) {
        if (d.length < 32) return 0;
        uint256 off = uint256(bytes32(d[0:32]));
        if (off > d.length - 32) return 0;
        uint256 len = uint256(bytes32(d[off:off + 32]));
        if (len > d.length - off - 32) return 0;
        return keccak256(d[off + 32:off + 32 + len]);
    }

    /// @notice The values of attribute `name` (a scalar is a one-element array). Reverts if there is none.
    function attr(bytes calldata d, string memory name) internal pure returns (int256[] calldata) {
        (bool found, uint256 k) = _attrIndex(d, keccak256(bytes(name)));
        if (!found) revert DescriptorMissingAttribute(name);
        return _attrValues(d, k);
    }

    /// @notice The first value of attribute `name` (its value, for a scalar).
    function scalar(bytes calldata d, string memory name) internal pure returns (int256) {
        int256[] calldata a = attr(d, name);
        if (a.length == 0) revert DescriptorMissingAttribute(name);
        return a[0];
    }

    /// @notice The first value of attribute `name` as a uint256; reverts `DescriptorNegativeAttribute` if negative.
    function uscalar(bytes calldata d, string memory name) internal pure returns (uint256) {
        int256 v = scalar(d, name);
        if (v < 0) revert DescriptorNegativeAttribute(name, v);
        return uint256(v);
    }

    /// @notice The values of attribute `name` as uint256s (the same calldata); reverts `DescriptorNegativeAttribute`
    /// on the first negative one.
    function uattr(bytes calldata d, string memory name) internal pure returns (uint256[] calldata u) {
        int256[] calldata a = attr(d, name);
        for (uint256 k; k < a.length; ++k) {
            if (a[k] < 0) revert DescriptorNegativeAttribute(name, a[k]);
        }
        assembly ("memory-safe") {
            u.offset := a.offset
            u.length := a.length
        }
    }

    /// @notice Entry `i` of packed big-endian int32s (bias, multiplier, shift).
    function int32At(bytes calldata packed, uint256 i) internal pure returns (int256) {
        return int256(int32(uint32(bytes4(packed[4 * i:4 * i + 4]))));
    }

    // -- internal helpers --

    /// @dev Index of the attribute whose name hashes to `h` (field 4).
    function _attrIndex(bytes calldata d, bytes32 h) private pure returns (bool, uint256) {
        (uint256 n, uint256 names) = _dyn(d, head(d, ATTR_NAMES));
        for (uint256 k; k < n; ++k) {
            (uint256 len, uint256 start) = _dyn(d, names + _word(d, names + (k << 5)));
            _check(d, start, len);
            if (keccak256(d[start:start + len]) == h) return (true, k);
        }
        return (false, 0);
    }

    /// @dev The values of attribute `k` (field 6).
    function _attrValues(bytes calldata d, uint256 k) private pure returns (int256[] calldata a) {
        (uint256 m, uint256 values) = _dyn(d, head(d, ATTR_VALUES));
        if (k >= m) revert DescriptorOutOfBounds(values + (k << 5), d.length);
        (uint256 len, uint256 start) = _dyn(d, values + _word(d, values + (k << 5)));
        if (len > d.length) revert DescriptorOutOfBounds(start, d.length);
        _check(d, start, len << 5);
        assembly ("memory-safe") {
            a.offset := add(d.offset, start)
            a.length := len
        }
    }

    function _word(bytes calldata d, uint256 off) private pure returns (uint256 v) {
        if (d.length < 32 || off > d.length - 32) revert DescriptorOutOfBounds(off, d.length);
        assembly ("memory-safe") {
            v := calldataload(add(d.offset, off))
        }
    }

    /// @dev The length word at `off` and where the data after it starts.
    function _dyn(bytes calldata d, uint256 off) private pure returns (uint256 len, uint256 start) {
        len = _word(d, off);
        start = off + 32;
    }

    function _check(bytes calldata d, uint256 start, uint256 len) private pure {
        if (start > d.length || len > d.length - start) revert DescriptorOutOfBounds(start, d.length);
    }

    function _uints(bytes calldata d, uint256 start, uint256 len) private pure returns (uint256[] calldata a) {
        if (len > d.length) revert DescriptorOutOfBounds(start, d.length);
        _check(d, start, len << 5);
        assembly ("memory-safe") {
            a.offset := add(d.offset, start)
            a.length := len
        }
    }
}
