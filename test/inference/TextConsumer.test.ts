import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { encodeRequest, encodeResponse, recordLengths, type GenerationTerms } from "../../executor/generate";
import { MODE, versionSpec } from "../helpers/fixtures";
import { CHALLENGE_WINDOW, deployInferenceFixture, VERSION_FEE } from "../helpers/inference-fixtures";

const TERMS: GenerationTerms = { contextLength: 64, maxTokens: 8, maxPrompt: 32, padByte: 0, stopByte: 10 };
const utf8 = (text: string) => new TextEncoder().encode(text);

/** The inference fixture plus a generation version (id 3) served by its node, and the consumer. */
async function fixture() {
  const f = await deployInferenceFixture();
  const lengths = recordLengths(TERMS);
  await f.models
    .connect(f.publisher)
    .publishGenerationModel(
      "byte-lm",
      versionSpec({ modes: MODE.OPTIMISTIC | MODE.NONE, inputShape: [lengths.input], outputShape: [lengths.output] }),
      { contextLength: 64, maxTokens: 8, maxPrompt: 32, padByte: 0, hasStop: true, stopByte: 10 },
    );
  const versionId = await f.models.versionCount();
  await f.nodes.connect(f.node).serveVersions([versionId]);
  const consumer = await ethers.deployContract("TextConsumer", [await f.manager.getAddress()]);
  return { ...f, consumer, versionId };
}

describe("TextConsumer", function () {
  it("I7: receives a finalized generation: decodes the response record, stores the text and emits TextGenerated", async function () {
    const f = await loadFixture(fixture);
    const input = encodeRequest({ prompt: utf8("The jury"), maxTokens: 8 }, TERMS);
    await f.manager
      .connect(f.requesters[0])
      .request(f.versionId, input, VERSION_FEE, f.node, MODE.OPTIMISTIC, await f.consumer.getAddress(), 200_000);
    const id = await f.manager.requestCount();
    const output = encodeResponse(utf8(" said\n"), TERMS.maxTokens);
    const traceRoot = ethers.keccak256(utf8("generation root"));
    await f.manager.connect(f.node).commit(id, output, traceRoot);
    expect(await f.consumer.isFinal(id)).to.equal(false);
    await expect(f.consumer.textOf(id)).to.be.revertedWithCustomError(f.consumer, "TextConsumerNotFinal").withArgs(id);
    await time.increase(CHALLENGE_WINDOW);
    await expect(f.manager.finalize(id, output, traceRoot))
      .to.emit(f.consumer, "TextGenerated")
      .withArgs(id, ethers.hexlify(utf8(" said\n")), ethers.keccak256(output));
    expect(ethers.toUtf8String(await f.consumer.textOf(id))).to.equal(" said\n");
    expect(await f.consumer.isFinal(id)).to.equal(true);
    expect(await f.consumer.outputHashOf(id)).to.equal(ethers.keccak256(output));
  });

  it("decodes the empty response (an invalid request's answer) as the empty text", async function () {
    const f = await loadFixture(fixture);
    expect(await f.consumer.decodeResponse(encodeResponse(new Uint8Array(0), 8))).to.equal("0x");
    expect(await f.consumer.decodeResponse(encodeResponse(utf8("abc"), 8))).to.equal(ethers.hexlify(utf8("abc")));
  });

  it("accepts callbacks from the manager only, and only a response record whose count fits", async function () {
    const f = await loadFixture(fixture);
    const record = encodeResponse(utf8("hi"), 8);
    await expect(f.consumer.connect(f.stranger).onInferenceResult(1n, record, ethers.ZeroHash))
      .to.be.revertedWithCustomError(f.consumer, "TextConsumerNotManager")
      .withArgs(f.stranger.address);
    const managerAddress = await f.manager.getAddress();
    await ethers.provider.send("hardhat_impersonateAccount", [managerAddress]);
    await ethers.provider.send("hardhat_setBalance", [managerAddress, "0xde0b6b3a7640000"]);
    const asManager = await ethers.getSigner(managerAddress);
    await expect(f.consumer.connect(asManager).onInferenceResult(1n, Uint8Array.from([9, 1, 2]), ethers.ZeroHash))
      .to.be.revertedWithCustomError(f.consumer, "TextConsumerBadResponse")
      .withArgs(9n, 3n);
    await expect(f.consumer.connect(asManager).onInferenceResult(1n, "0x", ethers.ZeroHash))
      .to.be.revertedWithCustomError(f.consumer, "TextConsumerBadResponse")
      .withArgs(0n, 0n);
    await expect(f.consumer.connect(asManager).onInferenceResult(2n, record, ethers.ZeroHash))
      .to.emit(f.consumer, "TextGenerated")
      .withArgs(2n, ethers.hexlify(utf8("hi")), ethers.ZeroHash);
    await ethers.provider.send("hardhat_stopImpersonatingAccount", [managerAddress]);
  });
});
