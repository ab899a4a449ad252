/**
 * MatMul in N-D with ONNX batch broadcasting (NUMERICS §23). By a constant 2-D right operand it is a Gemm layer
 * (executor/ops/gemm.ts, per-column weights, fusions); otherwise a MatMul layer: two computed operands (attention's
 * Q x K^T and scores x V), or one computed and one constant operand (left, or N-D right) held as the layer's weights.
 */
import { ShapeMismatchError } from "../errors";
import type { GraphNode } from "../model/graph";
import { type FTensor, broadcastShape, padShape } from "../quant/float-tensor";
import { quantizeMultiplier, unsupported } from "../quant/params";
import { batchOffsets, matmul as matmulKernel, matmulGeometry } from "../runtime/kernels/matmul";
import { shapeSize } from "../runtime/layout";
import { runPattern } from "../runtime/read-pattern";
import { MAX_ACCUMULATOR, MAX_DIM, MAX_MULTIPLIER, MAX_SHIFT, MIN_SHIFT } from "../runtime/types";
import type { LayerCheck } from "./check";
import { binaryOperands } from "./operands";
import { type LoweringContext, defineOperator } from "./definition";
import { matmulWeights } from "./gemm";
import { gemmIntermediates } from "./gemm-split";
import { lowerLinear } from "./linear";

/** The operand shapes as ONNX reads them: a 1-D A is [1, K], a 1-D B is [K, 1]. */
function promote(a: readonly number[], b: readonly number[]): { a2: number[]; b2: number[] } {
  return { a2: a.length === 1 ? [1, a[0]] : [...a], b2: b.length === 1 ? [b[0], 1] : [...b] };
}

/** Both operands padded to one rank R >= 2, and the output shape ONNX gives (1-D operands' axes dropped). */
export function matmulShapes(
  node: GraphNode,
  a: readonly number[],
  b: readonly number[],
): { aShape: number[]; bShape: number[]; out: number[] } {
  if (a.length < 1 || b.length < 1) unsupported(node, "a scalar operand");
  const { a2, b2 } = promote(a, b);
  const r = Math.max(a2.length, b2.length);
  const aShape = padShape(a2, r);
  const bShape = padShape(b2, r);
  if (aShape[r - 1] !== bShape[r - 2])
    throw new ShapeMismatchError(
      `node '${node.name}' (MatMul): inner dimensions ${aShape[r - 1]} and ${bShape[r - 2]} of [${a.join(", ")}] and [${b.join(", ")}] differ`,
    );
  const batch = broadcastShape(node, aShape.slice(0, r - 2), bShape.slice(0, r - 2));
  const out = [...batch];
  if (a.length > 1) out.push(aShape[r - 2]);
  if (b.length > 1) out.push(bShape[r - 1]);
  return { aShape, bShape, out };
}

/** ONNX MatMul in float (numpy.matmul semantics). */
function matmulF(node: GraphNode, a: FTensor, b: FTensor): FTensor {
  const { aShape, bShape, out } = matmulShapes(node, a.dims, b.dims);
  const g = matmulGeometry({ op: "MatMul", inputs: [], output: 0, outShape: out, attrs: { aShape, bShape } });
  const batches = shapeSize(g.batch);
  const data = new Float32Array(batches * g.m * g.n);
  for (let t = 0; t < batches; t++) {
    const [oa, ob] = batchOffsets(g, t);
    for (let i = 0; i < g.m; i++)
      for (let j = 0; j < g.n; j++) {
        let acc = 0;
        for (let k = 0; k < g.k; k++) acc += a.data[oa + i * g.k + k] * b.data[ob + k * g.n + j];
        data[(t * g.m + i) * g.n + j] = acc;
      }
  }
  return { dims: out, data };
}

function lowerMatMul(ctx: LoweringContext, node: GraphNode): void {
  const ca = ctx.constant(node.inputs[0]);
  const cb = ctx.constant(node.inputs[1]);
  if (ca && cb) unsupported(node, "two constant operands (fold them before export)");
  if (cb && cb.dims.length === 2) {
    lowerLinear(ctx, node, () => matmulWeights(ctx, node));
    return;
  }
  const out = node.outputs[0];
  const q = ctx.qparams(out);
  const shapeA = ca ? [...ca.dims] : ctx.input(node, 0).dims;
  const shapeB = cb ? [...cb.dims] : ctx.input(node, 1).dims;
  const { aShape, bShape } = matmulShapes(node, shapeA, shapeB);
  const attrs: Record<string, number | number[]> = { aShape, bShape, zOut: q.zeroPoint };
  const { inputs, weights, constSide, qa, qb } = binaryOperands(ctx, node, ca, cb);
  if (constSide !== undefined) attrs.constSide = constSide;
  attrs.zA = qa.zeroPoint;
  attrs.zB = qb.zeroPoint;
  const [m, s] = quantizeMultiplier((qa.scale * qb.scale) / q.scale);
  ctx.emit(out, q, {
    op: "MatMul",
    inputs,
    attrs,
    ...(weights ? { weights } : {}),
    multiplier: Int32Array.of(m),
    shift: Int32Array.of(s),
  });
}

export const matMul = defineOperator({
  op: "MatMul",
  onnx: {
    MatMul: {
      float: (ctx, node) => matmulF(node, ctx.input(node, 0), ctx.input(node, 1)),
      lower: lowerMatMul,
      // by a constant 2-D matrix (a Gemm layer): partial products when the row is too long (NUMERICS §27.3)
      intermediates: gemmIntermediates,
    },
  },
  maxInputs: 2,
  validate(c: LayerCheck) {
    const a = c.layer.attrs.aShape;
    const r = Array.isArray(a) ? a.length : 0;
    if (r < 2 || r > 8) c.fail("attribute 'aShape' must have 2 to 8 dims");
    const aShape = c.ints("aShape", r, 1, MAX_DIM);
    const bShape = c.ints("bShape", r, 1, MAX_DIM);
    const [m, k, n] = [aShape[r - 2], aShape[r - 1], bShape[r - 1]];
    if (bShape[r - 2] !== k) c.fail("inner dimensions differ");
    let batches = 1;
    for (let d = 0; d < r - 2; d++) {
      if (aShape[d] !== bShape[d] && aShape[d] !== 1 && bShape[d] !== 1) c.fail("batch dims do not broadcast");
      batches *= Math.max(aShape[d], bShape[d]);
    }
    if (c.outSize !== batches * m * n) c.fail("output shape");
    c.zeroPoint("zA");
    c.zeroPoint("zB");
    c.zeroPoint("zOut");
    if (c.nIn === 2) {
      if (c.inSize !== shapeSize(aShape) || shapeSize(c.shapeOf(c.layer.inputs[1])) !== shapeSize(bShape))
        c.fail("operand sizes");
      if (c.layer.attrs.constSide !== undefined) c.fail("unexpected 'constSide'");
      c.expect("weights", null);
    } else {
      const side = c.scalar("constSide", 0, 1);
      if (c.inSize !== shapeSize(side === 0 ? bShape : aShape)) c.fail("operand sizes");
      c.expect("weights", shapeSize(side === 0 ? aShape : bShape));
      if (side === 0 ? c.layer.attrs.zA !== 0 : c.layer.attrs.zB !== 0) c.fail("a constant operand's zero point is 0");
    }
    c.work(batches * m * n * k);
    if (k * 255 * 255 >= MAX_ACCUMULATOR) c.fail("accumulator bound exceeds 2^37");
    const mu = c.layer.multiplier;
    const s = c.layer.shift;
    if (!mu || mu.length !== 1 || !s || s.length !== 1) c.fail("multiplier/shift must have 1 entry");
    if (mu[0] < 0 || mu[0] >= MAX_MULTIPLIER) c.fail(`multiplier ${mu[0]} outside [0, 2^15)`);
    if (s[0] < MIN_SHIFT || s[0] > MAX_SHIFT) c.fail(`shift ${s[0]} outside [${MIN_SHIFT}, ${MAX_SHIFT}]`);
    c.expect("bias", null);
    c.expect("lut", null);
  },
  run: (layer, [x0, x1]) => matmulKernel(layer, x0, x1),
  readPattern(layer) {
    const g = matmulGeometry(layer);
    const side = layer.attrs.constSide;
    // A's row: K consecutive bytes (one range check); B's column: K taps N bytes apart.
    const rowA = runPattern("MatMul", g.k, g.k);
    const colB = { ...runPattern("MatMul", g.k, 1), planes: g.k, planeStride: g.n, rowChunks: 1 };
    if (side === 0) return colB;
    if (side === 1) return rowA;
    return { ...rowA, reads: 2 * g.k, extra: { ...colB, reads: 0 } };
  },
  reads(layer, inOff, i) {
    const g = matmulGeometry(layer);
    const side = layer.attrs.constSide;
    const j = i % g.n;
    const row = Math.floor(i / g.n) % g.m;
    const [oa, ob] = batchOffsets(g, Math.floor(i / (g.n * g.m)));
    const bytes: number[] = [];
    const spans: [number, number][] = [];
    if (side !== 0) {
      const start = inOff[0] + oa + row * g.k;
      for (let k = 0; k < g.k; k++) bytes.push(start + k);
      spans.push([start, start + g.k - 1]);
    }
    if (side !== 1) {
      const base = inOff[side === 0 ? 0 : 1] + ob + j;
      for (let k = 0; k < g.k; k++) bytes.push(base + k * g.n);
    }
    return { bytes, row: side === undefined ? null : 0, spans };
  },
});
