/**
 * Gemm: y[r, o] = requant(bias[o] + sum_j w[o, j] * (x[r, j] - zIn)) over the input viewed as [rows, k]
 * (NUMERICS §5). ONNX Gemm (constant B and C, transA = 0) and MatMul by a constant 2-D matrix (executor/ops/matmul.ts)
 * become one.
 */
import { ShapeMismatchError } from "../errors";
import { type GraphNode, attrFloat, attrInt } from "../model/graph";
import { type FTensor, elementwise, floatOf } from "../quant/float-tensor";
import { unsupported } from "../quant/params";
import { gemm as gemmKernel } from "../runtime/kernels/gemm";
import { num, runPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import { type LoweringContext, defineOperator } from "./definition";
import { type LinearWeights, lowerLinear } from "./linear";
import { gemmIntermediates } from "./gemm-split";

/** ONNX Gemm in float: alpha * A' B' + beta * C, C broadcast to [M, N]. */
function gemmF(node: GraphNode, a: FTensor, b: FTensor, c: FTensor | undefined): FTensor {
  const transA = attrInt(node, "transA", 0) === 1;
  const transB = attrInt(node, "transB", 0) === 1;
  const alpha = attrFloat(node, "alpha", 1);
  const beta = attrFloat(node, "beta", 1);
  if (a.dims.length !== 2 || b.dims.length !== 2)
    throw new ShapeMismatchError(
      `node '${node.name}' (Gemm): operands must be 2-D, got [${a.dims.join(", ")}] and [${b.dims.join(", ")}]`,
    );
  const [M, K] = transA ? [a.dims[1], a.dims[0]] : [a.dims[0], a.dims[1]];
  const [K2, N] = transB ? [b.dims[1], b.dims[0]] : [b.dims[0], b.dims[1]];
  if (K !== K2) throw new ShapeMismatchError(`node '${node.name}' (Gemm): inner dimensions ${K} and ${K2} differ`);
  const out = [M, N];
  const cT = c ? elementwise(node, { dims: out, data: new Float32Array(M * N) }, c, (_z, v) => v) : undefined;
  const data = new Float32Array(M * N);
  for (let i = 0; i < M; i++)
    for (let j = 0; j < N; j++) {
      let acc = 0;
      for (let k = 0; k < K; k++)
        acc += (transA ? a.data[k * M + i] : a.data[i * K + k]) * (transB ? b.data[j * K + k] : b.data[k * N + j]);
      data[i * N + j] = alpha * acc + (cT ? beta * cT.data[i * N + j] : 0);
    }
  return { dims: out, data };
}

/** Gemm's B (times alpha) as output-channel rows, C (times beta) as the bias. */
function gemmWeights(ctx: LoweringContext, node: GraphNode): LinearWeights {
  if (attrInt(node, "transA", 0) === 1) unsupported(node, "transA = 1");
  const bt = ctx.constant(node.inputs[1]);
  if (!bt || bt.dtype !== "float32") unsupported(node, "a non-constant B operand");
  const transB = attrInt(node, "transB", 0) === 1;
  const alpha = attrFloat(node, "alpha", 1);
  const beta = attrFloat(node, "beta", 1);
  const [K, N] = transB ? [bt.dims[1], bt.dims[0]] : [bt.dims[0], bt.dims[1]];
  const w = new Float64Array(N * K);
  for (let o = 0; o < N; o++)
    for (let k = 0; k < K; k++) w[o * K + k] = alpha * (transB ? bt.data[o * K + k] : bt.data[k * N + o]);
  const b = new Float64Array(N);
  const ct = ctx.constant(node.inputs[2]);
  if (node.inputs[2] && !ct) unsupported(node, "a non-constant C operand");
  if (ct) {
    const cd = floatOf(ct);
    if (cd.data.length === N) for (let o = 0; o < N; o++) b[o] = beta * cd.data[o];
    else if (cd.data.length === 1) b.fill(beta * cd.data[0]);
    else unsupported(node, `a C operand of shape [${cd.dims.join(", ")}] (only per-column or scalar C)`);
  }
  return { op: "Gemm", rows: N, rowLen: K, w, b, attrs: { k: K, n: N }, channelAxisLast: true };
}

/** MatMul's constant 2-D right operand as output-channel rows, no bias (executor/ops/matmul.ts). */
export function matmulWeights(ctx: LoweringContext, node: GraphNode): LinearWeights {
  const bt = ctx.constant(node.inputs[1]);
  if (!bt || bt.dtype !== "float32")
    unsupported(node, "a non-constant right operand (only activations x constant matrices)");
  if (bt.dims.length !== 2) unsupported(node, `a rank-${bt.dims.length} right operand (only 2-D)`);
  const [K, N] = bt.dims;
  const w = new Float64Array(N * K);
  for (let o = 0; o < N; o++) for (let k = 0; k < K; k++) w[o * K + k] = bt.data[k * N + o];
  return { op: "Gemm", rows: N, rowLen: K, w, b: new Float64Array(N), attrs: { k: K, n: N }, channelAxisLast: true };
}

export const gemm = defineOperator({
  op: "Gemm",
  onnx: {
    Gemm: {
      float: (ctx, node) => gemmF(node, ctx.input(node, 0), ctx.input(node, 1), ctx.optional(node, 2)),
      lower: (ctx, node) => lowerLinear(ctx, node, () => gemmWeights(ctx, node)),
      intermediates: gemmIntermediates,
    },
  },
  maxInputs: 1,
  validate(c) {
    const k = c.scalar("k", 1, MAX_DIM);
    const n = c.scalar("n", 1, MAX_DIM);
    if (c.inSize % k !== 0 || c.outSize !== (c.inSize / k) * n || c.out[c.out.length - 1] !== n) c.fail("shapes");
    c.work((c.inSize / k) * n * k);
    c.zeroPoint("zIn");
    c.zeroPoint("zOut");
    c.clamp();
    c.expect("weights", n * k);
    c.expect("bias", n);
    c.requant(n);
    c.expect("lut", null);
    c.accumulator(k);
  },
  run: (layer, [x]) => gemmKernel(layer, x),
  weightRows: (layer) => num(layer.attrs.n),
  readPattern: (layer) => runPattern("Gemm", num(layer.attrs.k), num(layer.attrs.k)),
  reads(layer, [in0], i) {
    const k = layer.attrs.k as number;
    const n = layer.attrs.n as number;
    const start = in0 + Math.floor(i / n) * k;
    const bytes: number[] = [];
    for (let j = 0; j < k; j++) bytes.push(start + j);
    return { bytes, row: i % n };
  },
});
