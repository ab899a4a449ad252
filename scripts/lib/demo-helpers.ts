/**
 * Helpers of `npm run demo` (scripts/demo.ts): the dishonest node's lie, a gas ledger, amounts and event lookups.
 * Kept apart so the demo itself reads as its seven steps.
 */
import { formatEther, type ContractTransactionResponse, type Interface, type LogDescription } from "ethers";

import { type PartyView } from "../../game/view";
import { tamperedView } from "../../tools/doubles/tamper";
import { mined } from "./protocol";

/** Index of the largest value: the predicted digit of an output state S_L. */
export function argmax(state: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < state.length; i++) if (state[i] > state[best]) best = i;
  return best;
}

/**
 * The dishonest node's lies: byte 40 of the first hidden state S1 changed (past its first 32-byte chunk, so the
 * bisection has a chunk tree to descend), then, further on, the first (step, byte) whose change flips the predicted
 * digit, so the lie matters to the requester. Every state after each change is recomputed from it, so the trace is
 * consistent everywhere but at those steps (the hardest kind to catch); the challenger disputes the first.
 */
export function liarView(honest: PartyView): { view: PartyView; lies: string[] } {
  const L = honest.program.layers.length;
  const truth = argmax(honest.states[L]);
  const base = tamperedView(honest, 1, 40, { delta: 100 });
  const lies = ["byte 40 of S1"];
  for (let step = 2; step <= L; step++) {
    for (let byte = 0; byte < Math.min(base.states[step].length, 256); byte++) {
      const view = tamperedView(base, step, byte, { delta: 100 });
      if (argmax(view.states[L]) !== truth) return { view, lies: [...lies, `byte ${byte} of S${step}`] };
    }
  }
  return { view: base, lies };
}

/** An amount of the 18-decimal demo token. */
export const vrt = (wei: bigint): string => `${formatEther(wei)} VRT`;

/** A change of balance, with its sign. */
export const signed = (wei: bigint): string => (wei > 0n ? "+" : wei < 0n ? "-" : "") + vrt(wei < 0n ? -wei : wei);

/** Every transaction of the demo with its gas, for the closing table. */
export class GasLedger {
  readonly rows: [by: string, action: string, gas: bigint][] = [];

  /** Waits for the transaction (failing loudly if it reverted) and records its gas under `by` and `action`. */
  async send(by: string, action: string, tx: Promise<ContractTransactionResponse>) {
    const receipt = await mined(tx);
    this.rows.push([by, action, receipt.gasUsed]);
    return receipt;
  }

  record(by: string, action: string, gas: bigint): void {
    this.rows.push([by, action, gas]);
  }

  get total(): bigint {
    return this.rows.reduce((sum, [, , gas]) => sum + gas, 0n);
  }
}

/** The first log of `receipt` that `iface` parses as the event `name`; throws when there is none. */
export function eventOf(
  iface: Interface,
  receipt: { logs: readonly { topics: readonly string[]; data: string }[] },
  name: string,
): LogDescription {
  for (const log of receipt.logs) {
    let parsed: LogDescription | null = null;
    try {
      parsed = iface.parseLog(log);
    } catch {
      parsed = null;
    }
    if (parsed?.name === name) return parsed;
  }
  throw new Error(`the transaction emitted no ${name}`);
}
