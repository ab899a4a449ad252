/**
 * The journal's cursor: the keyless "cursor" record holds the last block whose events a daemon took in. Each tick
 * takes in the next range of blocks (at most `maxBlockRange`, `confirmations` deep), journals what it found, then
 * moves the cursor past the range; after a restart it goes on from there.
 */
import type { ServiceState } from "./state";

/** The last block whose events were taken in (`startBlock - 1` on a fresh journal). */
export function cursor(s: Pick<ServiceState, "journal" | "startBlock">): number {
  const c = s.journal?.last("cursor");
  return c ? Number(c.block) : s.startBlock - 1;
}

/** The blocks whose events to take in next, or null when no block past the cursor is deep enough yet. */
export async function nextRange(s: ServiceState): Promise<{ from: number; to: number } | null> {
  const provider = s.signer.provider!;
  const latest = await s.rpc.call("getBlockNumber", () => provider.getBlockNumber());
  const from = cursor(s) + 1;
  // With n confirmations, events are taken in once n blocks deep (the latest block counts as one).
  const safe = latest - (s.confirmations - 1);
  if (from > latest || from > safe) return null;
  return { from, to: Math.min(safe, from + s.maxBlockRange - 1) };
}

/** Records that every event up to block `to` was taken in. */
export function advanceCursor(s: ServiceState, to: number): void {
  s.journal!.append({ t: "cursor", block: to });
  s.metrics.lastBlock = to;
}
