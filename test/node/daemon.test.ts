import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { AbiCoder, keccak256, makeError } from "ethers";
import * as http from "http";

import { DisputeBoard } from "../../game/boards/dispute";
import { Outcome, Phase } from "../../game/enums";
import { Player } from "../../game/player";
import { honestView } from "../../game/view";
import { tamperedView } from "../../tools/doubles/tamper";
import { InjectedCrash } from "../../daemons/node/daemon";
import { startHealthServer } from "../../daemons/kit/health";
import { JournalRefusedError } from "../../daemons/kit/journal";
import { merkleProof } from "../../executor/trace/merkle";
import { bytesOf } from "../../executor/trace/trace";
import { MODE } from "../helpers/fixtures";
import { demoModel } from "../../models/demo-models";
import {
  deployDisputeFixture,
  digitInput,
  FEE,
  NODE_SHARE,
  outputHashOf,
  requestFrom,
  type DisputeFixture,
} from "../helpers/dispute-fixtures";
import { STATUS } from "../helpers/inference-fixtures";
import { testNodeDaemon, type TestDaemonOptions } from "../helpers/node-daemon";

const WINDOW = 3601;

describe("NodeDaemon", function () {
  this.timeout(60_000);
  let dir: string;
  let f: DisputeFixture;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-node-"));
    f = await loadFixture(deployDisputeFixture);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const node = () => f.operators[0];
  async function daemon(extra: TestDaemonOptions = {}) {
    return testNodeDaemon(f, node(), path.join(dir, "journal.jsonl"), extra);
  }
  const honestOutput = (digit: number) => {
    const m = demoModel("mlp");
    const view = honestView(m.program, digitInput("mlp", digit).s0, m.weights);
    return { view, outputHash: outputHashOf(view.states[view.program.layers.length]) };
  };
  async function commitsOf(requestId: bigint) {
    return f.inference.queryFilter(f.inference.filters.ResultCommitted(requestId));
  }

  it("commits the requests assigned to it, finalizes them after the window and claims the fees", async () => {
    const ids = [];
    for (let i = 0; i < 2; i++) ids.push(await requestFrom(f, "mlp", digitInput("mlp", i).s0, node().address));
    const { d } = await daemon();
    await d.tick();
    for (const [i, id] of ids.entries()) {
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Committed);
      const [ev] = await commitsOf(id);
      expect(ev.args.outputHash).to.equal(honestOutput(i).outputHash);
      expect(ev.args.traceRoot).to.equal(honestOutput(i).view.trace.traceRoot);
    }
    await d.tick(); // nothing more to do inside the window
    for (const id of ids) expect(await f.inference.statusOf(id)).to.equal(STATUS.Committed);
    await time.increase(WINDOW);
    await d.tick();
    for (const id of ids) expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
    const before = await f.token.balanceOf(node().address);
    expect(await d.claimCredits()).to.equal(2n * FEE);
    expect((await f.token.balanceOf(node().address)) - before).to.equal(2n * FEE);
    d.close();
  });

  it("claims an open request and serves it", async () => {
    const id = await requestFrom(f, "mlp", digitInput("mlp", 3).s0, ethers.ZeroAddress);
    const { d } = await daemon();
    await d.tick();
    const [claimed] = await f.inference.queryFilter(f.inference.filters.RequestClaimed(id));
    expect(claimed.args.node).to.equal(node().address);
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Committed);
    expect((await commitsOf(id))[0].args.outputHash).to.equal(honestOutput(3).outputHash);
    d.close();
  });

  describe("claims", () => {
    const other = () => f.operators[1];

    it("C10-6 does not claim an open request it could not serve before the claim's serve deadline", async () => {
      const id = await requestFrom(f, "mlp", digitInput("mlp", 3).s0, ethers.ZeroAddress);
      const { deadline } = await f.inference.getRequest(id);
      await time.increaseTo(deadline - 20n); // a claim now would leave 20 s, under the 30 s default
      const { d, log } = await daemon();
      await d.tick();
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Open);
      expect(await f.inference.queryFilter(f.inference.filters.RequestClaimed(id))).to.have.length(0);
      expect(log.lines.some((l) => l.msg === "open request not claimed: too close to its deadline")).to.equal(true);
      expect(await f.staking.lockedStake(node().address)).to.equal(0n);
      d.close();
    });

    it("C10-6, C10-1: waits out another node's claim, reopens it once abandoned past its serve deadline, then claims and serves the request", async () => {
      const id = await requestFrom(f, "mlp", digitInput("mlp", 3).s0, ethers.ZeroAddress);
      await f.inference.connect(other()).claim(id); // a griefer that never commits
      const { serveDeadline } = await f.inference.getRequest(id);
      const { d, log } = await daemon();
      await d.tick();
      await d.tick();
      expect((await f.inference.getRequest(id)).node).to.equal(other().address);
      expect(d.metrics.reopened).to.equal(0);
      await time.increaseTo(serveDeadline + 1n);
      await d.tick();
      const [abandoned] = await f.inference.queryFilter(f.inference.filters.ClaimAbandoned(id));
      expect(abandoned.args.node).to.equal(other().address);
      expect(d.metrics.reopened).to.equal(1);
      expect(log.lines.some((l) => l.msg === "reopened a claim its node abandoned")).to.equal(true);
      expect((await f.inference.getRequest(id)).node).to.equal(node().address);
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Committed);
      expect((await commitsOf(id))[0].args.outputHash).to.equal(honestOutput(3).outputHash);
      d.close();
    });

    it("C10-6 commits its claimed requests one by one when the free stake covers no batch, and keeps the others queued", async () => {
      const claimed: bigint[] = [];
      for (let i = 0; i < 2; i++) {
        claimed.push(await requestFrom(f, "mlp", digitInput("mlp", i).s0, ethers.ZeroAddress));
        await f.inference.connect(node()).claim(claimed[i]); // 10 tokens of collateral each
      }
      const assigned: bigint[] = [];
      for (let i = 2; i < 5; i++) assigned.push(await requestFrom(f, "mlp", digitInput("mlp", i).s0, node().address));
      // Leave 5 tokens free: the 3 assigned requests would need 30 more, so no batch (nor single commit) fits.
      const free = await f.staking.freeStake(node().address);
      await f.staking.connect(node()).thaw(free - 5n * FEE);
      const { d, log } = await daemon({ batchThreshold: 1 });
      await d.tick();
      expect(await f.inference.queryFilter(f.inference.filters.BatchCommitted())).to.have.length(0);
      for (const id of claimed) expect(await f.inference.statusOf(id)).to.equal(STATUS.Committed);
      for (const id of assigned) expect(await f.inference.statusOf(id)).to.equal(STATUS.Assigned);
      expect(log.lines.some((l) => l.msg === "batch exceeds the free stake; shrinking it")).to.equal(true);
      d.close();
    });

    it("drops the request when the other node commits in time", async () => {
      const id = await requestFrom(f, "mlp", digitInput("mlp", 3).s0, ethers.ZeroAddress);
      await f.inference.connect(other()).claim(id);
      const { d } = await daemon();
      await d.tick();
      const { view, outputHash } = honestOutput(3);
      const output = ethers.hexlify(bytesOf(view.states[view.program.layers.length]));
      await f.inference.connect(other()).commit(id, output, view.trace.traceRoot);
      expect(outputHashOf(view.states[view.program.layers.length])).to.equal(outputHash);
      await time.increase(600);
      await d.tick();
      expect(d.metrics.reopened).to.equal(0);
      expect(await f.inference.queryFilter(f.inference.filters.ClaimAbandoned(id))).to.have.length(0);
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Committed);
      d.close();
    });

    it("C10-6 never commits a claimed request that was reopened under it, even with the commit announced before a crash", async () => {
      const id = await requestFrom(f, "mlp", digitInput("mlp", 3).s0, ethers.ZeroAddress);
      const crashing = await daemon({
        hooks: {
          afterJournal: (r) => {
            if (r.t === "commit") throw new InjectedCrash("kill -9 after the journal write");
          },
        },
      });
      await expect(crashing.d.tick()).to.be.rejectedWith(InjectedCrash);
      crashing.d.close();
      const { serveDeadline } = await f.inference.getRequest(id);
      expect((await f.inference.getRequest(id)).node).to.equal(node().address);
      await time.increaseTo(serveDeadline + 1n);
      await f.inference.connect(other()).reopen(id);
      await f.inference.connect(other()).claim(id);

      const { d, log } = await daemon();
      await d.tick();
      await d.tick();
      expect(await commitsOf(id)).to.have.length(0);
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Assigned);
      expect(
        log.lines.some((l) => l.msg === "commit dropped: the request was reopened and claimed by another node"),
      ).to.equal(true);
      expect(log.lines.filter((l) => l.level === "error")).to.deep.equal([]);
      d.close();
    });
  });

  it("ignores requests assigned to other nodes", async () => {
    const id = await requestFrom(f, "mlp", digitInput("mlp", 0).s0, f.operators[1].address);
    const { d } = await daemon();
    await d.tick();
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Assigned);
    d.close();
  });

  it("commits a burst above the threshold as one batch and settles it after the window", async () => {
    const ids: bigint[] = [];
    for (let i = 0; i < 6; i++) ids.push(await requestFrom(f, "mlp", digitInput("mlp", i).s0, node().address));
    const { d, log } = await daemon({ batchThreshold: 4 });
    await d.tick();
    const batches = await f.inference.queryFilter(f.inference.filters.BatchCommitted());
    expect(batches).to.have.length(1);
    expect(batches[0].args.count).to.equal(6n);
    expect(batches[0].args.fee).to.equal(6n * FEE);
    for (const id of ids) expect(await f.inference.statusOf(id)).to.equal(STATUS.Batched);
    expect(d.metrics.batches).to.equal(1);
    await time.increase(WINDOW);
    await d.tick();
    for (const id of ids) expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
    expect(await f.inference.credits(node().address)).to.equal(6n * FEE);
    expect(log.lines.some((l) => l.msg === "batch finalized")).to.equal(true);
    d.close();
  });

  it("serves the requests their requester assigned to it on their events alone, and reads only its claims", async () => {
    for (let i = 0; i < 6; i++) await requestFrom(f, "mlp", digitInput("mlp", i).s0, node().address);
    const { d } = await daemon({ batchThreshold: 4 });
    await d.tick();
    expect(d.metrics.batchedRequests).to.equal(6);
    expect(d.metrics.requestsRead).to.equal(0);
    const open = await requestFrom(f, "mlp", digitInput("mlp", 7).s0, ethers.ZeroAddress);
    await d.tick();
    expect(await f.inference.statusOf(open)).to.equal(STATUS.Committed);
    expect(d.metrics.requestsRead).to.equal(1);
    d.close();
  });

  it("batches the rest in the same tick when the contract refuses a leaf taken on its event's word", async () => {
    const ids: bigint[] = [];
    for (let i = 0; i < 5; i++) ids.push(await requestFrom(f, "mlp", digitInput("mlp", i).s0, node().address));
    // One with a callback (never a batch leaf; its event does not say so), one refunded after its deadline (a batch
    // takes a leaf past its deadline, so only its status tells).
    const tx = await f.inference
      .connect(f.requester)
      .request(1n, bytesOf(digitInput("mlp", 5).s0), FEE, node().address, MODE.OPTIMISTIC, f.requester.address, 50_000);
    await tx.wait();
    const withCallback = await f.inference.requestCount();
    await time.increase(3601);
    await f.inference.connect(f.requester).refund(ids[4]);
    const { d, log } = await daemon({ batchThreshold: 4 });
    await d.tick();
    const batches = await f.inference.queryFilter(f.inference.filters.BatchCommitted());
    expect(batches.map((b) => b.args.count)).to.deep.equal([4n]);
    for (const id of ids.slice(0, 4)) expect(await f.inference.statusOf(id)).to.equal(STATUS.Batched);
    expect(await f.inference.statusOf(ids[4])).to.equal(STATUS.Refunded);
    // the callback request is past its deadline too: its own commit is refused, and reconciliation drops it
    expect(await f.inference.statusOf(withCallback)).to.equal(STATUS.Assigned);
    expect(log.lines.filter((l) => l.msg === "batch refused at estimation; checking its leaves")).to.have.length(1);
    expect(d.metrics.requestsRead).to.equal(6);
    await d.tick();
    expect(log.lines.some((l) => l.msg === "commit dropped: the serving deadline passed")).to.equal(true);
    d.close();
  });

  it("N4: shrinks a batch to what its free stake can collateralize and keeps the rest queued", async () => {
    const ids: bigint[] = [];
    for (let i = 0; i < 5; i++) ids.push(await requestFrom(f, "mlp", digitInput("mlp", i).s0, node().address));
    // Leave 25 tokens free: with fee 1 and collateral multiplier 10, room for 2 leaves.
    const free = await f.staking.freeStake(node().address);
    await f.staking.connect(node()).thaw(free - 25n * FEE);
    const { d, log } = await daemon({ batchThreshold: 1 });
    await d.tick();
    const batches = await f.inference.queryFilter(f.inference.filters.BatchCommitted());
    expect(batches.map((b) => b.args.count)).to.deep.equal([2n]);
    expect(await f.inference.statusOf(ids[0])).to.equal(STATUS.Batched);
    expect(await f.inference.statusOf(ids[1])).to.equal(STATUS.Batched);
    for (const id of ids.slice(2)) expect(await f.inference.statusOf(id)).to.equal(STATUS.Assigned);
    expect(log.lines.some((l) => l.msg === "batch exceeds the free stake; shrinking it")).to.equal(true);
    d.close();
  });

  it("N3: answers a lying challenger's dispute move by move and wins it, then settles the request", async () => {
    const { s0 } = digitInput("mlp", 5);
    const id = await requestFrom(f, "mlp", s0, node().address);
    const { d } = await daemon();
    await d.tick();
    const { view, outputHash } = honestOutput(5);
    const challengerDisputes = f.disputes.connect(f.challenger);
    await challengerDisputes.openDispute(id, outputHash, view.trace.traceRoot);
    const disputeId = await f.disputes.disputeCount();
    const liar = new Player("challenger", tamperedView(view, 2, 7), new DisputeBoard(challengerDisputes));
    for (let round = 0; round < 30; round++) {
      await d.tick();
      const dispute = await f.disputes.getDispute(disputeId);
      if (Number(dispute.phase) === Phase.Resolved) break;
      await liar.play(disputeId);
    }
    const dispute = await f.disputes.getDispute(disputeId);
    expect(Number(dispute.phase)).to.equal(Phase.Resolved);
    expect(dispute.outcome).to.equal(Outcome.ChallengerWrong);
    await d.tick(); // records the outcome
    expect(d.metrics.disputesWon).to.equal(1);
    expect(d.metrics.movesPlayed).to.be.greaterThan(2);
    await time.increase(WINDOW);
    await d.tick();
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
    expect(await f.disputes.credits(node().address)).to.equal(NODE_SHARE);
    d.close();
  });

  it("N3: wins a dispute on a leaf of its batch, then settles the batch and the leaf", async () => {
    const ids: bigint[] = [];
    for (let i = 0; i < 3; i++) ids.push(await requestFrom(f, "mlp", digitInput("mlp", i).s0, node().address));
    const { d } = await daemon({ batchThreshold: 2 });
    await d.tick();
    const [batch] = await f.inference.queryFilter(f.inference.filters.BatchCommitted());
    const outs = [0, 1, 2].map(honestOutput);
    const leaves = ids.map((id, i) =>
      keccak256(
        AbiCoder.defaultAbiCoder().encode(
          ["uint256", "bytes32", "bytes32"],
          [id, outs[i].outputHash, outs[i].view.trace.traceRoot],
        ),
      ),
    );
    const cd = f.disputes.connect(f.challenger);
    await f.inference
      .connect(f.challenger)
      .proveBatchLeaf(
        batch.args.batchId,
        1,
        ids[1],
        outs[1].outputHash,
        outs[1].view.trace.traceRoot,
        merkleProof(leaves, 1),
      );
    await cd.openDispute(ids[1], outs[1].outputHash, outs[1].view.trace.traceRoot);
    const disputeId = await f.disputes.disputeCount();
    const liar = new Player("challenger", tamperedView(outs[1].view, 1, 0), new DisputeBoard(cd));
    for (
      let round = 0;
      round < 30 && Number((await f.disputes.getDispute(disputeId)).phase) !== Phase.Resolved;
      round++
    ) {
      await d.tick();
      await liar.play(disputeId);
    }
    expect((await f.disputes.getDispute(disputeId)).outcome).to.equal(Outcome.ChallengerWrong);
    await time.increase(WINDOW);
    await d.tick();
    await d.tick();
    for (const id of ids) expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
    expect(await f.inference.credits(node().address)).to.equal(3n * FEE);
    d.close();
  });

  it("N3: a cheating daemon loses the dispute an honest challenger opens, and its request is rejected", async () => {
    const id = await requestFrom(f, "mlp", digitInput("mlp", 6).s0, node().address);
    const { d, log } = await daemon({ tamper: { fraction: 1, seed: "liar" } });
    await d.tick();
    const [ev] = await commitsOf(id);
    const cd = f.disputes.connect(f.challenger);
    await cd.openDispute(id, ev.args.outputHash, ev.args.traceRoot);
    const disputeId = await f.disputes.disputeCount();
    const honest = new Player("challenger", honestOutput(6).view, new DisputeBoard(cd));
    for (
      let round = 0;
      round < 30 && Number((await f.disputes.getDispute(disputeId)).phase) !== Phase.Resolved;
      round++
    ) {
      await d.tick();
      await honest.play(disputeId);
    }
    expect((await f.disputes.getDispute(disputeId)).outcome).to.equal(Outcome.NodeWrong);
    await d.tick();
    expect(d.metrics.disputesLost).to.equal(1);
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Rejected);
    expect(log.lines.some((l) => l.msg === "dispute lost: slashed")).to.equal(true);
    d.close();
  });

  it("with cheat fraction 1, commits tampered results and labels them in the logs", async () => {
    const id = await requestFrom(f, "mlp", digitInput("mlp", 1).s0, node().address);
    const { d, log, cheater } = await daemon({ tamper: { fraction: 1, seed: "test" } });
    await d.tick();
    const [ev] = await commitsOf(id);
    expect(ev.args.traceRoot).to.not.equal(honestOutput(1).view.trace.traceRoot);
    expect(log.lines.some((l) => l.level === "warn" && String(l.msg).startsWith("CHEAT"))).to.equal(true);
    expect(cheater!.cheated).to.equal(1);
    d.close();
  });

  describe("N1: restart safety", () => {
    it("re-sends a commit announced in the journal but never sent, exactly once", async () => {
      const id = await requestFrom(f, "mlp", digitInput("mlp", 2).s0, node().address);
      const crashing = await daemon({
        hooks: {
          afterJournal: (r) => {
            if (r.t === "commit") throw new InjectedCrash("kill -9 after the journal write");
          },
        },
      });
      await expect(crashing.d.tick()).to.be.rejectedWith(InjectedCrash);
      crashing.d.close();
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Assigned);
      const lines = fs.readFileSync(path.join(dir, "journal.jsonl"), "utf8").trim().split("\n");
      expect(JSON.parse(lines[lines.length - 1]).t).to.equal("commit");

      const { d } = await daemon();
      await d.tick();
      await d.tick();
      expect(await commitsOf(id)).to.have.length(1);
      await time.increase(WINDOW);
      await d.tick();
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
      d.close();
    });

    it("does not commit twice when the crash came after the commit was mined", async () => {
      const id = await requestFrom(f, "mlp", digitInput("mlp", 2).s0, node().address);
      const crashing = await daemon({
        hooks: {
          afterSend: (what) => {
            if (what.startsWith("commit(")) throw new InjectedCrash("kill -9 after the commit was mined");
          },
        },
      });
      await expect(crashing.d.tick()).to.be.rejectedWith(InjectedCrash);
      crashing.d.close();
      const { d } = await daemon();
      await d.tick();
      expect(await commitsOf(id)).to.have.length(1);
      await time.increase(WINDOW);
      await d.tick();
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
      d.close();
    });

    for (const when of ["before", "after"] as const) {
      it(`commits a batch exactly once when killed ${when} its transaction, and settles it`, async () => {
        const ids: bigint[] = [];
        for (let i = 0; i < 4; i++) ids.push(await requestFrom(f, "mlp", digitInput("mlp", i).s0, node().address));
        const crash = () => {
          throw new InjectedCrash(`kill -9 ${when} commitBatch`);
        };
        const hooks =
          when === "before"
            ? { afterJournal: (r: { t: string }) => r.t === "batch" && crash() }
            : { afterSend: (what: string) => what.startsWith("commitBatch") && crash() };
        const crashing = await daemon({ batchThreshold: 2, hooks });
        await expect(crashing.d.tick()).to.be.rejectedWith(InjectedCrash);
        crashing.d.close();
        const { d } = await daemon({ batchThreshold: 2 });
        await d.tick();
        await d.tick();
        expect(await f.inference.queryFilter(f.inference.filters.BatchCommitted())).to.have.length(1);
        for (const id of ids) expect(await f.inference.statusOf(id)).to.equal(STATUS.Batched);
        await time.increase(WINDOW);
        await d.tick();
        for (const id of ids) expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
        expect(await f.inference.credits(node().address)).to.equal(4n * FEE);
        d.close();
      });
    }

    it("N3: resumes a dispute in progress after a restart", async () => {
      const id = await requestFrom(f, "mlp", digitInput("mlp", 4).s0, node().address);
      const first = await daemon();
      await first.d.tick();
      const { view, outputHash } = honestOutput(4);
      const cd = f.disputes.connect(f.challenger);
      await cd.openDispute(id, outputHash, view.trace.traceRoot);
      const disputeId = await f.disputes.disputeCount();
      await first.d.tick(); // reveals the state roots
      first.d.close();
      const liar = new Player("challenger", tamperedView(view, 1, 3), new DisputeBoard(cd));
      await liar.play(disputeId);
      const { d } = await daemon();
      for (
        let round = 0;
        round < 30 && Number((await f.disputes.getDispute(disputeId)).phase) !== Phase.Resolved;
        round++
      ) {
        await d.tick();
        await liar.play(disputeId);
      }
      expect((await f.disputes.getDispute(disputeId)).outcome).to.equal(Outcome.ChallengerWrong);
      d.close();
    });
  });

  it("resyncs its nonce when another sender used the account", async () => {
    const first = await requestFrom(f, "mlp", digitInput("mlp", 0).s0, node().address);
    const { d, log } = await daemon();
    await d.tick();
    expect(await f.inference.statusOf(first)).to.equal(STATUS.Committed);
    await f.token.connect(node()).approve(f.challenger.address, 1n); // the same key, outside the daemon
    const second = await requestFrom(f, "mlp", digitInput("mlp", 1).s0, node().address);
    await d.tick();
    expect(await f.inference.statusOf(second)).to.equal(STATUS.Committed);
    expect(log.lines.some((l) => l.msg === "rpc: nonce error, resyncing from the pending count")).to.equal(true);
    d.close();
  });

  it("keeps running when the endpoint is down for longer than the retry budget, and catches up", async () => {
    const id = await requestFrom(f, "mlp", digitInput("mlp", 0).s0, node().address);
    const provider = node().provider;
    const original = provider.getBlockNumber.bind(provider);
    let failures = 8; // more than one tick's 3 attempts
    provider.getBlockNumber = async () => {
      if (failures-- > 0) throw makeError("connect ECONNREFUSED 127.0.0.1:8545", "UNKNOWN_ERROR", {});
      return original();
    };
    try {
      const { d, log } = await daemon({ retry: { attempts: 3, baseMs: 1, maxMs: 2 } });
      const running = d.run(5);
      for (let i = 0; i < 200 && (await f.inference.statusOf(id)) !== STATUS.Committed; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      d.stop();
      await running;
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Committed);
      expect(log.lines.some((l) => l.msg === "tick failed; retrying")).to.equal(true);
    } finally {
      provider.getBlockNumber = original;
    }
  });

  it("N6 refuses to start on a journal written against another deployment, and names it", async () => {
    const { d } = await daemon();
    await d.tick();
    d.close();
    const other = await daemon({ addresses: { modelRegistry: "0x" + "77".repeat(20) } });
    await expect(other.d.tick()).to.be.rejectedWith(
      JournalRefusedError,
      /belongs to another chain or deployment: it has modelRegistry at 0x.*, not 0x7777.*\(another deployment\)/,
    );
    expect(other.d.health().ok).to.equal(false);
  });

  it("N7 refuses a second daemon on the same journal while the first runs", async () => {
    const first = await daemon();
    await first.d.tick();
    const second = await daemon();
    await expect(second.d.tick()).to.be.rejectedWith(JournalRefusedError, /in use by process \d+/);
    first.d.close();
    await second.d.tick(); // the lock was released
    second.d.close();
  });

  it("N8 /health is 503 before the start and during an RPC outage, 200 once the endpoint answers again", async () => {
    const { d } = await daemon({ retry: { attempts: 2, baseMs: 1, maxMs: 2 } });
    expect(d.health()).to.include({ ok: false, starting: true });
    await d.tick();
    expect(d.health()).to.include({ ok: true, rpc: "up" });
    const provider = node().provider!;
    const original = provider.getBlockNumber.bind(provider);
    provider.getBlockNumber = async () => {
      throw makeError("connect ECONNREFUSED 127.0.0.1:8545", "UNKNOWN_ERROR", {});
    };
    try {
      await expect(d.tick()).to.be.rejected;
      const h = d.health();
      expect(h.ok).to.equal(false);
      expect(String(h.rpc)).to.match(/^failing since \d{4}-/);
    } finally {
      provider.getBlockNumber = original;
    }
    await d.tick();
    expect(d.health()).to.include({ ok: true, rpc: "up" });
    d.close();
  });

  it("serves /health and /metrics on 127.0.0.1", async () => {
    await requestFrom(f, "mlp", digitInput("mlp", 0).s0, node().address);
    const { d } = await daemon();
    await d.tick();
    const server = await startHealthServer({ health: () => d.health(), metrics: () => ({ ...d.metrics }) }, 0);
    try {
      const address = server.address();
      expect(typeof address === "object" && address?.address).to.equal("127.0.0.1");
      const port = typeof address === "object" && address ? address.port : 0;
      const get = (p: string) =>
        new Promise<{ status: number; body: string }>((resolve, reject) => {
          http
            .get({ host: "127.0.0.1", port, path: p }, (res) => {
              let body = "";
              res.on("data", (c: Buffer) => (body += c.toString()));
              res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
            })
            .on("error", reject);
        });
      const health = await get("/health");
      expect(health.status).to.equal(200);
      expect(JSON.parse(health.body)).to.include({ ok: true, node: node().address });
      const metrics = await get("/metrics");
      expect(metrics.body).to.match(/^verity_node_committed 1$/m);
      expect((await get("/other")).status).to.equal(404);
    } finally {
      server.close();
      d.close();
    }
  });

  it("retries an RPC call that fails a few times", async () => {
    const id = await requestFrom(f, "mlp", digitInput("mlp", 0).s0, node().address);
    const provider = node().provider;
    const original = provider.getBlockNumber.bind(provider);
    let failures = 3;
    provider.getBlockNumber = async () => {
      if (failures-- > 0) throw makeError("connection refused", "NETWORK_ERROR", { event: "test" });
      return original();
    };
    try {
      const { d, log } = await daemon();
      await d.tick();
      expect(await f.inference.statusOf(id)).to.equal(STATUS.Committed);
      expect(d.metrics.rpcRetries).to.equal(3);
      expect(log.lines.filter((l) => l.msg === "rpc: transient failure, retrying")).to.have.length(3);
      d.close();
    } finally {
      provider.getBlockNumber = original;
    }
  });
});
