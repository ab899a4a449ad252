// SPDX-License-Identifier: MIT
pragma solidity 0.8.28;

import {IStepVerifier} from "../interfaces/IStepVerifier.sol";

/// @notice Test-only: many `computeElement` calls in one eth_call, so differential fuzzing stays fast.
contract StepVerifierBatch {
    struct Case {
        IStepVerifier.StepClaim claim;
        IStepVerifier.LayerWitness layer;
        IStepVerifier.StateSlice slice;
        IStepVerifier.WeightRow[] rows;
    }

    function computeMany(IStepVerifier verifier, Case[] calldata cases) external view returns (int8[] memory values) {
        values = new int8[](cases.length);
        for (uint256 i; i < cases.length; ++i) {
            Case calldata c = cases[i];
            values[i] = verifier.computeElement(c.claim, c.layer, c.slice, c.rows);
        }
    }

    struct SparseCase {
        IStepVerifier.StepClaim claim;
        IStepVerifier.LayerWitness layer;
        IStepVerifier.SparseSlice slice;
        IStepVerifier.WeightRow[] rows;
    }

    function computeManySparse(
        IStepVerifier verifier,
        SparseCase[] calldata cases
    ) external view returns (int8[] memory values) {
        values = new int8[](cases.length);
        for (uint256 i; i < cases.length; ++i) {
            SparseCase calldata c = cases[i];
            values[i] = verifier.computeElementSparse(c.claim, c.layer, c.slice, c.rows);
        }
    }
}
