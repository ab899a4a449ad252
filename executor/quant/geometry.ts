/**
 * Window geometry shared by the float evaluator and the quantizer: resolves ONNX auto_pad / pads / ceil_mode
 * into explicit begin/end pads and output sizes, so the integer program only ever sees explicit numbers.
 */
import { UnsupportedOperatorError } from "../errors";
import { type GraphNode, SUPPORTED_OPERATORS, attrInt, attrInts, attrString } from "../model/graph";

export interface Window2D {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] (ONNX order: begins then ends) */
  pads: [number, number, number, number];
  out: [number, number];
}

function unsupported(node: GraphNode, detail: string): never {
  throw new UnsupportedOperatorError(node.name, node.opType, SUPPORTED_OPERATORS, detail);
}

/**
 * Geometry of a 2-D Conv / MaxPool / AveragePool window over an [h, w] input.
 * `kernel` comes from the weights (Conv) or kernel_shape (pools). ceilMode only for pools.
 */
export function window2d(node: GraphNode, h: number, w: number, kernel: readonly number[], pool: boolean): Window2D {
  if (kernel.length !== 2) unsupported(node, `a ${kernel.length}-D kernel (only 2-D windows are supported)`);
  const k: [number, number] = [kernel[0], kernel[1]];
  const s = attrInts(node, "strides", [1, 1]);
  const d = attrInts(node, "dilations", [1, 1]);
  if (s.length !== 2 || d.length !== 2) unsupported(node, "strides/dilations that are not 2-D");
  if (s.some((v) => v < 1) || d.some((v) => v < 1)) unsupported(node, "non-positive strides or dilations");
  if (node.opType === "AveragePool" && (d[0] !== 1 || d[1] !== 1)) unsupported(node, "dilations other than 1");
  const ceil = pool ? attrInt(node, "ceil_mode", 0) : 0;
  const autoPad = attrString(node, "auto_pad", "NOTSET");
  const size = [h, w];
  const pads: [number, number, number, number] = [0, 0, 0, 0];
  const out: [number, number] = [0, 0];
  const explicit = attrInts(node, "pads", [0, 0, 0, 0]);
  if (autoPad === "NOTSET") {
    if (explicit.length !== 4 || explicit.some((p) => p < 0)) unsupported(node, `pads [${explicit.join(", ")}]`);
    for (let i = 0; i < 4; i++) pads[i] = explicit[i];
  }
  for (let a = 0; a < 2; a++) {
    const eff = (k[a] - 1) * d[a] + 1;
    if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
      const o = Math.ceil(size[a] / s[a]);
      const total = Math.max(0, (o - 1) * s[a] + eff - size[a]);
      const small = Math.floor(total / 2);
      pads[a] = autoPad === "SAME_UPPER" ? small : total - small;
      pads[a + 2] = total - pads[a];
      out[a] = o;
    } else if (autoPad === "VALID") {
      out[a] = Math.floor((size[a] - eff) / s[a]) + 1;
    } else if (autoPad === "NOTSET") {
      const span = size[a] + pads[a] + pads[a + 2] - eff;
      let o = (ceil ? Math.ceil(span / s[a]) : Math.floor(span / s[a])) + 1;
      // ceil_mode: a window that would start in the end padding is dropped
      if (ceil && (o - 1) * s[a] >= size[a] + pads[a]) o--;
      out[a] = o;
    } else unsupported(node, `auto_pad '${autoPad}'`);
    if (out[a] < 1) unsupported(node, `a window larger than its padded input (output size ${out[a]})`);
  }
  return { kernel: k, strides: [s[0], s[1]], dilations: [d[0], d[1]], pads, out };
}
