/**
 * Generation versions as both daemons see them (docs/GENERATION.md): whether a version is one (its terms, read once
 * per version from `ModelRegistry.generationOf`), a request's answer held as a cached `GenerationView` whose passes
 * are re-run only when a game opens one (game/generation.ts), and the challenger's pass-by-pass check of a committed
 * response on the node's own prefix.
 */
import { AbiCoder, keccak256 } from "ethers";

import type { GenerationView } from "../../game/generation";
import {
  decodeResponse,
  EMPTY_GENERATION_ROOT,
  passCount,
  runPass,
  specOfRequest,
  type GenerationTerms,
} from "../../executor/generate";
import type { Program } from "../../executor/runtime/program";
import { termsOfSpec, type RegistryGenerationSpec } from "../../protocol/generation";
import type { ProgramResolver } from "../../protocol/resolver";
import { merkleRoot } from "../../executor/trace/merkle";
import type { WeightsCommitment } from "../../executor/trace/weights";

/** What the daemons read of the ModelRegistry to tell a generation version. */
export interface GenerationSource {
  generationOf(versionId: bigint): Promise<RegistryGenerationSpec>;
}

/** versionId → its generation terms, or null for an ordinary inference version. */
export type TermsReader = (versionId: bigint) => Promise<GenerationTerms | null>;

/** Reads a version's generation terms once per version (a version's terms never change). */
export function termsReader(registry: GenerationSource): TermsReader {
  const cache = new Map<string, Promise<GenerationTerms | null>>();
  return (versionId) => {
    const key = versionId.toString();
    let hit = cache.get(key);
    if (!hit) {
      hit = registry.generationOf(versionId).then(termsOfSpec);
      hit.catch(() => cache.delete(key));
      cache.set(key, hit);
    }
    return hit;
  };
}

/** The trace root a generation view stands behind: the generation root over its pass roots (zero for none). */
export function generationRootOf(view: Pick<GenerationView, "passRoots">): string {
  return merkleRoot([...view.passRoots]);
}

/** What a daemon builds a generation view from: the version's program and terms. */
export interface GenerationVersion {
  readonly program: Program;
  readonly weights: WeightsCommitment;
  readonly terms: GenerationTerms;
}

/**
 * The generation view of request `requestId` of version `versionId`, from `cache` or else built by `build` and
 * cached (until the daemon forgets it) under `key` (default: the request id); null when the version does not
 * generate.
 */
export async function cachedGeneration(
  cache: Map<string, GenerationView>,
  readTerms: TermsReader,
  resolver: ProgramResolver,
  requestId: bigint,
  versionId: bigint,
  build: (version: GenerationVersion) => GenerationView,
  key = requestId.toString(),
): Promise<GenerationView | null> {
  const hit = cache.get(key);
  if (hit) return hit;
  const terms = await readTerms(versionId);
  if (terms === null) return null;
  const { program, weights } = await resolver(versionId);
  const view = build({ program, weights, terms });
  cache.set(key, view);
  return view;
}

/** The outcome of checking a committed generation. */
export interface GenerationCheck {
  /** True when every pass checked chose the committed byte (and, when all were checked, the root matched). */
  readonly ok: boolean;
  /** Why not, for the log. */
  readonly reason?: string;
  /** The passes re-run. */
  readonly passesChecked: number;
  /** Passes in the committed response. */
  readonly passes: number;
}

/**
 * The passes of a `passes`-pass generation of request `requestId` that a check re-runs: all of them when there are
 * at most `maxPasses`, else `maxPasses` of them, the last one (the stop) always among them and the others picked by
 * keccak256(abi.encode(seed, requestId, t)) (the same passes on every run for the same seed), in increasing order.
 */
export function passesToCheck(passes: number, maxPasses: number, seed: string, requestId: bigint): number[] {
  const all = Array.from({ length: passes }, (_, t) => t);
  if (passes <= maxPasses) return all;
  if (maxPasses <= 0) return [];
  const coder = AbiCoder.defaultAbiCoder();
  const rank = (t: number) => BigInt(keccak256(coder.encode(["string", "uint256", "uint256"], [seed, requestId, t])));
  const others = all
    .slice(0, -1)
    .map((t) => ({ t, r: rank(t) }))
    .sort((a, b) => (a.r < b.r ? -1 : a.r > b.r ? 1 : 0))
    .slice(0, maxPasses - 1)
    .map((x) => x.t);
  return [...others, passes - 1].sort((a, b) => a - b);
}

/**
 * Checks the response `output` committed with `traceRoot` for request `requestId` (docs/GENERATION.md §5–§6): it
 * must be canonical and stop as §5 says (an invalid request: empty, with the zero root), and each pass checked must
 * choose the committed byte when run on the node's own prefix (pass t's input depends only on the prompt and the
 * committed bytes before t, so any pass can be checked alone). When every pass is checked, the generation root
 * must match too (the passes then ran on the honest prefix).
 */
export function checkGeneration(
  program: Program,
  terms: GenerationTerms,
  requestId: bigint,
  input: Uint8Array,
  output: Uint8Array,
  traceRoot: string,
  passes: readonly number[] | ((count: number) => number[]),
): GenerationCheck {
  const claimed = passCount(input, output, terms);
  if (!claimed.ok) {
    return {
      ok: false,
      reason: "the response is not canonical or does not stop as the rules say",
      passesChecked: 0,
      passes: claimed.passes,
    };
  }
  const spec = specOfRequest(input, terms, requestId);
  const generated = decodeResponse(output)!;
  if (spec === null) {
    const ok = traceRoot.toLowerCase() === EMPTY_GENERATION_ROOT;
    return { ok, reason: ok ? undefined : "an invalid request's trace root is not zero", passesChecked: 0, passes: 0 };
  }
  const picked = typeof passes === "function" ? passes(generated.length) : passes;
  const roots: string[] = [];
  for (const t of picked) {
    const pass = runPass(program, spec, generated, t);
    if (pass.byte !== generated[t]) {
      return {
        ok: false,
        reason: `pass ${t} chooses byte ${pass.byte}, the node committed ${generated[t]}`,
        passesChecked: roots.length + 1,
        passes: generated.length,
      };
    }
    roots.push(pass.trace.traceRoot);
  }
  if (picked.length === generated.length && merkleRoot(roots).toLowerCase() !== traceRoot.toLowerCase()) {
    return {
      ok: false,
      reason: "every byte is right but the generation root is not",
      passesChecked: roots.length,
      passes: generated.length,
    };
  }
  return { ok: true, passesChecked: picked.length, passes: generated.length };
}
