/**
 * The dishonest party's view, for tests, the demo, the benchmarks and the network tool's cheating node: a lie told
 * in one state of an honest execution. The product (game/, daemons/, cli/) never builds one; a dishonest party is an
 * honest player holding this view, injected from outside (tools/doubles/tampering-node.ts).
 */
import { executeStep } from "../../executor/runtime";
import { viewOf, type PartyView } from "../../game/view";

/**
 * A lie told at state `step` (1..L): byte `byteIndex` of S_step is changed by `delta` (mod 256), and, when
 * `propagate` is set, every later state is recomputed from the tampered one, so the lie is internally consistent
 * from there on (the hardest kind to catch: only step `step - 1 -> step` is wrong).
 */
export function tamperedView(
  honest: PartyView,
  step: number,
  byteIndex: number,
  opts: { delta?: number; propagate?: boolean } = {},
): PartyView {
  const { program } = honest;
  const L = program.layers.length;
  if (!Number.isInteger(step) || step < 1 || step > L) throw new RangeError(`step ${step} is not in 1..${L}`);
  const states: Int8Array[] = honest.states.map((s) => s.slice());
  const target = states[step];
  if (!Number.isInteger(byteIndex) || byteIndex < 0 || byteIndex >= target.length) {
    throw new RangeError(`byte ${byteIndex} is not in S_${step} (length ${target.length})`);
  }
  const delta = opts.delta ?? 1;
  target[byteIndex] = ((((target[byteIndex] + delta + 128) % 256) + 256) % 256) - 128;
  if (opts.propagate ?? true) {
    for (let k = step + 1; k <= L; k++) states[k] = executeStep(program, k, states[k - 1]);
  }
  return viewOf(program, states, honest.weights);
}
