import { ethers } from "hardhat";
import { Wallet } from "ethers";

import type { EcdsaAttestationVerifier, TeeSettler } from "../../typechain-types";
import { MINIMUM_STAKE, MODE } from "../helpers/fixtures";
import {
  bytesOf,
  deployInferenceFixture,
  DIGITS_INPUT_BYTES,
  DIGITS_VERSION,
  VERSION_FEE,
} from "../helpers/inference-fixtures";
import type { InferenceFixture } from "../helpers/inference-fixtures";
import {
  attestationDomain,
  settlerDomain,
  signAttestation,
  signResult,
  type InferenceResult,
} from "../../modes/tee/eip712";

export const MEASUREMENT = ethers.id("verity/test-enclave/v1");
export const OTHER_MEASUREMENT = ethers.id("verity/test-enclave/v2");
export const EQUIVOCATION_SLASH = MINIMUM_STAKE;
export const EQUIVOCATION_REWARD_PPM = 500_000;
export const DAY = 86_400n;

export interface TeeFixture extends InferenceFixture {
  verifier: EcdsaAttestationVerifier;
  settler: TeeSettler;
  service: Wallet; // the registered attestation-service key
  enclave: Wallet; // node's enclave key, registered in the fixture
  enclave2: Wallet; // node2's enclave key, registered in the fixture
  chainId: bigint;
}

export async function deployTeeContracts(f: InferenceFixture) {
  const verifier = await ethers.deployContract("EcdsaAttestationVerifier", [f.governor.address]);
  const settler = await ethers.deployContract("TeeSettler", [
    await f.manager.getAddress(),
    await f.staking.getAddress(),
    await f.nodes.getAddress(),
    await verifier.getAddress(),
    f.governor.address,
    EQUIVOCATION_SLASH,
    EQUIVOCATION_REWARD_PPM,
  ]);
  return { verifier, settler };
}

/**
 * The inference fixture plus the TEE mode wired as Protocol.ts wires it: the settler is the manager's TEE settler
 * and holds SLASHER_ROLE on Staking and on the NodeRegistry; one attestation-service key is registered, MEASUREMENT approved, and both
 * nodes have bound an enclave key for it (expiring in 30 days).
 */
export async function deployTeeFixture(): Promise<TeeFixture> {
  const f = await deployInferenceFixture();
  const { verifier, settler } = await deployTeeContracts(f);
  await f.manager.connect(f.governor).setModeSettler(MODE.TEE, await settler.getAddress());
  await f.staking.connect(f.governor).grantRole(await f.staking.SLASHER_ROLE(), await settler.getAddress());
  await f.nodes.connect(f.governor).grantRole(await f.nodes.SLASHER_ROLE(), await settler.getAddress());
  const service = new Wallet(ethers.id("attestation-service"));
  const enclave = new Wallet(ethers.id("enclave-node-0"));
  const enclave2 = new Wallet(ethers.id("enclave-node-1"));
  await verifier.connect(f.governor).addServiceKey(service.address);
  await settler.connect(f.governor).approveMeasurement(MEASUREMENT);
  const chainId = (await ethers.provider.getNetwork()).chainId;
  const t: TeeFixture = { ...f, verifier, settler, service, enclave, enclave2, chainId };
  const expiry = (await now()) + 30n * DAY;
  for (const [node, key] of [
    [f.node, enclave],
    [f.node2, enclave2],
  ] as const) {
    const att = await attest(t, { node: node.address, enclaveKey: key.address, expiry });
    await settler.connect(node).registerEnclave(MEASUREMENT, key.address, expiry, att);
  }
  return t;
}

export async function now(): Promise<bigint> {
  return BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
}

/** A service signature over (measurement, enclaveKey, node, expiry); defaults: MEASUREMENT, the fixture's service. */
export async function attest(
  t: Pick<TeeFixture, "verifier" | "service" | "chainId">,
  fields: { node: string; enclaveKey: string; expiry: bigint; measurement?: string },
  signer: Wallet = t.service,
): Promise<string> {
  return signAttestation(signer, attestationDomain(t.chainId, await t.verifier.getAddress()), {
    measurement: fields.measurement ?? MEASUREMENT,
    enclaveKey: fields.enclaveKey,
    node: fields.node,
    expiry: fields.expiry,
  });
}

/** An enclave signature over `result` in the settler's domain (or another chain id / settler address). */
export async function signFor(
  t: Pick<TeeFixture, "settler" | "chainId">,
  key: Wallet,
  result: InferenceResult,
  domain: { chainId?: bigint; settler?: string } = {},
): Promise<string> {
  return signResult(
    key,
    settlerDomain(domain.chainId ?? t.chainId, domain.settler ?? (await t.settler.getAddress())),
    result,
  );
}

/** A TEE request for DIGITS_VERSION assigned to `node` (default f.node); returns its id and its input. */
export async function teeRequest(
  t: TeeFixture,
  seed = 1,
  node = t.node.address,
  callback = ethers.ZeroAddress,
  gas = 0,
) {
  const input = bytesOf(DIGITS_INPUT_BYTES, seed);
  await t.manager.connect(t.requesters[0]).request(DIGITS_VERSION, input, VERSION_FEE, node, MODE.TEE, callback, gas);
  const id = await t.manager.requestCount();
  return { id, input, inputHash: ethers.keccak256(input) };
}
