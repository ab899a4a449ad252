import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { InjectedCrash, type NodeDaemon } from "../../daemons/node/daemon";
import { GamePhase } from "../../game/enums";
import {
  deployRedundantFixture,
  FEE,
  GameOutcome,
  lieView,
  RequestStatus,
  REWARD,
  requestRedundant,
  SlotStatus,
  type RedundantFixture,
} from "../redundant/redundant-fixtures";
import { digitInput } from "../helpers/dispute-fixtures";
import { testNodeDaemon, type TestDaemonOptions } from "../helpers/node-daemon";

/** A cheating daemon tampers with every result (fraction 1; tools/doubles/tampering-node.ts). */
const CHEAT = { fraction: 1, seed: "redundant-test" };

describe("NodeDaemon: redundant requests", function () {
  this.timeout(60_000);
  let dir: string;
  let f: RedundantFixture;

  beforeEach(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "verity-rednode-"));
    f = await loadFixture(deployRedundantFixture);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  async function daemon(signer: HardhatEthersSigner, extra: TestDaemonOptions = {}) {
    return testNodeDaemon(f, signer, path.join(dir, `${signer.address}.jsonl`), {
      ...extra,
      addresses: { redundantManager: await f.redundant.getAddress() },
    });
  }
  const commitsBy = (requestId: bigint, node: string) =>
    f.redundant.queryFilter(f.redundant.filters.RedundantCommitted(requestId, node));

  /** Ticks both daemons in turn until game `gameId` is resolved (or `limit` rounds, or `stopAfter` says so). */
  async function playOut(daemons: NodeDaemon[], gameId: bigint, limit = 40): Promise<number> {
    for (let round = 1; round <= limit; round++) {
      for (const d of daemons) await d.tick();
      if (Number((await f.redundant.getGame(gameId)).phase) === GamePhase.Resolved) {
        for (const d of daemons) await d.tick(); // each daemon sees the outcome and closes its record
        return round;
      }
    }
    throw new Error(`game ${gameId} not resolved after ${limit} rounds`);
  }

  it("K11: two honest daemons fill a k = 2 request in agreement: final at once, both paid", async () => {
    const [a, b] = f.operators;
    const { requestId } = await requestRedundant(f, "mlp", 0, 2);
    const A = await daemon(a);
    const B = await daemon(b);
    await A.d.tick();
    expect((await f.redundant.getSlots(requestId)).map((s) => Number(s.status))).to.deep.equal([
      SlotStatus.Committed,
      SlotStatus.Named,
    ]);
    await B.d.tick();
    const req = await f.redundant.getRequest(requestId);
    expect(req.status).to.equal(RequestStatus.Finalized);
    const honest = lieView("mlp", digitInput("mlp", 0).s0);
    expect(req.resultHash).to.equal((await commitsBy(requestId, a.address))[0].args.outputHash);
    expect((await commitsBy(requestId, a.address))[0].args.traceRoot).to.equal(honest.trace.traceRoot);
    expect((await f.redundant.getSlots(requestId)).map((s) => Number(s.status))).to.deep.equal([
      SlotStatus.Paid,
      SlotStatus.Paid,
    ]);
    expect(await f.redundant.gameCount()).to.equal(0n);
    for (const [signer, x] of [
      [a, A],
      [b, B],
    ] as const) {
      const before = await f.token.balanceOf(signer.address);
      await expect(x.d.claimCredits()).to.eventually.equal(FEE);
      expect((await f.token.balanceOf(signer.address)) - before).to.equal(FEE);
      expect(await f.redundant.credits(signer.address)).to.equal(0n);
      expect(x.d.metrics.redundantCommitted).to.equal(1);
      // A further tick commits nothing more: the request is no longer open.
      await x.d.tick();
      expect(await commitsBy(requestId, signer.address)).to.have.length(1);
      x.d.close();
    }
  });

  it("K11: commits only to requests that name it, for versions it serves", async () => {
    const [a, b, c, d] = f.operators;
    // Request 1 names A and B: D is not named and commits nothing (it would have taken a free slot before).
    const first = await requestRedundant(f, "mlp", 1, 2, [a.address, b.address]);
    const D = await daemon(d);
    await D.d.tick();
    expect(D.d.metrics.redundantSeen).to.equal(0);
    await expect(commitsBy(first.requestId, d.address)).to.eventually.have.length(0);
    // Request 2 names A and C, but C stopped serving the version since: C leaves it alone.
    const second = await requestRedundant(f, "mlp", 1, 2, [a.address, c.address]);
    await f.nodes.connect(c).unserveVersions([1]);
    const C = await daemon(c);
    await C.d.tick();
    expect(C.d.metrics.redundantSeen).to.equal(0);
    expect(await commitsBy(second.requestId, c.address)).to.have.length(0);
    // The named, serving nodes fill request 1 and it is final; D, ticking again, still has nothing to do.
    const A = await daemon(a);
    const B = await daemon(b);
    await A.d.tick();
    await B.d.tick();
    expect((await f.redundant.getRequest(first.requestId)).status).to.equal(RequestStatus.Finalized);
    expect(A.d.metrics.redundantSeen).to.equal(2);
    expect(B.d.metrics.redundantSeen).to.equal(1);
    await D.d.tick();
    expect(D.d.metrics.redundantCommitted).to.equal(0);
    expect(await commitsBy(first.requestId, d.address)).to.have.length(0);
    for (const x of [A, B, C, D]) x.d.close();
  });

  it("K12: an honest daemon against a cheating one: both play the game to the end, the cheater is slashed", async () => {
    const [a, b] = f.operators;
    const { requestId } = await requestRedundant(f, "mlp", 2, 2);
    const A = await daemon(a);
    const B = await daemon(b, { tamper: CHEAT });
    await A.d.tick();
    await B.d.tick(); // B's differing commit opens the game
    const gameId = (await f.redundant.getRequest(requestId)).activeGame;
    expect(gameId).to.equal(1n);
    await playOut([A.d, B.d], gameId);
    const g = await f.redundant.getGame(gameId);
    expect(g.outcome).to.equal(GameOutcome.BWrong);
    // Every move of the game came from the two daemons: A revealed its roots, B located the step, and so on.
    const roots = await f.redundant.queryFilter(f.redundant.filters.RootsRevealed(gameId));
    expect(roots.map((e) => e.args.node)).to.deep.equal([a.address, b.address]);
    expect(await f.redundant.queryFilter(f.redundant.filters.StepProven(gameId))).to.have.length(1);
    expect(A.d.metrics.gameMoves).to.be.greaterThan(0);
    expect(B.d.metrics.gameMoves).to.be.greaterThan(0);
    expect([A.d.metrics.gamesWon, A.d.metrics.gamesLost]).to.deep.equal([1, 0]);
    expect([B.d.metrics.gamesWon, B.d.metrics.gamesLost]).to.deep.equal([0, 1]);
    expect(B.cheater!.cheated).to.equal(1);
    expect(B.log.lines.some((l) => l.msg === "CHEAT: tampered with a redundant result")).to.equal(true);
    const [elim] = await f.redundant.queryFilter(f.redundant.filters.NodeEliminated(requestId));
    expect(elim.args.node).to.equal(b.address);
    expect(elim.args.reward).to.equal(REWARD);
    expect((await f.redundant.getRequest(requestId)).status).to.equal(RequestStatus.Finalized);
    // The honest node: its own fee, the loser's fee and the reward.
    await expect(A.d.claimCredits()).to.eventually.equal(2n * FEE + REWARD);
    await expect(B.d.claimCredits()).to.eventually.equal(0n);
    // Both journals have closed the game.
    for (const x of [A, B]) {
      await x.d.tick();
      x.d.close();
    }
    for (const who of [a, b]) {
      const lines = fs
        .readFileSync(path.join(dir, `${who.address}.jsonl`), "utf8")
        .trim()
        .split("\n");
      expect(lines.some((l) => JSON.parse(l).t === "done" && JSON.parse(l).key === `g:${gameId}`)).to.equal(true);
    }
  });

  it("K12: calls resolveTimeout when the other node stops playing and its clock runs out", async () => {
    const [a, b] = f.operators;
    const { requestId } = await requestRedundant(f, "mlp", 3, 2);
    const A = await daemon(a);
    const B = await daemon(b, { tamper: CHEAT });
    await A.d.tick();
    await B.d.tick();
    const gameId = (await f.redundant.getRequest(requestId)).activeGame;
    await A.d.tick(); // A reveals its roots; B (stopped) owes the next move
    B.d.close();
    expect(Number((await f.redundant.getGame(gameId)).phase)).to.equal(GamePhase.AwaitingRootsB);
    await A.d.tick(); // B's clock is still running: nothing to do
    expect(Number((await f.redundant.getGame(gameId)).phase)).to.equal(GamePhase.AwaitingRootsB);
    await time.increaseTo(await f.redundant.deadline(gameId));
    await A.d.tick();
    const g = await f.redundant.getGame(gameId);
    expect(Number(g.phase)).to.equal(GamePhase.Resolved);
    expect(g.outcome).to.equal(GameOutcome.BWrong);
    expect(A.log.lines.some((l) => String(l.msg).startsWith("the other node ran out of time"))).to.equal(true);
    await A.d.tick();
    expect(A.d.metrics.gamesWon).to.equal(1);
    A.d.close();
  });

  describe("restart safety", () => {
    it("K11: re-sends a redundant commit announced but never sent, exactly once", async () => {
      const a = f.operators[0];
      const { requestId } = await requestRedundant(f, "mlp", 4, 2);
      const crashing = await daemon(a, {
        hooks: {
          afterJournal: (r) => {
            if (r.t === "rcommit") throw new InjectedCrash("kill -9 after the journal write");
          },
        },
      });
      await expect(crashing.d.tick()).to.be.rejectedWith(InjectedCrash);
      crashing.d.close();
      expect(await commitsBy(requestId, a.address)).to.have.length(0);
      expect(Number((await f.redundant.getSlots(requestId))[0].status)).to.equal(SlotStatus.Named);
      const lines = fs
        .readFileSync(path.join(dir, `${a.address}.jsonl`), "utf8")
        .trim()
        .split("\n");
      expect(JSON.parse(lines[lines.length - 1]).t).to.equal("rcommit");

      const { d } = await daemon(a);
      await d.tick();
      await d.tick();
      expect(await commitsBy(requestId, a.address)).to.have.length(1);
      expect(d.metrics.redundantCommitted).to.equal(1);
      d.close();
    });

    it("K11: does not commit twice when the crash came after the commit was mined", async () => {
      const a = f.operators[0];
      const { requestId } = await requestRedundant(f, "mlp", 5, 2);
      const crashing = await daemon(a, {
        hooks: {
          afterSend: (what) => {
            if (what.startsWith("redundant.commit(")) throw new InjectedCrash("kill -9 after the commit was mined");
          },
        },
      });
      await expect(crashing.d.tick()).to.be.rejectedWith(InjectedCrash);
      crashing.d.close();
      expect(await commitsBy(requestId, a.address)).to.have.length(1);
      const { d, log } = await daemon(a);
      await d.tick();
      await d.tick();
      expect(await commitsBy(requestId, a.address)).to.have.length(1);
      expect(d.metrics.redundantCommitted).to.equal(0);
      expect(log.lines.some((l) => String(l.msg).startsWith("redundant commit failed"))).to.equal(false);
      d.close();
    });

    it("K12: resumes a game after a restart in the middle of it and wins it", async () => {
      const [a, b] = f.operators;
      const { requestId } = await requestRedundant(f, "mlp", 6, 2);
      let A = await daemon(a);
      const B = await daemon(b, { tamper: CHEAT });
      await A.d.tick();
      await B.d.tick();
      const gameId = (await f.redundant.getRequest(requestId)).activeGame;
      await A.d.tick(); // A reveals its roots
      await B.d.tick(); // B reveals its roots and locates the step
      const movesBefore = A.d.metrics.gameMoves;
      expect(movesBefore).to.be.greaterThan(0);
      expect(Number((await f.redundant.getGame(gameId)).phase)).to.not.equal(GamePhase.Resolved);
      A.d.close();
      A = await daemon(a); // a fresh process: the game comes back from the journal
      await playOut([A.d, B.d], gameId);
      expect((await f.redundant.getGame(gameId)).outcome).to.equal(GameOutcome.BWrong);
      expect(A.d.metrics.gameMoves).to.be.greaterThan(0);
      expect(A.d.metrics.gamesWon).to.equal(1);
      expect(A.d.metrics.games).to.equal(0); // not taken in again: it was in the journal
      await expect(A.d.claimCredits()).to.eventually.equal(2n * FEE + REWARD);
      A.d.close();
      B.d.close();
    });
  });
});
