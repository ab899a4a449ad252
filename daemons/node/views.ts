/**
 * The node's executions: its view of a request (the program's states and trace), computed by the daemon's
 * `viewProvider` (the honest reference execution unless a test or tool injected another) and cached per request
 * until the request is settled. Requests of the RedundantManager are cached under `rr:<id>` (the two managers'
 * request ids overlap), their generations too. A request for a generation version (docs/GENERATION.md) is answered
 * instead by the `generationProvider` (the honest generation by default, seeded by the id of the manager's request)
 * as a `GenerationView`: the response record and the pass roots the node commits to, each pass's states rebuilt when
 * a game opens it. `servedOf` gives either as what the node commits: the output and the trace root (the generation
 * root for a generation).
 */
import { hexlify, keccak256 } from "ethers";

import { generationView, honestGenerationView, type GenerationView } from "../../game/generation";
import { honestView, type PartyView } from "../../game/view";
import { bytesOf } from "../../executor/trace/trace";
import { cachedGeneration, generationRootOf } from "../kit/generation";
import type { NodeContext } from "./context";
import type { GenerationProvider, RequestKind, ViewProvider } from "./options";

/** What the node commits for a request: its output (0x-hex), the output's hash and the trace root. */
export interface Served {
  readonly output: string;
  readonly outputHash: string;
  readonly traceRoot: string;
  /** The execution of an inference request; null for a generation. */
  readonly view: PartyView | null;
  /** The answer to a generation request; null for an inference. */
  readonly generation: GenerationView | null;
}

/**
 * The default generation provider: the honest generation, each pass's states rebuilt when a game opens it (only the
 * last one kept: the node holds an answer per request until it is settled).
 */
export const honestGenerations: GenerationProvider = ({ program, weights, terms, requestId, input }) =>
  honestGenerationView(program, terms, requestId, input, weights, { keepOnlyLast: true });

/** Hex input → bytes (Node's decoder: ethers' getBytes walks the string in JavaScript). */
function bytesOfHex(requestId: bigint, input: string): Buffer {
  if (!/^0x([0-9a-fA-F]{2})*$/.test(input)) throw new TypeError(`request ${requestId}: input is not 0x-prefixed hex`);
  return Buffer.from(input.slice(2), "hex");
}

/** Which request `servedOf` answers, and what the node already committed to it. */
export interface ServedOptions {
  /** The manager of the request (default: the InferenceManager). */
  readonly kind?: RequestKind;
  /** The response record the node committed (0x-hex), when known: see `generationOf`. */
  readonly committed?: string;
}

/**
 * What the node commits for request `requestId` of the `kind` manager: its generation's answer when the version is
 * a generation version, else its execution's (both cached until settled).
 */
export async function servedOf(
  ctx: NodeContext,
  requestId: bigint,
  versionId: bigint,
  input: string,
  opts: ServedOptions = {},
): Promise<Served> {
  const kind = opts.kind ?? "inference";
  const generation = await generationOf(ctx, kind, requestId, versionId, input, opts.committed);
  if (generation) {
    const output = hexlify(generation.output);
    return { output, outputHash: keccak256(output), traceRoot: generationRootOf(generation), view: null, generation };
  }
  const view = await viewOf(ctx, requestId, versionId, input, kind);
  const output = hexlify(bytesOf(view.states[view.program.layers.length]));
  return { output, outputHash: keccak256(output), traceRoot: view.trace.traceRoot, view, generation: null };
}

/**
 * The node's answer to request `requestId` when its version is a generation version, else null. `committed` (the
 * response record the node committed, when the journal still has it) makes a rebuilt answer stand behind exactly
 * that response, should the provider now say otherwise: every pass re-run honestly on the committed bytes.
 */
function generationOf(
  ctx: NodeContext,
  kind: RequestKind,
  requestId: bigint,
  versionId: bigint,
  input: string,
  committed?: string,
): Promise<GenerationView | null> {
  return cachedGeneration(
    ctx.generations,
    ctx.terms,
    ctx.resolver,
    requestId,
    versionId,
    ({ program, weights, terms }) => {
      const record = new Uint8Array(bytesOfHex(requestId, input));
      const view = (ctx.opts.generationProvider ?? honestGenerations)({
        kind,
        requestId,
        program,
        weights,
        terms,
        input: record,
      });
      if (committed === undefined || hexlify(view.output).toLowerCase() === committed.toLowerCase()) return view;
      const output = new Uint8Array(bytesOfHex(requestId, committed));
      return generationView(program, terms, requestId, record, output, weights, new Map(), { keepOnlyLast: true });
    },
    viewKey(kind, requestId),
  );
}

/** Drops the cached execution or answer of request `requestId` of the `kind` manager (once settled). */
export function forgetServed(ctx: NodeContext, requestId: bigint | string, kind: RequestKind = "inference"): void {
  const key = viewKey(kind, BigInt(requestId));
  ctx.views.delete(key);
  ctx.generations.delete(key);
}

/** The default view provider: the reference executor's execution of the request. */
export const honestViews: ViewProvider = ({ program, s0, weights }) => honestView(program, s0, weights);

/** This node's view of request `requestId` of the `kind` manager (the InferenceManager by default). */
export async function viewOf(
  ctx: NodeContext,
  requestId: bigint,
  versionId: bigint,
  input: string,
  kind: RequestKind = "inference",
): Promise<PartyView> {
  const key = viewKey(kind, requestId);
  const hit = ctx.views.get(key);
  if (hit) return hit;
  const { program, weights } = await ctx.resolver(versionId);
  // Node's hex decoder (ethers' getBytes walks the string in JavaScript: milliseconds per 784-byte input).
  const bytes = bytesOfHex(requestId, input);
  const s0 = new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const view = (ctx.opts.viewProvider ?? honestViews)({ kind, requestId, program, weights, s0 });
  ctx.views.set(key, view);
  return view;
}

/** The cache key of a request's view. */
export function viewKey(kind: RequestKind, requestId: bigint): string {
  return kind === "redundant" ? `rr:${requestId}` : requestId.toString();
}
