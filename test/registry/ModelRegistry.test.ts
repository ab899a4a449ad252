import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { deployProtocolFixture, MODE, ONE, versionSpec } from "../helpers/fixtures";

async function publishedFixture() {
  const f = await deployProtocolFixture();
  await f.models.connect(f.publisher).publishModel("digits-mlp", versionSpec());
  return f;
}

describe("ModelRegistry", function () {
  describe("publishModel", function () {
    it("creates the model with version 1 and emits ModelPublished and ModelVersionPublished", async function () {
      const { models, publisher } = await loadFixture(deployProtocolFixture);
      const spec = versionSpec();
      const tx = models.connect(publisher).publishModel("digits-mlp", spec);
      await expect(tx).to.emit(models, "ModelPublished").withArgs(1, publisher.address, "digits-mlp");
      await expect(tx)
        .to.emit(models, "ModelVersionPublished")
        .withArgs(1, 1, 1, spec.artifactCid, spec.programDigest, spec.weightsRoot, spec.modes, spec.fee);

      const model = await models.getModel(1);
      expect(model.owner).to.equal(publisher.address);
      expect(model.pendingOwner).to.equal(ethers.ZeroAddress);
      expect(model.name).to.equal("digits-mlp");
      expect(model.versionIds).to.deep.equal([1n]);

      const version = await models.getVersion(1);
      expect(version.modelId).to.equal(1);
      expect(version.number).to.equal(1);
      expect(version.deprecated).to.equal(false);
      expect(version.publishedAt).to.equal(await time.latest());
      expect(version.artifactCid).to.equal(spec.artifactCid);
      expect(version.programDigest).to.equal(spec.programDigest);
      expect(version.weightsRoot).to.equal(spec.weightsRoot);
      expect(version.layerCount).to.equal(spec.layerCount);
      expect(version.inputShape).to.deep.equal([1n, 784n]);
      expect(version.outputShape).to.deep.equal([1n, 10n]);
      expect(version.modes).to.equal(spec.modes);
      expect(version.fee).to.equal(spec.fee);

      expect(await models.modelCount()).to.equal(1);
      expect(await models.versionCount()).to.equal(1);
      expect(await models.modelIdOf(publisher.address, "digits-mlp")).to.equal(1);
      expect(await models.isActiveVersion(1)).to.equal(true);
    });

    it("R3: keeps names unique per owner but not across owners", async function () {
      const { models, publisher, stranger } = await loadFixture(publishedFixture);
      await expect(models.connect(publisher).publishModel("digits-mlp", versionSpec()))
        .to.be.revertedWithCustomError(models, "ModelRegistryNameTaken")
        .withArgs(publisher.address, "digits-mlp", 1);
      await expect(models.connect(stranger).publishModel("digits-mlp", versionSpec()))
        .to.emit(models, "ModelPublished")
        .withArgs(2, stranger.address, "digits-mlp");
    });

    it("rejects an empty or oversized name", async function () {
      const { models, publisher } = await loadFixture(deployProtocolFixture);
      await expect(models.connect(publisher).publishModel("", versionSpec()))
        .to.be.revertedWithCustomError(models, "ModelRegistryInvalidName")
        .withArgs(0, 64);
      await expect(models.connect(publisher).publishModel("x".repeat(65), versionSpec()))
        .to.be.revertedWithCustomError(models, "ModelRegistryInvalidName")
        .withArgs(65, 64);
      await models.connect(publisher).publishModel("x".repeat(64), versionSpec());
    });
  });

  describe("version validation", function () {
    const bad: [string, Parameters<typeof versionSpec>[0], string, unknown[]][] = [
      ["an empty artifact CID", { artifactCid: "0x" }, "ModelRegistryInvalidArtifactCid", [0, 64]],
      [
        "an oversized artifact CID",
        { artifactCid: "0x" + "01".repeat(65) },
        "ModelRegistryInvalidArtifactCid",
        [65, 64],
      ],
      ["a zero program digest", { programDigest: ethers.ZeroHash }, "ModelRegistryZeroProgramDigest", []],
      ["a zero weights root", { weightsRoot: ethers.ZeroHash }, "ModelRegistryZeroWeightsRoot", []],
      ["zero layers", { layerCount: 0 }, "ModelRegistryInvalidLayerCount", [0, 1024]],
      ["too many layers", { layerCount: 1025 }, "ModelRegistryInvalidLayerCount", [1025, 1024]],
      ["an empty input shape", { inputShape: [] }, "ModelRegistryInvalidShape", [0, 8]],
      ["an output shape of rank 9", { outputShape: [1, 1, 1, 1, 1, 1, 1, 1, 1] }, "ModelRegistryInvalidShape", [9, 8]],
      ["a zero dimension", { inputShape: [1, 0] }, "ModelRegistryZeroDimension", [1]],
      ["a zero output dimension", { outputShape: [0, 10] }, "ModelRegistryZeroDimension", [0]],
      ["no modes", { modes: 0 }, "ModelRegistryInvalidModes", [0]],
      ["an unknown mode bit", { modes: 16 | MODE.OPTIMISTIC }, "ModelRegistryInvalidModes", [18]],
      ["a fee above 2^128 - 1", { fee: 2n ** 128n }, "ModelRegistryFeeTooHigh", [2n ** 128n, 2n ** 128n - 1n]],
    ];

    for (const [what, overrides, error, args] of bad) {
      it(`R2: rejects ${what}`, async function () {
        const { models, publisher } = await loadFixture(publishedFixture);
        const spec = versionSpec(overrides);
        await expect(models.connect(publisher).publishModel("other", spec))
          .to.be.revertedWithCustomError(models, error)
          .withArgs(...args);
        await expect(models.connect(publisher).publishVersion(1, spec))
          .to.be.revertedWithCustomError(models, error)
          .withArgs(...args);
      });
    }

    it("accepts every combination of known modes and the largest shapes", async function () {
      const { models, publisher } = await loadFixture(publishedFixture);
      for (let modes = 1; modes <= MODE.ALL; modes++) {
        await models.connect(publisher).publishVersion(1, versionSpec({ modes, inputShape: [1, 2, 3, 4, 5, 6, 7, 8] }));
      }
      expect(await models.versionCount()).to.equal(16);
    });
  });

  describe("publishVersion", function () {
    it("appends a numbered version and emits ModelVersionPublished", async function () {
      const { models, publisher } = await loadFixture(publishedFixture);
      const spec = versionSpec({ fee: 2n * ONE, layerCount: 9 });
      await expect(models.connect(publisher).publishVersion(1, spec))
        .to.emit(models, "ModelVersionPublished")
        .withArgs(1, 2, 2, spec.artifactCid, spec.programDigest, spec.weightsRoot, spec.modes, spec.fee);
      expect(await models.latestVersion(1)).to.equal(2);
      expect((await models.getVersion(2)).layerCount).to.equal(9);
      expect((await models.getModel(1)).versionIds).to.deep.equal([1n, 2n]);
    });

    it("is reserved to the model owner", async function () {
      const { models, stranger } = await loadFixture(publishedFixture);
      await expect(models.connect(stranger).publishVersion(1, versionSpec()))
        .to.be.revertedWithCustomError(models, "ModelRegistryNotModelOwner")
        .withArgs(1, stranger.address);
    });

    it("reverts for an unknown model", async function () {
      const { models, publisher } = await loadFixture(publishedFixture);
      await expect(models.connect(publisher).publishVersion(7, versionSpec()))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownModel")
        .withArgs(7);
    });
  });

  describe("deprecateVersion", function () {
    it("R1: marks the version deprecated, leaves the record intact and emits ModelVersionDeprecated", async function () {
      const { models, publisher } = await loadFixture(publishedFixture);
      const before = await models.getVersion(1);
      await expect(models.connect(publisher).deprecateVersion(1))
        .to.emit(models, "ModelVersionDeprecated")
        .withArgs(1, 1);
      const after = await models.getVersion(1);
      expect(after.deprecated).to.equal(true);
      expect(after.programDigest).to.equal(before.programDigest);
      expect(after.weightsRoot).to.equal(before.weightsRoot);
      expect(after.artifactCid).to.equal(before.artifactCid);
      expect(await models.isActiveVersion(1)).to.equal(false);
      expect(await models.latestVersion(1)).to.equal(1);
    });

    it("reverts when already deprecated, unknown, or not the owner's", async function () {
      const { models, publisher, stranger } = await loadFixture(publishedFixture);
      await models.connect(publisher).deprecateVersion(1);
      await expect(models.connect(publisher).deprecateVersion(1))
        .to.be.revertedWithCustomError(models, "ModelRegistryAlreadyDeprecated")
        .withArgs(1);
      await expect(models.connect(publisher).deprecateVersion(2))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownVersion")
        .withArgs(2);
      await models.connect(publisher).publishVersion(1, versionSpec());
      await expect(models.connect(stranger).deprecateVersion(2))
        .to.be.revertedWithCustomError(models, "ModelRegistryNotModelOwner")
        .withArgs(1, stranger.address);
    });
  });

  describe("ownership", function () {
    it("transfers in two steps with events, and moves the name to the new owner", async function () {
      const { models, publisher, stranger } = await loadFixture(publishedFixture);
      await expect(models.connect(publisher).transferModelOwnership(1, stranger.address))
        .to.emit(models, "ModelOwnershipTransferStarted")
        .withArgs(1, publisher.address, stranger.address);
      expect((await models.getModel(1)).owner).to.equal(publisher.address);
      expect((await models.getModel(1)).pendingOwner).to.equal(stranger.address);

      await expect(models.connect(stranger).acceptModelOwnership(1))
        .to.emit(models, "ModelOwnershipTransferred")
        .withArgs(1, publisher.address, stranger.address);
      const model = await models.getModel(1);
      expect(model.owner).to.equal(stranger.address);
      expect(model.pendingOwner).to.equal(ethers.ZeroAddress);
      expect(await models.modelIdOf(publisher.address, "digits-mlp")).to.equal(0);
      expect(await models.modelIdOf(stranger.address, "digits-mlp")).to.equal(1);

      await models.connect(stranger).publishVersion(1, versionSpec());
      await expect(models.connect(publisher).publishVersion(1, versionSpec()))
        .to.be.revertedWithCustomError(models, "ModelRegistryNotModelOwner")
        .withArgs(1, publisher.address);
      // The old owner may reuse the name now.
      await models.connect(publisher).publishModel("digits-mlp", versionSpec());
    });

    it("lets the owner cancel an offer by offering to the zero address", async function () {
      const { models, publisher, stranger } = await loadFixture(publishedFixture);
      await models.connect(publisher).transferModelOwnership(1, stranger.address);
      await models.connect(publisher).transferModelOwnership(1, ethers.ZeroAddress);
      await expect(models.connect(stranger).acceptModelOwnership(1))
        .to.be.revertedWithCustomError(models, "ModelRegistryNotPendingOwner")
        .withArgs(1, stranger.address);
    });

    it("rejects an accept by anyone but the pending owner, and for an unknown model", async function () {
      const { models, publisher, stranger, governor } = await loadFixture(publishedFixture);
      await models.connect(publisher).transferModelOwnership(1, stranger.address);
      await expect(models.connect(governor).acceptModelOwnership(1))
        .to.be.revertedWithCustomError(models, "ModelRegistryNotPendingOwner")
        .withArgs(1, governor.address);
      await expect(models.connect(stranger).acceptModelOwnership(9))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownModel")
        .withArgs(9);
    });

    it("R3: refuses a transfer that would give the new owner two models of the same name", async function () {
      const { models, publisher, stranger } = await loadFixture(publishedFixture);
      await models.connect(stranger).publishModel("digits-mlp", versionSpec());
      await models.connect(publisher).transferModelOwnership(1, stranger.address);
      await expect(models.connect(stranger).acceptModelOwnership(1))
        .to.be.revertedWithCustomError(models, "ModelRegistryNameTaken")
        .withArgs(stranger.address, "digits-mlp", 2);
    });

    it("is reserved to the owner, for a known model", async function () {
      const { models, stranger } = await loadFixture(publishedFixture);
      await expect(models.connect(stranger).transferModelOwnership(1, stranger.address))
        .to.be.revertedWithCustomError(models, "ModelRegistryNotModelOwner")
        .withArgs(1, stranger.address);
      await expect(models.connect(stranger).transferModelOwnership(3, stranger.address))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownModel")
        .withArgs(3);
    });
  });

  describe("requestTerms", function () {
    it("R8: returns what a request needs, agreeing with getVersion (lengths = prod(shape))", async function () {
      const { models, publisher } = await loadFixture(publishedFixture);
      await models
        .connect(publisher)
        .publishVersion(1, versionSpec({ inputShape: [2, 3, 4], outputShape: [7], modes: MODE.NONE, fee: 5n }));
      for (const [id, expected] of [
        [1n, { modes: MODE.OPTIMISTIC | MODE.TEE, fee: ONE, inputBytes: 784n, outputBytes: 10n }],
        [2n, { modes: MODE.NONE, fee: 5n, inputBytes: 24n, outputBytes: 7n }],
      ] as const) {
        const terms = await models.requestTerms(id);
        expect(terms.active).to.equal(true);
        expect(terms.modes).to.equal(expected.modes);
        expect(terms.fee).to.equal(expected.fee);
        expect(terms.inputBytes).to.equal(expected.inputBytes);
        expect(terms.outputBytes).to.equal(expected.outputBytes);
        const version = await models.getVersion(id);
        expect(terms.modes).to.equal(version.modes);
        expect(terms.fee).to.equal(version.fee);
        expect(terms.inputBytes).to.equal(version.inputShape.reduce((a, b) => a * b, 1n));
        expect(terms.outputBytes).to.equal(version.outputShape.reduce((a, b) => a * b, 1n));
      }
    });

    it("R8: reverts ModelRegistryUnknownVersion for an id never published (0 included)", async function () {
      const { models } = await loadFixture(publishedFixture);
      for (const id of [0n, 2n, 99n]) {
        await expect(models.requestTerms(id))
          .to.be.revertedWithCustomError(models, "ModelRegistryUnknownVersion")
          .withArgs(id);
      }
    });

    it("R8: a deprecated version reads inactive, its other terms unchanged", async function () {
      const { models, publisher } = await loadFixture(publishedFixture);
      const before = await models.requestTerms(1n);
      await models.connect(publisher).deprecateVersion(1n);
      const after = await models.requestTerms(1n);
      expect(before.active).to.equal(true);
      expect(after.active).to.equal(false);
      expect([after.modes, after.fee, after.inputBytes, after.outputBytes]).to.deep.equal([
        before.modes,
        before.fee,
        before.inputBytes,
        before.outputBytes,
      ]);
    });

    it("R8: saturates a length past uint32 at 2^32 - 1, and keeps one that fits exactly", async function () {
      const { models, publisher } = await loadFixture(publishedFixture);
      const max32 = 2n ** 32n - 1n;
      const cases: [number[], bigint][] = [
        [[65_536, 65_536], max32], // 2^32: one past the cap
        [Array(8).fill(Number(max32)), max32], // the largest shape: (2^32 - 1)^8, no overflow on the way
        [[1, 65_536, 65_536, 1], max32],
        [[65_535, 65_537], max32], // exactly 2^32 - 1: fits, not saturated
        [[65_535, 65_535], 65_535n * 65_535n],
      ];
      for (const [shape, expected] of cases) {
        await models.connect(publisher).publishVersion(1, versionSpec({ inputShape: shape, outputShape: shape }));
        const terms = await models.requestTerms(await models.versionCount());
        expect(terms.inputBytes).to.equal(expected, `shape [${shape}]`);
        expect(terms.outputBytes).to.equal(expected, `shape [${shape}]`);
      }
    });

    it("R8: returns the largest fee a version may have (MAX_FEE = 2^128 - 1) unchanged", async function () {
      const { models, publisher } = await loadFixture(publishedFixture);
      const max = await models.MAX_FEE();
      expect(max).to.equal(2n ** 128n - 1n);
      await models.connect(publisher).publishVersion(1, versionSpec({ fee: max }));
      expect((await models.requestTerms(2n)).fee).to.equal(max);
    });
  });

  describe("views", function () {
    it("R7: paginates models and versions, clipping to what exists", async function () {
      const { models, publisher } = await loadFixture(publishedFixture);
      for (let i = 0; i < 4; i++) await models.connect(publisher).publishModel(`m${i}`, versionSpec());
      for (let i = 0; i < 3; i++) await models.connect(publisher).publishVersion(1, versionSpec());
      expect(await models.listModels(0, 2)).to.deep.equal([1n, 2n]);
      expect(await models.listModels(3, 10)).to.deep.equal([4n, 5n]);
      expect(await models.listModels(5, 10)).to.deep.equal([]);
      expect(await models.listModels(0, 0)).to.deep.equal([]);
      expect(await models.listVersions(1, 0, 10)).to.deep.equal([1n, 6n, 7n, 8n]);
      expect(await models.listVersions(1, 1, 2)).to.deep.equal([6n, 7n]);
      expect(await models.listVersions(1, 4, 2)).to.deep.equal([]);
      expect(await models.latestVersion(1)).to.equal(8);
    });

    it("reverts for unknown ids", async function () {
      const { models } = await loadFixture(publishedFixture);
      await expect(models.getModel(0)).to.be.revertedWithCustomError(models, "ModelRegistryUnknownModel").withArgs(0);
      await expect(models.getVersion(2))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownVersion")
        .withArgs(2);
      await expect(models.latestVersion(5))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownModel")
        .withArgs(5);
      await expect(models.listVersions(5, 0, 1))
        .to.be.revertedWithCustomError(models, "ModelRegistryUnknownModel")
        .withArgs(5);
      expect(await models.isActiveVersion(0)).to.equal(false);
      expect(await models.isActiveVersion(99)).to.equal(false);
    });

    it("R7: bounds the versions of one model", async function () {
      const { models, publisher } = await loadFixture(publishedFixture);
      const max = await models.MAX_VERSIONS_PER_MODEL();
      expect(max).to.equal(1024);
      // Publishing 1023 real versions would take a minute; instead set the length of model 1's versionIds array
      // (storage: _models at slot 2, Model.versionIds at offset 3) to the cap, which is what 1023 publishes do.
      const base = BigInt(ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [1, 2])));
      await ethers.provider.send("hardhat_setStorageAt", [
        await models.getAddress(),
        ethers.toQuantity(base + 3n),
        ethers.zeroPadValue(ethers.toBeHex(max), 32),
      ]);
      expect((await models.getModel(1)).versionIds.length).to.equal(1024);
      await expect(models.connect(publisher).publishVersion(1, versionSpec()))
        .to.be.revertedWithCustomError(models, "ModelRegistryTooManyVersions")
        .withArgs(1, max);
    });
  });
});
