/**
 * Many view calls in few round trips: over HTTP JSON-RPC, the calls go out as JSON-RPC batches of `chunk` eth_calls
 * each (one HTTP request per chunk), which a real node (anvil, geth, reth) answers at once; on any other provider
 * (Hardhat's in-process network in the tests), a few at a time through the contract. Each call's result is decoded
 * with the contract's ABI; a call that fails (a revert) gives null, and the RPC endpoint failing throws (retried
 * like any call by `rpc`).
 */
import { JsonRpcProvider, type Interface, type Provider } from "ethers";

import { mapLimit } from "./common";
import type { Rpc } from "./rpc";

/** A contract's address and ABI, as bulk calls need them. */
export interface ViewTarget {
  readonly address: string;
  readonly iface: Interface;
}

/** eth_calls per JSON-RPC batch (one HTTP request). */
export const BULK_CHUNK = 200;

interface RpcReply {
  id: number;
  result?: string;
  error?: { message?: string };
}

/**
 * `fn(args)` of `target` for each `args` of `argsList`, results in order (null for a call that reverted). Over
 * JSON-RPC, `chunk` calls per batch; else `fallback(args)` a few at a time.
 */
export async function bulkView<T>(
  rpc: Rpc,
  provider: Provider,
  target: ViewTarget,
  fn: string,
  argsList: readonly (readonly unknown[])[],
  fallback: (args: readonly unknown[]) => Promise<T>,
  chunk = BULK_CHUNK,
): Promise<(T | null)[]> {
  if (!(provider instanceof JsonRpcProvider)) {
    return mapLimit(argsList, 16, async (args) => {
      try {
        return await rpc.call(fn, () => fallback(args));
      } catch (e) {
        if ((e as { code?: string }).code === "CALL_EXCEPTION") return null;
        throw e;
      }
    });
  }
  const fragment = target.iface.getFunction(fn)!;
  const out: (T | null)[] = [];
  for (let start = 0; start < argsList.length; start += chunk) {
    const part = argsList.slice(start, start + chunk);
    const payload = part.map((args, i) => ({
      jsonrpc: "2.0" as const,
      id: i,
      method: "eth_call",
      params: [{ to: target.address, data: target.iface.encodeFunctionData(fragment, [...args]) }, "latest"],
    }));
    const replies = (await rpc.call(`${fn} x${part.length}`, () => provider._send(payload))) as RpcReply[];
    const byId = new Map(replies.map((r) => [Number(r.id), r]));
    for (let i = 0; i < part.length; i++) {
      const reply = byId.get(i);
      if (reply === undefined || typeof reply.result !== "string") {
        out.push(null);
        continue;
      }
      const decoded = target.iface.decodeFunctionResult(fragment, reply.result);
      out.push((decoded.length === 1 ? decoded[0] : decoded) as T);
    }
  }
  return out;
}
