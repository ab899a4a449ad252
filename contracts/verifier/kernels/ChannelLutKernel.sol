// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {Descriptor} from "../../libraries/Descriptor.sol";
import {KernelIO} from "./KernelIO.sol";

/// @title ChannelLutKernel
/// @notice One output element of ChannelLut (`docs/NUMERICS.md` §21): y = table_c[x + 128], where the table of channel
/// c = floor(i / inner) mod channels is the proven weight row c (256 int8 entries).
library ChannelLutKernel {
    /// @notice The family's one op (`opOf`).
    uint256 internal constant CHANNEL_LUT = 1;

    bytes32 private constant _CHANNEL_LUT = keccak256("ChannelLut");

    /// @notice CHANNEL_LUT for the op name "ChannelLut" (`opHash` is its keccak256), else 0.
    function opOf(bytes32 opHash) internal pure returns (uint256) {
        return opHash == _CHANNEL_LUT ? CHANNEL_LUT : 0;
    }

    /// @notice The weight row (table) element `i` needs: its channel floor(i / inner) mod channels.
    function row(bytes calldata d, uint256, uint256 i) internal pure returns (uint256) {
        return (i / Descriptor.uscalar(d, "inner")) % Descriptor.uscalar(d, "channels");
    }

    /// @notice Element `i` of the output; `w` is its channel's table.
    function element(
        bytes calldata d,
        uint256,
        KernelIO.Slice memory x,
        bytes calldata w,
        uint256 i
    ) internal pure returns (int8) {
        int256 v = KernelIO.at(x, KernelIO.inputOffset(d, 0) + i);
        return int8(KernelIO.weight(w, uint256(v + 128)));
    }
}
