/**
 * "The honest node always wins" over generations in redundant requests (docs/GENERATION.md §9): random k = 2
 * requests on a tiny generation program (test/helpers/tiny-lm.ts), one node honest and the other lying, on either
 * side of the refereed game (A commits first). The liar changes a byte of its output (its later passes read the lie),
 * a state of a pass (its bytes follow the tampered logits), a pass's trace only, or stops early with the stop byte;
 * the lie sits at the first pass, the last or any, and one game in ten the liar also stops playing. Whatever the lie,
 * the request settles Finalized with the honest response: through a game the liar loses, or, when the lie left every
 * byte as it was, at once by agreement on the (honest) output.
 */
import { expect } from "chai";
import fc from "fast-check";
import { keccak256 } from "ethers";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";

import { answerRequest, decodeResponse, encodeRequest } from "../../executor/generate";
import type { Side } from "../../game/boards/redundant";
import { UNDER_COVERAGE } from "../helpers/coverage";
import { generationCases, placeLie, requestOfCase, type GenerationCase } from "../helpers/generation-game";
import {
  deployRefereedGenerationFixture,
  GameOutcome,
  openRefereedGeneration,
  playRefereedGeneration,
} from "../helpers/refereed-generation-game";
import { tinyLanguageModel, TINY_TERMS } from "../helpers/tiny-lm";
import { RequestStatus, SlotStatus } from "./redundant-fixtures";

/** Random games in `npm test` (REFEREED_GENERATION_RUNS overrides; `npm run test:long` plays 500). */
const RUNS = Number(process.env.REFEREED_GENERATION_RUNS ?? (UNDER_COVERAGE ? 12 : 60));

describe("LM7 property: the honest node always wins a refereed game over a generation (tiny generation program)", function () {
  this.timeout(600_000);

  const fixture = () => deployRefereedGenerationFixture(tinyLanguageModel(), TINY_TERMS);

  it(`LM7 settles ${RUNS} random redundant generations with the honest response: a lie in any pass, in the output only, in a pass's states, in its trace only, a wrong stop, a stalling liar, on either side`, async function () {
    const seen = new Map<string, number>();
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<Side>("A", "B"),
        generationCases(TINY_TERMS, ["byte", "state", "state", "trace", "stop"]),
        async (liar, g: GenerationCase) => {
          const f = await loadFixture(fixture);
          const request = requestOfCase(g);
          const requestId = (await f.redundant.requestCount()) + 1n;
          const { program } = tinyLanguageModel();
          const honest = answerRequest(program, TINY_TERMS, requestId, encodeRequest(request, TINY_TERMS)).output;
          const lie = placeLie(g, decodeResponse(honest)!, tinyLanguageModel(), TINY_TERMS, { logitsHalf: true });
          const game = await openRefereedGeneration(f, request, liar === "A" ? { lieA: lie } : { lieB: lie });
          expect(game.requestId).to.equal(requestId);
          const lied = keccak256(game.views[liar].output) !== keccak256(honest);
          const path = `${liar}:${lie.kind}:${lied ? "game" : "agreed"}`;
          seen.set(path, (seen.get(path) ?? 0) + 1);
          const trace: string[] = [];
          if (lied) {
            expect(game.gameId, "a different response opens a game").to.not.equal(0n);
            // One game in ten, the liar also stops playing after a few moves.
            const stops = g.stallSeed === 0 ? { side: liar, after: g.byteSeed % 3 } : undefined;
            const { outcome, moves } = await playRefereedGeneration(f, game, { stops });
            trace.push(...moves.map((m) => `${m.side}: ${m.name}`));
            const level = moves.some((m) => m.name.startsWith("proveChoice")) ? "choice" : "bisection";
            seen.set(level, (seen.get(level) ?? 0) + 1);
            const expected = liar === "A" ? GameOutcome.AWrong : GameOutcome.BWrong;
            expect(outcome).to.equal(expected, `${JSON.stringify({ liar, ...g, lie })}\n${trace.join("\n")}`);
          } else {
            expect(game.gameId, "the same response: no game").to.equal(0n);
          }
          const r = await f.redundant.getRequest(requestId);
          expect(r.status).to.equal(RequestStatus.Finalized, trace.join("\n"));
          expect(r.resultHash).to.equal(keccak256(honest));
          const slots = await f.redundant.getSlots(requestId);
          const honestSide = liar === "A" ? 1 : 0;
          expect(slots[honestSide].status).to.equal(SlotStatus.Paid);
          expect(slots[1 - honestSide].status).to.equal(lied ? SlotStatus.Eliminated : SlotStatus.Paid);
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.FC_SEED ?? 1515), endOnFailure: true },
    );
    // Both sides lied through a game, with lies in the bytes, the states and the stop.
    for (const side of ["A", "B"]) {
      const games = [...seen].filter(([k]) => k.startsWith(`${side}:`) && k.endsWith(":game"));
      expect(games.length, `${side}: ${[...seen.keys()].join(", ")}`).to.be.greaterThan(0);
    }
    // Games ended both ways: by the choice from agreed logits, and by a bisection inside the located pass.
    for (const level of ["choice", "bisection"]) expect(seen.get(level) ?? 0, level).to.be.greaterThan(0);
    for (const kind of ["byte", "state", "stop"]) {
      const n = [...seen].filter(([k]) => k.includes(`:${kind}:game`)).reduce((a, [, v]) => a + v, 0);
      expect(n, `${kind}: ${[...seen.keys()].join(", ")}`).to.be.greaterThan(0);
    }
  });
});
