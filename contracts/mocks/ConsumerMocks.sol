// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceConsumer} from "../interfaces/IInferenceConsumer.sol";

/// @notice Test consumer that always reverts.
contract RevertingConsumer is IInferenceConsumer {
    error RevertingConsumerAlways();

    function onInferenceResult(uint256, bytes calldata, bytes32) external pure {
        revert RevertingConsumerAlways();
    }
}

/// @notice Test consumer that burns all the gas it is given.
contract GasGuzzlingConsumer is IInferenceConsumer {
    uint256 public counter;

    function onInferenceResult(uint256, bytes calldata, bytes32) external {
        while (true) {
            ++counter;
        }
    }
}

/// @notice Test consumer that reverts with a huge revert payload (a return bomb if the caller copied it).
contract ReturnBombConsumer is IInferenceConsumer {
    function onInferenceResult(uint256, bytes calldata, bytes32) external pure {
        assembly {
            revert(0, 1000000)
        }
    }
}

/// @notice Test consumer that records the gas it received and what it was called with.
contract RecordingConsumer is IInferenceConsumer {
    uint256 public lastRequestId;
    bytes public lastOutput;
    bytes32 public lastOutputHash;
    uint256 public gasReceived;
    uint256 public calls;

    function onInferenceResult(uint256 requestId, bytes calldata output, bytes32 outputHash) external {
        gasReceived = gasleft();
        lastRequestId = requestId;
        lastOutput = output;
        lastOutputHash = outputHash;
        ++calls;
    }
}

/// @notice Test consumer that tries to re-enter the manager's finalize.
contract ReentrantConsumer is IInferenceConsumer {
    address public immutable manager;
    bool public reentered;

    constructor(address manager_) {
        manager = manager_;
    }

    function onInferenceResult(uint256 requestId, bytes calldata output, bytes32) external {
        (bool ok, ) = manager.call(
            abi.encodeWithSignature("finalize(uint256,bytes,bytes32)", requestId, output, bytes32(0))
        );
        reentered = ok;
    }
}
