/** Transpose: output axis d is input axis perm[d] (NUMERICS §13). */
import { InvalidModelError } from "../errors";
import { type GraphNode, attrInts } from "../model/graph";
import type { FTensor } from "../quant/float-tensor";
import { transpose as transposeKernel } from "../runtime/kernels/shape";
import { shapeSize, tensorShape } from "../runtime/layout";
import { runPattern } from "../runtime/read-pattern";
import { defineOperator } from "./definition";

/** The node's permutation (ONNX default: the axes reversed). */
function transposePerm(node: GraphNode, rank: number): number[] {
  const perm = attrInts(node, "perm", [...Array(rank).keys()].reverse());
  if (perm.length !== rank || new Set(perm).size !== rank || perm.some((p) => p < 0 || p >= rank)) {
    throw new InvalidModelError(
      `node '${node.name}' (Transpose): perm [${perm.join(", ")}] is not a permutation of rank ${rank}`,
    );
  }
  return [...perm];
}

/** ONNX Transpose in float. */
function transposeF(x: FTensor, perm: number[]): FTensor {
  const rank = x.dims.length;
  const out = perm.map((p) => x.dims[p]);
  const inStr = new Array<number>(rank);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    inStr[d] = s;
    s *= x.dims[d];
  }
  const data = new Float32Array(x.data.length);
  for (let i = 0; i < data.length; i++) {
    let rem = i;
    let src = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const k = rem % out[d];
      rem = Math.floor(rem / out[d]);
      src += k * inStr[perm[d]];
    }
    data[i] = x.data[src];
  }
  return { dims: out, data };
}

export const transpose = defineOperator({
  op: "Transpose",
  onnx: {
    Transpose: {
      float(ctx, node) {
        const x = ctx.input(node, 0);
        return transposeF(x, transposePerm(node, x.dims.length));
      },
      lower(ctx, node) {
        const x = ctx.input(node, 0);
        ctx.emit(node.outputs[0], x.q, {
          op: "Transpose",
          inputs: [x.id],
          attrs: { perm: transposePerm(node, x.dims.length) },
        });
      },
    },
  },
  maxInputs: 1,
  validate(c) {
    const { inShape, out } = c;
    const perm = c.ints("perm", inShape.length, 0, inShape.length - 1);
    if (
      new Set(perm).size !== perm.length ||
      perm.some((pd, d) => inShape[pd] !== out[d]) ||
      out.length !== inShape.length
    ) {
      c.fail("perm");
    }
    c.absent("weights", "multiplier", "shift", "bias", "lut");
  },
  run: (layer, [x], p) => transposeKernel(layer, x, tensorShape(p, layer.inputs[0])),
  readPattern: () => runPattern("pointwise", 1, 1),
  reads(layer, [in0], i, p) {
    const inShape = tensorShape(p, layer.inputs[0]);
    const perm = layer.attrs.perm as number[];
    const out = layer.outShape;
    let rem = i;
    let j = 0;
    for (let d = out.length - 1; d >= 0; d--) {
      const idx = rem % out[d];
      rem = Math.floor(rem / out[d]);
      j += idx * shapeSize(inShape.slice(perm[d] + 1));
    }
    return { bytes: [in0 + j], row: null };
  },
});
