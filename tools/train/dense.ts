import { Rng } from "./rng";
import { Layer, Param, checkBatch, makeParam } from "./layer";

/**
 * A fully connected layer, y = x W^T + b, with W stored [out, in] row-major: exactly ONNX
 * Gemm(A = x, B = W, C = b, transB = 1).
 */
export class Dense implements Layer {
  readonly kind = "dense";
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly weight: Param;
  readonly bias: Param;
  readonly params: readonly Param[];
  private input: Float32Array = new Float32Array(0);

  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    rng: Rng,
  ) {
    this.inputShape = [inFeatures];
    this.outputShape = [outFeatures];
    this.weight = makeParam("weight", [outFeatures, inFeatures]);
    this.bias = makeParam("bias", [outFeatures]);
    this.params = [this.weight, this.bias];
    // He-normal initialisation, suited to a following ReLU.
    const std = Math.sqrt(2 / inFeatures);
    const w = this.weight.value;
    for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
  }

  forward(input: Float32Array, batch: number): Float32Array {
    const nIn = this.inFeatures;
    const nOut = this.outFeatures;
    checkBatch("Dense.forward", input, batch, nIn);
    this.input = input;
    const w = this.weight.value;
    const b = this.bias.value;
    const out = new Float32Array(batch * nOut);
    for (let s = 0; s < batch; s++) {
      const xo = s * nIn;
      for (let o = 0; o < nOut; o++) {
        const wo = o * nIn;
        let acc = b[o];
        for (let i = 0; i < nIn; i++) acc += input[xo + i] * w[wo + i];
        out[s * nOut + o] = acc;
      }
    }
    return out;
  }

  backward(gradOutput: Float32Array, batch: number): Float32Array {
    const nIn = this.inFeatures;
    const nOut = this.outFeatures;
    checkBatch("Dense.backward", gradOutput, batch, nOut);
    checkBatch("Dense.backward (cached input)", this.input, batch, nIn);
    const x = this.input;
    const w = this.weight.value;
    const gw = this.weight.grad;
    const gb = this.bias.grad;
    gw.fill(0);
    gb.fill(0);
    const gradInput = new Float32Array(batch * nIn);
    for (let s = 0; s < batch; s++) {
      const xo = s * nIn;
      for (let o = 0; o < nOut; o++) {
        const g = gradOutput[s * nOut + o];
        if (g === 0) continue;
        gb[o] += g;
        const wo = o * nIn;
        for (let i = 0; i < nIn; i++) {
          gw[wo + i] += g * x[xo + i];
          gradInput[xo + i] += g * w[wo + i];
        }
      }
    }
    return gradInput;
  }
}
