// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IInferenceManager} from "../interfaces/IInferenceManager.sol";

/// @notice TEST ONLY: a verified-mode settler that verifies nothing, so that the node daemon's verified-settlement
/// path can be tested without enclave signatures or proofs. The real settlers are contracts/tee and contracts/zk.
contract PassThroughSettler {
    IInferenceManager public immutable manager;

    constructor(IInferenceManager manager_) {
        manager = manager_;
    }

    function settle(uint256 requestId, bytes calldata output, bytes32 traceRoot) external {
        manager.settleVerified(requestId, output, traceRoot);
    }
}
