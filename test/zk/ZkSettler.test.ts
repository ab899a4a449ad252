import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { run } from "../../executor/runtime";
import { publicSignals } from "../../modes/zk/circuit";
import { prove, proofWords, verifyOffChain, zkShutdown } from "../../modes/zk/setup";
import { MODE, versionSpec } from "../helpers/fixtures";
import { DIGITS_VERSION, STATUS, VERSION_FEE } from "../helpers/inference-fixtures";
import {
  deployVerifier,
  deployZkFixture,
  ZK_SIZES,
  ZK_VERSION,
  zkCircuit,
  type ZkFixture,
} from "../helpers/zk-fixtures";

// ZK mode end to end: a real Groth16 proof (local setup of the 6-4-3 test MLP) settles a ZK request at once through
// ZkSettler -> InferenceManager.settleVerified; every way a proof or its public input can be wrong reverts with
// ZkSettler's custom errors. Setup (phase 2 of the test circuit) and the few proofs take well under a minute once
// the powers of tau are cached (cache/zk).

const NONE = ethers.ZeroAddress;
const Q = 21888242871839275222246405745257525088696311157297823662689037894645226208583n; // BN254 base field
const N_IN = ZK_SIZES[0];
const N_OUT = ZK_SIZES[ZK_SIZES.length - 1];

const hex = (a: Int8Array) => ethers.hexlify(new Uint8Array(a.buffer, a.byteOffset, a.length));
const TRACE_ROOT = ethers.keccak256(ethers.toUtf8Bytes("zk trace root"));

function inputOf(seed: number): Int8Array {
  return Int8Array.from({ length: N_IN }, (_, i) => ((i * 73 + seed * 41) % 256) - 128);
}

async function zkRequest(f: ZkFixture, x: Int8Array, node = f.node.address): Promise<bigint> {
  await f.manager.connect(f.requesters[0]).request(ZK_VERSION, hex(x), VERSION_FEE, node, MODE.ZK, NONE, 0);
  return f.manager.requestCount();
}

/** A proof that y = program(x), as the 8 words settle takes. */
async function proofFor(f: ZkFixture, x: Int8Array): Promise<{ y: Int8Array; words: bigint[] }> {
  const y = run(f.zk.program, x);
  const { proof } = await prove(f.zk.files, x, y, f.zk.meta.weightsRoot);
  return { y, words: proofWords(proof) };
}

type Words = Parameters<ZkFixture["settler"]["settle"]>[4];
const w8 = (w: bigint[]) => w as unknown as Words;

describe("ZkSettler", function () {
  this.timeout(300_000);

  before(async function () {
    await zkCircuit();
  });

  after(async function () {
    await zkShutdown();
  });

  describe("constructor", function () {
    it("reverts on a zero address", async function () {
      const f = await loadFixture(deployZkFixture);
      const factory = await ethers.getContractFactory("ZkSettler");
      for (const args of [
        [NONE, await f.models.getAddress(), f.governor.address],
        [await f.manager.getAddress(), NONE, f.governor.address],
        [await f.manager.getAddress(), await f.models.getAddress(), NONE],
      ]) {
        await expect(factory.deploy(...(args as [string, string, string]))).to.be.revertedWithCustomError(
          f.settler,
          "ZkSettlerZeroAddress",
        );
      }
    });
  });

  describe("Z6: registerVerifier", function () {
    it("registers the version's verifier (model owner only) and emits", async function () {
      const f = await loadFixture(deployZkFixture);
      expect(await f.settler.verifierOf(ZK_VERSION)).to.equal(f.verifierAddress);
      await f.models.connect(f.publisher).publishVersion(3n, versionSpec({ modes: MODE.ZK })); // model 3 is zk-mlp
      const v4 = await f.models.versionCount();
      const other = await deployVerifier(f.zk.verifier, f.publisher);
      await expect(f.settler.connect(f.publisher).registerVerifier(v4, other))
        .to.emit(f.settler, "VerifierRegistered")
        .withArgs(v4, other, f.publisher.address);
      expect(await f.settler.verifierOf(v4)).to.equal(other);
    });

    it("reverts for anyone but the model owner, a version without ZK mode, an EOA, and a second registration", async function () {
      const f = await loadFixture(deployZkFixture);
      await expect(f.settler.connect(f.stranger).registerVerifier(ZK_VERSION, f.verifierAddress))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerNotModelOwner")
        .withArgs(ZK_VERSION, f.stranger.address);
      await expect(f.settler.connect(f.publisher).registerVerifier(DIGITS_VERSION, f.verifierAddress))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerModeNotSupported")
        .withArgs(DIGITS_VERSION, MODE.NONE | MODE.OPTIMISTIC | MODE.TEE);
      await f.settler.connect(f.governor).revokeVerifier(ZK_VERSION);
      await expect(f.settler.connect(f.publisher).registerVerifier(ZK_VERSION, f.stranger.address))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerNotAContract")
        .withArgs(f.stranger.address);
      await f.settler.connect(f.publisher).registerVerifier(ZK_VERSION, f.verifierAddress);
      await expect(f.settler.connect(f.publisher).registerVerifier(ZK_VERSION, f.verifierAddress))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerVerifierAlreadySet")
        .withArgs(ZK_VERSION, f.verifierAddress);
    });
  });

  describe("Z6: revokeVerifier", function () {
    it("lets governance revoke a verifier; the version can then not be settled until a new one is registered", async function () {
      const f = await loadFixture(deployZkFixture);
      const x = inputOf(1);
      const id = await zkRequest(f, x);
      const { y, words } = await proofFor(f, x);
      await expect(f.settler.connect(f.governor).revokeVerifier(ZK_VERSION))
        .to.emit(f.settler, "VerifierRevoked")
        .withArgs(ZK_VERSION, f.verifierAddress);
      expect(await f.settler.verifierOf(ZK_VERSION)).to.equal(NONE);
      await expect(f.settler.settle(id, hex(x), hex(y), TRACE_ROOT, w8(words)))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerNoVerifier")
        .withArgs(ZK_VERSION);
      await expect(f.settler.connect(f.governor).revokeVerifier(ZK_VERSION))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerNoVerifier")
        .withArgs(ZK_VERSION);
      await expect(f.settler.connect(f.publisher).revokeVerifier(ZK_VERSION))
        .to.be.revertedWithCustomError(f.settler, "AccessControlUnauthorizedAccount")
        .withArgs(f.publisher.address, await f.settler.GOVERNOR_ROLE());
      await f.settler.connect(f.publisher).registerVerifier(ZK_VERSION, f.verifierAddress);
      await expect(f.settler.settle(id, hex(x), hex(y), TRACE_ROOT, w8(words))).to.emit(f.settler, "ZkResultSettled");
    });
  });

  describe("settle", function () {
    it("Z3: settles a valid proof at once: events, fee credited to the node, nothing locked, final", async function () {
      const f = await loadFixture(deployZkFixture);
      const x = inputOf(2);
      const id = await zkRequest(f, x);
      const { y, words } = await proofFor(f, x);
      const lockedBefore = await f.staking.lockedStake(f.node.address);
      const creditsBefore = await f.manager.credits(f.node.address);
      // anyone may submit the proof: the request's node is paid
      await expect(f.settler.connect(f.stranger).settle(id, hex(x), hex(y), TRACE_ROOT, w8(words)))
        .to.emit(f.settler, "ZkResultSettled")
        .withArgs(id, ZK_VERSION, f.verifierAddress)
        .and.to.emit(f.manager, "ResultCommitted")
        .withArgs(id, f.node.address, ethers.keccak256(hex(y)), TRACE_ROOT, hex(y))
        .and.to.emit(f.manager, "RequestFinalized")
        .withArgs(id, f.node.address, VERSION_FEE, 0);
      const r = await f.manager.getRequest(id);
      expect(r.status).to.equal(STATUS.Finalized);
      expect(await f.manager.credits(f.node.address)).to.equal(creditsBefore + VERSION_FEE);
      expect(await f.staking.lockedStake(f.node.address)).to.equal(lockedBefore);
      // settles once only, even with the same valid proof
      await expect(f.settler.settle(id, hex(x), hex(y), TRACE_ROOT, w8(words)))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerInvalidStatus")
        .withArgs(id, STATUS.Finalized);
    });

    it("builds the public signals the off-chain prover uses (input, output as value + 128, weights root halves)", async function () {
      const f = await loadFixture(deployZkFixture);
      const x = inputOf(3);
      const y = run(f.zk.program, x);
      const onChain = await f.settler.publicSignals(ZK_VERSION, hex(x), hex(y));
      expect(onChain.map(String)).to.deep.equal(publicSignals(x, y, f.zk.meta.weightsRoot));
    });

    it("Z4: rejects an invalid proof: a proof of another input's result, and arbitrary field elements", async function () {
      const f = await loadFixture(deployZkFixture);
      const x = inputOf(4);
      const id = await zkRequest(f, x);
      const y = run(f.zk.program, x);
      const other = await proofFor(f, inputOf(5));
      await expect(f.settler.settle(id, hex(x), hex(y), TRACE_ROOT, w8(other.words)))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerInvalidProof")
        .withArgs(id, f.verifierAddress);
      const junk = Array.from({ length: 8 }, (_, i) => BigInt(ethers.keccak256(ethers.toBeHex(i + 1, 32))) % Q);
      await expect(f.settler.settle(id, hex(x), hex(y), TRACE_ROOT, w8(junk)))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerInvalidProof")
        .withArgs(id, f.verifierAddress);
      expect((await f.manager.getRequest(id)).status).to.equal(STATUS.Assigned);
    });

    it("treats a verifier that reverts or returns no boolean as a rejection", async function () {
      const f = await loadFixture(deployZkFixture);
      const x = inputOf(11);
      const id = await zkRequest(f, x);
      const { y, words } = await proofFor(f, x);
      await f.settler.connect(f.governor).revokeVerifier(ZK_VERSION);
      const notAVerifier = await f.token.getAddress(); // a contract without verifyProof: the call reverts
      await f.settler.connect(f.publisher).registerVerifier(ZK_VERSION, notAVerifier);
      await expect(f.settler.settle(id, hex(x), hex(y), TRACE_ROOT, w8(words)))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerInvalidProof")
        .withArgs(id, notAVerifier);
      expect((await f.manager.getRequest(id)).status).to.equal(STATUS.Assigned);
    });

    it("Z4: rejects a malleated proof: a negated point, swapped coordinates, and a coordinate shifted by the field modulus", async function () {
      const f = await loadFixture(deployZkFixture);
      const x = inputOf(6);
      const id = await zkRequest(f, x);
      const { y, words } = await proofFor(f, x);
      const negA = [...words];
      negA[1] = Q - negA[1]; // -A: still on the curve, but the pairing equation fails
      const negC = [...words];
      negC[7] = Q - negC[7];
      const swapped = [...words];
      [swapped[2], swapped[3]] = [swapped[3], swapped[2]]; // B's Fp2 coordinate in the wrong order
      for (const bad of [negA, negC, swapped]) {
        await expect(f.settler.settle(id, hex(x), hex(y), TRACE_ROOT, w8(bad)))
          .to.be.revertedWithCustomError(f.settler, "ZkSettlerInvalidProof")
          .withArgs(id, f.verifierAddress);
      }
      for (const i of [0, 5, 7]) {
        const shifted = [...words];
        shifted[i] += Q; // the same residue, not canonical: refused before the verifier sees it
        await expect(f.settler.settle(id, hex(x), hex(y), TRACE_ROOT, w8(shifted)))
          .to.be.revertedWithCustomError(f.settler, "ZkSettlerProofNotCanonical")
          .withArgs(i, shifted[i]);
      }
      await expect(f.settler.settle(id, hex(x), hex(y), TRACE_ROOT, w8(words))).to.emit(f.manager, "RequestFinalized");
    });

    it("Z4: rejects a wrong public input: another output, another input, an output of the wrong length", async function () {
      const f = await loadFixture(deployZkFixture);
      const x = inputOf(7);
      const id = await zkRequest(f, x);
      const { y, words } = await proofFor(f, x);
      const wrongY = Int8Array.from(y);
      wrongY[0] = wrongY[0] === 127 ? 126 : wrongY[0] + 1;
      await expect(f.settler.settle(id, hex(x), hex(wrongY), TRACE_ROOT, w8(words)))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerInvalidProof")
        .withArgs(id, f.verifierAddress);
      const otherX = inputOf(8);
      await expect(f.settler.settle(id, hex(otherX), hex(y), TRACE_ROOT, w8(words)))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerInputMismatch")
        .withArgs(id, ethers.keccak256(hex(otherX)), ethers.keccak256(hex(x)));
      const longY = ethers.concat([hex(y), "0x00"]);
      await expect(f.settler.settle(id, hex(x), longY, TRACE_ROOT, w8(words)))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerInvalidLength")
        .withArgs(id, N_OUT + 1, N_OUT);
      // the off-chain verifier agrees: the proof holds for (x, y) only
      const { proof, publicSignals: pub } = await prove(f.zk.files, x, y, f.zk.meta.weightsRoot);
      expect(await verifyOffChain(f.zk.files, pub, proof)).to.equal(true);
      expect(await verifyOffChain(f.zk.files, publicSignals(x, wrongY, f.zk.meta.weightsRoot), proof)).to.equal(false);
    });

    it("Z5: reverts for a version without a verifier, a non-ZK request, an unassigned request and after the deadline", async function () {
      const f = await loadFixture(deployZkFixture);
      const x = inputOf(9);
      const { y, words } = await proofFor(f, x);
      // a second ZK version of the model, with no verifier
      await f.models.connect(f.publisher).publishVersion(3n, await zkSpec(f));
      const v4 = await f.models.versionCount();
      await f.nodes.connect(f.node).serveVersions([v4]);
      await f.manager.connect(f.requesters[0]).request(v4, hex(x), VERSION_FEE, f.node.address, MODE.ZK, NONE, 0);
      const noVerifier = await f.manager.requestCount();
      await expect(f.settler.settle(noVerifier, hex(x), hex(y), TRACE_ROOT, w8(words)))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerNoVerifier")
        .withArgs(v4);

      const digitsInput = ethers.hexlify(new Uint8Array(784));
      await f.manager
        .connect(f.requesters[0])
        .request(DIGITS_VERSION, digitsInput, VERSION_FEE, f.node.address, MODE.OPTIMISTIC, NONE, 0);
      const optimistic = await f.manager.requestCount();
      await expect(f.settler.settle(optimistic, hex(x), hex(y), TRACE_ROOT, w8(words)))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerNotZkRequest")
        .withArgs(optimistic, MODE.OPTIMISTIC);

      const open = await zkRequest(f, x, NONE);
      await expect(f.settler.settle(open, hex(x), hex(y), TRACE_ROOT, w8(words)))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerInvalidStatus")
        .withArgs(open, STATUS.Open);
      await expect(f.settler.settle(999n, hex(x), hex(y), TRACE_ROOT, w8(words)))
        .to.be.revertedWithCustomError(f.settler, "ZkSettlerNotZkRequest")
        .withArgs(999n, 0);

      const late = await zkRequest(f, x);
      const deadline = (await f.manager.getRequest(late)).deadline;
      await time.increaseTo(deadline + 1n);
      await expect(f.settler.settle(late, hex(x), hex(y), TRACE_ROOT, w8(words)))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerDeadlinePassed")
        .withArgs(late, deadline);
    });

    it("Z5: cannot settle through the manager directly: only the ZK settler may call settleVerified", async function () {
      const f = await loadFixture(deployZkFixture);
      const x = inputOf(10);
      const id = await zkRequest(f, x);
      const y = run(f.zk.program, x);
      await expect(f.manager.connect(f.node).settleVerified(id, hex(y), TRACE_ROOT))
        .to.be.revertedWithCustomError(f.manager, "InferenceManagerNotModeSettler")
        .withArgs(MODE.ZK, f.node.address);
    });
  });
});

async function zkSpec(f: ZkFixture) {
  const v = await f.models.getVersion(ZK_VERSION);
  return versionSpec({
    programDigest: v.programDigest,
    weightsRoot: v.weightsRoot,
    layerCount: v.layerCount,
    inputShape: [1, N_IN],
    outputShape: [1, N_OUT],
    modes: MODE.ZK,
  });
}
