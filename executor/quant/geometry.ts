/**
 * Window geometry shared by the float evaluator and the quantizer: resolves ONNX auto_pad / pads / ceil_mode
 * into explicit begin/end pads and output sizes, so the integer program only ever sees explicit numbers.
 */
import { UnsupportedOperatorError } from "../errors";
import { type GraphNode, SUPPORTED_OPERATORS, attrInt, attrInts, attrString } from "../model/graph";

/** The window of an N-D Conv / pool (n = 1, 2 or 3 spatial axes); `pads` is ONNX's [begins..., ends...]. */
export interface WindowNd {
  kernel: number[];
  strides: number[];
  dilations: number[];
  pads: number[];
  out: number[];
}

export interface Window2D {
  kernel: [number, number];
  strides: [number, number];
  dilations: [number, number];
  /** [top, left, bottom, right] (ONNX order: begins then ends) */
  pads: [number, number, number, number];
  out: [number, number];
}

/** The most spatial axes of a Conv / pool / ConvTranspose (1-D, 2-D and 3-D). */
export const MAX_SPATIAL = 3;

function unsupported(node: GraphNode, detail: string): never {
  throw new UnsupportedOperatorError(node.name, node.opType, SUPPORTED_OPERATORS, detail);
}

/**
 * Geometry of an N-D Conv / MaxPool / AveragePool window over an input of spatial `size`.
 * `kernel` comes from the weights (Conv) or kernel_shape (pools). ceilMode only for pools.
 */
export function windowNd(node: GraphNode, size: readonly number[], kernel: readonly number[], pool: boolean): WindowNd {
  const n = size.length;
  if (n < 1 || n > MAX_SPATIAL) unsupported(node, `a ${n}-D window (only 1-D, 2-D and 3-D)`);
  if (kernel.length !== n) unsupported(node, `a ${kernel.length}-D kernel over a ${n}-D input`);
  if (kernel.some((k) => k < 1)) unsupported(node, `kernel [${kernel.join(", ")}]`);
  const ones = new Array<number>(n).fill(1);
  const s = [...attrInts(node, "strides", ones)];
  const d = [...attrInts(node, "dilations", ones)];
  if (s.length !== n || d.length !== n) unsupported(node, `strides/dilations that are not ${n}-D`);
  if (s.some((v) => v < 1) || d.some((v) => v < 1)) unsupported(node, "non-positive strides or dilations");
  if (node.opType === "AveragePool" && d.some((v) => v !== 1)) unsupported(node, "dilations other than 1");
  const ceil = pool ? attrInt(node, "ceil_mode", 0) : 0;
  const autoPad = attrString(node, "auto_pad", "NOTSET");
  const pads = new Array<number>(2 * n).fill(0);
  const out = new Array<number>(n).fill(0);
  const explicit = attrInts(node, "pads", new Array<number>(2 * n).fill(0));
  if (autoPad === "NOTSET") {
    if (explicit.length !== 2 * n || explicit.some((p) => p < 0)) unsupported(node, `pads [${explicit.join(", ")}]`);
    for (let i = 0; i < 2 * n; i++) pads[i] = explicit[i];
  }
  for (let a = 0; a < n; a++) {
    const eff = (kernel[a] - 1) * d[a] + 1;
    if (autoPad === "SAME_UPPER" || autoPad === "SAME_LOWER") {
      const o = Math.ceil(size[a] / s[a]);
      const total = Math.max(0, (o - 1) * s[a] + eff - size[a]);
      const small = Math.floor(total / 2);
      pads[a] = autoPad === "SAME_UPPER" ? small : total - small;
      pads[a + n] = total - pads[a];
      out[a] = o;
    } else if (autoPad === "VALID") {
      out[a] = Math.floor((size[a] - eff) / s[a]) + 1;
    } else if (autoPad === "NOTSET") {
      const span = size[a] + pads[a] + pads[a + n] - eff;
      let o = (ceil ? Math.ceil(span / s[a]) : Math.floor(span / s[a])) + 1;
      // ceil_mode: a window that would start in the end padding is dropped
      if (ceil && (o - 1) * s[a] >= size[a] + pads[a]) o--;
      out[a] = o;
    } else unsupported(node, `auto_pad '${autoPad}'`);
    if (out[a] < 1) unsupported(node, `a window larger than its padded input (output size ${out[a]})`);
  }
  return { kernel: [...kernel], strides: s, dilations: d, pads, out };
}

/**
 * A 1-D window as the 2-D window of a height-1 plane (kernel 1, stride 1, dilation 1, no padding along y): the
 * program's 2-D operators run 1-D layers unchanged.
 */
export function as2d(g: WindowNd): Window2D {
  if (g.kernel.length === 2) {
    const [pt, pl, pb, pr] = g.pads;
    return {
      kernel: [g.kernel[0], g.kernel[1]],
      strides: [g.strides[0], g.strides[1]],
      dilations: [g.dilations[0], g.dilations[1]],
      pads: [pt, pl, pb, pr],
      out: [g.out[0], g.out[1]],
    };
  }
  return {
    kernel: [1, g.kernel[0]],
    strides: [1, g.strides[0]],
    dilations: [1, g.dilations[0]],
    pads: [0, g.pads[0], 0, g.pads[1]],
    out: [1, g.out[0]],
  };
}

/** Geometry of a 2-D Conv / MaxPool / AveragePool window over an [h, w] input. */
export function window2d(node: GraphNode, h: number, w: number, kernel: readonly number[], pool: boolean): Window2D {
  if (kernel.length !== 2) unsupported(node, `a ${kernel.length}-D kernel (only 2-D windows are supported)`);
  return as2d(windowNd(node, [h, w], kernel, pool));
}
