/**
 * The DisputeManager's pass game over a generation (docs/GENERATION.md §8), move by move: revealPassRoots,
 * selectPass, revealStateRoots's pass branch and proveChoice, each with its happy path, every revert and its events,
 * on a tiny generation program (test/helpers/tiny-lm.ts). Whole games are LM3's (GenerationGame.property.test.ts).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { keccak256 } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import {
  decodeResponse,
  encodeRequest,
  encodeResponse,
  passInput,
  type GenerationRequest,
} from "../../executor/generate";
import { bytesOf } from "../../executor/trace/trace";
import { merkleRoot, MerkleTree } from "../../executor/trace/merkle";
import { driveGame } from "../../game/driver";
import { generationView, GenerationPlayer, type GenerationView } from "../../game/generation";
import { honestView, viewOf, type PartyView } from "../../game/view";
import { Phase, ProofPart, Resolution, StateRootsFault } from "../../game/enums";
import { NodeStatus } from "../../protocol/constants";
import { FEE } from "../helpers/dispute-fixtures";
import { openGame, runGame } from "../helpers/dispute-game";
import { MODE } from "../helpers/fixtures";
import {
  deployGenerationFixture,
  nodeGenerationView,
  openGenerationGame,
  Outcome,
  playGenerationGame,
  type GenerationFixture,
  type GenerationLie,
} from "../helpers/generation-game";
import { tinyLanguageModel, TINY_TERMS } from "../helpers/tiny-lm";

const REQUEST: GenerationRequest = { prompt: new TextEncoder().encode("The jury"), maxTokens: TINY_TERMS.maxTokens };

async function fixture() {
  return deployGenerationFixture(tinyLanguageModel(), TINY_TERMS);
}

/** A request of the record `input` from operator 0; its id. */
async function requestOf(f: GenerationFixture, input: Uint8Array): Promise<bigint> {
  const node = f.operators[0];
  await f.inference
    .connect(f.requester)
    .request(f.versionId, input, FEE, node.address, MODE.OPTIMISTIC, ethers.ZeroAddress, 0);
  return f.inference.requestCount();
}

interface Opened {
  requestId: bigint;
  disputeId: bigint;
  input: Uint8Array;
  view: GenerationView;
  root: string;
}

/** Operator 0 commits `view`'s output and generation root for `requestId`; the challenger disputes it. */
async function commitAndOpen(
  f: GenerationFixture,
  requestId: bigint,
  input: Uint8Array,
  view: GenerationView,
): Promise<Opened> {
  const root = view.passRoots.length === 0 ? ethers.ZeroHash : merkleRoot([...view.passRoots]);
  await f.inference.connect(f.operators[0]).commit(requestId, view.output, root);
  await f.disputes.connect(f.challenger).openDispute(requestId, keccak256(view.output), root);
  return { requestId, disputeId: await f.disputes.disputeCount(), input, view, root };
}

/** A dispute over the node's generation of REQUEST, lying as `lie` says (or honest). */
async function openOver(f: GenerationFixture, lie?: GenerationLie): Promise<Opened> {
  const input = encodeRequest(REQUEST, TINY_TERMS);
  const requestId = await requestOf(f, input);
  return commitAndOpen(f, requestId, input, nodeGenerationView(f.model, TINY_TERMS, requestId, input, lie));
}

/** A dispute over a node whose pass `pass` is overridden by `view` (its roots are committed as they are). */
async function openWithPass(f: GenerationFixture, pass: number, view: PartyView): Promise<Opened> {
  const input = encodeRequest(REQUEST, TINY_TERMS);
  const requestId = await requestOf(f, input);
  const honest = nodeGenerationView(f.model, TINY_TERMS, requestId, input);
  const { program, weights } = f.model;
  const tampered = generationView(
    program,
    TINY_TERMS,
    requestId,
    input,
    honest.output,
    weights,
    new Map([[pass, view]]),
  );
  return commitAndOpen(f, requestId, input, tampered);
}

const node = (f: GenerationFixture) => f.disputes.connect(f.operators[0]);
const challenger = (f: GenerationFixture) => f.disputes.connect(f.challenger);

async function revealPasses(f: GenerationFixture, o: Opened) {
  return node(f).revealPassRoots(o.disputeId, [...o.view.passRoots], o.input, o.view.output);
}

async function selectPass(f: GenerationFixture, o: Opened, t: number) {
  const proof = MerkleTree.fromLeaves([...o.view.passRoots]).proof(t);
  return challenger(f).selectPass(o.disputeId, t, o.view.passRoots[t], proof);
}

async function revealStates(f: GenerationFixture, o: Opened, t: number) {
  const roots = [...o.view.passView(t).trace.stateRoots];
  return node(f).revealStateRoots(o.disputeId, roots, o.input, o.view.output);
}

/** The logits of pass `t` of `o`'s node, and their proof as leaf L of its pass root. */
function logitsOf(o: Opened, t: number): { logits: Uint8Array; proof: string[] } {
  const view = o.view.passView(t);
  const L = view.program.layers.length;
  return {
    logits: bytesOf(view.states[L]),
    proof: MerkleTree.fromLeaves([...view.trace.stateRoots]).proof(L),
  };
}

async function timeOut(f: GenerationFixture, disputeId: bigint) {
  await time.increaseTo((await f.disputes.deadline(disputeId)) + 1n);
  return f.disputes.connect(f.stranger).resolveTimeout(disputeId);
}

describe("Generation disputes: the DisputeManager's pass game, move by move (docs/GENERATION.md §8)", function () {
  let passes: number;
  before(function () {
    const input = encodeRequest(REQUEST, TINY_TERMS);
    passes = decodeResponse(nodeGenerationView(tinyLanguageModel(), TINY_TERMS, 1n, input).output)!.length;
    expect(passes, "REQUEST's honest generation has passes in the middle").to.be.greaterThan(3);
  });

  describe("openDispute", function () {
    it("starts a generation's dispute at AwaitingPassRoots, marked as a generation", async function () {
      const f = await loadFixture(fixture);
      const o = await openOver(f);
      const d = await f.disputes.getDispute(o.disputeId);
      expect(d.phase).to.equal(Phase.AwaitingPassRoots);
      expect(d.generation).to.equal(true);
      expect(d.traceRoot).to.equal(o.root);
      expect([d.pass, d.passRoot]).to.deep.equal([0n, ethers.ZeroHash]);
    });
  });

  describe("revealPassRoots", function () {
    it("takes the node's pass roots with the records, emits PassRootsRevealed and hands over to the challenger", async function () {
      const f = await loadFixture(fixture);
      const o = await openOver(f);
      await expect(revealPasses(f, o))
        .to.emit(f.disputes, "PassRootsRevealed")
        .withArgs(o.disputeId, o.requestId, [...o.view.passRoots]);
      expect((await f.disputes.getDispute(o.disputeId)).phase).to.equal(Phase.AwaitingPass);
    });

    it("refuses the challenger, other records, another count or another tree of pass roots", async function () {
      const f = await loadFixture(fixture);
      const o = await openOver(f);
      const roots = [...o.view.passRoots];
      const id = o.disputeId;
      await expect(challenger(f).revealPassRoots(id, roots, o.input, o.view.output))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameNotYourTurn")
        .withArgs(id, f.challenger.address);
      const otherInput = o.input.slice();
      otherInput[3] ^= 1;
      await expect(node(f).revealPassRoots(id, roots, otherInput, o.view.output))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(id, StateRootsFault.InputHash);
      const otherOutput = o.view.output.slice();
      otherOutput[1] ^= 1;
      await expect(node(f).revealPassRoots(id, roots, o.input, otherOutput))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(id, StateRootsFault.OutputCommitment);
      await expect(node(f).revealPassRoots(id, roots, o.input, o.view.output.slice(1)))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadOutputLength")
        .withArgs(id, o.view.output.length - 1, o.view.output.length);
      await expect(node(f).revealPassRoots(id, roots.slice(1), o.input, o.view.output))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(id, StateRootsFault.PassCount);
      await expect(node(f).revealPassRoots(id, [...roots.slice(1), roots[0]], o.input, o.view.output))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(id, StateRootsFault.TraceRoot);
      await revealPasses(f, o);
      await expect(revealPasses(f, o))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameWrongPhase")
        .withArgs(id, Phase.AwaitingPassRoots, Phase.AwaitingPass);
    });

    it("a response that stops wrongly can never be revealed: the node times out and is slashed", async function () {
      const f = await loadFixture(fixture);
      const input = encodeRequest(REQUEST, TINY_TERMS);
      const requestId = await requestOf(f, input);
      const honest = decodeResponse(nodeGenerationView(f.model, TINY_TERMS, requestId, input).output)!;
      // The stop byte in the middle of the output, the generation going on after it.
      const bytes = honest.slice();
      bytes[1] = TINY_TERMS.stopByte!;
      const { program, weights } = f.model;
      const view = generationView(
        program,
        TINY_TERMS,
        requestId,
        input,
        encodeResponse(bytes, TINY_TERMS.maxTokens),
        weights,
      );
      const o = await commitAndOpen(f, requestId, input, view);
      await expect(revealPasses(f, o))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(o.disputeId, StateRootsFault.Response);
      const stakeBefore = await f.staking.totalStake(f.operators[0].address);
      await expect(timeOut(f, o.disputeId))
        .to.emit(f.disputes, "DisputeResolved")
        .withArgs(o.disputeId, requestId, Outcome.NodeWrong, Resolution.NodeTimedOut);
      expect(await f.staking.totalStake(f.operators[0].address)).to.be.lessThan(stakeBefore);
      expect(await f.nodes.statusOf(f.operators[0].address)).to.equal(NodeStatus.Jailed);
    });

    it("an invalid request record answered with the empty response and the zero root is undisputable: the challenger times out", async function () {
      const f = await loadFixture(fixture);
      const input = encodeRequest(REQUEST, TINY_TERMS);
      input[0] = 9; // a rule byte past the largest temperature shift
      const requestId = await requestOf(f, input);
      const { program, weights } = f.model;
      const empty = encodeResponse(new Uint8Array(0), TINY_TERMS.maxTokens);
      const view = generationView(program, TINY_TERMS, requestId, input, empty, weights);
      expect(view.passRoots).to.deep.equal([]);
      const o = await commitAndOpen(f, requestId, input, view);
      await expect(revealPasses(f, o)).to.emit(f.disputes, "PassRootsRevealed").withArgs(o.disputeId, requestId, []);
      await expect(challenger(f).selectPass(o.disputeId, 0, ethers.ZeroHash, []))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerPassOutOfRange")
        .withArgs(0, 0);
      await expect(timeOut(f, o.disputeId))
        .to.emit(f.disputes, "DisputeResolved")
        .withArgs(o.disputeId, requestId, Outcome.ChallengerWrong, Resolution.ChallengerTimedOut);
    });
  });

  describe("selectPass", function () {
    it("takes a pass proven against the generation root, emits PassSelected and hands over to the node", async function () {
      const f = await loadFixture(fixture);
      const o = await openOver(f);
      await revealPasses(f, o);
      const t = passes - 1;
      await expect(selectPass(f, o, t))
        .to.emit(f.disputes, "PassSelected")
        .withArgs(o.disputeId, t, o.view.passRoots[t]);
      const d = await f.disputes.getDispute(o.disputeId);
      expect([d.phase, d.pass, d.passRoot]).to.deep.equal([
        BigInt(Phase.AwaitingRoots),
        BigInt(t),
        o.view.passRoots[t],
      ]);
    });

    it("refuses the node, a move before the pass roots, a pass out of range and a root not proven at the pass", async function () {
      const f = await loadFixture(fixture);
      const o = await openOver(f);
      const id = o.disputeId;
      await expect(selectPass(f, o, 0))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameWrongPhase")
        .withArgs(id, Phase.AwaitingPass, Phase.AwaitingPassRoots);
      await revealPasses(f, o);
      const proof = MerkleTree.fromLeaves([...o.view.passRoots]).proof(1);
      await expect(node(f).selectPass(id, 1, o.view.passRoots[1], proof))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameNotYourTurn")
        .withArgs(id, f.operators[0].address);
      await expect(challenger(f).selectPass(id, passes, o.view.passRoots[0], proof))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerPassOutOfRange")
        .withArgs(passes, passes);
      await expect(challenger(f).selectPass(id, 1, o.view.passRoots[2], proof))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadProof")
        .withArgs(id, ProofPart.Pass);
    });
  });

  describe("revealStateRoots over a pass", function () {
    it("takes the pass's state roots, its first the pass's window, emits StateRootsRevealed and hands over", async function () {
      const f = await loadFixture(fixture);
      const o = await openOver(f);
      await revealPasses(f, o);
      await selectPass(f, o, 2);
      await expect(revealStates(f, o, 2))
        .to.emit(f.disputes, "StateRootsRevealed")
        .withArgs(o.disputeId, o.requestId, [...o.view.passView(2).trace.stateRoots]);
      expect((await f.disputes.getDispute(o.disputeId)).phase).to.equal(Phase.AwaitingStep);
    });

    it("refuses the challenger, a move before the pass, another count, another pass's roots, other records", async function () {
      const f = await loadFixture(fixture);
      const o = await openOver(f);
      const id = o.disputeId;
      await revealPasses(f, o);
      const roots = [...o.view.passView(2).trace.stateRoots];
      await expect(revealStates(f, o, 2))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameWrongPhase")
        .withArgs(id, Phase.AwaitingRoots, Phase.AwaitingPass);
      await selectPass(f, o, 2);
      await expect(challenger(f).revealStateRoots(id, roots, o.input, o.view.output))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameNotYourTurn")
        .withArgs(id, f.challenger.address);
      await expect(node(f).revealStateRoots(id, roots.slice(1), o.input, o.view.output))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(id, StateRootsFault.Count);
      const pass3 = [...o.view.passView(3).trace.stateRoots];
      await expect(node(f).revealStateRoots(id, pass3, o.input, o.view.output))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(id, StateRootsFault.TraceRoot);
      const otherInput = o.input.slice();
      otherInput[4] ^= 1;
      await expect(node(f).revealStateRoots(id, roots, otherInput, o.view.output))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(id, StateRootsFault.InputHash);
      const otherOutput = o.view.output.slice();
      otherOutput[2] ^= 1;
      await expect(node(f).revealStateRoots(id, roots, o.input, otherOutput))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(id, StateRootsFault.OutputCommitment);
    });

    it("refuses a pass run on another window than the prompt and the bytes before it (FirstRoot): the node times out", async function () {
      const f = await loadFixture(fixture);
      const { program, weights } = f.model;
      // Pass 2 run as if the byte before it were another: a consistent trace of the wrong input.
      const wrong = passInput(REQUEST.prompt, Uint8Array.from([1, 2]), 2, TINY_TERMS.contextLength, TINY_TERMS.padByte);
      const o = await openWithPass(f, 2, honestView(program, wrong, weights));
      await revealPasses(f, o);
      await selectPass(f, o, 2);
      await expect(revealStates(f, o, 2))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadStateRoots")
        .withArgs(o.disputeId, StateRootsFault.FirstRoot);
      await expect(timeOut(f, o.disputeId))
        .to.emit(f.disputes, "DisputeResolved")
        .withArgs(o.disputeId, o.requestId, Outcome.NodeWrong, Resolution.NodeTimedOut);
    });
  });

  describe("proveChoice", function () {
    it("a byte the committed logits do not choose: emits ChoiceProven, resolves ChoiceRecomputedDifferently, slashes the node", async function () {
      const f = await loadFixture(fixture);
      const t = 2;
      const o = await openOver(f, { kind: "byte", pass: t, delta: 7 });
      await revealPasses(f, o);
      await selectPass(f, o, t);
      await revealStates(f, o, t);
      const { logits, proof } = logitsOf(o, t);
      const claimed = o.view.output[1 + t];
      const honest = nodeGenerationView(f.model, TINY_TERMS, o.requestId, o.input);
      const computed = honest.output[1 + t];
      expect(claimed).to.not.equal(computed);
      const stakeBefore = await f.staking.totalStake(f.operators[0].address);
      const tx = challenger(f).proveChoice(o.disputeId, logits, proof);
      await expect(tx).to.emit(f.disputes, "ChoiceProven").withArgs(o.disputeId, t, claimed, computed);
      await expect(tx)
        .to.emit(f.disputes, "DisputeResolved")
        .withArgs(o.disputeId, o.requestId, Outcome.NodeWrong, Resolution.ChoiceRecomputedDifferently);
      expect(await f.staking.totalStake(f.operators[0].address)).to.be.lessThan(stakeBefore);
      expect(await f.nodes.statusOf(f.operators[0].address)).to.equal(NodeStatus.Jailed);
      expect((await f.disputes.getDispute(o.disputeId)).phase).to.equal(Phase.Resolved);
    });

    it("refuses the node, a move before the state roots, logits not proven at leaf L, and logits that do choose the node's byte", async function () {
      const f = await loadFixture(fixture);
      const t = 1;
      const o = await openOver(f);
      const id = o.disputeId;
      const { logits, proof } = logitsOf(o, t);
      await revealPasses(f, o);
      await expect(challenger(f).proveChoice(id, logits, proof))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameWrongPhase")
        .withArgs(id, Phase.AwaitingStep, Phase.AwaitingPass);
      await selectPass(f, o, t);
      await revealStates(f, o, t);
      await expect(node(f).proveChoice(id, logits, proof))
        .to.be.revertedWithCustomError(f.disputes, "BisectionGameNotYourTurn")
        .withArgs(id, f.operators[0].address);
      const forged = logits.slice();
      forged[0] ^= 0x40;
      await expect(challenger(f).proveChoice(id, forged, proof))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerBadProof")
        .withArgs(id, ProofPart.PostState);
      await expect(challenger(f).proveChoice(id, logits, proof))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerChoiceHolds")
        .withArgs(id, t, o.view.output[1 + t]);
    });

    it("refuses committed logits that are not 256 bytes (GenerationLibBadLogits): the challenger bisects instead, the node cannot follow", async function () {
      const f = await loadFixture(fixture);
      const { program, weights } = f.model;
      const L = program.layers.length;
      const input = encodeRequest(REQUEST, TINY_TERMS);
      const honest = nodeGenerationView(f.model, TINY_TERMS, 1n, input).passView(1);
      const short = viewOf(program, [...honest.states.slice(0, L), honest.states[L].slice(0, 100)], weights);
      const o = await openWithPass(f, 1, short);
      await revealPasses(f, o);
      await selectPass(f, o, 1);
      await revealStates(f, o, 1);
      const { logits, proof } = logitsOf(o, 1);
      expect(logits.length).to.equal(100);
      await expect(challenger(f).proveChoice(o.disputeId, logits, proof))
        .to.be.revertedWithCustomError(f.gameLib, "GenerationLibBadLogits")
        .withArgs(100);
      const players = {
        node: new GenerationPlayer("node", o.view, node(f)),
        challenger: new GenerationPlayer(
          "challenger",
          nodeGenerationView(f.model, TINY_TERMS, o.requestId, input),
          challenger(f),
        ),
      };
      // The layer's 256-byte post-state fixes the chunk tree: the node's 100-byte one cannot be bisected.
      const result = await driveGame(o.disputeId, players, {
        stops: { side: "node", after: 0 },
        onStop: async () => (await (await timeOut(f, o.disputeId)).wait())!.gasUsed,
      });
      expect(result.outcome).to.equal(Outcome.NodeWrong);
      expect(result.moves[0].name).to.equal(`selectStep(${L - 1})`);
    });

    it("refuses a dispute over an inference that is not a generation (DisputeManagerNotGeneration)", async function () {
      const f = await loadFixture(fixture);
      const game = await openGame(f, { model: "mlp", digit: 1 });
      await runGame(f, game, { until: Phase.AwaitingStep });
      await expect(challenger(f).proveChoice(game.disputeId, new Uint8Array(256), []))
        .to.be.revertedWithCustomError(f.disputes, "DisputeManagerNotGeneration")
        .withArgs(game.disputeId);
    });
  });

  describe("a commitment disputed again", function () {
    it("a second dispute starts at AwaitingPass with the pass roots already revealed, and is played from there", async function () {
      const f = await loadFixture(fixture);
      const game = await openGenerationGame(f, REQUEST, {
        challengerLie: { kind: "state", pass: 1, step: 1, byte: 3 },
      });
      expect((await playGenerationGame(f, game)).outcome).to.equal(Outcome.ChallengerWrong);
      const root = merkleRoot([...game.nodeView.passRoots]);
      await expect(challenger(f).openDispute(game.requestId, keccak256(game.nodeView.output), root)).to.emit(
        f.disputes,
        "DisputeOpened",
      );
      const second = await f.disputes.disputeCount();
      expect((await f.disputes.getDispute(second)).phase).to.equal(Phase.AwaitingPass);
      const o: Opened = { requestId: game.requestId, disputeId: second, input: game.input, view: game.nodeView, root };
      await expect(selectPass(f, o, 1))
        .to.emit(f.disputes, "PassSelected")
        .withArgs(second, 1, o.view.passRoots[1]);
    });
  });
});
