import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import { Phase } from "../../game/enums";
import { MerkleTree } from "../../executor/trace/merkle";
import { bytesOf, commitTrace } from "../../executor/trace/trace";
import { demoModel } from "../../models/demo-models";
import {
  BOND,
  NODE_SHARE,
  CLOCK_EXTENSION,
  deployDisputeFixture,
  digitInput,
  gameFactory,
  MOVE_CLOCK,
  outputHashOf,
  requestFrom,
  REWARD_PPM,
} from "../helpers/dispute-fixtures";
import type { DisputeFixture } from "../helpers/dispute-fixtures";
import { openGame, Outcome, runGame } from "../helpers/dispute-game";
import { shouldBehaveLikeBoundedParameter } from "../behaviours/bounded-parameter.behaviour";
import { shouldBehaveLikeChessClock } from "../behaviours/chess-clock.behaviour";
import { shouldBehaveLikePullCredits } from "../behaviours/pull-credits.behaviour";
import { InferenceRequestStatus, ProofPart, Resolution, StateRootsFault } from "../../protocol/constants";

const LIE = { model: "mlp" as const, digit: 9, nodeLie: { step: 2, byte: 4 } };

describe("DisputeManager", function () {
  this.timeout(120_000);

  describe("constructor", function () {
    it("links the protocol and sets the parameters, with events", async function () {
      const f = await loadFixture(deployDisputeFixture);
      expect(await f.disputes.token()).to.equal(await f.token.getAddress());
      expect(await f.disputes.inference()).to.equal(await f.inference.getAddress());
      expect(await f.disputes.verifier()).to.equal(await f.verifier.getAddress());
      expect(await f.disputes.bond()).to.equal(BOND);
      expect(await f.disputes.moveClock()).to.equal(MOVE_CLOCK);
      expect(await f.disputes.clockExtension()).to.equal(CLOCK_EXTENSION);
      expect(await f.disputes.rewardPpm()).to.equal(REWARD_PPM);
      expect(await f.disputes.hasRole(await f.disputes.GOVERNOR_ROLE(), f.governor.address)).to.equal(true);
    });

    it("reverts on a zero address", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const factory = await gameFactory("DisputeManager");
      const contracts = {
        token: await f.token.getAddress(),
        inference: await f.inference.getAddress(),
        modelRegistry: await f.models.getAddress(),
        nodeRegistry: await f.nodes.getAddress(),
        staking: await f.staking.getAddress(),
        verifier: ethers.ZeroAddress,
      };
      await expect(
        factory.deploy(contracts, f.governor.address, BOND, MOVE_CLOCK, CLOCK_EXTENSION, REWARD_PPM),
      ).to.be.revertedWithCustomError(f.disputes, "DisputeManagerZeroAddress");
    });
  });

  describe("openDispute", function () {
    it("takes the bond, freezes the commitment and emits DisputeOpened", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const node = f.operators[0];
      const { s0 } = digitInput("mlp", 0);
      const m = demoModel("mlp");
      const requestId = await requestFrom(f, "mlp", s0, node.address);
      const { states, trace } = (await import("../../game/view")).honestView(m.program, s0, m.weights);
      const out = states[states.length - 1];
      await f.inference.connect(node).commit(requestId, bytesOf(out), trace.traceRoot);
      const tx = f.disputes.connect(f.challenger).openDispute(requestId, outputHashOf(out), trace.traceRoot);
      await expect(tx)
        .to.emit(f.disputes, "DisputeOpened")
        .withArgs(1, requestId, f.challenger.address, node.address, BOND);
      await expect(tx).to.changeTokenBalances(f.token, [f.challenger, f.disputes], [-BOND, BOND]);
      const d = await f.disputes.getDispute(1);
      expect(d.phase).to.equal(Phase.AwaitingRoots);
      expect(d.layerCount).to.equal(m.program.layers.length);
      expect(d.weightsRoot).to.equal(m.weights.root);
      expect(await f.disputes.onTheMove(1)).to.equal(node.address);
      expect(await f.disputes.deadline(1)).to.equal(BigInt(await time.latest()) + MOVE_CLOCK);
      expect(await f.inference.statusOf(requestId)).to.equal(InferenceRequestStatus.Disputed);
    });

    it("reverts when the named output or trace root is not the commitment's", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const game = await openGame(f, LIE);
      const requestId = await requestFrom(f, "mlp", digitInput("mlp", 1).s0, game.node.address);
      const L = game.nodeView.states.length - 1;
      await f.inference
        .connect(game.node)
        .commit(requestId, bytesOf(game.nodeView.states[L]), game.nodeView.trace.traceRoot);
      await expect(
        f.disputes.connect(f.challenger).openDispute(requestId, ethers.ZeroHash, game.nodeView.trace.traceRoot),
      )
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerCommitmentMismatch")
        .withArgs(requestId);
    });

    it("G4: allows one game at a time per commitment, and none after the window", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const game = await openGame(f, LIE);
      const L = game.nodeView.states.length - 1;
      const outHash = outputHashOf(game.nodeView.states[L]);
      await expect(f.disputes.connect(f.challenger).openDispute(game.requestId, outHash, game.nodeView.trace.traceRoot))
        .to.be.revertedWithCustomError(f.inference, "InferenceManagerInvalidStatus")
        .withArgs(game.requestId, InferenceRequestStatus.Disputed);

      const requestId = await requestFrom(f, "mlp", digitInput("mlp", 2).s0, game.node.address);
      await f.inference
        .connect(game.node)
        .commit(requestId, bytesOf(game.nodeView.states[L]), game.nodeView.trace.traceRoot);
      await time.increase(3601);
      await expect(
        f.disputes.connect(f.challenger).openDispute(requestId, outHash, game.nodeView.trace.traceRoot),
      ).to.be.revertedWithCustomError(f.inference, "InferenceManagerWindowClosed");
    });
  });

  describe("later challengers", function () {
    it("reuse the state roots an earlier game revealed: the node is not asked again", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const first = await openGame(f, { model: "mlp", digit: 30, challengerLie: { step: 2, byte: 1 } });
      expect((await runGame(f, first)).outcome).to.equal(Outcome.ChallengerWrong);
      const L = first.nodeView.states.length - 1;
      const outHash = outputHashOf(first.nodeView.states[L]);
      // The window was frozen during the game, so a second challenger can still dispute.
      await expect(
        f.disputes.connect(f.stranger).openDispute(first.requestId, outHash, first.nodeView.trace.traceRoot),
      ).to.be.revertedWithCustomError(f.token, "ERC20InsufficientAllowance");
      await expect(
        f.disputes.connect(f.challenger).openDispute(first.requestId, outHash, first.nodeView.trace.traceRoot),
      )
        .to.emit(f.disputes, "DisputeOpened")
        .withArgs(first.disputeId + 1n, first.requestId, f.challenger.address, first.node.address, 2n * BOND);
      const second = { ...first, disputeId: first.disputeId + 1n, gas: 0n };
      expect((await f.disputes.getDispute(second.disputeId)).phase).to.equal(Phase.AwaitingStep);
      expect(await f.disputes.onTheMove(second.disputeId)).to.equal(f.challenger.address);
      const result = await runGame(f, second);
      expect(result.outcome).to.equal(Outcome.ChallengerWrong);
      expect(result.moves[0]).to.match(/^challenger: selectStep/);
      // The second bond was doubled by the first challenger's loss (F4), and so was the node's share of it.
      expect(await f.disputes.credits(first.node.address)).to.equal(3n * NODE_SHARE);
    });
  });

  describe("turns, phases and clocks", function () {
    it("G7: rejects a move by the wrong party, in the wrong phase, and a replayed move", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const game = await openGame(f, LIE);
      const id = game.disputeId;
      const roots = [...game.nodeView.trace.stateRoots];
      const input = bytesOf(game.nodeView.states[0]);
      const output = bytesOf(game.nodeView.states[roots.length - 1]);
      await expect(f.disputes.connect(f.challenger).revealStateRoots(id, roots, input, output))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameNotYourTurn")
        .withArgs(id, f.challenger.address);
      await expect(f.disputes.connect(f.challenger).chooseChild(id, true))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameWrongPhase")
        .withArgs(id, Phase.AwaitingChoice, Phase.AwaitingRoots);
      await expect(f.disputes.connect(game.node).revealStateRoots(id, roots, input, output))
        .to.emit(f.disputes, "StateRootsRevealed")
        .withArgs(id, game.requestId, roots);
      await expect(f.disputes.connect(game.node).revealStateRoots(id, roots, input, output))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameWrongPhase")
        .withArgs(id, Phase.AwaitingRoots, Phase.AwaitingStep);
    });

    describe("the node's clock at the opening (chess clock)", function () {
      async function lieOpened() {
        const f = await deployDisputeFixture();
        return { ...f, game: await openGame(f, LIE) };
      }
      shouldBehaveLikeChessClock({
        fixture: () => loadFixture(lieOpened),
        contract: (f: DisputeFixture) => f.disputes,
        game: (f) => f.game.disputeId,
        mover: (f) => f.game.node,
        move: async (f) => (await f.game.players.node.nextMove(f.game.disputeId))!.send(),
        resolver: (f) => f.stranger,
        errors: {
          clockRunning: "BisectionGameClockRunning",
          clockExpired: "BisectionGameClockExpired",
          alreadyResolved: "BisectionGameAlreadyResolved",
        },
        resolved: {
          event: "DisputeResolved",
          args: (f) => [f.game.disputeId, f.game.requestId, Outcome.NodeWrong, Resolution.NodeTimedOut],
        },
        ids: { clock: "G7", resolution: "G4" },
      });
    });

    it("G7: charges each side only for its own thinking time, and extends a clock that is nearly out", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const game = await openGame(f, LIE);
      const id = game.disputeId;
      await time.increase(MOVE_CLOCK - 100n);
      await game.players.node.play(id);
      let d = await f.disputes.getDispute(id);
      expect(d.nodeClock).to.be.lessThanOrEqual(100n);
      expect(d.challengerClock).to.equal(MOVE_CLOCK);
      await game.players.challenger.play(id); // selectStep: the node is handed the move with < extension left
      d = await f.disputes.getDispute(id);
      expect(d.nodeClock).to.equal(CLOCK_EXTENSION);
    });

    it("reverts for an unknown dispute", async function () {
      const f = await loadFixture(deployDisputeFixture);
      await expect(f.disputes.getDispute(7))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameUnknownGame")
        .withArgs(7);
      await expect(f.disputes.resolveTimeout(7))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameUnknownGame")
        .withArgs(7);
    });
  });

  describe("revealStateRoots", function () {
    it("G6: rejects roots of the wrong count, roots that miss the trace root, and a wrong input or output", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const game = await openGame(f, LIE);
      const id = game.disputeId;
      const roots = [...game.nodeView.trace.stateRoots];
      const input = bytesOf(game.nodeView.states[0]);
      const output = bytesOf(game.nodeView.states[roots.length - 1]);
      const node = f.disputes.connect(game.node);
      const bad = async (args: Parameters<typeof node.revealStateRoots>, fault: StateRootsFault) =>
        expect(node.revealStateRoots(...args))
          .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
          .withArgs(id, fault);
      await bad([id, roots.slice(1), input, output], StateRootsFault.Count);
      await bad([id, [...roots.slice(0, -1), ethers.ZeroHash], input, output], StateRootsFault.TraceRoot);
      await bad([id, roots, new Uint8Array(input.length), output], StateRootsFault.InputHash);
      await bad([id, roots, input, new Uint8Array(output.length)], StateRootsFault.OutputCommitment);
    });

    it("G6: a node whose trace does not start from the request's input can never reveal, and loses on time", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const node = f.operators[0];
      const m = demoModel("mlp");
      const { s0 } = digitInput("mlp", 6);
      const requestId = await requestFrom(f, "mlp", s0, node.address);
      const view = (await import("../../game/view")).honestView(m.program, s0, m.weights);
      const states = view.states.map((s) => s.slice());
      states[0][0] ^= 1; // a trace of another input
      const trace = commitTrace(states);
      const out = states[states.length - 1];
      await f.inference.connect(node).commit(requestId, bytesOf(out), trace.traceRoot);
      await f.disputes.connect(f.challenger).openDispute(requestId, outputHashOf(out), trace.traceRoot);
      await expect(f.disputes.connect(node).revealStateRoots(1, [...trace.stateRoots], bytesOf(s0), bytesOf(out)))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(1, StateRootsFault.FirstRoot);
      await expect(
        f.disputes.connect(node).revealStateRoots(1, [...trace.stateRoots], bytesOf(states[0]), bytesOf(out)),
      )
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(1, StateRootsFault.InputHash);
      await time.increase(MOVE_CLOCK + 1n);
      await f.disputes.resolveTimeout(1);
      expect((await f.disputes.getDispute(1)).outcome).to.equal(Outcome.NodeWrong);
    });
  });

  describe("selectStep, revealChildren, openChunk, proveStep", function () {
    it("G6: rejects a step out of range, a bad state proof and a bad layer proof", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const game = await openGame(f, LIE);
      const id = game.disputeId;
      await runGame(f, game, { until: Phase.AwaitingStep });
      const roots = [...game.nodeView.trace.stateRoots];
      const L = roots.length - 1;
      const tree = MerkleTree.fromLeaves(roots);
      const lp = game.nodeView.weights.layerProof(1);
      const layer = { descriptor: lp.descriptor, rowsRoot: lp.rowsRoot, layerProof: lp.layerProof };
      const ch = f.disputes.connect(f.challenger);
      await expect(ch.selectStep(id, L, roots[L], tree.proof(L), roots[L], tree.proof(L), layer))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerStepOutOfRange")
        .withArgs(L, L);
      await expect(ch.selectStep(id, 1, roots[2], tree.proof(2), roots[2], tree.proof(2), layer))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadProof")
        .withArgs(id, ProofPart.PreState);
      await expect(ch.selectStep(id, 1, roots[1], tree.proof(1), roots[1], tree.proof(1), layer))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadProof")
        .withArgs(id, ProofPart.PostState);
      // Stale proofs: the right roots, proven against another trace (the honest one, which the node's lie left).
      const stale = MerkleTree.fromLeaves([...game.challengerView.trace.stateRoots]);
      await expect(ch.selectStep(id, 1, roots[1], stale.proof(1), roots[2], tree.proof(2), layer))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadProof")
        .withArgs(id, ProofPart.PreState);
      const other = game.nodeView.weights.layerProof(0);
      await expect(
        ch.selectStep(id, 1, roots[1], tree.proof(1), roots[2], tree.proof(2), {
          ...layer,
          descriptor: other.descriptor,
        }),
      )
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameBadLayer")
        .withArgs(id, ProofPart.Layer);
      await expect(ch.selectStep(id, 1, roots[1], tree.proof(1), roots[2], tree.proof(2), layer))
        .to.emit(f.disputes, "StepSelected")
        .withArgs(id, 1, roots[1], roots[2]);
    });

    it("G6: rejects children that do not hash to the disputed node, and a chunk that is not the leaf", async function () {
      const f = await loadFixture(deployDisputeFixture);
      const game = await openGame(f, { model: "cnn", digit: 8, nodeLie: { step: 1, byte: 900 } });
      const id = game.disputeId;
      await runGame(f, game, { until: Phase.AwaitingChildren });
      const node = f.disputes.connect(game.node);
      await expect(node.revealChildren(id, ethers.ZeroHash, ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameBadChildren")
        .withArgs(id);
      await runGame(f, game, { until: Phase.AwaitingChunk });
      await expect(node.openChunk(id, ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameBadChunk")
        .withArgs(id);
      await runGame(f, game, { until: Phase.AwaitingProof });
      const d = await f.disputes.getDispute(id);
      expect(d.phase).to.equal(Phase.AwaitingProof);
      await expect(
        f.disputes
          .connect(f.challenger)
          .proveStep(
            id,
            32,
            { descriptor: "0x", rowsRoot: ethers.ZeroHash, layerProof: [] },
            { firstChunk: 0, chunks: "0x", proof: [] },
            [],
          ),
      )
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameByteOutOfRange")
        .withArgs(32);
      const result = await runGame(f, game);
      expect(result.outcome).to.equal(Outcome.NodeWrong);
    });
  });

  describe("credits", function () {
    /** A lying challenger lost: the node is credited its share of the forfeited bond. */
    async function challengerLost() {
      const f = await deployDisputeFixture();
      const game = await openGame(f, { model: "mlp", digit: 3, challengerLie: { step: 1, byte: 1 } });
      const result = await runGame(f, game);
      expect(result.outcome).to.equal(Outcome.ChallengerWrong);
      return { ...f, game };
    }
    shouldBehaveLikePullCredits({
      fixture: () => loadFixture(challengerLost),
      contract: (f: DisputeFixture) => f.disputes,
      token: (f) => f.token,
      claimant: (f) => f.game.node,
      amount: () => NODE_SHARE,
      stranger: (f) => f.stranger,
      error: "BisectionGameNothingToClaim",
    });
  });

  describe("governance", function () {
    const governed = {
      fixture: () => loadFixture(deployDisputeFixture),
      contract: (f: DisputeFixture) => f.disputes,
      governor: (f: DisputeFixture) => f.governor,
      stranger: (f: DisputeFixture) => f.stranger,
      error: "BisectionGameParameterOutOfBounds",
      ids: { bounds: "G8", role: "G8" },
    };
    const cases = [
      ["setBond", "BondSet", "bond", 1n, 10n ** 27n, 2n * BOND],
      ["setMoveClock", "MoveClockSet", "moveClock", 300n, 7n * 86_400n, 2n * MOVE_CLOCK],
      ["setClockExtension", "ClockExtensionSet", "clockExtension", 60n, 86_400n, CLOCK_EXTENSION / 2n],
      ["setRewardPpm", "RewardPpmSet", "rewardPpm", 0n, 500_000n, REWARD_PPM / 2n],
      ["setBondPpm", "BondPpmSet", "bondPpm", 0n, 1_000_000n, 200_000n],
    ] as const;
    for (const [setter, event, getter, min, max, value] of cases) {
      shouldBehaveLikeBoundedParameter({ ...governed, setter, getter, event, min, max, value });
    }
  });
});
