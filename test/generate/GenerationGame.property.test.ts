/**
 * "The honest party always wins" over generations (docs/GENERATION.md §8): random games on a tiny generation
 * program (test/helpers/tiny-lm.ts), with the liar on either side. A lying node changes a byte of its output (its
 * later passes read the lie), a state of a pass (the pass's attention window lives in its states: passes recompute
 * it, no cache), a pass's trace only, or stops early with the stop byte; a lying challenger stands behind a
 * tampered pass. The lie sits at the first pass, the last or any, and one game in ten the liar also stops playing.
 */
import { expect } from "chai";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { answerRequest, decodeResponse, encodeRequest, type GenerationRequest } from "../../executor/generate";
import { UNDER_COVERAGE } from "../helpers/coverage";
import {
  deployGenerationFixture,
  openGenerationGame,
  Outcome,
  playGenerationGame,
  generationCases,
  placeLie,
  requestOfCase,
  type GenerationCase,
} from "../helpers/generation-game";
import { tinyLanguageModel, TINY_TERMS } from "../helpers/tiny-lm";

/** Random games in `npm test` (GENERATION_GAME_RUNS overrides; `npm run test:long` plays 500). */
const RUNS = Number(process.env.GENERATION_GAME_RUNS ?? (UNDER_COVERAGE ? 10 : 50));

/** The honest generation of `request` as request `requestId` (the fixture's next request id). */
function honestBytes(request: GenerationRequest, requestId: bigint): Uint8Array {
  const { program } = tinyLanguageModel();
  const answer = answerRequest(program, TINY_TERMS, requestId, encodeRequest(request, TINY_TERMS));
  return decodeResponse(answer.output)!;
}

describe("LM5 property: the honest party always wins a generation's dispute (tiny generation program)", function () {
  this.timeout(600_000);

  async function fixture() {
    return deployGenerationFixture(tinyLanguageModel(), TINY_TERMS);
  }

  it(`LM5 wins ${RUNS} random games: a lie in any pass, in the output only, in a pass's states, in its trace only, a wrong stop, a stalling liar`, async function () {
    const f0 = await loadFixture(fixture);
    const kinds = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<"node" | "challenger">("node", "node", "node", "challenger"),
        generationCases(TINY_TERMS, ["byte", "state", "trace", "stop"]),
        async (liar, g: GenerationCase) => {
          const f = await loadFixture(fixture);
          const request = requestOfCase(g);
          const requestId = (await f.inference.requestCount()) + 1n;
          const honest = honestBytes(request, requestId);
          // A lying challenger stands behind a tampered pass (a byte it only claims would be no move at all).
          const kind = liar === "challenger" && (g.kind === "byte" || g.kind === "stop") ? "state" : g.kind;
          const lie = placeLie({ ...g, kind }, honest, tinyLanguageModel(), TINY_TERMS);
          kinds.set(`${liar}:${lie.kind}`, (kinds.get(`${liar}:${lie.kind}`) ?? 0) + 1);
          const game = await openGenerationGame(
            f,
            request,
            liar === "node" ? { nodeLie: lie } : { challengerLie: lie },
          );
          // One game in ten, the liar also stops playing after a few moves.
          const stops = g.stallSeed === 0 ? { side: liar, after: g.byteSeed % 4 } : undefined;
          const { outcome, moves } = await playGenerationGame(f, game, { stops });
          const expected = liar === "node" ? Outcome.NodeWrong : Outcome.ChallengerWrong;
          expect(outcome).to.equal(expected, `${JSON.stringify({ liar, ...g, lie })}\n${moves.join("\n")}`);
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.FC_SEED ?? 1414), endOnFailure: true },
    );
    expect(f0.versionId).to.equal(await f0.models.versionCount());
    // Every kind of lie was played on the node's side.
    for (const k of ["byte", "state", "trace", "stop"]) expect(kinds.get(`node:${k}`) ?? 0, k).to.be.greaterThan(0);
  });
});
