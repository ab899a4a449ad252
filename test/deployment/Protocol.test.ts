import { expect } from "chai";
import { ethers, ignition } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { EventLog, type BaseContract } from "ethers";
import { readFileSync } from "node:fs";
import path from "node:path";

import ProtocolModule from "../../ignition/modules/Protocol";
import ProtocolExistingTokenModule from "../../ignition/modules/ProtocolExistingToken";
import ProtocolWithManagersModule from "../../ignition/modules/ProtocolWithManagers";
import type { ModelRegistry, NodeRegistry, Staking, VerityToken } from "../../typechain-types";

/**
 * The Ignition deployment (ignition/modules/Protocol.ts and its variants) with the parameters that
 * `npm run deploy:local` uses: every parameter lands where it should, the contracts point at each other, and the
 * exact set of roles granted is the intended one (checked through the RoleGranted events, so an unexpected grant
 * to anyone fails the test, not only one to the deployer).
 */

const LOCAL_PARAMETERS = path.resolve(__dirname, "../../ignition/parameters/local.json");

/** Reads an Ignition parameter file the way Ignition does: strings like "123n" are bigints. */
function readParameters(file: string): Record<string, Record<string, unknown>> {
  return JSON.parse(readFileSync(file, "utf8"), (_key, value: unknown) =>
    typeof value === "string" && /^\d+n$/.test(value) ? BigInt(value.slice(0, -1)) : value,
  ) as Record<string, Record<string, unknown>>;
}

const local = readParameters(LOCAL_PARAMETERS);

const DEFAULT_ADMIN_ROLE = ethers.ZeroHash;
const GOVERNOR_ROLE = ethers.id("GOVERNOR_ROLE");
const MINTER_ROLE = ethers.id("MINTER_ROLE");
const SLASHER_ROLE = ethers.id("SLASHER_ROLE");
const INFERENCE_ROLE = ethers.id("INFERENCE_ROLE");
const ROLE_NAMES: Record<string, string> = {
  [DEFAULT_ADMIN_ROLE]: "DEFAULT_ADMIN_ROLE",
  [GOVERNOR_ROLE]: "GOVERNOR_ROLE",
  [MINTER_ROLE]: "MINTER_ROLE",
  [SLASHER_ROLE]: "SLASHER_ROLE",
  [INFERENCE_ROLE]: "INFERENCE_ROLE",
};

interface Deployed {
  token: VerityToken;
  staking: Staking;
  modelRegistry: ModelRegistry;
  nodeRegistry: NodeRegistry;
}

/** Every (role, account) pair ever granted on `contract`, as "ROLE_NAME account" strings, sorted. */
async function grantsOf(contract: BaseContract): Promise<string[]> {
  const events = await contract.queryFilter(contract.filters.RoleGranted(), 0);
  return events
    .map((event) => {
      if (!(event instanceof EventLog)) throw new Error("RoleGranted log not decoded");
      const [role, account] = event.args as unknown as [string, string];
      return `${ROLE_NAMES[role] ?? role} ${account}`;
    })
    .sort();
}

const grant = (role: string, account: string) => `${ROLE_NAMES[role]} ${account}`;

async function typed(result: { token: unknown; staking: unknown; modelRegistry: unknown; nodeRegistry: unknown }) {
  return {
    token: (await ethers.getContractAt(
      "VerityToken",
      await (result.token as BaseContract).getAddress(),
    )) as unknown as VerityToken,
    staking: result.staking as unknown as Staking,
    modelRegistry: result.modelRegistry as unknown as ModelRegistry,
    nodeRegistry: result.nodeRegistry as unknown as NodeRegistry,
  } satisfies Deployed;
}

async function deployLocalFixture() {
  const [deployer, other] = await ethers.getSigners();
  const deployed = await typed(await ignition.deploy(ProtocolModule, { parameters: LOCAL_PARAMETERS }));
  return { ...deployed, deployer, other };
}

async function deployWithGovernorFixture() {
  const [deployer, governor, holder] = await ethers.getSigners();
  const parameters = readParameters(LOCAL_PARAMETERS);
  parameters.$global = { governor: governor.address };
  parameters.VerityToken = { ...parameters.VerityToken, initialHolder: holder.address };
  const deployed = await typed(await ignition.deploy(ProtocolModule, { parameters: parameters as never }));
  return { ...deployed, deployer, governor, holder };
}

async function deployWithManagersFixture() {
  const [deployer, slasher, inferenceManager] = await ethers.getSigners();
  const parameters = readParameters(LOCAL_PARAMETERS);
  parameters.Protocol = { slasher: slasher.address, inferenceManager: inferenceManager.address };
  const deployed = await typed(await ignition.deploy(ProtocolWithManagersModule, { parameters: parameters as never }));
  return { ...deployed, deployer, slasher, inferenceManager };
}

async function deployOnExistingTokenFixture() {
  const [deployer, , , treasury] = await ethers.getSigners();
  const existing = await ethers.deployContract("VerityToken", [deployer.address, deployer.address, 5n * 10n ** 18n]);
  const parameters = readParameters(LOCAL_PARAMETERS);
  parameters.ExistingToken = { token: await existing.getAddress() };
  parameters.Staking = { ...parameters.Staking, treasury: treasury.address, thawingPeriod: 14 * 86_400 };
  const nonceBefore = await deployer.getNonce();
  const result = await ignition.deploy(ProtocolExistingTokenModule, { parameters: parameters as never });
  const transactions = (await deployer.getNonce()) - nonceBefore;
  return { existing, result, deployer, treasury, transactions };
}

describe("Deployment (Ignition)", function () {
  describe("Protocol.ts with ignition/parameters/local.json", function () {
    it("deploys VerityToken with the configured initial supply held by the deployer", async function () {
      const { token, deployer } = await loadFixture(deployLocalFixture);
      const supply = local.VerityToken.initialSupply as bigint;
      expect(await token.name()).to.equal("Verity");
      expect(await token.symbol()).to.equal("VRT");
      expect(await token.totalSupply()).to.equal(supply);
      expect(await token.balanceOf(deployer.address)).to.equal(supply);
    });

    it("configures Staking with every parameter of the file", async function () {
      const { staking } = await loadFixture(deployLocalFixture);
      expect(await staking.minimumStake()).to.equal(local.Staking.minimumStake);
      expect(await staking.minimumStake()).to.equal(ethers.parseEther("1000"));
      expect(await staking.thawingPeriod()).to.equal(local.Staking.thawingPeriod);
      expect(await staking.thawingPeriod()).to.equal(await staking.MIN_THAWING_PERIOD());
      expect(await staking.maxThawRequests()).to.equal(local.Staking.maxThawRequests);
      expect(await staking.treasury()).to.equal(ethers.ZeroAddress);
    });

    it("links Staking to the token and NodeRegistry to Staking and ModelRegistry", async function () {
      const { token, staking, modelRegistry, nodeRegistry } = await loadFixture(deployLocalFixture);
      expect(await staking.token()).to.equal(await token.getAddress());
      expect(await nodeRegistry.staking()).to.equal(await staking.getAddress());
      expect(await nodeRegistry.modelRegistry()).to.equal(await modelRegistry.getAddress());
      expect(await modelRegistry.modelCount()).to.equal(0n);
      expect(await nodeRegistry.nodeCount()).to.equal(0n);
    });

    it("grants the deployer, as default governor, exactly the admin and governor roles", async function () {
      const { token, staking, nodeRegistry, deployer } = await loadFixture(deployLocalFixture);
      const d = deployer.address;
      expect(await grantsOf(token)).to.deep.equal([grant(DEFAULT_ADMIN_ROLE, d), grant(MINTER_ROLE, d)].sort());
      expect(await grantsOf(staking)).to.deep.equal([grant(DEFAULT_ADMIN_ROLE, d), grant(GOVERNOR_ROLE, d)].sort());
      expect(await grantsOf(nodeRegistry)).to.deep.equal(
        [grant(DEFAULT_ADMIN_ROLE, d), grant(GOVERNOR_ROLE, d)].sort(),
      );
    });

    it("grants SLASHER_ROLE and INFERENCE_ROLE to nobody, the deployer included", async function () {
      const { staking, nodeRegistry, deployer } = await loadFixture(deployLocalFixture);
      expect(await staking.hasRole(SLASHER_ROLE, deployer.address)).to.equal(false);
      expect(await staking.hasRole(INFERENCE_ROLE, deployer.address)).to.equal(false);
      expect(await nodeRegistry.hasRole(SLASHER_ROLE, deployer.address)).to.equal(false);
      for (const contract of [staking, nodeRegistry]) {
        const grants = await grantsOf(contract);
        expect(grants.filter((g) => g.startsWith("SLASHER_ROLE") || g.startsWith("INFERENCE_ROLE"))).to.deep.equal([]);
      }
    });

    it("leaves each role administered by DEFAULT_ADMIN_ROLE", async function () {
      const { staking, nodeRegistry } = await loadFixture(deployLocalFixture);
      for (const role of [GOVERNOR_ROLE, SLASHER_ROLE, INFERENCE_ROLE]) {
        expect(await staking.getRoleAdmin(role)).to.equal(DEFAULT_ADMIN_ROLE);
      }
      for (const role of [GOVERNOR_ROLE, SLASHER_ROLE]) {
        expect(await nodeRegistry.getRoleAdmin(role)).to.equal(DEFAULT_ADMIN_ROLE);
      }
    });

    it("gives the deployer, as governor, working setters", async function () {
      const { staking } = await loadFixture(deployLocalFixture);
      await expect(staking.setMaxThawRequests(20)).to.emit(staking, "MaxThawRequestsSet").withArgs(20);
    });
  });

  describe("Protocol.ts with a $global governor other than the deployer", function () {
    it("grants every admin, governor and minter role to the governor and none to the deployer", async function () {
      const { token, staking, nodeRegistry, deployer, governor } = await loadFixture(deployWithGovernorFixture);
      const g = governor.address;
      expect(await grantsOf(token)).to.deep.equal([grant(DEFAULT_ADMIN_ROLE, g), grant(MINTER_ROLE, g)].sort());
      expect(await grantsOf(staking)).to.deep.equal([grant(DEFAULT_ADMIN_ROLE, g), grant(GOVERNOR_ROLE, g)].sort());
      expect(await grantsOf(nodeRegistry)).to.deep.equal(
        [grant(DEFAULT_ADMIN_ROLE, g), grant(GOVERNOR_ROLE, g)].sort(),
      );
      for (const role of [DEFAULT_ADMIN_ROLE, GOVERNOR_ROLE]) {
        expect(await staking.hasRole(role, deployer.address)).to.equal(false);
        expect(await nodeRegistry.hasRole(role, deployer.address)).to.equal(false);
      }
      expect(await token.hasRole(MINTER_ROLE, deployer.address)).to.equal(false);
    });

    it("mints the initial supply to the configured initialHolder", async function () {
      const { token, deployer, holder } = await loadFixture(deployWithGovernorFixture);
      expect(await token.balanceOf(holder.address)).to.equal(local.VerityToken.initialSupply);
      expect(await token.balanceOf(deployer.address)).to.equal(0n);
    });

    it("leaves the deployer unable to govern", async function () {
      const { staking, deployer } = await loadFixture(deployWithGovernorFixture);
      await expect(staking.connect(deployer).setMaxThawRequests(20))
        .to.be.revertedWithCustomError(staking, "AccessControlUnauthorizedAccount")
        .withArgs(deployer.address, GOVERNOR_ROLE);
    });
  });

  describe("ProtocolWithManagers.ts with slasher and inferenceManager set", function () {
    it("grants SLASHER_ROLE on Staking and NodeRegistry to the slasher", async function () {
      const { staking, nodeRegistry, slasher, deployer } = await loadFixture(deployWithManagersFixture);
      expect(await staking.hasRole(SLASHER_ROLE, slasher.address)).to.equal(true);
      expect(await nodeRegistry.hasRole(SLASHER_ROLE, slasher.address)).to.equal(true);
      expect(await staking.hasRole(SLASHER_ROLE, deployer.address)).to.equal(false);
      expect(await nodeRegistry.hasRole(SLASHER_ROLE, deployer.address)).to.equal(false);
    });

    it("grants INFERENCE_ROLE on Staking to the inference manager", async function () {
      const { staking, inferenceManager, deployer } = await loadFixture(deployWithManagersFixture);
      expect(await staking.hasRole(INFERENCE_ROLE, inferenceManager.address)).to.equal(true);
      expect(await staking.hasRole(INFERENCE_ROLE, deployer.address)).to.equal(false);
    });

    it("grants nothing else", async function () {
      const { staking, nodeRegistry, deployer, slasher, inferenceManager } =
        await loadFixture(deployWithManagersFixture);
      const d = deployer.address;
      expect(await grantsOf(staking)).to.deep.equal(
        [
          grant(DEFAULT_ADMIN_ROLE, d),
          grant(GOVERNOR_ROLE, d),
          grant(SLASHER_ROLE, slasher.address),
          grant(INFERENCE_ROLE, inferenceManager.address),
        ].sort(),
      );
      expect(await grantsOf(nodeRegistry)).to.deep.equal(
        [grant(DEFAULT_ADMIN_ROLE, d), grant(GOVERNOR_ROLE, d), grant(SLASHER_ROLE, slasher.address)].sort(),
      );
    });

    it("lets the granted slasher jail and slash, and the inference manager lock", async function () {
      const { token, staking, nodeRegistry, slasher, inferenceManager, deployer } =
        await loadFixture(deployWithManagersFixture);
      const amount = ethers.parseEther("1000");
      await token.approve(await staking.getAddress(), amount);
      await staking.stake(amount);
      await expect(staking.connect(inferenceManager).lock(deployer.address, 1n)).to.emit(staking, "StakeLocked");
      await expect(staking.connect(slasher).slash(deployer.address, 1n, slasher.address, 0)).to.emit(
        staking,
        "StakeSlashed",
      );
      await expect(nodeRegistry.connect(slasher).jail(deployer.address))
        .to.be.revertedWithCustomError(nodeRegistry, "NodeRegistryInvalidStatus")
        .withArgs(deployer.address, 0);
    });
  });

  describe("ProtocolExistingToken.ts", function () {
    it("stakes the given ERC20 and deploys no VerityToken", async function () {
      const { existing, result, transactions } = await loadFixture(deployOnExistingTokenFixture);
      const staking = result.staking as unknown as Staking;
      expect(await result.token.getAddress()).to.equal(await existing.getAddress());
      expect(await staking.token()).to.equal(await existing.getAddress());
      // Three transactions: Staking, ModelRegistry and NodeRegistry; no token deployment.
      expect(transactions).to.equal(3);
    });

    it("applies the Staking parameters given for it", async function () {
      const { result, treasury } = await loadFixture(deployOnExistingTokenFixture);
      const staking = result.staking as unknown as Staking;
      const nodeRegistry = result.nodeRegistry as unknown as NodeRegistry;
      expect(await staking.treasury()).to.equal(treasury.address);
      expect(await staking.thawingPeriod()).to.equal(14n * 86_400n);
      expect(await staking.minimumStake()).to.equal(local.Staking.minimumStake);
      expect(await nodeRegistry.staking()).to.equal(await staking.getAddress());
    });
  });

  describe("parameter bounds", function () {
    it("refuses a thawing period below the one-day floor", async function () {
      const parameters = readParameters(LOCAL_PARAMETERS);
      parameters.Staking = { ...parameters.Staking, thawingPeriod: 86_399 };
      await expect(ignition.deploy(ProtocolModule, { parameters: parameters as never })).to.be.rejectedWith(
        /Staking#Staking.*StakingParameterOutOfBounds\("0x74686177696e67506572696f64[0-9]*", 86399, 86400, 31536000\)/,
      );
    });

    it("refuses a deployment without the required economic parameters", async function () {
      await expect(ignition.deploy(ProtocolModule)).to.be.rejectedWith(/minimumStake/);
    });
  });
});
