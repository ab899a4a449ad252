import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import type { ReentrantCallbackConsumer } from "../../typechain-types";
import { bytesOf, DIGITS_OUTPUT_BYTES, DIGITS_VERSION, STATUS } from "../helpers/inference-fixtures";
import { RESULT_TYPES, settlerDomain, type InferenceResult } from "../../modes/tee/eip712";
import { deployTeeFixture, signFor, teeRequest } from "./tee-fixture";

// What the coverage run found unexercised in the TeeSettler (see the coverage report of branch h-coverage): the
// `resultDigest` view, and the re-entrancy guards of `settle` and `reportEquivocation`.

const OUTPUT = bytesOf(DIGITS_OUTPUT_BYTES, 201);
const TRACE_ROOT = ethers.keccak256(bytesOf(32, 202));
const REENTRANT_CALL = ethers.id("ReentrancyGuardReentrantCall()").slice(0, 10);

function resultOf(requestId: bigint, inputHash: string, output = OUTPUT): InferenceResult {
  return {
    requestId,
    modelVersion: DIGITS_VERSION,
    inputHash,
    outputHash: ethers.keccak256(output),
    traceRoot: TRACE_ROOT,
  };
}

/** Every call the consumer made failed with OpenZeppelin's ReentrancyGuardReentrantCall(). */
async function expectAllReentrancyRejected(consumer: ReentrantCallbackConsumer, calls: number) {
  expect(await consumer.resultCount()).to.equal(BigInt(calls));
  for (let i = 0; i < calls; i++) {
    expect(await consumer.succeeded(i)).to.equal(false);
    expect(await consumer.returned(i)).to.equal(REENTRANT_CALL);
  }
}

describe("TeeSettler (coverage)", function () {
  describe("resultDigest", function () {
    it("is the EIP-712 digest of the result in the settler's domain, which the enclave key signs", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t, 7);
      const result = resultOf(id, inputHash);
      const domain = settlerDomain(t.chainId, await t.settler.getAddress());
      const digest = await t.settler.resultDigest(
        result.requestId,
        result.modelVersion,
        result.inputHash,
        result.outputHash,
        result.traceRoot,
      );
      expect(digest).to.equal(ethers.TypedDataEncoder.hash(domain, RESULT_TYPES, result));
      const signature = await signFor(t, t.enclave, result);
      expect(ethers.recoverAddress(digest, signature)).to.equal(t.enclave.address);
      // Any field changes the digest.
      const other = await t.settler.resultDigest(
        id + 1n,
        result.modelVersion,
        inputHash,
        result.outputHash,
        TRACE_ROOT,
      );
      expect(other).to.not.equal(digest);
    });
  });

  describe("re-entrancy", function () {
    it("a consumer called back during settle cannot re-enter settle, reportEquivocation or settleVerified", async function () {
      const t = await loadFixture(deployTeeFixture);
      const consumer = await ethers.deployContract("ReentrantCallbackConsumer");
      const { id, inputHash } = await teeRequest(t, 8, t.node.address, await consumer.getAddress(), 400_000);
      const signature = await signFor(t, t.enclave, resultOf(id, inputHash));
      const other = bytesOf(DIGITS_OUTPUT_BYTES, 203);
      const a = { ...resultOf(id, inputHash), signature };
      const b = {
        ...resultOf(id, inputHash, other),
        signature: await signFor(t, t.enclave, resultOf(id, inputHash, other)),
      };
      const settler = await t.settler.getAddress();
      await consumer.arm(
        [settler, settler, await t.manager.getAddress()],
        [
          t.settler.interface.encodeFunctionData("settle", [id, OUTPUT, TRACE_ROOT, signature]),
          t.settler.interface.encodeFunctionData("reportEquivocation", [a, b]),
          t.manager.interface.encodeFunctionData("settleVerified", [id, OUTPUT, TRACE_ROOT]),
        ],
      );
      await expect(t.settler.connect(t.stranger).settle(id, OUTPUT, TRACE_ROOT, signature))
        .to.emit(t.manager, "CallbackExecuted")
        .withArgs(id, await consumer.getAddress(), true);
      await expectAllReentrancyRejected(consumer, 3);
      expect((await t.manager.getRequest(id)).status).to.equal(STATUS.Finalized);
      // The equivocation evidence the consumer held is still good once the settlement is over: only re-entry failed.
      await expect(t.settler.connect(t.stranger).reportEquivocation(a, b)).to.emit(t.settler, "EquivocationPunished");
    });
  });
});
