import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { MODE } from "../helpers/fixtures";
import {
  bytesOf,
  CHALLENGE_WINDOW,
  deployInferenceFixture,
  DIGITS_INPUT_BYTES,
  DIGITS_VERSION,
  VERSION_FEE,
} from "../helpers/inference-fixtures";

function int8s(values: number[]): string {
  return ethers.hexlify(Uint8Array.from(values.map((v) => v & 0xff)));
}

async function fixture() {
  const f = await loadFixture(deployInferenceFixture);
  const consumer = await ethers.deployContract("DigitConsumer", [await f.manager.getAddress()]);
  return { ...f, consumer };
}

describe("I7: DigitConsumer", function () {
  it("argmax reads int8 two's complement and takes the first maximum", async function () {
    const { consumer } = await fixture();
    expect(await consumer.argmax(int8s([-5, -3, -128, -3, -4, -100, -6, -7, -8, -9]))).to.equal(1n);
    expect(await consumer.argmax(int8s([0, 1, 2, 3, 4, 5, 6, 7, 8, 127]))).to.equal(9n);
    expect(await consumer.argmax(int8s([-128, -128, -128, -128, -128, -128, -128, -128, -128, -128]))).to.equal(0n);
    expect(await consumer.argmax(int8s([3, 3, 3, 3, 3, 3, 3, 3, 3, 3]))).to.equal(0n);
  });

  it("has a digit only once the manager has finalized the request", async function () {
    const f = await fixture();
    const consumerAddress = await f.consumer.getAddress();
    const output = int8s([-20, 5, 17, -3, 17, 0, -128, 127, 1, 2]);
    const traceRoot = ethers.keccak256(bytesOf(32, 5));
    await f.manager
      .connect(f.requesters[0])
      .request(
        DIGITS_VERSION,
        bytesOf(DIGITS_INPUT_BYTES, 4),
        VERSION_FEE,
        f.node,
        MODE.OPTIMISTIC,
        consumerAddress,
        100_000,
      );
    await f.manager.connect(f.node).commit(1n, output, traceRoot);
    expect(await f.consumer.isFinal(1n)).to.equal(false);
    await expect(f.consumer.digitOf(1n))
      .to.be.revertedWithCustomError(f.consumer, "DigitConsumerNotFinal")
      .withArgs(1n);
    await time.increase(CHALLENGE_WINDOW);
    await expect(f.manager.finalize(1n, output, traceRoot))
      .to.emit(f.consumer, "DigitRecognized")
      .withArgs(1n, 7n, ethers.keccak256(output));
    expect(await f.consumer.digitOf(1n)).to.equal(7n);
    expect(await f.consumer.isFinal(1n)).to.equal(true);
    expect(await f.consumer.outputHashOf(1n)).to.equal(ethers.keccak256(output));
  });

  it("accepts results from the manager only, and only 10 logits", async function () {
    const f = await fixture();
    await expect(f.consumer.connect(f.stranger).onInferenceResult(1n, int8s(new Array(10).fill(0)), ethers.ZeroHash))
      .to.be.revertedWithCustomError(f.consumer, "DigitConsumerNotManager")
      .withArgs(f.stranger.address);
    const managerAddress = await f.manager.getAddress();
    await ethers.provider.send("hardhat_impersonateAccount", [managerAddress]);
    await ethers.provider.send("hardhat_setBalance", [managerAddress, "0xde0b6b3a7640000"]);
    const asManager = await ethers.getSigner(managerAddress);
    await expect(f.consumer.connect(asManager).onInferenceResult(1n, int8s([1, 2, 3]), ethers.ZeroHash))
      .to.be.revertedWithCustomError(f.consumer, "DigitConsumerBadOutput")
      .withArgs(3n);
    await ethers.provider.send("hardhat_stopImpersonatingAccount", [managerAddress]);
  });
});
