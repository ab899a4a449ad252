// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IModelRegistry} from "../interfaces/IModelRegistry.sol";
import {GenerationLib} from "../libraries/GenerationLib.sol";

/// @notice Test-only: exposes GenerationLib's internal functions.
contract GenerationLibHarness {
    function passInput(
        bytes calldata prompt,
        bytes calldata output,
        uint256 pass,
        uint256 context,
        uint8 padByte
    ) external pure returns (bytes memory) {
        return GenerationLib.passInput(prompt, output, pass, context, padByte);
    }

    function greedyByte(bytes calldata logits) external pure returns (uint8) {
        return GenerationLib.greedyByte(logits);
    }

    function sampledByte(
        bytes calldata logits,
        bytes32 seed,
        uint32 pass,
        uint256 shift
    ) external pure returns (uint8) {
        return GenerationLib.sampledByte(logits, seed, pass, shift);
    }

    function stopsCorrectly(
        bytes calldata output,
        uint256 maxTokens,
        bool hasStop,
        uint8 stopByte
    ) external pure returns (bool) {
        return GenerationLib.stopsCorrectly(output, maxTokens, hasStop, stopByte);
    }

    function decodeRequest(
        bytes calldata record,
        uint256 versionMaxTokens
    ) external pure returns (GenerationLib.Request memory) {
        return GenerationLib.decodeRequest(record, versionMaxTokens);
    }

    function decodeResponse(bytes calldata record) external pure returns (bool canonical, bytes memory generated) {
        return GenerationLib.decodeResponse(record);
    }

    function passCount(
        bytes calldata input,
        bytes calldata output,
        IModelRegistry.GenerationSpec calldata spec
    ) external pure returns (bool ok, uint256 passes) {
        return GenerationLib.passCount(input, output, spec);
    }

    function seedOf(uint256 requestId) external pure returns (bytes32) {
        return GenerationLib.seedOf(requestId);
    }

    function choose(bytes calldata logits, uint8 rule, uint256 requestId, uint32 pass) external pure returns (uint8) {
        return GenerationLib.choose(logits, rule, requestId, pass);
    }

    /// @notice Gas of each choice rule on `logits`, for the benchmark and the gas bound test.
    function choiceGas(bytes calldata logits, bytes32 seed) external view returns (uint256 greedy, uint256 sampled) {
        uint256 g = gasleft();
        GenerationLib.greedyByte(logits);
        greedy = g - gasleft();
        g = gasleft();
        GenerationLib.sampledByte(logits, seed, 0, 3);
        sampled = g - gasleft();
    }
}
