/**
 * Whole disputes over generations (docs/GENERATION.md §8) on the DisputeManager, for the end-to-end and property
 * tests: a generation version published on the dispute fixture, a request, a node's commitment of its (honest or
 * lying) generation, a challenger's dispute, and both sides played by `GenerationPlayer`s through the shared driver.
 * The lies live here, in the tests, never in the product: a liar is a player holding a tampered view.
 */
import { expect } from "chai";
import fc from "fast-check";
import { ethers } from "hardhat";
import { hexlify, keccak256 } from "ethers";
import { time } from "@nomicfoundation/hardhat-network-helpers";

import { driveGame } from "../../game/driver";
import { generationView, GenerationPlayer, type GenerationView } from "../../game/generation";
import { honestView, type PartyView } from "../../game/view";
import { tamperedView } from "../../tools/doubles/tamper";
import {
  chooseByte,
  encodeRequest,
  encodeResponse,
  passInput,
  recordLengths,
  specOfRequest,
  type GenerationRequest,
  type GenerationTerms,
} from "../../executor/generate";
import type { Program } from "../../executor/runtime/program";
import { WeightsCommitment } from "../../executor/trace/weights";
import { merkleRoot } from "../../executor/trace/merkle";
import { Outcome } from "../../game/enums";
import { deployDisputeFixture, FEE } from "./dispute-fixtures";
import { MODE, versionSpec } from "./fixtures";
import { generationSpecOf } from "../../protocol/generation";

export { Outcome };

/** A generation program with its commitments. */
export interface GenerationModel {
  program: Program;
  weights: WeightsCommitment;
  programDigest: string;
  artifactCid: Uint8Array;
}

/**
 * How a node lies: `byte`, byte `pass` of its output is changed by `delta` (its later passes read the lie);
 * `state`, byte `byte` of state `step` of pass `pass` is changed (and the pass's later states recomputed from it:
 * the pass's logits, hence its byte and everything after, follow the lie); `stop`, the generation ends at `pass`
 * with the stop byte the model did not choose; `trace`, pass `pass`'s trace is tampered but its byte kept.
 */
export type GenerationLie =
  | { kind: "byte"; pass: number; delta?: number }
  | { kind: "state"; pass: number; step: number; byte: number }
  | { kind: "trace"; pass: number; step: number; byte: number }
  | { kind: "stop"; pass: number };

/** The view of a node telling `lie` (or none) about request `requestId`: each pass run on the bytes it claims. */
export function nodeGenerationView(
  model: GenerationModel,
  terms: GenerationTerms,
  requestId: bigint,
  input: Uint8Array,
  lie?: GenerationLie,
): GenerationView {
  const { program, weights } = model;
  const spec = specOfRequest(input, terms, requestId);
  if (spec === null) throw new RangeError("the request record is invalid");
  const L = program.layers.length;
  const bytes: number[] = [];
  const views = new Map<number, PartyView>();
  for (let t = 0; t < spec.maxTokens; t++) {
    const honest = honestView(
      program,
      passInput(spec.prompt, Uint8Array.from(bytes), t, terms.contextLength, terms.padByte),
      weights,
    );
    const tampered = lie && lie.pass === t && (lie.kind === "state" || lie.kind === "trace");
    const view = tampered ? tamperedView(honest, lie.step, lie.byte) : honest;
    views.set(t, view);
    let b = chooseByte(spec.rule, (lie?.kind === "trace" && lie.pass === t ? honest : view).states[L], t);
    if (lie?.kind === "byte" && lie.pass === t) {
      b = (b + (lie.delta ?? 1)) & 0xff;
      if (b === terms.stopByte) b = (b + 1) & 0xff;
    }
    if (lie?.kind === "stop" && lie.pass === t) b = terms.stopByte!;
    bytes.push(b);
    if (b === terms.stopByte) break;
  }
  const output = encodeResponse(Uint8Array.from(bytes), terms.maxTokens);
  return generationView(program, terms, requestId, input, output, weights, views);
}

/** The random shape of a generation game in the property tests (LM5, LM7): the lie and where it sits, the request. */
export interface GenerationCase {
  kind: GenerationLie["kind"];
  where: "first" | "last" | "any";
  passSeed: number;
  stepSeed: number;
  byteSeed: number;
  delta: number;
  prompt: number[];
  maxTokens: number;
  shift: number | null;
  /** 0: the liar also stops playing (one game in ten). */
  stallSeed: number;
}

/** Random `GenerationCase`s over `terms`, the lie drawn from `kinds` (repeat a kind to weigh it). */
export function generationCases(terms: GenerationTerms, kinds: GenerationLie["kind"][]): fc.Arbitrary<GenerationCase> {
  return fc.record({
    kind: fc.constantFrom(...kinds),
    where: fc.constantFrom<"first" | "last" | "any">("first", "last", "any", "any"),
    passSeed: fc.nat(),
    stepSeed: fc.nat(),
    byteSeed: fc.nat(),
    delta: fc.integer({ min: 1, max: 255 }),
    prompt: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: terms.maxPrompt }),
    maxTokens: fc.integer({ min: 1, max: terms.maxTokens }),
    shift: fc.option(fc.integer({ min: 0, max: 7 })),
    stallSeed: fc.nat({ max: 9 }),
  });
}

/** The request a case asks for. */
export function requestOfCase(g: GenerationCase): GenerationRequest {
  return { prompt: Uint8Array.from(g.prompt), maxTokens: g.maxTokens, temperatureShift: g.shift ?? undefined };
}

/**
 * The lie a case describes, placed on a pass of the honest generation `honest` (its bytes) of `model` where it
 * changes something: a wrong stop needs a pass whose honest byte is not the stop byte. With `logitsHalf`, half the
 * state lies hit the logit of the pass's own byte, so that the byte follows the lie (a lie elsewhere mostly leaves
 * the argmax, hence every byte, as it was).
 */
export function placeLie(
  g: GenerationCase,
  honest: Uint8Array,
  model: GenerationModel,
  terms: GenerationTerms,
  opts: { logitsHalf?: boolean } = {},
): GenerationLie {
  const { program } = model;
  const n = honest.length;
  const pass = g.where === "first" ? 0 : g.where === "last" ? n - 1 : g.passSeed % n;
  const L = program.layers.length;
  if (g.kind === "state" && opts.logitsHalf && g.stepSeed % 2 === 0) {
    return { kind: "state", pass, step: L, byte: honest[pass] };
  }
  const step = 1 + (g.stepSeed % L);
  const stateBytes = honestView(program, new Int8Array(terms.contextLength)).states[step].length;
  if (g.kind === "state" || g.kind === "trace") return { kind: g.kind, pass, step, byte: g.byteSeed % stateBytes };
  const stops = (t: number) => honest[t] === terms.stopByte;
  if (g.kind === "stop" && !stops(pass)) return { kind: "stop", pass };
  if (g.kind === "stop" && pass > 0) return { kind: "stop", pass: pass - 1 };
  return { kind: "byte", pass, delta: g.delta };
}

/** The VersionSpec of `model` as a generation version under `terms`: its commitments, the records' shapes. */
export function generationVersionSpec(
  model: GenerationModel,
  terms: GenerationTerms,
  over: { modes?: number; fee?: bigint } = {},
) {
  const lengths = recordLengths(terms);
  return versionSpec({
    artifactCid: hexlify(model.artifactCid),
    programDigest: model.programDigest,
    weightsRoot: model.weights.root,
    layerCount: model.program.layers.length,
    inputShape: [lengths.input],
    outputShape: [lengths.output],
    modes: over.modes ?? MODE.OPTIMISTIC | MODE.NONE | MODE.TEE,
    fee: over.fee ?? FEE,
  });
}

/** The dispute fixture with `model` published as a generation version under `terms`, served by operators 0 and 1. */
export async function deployGenerationFixture(model: GenerationModel, terms: GenerationTerms) {
  const f = await deployDisputeFixture();
  await f.models
    .connect(f.publisher)
    .publishGenerationModel("byte-lm", generationVersionSpec(model, terms), generationSpecOf(terms));
  const versionId = await f.models.versionCount();
  for (const op of f.operators.slice(0, 2)) await f.nodes.connect(op).serveVersions([versionId]);
  return { ...f, model, terms, versionId };
}

export type GenerationFixture = Awaited<ReturnType<typeof deployGenerationFixture>>;

export interface GenerationGame {
  requestId: bigint;
  disputeId: bigint;
  input: Uint8Array;
  nodeView: GenerationView;
  challengerView: GenerationView;
  players: { node: GenerationPlayer; challenger: GenerationPlayer };
  /** Gas of every transaction of the game so far, from the request on. */
  gas: { request: bigint; commit: bigint; open: bigint; moves: bigint };
}

/**
 * Requests `request` from operator 0, commits the node's generation (lying as `nodeLie` says) and opens a dispute
 * by the challenger (telling `challengerLie`, or honest).
 */
export async function openGenerationGame(
  f: GenerationFixture,
  request: GenerationRequest,
  opts: { nodeLie?: GenerationLie; challengerLie?: GenerationLie } = {},
): Promise<GenerationGame> {
  const node = f.operators[0];
  const input = encodeRequest(request, f.terms);
  const requestTx = await (
    await f.inference
      .connect(f.requester)
      .request(f.versionId, input, FEE, node.address, MODE.OPTIMISTIC, ethers.ZeroAddress, 0)
  ).wait();
  const requestId = await f.inference.requestCount();
  const nodeView = nodeGenerationView(f.model, f.terms, requestId, input, opts.nodeLie);
  const challengerView = nodeGenerationView(f.model, f.terms, requestId, input, opts.challengerLie);
  const root = merkleRoot([...nodeView.passRoots]);
  const commitTx = await (await f.inference.connect(node).commit(requestId, nodeView.output, root)).wait();
  const disputeId = (await f.disputes.disputeCount()) + 1n;
  const openTx = await (
    await f.disputes.connect(f.challenger).openDispute(requestId, keccak256(nodeView.output), root)
  ).wait();
  return {
    requestId,
    disputeId,
    input,
    nodeView,
    challengerView,
    players: {
      node: new GenerationPlayer("node", nodeView, f.disputes.connect(node)),
      challenger: new GenerationPlayer("challenger", challengerView, f.disputes.connect(f.challenger)),
    },
    gas: { request: requestTx!.gasUsed, commit: commitTx!.gasUsed, open: openTx!.gasUsed, moves: 0n },
  };
}

/** Plays an open generation game to its end; a side named in `stops` stops after that many moves and times out. */
export async function playGenerationGame(
  f: GenerationFixture,
  game: GenerationGame,
  opts: { stops?: { side: "node" | "challenger"; after: number } } = {},
): Promise<{ outcome: Outcome; moves: string[] }> {
  const result = await driveGame(game.disputeId, game.players, {
    stops: opts.stops,
    onStop: async () => {
      await time.increaseTo((await f.disputes.deadline(game.disputeId)) + 1n);
      return (await (await f.disputes.connect(f.stranger).resolveTimeout(game.disputeId)).wait())!.gasUsed;
    },
  });
  game.gas.moves += result.gas;
  expect(result.resolved).to.equal(true);
  const moves = result.moves.map((m) => (m.name === "resolveTimeout" ? `${m.side} timed out` : `${m.side}: ${m.name}`));
  return { outcome: result.outcome as Outcome, moves };
}
