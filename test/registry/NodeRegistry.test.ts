import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { Result } from "ethers";

import { NodeStatus as Status } from "../../protocol/constants";
import { shouldBehaveLikeRoleGated } from "../behaviours/role-gated.behaviour";
import { deployProtocolFixture, deployRegisteredNodeFixture, MINIMUM_STAKE, versionSpec } from "../helpers/fixtures";
import type { ProtocolFixture } from "../helpers/fixtures";

const ENDPOINT = "https://node-0.verity.local";

/** Three active versions (1, 2, 3) and operator 0 staked but not registered. */
async function stakedFixture() {
  const f = await deployProtocolFixture();
  await f.models.connect(f.publisher).publishModel("digits-mlp", versionSpec());
  await f.models.connect(f.publisher).publishVersion(1, versionSpec());
  await f.models.connect(f.publisher).publishModel("digits-cnn", versionSpec());
  await f.staking.connect(f.operators[0]).stake(MINIMUM_STAKE);
  return f;
}

describe("NodeRegistry", function () {
  describe("constructor", function () {
    it("links Staking and ModelRegistry and grants the admin its roles", async function () {
      const { nodes, staking, models, governor } = await loadFixture(deployProtocolFixture);
      expect(await nodes.staking()).to.equal(await staking.getAddress());
      expect(await nodes.modelRegistry()).to.equal(await models.getAddress());
      expect(await nodes.hasRole(await nodes.GOVERNOR_ROLE(), governor.address)).to.equal(true);
      expect(await nodes.hasRole(await nodes.DEFAULT_ADMIN_ROLE(), governor.address)).to.equal(true);
      expect(await nodes.VERSION()).to.equal("0.1.0");
    });

    it("reverts on a zero address", async function () {
      const { nodes, staking, models, governor } = await loadFixture(deployProtocolFixture);
      const factory = await ethers.getContractFactory("NodeRegistry");
      const [s, m] = [await staking.getAddress(), await models.getAddress()];
      for (const args of [
        [ethers.ZeroAddress, m, governor.address],
        [s, ethers.ZeroAddress, governor.address],
        [s, m, ethers.ZeroAddress],
      ]) {
        await expect(factory.deploy(...(args as [string, string, string]))).to.be.revertedWithCustomError(
          nodes,
          "NodeRegistryZeroAddress",
        );
      }
    });
  });

  describe("register", function () {
    it("registers an Active node serving the given versions and emits NodeRegistered", async function () {
      const { nodes, operators } = await loadFixture(stakedFixture);
      const [op] = operators;
      await expect(nodes.connect(op).register(ENDPOINT, [1, 3]))
        .to.emit(nodes, "NodeRegistered")
        .withArgs(op.address, ENDPOINT, [1, 3]);
      const node = await nodes.getNode(op.address);
      expect(node.status).to.equal(Status.Active);
      expect(node.endpoint).to.equal(ENDPOINT);
      expect(node.servedVersions).to.deep.equal([1n, 3n]);
      expect(node.registeredAt).to.equal(await time.latest());
      expect(await nodes.statusOf(op.address)).to.equal(Status.Active);
      expect(await nodes.isServing(op.address, 1)).to.equal(true);
      expect(await nodes.isServing(op.address, 2)).to.equal(false);
      expect(await nodes.isEligible(op.address, 3)).to.equal(true);
      expect(await nodes.nodeCount()).to.equal(1);
      expect(await nodes.listNodes(0, 10)).to.deep.equal([op.address]);
    });

    it("allows registering with no versions yet", async function () {
      const { nodes, operators } = await loadFixture(stakedFixture);
      await nodes.connect(operators[0]).register(ENDPOINT, []);
      expect((await nodes.getNode(operators[0].address)).servedVersions).to.deep.equal([]);
    });

    it("R4: needs the minimum free stake", async function () {
      const { nodes, staking, operators, inference } = await loadFixture(stakedFixture);
      const [op, other] = operators;
      await expect(nodes.connect(other).register(ENDPOINT, [1]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInsufficientStake")
        .withArgs(other.address, 0, MINIMUM_STAKE);
      await staking.connect(inference).lock(op.address, 1n);
      await expect(nodes.connect(op).register(ENDPOINT, [1]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInsufficientStake")
        .withArgs(op.address, MINIMUM_STAKE - 1n, MINIMUM_STAKE);
    });

    it("rejects an empty or oversized endpoint", async function () {
      const { nodes, operators } = await loadFixture(stakedFixture);
      await expect(nodes.connect(operators[0]).register("", [1]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidEndpoint")
        .withArgs(0, 256);
      await expect(nodes.connect(operators[0]).register("h".repeat(257), [1]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidEndpoint")
        .withArgs(257, 256);
    });

    it("R4: rejects unknown, deprecated and duplicate versions", async function () {
      const { nodes, models, operators, publisher } = await loadFixture(stakedFixture);
      const [op] = operators;
      await expect(nodes.connect(op).register(ENDPOINT, [9]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryVersionNotActive")
        .withArgs(9);
      await models.connect(publisher).deprecateVersion(2);
      await expect(nodes.connect(op).register(ENDPOINT, [1, 2]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryVersionNotActive")
        .withArgs(2);
      await expect(nodes.connect(op).register(ENDPOINT, [1, 3, 1]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryVersionAlreadyServed")
        .withArgs(op.address, 1);
    });

    it("R4, R7: bounds the served set", async function () {
      const { nodes, models, operators, publisher } = await loadFixture(stakedFixture);
      for (let i = 0; i < 30; i++) await models.connect(publisher).publishVersion(1, versionSpec());
      const ids = Array.from({ length: 33 }, (_, i) => i + 1);
      await expect(nodes.connect(operators[0]).register(ENDPOINT, ids))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryTooManyVersions")
        .withArgs(operators[0].address, 33, 32);
      await nodes.connect(operators[0]).register(ENDPOINT, ids.slice(0, 32));
      await expect(nodes.connect(operators[0]).serveVersions([33]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryTooManyVersions")
        .withArgs(operators[0].address, 33, 32);
    });

    it("rejects a second registration while registered", async function () {
      const { nodes, operators } = await loadFixture(stakedFixture);
      await nodes.connect(operators[0]).register(ENDPOINT, [1]);
      await expect(nodes.connect(operators[0]).register(ENDPOINT, [1]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidStatus")
        .withArgs(operators[0].address, Status.Active);
    });
  });

  describe("setEndpoint", function () {
    it("updates the endpoint and emits NodeEndpointUpdated", async function () {
      const { nodes, operators } = await loadFixture(deployRegisteredNodeFixture);
      await expect(nodes.connect(operators[0]).setEndpoint("http://127.0.0.1:9000"))
        .to.emit(nodes, "NodeEndpointUpdated")
        .withArgs(operators[0].address, "http://127.0.0.1:9000");
      expect((await nodes.getNode(operators[0].address)).endpoint).to.equal("http://127.0.0.1:9000");
    });

    it("rejects unregistered callers and bad endpoints", async function () {
      const { nodes, operators } = await loadFixture(deployRegisteredNodeFixture);
      await expect(nodes.connect(operators[1]).setEndpoint("x"))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidStatus")
        .withArgs(operators[1].address, Status.None);
      await expect(nodes.connect(operators[0]).setEndpoint(""))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidEndpoint")
        .withArgs(0, 256);
    });
  });

  describe("serveVersions and unserveVersions", function () {
    it("adds and removes versions with events", async function () {
      const { nodes, models, operators, publisher } = await loadFixture(deployRegisteredNodeFixture);
      const [op] = operators;
      await models.connect(publisher).publishVersion(1, versionSpec());
      await models.connect(publisher).publishVersion(1, versionSpec());
      await expect(nodes.connect(op).serveVersions([2, 3]))
        .to.emit(nodes, "NodeVersionsServed")
        .withArgs(op.address, [2, 3]);
      expect((await nodes.getNode(op.address)).servedVersions).to.deep.equal([1n, 2n, 3n]);
      await expect(nodes.connect(op).unserveVersions([1]))
        .to.emit(nodes, "NodeVersionsUnserved")
        .withArgs(op.address, [1]);
      expect((await nodes.getNode(op.address)).servedVersions).to.deep.equal([3n, 2n]);
      await nodes.connect(op).unserveVersions([2, 3]);
      expect((await nodes.getNode(op.address)).servedVersions).to.deep.equal([]);
      expect(await nodes.isServing(op.address, 3)).to.equal(false);
    });

    it("R4: rejects empty lists, versions already served, versions not served and inactive versions", async function () {
      const { nodes, operators } = await loadFixture(deployRegisteredNodeFixture);
      const [op] = operators;
      await expect(nodes.connect(op).serveVersions([])).to.be.revertedWithCustomError(
        nodes,
        "NodeRegistryEmptyVersionList",
      );
      await expect(nodes.connect(op).unserveVersions([])).to.be.revertedWithCustomError(
        nodes,
        "NodeRegistryEmptyVersionList",
      );
      await expect(nodes.connect(op).serveVersions([1]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryVersionAlreadyServed")
        .withArgs(op.address, 1);
      await expect(nodes.connect(op).unserveVersions([5]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryVersionNotServed")
        .withArgs(op.address, 5);
      await expect(nodes.connect(op).serveVersions([5]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryVersionNotActive")
        .withArgs(5);
    });

    it("R4: needs the minimum free stake to serve more", async function () {
      const { nodes, staking, models, operators, publisher } = await loadFixture(deployRegisteredNodeFixture);
      const [op] = operators;
      await models.connect(publisher).publishVersion(1, versionSpec());
      await staking.connect(op).thaw(MINIMUM_STAKE + 1n);
      await expect(nodes.connect(op).serveVersions([2]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInsufficientStake")
        .withArgs(op.address, MINIMUM_STAKE - 1n, MINIMUM_STAKE);
    });

    it("lets only Active nodes serve, and Active or Exiting nodes unserve", async function () {
      const { nodes, operators } = await loadFixture(deployRegisteredNodeFixture);
      const [op, other] = operators;
      await expect(nodes.connect(other).serveVersions([1]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidStatus")
        .withArgs(other.address, Status.None);
      await expect(nodes.connect(other).unserveVersions([1]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidStatus")
        .withArgs(other.address, Status.None);
      await nodes.connect(op).exit();
      await expect(nodes.connect(op).serveVersions([1]))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidStatus")
        .withArgs(op.address, Status.Exiting);
      await nodes.connect(op).unserveVersions([1]);
    });
  });

  describe("exit and completeExit", function () {
    it("R6: goes Active -> Exiting -> Exited with events, clearing the served set", async function () {
      const { nodes, operators } = await loadFixture(deployRegisteredNodeFixture);
      const [op] = operators;
      await expect(nodes.connect(op).exit()).to.emit(nodes, "NodeExitStarted").withArgs(op.address);
      expect((await nodes.getNode(op.address)).exitRequestedAt).to.equal(await time.latest());
      expect(await nodes.isEligible(op.address, 1)).to.equal(false);
      await expect(nodes.connect(op).completeExit()).to.emit(nodes, "NodeExited").withArgs(op.address);
      const node = await nodes.getNode(op.address);
      expect(node.status).to.equal(Status.Exited);
      expect(node.servedVersions).to.deep.equal([]);
    });

    it("R5: waits for locked collateral to be released before completing the exit", async function () {
      const { nodes, staking, operators, inference } = await loadFixture(deployRegisteredNodeFixture);
      const [op] = operators;
      await staking.connect(inference).lock(op.address, 10n);
      await nodes.connect(op).exit();
      await expect(nodes.connect(op).completeExit())
        .to.be.revertedWithCustomError(nodes, "NodeRegistryCollateralLocked")
        .withArgs(op.address, 10n);
      await staking.connect(inference).unlock(op.address, 10n);
      await nodes.connect(op).completeExit();
    });

    it("lets an exited node register again without being listed twice", async function () {
      const { nodes, operators } = await loadFixture(deployRegisteredNodeFixture);
      const [op] = operators;
      await nodes.connect(op).exit();
      await nodes.connect(op).completeExit();
      await expect(nodes.connect(op).register("http://new", [1]))
        .to.emit(nodes, "NodeRegistered")
        .withArgs(op.address, "http://new", [1]);
      const node = await nodes.getNode(op.address);
      expect(node.status).to.equal(Status.Active);
      expect(node.exitRequestedAt).to.equal(0);
      expect(await nodes.nodeCount()).to.equal(1);
    });

    it("rejects exits from the wrong status", async function () {
      const { nodes, operators } = await loadFixture(deployRegisteredNodeFixture);
      const [op, other] = operators;
      await expect(nodes.connect(other).exit())
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidStatus")
        .withArgs(other.address, Status.None);
      await expect(nodes.connect(op).completeExit())
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidStatus")
        .withArgs(op.address, Status.Active);
    });
  });

  describe("jail and unjail", function () {
    it("R6: jails Active and Exiting nodes, which then cannot serve or exit, and unjails them", async function () {
      const { nodes, operators, slasher, governor, staking } = await loadFixture(deployRegisteredNodeFixture);
      const [op, other] = operators;
      await expect(nodes.connect(slasher).jail(op.address))
        .to.emit(nodes, "NodeJailed")
        .withArgs(op.address, slasher.address);
      expect(await nodes.statusOf(op.address)).to.equal(Status.Jailed);
      expect(await nodes.isEligible(op.address, 1)).to.equal(false);
      await expect(nodes.connect(op).exit())
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidStatus")
        .withArgs(op.address, Status.Jailed);
      await expect(nodes.connect(governor).unjail(op.address)).to.emit(nodes, "NodeUnjailed").withArgs(op.address);
      expect(await nodes.statusOf(op.address)).to.equal(Status.Active);

      await staking.connect(other).stake(MINIMUM_STAKE);
      await nodes.connect(other).register(ENDPOINT, [1]);
      await nodes.connect(other).exit();
      await nodes.connect(slasher).jail(other.address);
      expect(await nodes.statusOf(other.address)).to.equal(Status.Jailed);
    });

    it("rejects jailing nodes that are not Active or Exiting, and unjailing nodes that are not jailed", async function () {
      const { nodes, operators, slasher, governor } = await loadFixture(deployRegisteredNodeFixture);
      await expect(nodes.connect(slasher).jail(operators[1].address))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidStatus")
        .withArgs(operators[1].address, Status.None);
      await expect(nodes.connect(governor).unjail(operators[0].address))
        .to.be.revertedWithCustomError(nodes, "NodeRegistryInvalidStatus")
        .withArgs(operators[0].address, Status.Active);
    });

    const registered = {
      fixture: () => loadFixture(deployRegisteredNodeFixture),
      contract: (f: ProtocolFixture) => f.nodes,
      callers: (f: ProtocolFixture) => [f.stranger],
    };
    shouldBehaveLikeRoleGated({
      ...registered,
      role: "SLASHER_ROLE",
      calls: { jail: (nodes, _caller, f) => nodes.jail(f.operators[0].address) },
    });
    shouldBehaveLikeRoleGated({
      ...registered,
      role: "GOVERNOR_ROLE",
      calls: { unjail: (nodes, _caller, f) => nodes.unjail(f.operators[0].address) },
    });
  });

  describe("views", function () {
    it("R6: reports eligibility from status, served set, version state and free stake", async function () {
      const { nodes, staking, models, operators, publisher, inference } =
        await loadFixture(deployRegisteredNodeFixture);
      const [op] = operators;
      expect(await nodes.isEligible(op.address, 1)).to.equal(true);
      expect(await nodes.isEligible(op.address, 2)).to.equal(false);
      await staking.connect(inference).lock(op.address, MINIMUM_STAKE + 1n);
      expect(await nodes.isEligible(op.address, 1)).to.equal(false);
      await staking.connect(inference).unlock(op.address, MINIMUM_STAKE + 1n);
      await models.connect(publisher).deprecateVersion(1);
      expect(await nodes.isEligible(op.address, 1)).to.equal(false);
    });

    it("T10-4: getNode carries no enclave key: enclave keys are bound in the TeeSettler only", async function () {
      const { nodes, operators } = await loadFixture(deployRegisteredNodeFixture);
      const fields = ["status", "registeredAt", "exitRequestedAt", "endpoint", "servedVersions"];
      const components = nodes.interface.getFunction("getNode").outputs[0].components ?? [];
      expect(components.map((c) => c.name)).to.deep.equal(fields);
      const node = (await nodes.getNode(operators[0].address)) as unknown as Result;
      expect(Object.keys(node.toObject())).to.deep.equal(fields);
    });

    it("R7: paginates the operators", async function () {
      const { nodes, staking, operators } = await loadFixture(deployRegisteredNodeFixture);
      for (const op of operators.slice(1, 4)) {
        await staking.connect(op).stake(MINIMUM_STAKE);
        await nodes.connect(op).register(ENDPOINT, [1]);
      }
      const all = operators
        .slice(0, 4)
        .map((o) => o.address)
        .reverse(); // newest first
      expect(await nodes.listNodes(0, 10)).to.deep.equal(all);
      expect(await nodes.listNodes(1, 2)).to.deep.equal(all.slice(1, 3));
      expect(await nodes.listNodes(4, 2)).to.deep.equal([]);
      expect((await nodes.getNode(operators[5].address)).status).to.equal(Status.None);
    });
  });
});
