/**
 * Gas of the staking and registry calls (part of `npm run bench`, bench/run.ts, and of the gas snapshot test), on
 * contracts deployed by the Ignition module with the local parameters, each by an account doing it for the first
 * time (cold storage, the expensive and common case):
 * Another operator has staked before them, so the Staking contract already holds tokens.
 *   stake            a fresh operator's first stake (allowance already given).
 *   stakeWithPermit  a fresh operator's first stake through an EIP-2612 permit, in one transaction.
 *   thaw             that operator's first thaw request.
 *   withdraw         withdrawing that one request after the thawing period.
 *   slash            a slash of free stake, 50% reward to a fresh challenger, the rest burned.
 *   registerNode     registering a node with a 21-byte endpoint and one served version.
 *   publishModel     a new model with its first version: 36-byte CIDv1, shapes [1,784] and [1,10].
 *   publishVersion   a second version of that model.
 */
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";

import { VerificationModes } from "../protocol/constants";
import { cidBinaryOf } from "../executor/model/cid";
import { deployProtocol, mined, signPermit } from "../scripts/lib/protocol";

export const GAS_KEYS = [
  "stake",
  "stakeWithPermit",
  "thaw",
  "withdraw",
  "slash",
  "registerNode",
  "publishModel",
  "publishVersion",
] as const;
export type GasKey = (typeof GAS_KEYS)[number];

/** The gas of each staking and registry call above, on a fresh deployment. */
export async function benchStakingRegistry(): Promise<Record<GasKey, number>> {
  const { ethers } = hre;
  const [deployer, publisher, staker, permitStaker, nodeOperator, challenger] = await ethers.getSigners();
  const { token, staking, modelRegistry, nodeRegistry } = await deployProtocol(hre);
  const stakingAddress = await staking.getAddress();
  const minimumStake = await staking.minimumStake();
  const gas = {} as Record<GasKey, number>;
  const record = (key: GasKey, receipt: { gasUsed: bigint }) => {
    gas[key] = Number(receipt.gasUsed);
  };

  for (const account of [staker, permitStaker, nodeOperator]) {
    await mined(token.connect(deployer).transfer(account.address, minimumStake * 2n));
  }

  // Model registry.
  const spec = (salt: string) => ({
    artifactCid: cidBinaryOf(ethers.toUtf8Bytes(`bench model ${salt}`)),
    programDigest: ethers.id(`program ${salt}`),
    weightsRoot: ethers.id(`weights ${salt}`),
    layerCount: 4,
    inputShape: [1, 784],
    outputShape: [1, 10],
    modes: VerificationModes.NONE | VerificationModes.OPTIMISTIC,
    fee: ethers.parseEther("0.1"),
  });
  if (spec("v1").artifactCid.length !== 36) throw new Error("bench expects a 36-byte CIDv1");
  record("publishModel", await mined(modelRegistry.connect(publisher).publishModel("mnist-mlp", spec("v1"))));
  const modelId = await modelRegistry.modelIdOf(publisher.address, "mnist-mlp");
  record("publishVersion", await mined(modelRegistry.connect(publisher).publishVersion(modelId, spec("v2"))));
  const versionId = await modelRegistry.latestVersion(modelId);

  // The node operator stakes first, so that the measured stakes do not also pay for the Staking contract's token
  // balance going from zero to non-zero (a once-per-deployment cost).
  await mined(token.connect(nodeOperator).approve(stakingAddress, minimumStake));
  await mined(staking.connect(nodeOperator).stake(minimumStake));

  // Staking: plain stake, then thaw and withdraw.
  await mined(token.connect(staker).approve(stakingAddress, minimumStake));
  record("stake", await mined(staking.connect(staker).stake(minimumStake)));
  record("thaw", await mined(staking.connect(staker).thaw(minimumStake / 2n)));
  await time.increase(await staking.thawingPeriod());
  record("withdraw", await mined(staking.connect(staker).withdraw()));

  // Stake with permit.
  // A fixed deadline keeps the signature, hence the calldata and its gas, identical from run to run.
  const deadline = 4_102_444_800n; // 2100-01-01T00:00:00Z
  const { v, r, s } = await signPermit(token, permitStaker, stakingAddress, minimumStake, deadline);
  record(
    "stakeWithPermit",
    await mined(staking.connect(permitStaker).stakeWithPermit(minimumStake, deadline, v, r, s)),
  );

  // Node registration (the operator staked first, above).
  record(
    "registerNode",
    await mined(nodeRegistry.connect(nodeOperator).register("http://127.0.0.1:7070", [versionId])),
  );

  // Slash: the governor stands in for the dispute manager, which a later release deploys.
  await mined(staking.connect(deployer).grantRole(await staking.SLASHER_ROLE(), deployer.address));
  const maxReward = await staking.MAX_REWARD_PPM();
  record(
    "slash",
    await mined(
      staking.connect(deployer).slash(permitStaker.address, minimumStake / 10n, challenger.address, maxReward),
    ),
  );

  return gas;
}
