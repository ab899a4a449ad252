/**
 * The node's executions: its view of a request (the program's states and trace, from the reference executor),
 * cached per request until the request is settled. When the node cheats on a request (tests, demo and network only:
 * `cheat`, deterministic by seed and request id), the view is tampered at a step and byte derived from the same hash,
 * so a restart commits and defends the same wrong result.
 */
import { AbiCoder, getBytes, keccak256 } from "ethers";

import { honestView, tamperedView, type PartyView } from "../../game/view";
import { pickedByHash } from "../kit/common";
import type { NodeContext } from "./context";

/** True when the node cheats on `requestId`. */
export function shouldCheat(ctx: NodeContext, requestId: bigint): boolean {
  const c = ctx.opts.cheat;
  return c !== undefined && pickedByHash(c.seed, requestId, c.fraction);
}

/** This node's view of request `requestId` (tampered, deterministically, when it cheats on it). */
export async function viewOf(
  ctx: NodeContext,
  requestId: bigint,
  versionId: bigint,
  input: string,
): Promise<PartyView> {
  const key = requestId.toString();
  const hit = ctx.views.get(key);
  if (hit) return hit;
  const { program, weights } = await ctx.resolver(versionId);
  const s0 = new Int8Array(getBytes(input).slice().buffer);
  let view = honestView(program, s0, weights);
  if (shouldCheat(ctx, requestId)) {
    const h = BigInt(
      keccak256(
        AbiCoder.defaultAbiCoder().encode(["string", "uint256", "string"], [ctx.opts.cheat!.seed, requestId, "where"]),
      ),
    );
    const L = program.layers.length;
    const step = 1 + Number(h % BigInt(L));
    const byteIndex = Number((h >> 64n) % BigInt(view.states[step].length));
    view = tamperedView(view, step, byteIndex, { delta: 1 + Number((h >> 128n) % 100n) });
  }
  ctx.views.set(key, view);
  return view;
}
