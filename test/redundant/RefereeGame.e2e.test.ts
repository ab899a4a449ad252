import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import fc from "fast-check";

import { ethers } from "hardhat";

import { RedundantBoard } from "../../game/boards/redundant";
import { driveGame } from "../../game/driver";
import { Player } from "../../game/player";
import { viewOf, type PartyView } from "../../game/view";
import { digitInput } from "../helpers/dispute-fixtures";
import { demoModel } from "../../models/demo-models";
import { outputHashOf } from "../helpers/dispute-fixtures";
import { GamePhase } from "../../game/enums";
import { NodeStatus, Resolution } from "../../protocol/constants";
import {
  COLLATERAL,
  COMMIT_TIMEOUT,
  commitView,
  deployRedundantFixture,
  expectedOutcome,
  FEE,
  GameOutcome,
  lieView,
  openRefereeGame,
  openRefereeGameWith,
  playRefereeGame,
  requestRedundant,
  RequestStatus,
  REWARD,
  SlotStatus,
  type RedundantFixture,
  type RefereeSetup,
} from "./redundant-fixtures";

/**
 * Whole refereed games between two nodes of a redundant request, with the real one-step verifier on the demo
 * models: the honest node wins wherever the lie sits and whichever slot it holds, a node that stops loses, and the
 * request settles once with the honest output (docs/REDUNDANT.md, test/PROPERTIES.md K3-K6).
 */
describe("RedundantManager: refereed games", function () {
  this.timeout(300_000);

  const MLP_L = demoModel("mlp").program.layers.length;
  const CNN_L = demoModel("cnn").program.layers.length;

  async function stakes(f: RedundantFixture) {
    const [a, b] = [f.operators[0].address, f.operators[1].address];
    return {
      a: await f.staking.totalStake(a),
      b: await f.staking.totalStake(b),
      lockedA: await f.staking.lockedStake(a),
      lockedB: await f.staking.lockedStake(b),
    };
  }

  /** Plays a k = 2 game and checks the exact stake, credit and status changes of its outcome. */
  async function playAndCheck(f: RedundantFixture, setup: RefereeSetup, expected: GameOutcome) {
    const before = await stakes(f);
    const game = await openRefereeGame(f, setup);
    expect(game.gameId).to.not.equal(0n);
    const { outcome } = await playRefereeGame(f, game, setup.stops);
    expect(outcome).to.equal(expected);
    const after = await stakes(f);
    const r = await f.redundant.getRequest(game.requestId);
    const slots = await f.redundant.getSlots(game.requestId);
    expect(after.lockedA).to.equal(before.lockedA);
    expect(after.lockedB).to.equal(before.lockedB);
    expect(r.activeGame).to.equal(0n);
    expect(r.escrow).to.equal(0n);
    const [a, b] = [f.operators[0].address, f.operators[1].address];
    if (expected === GameOutcome.BothWrong) {
      expect(r.status).to.equal(RequestStatus.Rejected);
      expect(after.a).to.equal(before.a - COLLATERAL);
      expect(after.b).to.equal(before.b - COLLATERAL);
      expect(await f.redundant.credits(f.requester.address)).to.equal(2n * FEE);
      expect(await f.nodes.statusOf(a)).to.equal(NodeStatus.Jailed);
      expect(await f.nodes.statusOf(b)).to.equal(NodeStatus.Jailed);
      return game;
    }
    const winner = expected === GameOutcome.BWrong ? "A" : "B";
    const [w, l] = winner === "A" ? [a, b] : [b, a];
    expect(r.status).to.equal(RequestStatus.Finalized);
    expect(r.resultHash).to.equal(slots[winner === "A" ? 0 : 1].outputHash);
    expect(after[winner === "A" ? "a" : "b"]).to.equal(before[winner === "A" ? "a" : "b"]);
    expect(after[winner === "A" ? "b" : "a"]).to.equal(before[winner === "A" ? "b" : "a"] - COLLATERAL);
    // The right node: the full fee (its own and the loser's) plus the reward; the requester pays the whole escrow.
    expect(await f.redundant.credits(w)).to.equal(2n * FEE + REWARD);
    expect(await f.redundant.credits(l)).to.equal(0n);
    expect(await f.redundant.credits(f.requester.address)).to.equal(0n);
    expect(await f.nodes.statusOf(l)).to.equal(NodeStatus.Jailed);
    expect(await f.nodes.statusOf(w)).to.equal(NodeStatus.Active);
    expect(slots[winner === "A" ? 0 : 1].status).to.equal(SlotStatus.Paid);
    expect(slots[winner === "A" ? 1 : 0].status).to.equal(SlotStatus.Eliminated);
    return game;
  }

  describe("K3, K4, K8: the cheat on either side", function () {
    it("A lies (from step 1): B wins, A is slashed and jailed, B gets 2 fees + the reward", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(
        f,
        {
          model: "mlp",
          digit: 1,
          lieA: [
            { step: 1, byte: 3 },
            { step: MLP_L, byte: 1 },
          ],
        },
        GameOutcome.AWrong,
      );
    });

    it("B lies (from step 2): A wins", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(
        f,
        {
          model: "mlp",
          digit: 2,
          lieB: [
            { step: 2, byte: 5 },
            { step: MLP_L, byte: 2 },
          ],
        },
        GameOutcome.BWrong,
      );
    });

    it("a lie at the last step (the output only) by B loses", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await playAndCheck(
        f,
        { model: "mlp", digit: 3, lieB: { step: MLP_L, byte: 0 } },
        GameOutcome.BWrong,
      );
      expect((await f.redundant.getGame(game.gameId)).step).to.equal(BigInt(MLP_L - 1));
    });

    it("a lie at the last step (the output only) by A loses", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(f, { model: "mlp", digit: 4, lieA: { step: MLP_L, byte: 9 } }, GameOutcome.AWrong);
    });

    it("a lie at the first step loses at step 0", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await playAndCheck(
        f,
        {
          model: "mlp",
          digit: 5,
          lieA: [
            { step: 1, byte: 0 },
            { step: MLP_L, byte: 0 },
          ],
        },
        GameOutcome.AWrong,
      );
      expect((await f.redundant.getGame(game.gameId)).step).to.equal(0n);
    });

    it("both lie, differently: both are slashed, the requester is refunded, the request is rejected", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(
        f,
        {
          model: "mlp",
          digit: 6,
          lieA: [
            { step: 2, byte: 1, delta: 40 },
            { step: MLP_L, byte: 1, delta: 40 },
          ],
          lieB: [
            { step: 2, byte: 1, delta: 90 },
            { step: MLP_L, byte: 1, delta: 90 },
          ],
        },
        GameOutcome.BothWrong,
      );
    });

    it("a lie that does not reach the output is not disputed: the outputs agree and the request is final", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, s0 } = await requestRedundant(f, "mlp", 8, 2);
      const lying = lieView("mlp", s0, { step: 1, byte: 0, propagate: false });
      await commitView(f, f.operators[0], requestId, lying);
      await commitView(f, f.operators[1], requestId, lieView("mlp", s0));
      expect((await f.redundant.getRequest(requestId)).status).to.equal(RequestStatus.Finalized);
      expect(await f.redundant.gameCount()).to.equal(0n);
    });

    it("the CNN: a lie in the first step loses", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(
        f,
        {
          model: "cnn",
          digit: 7,
          lieB: [
            { step: 1, byte: 100 },
            { step: CNN_L, byte: 3 },
          ],
        },
        GameOutcome.BWrong,
      );
    });
  });

  describe("K3: padding", function () {
    /** A view whose S_step carries `extra` bytes past its registered length, and a wrong output. */
    function paddedLiar(model: "mlp" | "cnn", digit: number, step: number, extra: Int8Array) {
      const { program, weights } = demoModel(model);
      const honest = lieView(model, digitInput(model, digit).s0);
      const states = honest.states.map((x) => x.slice());
      const padded = new Int8Array(states[step].length + extra.length);
      padded.set(states[step]);
      padded.set(extra, states[step].length);
      states[step] = padded;
      const last = program.layers.length;
      states[last][0] = states[last][0] === 127 ? -128 : states[last][0] + 1;
      return viewOf(program, states, weights);
    }

    it("a forged non-empty subtree in the padding of the chunk tree loses at once", async function () {
      const f = await loadFixture(deployRedundantFixture);
      // CNN S_1: 196 chunks in a tree of 256 leaves; the liar's has a 197th chunk, so the bisection walks into the
      // padding (chunks 196..199 at height 2) and decides there.
      const g2 = await openRefereeGameWith(
        f,
        "cnn",
        17,
        undefined,
        paddedLiar("cnn", 17, 1, new Int8Array(32).fill(5)),
      );
      const { outcome, moves } = await driveGame(g2.gameId, g2.players);
      expect(outcome).to.equal(GameOutcome.BWrong);
      expect(moves.some((m) => m.name.startsWith("openChunk"))).to.equal(false);
      const logs = await f.redundant.queryFilter(f.redundant.filters.GameResolved(g2.gameId));
      expect(logs[0].args.reason).to.equal(Resolution.PaddingForged);
    });

    it("a non-zero byte past the state's end inside its last chunk loses: the true value there is 0", async function () {
      const f = await loadFixture(deployRedundantFixture);
      // MLP S_3: the 10 logits, one chunk with 22 bytes of padding; the liar's chunk has a non-zero byte 10.
      const liar = paddedLiar("mlp", 18, MLP_L - 1, Int8Array.of(9));
      const game = await openRefereeGameWith(f, "mlp", 18, liar, undefined);
      const { outcome, moves } = await driveGame(game.gameId, game.players);
      expect(outcome).to.equal(GameOutcome.AWrong);
      expect(moves.at(-1)!.name).to.equal("proveStep(byte 10, padding)");
    });
  });

  describe("K3, K4, K8: a node that stops playing", function () {
    it("A never reveals its roots: A loses on time, even though its result was right", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(
        f,
        { model: "mlp", digit: 10, lieB: { step: MLP_L, byte: 0 }, stops: { side: "A", after: 0 } },
        GameOutcome.AWrong,
      );
    });

    it("B never reveals: B loses on time", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(
        f,
        { model: "mlp", digit: 11, lieB: { step: MLP_L, byte: 0 }, stops: { side: "B", after: 0 } },
        GameOutcome.BWrong,
      );
    });

    it("a lying A that stops mid-bisection loses on time", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(
        f,
        {
          model: "mlp",
          digit: 12,
          lieA: [
            { step: 1, byte: 40 },
            { step: MLP_L, byte: 0 },
          ],
          stops: { side: "A", after: 2 },
        },
        GameOutcome.AWrong,
      );
    });

    it("a lying B that stops before opening its chunk loses on time", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await playAndCheck(
        f,
        { model: "mlp", digit: 13, lieB: { step: MLP_L, byte: 3 }, stops: { side: "B", after: 1 } },
        GameOutcome.BWrong,
      );
    });

    it("when neither node proves the step in time, both lose", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await openRefereeGame(f, { model: "mlp", digit: 14, lieB: { step: MLP_L, byte: 3 } });
      for (let i = 0; i < 20; i++) {
        const g = await f.redundant.getGame(game.gameId);
        if (Number(g.phase) === GamePhase.AwaitingProof) break;
        const side = (await f.redundant.onTheMove(game.gameId)) === game.nodes.A.address ? "A" : "B";
        await (await (await game.players[side].nextMove(game.gameId))!.send()).wait();
      }
      expect(await f.redundant.onTheMove(game.gameId)).to.equal(ethers.ZeroAddress);
      const end = await f.redundant.deadline(game.gameId);
      await time.increaseTo(end - 1n);
      await expect(f.redundant.resolveTimeout(game.gameId))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameClockRunning")
        .withArgs(game.gameId, end);
      await expect(f.redundant.connect(f.stranger).resolveTimeout(game.gameId))
        .to.emit(f.redundant, "GameResolved")
        .withArgs(game.gameId, game.requestId, GameOutcome.BothWrong, Resolution.NobodyProved);
      expect((await f.redundant.getRequest(game.requestId)).status).to.equal(RequestStatus.Rejected);
      await expect(f.redundant.resolveTimeout(game.gameId))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameAlreadyResolved")
        .withArgs(game.gameId);
    });

    it("K9: keeps a game at the slowest legal pace within maxGameDuration()", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await openRefereeGame(f, { model: "cnn", digit: 15, lieA: { step: CNN_L, byte: 2 } });
      const opened = BigInt(await time.latest());
      for (let turn = 0; turn < 50; turn++) {
        const g = await f.redundant.getGame(game.gameId);
        if (Number(g.phase) === GamePhase.Resolved) break;
        const mover = await f.redundant.onTheMove(game.gameId);
        const side = mover === game.nodes.A.address ? "A" : "B"; // the proof (address(0)): B
        await time.increaseTo((await f.redundant.deadline(game.gameId)) - 1n);
        await (await (await game.players[side].nextMove(game.gameId))!.send()).wait();
      }
      expect((await f.redundant.getGame(game.gameId)).outcome).to.equal(GameOutcome.AWrong);
      expect(BigInt(await time.latest()) - opened).to.be.lessThanOrEqual(await f.redundant.maxGameDuration());
    });
  });

  describe("K5: k = 3", function () {
    async function request3(f: RedundantFixture, digit: number, lies: (Parameters<typeof lieView>[2] | undefined)[]) {
      const { requestId, s0 } = await requestRedundant(f, "mlp", digit, 3);
      const views = lies.map((l) => lieView("mlp", s0, l));
      const players = views.map(
        (v, i) => new Player(i === 0 ? "A" : "B", v, new RedundantBoard(f.redundant.connect(f.operators[i]))),
      );
      return { requestId, views, players };
    }

    /** Plays every game the request opens, each between the slots the contract paired. */
    async function playAll(f: RedundantFixture, requestId: bigint, views: PartyView[]) {
      const outcomes: GameOutcome[] = [];
      for (let i = 0; i < 4; i++) {
        const gameId = (await f.redundant.getRequest(requestId)).activeGame;
        if (gameId === 0n) break;
        const g = await f.redundant.getGame(gameId);
        const players = {
          A: new Player(
            "A",
            views[Number(g.slotA)],
            new RedundantBoard(f.redundant.connect(f.operators[Number(g.slotA)])),
          ),
          B: new Player(
            "B",
            views[Number(g.slotB)],
            new RedundantBoard(f.redundant.connect(f.operators[Number(g.slotB)])),
          ),
        };
        outcomes.push((await driveGame(gameId, players)).outcome);
      }
      return outcomes;
    }

    it("K1: all three agree: final at the third commit, each paid its fee", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, views } = await request3(f, 20, [undefined, undefined, undefined]);
      await commitView(f, f.operators[0], requestId, views[0]);
      await commitView(f, f.operators[1], requestId, views[1]);
      expect((await f.redundant.getRequest(requestId)).status).to.equal(RequestStatus.Open);
      await expect(commitView(f, f.operators[2], requestId, views[2]))
        .to.emit(f.redundant, "RedundantFinalized")
        .withArgs(requestId, outputHashOf(views[0].states[MLP_L]), 3);
      for (const op of f.operators.slice(0, 3)) expect(await f.redundant.credits(op.address)).to.equal(FEE);
    });

    it("a 2-1 split with the minority lying: one game, the minority is slashed, both majority nodes are paid", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, views } = await request3(f, 21, [undefined, [{ step: MLP_L, byte: 4 }], undefined]);
      for (let i = 0; i < 3; i++) await commitView(f, f.operators[i], requestId, views[i]);
      expect(await playAll(f, requestId, views)).to.deep.equal([GameOutcome.BWrong]);
      const r = await f.redundant.getRequest(requestId);
      expect(r.status).to.equal(RequestStatus.Finalized);
      expect(r.resultHash).to.equal(outputHashOf(views[0].states[MLP_L]));
      expect(await f.redundant.credits(f.operators[0].address)).to.equal(2n * FEE + REWARD);
      expect(await f.redundant.credits(f.operators[1].address)).to.equal(0n);
      expect(await f.redundant.credits(f.operators[2].address)).to.equal(FEE);
      expect(r.escrow).to.equal(0n);
    });

    it("a 2-1 split with the majority lying alike: two games, the honest minority wins both", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const lie = [
        { step: 2, byte: 7 },
        { step: MLP_L, byte: 4 },
      ];
      const { requestId, views } = await request3(f, 22, [lie, lie, undefined]);
      for (let i = 0; i < 3; i++) await commitView(f, f.operators[i], requestId, views[i]);
      expect(await playAll(f, requestId, views)).to.deep.equal([GameOutcome.AWrong, GameOutcome.AWrong]);
      const r = await f.redundant.getRequest(requestId);
      expect(r.status).to.equal(RequestStatus.Finalized);
      expect(r.resultHash).to.equal(outputHashOf(views[2].states[MLP_L]));
      expect(await f.redundant.credits(f.operators[2].address)).to.equal(3n * FEE + 2n * REWARD);
      expect(r.escrow).to.equal(0n);
    });

    it("a game opens as soon as two commitments differ, and the third commit waits for it", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, views } = await request3(f, 23, [undefined, [{ step: MLP_L, byte: 4 }], undefined]);
      await commitView(f, f.operators[0], requestId, views[0]);
      await expect(commitView(f, f.operators[1], requestId, views[1]))
        .to.emit(f.redundant, "GameOpened")
        .withArgs(1n, requestId, f.operators[0].address, f.operators[1].address);
      await expect(commitView(f, f.operators[2], requestId, views[2])).to.not.emit(f.redundant, "GameOpened");
      expect(await playAll(f, requestId, views)).to.deep.equal([GameOutcome.BWrong]);
      expect((await f.redundant.getRequest(requestId)).status).to.equal(RequestStatus.Finalized);
    });
  });

  describe("K6, K7: token conservation and single settlement", function () {
    it("every token is accounted for through agreement, a won game, an expiry and the claims", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const addr = await f.redundant.getAddress();
      const who = [f.requester, f.treasury, ...f.operators.slice(0, 4)].map((s) => s.address);
      const supply = async () => {
        let t = await f.token.balanceOf(addr);
        t += await f.token.balanceOf(await f.staking.getAddress());
        for (const a of who) t += await f.token.balanceOf(a);
        return t;
      };
      const solvent = async () => {
        let owed = 0n;
        for (let id = 1n; id <= (await f.redundant.requestCount()); id++)
          owed += (await f.redundant.getRequest(id)).escrow;
        for (const a of who) owed += await f.redundant.credits(a);
        expect(await f.token.balanceOf(addr)).to.equal(owed);
      };
      const before = await supply();

      const { requestId: agreed, s0 } = await requestRedundant(f, "mlp", 30, 2, [
        f.operators[2].address,
        f.operators[3].address,
      ]);
      await solvent();
      await commitView(f, f.operators[2], agreed, lieView("mlp", s0));
      await commitView(f, f.operators[3], agreed, lieView("mlp", s0));
      await solvent();

      const won = await openRefereeGame(f, { model: "mlp", digit: 31, lieB: { step: MLP_L, byte: 1 } });
      await solvent();
      await playRefereeGame(f, won);
      await solvent();

      // Operator 1 lost the game and is jailed: the requester names three eligible nodes; one answers, alone.
      const { requestId: lone, s0: s1 } = await requestRedundant(
        f,
        "mlp",
        32,
        3,
        [0, 2, 3].map((i) => f.operators[i].address),
      );
      await commitView(f, f.operators[0], lone, lieView("mlp", s1));
      await time.increase(COMMIT_TIMEOUT + 1n);
      await f.redundant.close(lone);
      await solvent();

      // Settled requests stay settled: no commit, close or game move reaches them again.
      for (const id of [agreed, won.requestId, lone]) {
        const status = (await f.redundant.getRequest(id)).status;
        await expect(f.redundant.close(id))
          .to.be.revertedWithCustomError(f.redundant, "RedundantManagerNotOpen")
          .withArgs(id, status);
      }
      await expect(f.redundant.connect(f.operators[0]).revealRoots(won.gameId, []))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameWrongPhase")
        .withArgs(won.gameId, GamePhase.AwaitingRootsA, GamePhase.Resolved);

      for (const s of [f.requester, ...f.operators.slice(0, 4)]) {
        if ((await f.redundant.credits(s.address)) > 0n) await f.redundant.connect(s).claimCredits();
      }
      expect(await f.token.balanceOf(addr)).to.equal(0n);
      // Slashes leave the accounts counted here only through the sink (the treasury): nothing created or lost.
      expect(await supply()).to.equal(before);
    });
  });

  describe("K3: property: the honest node always wins a refereed game", function () {
    const RUNS = Number(process.env.REDUNDANT_PROPERTY_RUNS ?? 24);

    it(`over ${RUNS} random lies on either side (REDUNDANT_PROPERTY_RUNS for more)`, async function () {
      this.timeout(60_000 + RUNS * 10_000);
      const L = MLP_L;
      const lengths = demoModel("mlp").program.layers.map((_, i) => (i + 1 === L ? 10 : [128, 64, 10, 10][i]));
      await fc.assert(
        fc.asyncProperty(
          fc.record({
            liar: fc.constantFrom<"A" | "B" | "both">("A", "B", "both"),
            step: fc.integer({ min: 1, max: L }),
            byteSeed: fc.nat(),
            delta: fc.integer({ min: 1, max: 150 }),
            propagate: fc.boolean(),
            digit: fc.integer({ min: 0, max: 199 }),
            stopAfter: fc.option(fc.integer({ min: 0, max: 4 }), { freq: 4 }),
          }),
          async ({ liar, step, byteSeed, delta, propagate, digit, stopAfter }) => {
            const f = await loadFixture(deployRedundantFixture);
            const lie = { step, byte: byteSeed % lengths[step - 1], delta, propagate };
            // A second lie in the output makes the outputs differ (the two liars' from each other too).
            const lieA = liar !== "B" ? [lie, { step: L, byte: 0, delta: 17 }] : undefined;
            const lieB = liar !== "A" ? [lie, { step: L, byte: 0, delta: 101 }] : undefined;
            const game = await openRefereeGame(f, { model: "mlp", digit, lieA, lieB });
            if (game.gameId === 0n) {
              // The two lies cancelled out in the output: the outputs agree and the request is final at once.
              expect((await f.redundant.getRequest(game.requestId)).status).to.equal(RequestStatus.Finalized);
              return;
            }
            // A single liar sometimes stops playing.
            const stops = stopAfter === null || liar === "both" ? undefined : { side: liar, after: stopAfter };
            const { outcome } = await playRefereeGame(f, game, stops);
            if (liar === "both") {
              expect(outcome).to.be.oneOf([GameOutcome.BothWrong, GameOutcome.AWrong, GameOutcome.BWrong]);
            } else {
              expect(outcome).to.equal(expectedOutcome(liar === "A", liar === "B"));
              const honest = game.views[liar === "A" ? "B" : "A"];
              expect((await f.redundant.getRequest(game.requestId)).resultHash).to.equal(
                outputHashOf(honest.states[L]),
              );
            }
          },
        ),
        { numRuns: RUNS },
      );
    });
  });
});
