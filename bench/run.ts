/**
 * `npm run bench`: gas per protocol operation, measured from the receipts of realistic calls on Hardhat's in-process
 * network, on contracts deployed by the Ignition module with the local parameters. Prints a table and writes
 * bench/results.json under `gas` (other top-level keys are kept), with the inference figures of bench/inference.ts
 * and the dispute figures of bench/disputes.ts, the byte LM's generation figures of bench/generation.ts; the executor's throughput (bench/executor.ts) goes under `executor`.
 *
 * The staking and registry calls are described in bench/registry.ts.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

import { printTable } from "../scripts/lib/protocol";
import { benchDisputes, disputeGasKeys } from "./disputes";
import { benchExecutor } from "./executor";
import { benchGeneration } from "./generation";
import { benchInference } from "./inference";
import { benchLm, benchLmOneStep } from "./lm";
import { benchRedundant } from "./redundant";
import { benchStakingRegistry, GAS_KEYS } from "./registry";
import { benchTee } from "./tee";
import { benchNetwork } from "./network";
import { benchOneStep } from "./one-step";
import { benchZk } from "./zk";

const RESULTS = path.join(__dirname, "results.json");

/** The aims; reported, not enforced. */
const AIMS: Record<string, number> = { stake: 80_000, registerNode: 150_000 };

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

  const gas = await benchStakingRegistry();
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
