import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";

import { shouldBehaveLikeRoleGated } from "../behaviours/role-gated.behaviour";
import { attestationDomain, ATTESTATION_TYPES, malleate, signAttestation } from "../../modes/tee/eip712";

// The reference attestation verifier: it stands in for a hardware vendor's attestation chain (docs/TEE.md).

const MEASUREMENT = ethers.id("verity/test-enclave/v1");

async function fixture() {
  const [governor, stranger] = await ethers.getSigners();
  const verifier = await ethers.deployContract("EcdsaAttestationVerifier", [governor.address]);
  const service = new Wallet(ethers.id("attestation-service"));
  await verifier.connect(governor).addServiceKey(service.address);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const fields = {
    measurement: MEASUREMENT,
    enclaveKey: new Wallet(ethers.id("enclave")).address,
    node: stranger.address,
    expiry: 2_000_000_000n,
  };
  const domain = attestationDomain(chainId, await verifier.getAddress());
  const attestation = await signAttestation(service, domain, fields);
  return { governor, stranger, verifier, service, chainId, fields, domain, attestation };
}

type Fixture = Awaited<ReturnType<typeof fixture>>;
type Fields = Fixture["fields"];

describe("T1: EcdsaAttestationVerifier", function () {
  const verify = (v: Awaited<ReturnType<typeof fixture>>["verifier"], f: Fields, att: string) =>
    v.verifyAttestation(f.measurement, f.enclaveKey, f.node, f.expiry, att);

  describe("verifyAttestation", function () {
    it("accepts a service key's signature over exactly these fields, and exposes the digest", async function () {
      const { verifier, fields, domain, attestation } = await loadFixture(fixture);
      expect(await verify(verifier, fields, attestation)).to.equal(true);
      expect(
        await verifier.attestationDigest(fields.measurement, fields.enclaveKey, fields.node, fields.expiry),
      ).to.equal(ethers.TypedDataEncoder.hash(domain, ATTESTATION_TYPES, fields));
    });

    it("rejects (false, no revert) any other field, signer, domain, a high-s twin and malformed bytes", async function () {
      const { verifier, fields, service, chainId, domain, attestation } = await loadFixture(fixture);
      for (const other of [
        { ...fields, measurement: ethers.id("other") },
        { ...fields, enclaveKey: Wallet.createRandom().address },
        { ...fields, node: Wallet.createRandom().address },
        { ...fields, expiry: fields.expiry + 1n },
      ]) {
        expect(await verify(verifier, other, attestation)).to.equal(false);
      }
      const otherVerifier = await ethers.deployContract("EcdsaAttestationVerifier", [service.address]);
      for (const att of [
        await signAttestation(new Wallet(ethers.id("not-a-service")), domain, fields),
        await signAttestation(service, attestationDomain(chainId + 1n, await verifier.getAddress()), fields),
        await signAttestation(service, attestationDomain(chainId, await otherVerifier.getAddress()), fields),
        malleate(attestation),
        attestation.slice(0, 130),
        "0x",
      ]) {
        expect(await verify(verifier, fields, att)).to.equal(false);
      }
    });
  });

  describe("service keys", function () {
    it("adds and removes keys with events; a removed key's attestations stop verifying", async function () {
      const { governor, verifier, service, fields, attestation } = await loadFixture(fixture);
      expect(await verifier.isServiceKey(service.address)).to.equal(true);
      expect(await verifier.serviceKeyCount()).to.equal(1n);
      await expect(verifier.connect(governor).removeServiceKey(service.address))
        .to.emit(verifier, "ServiceKeyRemoved")
        .withArgs(service.address);
      expect(await verifier.serviceKeyCount()).to.equal(0n);
      expect(await verify(verifier, fields, attestation)).to.equal(false);
      await expect(verifier.connect(governor).addServiceKey(service.address))
        .to.emit(verifier, "ServiceKeyAdded")
        .withArgs(service.address);
      expect(await verify(verifier, fields, attestation)).to.equal(true);
    });

    it("reverts on a duplicate, unknown or zero key, and beyond MAX_SERVICE_KEYS", async function () {
      const { governor, verifier, service } = await loadFixture(fixture);
      await expect(verifier.connect(governor).addServiceKey(service.address))
        .to.be.revertedWithCustomError(verifier, "EcdsaAttestationVerifierKeyAlreadyAdded")
        .withArgs(service.address);
      const unknown = Wallet.createRandom().address;
      await expect(verifier.connect(governor).removeServiceKey(unknown))
        .to.be.revertedWithCustomError(verifier, "EcdsaAttestationVerifierUnknownKey")
        .withArgs(unknown);
      await expect(verifier.connect(governor).addServiceKey(ethers.ZeroAddress)).to.be.revertedWithCustomError(
        verifier,
        "EcdsaAttestationVerifierZeroAddress",
      );
      const max = await verifier.MAX_SERVICE_KEYS();
      for (let i = 1n; i < max; i++)
        await verifier.connect(governor).addServiceKey(ethers.getAddress(ethers.toBeHex(i, 20)));
      await expect(verifier.connect(governor).addServiceKey(unknown))
        .to.be.revertedWithCustomError(verifier, "EcdsaAttestationVerifierTooManyKeys")
        .withArgs(max);
    });

    shouldBehaveLikeRoleGated({
      fixture: () => loadFixture(fixture),
      contract: (f: Fixture) => f.verifier,
      role: "GOVERNOR_ROLE",
      callers: (f) => [f.stranger],
      calls: {
        addServiceKey: (verifier, caller) => verifier.addServiceKey(caller.address),
        removeServiceKey: (verifier, _caller, f) => verifier.removeServiceKey(f.service.address),
      },
    });

    it("refuses a zero governor", async function () {
      const { verifier } = await loadFixture(fixture);
      await expect(
        ethers.deployContract("EcdsaAttestationVerifier", [ethers.ZeroAddress]),
      ).to.be.revertedWithCustomError(verifier, "EcdsaAttestationVerifierZeroAddress");
    });
  });
});
