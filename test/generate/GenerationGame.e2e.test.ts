import { expect } from "chai";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { Phase } from "../../game/enums";
import { InferenceRequestStatus as RequestStatus, NodeStatus } from "../../protocol/enums";
import { languageModel } from "../../models/lm";
import type { GenerationTerms } from "../../executor/generate";
import { deployGenerationFixture, openGenerationGame, Outcome, playGenerationGame } from "../helpers/generation-game";

// The demo LM with short generations (8 bytes), so that every game runs in seconds.
const TERMS: GenerationTerms = { contextLength: 64, maxTokens: 8, maxPrompt: 32, padByte: 0, stopByte: 10 };
const PROMPT = new TextEncoder().encode("The jury said that");

describe("Generation disputes end to end: the byte LM, a node and a challenger (docs/GENERATION.md §8)", function () {
  async function fixture() {
    return deployGenerationFixture(languageModel(), TERMS);
  }

  it("LM3, LM5: a byte changed in the middle of the output: the challenger selects that pass and proves the choice; the node is slashed", async function () {
    const f = await loadFixture(fixture);
    const game = await openGenerationGame(f, { prompt: PROMPT, maxTokens: 8 }, { nodeLie: { kind: "byte", pass: 4 } });
    const { outcome, moves } = await playGenerationGame(f, game);
    expect(outcome).to.equal(Outcome.NodeWrong);
    expect(moves).to.deep.equal([
      "node: revealPassRoots(8 passes)",
      "challenger: selectPass(4)",
      "node: revealStateRoots",
      "challenger: proveChoice(pass 4)",
    ]);
    const d = await f.disputes.getDispute(game.disputeId);
    expect(d.pass).to.equal(4n);
    expect(d.phase).to.equal(Phase.Resolved);
    expect(await f.inference.statusOf(game.requestId)).to.equal(RequestStatus.Rejected);
    expect(await f.nodes.statusOf(f.operators[0].address)).to.equal(NodeStatus.Jailed);
    expect(await f.disputes.credits(f.challenger.address)).to.be.greaterThan(0n);
  });

  it("LM3, LM5: a lie inside a pass's states: the game bisects into that pass down to one integer step", async function () {
    const f = await loadFixture(fixture);
    const game = await openGenerationGame(
      f,
      { prompt: PROMPT, maxTokens: 8 },
      { nodeLie: { kind: "state", pass: 3, step: 20, byte: 5 } },
    );
    const { outcome, moves } = await playGenerationGame(f, game);
    expect(outcome).to.equal(Outcome.NodeWrong);
    expect(moves.slice(0, 3)).to.deep.equal([
      "node: revealPassRoots(8 passes)",
      "challenger: selectPass(3)",
      "node: revealStateRoots",
    ]);
    expect(moves[3]).to.equal("challenger: selectStep(19)");
    expect(moves[moves.length - 1]).to.match(/^challenger: proveStep/);
  });

  it("LM3, LM5: an honest node against a lying challenger: the node wins", async function () {
    const f = await loadFixture(fixture);
    const game = await openGenerationGame(
      f,
      { prompt: PROMPT, maxTokens: 8 },
      { challengerLie: { kind: "state", pass: 2, step: 10, byte: 3 } },
    );
    const { outcome } = await playGenerationGame(f, game);
    expect(outcome).to.equal(Outcome.ChallengerWrong);
  });
});
