// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title PPMMath
/// @notice Parts-per-million arithmetic for protocol cuts (rewards, slash fractions).
library PPMMath {
    /// @notice One whole, in parts per million.
    uint32 internal constant MAX_PPM = 1_000_000;

    error PPMMathInvalidPPM(uint256 ppm);

    /// @notice `amount * ppm / 1e6`, rounded down. Reverts for ppm above one whole.
    function mulPPM(uint256 amount, uint256 ppm) internal pure returns (uint256) {
        if (ppm > MAX_PPM) revert PPMMathInvalidPPM(ppm);
        return (amount * ppm) / MAX_PPM;
    }
}
