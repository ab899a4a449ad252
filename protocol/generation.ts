/**
 * A generation version's terms as the ModelRegistry records them (`IModelRegistry.GenerationSpec`) and as the
 * executor reads them (`GenerationTerms`, executor/generate/records.ts): the one translation between the two, used
 * by whoever publishes a generation version or reads one back (the CLI, the daemons, the demo, the tests).
 */
import type { GenerationTerms } from "../executor/generate";

/** The registry's record of a version's generation terms (contextLength 0: the version does not generate). */
export interface RegistryGenerationSpec<N extends bigint | number = bigint> {
  contextLength: N;
  maxTokens: N;
  maxPrompt: N;
  padByte: N;
  hasStop: boolean;
  stopByte: N;
}

/** The `GenerationSpec` to publish a version with `terms`. */
export function generationSpecOf(terms: GenerationTerms): RegistryGenerationSpec<number> {
  return {
    contextLength: terms.contextLength,
    maxTokens: terms.maxTokens,
    maxPrompt: terms.maxPrompt,
    padByte: terms.padByte,
    hasStop: terms.stopByte !== undefined,
    stopByte: terms.stopByte ?? 0,
  };
}

/** The terms of a version as `ModelRegistry.generationOf` returns them, or null for a version that does not generate. */
export function termsOfSpec(g: RegistryGenerationSpec): GenerationTerms | null {
  if (g.contextLength === 0n) return null;
  return {
    contextLength: Number(g.contextLength),
    maxTokens: Number(g.maxTokens),
    maxPrompt: Number(g.maxPrompt),
    padByte: Number(g.padByte),
    ...(g.hasStop ? { stopByte: Number(g.stopByte) } : {}),
  };
}
