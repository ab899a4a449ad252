import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { buildStepProof } from "../../game/step-proof";
import type { PartyView } from "../../game/view";
import { RedundantBoard, type Side } from "../../game/boards/redundant";
import { Player } from "../../game/player";
import { demoModel } from "../../models/demo-models";
import { bytesOf } from "../../executor/trace/trace";
import { digitInput, outputHashOf } from "../helpers/dispute-fixtures";
import { Resolution } from "../../protocol/constants";
import { MINIMUM_STAKE } from "../helpers/fixtures";
import {
  CLOCK_EXTENSION,
  COLLATERAL,
  commitView,
  deployRedundantFixture,
  FEE,
  firstDifference,
  GameOutcome,
  lieView,
  type Lie,
  MOVE_CLOCK,
  openRefereeGame,
  requestRedundant,
  RequestStatus,
  REWARD,
  SlotStatus,
  type RedundantFixture,
} from "./redundant-fixtures";
import {
  commitParty,
  headDescriptor,
  move,
  nextMove,
  party,
  Phase,
  publishSynthetic,
  SparseState,
  syntheticModel,
} from "./synthetic-model";

/**
 * The classes of bugs that Sherlock's 2024 contest on Optimism's FaultDisputeGame found, each checked against the
 * RedundantManager's refereed game (docs/REDUNDANT.md, "Bisection-game attack classes"). Each title says whether
 * the class was exposed here; the one that was (a chunk tree deeper than MAX_TREE_DEPTH, from a descriptor that
 * claims a huge state, let a game outlast maxGameDuration()) is fixed and its test failed before the fix.
 */
describe("RedundantManager: bisection-game attack classes (Sherlock, Optimism FaultDisputeGame 2024)", function () {
  this.timeout(300_000);

  const L = demoModel("mlp").program.layers.length;
  /** The moves of the deepest game over an inference: MAX_MOVES (45) less the two of a generation's pass level. */
  const MAX_MOVES = 43n;
  const MAX_STATE_BYTES = 1 << 24;
  const IO = 32;
  const INPUT = Int8Array.from({ length: IO }, (_, i) => i - 16);
  const NO_SPARSE_SLICE = { chunkIndices: [], chunks: "0x", proof: [] };
  const NO_GENERATION = { passRoots: [], output: "0x" };
  const NO_SLICE = { firstChunk: 0, chunks: "0x", proof: [] };

  /** The redundant fixture plus a fifth eligible node, so that a request can name MAX_NODES = 5 nodes. */
  async function deployFiveNodes() {
    const f = await deployRedundantFixture();
    const fifth = (await ethers.getSigners())[12];
    await f.token.connect(f.governor).mint(fifth.address, MINIMUM_STAKE * 2n);
    await f.token.connect(fifth).approve(await f.staking.getAddress(), ethers.MaxUint256);
    await f.staking.connect(fifth).stake(MINIMUM_STAKE * 2n);
    await f.nodes.connect(fifth).register("http://127.0.0.1:7012", [1, 2]);
    const nodes = [...f.operators.slice(0, 4), fifth];
    return { ...f, nodes5: nodes };
  }

  function output(first: number): Int8Array {
    const out = new Int8Array(IO);
    out[0] = first;
    return out;
  }

  /** A request of the synthetic `version` naming `nodes`. */
  async function requestSynthetic(f: RedundantFixture, version: bigint, nodes: HardhatEthersSigner[]) {
    await f.redundant.connect(f.requester).request(
      version,
      bytesOf(INPUT),
      FEE,
      nodes.map((n) => n.address),
    );
    return f.redundant.requestCount();
  }

  /**
   * A synthetic two-layer model whose layer 0 says |S_1| = `outLength`, and a k = 2 game on it: the honest node
   * (operator 0, slot A) commits S_1 of `outLength` bytes, the liar (operator 1, slot B) the same S_1 with a non-zero
   * byte just past its end (inside the last chunk when `outLength` is not a multiple of 32) and another output.
   */
  async function syntheticGame(f: RedundantFixture, outLength: number, [nodeA, nodeB] = f.operators) {
    const model = syntheticModel([headDescriptor(outLength), headDescriptor(IO)]);
    const version = await publishSynthetic(f, model, IO);
    const s1 = new SparseState(outLength, new Map([[0, 1]]));
    const a = party(nodeA, [INPUT, s1, output(1)]);
    const b = party(nodeB, [INPUT, s1.with({ [outLength]: 7 }, outLength + 1), output(2)]);
    const requestId = await requestSynthetic(f, version, [a.signer, b.signer]);
    await commitParty(f.redundant, a, requestId);
    const receipt = (await (await commitParty(f.redundant, b, requestId)).wait())!;
    const opened = BigInt((await receipt.getBlock()).timestamp);
    return { model, a, b, requestId, gameId: (await f.redundant.getRequest(requestId)).activeGame, opened };
  }

  /** Token solvency of the manager: its balance is every request's escrow plus every unclaimed credit. */
  async function expectSolvent(f: RedundantFixture, accounts: string[]) {
    let owed = 0n;
    for (let id = 1n; id <= (await f.redundant.requestCount()); id++) owed += (await f.redundant.getRequest(id)).escrow;
    for (const a of accounts) owed += await f.redundant.credits(a);
    expect(await f.token.balanceOf(await f.redundant.getAddress())).to.equal(owed);
  }

  describe("(1) chess-clock gaming", function () {
    it("R10-3 (1) chess clock, not exposed: the deepest game (MAX_MOVES moves, every one at the last second of its mover's clock) ends within maxGameDuration()", async function () {
      const f = await loadFixture(deployRedundantFixture);
      // |S_1| = 2^24 - 1: 2^19 chunks, a chunk tree of MAX_TREE_DEPTH = 19 levels; the liar's byte 2^24 - 1 lies in
      // the padding of the last chunk, so the bisection walks the rightmost path all the way down.
      const g = await syntheticGame(f, MAX_STATE_BYTES - 1);
      let moves = 0n;
      for (;;) {
        const next = await nextMove(f.redundant, g.model, g.gameId, g.a, g.b);
        if (!next) break;
        await time.setNextBlockTimestamp(await f.redundant.deadline(g.gameId));
        await (await next.send()).wait();
        moves++;
      }
      const before = await f.redundant.getGame(g.gameId);
      expect(before.phase).to.equal(Phase.AwaitingProof);
      expect(before.level).to.equal(0n);
      expect(before.cursorIndex).to.equal(BigInt((MAX_STATE_BYTES >> 5) - 1));
      await time.setNextBlockTimestamp(await f.redundant.deadline(g.gameId));
      await expect(
        f.redundant
          .connect(g.a.signer)
          .proveStepSparse(
            g.gameId,
            await firstDifference(f.redundant, g.gameId),
            g.model.witness(0),
            NO_SPARSE_SLICE,
            [],
          ),
      )
        .to.emit(f.redundant, "GameResolved")
        .withArgs(g.gameId, g.requestId, GameOutcome.BWrong, Resolution.StepRecomputed);
      moves++;
      expect(moves).to.equal(MAX_MOVES);
      const lasted = BigInt(await time.latest()) - g.opened;
      // Both full clocks, then one extension per hand-over after the first two (the clocks are full at those).
      expect(lasted).to.equal(2n * MOVE_CLOCK + (MAX_MOVES - 2n) * CLOCK_EXTENSION);
      expect(lasted).to.be.lessThanOrEqual(await f.redundant.maxGameDuration());
      expect(await f.redundant.MAX_MOVES()).to.equal(MAX_MOVES + 2n);
    });

    it("R10-3 (1) chess clock, EXPOSED and fixed: a descriptor claiming a state longer than MAX_STATE_BYTES (a deeper tree, more moves than MAX_MOVES) is refused at revealRootsAndLocate", async function () {
      const f = await loadFixture(deployRedundantFixture);
      expect(await f.redundant.MAX_STATE_BYTES()).to.equal(BigInt(MAX_STATE_BYTES));
      // Exactly MAX_STATE_BYTES: located, 19 levels.
      const ok = await syntheticGame(f, MAX_STATE_BYTES);
      await move(f.redundant, ok.model, ok.gameId, ok.a, ok.b);
      await move(f.redundant, ok.model, ok.gameId, ok.a, ok.b);
      expect((await f.redundant.getGame(ok.gameId)).level).to.equal(19n);
      // One byte more: 20 levels. Before the fix it was located too, and at 2^25 + 1 bytes (21 levels, 47 moves) a
      // game at the slowest pace lasted 34,200 s against the bound of then, maxGameDuration() = 33,000 s (43 moves).
      for (const [outLength, nodes] of [
        [MAX_STATE_BYTES + 1, f.operators.slice(0, 2)],
        [2 * MAX_STATE_BYTES + 1, f.operators.slice(2, 4)],
      ] as const) {
        const deep = await syntheticGame(f, outLength, nodes);
        await move(f.redundant, deep.model, deep.gameId, deep.a, deep.b);
        await expect(
          f.redundant
            .connect(deep.b.signer)
            .revealRootsAndLocate(deep.gameId, deep.b.roots, deep.a.roots, deep.model.witness(0)),
        )
          .to.be.revertedWithCustomError(f.redundant, "BisectionGameStateTooLarge")
          .withArgs(deep.gameId, outLength, MAX_STATE_BYTES);
        // Such a version cannot be refereed: B, who must locate, loses on time (nodes must not serve it).
        await time.increaseTo((await f.redundant.deadline(deep.gameId)) + 1n);
        await expect(f.redundant.resolveTimeout(deep.gameId))
          .to.emit(f.redundant, "GameResolved")
          .withArgs(deep.gameId, deep.requestId, GameOutcome.BWrong, Resolution.PlayerBTimedOut);
      }
    });
  });

  describe("(2) last-second moves", function () {
    it("R10-4 (2) last second, not exposed: a move in the last second of its clock is accepted, resolveTimeout in that second is refused, and the opponent still has at least clockExtension to reply (both players at the proof)", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await openRefereeGame(f, {
        model: "mlp",
        digit: 11,
        lieB: [
          { step: 2, byte: 3 },
          { step: L, byte: 0 },
        ],
      });
      let handOvers = 0;
      for (;;) {
        const g = await f.redundant.getGame(game.gameId);
        if (Number(g.phase) === Phase.Resolved) break;
        const d = await f.redundant.deadline(game.gameId);
        await time.increaseTo(d - 1n);
        await time.setNextBlockTimestamp(d);
        // Checked in the pending block (timestamp d) without mining it: the move below is mined in that block.
        await expect(f.redundant.connect(f.stranger).resolveTimeout.staticCall(game.gameId, { blockTag: "pending" }))
          .to.be.revertedWithCustomError(f.redundant, "BisectionGameClockRunning")
          .withArgs(game.gameId, d);
        const mover = await f.redundant.onTheMove(game.gameId);
        const side: Side = mover === game.nodes.B.address ? "B" : "A"; // A (honest) proves
        const receipt = (await (await (await game.players[side].nextMove(game.gameId))!.send()).wait())!;
        expect(BigInt((await receipt.getBlock()).timestamp)).to.equal(d);
        const after = await f.redundant.getGame(game.gameId);
        if (Number(after.phase) === Phase.Resolved) break;
        handOvers++;
        if (Number(after.phase) === Phase.AwaitingProof) {
          expect(after.clockA).to.be.greaterThanOrEqual(CLOCK_EXTENSION);
          expect(after.clockB).to.be.greaterThanOrEqual(CLOCK_EXTENSION);
        }
        expect((await f.redundant.deadline(game.gameId)) - d).to.be.greaterThanOrEqual(CLOCK_EXTENSION);
      }
      expect(handOvers).to.be.greaterThan(4);
      expect((await f.redundant.getGame(game.gameId)).outcome).to.equal(GameOutcome.BWrong);
      expect((await f.redundant.getRequest(game.requestId)).resultHash).to.equal(outputHashOf(game.views.A.states[L]));
    });
  });

  describe("(3) moves after resolution", function () {
    it("R10-5 (3) after resolution, not exposed: every move and resolveTimeout on a resolved game reverts, by anyone, and nothing changes, also while the request's next game runs", async function () {
      const f = await loadFixture(deployRedundantFixture);
      // k = 3, slots 0 and 1 lie alike, slot 2 is honest: game 1 (0 v 2), then game 2 (1 v 2).
      const lie: Lie[] = [
        { step: 2, byte: 7 },
        { step: L, byte: 4 },
      ];
      const { requestId, s0 } = await requestRedundant(f, "mlp", 22, 3);
      const views = [lieView("mlp", s0, lie), lieView("mlp", s0, lie), lieView("mlp", s0)];
      for (let i = 0; i < 3; i++) await commitView(f, f.operators[i], requestId, views[i]);
      await playGame(f, 1n, views);
      expect((await f.redundant.getGame(1n)).phase).to.equal(Phase.Resolved);
      expect((await f.redundant.getRequest(requestId)).activeGame).to.equal(2n);

      const w = views[2].weights.layerProof(1);
      const layer = { descriptor: w.descriptor, rowsRoot: w.rowsRoot, layerProof: w.layerProof };
      const p = buildStepProof(views[2].program, views[2].states, 1, 3, views[2].weights);
      const roots = [...views[2].trace.stateRoots];
      const zero = ethers.ZeroHash;
      async function everyMoveReverts(gameId: bigint) {
        for (const who of [f.operators[0], f.operators[1], f.operators[2], f.stranger]) {
          const m = f.redundant.connect(who);
          for (const [call, expected] of [
            [() => m.revealRoots(gameId, roots), Phase.AwaitingRootsA],
            [() => m.revealRootsAndLocate(gameId, roots, roots, layer), Phase.AwaitingRootsB],
            [() => m.revealChildren(gameId, zero, zero), Phase.AwaitingChildrenA],
            [() => m.openChunk(gameId, zero), Phase.AwaitingChunkA],
            [() => m.proveStep(gameId, 3, p.layer, p.slice, p.rows), Phase.AwaitingProof],
            [() => m.proveStepSparse(gameId, 3, p.layer, NO_SPARSE_SLICE, p.rows), Phase.AwaitingProof],
            // The generation moves (docs/GENERATION.md §9): the pass level of the refereed game.
            [() => m.revealPassRoots(gameId, [], "0x", "0x"), Phase.AwaitingPassRootsA],
            [() => m.revealPassRootsAndLocate(gameId, NO_GENERATION, NO_GENERATION, "0x"), Phase.AwaitingPassRootsB],
            [() => m.revealPassStates(gameId, roots, "0x", "0x"), Phase.AwaitingPassStatesA],
            [() => m.proveChoice(gameId, "0x", []), Phase.AwaitingChoice],
          ] as const) {
            await expect(call())
              .to.be.revertedWithCustomError(f.redundant, "BisectionGameWrongPhase")
              .withArgs(gameId, expected, Phase.Resolved);
          }
          await expect(m.resolveTimeout(gameId))
            .to.be.revertedWithCustomError(f.redundant, "BisectionGameAlreadyResolved")
            .withArgs(gameId);
        }
      }
      const snapshot = async () =>
        JSON.stringify(
          {
            request: await f.redundant.getRequest(requestId),
            slots: await f.redundant.getSlots(requestId),
            games: [await f.redundant.getGame(1n), await f.redundant.getGame(2n)],
            credits: await Promise.all([f.requester, ...f.operators].map((s) => f.redundant.credits(s.address))),
            locked: await Promise.all(f.operators.map((s) => f.staking.lockedStake(s.address))),
            balance: await f.token.balanceOf(await f.redundant.getAddress()),
          },
          (_, v) => (typeof v === "bigint" ? v.toString() : v),
        );
      // While game 2 runs (and late in it: past game 1's old deadlines).
      const mid = await snapshot();
      await time.increase(MOVE_CLOCK / 2n);
      await everyMoveReverts(1n);
      expect(await snapshot()).to.equal(mid);
      // After the request settled.
      await playGame(f, 2n, views);
      expect((await f.redundant.getRequest(requestId)).status).to.equal(RequestStatus.Finalized);
      const end = await snapshot();
      await everyMoveReverts(1n);
      await everyMoveReverts(2n);
      expect(await snapshot()).to.equal(end);
    });
  });

  /** Plays game `gameId` of a request whose slot i is operator i with view views[i]; checks solvency after each move. */
  async function playGame(
    f: RedundantFixture,
    gameId: bigint,
    views: PartyView[],
    signers = f.operators,
    check?: () => Promise<void>,
  ) {
    const g = await f.redundant.getGame(gameId);
    const players = {
      A: new Player("A", views[Number(g.slotA)], new RedundantBoard(f.redundant.connect(signers[Number(g.slotA)]))),
      B: new Player("B", views[Number(g.slotB)], new RedundantBoard(f.redundant.connect(signers[Number(g.slotB)]))),
    };
    for (let turn = 0; turn < 50; turn++) {
      const phase = Number((await f.redundant.getGame(gameId)).phase);
      if (phase === Phase.Resolved) return Number((await f.redundant.getGame(gameId)).outcome) as GameOutcome;
      // In the proof phase nobody is on the move (address(0)): B proves, whichever node is right.
      const side: Side = (await f.redundant.onTheMove(gameId)) === g.nodeA ? "A" : "B";
      await (await (await players[side].nextMove(gameId))!.send()).wait();
      await check?.();
    }
    throw new Error(`game ${gameId} did not end`);
  }

  describe("(4) resolution gas", function () {
    it("R10-6 (4) resolution gas, not exposed: with MAX_NODES = 5 slots, request, commits, close, a game's resolution and the settlement stay far below a block (loops bounded by MAX_NODES)", async function () {
      const f = await loadFixture(deployFiveNodes);
      const gas: Record<string, bigint> = {};
      const used = async (label: string, tx: Promise<{ wait(): Promise<{ gasUsed: bigint } | null> }>) => {
        gas[label] = (await (await tx).wait())!.gasUsed;
      };
      const nodes = f.nodes5;
      const names = nodes.map((n) => n.address);
      // 1. Five in agreement: the fifth commit pays five nodes and releases five collaterals.
      const { s0 } = digitInput("mlp", 40);
      await used("request k=5", f.redundant.connect(f.requester).request(1n, bytesOf(s0), FEE, names));
      const id = await f.redundant.requestCount();
      const honest = lieView("mlp", s0);
      for (let i = 0; i < 5; i++) await used(`commit ${i + 1} of 5`, commitView(f, nodes[i], id, honest));
      expect((await f.redundant.getRequest(id)).status).to.equal(RequestStatus.Finalized);

      // Requests of the next scenarios, committed while every node is eligible (a game's loser is jailed).
      // 2. Four of five commit in agreement, then close: refunds one slot and settles four.
      const closing = await requestRedundant(f, "mlp", 42, 5, names);
      for (let i = 0; i < 4; i++) await commitView(f, nodes[i], closing.requestId, lieView("mlp", closing.s0));
      // 3. One of five commits, then close: the expiry pays the lone node and refunds four.
      const lone = await requestRedundant(f, "mlp", 43, 5, names);
      await commitView(f, nodes[4], lone.requestId, lieView("mlp", lone.s0));
      // 4. Slot 0 lies: the proof that resolves the game eliminates it and settles the four others at once.
      const lying = await requestRedundant(f, "mlp", 41, 5, names);
      const views = [
        lieView("mlp", lying.s0, [
          { step: 1, byte: 2 },
          { step: L, byte: 0 },
        ]),
        ...Array.from({ length: 4 }, () => lieView("mlp", lying.s0)),
      ];
      for (let i = 0; i < 5; i++) await commitView(f, nodes[i], lying.requestId, views[i]);
      // 5. Slot 0 lies and never plays: the resolveTimeout eliminates it and settles four.
      const timed = await requestRedundant(f, "mlp", 44, 5, names);
      for (let i = 0; i < 5; i++) {
        const view = i === 0 ? lieView("mlp", timed.s0, { step: L, byte: 1 }) : lieView("mlp", timed.s0);
        await commitView(f, nodes[i], timed.requestId, view);
      }

      const gameId = (await f.redundant.getRequest(lying.requestId)).activeGame;
      const players = {
        A: new Player("A", views[0], new RedundantBoard(f.redundant.connect(nodes[0]))),
        B: new Player("B", views[1], new RedundantBoard(f.redundant.connect(nodes[1]))),
      };
      for (;;) {
        const phase = Number((await f.redundant.getGame(gameId)).phase);
        const onMove = await f.redundant.onTheMove(gameId);
        const side: Side = phase === Phase.AwaitingProof || onMove === nodes[1].address ? "B" : "A";
        const m = (await players[side].nextMove(gameId))!;
        if (phase === Phase.AwaitingProof) {
          await used("proof: resolve + settle 4", m.send());
          break;
        }
        await (await m.send()).wait();
      }
      expect((await f.redundant.getRequest(lying.requestId)).status).to.equal(RequestStatus.Finalized);

      await time.increase((await f.redundant.parameters()).commitTimeout + 1n);
      await used("close: settle 4 of 5", f.redundant.close(closing.requestId));
      await used("close: expire 1 of 5", f.redundant.close(lone.requestId));
      const timedGame = (await f.redundant.getRequest(timed.requestId)).activeGame;
      expect(await f.redundant.deadline(timedGame)).to.be.lessThan(BigInt(await time.latest()));
      await used("resolveTimeout: eliminate + settle 4", f.redundant.resolveTimeout(timedGame));
      expect((await f.redundant.getRequest(closing.requestId)).status).to.equal(RequestStatus.Finalized);
      expect((await f.redundant.getRequest(lone.requestId)).status).to.equal(RequestStatus.Expired);
      expect((await f.redundant.getRequest(timed.requestId)).status).to.equal(RequestStatus.Finalized);

      console.log(
        `      gas with MAX_NODES = 5: ${Object.entries(gas)
          .map(([k, v]) => `${k} ${v}`)
          .join(", ")}`,
      );
      for (const [label, g] of Object.entries(gas)) {
        // The proof carries the one-step verifier's work (≈ 0.3M on the MLP); everything else is the bookkeeping.
        expect(g, label).to.be.lessThan(label.startsWith("proof") ? 1_500_000n : 1_000_000n);
      }
    });

    it("R10-6 (4) resolution gas, not exposed: locating the step in a trace of the registry's largest 1024 layers (1025 roots per side) stays far below a block", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const LAYERS = 1024;
      const model = syntheticModel(Array.from({ length: LAYERS }, () => headDescriptor(IO)));
      const version = await publishSynthetic(f, model, IO);
      const states = Array.from({ length: LAYERS + 1 }, (_, i) => (i === 0 ? INPUT : output(1)));
      const a = party(f.operators[0], states);
      // B differs only at the output: the scan for the first difference reads every root.
      const b = party(f.operators[1], [...states.slice(0, LAYERS), output(2)]);
      const requestId = await requestSynthetic(f, version, [a.signer, b.signer]);
      await commitParty(f.redundant, a, requestId);
      await commitParty(f.redundant, b, requestId);
      const gameId = (await f.redundant.getRequest(requestId)).activeGame;
      const reveal = (await (await f.redundant.connect(a.signer).revealRoots(gameId, a.roots)).wait())!.gasUsed;
      const locate = (await (
        await f.redundant.connect(b.signer).revealRootsAndLocate(gameId, b.roots, a.roots, model.witness(LAYERS - 1))
      ).wait())!.gasUsed;
      console.log(`      gas with 1024 layers: revealRoots ${reveal}, revealRootsAndLocate ${locate}`);
      expect((await f.redundant.getGame(gameId)).step).to.equal(BigInt(LAYERS - 1));
      expect(reveal).to.be.lessThan(3_000_000n);
      expect(locate).to.be.lessThan(5_000_000n);
    });
  });

  describe("(5) collateral across several games", function () {
    it("R10-7 (5) several games on one request, not exposed: k = 5 with three different outputs plays three games one at a time; each slot's collateral is released or slashed exactly once; solvent after every move", async function () {
      const f = await loadFixture(deployFiveNodes);
      const nodes = f.nodes5;
      const accounts = [f.requester, ...nodes].map((s) => s.address);
      const before = await Promise.all(nodes.map((n) => f.staking.totalStake(n.address)));
      const lockedBefore = await Promise.all(nodes.map((n) => f.staking.lockedStake(n.address)));
      const { requestId, s0 } = await requestRedundant(
        f,
        "mlp",
        50,
        5,
        nodes.map((n) => n.address),
      );
      const x: Lie[] = [
        { step: 2, byte: 7 },
        { step: L, byte: 4 },
      ];
      const y: Lie[] = [{ step: L, byte: 5, delta: 90 }];
      // Slots: honest, X, Y, honest, X.
      const views = [
        lieView("mlp", s0),
        lieView("mlp", s0, x),
        lieView("mlp", s0, y),
        lieView("mlp", s0),
        lieView("mlp", s0, x),
      ];
      const honestSlots = new Set([0, 3]);
      for (let i = 0; i < 5; i++) {
        await commitView(f, nodes[i], requestId, views[i]);
        await expectSolvent(f, accounts);
      }
      const pairs: [number, number][] = [];
      for (let round = 0; round < 5; round++) {
        const gameId = (await f.redundant.getRequest(requestId)).activeGame;
        if (gameId === 0n) break;
        const g = await f.redundant.getGame(gameId);
        pairs.push([Number(g.slotA), Number(g.slotB)]);
        const players = {
          A: new Player("A", views[Number(g.slotA)], new RedundantBoard(f.redundant.connect(nodes[Number(g.slotA)]))),
          B: new Player("B", views[Number(g.slotB)], new RedundantBoard(f.redundant.connect(nodes[Number(g.slotB)]))),
        };
        for (let turn = 0; turn < 50 && Number((await f.redundant.getGame(gameId)).phase) !== Phase.Resolved; turn++) {
          const phase = Number((await f.redundant.getGame(gameId)).phase);
          const side: Side =
            phase === Phase.AwaitingProof ? "A" : (await f.redundant.onTheMove(gameId)) === g.nodeA ? "A" : "B";
          await (await (await players[side].nextMove(gameId))!.send()).wait();
          await expectSolvent(f, accounts);
        }
        expect((await f.redundant.getGame(gameId)).outcome).to.equal(GameOutcome.BWrong);
      }
      expect(pairs).to.deep.equal([
        [0, 1],
        [0, 2],
        [0, 4],
      ]);
      const r = await f.redundant.getRequest(requestId);
      expect(r.status).to.equal(RequestStatus.Finalized);
      expect(r.escrow).to.equal(0n);
      expect(r.resultHash).to.equal(outputHashOf(views[0].states[L]));
      const eliminated = await f.redundant.queryFilter(f.redundant.filters.NodeEliminated(requestId));
      expect(eliminated.map((e) => e.args.node)).to.deep.equal([nodes[1].address, nodes[2].address, nodes[4].address]);
      for (let i = 0; i < 5; i++) {
        const who = nodes[i].address;
        expect(await f.staking.lockedStake(who), `locked ${i}`).to.equal(lockedBefore[i]);
        expect(await f.staking.totalStake(who), `stake ${i}`).to.equal(
          honestSlots.has(i) ? before[i] : before[i] - COLLATERAL,
        );
        const unlocked = await f.staking.queryFilter(f.staking.filters.StakeUnlocked(who));
        expect(unlocked, `unlocks of ${i}`).to.have.length(1);
        const slashed = await f.staking.queryFilter(f.staking.filters.StakeSlashed(who));
        expect(slashed, `slashes of ${i}`).to.have.length(honestSlots.has(i) ? 0 : 1);
      }
      expect((await f.redundant.getSlots(requestId)).map((s) => Number(s.status))).to.deep.equal([
        SlotStatus.Paid,
        SlotStatus.Eliminated,
        SlotStatus.Eliminated,
        SlotStatus.Paid,
        SlotStatus.Eliminated,
      ]);
      expect(await f.redundant.credits(nodes[0].address)).to.equal(FEE + 3n * (FEE + REWARD));
      expect(await f.redundant.credits(nodes[3].address)).to.equal(FEE);
      for (const i of [1, 2, 4]) expect(await f.redundant.credits(nodes[i].address)).to.equal(0n);
      for (const s of [f.requester, ...nodes]) {
        if ((await f.redundant.credits(s.address)) > 0n) await f.redundant.connect(s).claimCredits();
      }
      expect(await f.token.balanceOf(await f.redundant.getAddress())).to.equal(0n);
    });

    it("R10-7 (5) games of two requests resolved out of order, not exposed: a node lying in both loses both collaterals exactly once each; the others are released; solvent throughout", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const [h1, liar, h2] = f.operators;
      const accounts = [f.requester, h1, liar, h2].map((s) => s.address);
      const stakeBefore = await f.staking.totalStake(liar.address);
      const first = await requestRedundant(f, "mlp", 60, 2, [h1.address, liar.address]);
      const second = await requestRedundant(f, "mlp", 61, 2, [h2.address, liar.address]);
      const v1 = [lieView("mlp", first.s0), lieView("mlp", first.s0, { step: L, byte: 2 })];
      const v2 = [lieView("mlp", second.s0), lieView("mlp", second.s0, { step: L, byte: 3 })];
      await commitView(f, h1, first.requestId, v1[0]);
      await commitView(f, liar, first.requestId, v1[1]);
      await commitView(f, h2, second.requestId, v2[0]);
      await commitView(f, liar, second.requestId, v2[1]);
      expect(await f.staking.lockedStake(liar.address)).to.equal(2n * COLLATERAL);
      const check = () => expectSolvent(f, accounts);
      // The later game first, played to its end; then the earlier one, by timeout.
      const g2 = (await f.redundant.getRequest(second.requestId)).activeGame;
      expect(await playGame(f, g2, [v2[0], v2[1]], [h2, liar], check)).to.equal(GameOutcome.BWrong);
      const g1 = (await f.redundant.getRequest(first.requestId)).activeGame;
      expect(g1).to.be.lessThan(g2);
      await f.redundant.connect(h1).revealRoots(g1, [...v1[0].trace.stateRoots]);
      await time.increaseTo((await f.redundant.deadline(g1)) + 1n);
      await f.redundant.resolveTimeout(g1);
      await check();
      for (const id of [first.requestId, second.requestId]) {
        expect((await f.redundant.getRequest(id)).status).to.equal(RequestStatus.Finalized);
      }
      expect(await f.staking.lockedStake(liar.address)).to.equal(0n);
      expect(await f.staking.totalStake(liar.address)).to.equal(stakeBefore - 2n * COLLATERAL);
      expect(await f.staking.queryFilter(f.staking.filters.StakeSlashed(liar.address))).to.have.length(2);
      for (const h of [h1, h2]) {
        expect(await f.staking.lockedStake(h.address)).to.equal(0n);
        expect(await f.redundant.credits(h.address)).to.equal(2n * FEE + REWARD);
      }
    });
  });

  describe("(6) front-running", function () {
    it("R10-8 (6) front-running moves, not exposed: a third party can make no move in someone else's game, and a proof front-run by the liar decides the same", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await openRefereeGame(f, {
        model: "mlp",
        digit: 12,
        lieB: [
          { step: 2, byte: 3 },
          { step: L, byte: 0 },
        ],
      });
      const thief = f.operators[2]; // an eligible node, not a player
      const m = f.redundant.connect(thief);
      for (;;) {
        const g = await f.redundant.getGame(game.gameId);
        const phase = Number(g.phase);
        if (phase === Phase.Resolved) break;
        const side: Side =
          phase === Phase.AwaitingProof
            ? "B"
            : (await f.redundant.onTheMove(game.gameId)) === game.nodes.A.address
              ? "A"
              : "B";
        // The thief sends the very move the player is about to send (copied from the mempool), first.
        const v = game.views[side];
        const step = Number(g.step);
        const rootsA = [...game.views.A.trace.stateRoots];
        const w = v.weights.layerProof(Math.max(step, 1));
        const layer = { descriptor: w.descriptor, rowsRoot: w.rowsRoot, layerProof: w.layerProof };
        const copies: Record<number, () => Promise<unknown>> = {
          [Phase.AwaitingRootsA]: () => m.revealRoots(game.gameId, rootsA),
          [Phase.AwaitingRootsB]: () => m.revealRootsAndLocate(game.gameId, [...v.trace.stateRoots], rootsA, layer),
          [Phase.AwaitingChildrenA]: () => m.revealChildren(game.gameId, ethers.ZeroHash, ethers.ZeroHash),
          [Phase.AwaitingChildrenB]: () => m.revealChildren(game.gameId, ethers.ZeroHash, ethers.ZeroHash),
          [Phase.AwaitingChunkA]: () => m.openChunk(game.gameId, ethers.ZeroHash),
          [Phase.AwaitingChunkB]: () => m.openChunk(game.gameId, ethers.ZeroHash),
          [Phase.AwaitingProof]: () => m.proveStep(game.gameId, 0, layer, NO_SLICE, []),
        };
        await expect(copies[phase]())
          .to.be.revertedWithCustomError(f.redundant, "BisectionGameNotYourTurn")
          .withArgs(game.gameId, thief.address);
        if (phase === Phase.AwaitingProof) {
          await expect(m.proveStepSparse(game.gameId, 0, layer, NO_SPARSE_SLICE, []))
            .to.be.revertedWithCustomError(f.redundant, "BisectionGameNotYourTurn")
            .withArgs(game.gameId, thief.address);
        }
        // B (the liar) proves in the proof phase, ahead of A: the verifier's value still decides against it.
        await (await (await game.players[side].nextMove(game.gameId))!.send()).wait();
      }
      const proven = await f.redundant.queryFilter(f.redundant.filters.StepProven(game.gameId));
      expect(proven).to.have.length(1);
      expect((await f.redundant.getGame(game.gameId)).outcome).to.equal(GameOutcome.BWrong);
    });

    it("R10-9 (6) front-running commits, fixed by F5: a copy of a named node's pending commit sent first by a node the request does not name reverts NotNamed; a copy by the other named node fills only its own slot", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const [victim, other, thief] = f.operators;
      const { requestId, s0 } = await requestRedundant(f, "mlp", 70, 2, [victim.address, other.address]);
      const right = lieView("mlp", s0);
      // The thief copies the victim's calldata (output, trace root, proofs) and sends it first.
      await expect(commitView(f, thief, requestId, right))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerNotNamed")
        .withArgs(requestId, thief.address);
      // The other named node copies it too: it lands in slot 1, its own, and cannot displace the victim.
      await expect(commitView(f, other, requestId, right))
        .to.emit(f.redundant, "RedundantCommitted")
        .withArgs(
          requestId,
          other.address,
          1,
          ethers.hexlify(bytesOf(right.states[L])),
          outputHashOf(right.states[L]),
          right.trace.traceRoot,
        );
      await expect(commitView(f, victim, requestId, right))
        .to.emit(f.redundant, "RedundantCommitted")
        .withArgs(
          requestId,
          victim.address,
          0,
          ethers.hexlify(bytesOf(right.states[L])),
          outputHashOf(right.states[L]),
          right.trace.traceRoot,
        );
      expect((await f.redundant.getSlots(requestId)).map((s) => s.node)).to.deep.equal([victim.address, other.address]);
      expect(await f.redundant.credits(victim.address)).to.equal(FEE);
    });
  });
});
