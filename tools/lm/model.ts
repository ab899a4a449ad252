import * as tf from "@tensorflow/tfjs";
import { LN_EPS, type LmConfig, VOCAB } from "./params";

/**
 * The byte-level language model in TensorFlow.js: a pre-LayerNorm decoder-only transformer over bytes
 * (vocabulary 256), learned token and position embeddings, causal multi-head self-attention, a GELU (erf form)
 * MLP, a final LayerNorm and an untied output projection to 256 logits. The same arithmetic is exported to ONNX
 * by `export.ts`.
 */

type Params = Record<string, tf.Tensor>;

/** Swaps the last two axes. */
function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  perm[perm.length - 2] = perm.length - 1;
  perm[perm.length - 1] = perm.length - 2;
  return tf.transpose(t, perm);
}

/**
 * a @ b with the gradients computed by plain (untransposed) matrix products on explicitly transposed operands:
 * the WebAssembly backend's transposed MatMul paths are about 20 times slower than its plain one.
 */
const mm = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [
      tf.matMul(dy, swapLast(saved[1])),
      tf.matMul(swapLast(saved[0]), dy),
    ],
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

function layerNorm(x: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, LN_EPS))), scale), bias);
}

function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/** Logits [batch, context, 256] for byte inputs [batch, context] (int32). */
export function forward(c: LmConfig, p: Params, x: tf.Tensor2D, mask: tf.Tensor): tf.Tensor3D {
  const [batch, len] = x.shape;
  const d = c.width;
  const dh = d / c.heads;
  const rows = batch * len;
  const oneHot = tf.oneHot(tf.reshape(x, [rows]), VOCAB).toFloat();
  let h: tf.Tensor = tf.add(tf.reshape(mm(oneHot, p.tok_emb), [batch, len, d]), p.pos_emb);
  const linear = (t: tf.Tensor, w: string, b: string, out: number): tf.Tensor =>
    tf.reshape(tf.add(mm(tf.reshape(t, [rows, -1]), p[w]), p[b]), [batch, len, out]);
  const heads = (t: tf.Tensor): tf.Tensor => tf.transpose(tf.reshape(t, [batch, len, c.heads, dh]), [0, 2, 1, 3]);
  for (let l = 0; l < c.layers; l++) {
    const n = `block${l}.`;
    const a = layerNorm(h, p[`${n}ln1.scale`], p[`${n}ln1.bias`]);
    const q = heads(linear(a, `${n}attn.wq`, `${n}attn.bq`, d));
    const k = heads(linear(a, `${n}attn.wk`, `${n}attn.bk`, d));
    const v = heads(linear(a, `${n}attn.wv`, `${n}attn.bv`, d));
    const scores = tf.add(tf.mul(mm(q, swapLast(k)), 1 / Math.sqrt(dh)), mask);
    const o = mm(tf.softmax(scores), v);
    const merged = tf.reshape(tf.transpose(o, [0, 2, 1, 3]), [batch, len, d]);
    h = tf.add(h, linear(merged, `${n}attn.wo`, `${n}attn.bo`, d));
    const m = layerNorm(h, p[`${n}ln2.scale`], p[`${n}ln2.bias`]);
    h = tf.add(h, linear(gelu(linear(m, `${n}mlp.w1`, `${n}mlp.b1`, c.mlp)), `${n}mlp.w2`, `${n}mlp.b2`, d));
  }
  const f = layerNorm(h, p["lnf.scale"], p["lnf.bias"]);
  return linear(f, "head.w", "head.b", VOCAB) as tf.Tensor3D;
}

/**
 * Summed cross-entropy in nats and the number of scored positions: `weights` [batch, context] is 1 where the
 * target counts (not a pad byte, and inside the scored part of an evaluation window), else 0.
 */
export function lossSum(logits: tf.Tensor3D, targets: tf.Tensor2D, weights: tf.Tensor2D): tf.Scalar {
  const logp = tf.logSoftmax(logits);
  const picked = tf.sum(tf.mul(logp, tf.oneHot(targets, VOCAB).toFloat()), -1);
  return tf.neg(tf.sum(tf.mul(picked, weights))) as tf.Scalar;
}
