/**
 * Emitting a chain of existing layers for one node (its split form, NUMERICS §27): a binary layer (Add, Sub, Mul,
 * Div) with ONNX broadcasting between two computed tensors or a computed tensor and a constant, and a table (Lut),
 * each producing a named intermediate tensor that the next layer of the chain reads.
 */
import { type QParams } from "../runtime/types";
import { quantizeRows } from "../quant/params";
import { binaryRequant } from "./binary";
import type { LoweringContext, QuantTensor } from "./definition";
import { divRequant } from "./div";
import { tableOf } from "./unary";

/** A constant operand: its float values, laid out in the row-major order of `dims`. */
export interface ConstOperand {
  values: Float64Array;
  dims: readonly number[];
}

function padTo(dims: readonly number[], rank: number): number[] {
  return [...new Array<number>(rank - dims.length).fill(1), ...dims];
}

/**
 * Emits `name = a op b` of shape `dims` quantized with `q`; `b` is a computed tensor or a constant (quantized
 * symmetric per tensor into the layer's weight row, zero point 0, as ONNX's constant operands are). Returns the
 * tensor.
 */
export function emitBinary(
  ctx: LoweringContext,
  name: string,
  op: "Add" | "Sub" | "Mul" | "Div",
  a: QuantTensor,
  b: QuantTensor | ConstOperand,
  q: QParams,
  dims: readonly number[],
): QuantTensor {
  let qb: QParams;
  let bShape: readonly number[];
  let weights: Int8Array | undefined;
  if ("values" in b) {
    const { q: w, scales } = quantizeRows(b.values, 1, b.values.length);
    qb = { scale: scales[0], zeroPoint: 0 };
    bShape = b.dims;
    weights = w;
  } else {
    qb = b.q;
    bShape = b.dims;
  }
  const attrs: Record<string, number | number[]> = {
    aShape: padTo(a.dims, dims.length),
    bShape: padTo(bShape, dims.length),
    zA: a.q.zeroPoint,
    zB: qb.zeroPoint,
    zOut: q.zeroPoint,
  };
  if (weights) attrs.constSide = 1;
  const requant = op === "Div" ? divRequant(a.q, qb, q) : binaryRequant(op, a.q, qb, q, name);
  const inputs = "values" in b ? [a.id] : [a.id, b.id];
  ctx.emit(name, q, { op, inputs, attrs, ...(weights ? { weights } : {}), ...requant }, dims);
  return tensorOf(ctx, name);
}

/** Emits `name = f(x)` as a table (NUMERICS §10) quantized with `q`; returns the tensor. */
export function emitLut(
  ctx: LoweringContext,
  name: string,
  x: QuantTensor,
  f: (v: number) => number,
  q: QParams,
): QuantTensor {
  ctx.emit(name, q, { op: "Lut", inputs: [x.id], attrs: {}, lut: tableOf(f, x.q, q) }, x.dims);
  return tensorOf(ctx, name);
}

/** The tensor `name` a chain has emitted (its id, quantization and dims). */
export function tensorOf(ctx: LoweringContext, name: string): QuantTensor {
  return ctx.input({ name, opType: "", inputs: [name], outputs: [], attributes: {} }, 0);
}
