// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceConsumer} from "../../interfaces/IInferenceConsumer.sol";

/// @title DigitConsumer
/// @notice Example consumer of the digits models: stores each final result and exposes the predicted digit, the
/// argmax of the 10 int8 logits (the first maximum on ties, as the executor's client reports it). A result exists
/// here only once final, because the InferenceManager calls back only from `finalize`, after the challenge window.
contract DigitConsumer is IInferenceConsumer {
    /// @notice The digits models output exactly 10 logits.
    uint256 public constant OUTPUT_LENGTH = 10;

    struct Result {
        bool final_;
        uint8 digit;
        bytes32 outputHash;
    }

    address public immutable inferenceManager;
    mapping(uint256 requestId => Result result) private _results;

    event DigitRecognized(uint256 indexed requestId, uint8 digit, bytes32 outputHash);

    error DigitConsumerNotManager(address caller);
    error DigitConsumerBadOutput(uint256 length);
    error DigitConsumerNotFinal(uint256 requestId);

    constructor(address inferenceManager_) {
        inferenceManager = inferenceManager_;
    }

    /// @inheritdoc IInferenceConsumer
    function onInferenceResult(uint256 requestId, bytes calldata output, bytes32 outputHash) external {
        if (msg.sender != inferenceManager) revert DigitConsumerNotManager(msg.sender);
        if (output.length != OUTPUT_LENGTH) revert DigitConsumerBadOutput(output.length);
        uint8 digit = argmax(output);
        _results[requestId] = Result({final_: true, digit: digit, outputHash: outputHash});
        emit DigitRecognized(requestId, digit, outputHash);
    }

    /// @notice The predicted digit of a final result. Reverts while the result is not final (or unknown).
    function digitOf(uint256 requestId) external view returns (uint8) {
        Result storage r = _results[requestId];
        if (!r.final_) revert DigitConsumerNotFinal(requestId);
        return r.digit;
    }

    function isFinal(uint256 requestId) external view returns (bool) {
        return _results[requestId].final_;
    }

    function outputHashOf(uint256 requestId) external view returns (bytes32) {
        return _results[requestId].outputHash;
    }

    /// @notice Index of the largest int8 (two's complement) in `logits`, the first one on ties.
    function argmax(bytes calldata logits) public pure returns (uint8 best) {
        int8 bestValue = type(int8).min;
        for (uint256 i; i < logits.length; ++i) {
            int8 v = int8(uint8(logits[i]));
            if (i == 0 || v > bestValue) {
                bestValue = v;
                best = uint8(i);
            }
        }
    }
}
