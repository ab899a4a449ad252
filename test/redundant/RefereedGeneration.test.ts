/**
 * The RedundantManager's refereed game over a generation (docs/GENERATION.md §9), move by move: `request` and `commit`
 * on a generation version, revealPassRoots, revealPassRootsAndLocate, revealPassStates and revealRootsAndLocate inside
 * the located pass, proveChoice, and the settlement, each with its happy path, every revert and its events, on the
 * tiny generation program (test/helpers/tiny-lm.ts). Node A is operator 0 (slot 0), node B operator 1 (slot 1).
 */
import { expect } from "chai";
import { ethers } from "hardhat";
import { keccak256 } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";

import type { RedundantManager } from "../../typechain-types";
import {
  chooseByte,
  decodeRequest,
  decodeResponse,
  encodeRequest,
  encodeResponse,
  passInput,
  specOfRequest,
  type GenerationRequest,
} from "../../executor/generate";
import { MerkleTree } from "../../executor/trace/merkle";
import { bytesOf } from "../../executor/trace/trace";
import type { Side } from "../../game/boards/redundant";
import { driveGame } from "../../game/driver";
import { generationView, logitsWitness, type GenerationView } from "../../game/generation";
import { layerWitness } from "../../game/player";
import { RefereedGenerationPlayer } from "../../game/refereed-generation";
import { honestView } from "../../game/view";
import { tamperedView } from "../../tools/doubles/tamper";
import { GamePhase as Phase, ProofPart, Resolution, StateRootsFault, TraceEnd } from "../../game/enums";
import { NodeStatus } from "../../protocol/constants";
import { digitInput } from "../helpers/dispute-fixtures";
import {
  commitGeneration,
  deployRefereedGenerationFixture,
  GameOutcome,
  openRefereedGeneration,
  type RefereedGenerationFixture,
  type RefereedGenerationGame,
} from "../helpers/refereed-generation-game";
import { nodeGenerationView, type GenerationLie } from "../helpers/generation-game";
import { tinyLanguageModel, TINY_TERMS } from "../helpers/tiny-lm";
import {
  COLLATERAL,
  COMMIT_TIMEOUT,
  FEE,
  namedNodes,
  REWARD,
  RequestStatus,
  SlotStatus,
  VERSION_OF,
} from "./redundant-fixtures";

const REQUEST: GenerationRequest = { prompt: new TextEncoder().encode("The jury"), maxTokens: TINY_TERMS.maxTokens };
/** The pass most games are located at (REQUEST's honest generation has more passes). */
const T = 2;

async function fixture() {
  return deployRefereedGenerationFixture(tinyLanguageModel(), TINY_TERMS);
}

/** A node's generation of a request, given its id and record. */
type ViewOf = (requestId: bigint, input: Uint8Array) => GenerationView;

const honest: ViewOf = (id, input) => nodeGenerationView(tinyLanguageModel(), TINY_TERMS, id, input);
const lying =
  (lie: GenerationLie): ViewOf =>
  (id, input) =>
    nodeGenerationView(tinyLanguageModel(), TINY_TERMS, id, input, lie);

/**
 * A node that changed byte `pass` of its output by `delta` and, to stand behind it, the logits of that pass: the
 * claimed byte's logit raised to 127, so that the pass's logits choose it. Its pass root there differs from the
 * honest one (the game bisects inside the pass); its later passes read the lie.
 */
function logitsLie(pass: number, delta = 1): ViewOf {
  return (id, input) => {
    const { program, weights } = tinyLanguageModel();
    const L = program.layers.length;
    const byteLie = nodeGenerationView(tinyLanguageModel(), TINY_TERMS, id, input, { kind: "byte", pass, delta });
    const claimed = byteLie.output[1 + pass];
    const logits = byteLie.passView(pass).states[L];
    const tampered = tamperedView(byteLie.passView(pass), L, claimed, { delta: 127 - logits[claimed] });
    const spec = specOfRequest(input, TINY_TERMS, id)!;
    expect(chooseByte(spec.rule, tampered.states[L], pass), "the tampered logits choose the claimed byte").to.equal(
      claimed,
    );
    return generationView(program, TINY_TERMS, id, input, byteLie.output, weights, new Map([[pass, tampered]]));
  };
}

/**
 * A node whose pass `pass` was run on another window than the prompt and its bytes before the pass (a consistent
 * trace of the wrong input, so its pass root there is not the honest one), and whose byte `pass + 1` is changed (so
 * that its output differs from the honest one and a game opens).
 */
function wrongWindow(pass: number): ViewOf {
  return (id, input) => {
    const { program, weights } = tinyLanguageModel();
    const byteLie = nodeGenerationView(tinyLanguageModel(), TINY_TERMS, id, input, { kind: "byte", pass: pass + 1 });
    const before = Uint8Array.from({ length: pass }, (_, i) => i + 1);
    const wrong = passInput(REQUEST.prompt, before, pass, TINY_TERMS.contextLength, TINY_TERMS.padByte);
    const overrides = new Map([[pass, honestView(program, wrong, weights)]]);
    return generationView(program, TINY_TERMS, id, input, byteLie.output, weights, overrides);
  };
}

/** A node committing a response that is not canonical (a non-zero byte after its generated bytes), with the honest
 * pass roots: no request's answer. */
const nonCanonical: ViewOf = (id, input) => {
  const h = honest(id, input);
  const output = h.output.slice();
  output[output.length - 1] = 1;
  expect(decodeResponse(output)).to.equal(null);
  return { ...h, output };
};

interface Opened extends RefereedGenerationGame {
  /** The manager connected to each node. */
  as: Record<Side, RedundantManager>;
}

/** A k = 2 request of `input` from operators 0 (A) and 1 (B), who commit `A`'s and `B`'s generations in that order. */
async function open(
  f: RefereedGenerationFixture,
  A: ViewOf = honest,
  B: ViewOf = honest,
  input: Uint8Array = encodeRequest(REQUEST, TINY_TERMS),
): Promise<Opened> {
  const g = await openRefereedGeneration(f, input, { views: { A, B } });
  return { ...g, as: { A: f.redundant.connect(g.nodes.A), B: f.redundant.connect(g.nodes.B) } };
}

const revealA = (o: Opened) => o.as.A.revealPassRoots(o.gameId, [...o.views.A.passRoots], o.input, o.views.A.output);

/** B's answer to A's pass roots: `b` as B's generation (its own by default), `a` as A's echoed (A's by default). */
function locatePass(
  o: Opened,
  over: { b?: { passRoots: string[]; output: Uint8Array }; a?: { passRoots: string[]; output: Uint8Array } } = {},
  input: Uint8Array = o.input,
) {
  const b = over.b ?? { passRoots: [...o.views.B.passRoots], output: o.views.B.output };
  const a = over.a ?? { passRoots: [...o.views.A.passRoots], output: o.views.A.output };
  return o.as.B.revealPassRootsAndLocate(o.gameId, b, a, input);
}

const stateRoots = (o: Opened, side: Side, pass: number) => [...o.views[side].passView(pass).trace.stateRoots];

const revealStates = (o: Opened, pass: number) =>
  o.as.A.revealPassStates(o.gameId, stateRoots(o, "A", pass), o.input, o.views.A.output);

/** The layer k witness of the program (from B's view: the weights are registered). */
function layer(o: Opened, k: number) {
  return layerWitness(o.views.B.weights.layerProof(k));
}

async function timeOut(f: RefereedGenerationFixture, gameId: bigint) {
  await time.increaseTo((await f.redundant.deadline(gameId)) + 1n);
  return f.redundant.connect(f.stranger).resolveTimeout(gameId);
}

/** Plays game `o` to its end with each node's RefereedGenerationPlayer (a side in `stops` stops and times out). */
async function play(f: RefereedGenerationFixture, o: Opened, stops?: { side: Side; after: number }) {
  const players = {
    A: new RefereedGenerationPlayer("A", o.views.A, o.as.A),
    B: new RefereedGenerationPlayer("B", o.views.B, o.as.B),
  };
  const result = await driveGame(o.gameId, players, {
    stops,
    onStop: async () => (await (await timeOut(f, o.gameId)).wait())!.gasUsed,
  });
  expect(result.resolved).to.equal(true);
  return result;
}

const phaseOf = async (f: RefereedGenerationFixture, o: Opened) => (await f.redundant.getGame(o.gameId)).phase;

describe("RefereedGeneration: the RedundantManager's game over a generation, move by move (docs/GENERATION.md §9)", function () {
  this.timeout(120_000);
  let passes: number;
  let L: number;

  before(function () {
    const input = encodeRequest(REQUEST, TINY_TERMS);
    passes = decodeResponse(honest(1n, input).output)!.length;
    L = tinyLanguageModel().program.layers.length;
    expect(passes, "REQUEST's honest generation has passes after T").to.be.greaterThan(T + 1);
  });

  describe("request and commit on a generation version", function () {
    it("request marks the request as a generation and emits RedundantRequested; a record of another length is refused", async function () {
      const f = await loadFixture(fixture);
      const input = encodeRequest(REQUEST, TINY_TERMS);
      const nodes = [f.operators[0].address, f.operators[1].address];
      const tx = await f.redundant.connect(f.requester).request(f.versionId, input, FEE, nodes);
      const deadline = BigInt(await time.latest()) + COMMIT_TIMEOUT;
      await expect(tx)
        .to.emit(f.redundant, "RedundantRequested")
        .withArgs(1n, f.requester.address, f.versionId, ethers.hexlify(input), FEE, nodes, deadline);
      const r = await f.redundant.getRequest(1n);
      expect(r.generation).to.equal(true);
      expect(r.inputRoot).to.equal(MerkleTree.fromData(input).root);
      expect(r.outputLength).to.equal(BigInt(1 + TINY_TERMS.maxTokens));
      const longer = Uint8Array.from([...input, 0]);
      await expect(f.redundant.connect(f.requester).request(f.versionId, longer, FEE, nodes))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadLength")
        .withArgs(TraceEnd.Input, input.length + 1, input.length);
    });

    it("a request of a version that does not generate is not a generation", async function () {
      const f = await loadFixture(fixture);
      const input = bytesOf(digitInput("mlp", 0).s0);
      await f.redundant.connect(f.requester).request(VERSION_OF.mlp, input, FEE, namedNodes(f, 2));
      expect((await f.redundant.getRequest(1n)).generation).to.equal(false);
    });

    it("commit takes any generation root without its proofs (they are ignored), checks only the response's length", async function () {
      const f = await loadFixture(fixture);
      const input = encodeRequest(REQUEST, TINY_TERMS);
      const [a, b] = [f.operators[0], f.operators[1]];
      await f.redundant.connect(f.requester).request(f.versionId, input, FEE, [a.address, b.address]);
      const view = honest(1n, input);
      const root = MerkleTree.fromLeaves([...view.passRoots]).root;
      const garbage = [ethers.id("not"), ethers.id("a proof")];
      await expect(f.redundant.connect(a).commit(1n, view.output, root, garbage, []))
        .to.emit(f.redundant, "RedundantCommitted")
        .withArgs(1n, a.address, 0, ethers.hexlify(view.output), keccak256(view.output), root);
      await expect(f.redundant.connect(b).commit(1n, view.output.slice(1), root, [], []))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadLength")
        .withArgs(TraceEnd.Output, view.output.length - 1, view.output.length);
      await expect(f.redundant.connect(b).commit(1n, Uint8Array.from([...view.output, 0]), root, [], []))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadLength")
        .withArgs(TraceEnd.Output, view.output.length + 1, view.output.length);
      // Agreement on the output finalizes at once, whatever the trace roots (agreement is on the output).
      await expect(f.redundant.connect(b).commit(1n, view.output, ethers.id("another root"), [], garbage))
        .to.emit(f.redundant, "RedundantFinalized")
        .withArgs(1n, keccak256(view.output), 2);
    });

    it("two different responses open a game at AwaitingPassRootsA (GameOpened), A on the move", async function () {
      const f = await loadFixture(fixture);
      const input = encodeRequest(REQUEST, TINY_TERMS);
      const [a, b] = [f.operators[0], f.operators[1]];
      await f.redundant.connect(f.requester).request(f.versionId, input, FEE, [a.address, b.address]);
      await commitGeneration(f, a, 1n, honest(1n, input));
      await expect(commitGeneration(f, b, 1n, lying({ kind: "byte", pass: T })(1n, input)))
        .to.emit(f.redundant, "GameOpened")
        .withArgs(1n, 1n, a.address, b.address);
      const g = await f.redundant.getGame(1n);
      expect([g.phase, g.slotA, g.slotB, g.pass]).to.deep.equal([BigInt(Phase.AwaitingPassRootsA), 0n, 1n, 0n]);
      expect(await f.redundant.onTheMove(1n)).to.equal(a.address);
      expect((await f.redundant.getRequest(1n)).activeGame).to.equal(1n);
    });

    it("a lie that keeps every generated byte (a pass's trace only) gives the same output: no game, finalized", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, lying({ kind: "trace", pass: T, step: 1, byte: 3 }));
      expect(o.views.B.passRoots[T]).to.not.equal(o.views.A.passRoots[T]);
      expect(o.gameId).to.equal(0n);
      expect((await f.redundant.getRequest(o.requestId)).status).to.equal(RequestStatus.Finalized);
    });
  });

  describe("revealPassRoots (A)", function () {
    it("takes A's pass roots with the records, emits PassRootsRevealed and hands over to B", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, lying({ kind: "byte", pass: T }));
      await expect(revealA(o))
        .to.emit(f.redundant, "PassRootsRevealed")
        .withArgs(o.gameId, o.nodes.A.address, [...o.views.A.passRoots]);
      expect(await phaseOf(f, o)).to.equal(Phase.AwaitingPassRootsB);
      expect(await f.redundant.onTheMove(o.gameId)).to.equal(o.nodes.B.address);
    });

    it("refuses B, an unknown game, other record bytes, another response, another count or tree of pass roots, a second reveal", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, lying({ kind: "byte", pass: T }));
      const id = o.gameId;
      const roots = [...o.views.A.passRoots];
      const { input, output } = o.views.A;
      await expect(o.as.B.revealPassRoots(id, roots, input, output))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameNotYourTurn")
        .withArgs(id, o.nodes.B.address);
      await expect(o.as.A.revealPassRoots(99n, roots, input, output))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameUnknownGame")
        .withArgs(99n);
      const otherInput = input.slice();
      otherInput[4] ^= 1;
      await expect(o.as.A.revealPassRoots(id, roots, otherInput, output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.InputHash);
      await expect(o.as.A.revealPassRoots(id, roots, input, o.views.B.output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.OutputCommitment);
      await expect(o.as.A.revealPassRoots(id, roots.slice(1), input, output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.PassCount);
      await expect(o.as.A.revealPassRoots(id, [...roots.slice(1), roots[0]], input, output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.TraceRootOfA);
      await expect(o.as.A.revealPassRoots(id, [...o.views.B.passRoots], input, output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.TraceRootOfA);
      await revealA(o);
      await expect(revealA(o))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameWrongPhase")
        .withArgs(id, Phase.AwaitingPassRootsA, Phase.AwaitingPassRootsB);
    });

    it("refuses A once its clock has run out (BisectionGameClockExpired); then A times out (PlayerATimedOut)", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, lying({ kind: "byte", pass: T }));
      await time.increaseTo((await f.redundant.deadline(o.gameId)) + 1n);
      await expect(revealA(o))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameClockExpired")
        .withArgs(o.gameId);
      await expect(f.redundant.connect(f.stranger).resolveTimeout(o.gameId))
        .to.emit(f.redundant, "GameResolved")
        .withArgs(o.gameId, o.requestId, GameOutcome.AWrong, Resolution.PlayerATimedOut);
    });

    it("refuses a request record with one more zero byte (same chunk root, InputHash): it would make an invalid request look valid", async function () {
      const f = await loadFixture(fixture);
      // An invalid request: its prompt length p = maxPrompt + 1 does not fit the record. Its only answer is the
      // empty response with the zero root.
      const record = encodeRequest({ ...REQUEST, prompt: new Uint8Array(TINY_TERMS.maxPrompt).fill(0x61) }, TINY_TERMS);
      record[2] = TINY_TERMS.maxPrompt + 1;
      const extended = Uint8Array.from([...record, 0]);
      expect(decodeRequest(record, TINY_TERMS.maxTokens).valid).to.equal(false);
      // One more zero: the prompt fits, the record is valid, and its chunk root is the request's (zero padding).
      expect(decodeRequest(extended, TINY_TERMS.maxTokens).valid).to.equal(true);
      expect(MerkleTree.fromData(extended).root).to.equal(MerkleTree.fromData(record).root);
      const [liar, node] = [f.operators[0], f.operators[1]];
      await f.redundant.connect(f.requester).request(f.versionId, record, FEE, [liar.address, node.address]);
      const requestId = await f.redundant.requestCount();
      // A generates for the extended record; B answers the invalid record as it must.
      const view = honest(requestId, extended);
      expect(view.passRoots.length).to.be.greaterThan(0);
      await commitGeneration(f, liar, requestId, view);
      const empty = encodeResponse(new Uint8Array(0), TINY_TERMS.maxTokens);
      await f.redundant.connect(node).commit(requestId, empty, ethers.ZeroHash, [], []);
      const gameId = (await f.redundant.getRequest(requestId)).activeGame;
      expect(gameId).to.not.equal(0n);
      const asLiar = f.redundant.connect(liar);
      // Without the length check, the extended record's chunk root would pass and A would be on its way to win:
      // B, echoing A's generation with the request's record, could not have it checked (A's response does not
      // answer an invalid record) and would time out.
      await expect(asLiar.revealPassRoots(gameId, [...view.passRoots], extended, view.output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(gameId, StateRootsFault.InputHash);
      await expect(asLiar.revealPassRoots(gameId, [...view.passRoots], record, view.output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(gameId, StateRootsFault.Response);
      await expect(timeOut(f, gameId))
        .to.emit(f.redundant, "GameResolved")
        .withArgs(gameId, requestId, GameOutcome.AWrong, Resolution.PlayerATimedOut);
      const r = await f.redundant.getRequest(requestId);
      expect([r.status, r.resultHash]).to.deep.equal([BigInt(RequestStatus.Finalized), keccak256(empty)]);
    });

    it("LM7: a non-canonical response A committed can never be revealed (Response): A times out and is eliminated", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, nonCanonical, honest);
      await expect(revealA(o))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(o.gameId, StateRootsFault.Response);
      const tx = timeOut(f, o.gameId);
      await expect(tx)
        .to.emit(f.redundant, "GameResolved")
        .withArgs(o.gameId, o.requestId, GameOutcome.AWrong, Resolution.PlayerATimedOut);
      await expect(tx)
        .to.emit(f.redundant, "NodeEliminated")
        .withArgs(o.requestId, o.nodes.A.address, COLLATERAL, REWARD);
      await expect(tx).to.emit(f.redundant, "RedundantFinalized").withArgs(o.requestId, keccak256(o.views.B.output), 1);
    });
  });

  describe("revealPassRootsAndLocate (B)", function () {
    it("equal pass roots where the bytes part: emits PassRootsRevealed and PassLocated, moves to AwaitingChoice", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, lying({ kind: "byte", pass: T, delta: 7 }));
      await revealA(o);
      const [a, b] = [o.views.A, o.views.B];
      expect(a.passRoots[T]).to.equal(b.passRoots[T]);
      const tx = locatePass(o);
      await expect(tx)
        .to.emit(f.redundant, "PassRootsRevealed")
        .withArgs(o.gameId, o.nodes.B.address, [...b.passRoots]);
      await expect(tx)
        .to.emit(f.redundant, "PassLocated")
        .withArgs(o.gameId, T, a.passRoots[T], b.passRoots[T], a.output[1 + T], b.output[1 + T]);
      const g = await f.redundant.getGame(o.gameId);
      expect([g.phase, g.pass]).to.deep.equal([BigInt(Phase.AwaitingChoice), BigInt(T)]);
      expect(await f.redundant.onTheMove(o.gameId)).to.equal(ethers.ZeroAddress);
    });

    it("different pass roots at the first differing pass: PassLocated there, moves to AwaitingPassStatesA", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, logitsLie(T));
      await revealA(o);
      const [a, b] = [o.views.A, o.views.B];
      expect(a.passRoots.slice(0, T)).to.deep.equal(b.passRoots.slice(0, T));
      expect(a.passRoots[T]).to.not.equal(b.passRoots[T]);
      await expect(locatePass(o))
        .to.emit(f.redundant, "PassLocated")
        .withArgs(o.gameId, T, a.passRoots[T], b.passRoots[T], a.output[1 + T], b.output[1 + T]);
      const g = await f.redundant.getGame(o.gameId);
      expect([g.phase, g.pass]).to.deep.equal([BigInt(Phase.AwaitingPassStatesA), BigInt(T)]);
      expect(await f.redundant.onTheMove(o.gameId)).to.equal(o.nodes.A.address);
    });

    it("locates the first pass where only the pass roots part (the bytes there agree)", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, wrongWindow(1));
      await revealA(o);
      const [a, b] = [o.views.A, o.views.B];
      expect(a.output[2]).to.equal(b.output[2]);
      await expect(locatePass(o))
        .to.emit(f.redundant, "PassLocated")
        .withArgs(o.gameId, 1, a.passRoots[1], b.passRoots[1], a.output[2], b.output[2]);
      expect((await f.redundant.getGame(o.gameId)).pass).to.equal(1n);
    });

    it("refuses A, a move before A's pass roots, and B once its clock has run out", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, lying({ kind: "byte", pass: T }));
      await expect(locatePass(o))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameWrongPhase")
        .withArgs(o.gameId, Phase.AwaitingPassRootsB, Phase.AwaitingPassRootsA);
      await revealA(o);
      const gen = (v: GenerationView) => ({ passRoots: [...v.passRoots], output: v.output });
      await expect(o.as.A.revealPassRootsAndLocate(o.gameId, gen(o.views.B), gen(o.views.A), o.input))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameNotYourTurn")
        .withArgs(o.gameId, o.nodes.A.address);
      await time.increaseTo((await f.redundant.deadline(o.gameId)) + 1n);
      await expect(locatePass(o))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameClockExpired")
        .withArgs(o.gameId);
    });

    it("checks B's generation (InputHash, also one more zero byte; OutputCommitment, PassCount, TraceRootOfB), then the echoed A's (OutputCommitment, PassCount, TraceRootOfA)", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, logitsLie(T));
      const id = o.gameId;
      await revealA(o);
      const [a, b] = [o.views.A, o.views.B];
      const rootsA = [...a.passRoots];
      const rootsB = [...b.passRoots];
      const otherInput = o.input.slice();
      otherInput[5] ^= 1;
      const cases: [() => ReturnType<typeof locatePass>, StateRootsFault][] = [
        [() => locatePass(o, {}, otherInput), StateRootsFault.InputHash],
        [() => locatePass(o, {}, Uint8Array.from([...o.input, 0])), StateRootsFault.InputHash],
        [() => locatePass(o, { b: { passRoots: rootsB, output: a.output } }), StateRootsFault.OutputCommitment],
        [() => locatePass(o, { b: { passRoots: rootsB.slice(1), output: b.output } }), StateRootsFault.PassCount],
        [() => locatePass(o, { b: { passRoots: rootsA, output: b.output } }), StateRootsFault.TraceRootOfB],
        [() => locatePass(o, { a: { passRoots: rootsA, output: b.output } }), StateRootsFault.OutputCommitment],
        [() => locatePass(o, { a: { passRoots: rootsA.slice(1), output: a.output } }), StateRootsFault.PassCount],
        [() => locatePass(o, { a: { passRoots: rootsB, output: a.output } }), StateRootsFault.TraceRootOfA],
      ];
      for (const [move, fault] of cases) {
        await expect(move()).to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots").withArgs(id, fault);
      }
      await expect(locatePass(o)).to.emit(f.redundant, "PassLocated");
    });

    it("LM7: a non-canonical response B committed can never be revealed (Response): B times out and is eliminated", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, nonCanonical);
      await revealA(o);
      await expect(locatePass(o))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(o.gameId, StateRootsFault.Response);
      await expect(timeOut(f, o.gameId))
        .to.emit(f.redundant, "GameResolved")
        .withArgs(o.gameId, o.requestId, GameOutcome.BWrong, Resolution.PlayerBTimedOut);
    });
  });

  describe("revealPassStates (A)", function () {
    it("takes A's state roots of the located pass, emits RootsRevealed and hands over to B (AwaitingRootsB)", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, logitsLie(T));
      await revealA(o);
      await locatePass(o);
      await expect(revealStates(o, T))
        .to.emit(f.redundant, "RootsRevealed")
        .withArgs(o.gameId, o.nodes.A.address, stateRoots(o, "A", T));
      expect(await phaseOf(f, o)).to.equal(Phase.AwaitingRootsB);
      expect(await f.redundant.onTheMove(o.gameId)).to.equal(o.nodes.B.address);
    });

    it("refuses B, a move before the pass, another count, another pass's roots, other records, an expired clock", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, logitsLie(T));
      const id = o.gameId;
      const roots = stateRoots(o, "A", T);
      const { input, output } = o.views.A;
      await revealA(o);
      await expect(revealStates(o, T))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameWrongPhase")
        .withArgs(id, Phase.AwaitingPassStatesA, Phase.AwaitingPassRootsB);
      await locatePass(o);
      await expect(o.as.B.revealPassStates(id, roots, input, output))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameNotYourTurn")
        .withArgs(id, o.nodes.B.address);
      await expect(o.as.A.revealPassStates(id, roots.slice(1), input, output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.Count);
      await expect(o.as.A.revealPassStates(id, stateRoots(o, "A", T + 1), input, output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.TraceRootOfA);
      await expect(o.as.A.revealPassStates(id, stateRoots(o, "B", T), input, output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.TraceRootOfA);
      const otherInput = input.slice();
      otherInput[3] ^= 1;
      await expect(o.as.A.revealPassStates(id, roots, otherInput, output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.InputHash);
      await expect(o.as.A.revealPassStates(id, roots, Uint8Array.from([...input, 0]), output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.InputHash);
      await expect(o.as.A.revealPassStates(id, roots, input, o.views.B.output))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.OutputCommitment);
      await time.increaseTo((await f.redundant.deadline(id)) + 1n);
      await expect(revealStates(o, T))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameClockExpired")
        .withArgs(id);
    });

    it("LM7: refuses A's pass run on another window than the prompt and its bytes before the pass (FirstRoot): A times out", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, wrongWindow(1), honest);
      await revealA(o);
      await locatePass(o);
      expect(await phaseOf(f, o)).to.equal(Phase.AwaitingPassStatesA);
      await expect(revealStates(o, 1))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(o.gameId, StateRootsFault.FirstRoot);
      await expect(timeOut(f, o.gameId))
        .to.emit(f.redundant, "GameResolved")
        .withArgs(o.gameId, o.requestId, GameOutcome.AWrong, Resolution.PlayerATimedOut);
    });
  });

  describe("revealRootsAndLocate (B) inside the located pass", function () {
    it("checks B's roots against its pass root (TraceRootOfB) and the echo against A's (TraceRootOfA), then locates the step", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, logitsLie(T));
      const id = o.gameId;
      await revealA(o);
      await locatePass(o);
      await revealStates(o, T);
      const [rootsA, rootsB] = [stateRoots(o, "A", T), stateRoots(o, "B", T)];
      // B's lie is in the logits, S_L: the roots part at L, the disputed step is L - 1.
      expect(rootsA.slice(0, L)).to.deep.equal(rootsB.slice(0, L));
      const w = layer(o, L - 1);
      await expect(o.as.A.revealRootsAndLocate(id, rootsB, rootsA, w))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameNotYourTurn")
        .withArgs(id, o.nodes.A.address);
      await expect(o.as.B.revealRootsAndLocate(id, stateRoots(o, "B", T + 1), rootsA, w))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.TraceRootOfB);
      await expect(o.as.B.revealRootsAndLocate(id, rootsA, rootsA, w))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.TraceRootOfB);
      await expect(o.as.B.revealRootsAndLocate(id, rootsB, rootsB, w))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.TraceRootOfA);
      await expect(o.as.B.revealRootsAndLocate(id, rootsB.slice(1), rootsA, w))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(id, StateRootsFault.Count);
      await expect(o.as.B.revealRootsAndLocate(id, rootsB, rootsA, layer(o, 0)))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameBadLayer")
        .withArgs(id, ProofPart.Layer);
      // Identical cannot be reached here: the game is inside the pass only when A's and B's pass roots there
      // differ (equal ones go to AwaitingChoice), and the two lists must hash to them, so they differ somewhere.
      const tx = o.as.B.revealRootsAndLocate(id, rootsB, rootsA, w);
      await expect(tx).to.emit(f.redundant, "RootsRevealed").withArgs(id, o.nodes.B.address, rootsB);
      await expect(tx)
        .to.emit(f.redundant, "StepLocated")
        .withArgs(id, L - 1, rootsB[L - 1], rootsA[L], rootsB[L]);
      const g = await f.redundant.getGame(id);
      expect([g.phase, g.step, g.outLength, g.pass]).to.deep.equal([
        BigInt(Phase.AwaitingChildrenA),
        BigInt(L - 1),
        256n,
        BigInt(T),
      ]);
    });

    it("LM7: refuses B's pass run on another window than A's S_0 (FirstRoot): B times out, A wins", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, wrongWindow(1));
      await revealA(o);
      await locatePass(o);
      await revealStates(o, 1);
      const [rootsA, rootsB] = [stateRoots(o, "A", 1), stateRoots(o, "B", 1)];
      expect(rootsB[0]).to.not.equal(rootsA[0]);
      await expect(o.as.B.revealRootsAndLocate(o.gameId, rootsB, rootsA, layer(o, 0)))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadRoots")
        .withArgs(o.gameId, StateRootsFault.FirstRoot);
      await expect(timeOut(f, o.gameId))
        .to.emit(f.redundant, "GameResolved")
        .withArgs(o.gameId, o.requestId, GameOutcome.BWrong, Resolution.PlayerBTimedOut);
    });

    it("LM7: a lie in the logits of a pass is played to one integer step inside it: the liar loses (StepRecomputed)", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, logitsLie(T, 5), honest);
      const result = await play(f, o);
      expect(result.outcome).to.equal(GameOutcome.AWrong);
      expect(result.moves.map((m) => m.name)).to.include("revealPassStates");
      const proof = result.moves[result.moves.length - 1];
      expect(proof.name).to.match(/^proveStep/);
      const g = await f.redundant.getGame(o.gameId);
      expect([g.phase, g.pass, g.step]).to.deep.equal([BigInt(Phase.Resolved), BigInt(T), BigInt(L - 1)]);
    });
  });

  describe("proveChoice", function () {
    /** A game at AwaitingChoice: A honest, B (or both) changed byte T of its output only. */
    async function atChoice(f: RefereedGenerationFixture, A: ViewOf, B: ViewOf) {
      const o = await open(f, A, B);
      await revealA(o);
      await locatePass(o);
      expect(await phaseOf(f, o)).to.equal(Phase.AwaitingChoice);
      return o;
    }

    it("LM7: B changed its byte: A proves the agreed logits choose A's byte, B eliminated (ChoiceRecomputed)", async function () {
      const f = await loadFixture(fixture);
      const o = await atChoice(f, honest, lying({ kind: "byte", pass: T, delta: 7 }));
      const { logits, proof } = logitsWitness(o.views.A.passView(T));
      const [byteA, byteB] = [o.views.A.output[1 + T], o.views.B.output[1 + T]];
      const tx = o.as.A.proveChoice(o.gameId, logits, proof);
      await expect(tx).to.emit(f.redundant, "ChoiceProven").withArgs(o.gameId, T, byteA, byteB, byteA);
      await expect(tx)
        .to.emit(f.redundant, "GameResolved")
        .withArgs(o.gameId, o.requestId, GameOutcome.BWrong, Resolution.ChoiceRecomputed);
      await expect(tx)
        .to.emit(f.redundant, "NodeEliminated")
        .withArgs(o.requestId, o.nodes.B.address, COLLATERAL, REWARD);
      expect((await f.redundant.getGame(o.gameId)).phase).to.equal(Phase.Resolved);
    });

    it("LM7: A changed its byte: the liar itself may prove, and loses (AWrong)", async function () {
      const f = await loadFixture(fixture);
      const o = await atChoice(f, lying({ kind: "byte", pass: T }), honest);
      const { logits, proof } = logitsWitness(o.views.A.passView(T));
      const [byteA, byteB] = [o.views.A.output[1 + T], o.views.B.output[1 + T]];
      const tx = o.as.A.proveChoice(o.gameId, logits, proof);
      await expect(tx).to.emit(f.redundant, "ChoiceProven").withArgs(o.gameId, T, byteA, byteB, byteB);
      await expect(tx)
        .to.emit(f.redundant, "GameResolved")
        .withArgs(o.gameId, o.requestId, GameOutcome.AWrong, Resolution.ChoiceRecomputed);
    });

    it("two liars with different bytes at the same pass: either proves, both eliminated (BothWrong), request Rejected", async function () {
      const f = await loadFixture(fixture);
      const o = await atChoice(
        f,
        lying({ kind: "byte", pass: T, delta: 1 }),
        lying({ kind: "byte", pass: T, delta: 7 }),
      );
      const { logits, proof } = logitsWitness(o.views.B.passView(T));
      const [byteA, byteB] = [o.views.A.output[1 + T], o.views.B.output[1 + T]];
      const computed = honest(o.requestId, o.input).output[1 + T];
      expect([byteA, byteB]).to.not.include(computed);
      const tx = o.as.B.proveChoice(o.gameId, logits, proof);
      await expect(tx).to.emit(f.redundant, "ChoiceProven").withArgs(o.gameId, T, byteA, byteB, computed);
      await expect(tx)
        .to.emit(f.redundant, "GameResolved")
        .withArgs(o.gameId, o.requestId, GameOutcome.BothWrong, Resolution.ChoiceRecomputed);
      await expect(tx).to.emit(f.redundant, "NodeEliminated").withArgs(o.requestId, o.nodes.A.address, COLLATERAL, 0);
      await expect(tx).to.emit(f.redundant, "NodeEliminated").withArgs(o.requestId, o.nodes.B.address, COLLATERAL, 0);
      await expect(tx).to.emit(f.redundant, "RedundantRejected").withArgs(o.requestId);
      expect(await f.redundant.credits(f.requester.address)).to.equal(2n * FEE);
    });

    it("refuses a move before AwaitingChoice, a stranger, logits not proven at leaf L of the pass root, an expired clock", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, lying({ kind: "byte", pass: T }));
      const id = o.gameId;
      const { logits, proof } = logitsWitness(o.views.A.passView(T));
      await expect(o.as.A.proveChoice(id, logits, proof))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameWrongPhase")
        .withArgs(id, Phase.AwaitingChoice, Phase.AwaitingPassRootsA);
      await revealA(o);
      await locatePass(o);
      await expect(f.redundant.connect(f.stranger).proveChoice(id, logits, proof))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameNotYourTurn")
        .withArgs(id, f.stranger.address);
      const forged = logits.slice();
      forged[0] ^= 0x40;
      await expect(o.as.A.proveChoice(id, forged, proof))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadProof")
        .withArgs(id, ProofPart.Logits);
      const other = logitsWitness(o.views.A.passView(T + 1));
      await expect(o.as.B.proveChoice(id, other.logits, other.proof))
        .to.be.revertedWithCustomError(f.redundant, "RedundantManagerBadProof")
        .withArgs(id, ProofPart.Logits);
      await time.increaseTo((await f.redundant.deadline(id)) + 1n);
      await expect(o.as.A.proveChoice(id, logits, proof))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameClockExpired")
        .withArgs(id);
    });

    it("refuses a proof inside a pass whose roots differ (AwaitingPassStatesA: the logits are not agreed)", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, logitsLie(T));
      await revealA(o);
      await locatePass(o);
      const { logits, proof } = logitsWitness(o.views.A.passView(T));
      await expect(o.as.A.proveChoice(o.gameId, logits, proof))
        .to.be.revertedWithCustomError(f.redundant, "BisectionGameWrongPhase")
        .withArgs(o.gameId, Phase.AwaitingChoice, Phase.AwaitingPassStatesA);
    });

    it("nobody proves before both clocks run out: both eliminated (NobodyProved), request Rejected", async function () {
      const f = await loadFixture(fixture);
      const o = await atChoice(f, honest, lying({ kind: "byte", pass: T }));
      const tx = timeOut(f, o.gameId);
      await expect(tx)
        .to.emit(f.redundant, "GameResolved")
        .withArgs(o.gameId, o.requestId, GameOutcome.BothWrong, Resolution.NobodyProved);
      await expect(tx).to.emit(f.redundant, "NodeEliminated").withArgs(o.requestId, o.nodes.A.address, COLLATERAL, 0);
      await expect(tx).to.emit(f.redundant, "NodeEliminated").withArgs(o.requestId, o.nodes.B.address, COLLATERAL, 0);
      await expect(tx).to.emit(f.redundant, "RedundantRejected").withArgs(o.requestId);
    });

    it("LM7: a node that stops early with a stop byte the agreed logits do not choose loses to proveChoice", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, lying({ kind: "stop", pass: 1 }));
      expect(decodeResponse(o.views.B.output)!.length).to.equal(2);
      const result = await play(f, o);
      expect(result.outcome).to.equal(GameOutcome.BWrong);
      expect(result.moves.map((m) => m.name)).to.include("proveChoice(pass 1)");
      expect((await f.redundant.getGame(o.gameId)).pass).to.equal(1n);
    });

    it("LM7: a sampled request's choice is seeded by the manager's request id (not the game's): the liar loses", async function () {
      const f = await loadFixture(fixture);
      const input = encodeRequest({ ...REQUEST, temperatureShift: 3 }, TINY_TERMS);
      // A first request, left open, so that the game's request id (2) is not its game id (1).
      await f.redundant.connect(f.requester).request(f.versionId, input, FEE, namedNodes(f, 2));
      const o = await open(f, honest, lying({ kind: "byte", pass: T }), input);
      expect([o.requestId, o.gameId]).to.deep.equal([2n, 1n]);
      // The seed matters here: another request id chooses another byte from the same logits.
      const logits = o.views.A.passView(T).states[L];
      const rule = (id: bigint) => specOfRequest(input, TINY_TERMS, id)!.rule;
      expect(chooseByte(rule(1n), logits, T)).to.not.equal(chooseByte(rule(2n), logits, T));
      await revealA(o);
      await locatePass(o);
      const { logits: bytes, proof } = logitsWitness(o.views.A.passView(T));
      const [byteA, byteB] = [o.views.A.output[1 + T], o.views.B.output[1 + T]];
      const tx = o.as.B.proveChoice(o.gameId, bytes, proof);
      await expect(tx).to.emit(f.redundant, "ChoiceProven").withArgs(o.gameId, T, byteA, byteB, byteA);
      await expect(tx)
        .to.emit(f.redundant, "GameResolved")
        .withArgs(o.gameId, o.requestId, GameOutcome.BWrong, Resolution.ChoiceRecomputed);
    });
  });

  describe("settlement after a game over a generation", function () {
    it("LM7: the liar is slashed and jailed, the request Finalized with the honest response, the winner credited", async function () {
      const f = await loadFixture(fixture);
      const o = await open(f, honest, logitsLie(T));
      const stakeBefore = await f.staking.totalStake(o.nodes.B.address);
      const result = await play(f, o);
      expect(result.outcome).to.equal(GameOutcome.BWrong);
      expect(await f.staking.totalStake(o.nodes.B.address)).to.equal(stakeBefore - COLLATERAL);
      expect(await f.nodes.statusOf(o.nodes.B.address)).to.equal(NodeStatus.Jailed);
      expect(await f.nodes.statusOf(o.nodes.A.address)).to.not.equal(NodeStatus.Jailed);
      const r = await f.redundant.getRequest(o.requestId);
      expect([r.status, r.resultHash, r.activeGame, r.escrow]).to.deep.equal([
        BigInt(RequestStatus.Finalized),
        keccak256(o.views.A.output),
        0n,
        0n,
      ]);
      const slots = await f.redundant.getSlots(o.requestId);
      expect(slots.map((s) => Number(s.status))).to.deep.equal([SlotStatus.Paid, SlotStatus.Eliminated]);
      // Its own fee, the loser's fee and its share of the slash.
      expect(await f.redundant.credits(o.nodes.A.address)).to.equal(2n * FEE + REWARD);
      expect(await f.redundant.credits(o.nodes.B.address)).to.equal(0n);
      expect(await f.staking.lockedStake(o.nodes.A.address)).to.equal(0n);
    });

    it("LM7: k = 3, two liars with different lies (a byte, the logits of another pass): two games, the honest node survives", async function () {
      const f = await loadFixture(fixture);
      const input = encodeRequest(REQUEST, TINY_TERMS);
      const [byteLiar, node, logitsLiar] = [f.operators[0], f.operators[1], f.operators[2]];
      const named = [byteLiar, node, logitsLiar];
      await f.redundant.connect(f.requester).request(
        f.versionId,
        input,
        FEE,
        named.map((s) => s.address),
      );
      const requestId = await f.redundant.requestCount();
      const views = [
        lying({ kind: "byte", pass: T })(requestId, input),
        honest(requestId, input),
        logitsLie(1)(requestId, input),
      ];
      for (let i = 0; i < 3; i++) await commitGeneration(f, named[i], requestId, views[i]);
      const players = (a: number, b: number) => ({
        A: new RefereedGenerationPlayer("A", views[a], f.redundant.connect(named[a])),
        B: new RefereedGenerationPlayer("B", views[b], f.redundant.connect(named[b])),
      });
      // Game 1: slots 0 and 1, decided by the choice at pass T.
      const first = await driveGame(1n, players(0, 1));
      expect([first.outcome, first.moves[first.moves.length - 1].name]).to.deep.equal([
        GameOutcome.AWrong,
        `proveChoice(pass ${T})`,
      ]);
      // Game 2, opened when game 1 ended: the survivor (slot 1) against slot 2, decided inside pass 1.
      const g2 = await f.redundant.getGame(2n);
      expect([g2.requestId, g2.slotA, g2.slotB, g2.phase]).to.deep.equal([
        requestId,
        1n,
        2n,
        BigInt(Phase.AwaitingPassRootsA),
      ]);
      const second = await driveGame(2n, players(1, 2));
      expect(second.outcome).to.equal(GameOutcome.BWrong);
      expect((await f.redundant.getGame(2n)).pass).to.equal(1n);
      const r = await f.redundant.getRequest(requestId);
      expect([r.status, r.resultHash]).to.deep.equal([BigInt(RequestStatus.Finalized), keccak256(views[1].output)]);
      const slots = await f.redundant.getSlots(requestId);
      expect(slots.map((s) => Number(s.status))).to.deep.equal([
        SlotStatus.Eliminated,
        SlotStatus.Paid,
        SlotStatus.Eliminated,
      ]);
      for (const liar of [byteLiar, logitsLiar])
        expect(await f.nodes.statusOf(liar.address)).to.equal(NodeStatus.Jailed);
      expect(await f.redundant.credits(node.address)).to.equal(3n * FEE + 2n * REWARD);
      expect(await f.redundant.gameCount()).to.equal(2n);
    });
  });
});
