// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";

/// @notice TEST ONLY: replays a list of calls and records how each ended (success flag and return or revert data).
abstract contract CallRecorder {
    address[] private _targets;
    bytes[] private _calls;
    bool private _armed;
    bool[] public succeeded;
    bytes[] public returned;

    /// @notice The calls to make at the next hook (made once, then forgotten).
    function arm(address[] calldata targets, bytes[] calldata calls) external {
        _targets = targets;
        delete _calls;
        for (uint256 i; i < calls.length; ++i) _calls.push(calls[i]);
        _armed = true;
    }

    function resultCount() external view returns (uint256) {
        return succeeded.length;
    }

    function _replay() internal {
        if (!_armed) return;
        _armed = false;
        address[] memory targets = _targets;
        bytes[] memory calls = _calls;
        for (uint256 i; i < calls.length; ++i) {
            (bool ok, bytes memory data) = targets[i].call(calls[i]);
            succeeded.push(ok);
            returned.push(data);
        }
    }
}

/// @notice TEST ONLY: an inference consumer whose callback makes the armed calls (re-entering whatever it is told).
contract ReentrantCallbackConsumer is CallRecorder, IInferenceConsumer {
    function onInferenceResult(uint256, bytes calldata, bytes32) external {
        _replay();
    }
}

/// @notice TEST ONLY: an ERC20 whose every transfer first makes the armed calls (a token with a transfer hook).
contract ReentrantToken is CallRecorder, ERC20 {
    constructor() ERC20("Reentrant", "REENTER") {}

    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    function _update(address from, address to, uint256 value) internal override {
        _replay();
        super._update(from, to, value);
    }
}

/// @notice TEST ONLY: a model registry that calls every version active and answers every other call (`requestTerms`
/// included) with one word, so that a reader of its return data must bounds-check it.
contract TruncatedModelRegistry {
    function isActiveVersion(uint256) external pure returns (bool) {
        return true;
    }

    fallback() external {
        assembly ("memory-safe") {
            mstore(0, 0x20)
            return(0, 0x20)
        }
    }
}
