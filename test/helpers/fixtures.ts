import { ethers } from "hardhat";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import type { ModelRegistry, NodeRegistry, Staking, VerityToken } from "../../typechain-types";
import type { IModelRegistry } from "../../typechain-types/contracts/registry/ModelRegistry";
import { VerificationModes } from "../../protocol/constants";

export const ONE = 10n ** 18n;
export const MINIMUM_STAKE = 1_000n * ONE;
export const THAWING_PERIOD = 86_400n; // the contract's floor: 1 day
export const MAX_THAW_REQUESTS = 5n;
export const INITIAL_BALANCE = 1_000_000n * ONE;

/** The verification-mode bits: the generated `VerificationModes`, under the name the tests and benches use. */
export const MODE = VerificationModes;

export interface ProtocolFixture {
  token: VerityToken;
  staking: Staking;
  models: ModelRegistry;
  nodes: NodeRegistry;
  governor: HardhatEthersSigner;
  slasher: HardhatEthersSigner;
  inference: HardhatEthersSigner;
  treasury: HardhatEthersSigner;
  publisher: HardhatEthersSigner;
  operators: HardhatEthersSigner[];
  stranger: HardhatEthersSigner;
}

/**
 * The foundation contracts wired as Protocol.ts wires them, with stand-in EOAs in the roles that the inference and
 * dispute managers will hold: `inference` has INFERENCE_ROLE, `slasher` has SLASHER_ROLE on Staking and NodeRegistry.
 * Every operator holds INITIAL_BALANCE tokens and has approved Staking for all of it.
 */
export async function deployProtocolFixture(): Promise<ProtocolFixture> {
  const [governor, slasher, inference, treasury, publisher, stranger, ...rest] = await ethers.getSigners();
  const operators = rest.slice(0, 6);

  const token = await ethers.deployContract("VerityToken", [governor.address, governor.address, 0n]);
  const staking = await ethers.deployContract("Staking", [
    await token.getAddress(),
    governor.address,
    MINIMUM_STAKE,
    THAWING_PERIOD,
    MAX_THAW_REQUESTS,
    treasury.address,
  ]);
  const models = await ethers.deployContract("ModelRegistry");
  const nodes = await ethers.deployContract("NodeRegistry", [
    await staking.getAddress(),
    await models.getAddress(),
    governor.address,
  ]);

  await staking.connect(governor).grantRole(await staking.SLASHER_ROLE(), slasher.address);
  await staking.connect(governor).grantRole(await staking.INFERENCE_ROLE(), inference.address);
  await nodes.connect(governor).grantRole(await nodes.SLASHER_ROLE(), slasher.address);

  for (const op of operators) {
    await token.connect(governor).mint(op.address, INITIAL_BALANCE);
    await token.connect(op).approve(await staking.getAddress(), ethers.MaxUint256);
  }
  return { token, staking, models, nodes, governor, slasher, inference, treasury, publisher, operators, stranger };
}

/** A valid version spec: a 36-byte binary CIDv1, non-zero digests, the digits MLP's shapes. */
export function versionSpec(
  overrides: Partial<IModelRegistry.VersionSpecStruct> = {},
): IModelRegistry.VersionSpecStruct {
  return {
    artifactCid: "0x01551220" + "ab".repeat(32),
    programDigest: ethers.keccak256(ethers.toUtf8Bytes("program")),
    weightsRoot: ethers.keccak256(ethers.toUtf8Bytes("weights")),
    layerCount: 6,
    inputShape: [1, 784],
    outputShape: [1, 10],
    modes: MODE.OPTIMISTIC | MODE.TEE,
    fee: ONE,
    ...overrides,
  };
}

/** The fixture plus one published model (version 1) and operator 0 staked and registered on it. */
export async function deployRegisteredNodeFixture() {
  const f = await deployProtocolFixture();
  await f.models.connect(f.publisher).publishModel("digits-mlp", versionSpec());
  const [op] = f.operators;
  await f.staking.connect(op).stake(MINIMUM_STAKE * 2n);
  await f.nodes.connect(op).register("https://node-0.verity.local", [1n]);
  return f;
}
