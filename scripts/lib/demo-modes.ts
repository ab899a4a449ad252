/**
 * Part two of `npm run demo`: the verification modes other than OPTIMISTIC, once each (issue 6), after the main
 * story's closing tables (so its accounting stays as told):
 *
 *   - TEE: node A binds a SOFTWARE enclave key, attested by a local attestation service that stands in for a hardware
 *     vendor's chain; its signed result is final at once (scripts/lib/tee-demo.ts).
 *   - Redundant (Verde-style): the same inference from k = 2 nodes that the requester names (only they can commit).
 *     Nodes A and B agree: final at once. Then node A and a new node D disagree: the contract referees a game between them, bisecting the two traces to the first
 *     differing step and re-executing one byte; node D is slashed and node A paid both fees plus the reward.
 *   - ZK: node B proves with Groth16 that output = program(input) for a small MLP (6-4-3: circuits for the digits
 *     models would be too large for a demo) after a LOCAL, development-only setup; the proof settles at once
 *     (scripts/lib/zk-demo.ts).
 */
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { ethers } from "ethers";

import { honestView } from "../../game/view";
import { commitArgs, RedundantBoard } from "../../game/boards/redundant";
import { driveGame } from "../../game/driver";
import { GameOutcome } from "../../game/enums";
import { Player } from "../../game/player";
import { bytesOf } from "../../executor/trace/trace";
import { InferenceRequestStatus } from "../../protocol/constants";
import { argmax, eventOf, GasLedger, liarView, vrt } from "./demo-helpers";
import { demoModel, readDigits } from "../../models/demo-models";
import { enlistOperator, type Demo } from "./demo-story";
import { printTable } from "./protocol";
import { teeDemo } from "./tee-demo";
import { zkDemo } from "./zk-demo";

const ONE = 10n ** 18n;
const FEE = ONE;

/** What part two ends with, for the demo test. */
export interface ModesOutcome {
  tee: { requestId: bigint; status: string; gas: bigint };
  zk: { requestId: bigint; status: string; constraints: number; proveSeconds: number; gas: bigint };
  redundant: {
    agreed: { requestId: bigint; final: boolean };
    disputed: { requestId: bigint; outcome: string; liarSlashed: bigint; winnerCredited: bigint; moves: number };
  };
  gas: GasLedger;
}

/** The first held-out digit from `from` on that the MLP classifies right: its S0 and the honest view of it. */
function digit(from: number) {
  const m = demoModel("mlp");
  const digits = readDigits("digits-test.json");
  for (let index = from; ; index++) {
    const s0 = m.quantize(digits.images[index]);
    const view = honestView(m.program, s0, m.weights);
    if (argmax(view.states[view.program.layers.length]) === digits.labels[index]) {
      return { s0, label: digits.labels[index], view };
    }
  }
}

async function teeMode(d: Demo, gas: GasLedger): Promise<ModesOutcome["tee"]> {
  const nodeA = d.operators[0];
  console.log(
    "\n8. TEE mode: node A runs the executor inside an enclave (here a software stand-in) and signs its result.",
  );
  const { s0, label, view } = digit(10);
  const L = view.program.layers.length;
  const result = await teeDemo({
    inferenceManager: d.protocol.inferenceManager,
    governor: d.people.governor,
    node: nodeA.signer,
    requester: d.people.requester,
    versionId: d.versionOf.get("mlp")!,
    fee: FEE,
    input: bytesOf(s0),
    output: bytesOf(view.states[L]),
    traceRoot: view.trace.traceRoot,
    record: (who, action, tx) => gas.send(who === "node" ? nodeA.name : who, action, tx),
  });
  const status = await d.protocol.inferenceManager.statusOf(result.requestId);
  console.log(
    `   digit label ${label}, prediction ${argmax(view.states[L])}; status ${Number(status) === InferenceRequestStatus.Finalized ? "Finalized" : status}` +
      ` in the block of the settlement (attest ${result.attestGas.toLocaleString("en-US")} gas, settle ` +
      `${result.settleGas.toLocaleString("en-US")} gas)`,
  );
  return {
    requestId: result.requestId,
    status: Number(status) === InferenceRequestStatus.Finalized ? "Finalized" : String(status),
    gas: result.settleGas,
  };
}

async function zkMode(d: Demo, gas: GasLedger): Promise<ModesOutcome["zk"]> {
  const nodeB = d.operators[1];
  console.log(
    "\n9. ZK mode: node B proves its result with a Groth16 proof of the quantized program, checked on-chain.",
  );
  const r = await zkDemo({
    inferenceManager: d.protocol.inferenceManager,
    modelRegistry: d.protocol.modelRegistry,
    nodeRegistry: d.protocol.nodeRegistry,
    zkSettler: d.protocol.zkSettler,
    publisher: d.people.publisher,
    node: nodeB.signer,
    requester: d.people.requester,
    fee: FEE,
    modelName: "zk-mlp-6-4-3",
    record: (who, action, tx) => gas.send(who === "node" ? nodeB.name : who, action, tx),
    log: (line) => console.log(`   ${line}`),
  });
  const status = (await d.protocol.inferenceManager.statusOf(r.requestId)) === 5n ? "Finalized" : "not final";
  return { requestId: r.requestId, status, constraints: r.constraints, proveSeconds: r.proveSeconds, gas: r.settleGas };
}

async function redundantMode(d: Demo, gas: GasLedger): Promise<ModesOutcome["redundant"]> {
  const { token, staking, redundantManager } = d.protocol;
  const { governor, requester } = d.people;
  const [nodeA, nodeB] = d.operators;
  const versionId = d.versionOf.get("mlp")!;
  console.log(
    "\n10. Redundant mode: the requester names k = 2 nodes, asks both for the same inference and pays each its fee." +
      "\n   All k agree: final at once. They disagree: the contract referees a game between the two nodes, no" +
      " outside challenger needed.",
  );
  await gas.send(
    "requester",
    "approve RedundantManager",
    token.connect(requester).approve(await redundantManager.getAddress(), ethers.MaxUint256),
  );
  await gas.send("governor", "fund requester", token.connect(governor).transfer(requester.address, 4n * FEE));

  const requestK2 = async (s0: Int8Array, nodes: { signer: HardhatEthersSigner }[]) => {
    const receipt = await gas.send(
      "requester",
      "redundant request (k = 2)",
      redundantManager.connect(requester).request(
        versionId,
        bytesOf(s0),
        FEE,
        nodes.map((n) => n.signer.address),
      ),
    );
    return eventOf(redundantManager.interface, receipt, "RedundantRequested").args.requestId as bigint;
  };
  const commit = (who: { name: string; signer: HardhatEthersSigner }, id: bigint, view: typeof honest.view) => {
    const c = commitArgs(view);
    return gas.send(
      who.name,
      "redundant commit",
      redundantManager.connect(who.signer).commit(id, c.output, c.traceRoot, c.inputProof, c.outputProof),
    );
  };

  // Agreement.
  const honest = digit(11);
  const agreedId = await requestK2(honest.s0, [nodeA, nodeB]);
  await commit(nodeA, agreedId, honest.view);
  await commit(nodeB, agreedId, honest.view);
  const agreedFinal = (await redundantManager.queryFilter(redundantManager.filters.RedundantFinalized(agreedId)))
    .length;
  console.log(
    `   request ${agreedId}: nodes A and B commit the same output: final at the second commit, each paid ${vrt(FEE)}`,
  );

  // Disagreement: a new operator, node D, lies.
  const nodeD = { name: "node D", signer: d.people.keeper };
  const stake = await enlistOperator(d, gas, nodeD, "http://127.0.0.1:7004", [versionId]);
  const contested = digit(12);
  const lie = liarView(contested.view);
  const L = contested.view.program.layers.length;
  console.log(
    `   node D (dishonest) stakes ${vrt(stake)} and registers. On a request naming A and D for digit label ${contested.label},` +
      ` node A commits prediction ${argmax(contested.view.states[L])}; node D changes ${lie.lies.join(", then ")}` +
      ` and commits prediction ${argmax(lie.view.states[L])}.`,
  );
  const disputedId = await requestK2(contested.s0, [nodeA, nodeD]);
  await commit(nodeA, disputedId, contested.view);
  const stakeBefore = await staking.totalStake(nodeD.signer.address);
  const creditsBefore = await redundantManager.credits(nodeA.signer.address);
  const opened = await commit(nodeD, disputedId, lie.view);
  const gameId = eventOf(redundantManager.interface, opened, "GameOpened").args.gameId as bigint;
  console.log(`   the outputs differ: node D's commit opens refereed game ${gameId} between A and D`);
  const played = await driveGame(
    gameId,
    {
      A: new Player("A", contested.view, new RedundantBoard(redundantManager.connect(nodeA.signer))),
      B: new Player("B", lie.view, new RedundantBoard(redundantManager.connect(nodeD.signer))),
    },
    {
      onMove: (m) => {
        const who = m.side === "A" ? nodeA.name : nodeD.name;
        gas.record(who, `game: ${m.name}`, m.gasUsed);
        console.log(`     ${who.padEnd(6)} ${m.name.padEnd(28)} ${m.gasUsed.toLocaleString("en-US").padStart(9)} gas`);
      },
    },
  );
  const liarSlashed = stakeBefore - (await staking.totalStake(nodeD.signer.address));
  const winnerCredited = (await redundantManager.credits(nodeA.signer.address)) - creditsBefore;
  const outcome = GameOutcome[played.outcome];
  console.log(
    `   outcome ${outcome}: the step verifier recomputed the first differing byte from the state both agreed on.` +
      ` Node D is slashed ${vrt(liarSlashed)} and jailed; node A is credited ${vrt(winnerCredited)} (both fees and` +
      " the reward).",
  );
  for (const node of [nodeA, nodeB]) {
    const owed = await redundantManager.credits(node.signer.address);
    if (owed > 0n)
      await gas.send(node.name, "claimCredits (redundant)", redundantManager.connect(node.signer).claimCredits());
  }
  return {
    agreed: { requestId: agreedId, final: agreedFinal === 1 },
    disputed: { requestId: disputedId, outcome, liarSlashed, winnerCredited, moves: played.moves.length },
  };
}

/** Part two: the TEE, ZK and redundant modes, once each, with their own gas table. */
export async function otherModes(d: Demo): Promise<ModesOutcome> {
  console.log("\nPart two: the other verification modes, once each.");
  const gas = new GasLedger();
  const tee = await teeMode(d, gas);
  const zk = await zkMode(d, gas);
  const redundant = await redundantMode(d, gas);
  console.log("\nGas per action (part two)");
  printTable(
    ["#", "by", "action", "gas"],
    gas.rows.map(([by, action, g], i) => [i + 1, by, action, g]),
  );
  return { tee, zk, redundant, gas };
}
