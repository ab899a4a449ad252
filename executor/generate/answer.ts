/**
 * A node's answer to a generation request (docs/GENERATION.md §7): the response record it commits as its output and
 * the trace root it commits with it, the generation root over its passes. An invalid request record is answered with
 * the empty response and the zero root (no pass), the only answer the dispute game accepts for it.
 */
import { InvalidModelError } from "../errors";
import type { Program } from "../runtime/types";
import { generate, type Generation, type Pass } from "./generate";
import { contextLength } from "./window";
import { encodeResponse, specOfRequest, type GenerationTerms } from "./records";

/** The zero trace root of the empty generation (MerkleLib.rootOfLeaves of no leaf). */
export const EMPTY_GENERATION_ROOT = `0x${"00".repeat(32)}`;

export interface Answer {
  /** The response record (1 + the version's maxTokens bytes). */
  readonly output: Uint8Array;
  /** The generation root (the zero root for an invalid request). */
  readonly traceRoot: string;
  /** The generation, or null for an invalid request record. */
  readonly generation: Generation | null;
}

/** Generates the answer to request `requestId` whose input record is `input`; `onPass` sees each pass (streaming). */
export function answerRequest(
  program: Program,
  terms: GenerationTerms,
  requestId: bigint,
  input: Uint8Array,
  onPass?: (pass: Pass) => void,
): Answer {
  const context = contextLength(program);
  if (context !== terms.contextLength)
    throw new InvalidModelError(
      `program '${program.name}' reads ${context} bytes of context; the version registers ${terms.contextLength}`,
    );
  const spec = specOfRequest(input, terms, requestId);
  if (spec === null)
    return {
      output: encodeResponse(new Uint8Array(0), terms.maxTokens),
      traceRoot: EMPTY_GENERATION_ROOT,
      generation: null,
    };
  const generation = generate(program, spec, onPass);
  return {
    output: encodeResponse(generation.output, terms.maxTokens),
    traceRoot: generation.generationRoot,
    generation,
  };
}
