import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, takeSnapshot, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import fc from "fast-check";

import { shouldBehaveLikeBoundedParameter } from "../behaviours/bounded-parameter.behaviour";
import { shouldBehaveLikeRoleGated } from "../behaviours/role-gated.behaviour";
import { MODE } from "../helpers/fixtures";
import {
  bytesOf,
  DIGITS_OUTPUT_BYTES,
  DIGITS_VERSION,
  STATUS,
  VERSION_FEE,
  WIDE_VERSION,
} from "../helpers/inference-fixtures";
import { MeasurementStatus, NodeStatus } from "../../protocol/constants";
import { malleate, RESULT_TYPES, settlerDomain, type InferenceResult } from "../../modes/tee/eip712";
import {
  attest,
  DAY,
  deployTeeContracts,
  deployTeeFixture,
  EQUIVOCATION_REWARD_PPM,
  EQUIVOCATION_SLASH,
  MEASUREMENT,
  now,
  OTHER_MEASUREMENT,
  signFor,
  teeRequest,
  type TeeFixture,
} from "./tee-fixture";

// The TEE verification mode (issue 6): enclave keys bound to nodes by attestation, results signed by them and final
// at once, measurements that governance can revoke, and slashing for equivocation.

const OUTPUT = bytesOf(DIGITS_OUTPUT_BYTES, 101);
const OTHER_OUTPUT = bytesOf(DIGITS_OUTPUT_BYTES, 102);
const TRACE_ROOT = ethers.keccak256(bytesOf(32, 103));
const HALF_N = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;
const param = (name: string) => ethers.encodeBytes32String(name);

function resultOf(id: bigint, inputHash: string, output = OUTPUT, traceRoot = TRACE_ROOT): InferenceResult {
  return { requestId: id, modelVersion: DIGITS_VERSION, inputHash, outputHash: ethers.keccak256(output), traceRoot };
}

/** The address a result signature recovers to under the settler's real domain. */
async function recovered(t: TeeFixture, result: InferenceResult, signature: string): Promise<string> {
  return ethers.verifyTypedData(
    settlerDomain(t.chainId, await t.settler.getAddress()),
    RESULT_TYPES,
    result,
    signature,
  );
}

async function evidence(t: TeeFixture, key: Wallet, result: InferenceResult) {
  return { ...result, signature: await signFor(t, key, result) };
}

describe("TeeSettler", function () {
  describe("deployment", function () {
    it("stores its wiring and parameters, and emits the parameter events", async function () {
      const t = await loadFixture(deployTeeFixture);
      expect(await t.settler.inferenceManager()).to.equal(await t.manager.getAddress());
      expect(await t.settler.staking()).to.equal(await t.staking.getAddress());
      expect(await t.settler.nodeRegistry()).to.equal(await t.nodes.getAddress());
      expect(await t.settler.attestationVerifier()).to.equal(await t.verifier.getAddress());
      expect(await t.settler.equivocationSlash()).to.equal(EQUIVOCATION_SLASH);
      expect(await t.settler.equivocationRewardPpm()).to.equal(EQUIVOCATION_REWARD_PPM);
      const deployTx = t.settler.deploymentTransaction()!;
      await expect(deployTx)
        .to.emit(t.settler, "AttestationVerifierSet")
        .withArgs(await t.verifier.getAddress());
      await expect(deployTx).to.emit(t.settler, "EquivocationSlashSet").withArgs(EQUIVOCATION_SLASH);
      await expect(deployTx).to.emit(t.settler, "EquivocationRewardSet").withArgs(EQUIVOCATION_REWARD_PPM);
    });

    it("reverts on a zero address or an out-of-bounds parameter", async function () {
      const t = await loadFixture(deployTeeFixture);
      const factory = await ethers.getContractFactory("TeeSettler");
      const args = [
        await t.manager.getAddress(),
        await t.staking.getAddress(),
        await t.nodes.getAddress(),
        await t.verifier.getAddress(),
        t.governor.address,
        EQUIVOCATION_SLASH,
        EQUIVOCATION_REWARD_PPM,
      ] as const;
      for (const i of [0, 1, 2, 3, 4]) {
        const bad = [...args] as unknown[];
        bad[i] = ethers.ZeroAddress;
        await expect(factory.deploy(...(bad as unknown as typeof args))).to.be.revertedWithCustomError(
          t.settler,
          "TeeSettlerZeroAddress",
        );
      }
      await expect(factory.deploy(args[0], args[1], args[2], args[3], args[4], 0n, EQUIVOCATION_REWARD_PPM))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerParameterOutOfBounds")
        .withArgs(param("equivocationSlash"), 0n, 1n, 10n ** 27n);
      await expect(factory.deploy(args[0], args[1], args[2], args[3], args[4], EQUIVOCATION_SLASH, 500_001))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerParameterOutOfBounds")
        .withArgs(param("equivocationRewardPpm"), 500_001n, 0n, 500_000n);
    });
  });

  describe("T1: registerEnclave", function () {
    it("binds an attested key to the calling node, emits, and the key is active", async function () {
      const t = await loadFixture(deployTeeFixture);
      const key = Wallet.createRandom();
      const expiry = (await now()) + 10n * DAY;
      const att = await attest(t, { node: t.outsider.address, enclaveKey: key.address, expiry });
      await expect(t.settler.connect(t.outsider).registerEnclave(MEASUREMENT, key.address, expiry, att))
        .to.emit(t.settler, "EnclaveRegistered")
        .withArgs(t.outsider.address, key.address, MEASUREMENT, expiry);
      const e = await t.settler.getEnclave(key.address);
      expect([e.node, e.expiry, e.disabled, e.measurement]).to.deep.equal([
        t.outsider.address,
        expiry,
        false,
        MEASUREMENT,
      ]);
      expect(await t.settler.isEnclaveActive(key.address)).to.equal(true);
      expect(await t.settler.isEnclaveActive(Wallet.createRandom().address)).to.equal(false);
    });

    it("renews a key for the same node (new expiry and measurement)", async function () {
      const t = await loadFixture(deployTeeFixture);
      await t.settler.connect(t.governor).approveMeasurement(OTHER_MEASUREMENT);
      const expiry = (await now()) + 200n * DAY;
      const fields = { node: t.node.address, enclaveKey: t.enclave.address, expiry, measurement: OTHER_MEASUREMENT };
      await expect(
        t.settler
          .connect(t.node)
          .registerEnclave(OTHER_MEASUREMENT, t.enclave.address, expiry, await attest(t, fields)),
      )
        .to.emit(t.settler, "EnclaveRegistered")
        .withArgs(t.node.address, t.enclave.address, OTHER_MEASUREMENT, expiry);
      expect((await t.settler.getEnclave(t.enclave.address)).expiry).to.equal(expiry);
    });

    it("rejects an attestation by a key that is not a registered service key, or one since removed", async function () {
      const t = await loadFixture(deployTeeFixture);
      const key = Wallet.createRandom();
      const expiry = (await now()) + DAY;
      const fields = { node: t.outsider.address, enclaveKey: key.address, expiry };
      const forged = await attest(t, fields, new Wallet(ethers.id("not-a-service")));
      await expect(t.settler.connect(t.outsider).registerEnclave(MEASUREMENT, key.address, expiry, forged))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerAttestationRejected")
        .withArgs(t.outsider.address, key.address, MEASUREMENT);
      await t.verifier.connect(t.governor).removeServiceKey(t.service.address);
      await expect(
        t.settler.connect(t.outsider).registerEnclave(MEASUREMENT, key.address, expiry, await attest(t, fields)),
      )
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerAttestationRejected")
        .withArgs(t.outsider.address, key.address, MEASUREMENT);
    });

    it("rejects an attestation for another node, key, expiry or measurement", async function () {
      const t = await loadFixture(deployTeeFixture);
      await t.settler.connect(t.governor).approveMeasurement(OTHER_MEASUREMENT);
      const key = Wallet.createRandom();
      const expiry = (await now()) + DAY;
      const good = { node: t.outsider.address, enclaveKey: key.address, expiry };
      const variants = [
        { ...good, node: t.node2.address }, // attested for another node: the caller cannot take it over
        { ...good, enclaveKey: Wallet.createRandom().address },
        { ...good, expiry: expiry + 1n },
        { ...good, measurement: OTHER_MEASUREMENT },
      ];
      for (const v of variants) {
        await expect(
          t.settler.connect(t.outsider).registerEnclave(MEASUREMENT, key.address, expiry, await attest(t, v)),
        )
          .to.be.revertedWithCustomError(t.settler, "TeeSettlerAttestationRejected")
          .withArgs(t.outsider.address, key.address, MEASUREMENT);
      }
    });

    it("rejects a malleated (high-s) or malformed attestation signature", async function () {
      const t = await loadFixture(deployTeeFixture);
      const key = Wallet.createRandom();
      const expiry = (await now()) + DAY;
      const att = await attest(t, { node: t.outsider.address, enclaveKey: key.address, expiry });
      for (const bad of [malleate(att), att.slice(0, 130), "0x"]) {
        await expect(t.settler.connect(t.outsider).registerEnclave(MEASUREMENT, key.address, expiry, bad))
          .to.be.revertedWithCustomError(t.settler, "TeeSettlerAttestationRejected")
          .withArgs(t.outsider.address, key.address, MEASUREMENT);
      }
    });

    it("rejects an expiry in the past, now, or beyond MAX_KEY_LIFETIME", async function () {
      const t = await loadFixture(deployTeeFixture);
      const key = Wallet.createRandom();
      const lifetime = await t.settler.MAX_KEY_LIFETIME();
      for (const offset of [-10n, 0n, lifetime + 1n]) {
        const next = (await now()) + 1n; // the timestamp of the next block
        const expiry = next + offset;
        const att = await attest(t, { node: t.outsider.address, enclaveKey: key.address, expiry });
        await time.setNextBlockTimestamp(next);
        await expect(t.settler.connect(t.outsider).registerEnclave(MEASUREMENT, key.address, expiry, att))
          .to.be.revertedWithCustomError(t.settler, "TeeSettlerInvalidExpiry")
          .withArgs(expiry, next + 1n, next + lifetime);
      }
    });

    it("rejects a measurement never approved, or revoked", async function () {
      const t = await loadFixture(deployTeeFixture);
      const key = Wallet.createRandom();
      const expiry = (await now()) + DAY;
      const fields = { node: t.outsider.address, enclaveKey: key.address, expiry, measurement: OTHER_MEASUREMENT };
      await expect(
        t.settler.connect(t.outsider).registerEnclave(OTHER_MEASUREMENT, key.address, expiry, await attest(t, fields)),
      )
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerMeasurementNotApproved")
        .withArgs(OTHER_MEASUREMENT, MeasurementStatus.None);
      await t.settler.connect(t.governor).revokeMeasurement(MEASUREMENT);
      const att = await attest(t, { ...fields, measurement: MEASUREMENT });
      await expect(t.settler.connect(t.outsider).registerEnclave(MEASUREMENT, key.address, expiry, att))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerMeasurementNotApproved")
        .withArgs(MEASUREMENT, MeasurementStatus.Revoked);
    });

    it("refuses a key bound to another node, the zero key, and a disabled key", async function () {
      const t = await loadFixture(deployTeeFixture);
      const expiry = (await now()) + DAY;
      const taken = await attest(t, { node: t.node2.address, enclaveKey: t.enclave.address, expiry });
      await expect(t.settler.connect(t.node2).registerEnclave(MEASUREMENT, t.enclave.address, expiry, taken))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerEnclaveKeyTaken")
        .withArgs(t.enclave.address, t.node.address);
      const zero = await attest(t, { node: t.node.address, enclaveKey: ethers.ZeroAddress, expiry });
      await expect(
        t.settler.connect(t.node).registerEnclave(MEASUREMENT, ethers.ZeroAddress, expiry, zero),
      ).to.be.revertedWithCustomError(t.settler, "TeeSettlerZeroAddress");

      const { id, inputHash } = await teeRequest(t);
      await t.settler
        .connect(t.stranger)
        .reportEquivocation(
          await evidence(t, t.enclave, resultOf(id, inputHash)),
          await evidence(t, t.enclave, resultOf(id, inputHash, OTHER_OUTPUT)),
        );
      const renew = await attest(t, { node: t.node.address, enclaveKey: t.enclave.address, expiry });
      await expect(t.settler.connect(t.node).registerEnclave(MEASUREMENT, t.enclave.address, expiry, renew))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerEnclaveDisabled")
        .withArgs(t.enclave.address);
    });

    it("asks whichever verifier governance plugged in", async function () {
      const t = await loadFixture(deployTeeFixture);
      const mock = await ethers.deployContract("MockAttestationVerifier");
      await expect(t.settler.connect(t.governor).setAttestationVerifier(await mock.getAddress()))
        .to.emit(t.settler, "AttestationVerifierSet")
        .withArgs(await mock.getAddress());
      const key = Wallet.createRandom();
      const expiry = (await now()) + DAY;
      const blob = "0x" + "ab".repeat(100); // e.g. a vendor attestation document
      await expect(t.settler.connect(t.outsider).registerEnclave(MEASUREMENT, key.address, expiry, blob))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerAttestationRejected")
        .withArgs(t.outsider.address, key.address, MEASUREMENT);
      await mock.setAccepted(blob);
      await expect(t.settler.connect(t.outsider).registerEnclave(MEASUREMENT, key.address, expiry, blob))
        .to.emit(t.settler, "EnclaveRegistered")
        .withArgs(t.outsider.address, key.address, MEASUREMENT, expiry);
    });
  });

  describe("T2: settle", function () {
    it("settles a TEE request at once: fee credited, no collateral locked, events from both contracts", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t);
      const sig = await signFor(t, t.enclave, resultOf(id, inputHash));
      const locked = await t.staking.lockedStake(t.node.address);
      const outputHash = ethers.keccak256(OUTPUT);
      await expect(t.settler.connect(t.stranger).settle(id, OUTPUT, TRACE_ROOT, sig))
        .to.emit(t.settler, "TeeResultSettled")
        .withArgs(id, t.node.address, t.enclave.address, outputHash)
        .and.to.emit(t.manager, "ResultCommitted")
        .withArgs(id, t.node.address, outputHash, TRACE_ROOT, OUTPUT)
        .and.to.emit(t.manager, "RequestFinalized")
        .withArgs(id, t.node.address, VERSION_FEE, 0);
      expect((await t.manager.getRequest(id)).status).to.equal(STATUS.Finalized);
      expect(await t.manager.credits(t.node.address)).to.equal(VERSION_FEE);
      expect(await t.staking.lockedStake(t.node.address)).to.equal(locked);
    });

    it("delivers the output to a consumer callback", async function () {
      const t = await loadFixture(deployTeeFixture);
      const consumer = await ethers.deployContract("RecordingConsumer");
      const { id, inputHash } = await teeRequest(t, 2, t.node.address, await consumer.getAddress(), 200_000);
      await t.settler.settle(id, OUTPUT, TRACE_ROOT, await signFor(t, t.enclave, resultOf(id, inputHash)));
      expect(await consumer.lastOutput()).to.equal(OUTPUT);
      expect(await consumer.lastRequestId()).to.equal(id);
    });

    it("T5: settles once only", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t);
      const sig = await signFor(t, t.enclave, resultOf(id, inputHash));
      await t.settler.settle(id, OUTPUT, TRACE_ROOT, sig);
      await expect(t.settler.settle(id, OUTPUT, TRACE_ROOT, sig))
        .to.be.revertedWithCustomError(t.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Finalized);
      const other = await signFor(t, t.enclave, resultOf(id, inputHash, OTHER_OUTPUT));
      await expect(t.settler.settle(id, OTHER_OUTPUT, TRACE_ROOT, other))
        .to.be.revertedWithCustomError(t.manager, "InferenceManagerInvalidStatus")
        .withArgs(id, STATUS.Finalized);
    });

    it("rejects a signature over other fields (request, version, input, output, trace root)", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t);
      const good = resultOf(id, inputHash);
      const variants: InferenceResult[] = [
        { ...good, requestId: id + 1n },
        { ...good, modelVersion: WIDE_VERSION },
        { ...good, inputHash: ethers.keccak256("0x01") },
        { ...good, outputHash: ethers.keccak256(OTHER_OUTPUT) },
        { ...good, traceRoot: ethers.ZeroHash },
      ];
      for (const v of variants) {
        const sig = await signFor(t, t.enclave, v);
        const signer = await recovered(t, good, sig);
        expect(signer).to.not.equal(t.enclave.address);
        await expect(t.settler.settle(id, OUTPUT, TRACE_ROOT, sig))
          .to.be.revertedWithCustomError(t.settler, "TeeSettlerUnknownEnclaveKey")
          .withArgs(signer);
      }
    });

    it("T3: rejects a signature replayed from another chain id or another settler contract", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t);
      const result = resultOf(id, inputHash);
      // a second settler on the same manager, where the same key is bound to the same node
      const { settler: settler2 } = await deployTeeContracts(t);
      const s2 = await settler2.getAddress();
      for (const domain of [{ chainId: t.chainId + 1n }, { settler: s2 }]) {
        const sig = await signFor(t, t.enclave, result, domain);
        await expect(t.settler.settle(id, OUTPUT, TRACE_ROOT, sig))
          .to.be.revertedWithCustomError(t.settler, "TeeSettlerUnknownEnclaveKey")
          .withArgs(await recovered(t, result, sig));
      }
      // and the signature made for settler 1 does not verify on settler 2 (switched to be the TEE settler)
      await t.manager.connect(t.governor).setModeSettler(MODE.TEE, s2);
      const sig1 = await signFor(t, t.enclave, result);
      const expected = ethers.verifyTypedData(settlerDomain(t.chainId, s2), RESULT_TYPES, result, sig1);
      await expect(settler2.settle(id, OUTPUT, TRACE_ROOT, sig1))
        .to.be.revertedWithCustomError(settler2, "TeeSettlerUnknownEnclaveKey")
        .withArgs(expected);
    });

    it("T3: rejects a malleated (high-s) signature and a malformed one", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t);
      const sig = await signFor(t, t.enclave, resultOf(id, inputHash));
      // the twin (s' = n - s, v flipped) recovers to the same key under plain ecrecover; OpenZeppelin's ECDSA (and
      // ethers) refuse an s in the upper half of the curve order
      const twin = malleate(sig);
      expect(BigInt("0x" + twin.slice(66, 130)) > HALF_N).to.equal(true);
      for (const bad of [twin, sig.slice(0, 130), "0x"]) {
        await expect(t.settler.settle(id, OUTPUT, TRACE_ROOT, bad)).to.be.revertedWithCustomError(
          t.settler,
          "TeeSettlerInvalidSignature",
        );
      }
      await expect(t.settler.settle(id, OUTPUT, TRACE_ROOT, sig)).to.emit(t.settler, "TeeResultSettled");
    });

    it("rejects another node's enclave key, and a request no node holds", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t);
      const sig = await signFor(t, t.enclave2, resultOf(id, inputHash));
      await expect(t.settler.settle(id, OUTPUT, TRACE_ROOT, sig))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerWrongNode")
        .withArgs(id, t.enclave2.address, t.node2.address, t.node.address);
      const open = await teeRequest(t, 4, ethers.ZeroAddress);
      const openSig = await signFor(t, t.enclave, resultOf(open.id, open.inputHash));
      await expect(t.settler.settle(open.id, OUTPUT, TRACE_ROOT, openSig))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerWrongNode")
        .withArgs(open.id, t.enclave.address, t.node.address, ethers.ZeroAddress);
    });

    it("rejects a key whose attestation expired", async function () {
      const t = await loadFixture(deployTeeFixture);
      const expiry = (await now()) + 100n;
      const att = await attest(t, { node: t.node.address, enclaveKey: t.enclave.address, expiry });
      await t.settler.connect(t.node).registerEnclave(MEASUREMENT, t.enclave.address, expiry, att);
      const { id, inputHash } = await teeRequest(t);
      const sig = await signFor(t, t.enclave, resultOf(id, inputHash));
      await time.setNextBlockTimestamp(expiry);
      await expect(t.settler.settle(id, OUTPUT, TRACE_ROOT, sig))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerEnclaveExpired")
        .withArgs(t.enclave.address, expiry);
      expect(await t.settler.isEnclaveActive(t.enclave.address)).to.equal(false);
    });

    it("T4: revoking a measurement stops every node running it at once, for good", async function () {
      const t = await loadFixture(deployTeeFixture);
      const a = await teeRequest(t, 1, t.node.address);
      const b = await teeRequest(t, 2, t.node2.address);
      await expect(t.settler.connect(t.governor).revokeMeasurement(MEASUREMENT))
        .to.emit(t.settler, "MeasurementRevoked")
        .withArgs(MEASUREMENT);
      for (const [req, key] of [
        [a, t.enclave],
        [b, t.enclave2],
      ] as const) {
        await expect(
          t.settler.settle(req.id, OUTPUT, TRACE_ROOT, await signFor(t, key, resultOf(req.id, req.inputHash))),
        )
          .to.be.revertedWithCustomError(t.settler, "TeeSettlerMeasurementNotApproved")
          .withArgs(MEASUREMENT, MeasurementStatus.Revoked);
        expect(await t.settler.isEnclaveActive(key.address)).to.equal(false);
      }
      await expect(t.settler.connect(t.governor).approveMeasurement(MEASUREMENT))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerMeasurementAlreadyListed")
        .withArgs(MEASUREMENT, MeasurementStatus.Revoked);
    });

    it("rejects a disabled key, and a request that is not in TEE mode", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t);
      const other = await teeRequest(t, 3);
      await t.settler.reportEquivocation(
        await evidence(t, t.enclave, resultOf(other.id, other.inputHash)),
        await evidence(t, t.enclave, resultOf(other.id, other.inputHash, OTHER_OUTPUT)),
      );
      await expect(t.settler.settle(id, OUTPUT, TRACE_ROOT, await signFor(t, t.enclave, resultOf(id, inputHash))))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerEnclaveDisabled")
        .withArgs(t.enclave.address);

      const input = bytesOf(784, 9);
      await t.manager
        .connect(t.requesters[0])
        .request(DIGITS_VERSION, input, VERSION_FEE, t.node2.address, MODE.OPTIMISTIC, ethers.ZeroAddress, 0);
      const optimistic = await t.manager.requestCount();
      const sig = await signFor(t, t.enclave2, resultOf(optimistic, ethers.keccak256(input)));
      await expect(t.settler.settle(optimistic, OUTPUT, TRACE_ROOT, sig))
        .to.be.revertedWithCustomError(t.manager, "InferenceManagerNotModeSettler")
        .withArgs(MODE.OPTIMISTIC, await t.settler.getAddress());
    });
  });

  describe("T6: reportEquivocation", function () {
    it("slashes the node, pays the reporter, disables the key (same request)", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t);
      const a = await evidence(t, t.enclave, resultOf(id, inputHash));
      const b = await evidence(t, t.enclave, resultOf(id, inputHash, OTHER_OUTPUT));
      const stakeBefore = await t.staking.totalStake(t.node.address);
      const reporterBefore = await t.token.balanceOf(t.stranger.address);
      const treasuryBefore = await t.token.balanceOf(t.treasury.address);
      const reward = (EQUIVOCATION_SLASH * BigInt(EQUIVOCATION_REWARD_PPM)) / 1_000_000n;
      await expect(t.settler.connect(t.stranger).reportEquivocation(a, b))
        .to.emit(t.settler, "EquivocationPunished")
        .withArgs(t.node.address, t.enclave.address, t.stranger.address, a.outputHash, b.outputHash, EQUIVOCATION_SLASH)
        .and.to.emit(t.staking, "StakeSlashed")
        .withArgs(t.node.address, EQUIVOCATION_SLASH, reward, t.stranger.address, t.treasury.address);
      expect(await t.staking.totalStake(t.node.address)).to.equal(stakeBefore - EQUIVOCATION_SLASH);
      expect(await t.token.balanceOf(t.stranger.address)).to.equal(reporterBefore + reward);
      expect(await t.token.balanceOf(t.treasury.address)).to.equal(treasuryBefore + EQUIVOCATION_SLASH - reward);
      expect((await t.settler.getEnclave(t.enclave.address)).disabled).to.equal(true);
      expect(await t.settler.isEnclaveActive(t.enclave.address)).to.equal(false);
    });

    it("punishes once: the same evidence, swapped or new evidence by the same key is refused", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t);
      const a = await evidence(t, t.enclave, resultOf(id, inputHash));
      const b = await evidence(t, t.enclave, resultOf(id, inputHash, OTHER_OUTPUT));
      const c = await evidence(t, t.enclave, resultOf(id, inputHash, bytesOf(DIGITS_OUTPUT_BYTES, 77)));
      await t.settler.connect(t.stranger).reportEquivocation(a, b);
      for (const [x, y] of [
        [a, b],
        [b, a],
        [a, c],
      ]) {
        await expect(t.settler.connect(t.requesters[1]).reportEquivocation(x, y))
          .to.be.revertedWithCustomError(t.settler, "TeeSettlerEnclaveDisabled")
          .withArgs(t.enclave.address);
      }
    });

    it("T10-1: a reorg that gives a request id another input makes no equivocation of the two honest signatures", async function () {
      const t = await loadFixture(deployTeeFixture);
      const fork = await takeSnapshot();
      const before = await teeRequest(t, 1);
      const a = await evidence(t, t.enclave, resultOf(before.id, before.inputHash));
      await t.settler.settle(before.id, OUTPUT, TRACE_ROOT, a.signature);
      await fork.restore(); // the blocks holding the request and its settlement are reorged out
      const after = await teeRequest(t, 2);
      expect(after.id).to.equal(before.id);
      expect(after.inputHash).to.not.equal(before.inputHash);
      // The enclave signed the input hash: the signature made before the reorg does not settle the new request...
      const stale = await recovered(t, resultOf(after.id, after.inputHash), a.signature);
      await expect(t.settler.settle(after.id, OUTPUT, TRACE_ROOT, a.signature))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerUnknownEnclaveKey")
        .withArgs(stale);
      const b = await evidence(t, t.enclave, resultOf(after.id, after.inputHash, OTHER_OUTPUT));
      await expect(t.settler.settle(after.id, OTHER_OUTPUT, TRACE_ROOT, b.signature))
        .to.emit(t.settler, "TeeResultSettled")
        .withArgs(after.id, t.node.address, t.enclave.address, b.outputHash);
      // ...and the two signatures, for one request id but two inputs, are no equivocation.
      const stake = await t.staking.totalStake(t.node.address);
      for (const [x, y] of [
        [a, b],
        [b, a],
      ]) {
        await expect(t.settler.connect(t.stranger).reportEquivocation(x, y)).to.be.revertedWithCustomError(
          t.settler,
          "TeeSettlerNotEquivocation",
        );
      }
      expect(await t.staking.totalStake(t.node.address)).to.equal(stake);
      expect(await t.settler.isEnclaveActive(t.enclave.address)).to.equal(true);
      expect(await t.nodes.statusOf(t.node.address)).to.equal(NodeStatus.Active);
    });

    it("T10-3: jails the equivocating node, Active or Exiting: it takes no new work", async function () {
      const t = await loadFixture(deployTeeFixture);
      const settler = await t.settler.getAddress();
      const r1 = await teeRequest(t, 1, t.node.address);
      const r2 = await teeRequest(t, 2, t.node2.address);
      await t.nodes.connect(t.node2).exit(); // still owes r2
      expect(await t.nodes.statusOf(t.node2.address)).to.equal(NodeStatus.Exiting);
      for (const [node, key, { id, inputHash }] of [
        [t.node, t.enclave, r1],
        [t.node2, t.enclave2, r2],
      ] as const) {
        const a = await evidence(t, key, resultOf(id, inputHash));
        const b = await evidence(t, key, resultOf(id, inputHash, OTHER_OUTPUT));
        await expect(t.settler.connect(t.stranger).reportEquivocation(a, b))
          .to.emit(t.nodes, "NodeJailed")
          .withArgs(node.address, settler)
          .and.to.emit(t.settler, "EquivocationPunished")
          .withArgs(node.address, key.address, t.stranger.address, a.outputHash, b.outputHash, EQUIVOCATION_SLASH);
        expect(await t.nodes.statusOf(node.address)).to.equal(NodeStatus.Jailed);
        expect(await t.nodes.isEligible(node.address, DIGITS_VERSION)).to.equal(false);
      }
      await expect(
        t.manager
          .connect(t.requesters[0])
          .request(DIGITS_VERSION, bytesOf(784, 9), VERSION_FEE, t.node.address, MODE.TEE, ethers.ZeroAddress, 0),
      ).to.be.revertedWithCustomError(t.manager, "InferenceManagerNodeNotEligible");
    });

    it("T10-3: jails an equivocating node that already Exited, so it cannot register again", async function () {
      const t = await loadFixture(deployTeeFixture);
      const r1 = await teeRequest(t, 1, t.node.address);
      await t.nodes.connect(t.node).exit();
      await t.nodes.connect(t.node).completeExit();
      expect(await t.nodes.statusOf(t.node.address)).to.equal(NodeStatus.Exited);
      const a = await evidence(t, t.enclave, resultOf(r1.id, r1.inputHash));
      const b = await evidence(t, t.enclave, resultOf(r1.id, r1.inputHash, OTHER_OUTPUT));
      await expect(t.settler.connect(t.stranger).reportEquivocation(a, b))
        .to.emit(t.nodes, "NodeJailed")
        .withArgs(t.node.address, await t.settler.getAddress());
      expect(await t.nodes.statusOf(t.node.address)).to.equal(NodeStatus.Jailed);
      await expect(t.nodes.connect(t.node).register("http://127.0.0.1:9", [DIGITS_VERSION]))
        .to.be.revertedWithCustomError(t.nodes, "NodeRegistryInvalidStatus")
        .withArgs(t.node.address, NodeStatus.Jailed);
    });

    it("T10-3: slashes without jailing a node already jailed, or one never registered in the NodeRegistry", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t);
      await t.nodes.connect(t.slasher).jail(t.node.address); // e.g. by a lost dispute
      const a = await evidence(t, t.enclave, resultOf(id, inputHash));
      const b = await evidence(t, t.enclave, resultOf(id, inputHash, OTHER_OUTPUT));
      await expect(t.settler.connect(t.stranger).reportEquivocation(a, b))
        .to.emit(t.settler, "EquivocationPunished")
        .withArgs(t.node.address, t.enclave.address, t.stranger.address, a.outputHash, b.outputHash, EQUIVOCATION_SLASH)
        .and.not.to.emit(t.nodes, "NodeJailed");
      expect(await t.nodes.statusOf(t.node.address)).to.equal(NodeStatus.Jailed);

      // the outsider is staked but never registered as a node: its enclave key can equivocate all the same
      const key = new Wallet(ethers.id("enclave-outsider"));
      const expiry = (await now()) + DAY;
      const att = await attest(t, { node: t.outsider.address, enclaveKey: key.address, expiry });
      await t.settler.connect(t.outsider).registerEnclave(MEASUREMENT, key.address, expiry, att);
      const x = await evidence(t, key, resultOf(id, inputHash));
      const y = await evidence(t, key, resultOf(id, inputHash, OTHER_OUTPUT));
      await expect(t.settler.connect(t.stranger).reportEquivocation(x, y))
        .to.emit(t.settler, "EquivocationPunished")
        .withArgs(t.outsider.address, key.address, t.stranger.address, x.outputHash, y.outputHash, EQUIVOCATION_SLASH)
        .and.not.to.emit(t.nodes, "NodeJailed");
      expect(await t.nodes.statusOf(t.outsider.address)).to.equal(NodeStatus.None);
    });

    it("T10-3: reverts, punishing nothing, while the settler lacks SLASHER_ROLE on the NodeRegistry", async function () {
      const t = await loadFixture(deployTeeFixture);
      const settler = await t.settler.getAddress();
      const role = await t.nodes.SLASHER_ROLE();
      await t.nodes.connect(t.governor).revokeRole(role, settler);
      const { id, inputHash } = await teeRequest(t);
      const a = await evidence(t, t.enclave, resultOf(id, inputHash));
      const b = await evidence(t, t.enclave, resultOf(id, inputHash, OTHER_OUTPUT));
      const stake = await t.staking.totalStake(t.node.address);
      await expect(t.settler.connect(t.stranger).reportEquivocation(a, b))
        .to.be.revertedWithCustomError(t.nodes, "AccessControlUnauthorizedAccount")
        .withArgs(settler, role);
      expect(await t.staking.totalStake(t.node.address)).to.equal(stake);
      expect(await t.settler.isEnclaveActive(t.enclave.address)).to.equal(true);
    });

    it("punishes two outputs for the same version and input under different request ids", async function () {
      const t = await loadFixture(deployTeeFixture);
      const r1 = await teeRequest(t, 5);
      const r2 = await teeRequest(t, 5); // same input bytes
      expect(r1.inputHash).to.equal(r2.inputHash);
      const a = await evidence(t, t.enclave, resultOf(r1.id, r1.inputHash));
      const b = await evidence(t, t.enclave, resultOf(r2.id, r2.inputHash, OTHER_OUTPUT));
      await expect(t.settler.connect(t.stranger).reportEquivocation(a, b))
        .to.emit(t.settler, "EquivocationPunished")
        .withArgs(
          t.node.address,
          t.enclave.address,
          t.stranger.address,
          a.outputHash,
          b.outputHash,
          EQUIVOCATION_SLASH,
        );
    });

    it("is not shielded by expiry or revocation, and caps the slash at the node's stake", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t);
      const a = await evidence(t, t.enclave, resultOf(id, inputHash));
      const b = await evidence(t, t.enclave, resultOf(id, inputHash, OTHER_OUTPUT));
      await t.settler.connect(t.governor).revokeMeasurement(MEASUREMENT);
      await time.increase(31n * DAY);
      const max = await t.settler.MAX_EQUIVOCATION_SLASH();
      await t.settler.connect(t.governor).setEquivocationSlash(max);
      const stake = await t.staking.totalStake(t.node.address);
      await expect(t.settler.connect(t.stranger).reportEquivocation(a, b))
        .to.emit(t.settler, "EquivocationPunished")
        .withArgs(t.node.address, t.enclave.address, t.stranger.address, a.outputHash, b.outputHash, stake);
      expect(await t.staking.totalStake(t.node.address)).to.equal(0n);
    });

    it("T10-1: rejects evidence that is no equivocation", async function () {
      const t = await loadFixture(deployTeeFixture);
      const r1 = await teeRequest(t, 1);
      const r2 = await teeRequest(t, 2);
      const same = resultOf(r1.id, r1.inputHash);
      // equal outputs (even with different trace roots)
      await expect(
        t.settler.reportEquivocation(
          await evidence(t, t.enclave, same),
          await evidence(t, t.enclave, { ...same, traceRoot: ethers.ZeroHash }),
        ),
      ).to.be.revertedWithCustomError(t.settler, "TeeSettlerNotEquivocation");
      // different requests with different inputs
      await expect(
        t.settler.reportEquivocation(
          await evidence(t, t.enclave, same),
          await evidence(t, t.enclave, resultOf(r2.id, r2.inputHash, OTHER_OUTPUT)),
        ),
      ).to.be.revertedWithCustomError(t.settler, "TeeSettlerNotEquivocation");
      // the same request id with another input (a reorg, test T10-1) or another version
      await expect(
        t.settler.reportEquivocation(
          await evidence(t, t.enclave, same),
          await evidence(t, t.enclave, resultOf(r1.id, r2.inputHash, OTHER_OUTPUT)),
        ),
      ).to.be.revertedWithCustomError(t.settler, "TeeSettlerNotEquivocation");
      await expect(
        t.settler.reportEquivocation(
          await evidence(t, t.enclave, same),
          await evidence(t, t.enclave, { ...resultOf(r1.id, r1.inputHash, OTHER_OUTPUT), modelVersion: WIDE_VERSION }),
        ),
      ).to.be.revertedWithCustomError(t.settler, "TeeSettlerNotEquivocation");
      // same input, different version, different requests
      await expect(
        t.settler.reportEquivocation(
          await evidence(t, t.enclave, same),
          await evidence(t, t.enclave, { ...resultOf(r2.id, r1.inputHash, OTHER_OUTPUT), modelVersion: WIDE_VERSION }),
        ),
      ).to.be.revertedWithCustomError(t.settler, "TeeSettlerNotEquivocation");
    });

    it("rejects two different signers, an unregistered key, and a malleated signature", async function () {
      const t = await loadFixture(deployTeeFixture);
      const { id, inputHash } = await teeRequest(t);
      const a = await evidence(t, t.enclave, resultOf(id, inputHash));
      const b2 = await evidence(t, t.enclave2, resultOf(id, inputHash, OTHER_OUTPUT));
      await expect(t.settler.reportEquivocation(a, b2))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerSignerMismatch")
        .withArgs(t.enclave.address, t.enclave2.address);
      const rogue = new Wallet(ethers.id("rogue"));
      await expect(
        t.settler.reportEquivocation(
          await evidence(t, rogue, resultOf(id, inputHash)),
          await evidence(t, rogue, resultOf(id, inputHash, OTHER_OUTPUT)),
        ),
      )
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerUnknownEnclaveKey")
        .withArgs(rogue.address);
      const b = await evidence(t, t.enclave, resultOf(id, inputHash, OTHER_OUTPUT));
      await expect(
        t.settler.reportEquivocation(a, { ...b, signature: malleate(b.signature) }),
      ).to.be.revertedWithCustomError(t.settler, "TeeSettlerInvalidSignature");
    });

    it("T10-2 property: succeeds exactly when the results share (version, input) and differ in output, whatever the request ids", async function () {
      const t = await loadFixture(deployTeeFixture);
      const pick = <T>(xs: readonly T[]) => fc.constantFrom(...xs);
      const field = fc.record({
        requestId: pick([1n, 2n]),
        modelVersion: pick([DIGITS_VERSION, WIDE_VERSION]),
        inputHash: pick([ethers.ZeroHash, ethers.id("in")]),
        outputHash: pick([ethers.id("o1"), ethers.id("o2")]),
        traceRoot: pick([ethers.ZeroHash, TRACE_ROOT]),
      });
      await fc.assert(
        fc.asyncProperty(field, field, async (x, y) => {
          const related = x.modelVersion === y.modelVersion && x.inputHash === y.inputHash;
          const expectOk = related && x.outputHash !== y.outputHash;
          const call = t.settler.reportEquivocation.staticCall(
            await evidence(t, t.enclave, x),
            await evidence(t, t.enclave, y),
          );
          if (expectOk) expect(await call).to.equal(EQUIVOCATION_SLASH);
          else await expect(call).to.be.revertedWithCustomError(t.settler, "TeeSettlerNotEquivocation");
        }),
        { numRuns: 25, seed: 6 },
      );
    });
  });

  describe("governance", function () {
    it("approves and revokes measurements, with events and status checks", async function () {
      const t = await loadFixture(deployTeeFixture);
      expect(await t.settler.measurementStatus(OTHER_MEASUREMENT)).to.equal(MeasurementStatus.None);
      await expect(t.settler.connect(t.governor).revokeMeasurement(OTHER_MEASUREMENT))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerMeasurementNotApproved")
        .withArgs(OTHER_MEASUREMENT, MeasurementStatus.None);
      await expect(t.settler.connect(t.governor).approveMeasurement(OTHER_MEASUREMENT))
        .to.emit(t.settler, "MeasurementApproved")
        .withArgs(OTHER_MEASUREMENT);
      expect(await t.settler.measurementStatus(OTHER_MEASUREMENT)).to.equal(MeasurementStatus.Approved);
      await expect(t.settler.connect(t.governor).approveMeasurement(OTHER_MEASUREMENT))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerMeasurementAlreadyListed")
        .withArgs(OTHER_MEASUREMENT, MeasurementStatus.Approved);
      await t.settler.connect(t.governor).revokeMeasurement(OTHER_MEASUREMENT);
      await expect(t.settler.connect(t.governor).revokeMeasurement(OTHER_MEASUREMENT))
        .to.be.revertedWithCustomError(t.settler, "TeeSettlerMeasurementNotApproved")
        .withArgs(OTHER_MEASUREMENT, MeasurementStatus.Revoked);
    });

    const governed = {
      fixture: () => loadFixture(deployTeeFixture),
      contract: (t: TeeFixture) => t.settler,
      governor: (t: TeeFixture) => t.governor,
      stranger: (t: TeeFixture) => t.stranger,
      error: "TeeSettlerParameterOutOfBounds",
      ids: { bounds: "T7", role: "T7" },
    };
    shouldBehaveLikeBoundedParameter({
      ...governed,
      setter: "setEquivocationSlash",
      getter: "equivocationSlash",
      event: "EquivocationSlashSet",
      min: 1n,
      max: 10n ** 27n, // MAX_EQUIVOCATION_SLASH: 1e9 tokens
      value: 2n * EQUIVOCATION_SLASH,
    });
    shouldBehaveLikeBoundedParameter({
      ...governed,
      setter: "setEquivocationReward",
      getter: "equivocationRewardPpm",
      event: "EquivocationRewardSet",
      min: 0n,
      max: 500_000n,
      value: 0n,
    });

    it("T7: refuses a zero attestation verifier", async function () {
      const t = await loadFixture(deployTeeFixture);
      await expect(
        t.settler.connect(t.governor).setAttestationVerifier(ethers.ZeroAddress),
      ).to.be.revertedWithCustomError(t.settler, "TeeSettlerZeroAddress");
    });

    // setEquivocationSlash and setEquivocationReward: in their bounded-parameter cases above.
    shouldBehaveLikeRoleGated({
      ...governed,
      role: "GOVERNOR_ROLE",
      callers: (t) => [t.stranger],
      calls: {
        approveMeasurement: (s) => s.approveMeasurement(OTHER_MEASUREMENT),
        revokeMeasurement: (s) => s.revokeMeasurement(MEASUREMENT),
        setAttestationVerifier: (s, caller) => s.setAttestationVerifier(caller.address),
      },
      id: "T7",
    });
  });
});
