/**
 * The operators the importer knows: those Verity runs (SUPPORTED_OPERATORS), those it folds away (./evaluate.ts),
 * the parts of the patterns it fuses and what they fuse into (./patterns.ts), those the opset table rewrites or refuses with a reason, and
 * Constant. `loadOnnx` and `GraphBuilder.build` refuse any other operator up front, naming the first such node in
 * file order, before the structural checks (executor/model/validate.ts).
 */
import { SUPPORTED_OPERATORS } from "../graph";
import { OPSET_TABLE } from "../opset/table";
import { FOLDABLE } from "./evaluate";
import { PATTERN_PARTS } from "./patterns";

const KNOWN = new Set<string>([
  ...SUPPORTED_OPERATORS,
  ...FOLDABLE,
  ...PATTERN_PARTS,
  ...OPSET_TABLE.map((r) => r.op),
  "Constant",
  // what the patterns produce, which a model may also use directly
  "LayerNormalization",
  "Gelu",
]);

export function isKnownOperator(opType: string): boolean {
  return KNOWN.has(opType);
}
