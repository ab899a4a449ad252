import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import {
  answerRequest,
  decodeResponse,
  encodeRequest,
  recordLengths,
  type GenerationTerms,
} from "../../executor/generate";
import { languageModel } from "../../models/lm";
import { InferenceRequestStatus as RequestStatus, RedundantRequestStatus } from "../../protocol/enums";
import { MODE, versionSpec } from "../helpers/fixtures";
import { generationVersionSpec } from "../helpers/generation-game";
import { generationSpecOf } from "../../protocol/generation";
import { VERSION_FEE } from "../helpers/inference-fixtures";
import { deployTeeFixture, signFor, type TeeFixture } from "../tee/tee-fixture";
import {
  deployRefereedGenerationFixture,
  GameOutcome,
  openRefereedGeneration,
  playRefereedGeneration,
} from "../helpers/refereed-generation-game";

// Short generations of the byte LM (8 bytes after a prompt of up to 32).
const TERMS: GenerationTerms = { contextLength: 64, maxTokens: 8, maxPrompt: 32, padByte: 0, stopByte: 10 };
const GENERATION = generationSpecOf(TERMS);

/** The TEE fixture with the LM published as a generation version that both nodes serve. */
async function teeGenerationFixture(): Promise<TeeFixture & { versionId: bigint }> {
  const t = await deployTeeFixture();
  await t.models
    .connect(t.publisher)
    .publishGenerationModel(
      "byte-lm",
      generationVersionSpec(languageModel(), TERMS, { modes: MODE.TEE | MODE.OPTIMISTIC, fee: VERSION_FEE }),
      GENERATION,
    );
  const versionId = await t.models.versionCount();
  for (const node of [t.node, t.node2]) await t.nodes.connect(node).serveVersions([versionId]);
  return { ...t, versionId };
}

/** The redundant fixture with the byte LM published as a generation version (8 bytes after a prompt of up to 32). */
function redundantGenerationFixture() {
  return deployRefereedGenerationFixture(languageModel(), TERMS);
}

describe("Generation in the other modes (docs/GENERATION.md: TEE and redundant yes, ZK no)", function () {
  it("LM4 TEE: the enclave signs the response record and its generation root; the settler finalizes the generation at once and the consumer receives the text", async function () {
    const t = await loadFixture(teeGenerationFixture);
    const consumer = await ethers.deployContract("RecordingConsumer");
    const input = encodeRequest({ prompt: new TextEncoder().encode("It was a"), maxTokens: 8 }, TERMS);
    await t.manager
      .connect(t.requesters[0])
      .request(t.versionId, input, VERSION_FEE, t.node.address, MODE.TEE, await consumer.getAddress(), 300_000);
    const id = await t.manager.requestCount();
    const answer = answerRequest(languageModel().program, TERMS, id, input);
    const result = {
      requestId: id,
      modelVersion: t.versionId,
      inputHash: ethers.keccak256(input),
      outputHash: ethers.keccak256(answer.output),
      traceRoot: answer.traceRoot,
    };
    await expect(
      t.settler.connect(t.stranger).settle(id, answer.output, answer.traceRoot, await signFor(t, t.enclave, result)),
    )
      .to.emit(t.manager, "RequestFinalized")
      .withArgs(id, t.node.address, VERSION_FEE, 0);
    expect((await t.manager.getRequest(id)).status).to.equal(RequestStatus.Finalized);
    const delivered = ethers.getBytes(await consumer.lastOutput());
    expect(decodeResponse(delivered)).to.deep.equal(answer.generation!.output);
  });

  it("LM4, LM7 redundant: two named nodes answer a generation of the byte LM; the one that changed a byte in the middle loses the refereed game (the contract recomputes the pass's choice), and the request finalizes with the honest text", async function () {
    this.timeout(120_000);
    const f = await loadFixture(redundantGenerationFixture);
    const request = { prompt: new TextEncoder().encode("It was a"), maxTokens: 8 };
    const game = await openRefereedGeneration(f, request, { lieB: { kind: "byte", pass: 4 } });
    expect(game.gameId).to.not.equal(0n);
    const { outcome, moves } = await playRefereedGeneration(f, game);
    expect(outcome).to.equal(GameOutcome.BWrong);
    expect(moves.map((m) => m.name)).to.deep.equal([
      "revealPassRoots(8 passes)",
      "revealPassRootsAndLocate(8 passes)",
      "proveChoice(pass 4)",
    ]);
    const r = await f.redundant.getRequest(game.requestId);
    expect(r.status).to.equal(RedundantRequestStatus.Finalized);
    expect(r.resultHash).to.equal(ethers.keccak256(game.views.A.output));
    const honest = answerRequest(languageModel().program, TERMS, game.requestId, game.input).output;
    expect(ethers.hexlify(game.views.A.output)).to.equal(ethers.hexlify(honest));
  });

  it("LM4 ZK: a generation version may not support the ZK mode (ModelRegistryGenerationModes)", async function () {
    const t = await loadFixture(deployTeeFixture);
    const lengths = recordLengths(TERMS);
    const spec = versionSpec({
      inputShape: [lengths.input],
      outputShape: [lengths.output],
      modes: MODE.OPTIMISTIC | MODE.ZK,
    });
    await expect(t.models.connect(t.publisher).publishGenerationModel("lm-zk", spec, GENERATION))
      .to.be.revertedWithCustomError(t.models, "ModelRegistryGenerationModes")
      .withArgs(MODE.OPTIMISTIC | MODE.ZK);
  });
});
