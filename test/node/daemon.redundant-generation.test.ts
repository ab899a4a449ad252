import * as path from "path";
import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { hexlify, keccak256, ZeroAddress } from "ethers";

import type { GenerationProvider, NodeDaemon } from "../../daemons/node/daemon";
import { GamePhase, Outcome, Phase } from "../../game/enums";
import { GenerationPlayer } from "../../game/generation";
import { NodeStatus } from "../../protocol/constants";
import { answerRequest, encodeRequest, type GenerationRequest } from "../../executor/generate";
import { FEE, REWARD, RequestStatus, SlotStatus } from "../redundant/redundant-fixtures";
import { MODE } from "../helpers/fixtures";
import { nodeGenerationView } from "../helpers/generation-game";
import { suiteDaemons, testNodeDaemon } from "../helpers/node-daemon";
import {
  deployRefereedGenerationFixture,
  GameOutcome,
  type RefereedGenerationFixture,
} from "../helpers/refereed-generation-game";
import { tinyLanguageModel, TINY_TERMS } from "../helpers/tiny-lm";

/** "Once" generates all 8 bytes on the tiny LM (greedy): the liar changes byte 4, in the middle. */
const LONG: GenerationRequest = { prompt: new TextEncoder().encode("Once"), maxTokens: 8 };
const MIDDLE = 4;

async function fixture() {
  return deployRefereedGenerationFixture(tinyLanguageModel(), TINY_TERMS);
}

describe("NodeDaemon: redundant requests for generation versions (docs/GENERATION.md §9)", function () {
  this.timeout(60_000);
  let f: RefereedGenerationFixture;
  beforeEach(async () => {
    f = await loadFixture(fixture);
  });
  // Only for its temporary folder and its closing hooks: the daemons here sign as operators 0 and 1.
  const suite = suiteDaemons("verity-rgen-", () => f);
  const started: NodeDaemon[] = [];
  afterEach(() => {
    for (const d of started.splice(0)) d.close();
  });

  /** A node changing byte `pass` of every generation it answers (its later passes read the lie). */
  const liar =
    (pass: number): GenerationProvider =>
    ({ requestId, input }) =>
      nodeGenerationView(f.model, f.terms, requestId, input, { kind: "byte", pass });

  async function daemon(signer: HardhatEthersSigner, generationProvider?: GenerationProvider) {
    const { d, log } = await testNodeDaemon(f, signer, path.join(suite.dir(), `${signer.address}.jsonl`), {
      addresses: { redundantManager: await f.redundant.getAddress() },
      // The tiny LM is no demo model: the daemons are handed its program.
      resolver: async () => ({ program: f.model.program, weights: f.model.weights }),
      ...(generationProvider ? { generationProvider } : {}),
    });
    started.push(d);
    return { d, log };
  }
  async function request(request: GenerationRequest, nodes: HardhatEthersSigner[]) {
    const input = encodeRequest(request, f.terms);
    await f.redundant.connect(f.requester).request(
      f.versionId,
      input,
      FEE,
      nodes.map((n) => n.address),
    );
    return { requestId: await f.redundant.requestCount(), input };
  }
  const commitOf = async (requestId: bigint, node: string) =>
    (await f.redundant.queryFilter(f.redundant.filters.RedundantCommitted(requestId, node)))[0];
  /** Ticks the daemons in turn until game `gameId` is resolved, then once more each (they close their records). */
  async function playOut(daemons: NodeDaemon[], gameId: bigint, limit = 20): Promise<void> {
    for (let round = 0; round < limit; round++) {
      for (const d of daemons) await d.tick();
      if (Number((await f.redundant.getGame(gameId)).phase) === GamePhase.Resolved) {
        for (const d of daemons) await d.tick();
        return;
      }
    }
    throw new Error(`game ${gameId} not resolved after ${limit} rounds`);
  }

  it("LM6: two honest daemons commit the same sampled generation (seeded by the RedundantManager's request id): Finalized at once, both paid", async () => {
    const [a, b] = f.operators;
    // The InferenceManager has no request yet: only the RedundantManager's id can seed the daemons' sampling.
    const { requestId, input } = await request({ ...LONG, temperatureShift: 2 }, [a, b]);
    const A = await daemon(a);
    const B = await daemon(b);
    await A.d.tick();
    await B.d.tick();
    const expected = answerRequest(f.model.program, f.terms, requestId, input);
    const req = await f.redundant.getRequest(requestId);
    expect(req.status).to.equal(RequestStatus.Finalized);
    expect(req.resultHash).to.equal(keccak256(expected.output));
    for (const who of [a, b]) {
      const c = await commitOf(requestId, who.address);
      expect(c.args.output).to.equal(hexlify(expected.output));
      expect(c.args.traceRoot).to.equal(expected.traceRoot);
    }
    expect((await f.redundant.getSlots(requestId)).map((s) => Number(s.status))).to.deep.equal([
      SlotStatus.Paid,
      SlotStatus.Paid,
    ]);
    expect(await f.redundant.gameCount()).to.equal(0n);
    await expect(A.d.claimCredits()).to.eventually.equal(FEE);
    await expect(B.d.claimCredits()).to.eventually.equal(FEE);
  });

  it("LM6: an honest daemon against one whose generation changes a byte in the middle: the daemons play the game over the generation, the liar is slashed and jailed, the honest response is final", async () => {
    const [a, b] = f.operators;
    const { requestId, input } = await request(LONG, [a, b]);
    const honest = answerRequest(f.model.program, f.terms, requestId, input);
    expect(honest.generation!.output).to.have.length(8);
    const A = await daemon(a);
    const B = await daemon(b, liar(MIDDLE));
    await A.d.tick();
    await B.d.tick(); // B's differing commit opens the game
    expect((await commitOf(requestId, b.address)).args.outputHash).to.not.equal(keccak256(honest.output));
    const gameId = (await f.redundant.getRequest(requestId)).activeGame;
    expect(gameId).to.equal(1n);
    await playOut([A.d, B.d], gameId);
    // Every move came from the daemons: both revealed their pass roots, the pass of the lie was located (its pass
    // roots agree: same prefix), and the agreed logits were proven to choose the honest byte.
    const revealed = await f.redundant.queryFilter(f.redundant.filters.PassRootsRevealed(gameId));
    expect(revealed.map((e) => e.args.node)).to.deep.equal([a.address, b.address]);
    expect(revealed[0].args.passRoots).to.deep.equal(honest.generation!.passRoots);
    const [located] = await f.redundant.queryFilter(f.redundant.filters.PassLocated(gameId));
    expect(located.args.pass).to.equal(BigInt(MIDDLE));
    const [choice] = await f.redundant.queryFilter(f.redundant.filters.ChoiceProven(gameId));
    expect(choice.args.computed).to.equal(BigInt(honest.generation!.output[MIDDLE]));
    expect((await f.redundant.getGame(gameId)).outcome).to.equal(GameOutcome.BWrong);
    expect([A.d.metrics.gamesWon, A.d.metrics.gamesLost]).to.deep.equal([1, 0]);
    expect([B.d.metrics.gamesWon, B.d.metrics.gamesLost]).to.deep.equal([0, 1]);
    const [elim] = await f.redundant.queryFilter(f.redundant.filters.NodeEliminated(requestId));
    expect(elim.args.node).to.equal(b.address);
    expect(elim.args.slashed).to.be.greaterThan(0n);
    expect(elim.args.reward).to.equal(REWARD);
    expect(Number((await f.nodes.getNode(b.address)).status)).to.equal(NodeStatus.Jailed);
    const req = await f.redundant.getRequest(requestId);
    expect(req.status).to.equal(RequestStatus.Finalized);
    expect(req.resultHash).to.equal(keccak256(honest.output));
    // The honest node: its own fee, the liar's fee and the reward; the liar nothing.
    await expect(A.d.claimCredits()).to.eventually.equal(2n * FEE + REWARD);
    await expect(B.d.claimCredits()).to.eventually.equal(0n);
  });

  it("LM6: a daemon restarted mid-game stands behind the generation it committed (its journal's), not what its provider says now, and wins", async () => {
    const [a, b] = f.operators;
    const { requestId, input } = await request(LONG, [a, b]);
    const honest = answerRequest(f.model.program, f.terms, requestId, input);
    const A = await daemon(a, liar(MIDDLE));
    let B = await daemon(b);
    await A.d.tick();
    await B.d.tick(); // the honest B's commit opens the game
    const gameId = (await f.redundant.getRequest(requestId)).activeGame;
    B.d.close();
    await A.d.tick(); // A reveals its pass roots; B owes the next move
    expect(Number((await f.redundant.getGame(gameId)).phase)).to.equal(GamePhase.AwaitingPassRootsB);
    // A fresh process whose provider would now lie at another pass: B plays from the output its journal says it
    // committed (revealing any other would not match its commitment).
    B = await daemon(b, liar(1));
    await playOut([B.d, A.d], gameId);
    const revealed = await f.redundant.queryFilter(f.redundant.filters.PassRootsRevealed(gameId, b.address));
    expect(revealed[0].args.passRoots).to.deep.equal(honest.generation!.passRoots);
    expect((await f.redundant.getGame(gameId)).outcome).to.equal(GameOutcome.AWrong);
    expect(B.d.metrics.gamesWon).to.equal(1);
    expect((await f.redundant.getRequest(requestId)).resultHash).to.equal(keccak256(honest.output));
    await expect(B.d.claimCredits()).to.eventually.equal(2n * FEE + REWARD);
  });

  it("LM6: a request id held by both managers: after a restart the node defends its InferenceManager generation with that response, not its redundant one's", async () => {
    const [a, b] = f.operators;
    // InferenceManager request 1 and RedundantManager request 1, different prompts, both answered by node A.
    const input = encodeRequest(LONG, f.terms);
    await f.inference.connect(f.requester).request(f.versionId, input, FEE, a.address, MODE.OPTIMISTIC, ZeroAddress, 0);
    const id = await f.inference.requestCount();
    const other = await request({ prompt: new TextEncoder().encode("It was"), maxTokens: 8 }, [a, b]);
    expect(other.requestId).to.equal(id);
    let A = await daemon(a);
    await A.d.tick(); // commits both, the redundant one last
    const honest = answerRequest(f.model.program, f.terms, id, input);
    const [committed] = await f.inference.queryFilter(f.inference.filters.ResultCommitted(id));
    expect(committed.args.output).to.equal(hexlify(honest.output));
    expect((await commitOf(id, a.address)).args.outputHash).to.not.equal(keccak256(honest.output));
    A.d.close();
    // A challenger that believes a state of pass 2 differs disputes the honest commitment (played by hand).
    await f.disputes.connect(f.challenger).openDispute(id, keccak256(honest.output), honest.traceRoot);
    const disputeId = await f.disputes.disputeCount();
    const lie = nodeGenerationView(f.model, f.terms, id, input, { kind: "state", pass: 2, step: 1, byte: 0 });
    const them = new GenerationPlayer("challenger", lie, f.disputes.connect(f.challenger));
    A = await daemon(a); // a fresh process: the answer is rebuilt from the journal
    for (
      let round = 0;
      round < 30 && Number((await f.disputes.getDispute(disputeId)).phase) !== Phase.Resolved;
      round++
    ) {
      await A.d.tick();
      const move = await them.nextMove(disputeId);
      if (move) await (await move.send()).wait();
    }
    expect((await f.disputes.getDispute(disputeId)).outcome).to.equal(Outcome.ChallengerWrong);
    const [revealed] = await f.disputes.queryFilter(f.disputes.filters.PassRootsRevealed(undefined, id));
    expect(revealed.args.passRoots).to.deep.equal(honest.generation!.passRoots);
  });
});
