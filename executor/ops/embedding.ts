/**
 * Embedding: a constant table [vocab, ...] gathered along axis 0 by computed integer indices (token ids),
 * y[p, j] = table[floorMod(x[p] - zIndex, vocab), j] (NUMERICS §26.6). The lowering of ONNX Gather (gather.ts) emits
 * it when the data is an initializer and the indices are computed.
 *
 * The table's weights are stored column by column: weight row j holds table[:, j] (vocab int8 values). The one-step
 * verifier names the weight row an element needs before it reads S_k (`row(d, op, i)`), so the row must depend on
 * the element only: row j = i mod inner, and the kernel reads the index byte from S_k and then byte idx of that row.
 */
import { InvalidModelError } from "../errors";
import { type GraphNode, attrInt } from "../model/graph";
import { clampI8, rangeToQParams, unsupported } from "../quant/params";
import { embedding as embeddingKernel } from "../runtime/kernels/movement";
import { runPattern } from "../runtime/read-pattern";
import { MAX_DIM } from "../runtime/types";
import { type LoweringContext, defineOperator } from "./definition";
import { constFloat, normAxis } from "./movement";

export function lowerEmbedding(ctx: LoweringContext, node: GraphNode): void {
  const table = constFloat(ctx, node, 0)!;
  if (normAxis(node, attrInt(node, "axis", 0), table.dims.length) !== 0)
    unsupported(node, "a constant table gathered along an axis other than 0");
  const x = ctx.input(node, 1);
  if (x.q.scale !== 1)
    unsupported(node, "computed indices that are not integers (they must come from an integer graph input)");
  const vocab = table.dims[0];
  const inner = table.data.length / vocab;
  let lo = Infinity;
  let hi = -Infinity;
  for (const v of table.data) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
  }
  if (!Number.isFinite(lo)) throw new InvalidModelError(`node '${node.name}' (Gather): an empty table`);
  // the output is quantized as the table (per tensor, asymmetric): every gathered value within half a step
  const q = rangeToQParams(lo, hi);
  const weights = new Int8Array(vocab * inner);
  for (let v = 0; v < vocab; v++)
    for (let j = 0; j < inner; j++)
      weights[j * vocab + v] = clampI8(q.zeroPoint + Math.round(table.data[v * inner + j] / q.scale));
  ctx.emit(node.outputs[0], q, {
    op: "Embedding",
    inputs: [x.id],
    attrs: { vocab, inner, zIndex: x.q.zeroPoint },
    weights,
  });
}

export const embedding = defineOperator({
  op: "Embedding",
  onnx: {},
  maxInputs: 1,
  validate(c) {
    const vocab = c.scalar("vocab", 1, MAX_DIM);
    const inner = c.scalar("inner", 1, MAX_DIM);
    c.zeroPoint("zIndex");
    if (c.outSize !== c.inSize * inner) c.fail(`output size ${c.outSize} is not ${c.inSize} indices x ${inner}`);
    if (c.out[c.out.length - 1] === undefined) c.fail("rank");
    if (vocab * inner > MAX_DIM) c.fail("a table of more than 2^24 values");
    c.expect("weights", vocab * inner);
    c.absent("multiplier", "shift", "bias", "lut");
  },
  run: (layer, [x]) => embeddingKernel(layer, x),
  weightRows: (layer) => layer.attrs.inner as number,
  readPattern: () => runPattern("pointwise", 1, 1),
  reads(layer, [in0], i) {
    const inner = layer.attrs.inner as number;
    return { bytes: [in0 + Math.floor(i / inner)], row: i % inner };
  },
});
