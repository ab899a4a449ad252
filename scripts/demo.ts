/**
 * `npm run demo`: the whole protocol, end to end, on Hardhat's in-process network, in well under two minutes.
 *
 *   1. Deploy every contract through the Ignition module (ignition/modules/Protocol.ts, local parameters), roles
 *      wired: the InferenceManager may lock stake, the DisputeManager may slash, jail and settle disputes.
 *   2. A publisher publishes both demo models (MLP and CNN) with the commitments the reference executor computes
 *      from models/*.onnx: artifact CID, program digest, weights root, layer count, shapes.
 *   3. Two operators stake the minimum with an EIP-2612 permit and register nodes serving both models. One is
 *      honest; the other will lie.
 *   4. A requester asks for inferences on held-out digits. Each node runs the integer program and commits its
 *      output with the Merkle root of its whole trace. The dishonest node changes one byte of one intermediate
 *      state and recomputes everything after it, so that its trace is consistent everywhere but at one step.
 *   5. A challenger (a watchtower) re-runs every committed request from the input in the `InferenceRequested`
 *      event, disputes the one that differs, and both sides play the verification game with the executor's
 *      DisputePlayer until the on-chain one-step verifier recomputes the disputed byte.
 *   6. The liar is slashed and jailed, the challenger is paid, the requester refunded; after the challenge window
 *      the honest results are final and the honest node claims its fees.
 *   7. Closing tables: who was paid and who was slashed, the gas of every action, each prediction next to its label.
 */
import hre from "hardhat";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, type ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { driveDispute, Outcome } from "../executor/dispute/driver";
import { DisputePlayer } from "../executor/dispute/player";
import { honestView, tamperedView, type PartyView } from "../executor/dispute/view";
import { cidOf } from "../executor/model/cid";
import { bytesOf } from "../executor/trace/trace";
import { NodeStatus, VerificationMode } from "./lib/constants";
import { demoModel, readDigits, type DemoModelName } from "./lib/demo-models";
import { deployProtocol, mined, printTable, signPermit } from "./lib/protocol";

/** The fee of each demo model version, in VRT (the requester pays exactly this). */
const FEE = 1n;
/** Held-out digits the requester asks about, which model and which node (the last one is the dishonest node). */
const JOBS: { digit: number; model: DemoModelName; node: "honest" | "dishonest" }[] = [
  { digit: 0, model: "mlp", node: "honest" },
  { digit: 1, model: "mlp", node: "honest" },
  { digit: 2, model: "cnn", node: "honest" },
  { digit: 3, model: "mlp", node: "dishonest" },
];

function argmax(state: Int8Array): number {
  let best = 0;
  for (let i = 1; i < state.length; i++) if (state[i] > state[best]) best = i;
  return best;
}

/**
 * The dishonest node's lies: byte 40 of the first hidden state S1 changed (past its first 32-byte chunk, so the
 * bisection has a chunk tree to descend), then, further on, the first (step, byte) whose change flips the predicted
 * digit, so the lie matters to the requester. Every state after each change is recomputed from it, so the trace is
 * consistent everywhere but at those steps (the hardest kind to catch); the challenger disputes the first.
 */
function liarView(honest: PartyView): { view: PartyView; lies: string[] } {
  const L = honest.program.layers.length;
  const truth = argmax(honest.states[L]);
  const base = tamperedView(honest, 1, 40, { delta: 100 });
  const lies = ["byte 40 of S1"];
  for (let step = 2; step <= L; step++) {
    for (let byte = 0; byte < Math.min(base.states[step].length, 256); byte++) {
      const view = tamperedView(base, step, byte, { delta: 100 });
      if (argmax(view.states[L]) !== truth) return { view, lies: [...lies, `byte ${byte} of S${step}`] };
    }
  }
  return { view: base, lies };
}

const vrt = (wei: bigint) => `${hre.ethers.formatEther(wei)} VRT`;
const signed = (wei: bigint) => (wei > 0n ? "+" : wei < 0n ? "-" : "") + vrt(wei < 0n ? -wei : wei);

async function main(): Promise<void> {
  const { ethers } = hre;
  const started = Date.now();
  const [deployer, publisher, honest, dishonest, requester, challenger, keeper] = await ethers.getSigners();
  const ONE = ethers.parseEther("1");
  const gasRows: [string, string, bigint][] = [];
  const send = async (who: string, action: string, tx: Promise<ContractTransactionResponse>) => {
    const receipt = await mined(tx);
    gasRows.push([who, action, receipt.gasUsed]);
    return receipt;
  };
  const names = new Map<string, string>([
    [honest.address, "honest node"],
    [dishonest.address, "dishonest node"],
  ]);

  console.log(`\nVerity demo: in-process Hardhat network, chain id ${(await ethers.provider.getNetwork()).chainId}`);

  // 1. Deploy.
  console.log("\n1. The governor deploys the whole protocol with ignition/modules/Protocol.ts (local parameters).");
  const protocol = await deployProtocol(hre);
  const { token, staking, modelRegistry, nodeRegistry, inferenceManager, disputeManager } = protocol;
  for (const d of protocol.deploymentGas) gasRows.push(["governor", `deploy ${d.contract}`, d.gasUsed]);
  printTable(
    ["contract", "address", "deployment gas"],
    protocol.deploymentGas.map((d) => [d.contract, d.address, d.gasUsed]),
  );
  const window = await inferenceManager.challengeWindow();
  const bond = await disputeManager.bond();
  const game = await disputeManager.maxGameDuration();
  const thawing = await staking.thawingPeriod();
  const minimumStake = await staking.minimumStake();
  const multiplier = await inferenceManager.collateralMultiplier();
  console.log(
    `   Challenge window ${window} s; challenger bond ${vrt(bond)}; chess clock ${await disputeManager.moveClock()} s` +
      ` per side (+${await disputeManager.clockExtension()} s near expiry), so a game lasts at most ${game} s;` +
      ` slash reward ${Number(await disputeManager.rewardPpm()) / 10_000}%; collateral = fee x ${multiplier}.`,
  );
  console.log(
    `   Thawing period ${thawing} s >= window + 2 x longest game = ${window + 2n * game} s: ` +
      (thawing >= window + 2n * game ? "yes, stake cannot leave before a dispute ends." : "NO (check parameters)."),
  );

  // 2. Publish both demo models with their real commitments.
  console.log("\n2. The publisher publishes both demo models, committed by the reference executor.");
  const versionOf = new Map<DemoModelName, bigint>();
  const modelRows: string[][] = [];
  for (const name of ["mlp", "cnn"] as const) {
    const m = demoModel(name);
    const p = m.program;
    const receipt = await send(
      "publisher",
      `publishModel digits-${name}`,
      modelRegistry.connect(publisher).publishModel(`digits-${name}`, {
        artifactCid: m.artifactCid,
        programDigest: m.programDigest,
        weightsRoot: m.weights.root,
        layerCount: p.layers.length,
        inputShape: [...p.inputShape],
        outputShape: [...p.outputShape],
        modes: VerificationMode.OPTIMISTIC | VerificationMode.NONE,
        fee: FEE * ONE,
      }),
    );
    const event = receipt.logs
      .map((log) => modelRegistry.interface.parseLog(log))
      .find((parsed) => parsed?.name === "ModelVersionPublished");
    if (!event) throw new Error("publishModel emitted no ModelVersionPublished");
    versionOf.set(name, event.args.versionId as bigint);
    modelRows.push([
      `digits-${name}`,
      String(event.args.versionId),
      cidOf(m.onnx),
      `${m.weights.root.slice(0, 18)}…`,
      String(p.layers.length),
      `[${p.inputShape.join(",")}] -> [${p.outputShape.join(",")}]`,
    ]);
  }
  printTable(["model", "version", "artifact CID (models/*.onnx)", "weights root", "steps L", "shapes"], modelRows);

  // 3. Two operators stake with a permit and register.
  // Eligibility needs the minimum stake free, and each commitment locks fee x multiplier more of it.
  const stake = minimumStake + 100n * ONE;
  console.log(
    `\n3. Two operators each stake ${vrt(stake)} (the minimum + room for collateral) with an EIP-2612 permit, and ` +
      "register nodes serving both models.",
  );
  const versions = [versionOf.get("mlp")!, versionOf.get("cnn")!];
  for (const [who, operator, port] of [
    ["honest node", honest, 7001],
    ["dishonest node", dishonest, 7002],
  ] as const) {
    await send("governor", `fund ${who}`, token.connect(deployer).transfer(operator.address, stake));
    const deadline = BigInt((await ethers.provider.getBlock("latest"))!.timestamp + 3600);
    const { v, r, s } = await signPermit(token, operator, await staking.getAddress(), stake, deadline);
    await send(who, "stakeWithPermit", staking.connect(operator).stakeWithPermit(stake, deadline, v, r, s));
    await send(who, "register", nodeRegistry.connect(operator).register(`http://127.0.0.1:${port}`, versions));
    console.log(`   ${who} ${operator.address}: staked ${vrt(stake)}, serving versions ${versions.join(", ")}`);
  }

  // Everyone's balances from here on, for the closing table.
  const requesterFunds = 100n * ONE;
  await send("governor", "fund requester", token.connect(deployer).transfer(requester.address, requesterFunds));
  await send("governor", "fund challenger", token.connect(deployer).transfer(challenger.address, bond));
  await send(
    "requester",
    "approve InferenceManager",
    token.connect(requester).approve(await inferenceManager.getAddress(), ethers.MaxUint256),
  );
  await send(
    "challenger",
    "approve DisputeManager",
    token.connect(challenger).approve(await disputeManager.getAddress(), ethers.MaxUint256),
  );
  const burn = await staking.BURN_ADDRESS();
  const accounts: [string, string][] = [
    ["requester", requester.address],
    ["honest node", honest.address],
    ["dishonest node", dishonest.address],
    ["challenger", challenger.address],
    ["burned (0x…dEaD)", burn],
  ];
  const snapshot = async () =>
    Promise.all(
      accounts.map(async ([, a]) => ({ wallet: await token.balanceOf(a), stake: await staking.totalStake(a) })),
    );
  const before = await snapshot();

  // 4. Requests, computed and committed by the nodes.
  console.log(`\n4. The requester asks for ${JOBS.length} held-out digits, ${FEE} VRT each, naming the node.`);
  const digits = readDigits("digits-test.json");
  const signer = { honest, dishonest };
  interface Job {
    requestId: bigint;
    model: DemoModelName;
    label: number;
    node: HardhatEthersSigner;
    truth: number;
    committed: number;
    view: PartyView;
  }
  const jobs: Job[] = [];
  for (const job of JOBS) {
    const m = demoModel(job.model);
    const s0 = m.quantize(digits.images[job.digit]);
    const node = signer[job.node];
    const receipt = await send(
      "requester",
      `request (${job.model})`,
      inferenceManager
        .connect(requester)
        .request(
          versionOf.get(job.model)!,
          bytesOf(s0),
          FEE * ONE,
          node.address,
          VerificationMode.OPTIMISTIC,
          ethers.ZeroAddress,
          0,
        ),
    );
    const event = receipt.logs
      .map((log) => inferenceManager.interface.parseLog(log))
      .find((parsed) => parsed?.name === "InferenceRequested");
    if (!event) throw new Error("request emitted no InferenceRequested");
    const requestId = event.args.requestId as bigint;

    // The node reads the input from the event and runs the integer program.
    const input = new Int8Array(ethers.getBytes(event.args.input as string).buffer.slice(0));
    const truthful = honestView(m.program, input, m.weights);
    const L = m.program.layers.length;
    let view = truthful;
    let note = "runs the program and commits the real result";
    if (job.node === "dishonest") {
      const lie = liarView(truthful);
      view = lie.view;
      note = `changes ${lie.lies.join(", then ")} (of S0..S${L}), recomputing the states after each`;
    }
    const output = view.states[L];
    await send(
      names.get(node.address)!,
      `commit (${job.model})`,
      inferenceManager.connect(node).commit(requestId, bytesOf(output), view.trace.traceRoot),
    );
    jobs.push({
      requestId,
      model: job.model,
      label: digits.labels[job.digit],
      node,
      truth: argmax(truthful.states[L]),
      committed: argmax(output),
      view,
    });
    console.log(
      `   request ${requestId}: digit #${job.digit} on ${job.model} -> ${names.get(node.address)}, which ${note};` +
        ` it commits prediction ${argmax(output)} and trace root ${view.trace.traceRoot.slice(0, 14)}…`,
    );
  }

  // 5. The challenger re-runs every commitment from the chain's own data and disputes the wrong one.
  console.log("\n5. A challenger re-runs every committed request from the input in its InferenceRequested event.");
  const disputed: { job: Job; disputeId: bigint; view: PartyView }[] = [];
  for (const job of jobs) {
    const [requested] = await inferenceManager.queryFilter(inferenceManager.filters.InferenceRequested(job.requestId));
    const [committed] = await inferenceManager.queryFilter(inferenceManager.filters.ResultCommitted(job.requestId));
    const m = demoModel(job.model);
    const input = new Int8Array(ethers.getBytes(requested.args.input).buffer.slice(0));
    const mine = honestView(m.program, input, m.weights);
    const L = m.program.layers.length;
    const agrees =
      committed.args.outputHash === keccak256(bytesOf(mine.states[L])) &&
      committed.args.traceRoot === mine.trace.traceRoot;
    if (agrees) {
      console.log(`   request ${job.requestId}: same output and same trace root. Nothing to dispute.`);
      continue;
    }
    const disputeId = (await disputeManager.disputeCount()) + 1n;
    await send(
      "challenger",
      "openDispute",
      disputeManager
        .connect(challenger)
        .openDispute(job.requestId, committed.args.outputHash, committed.args.traceRoot),
    );
    console.log(
      `   request ${job.requestId}: the trace root differs. The challenger opens dispute ${disputeId}, posting ` +
        `${vrt(bond)}; the request's ${vrt(multiplier * FEE * ONE)} of collateral stays locked.`,
    );
    disputed.push({ job, disputeId, view: mine });
  }

  // 6. The game.
  for (const { job, disputeId, view } of disputed) {
    const d0 = await disputeManager.getDispute(disputeId);
    console.log(
      `\n6. Dispute ${disputeId}: the verification game over request ${job.requestId}'s ${d0.layerCount} steps. ` +
        "Each side's moves are computed by executor/dispute/player.ts from its own trace.",
    );
    const players = {
      node: new DisputePlayer("node", job.view, disputeManager.connect(job.node)),
      challenger: new DisputePlayer("challenger", view, disputeManager.connect(challenger)),
    };
    const explain: Record<string, string> = {
      revealStateRoots: "reveals the root of every state S0..SL (checked against the trace root, input and output)",
      selectStep: "names the first step whose output root it disputes (the state before it agrees)",
      revealChildren: "reveals the two halves of the disputed state's chunk tree",
      chooseChild: "descends into the half that differs from its own",
      openChunk: "opens the 32-byte chunk the bisection reached",
      proveStep: "names the wrong byte; the on-chain verifier recomputes it from the agreed state and the weights",
    };
    const result = await driveDispute(disputeManager, disputeId, job.node.address, players, {
      onMove: (move) => {
        const who = move.side === "node" ? names.get(job.node.address)! : "challenger";
        gasRows.push([who, move.name.replace(/\(.*\)$/, ""), move.gasUsed]);
        const what = explain[move.name.replace(/\(.*\)$/, "")] ?? "";
        console.log(`   ${who.padEnd(14)} ${move.name.padEnd(22)} ${String(move.gasUsed).padStart(9)} gas  ${what}`);
      },
    });
    const resolved = await disputeManager.queryFilter(disputeManager.filters.DisputeResolved(disputeId));
    const reason = resolved[0]?.args.reason ?? "";
    console.log(
      `   Outcome: ${Outcome[result.outcome]} (${reason}) after ${result.moves.length} moves, ` +
        `${result.gas.toLocaleString("en-US")} gas for the moves.`,
    );
    const slashes = await staking.queryFilter(staking.filters.StakeSlashed(job.node.address));
    for (const s of slashes) {
      console.log(
        `   Staking slashed ${names.get(job.node.address)} by ${vrt(s.args.amount)}: ${vrt(s.args.reward)} to the ` +
          `challenger, the rest burned. Node status: ${NodeStatus[Number(await nodeRegistry.statusOf(job.node.address))]}.`,
      );
    }
  }

  // 7. Settlement.
  console.log(`\n7. ${window} s later the challenge window is over: the honest results are final.`);
  await time.increase(window + 1n);
  for (const job of jobs) {
    const status = Number(await inferenceManager.statusOf(job.requestId));
    if (status === 3 /* Committed */) {
      await send("anyone", "finalize", inferenceManager.connect(keeper).finalize(job.requestId, "0x", ethers.ZeroHash));
    }
  }
  for (const [who, account] of [
    ["honest node", honest],
    ["requester", requester],
  ] as const) {
    const credit = await inferenceManager.credits(account.address);
    if (credit > 0n) {
      await send(who, "claimCredits (inference)", inferenceManager.connect(account).claimCredits());
      console.log(
        `   ${who} claims ${vrt(credit)} from the InferenceManager (${who === "requester" ? "refund" : "fees"}).`,
      );
    }
  }
  const challengerCredit = await disputeManager.credits(challenger.address);
  if (challengerCredit > 0n) {
    await send("challenger", "claimCredits (dispute)", disputeManager.connect(challenger).claimCredits());
    console.log(`   challenger claims ${vrt(challengerCredit)} from the DisputeManager (bond back + reward).`);
  }

  // Closing tables.
  const after = await snapshot();
  const statusOf = async (address: string) =>
    address === honest.address || address === dishonest.address
      ? `node ${NodeStatus[Number(await nodeRegistry.statusOf(address))]}`
      : "";
  console.log("\nWho was paid and who was slashed (changes since the requests; stake is the node's stake in Staking)");
  printTable(
    ["account", "wallet", "stake", "status"],
    await Promise.all(
      accounts.map(async ([name, address], i) => [
        name,
        signed(after[i].wallet - before[i].wallet),
        (await statusOf(address)) === "" ? "" : signed(after[i].stake - before[i].stake),
        await statusOf(address),
      ]),
    ),
  );

  console.log("\nPredictions (argmax of the committed output S_L) next to each digit's label");
  printTable(
    ["request", "model", "node", "label", "honest prediction", "committed", "settled as"],
    await Promise.all(
      jobs.map(async (job) => [
        String(job.requestId),
        job.model,
        names.get(job.node.address)!,
        String(job.label),
        String(job.truth),
        String(job.committed),
        ["None", "Open", "Assigned", "Committed", "Disputed", "Finalized", "Rejected", "Refunded", "Batched"][
          Number(await inferenceManager.statusOf(job.requestId))
        ] ?? "?",
      ]),
    ),
  );

  console.log("\nGas per action");
  printTable(
    ["#", "by", "action", "gas"],
    gasRows.map(([by, action, gas], i) => [String(i + 1), by, action, gas]),
  );
  const total = gasRows.reduce((sum, [, , gas]) => sum + gas, 0n);
  console.log(`\nTotal gas ${total.toLocaleString("en-US")}; done in ${((Date.now() - started) / 1000).toFixed(1)} s.`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
