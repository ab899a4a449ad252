import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { InferenceManager } from "../../typechain-types";
import { BatchStatus } from "../../protocol/constants";
import { MODE, versionSpec } from "../helpers/fixtures";
import {
  bytesOf,
  CHALLENGE_WINDOW,
  COLLATERAL_MULTIPLIER,
  deployInferenceFixture,
  DIGITS_INPUT_BYTES,
  DIGITS_OUTPUT_BYTES,
  DIGITS_VERSION,
  makeBatch,
  STATUS,
  VERSION_FEE,
} from "../helpers/inference-fixtures";
import type { InferenceFixture } from "../helpers/inference-fixtures";

// What the coverage run found unexercised in the InferenceManager and InferenceLib (see the coverage report of
// branch h-coverage): each zero address of the constructor, the re-entrancy guards of request, requestWithPermit,
// settleVerified and claimCredits, a version without a fee, a shape whose size saturates uint32, a registry whose
// return data is short or whose call fails otherwise, a version deprecated before its first request, and a batch whose every leaf was proven individually.

const NONE = ethers.ZeroAddress;
const INPUT = bytesOf(DIGITS_INPUT_BYTES, 301);
const OUTPUT = bytesOf(DIGITS_OUTPUT_BYTES, 302);
const TRACE_ROOT = ethers.keccak256(bytesOf(32, 303));
const REENTRANT_CALL = ethers.id("ReentrancyGuardReentrantCall()").slice(0, 10);
const MODES = MODE.NONE | MODE.OPTIMISTIC | MODE.TEE;

async function managerFactory() {
  const lib = await ethers.deployContract("InferenceLib");
  return ethers.getContractFactory("InferenceManager", { libraries: { InferenceLib: await lib.getAddress() } });
}

/** Publishes the next version of model 1 (the digits MLP) with `overrides`; returns its id. */
async function publish(f: InferenceFixture, overrides: Parameters<typeof versionSpec>[0]): Promise<bigint> {
  await f.models.connect(f.publisher).publishVersion(1n, versionSpec({ modes: MODES, ...overrides }));
  return f.models.versionCount();
}

describe("InferenceManager (coverage)", function () {
  describe("constructor", function () {
    it("reverts when Staking, the model registry or the node registry is the zero address", async function () {
      const f = await loadFixture(deployInferenceFixture);
      const factory = await managerFactory();
      const [staking, models, nodes] = [
        await f.staking.getAddress(),
        await f.models.getAddress(),
        await f.nodes.getAddress(),
      ];
      for (const args of [
        [NONE, models, nodes],
        [staking, NONE, nodes],
        [staking, models, NONE],
      ]) {
        await expect(factory.deploy(args[0], args[1], args[2], f.governor.address)).to.be.revertedWithCustomError(
          f.manager,
          "InferenceManagerZeroAddress",
        );
      }
    });
  });

  describe("R8: request: the version record", function () {
    it("a version published without a fee still asks for a fee of at least 1", async function () {
      const f = await loadFixture(deployInferenceFixture);
      const version = await publish(f, { fee: 0n });
      const asRequester = f.manager.connect(f.requesters[0]);
      await expect(asRequester.request(version, INPUT, 0n, NONE, MODE.OPTIMISTIC, NONE, 0))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerFeeTooLow")
        .withArgs(0n, 1n);
      await expect(asRequester.request(version, INPUT, 1n, NONE, MODE.OPTIMISTIC, NONE, 0))
        .to.emit(f.manager, "InferenceRequested")
        .withArgs(1n, version, f.requesters[0].address, NONE, 1n, MODE.OPTIMISTIC, INPUT);
    });

    it("an input shape whose size exceeds uint32 is read as uint32 max: no input fits", async function () {
      const f = await loadFixture(deployInferenceFixture);
      const version = await publish(f, { inputShape: [65_536, 65_536] }); // 2^32 elements
      await expect(
        f.manager.connect(f.requesters[0]).request(version, INPUT, VERSION_FEE, NONE, MODE.OPTIMISTIC, NONE, 0),
      )
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidInputLength")
        .withArgs(DIGITS_INPUT_BYTES, 2n ** 32n - 1n);
    });

    it("a registry answering requestTerms with short data is refused by the ABI decoder, not read past its end", async function () {
      const f = await loadFixture(deployInferenceFixture);
      const registry = await ethers.deployContract("TruncatedModelRegistry");
      const factory = await managerFactory();
      const manager = (await factory.deploy(
        await f.staking.getAddress(),
        await registry.getAddress(),
        await f.nodes.getAddress(),
        f.governor.address,
      )) as unknown as InferenceManager;
      // requestTerms returns a fixed 5-word record: one word fails the decoder's length check (an empty revert).
      await expect(
        manager.connect(f.requesters[0]).request(1n, INPUT, VERSION_FEE, NONE, MODE.OPTIMISTIC, NONE, 0),
      ).to.be.revertedWithoutReason();
    });

    it("a registry call failing otherwise than for an unknown version propagates, not read as inactive", async function () {
      const f = await loadFixture(deployInferenceFixture);
      const factory = await managerFactory();
      // Staking has no requestTerms (and no fallback): the call reverts with empty data, which the manager passes
      // on rather than translating into InferenceManagerVersionNotActive.
      const manager = (await factory.deploy(
        await f.staking.getAddress(),
        await f.staking.getAddress(),
        await f.nodes.getAddress(),
        f.governor.address,
      )) as unknown as InferenceManager;
      await expect(
        manager.connect(f.requesters[0]).request(DIGITS_VERSION, INPUT, VERSION_FEE, NONE, MODE.OPTIMISTIC, NONE, 0),
      ).to.be.revertedWithoutReason();
    });

    it("the first request on a version deprecated before it was cached is refused, with or without a node", async function () {
      const f = await loadFixture(deployInferenceFixture);
      const version = await publish(f, {});
      await f.models.connect(f.publisher).deprecateVersion(version);
      expect((await f.models.requestTerms(version)).active).to.equal(false);
      for (const node of [NONE, f.node.address]) {
        await expect(
          f.manager.connect(f.requesters[0]).request(version, INPUT, VERSION_FEE, node, MODE.OPTIMISTIC, NONE, 0),
        )
          .to.be.revertedWithCustomError(f.manager, "InferenceManagerVersionNotActive")
          .withArgs(version);
      }
    });

    it("caches the terms of the first request: later requests do not read them again", async function () {
      const f = await loadFixture(deployInferenceFixture);
      const version = await publish(f, { fee: VERSION_FEE });
      const asRequester = f.manager.connect(f.requesters[0]);
      await asRequester.request(version, INPUT, VERSION_FEE, NONE, MODE.NONE, NONE, 0);
      // Double the version's fee behind the registry's back (ModelRegistry storage: _versions at slot 3, the
      // ModelVersion's fee at offset 4): the registry now reports it, the manager's cache still holds the old one.
      const base = BigInt(
        ethers.keccak256(ethers.AbiCoder.defaultAbiCoder().encode(["uint256", "uint256"], [version, 3])),
      );
      await ethers.provider.send("hardhat_setStorageAt", [
        await f.models.getAddress(),
        ethers.toQuantity(base + 4n),
        ethers.zeroPadValue(ethers.toBeHex(VERSION_FEE * 2n), 32),
      ]);
      expect((await f.models.requestTerms(version)).fee).to.equal(VERSION_FEE * 2n);
      await expect(asRequester.request(version, INPUT, VERSION_FEE, NONE, MODE.NONE, NONE, 0))
        .to.emit(f.manager, "InferenceRequested")
        .withArgs(
          (await f.manager.requestCount()) + 1n,
          version,
          f.requesters[0].address,
          NONE,
          VERSION_FEE,
          MODE.NONE,
          INPUT,
        );
    });
  });

  describe("finalizeBatch", function () {
    it("after every leaf was proven individually: nothing left to credit or unlock", async function () {
      const f = await loadFixture(deployInferenceFixture);
      await f.manager
        .connect(f.requesters[0])
        .request(DIGITS_VERSION, INPUT, VERSION_FEE, f.node.address, MODE.OPTIMISTIC, NONE, 0);
      const id = await f.manager.requestCount();
      const b = makeBatch([id]);
      await f.manager.connect(f.node).commitBatch(b.requestIds, b.outputHashes, b.traceRoots);
      const collateral = VERSION_FEE * COLLATERAL_MULTIPLIER;
      await expect(f.manager.proveBatchLeaf(1n, 0, id, b.outputHashes[0], b.traceRoots[0], []))
        .to.emit(f.manager, "BatchLeafProven")
        .withArgs(1n, id, 0, b.outputHashes[0], b.traceRoots[0], collateral);
      const batch = await f.manager.getBatch(1n);
      expect(batch.feeRemaining).to.equal(0n);
      expect(batch.collateralRemaining).to.equal(0n);

      await time.increase(CHALLENGE_WINDOW);
      const locked = await f.staking.lockedStake(f.node.address);
      const tx = f.manager.connect(f.stranger).finalizeBatch(1n, [id]);
      await expect(tx).to.emit(f.manager, "BatchFinalized").withArgs(1n, f.node.address, 0n, 0n);
      await expect(tx).to.not.emit(f.staking, "StakeUnlocked");
      expect(await f.manager.credits(f.node.address)).to.equal(0n);
      expect(await f.staking.lockedStake(f.node.address)).to.equal(locked);
      expect((await f.manager.getBatch(1n)).status).to.equal(BatchStatus.Finalized);
      // The proven leaf settles on its own, as an individual commitment.
      expect(await f.manager.statusOf(id)).to.equal(STATUS.Committed);
    });
  });

  describe("re-entrancy", function () {
    it("a consumer called back during finalize cannot re-enter request, requestWithPermit, settleVerified or claimCredits", async function () {
      const f = await loadFixture(deployInferenceFixture);
      const consumer = await ethers.deployContract("ReentrantCallbackConsumer");
      const target = await consumer.getAddress();
      await f.manager
        .connect(f.requesters[0])
        .request(DIGITS_VERSION, INPUT, VERSION_FEE, f.node.address, MODE.OPTIMISTIC, target, 400_000);
      const id = await f.manager.requestCount();
      await f.manager.connect(f.node).commit(id, OUTPUT, TRACE_ROOT);
      await time.increase(CHALLENGE_WINDOW);

      const manager = await f.manager.getAddress();
      const permit = { deadline: 0n, v: 27, r: ethers.ZeroHash, s: ethers.ZeroHash };
      const m = f.manager.interface;
      await consumer.arm(
        [manager, manager, manager, manager],
        [
          m.encodeFunctionData("request", [DIGITS_VERSION, INPUT, VERSION_FEE, NONE, MODE.OPTIMISTIC, NONE, 0]),
          m.encodeFunctionData("requestWithPermit", [
            DIGITS_VERSION,
            INPUT,
            VERSION_FEE,
            NONE,
            MODE.OPTIMISTIC,
            NONE,
            0,
            permit,
          ]),
          m.encodeFunctionData("settleVerified", [id, OUTPUT, TRACE_ROOT]),
          m.encodeFunctionData("claimCredits"),
        ],
      );
      await expect(f.manager.connect(f.stranger).finalize(id, OUTPUT, TRACE_ROOT))
        .to.emit(f.manager, "CallbackExecuted")
        .withArgs(id, target, true);
      expect(await consumer.resultCount()).to.equal(4n);
      for (let i = 0; i < 4; i++) {
        expect(await consumer.succeeded(i)).to.equal(false);
        expect(await consumer.returned(i)).to.equal(REENTRANT_CALL);
      }
      expect(await f.manager.statusOf(id)).to.equal(STATUS.Finalized);
      expect(await f.manager.requestCount()).to.equal(id);
    });
  });
});
