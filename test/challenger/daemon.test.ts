import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { hexlify, makeError } from "ethers";

import { ChallengerDaemon, InjectedCrash } from "../../daemons/challenger/daemon";
import { DisputeBoard } from "../../game/boards/dispute";
import { Outcome, Phase } from "../../game/enums";
import { Player } from "../../game/player";
import { honestView } from "../../game/view";
import { tamperedView } from "../../tools/doubles/tamper";
import { pickedByHash } from "../../daemons/kit/common";
import { NodeDaemon } from "../../daemons/node/daemon";
import { startHealthServer } from "../../daemons/kit/health";
import { tamperingViews } from "../../tools/doubles/tampering-node";
import { ProgramNotFoundError } from "../../protocol/resolver";
import { bytesOf } from "../../executor/trace/trace";
import { demoModel } from "../../models/demo-models";
import {
  BOND,
  deployDisputeFixture,
  digitInput,
  FEE,
  MOVE_CLOCK,
  requestFrom,
  VERSION_OF,
  type DisputeFixture,
} from "../helpers/dispute-fixtures";
import { Resolution } from "../../protocol/constants";
import { MODE } from "../helpers/fixtures";
import { STATUS } from "../helpers/inference-fixtures";
import { suiteDaemons } from "../helpers/node-daemon";

const WINDOW = 3601;

describe("ChallengerDaemon", function () {
  this.timeout(60_000);
  let f: DisputeFixture;

  beforeEach(async () => {
    f = await loadFixture(deployDisputeFixture);
  });

  const nodeSigner = () => f.operators[0];
  const daemons = suiteDaemons("verity-challenger-", () => f);
  const { node, challenger } = daemons;
  /** Ticks both daemons until dispute `id` is resolved, then once more so that both record the outcome. */
  async function playOut(n: NodeDaemon | null, c: ChallengerDaemon, id: bigint) {
    for (let round = 0; round < 40 && Number((await f.disputes.getDispute(id)).phase) !== Phase.Resolved; round++) {
      await n?.tick();
      await c.tick();
    }
    await c.tick();
    return f.disputes.getDispute(id);
  }
  const disputesOpened = () => f.disputes.queryFilter(f.disputes.filters.DisputeOpened());
  const messages = (log: { lines: Record<string, unknown>[] }) => log.lines.map((l) => String(l.msg));

  it("H1: catches a cheating node: disputes its result, wins the game, and the node is slashed", async () => {
    const id = await requestFrom(f, "mlp", digitInput("mlp", 6).s0, nodeSigner().address);
    const n = await node({ viewProvider: tamperingViews({ fraction: 1, seed: "liar" }) });
    await n.tick();
    const { c, log } = await challenger();
    await c.tick();
    expect(c.metrics).to.include({ checked: 1, mismatches: 1, disputesOpened: 1 });
    const [opened] = await disputesOpened();
    expect(opened.args.requestId).to.equal(id);
    expect(opened.args.challenger).to.equal(f.challenger.address);
    expect(opened.args.bond).to.equal(BOND);
    const dispute = await playOut(n, c, opened.args.disputeId);
    expect(dispute.outcome).to.equal(Outcome.NodeWrong);
    expect(c.metrics.won).to.equal(1);
    expect(c.metrics.lost).to.equal(0);
    expect(c.metrics.movesPlayed).to.be.greaterThan(1);
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Rejected);
    const [slash] = await f.staking.queryFilter(f.staking.filters.StakeSlashed(nodeSigner().address));
    expect(slash.args.amount).to.equal(10n * FEE); // the commitment's collateral
    const before = await f.token.balanceOf(f.challenger.address);
    expect(await c.claimCredits()).to.equal(BOND + slash.args.reward);
    expect((await f.token.balanceOf(f.challenger.address)) - before).to.equal(BOND + slash.args.reward);
    expect(c.metrics.creditsClaimed).to.equal(1);
    expect(messages(log)).to.include("dispute won: the node was slashed");
  });

  it("H2: never disputes an honest node, and serves /health and /metrics on 127.0.0.1", async () => {
    for (let i = 0; i < 3; i++) await requestFrom(f, "mlp", digitInput("mlp", i).s0, nodeSigner().address);
    const n = await node();
    await n.tick();
    const { c, log } = await challenger();
    await c.tick();
    await c.tick();
    expect(c.metrics).to.include({ checked: 3, mismatches: 0, disputesOpened: 0, sampledOut: 0 });
    expect(await f.disputes.disputeCount()).to.equal(0n);
    expect(messages(log).filter((m) => m === "commitment checked: correct")).to.have.length(3);
    const server = await startHealthServer(
      { health: () => c.health(), metrics: () => ({ ...c.metrics }) },
      0,
      "verity_challenger_",
    );
    try {
      const address = server.address();
      expect(typeof address === "object" && address?.address).to.equal("127.0.0.1");
      const port = typeof address === "object" && address ? address.port : 0;
      const get = (p: string) =>
        new Promise<string>((resolve, reject) => {
          http
            .get({ host: "127.0.0.1", port, path: p }, (res) => {
              let body = "";
              res.on("data", (chunk: Buffer) => (body += chunk.toString()));
              res.on("end", () => resolve(body));
            })
            .on("error", reject);
        });
      expect(JSON.parse(await get("/health"))).to.include({ ok: true, challenger: f.challenger.address });
      const metrics = await get("/metrics");
      expect(metrics).to.match(/^verity_challenger_checked 3$/m);
      expect(metrics).to.match(/^verity_challenger_disputesOpened 0$/m);
    } finally {
      server.close();
    }
  });

  describe("H4: sampling", () => {
    it("with --sample 0 checks nothing, even a wrong result", async () => {
      for (let i = 0; i < 2; i++) await requestFrom(f, "mlp", digitInput("mlp", i).s0, nodeSigner().address);
      const n = await node({ viewProvider: tamperingViews({ fraction: 1, seed: "liar" }) });
      await n.tick();
      const { c } = await challenger({ sample: 0 });
      await c.tick();
      expect(c.metrics).to.include({ checked: 0, sampledOut: 2, mismatches: 0 });
      expect(await f.disputes.disputeCount()).to.equal(0n);
    });

    it("checks the subset that the seed picks, the same one after a restart", async () => {
      const ids: bigint[] = [];
      for (let i = 0; i < 6; i++) ids.push(await requestFrom(f, "mlp", digitInput("mlp", i).s0, nodeSigner().address));
      const n = await node();
      await n.tick();
      const expected = ids.filter((id) => pickedByHash("s1", id, 0.5)).map(String);
      expect(expected.length).to.be.within(1, ids.length - 1); // a proper subset: the test can fail
      const checkedIds = (log: { lines: Record<string, unknown>[] }) =>
        log.lines.filter((l) => l.msg === "commitment checked: correct").map((l) => String(l.requestId));
      const first = await challenger({ sample: 0.5, sampleSeed: "s1" });
      await first.c.tick();
      expect(checkedIds(first.log)).to.deep.equal(expected);
      expect(first.c.metrics.sampledOut).to.equal(ids.length - expected.length);
      first.c.close();
      // A fresh start from an empty journal (e.g. another machine) with the same seed picks the same set.
      const again = await challenger({
        sample: 0.5,
        sampleSeed: "s1",
        journalFile: path.join(daemons.dir(), "other.jsonl"),
      });
      await again.c.tick();
      expect(checkedIds(again.log)).to.deep.equal(expected);
    });
  });

  it("H3: catches a cheat inside a batch: proves the leaf from the calldata, disputes it and wins", async () => {
    const ids: bigint[] = [];
    for (let i = 0; i < 3; i++) ids.push(await requestFrom(f, "mlp", digitInput("mlp", i).s0, nodeSigner().address));
    // A cheat seed that tampers with exactly one of the three leaves.
    const seed = Array.from({ length: 100 }, (_, k) => `batch-${k}`).find(
      (s) => ids.filter((id) => pickedByHash(s, id, 0.5)).length === 1,
    )!;
    const cheated = ids.find((id) => pickedByHash(seed, id, 0.5))!;
    const n = await node({ batchThreshold: 1, viewProvider: tamperingViews({ fraction: 0.5, seed }) });
    await n.tick();
    expect(await f.inference.queryFilter(f.inference.filters.BatchCommitted())).to.have.length(1);
    const { c } = await challenger();
    await c.tick();
    expect(c.metrics).to.include({ checked: 3, mismatches: 1, leavesProven: 1, disputesOpened: 1 });
    const [proven] = await f.inference.queryFilter(f.inference.filters.BatchLeafProven());
    expect(proven.args.requestId).to.equal(cheated);
    const [opened] = await disputesOpened();
    expect(opened.args.requestId).to.equal(cheated);
    expect((await playOut(n, c, opened.args.disputeId)).outcome).to.equal(Outcome.NodeWrong);
    expect(await f.inference.statusOf(cheated)).to.equal(STATUS.Rejected);
    for (const id of ids.filter((x) => x !== cheated)) expect(await f.inference.statusOf(id)).to.equal(STATUS.Batched);
    expect(await f.disputes.disputeCount()).to.equal(1n);
  });

  describe("H5: restart safety", () => {
    it("does not check a commitment again after a restart (the cursor and the checks are journaled)", async () => {
      for (let i = 0; i < 2; i++) await requestFrom(f, "mlp", digitInput("mlp", i).s0, nodeSigner().address);
      const n = await node();
      await n.tick();
      const first = await challenger();
      await first.c.tick();
      expect(first.c.metrics.checked).to.equal(2);
      first.c.close();
      await requestFrom(f, "mlp", digitInput("mlp", 2).s0, nodeSigner().address);
      await n.tick();
      const { c } = await challenger();
      await c.tick();
      expect(c.metrics.checked).to.equal(1); // only the new commitment
    });

    it("opens exactly one dispute when killed after journaling it and before sending it", async () => {
      const id = await requestFrom(f, "mlp", digitInput("mlp", 2).s0, nodeSigner().address);
      const n = await node({ viewProvider: tamperingViews({ fraction: 1, seed: "liar" }) });
      await n.tick();
      const crashing = await challenger({
        hooks: {
          afterJournal: (r) => {
            if (r.t === "open") throw new InjectedCrash("kill -9 before openDispute");
          },
        },
      });
      await expect(crashing.c.tick()).to.be.rejectedWith(InjectedCrash);
      crashing.c.close();
      expect(await f.disputes.disputeCount()).to.equal(0n);
      // The decision is on disk, open (no completion), and nothing was sent.
      const records = fs
        .readFileSync(path.join(daemons.dir(), "challenger.jsonl"), "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      expect(records.filter((r) => r.key === `o:${id}`).map((r) => r.t)).to.deep.equal(["open"]);
      const { c } = await challenger();
      await c.tick();
      await c.tick();
      expect(await disputesOpened()).to.have.length(1);
      const [opened] = await disputesOpened();
      expect(opened.args.requestId).to.equal(id);
      expect((await playOut(n, c, opened.args.disputeId)).outcome).to.equal(Outcome.NodeWrong);
      expect(await disputesOpened()).to.have.length(1);
    });

    it("finds its dispute after being killed once it was mined, and continues a game after a restart", async () => {
      await requestFrom(f, "mlp", digitInput("mlp", 3).s0, nodeSigner().address);
      const n = await node({ viewProvider: tamperingViews({ fraction: 1, seed: "liar" }) });
      await n.tick();
      const crashing = await challenger({
        hooks: {
          afterSend: (what) => {
            if (what.startsWith("openDispute")) throw new InjectedCrash("kill -9 after openDispute was mined");
          },
        },
      });
      await expect(crashing.c.tick()).to.be.rejectedWith(InjectedCrash);
      crashing.c.close();
      const second = await challenger();
      await second.c.tick();
      expect(await disputesOpened()).to.have.length(1);
      const disputeId = (await disputesOpened())[0].args.disputeId;
      // Part of the game, then a restart mid-game.
      await n.tick(); // reveals the state roots
      await second.c.tick(); // selects the step
      expect(second.c.metrics.movesPlayed).to.be.greaterThan(0);
      const mid = await f.disputes.getDispute(disputeId);
      expect(Number(mid.phase)).to.be.within(Phase.AwaitingChildren, Phase.AwaitingProof);
      second.c.close();
      const { c } = await challenger();
      expect((await playOut(n, c, disputeId)).outcome).to.equal(Outcome.NodeWrong);
      expect(c.metrics.won).to.equal(1);
      expect(await disputesOpened()).to.have.length(1);
    });
  });

  describe("H6: skips", () => {
    it("skips a wrong result whose window has closed", async () => {
      const id = await requestFrom(f, "mlp", digitInput("mlp", 1).s0, nodeSigner().address);
      const n = await node({ viewProvider: tamperingViews({ fraction: 1, seed: "liar" }) });
      await n.tick();
      await time.increase(WINDOW);
      const { c, log } = await challenger();
      await c.tick();
      expect(c.metrics).to.include({ mismatches: 1, disputesOpened: 0, disputesSkipped: 1 });
      expect(messages(log)).to.include("dispute skipped: the challenge window has closed");
      expect(await f.disputes.disputeCount()).to.equal(0n);
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Committed);
    });

    it("waits with one log line while it cannot afford the bond, and disputes once funded", async () => {
      await requestFrom(f, "mlp", digitInput("mlp", 1).s0, nodeSigner().address);
      const n = await node({ viewProvider: tamperingViews({ fraction: 1, seed: "liar" }) });
      await n.tick();
      const balance = await f.token.balanceOf(f.challenger.address);
      await f.token.connect(f.challenger).transfer(f.requester.address, balance - BOND + 1n);
      const { c, log } = await challenger();
      await c.tick();
      await c.tick();
      const short = "cannot afford the dispute bond; waiting for funds until the window closes";
      expect(messages(log).filter((m) => m === short)).to.have.length(1);
      expect(await f.disputes.disputeCount()).to.equal(0n);
      await f.token.connect(f.requester).transfer(f.challenger.address, BOND);
      await c.tick();
      expect(c.metrics.disputesOpened).to.equal(1);
      expect(await f.disputes.disputeCount()).to.equal(1n);
    });

    it("skips a commitment that another challenger already proved wrong", async () => {
      const id = await requestFrom(f, "mlp", digitInput("mlp", 4).s0, nodeSigner().address);
      const n = await node({ viewProvider: tamperingViews({ fraction: 1, seed: "liar" }) });
      await n.tick();
      const [ev] = await f.inference.queryFilter(f.inference.filters.ResultCommitted(id));
      const other = f.disputes.connect(f.requester);
      await other.openDispute(id, ev.args.outputHash, ev.args.traceRoot);
      const { c, log } = await challenger();
      await c.tick();
      expect(messages(log)).to.include("another challenger's game on this commitment is running; waiting");
      const m = demoModel("mlp");
      const honest = new Player(
        "challenger",
        honestView(m.program, digitInput("mlp", 4).s0, m.weights),
        new DisputeBoard(other),
      );
      for (let round = 0; round < 40 && Number((await f.disputes.getDispute(1n)).phase) !== Phase.Resolved; round++) {
        await n.tick();
        await honest.play(1n);
      }
      expect((await f.disputes.getDispute(1n)).outcome).to.equal(Outcome.NodeWrong);
      await c.tick();
      expect(messages(log)).to.include("dispute skipped: another challenger already proved it wrong");
      expect(c.metrics.disputesOpened).to.equal(0);
      expect(await f.disputes.disputeCount()).to.equal(1n);
    });

    it("waits while another challenger's game runs and, when the node wins it, opens its own on the revealed roots", async () => {
      const { s0 } = digitInput("mlp", 5);
      const id = await requestFrom(f, "mlp", s0, nodeSigner().address);
      const m = demoModel("mlp");
      const L = m.program.layers.length;
      const honest = honestView(m.program, s0, m.weights);
      // A cheat seed whose lie starts before the last step, so that a lying challenger can dispute a later step.
      let n: NodeDaemon | null = null;
      let lieAt = L;
      for (let k = 0; k < 50 && lieAt >= L; k++) {
        n?.close();
        n = await node({
          viewProvider: tamperingViews({ fraction: 1, seed: `early-${k}` }),
          journalFile: path.join(daemons.dir(), `node-${k}.jsonl`),
        });
        const view = await n.viewOf(id, VERSION_OF.mlp, hexlify(bytesOf(s0)));
        lieAt = view.trace.stateRoots.findIndex((r, i) => r !== honest.trace.stateRoots[i]);
      }
      expect(lieAt).to.be.within(1, L - 1);
      await n!.tick();
      const nodeView = await n!.viewOf(id, VERSION_OF.mlp, hexlify(bytesOf(s0)));
      const [ev] = await f.inference.queryFilter(f.inference.filters.ResultCommitted(id));
      const other = f.disputes.connect(f.requester);
      await other.openDispute(id, ev.args.outputHash, ev.args.traceRoot);
      const { c, log } = await challenger();
      await c.tick();
      expect(c.metrics.disputesOpened).to.equal(0);
      // The other challenger disputes a step the node computed right (from its own wrong pre-state): it loses.
      const liar = new Player("challenger", tamperedView(nodeView, L, 0), new DisputeBoard(other));
      for (let round = 0; round < 40 && Number((await f.disputes.getDispute(1n)).phase) !== Phase.Resolved; round++) {
        await n!.tick();
        await liar.play(1n);
      }
      expect((await f.disputes.getDispute(1n)).outcome).to.equal(Outcome.ChallengerWrong);
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Committed);
      await c.tick();
      expect(c.metrics.disputesOpened).to.equal(1);
      const mine = await f.disputes.getDispute(2n);
      expect(mine.challenger).to.equal(f.challenger.address);
      expect(Number(mine.phase)).to.be.greaterThanOrEqual(Phase.AwaitingChildren); // roots reused, step selected
      expect((await playOut(n, c, 2n)).outcome).to.equal(Outcome.NodeWrong);
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Rejected);
      expect(messages(log)).to.include("another challenger's game on this commitment is running; waiting");
    });

    it("skips commitments that are not OPTIMISTIC, and versions whose program it cannot find", async () => {
      await f.inference
        .connect(f.requester)
        .request(
          VERSION_OF.mlp,
          bytesOf(digitInput("mlp", 0).s0),
          FEE,
          nodeSigner().address,
          MODE.NONE,
          ethers.ZeroAddress,
          0,
        );
      await requestFrom(f, "mlp", digitInput("mlp", 1).s0, nodeSigner().address);
      const n = await node({ viewProvider: tamperingViews({ fraction: 1, seed: "liar" }) });
      await n.tick();
      const { c, log } = await challenger({
        resolver: async (versionId) => {
          throw new ProgramNotFoundError(`no program for version ${versionId}`);
        },
      });
      await c.tick();
      expect(c.metrics).to.include({ checked: 0, skipped: 2, mismatches: 0, disputesOpened: 0 });
      expect(messages(log)).to.include("commitment skipped: not an OPTIMISTIC request");
      expect(messages(log)).to.include("commitment skipped: the version's program is unknown");
      expect(await f.disputes.disputeCount()).to.equal(0n);
    });
  });

  it("H7: keeps running while the RPC endpoint is down past the retry budget, then catches up and disputes", async () => {
    await requestFrom(f, "mlp", digitInput("mlp", 8).s0, nodeSigner().address);
    const n = await node({ viewProvider: tamperingViews({ fraction: 1, seed: "liar" }) });
    await n.tick();
    const provider = f.challenger.provider;
    const original = provider.getBlockNumber.bind(provider);
    let failures = 8; // more than one tick's 3 attempts
    provider.getBlockNumber = async () => {
      if (failures-- > 0) throw makeError("connect ECONNREFUSED 127.0.0.1:8545", "UNKNOWN_ERROR", {});
      return original();
    };
    try {
      const { c, log } = await challenger();
      const running = c.run(5);
      for (let i = 0; i < 200 && (await f.disputes.disputeCount()) === 0n; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      c.stop();
      await running;
      expect(await f.disputes.disputeCount()).to.equal(1n);
      expect(messages(log)).to.include("tick failed; retrying");
      expect(c.metrics.rpcRetries).to.be.greaterThan(0);
    } finally {
      provider.getBlockNumber = original;
    }
  });

  it("H7: resolves the timeout when the node stops playing", async () => {
    const id = await requestFrom(f, "mlp", digitInput("mlp", 7).s0, nodeSigner().address);
    const n = await node({ viewProvider: tamperingViews({ fraction: 1, seed: "liar" }) });
    await n.tick();
    const { c } = await challenger();
    await c.tick();
    expect(c.metrics.disputesOpened).to.equal(1);
    await c.tick(); // the node is on the move and its clock is running: nothing to do
    expect(c.metrics.timeoutsResolved).to.equal(0);
    await time.increase(MOVE_CLOCK + 1n);
    await c.tick();
    expect(c.metrics).to.include({ timeoutsResolved: 1, won: 1 });
    const [resolved] = await f.disputes.queryFilter(f.disputes.filters.DisputeResolved());
    expect(resolved.args.reason).to.equal(Resolution.NodeTimedOut);
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Rejected);
  });
});
