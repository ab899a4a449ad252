/**
 * Reading an event out of a transaction's receipt: the first log that a contract's interface decodes as the named
 * event. A receipt also holds other contracts' logs (the token's Transfer and Approval, the Staking's locks), which
 * the interface cannot decode and which are skipped.
 */
import type { Interface, Log, LogDescription } from "ethers";

/** The first of `logs` that `iface` decodes as event `name`, or null when there is none. */
export function findEvent(logs: readonly Log[], iface: Interface, name: string): LogDescription | null {
  for (const log of logs) {
    let parsed: LogDescription | null;
    try {
      parsed = iface.parseLog(log);
    } catch {
      continue; // another contract's log that happens to share a topic with one of ours
    }
    if (parsed?.name === name) return parsed;
  }
  return null;
}
