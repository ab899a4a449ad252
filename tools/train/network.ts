import { Layer, Param, checkBatch, shapeSize } from "./layer";

/** A plain chain of layers; the last layer's output are the logits. */
export class Network {
  readonly params: readonly Param[];
  readonly inputSize: number;
  readonly outputSize: number;

  constructor(readonly layers: readonly Layer[]) {
    if (layers.length === 0) throw new RangeError("Network needs at least one layer");
    for (let i = 1; i < layers.length; i++) {
      const prev = layers[i - 1].outputShape;
      const next = layers[i].inputShape;
      if (shapeSize(prev) !== shapeSize(next) || (layers[i].kind !== "flatten" && prev.join("x") !== next.join("x"))) {
        throw new RangeError(`layer ${i} (${layers[i].kind}) expects [${next}] but receives [${prev}]`);
      }
    }
    this.params = layers.flatMap((l) => l.params);
    this.inputSize = shapeSize(layers[0].inputShape);
    this.outputSize = shapeSize(layers[layers.length - 1].outputShape);
  }

  forward(input: Float32Array, batch: number): Float32Array {
    checkBatch("Network.forward", input, batch, this.inputSize);
    let x = input;
    for (const layer of this.layers) x = layer.forward(x, batch);
    return x;
  }

  /** Backpropagates dLoss/dLogits through the last `forward`, filling every param's grad. */
  backward(gradLogits: Float32Array, batch: number): Float32Array {
    let g = gradLogits;
    for (let i = this.layers.length - 1; i >= 0; i--) g = this.layers[i].backward(g, batch);
    return g;
  }

  /** The index of the (first) largest logit of each sample. */
  predict(input: Float32Array, batch: number): Int32Array {
    const logits = this.forward(input, batch);
    const k = this.outputSize;
    const out = new Int32Array(batch);
    for (let s = 0; s < batch; s++) {
      let arg = 0;
      for (let j = 1; j < k; j++) if (logits[s * k + j] > logits[s * k + arg]) arg = j;
      out[s] = arg;
    }
    return out;
  }

  /** A copy of every parameter value, concatenated in layer order (for determinism checks and snapshots). */
  snapshot(): Float32Array {
    const total = this.params.reduce((n, p) => n + p.value.length, 0);
    const out = new Float32Array(total);
    let off = 0;
    for (const p of this.params) {
      out.set(p.value, off);
      off += p.value.length;
    }
    return out;
  }
}
