import * as tf from "@tensorflow/tfjs";
import { forward, lossSum } from "./model";
import { type LmConfig, type NamedArray, PAD_BYTE, Rng, causalMask, parameterSpecs } from "./params";
import { type Recipe, learningRate } from "./recipe";

/** The trainable state: parameters and the AdamW moments, as tf variables. */
export class TrainState {
  readonly params: Record<string, tf.Variable> = {};
  readonly m: Record<string, tf.Variable> = {};
  readonly v: Record<string, tf.Variable> = {};
  readonly decay: Record<string, boolean> = {};
  readonly mask: tf.Tensor;

  constructor(
    readonly config: LmConfig,
    params: readonly NamedArray[],
    moments?: { m: readonly NamedArray[]; v: readonly NamedArray[] },
  ) {
    const specs = parameterSpecs(config);
    for (const s of specs) this.decay[s.name] = s.decay;
    for (const p of params) {
      this.params[p.name] = tf.variable(tf.tensor(p.values, p.dims), true, p.name);
      const m = moments?.m.find((a) => a.name === p.name);
      const v = moments?.v.find((a) => a.name === p.name);
      this.m[p.name] = tf.variable(m ? tf.tensor(m.values, m.dims) : tf.zeros(p.dims), false);
      this.v[p.name] = tf.variable(v ? tf.tensor(v.values, v.dims) : tf.zeros(p.dims), false);
    }
    this.mask = tf.tensor(causalMask(config.context), [config.context, config.context]);
  }

  /** The current values of `which` (parameters or a moment). */
  snapshot(which: "params" | "m" | "v"): NamedArray[] {
    const src = which === "params" ? this.params : which === "m" ? this.m : this.v;
    return Object.entries(src).map(([name, t]) => ({
      name,
      dims: [...t.shape],
      values: new Float32Array(t.dataSync()),
    }));
  }

  /** One AdamW step on a batch; returns the mean training loss in nats per byte. */
  step(r: Recipe, step: number, x: Int32Array, y: Int32Array, w: Float32Array): number {
    const c = this.config;
    const lr = learningRate(r, step);
    return tf.tidy(() => {
      const xs = tf.tensor2d(x, [r.batch, c.context], "int32");
      const ys = tf.tensor2d(y, [r.batch, c.context], "int32");
      const ws = tf.tensor2d(w, [r.batch, c.context]);
      const count = Math.max(
        1,
        w.reduce((a, b) => a + b, 0),
      );
      const { value, grads } = tf.variableGrads(
        () => tf.div(lossSum(forward(c, this.params, xs, this.mask), ys, ws), count) as tf.Scalar,
      );
      const names = Object.keys(grads);
      const norm = Math.sqrt(names.reduce((s, n) => s + (tf.sum(tf.square(grads[n])).dataSync()[0] as number), 0));
      const scale = norm > r.clip ? r.clip / norm : 1;
      const t = step + 1;
      const bc1 = 1 - Math.pow(r.beta1, t);
      const bc2 = 1 - Math.pow(r.beta2, t);
      for (const n of names) {
        const g = tf.mul(grads[n], scale);
        const m = tf.add(tf.mul(this.m[n], r.beta1), tf.mul(g, 1 - r.beta1));
        const v = tf.add(tf.mul(this.v[n], r.beta2), tf.mul(tf.square(g), 1 - r.beta2));
        this.m[n].assign(m);
        this.v[n].assign(v);
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), 1e-8));
        let p: tf.Tensor = this.params[n];
        if (this.decay[n]) p = tf.mul(p, 1 - lr * r.weightDecay);
        this.params[n].assign(tf.sub(p, tf.mul(update, lr)));
      }
      return value.dataSync()[0] as number;
    });
  }
}

/** A training batch: `batch` random windows of `context + 1` bytes from `stream`. */
export function drawBatch(
  stream: Uint8Array,
  context: number,
  batch: number,
  rng: Rng,
): { x: Int32Array; y: Int32Array; w: Float32Array } {
  const x = new Int32Array(batch * context);
  const y = new Int32Array(batch * context);
  const w = new Float32Array(batch * context);
  for (let b = 0; b < batch; b++) {
    const start = rng.below(stream.length - context - 1);
    for (let i = 0; i < context; i++) {
      x[b * context + i] = stream[start + i];
      const t = stream[start + i + 1];
      y[b * context + i] = t;
      w[b * context + i] = t === PAD_BYTE ? 0 : 1;
    }
  }
  return { x, y, w };
}

/**
 * Bits per byte of `params` on `stream` with half-overlapping windows: windows of `context` bytes start every
 * context/2 bytes; each scores the targets of its second half (the first window scores all), so every byte is
 * predicted once, from between context/2 + 1 and context bytes of context. Pad bytes are not scored. With
 * `everyNth` > 1 only every n-th window is evaluated (a quicker estimate).
 */
export function bitsPerByte(state: TrainState, stream: Uint8Array, everyNth = 1, batch = 64): number {
  const c = state.config.context;
  const half = c / 2;
  const starts: number[] = [];
  for (let s = 0, k = 0; s + c + 1 <= stream.length; s += half, k++) if (k % everyNth === 0) starts.push(s);
  let nats = 0;
  let count = 0;
  for (let i = 0; i < starts.length; i += batch) {
    const chunk = starts.slice(i, i + batch);
    const x = new Int32Array(chunk.length * c);
    const y = new Int32Array(chunk.length * c);
    const w = new Float32Array(chunk.length * c);
    chunk.forEach((s, b) => {
      for (let j = 0; j < c; j++) {
        x[b * c + j] = stream[s + j];
        const t = stream[s + j + 1];
        y[b * c + j] = t;
        w[b * c + j] = t !== PAD_BYTE && (j >= half || s === 0) ? 1 : 0;
      }
    });
    count += w.reduce((a, b) => a + b, 0);
    nats += tf.tidy(() => {
      const logits = forward(state.config, state.params, tf.tensor2d(x, [chunk.length, c], "int32"), state.mask);
      return lossSum(
        logits,
        tf.tensor2d(y, [chunk.length, c], "int32"),
        tf.tensor2d(w, [chunk.length, c]),
      ).dataSync()[0];
    });
  }
  return nats / Math.max(1, count) / Math.LN2;
}
