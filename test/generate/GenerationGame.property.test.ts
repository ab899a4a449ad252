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
import { honestView } from "../../game/view";
import { UNDER_COVERAGE } from "../helpers/coverage";
import {
  deployGenerationFixture,
  openGenerationGame,
  Outcome,
  playGenerationGame,
  type GenerationLie,
} from "../helpers/generation-game";
import { tinyLanguageModel, TINY_TERMS } from "../helpers/tiny-lm";

/** Random games in `npm test` (GENERATION_GAME_RUNS overrides; `npm run test:long` plays 500). */
const RUNS = Number(process.env.GENERATION_GAME_RUNS ?? (UNDER_COVERAGE ? 10 : 50));

type LieKind = GenerationLie["kind"];

interface GameCase {
  liar: "node" | "challenger";
  kind: LieKind;
  where: "first" | "last" | "any";
  passSeed: number;
  stepSeed: number;
  byteSeed: number;
  delta: number;
  prompt: number[];
  maxTokens: number;
  shift: number | null;
  stallSeed: number;
}

/** The honest generation of `request` as request `requestId` (the fixture's next request id). */
function honestBytes(request: GenerationRequest, requestId: bigint): Uint8Array {
  const { program } = tinyLanguageModel();
  const answer = answerRequest(program, TINY_TERMS, requestId, encodeRequest(request, TINY_TERMS));
  return decodeResponse(answer.output)!;
}

/** The lie `g` describes, placed on a pass of the honest generation `honest` where it changes something. */
function lieOf(g: GameCase, honest: Uint8Array): GenerationLie {
  const { program } = tinyLanguageModel();
  const n = honest.length;
  const pass = g.where === "first" ? 0 : g.where === "last" ? n - 1 : g.passSeed % n;
  const L = program.layers.length;
  const step = 1 + (g.stepSeed % L);
  const stateBytes = honestView(program, new Int8Array(TINY_TERMS.contextLength)).states[step].length;
  if (g.kind === "state" || g.kind === "trace") return { kind: g.kind, pass, step, byte: g.byteSeed % stateBytes };
  // A wrong stop needs a pass whose honest byte is not the stop byte: every pass but a last one that stopped.
  const stops = (t: number) => honest[t] === TINY_TERMS.stopByte;
  if (g.kind === "stop" && !stops(pass)) return { kind: "stop", pass };
  if (g.kind === "stop" && pass > 0) return { kind: "stop", pass: pass - 1 };
  return { kind: "byte", pass, delta: g.delta };
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
        fc.record({
          liar: fc.constantFrom<"node" | "challenger">("node", "node", "node", "challenger"),
          kind: fc.constantFrom<LieKind>("byte", "state", "trace", "stop"),
          where: fc.constantFrom<"first" | "last" | "any">("first", "last", "any", "any"),
          passSeed: fc.nat(),
          stepSeed: fc.nat(),
          byteSeed: fc.nat(),
          delta: fc.integer({ min: 1, max: 255 }),
          prompt: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: TINY_TERMS.maxPrompt }),
          maxTokens: fc.integer({ min: 1, max: TINY_TERMS.maxTokens }),
          shift: fc.option(fc.integer({ min: 0, max: 7 })),
          stallSeed: fc.nat({ max: 9 }),
        }),
        async (g: GameCase) => {
          const f = await loadFixture(fixture);
          const request: GenerationRequest = {
            prompt: Uint8Array.from(g.prompt),
            maxTokens: g.maxTokens,
            temperatureShift: g.shift ?? undefined,
          };
          const requestId = (await f.inference.requestCount()) + 1n;
          const honest = honestBytes(request, requestId);
          // A lying challenger stands behind a tampered pass (a byte it only claims would be no move at all).
          const kind = g.liar === "challenger" && (g.kind === "byte" || g.kind === "stop") ? "state" : g.kind;
          const lie = lieOf({ ...g, kind }, honest);
          kinds.set(`${g.liar}:${lie.kind}`, (kinds.get(`${g.liar}:${lie.kind}`) ?? 0) + 1);
          const game = await openGenerationGame(
            f,
            request,
            g.liar === "node" ? { nodeLie: lie } : { challengerLie: lie },
          );
          // One game in ten, the liar also stops playing after a few moves.
          const stops = g.stallSeed === 0 ? { side: g.liar, after: g.byteSeed % 4 } : undefined;
          const { outcome, moves } = await playGenerationGame(f, game, { stops });
          const expected = g.liar === "node" ? Outcome.NodeWrong : Outcome.ChallengerWrong;
          expect(outcome).to.equal(expected, `${JSON.stringify({ ...g, lie })}\n${moves.join("\n")}`);
        },
      ),
      { numRuns: RUNS, seed: Number(process.env.FC_SEED ?? 1414), endOnFailure: true },
    );
    expect(f0.versionId).to.equal(await f0.models.versionCount());
    // Every kind of lie was played on the node's side.
    for (const k of ["byte", "state", "trace", "stop"]) expect(kinds.get(`node:${k}`) ?? 0, k).to.be.greaterThan(0);
  });
});
