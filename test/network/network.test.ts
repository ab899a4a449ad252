/**
 * `npm run network`, automated: the whole network as separate processes on anvil on 127.0.0.1 (a block every
 * second; the 30 s challenge window passes with the blocks; see
 * tools/network/orchestrator.ts): three node daemons (two `verity node serve`, and tools/network/cheating-node.ts,
 * the same daemon with a test double that tampers with a fraction of its requests), the `verity challenger run`
 * watchtower, and the load generator sending 200 requests on held-out digits.
 * Mid-run, an honest node is killed with SIGKILL while requests assigned to it are not committed yet (and its
 * /metrics shows requests taken in but not committed), and restarted on the same journal; it must commit each of
 * them exactly once. At the end everything is checked from the chain alone (events and views), against
 * results recomputed here with the reference executor:
 *   zero requests lost, none settled twice, every tampered commitment rejected and its collateral slashed, every
 *   honest node paid exactly the fees of its finalized requests, and every contract solvent.
 * The `after` hook stops every child process, whatever happened.
 */
import { expect } from "chai";
import * as fs from "fs";
import * as path from "path";
import { keccak256 } from "ethers";

import { Staking__factory } from "../../typechain-types/factories/contracts/staking/Staking__factory";
import { InferenceManager__factory } from "../../typechain-types/factories/contracts/inference/InferenceManager__factory";
import { DisputeManager__factory } from "../../typechain-types/factories/contracts/disputes/DisputeManager__factory";
import { VerityToken__factory } from "../../typechain-types/factories/contracts/token/VerityToken__factory";
import { honestView } from "../../game/view";
import { DisputeOutcome, InferenceRequestStatus } from "../../protocol/constants";
import { bytesOf } from "../../executor/trace/trace";
import { demoModel } from "../../models/demo-models";
import { VerityNetwork } from "../../tools/network/orchestrator";
import { portInUse, ProcessGroup, sleep, waitFor } from "../../tools/network/processes";
import type { LoadRecord } from "../../tools/network/load";
import { UNDER_COVERAGE } from "../helpers/coverage";

const REQUESTS = 200;
/**
 * Requests a second the load generator sends: the load lasts REQUESTS / LOAD_RATE = 13 s, so that node 1 takes in,
 * executes and commits several times (a block each) while it runs.
 */
const LOAD_RATE = 15;
/** Node 1 is frozen (then killed) only while at most this fraction of the load is on-chain. */
const FREEZE_BEFORE = 0.8;
const CHEAT = 0.1;
const INITIAL_SUPPLY = 10n ** 27n; // ignition/parameters/local.json

// Skipped under coverage, like the CLI suite: its child processes build and run the project outside the instrumented
// run, and it reaches no contract path that the contract suites do not cover.
(UNDER_COVERAGE ? describe.skip : describe)("multi-process network (npm run network)", function () {
  this.timeout(180_000);
  let net: VerityNetwork;
  const KILLED = 0; // an honest node
  let killedAt: Record<string, number> = {};
  /** Requests assigned to node 1 and not committed when it was killed. */
  let pendingAtKill: string[] = [];
  let restarted = false;
  let loadRecords: LoadRecord[] = [];
  let wallMs = 0;

  before(async function () {
    this.timeout(200_000);
    const started = Date.now();
    net = new VerityNetwork({ chain: "anvil", cheat: CHEAT, challenger: true, pollMs: 200, log: () => undefined });
    await net.start();
    net.startClock();
    const load = net.startLoad(REQUESTS, LOAD_RATE, 0.2);

    // Kill node 1 with SIGKILL mid-work: after it has committed some requests, at a moment when its /metrics shows
    // it has taken in requests it has not committed (it is frozen with SIGSTOP right then, so that it sends nothing
    // more) and the chain shows requests assigned to it (named, or claimed by it) that it has not committed yet (the
    // load keeps naming it while it is frozen). The restart on the same journal must commit each exactly once.
    // The freeze waits for a moment while at most FREEZE_BEFORE of the load is on-chain: what node 1 has taken in
    // but not committed may be a batch already sent (the chain then shows it committed), so the requests it owes at
    // the kill are mostly those the rest of the load names it in while it is frozen (a few each second).
    const node = net.nodes[KILLED];
    const address = net.config.operators[KILLED].address.toLowerCase();
    const uncommitted = () =>
      [...net.ledger.requests.values()].filter((r) => r.node === address && !r.committedBy).map((r) => r.id.toString());
    killedAt = await waitFor(
      "node 1 with uncommitted work",
      async () => {
        const m = await net.metrics(node);
        if (!m) return undefined;
        const done = m.committed + m.batchedRequests;
        if (done < 5 || m.requestsSeen - done < 1) return undefined;
        await net.ledger.sync();
        if (net.ledger.requests.size > FREEZE_BEFORE * REQUESTS) return undefined;
        ProcessGroup.signal(node.proc!, "SIGSTOP");
        return m;
      },
      90_000,
      50,
    );
    await waitFor(
      "requests node 1 owes on-chain",
      async () => {
        await net.ledger.sync();
        return uncommitted().length >= 2 ? true : undefined;
      },
      60_000,
      200,
    );
    await net.killNode(KILLED);
    await net.ledger.sync();
    pendingAtKill = uncommitted();
    await sleep(1_000);
    net.startNode(KILLED);
    await net.waitHealthy(node);
    restarted = true;

    expect(await load.exited, fs.readFileSync(path.join(net.dir, "load.log"), "utf8")).to.equal(0);
    await waitFor(
      "every request settled and every dispute resolved",
      async () => {
        await net.ledger.sync();
        const s = net.ledger.summary();
        return s.requested === REQUESTS && s.settled === REQUESTS && s.disputesOpen === 0 ? s : undefined;
      },
      120_000,
      500,
    ).catch(async (e: Error) => {
      const s = net.ledger.summary();
      throw new Error(`${e.message}; ledger ${JSON.stringify(s)}; logs in ${net.dir}`);
    });
    await net.stopClock();
    // The daemons stop (gracefully) before the checks, so that no credit claim lands between two reads.
    await net.stopDaemons(5_000);
    await net.ledger.sync();
    wallMs = Date.now() - started;
    loadRecords = fs
      .readFileSync(path.join(net.dir, "requests.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as LoadRecord);
  });

  after("W6: stops every child and leaves no daemon port bound", async function () {
    this.timeout(30_000);
    if (!net) return;
    if (wallMs > 0) {
      const s = net.ledger.summary();
      console.log(
        `      network: ${s.requested} requests, ${s.batches} batches, ${s.rejected} cheats rejected after a dispute, ` +
          `${s.finalized} finalized; node 1 killed owing ${pendingAtKill.length} commits; ${(wallMs / 1000).toFixed(1)} s`,
      );
    }
    const ports = [...net.nodes.map((d) => d.port), ...(net.challenger ? [net.challenger.port] : [])];
    await net.stop(3_000);
    // Nothing left running, and no daemon port left bound.
    expect(net.group.live().map((m) => m.name)).to.deep.equal([]);
    for (const port of ports) expect(await portInUse(port), `port ${port}`).to.equal(false);
    net.cleanup();
  });

  /** The honest (outputHash, traceRoot) of each request, recomputed here with the reference executor. */
  function honestCommitments(): Map<string, { outputHash: string; traceRoot: string }> {
    const out = new Map<string, { outputHash: string; traceRoot: string }>();
    const modelOf = new Map([
      [net.config.versions.mlp, demoModel("mlp")],
      [net.config.versions.cnn, demoModel("cnn")],
    ]);
    for (const r of net.ledger.requests.values()) {
      const m = modelOf.get(r.versionId.toString())!;
      const bytes = Buffer.from(r.input.slice(2), "hex");
      const view = honestView(m.program, new Int8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), m.weights);
      out.set(r.id.toString(), {
        outputHash: keccak256(bytesOf(view.states[m.program.layers.length])),
        traceRoot: view.trace.traceRoot,
      });
    }
    return out;
  }

  it("W1: ran the load, the kill and the restart as separate processes, in bounded time", () => {
    expect(loadRecords).to.have.length(REQUESTS);
    expect(killedAt.requestsSeen).to.be.greaterThan(killedAt.committed + killedAt.batchedRequests);
    // What node 1 owed when it died, it committed after its restart, each request exactly once and by itself.
    expect(pendingAtKill.length).to.be.greaterThan(0);
    const node1 = net.config.operators[KILLED].address.toLowerCase();
    for (const id of pendingAtKill) {
      const r = net.ledger.requests.get(id)!;
      expect(r.committedBy, `request ${id}`).to.equal(node1);
      expect(r.settlements, `request ${id}`).to.have.length(1);
    }
    expect(restarted).to.equal(true);
    expect(net.nodes[KILLED].starts).to.equal(2);
    expect(wallMs).to.be.lessThan(170_000);
  });

  it("W1: loses no request: every request the load generator made settled", async () => {
    const im = InferenceManager__factory.connect(net.config.addresses.inferenceManager, net.provider);
    expect(await im.requestCount()).to.equal(BigInt(REQUESTS));
    const ids = new Set(loadRecords.map((r) => r.requestId));
    expect(ids.size).to.equal(REQUESTS);
    for (const id of ids)
      expect(net.ledger.requests.get(id)?.settlements, `request ${id}`).to.have.length.greaterThan(0);
    // And the chain's own view agrees: Finalized or Rejected, none refunded, none still open.
    const statuses = await Promise.all([...ids].map(async (id) => Number(await im.statusOf(BigInt(id)))));
    const settled = [InferenceRequestStatus.Finalized, InferenceRequestStatus.Rejected];
    expect(statuses.filter((s) => !settled.includes(s))).to.deep.equal([]);
  });

  it("W2: settles no request twice (one RequestFinalized / DisputeEnded(nodeWrong) / BatchFinalized leaf each)", () => {
    const twice = [...net.ledger.requests.values()].filter((r) => r.settlements.length !== 1);
    expect(twice.map((r) => `${r.id}: ${r.settlements.join(",")}`)).to.deep.equal([]);
    for (const b of net.ledger.batches.values()) expect(b.finalized, `batch ${b.id}`).to.equal(1);
  });

  it("W3: slashes every cheat: each tampered commitment was rejected and its collateral slashed from the cheater", async () => {
    const honest = honestCommitments();
    const cheater = net.config.operators[net.cheaterIndex].address.toLowerCase();
    const tampered: bigint[] = [];
    for (const r of net.ledger.requests.values()) {
      const h = honest.get(r.id.toString())!;
      const isHonest = r.outputHash === h.outputHash && r.traceRoot === h.traceRoot;
      if (!isHonest) {
        expect(r.committedBy, `request ${r.id} tampered by an honest node`).to.equal(cheater);
        tampered.push(r.id);
        expect(r.settlements, `tampered request ${r.id}`).to.deep.equal(["rejected"]);
      } else {
        expect(r.settlements, `honest request ${r.id}`).to.deep.equal(["finalized"]);
      }
    }
    expect(tampered.length, "the cheater cheated at least once").to.be.greaterThan(0);
    const staking = Staking__factory.connect(net.config.addresses.staking, net.provider);
    const im = InferenceManager__factory.connect(net.config.addresses.inferenceManager, net.provider);
    const collateral = BigInt(net.config.fee) * BigInt(await im.collateralMultiplier());
    const slashes = await staking.queryFilter(staking.filters.StakeSlashed(), 0);
    const slashedCheater = slashes
      .filter((e) => e.args.node.toLowerCase() === cheater)
      .reduce((s, e) => s + e.args.amount, 0n);
    expect(slashes.every((e) => e.args.node.toLowerCase() === cheater)).to.equal(true);
    expect(slashedCheater).to.equal(collateral * BigInt(tampered.length));
    expect(await staking.totalStake(cheater)).to.equal(BigInt(net.config.stakePerOperator) - slashedCheater);
    // The challenger won every one of them.
    const wrong = [...net.ledger.disputesResolved.values()]
      .filter((d) => d.outcome === DisputeOutcome.NodeWrong)
      .map((d) => d.requestId);
    expect(wrong.sort()).to.deep.equal([...tampered].sort());
  });

  it("W4: pays every honest node the fees of its finalized requests (credited, claimed or pending)", async () => {
    const im = InferenceManager__factory.connect(net.config.addresses.inferenceManager, net.provider);
    for (const [i, op] of net.config.operators.entries()) {
      const a = op.address.toLowerCase();
      const fees = [...net.ledger.requests.values()]
        .filter((r) => r.committedBy === a && r.settlements[0] === "finalized")
        .reduce((s, r) => s + r.fee, 0n);
      const paid = net.ledger.paid.get(a) ?? 0n;
      expect(paid, `${op.role} credited`).to.equal(fees);
      expect((await im.credits(a)) + (net.ledger.claimed.inference.get(a) ?? 0n), `${op.role} credits`).to.equal(paid);
      if (i !== net.cheaterIndex) expect(paid, `${op.role} earned`).to.be.greaterThan(0n);
    }
  });

  it("W5: stays solvent: each contract holds exactly what it owes, and the supply is conserved", async () => {
    const { addresses } = net.config;
    const token = VerityToken__factory.connect(addresses.token, net.provider);
    const im = InferenceManager__factory.connect(addresses.inferenceManager, net.provider);
    const dm = DisputeManager__factory.connect(addresses.disputeManager, net.provider);
    const staking = Staking__factory.connect(addresses.staking, net.provider);
    const accounts = [
      net.config.governor,
      ...net.config.operators,
      net.config.challenger,
      ...net.config.requesters,
    ].map((a) => a.address);
    const sum = async (f: (a: string) => Promise<bigint>, list = accounts) =>
      (await Promise.all(list.map(f))).reduce((s, x) => s + x, 0n);
    const unsettledFees = [...net.ledger.requests.values()]
      .filter((r) => r.settlements.length === 0)
      .reduce((s, r) => s + r.fee, 0n);
    expect(await token.balanceOf(addresses.inferenceManager)).to.equal(
      unsettledFees + (await sum((a) => im.credits(a))),
    );
    expect(await token.balanceOf(addresses.disputeManager)).to.equal(await sum((a) => dm.credits(a))); // no open bond
    expect(await token.balanceOf(addresses.staking)).to.equal(await sum((a) => staking.totalStake(a)));
    expect(await token.totalSupply()).to.equal(INITIAL_SUPPLY);
    const holders = [
      ...accounts,
      addresses.inferenceManager,
      addresses.disputeManager,
      addresses.staking,
      await staking.BURN_ADDRESS(),
    ];
    expect(await sum((a) => token.balanceOf(a), holders)).to.equal(INITIAL_SUPPLY);
  });
});
