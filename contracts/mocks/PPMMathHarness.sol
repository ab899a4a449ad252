// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {PPMMath} from "../libraries/PPMMath.sol";

/// @notice Test-only: exposes PPMMath's internal functions.
contract PPMMathHarness {
    function mulPPM(uint256 amount, uint256 ppm) external pure returns (uint256) {
        return PPMMath.mulPPM(amount, ppm);
    }
}
