import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { signPermit as signPermitFor } from "../../scripts/lib/protocol";
import { shouldBehaveLikeBoundedParameter } from "../behaviours/bounded-parameter.behaviour";
import { shouldBehaveLikeRoleGated } from "../behaviours/role-gated.behaviour";
import {
  deployProtocolFixture,
  INITIAL_BALANCE,
  MAX_THAW_REQUESTS,
  MINIMUM_STAKE,
  ONE,
  THAWING_PERIOD,
} from "../helpers/fixtures";
import type { ProtocolFixture } from "../helpers/fixtures";

const BURN = "0x000000000000000000000000000000000000dEaD";
const param = (name: string) => ethers.encodeBytes32String(name);

describe("Staking", function () {
  describe("constructor", function () {
    it("stores the token and the initial parameters and grants the admin both roles", async function () {
      const { staking, token, governor, treasury } = await loadFixture(deployProtocolFixture);
      expect(await staking.token()).to.equal(await token.getAddress());
      expect(await staking.minimumStake()).to.equal(MINIMUM_STAKE);
      expect(await staking.thawingPeriod()).to.equal(THAWING_PERIOD);
      expect(await staking.maxThawRequests()).to.equal(MAX_THAW_REQUESTS);
      expect(await staking.treasury()).to.equal(treasury.address);
      expect(await staking.hasRole(await staking.DEFAULT_ADMIN_ROLE(), governor.address)).to.equal(true);
      expect(await staking.hasRole(await staking.GOVERNOR_ROLE(), governor.address)).to.equal(true);
      expect(await staking.VERSION()).to.equal("0.1.0");
    });

    it("reverts on a zero token or admin", async function () {
      const { staking, token, governor } = await loadFixture(deployProtocolFixture);
      const factory = await ethers.getContractFactory("Staking");
      const tokenAddress = await token.getAddress();
      await expect(
        factory.deploy(ethers.ZeroAddress, governor.address, MINIMUM_STAKE, THAWING_PERIOD, 5, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(staking, "StakingZeroAddress");
      await expect(
        factory.deploy(tokenAddress, ethers.ZeroAddress, MINIMUM_STAKE, THAWING_PERIOD, 5, ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(staking, "StakingZeroAddress");
    });

    it("S9: reverts on parameters outside their bounds", async function () {
      const { staking, token, governor } = await loadFixture(deployProtocolFixture);
      const factory = await ethers.getContractFactory("Staking");
      const t = await token.getAddress();
      await expect(factory.deploy(t, governor.address, 0, THAWING_PERIOD, 5, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(staking, "StakingParameterOutOfBounds")
        .withArgs(param("minimumStake"), 0, 1, 10n ** 27n);
      await expect(factory.deploy(t, governor.address, MINIMUM_STAKE, 3600, 5, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(staking, "StakingParameterOutOfBounds")
        .withArgs(param("thawingPeriod"), 3600, 86_400, 365 * 86_400);
      await expect(factory.deploy(t, governor.address, MINIMUM_STAKE, THAWING_PERIOD, 0, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(staking, "StakingParameterOutOfBounds")
        .withArgs(param("maxThawRequests"), 0, 1, 100);
    });
  });

  describe("stake", function () {
    it("moves the tokens into Staking as active, free stake and emits StakeDeposited", async function () {
      const { staking, token, operators } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      const tx = staking.connect(op).stake(500n * ONE);
      await expect(tx)
        .to.emit(staking, "StakeDeposited")
        .withArgs(op.address, 500n * ONE);
      await expect(tx).to.changeTokenBalances(token, [op, staking], [-500n * ONE, 500n * ONE]);
      expect(await staking.totalStake(op.address)).to.equal(500n * ONE);
      expect(await staking.freeStake(op.address)).to.equal(500n * ONE);
      expect(await staking.lockedStake(op.address)).to.equal(0);
      expect(await staking.thawingStake(op.address)).to.equal(0);
    });

    it("adds to earlier stake", async function () {
      const { staking, operators } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(1n);
      await staking.connect(op).stake(2n);
      expect(await staking.totalStake(op.address)).to.equal(3n);
    });

    it("reverts on a zero amount", async function () {
      const { staking, operators } = await loadFixture(deployProtocolFixture);
      await expect(staking.connect(operators[0]).stake(0)).to.be.revertedWithCustomError(staking, "StakingZeroAmount");
    });

    it("reverts without allowance", async function () {
      const { staking, token, stranger, governor } = await loadFixture(deployProtocolFixture);
      await token.connect(governor).mint(stranger.address, ONE);
      await expect(staking.connect(stranger).stake(ONE))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(await staking.getAddress(), 0, ONE);
    });
  });

  describe("stakeWithPermit", function () {
    async function signPermit(
      f: Awaited<ReturnType<typeof deployProtocolFixture>>,
      owner: (typeof f.operators)[number],
      value: bigint,
      deadline: bigint,
    ) {
      return signPermitFor(f.token, owner, await f.staking.getAddress(), value, deadline);
    }

    it("stakes with a signed permit and no prior approval", async function () {
      const f = await loadFixture(deployProtocolFixture);
      const { staking, token, governor, stranger } = f;
      await token.connect(governor).mint(stranger.address, 10n * ONE);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(f, stranger, 10n * ONE, deadline);
      const tx = staking.connect(stranger).stakeWithPermit(10n * ONE, deadline, sig.v, sig.r, sig.s);
      await expect(tx)
        .to.emit(staking, "StakeDeposited")
        .withArgs(stranger.address, 10n * ONE);
      await expect(tx).to.changeTokenBalances(token, [stranger, staking], [-10n * ONE, 10n * ONE]);
      expect(await token.nonces(stranger.address)).to.equal(1);
    });

    it("still stakes when the permit was front-run and the allowance already exists", async function () {
      const f = await loadFixture(deployProtocolFixture);
      const { staking, token, governor, stranger } = f;
      await token.connect(governor).mint(stranger.address, 10n * ONE);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(f, stranger, 10n * ONE, deadline);
      await token.permit(stranger.address, await staking.getAddress(), 10n * ONE, deadline, sig.v, sig.r, sig.s);
      await expect(staking.connect(stranger).stakeWithPermit(10n * ONE, deadline, sig.v, sig.r, sig.s))
        .to.emit(staking, "StakeDeposited")
        .withArgs(stranger.address, 10n * ONE);
    });

    it("reverts when the permit is invalid and there is no allowance", async function () {
      const f = await loadFixture(deployProtocolFixture);
      const { staking, token, governor, stranger } = f;
      await token.connect(governor).mint(stranger.address, 10n * ONE);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(f, stranger, ONE, deadline); // signed for less than staked
      await expect(staking.connect(stranger).stakeWithPermit(10n * ONE, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(token, "ERC20InsufficientAllowance")
        .withArgs(await staking.getAddress(), 0, 10n * ONE);
    });
  });

  describe("thaw", function () {
    it("moves free stake into thawing, keeps it in the total and emits StakeThawed", async function () {
      const { staking, token, operators } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      const tx = staking.connect(op).thaw(40n);
      const until = BigInt(await time.latest()) + 1n + THAWING_PERIOD;
      await expect(tx).to.emit(staking, "StakeThawed").withArgs(op.address, 40n, until);
      await expect(tx).to.changeTokenBalances(token, [op, staking], [0, 0]);
      expect(await staking.freeStake(op.address)).to.equal(60n);
      expect(await staking.thawingStake(op.address)).to.equal(40n);
      expect(await staking.totalStake(op.address)).to.equal(100n);
      const requests = await staking.thawRequests(op.address);
      expect(requests.map((r) => [r.tokens, r.thawingUntil])).to.deep.equal([[40n, until]]);
    });

    it("reverts on a zero amount", async function () {
      const { staking, operators } = await loadFixture(deployProtocolFixture);
      await expect(staking.connect(operators[0]).thaw(0)).to.be.revertedWithCustomError(staking, "StakingZeroAmount");
    });

    it("reverts when the amount exceeds free stake", async function () {
      const { staking, operators } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      await expect(staking.connect(op).thaw(101n))
        .to.be.revertedWithCustomError(staking, "StakingInsufficientFreeStake")
        .withArgs(op.address, 100n, 101n);
    });

    it("S4: never thaws locked stake", async function () {
      const { staking, operators, inference } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      await staking.connect(inference).lock(op.address, 70n);
      await expect(staking.connect(op).thaw(31n))
        .to.be.revertedWithCustomError(staking, "StakingInsufficientFreeStake")
        .withArgs(op.address, 30n, 31n);
      await staking.connect(op).thaw(30n);
    });

    it("S10: bounds the number of pending requests", async function () {
      const { staking, operators } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      for (let i = 0n; i < MAX_THAW_REQUESTS; i++) await staking.connect(op).thaw(1n);
      await expect(staking.connect(op).thaw(1n))
        .to.be.revertedWithCustomError(staking, "StakingTooManyThawRequests")
        .withArgs(op.address, MAX_THAW_REQUESTS);
    });

    it("frees a request slot once a request is withdrawn", async function () {
      const { staking, operators } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      for (let i = 0n; i < MAX_THAW_REQUESTS; i++) await staking.connect(op).thaw(1n);
      await time.increase(THAWING_PERIOD);
      await staking.connect(op).withdraw();
      await expect(staking.connect(op).thaw(1n)).to.emit(staking, "StakeThawed");
    });
  });

  describe("withdraw", function () {
    it("S7: pays matured requests, oldest first, and stops at the first one still thawing", async function () {
      const { staking, token, operators } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      await staking.connect(op).thaw(10n);
      await staking.connect(op).thaw(20n);
      await time.increase(THAWING_PERIOD / 2n);
      await staking.connect(op).thaw(30n);
      await time.increase(THAWING_PERIOD / 2n);
      expect(await staking.withdrawableStake(op.address)).to.equal(30n);
      const tx = staking.connect(op).withdraw();
      await expect(tx).to.emit(staking, "StakeWithdrawn").withArgs(op.address, 30n, 2);
      await expect(tx).to.changeTokenBalances(token, [op, staking], [30n, -30n]);
      expect(await staking.thawingStake(op.address)).to.equal(30n);
      expect(await staking.totalStake(op.address)).to.equal(70n);
      expect((await staking.thawRequests(op.address)).length).to.equal(1);
    });

    it("reverts when nothing has finished thawing", async function () {
      const { staking, operators } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await expect(staking.connect(op).withdraw())
        .to.be.revertedWithCustomError(staking, "StakingNothingToWithdraw")
        .withArgs(op.address);
      await staking.connect(op).stake(100n);
      await staking.connect(op).thaw(10n);
      await time.increase(THAWING_PERIOD - 10n);
      await expect(staking.connect(op).withdraw())
        .to.be.revertedWithCustomError(staking, "StakingNothingToWithdraw")
        .withArgs(op.address);
    });

    it("S7: releases a request exactly at thawingUntil, not a second earlier", async function () {
      const { staking, operators } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      await staking.connect(op).thaw(10n);
      const [{ thawingUntil }] = await staking.thawRequests(op.address);
      await time.setNextBlockTimestamp(thawingUntil - 1n);
      await expect(staking.connect(op).withdraw())
        .to.be.revertedWithCustomError(staking, "StakingNothingToWithdraw")
        .withArgs(op.address);
      await time.setNextBlockTimestamp(thawingUntil);
      await expect(staking.connect(op).withdraw()).to.emit(staking, "StakeWithdrawn").withArgs(op.address, 10n, 1);
    });

    it("S1: pays out exactly the whole thawing pool after a pro-rata slash, with no dust left", async function () {
      const { staking, token, operators, slasher } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(1000n);
      await staking.connect(op).thaw(333n);
      await staking.connect(op).thaw(667n);
      await staking.connect(slasher).slash(op.address, 101n, slasher.address, 0);
      await time.increase(THAWING_PERIOD);
      await expect(staking.connect(op).withdraw()).to.changeTokenBalances(token, [op], [899n]);
      expect(await staking.thawingStake(op.address)).to.equal(0);
      expect(await token.balanceOf(await staking.getAddress())).to.equal(0);
    });

    it("S6: settles requests invalidated by a slash that emptied the pool for zero, then accepts new ones", async function () {
      const { staking, token, operators, slasher } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      await staking.connect(op).thaw(60n);
      await staking.connect(slasher).slash(op.address, 100n, slasher.address, 0);
      expect((await staking.thawRequests(op.address))[0].tokens).to.equal(0);
      await staking.connect(op).stake(50n);
      await staking.connect(op).thaw(50n);
      await time.increase(THAWING_PERIOD);
      const tx = staking.connect(op).withdraw();
      await expect(tx).to.emit(staking, "StakeWithdrawn").withArgs(op.address, 50n, 2);
      await expect(tx).to.changeTokenBalances(token, [op], [50n]);
    });
  });

  describe("lock and unlock", function () {
    it("locks free stake as collateral and emits StakeLocked", async function () {
      const { staking, operators, inference } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      await expect(staking.connect(inference).lock(op.address, 30n))
        .to.emit(staking, "StakeLocked")
        .withArgs(op.address, 30n, 30n);
      expect(await staking.lockedStake(op.address)).to.equal(30n);
      expect(await staking.freeStake(op.address)).to.equal(70n);
      expect(await staking.totalStake(op.address)).to.equal(100n);
    });

    it("reverts a lock beyond free stake", async function () {
      const { staking, operators, inference } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      await staking.connect(op).thaw(50n);
      await expect(staking.connect(inference).lock(op.address, 51n))
        .to.be.revertedWithCustomError(staking, "StakingInsufficientFreeStake")
        .withArgs(op.address, 50n, 51n);
    });

    it("reverts zero amounts", async function () {
      const { staking, operators, inference } = await loadFixture(deployProtocolFixture);
      await expect(staking.connect(inference).lock(operators[0].address, 0)).to.be.revertedWithCustomError(
        staking,
        "StakingZeroAmount",
      );
      await expect(staking.connect(inference).unlock(operators[0].address, 0)).to.be.revertedWithCustomError(
        staking,
        "StakingZeroAmount",
      );
    });

    shouldBehaveLikeRoleGated({
      fixture: () => loadFixture(deployProtocolFixture),
      contract: (f: ProtocolFixture) => f.staking,
      role: "INFERENCE_ROLE",
      callers: (f) => [f.stranger],
      calls: {
        lock: (staking, _caller, f) => staking.lock(f.operators[0].address, 1n),
        unlock: (staking, _caller, f) => staking.unlock(f.operators[0].address, 1n),
      },
      id: "S8",
    });

    it("unlocks collateral and emits StakeUnlocked", async function () {
      const { staking, operators, inference } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      await staking.connect(inference).lock(op.address, 30n);
      await expect(staking.connect(inference).unlock(op.address, 10n))
        .to.emit(staking, "StakeUnlocked")
        .withArgs(op.address, 10n, 20n);
      expect(await staking.freeStake(op.address)).to.equal(80n);
    });

    it("S3: caps an unlock at what is still locked, so a slashed lock cannot be released twice", async function () {
      const { staking, operators, inference, slasher } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      await staking.connect(inference).lock(op.address, 100n);
      await staking.connect(slasher).slash(op.address, 60n, slasher.address, 0);
      expect(await staking.lockedStake(op.address)).to.equal(40n);
      expect(await staking.connect(inference).unlock.staticCall(op.address, 100n)).to.equal(40n);
      await expect(staking.connect(inference).unlock(op.address, 100n))
        .to.emit(staking, "StakeUnlocked")
        .withArgs(op.address, 40n, 0n);
      expect(await staking.freeStake(op.address)).to.equal(40n);
    });
  });

  describe("slash", function () {
    it("S5: takes free stake first, pays the capped reward and sends the rest to the treasury", async function () {
      const { staking, token, operators, slasher, treasury, stranger } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      expect(await staking.slashSink()).to.equal(treasury.address);
      await staking.connect(op).stake(1000n);
      const tx = staking.connect(slasher).slash(op.address, 400n, stranger.address, 500_000);
      await expect(tx)
        .to.emit(staking, "StakeSlashed")
        .withArgs(op.address, 400n, 200n, stranger.address, treasury.address);
      await expect(tx).to.changeTokenBalances(token, [staking, stranger, treasury, op], [-400n, 200n, 200n, 0n]);
      expect(await staking.totalStake(op.address)).to.equal(600n);
    });

    it("S5: burns the non-reward part when no treasury is set", async function () {
      const { staking, token, operators, slasher, governor, stranger } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(governor).setTreasury(ethers.ZeroAddress);
      expect(await staking.slashSink()).to.equal(BURN);
      await staking.connect(op).stake(1000n);
      const tx = staking.connect(slasher).slash(op.address, 100n, stranger.address, 100_000);
      await expect(tx).to.emit(staking, "StakeSlashed").withArgs(op.address, 100n, 10n, stranger.address, BURN);
      await expect(tx).to.changeTokenBalances(token, [staking, stranger, BURN], [-100n, 10n, 90n]);
    });

    it("S2: takes thawing stake after free stake, pro rata across requests, and locked stake last", async function () {
      const { staking, operators, slasher, inference } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(1000n);
      await staking.connect(op).thaw(200n);
      await staking.connect(op).thaw(600n);
      await staking.connect(inference).lock(op.address, 150n);
      // active 200 = 50 free + 150 locked; thawing 800.
      await staking.connect(slasher).slash(op.address, 450n, slasher.address, 0);
      expect(await staking.freeStake(op.address)).to.equal(0n);
      expect(await staking.lockedStake(op.address)).to.equal(150n);
      expect(await staking.thawingStake(op.address)).to.equal(400n);
      const requests = await staking.thawRequests(op.address);
      expect(requests.map((r) => r.tokens)).to.deep.equal([100n, 300n]); // both halved
      await staking.connect(slasher).slash(op.address, 500n, slasher.address, 0);
      expect(await staking.thawingStake(op.address)).to.equal(0n);
      expect(await staking.lockedStake(op.address)).to.equal(50n);
      expect(await staking.totalStake(op.address)).to.equal(50n);
    });

    it("S5: never slashes more than the node's stake", async function () {
      const { staking, token, operators, slasher } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      await staking.connect(op).thaw(30n);
      expect(await staking.connect(slasher).slash.staticCall(op.address, 10n ** 30n, slasher.address, 0)).to.equal(
        100n,
      );
      const tx = staking.connect(slasher).slash(op.address, 10n ** 30n, slasher.address, 0);
      await expect(tx).to.emit(staking, "StakeSlashed");
      await expect(tx).to.changeTokenBalances(token, [staking], [-100n]);
      expect(await staking.totalStake(op.address)).to.equal(0);
    });

    it("S5: reverts a reward above MAX_REWARD_PPM", async function () {
      const { staking, operators, slasher } = await loadFixture(deployProtocolFixture);
      await expect(staking.connect(slasher).slash(operators[0].address, 1n, slasher.address, 500_001))
        .to.be.revertedWithCustomError(staking, "StakingRewardTooHigh")
        .withArgs(500_001, 500_000);
    });

    it("reverts a reward to the zero address and a zero amount", async function () {
      const { staking, operators, slasher } = await loadFixture(deployProtocolFixture);
      await expect(
        staking.connect(slasher).slash(operators[0].address, 1n, ethers.ZeroAddress, 1),
      ).to.be.revertedWithCustomError(staking, "StakingZeroAddress");
      await expect(
        staking.connect(slasher).slash(operators[0].address, 0n, slasher.address, 1),
      ).to.be.revertedWithCustomError(staking, "StakingZeroAmount");
    });

    it("allows a reward-free slash with no beneficiary", async function () {
      const { staking, operators, slasher, treasury } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(10n);
      await expect(staking.connect(slasher).slash(op.address, 10n, ethers.ZeroAddress, 0))
        .to.emit(staking, "StakeSlashed")
        .withArgs(op.address, 10n, 0n, ethers.ZeroAddress, treasury.address);
    });

    shouldBehaveLikeRoleGated({
      fixture: () => loadFixture(deployProtocolFixture),
      contract: (f: ProtocolFixture) => f.staking,
      role: "SLASHER_ROLE",
      callers: (f) => [f.stranger, f.governor],
      calls: { slash: (staking, caller, f) => staking.slash(f.operators[0].address, 1n, caller.address, 0) },
      id: "S8",
    });
  });

  describe("governance", function () {
    const governed = {
      fixture: () => loadFixture(deployProtocolFixture),
      contract: (f: ProtocolFixture) => f.staking,
      governor: (f: ProtocolFixture) => f.governor,
      stranger: (f: ProtocolFixture) => f.stranger,
      error: "StakingParameterOutOfBounds",
      ids: { bounds: "S9", role: "S8" },
    };
    shouldBehaveLikeBoundedParameter({
      ...governed,
      setter: "setMinimumStake",
      getter: "minimumStake",
      event: "MinimumStakeSet",
      min: 1n,
      max: 10n ** 27n,
      value: 5n * ONE,
    });
    shouldBehaveLikeBoundedParameter({
      ...governed,
      setter: "setThawingPeriod",
      getter: "thawingPeriod",
      event: "ThawingPeriodSet",
      min: 86_400n,
      max: 365n * 86_400n,
      value: 7n * 86_400n,
    });
    shouldBehaveLikeBoundedParameter({
      ...governed,
      setter: "setMaxThawRequests",
      getter: "maxThawRequests",
      event: "MaxThawRequestsSet",
      min: 1n,
      max: 100n,
      value: 100n,
    });

    describe("setTreasury", function () {
      it("sets the treasury and emits TreasurySet", async function () {
        const { staking, governor, stranger } = await loadFixture(deployProtocolFixture);
        await expect(staking.connect(governor).setTreasury(stranger.address))
          .to.emit(staking, "TreasurySet")
          .withArgs(stranger.address);
        expect(await staking.treasury()).to.equal(stranger.address);
      });

      shouldBehaveLikeRoleGated({
        ...governed,
        role: "GOVERNOR_ROLE",
        callers: (f) => [f.stranger],
        calls: { setTreasury: (staking, caller) => staking.setTreasury(caller.address) },
        id: "S8",
      });
    });

    it("applies a new thawing period to new requests only", async function () {
      const { staking, operators, governor } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(100n);
      await staking.connect(op).thaw(10n);
      await staking.connect(governor).setThawingPeriod(THAWING_PERIOD * 2n);
      await staking.connect(op).thaw(10n);
      const [a, b] = await staking.thawRequests(op.address);
      // Two blocks (setThawingPeriod, then thaw) of one second each separate the requests.
      expect(b.thawingUntil - a.thawingUntil).to.equal(THAWING_PERIOD + 2n);
    });
  });

  describe("views", function () {
    it("reports zero for an unknown node", async function () {
      const { staking, stranger } = await loadFixture(deployProtocolFixture);
      expect(await staking.totalStake(stranger.address)).to.equal(0);
      expect(await staking.freeStake(stranger.address)).to.equal(0);
      expect(await staking.withdrawableStake(stranger.address)).to.equal(0);
      expect(await staking.thawRequests(stranger.address)).to.deep.equal([]);
    });

    it("keeps the balances readable for a fully staked operator", async function () {
      const { staking, token, operators } = await loadFixture(deployProtocolFixture);
      const [op] = operators;
      await staking.connect(op).stake(INITIAL_BALANCE);
      expect(await token.balanceOf(op.address)).to.equal(0);
      expect(await staking.totalStake(op.address)).to.equal(INITIAL_BALANCE);
    });
  });
});
