/**
 * The byte-level language model's sizes, parameters and constants (no TensorFlow.js here: the exporter and the
 * tests read this module). The forward pass is `model.ts`; `export.ts` writes the same arithmetic as ONNX.
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

/** The causal mask added to the attention scores: 0 on and below the diagonal, -1e9 above. */
export function causalMask(context: number, masked = -1e9): Float32Array {
  const m = new Float32Array(context * context);
  for (let i = 0; i < context; i++) for (let j = i + 1; j < context; j++) m[i * context + j] = masked;
  return m;
}
