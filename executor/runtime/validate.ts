/**
 * Validation: a program that passes can be executed without any non-Verity error and within the 2^53 bound, and
 * every one of its steps can be proven on-chain.
 */
import { ProgramDecodeError, StepWitnessTooLargeError } from "../errors";
import { operatorOf } from "../ops";
import { LayerCheck, isInt } from "../ops/check";
import { shapeSize } from "./layout";
import { MAX_STEP_PROOF_CALLDATA, MAX_STEP_PROOF_GAS, oversizedStep, stepWitnessBounds } from "./step-witness";
import { type Program, MAX_DIM, MAX_STATE_BYTES } from "./types";

function fail(msg: string): never {
  throw new ProgramDecodeError(msg);
}

/**
 * Checks every structural and arithmetic invariant of a program, and that every step can be proven on-chain (its
 * one-step proof within MAX_STEP_PROOF_CALLDATA and MAX_STEP_PROOF_GAS); throws ProgramDecodeError
 * (StepWitnessTooLargeError for the last).
 */
export function validateProgram(p: Program): void {
  if (p.version !== 1) fail(`unsupported program version ${String(p.version)}`);
  const checkShape = (dims: unknown, what: string): number[] => {
    if (!Array.isArray(dims) || dims.length > 8 || dims.some((d) => !isInt(d) || d < 1 || d > MAX_DIM)) {
      fail(`${what}: shape must be at most 8 positive dims`);
    }
    if (shapeSize(dims) > MAX_DIM) fail(`${what}: more than 2^24 elements`);
    return dims;
  };
  checkShape(p.inputShape, "input");
  checkShape(p.outputShape, "output");
  for (const [q, what] of [
    [p.input, "input"],
    [p.output, "output"],
  ] as const) {
    if (!Number.isFinite(q.scale) || q.scale <= 0 || !isInt(q.zeroPoint) || q.zeroPoint < -128 || q.zeroPoint > 127) {
      fail(`${what} quantization parameters invalid`);
    }
  }
  const last = p.layers.length === 0 ? p.inputShape : p.layers[p.layers.length - 1].outShape;
  if (last.length !== p.outputShape.length || last.some((d, k) => d !== p.outputShape[k])) {
    fail("outputShape differs from the last layer's shape");
  }
  p.layers.forEach((layer, i) => {
    const op = operatorOf(layer.op);
    if (!op) fail(`layer ${i}: unknown op '${layer.op}'`);
    if (layer.output !== i + 1) fail(`layer ${i}: output must be tensor ${i + 1}`);
    const nIn = layer.inputs.length;
    if (nIn < 1 || nIn > op.maxInputs || layer.inputs.some((t) => !isInt(t) || t < 0 || t > i)) {
      fail(`layer ${i} (${layer.op}): bad inputs`);
    }
    checkShape(layer.outShape, `layer ${i}`);
    // the op's own checks: attributes, parameter arrays, shapes against the input, work and accumulator bounds
    op.validate(new LayerCheck(p, layer, i));
  });
  // Every state (the live tensors side by side) fits the games' chunk trees: at most 2^24 bytes, MAX_STATE_BYTES in
  // DisputeManager and RedundantManager, which refuse a longer post-state (its tree would be deeper than 19 levels).
  const bounds = stepWitnessBounds(p);
  const longState = bounds.find((b) => b.inLength > MAX_STATE_BYTES);
  if (longState) {
    fail(
      `state S${longState.layer} holds ${longState.inLength} bytes of live tensors, more than 2^24 (MAX_STATE_BYTES)`,
    );
  }
  // Every step must be provable on-chain: its one-step proof within the calldata and gas limits (step-witness.ts).
  const over = oversizedStep(p, bounds);
  if (over) {
    throw new StepWitnessTooLargeError(
      over.layer,
      over.op,
      over.calldata,
      MAX_STEP_PROOF_CALLDATA,
      over.gas,
      MAX_STEP_PROOF_GAS,
    );
  }
}
