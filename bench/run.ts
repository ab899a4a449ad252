/**
 * `npm run bench`: gas per protocol operation, measured from the receipts of realistic calls on Hardhat's in-process
 * network, on contracts deployed by the Ignition module with the local parameters. Prints a table and writes
 * bench/results.json under `gas` (other top-level keys are kept), with the inference figures of bench/inference.ts
 * and the dispute figures of bench/disputes.ts, the byte LM's generation figures of bench/generation.ts; the executor's throughput (bench/executor.ts) goes under `executor`.
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

import { VerificationModes } from "../protocol/constants";
import { cidBinaryOf } from "../executor/model/cid";
import { deployProtocol, mined, printTable, signPermit } from "../scripts/lib/protocol";
import { benchDisputes, disputeGasKeys } from "./disputes";
import { benchExecutor } from "./executor";
import { benchGeneration } from "./generation";
import { benchInference } from "./inference";
import { benchLm, benchLmOneStep } from "./lm";
import { benchRedundant } from "./redundant";
import { benchTee } from "./tee";
import { benchNetwork } from "./network";
import { benchOneStep } from "./one-step";
import { benchZk } from "./zk";

const RESULTS = path.join(__dirname, "results.json");

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

/** Aims of issue 4 for the inference and dispute figures (and issue 14's for the byte LM); reported, not enforced. `commit` was 70k until issue 10
 * made every commit read the node's registry status (F2: only Active or Exiting nodes commit), a cold call of ~5.8k
 * of which 1.7k was won back elsewhere: 75k is the aim with that check. */
const PROTOCOL_AIMS: Record<string, number> = {
  commit: 75_000,
  requestCommitFinalize: 250_000,
  commitBatchPerInference256: 5_000,
  oneStepMaxMlp: 5_000_000,
  oneStepMaxCnn: 5_000_000,
  disputeTotalMlp: 10_000_000,
  oneStepMaxLm: 5_000_000,
  disputeTotalLm: 15_000_000,
};

async function main(): Promise<void> {
  const results: Record<string, unknown> = existsSync(RESULTS)
    ? (JSON.parse(readFileSync(RESULTS, "utf8")) as Record<string, unknown>)
    : {};

  const gas = await measureGas();
  const inference = await benchInference();
  console.log("\nPlaying a dispute with a lie at every layer of each demo model (bench/disputes.ts)...");
  const disputes = await benchDisputes((line) => console.log(line));
  console.log("\nRedundant requests (k = 2) and a refereed game with a lie at every layer (bench/redundant.ts)...");
  const redundant = await benchRedundant((line) => console.log(line));
  const tee = await benchTee();
  console.log("\nZK mode: setup, proofs and settlement of the 16-16-10 MLP (bench/zk.ts)...");
  const zk = await benchZk((line) => console.log(line));
  results.zk = zk.zk;
  console.log("\nOne-step proofs of each operator at its largest legal size, through the router (bench/one-step/)...");
  const oneStepOps = await benchOneStep((line) => console.log(line));
  console.log("\nThe byte-level LM's layers: the costliest one-step proof (bench/lm.ts)...");
  const oneStepMaxLm = await benchLmOneStep((line) => console.log(line));
  console.log(
    "\nA 64-byte generation of the byte-level LM: settled, and disputed with a lie at pass 32 (bench/generation.ts)...",
  );
  const generation = await benchGeneration((line) => console.log(line));
  const protocolGas: Record<string, number> = {
    ...inference,
    requestCommitFinalize: inference.request + inference.commit + inference.finalize,
    ...disputeGasKeys(disputes),
    ...redundant,
    attest: tee.attest,
    teeCommit: tee.teeCommit,
    teeEquivocation: tee.teeEquivocation,
    zkCommit: zk.gas.zkCommit,
    zkVerify: zk.gas.zkVerify,
    oneStepMaxLm,
    ...generation,
  };
  results.gas = {
    ...Object.fromEntries(GAS_KEYS.map((key) => [key, gas[key]])),
    ...protocolGas,
    oneStepMax: { ...disputes.oneStepMax, ...oneStepOps },
  };
  const aims = { ...AIMS, ...PROTOCOL_AIMS };
  const rows: [string, number][] = [
    ...GAS_KEYS.map((key): [string, number] => [key, gas[key]]),
    ...Object.entries(protocolGas),
  ];
  console.log("\nGas per operation (receipt gasUsed, in-process Hardhat network, optimizer 10,000 runs)");
  printTable(
    ["operation", "gas", "aim", "status"],
    rows.map(([key, value]) => [
      key,
      value.toLocaleString("en-US"),
      aims[key] === undefined ? "" : `<= ${aims[key].toLocaleString("en-US")}`,
      aims[key] === undefined ? "" : value <= aims[key] ? "ok" : "OVER",
    ]),
  );

  console.log("\nExecutor benchmark (bench/executor.ts)...");
  results.executor = { ...(await benchExecutor()), lm: await benchLm((line) => console.log(line)) };
  console.log(JSON.stringify(results.executor, null, 2));

  console.log(
    "\nNetwork benchmark: 3 node daemons on a local anvil chain, a block a second, then with the challenger and a " +
      "node killed and restarted (bench/network.ts)...",
  );
  results.network = await benchNetwork();
  console.log(JSON.stringify(results.network, null, 2));

  writeFileSync(RESULTS, JSON.stringify(results, null, 2) + "\n");
  console.log(`\nWrote ${path.relative(process.cwd(), RESULTS)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
