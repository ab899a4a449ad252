/**
 * The operator table: every operator of the integer program, one module each (definition.ts says what a module
 * provides). The quantizer (quantizeGraph), the float reference (evaluateFloat), the runtime (runLayer), the
 * validator (validateProgram), the step-witness bounds and the step-proof builder (game/step-proof.ts) dispatch
 * through it.
 *
 * Adding an operator: a new file here exporting its OperatorDefinition, one line in OPERATORS, its Solidity kernel
 * and its tests (docs/ARCHITECTURE.md).
 *
 * Imports point one way: the operators use the building blocks (model/graph, quant/params, quant/float-tensor,
 * quant/geometry, runtime/types, layout, read-pattern and kernels); the drivers (quant/index, quant/float-eval,
 * runtime/index, runtime/validate, runtime/step-witness, game/step-proof) use the table.
 */
import { SUPPORTED_OPERATORS } from "../model/graph";
import { affine } from "./affine";
import { averagePool } from "./averagepool";
import { add, mul, sub } from "./binary";
import { conv } from "./conv";
import { convTransposeOp } from "./convtranspose";
import type { NodeRule, OperatorDefinition } from "./definition";
import { gemm } from "./gemm";
import { lut } from "./lut";
import { matMul } from "./matmul";
import { maxPool } from "./maxpool";
import { relu } from "./relu";
import { reshape } from "./reshape";
import { softmax } from "./softmax";
import { transpose } from "./transpose";
// ops-math
import { channelLut } from "./channel-lut";
import { div } from "./div";
import { logSoftmax } from "./logsoftmax";
import { norm } from "./norm";
import { reduceMax, reduceSum } from "./reduce";
import { concat } from "./concat";
import { embedding } from "./embedding";
import { gather } from "./gather";
import { pad } from "./pad";
import { slice } from "./slice";
import { tile } from "./tile";
import { where } from "./where";

export type {
  ElementReads,
  FloatContext,
  LoweringContext,
  NodeRule,
  OperatorDefinition,
  QuantTensor,
} from "./definition";
export { LayerCheck } from "./check";

/** The operators, one per line; their order is the order of PROGRAM_OPS. */
export const OPERATORS = [
  gemm,
  conv,
  maxPool,
  averagePool,
  add,
  sub,
  mul,
  relu,
  lut,
  affine,
  softmax,
  reshape,
  transpose,
  // ops-math: reductions, normalizations
  reduceSum,
  reduceMax,
  norm,
  div,
  channelLut,
  logSoftmax,
  // ops-spatial
  matMul,
  convTransposeOp,
  // data movement (NUMERICS §26)
  slice,
  pad,
  tile,
  concat,
  gather,
  embedding,
  where,
] as const;

/** Operators of the integer program (one layer = one trace step). */
export type ProgramOp = (typeof OPERATORS)[number]["op"];
export const PROGRAM_OPS: readonly ProgramOp[] = OPERATORS.map((d) => d.op);

const BY_OP = new Map<unknown, OperatorDefinition>(OPERATORS.map((d) => [d.op, d]));

/** The definition of a program op, or undefined for an op Verity does not know. */
export function operatorOf(op: string): OperatorDefinition | undefined {
  return BY_OP.get(op);
}

/** ONNX operator type -> its rule, from every definition's `onnx`; each type belongs to exactly one definition. */
const RULES = new Map<unknown, NodeRule>();
for (const d of OPERATORS) {
  for (const [opType, rule] of Object.entries(d.onnx)) {
    if (RULES.has(opType)) throw new Error(`executor/ops: ONNX ${opType} is lowered by two operators`);
    RULES.set(opType, rule);
  }
}
// The importer admits exactly SUPPORTED_OPERATORS (executor/model/graph.ts): each needs a rule, and a rule for
// anything else could never run.
for (const opType of SUPPORTED_OPERATORS) {
  if (!RULES.has(opType)) throw new Error(`executor/ops: no operator lowers ONNX ${opType} (SUPPORTED_OPERATORS)`);
}
for (const opType of RULES.keys()) {
  if (!(SUPPORTED_OPERATORS as readonly unknown[]).includes(opType)) {
    throw new Error(`executor/ops: ONNX ${String(opType)} has a rule but is not in SUPPORTED_OPERATORS`);
  }
}

/** The float reference and quantization rule of an ONNX operator type, or undefined for an unsupported one. */
export function nodeRuleOf(opType: string): NodeRule | undefined {
  return RULES.get(opType);
}
