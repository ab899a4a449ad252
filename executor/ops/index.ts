/**
 * The operator table: every operator of the integer program, one module each (definition.ts says what a module
 * provides). The runtime (runLayer), the validator (validateProgram), the step-witness bounds and the step-proof
 * builder (game/step-proof.ts) dispatch through it.
 *
 * Adding an operator: a new file here exporting its OperatorDefinition, one line in OPERATORS, its Solidity kernel
 * and its tests (docs/ARCHITECTURE.md). The order of OPERATORS is the order of PROGRAM_OPS.
 *
 * Imports point one way: executor/ops uses runtime/kernels, runtime/types, layout and read-pattern; the
 * drivers (runtime/index, runtime/validate, runtime/step-witness) use executor/ops.
 */
import { affine } from "./affine";
import { averagePool } from "./averagepool";
import { add, mul, sub } from "./binary";
import { conv } from "./conv";
import type { OperatorDefinition } from "./definition";
import { gemm } from "./gemm";
import { lut } from "./lut";
import { maxPool } from "./maxpool";
import { relu } from "./relu";
import { reshape } from "./reshape";
import { softmax } from "./softmax";
import { transpose } from "./transpose";

export type { ElementReads, OperatorDefinition } from "./definition";
export { LayerCheck } from "./check";

export const OPERATORS = [gemm, conv, maxPool, averagePool, add, sub, mul, relu, lut, affine, softmax, reshape, transpose] as const;

/** Operators of the integer program (one layer = one trace step). */
export type ProgramOp = (typeof OPERATORS)[number]["op"];
export const PROGRAM_OPS: readonly ProgramOp[] = OPERATORS.map((d) => d.op);

const BY_OP = new Map<unknown, OperatorDefinition>(OPERATORS.map((d) => [d.op, d]));

/** The definition of a program op, or undefined for an op Verity does not know. */
export function operatorOf(op: string): OperatorDefinition | undefined {
  return BY_OP.get(op);
}
