import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { buildSparseStepProof, buildStepProof } from "../../game/step-proof";
import { chunkHex, subtreeRoot } from "../../game/view";
import { commitArgs } from "../../game/boards/redundant";
import { GamePhase as Phase } from "../../game/enums";
import { MerkleTree } from "../../executor/trace/merkle";
import { bytesOf } from "../../executor/trace/trace";
import { demoModel } from "../../models/demo-models";
import { digitInput, gameFactory, outputHashOf } from "../helpers/dispute-fixtures";
import { ProofPart, Resolution, StateRootsFault, TraceEnd } from "../../protocol/constants";
import { MODE, versionSpec } from "../helpers/fixtures";
import { shouldBehaveLikeChessClock } from "../behaviours/chess-clock.behaviour";
import { shouldBehaveLikePullCredits } from "../behaviours/pull-credits.behaviour";
import {
  CLOCK_EXTENSION,
  COLLATERAL,
  COMMIT_TIMEOUT,
  commitView,
  deployRedundantFixture,
  FEE,
  GameOutcome,
  lieView,
  MOVE_CLOCK,
  namedNodes,
  openRefereeGame,
  PARAMS,
  requestRedundant,
  RequestStatus,
  SlotStatus,
  type RedundantFixture,
} from "./redundant-fixtures";

/** Every external function of the RedundantManager: the happy path, each revert with its arguments, the events. */
describe("RedundantManager", function () {
  this.timeout(120_000);

  const L = demoModel("mlp").program.layers.length;

  describe("constructor and setParameters", function () {
    it("stores the parameters and grants the admin both roles", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const p = await f.redundant.parameters();
      expect(p.maxNodes).to.equal(PARAMS.maxNodes);
      expect(p.collateralMultiplier).to.equal(PARAMS.collateralMultiplier);
      expect(p.rewardPpm).to.equal(PARAMS.rewardPpm);
      expect(await f.redundant.hasRole(await f.redundant.GOVERNOR_ROLE(), f.governor.address)).to.equal(true);
      expect(await f.redundant.maxGameDuration()).to.equal(2n * MOVE_CLOCK + 45n * CLOCK_EXTENSION);
    });

    it("reverts on a zero address", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const contracts = {
        token: await f.token.getAddress(),
        modelRegistry: await f.models.getAddress(),
        nodeRegistry: await f.nodes.getAddress(),
        staking: await f.staking.getAddress(),
        verifier: ethers.ZeroAddress,
      };
      const factory = await gameFactory("RedundantManager");
      await expect(factory.deploy(contracts, f.governor.address, PARAMS)).to.be.revertedWithCustomError(
        f.redundant,
        "RedundantManagerZeroAddress",
      );
    });

    it("K10: lets the governor set bounded parameters, with an event", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const next = { ...PARAMS, maxNodes: 3, rewardPpm: 250_000n };
      await expect(f.redundant.connect(f.governor).setParameters(next)).to.emit(f.redundant, "ParametersSet");
      expect((await f.redundant.parameters()).maxNodes).to.equal(3n);
    });

    it("K10: reverts for a non-governor and for each parameter out of bounds", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await expect(f.redundant.connect(f.stranger).setParameters(PARAMS)).to.be.revertedWithCustomError(
        f.redundant,
        "AccessControlUnauthorizedAccount",
      );
      const cases: [keyof typeof PARAMS, bigint, bigint, bigint][] = [
        ["maxNodes", 1n, 2n, 5n],
        ["maxNodes", 6n, 2n, 5n],
        ["collateralMultiplier", 0n, 1n, 1000n],
        ["commitTimeout", 59n, 60n, 7n * 86400n],
        ["moveClock", 299n, 300n, 7n * 86400n],
        ["clockExtension", 86401n, 60n, 86400n],
        ["rewardPpm", 500_001n, 0n, 500_000n],
      ];
      for (const [name, value, min, max] of cases) {
        await expect(f.redundant.connect(f.governor).setParameters({ ...PARAMS, [name]: value }))
          .to.be.revertedWithCustomError(f.redundant, "BisectionGameParameterOutOfBounds")
          .withArgs(ethers.encodeBytes32String(name), value, min, max);
      }
    });
  });

  describe("request", function () {
    it("R10-1: escrows k x fee, reserves slot i for nodes[i] and emits RedundantRequested", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { s0 } = digitInput("mlp", 0);
      const input = bytesOf(s0);
      // Named in any order: slot i is nodes[i].
      const nodes = [f.operators[2].address, f.operators[0].address, f.operators[1].address];
      const tx = f.redundant.connect(f.requester).request(1n, input, FEE, nodes);
      await expect(tx).to.changeTokenBalances(f.token, [f.requester, f.redundant], [-3n * FEE, 3n * FEE]);
      const deadline = BigInt(await time.latest()) + COMMIT_TIMEOUT;
      await expect(tx)
        .to.emit(f.redundant, "RedundantRequested")
        .withArgs(1n, f.requester.address, 1n, ethers.hexlify(input), FEE, nodes, deadline);
      const r = await f.redundant.getRequest(1n);
      expect(r.status).to.equal(RequestStatus.Open);
      expect(r.k).to.equal(3n);
      expect(r.escrow).to.equal(3n * FEE);
      expect(r.collateral).to.equal(COLLATERAL);
      expect(r.inputRoot).to.equal(MerkleTree.fromData(input).root);
      expect(r.layerCount).to.equal(BigInt(L));
      const slots = await f.redundant.getSlots(1n);
      expect(slots.map((x) => x.node)).to.deep.equal(nodes);
      expect(slots.map((x) => Number(x.status))).to.deep.equal([SlotStatus.Named, SlotStatus.Named, SlotStatus.Named]);
      expect(slots.map((x) => x.outputHash)).to.deep.equal([ethers.ZeroHash, ethers.ZeroHash, ethers.ZeroHash]);
    });

    it("reverts for k = nodes.length outside 2..maxNodes", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const input = bytesOf(digitInput("mlp", 0).s0);
      const many = [...f.operators.map((o) => o.address), f.stranger.address];
      for (const k of [0, 1, 6]) {
        await expect(f.redundant.connect(f.requester).request(1n, input, FEE, many.slice(0, k)))
          .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadNodeCount")
          .withArgs(k, 5);
      }
    });

    it("R10-1: reverts for a node named twice and for a named node not eligible for the version", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const input = bytesOf(digitInput("mlp", 0).s0);
      const [a, b] = namedNodes(f, 2);
      await expect(f.redundant.connect(f.requester).request(1n, input, FEE, [a, b, a]))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerDuplicateNode")
        .withArgs(a);
      await expect(f.redundant.connect(f.requester).request(1n, input, FEE, [a, f.stranger.address]))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerNotEligible")
        .withArgs(f.stranger.address, 1n);
      await f.nodes.connect(f.operators[1]).unserveVersions([1]);
      await expect(f.redundant.connect(f.requester).request(1n, input, FEE, [a, b]))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerNotEligible")
        .withArgs(b, 1n);
      await expect(f.redundant.connect(f.requester).request(1n, input, FEE, [a, ethers.ZeroAddress]))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerNotEligible")
        .withArgs(ethers.ZeroAddress, 1n);
      expect(await f.redundant.requestCount()).to.equal(0n);
    });

    it("reverts for a fee below the version's, an inactive version, a version without OPTIMISTIC, a wrong input length", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const input = bytesOf(digitInput("mlp", 0).s0);
      await expect(f.redundant.connect(f.requester).request(1n, input, FEE - 1n, namedNodes(f, 2)))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerFeeTooLow")
        .withArgs(FEE - 1n, FEE);
      await expect(f.redundant.connect(f.requester).request(99n, input, FEE, namedNodes(f, 2)))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerVersionNotActive")
        .withArgs(99n);
      await f.models.connect(f.publisher).publishModel("tee-only", versionSpec({ modes: MODE.TEE }));
      await expect(f.redundant.connect(f.requester).request(3n, input, FEE, namedNodes(f, 2)))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerModeNotSupported")
        .withArgs(3n);
      await expect(f.redundant.connect(f.requester).request(1n, input.subarray(1), FEE, namedNodes(f, 2)))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadLength")
        .withArgs(TraceEnd.Input, input.length - 1, input.length);
    });
  });

  describe("commit", function () {
    it("K8, R10-1: fills the caller's own named slot, whatever the order of commits, locks the collateral, emits RedundantCommitted", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, s0 } = await requestRedundant(f, "mlp", 1, 2);
      const view = lieView("mlp", s0);
      const node = f.operators[1]; // slot 1, committing first
      const freeBefore = await f.staking.freeStake(node.address);
      const out = view.states[L];
      await expect(commitView(f, node, requestId, view))
        .to.emit(f.redundant, "RedundantCommitted")
        .withArgs(requestId, node.address, 1, ethers.hexlify(bytesOf(out)), outputHashOf(out), view.trace.traceRoot);
      expect(await f.staking.freeStake(node.address)).to.equal(freeBefore - COLLATERAL);
      const [first, second] = await f.redundant.getSlots(requestId);
      expect(first.node).to.equal(f.operators[0].address);
      expect(first.status).to.equal(SlotStatus.Named);
      expect(second.node).to.equal(node.address);
      expect(second.status).to.equal(SlotStatus.Committed);
      expect(second.outputHash).to.equal(outputHashOf(out));
      expect(second.traceRoot).to.equal(view.trace.traceRoot);
      expect((await f.redundant.getRequest(requestId)).committed).to.equal(1n);
    });

    it("K1: agreement of all k finalizes at once: each node paid its fee, collateral released, no game", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, s0 } = await requestRedundant(f, "mlp", 2, 2);
      const view = lieView("mlp", s0);
      await commitView(f, f.operators[0], requestId, view);
      await expect(commitView(f, f.operators[1], requestId, view))
        .to.emit(f.redundant, "RedundantFinalized")
        .withArgs(requestId, outputHashOf(view.states[L]), 2);
      const r = await f.redundant.getRequest(requestId);
      expect(r.status).to.equal(RequestStatus.Finalized);
      expect(r.escrow).to.equal(0n);
      for (const op of f.operators.slice(0, 2)) {
        expect(await f.redundant.credits(op.address)).to.equal(FEE);
        expect(await f.staking.lockedStake(op.address)).to.equal(0n);
      }
      expect((await f.redundant.getSlots(requestId)).map((s) => s.status)).to.deep.equal([
        BigInt(SlotStatus.Paid),
        BigInt(SlotStatus.Paid),
      ]);
      expect(await f.redundant.gameCount()).to.equal(0n);
    });

    it("K6: reverts for an unknown request, a settled one, a node it does not name, after the deadline", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, s0 } = await requestRedundant(f, "mlp", 3, 2);
      const view = lieView("mlp", s0);
      await expect(commitView(f, f.operators[0], 99n, view))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerUnknownRequest")
        .withArgs(99n);
      await commitView(f, f.operators[0], requestId, view);
      await commitView(f, f.operators[1], requestId, view);
      await expect(commitView(f, f.operators[2], requestId, view))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerNotOpen")
        .withArgs(requestId, RequestStatus.Finalized);

      const full = await requestRedundant(f, "mlp", 3, 2);
      const lying = lieView("mlp", s0, { step: L, byte: 0 });
      await commitView(f, f.operators[0], full.requestId, view);
      await commitView(f, f.operators[1], full.requestId, lying); // opens a game: still Open, slots full
      await expect(commitView(f, f.operators[2], full.requestId, view))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerNotNamed")
        .withArgs(full.requestId, f.operators[2].address);

      const late = await requestRedundant(f, "mlp", 3, 2);
      const deadline = (await f.redundant.getRequest(late.requestId)).commitDeadline;
      await time.increaseTo(deadline + 1n);
      await expect(commitView(f, f.operators[2], late.requestId, view))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerCommitClosed")
        .withArgs(late.requestId, deadline);
    });

    it("R10-1: reverts for a stranger, a named node no longer eligible and a node committing twice", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, s0 } = await requestRedundant(f, "mlp", 4, 3);
      const view = lieView("mlp", s0);
      await expect(commitView(f, f.stranger, requestId, view))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerNotNamed")
        .withArgs(requestId, f.stranger.address);
      // Eligible when named, no longer when it commits (it stopped serving the version).
      await f.nodes.connect(f.operators[2]).unserveVersions([1]);
      await expect(commitView(f, f.operators[2], requestId, view))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerNotEligible")
        .withArgs(f.operators[2].address, 1n);
      await commitView(f, f.operators[0], requestId, view);
      await expect(commitView(f, f.operators[0], requestId, view))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerAlreadyCommitted")
        .withArgs(requestId, f.operators[0].address);
    });

    it("K2: reverts for an output of the wrong length and for anchors that do not fit the trace root", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, s0 } = await requestRedundant(f, "mlp", 5, 2);
      const a = commitArgs(lieView("mlp", s0));
      const node = f.redundant.connect(f.operators[0]);
      await expect(node.commit(requestId, a.output.subarray(1), a.traceRoot, a.inputProof, a.outputProof))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadLength")
        .withArgs(TraceEnd.Output, a.output.length - 1, a.output.length);
      // The honest trace root with another output (equal trace roots, different outputs) cannot be committed.
      const other = Uint8Array.from(a.output);
      other[0] ^= 1;
      await expect(node.commit(requestId, other, a.traceRoot, a.inputProof, a.outputProof))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadAnchor")
        .withArgs(requestId, TraceEnd.Output);
      // A trace that does not start at the request's input.
      const wrongInput = commitArgs(lieView("mlp", digitInput("mlp", 6).s0));
      await expect(
        node.commit(requestId, wrongInput.output, wrongInput.traceRoot, wrongInput.inputProof, wrongInput.outputProof),
      )
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadAnchor")
        .withArgs(requestId, TraceEnd.Input);
    });
  });

  describe("close", function () {
    it("reverts before the deadline and when every slot is filled", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, s0 } = await requestRedundant(f, "mlp", 7, 2);
      const deadline = (await f.redundant.getRequest(requestId)).commitDeadline;
      await expect(f.redundant.close(requestId))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerDeadlineNotPassed")
        .withArgs(requestId, deadline);
      await commitView(f, f.operators[0], requestId, lieView("mlp", s0));
      await commitView(f, f.operators[1], requestId, lieView("mlp", s0, { step: L, byte: 0 }));
      await time.increaseTo(deadline + 1n);
      await expect(f.redundant.close(requestId))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerAllSlotsFilled")
        .withArgs(requestId);
    });

    it("R10-2: expires a request with one commitment: the lone node paid its fee and released, the other fees refunded", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, s0 } = await requestRedundant(f, "mlp", 8, 3);
      await commitView(f, f.operators[1], requestId, lieView("mlp", s0));
      await time.increase(COMMIT_TIMEOUT + 1n);
      await expect(f.redundant.connect(f.stranger).close(requestId))
        .to.emit(f.redundant, "RedundantExpired")
        .withArgs(requestId, 1, 2n * FEE);
      const r = await f.redundant.getRequest(requestId);
      expect(r.status).to.equal(RequestStatus.Expired);
      expect(r.escrow).to.equal(0n);
      expect(await f.redundant.credits(f.requester.address)).to.equal(2n * FEE);
      expect(await f.redundant.credits(f.operators[1].address)).to.equal(FEE);
      expect(await f.staking.lockedStake(f.operators[1].address)).to.equal(0n);
      expect((await f.redundant.getSlots(requestId)).map((x) => Number(x.status))).to.deep.equal([
        SlotStatus.Named,
        SlotStatus.Paid,
        SlotStatus.Named,
      ]);
    });

    it("expires a request nobody committed to: every fee refunded", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId } = await requestRedundant(f, "mlp", 9, 2);
      await time.increase(COMMIT_TIMEOUT + 1n);
      await expect(f.redundant.close(requestId))
        .to.emit(f.redundant, "RedundantExpired")
        .withArgs(requestId, 0, 2n * FEE);
      expect(await f.redundant.credits(f.requester.address)).to.equal(2n * FEE);
    });

    it("K6: with 2 of 3 commitments in agreement: refunds the empty slot and finalizes with the two", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const { requestId, s0 } = await requestRedundant(f, "mlp", 10, 3);
      const view = lieView("mlp", s0);
      await commitView(f, f.operators[0], requestId, view);
      await commitView(f, f.operators[1], requestId, view);
      await time.increase(COMMIT_TIMEOUT + 1n);
      const tx = f.redundant.close(requestId);
      await expect(tx).to.emit(f.redundant, "RedundantClosed").withArgs(requestId, 2, FEE);
      await expect(tx).to.emit(f.redundant, "RedundantFinalized").withArgs(requestId, outputHashOf(view.states[L]), 2);
      expect(await f.redundant.credits(f.requester.address)).to.equal(FEE);
      await expect(f.redundant.close(requestId))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerNotOpen")
        .withArgs(requestId, RequestStatus.Finalized);
    });
  });

  describe("game moves", function () {
    async function openGame(f: RedundantFixture) {
      return openRefereeGame(f, {
        model: "mlp",
        digit: 11,
        lieB: [
          { step: 2, byte: 3 },
          { step: L, byte: 0 },
        ],
      });
    }

    it("the conflicting commit opens the game with GameOpened; A is on the move", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await openGame(f);
      expect(game.gameId).to.equal(1n);
      const g = await f.redundant.getGame(game.gameId);
      expect(g.phase).to.equal(Phase.AwaitingRootsA);
      expect(g.nodeA).to.equal(f.operators[0].address);
      expect(g.nodeB).to.equal(f.operators[1].address);
      expect(await f.redundant.onTheMove(game.gameId)).to.equal(f.operators[0].address);
      expect(await f.redundant.deadline(game.gameId)).to.equal(g.turnStartedAt + MOVE_CLOCK);
    });

    it("K10: revealRoots: checks the caller, the count and the trace root; emits RootsRevealed", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await openGame(f);
      const roots = [...game.views.A.trace.stateRoots];
      const asA = f.redundant.connect(game.nodes.A);
      await expect(f.redundant.connect(game.nodes.B).revealRoots(game.gameId, roots))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameNotYourTurn")
        .withArgs(game.gameId, game.nodes.B.address);
      await expect(asA.revealRoots(game.gameId, roots.slice(1)))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(game.gameId, StateRootsFault.Count);
      await expect(asA.revealRoots(game.gameId, [...game.views.B.trace.stateRoots]))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(game.gameId, StateRootsFault.TraceRootOfA);
      await expect(asA.revealRoots(game.gameId, roots))
        .to.emit(f.redundant, "RootsRevealed")
        .withArgs(game.gameId, game.nodes.A.address, roots);
      await expect(asA.revealRoots(game.gameId, roots))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameWrongPhase")
        .withArgs(game.gameId, Phase.AwaitingRootsA, Phase.AwaitingRootsB);
      await expect(f.redundant.revealRoots(99n, roots))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameUnknownGame")
        .withArgs(99n);
    });

    it("revealRootsAndLocate: finds the first differing root and checks the layer witness", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await openGame(f);
      const rootsA = [...game.views.A.trace.stateRoots];
      const rootsB = [...game.views.B.trace.stateRoots];
      await f.redundant.connect(game.nodes.A).revealRoots(game.gameId, rootsA);
      const asB = f.redundant.connect(game.nodes.B);
      const w = game.views.B.weights;
      const layer = (k: number) => {
        const p = w.layerProof(k);
        return { descriptor: p.descriptor, rowsRoot: p.rowsRoot, layerProof: p.layerProof };
      };
      await expect(asB.revealRootsAndLocate(game.gameId, rootsB, rootsB, layer(1)))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(game.gameId, StateRootsFault.TraceRootOfA);
      await expect(asB.revealRootsAndLocate(game.gameId, rootsB, rootsA, layer(0)))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameBadLayer")
        .withArgs(game.gameId, ProofPart.Layer);
      await expect(asB.revealRootsAndLocate(game.gameId, rootsB, rootsA, layer(1)))
        .to.emit(f.redundant, "StepLocated")
        .withArgs(game.gameId, 1, rootsA[1], rootsA[2], rootsB[2]);
      const g = await f.redundant.getGame(game.gameId);
      expect(g.phase).to.equal(Phase.AwaitingChildrenA);
      expect(g.outLength).to.equal(64n);
      expect(g.level).to.equal(1n);
    });

    it("revealChildren and openChunk: check the hashes, emit, and descend into the differing child", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await openGame(f);
      for (const side of ["A", "B"] as const)
        await (await (await game.players[side].nextMove(game.gameId))!.send()).wait();
      const state = (side: "A" | "B") => game.views[side].states[2];
      const asA = f.redundant.connect(game.nodes.A);
      const asB = f.redundant.connect(game.nodes.B);
      await expect(asA.revealChildren(game.gameId, subtreeRoot(state("B"), 0, 0), subtreeRoot(state("B"), 0, 1)))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameBadChildren")
        .withArgs(game.gameId);
      const [lA, rA] = [subtreeRoot(state("A"), 0, 0), subtreeRoot(state("A"), 0, 1)];
      await expect(asA.revealChildren(game.gameId, lA, rA))
        .to.emit(f.redundant, "ChildrenRevealed")
        .withArgs(game.gameId, game.nodes.A.address, 1, lA, rA);
      const [lB, rB] = [subtreeRoot(state("B"), 0, 0), subtreeRoot(state("B"), 0, 1)];
      await expect(asB.revealChildren(game.gameId, lA, rA))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameBadChildren")
        .withArgs(game.gameId);
      // The lie is in byte 3 of S_2: chunk 0, the left child.
      await expect(asB.revealChildren(game.gameId, lB, rB))
        .to.emit(f.redundant, "ChildChosen")
        .withArgs(game.gameId, 0, 0);
      expect((await f.redundant.getGame(game.gameId)).phase).to.equal(Phase.AwaitingChunkA);

      await expect(asA.openChunk(game.gameId, chunkHex(state("B"), 0)))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameBadChunk")
        .withArgs(game.gameId);
      await expect(asA.openChunk(game.gameId, chunkHex(state("A"), 0)))
        .to.emit(f.redundant, "ChunkOpened")
        .withArgs(game.gameId, game.nodes.A.address, 0, chunkHex(state("A"), 0));
      await expect(asB.openChunk(game.gameId, chunkHex(state("A"), 0)))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameBadChunk")
        .withArgs(game.gameId);
      await asB.openChunk(game.gameId, chunkHex(state("B"), 0));
      expect((await f.redundant.getGame(game.gameId)).phase).to.equal(Phase.AwaitingProof);
      expect(await f.redundant.onTheMove(game.gameId)).to.equal(ethers.ZeroAddress);
    });

    async function toProof(f: RedundantFixture) {
      const game = await openGame(f);
      for (let i = 0; i < 10; i++) {
        if (Number((await f.redundant.getGame(game.gameId)).phase) === Phase.AwaitingProof) break;
        const side = (await f.redundant.onTheMove(game.gameId)) === game.nodes.A.address ? "A" : "B";
        await (await (await game.players[side].nextMove(game.gameId))!.send()).wait();
      }
      return game;
    }

    it("K6: proveStep: only a player may prove; the verifier decides; StepProven and GameResolved", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await toProof(f);
      const v = game.views.A;
      const p = buildStepProof(v.program, v.states, 1, 3, v.weights);
      await expect(f.redundant.connect(f.stranger).proveStep(game.gameId, 3, p.layer, p.slice, p.rows))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameNotYourTurn")
        .withArgs(game.gameId, f.stranger.address);
      // The lying node may prove too: the arithmetic decides against it.
      const tx = f.redundant.connect(game.nodes.B).proveStep(game.gameId, 3, p.layer, p.slice, p.rows);
      const honest = v.states[2][3];
      await expect(tx)
        .to.emit(f.redundant, "StepProven")
        .withArgs(game.gameId, 3, honest, game.views.B.states[2][3], honest);
      await expect(tx)
        .to.emit(f.redundant, "GameResolved")
        .withArgs(game.gameId, game.requestId, GameOutcome.BWrong, Resolution.StepRecomputed);
      await expect(tx)
        .to.emit(f.redundant, "NodeEliminated")
        .withArgs(game.requestId, game.nodes.B.address, COLLATERAL, COLLATERAL / 2n);
      await expect(f.redundant.connect(game.nodes.A).proveStep(game.gameId, 3, p.layer, p.slice, p.rows))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameWrongPhase")
        .withArgs(game.gameId, Phase.AwaitingProof, Phase.Resolved);
    });

    it("proveStep names the first byte where the two chunks differ: any other byte, or one past the chunk, reverts", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await toProof(f);
      const v = game.views.A;
      const p = buildStepProof(v.program, v.states, 1, 3, v.weights);
      const asA = f.redundant.connect(game.nodes.A);
      for (const byteIndex of [0, 4]) {
        await expect(asA.proveStep(game.gameId, byteIndex, p.layer, p.slice, p.rows))
          .to.be.revertedWithCustomError(f.redundant, "RedundantManagerNotFirstDifference")
          .withArgs(game.gameId, byteIndex, 3);
      }
      await expect(asA.proveStep(game.gameId, 32, p.layer, p.slice, p.rows))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameByteOutOfRange")
        .withArgs(32);
      await expect(asA.proveStep(game.gameId, 3, p.layer, p.slice, p.rows)).to.emit(f.redundant, "GameResolved");
    });

    it("proveStepSparse: the same decision from a multiproven slice", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await toProof(f);
      const v = game.views.A;
      const p = buildSparseStepProof(v.program, v.states, 1, 3, v.weights);
      await expect(f.redundant.connect(game.nodes.A).proveStepSparse(game.gameId, 3, p.layer, p.slice, p.rows))
        .to.emit(f.redundant, "GameResolved")
        .withArgs(game.gameId, game.requestId, GameOutcome.BWrong, Resolution.StepRecomputed);
    });

    describe("A's clock at the opening (chess clock)", function () {
      async function gameOpened() {
        const f = await deployRedundantFixture();
        return { ...f, game: await openGame(f) };
      }
      shouldBehaveLikeChessClock({
        fixture: () => loadFixture(gameOpened),
        contract: (f: RedundantFixture) => f.redundant,
        game: (f) => f.game.gameId,
        mover: (f) => f.game.nodes.A,
        move: (f) =>
          f.redundant.connect(f.game.nodes.A).revealRoots(f.game.gameId, [...f.game.views.A.trace.stateRoots]),
        resolver: (f) => f.stranger,
        errors: {
          clockRunning: "BisectionGameClockRunning",
          clockExpired: "BisectionGameClockExpired",
          alreadyResolved: "BisectionGameAlreadyResolved",
        },
        resolved: {
          event: "GameResolved",
          args: (f) => [f.game.gameId, f.game.requestId, GameOutcome.AWrong, Resolution.PlayerATimedOut],
        },
        ids: { clock: "K10", resolution: "K6" },
      });
    });

    it("a proof after both clocks ran out reverts", async function () {
      const f = await loadFixture(deployRedundantFixture);
      const game = await toProof(f);
      await time.increaseTo((await f.redundant.deadline(game.gameId)) + 1n);
      const v = game.views.A;
      const p = buildStepProof(v.program, v.states, 1, 3, v.weights);
      await expect(f.redundant.connect(game.nodes.A).proveStep(game.gameId, 3, p.layer, p.slice, p.rows))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameClockExpired")
        .withArgs(game.gameId);
    });
  });

  describe("claimCredits and views", function () {
    /** Two nodes agreed on a k = 2 request: each is credited its fee. */
    async function agreed() {
      const f = await deployRedundantFixture();
      const { requestId, s0 } = await requestRedundant(f, "mlp", 12, 2);
      const view = lieView("mlp", s0);
      await commitView(f, f.operators[0], requestId, view);
      await commitView(f, f.operators[1], requestId, view);
      return f;
    }
    shouldBehaveLikePullCredits({
      fixture: () => loadFixture(agreed),
      contract: (f: RedundantFixture) => f.redundant,
      token: (f) => f.token,
      claimant: (f) => f.operators[0],
      amount: () => FEE,
      stranger: (f) => f.stranger,
      error: "BisectionGameNothingToClaim",
    });

    it("views revert for unknown requests and games", async function () {
      const f = await loadFixture(deployRedundantFixture);
      await expect(f.redundant.getRequest(1n))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerUnknownRequest")
        .withArgs(1n);
      await expect(f.redundant.getSlots(1n))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerUnknownRequest")
        .withArgs(1n);
      for (const view of ["getGame", "onTheMove", "deadline", "resolveTimeout"] as const) {
        await expect(f.redundant[view](1n))
          .to.be.revertedWithCustomError(f.redundant, "BisectionGameUnknownGame")
          .withArgs(1n);
      }
      expect(await f.redundant.requestCount()).to.equal(0n);
      expect(await f.redundant.gameCount()).to.equal(0n);
    });
  });
});
