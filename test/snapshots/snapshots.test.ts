import { expect } from "chai";
import fs from "node:fs";
import path from "node:path";
import hre from "hardhat";

import { benchDisputes, disputeGasKeys } from "../../bench/disputes";
import { benchGeneration } from "../../bench/generation";
import { benchInference } from "../../bench/inference";
import { benchLmOneStep } from "../../bench/lm";
import { benchRedundant } from "../../bench/redundant";
import { benchStakingRegistry } from "../../bench/registry";
import { benchTee } from "../../bench/tee";
import { UNDER_COVERAGE } from "../helpers/coverage";

/**
 * Committed snapshots, in the spirit of Uniswap v4's: the runtime bytecode size of every protocol contract
 * (`test/snapshots/contract-sizes.json`) and the gas of the benchmarked paths (`bench/results.json`, written by
 * `npm run bench`: every scalar `gas.*` key except `zkCommit` and `zkVerify`, whose circuit needs a Groth16 setup
 * at 2^11 that nothing else in `npm test` pays for; the per-operator one-step maxima `gas.oneStepMax.<Op>` take two
 * minutes to measure and are held to the 5M bound by test/executor/step-witness.test.ts instead). A test fails when
 * a contract or a path grows past its snapshot, so that a change that costs
 * bytes or gas must update the snapshot in the same commit and say why. Shrinking passes (and is printed), until the
 * snapshot is refreshed: `UPDATE_SNAPSHOTS=1 npx hardhat test test/snapshots/snapshots.test.ts` for the sizes,
 * `npm run bench` for the gas.
 */

/** Every contract deployed on-chain stays at or below 23,000 bytes, 1.5 kB under EIP-170's 24,576. */
const MAX_CONTRACT_BYTES = 23_000;
const SIZES = path.join(__dirname, "contract-sizes.json");
const RESULTS = path.join(__dirname, "..", "..", "bench", "results.json");

async function protocolSizes(): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  for (const name of await hre.artifacts.getAllFullyQualifiedNames()) {
    if (!name.startsWith("contracts/") || name.startsWith("contracts/mocks/")) continue;
    const artifact = await hre.artifacts.readArtifact(name);
    const bytes = (artifact.deployedBytecode.length - 2) / 2;
    if (bytes > 0) sizes[artifact.contractName] = bytes;
  }
  return Object.fromEntries(Object.entries(sizes).sort(([a], [b]) => a.localeCompare(b)));
}

/** The entries of `now` that grew past `snapshot` (plus their `slack`), or are missing from it. */
function compare(
  kind: string,
  snapshot: Record<string, number>,
  now: Record<string, number>,
  slack: Record<string, number> = {},
): string[] {
  const grown: string[] = [];
  for (const [key, value] of Object.entries(now)) {
    const before = snapshot[key];
    if (before === undefined) grown.push(`${kind} ${key}: ${value}, not in the snapshot`);
    else if (value > before + (slack[key] ?? 0))
      grown.push(`${kind} ${key}: ${before} -> ${value} (+${value - before})`);
    else if (value < before - (slack[key] ?? 0)) console.log(`      ${kind} ${key} shrank: ${before} -> ${value}`);
  }
  return grown;
}

// Instrumented contracts are larger and cost more gas: the snapshots only mean something on the real bytecode.
(UNDER_COVERAGE ? describe.skip : describe)("snapshots (contract sizes and gas)", function () {
  this.timeout(600_000);

  it("D3: every protocol contract is at most 23,000 bytes and no larger than its committed size", async function () {
    await hre.run("compile", { quiet: true });
    const sizes = await protocolSizes();
    if (process.env.UPDATE_SNAPSHOTS === "1") fs.writeFileSync(SIZES, JSON.stringify(sizes, null, 2) + "\n");
    const snapshot = JSON.parse(fs.readFileSync(SIZES, "utf8")) as Record<string, number>;
    const over = Object.entries(sizes).filter(([, bytes]) => bytes > MAX_CONTRACT_BYTES);
    expect(over, "contracts over 23,000 bytes").to.deep.equal([]);
    expect(compare("size", snapshot, sizes), "grown past test/snapshots/contract-sizes.json").to.deep.equal([]);
  });

  it("D3: no benchmarked path costs more gas than bench/results.json records", async function () {
    const snapshot = (JSON.parse(fs.readFileSync(RESULTS, "utf8")) as { gas: Record<string, number> }).gas;
    const quiet = () => undefined;
    const inference = await benchInference();
    const now: Record<string, number> = {
      ...(await benchStakingRegistry()),
      ...inference,
      ...disputeGasKeys(await benchDisputes(quiet)),
      ...(await benchRedundant(quiet)),
      ...(await benchTee()),
      ...(await benchGeneration(quiet)),
      oneStepMaxLm: await benchLmOneStep(quiet),
    };
    // Signatures (permit, enclave) vary in their zero bytes, hence in calldata gas, by a few dozen gas per run.
    const slack: Record<string, number> = { attest: 64, teeCommit: 128, teeEquivocation: 256 };
    expect(compare("gas", snapshot, now, slack), "grown past bench/results.json").to.deep.equal([]);
  });
});
