/**
 * The quantized integer program: what a publisher registers, what a node executes and what the on-chain
 * one-step verifier re-executes. Plain data plus a canonical binary encoding.
 *
 * Conventions (docs/NUMERICS.md is the normative text):
 * - Tensor id 0 is the program input; layer i (0-based) produces tensor id i + 1, so `layers[i].output === i + 1`.
 * - State S0 is the quantized input; state S_k (k = 1..L) is the state after `layers[k - 1]`: the live tensors
 *   (see `liveTensors`) concatenated in ascending tensor id order. For a sequential graph that is simply the
 *   current activation.
 * - Every layer is self-contained: its attributes carry every zero point and dimension its kernel needs, so a
 *   verifier needs the layer descriptor and its input slice only.
 *
 * This module gathers the program's parts: the types and bounds (types.ts), shapes and state layout (layout.ts),
 * validation (validate.ts), the canonical encoding (codec.ts) and the operators (executor/ops).
 */
export { PROGRAM_OPS, type ProgramOp } from "../ops";
export * from "./types";
export * from "./layout";
export { validateProgram } from "./validate";
export { encodeProgram, decodeProgram } from "./codec";
