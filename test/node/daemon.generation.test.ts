import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { getBytes, hexlify, keccak256 } from "ethers";

import type { GenerationProvider } from "../../daemons/node/daemon";
import { checkGeneration, passesToCheck } from "../../daemons/kit/generation";
import { Outcome, Phase } from "../../game/enums";
import { GenerationPlayer } from "../../game/generation";
import { answerRequest, encodeRequest, encodeResponse, type GenerationTerms } from "../../executor/generate";
import { languageModel } from "../../models/lm";
import { FEE } from "../helpers/dispute-fixtures";
import { MODE } from "../helpers/fixtures";
import { STATUS } from "../helpers/inference-fixtures";
import { deployGenerationFixture, nodeGenerationView, type GenerationFixture } from "../helpers/generation-game";
import { suiteDaemons } from "../helpers/node-daemon";
import type { VerifiedSettler } from "../../modes/verified";

// The demo LM with short generations (8 bytes), so that every test runs in seconds.
const TERMS: GenerationTerms = { contextLength: 64, maxTokens: 8, maxPrompt: 32, padByte: 0, stopByte: 10 };
const PROMPT = new TextEncoder().encode("The jury said that");
const WINDOW = 3601;

describe("Daemons serving and checking generations (docs/GENERATION.md)", function () {
  this.timeout(60_000);
  let f: GenerationFixture;

  async function fixture() {
    return deployGenerationFixture(languageModel(), TERMS);
  }
  beforeEach(async () => {
    f = await loadFixture(fixture);
  });

  const nodeSigner = () => f.operators[0];
  const daemons = suiteDaemons("verity-generation-", () => f);
  const { node, challenger } = daemons;
  /** Requests a generation of `prompt` from operator 0; returns its id and request record. */
  async function requestGeneration(prompt = PROMPT, maxTokens = 8) {
    const input = encodeRequest({ prompt, maxTokens }, f.terms);
    await f.inference
      .connect(f.requester)
      .request(f.versionId, input, FEE, nodeSigner().address, MODE.OPTIMISTIC, ethers.ZeroAddress, 0);
    return { id: await f.inference.requestCount(), input };
  }
  /** Ticks `daemons` in turn until dispute `disputeId` is resolved (at most 20 rounds). */
  async function tickUntilResolved(disputeId: bigint, ...daemons: { tick(): Promise<unknown> }[]): Promise<void> {
    for (
      let round = 0;
      round < 20 && Number((await f.disputes.getDispute(disputeId)).phase) !== Phase.Resolved;
      round++
    ) {
      for (const d of daemons) await d.tick();
    }
  }
  /** A node that changes byte `pass` of every answer (the lie of test/helpers/generation-game.ts). */
  const liar =
    (pass: number): GenerationProvider =>
    ({ requestId, input }) =>
      nodeGenerationView(f.model, f.terms, requestId, input, { kind: "byte", pass });

  it("LM6: the node serves a generation request: commits the response record and the generation root, finalizes after the window; the challenger re-runs every pass and agrees", async () => {
    const { id, input } = await requestGeneration();
    const n = await node();
    await n.tick();
    const expected = answerRequest(f.model.program, TERMS, id, input);
    const [ev] = await f.inference.queryFilter(f.inference.filters.ResultCommitted(id));
    expect(ev.args.output).to.equal(hexlify(expected.output));
    expect(ev.args.traceRoot).to.equal(expected.traceRoot);
    expect(n.metrics.committed).to.equal(1);

    const { c } = await challenger();
    await c.tick();
    const passes = expected.generation!.output.length;
    expect(c.metrics).to.include({ checked: 1, mismatches: 0, disputesOpened: 0, passesChecked: passes });

    await time.increase(WINDOW);
    await n.tick();
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
    expect(n.metrics.finalized).to.equal(1);
  });

  it("LM6: the node settles a TEE-mode generation through its mode's settler: the response record and the generation root, final at once", async () => {
    const passThrough = await ethers.deployContract("PassThroughSettler", [await f.inference.getAddress()]);
    await f.inference.connect(f.governor).setModeSettler(MODE.TEE, await passThrough.getAddress());
    const input = encodeRequest({ prompt: PROMPT, maxTokens: 8 }, f.terms);
    await f.inference
      .connect(f.requester)
      .request(f.versionId, input, FEE, nodeSigner().address, MODE.TEE, ethers.ZeroAddress, 0);
    const id = await f.inference.requestCount();
    const settled: { output: string; traceRoot: string }[] = [];
    const tee: VerifiedSettler = {
      mode: MODE.TEE,
      name: "tee",
      settle: (r, overrides) => {
        settled.push({ output: hexlify(r.output), traceRoot: r.traceRoot });
        return passThrough.connect(nodeSigner()).settle(r.requestId, r.output, r.traceRoot, overrides);
      },
    };
    const n = await node({ verifiedSettlers: new Map([[MODE.TEE, tee]]) });
    await n.tick();
    const expected = answerRequest(f.model.program, TERMS, id, input);
    expect(settled).to.deep.equal([{ output: hexlify(expected.output), traceRoot: expected.traceRoot }]);
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Finalized);
    expect(n.metrics.finalized).to.equal(1);
    await n.tick(); // nothing left: no second settlement
    expect(settled).to.have.length(1);
  });

  it("LM6: the node commits generations in a batch under load; the challenger generates each leaf in full and agrees", async () => {
    const a = await requestGeneration(new TextEncoder().encode("It was"), 4);
    const b = await requestGeneration(new TextEncoder().encode("She said"), 4);
    const n = await node({ batchThreshold: 1 });
    await n.tick();
    expect(n.metrics).to.include({ batches: 1, batchedRequests: 2 });
    const { c } = await challenger();
    await c.tick();
    expect(c.metrics).to.include({ checked: 2, mismatches: 0 });
    for (const r of [a, b]) expect(await f.inference.statusOf(r.id)).to.equal(STATUS.Batched);
  });

  it("LM6: a lie in a batch leaf: the challenger generates the leaf in full, proves the leaf and disputes it; the node loses", async () => {
    const a = await requestGeneration(new TextEncoder().encode("It was"), 4);
    await requestGeneration(new TextEncoder().encode("She said"), 4);
    const n = await node({
      batchThreshold: 1,
      generationProvider: (r) =>
        nodeGenerationView(
          f.model,
          f.terms,
          r.requestId,
          r.input,
          r.requestId === a.id ? { kind: "byte", pass: 1 } : undefined,
        ),
    });
    await n.tick();
    expect(n.metrics.batches).to.equal(1);
    const { c } = await challenger();
    await c.tick();
    expect(c.metrics).to.include({ checked: 2, mismatches: 1, leavesProven: 1, disputesOpened: 1 });
    const [opened] = await f.disputes.queryFilter(f.disputes.filters.DisputeOpened());
    expect(opened.args.requestId).to.equal(a.id);
    await tickUntilResolved(opened.args.disputeId, n, c);
    expect((await f.disputes.getDispute(opened.args.disputeId)).outcome).to.equal(Outcome.NodeWrong);
  });

  it("LM6: the challenger catches a node that changed one byte in the middle: disputes it, the game selects that pass, the node is slashed", async () => {
    const { id } = await requestGeneration();
    const n = await node({ generationProvider: liar(3) });
    await n.tick();
    const { c, log } = await challenger();
    await c.tick();
    expect(c.metrics).to.include({ checked: 1, mismatches: 1, disputesOpened: 1 });
    // The check stopped at the first wrong pass (pass 3), run on the node's own prefix.
    expect(c.metrics.passesChecked).to.equal(4);
    const mismatch = log.lines.find((l) => String(l.msg).startsWith("MISMATCH"))!;
    expect(JSON.stringify(mismatch)).to.match(/pass 3 chooses byte/);
    const [opened] = await f.disputes.queryFilter(f.disputes.filters.DisputeOpened());
    const disputeId = opened.args.disputeId;
    await tickUntilResolved(disputeId, n, c);
    await c.tick();
    await n.tick();
    const d = await f.disputes.getDispute(disputeId);
    expect(d.outcome).to.equal(Outcome.NodeWrong);
    expect(d.pass).to.equal(3n);
    expect(await f.inference.statusOf(id)).to.equal(STATUS.Rejected);
    expect(c.metrics.won).to.equal(1);
    expect(n.metrics.disputesLost).to.equal(1);
    const [slash] = await f.staking.queryFilter(f.staking.filters.StakeSlashed(nodeSigner().address));
    expect(slash.args.amount).to.be.greaterThan(0n);
  });

  it("LM6: a node that stops early with the stop byte the model did not choose is caught at that pass and slashed", async () => {
    const { id } = await requestGeneration();
    const n = await node({
      generationProvider: ({ requestId, input }) =>
        nodeGenerationView(f.model, f.terms, requestId, input, { kind: "stop", pass: 2 }),
    });
    await n.tick();
    const [committed] = await f.inference.queryFilter(f.inference.filters.ResultCommitted(id));
    expect(getBytes(committed.args.output)[0]).to.equal(3); // three bytes, the last one the stop byte
    const { c } = await challenger();
    await c.tick();
    expect(c.metrics).to.include({ mismatches: 1, disputesOpened: 1 });
    const [opened] = await f.disputes.queryFilter(f.disputes.filters.DisputeOpened());
    await tickUntilResolved(opened.args.disputeId, n, c);
    const d = await f.disputes.getDispute(opened.args.disputeId);
    expect(d.outcome).to.equal(Outcome.NodeWrong);
    expect(d.pass).to.equal(2n);
  });

  it("LM6: with maxPasses below the generation's length the challenger re-runs only that many passes", async () => {
    const { id, input } = await requestGeneration();
    const n = await node();
    await n.tick();
    const { c } = await challenger({ maxPasses: 3 });
    await c.tick();
    expect(c.metrics).to.include({ checked: 1, mismatches: 0, passesChecked: 3 });
    const passes = answerRequest(f.model.program, TERMS, id, input).generation!.output.length;
    expect(passes).to.be.greaterThan(3);
  });

  it("LM6: a node restarted mid-dispute defends the response it committed (rebuilt from the request and its journal), and wins against a lying challenger", async () => {
    const { id, input } = await requestGeneration();
    const n = await node();
    await n.tick();
    n.close();
    const honest = answerRequest(f.model.program, TERMS, id, input);
    // A challenger that believes a state of pass 2 differs disputes the honest commitment (played by hand: the
    // daemon never would).
    await f.disputes.connect(f.challenger).openDispute(id, keccak256(honest.output), honest.traceRoot);
    const disputeId = await f.disputes.disputeCount();
    const lie = nodeGenerationView(f.model, TERMS, id, input, { kind: "state", pass: 2, step: 10, byte: 3 });
    const them = new GenerationPlayer("challenger", lie, f.disputes.connect(f.challenger));
    // After the restart its provider would answer otherwise: the journaled response wins.
    const restarted = await node({ generationProvider: liar(1) });
    for (
      let round = 0;
      round < 40 && Number((await f.disputes.getDispute(disputeId)).phase) !== Phase.Resolved;
      round++
    ) {
      await restarted.tick();
      const move = await them.nextMove(disputeId);
      if (move) await (await move.send()).wait();
    }
    await restarted.tick();
    expect((await f.disputes.getDispute(disputeId)).outcome).to.equal(Outcome.ChallengerWrong);
    expect(restarted.metrics.disputesWon).to.equal(1);
    const [revealed] = await f.disputes.queryFilter(f.disputes.filters.PassRootsRevealed(undefined, id));
    expect(revealed.args.passRoots).to.deep.equal(honest.generation!.passRoots);
  });

  it("LM6: checkGeneration: a non-canonical response, a wrong stop and a wrong root are mismatches; a sample checks maxPasses passes, the last among them", () => {
    const { program } = f.model;
    const id = 7n;
    const input = encodeRequest({ prompt: PROMPT, maxTokens: 8 }, TERMS);
    const honest = answerRequest(program, TERMS, id, input);
    const all = (n: number) => passesToCheck(n, 64, "seed", id);
    expect(checkGeneration(program, TERMS, id, input, honest.output, honest.traceRoot, all).ok).to.equal(true);
    const wrongRoot = checkGeneration(program, TERMS, id, input, honest.output, `0x${"11".repeat(32)}`, all);
    expect(wrongRoot).to.deep.include({ ok: false, reason: "every byte is right but the generation root is not" });
    const short = encodeResponse(honest.generation!.output.slice(0, 2), TERMS.maxTokens);
    expect(checkGeneration(program, TERMS, id, input, short, honest.traceRoot, all).ok).to.equal(false);
    const padded = Uint8Array.from(honest.output);
    padded[padded.length - 1] = 1; // a byte after the generated ones: not canonical
    if (honest.generation!.output.length < TERMS.maxTokens) {
      expect(checkGeneration(program, TERMS, id, input, padded, honest.traceRoot, all).ok).to.equal(false);
    }
    const picked = passesToCheck(64, 5, "seed", id);
    expect(picked).to.have.length(5);
    expect(picked[4]).to.equal(63);
    expect(passesToCheck(64, 5, "seed", id)).to.deep.equal(picked);
    expect(passesToCheck(6, 8, "seed", id)).to.deep.equal([0, 1, 2, 3, 4, 5]);
    const sampled = checkGeneration(program, TERMS, id, input, honest.output, `0x${"11".repeat(32)}`, (n) =>
      passesToCheck(n, 2, "seed", id),
    );
    // A sample cannot check the root, only the bytes of its passes.
    expect(sampled).to.deep.include({ ok: true, passesChecked: 2 });
  });
});
