/**
 * One committed inference: quantize the input (if it is float), run the integer program, commit the trace.
 * A pure function of (program, input): the same bytes and the same trace root on every run and machine
 * (invariant 6 of test/PROPERTIES.md; golden vectors in test/golden/).
 */
import { InvalidInputError } from "./errors";
import { dequantizeOutput, quantizeInput } from "./quant";
import { execute, type Program } from "./runtime";
import { commitTrace, type Trace } from "./trace/trace";

export interface InferenceResult {
  /** The int8 output (state S_L). */
  readonly output: Int8Array;
  /** The output dequantized with the program's output scale and zero point. */
  readonly outputFloat: Float32Array;
  readonly trace: Trace;
  /** S_0 (the quantized input) .. S_L (the output). */
  readonly states: Int8Array[];
}

/**
 * Runs `program` on `input`: a Float32Array is quantized with the program's input parameters first; an
 * Int8Array is taken as already quantized (S_0).
 */
export function infer(program: Program, input: Float32Array | Int8Array): InferenceResult {
  let q: Int8Array;
  if (input instanceof Int8Array) q = input;
  else if (input instanceof Float32Array) q = quantizeInput(program, input);
  else throw new InvalidInputError("the input must be a Float32Array (float) or an Int8Array (already quantized)");
  const states = execute(program, q);
  const output = states[states.length - 1];
  return { output, outputFloat: dequantizeOutput(program, output), trace: commitTrace(states), states };
}
