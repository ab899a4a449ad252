/**
 * Generation versions in the ModelRegistry (docs/GENERATION.md §7): publishGenerationModel,
 * publishGenerationVersion and generationOf, with every revert and the GenerationVersionPublished event; the
 * RedundantManager takes a generation version that supports OPTIMISTIC (its refereed game), and no other.
 */
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { recordLengths, type GenerationTerms } from "../../executor/generate";
import type { IModelRegistry } from "../../typechain-types";
import { deployProtocolFixture, MODE, versionSpec } from "../helpers/fixtures";
import { deployRedundantFixture, FEE, namedNodes } from "../redundant/redundant-fixtures";

const TERMS: GenerationTerms = { contextLength: 64, maxTokens: 32, maxPrompt: 48, padByte: 0, stopByte: 10 };

function generationSpec(over: Partial<IModelRegistry.GenerationSpecStruct> = {}): IModelRegistry.GenerationSpecStruct {
  return {
    contextLength: TERMS.contextLength,
    maxTokens: TERMS.maxTokens,
    maxPrompt: TERMS.maxPrompt,
    padByte: TERMS.padByte,
    hasStop: true,
    stopByte: TERMS.stopByte!,
    ...over,
  };
}

/** A version spec whose shapes are the records of `g`. */
function recordSpec(g = generationSpec(), modes: number = MODE.OPTIMISTIC | MODE.NONE | MODE.TEE) {
  const lengths = recordLengths({
    contextLength: Number(g.contextLength),
    maxTokens: Number(g.maxTokens),
    maxPrompt: Number(g.maxPrompt),
    padByte: Number(g.padByte),
  });
  return versionSpec({ inputShape: [lengths.input], outputShape: [lengths.output], modes });
}

const asTuple = (g: IModelRegistry.GenerationSpecStruct) => [
  BigInt(g.contextLength),
  BigInt(g.maxTokens),
  BigInt(g.maxPrompt),
  BigInt(g.padByte),
  g.hasStop,
  BigInt(g.stopByte),
];

describe("ModelRegistry: generation versions (docs/GENERATION.md §7)", function () {
  describe("publishGenerationModel", function () {
    it("creates the model with a generation version 1, emits GenerationVersionPublished, and generationOf returns its terms", async function () {
      const { models, publisher } = await loadFixture(deployProtocolFixture);
      const g = generationSpec();
      const spec = recordSpec(g);
      const tx = models.connect(publisher).publishGenerationModel("byte-lm", spec, g);
      await expect(tx).to.emit(models, "ModelPublished").withArgs(1, publisher.address, "byte-lm");
      await expect(tx)
        .to.emit(models, "ModelVersionPublished")
        .withArgs(1, 1, 1, spec.artifactCid, spec.programDigest, spec.weightsRoot, spec.modes, spec.fee);
      await expect(tx).to.emit(models, "GenerationVersionPublished").withArgs(1, asTuple(g));
      expect(asTuple(await models.generationOf(1))).to.deep.equal(asTuple(g));
      const version = await models.getVersion(1);
      expect(version.inputShape).to.deep.equal([BigInt(3 + TERMS.maxPrompt)]);
      expect(version.outputShape).to.deep.equal([BigInt(1 + TERMS.maxTokens)]);
    });

    it("reverts on a zero context or maxTokens, shapes that are not the records, a mode beyond NONE, OPTIMISTIC and TEE", async function () {
      const { models, publisher } = await loadFixture(deployProtocolFixture);
      const p = models.connect(publisher);
      for (const over of [{ contextLength: 0 }, { maxTokens: 0 }]) {
        const g = generationSpec(over);
        await expect(p.publishGenerationModel("lm", recordSpec(generationSpec()), g))
          .to.be.revertedWithCustomError(models, "ModelRegistryInvalidGeneration")
          .withArgs(g.contextLength, g.maxTokens);
      }
      const g = generationSpec();
      const [input, output] = [3 + TERMS.maxPrompt, 1 + TERMS.maxTokens];
      for (const shapes of [
        { inputShape: [input + 1], outputShape: [output] },
        { inputShape: [input], outputShape: [output - 1] },
        { inputShape: [1, input], outputShape: [output] },
        { inputShape: [input], outputShape: [1, output] },
      ]) {
        await expect(p.publishGenerationModel("lm", versionSpec({ ...shapes, modes: MODE.OPTIMISTIC }), g))
          .to.be.revertedWithCustomError(models, "ModelRegistryGenerationShapes")
          .withArgs(input, output);
      }
      const zk = MODE.OPTIMISTIC | MODE.ZK;
      await expect(p.publishGenerationModel("lm", recordSpec(g, zk), g))
        .to.be.revertedWithCustomError(models, "ModelRegistryGenerationModes")
        .withArgs(zk);
      // The ordinary checks of a version still hold.
      await expect(p.publishGenerationModel("lm", { ...recordSpec(g), weightsRoot: `0x${"00".repeat(32)}` }, g))
        .to.be.revertedWithCustomError(models, "ModelRegistryZeroWeightsRoot")
        .withArgs();
      expect(await models.versionCount()).to.equal(0n);
    });
  });

  describe("publishGenerationVersion", function () {
    it("publishes the next version of a model as a generation version; the ordinary versions stay non-generating", async function () {
      const { models, publisher } = await loadFixture(deployProtocolFixture);
      await models.connect(publisher).publishModel("digits-mlp", versionSpec());
      const g = generationSpec({ hasStop: false, stopByte: 0, padByte: 32 });
      await expect(models.connect(publisher).publishGenerationVersion(1, recordSpec(g), g))
        .to.emit(models, "GenerationVersionPublished")
        .withArgs(2, asTuple(g));
      expect((await models.getModel(1)).versionIds).to.deep.equal([1n, 2n]);
      expect(asTuple(await models.generationOf(2))).to.deep.equal(asTuple(g));
      expect(asTuple(await models.generationOf(1))).to.deep.equal([0n, 0n, 0n, 0n, false, 0n]);
    });

    it("reverts for a caller that does not own the model, an unknown model, and the same checks as publishGenerationModel", async function () {
      const { models, publisher, stranger } = await loadFixture(deployProtocolFixture);
      await models.connect(publisher).publishModel("digits-mlp", versionSpec());
      const g = generationSpec();
      await expect(models.connect(stranger).publishGenerationVersion(1, recordSpec(g), g))
        .to.be.revertedWithCustomError(models, "ModelRegistryNotModelOwner")
        .withArgs(1, stranger.address);
      await expect(models.connect(publisher).publishGenerationVersion(7, recordSpec(g), g))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownModel")
        .withArgs(7);
      await expect(models.connect(publisher).publishGenerationVersion(1, versionSpec(), g))
        .to.be.revertedWithCustomError(models, "ModelRegistryGenerationShapes")
        .withArgs(3 + TERMS.maxPrompt, 1 + TERMS.maxTokens);
      await expect(
        models.connect(publisher).publishGenerationVersion(1, recordSpec(g), generationSpec({ maxTokens: 0 })),
      )
        .to.be.revertedWithCustomError(models, "ModelRegistryInvalidGeneration")
        .withArgs(TERMS.contextLength, 0);
      await expect(models.connect(publisher).publishGenerationVersion(1, recordSpec(g, MODE.ZK), g))
        .to.be.revertedWithCustomError(models, "ModelRegistryGenerationModes")
        .withArgs(MODE.ZK);
    });
  });

  describe("generationOf", function () {
    it("reverts for an unknown version", async function () {
      const { models } = await loadFixture(deployProtocolFixture);
      await expect(models.generationOf(1))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownVersion")
        .withArgs(1);
    });
  });

  describe("the RedundantManager", function () {
    it("takes a request for a generation version with OPTIMISTIC among its modes: the request is marked a generation", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const g = generationSpec();
      await f.models.connect(f.publisher).publishGenerationModel("byte-lm", recordSpec(g), g);
      const versionId = await f.models.versionCount();
      for (const op of f.operators.slice(0, 2)) await f.nodes.connect(op).serveVersions([versionId]);
      const input = new Uint8Array(3 + TERMS.maxPrompt);
      input[1] = 1;
      await expect(f.redundant.connect(f.requester).request(versionId, input, FEE, namedNodes(f, 2))).to.emit(
        f.redundant,
        "RedundantRequested",
      );
      const r = await f.redundant.getRequest(await f.redundant.requestCount());
      expect(r.generation).to.equal(true);
      expect(r.outputLength).to.equal(BigInt(1 + TERMS.maxTokens));
    });

    it("refuses a generation version without OPTIMISTIC (RedundantManagerModeNotSupported): the refereed game is the optimistic one", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const g = generationSpec();
      await f.models.connect(f.publisher).publishGenerationModel("byte-lm", recordSpec(g, MODE.TEE), g);
      const versionId = await f.models.versionCount();
      const input = new Uint8Array(3 + TERMS.maxPrompt);
      input[1] = 1;
      await expect(f.redundant.connect(f.requester).request(versionId, input, FEE, namedNodes(f, 2)))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerModeNotSupported")
        .withArgs(versionId);
    });
  });
});
