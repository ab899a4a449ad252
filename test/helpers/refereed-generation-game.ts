/**
 * Refereed games over generations (docs/GENERATION.md §9) on the RedundantManager, for the contract, end-to-end and
 * property tests: a generation version published on the redundant fixture, a k = 2 request, both nodes' commitments
 * of their (honest or lying) generations, and both nodes played by `RefereedGenerationPlayer`s through the shared
 * driver. The lies are generation-game.ts's (`GenerationLie`): a liar is a player holding a tampered view.
 */
import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";

import { driveGame, type PlayedMove } from "../../game/driver";
import type { Side } from "../../game/boards/redundant";
import type { GenerationView } from "../../game/generation";
import { generationCommitArgs, RefereedGenerationPlayer } from "../../game/refereed-generation";
import { encodeRequest, type GenerationRequest, type GenerationTerms } from "../../executor/generate";
import { merkleRoot } from "../../executor/trace/merkle";
import { generationSpecOf } from "../../protocol/generation";
import { deployRedundantFixture, FEE, GameOutcome } from "../redundant/redundant-fixtures";
import { generationVersionSpec, nodeGenerationView, type GenerationLie, type GenerationModel } from "./generation-game";

export { GameOutcome };

/** The redundant fixture with `model` published as a generation version under `terms`, served by operators 0..3. */
export async function deployRefereedGenerationFixture(model: GenerationModel, terms: GenerationTerms) {
  const f = await deployRedundantFixture();
  await f.models
    .connect(f.publisher)
    .publishGenerationModel("byte-lm", generationVersionSpec(model, terms), generationSpecOf(terms));
  const versionId = await f.models.versionCount();
  for (const op of f.operators.slice(0, 4)) await f.nodes.connect(op).serveVersions([versionId]);
  return { ...f, model, terms, versionId };
}

export type RefereedGenerationFixture = Awaited<ReturnType<typeof deployRefereedGenerationFixture>>;

export interface RefereedGenerationGame {
  requestId: bigint;
  /** The game opened by B's commitment (0 when the two generations agree). */
  gameId: bigint;
  input: Uint8Array;
  views: Record<Side, GenerationView>;
  nodes: Record<Side, HardhatEthersSigner>;
  players: Record<Side, RefereedGenerationPlayer>;
  gas: { request: bigint; commitA: bigint; commitB: bigint; moves: bigint };
}

/** `node` commits its generation `view` of redundant request `requestId`: its response and generation root. */
export function commitGeneration(
  f: RefereedGenerationFixture,
  node: HardhatEthersSigner,
  requestId: bigint,
  view: GenerationView,
) {
  const a = generationCommitArgs(view, merkleRoot([...view.passRoots]));
  return f.redundant.connect(node).commit(requestId, a.output, a.traceRoot, a.inputProof, a.outputProof);
}

/**
 * Requests `request` (or the request record given) from operators 0 (A) and 1 (B), who commit their generations (lying as `lieA` and `lieB` say,
 * else honest) in that order; B's commitment opens the game when they differ.
 */
export async function openRefereedGeneration(
  f: RefereedGenerationFixture,
  request: GenerationRequest | Uint8Array,
  opts: {
    lieA?: GenerationLie;
    lieB?: GenerationLie;
    /** A node's view built some other way (it overrides the node's lie). */
    views?: Partial<Record<Side, (requestId: bigint, input: Uint8Array) => GenerationView>>;
  } = {},
): Promise<RefereedGenerationGame> {
  const nodes = { A: f.operators[0], B: f.operators[1] };
  const input = request instanceof Uint8Array ? request : encodeRequest(request, f.terms);
  const requestTx = await (
    await f.redundant.connect(f.requester).request(f.versionId, input, FEE, [nodes.A.address, nodes.B.address])
  ).wait();
  const requestId = await f.redundant.requestCount();
  const views = {
    A: opts.views?.A?.(requestId, input) ?? nodeGenerationView(f.model, f.terms, requestId, input, opts.lieA),
    B: opts.views?.B?.(requestId, input) ?? nodeGenerationView(f.model, f.terms, requestId, input, opts.lieB),
  };
  const commitA = (await (await commitGeneration(f, nodes.A, requestId, views.A)).wait())!.gasUsed;
  const commitB = (await (await commitGeneration(f, nodes.B, requestId, views.B)).wait())!.gasUsed;
  return {
    requestId,
    gameId: (await f.redundant.getRequest(requestId)).activeGame,
    input,
    views,
    nodes,
    players: {
      A: new RefereedGenerationPlayer("A", views.A, f.redundant.connect(nodes.A)),
      B: new RefereedGenerationPlayer("B", views.B, f.redundant.connect(nodes.B)),
    },
    gas: { request: requestTx!.gasUsed, commitA, commitB, moves: 0n },
  };
}

/** Plays an open refereed generation game to its end; a side named in `stops` stops after that many moves. */
export async function playRefereedGeneration(
  f: RefereedGenerationFixture,
  game: RefereedGenerationGame,
  opts: { stops?: { side: Side; after: number } } = {},
): Promise<{ outcome: GameOutcome; moves: PlayedMove<Side>[] }> {
  const result = await driveGame(game.gameId, game.players, {
    stops: opts.stops,
    onStop: async () => {
      await time.increaseTo((await f.redundant.deadline(game.gameId)) + 1n);
      return (await (await f.redundant.connect(f.stranger).resolveTimeout(game.gameId)).wait())!.gasUsed;
    },
  });
  game.gas.moves += result.gas;
  expect(result.resolved).to.equal(true);
  return { outcome: result.outcome as GameOutcome, moves: result.moves };
}
