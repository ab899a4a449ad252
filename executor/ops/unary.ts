/**
 * The unary activations, each a real function of one value: as a program layer every one of them is a `Lut`, the
 * function tabulated over the 256 input codes at quantization (NUMERICS §10). This module holds the functions (ONNX
 * semantics, float64) and the rule that turns any of them into a table; `lut.ts` lists the ONNX types.
 */
import { InvalidModelError } from "../errors";
import { type Graph, type GraphNode, type Tensor, attrFloat, attrString } from "../model/graph";
import { map } from "../quant/float-tensor";
import { clampI8 } from "../quant/params";
import type { QParams } from "../runtime/types";
import type { LoweringContext, NodeRule, QuantTensor } from "./definition";

/** An activation: the real function, and the output quantization when it is fixed (else the calibrated one). */
export interface Activation {
  f: (v: number) => number;
  q?: QParams;
}

/**
 * The error function, to float64 precision where it matters for a float32 result: its Taylor series below 4 (the
 * terms stay under 2^17, so cancellation costs at most 1e-11), and +-1 beyond (1 - erf(4) < 2e-8 is below float32's
 * half ulp of 1).
 */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const a = Math.abs(x);
  if (a >= 4) return Math.sign(x);
  // erf(x) = 2/sqrt(pi) * sum_n (-1)^n x^(2n+1) / (n! (2n+1))
  let term = a;
  let sum = a;
  const x2 = a * a;
  for (let n = 1; n < 200; n++) {
    term *= -x2 / n;
    const t = term / (2 * n + 1);
    sum += t;
    if (Math.abs(t) < 1e-17 * Math.abs(sum)) break;
  }
  return Math.sign(x) * Math.min(1, (2 / Math.sqrt(Math.PI)) * sum);
}

// ONNX's defaults, as the float32 values the spec states
const SELU_ALPHA = 1.67326319217681884765625;
const SELU_GAMMA = 1.05070102214813232421875;

/** ONNX Gelu (opset 20): 0.5 x (1 + erf(x / sqrt 2)), or with approximate = "tanh" the tanh form. */
export function gelu(node: GraphNode): (v: number) => number {
  const approximate = attrString(node, "approximate", "none");
  if (approximate === "none") return (v) => 0.5 * v * (1 + erf(v / Math.SQRT2));
  if (approximate === "tanh") {
    const k = Math.sqrt(2 / Math.PI);
    return (v) => 0.5 * v * (1 + Math.tanh(k * (v + 0.044715 * v * v * v)));
  }
  throw new InvalidModelError(`node '${node.name}' (Gelu): approximate must be "none" or "tanh", not "${approximate}"`);
}

/** The activations whose function depends only on the node's attributes, by ONNX type. */
export const ACTIVATIONS: Readonly<Record<string, (graph: Graph, node: GraphNode) => Activation>> = {
  LeakyRelu: (_g, node) => {
    const alpha = attrFloat(node, "alpha", 0.01);
    return { f: (v) => (v >= 0 ? v : alpha * v) };
  },
  // outputs in (0, 1) and (-1, 1): fixed scales that cover them exactly
  Sigmoid: () => ({ f: (v) => 1 / (1 + Math.exp(-v)), q: { scale: 1 / 256, zeroPoint: -128 } }),
  Tanh: () => ({ f: Math.tanh, q: { scale: 1 / 128, zeroPoint: 0 } }),
  Sqrt: () => ({ f: Math.sqrt }),
  Exp: () => ({ f: Math.exp }),
  Neg: () => ({ f: (v) => -v }),
  Abs: () => ({ f: Math.abs }),
  Erf: () => ({ f: erf }),
  Gelu: (_g, node) => ({ f: gelu(node) }),
  Elu: (_g, node) => {
    const alpha = attrFloat(node, "alpha", 1);
    return { f: (v) => (v < 0 ? alpha * (Math.exp(v) - 1) : v) };
  },
  Selu: (_g, node) => {
    const alpha = attrFloat(node, "alpha", SELU_ALPHA);
    const gamma = attrFloat(node, "gamma", SELU_GAMMA);
    return { f: (v) => (v > 0 ? gamma * v : gamma * (alpha * Math.exp(v) - alpha)) };
  },
  // ln(1 + e^v), without overflow for large v
  Softplus: () => ({ f: (v) => (v > 30 ? v : Math.log1p(Math.exp(v))) }),
  Softsign: () => ({ f: (v) => v / (1 + Math.abs(v)) }),
  HardSigmoid: (_g, node) => {
    const alpha = attrFloat(node, "alpha", 0.2);
    const beta = attrFloat(node, "beta", 0.5);
    return { f: (v) => Math.max(0, Math.min(1, alpha * v + beta)) };
  },
  HardSwish: () => ({ f: (v) => v * Math.max(0, Math.min(1, v / 6 + 0.5)) }),
};

/**
 * The table of f over the 256 codes of `x`, quantized with `q`:
 * lut[i] = sat8(zOut + round(f(scaleIn * (i - 128 - zIn)) / scaleOut)), round half up; a NaN (Sqrt of a negative
 * value, 0/0) is real 0, i.e. zOut, and +-Infinity saturates.
 */
export function tableOf(f: (v: number) => number, x: QParams, q: QParams): Int8Array {
  const table = new Int8Array(256);
  for (let i = 0; i < 256; i++) {
    const v = f(x.scale * (i - 128 - x.zeroPoint)) / q.scale;
    table[i] = Number.isNaN(v) ? q.zeroPoint : clampI8(q.zeroPoint + Math.round(v));
  }
  return table;
}

/** Emits the Lut layer of f applied to `x`, producing `out` (quantized as `fixed`, else as calibrated). */
export function emitTable(
  ctx: LoweringContext,
  out: string,
  x: QuantTensor,
  f: (v: number) => number,
  fixed?: QParams,
): void {
  const q = fixed ?? ctx.qparams(out);
  ctx.emit(out, q, { op: "Lut", inputs: [x.id], attrs: {}, lut: tableOf(f, x.q, q) });
}

/** The rule of an activation: its float reference and its table. */
export function activationRule(activation: (graph: Graph, node: GraphNode) => Activation): NodeRule {
  return {
    float(ctx, node) {
      const { f } = activation(ctx.graph, node);
      return map(ctx.input(node, 0), f);
    },
    lower(ctx, node) {
      const { f, q } = activation(ctx.graph, node);
      emitTable(ctx, node.outputs[0], ctx.input(node, 0), f, q);
    },
  };
}

/** The one value of a constant whose entries are all equal (a scalar in effect), else undefined. */
export function uniformValue(t: Tensor): number | undefined {
  if (t.data.length === 0) return undefined;
  const v = Number(t.data[0]);
  for (let k = 1; k < t.data.length; k++) if (Number(t.data[k]) !== v) return undefined;
  return v;
}
