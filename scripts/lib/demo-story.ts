/**
 * The shared state of `npm run demo` (scripts/demo.ts), the challenger's check of a commitment, and the closing
 * tables (step 7), so that scripts/demo.ts reads as the story's steps.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { keccak256 } from "ethers";

import { Outcome } from "../../game/enums";
import { honestView, type PartyView } from "../../game/view";
import { bytesOf } from "../../executor/trace/trace";
import { InferenceRequestStatus, NodeStatus } from "../../protocol/constants";
import { signed, type GasLedger } from "./demo-helpers";
import { demoModel, type DemoModelName } from "../../models/demo-models";
import { printTable, signPermit, type Protocol } from "./protocol";

export interface Operator {
  name: string;
  honest: boolean;
  signer: HardhatEthersSigner;
  port: number;
}

export interface Job {
  requestId: bigint;
  digit: number;
  model: DemoModelName;
  label: number;
  node: Operator;
  /** The honest prediction, and the one the node committed. */
  truth: number;
  committed: number;
  /** The node's trace (a tampered one for node C), which its game Player defends. */
  view: PartyView;
}

/** Everything the steps share. */
export interface Demo {
  hre: HardhatRuntimeEnvironment;
  protocol: Protocol;
  gas: GasLedger;
  people: Record<"governor" | "publisher" | "requester" | "challenger" | "keeper", HardhatEthersSigner>;
  operators: Operator[];
  versionOf: Map<DemoModelName, bigint>;
  jobs: Job[];
  disputes: { job: Job; disputeId: bigint; view: PartyView }[];
  /** Accounts of the closing table, and their wallet and stake when the requests started. */
  accounts: { name: string; address: string; node?: Operator }[];
  before: { wallet: bigint; stake: bigint }[];
}

/** What the demo ends with, for the test. */
export interface DemoOutcome {
  accounts: { name: string; address: string; wallet: bigint; stake: bigint; status: string }[];
  jobs: { requestId: bigint; node: string; label: number; truth: number; committed: number; status: string }[];
  disputes: { requestId: bigint; disputeId: bigint; outcome: string }[];
  totalGas: bigint;
}

/**
 * The challenger's check of one commitment: it re-runs the request from the input in its InferenceRequested event
 * and compares output hash and trace root. Returns its own (honest) view when they differ, null when they agree.
 */
export async function challengerDisagrees(d: Demo, job: Job): Promise<PartyView | null> {
  const { inferenceManager } = d.protocol;
  const [requested] = await inferenceManager.queryFilter(inferenceManager.filters.InferenceRequested(job.requestId));
  const [committed] = await inferenceManager.queryFilter(inferenceManager.filters.ResultCommitted(job.requestId));
  const m = demoModel(job.model);
  const mine = honestView(
    m.program,
    new Int8Array(d.hre.ethers.getBytes(requested.args.input).buffer.slice(0)),
    m.weights,
  );
  const L = m.program.layers.length;
  const agrees =
    committed.args.outputHash === keccak256(bytesOf(mine.states[L])) &&
    committed.args.traceRoot === mine.trace.traceRoot;
  return agrees ? null : mine;
}

/** What each move of the game does, for the narration. */
export const EXPLAIN: Record<string, string> = {
  revealStateRoots: "reveals the root of every state S0..SL (checked against the trace root, input and output)",
  selectStep: "names the first step whose output root it disputes (the state before it agrees)",
  revealChildren: "reveals the two halves of the disputed state's chunk tree",
  chooseChild: "descends into the half that differs from its own",
  openChunk: "opens the 32-byte chunk the bisection reached",
  proveStep: "names the wrong byte; the on-chain verifier recomputes it from the agreed state and the weights",
};

// -- Closing tables --------------------------------------------------------------------------------------------

export async function balances(d: Demo): Promise<{ wallet: bigint; stake: bigint }[]> {
  const { token, staking } = d.protocol;
  return Promise.all(
    d.accounts.map(async (a) => ({
      wallet: await token.balanceOf(a.address),
      stake: await staking.totalStake(a.address),
    })),
  );
}

export async function closingTables(d: Demo): Promise<DemoOutcome> {
  const { inferenceManager, nodeRegistry } = d.protocol;
  const after = await balances(d);
  const accounts: DemoOutcome["accounts"] = [];
  for (const [i, a] of d.accounts.entries()) {
    accounts.push({
      name: a.name,
      address: a.address,
      wallet: after[i].wallet - d.before[i].wallet,
      stake: after[i].stake - d.before[i].stake,
      status: a.node ? NodeStatus[Number(await nodeRegistry.statusOf(a.address))] : "",
    });
  }
  console.log(
    "\n7. Who was paid and who was slashed (changes since the requests; stake is the node's stake in Staking)",
  );
  printTable(
    ["account", "wallet", "stake", "node status"],
    accounts.map((a, i) => [a.name, signed(a.wallet), d.accounts[i].node ? signed(a.stake) : "", a.status]),
  );

  const jobs: DemoOutcome["jobs"] = [];
  for (const job of d.jobs) {
    jobs.push({
      requestId: job.requestId,
      node: job.node.name,
      label: job.label,
      truth: job.truth,
      committed: job.committed,
      status: InferenceRequestStatus[Number(await inferenceManager.statusOf(job.requestId))],
    });
  }
  console.log("\nPredictions (argmax of the output S_L) next to each digit's label");
  printTable(
    ["request", "digit #", "model", "node", "label", "honest prediction", "committed", "settled as"],
    d.jobs.map((job, i) => [
      String(job.requestId),
      String(job.digit),
      job.model,
      job.node.name,
      String(job.label),
      String(job.truth),
      String(job.committed),
      jobs[i].status,
    ]),
  );

  console.log("\nGas per action");
  printTable(
    ["#", "by", "action", "gas"],
    d.gas.rows.map(([by, action, gas], i) => [String(i + 1), by, action, gas]),
  );
  const disputes: DemoOutcome["disputes"] = [];
  for (const { job, disputeId } of d.disputes) {
    const [resolved] = await d.protocol.disputeManager.queryFilter(
      d.protocol.disputeManager.filters.DisputeResolved(disputeId),
    );
    disputes.push({
      requestId: job.requestId,
      disputeId,
      outcome: resolved ? Outcome[Number(resolved.args.outcome)] : "Open",
    });
  }
  return { accounts, jobs, disputes, totalGas: d.gas.total };
}

/**
 * A new operator joins after the main story (parts two and three): the governor funds it with the minimum stake plus
 * 100 VRT, it stakes that with a permit and registers at `endpoint` for `versionIds`. Returns its stake.
 */
export async function enlistOperator(
  d: Demo,
  gas: GasLedger,
  node: { name: string; signer: HardhatEthersSigner },
  endpoint: string,
  versionIds: bigint[],
): Promise<bigint> {
  const { staking, token, nodeRegistry } = d.protocol;
  const stake = (await staking.minimumStake()) + 100n * 10n ** 18n;
  await gas.send(
    "governor",
    `fund ${node.name}`,
    token.connect(d.people.governor).transfer(node.signer.address, stake),
  );
  const deadline = BigInt((await d.hre.ethers.provider.getBlock("latest"))!.timestamp + 3600);
  const { v, r, s } = await signPermit(token, node.signer, await staking.getAddress(), stake, deadline);
  await gas.send(node.name, "stakeWithPermit", staking.connect(node.signer).stakeWithPermit(stake, deadline, v, r, s));
  await gas.send(node.name, "register", nodeRegistry.connect(node.signer).register(endpoint, versionIds));
  return stake;
}
