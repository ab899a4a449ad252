/**
 * The integer runtime: executes a validated Program over int8 tensors. Pure and deterministic; no floating point
 * value other than exact integers is ever produced (see docs/NUMERICS.md).
 */
import { InvalidInputError } from "../errors";
import { operatorOf } from "../ops";
import { type Layer, type Program, shapeSize, stateLayout } from "./program";

export * from "./program";

/** Runs one layer on its input tensors (already sliced out of the state). */
export function runLayer(p: Program, layer: Layer, inputs: Int8Array[]): Int8Array {
  const op = operatorOf(layer.op);
  if (!op) throw new InvalidInputError(`unknown program op '${layer.op}'`);
  return op.run(layer, inputs, p);
}

function concatState(parts: Int8Array[]): Int8Array {
  if (parts.length === 1) return parts[0];
  let n = 0;
  for (const t of parts) n += t.length;
  const s = new Int8Array(n);
  let off = 0;
  for (const t of parts) {
    s.set(t, off);
    off += t.length;
  }
  return s;
}

function checkInput(p: Program, input: Int8Array): void {
  if (!(input instanceof Int8Array)) throw new InvalidInputError("the quantized input must be an Int8Array");
  const n = shapeSize(p.inputShape);
  if (input.length !== n) {
    throw new InvalidInputError(
      `the quantized input has ${input.length} values, the program expects ${n} (shape [${p.inputShape.join(", ")}])`,
    );
  }
}

/**
 * All states S0..SL: S0 is (a copy of) the quantized input, S_k the live tensors after layers[k - 1], concatenated
 * in ascending tensor id order. The returned arrays are never shared with the caller's input.
 */
export function execute(p: Program, input: Int8Array): Int8Array[] {
  checkInput(p, input);
  const tensors: Int8Array[] = [input.slice()];
  const states: Int8Array[] = [tensors[0]];
  for (let i = 0; i < p.layers.length; i++) {
    const layer = p.layers[i];
    tensors.push(
      runLayer(
        p,
        layer,
        layer.inputs.map((t) => tensors[t]),
      ),
    );
    states.push(concatState(stateLayout(p, i + 1).map((e) => tensors[e.id])));
  }
  return states;
}

/**
 * The one-step function: given state S_{step-1}, computes S_step by running layers[step - 1] (step = 1..L).
 * This is exactly what the on-chain verifier re-executes.
 */
export function executeStep(p: Program, step: number, state: Int8Array): Int8Array {
  const L = p.layers.length;
  if (!Number.isInteger(step) || step < 1 || step > L) throw new InvalidInputError(`step ${step} is outside 1..${L}`);
  const before = stateLayout(p, step - 1);
  const size = before.reduce((n, e) => n + e.length, 0);
  if (!(state instanceof Int8Array) || state.length !== size) {
    throw new InvalidInputError(`state S${step - 1} must be an Int8Array of ${size} values`);
  }
  const tensors = new Map<number, Int8Array>();
  for (const e of before) tensors.set(e.id, state.subarray(e.offset, e.offset + e.length));
  const layer = p.layers[step - 1];
  tensors.set(
    step,
    runLayer(
      p,
      layer,
      layer.inputs.map((t) => tensors.get(t)!),
    ),
  );
  return concatState(stateLayout(p, step).map((e) => tensors.get(e.id)!)).slice();
}

/** The output tensor (state S_L) of a run. */
export function run(p: Program, input: Int8Array): Int8Array {
  const states = execute(p, input);
  return states[states.length - 1];
}

export * from "./step-witness";
