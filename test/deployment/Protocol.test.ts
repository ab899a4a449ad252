import { expect } from "chai";
import { ethers, ignition } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { EventLog, type BaseContract } from "ethers";
import { readFileSync } from "node:fs";
import path from "node:path";

import { expectReservedTo } from "../behaviours/role-gated.behaviour";
import ProtocolModule, { buildProtocolModule } from "../../ignition/modules/Protocol";
import ProtocolExistingTokenModule from "../../ignition/modules/ProtocolExistingToken";
import ProtocolExistingTokenHandOverModule from "../../ignition/modules/ProtocolExistingTokenHandOver";
import { KERNEL_SETS } from "../../protocol/kernel-sets";
import type {
  DisputeManager,
  InferenceManager,
  IntegerStepVerifier,
  ModelRegistry,
  NodeRegistry,
  RedundantManager,
  Staking,
  TeeSettler,
  EcdsaAttestationVerifier,
  VerityToken,
  ZkSettler,
} from "../../typechain-types";

/**
 * The Ignition deployment (ignition/modules/Protocol.ts and its variants) with the parameters that
 * `npm run deploy:local` uses: every parameter lands where it should, the contracts point at each other, and the
 * exact set of roles granted on every contract is the intended one (checked through the RoleGranted and
 * RoleRevoked events, so an unexpected grant to anyone fails the test, not only one to the deployer).
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
const DISPUTE_ROLE = ethers.id("DISPUTE_ROLE");
const ROLE_NAMES: Record<string, string> = {
  [DEFAULT_ADMIN_ROLE]: "DEFAULT_ADMIN_ROLE",
  [GOVERNOR_ROLE]: "GOVERNOR_ROLE",
  [MINTER_ROLE]: "MINTER_ROLE",
  [SLASHER_ROLE]: "SLASHER_ROLE",
  [INFERENCE_ROLE]: "INFERENCE_ROLE",
  [DISPUTE_ROLE]: "DISPUTE_ROLE",
};

interface Deployed {
  token: VerityToken;
  staking: Staking;
  modelRegistry: ModelRegistry;
  nodeRegistry: NodeRegistry;
  inferenceManager: InferenceManager;
  verifier: IntegerStepVerifier;
  disputeManager: DisputeManager;
  redundantManager: RedundantManager;
  teeSettler: TeeSettler;
  attestationVerifier: EcdsaAttestationVerifier;
  zkSettler: ZkSettler;
}

/** The current (role, account) pairs on `contract`, replayed from RoleGranted/RoleRevoked, as sorted strings. */
async function grantsOf(contract: BaseContract): Promise<string[]> {
  const granted = await contract.queryFilter(contract.filters.RoleGranted(), 0);
  const revoked = await contract.queryFilter(contract.filters.RoleRevoked(), 0);
  const events = [...granted, ...revoked].sort((x, y) => x.blockNumber - y.blockNumber || x.index - y.index);
  const held = new Set<string>();
  for (const event of events) {
    if (!(event instanceof EventLog)) throw new Error("role log not decoded");
    const [role, account] = event.args as unknown as [string, string];
    const key = `${ROLE_NAMES[role] ?? role} ${account}`;
    if (event.eventName === "RoleGranted") held.add(key);
    else held.delete(key);
  }
  return [...held].sort();
}

const grant = (role: string, account: string) => `${ROLE_NAMES[role]} ${account}`;
/** The RedundantManager's roles on Staking: it locks its commitments' collateral and slashes a game's loser. */
const redundantGrants = (rm: string) => [grant(INFERENCE_ROLE, rm), grant(SLASHER_ROLE, rm)];
const governs = (account: string) => [grant(DEFAULT_ADMIN_ROLE, account), grant(GOVERNOR_ROLE, account)];

async function typed(result: Record<string, unknown>): Promise<Deployed> {
  const address = (name: string) => (result[name] as BaseContract).getAddress();
  return {
    token: (await ethers.getContractAt("VerityToken", await address("token"))) as unknown as VerityToken,
    staking: result.staking as unknown as Staking,
    modelRegistry: result.modelRegistry as unknown as ModelRegistry,
    nodeRegistry: result.nodeRegistry as unknown as NodeRegistry,
    inferenceManager: result.inferenceManager as unknown as InferenceManager,
    verifier: result.verifier as unknown as IntegerStepVerifier,
    disputeManager: result.disputeManager as unknown as DisputeManager,
    redundantManager: result.redundantManager as unknown as RedundantManager,
    teeSettler: result.teeSettler as unknown as TeeSettler,
    attestationVerifier: result.attestationVerifier as unknown as EcdsaAttestationVerifier,
    zkSettler: result.zkSettler as unknown as ZkSettler,
  };
}

async function deployLocalFixture() {
  const [deployer, other] = await ethers.getSigners();
  const deployed = await typed(await ignition.deploy(ProtocolModule, { parameters: LOCAL_PARAMETERS }));
  return { ...deployed, deployer, other };
}

/** The hand-over variant with a new VerityToken (the same option that ProtocolExistingTokenHandOver.ts uses). */
const ProtocolHandOverModule = buildProtocolModule({ handOver: true });

async function deployHandOverFixture() {
  const [deployer, governor, holder] = await ethers.getSigners();
  const parameters = readParameters(LOCAL_PARAMETERS);
  parameters.Protocol = { governor: governor.address };
  parameters.VerityToken = { ...parameters.VerityToken, initialHolder: holder.address };
  const deployed = await typed(await ignition.deploy(ProtocolHandOverModule, { parameters: parameters as never }));
  return { ...deployed, deployer, governor, holder };
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

async function deployOnExistingTokenHandOverFixture() {
  const [deployer, governor] = await ethers.getSigners();
  const existing = await ethers.deployContract("VerityToken", [deployer.address, deployer.address, 5n * 10n ** 18n]);
  const parameters = readParameters(LOCAL_PARAMETERS);
  parameters.ExistingToken = { token: await existing.getAddress() };
  parameters.Protocol = { governor: governor.address };
  const result = await ignition.deploy(ProtocolExistingTokenHandOverModule, { parameters: parameters as never });
  return { existing, ...(await typed(result)), deployer, governor };
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

    it("D1: configures Staking with every parameter of the file", async function () {
      const { staking } = await loadFixture(deployLocalFixture);
      expect(await staking.minimumStake()).to.equal(local.Staking.minimumStake);
      expect(await staking.minimumStake()).to.equal(ethers.parseEther("1000"));
      expect(await staking.thawingPeriod()).to.equal(local.Staking.thawingPeriod);
      expect(await staking.thawingPeriod()).to.equal(await staking.MIN_THAWING_PERIOD());
      expect(await staking.maxThawRequests()).to.equal(local.Staking.maxThawRequests);
      expect(await staking.treasury()).to.equal(ethers.ZeroAddress);
    });

    it("D1: configures the InferenceManager with every parameter of the file", async function () {
      const { inferenceManager } = await loadFixture(deployLocalFixture);
      const p = local.InferenceManager;
      expect(await inferenceManager.challengeWindow()).to.equal(p.challengeWindow);
      expect(await inferenceManager.challengeWindow()).to.equal(3600n);
      expect(await inferenceManager.requestTimeout()).to.equal(p.requestTimeout);
      expect(await inferenceManager.collateralMultiplier()).to.equal(p.collateralMultiplier);
      expect(await inferenceManager.maxCallbackGas()).to.equal(p.maxCallbackGas);
      expect(await inferenceManager.serveTimeout()).to.equal(p.serveTimeout);
    });

    it("D1: configures the DisputeManager with every parameter of the file", async function () {
      const { disputeManager } = await loadFixture(deployLocalFixture);
      const p = local.DisputeManager;
      expect(await disputeManager.bond()).to.equal(p.bond);
      expect(await disputeManager.bond()).to.equal(ethers.parseEther("10"));
      expect(await disputeManager.moveClock()).to.equal(p.moveClock);
      expect(await disputeManager.clockExtension()).to.equal(p.clockExtension);
      expect(await disputeManager.rewardPpm()).to.equal(p.rewardPpm);
      expect(await disputeManager.rewardPpm()).to.equal(await disputeManager.MAX_REWARD_PPM());
    });

    it("D1: configures the RedundantManager with every parameter of the file and links it", async function () {
      const { redundantManager, staking, nodeRegistry, verifier } = await loadFixture(deployLocalFixture);
      const p = local.RedundantManager;
      const actual = await redundantManager.parameters();
      expect(actual.maxNodes).to.equal(p.maxNodes);
      expect(actual.collateralMultiplier).to.equal(p.collateralMultiplier);
      expect(actual.commitTimeout).to.equal(p.commitTimeout);
      expect(actual.moveClock).to.equal(p.moveClock);
      expect(actual.clockExtension).to.equal(p.clockExtension);
      expect(actual.rewardPpm).to.equal(p.rewardPpm);
      expect(await redundantManager.staking()).to.equal(await staking.getAddress());
      expect(await redundantManager.nodeRegistry()).to.equal(await nodeRegistry.getAddress());
      expect(await redundantManager.verifier()).to.equal(await verifier.getAddress());
    });

    it("D2: sets a thawing period of at least the challenge window plus two of the longest games", async function () {
      const { staking, inferenceManager, disputeManager } = await loadFixture(deployLocalFixture);
      const game = await disputeManager.maxGameDuration();
      // 2 clocks of 1 h + 46 moves x 10 min of extension = 34,800 s; 3,600 + 2 x 34,800 = 73,200 s <= 86,400 s.
      expect(game).to.equal(34_800n);
      expect(await staking.thawingPeriod()).to.be.gte(BigInt(await inferenceManager.challengeWindow()) + 2n * game);
    });

    it("D1: links every contract to the ones it calls", async function () {
      const { token, staking, modelRegistry, nodeRegistry, inferenceManager, verifier, disputeManager } =
        await loadFixture(deployLocalFixture);
      expect(await staking.token()).to.equal(await token.getAddress());
      expect(await nodeRegistry.staking()).to.equal(await staking.getAddress());
      expect(await nodeRegistry.modelRegistry()).to.equal(await modelRegistry.getAddress());
      expect(await inferenceManager.token()).to.equal(await token.getAddress());
      expect(await inferenceManager.staking()).to.equal(await staking.getAddress());
      expect(await inferenceManager.modelRegistry()).to.equal(await modelRegistry.getAddress());
      expect(await inferenceManager.nodeRegistry()).to.equal(await nodeRegistry.getAddress());
      expect(await disputeManager.token()).to.equal(await token.getAddress());
      expect(await disputeManager.inference()).to.equal(await inferenceManager.getAddress());
      expect(await disputeManager.modelRegistry()).to.equal(await modelRegistry.getAddress());
      expect(await disputeManager.nodeRegistry()).to.equal(await nodeRegistry.getAddress());
      expect(await disputeManager.staking()).to.equal(await staking.getAddress());
      expect(await disputeManager.verifier()).to.equal(await verifier.getAddress());
      expect(await modelRegistry.modelCount()).to.equal(0n);
      expect(await nodeRegistry.nodeCount()).to.equal(0n);
      expect(await disputeManager.disputeCount()).to.equal(0n);
    });

    it("T7: wires the TEE mode: the TeeSettler settles mode TEE with the file's equivocation parameters", async function () {
      const { staking, nodeRegistry, inferenceManager, teeSettler, attestationVerifier } =
        await loadFixture(deployLocalFixture);
      const tee = await teeSettler.getAddress();
      expect(await inferenceManager.modeSettler(4)).to.equal(tee);
      expect(await teeSettler.inferenceManager()).to.equal(await inferenceManager.getAddress());
      expect(await teeSettler.staking()).to.equal(await staking.getAddress());
      expect(await teeSettler.nodeRegistry()).to.equal(await nodeRegistry.getAddress());
      expect(await teeSettler.attestationVerifier()).to.equal(await attestationVerifier.getAddress());
      expect(await teeSettler.equivocationSlash()).to.equal(local.Tee.equivocationSlash);
      expect(await teeSettler.equivocationRewardPpm()).to.equal(local.Tee.equivocationRewardPpm);
      expect(await attestationVerifier.serviceKeyCount()).to.equal(0n);
    });

    it("links InferenceLib into the InferenceManager (no unlinked placeholder in its code)", async function () {
      const { inferenceManager } = await loadFixture(deployLocalFixture);
      const code = await ethers.provider.getCode(await inferenceManager.getAddress());
      expect(code.length).to.be.greaterThan(2);
      expect(code).to.not.match(/__\$[0-9a-f]{34}\$__/);
    });

    it("links GameLib into the DisputeManager and the RedundantManager (no unlinked placeholder)", async function () {
      const { disputeManager, redundantManager } = await loadFixture(deployLocalFixture);
      for (const manager of [disputeManager, redundantManager]) {
        const code = await ethers.provider.getCode(await manager.getAddress());
        expect(code.length).to.be.greaterThan(2);
        expect(code).to.not.match(/__\$[0-9a-f]{34}\$__/);
      }
    });

    it("D1, T7, T10-3: grants exactly the governor roles to the deployer and each manager role to its manager", async function () {
      const {
        token,
        staking,
        nodeRegistry,
        inferenceManager,
        disputeManager,
        redundantManager,
        teeSettler,
        attestationVerifier,
        deployer,
      } = await loadFixture(deployLocalFixture);
      const d = deployer.address;
      const im = await inferenceManager.getAddress();
      const dm = await disputeManager.getAddress();
      const rm = await redundantManager.getAddress();
      const tee = await teeSettler.getAddress();
      expect(await grantsOf(token)).to.deep.equal([grant(DEFAULT_ADMIN_ROLE, d), grant(MINTER_ROLE, d)].sort());
      expect(await grantsOf(staking)).to.deep.equal(
        [
          ...governs(d),
          grant(INFERENCE_ROLE, im),
          grant(SLASHER_ROLE, im),
          grant(SLASHER_ROLE, dm),
          ...redundantGrants(rm),
          grant(SLASHER_ROLE, tee),
        ].sort(),
      );
      expect(await grantsOf(teeSettler)).to.deep.equal(governs(d).sort());
      expect(await grantsOf(attestationVerifier)).to.deep.equal(governs(d).sort());
      expect(await grantsOf(nodeRegistry)).to.deep.equal(
        [...governs(d), grant(SLASHER_ROLE, dm), grant(SLASHER_ROLE, rm), grant(SLASHER_ROLE, tee)].sort(),
      );
      expect(await grantsOf(inferenceManager)).to.deep.equal([...governs(d), grant(DISPUTE_ROLE, dm)].sort());
      expect(await grantsOf(disputeManager)).to.deep.equal(governs(d).sort());
      expect(await grantsOf(redundantManager)).to.deep.equal(governs(d).sort());
    });

    it("Z8: deploys the ZkSettler, governed by the deployer, as the InferenceManager's ZK settler", async function () {
      const { zkSettler, inferenceManager, modelRegistry, deployer } = await loadFixture(deployLocalFixture);
      expect(await inferenceManager.modeSettler(8)).to.equal(await zkSettler.getAddress());
      expect(await zkSettler.inferenceManager()).to.equal(await inferenceManager.getAddress());
      expect(await zkSettler.modelRegistry()).to.equal(await modelRegistry.getAddress());
      expect(await grantsOf(zkSettler)).to.deep.equal(governs(deployer.address).sort());
    });

    it("D1: gives the deployer no manager role", async function () {
      const { staking, nodeRegistry, inferenceManager, deployer } = await loadFixture(deployLocalFixture);
      expect(await staking.hasRole(SLASHER_ROLE, deployer.address)).to.equal(false);
      expect(await staking.hasRole(INFERENCE_ROLE, deployer.address)).to.equal(false);
      expect(await nodeRegistry.hasRole(SLASHER_ROLE, deployer.address)).to.equal(false);
      expect(await inferenceManager.hasRole(DISPUTE_ROLE, deployer.address)).to.equal(false);
    });

    it("D1: leaves each role administered by DEFAULT_ADMIN_ROLE", async function () {
      const { staking, nodeRegistry, inferenceManager, disputeManager } = await loadFixture(deployLocalFixture);
      for (const role of [GOVERNOR_ROLE, SLASHER_ROLE, INFERENCE_ROLE]) {
        expect(await staking.getRoleAdmin(role)).to.equal(DEFAULT_ADMIN_ROLE);
      }
      for (const role of [GOVERNOR_ROLE, SLASHER_ROLE]) {
        expect(await nodeRegistry.getRoleAdmin(role)).to.equal(DEFAULT_ADMIN_ROLE);
      }
      for (const role of [GOVERNOR_ROLE, DISPUTE_ROLE]) {
        expect(await inferenceManager.getRoleAdmin(role)).to.equal(DEFAULT_ADMIN_ROLE);
      }
      expect(await disputeManager.getRoleAdmin(GOVERNOR_ROLE)).to.equal(DEFAULT_ADMIN_ROLE);
    });

    it("gives the deployer, as governor, working setters", async function () {
      const { staking, inferenceManager, disputeManager } = await loadFixture(deployLocalFixture);
      await expect(staking.setMaxThawRequests(20)).to.emit(staking, "MaxThawRequestsSet").withArgs(20);
      await expect(inferenceManager.setChallengeWindow(7200)).to.emit(inferenceManager, "ChallengeWindowSet");
      await expect(disputeManager.setBond(1n)).to.emit(disputeManager, "BondSet").withArgs(1n);
    });
  });

  describe("Protocol.ts with a $global governor other than the deployer", function () {
    it("fails at the first wiring call, which the deployer may no longer send", async function () {
      const [, governor] = await ethers.getSigners();
      const parameters = readParameters(LOCAL_PARAMETERS);
      parameters.$global = { governor: governor.address };
      await expect(ignition.deploy(ProtocolModule, { parameters: parameters as never })).to.be.rejectedWith(
        /AccessControlUnauthorizedAccount/,
      );
    });
  });

  describe("the hand-over variant (buildProtocolModule({ handOver: true })) with Protocol.governor set", function () {
    it("D1, Z8: ends with every admin, governor and minter role held by the governor and none by the deployer", async function () {
      const {
        token,
        staking,
        nodeRegistry,
        inferenceManager,
        disputeManager,
        redundantManager,
        teeSettler,
        attestationVerifier,
        governor,
      } = await loadFixture(deployHandOverFixture);
      const g = governor.address;
      const im = await inferenceManager.getAddress();
      const dm = await disputeManager.getAddress();
      const rm = await redundantManager.getAddress();
      const tee = await teeSettler.getAddress();
      expect(await grantsOf(token)).to.deep.equal([grant(DEFAULT_ADMIN_ROLE, g), grant(MINTER_ROLE, g)].sort());
      expect(await grantsOf(staking)).to.deep.equal(
        [
          ...governs(g),
          grant(INFERENCE_ROLE, im),
          grant(SLASHER_ROLE, im),
          grant(SLASHER_ROLE, dm),
          ...redundantGrants(rm),
          grant(SLASHER_ROLE, tee),
        ].sort(),
      );
      expect(await grantsOf(teeSettler)).to.deep.equal(governs(g).sort());
      expect(await grantsOf(attestationVerifier)).to.deep.equal(governs(g).sort());
      expect(await grantsOf(nodeRegistry)).to.deep.equal(
        [...governs(g), grant(SLASHER_ROLE, dm), grant(SLASHER_ROLE, rm), grant(SLASHER_ROLE, tee)].sort(),
      );
      expect(await grantsOf(inferenceManager)).to.deep.equal([...governs(g), grant(DISPUTE_ROLE, dm)].sort());
      expect(await grantsOf(disputeManager)).to.deep.equal(governs(g).sort());
      expect(await grantsOf(redundantManager)).to.deep.equal(governs(g).sort());
      expect(await grantsOf((await loadFixture(deployHandOverFixture)).zkSettler)).to.deep.equal(governs(g).sort());
    });

    it("applies the InferenceManager parameters before handing over", async function () {
      const { inferenceManager } = await loadFixture(deployHandOverFixture);
      expect(await inferenceManager.challengeWindow()).to.equal(local.InferenceManager.challengeWindow);
      expect(await inferenceManager.collateralMultiplier()).to.equal(local.InferenceManager.collateralMultiplier);
    });

    it("mints the initial supply to the configured initialHolder", async function () {
      const { token, deployer, holder } = await loadFixture(deployHandOverFixture);
      expect(await token.balanceOf(holder.address)).to.equal(local.VerityToken.initialSupply);
      expect(await token.balanceOf(deployer.address)).to.equal(0n);
    });

    it("leaves the deployer unable to govern and the governor able to", async function () {
      const { staking, disputeManager, deployer, governor } = await loadFixture(deployHandOverFixture);
      await expectReservedTo(staking, "GOVERNOR_ROLE", deployer, () =>
        staking.connect(deployer).setMaxThawRequests(20),
      );
      await expectReservedTo(disputeManager, "GOVERNOR_ROLE", deployer, () =>
        disputeManager.connect(deployer).setBond(1n),
      );
      await expect(staking.connect(governor).setMaxThawRequests(20)).to.emit(staking, "MaxThawRequestsSet");
    });
  });

  describe("ProtocolExistingToken.ts", function () {
    it("stakes the given ERC20 and deploys no VerityToken", async function () {
      const { existing, result, transactions } = await loadFixture(deployOnExistingTokenFixture);
      const staking = result.staking as unknown as Staking;
      const inferenceManager = result.inferenceManager as unknown as InferenceManager;
      const disputeManager = result.disputeManager as unknown as DisputeManager;
      expect(await result.token.getAddress()).to.equal(await existing.getAddress());
      expect(await staking.token()).to.equal(await existing.getAddress());
      expect(await inferenceManager.token()).to.equal(await existing.getAddress());
      expect(await disputeManager.token()).to.equal(await existing.getAddress());
      // 13 deployments (Staking, ModelRegistry, NodeRegistry, InferenceLib, InferenceManager, IntegerStepVerifier,
      // GameLib, DisputeManager, RedundantLib, RedundantManager, EcdsaAttestationVerifier, TeeSettler, ZkSettler) and
      // one per kernel set (protocol/kernel-sets.ts), 5 InferenceManager setters, setModeSettler(TEE),
      // setModeSettler(ZK) and 10 role grants; no token deployment.
      expect(transactions).to.equal(30 + KERNEL_SETS.length);
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

    it("D1: wires the manager roles as Protocol.ts does", async function () {
      const { result, deployer } = await loadFixture(deployOnExistingTokenFixture);
      const { staking, nodeRegistry, inferenceManager, disputeManager, redundantManager, teeSettler } =
        await typed(result);
      const im = await inferenceManager.getAddress();
      const dm = await disputeManager.getAddress();
      const rm = await redundantManager.getAddress();
      const tee = await teeSettler.getAddress();
      expect(await grantsOf(staking)).to.deep.equal(
        [
          ...governs(deployer.address),
          grant(INFERENCE_ROLE, im),
          grant(SLASHER_ROLE, im),
          grant(SLASHER_ROLE, dm),
          ...redundantGrants(rm),
          grant(SLASHER_ROLE, tee),
        ].sort(),
      );
      expect(await grantsOf(nodeRegistry)).to.deep.equal(
        [
          ...governs(deployer.address),
          grant(SLASHER_ROLE, dm),
          grant(SLASHER_ROLE, rm),
          grant(SLASHER_ROLE, tee),
        ].sort(),
      );
      expect(await grantsOf(inferenceManager)).to.deep.equal(
        [...governs(deployer.address), grant(DISPUTE_ROLE, dm)].sort(),
      );
    });
  });

  describe("ProtocolExistingTokenHandOver.ts", function () {
    it("D1: hands every contract over to Protocol.governor and leaves the existing token's roles alone", async function () {
      const {
        existing,
        staking,
        nodeRegistry,
        inferenceManager,
        disputeManager,
        redundantManager,
        teeSettler,
        deployer,
        governor,
      } = await loadFixture(deployOnExistingTokenHandOverFixture);
      const g = governor.address;
      const dm = await disputeManager.getAddress();
      const rm = await redundantManager.getAddress();
      const tee = await teeSettler.getAddress();
      expect(await staking.token()).to.equal(await existing.getAddress());
      expect(await grantsOf(staking)).to.deep.equal(
        [
          ...governs(g),
          grant(INFERENCE_ROLE, await inferenceManager.getAddress()),
          grant(SLASHER_ROLE, await inferenceManager.getAddress()),
          grant(SLASHER_ROLE, dm),
          ...redundantGrants(rm),
          grant(SLASHER_ROLE, tee),
        ].sort(),
      );
      expect(await grantsOf(teeSettler)).to.deep.equal(governs(g).sort());
      expect(await grantsOf(nodeRegistry)).to.deep.equal(
        [...governs(g), grant(SLASHER_ROLE, dm), grant(SLASHER_ROLE, rm), grant(SLASHER_ROLE, tee)].sort(),
      );
      expect(await grantsOf(inferenceManager)).to.deep.equal([...governs(g), grant(DISPUTE_ROLE, dm)].sort());
      expect(await grantsOf(disputeManager)).to.deep.equal(governs(g).sort());
      expect(await grantsOf(redundantManager)).to.deep.equal(governs(g).sort());
      // The existing token is not the deployment's: its admin (here the deployer) is untouched.
      expect(await existing.hasRole(DEFAULT_ADMIN_ROLE, deployer.address)).to.equal(true);
      expect(await existing.hasRole(DEFAULT_ADMIN_ROLE, g)).to.equal(false);
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

    it("refuses a move clock below five minutes", async function () {
      const parameters = readParameters(LOCAL_PARAMETERS);
      parameters.DisputeManager = { ...parameters.DisputeManager, moveClock: 299 };
      await expect(ignition.deploy(ProtocolModule, { parameters: parameters as never })).to.be.rejectedWith(
        /DisputeManager#DisputeManager.*BisectionGameParameterOutOfBounds\("0x6d6f7665436c6f636b[0-9]*", 299, 300, 604800\)/,
      );
    });

    it("refuses a reward above 50% of a slash", async function () {
      const parameters = readParameters(LOCAL_PARAMETERS);
      parameters.DisputeManager = { ...parameters.DisputeManager, rewardPpm: 500_001 };
      await expect(ignition.deploy(ProtocolModule, { parameters: parameters as never })).to.be.rejectedWith(
        /DisputeManager#DisputeManager.*BisectionGameParameterOutOfBounds\("0x72657761726450706d[0-9]*", 500001, 0, 500000\)/,
      );
    });

    it("refuses an equivocation reward above 50% of the slash", async function () {
      const parameters = readParameters(LOCAL_PARAMETERS);
      parameters.Tee = { ...parameters.Tee, equivocationRewardPpm: 500_001 };
      await expect(ignition.deploy(ProtocolModule, { parameters: parameters as never })).to.be.rejectedWith(
        /Tee#TeeSettler.*TeeSettlerParameterOutOfBounds/,
      );
    });

    it("refuses a challenge window above seven days", async function () {
      const parameters = readParameters(LOCAL_PARAMETERS);
      parameters.InferenceManager = { ...parameters.InferenceManager, challengeWindow: 7 * 86_400 + 1 };
      await expect(ignition.deploy(ProtocolModule, { parameters: parameters as never })).to.be.rejectedWith(
        /InferenceManager#InferenceManager.setChallengeWindow/,
      );
    });

    it("refuses a deployment without the required economic parameters", async function () {
      await expect(ignition.deploy(ProtocolModule)).to.be.rejectedWith(/minimumStake/);
      const parameters = readParameters(LOCAL_PARAMETERS);
      delete parameters.DisputeManager;
      await expect(ignition.deploy(ProtocolModule, { parameters: parameters as never })).to.be.rejectedWith(/bond/);
    });
  });
});
