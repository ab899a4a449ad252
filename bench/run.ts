/**
 * `npm run bench`: gas per protocol operation, measured from the receipts of realistic calls on Hardhat's in-process
 * network, on contracts deployed by the Ignition module with the local parameters. Prints a table and writes
 * bench/results.json under `gas` (other top-level keys are kept). If bench/executor.ts exports benchExecutor(),
 * its result is stored under `executor`.
 *
 * The calls, each by an account doing it for the first time (cold storage, the expensive and common case):
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
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";

import { VerificationMode } from "../scripts/lib/constants";
import { cidV1Raw } from "../scripts/lib/model";
import { deployProtocol, mined, printTable, signPermit } from "../scripts/lib/protocol";

const RESULTS = path.join(__dirname, "results.json");
const EXECUTOR_BENCH = path.join(__dirname, "executor.ts");

/** The aims; reported, not enforced. */
const AIMS: Record<string, number> = { stake: 80_000, registerNode: 150_000 };

const GAS_KEYS = [
  "stake",
  "stakeWithPermit",
  "thaw",
  "withdraw",
  "slash",
  "registerNode",
  "publishModel",
  "publishVersion",
] as const;
type GasKey = (typeof GAS_KEYS)[number];

async function measureGas(): Promise<Record<GasKey, number>> {
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
    artifactCid: cidV1Raw(ethers.toUtf8Bytes(`bench model ${salt}`)),
    programDigest: ethers.id(`program ${salt}`),
    weightsRoot: ethers.id(`weights ${salt}`),
    layerCount: 4,
    inputShape: [1, 784],
    outputShape: [1, 10],
    modes: VerificationMode.NONE | VerificationMode.OPTIMISTIC,
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
  const { v, r, s } = await signPermit(hre, token, permitStaker, stakingAddress, minimumStake, deadline);
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

async function main(): Promise<void> {
  const results: Record<string, unknown> = existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, "utf8")) as Record<string, unknown>)
    : {};

  const gas = await measureGas();
  results.gas = Object.fromEntries(GAS_KEYS.map((key) => [key, gas[key]]));
  console.log("\nGas per operation (receipt gasUsed, in-process Hardhat network, optimizer 10,000 runs)");
  printTable(
    ["operation", "gas", "aim", "status"],
    GAS_KEYS.map((key) => [
      key,
      gas[key].toLocaleString("en-US"),
      AIMS[key] === undefined ? "" : `<= ${AIMS[key].toLocaleString("en-US")}`,
      AIMS[key] === undefined ? "" : gas[key] <= AIMS[key] ? "ok" : "OVER",
    ]),
  );

  let executorFailure: unknown;
  if (existsSync(EXECUTOR_BENCH)) {
    try {
      const module = (await import(EXECUTOR_BENCH)) as { benchExecutor?: () => Promise<unknown> };
      if (typeof module.benchExecutor !== "function")
        throw new Error("bench/executor.ts does not export benchExecutor()");
      console.log("\nExecutor benchmark (bench/executor.ts)...");
      results.executor = await module.benchExecutor();
      console.log(JSON.stringify(results.executor, null, 2));
    } catch (error) {
      executorFailure = error;
    }
  } else {
    console.log("\nbench/executor.ts is absent: no executor figures recorded.");
  }

  writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
  console.log(`\nWrote ${path.relative(process.cwd(), RESULTS)}`);
  if (executorFailure !== undefined) {
    console.error("\nThe executor benchmark FAILED; the gas figures were written, `executor` was left as it was:");
    console.error(executorFailure);
    process.exitCode = 1;
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
