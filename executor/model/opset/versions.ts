/**
 * The default-domain opsets Verity imports, and the operators that appeared after opset 6 (a node of one of them in
 * a model of an older opset is invalid: onnxruntime refuses it too).
 */
import { UnsupportedOpsetError } from "../../errors";

/** The oldest default-domain opset Verity imports (the legacy PyTorch exporter writes opset 6). */
export const MIN_OPSET = 6;
/** The newest default-domain opset Verity imports. */
export const MAX_OPSET = 22;
/**
 * The opset of the canonical form: after the rewrites of the opset table (executor/model/opset/table.ts) every
 * node has the semantics and the inputs of its newest version as of this opset, and the prepared graph reads it.
 */
export const CANONICAL_OPSET = MAX_OPSET;

/** The first opset that defines each operator introduced after opset 6 (operators Verity reads or folds). */
export const OPERATOR_SINCE: Readonly<Record<string, number>> = {
  Expand: 8,
  ConstantOfShape: 9,
  Where: 9,
  Erf: 9,
  Sign: 9,
  Shrink: 9,
  Resize: 10,
  Range: 11,
  GatherElements: 11,
  ScatterElements: 11,
  CumSum: 11,
  Celu: 12,
  GreaterOrEqual: 12,
  LessOrEqual: 12,
  HardSwish: 14,
  Trilu: 14,
  LayerNormalization: 17,
  Mish: 18,
  Gelu: 20,
};

/** Throws UnsupportedOpsetError unless MIN_OPSET <= opset <= MAX_OPSET. */
export function checkOpset(graphName: string, opset: number): void {
  if (!Number.isSafeInteger(opset) || opset < MIN_OPSET || opset > MAX_OPSET) {
    const hint =
      opset > MAX_OPSET
        ? `export it at opset ${MAX_OPSET} or lower (torch.onnx.export(..., opset_version=${MAX_OPSET}))`
        : `convert it first (python: onnx.version_converter.convert_version(model, 13))`;
    throw new UnsupportedOpsetError(
      opset,
      `model '${graphName}' uses opset ${opset}, but Verity reads default-domain opsets ${MIN_OPSET} to ${MAX_OPSET}; ${hint}`,
    );
  }
}

/** Throws UnsupportedOpsetError when the node's operator does not exist yet at the model's opset. */
export function checkOperatorExists(opset: number, nodeName: string, opType: string): void {
  const since = OPERATOR_SINCE[opType];
  if (since !== undefined && opset < since) {
    throw new UnsupportedOpsetError(
      opset,
      `node '${nodeName}' uses ${opType}, which ONNX defines from opset ${since}, but the model imports opset ${opset}`,
      nodeName,
    );
  }
}
