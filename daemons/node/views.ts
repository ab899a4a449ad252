/**
 * The node's executions: its view of a request (the program's states and trace), computed by the daemon's
 * `viewProvider` (the honest reference execution unless a test or tool injected another) and cached per request
 * until the request is settled. Requests of the RedundantManager are cached under `rr:<id>` (the two managers'
 * request ids overlap).
 */
import { honestView, type PartyView } from "../../game/view";
import type { NodeContext } from "./context";
import type { RequestKind, ViewProvider } from "./options";

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
  if (!/^0x([0-9a-fA-F]{2})*$/.test(input)) throw new TypeError(`request ${requestId}: input is not 0x-prefixed hex`);
  const bytes = Buffer.from(input.slice(2), "hex");
  const s0 = new Int8Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const view = (ctx.opts.viewProvider ?? honestViews)({ kind, requestId, program, weights, s0 });
  ctx.views.set(key, view);
  return view;
}

/** The cache key of a request's view. */
export function viewKey(kind: RequestKind, requestId: bigint): string {
  return kind === "redundant" ? `rr:${requestId}` : requestId.toString();
}
