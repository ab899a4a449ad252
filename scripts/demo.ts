/**
 * `npm run demo`: the whole protocol, end to end, on Hardhat's in-process network, in well under two minutes.
 * It follows the seven steps of the story, one function each (add a step by adding a function to STEPS):
 *
 *   1. Deploy every contract through the Ignition module (ignition/modules/Protocol.ts, local parameters), roles
 *      wired: the InferenceManager may lock stake, the DisputeManager may slash, jail and settle disputes.
 *   2. A publisher publishes both demo models (MLP and CNN) with the commitments the reference executor computes
 *      from models/*.onnx: artifact CID, program digest, weights root, layer count, shapes.
 *   3. Three operators stake above the minimum with an EIP-2612 permit and register nodes serving both models.
 *      Nodes A and B are honest; node C will lie.
 *   4. A requester asks for inferences on held-out digits, spread over the three nodes and both models. Each node
 *      runs the integer program and commits its output with the Merkle root of its whole trace. Node C changes one
 *      byte of one intermediate state and recomputes everything after it, so that its trace is consistent
 *      everywhere but at one step.
 *   5. While the challenge window is open, a challenger (a watchtower) re-runs every committed request from the
 *      input in its `InferenceRequested` event, and disputes the one that differs, which holds it back. The chain
 *      travels past the window; the honest results finalize and nodes A and B claim their fees.
 *   6. Both sides of the dispute play the verification game with the game's Player until the on-chain
 *      one-step verifier recomputes the disputed byte. Node C is slashed and jailed, the challenger is paid, the
 *      requester refunded.
 *   7. Closing tables: who was paid and who was slashed, the gas of every action, each prediction next to its label.
 *
 * Part two (scripts/lib/demo-modes.ts) shows the other verification modes once each, with their own gas table: a TEE
 * result signed by an attested enclave key, a ZK result with a Groth16 proof, and redundant requests (k = 2) that
 * agree, or disagree and are refereed.
 *
 * Part three (scripts/lib/demo-generation.ts) generates text with the byte-level LM: a prompt answered by an honest
 * node and finalized, then a node that changes one byte in the middle of its answer, caught by the challenger through
 * the game over passes, layers, chunks and bytes, and slashed.
 *
 * `runDemo(hre)` returns the outcome, so test/demo/demo.test.ts can check it.
 */
import type { HardhatRuntimeEnvironment } from "hardhat/types";

import { DisputeBoard } from "../game/boards/dispute";
import { driveGame } from "../game/driver";
import { Outcome } from "../game/enums";
import { Player } from "../game/player";
import { honestView } from "../game/view";
import { cidOf } from "../executor/model/cid";
import { bytesOf } from "../executor/trace/trace";
import { InferenceRequestStatus, NodeStatus, VerificationModes } from "../protocol/constants";
import { Resolution } from "../protocol/constants";
import { argmax, eventOf, GasLedger, liarView, vrt } from "./lib/demo-helpers";
import { demoModel, readDigits, type DemoModelName } from "../models/demo-models";
import {
  balances,
  challengerDisagrees,
  closingTables,
  EXPLAIN,
  type Demo,
  type DemoOutcome as StoryOutcome,
  type Job,
} from "./lib/demo-story";
import { deployProtocol, printTable, signPermit } from "./lib/protocol";

import { generationPart, type GenerationOutcome } from "./lib/demo-generation";
import { otherModes, type ModesOutcome } from "./lib/demo-modes";

export type DemoOutcome = StoryOutcome & { modes: ModesOutcome; generation: GenerationOutcome };

/** The fee of each demo model version, in VRT (the requester pays exactly this). */
const FEE = 1n;
/** Each operator stakes the minimum plus this many VRT, the room its commitments' collateral locks take. */
const STAKE_ABOVE_MINIMUM = 100n;
/** The three operators; the last one lies. */
const OPERATORS = [
  { name: "node A", honest: true, port: 7001 },
  { name: "node B", honest: true, port: 7002 },
  { name: "node C", honest: false, port: 7003 },
] as const;
type NodeName = (typeof OPERATORS)[number]["name"];
/**
 * Held-out digits the requester asks about (index into models/digits-test.json), which model and which node, in two
 * rounds half an hour apart: the first round's challenge windows close while node C's result is still challengeable.
 */
const JOBS: { digit: number; model: DemoModelName; node: NodeName; round: 1 | 2 }[] = [
  { digit: 0, model: "mlp", node: "node A", round: 1 },
  { digit: 1, model: "cnn", node: "node A", round: 1 },
  { digit: 2, model: "mlp", node: "node B", round: 1 },
  { digit: 3, model: "cnn", node: "node B", round: 1 },
  { digit: 4, model: "mlp", node: "node C", round: 2 },
];
/** Seconds between the two rounds of requests. */
const ROUND_GAP = 1800;

const ONE = 10n ** 18n;

// -- 1. Deploy ---------------------------------------------------------------------------------------------------

async function deploy(d: Demo): Promise<void> {
  console.log("\n1. The governor deploys the whole protocol with ignition/modules/Protocol.ts (local parameters).");
  const { staking, inferenceManager, disputeManager, deploymentGas } = d.protocol;
  for (const row of deploymentGas) d.gas.record("governor", `deploy ${row.contract}`, row.gasUsed);
  printTable(
    ["contract", "address", "deployment gas"],
    deploymentGas.map((row) => [row.contract, row.address, row.gasUsed]),
  );
  const window = await inferenceManager.challengeWindow();
  const game = await disputeManager.maxGameDuration();
  const thawing = await staking.thawingPeriod();
  console.log(
    `   Challenge window ${window} s; challenger bond ${vrt(await disputeManager.bond())}; chess clock ` +
      `${await disputeManager.moveClock()} s per side (+${await disputeManager.clockExtension()} s near expiry), so a ` +
      `game lasts at most ${game} s; slash reward ${Number(await disputeManager.rewardPpm()) / 10_000}%; ` +
      `collateral = fee x ${await inferenceManager.collateralMultiplier()}.`,
  );
  console.log(
    `   Thawing period ${thawing} s >= window + 2 x longest game = ${window + 2n * game} s: ` +
      (thawing >= window + 2n * game ? "yes, stake cannot leave before a dispute ends." : "NO (check parameters)."),
  );
}

// -- 2. Publish ---------------------------------------------------------------------------------------------------

async function publish(d: Demo): Promise<void> {
  console.log("\n2. The publisher publishes both demo models, committed by the reference executor.");
  const { modelRegistry } = d.protocol;
  const rows: string[][] = [];
  for (const name of ["mlp", "cnn"] as const) {
    const m = demoModel(name);
    const p = m.program;
    const receipt = await d.gas.send(
      "publisher",
      `publishModel digits-${name}`,
      modelRegistry.connect(d.people.publisher).publishModel(`digits-${name}`, {
        artifactCid: m.artifactCid,
        programDigest: m.programDigest,
        weightsRoot: m.weights.root,
        layerCount: p.layers.length,
        inputShape: [...p.inputShape],
        outputShape: [...p.outputShape],
        modes: VerificationModes.OPTIMISTIC | VerificationModes.NONE | VerificationModes.TEE,
        fee: FEE * ONE,
      }),
    );
    const versionId = eventOf(modelRegistry.interface, receipt, "ModelVersionPublished").args.versionId as bigint;
    d.versionOf.set(name, versionId);
    rows.push([
      `digits-${name}`,
      String(versionId),
      cidOf(m.onnx),
      `${m.weights.root.slice(0, 18)}…`,
      String(p.layers.length),
      `[${p.inputShape.join(",")}] -> [${p.outputShape.join(",")}]`,
    ]);
  }
  printTable(["model", "version", "artifact CID (models/*.onnx)", "weights root", "steps L", "shapes"], rows);
}

// -- 3. Stake and register ----------------------------------------------------------------------------------------

async function stakeAndRegister(d: Demo): Promise<void> {
  const { ethers } = d.hre;
  const { token, staking, nodeRegistry, inferenceManager } = d.protocol;
  const minimum = await staking.minimumStake();
  const stake = minimum + STAKE_ABOVE_MINIMUM * ONE;
  const collateral = FEE * ONE * (await inferenceManager.collateralMultiplier());
  console.log(
    `\n3. Three operators each stake ${vrt(stake)} with an EIP-2612 permit and register nodes serving both models.` +
      `\n   A node is eligible while its free stake is at least the minimum (${vrt(minimum)}), and every commitment` +
      ` locks fee x multiplier = ${vrt(collateral)} of it as collateral: a node staked at exactly the minimum would` +
      ` become ineligible after its first commitment, so each stakes ${vrt(STAKE_ABOVE_MINIMUM * ONE)} more.`,
  );
  const versions = [d.versionOf.get("mlp")!, d.versionOf.get("cnn")!];
  for (const node of d.operators) {
    const operator = node.signer;
    await d.gas.send(
      "governor",
      `fund ${node.name}`,
      token.connect(d.people.governor).transfer(operator.address, stake),
    );
    const deadline = BigInt((await ethers.provider.getBlock("latest"))!.timestamp + 3600);
    const { v, r, s } = await signPermit(token, operator, await staking.getAddress(), stake, deadline);
    await d.gas.send(node.name, "stakeWithPermit", staking.connect(operator).stakeWithPermit(stake, deadline, v, r, s));
    await d.gas.send(
      node.name,
      "register",
      nodeRegistry.connect(operator).register(`http://127.0.0.1:${node.port}`, versions),
    );
    console.log(
      `   ${node.name} (${node.honest ? "honest" : "dishonest"}) ${operator.address}: staked ${vrt(stake)}, ` +
        `serving versions ${versions.join(", ")}`,
    );
  }
}

// -- 4. Requests --------------------------------------------------------------------------------------------------

async function requestAndCommit(d: Demo): Promise<void> {
  const { ethers } = d.hre;
  const { token, inferenceManager, disputeManager, staking } = d.protocol;
  const { governor, requester, challenger } = d.people;
  // Fund the requester and the challenger, and note everyone's balances for the closing table.
  await d.gas.send("governor", "fund requester", token.connect(governor).transfer(requester.address, 100n * ONE));
  await d.gas.send(
    "governor",
    "fund challenger",
    token.connect(governor).transfer(challenger.address, await disputeManager.bond()),
  );
  await d.gas.send(
    "requester",
    "approve InferenceManager",
    token.connect(requester).approve(await inferenceManager.getAddress(), ethers.MaxUint256),
  );
  await d.gas.send(
    "challenger",
    "approve DisputeManager",
    token.connect(challenger).approve(await disputeManager.getAddress(), ethers.MaxUint256),
  );
  d.accounts = [
    { name: "requester", address: requester.address },
    ...d.operators.map((node) => ({
      name: `${node.name} (${node.honest ? "honest" : "dishonest"})`,
      address: node.signer.address,
      node,
    })),
    { name: "challenger", address: challenger.address },
    { name: "burned (0x…dEaD)", address: await staking.BURN_ADDRESS() },
  ];
  d.before = await balances(d);

  console.log(
    `\n4. The requester asks for ${JOBS.length} held-out digits, ${FEE} VRT each, naming the node.` +
      " Each node reads the input from the InferenceRequested event, runs the integer program and commits.",
  );
  const digits = readDigits("digits-test.json");
  let round = 0;
  for (const spec of JOBS) {
    if (spec.round !== round) {
      if (round > 0) {
        console.log(
          `   Round ${spec.round}, ${ROUND_GAP / 60} minutes later (time travel), so that its result is still inside` +
            " its challenge window when round 1's windows close:",
        );
        await d.hre.network.provider.send("evm_increaseTime", [ROUND_GAP]);
        await d.hre.network.provider.send("evm_mine", []);
      } else console.log(`   Round ${spec.round}:`);
      round = spec.round;
    }
    const m = demoModel(spec.model);
    const node = d.operators.find((o) => o.name === spec.node)!;
    const receipt = await d.gas.send(
      "requester",
      `request (${spec.model})`,
      inferenceManager
        .connect(requester)
        .request(
          d.versionOf.get(spec.model)!,
          bytesOf(m.quantize(digits.images[spec.digit])),
          FEE * ONE,
          node.signer.address,
          VerificationModes.OPTIMISTIC,
          ethers.ZeroAddress,
          0,
        ),
    );
    const event = eventOf(inferenceManager.interface, receipt, "InferenceRequested");
    const requestId = event.args.requestId as bigint;

    // The node reads the input from the event and runs the integer program.
    const input = new Int8Array(ethers.getBytes(event.args.input as string).buffer.slice(0));
    const truthful = honestView(m.program, input, m.weights);
    const L = m.program.layers.length;
    let view = truthful;
    let note = "runs the program and commits the real result";
    if (!node.honest) {
      const lie = liarView(truthful);
      view = lie.view;
      note = `changes ${lie.lies.join(", then ")} (of S0..S${L}), recomputing the states after each`;
    }
    const output = view.states[L];
    await d.gas.send(
      node.name,
      `commit (${spec.model})`,
      inferenceManager.connect(node.signer).commit(requestId, bytesOf(output), view.trace.traceRoot),
    );
    d.jobs.push({
      requestId,
      digit: spec.digit,
      model: spec.model,
      label: digits.labels[spec.digit],
      node,
      truth: argmax(truthful.states[L]),
      committed: argmax(output),
      view,
    });
    console.log(
      `   request ${requestId}: digit #${spec.digit} on ${spec.model} -> ${node.name}, which ${note};` +
        ` it commits prediction ${argmax(output)} and trace root ${view.trace.traceRoot.slice(0, 14)}…`,
    );
  }
}

// -- 5. Honest results finalize after the window --------------------------------------------------------------

async function finalizeAfterWindow(d: Demo): Promise<void> {
  const { ethers } = d.hre;
  const { inferenceManager } = d.protocol;
  const window = await inferenceManager.challengeWindow();
  // The results of the first round: their windows end first.
  const firstEnd = (await inferenceManager.getRequest(d.jobs[0].requestId)).windowEnd;
  const due: Job[] = [];
  for (const job of d.jobs)
    if ((await inferenceManager.getRequest(job.requestId)).windowEnd <= firstEnd + 60n) due.push(job);
  console.log(
    `\n5. Each result can be challenged for ${window} s after its commitment. A challenger (a watchtower) re-runs` +
      " every commitment from the input in its InferenceRequested event, inside the window, and compares its" +
      " output hash and trace root with its own:",
  );
  for (const job of due) {
    if ((await challengerDisagrees(d, job)) !== null) throw new Error(`request ${job.requestId} should be honest`);
    console.log(`   request ${job.requestId} (${job.node.name}): same output and same trace root. Nothing to dispute.`);
  }
  const now = BigInt((await ethers.provider.getBlock("latest"))!.timestamp);
  const last = due.length ? (await inferenceManager.getRequest(due[due.length - 1].requestId)).windowEnd : now;
  const jump = last - now + 1n;
  console.log(
    `   Time travel: ${jump} s pass (evm_increaseTime) and the first round's windows close; anyone may finalize.`,
  );
  await d.hre.network.provider.send("evm_increaseTime", [Number(jump)]);
  await d.hre.network.provider.send("evm_mine", []);
  for (const job of due) {
    await d.gas.send(
      "anyone",
      "finalize",
      inferenceManager.connect(d.people.keeper).finalize(job.requestId, "0x", ethers.ZeroHash),
    );
    console.log(`   request ${job.requestId} finalized: ${job.node.name}'s fee is credited, its collateral unlocked.`);
  }
  for (const node of d.operators) {
    const credit = await inferenceManager.credits(node.signer.address);
    if (credit === 0n) continue;
    await d.gas.send(node.name, "claimCredits (inference)", inferenceManager.connect(node.signer).claimCredits());
    console.log(`   ${node.name} claims ${vrt(credit)} of fees from the InferenceManager (a pull payment).`);
  }
}

// -- 6. The dispute, step by step ---------------------------------------------------------------------------------

async function catchAndDispute(d: Demo): Promise<void> {
  const { inferenceManager, disputeManager, staking, nodeRegistry } = d.protocol;
  const { challenger, requester } = d.people;
  console.log(
    "\n6. Node C's wrong answer is caught: the challenger checks the results still inside their window the same way.",
  );
  const bond = await disputeManager.bond();
  for (const job of d.jobs) {
    if (InferenceRequestStatus[Number(await inferenceManager.statusOf(job.requestId))] !== "Committed") continue;
    const view = await challengerDisagrees(d, job);
    if (view === null) {
      console.log(
        `   request ${job.requestId} (${job.node.name}): same output and same trace root. Nothing to dispute.`,
      );
      continue;
    }
    const [committed] = await inferenceManager.queryFilter(inferenceManager.filters.ResultCommitted(job.requestId));
    const disputeId = (await disputeManager.disputeCount()) + 1n;
    await d.gas.send(
      "challenger",
      "openDispute",
      disputeManager
        .connect(challenger)
        .openDispute(job.requestId, committed.args.outputHash, committed.args.traceRoot),
    );
    const request = await inferenceManager.getRequest(job.requestId);
    console.log(
      `   request ${job.requestId} (${job.node.name}): the trace root differs, so the answer is wrong. The challenger` +
        ` opens dispute ${disputeId}, posting a bond of ${vrt(bond)}; the result cannot finalize while it is` +
        ` disputed, and its ${vrt(request.collateral)} of collateral stays locked.`,
    );
    d.disputes.push({ job, disputeId, view });
  }
  for (const { job, disputeId, view } of d.disputes) {
    const d0 = await disputeManager.getDispute(disputeId);
    console.log(
      `   Dispute ${disputeId}: the verification game over request ${job.requestId}'s ${d0.layerCount} steps,` +
        ` ${job.node.name} against the challenger. Each side's moves are computed by game/player.ts` +
        " from its own trace.",
    );
    const players = {
      node: new Player("node", job.view, new DisputeBoard(disputeManager.connect(job.node.signer))),
      challenger: new Player("challenger", view, new DisputeBoard(disputeManager.connect(challenger))),
    };
    const result = await driveGame(disputeId, players, {
      onMove: (move) => {
        const who = move.side === "node" ? job.node.name : "challenger";
        const name = move.name.replace(/\(.*\)$/, "");
        d.gas.record(who, name, move.gasUsed);
        console.log(
          `   ${who.padEnd(10)} ${move.name.padEnd(22)} ${String(move.gasUsed).padStart(9)} gas  ${EXPLAIN[name] ?? ""}`,
        );
      },
    });
    const [resolved] = await disputeManager.queryFilter(disputeManager.filters.DisputeResolved(disputeId));
    const reason = resolved ? Resolution[Number(resolved.args.reason)] : "";
    console.log(
      `   Outcome: ${Outcome[result.outcome]} (${reason}) after ${result.moves.length} moves, ` +
        `${result.gas.toLocaleString("en-US")} gas for the moves.`,
    );
    for (const s of await staking.queryFilter(staking.filters.StakeSlashed(job.node.signer.address))) {
      const status = NodeStatus[Number(await nodeRegistry.statusOf(job.node.signer.address))];
      console.log(
        `   Staking slashed ${job.node.name} by ${vrt(s.args.amount)}: ${vrt(s.args.reward)} to the challenger, ` +
          `the rest burned. ${job.node.name} is now ${status}: it can take no new requests.`,
      );
    }
  }
  const refund = await inferenceManager.credits(requester.address);
  if (refund > 0n) {
    await d.gas.send("requester", "claimCredits (inference)", inferenceManager.connect(requester).claimCredits());
    console.log(`   The requester claims ${vrt(refund)} from the InferenceManager: the fee of the rejected result.`);
  }
  const won = await disputeManager.credits(challenger.address);
  if (won > 0n) {
    await d.gas.send("challenger", "claimCredits (dispute)", disputeManager.connect(challenger).claimCredits());
    console.log(`   The challenger claims ${vrt(won)} from the DisputeManager: its bond back and the slash reward.`);
  }
}

/** The story, in order. The TEE, ZK and redundant modes add their own steps here. */
const STEPS: ((d: Demo) => Promise<unknown>)[] = [
  deploy,
  publish,
  stakeAndRegister,
  requestAndCommit,
  finalizeAfterWindow,
  catchAndDispute,
];

/** Runs the demo on `hre`'s network (which it deploys to) and returns its outcome. */
export async function runDemo(hre: HardhatRuntimeEnvironment): Promise<DemoOutcome> {
  const { ethers } = hre;
  const [governor, publisher, a, b, c, requester, challenger, keeper] = await ethers.getSigners();
  console.log(`\nVerity demo: in-process Hardhat network, chain id ${(await ethers.provider.getNetwork()).chainId}`);
  const d: Demo = {
    hre,
    protocol: await deployProtocol(hre),
    gas: new GasLedger(),
    people: { governor, publisher, requester, challenger, keeper },
    operators: OPERATORS.map((o, i) => ({ ...o, signer: [a, b, c][i] })),
    versionOf: new Map(),
    jobs: [],
    disputes: [],
    accounts: [],
    before: [],
  };
  for (const step of STEPS) await step(d);
  const outcome = await closingTables(d);
  const modes = await otherModes(d);
  return { ...outcome, modes, generation: await generationPart(d) };
}

if (require.main === module) {
  const started = Date.now();
  // Only when run as a script (npm run demo): the tests import runDemo and pass it their own runtime.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const hre = require("hardhat") as HardhatRuntimeEnvironment;
  runDemo(hre)
    .then((outcome) => {
      console.log(
        `\nTotal gas ${(outcome.totalGas + outcome.modes.gas.total + outcome.generation.gas.total).toLocaleString("en-US")}; done in ${((Date.now() - started) / 1000).toFixed(1)} s.`,
      );
    })
    .catch((error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    });
}
