/**
 * The opset table: one row per (operator, version range) whose form differs from the canonical (newest, as of
 * CANONICAL_OPSET) one. A node of a model at opset v is rewritten by every row of its operator with
 * from <= v < until, in table order; every other node is already canonical. docs/MODEL_IMPORT.md prints this table
 * (`opsetTableMarkdown`), and test/executor/import.test.ts checks the page against it.
 */
import type { Rewrite } from "./context";
import {
  attributesSince,
  batchNormLegacy,
  clipAttributes,
  coerceTo2d,
  dropAttributes,
  gemmLegacy,
  intsAttributeToInput,
  legacyBroadcast,
  padAttributes,
  refuseOperator,
  sliceAttributes,
  splitAttribute,
  splitEqualParts,
} from "./rewrites";

export interface OpsetRow {
  readonly op: string;
  /** The row applies to models with from <= opset < until. */
  readonly from: number;
  readonly until: number;
  /** What differs and what the importer does, for the documentation. */
  readonly change: string;
  readonly rewrite: Rewrite;
}

const row = (op: string, from: number, until: number, change: string, rewrite: Rewrite): OpsetRow => ({
  op,
  from,
  until,
  change,
  rewrite,
});

const consumed = dropAttributes("consumed_inputs");
const REDUCE_18 = [
  "ReduceMean",
  "ReduceMax",
  "ReduceMin",
  "ReduceProd",
  "ReduceL1",
  "ReduceL2",
  "ReduceLogSum",
  "ReduceLogSumExp",
  "ReduceSumSquare",
];

export const OPSET_TABLE: readonly OpsetRow[] = [
  ...["Softmax", "LogSoftmax", "Hardmax"].map((op) =>
    row(
      op,
      1,
      13,
      "the input is coerced to 2-D at `axis` (default 1): Flatten(axis), the op on the last axis, Reshape back " +
        "(just `axis` = -1 when `axis` is the last axis)",
      coerceTo2d,
    ),
  ),
  row(
    "BatchNormalization",
    1,
    9,
    "`spatial` = 0 (statistics per element) refused, `spatial` = 1 dropped (from 9 always per channel, any rank); " +
      "`is_test` (opset 6) and `consumed_inputs` dropped (inference)",
    batchNormLegacy,
  ),
  row("Gemm", 1, 7, "`broadcast` dropped: from 7, C broadcasts to [M, N] unidirectionally", gemmLegacy),
  ...["Add", "Sub", "Mul", "Div", "Pow", "Equal", "Greater", "Less", "And", "Or", "Xor"].map((op) =>
    row(
      op,
      1,
      7,
      "legacy `broadcast`/`axis`: B aligned at `axis` gets trailing 1-dims (a constant B is reshaped, a computed one " +
        "goes through Unsqueeze) so numpy broadcasting agrees; `consumed_inputs` dropped",
      legacyBroadcast,
    ),
  ),
  ...["Relu", "LeakyRelu", "Sigmoid", "Tanh", "Elu", "Selu", "PRelu", "HardSigmoid", "Neg", "Abs", "Sqrt", "Exp"].map(
    (op) => row(op, 1, 7, "`consumed_inputs` (removed at 6, still written by old exporters) dropped", consumed),
  ),
  row("Clip", 1, 11, "`min`/`max` attributes become constant inputs 1 and 2 (absent: unbounded)", clipAttributes),
  row(
    "Pad",
    1,
    11,
    "`pads` (`paddings`) and `value` attributes become the `pads` and `constant_value` inputs; `mode` kept",
    padAttributes,
  ),
  row("Slice", 1, 10, "`starts`/`ends`/`axes` attributes become inputs (steps 1)", sliceAttributes),
  row(
    "Split",
    1,
    13,
    "the `split` attribute becomes input 1; without it, equal parts: `num_outputs` = the number of outputs",
    splitAttribute,
  ),
  row("Split", 13, 18, "without `split`, equal parts: `num_outputs` = the number of outputs", splitEqualParts),
  row("Squeeze", 1, 13, "the `axes` attribute becomes input 1", intsAttributeToInput("axes", 1)),
  row("Unsqueeze", 1, 13, "the `axes` attribute becomes input 1", intsAttributeToInput("axes", 1)),
  row("ReduceSum", 1, 13, "the `axes` attribute becomes input 1", intsAttributeToInput("axes", 1)),
  ...REDUCE_18.map((op) => row(op, 1, 18, "the `axes` attribute becomes input 1", intsAttributeToInput("axes", 1))),
  row(
    "MaxPool",
    1,
    10,
    "attributes the version lacks are refused: `storage_order` before 8, `dilations` and `ceil_mode` before 10",
    attributesSince({ storage_order: 8, dilations: 10, ceil_mode: 10 }),
  ),
  row(
    "AveragePool",
    1,
    19,
    "attributes the version lacks are refused: `count_include_pad` before 7, `ceil_mode` before 10, `dilations` " +
      "before 19",
    attributesSince({ count_include_pad: 7, ceil_mode: 10, dilations: 19 }),
  ),
  row(
    "Dropout",
    1,
    12,
    "`ratio`/`is_test` attributes (inputs from 12) dropped; Dropout is removed at every opset (inference)",
    dropAttributes("ratio", "is_test", "consumed_inputs"),
  ),
  row(
    "Upsample",
    1,
    23,
    "refused: deprecated at 10 for Resize, which Verity does not implement either",
    refuseOperator("Upsample (deprecated since opset 10; Resize is not supported either)"),
  ),
];

/** The rows that apply to a node of `op` in a model at `opset`, in table order. */
export function rowsFor(op: string, opset: number): readonly OpsetRow[] {
  const rows = BY_OP.get(op);
  return rows ? rows.filter((r) => r.from <= opset && opset < r.until) : NONE;
}

const NONE: readonly OpsetRow[] = [];
const BY_OP = new Map<string, OpsetRow[]>();
for (const r of OPSET_TABLE) BY_OP.set(r.op, [...(BY_OP.get(r.op) ?? []), r]);

/** The table as docs/MODEL_IMPORT.md prints it (one row per entry; `until` is exclusive). */
export function opsetTableMarkdown(): string {
  const lines = ["| Operator | Opsets | Difference and what the importer does |", "|---|---|---|"];
  for (const r of OPSET_TABLE) lines.push(`| ${r.op} | ${r.from}–${r.until - 1} | ${r.change} |`);
  return lines.join("\n") + "\n";
}
