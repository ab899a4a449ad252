import { GraphBuilder, tensorF32, tensorI64 } from "../../executor/model/builder";
import type { Graph } from "../../executor/model/graph";
import { encodeOnnx } from "../../executor/model/onnx";
import { LN_EPS, type LmConfig, type NamedArray, VOCAB } from "./params";

/** The graph input (int64 bytes [1, context]) and output (float logits [1, 256]) names. */
export const LM_INPUT_NAME = "input_ids";
export const LM_OUTPUT_NAME = "logits";
/** ONNX TensorProto.DataType BOOL, for the Cast of the causal mask. */
const ONNX_BOOL = 9;

/**
 * The trained model as an opset-17 float ONNX graph, in the form PyTorch exports a transformer:
 *
 *   Gather(tok_emb, input_ids) + pos_emb
 *   per block:  LayerNormalization -> MatMul+Add (Q, K, V) -> Reshape [1, C, H, dh] -> Transpose
 *               -> MatMul (Q K^T) -> Where(causal, scores, maskValue) -> Softmax -> MatMul (V)
 *               -> Transpose -> Reshape -> MatMul+Add (out) -> residual Add
 *               -> LayerNormalization -> MatMul+Add -> GELU (Div, Erf, Add, Mul, Mul) -> MatMul+Add -> residual Add
 *   LayerNormalization -> MatMul+Add (head) -> logits [1, 256]
 *
 * Only the logits of the last position are wanted, so the last block gathers the last position (Gather, constant
 * index C-1 on axis 1) right after its first LayerNorm: K and V are computed over the whole window, but Q, the
 * attention output, the MLP, the final LayerNorm and the head only for that one position (there is nothing to mask
 * in that block: the last position sees every position). The result is exactly the training model's logits at the
 * last position. The 1/sqrt(dh) attention scale is folded into the Q weights and bias.
 *
 * The causal mask is `Where(cond, scores, maskValue[l])`: the condition is a constant (an int64 lower-triangular
 * initializer Cast to bool, folded at import), the masked value a finite per-block constant chosen well below every
 * real score (see `maskValues`): a finite value keeps the quantizer's calibrated range of the scores tight, while
 * exp(maskValue - score) stays negligible.
 */
export function lmToGraph(config: LmConfig, params: readonly NamedArray[], maskValues: readonly number[]): Graph {
  const { context: C, width: d, heads: H, layers } = config;
  const dh = d / H;
  const p = new Map(params.map((a) => [a.name, a]));
  const get = (name: string): NamedArray => {
    const a = p.get(name);
    if (!a) throw new RangeError(`lmToGraph: parameter '${name}' missing`);
    return a;
  };
  const b = new GraphBuilder("byte-lm", 17);
  const init = (name: string, dims: readonly number[], values: ArrayLike<number>): string =>
    b.initializer(name, tensorF32(dims, values));
  const param = (name: string): string => init(name, get(name).dims, get(name).values);
  const linear = (x: string, w: string, bias: string, id: string): string =>
    b.node(
      "Add",
      [b.node("MatMul", [x, param(w)], {}, { name: `${id}.matmul` }), param(bias)],
      {},
      { name: `${id}.add` },
    );
  const layerNorm = (x: string, prefix: string): string =>
    b.node(
      "LayerNormalization",
      [x, param(`${prefix}.scale`), param(`${prefix}.bias`)],
      { axis: -1, epsilon: LN_EPS },
      {
        name: prefix,
      },
    );

  const ids = b.input(LM_INPUT_NAME, [1, C], "int64");
  const tok = b.node("Gather", [param("tok_emb"), ids], { axis: 0 }, { name: "tok_emb.gather" });
  let h = b.node("Add", [tok, init("pos_emb", [1, C, d], get("pos_emb").values)], {}, { name: "pos_emb.add" });

  const headsShape = b.initializer("shape.heads", tensorI64([4], [1, C, H, dh]));
  const mergedShape = b.initializer("shape.merged", tensorI64([3], [1, C, d]));
  const lastHeadShape = b.initializer("shape.last_heads", tensorI64([4], [1, H, 1, dh]));
  const lastShape = b.initializer("shape.last", tensorI64([2], [1, d]));
  const lastIndex = b.initializer("index.last", tensorI64([], [C - 1]));
  const tril = new Array<number>(C * C).fill(0);
  for (let i = 0; i < C; i++) for (let j = 0; j <= i; j++) tril[i * C + j] = 1;
  const causal = b.node(
    "Cast",
    [b.initializer("causal.tril", tensorI64([C, C], tril))],
    { to: ONNX_BOOL },
    {
      name: "causal.cast",
    },
  );
  const scale = 1 / Math.sqrt(dh);

  for (let l = 0; l < layers; l++) {
    const n = `block${l}`;
    const last = l === layers - 1;
    const a = layerNorm(h, `${n}.ln1`);
    // Q with the 1/sqrt(dh) scale folded in
    const wq = get(`${n}.attn.wq`);
    const bq = get(`${n}.attn.bq`);
    const wqName = init(
      `${n}.attn.wq`,
      wq.dims,
      wq.values.map((v) => v * scale),
    );
    const bqName = init(
      `${n}.attn.bq`,
      bq.dims,
      bq.values.map((v) => v * scale),
    );
    const toHeads = (x: string, id: string): string =>
      b.node(
        "Transpose",
        [b.node("Reshape", [x, headsShape], {}, { name: `${id}.reshape` })],
        { perm: [0, 2, 1, 3] },
        {
          name: `${id}.transpose`,
        },
      );
    const k = toHeads(linear(a, `${n}.attn.wk`, `${n}.attn.bk`, `${n}.attn.k`), `${n}.attn.k`);
    const v = toHeads(linear(a, `${n}.attn.wv`, `${n}.attn.bv`, `${n}.attn.v`), `${n}.attn.v`);
    const kT = b.node("Transpose", [k], { perm: [0, 1, 3, 2] }, { name: `${n}.attn.kT` });
    let attnIn = a;
    let residual = h;
    if (last) {
      attnIn = b.node("Gather", [a, lastIndex], { axis: 1 }, { name: `${n}.ln1.last` });
      residual = b.node("Gather", [h, lastIndex], { axis: 1 }, { name: `${n}.residual.last` });
    }
    const qLin = b.node(
      "Add",
      [b.node("MatMul", [attnIn, wqName], {}, { name: `${n}.attn.q.matmul` }), bqName],
      {},
      {
        name: `${n}.attn.q.add`,
      },
    );
    const q = last
      ? b.node("Reshape", [qLin, lastHeadShape], {}, { name: `${n}.attn.q.reshape` })
      : toHeads(qLin, `${n}.attn.q`);
    let scores = b.node("MatMul", [q, kT], {}, { name: `${n}.attn.scores` });
    if (!last) {
      const masked = b.initializer(`${n}.attn.mask_value`, tensorF32([], [maskValues[l]]));
      scores = b.node("Where", [causal, scores, masked], {}, { name: `${n}.attn.mask` });
    }
    const probs = b.node("Softmax", [scores], { axis: -1 }, { name: `${n}.attn.softmax` });
    const ctx = b.node("MatMul", [probs, v], {}, { name: `${n}.attn.context` });
    const merged = last
      ? b.node("Reshape", [ctx, lastShape], {}, { name: `${n}.attn.merge` })
      : b.node(
          "Reshape",
          [b.node("Transpose", [ctx], { perm: [0, 2, 1, 3] }, { name: `${n}.attn.context.transpose` }), mergedShape],
          {},
          { name: `${n}.attn.merge` },
        );
    h = b.node(
      "Add",
      [residual, linear(merged, `${n}.attn.wo`, `${n}.attn.bo`, `${n}.attn.out`)],
      {},
      {
        name: `${n}.attn.residual`,
      },
    );
    const m = layerNorm(h, `${n}.ln2`);
    const up = linear(m, `${n}.mlp.w1`, `${n}.mlp.b1`, `${n}.mlp.up`);
    // GELU, erf form, as torch.onnx writes nn.GELU() at opset 17
    const sqrt2 = b.initializer(`${n}.gelu.sqrt2`, tensorF32([], [Math.SQRT2]));
    const one = b.initializer(`${n}.gelu.one`, tensorF32([], [1]));
    const half = b.initializer(`${n}.gelu.half`, tensorF32([], [0.5]));
    const erf = b.node(
      "Erf",
      [b.node("Div", [up, sqrt2], {}, { name: `${n}.gelu.div` })],
      {},
      { name: `${n}.gelu.erf` },
    );
    const g = b.node(
      "Mul",
      [
        b.node("Mul", [up, b.node("Add", [erf, one], {}, { name: `${n}.gelu.add` })], {}, { name: `${n}.gelu.mul` }),
        half,
      ],
      {},
      { name: `${n}.gelu.out` },
    );
    h = b.node("Add", [h, linear(g, `${n}.mlp.w2`, `${n}.mlp.b2`, `${n}.mlp.down`)], {}, { name: `${n}.mlp.residual` });
  }
  const f = layerNorm(h, "lnf");
  const logits = b.node(
    "Add",
    [b.node("MatMul", [f, param("head.w")], {}, { name: "head.matmul" }), param("head.b")],
    {},
    {
      name: "head.add",
      outputs: [LM_OUTPUT_NAME],
    },
  );
  b.output(logits, [1, VOCAB]);
  return b.build();
}

/** `lmToGraph` encoded as ONNX ModelProto bytes. */
export function exportLmOnnx(
  config: LmConfig,
  params: readonly NamedArray[],
  maskValues: readonly number[],
): Uint8Array {
  return encodeOnnx(lmToGraph(config, params, maskValues), { producerName: "verity-train-lm" });
}
