// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

/// @title IInferenceConsumer
/// @notice Implemented by contracts that receive final inference results from the InferenceManager.
/// @dev The manager calls `onInferenceResult` once, when the request is final (after its challenge window), with
/// at most the request's `callbackGasLimit` gas. A revert or an out-of-gas in the consumer is recorded in an event
/// and never blocks settlement; the result is not delivered again. Consumers must check that `msg.sender` is the
/// manager.
interface IInferenceConsumer {
    /// @notice Receives the final result of request `requestId`, once; called by the InferenceManager only.
    /// @param requestId The request being settled.
    /// @param output The final output S_L: one int8 per element, two's complement, row-major.
    /// @param outputHash keccak256(output), as committed by the node.
    function onInferenceResult(uint256 requestId, bytes calldata output, bytes32 outputHash) external;
}
