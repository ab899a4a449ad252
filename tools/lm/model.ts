import * as tf from "@tensorflow/tfjs";

/**
 * The byte-level language model: a pre-LayerNorm decoder-only transformer over bytes (vocabulary 256), learned
 * token and position embeddings, causal multi-head self-attention, a GELU (erf form) MLP, a final LayerNorm and
 * an untied output projection to 256 logits. The same arithmetic is exported to ONNX by `export.ts`.
 */

/** The sizes of the model. */
export interface LmConfig {
  /** Context window in bytes (the ONNX input is [1, context]). */
  readonly context: number;
  /** Model width. */
  readonly width: number;
  /** Number of transformer blocks. */
  readonly layers: number;
  /** Number of attention heads (width must be a multiple). */
  readonly heads: number;
  /** Hidden width of the MLP. */
  readonly mlp: number;
}

/** The vocabulary: every byte. */
export const VOCAB = 256;
/** The byte that left-pads a context shorter than the window (never in the corpus). */
export const PAD_BYTE = 0;
/** LayerNorm epsilon. */
export const LN_EPS = 1e-5;

/** A parameter: its name (as in the ONNX initializers), shape and values. */
export interface NamedArray {
  readonly name: string;
  readonly dims: number[];
  readonly values: Float32Array;
}

/** mulberry32: a small seeded generator; `state` is its whole state (for checkpoints). */
export class Rng {
  constructor(public state: number) {}
  /** A float in [0, 1). */
  next(): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  /** A standard normal (Box-Muller). */
  normal(): number {
    const u = 1 - this.next();
    const v = this.next();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }
  /** An integer in [0, n). */
  below(n: number): number {
    return Math.floor(this.next() * n);
  }
}

/** The parameter names and shapes, in a fixed order, with their initial standard deviation (0: zeros, -1: ones). */
export function parameterSpecs(c: LmConfig): { name: string; dims: number[]; std: number; decay: boolean }[] {
  const d = c.width;
  const residual = 0.02 / Math.sqrt(2 * c.layers);
  const specs: { name: string; dims: number[]; std: number; decay: boolean }[] = [
    { name: "tok_emb", dims: [VOCAB, d], std: 0.02, decay: true },
    { name: "pos_emb", dims: [c.context, d], std: 0.02, decay: true },
  ];
  for (let l = 0; l < c.layers; l++) {
    const p = `block${l}.`;
    specs.push(
      { name: `${p}ln1.scale`, dims: [d], std: -1, decay: false },
      { name: `${p}ln1.bias`, dims: [d], std: 0, decay: false },
      { name: `${p}attn.wq`, dims: [d, d], std: 0.02, decay: true },
      { name: `${p}attn.bq`, dims: [d], std: 0, decay: false },
      { name: `${p}attn.wk`, dims: [d, d], std: 0.02, decay: true },
      { name: `${p}attn.bk`, dims: [d], std: 0, decay: false },
      { name: `${p}attn.wv`, dims: [d, d], std: 0.02, decay: true },
      { name: `${p}attn.bv`, dims: [d], std: 0, decay: false },
      { name: `${p}attn.wo`, dims: [d, d], std: residual, decay: true },
      { name: `${p}attn.bo`, dims: [d], std: 0, decay: false },
      { name: `${p}ln2.scale`, dims: [d], std: -1, decay: false },
      { name: `${p}ln2.bias`, dims: [d], std: 0, decay: false },
      { name: `${p}mlp.w1`, dims: [d, c.mlp], std: 0.02, decay: true },
      { name: `${p}mlp.b1`, dims: [c.mlp], std: 0, decay: false },
      { name: `${p}mlp.w2`, dims: [c.mlp, d], std: residual, decay: true },
      { name: `${p}mlp.b2`, dims: [d], std: 0, decay: false },
    );
  }
  specs.push(
    { name: "lnf.scale", dims: [d], std: -1, decay: false },
    { name: "lnf.bias", dims: [d], std: 0, decay: false },
    { name: "head.w", dims: [d, VOCAB], std: 0.02, decay: true },
    { name: "head.b", dims: [VOCAB], std: 0, decay: false },
  );
  return specs;
}

/** The initial parameters, drawn from `rng` in the order of `parameterSpecs`. */
export function initParameters(c: LmConfig, rng: Rng): NamedArray[] {
  return parameterSpecs(c).map(({ name, dims, std }) => {
    const n = dims.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n; i++) values[i] = std === -1 ? 1 : std === 0 ? 0 : std * rng.normal();
    return { name, dims, values };
  });
}

/** Number of parameters. */
export function parameterCount(c: LmConfig): number {
  return parameterSpecs(c).reduce((n, s) => n + s.dims.reduce((a, b) => a * b, 1), 0);
}

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
const mm = tf.customGrad((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: tf.matMul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [tf.matMul(dy, swapLast(saved[1])), tf.matMul(swapLast(saved[0]), dy)],
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

function layerNorm(x: tf.Tensor, scale: tf.Tensor, bias: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return tf.add(tf.mul(tf.div(tf.sub(x, mean), tf.sqrt(tf.add(variance, LN_EPS))), scale), bias);
}

function gelu(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
}

/** The causal mask added to the attention scores: 0 on and below the diagonal, -1e9 above. */
export function causalMask(context: number, masked = -1e9): Float32Array {
  const m = new Float32Array(context * context);
  for (let i = 0; i < context; i++) for (let j = i + 1; j < context; j++) m[i * context + j] = masked;
  return m;
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
