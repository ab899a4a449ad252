/**
 * Shapes and the state layout of a program (docs/NUMERICS.md §1):
 * - Tensor id 0 is the program input; layer i (0-based) produces tensor id i + 1, so `layers[i].output === i + 1`.
 * - State S0 is the quantized input; state S_k (k = 1..L) is the state after `layers[k - 1]`: the live tensors
 *   (see `liveTensors`) concatenated in ascending tensor id order. For a sequential graph that is simply the
 *   current activation.
 */
import type { Program } from "./types";

export function shapeSize(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Shape of tensor `id` (0 = input, i + 1 = output of layers[i]). */
export function tensorShape(p: Program, id: number): number[] {
  if (id === 0) return p.inputShape;
  const layer = p.layers[id - 1];
  if (!layer) throw new RangeError(`tensor ${id} does not exist (program has ${p.layers.length} layers)`);
  return layer.outShape;
}

/**
 * Tensor ids that make up state S_step (step = 0..L), ascending: the tensors produced at or before the step
 * that a later layer still reads, plus the tensor produced by the step itself. S_L is the output alone.
 */
export function liveTensors(p: Program, step: number): number[] {
  const L = p.layers.length;
  if (!Number.isInteger(step) || step < 0 || step > L) throw new RangeError(`step ${step} is outside 0..${L}`);
  const live = new Set<number>([step]);
  for (let j = step; j < L; j++) for (const t of p.layers[j].inputs) if (t <= step) live.add(t);
  return [...live].sort((a, b) => a - b);
}

/** Layout of state S_step: for each live tensor, its id, offset and length in the concatenated state. */
export function stateLayout(p: Program, step: number): { id: number; offset: number; length: number }[] {
  let offset = 0;
  return liveTensors(p, step).map((id) => {
    const length = shapeSize(tensorShape(p, id));
    const entry = { id, offset, length };
    offset += length;
    return entry;
  });
}

/** Number of int8 values in state S_step. */
export function stateSize(p: Program, step: number): number {
  return stateLayout(p, step).reduce((n, e) => n + e.length, 0);
}
