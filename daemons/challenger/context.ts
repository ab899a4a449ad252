/**
 * The state the challenger daemon's parts share: the kit's (daemons/kit/state.ts: the RPC wrapper, the journal, the
 * metrics), the contracts, and what lives from one tick to the next (the honest views of the requests it disputes,
 * the records it has looked up or warned about). `ChallengerDaemon` (daemon.ts) owns one and hands it to each part:
 * intake.ts, checks.ts, opening.ts and games.ts, which are plain functions of it.
 */
import { getBytes } from "ethers";

import {
  DisputeManager__factory,
  InferenceManager__factory,
  ModelRegistry__factory,
  type DisputeManager,
  type IERC20,
  type InferenceManager,
} from "../../typechain-types";
import { honestGenerationView, type GenerationView } from "../../game/generation";
import { honestView, type PartyView } from "../../game/view";
import { pickedByHash } from "../kit/common";
import { cachedGeneration, termsReader, type TermsReader } from "../kit/generation";
import { serviceState, type ServiceState } from "../kit/state";
import { defaultResolver, type ProgramResolver } from "../../protocol/resolver";
import {
  ChallengerDaemonError,
  newChallengerMetrics,
  type ChallengerDaemonOptions,
  type ChallengerMetrics,
} from "./options";

/** The kit's state (signer, RPC wrapper, log, metrics, hooks, scan settings, account, journal) and the challenger's. */
export interface ChallengerContext extends ServiceState<ChallengerMetrics> {
  readonly opts: ChallengerDaemonOptions;
  readonly inference: InferenceManager;
  readonly disputes: DisputeManager;
  readonly resolver: ProgramResolver;
  /** versionId → its generation terms, or null for an inference version (read once per version). */
  readonly terms: TermsReader;
  /** The most passes re-run per generation checked (the rest sampled out). */
  readonly maxPasses: number;
  /** Fraction of commitments recomputed, and the seed that picks them. */
  readonly sample: number;
  readonly sampleSeed: string;
  /** Honest views of the requests we dispute (recomputed after a restart). */
  readonly views: Map<string, PartyView>;
  /** Honest answers to the generation requests we dispute (recomputed after a restart). */
  readonly generations: Map<string, GenerationView>;
  /** Keys whose skip reason was logged already (a waiting record logs once, not every tick). */
  readonly warned: Set<string>;
  /** "open" keys already looked up on-chain by this process (a restart looks again). */
  readonly reconciled: Set<string>;
  /** The token bonds are paid in (read once). */
  token: IERC20 | null;
  /** Bonds of disputes sent and not mined yet: the balance and allowance must cover them too. */
  bondsInFlight: bigint;
  /** Serialises the bond checks (and approvals) of disputes opened at the same time. */
  bondQueue: Promise<unknown>;
}

/** The context of a challenger daemon with options `opts`, before `start()`. */
export function challengerContext(opts: ChallengerDaemonOptions): ChallengerContext {
  const { signer, addresses } = opts;
  const sample = opts.sample ?? 1;
  if (!(sample >= 0 && sample <= 1)) {
    throw new ChallengerDaemonError(`sample fraction ${opts.sample} is not in [0, 1]`);
  }
  const maxPasses = opts.maxPasses ?? 64;
  if (!(Number.isInteger(maxPasses) && maxPasses >= 1)) {
    throw new ChallengerDaemonError(`maxPasses ${opts.maxPasses} is not a positive integer`);
  }
  const models = ModelRegistry__factory.connect(addresses.modelRegistry, signer);
  return {
    ...serviceState(opts, newChallengerMetrics()),
    opts,
    inference: InferenceManager__factory.connect(addresses.inferenceManager, signer),
    disputes: DisputeManager__factory.connect(addresses.disputeManager, signer),
    resolver: opts.resolver ?? defaultResolver({ getVersion: (id) => models.getVersion(id) }),
    terms: termsReader({ generationOf: (id) => models.generationOf(id) }),
    maxPasses,
    sample,
    sampleSeed: opts.sampleSeed ?? "verity",
    views: new Map<string, PartyView>(),
    generations: new Map<string, GenerationView>(),
    warned: new Set<string>(),
    reconciled: new Set<string>(),
    token: null,
    bondsInFlight: 0n,
    bondQueue: Promise.resolve(),
  };
}

/** Logs `msg` once per key and process (for records that wait, tick after tick). */
export function logOnce(
  ctx: ChallengerContext,
  key: string,
  level: "info" | "warn",
  msg: string,
  fields: Record<string, unknown>,
): void {
  if (ctx.warned.has(`${key}:${msg}`)) return;
  ctx.warned.add(`${key}:${msg}`);
  ctx.log[level](msg, fields);
}

/** The latest block's timestamp. */
export async function chainNow(ctx: ChallengerContext): Promise<bigint> {
  const provider = ctx.signer.provider!;
  const block = await ctx.rpc.call("getBlock", () => provider.getBlock("latest"));
  return BigInt(block!.timestamp);
}

/** Whether the sample includes `requestId` (the same answer on every run for the same seed). */
export function sampled(ctx: ChallengerContext, requestId: bigint): boolean {
  return pickedByHash(ctx.sampleSeed, requestId, ctx.sample);
}

/** The honest view of request `requestId` (cached while it may be needed for a game). */
export async function viewOf(
  ctx: ChallengerContext,
  requestId: bigint,
  versionId: bigint,
  input: string,
): Promise<PartyView> {
  const key = requestId.toString();
  const hit = ctx.views.get(key);
  if (hit) return hit;
  const { program, weights } = await ctx.resolver(versionId);
  const s0 = new Int8Array(getBytes(input).slice().buffer);
  const view = honestView(program, s0, weights);
  ctx.views.set(key, view);
  return view;
}

/**
 * The honest answer to generation request `requestId` (cached while it may be needed for a game), or null when the
 * version is not a generation version.
 */
export function generationViewOf(
  ctx: ChallengerContext,
  requestId: bigint,
  versionId: bigint,
  input: string,
): Promise<GenerationView | null> {
  return cachedGeneration(
    ctx.generations,
    ctx.terms,
    ctx.resolver,
    requestId,
    versionId,
    ({ program, weights, terms }) => honestGenerationView(program, terms, requestId, getBytes(input), weights),
  );
}

export function forgetView(ctx: ChallengerContext, requestId: bigint): void {
  ctx.views.delete(requestId.toString());
  ctx.generations.delete(requestId.toString());
}
