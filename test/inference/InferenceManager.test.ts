import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { signPermit } from "../../scripts/lib/protocol";
import { shouldBehaveLikeBoundedParameter } from "../behaviours/bounded-parameter.behaviour";
import { shouldBehaveLikePullCredits } from "../behaviours/pull-credits.behaviour";
import { shouldBehaveLikeRoleGated } from "../behaviours/role-gated.behaviour";
import { MODE, ONE, versionSpec } from "../helpers/fixtures";
import {
  bytesOf,
  CHALLENGE_WINDOW,
  COLLATERAL_MULTIPLIER,
  commitmentHash,
  deployInferenceFixture,
  deployInferenceManager,
  DIGITS_INPUT_BYTES,
  DIGITS_OUTPUT_BYTES,
  DIGITS_VERSION,
  MAX_CALLBACK_GAS,
  REQUEST_TIMEOUT,
  SERVE_TIMEOUT,
  STATUS,
  VERSION_FEE,
} from "../helpers/inference-fixtures";
import type { InferenceFixture } from "../helpers/inference-fixtures";

const NONE = ethers.ZeroAddress;
const INPUT = bytesOf(DIGITS_INPUT_BYTES, 11);
const OUTPUT = bytesOf(DIGITS_OUTPUT_BYTES, 12);
const OUTPUT_HASH = ethers.keccak256(OUTPUT);
const TRACE_ROOT = ethers.keccak256(bytesOf(32, 13));
const COLLATERAL = VERSION_FEE * COLLATERAL_MULTIPLIER;

interface RequestOpts {
  fee?: bigint;
  node?: string;
  mode?: number;
  callback?: string;
  gasLimit?: number;
  from?: number;
}

async function request(f: InferenceFixture, o: RequestOpts = {}): Promise<bigint> {
  const requester = f.requesters[o.from ?? 0];
  await f.manager
    .connect(requester)
    .request(
      DIGITS_VERSION,
      INPUT,
      o.fee ?? VERSION_FEE,
      o.node ?? f.node.address,
      o.mode ?? MODE.OPTIMISTIC,
      o.callback ?? NONE,
      o.gasLimit ?? 0,
    );
  return f.manager.requestCount();
}

async function committed(f: InferenceFixture, o: RequestOpts = {}): Promise<bigint> {
  const id = await request(f, o);
  await f.manager.connect(f.node).commit(id, OUTPUT, TRACE_ROOT);
  return id;
}

async function fixture() {
  return loadFixture(deployInferenceFixture);
}

describe("InferenceManager", function () {
  describe("deployment", function () {
    it("starts with the default parameters and the staking token", async function () {
      const f = await fixture();
      expect(await f.manager.challengeWindow()).to.equal(CHALLENGE_WINDOW);
      expect(await f.manager.requestTimeout()).to.equal(REQUEST_TIMEOUT);
      expect(await f.manager.collateralMultiplier()).to.equal(COLLATERAL_MULTIPLIER);
      expect(await f.manager.maxCallbackGas()).to.equal(MAX_CALLBACK_GAS);
      expect(await f.manager.serveTimeout()).to.equal(SERVE_TIMEOUT);
      expect(await f.manager.token()).to.equal(await f.token.getAddress());
      expect(await f.manager.requestCount()).to.equal(0n);
      expect(await f.manager.batchCount()).to.equal(0n);
    });

    it("reverts on a zero address", async function () {
      const f = await fixture();
      const lib = await ethers.deployContract("InferenceLib");
      const factory = await ethers.getContractFactory("InferenceManager", {
        libraries: { InferenceLib: await lib.getAddress() },
      });
      await expect(
        factory.deploy(await f.staking.getAddress(), await f.models.getAddress(), await f.nodes.getAddress(), NONE),
      ).to.be.revertedWithCustomError(f.manager, "InferenceManagerZeroAddress");
      await expect(deployInferenceManager(f)).to.not.be.reverted;
    });
  });

  describe("request", function () {
    it("escrows the fee, stores the request and emits the input", async function () {
      const f = await fixture();
      const [alice] = f.requesters;
      const tx = f.manager
        .connect(alice)
        .request(DIGITS_VERSION, INPUT, VERSION_FEE * 2n, f.node.address, MODE.OPTIMISTIC, NONE, 0);
      await expect(tx)
        .to.emit(f.manager, "InferenceRequested")
        .withArgs(1n, DIGITS_VERSION, alice.address, f.node.address, VERSION_FEE * 2n, MODE.OPTIMISTIC, INPUT);
      await expect(tx).to.changeTokenBalances(f.token, [alice, f.manager], [-VERSION_FEE * 2n, VERSION_FEE * 2n]);
      const r = await f.manager.getRequest(1n);
      expect(r.requester).to.equal(alice.address);
      expect(r.node).to.equal(f.node.address);
      expect(r.versionId).to.equal(DIGITS_VERSION);
      expect(r.fee).to.equal(VERSION_FEE * 2n);
      expect(r.status).to.equal(STATUS.Assigned);
      expect(r.inputHash).to.equal(ethers.keccak256(INPUT));
      expect(r.commitmentHash).to.equal(ethers.ZeroHash);
      expect(r.deadline).to.equal(BigInt(await time.latest()) + REQUEST_TIMEOUT);
      expect(r.mode).to.equal(MODE.OPTIMISTIC);
      expect(r.callback).to.equal(NONE);
      const info = await f.manager.disputeInfo(1n);
      expect(info.windowEnd).to.equal(0n);
      expect(info.commitmentHash).to.equal(ethers.ZeroHash);
      expect(info.status).to.equal(STATUS.Assigned);
    });

    it("indexes the assigned node: a node's log filter gets its own requests and the open ones, not others'", async function () {
      const f = await fixture();
      const [alice] = f.requesters;
      const other = f.stranger.address;
      const mine = await request(f);
      const open = await request(f, { node: NONE });
      const mine2 = await request(f);
      // What the node daemon asks for: topic 3 (node) in [itself, 0]; here with topic 2 (requester) too.
      const pad = (a: string) => ethers.zeroPadValue(a, 32);
      const logs = await ethers.provider.getLogs({
        address: await f.manager.getAddress(),
        fromBlock: 0,
        topics: [
          f.manager.interface.getEvent("InferenceRequested").topicHash,
          null,
          pad(alice.address),
          [pad(f.node.address), pad(NONE)],
        ],
      });
      const ids = logs.map((l) => f.manager.interface.parseLog(l)!.args.requestId as bigint);
      expect(ids).to.deep.equal([mine, open, mine2]);
      const onlyOpen = await f.manager.queryFilter(
        f.manager.filters.InferenceRequested(undefined, undefined, undefined, NONE),
        0,
      );
      expect(onlyOpen.map((e) => e.args.requestId)).to.deep.equal([open]);
      expect(
        await f.manager.queryFilter(f.manager.filters.InferenceRequested(undefined, undefined, undefined, other), 0),
      ).to.have.length(0);
    });

    it("opens a request without a node", async function () {
      const f = await fixture();
      const id = await request(f, { node: NONE });
      expect(await f.manager.statusOf(id)).to.equal(STATUS.Open);
    });

    it("records a callback and its gas limit", async function () {
      const f = await fixture();
      const consumer = await ethers.deployContract("RecordingConsumer");
      const id = await request(f, { callback: await consumer.getAddress(), gasLimit: 123_456 });
      const r = await f.manager.getRequest(id);
      expect(r.callback).to.equal(await consumer.getAddress());
      expect(r.callbackGasLimit).to.equal(123_456n);
    });

    it("reverts for an unknown or deprecated version", async function () {
      const f = await fixture();
      await expect(f.manager.connect(f.requesters[0]).request(99n, INPUT, VERSION_FEE, NONE, MODE.OPTIMISTIC, NONE, 0))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerVersionNotActive")
        .withArgs(99n);
      await request(f, { node: NONE }); // caches version 1
      await f.models.connect(f.publisher).deprecateVersion(DIGITS_VERSION);
      await expect(request(f, { node: NONE }))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerVersionNotActive")
        .withArgs(DIGITS_VERSION);
      await expect(request(f))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNodeNotEligible")
        .withArgs(f.node.address, DIGITS_VERSION);
    });

    it("reverts for TEE and ZK while the mode has no settler, and for modes the version lacks", async function () {
      const f = await fixture();
      for (const mode of [MODE.TEE, MODE.ZK, MODE.NONE | MODE.OPTIMISTIC, 0]) {
        await expect(request(f, { mode }))
          .to.be.revertedWithCustomError(f.manager, "InferenceManagerUnsupportedMode")
          .withArgs(DIGITS_VERSION, mode);
      }
      await f.models.connect(f.publisher).publishVersion(1n, {
        artifactCid: "0x01551220" + "cd".repeat(32),
        programDigest: ethers.keccak256("0x01"),
        weightsRoot: ethers.keccak256("0x02"),
        layerCount: 6,
        inputShape: [1, 784],
        outputShape: [1, 10],
        modes: MODE.TEE,
        fee: ONE,
      });
      const v3 = await f.models.versionCount();
      await expect(f.manager.connect(f.requesters[0]).request(v3, INPUT, ONE, NONE, MODE.OPTIMISTIC, NONE, 0))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerUnsupportedMode")
        .withArgs(v3, MODE.OPTIMISTIC);
    });

    it("reverts when the fee is below the version's fee or above MAX_FEE", async function () {
      const f = await fixture();
      await expect(request(f, { fee: VERSION_FEE - 1n }))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerFeeTooLow")
        .withArgs(VERSION_FEE - 1n, VERSION_FEE);
      const max = await f.manager.MAX_FEE();
      await expect(request(f, { fee: max + 1n }))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerFeeTooHigh")
        .withArgs(max + 1n, max);
    });

    it("reverts when the input is not prod(inputShape) bytes", async function () {
      const f = await fixture();
      await expect(
        f.manager
          .connect(f.requesters[0])
          .request(DIGITS_VERSION, bytesOf(783), VERSION_FEE, NONE, MODE.OPTIMISTIC, NONE, 0),
      )
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidInputLength")
        .withArgs(783n, 784n);
    });

    it("reverts when the chosen node is not eligible", async function () {
      const f = await fixture();
      await expect(request(f, { node: f.outsider.address }))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNodeNotEligible")
        .withArgs(f.outsider.address, DIGITS_VERSION);
    });

    it("reverts when the callback gas limit exceeds the cap", async function () {
      const f = await fixture();
      const consumer = await ethers.deployContract("RecordingConsumer");
      await expect(request(f, { callback: await consumer.getAddress(), gasLimit: Number(MAX_CALLBACK_GAS) + 1 }))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerCallbackGasTooHigh")
        .withArgs(MAX_CALLBACK_GAS + 1n, MAX_CALLBACK_GAS);
    });

    it("reverts without allowance", async function () {
      const f = await fixture();
      const [, , , dave] = f.requesters;
      await f.token.connect(dave).approve(await f.manager.getAddress(), 0n);
      await expect(request(f, { from: 3 })).to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance");
    });
  });

  describe("requestWithPermit", function () {
    it("escrows the fee through an EIP-2612 permit in one transaction", async function () {
      const f = await fixture();
      const [alice] = f.requesters;
      const manager = await f.manager.getAddress();
      await f.token.connect(alice).approve(manager, 0n);
      const deadline = BigInt(await time.latest()) + 3600n;
      const sig = await signPermit(f.token, alice, manager, VERSION_FEE, deadline);
      const tx = f.manager
        .connect(alice)
        .requestWithPermit(DIGITS_VERSION, INPUT, VERSION_FEE, NONE, MODE.OPTIMISTIC, NONE, 0, {
          deadline,
          v: sig.v,
          r: sig.r,
          s: sig.s,
        });
      await expect(tx).to.changeTokenBalances(f.token, [alice, f.manager], [-VERSION_FEE, VERSION_FEE]);
      await expect(tx).to.emit(f.manager, "InferenceRequested");
    });

    it("falls back to the allowance when the permit is invalid, and reverts without one", async function () {
      const f = await fixture();
      const [alice, bob] = f.requesters;
      const bad = { deadline: 0n, v: 27, r: ethers.ZeroHash, s: ethers.ZeroHash };
      await expect(
        f.manager
          .connect(alice)
          .requestWithPermit(DIGITS_VERSION, INPUT, VERSION_FEE, NONE, MODE.OPTIMISTIC, NONE, 0, bad),
      ).to.changeTokenBalance(f.token, alice, -VERSION_FEE);
      await f.token.connect(bob).approve(await f.manager.getAddress(), 0n);
      await expect(
        f.manager
          .connect(bob)
          .requestWithPermit(DIGITS_VERSION, INPUT, VERSION_FEE, NONE, MODE.OPTIMISTIC, NONE, 0, bad),
      ).to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance");
    });
  });

  describe("claim", function () {
    it("assigns an open request to the first eligible node", async function () {
      const f = await fixture();
      const id = await request(f, { node: NONE });
      const at = BigInt(await time.latest()) + 1n;
      await time.setNextBlockTimestamp(at);
      await expect(f.manager.connect(f.node2).claim(id))
        .to.emit(f.manager, "RequestClaimed")
        .withArgs(id, f.node2.address, at + SERVE_TIMEOUT, COLLATERAL);
      expect((await f.manager.getRequest(id)).node).to.equal(f.node2.address);
      expect(await f.manager.statusOf(id)).to.equal(STATUS.Assigned);
      await expect(f.manager.connect(f.node).claim(id))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Assigned);
    });

    it("reverts for an ineligible caller or after the deadline", async function () {
      const f = await fixture();
      const id = await request(f, { node: NONE });
      await expect(f.manager.connect(f.outsider).claim(id))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNodeNotEligible")
        .withArgs(f.outsider.address, DIGITS_VERSION);
      const deadline = (await f.manager.getRequest(id)).deadline;
      await time.increaseTo(deadline + 1n);
      await expect(f.manager.connect(f.node).claim(id))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerDeadlinePassed")
        .withArgs(id, deadline);
    });

    it("reverts for an unknown request", async function () {
      const f = await fixture();
      await expect(f.manager.connect(f.node).claim(42n))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(42n, STATUS.None);
    });
  });

  describe("commit", function () {
    it("stores the commitment, locks fee x multiplier and opens the window", async function () {
      const f = await fixture();
      const id = await request(f);
      const lockedBefore = await f.staking.lockedStake(f.node);
      const tx = f.manager.connect(f.node).commit(id, OUTPUT, TRACE_ROOT);
      await expect(tx)
        .to.emit(f.manager, "ResultCommitted")
        .withArgs(id, f.node.address, OUTPUT_HASH, TRACE_ROOT, OUTPUT);
      await expect(tx)
        .to.emit(f.staking, "StakeLocked")
        .withArgs(f.node.address, COLLATERAL, lockedBefore + COLLATERAL);
      const info = await f.manager.disputeInfo(id);
      expect(info.status).to.equal(STATUS.Committed);
      expect(info.commitmentHash).to.equal(commitmentHash(OUTPUT_HASH, TRACE_ROOT));
      expect(info.windowEnd).to.equal(BigInt(await time.latest()) + CHALLENGE_WINDOW);
      expect(info.collateral).to.equal(COLLATERAL);
      expect(info.inputHash).to.equal(ethers.keccak256(INPUT));
      expect(info.requester).to.equal(f.requesters[0].address);
      expect(info.node).to.equal(f.node.address);
      expect(info.versionId).to.equal(DIGITS_VERSION);
      expect(info.fee).to.equal(VERSION_FEE);
      const r = await f.manager.getRequest(id);
      expect(r.windowEnd).to.equal(info.windowEnd);
      expect(r.deadline).to.equal(0n);
    });

    it("locks nothing and opens no window in NONE mode", async function () {
      const f = await fixture();
      const id = await request(f, { mode: MODE.NONE });
      await expect(f.manager.connect(f.node).commit(id, OUTPUT, TRACE_ROOT)).to.not.emit(f.staking, "StakeLocked");
      const info = await f.manager.disputeInfo(id);
      expect(info.collateral).to.equal(0n);
      expect(info.windowEnd).to.equal(BigInt(await time.latest()));
    });

    it("reverts for another caller, a second commit, a bad output length and after the deadline", async function () {
      const f = await fixture();
      const id = await request(f);
      await expect(f.manager.connect(f.node2).commit(id, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNotAssignedNode")
        .withArgs(id, f.node2.address);
      await expect(f.manager.connect(f.node).commit(id, bytesOf(11), TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidOutputLength")
        .withArgs(11n, 10n);
      const late = await request(f);
      const deadline = (await f.manager.getRequest(late)).deadline;
      await f.manager.connect(f.node).commit(id, OUTPUT, TRACE_ROOT);
      await expect(f.manager.connect(f.node).commit(id, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Committed);
      await time.increaseTo(deadline + 1n);
      await expect(f.manager.connect(f.node).commit(late, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerDeadlinePassed")
        .withArgs(late, deadline);
    });

    it("checks an output of 2^16 bytes or more against the version (too long to be copied into the request)", async function () {
      const f = await fixture();
      await f.models
        .connect(f.publisher)
        .publishModel("huge-output", versionSpec({ modes: MODE.OPTIMISTIC, outputShape: [256, 256] }));
      const versionId = 3n;
      await f.nodes.connect(f.node).serveVersions([versionId]);
      await f.manager
        .connect(f.requesters[0])
        .request(versionId, INPUT, VERSION_FEE, f.node.address, MODE.OPTIMISTIC, NONE, 0);
      const id = await f.manager.requestCount();
      await expect(f.manager.connect(f.node).commit(id, bytesOf(65_535), TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidOutputLength")
        .withArgs(65_535n, 65_536n);
      await expect(f.manager.connect(f.node).commit(id, bytesOf(65_536), TRACE_ROOT)).to.emit(
        f.manager,
        "ResultCommitted",
      );
    });

    it("reverts on an open request and when the node lacks free stake", async function () {
      const f = await fixture();
      const open = await request(f, { node: NONE });
      await expect(f.manager.connect(f.node).commit(open, OUTPUT, TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(open, STATUS.Open);
      const big = await request(f, { fee: 1_000n * ONE });
      await expect(f.manager.connect(f.node).commit(big, OUTPUT, TRACE_ROOT)).to.be.revertedWithCustomError(
        f.staking,
        "StakingInsufficientFreeStake",
      );
    });
  });

  describe("finalize", function () {
    it("credits the fee to the node and unlocks the collateral after the window; anyone may call", async function () {
      const f = await fixture();
      const id = await committed(f);
      await time.increase(CHALLENGE_WINDOW);
      const locked = await f.staking.lockedStake(f.node);
      const tx = f.manager.connect(f.stranger).finalize(id, "0x", ethers.ZeroHash);
      await expect(tx).to.emit(f.manager, "RequestFinalized").withArgs(id, f.node.address, VERSION_FEE, COLLATERAL);
      await expect(tx)
        .to.emit(f.staking, "StakeUnlocked")
        .withArgs(f.node.address, COLLATERAL, locked - COLLATERAL);
      await expect(tx).to.changeTokenBalances(f.token, [f.manager, f.node], [0n, 0n]);
      expect(await f.manager.credits(f.node)).to.equal(VERSION_FEE);
      expect(await f.manager.statusOf(id)).to.equal(STATUS.Finalized);
    });

    it("I2: settles at most once", async function () {
      const f = await fixture();
      const id = await committed(f);
      await time.increase(CHALLENGE_WINDOW);
      await f.manager.finalize(id, "0x", ethers.ZeroHash);
      await expect(f.manager.finalize(id, "0x", ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Finalized);
      await expect(f.manager.refund(id))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Finalized);
      expect(await f.manager.credits(f.node)).to.equal(VERSION_FEE);
    });

    it("reverts inside the window and before a commitment", async function () {
      const f = await fixture();
      const id = await committed(f);
      const windowEnd = (await f.manager.disputeInfo(id)).windowEnd;
      await expect(f.manager.finalize(id, "0x", ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerWindowOpen")
        .withArgs(id, windowEnd);
      const assigned = await request(f);
      await expect(f.manager.finalize(assigned, "0x", ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(assigned, STATUS.Assigned);
    });

    it("finalizes a NONE-mode result at once, unlocking nothing", async function () {
      const f = await fixture();
      const id = await committed(f, { mode: MODE.NONE });
      const tx = f.manager.finalize(id, "0x", ethers.ZeroHash);
      await expect(tx).to.emit(f.manager, "RequestFinalized").withArgs(id, f.node.address, VERSION_FEE, 0n);
      await expect(tx).to.not.emit(f.staking, "StakeUnlocked");
    });
  });

  describe("I4: finalize with a consumer callback", function () {
    it("hands the output to the consumer with exactly the requested gas", async function () {
      const f = await fixture();
      const consumer = await ethers.deployContract("RecordingConsumer");
      const id = await committed(f, { callback: await consumer.getAddress(), gasLimit: 200_000 });
      await time.increase(CHALLENGE_WINDOW);
      await expect(f.manager.finalize(id, OUTPUT, TRACE_ROOT))
        .to.emit(f.manager, "CallbackExecuted")
        .withArgs(id, await consumer.getAddress(), true);
      expect(await consumer.lastRequestId()).to.equal(id);
      expect(await consumer.lastOutput()).to.equal(OUTPUT);
      expect(await consumer.lastOutputHash()).to.equal(OUTPUT_HASH);
      const received = await consumer.gasReceived();
      expect(received).to.be.lte(200_000n);
      expect(received).to.be.gt(190_000n);
    });

    it("requires the committed output and trace root", async function () {
      const f = await fixture();
      const consumer = await ethers.deployContract("RecordingConsumer");
      const id = await committed(f, { callback: await consumer.getAddress(), gasLimit: 100_000 });
      await time.increase(CHALLENGE_WINDOW);
      await expect(f.manager.finalize(id, bytesOf(10, 99), TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerCommitmentMismatch")
        .withArgs(id);
      await expect(f.manager.finalize(id, OUTPUT, ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerCommitmentMismatch")
        .withArgs(id);
    });

    for (const name of ["RevertingConsumer", "GasGuzzlingConsumer", "ReturnBombConsumer"]) {
      it(`settles even when the consumer fails (${name})`, async function () {
        const f = await fixture();
        const consumer = await ethers.deployContract(name);
        const id = await committed(f, { callback: await consumer.getAddress(), gasLimit: 300_000 });
        await time.increase(CHALLENGE_WINDOW);
        const tx = f.manager.finalize(id, OUTPUT, TRACE_ROOT, { gasLimit: 1_000_000 });
        await expect(tx)
          .to.emit(f.manager, "CallbackExecuted")
          .withArgs(id, await consumer.getAddress(), false);
        await expect(tx).to.emit(f.manager, "RequestFinalized");
        expect(await f.manager.credits(f.node)).to.equal(VERSION_FEE);
        const receipt = await (await tx).wait();
        expect(receipt!.gasUsed).to.be.lt(500_000n); // the guzzler got only its 300k cap
      });
    }

    it("cannot be re-entered by the consumer", async function () {
      const f = await fixture();
      const consumer = await ethers.deployContract("ReentrantConsumer", [await f.manager.getAddress()]);
      const id = await committed(f, { callback: await consumer.getAddress(), gasLimit: 200_000 });
      await time.increase(CHALLENGE_WINDOW);
      await expect(f.manager.finalize(id, OUTPUT, TRACE_ROOT))
        .to.emit(f.manager, "CallbackExecuted")
        .withArgs(id, await consumer.getAddress(), true);
      expect(await consumer.reentered()).to.equal(false);
      expect(await f.manager.credits(f.node)).to.equal(VERSION_FEE);
    });

    it("reverts when sent with too little gas to forward the callback's limit", async function () {
      const f = await fixture();
      const consumer = await ethers.deployContract("GasGuzzlingConsumer");
      const id = await committed(f, { callback: await consumer.getAddress(), gasLimit: 400_000 });
      await time.increase(CHALLENGE_WINDOW);
      await expect(f.manager.finalize(id, OUTPUT, TRACE_ROOT, { gasLimit: 300_000 })).to.be.revertedWithCustomError(
        f.manager,
        "InferenceManagerInsufficientGas",
      );
      expect(await f.manager.statusOf(id)).to.equal(STATUS.Committed);
    });
  });

  describe("refund", function () {
    it("I2: credits the requester of an unserved request after its deadline; anyone may call", async function () {
      const f = await fixture();
      const [alice] = f.requesters;
      for (const node of [NONE, f.node.address]) {
        const id = await request(f, { node });
        const deadline = (await f.manager.getRequest(id)).deadline;
        await expect(f.manager.connect(f.stranger).refund(id))
          .to.be.revertedWithCustomError(f.manager, "InferenceManagerDeadlineNotPassed")
          .withArgs(id, deadline);
        await time.increaseTo(deadline + 1n);
        const before = await f.manager.credits(alice);
        await expect(f.manager.connect(f.stranger).refund(id))
          .to.emit(f.manager, "RequestRefunded")
          .withArgs(id, alice.address, VERSION_FEE);
        expect(await f.manager.credits(alice)).to.equal(before + VERSION_FEE);
        expect(await f.manager.statusOf(id)).to.equal(STATUS.Refunded);
        await expect(f.manager.refund(id))
          .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
          .withArgs(id, STATUS.Refunded);
      }
    });

    it("I2: reverts for a committed request", async function () {
      const f = await fixture();
      const id = await committed(f);
      await time.increase(REQUEST_TIMEOUT * 2n);
      await expect(f.manager.refund(id))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Committed);
    });
  });

  describe("claimCredits", function () {
    /** The node credited the fees of two finalized requests. */
    async function twoFeesCredited(): Promise<InferenceFixture> {
      const f = await deployInferenceFixture();
      await committed(f);
      await committed(f);
      await time.increase(CHALLENGE_WINDOW);
      await f.manager.finalize(1n, "0x", ethers.ZeroHash);
      await f.manager.finalize(2n, "0x", ethers.ZeroHash);
      return f;
    }
    shouldBehaveLikePullCredits({
      fixture: () => loadFixture(twoFeesCredited),
      contract: (f: InferenceFixture) => f.manager,
      token: (f) => f.token,
      claimant: (f) => f.node,
      amount: () => 2n * VERSION_FEE,
      stranger: (f) => f.stranger,
      error: "InferenceManagerNothingToClaim",
    });
  });

  describe("I5: dispute hooks", function () {
    /** Request 1, committed (OPTIMISTIC), open to a dispute. */
    async function oneCommitted(): Promise<InferenceFixture> {
      const f = await deployInferenceFixture();
      await committed(f);
      return f;
    }
    shouldBehaveLikeRoleGated({
      fixture: () => loadFixture(oneCommitted),
      contract: (f: InferenceFixture) => f.manager,
      role: "DISPUTE_ROLE",
      callers: (f) => [f.stranger],
      calls: { beginDispute: (m) => m.beginDispute(1n), endDispute: (m) => m.endDispute(1n, true) },
      id: "I8",
    });

    it("beginDispute freezes a committed result inside its window and blocks finalize", async function () {
      const f = await fixture();
      const id = await committed(f);
      await expect(f.manager.connect(f.disputer).beginDispute(id)).to.emit(f.manager, "DisputeBegun").withArgs(id);
      expect((await f.manager.disputeInfo(id)).status).to.equal(STATUS.Disputed);
      await time.increase(CHALLENGE_WINDOW * 3n);
      await expect(f.manager.finalize(id, "0x", ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Disputed);
      await expect(f.manager.connect(f.disputer).beginDispute(id))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Disputed);
      expect((await f.manager.disputeInfo(id)).commitmentHash).to.equal(commitmentHash(OUTPUT_HASH, TRACE_ROOT));
    });

    it("beginDispute reverts after the window, before a commitment and in NONE mode", async function () {
      const f = await fixture();
      const id = await committed(f);
      const windowEnd = (await f.manager.disputeInfo(id)).windowEnd;
      await time.increaseTo(windowEnd);
      await expect(f.manager.connect(f.disputer).beginDispute(id))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerWindowClosed")
        .withArgs(id, windowEnd);
      const assigned = await request(f);
      await expect(f.manager.connect(f.disputer).beginDispute(assigned))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(assigned, STATUS.Assigned);
      const plain = await committed(f, { mode: MODE.NONE });
      await expect(f.manager.connect(f.disputer).beginDispute(plain))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNotDisputable")
        .withArgs(plain, MODE.NONE);
    });

    it("endDispute(nodeWrong) rejects, refunds the requester, unlocks and returns the collateral", async function () {
      const f = await fixture();
      const [alice] = f.requesters;
      const id = await committed(f);
      await f.manager.connect(f.disputer).beginDispute(id);
      const locked = await f.staking.lockedStake(f.node);
      expect(await f.manager.connect(f.disputer).endDispute.staticCall(id, true)).to.equal(COLLATERAL);
      const tx = f.manager.connect(f.disputer).endDispute(id, true);
      await expect(tx).to.emit(f.manager, "DisputeEnded");
      await expect(tx)
        .to.emit(f.staking, "StakeUnlocked")
        .withArgs(f.node.address, COLLATERAL, locked - COLLATERAL);
      expect(await f.manager.credits(alice)).to.equal(VERSION_FEE);
      expect(await f.manager.credits(f.node)).to.equal(0n);
      expect(await f.manager.statusOf(id)).to.equal(STATUS.Rejected);
      await expect(f.manager.connect(f.disputer).endDispute(id, true))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Rejected);
      await expect(f.manager.finalize(id, "0x", ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Rejected);
    });

    it("endDispute(node right) restores Committed with the window extended by the dispute's length", async function () {
      const f = await fixture();
      const id = await committed(f);
      const windowEnd = (await f.manager.disputeInfo(id)).windowEnd;
      await time.increase(600n);
      await f.manager.connect(f.disputer).beginDispute(id);
      const began = BigInt(await time.latest());
      await time.increase(5000n);
      await expect(f.manager.connect(f.disputer).endDispute(id, false)).to.emit(f.manager, "DisputeEnded");
      const ended = BigInt(await time.latest());
      const info = await f.manager.disputeInfo(id);
      expect(info.status).to.equal(STATUS.Committed);
      expect(info.windowEnd).to.equal(windowEnd + (ended - began));
      // a second dispute may open inside the extended window
      await expect(f.manager.connect(f.disputer).beginDispute(id)).to.emit(f.manager, "DisputeBegun");
      expect(await f.manager.connect(f.disputer).endDispute.staticCall(id, false)).to.equal(0n);
      await f.manager.connect(f.disputer).endDispute(id, false);
      await time.increaseTo((await f.manager.disputeInfo(id)).windowEnd);
      await expect(f.manager.finalize(id, "0x", ethers.ZeroHash)).to.emit(f.manager, "RequestFinalized");
    });

    it("I2, I5: endDispute reverts when no dispute is active", async function () {
      const f = await fixture();
      const id = await committed(f);
      await expect(f.manager.connect(f.disputer).endDispute(id, false))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Committed);
    });
  });

  describe("governance", function () {
    const governed = {
      fixture,
      contract: (f: InferenceFixture) => f.manager,
      governor: (f: InferenceFixture) => f.governor,
      stranger: (f: InferenceFixture) => f.stranger,
      error: "InferenceManagerParameterOutOfBounds",
      ids: { bounds: "I8", role: "I8" },
    };
    const cases = [
      ["setChallengeWindow", "challengeWindow", "ChallengeWindowSet", 10n, 7n * 86400n, 7200n],
      ["setRequestTimeout", "requestTimeout", "RequestTimeoutSet", 60n, 7n * 86400n, 600n],
      ["setCollateralMultiplier", "collateralMultiplier", "CollateralMultiplierSet", 1n, 100n, 3n],
      ["setMaxCallbackGas", "maxCallbackGas", "MaxCallbackGasSet", 10_000n, 5_000_000n, 1_000_000n],
      ["setServeTimeout", "serveTimeout", "ServeTimeoutSet", 30n, 86_400n, 600n],
    ] as const;
    for (const [setter, getter, event, min, max, value] of cases) {
      shouldBehaveLikeBoundedParameter({ ...governed, setter, getter, event, min, max, value });
    }

    it("I3: a new multiplier applies to later commitments only", async function () {
      const f = await fixture();
      const id = await committed(f);
      await f.manager.connect(f.governor).setCollateralMultiplier(2);
      const id2 = await committed(f);
      expect((await f.manager.disputeInfo(id)).collateral).to.equal(COLLATERAL);
      expect((await f.manager.disputeInfo(id2)).collateral).to.equal(2n * VERSION_FEE);
      await time.increase(CHALLENGE_WINDOW);
      await f.manager.finalize(id, "0x", ethers.ZeroHash);
      await f.manager.finalize(id2, "0x", ethers.ZeroHash);
      expect(await f.staking.lockedStake(f.node)).to.equal(0n);
    });
  });
});
