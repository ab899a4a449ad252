import { Layer, Param, checkBatch } from "./layer";

/**
 * Max pooling, 2x2 window, stride 2, no padding, NCHW: ONNX MaxPool(kernel_shape = [2, 2], strides = [2, 2]).
 * An odd trailing row or column is dropped (floor), as ONNX does with ceil_mode = 0. On ties the first
 * maximum in row-major window order receives the gradient.
 */
export class MaxPool2d implements Layer {
  readonly kind = "maxpool2d";
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly params: readonly Param[] = [];
  readonly outHeight: number;
  readonly outWidth: number;
  private argmax: Int32Array = new Int32Array(0);

  constructor(
    readonly channels: number,
    readonly height: number,
    readonly width: number,
  ) {
    this.outHeight = Math.floor(height / 2);
    this.outWidth = Math.floor(width / 2);
    if (this.outHeight < 1 || this.outWidth < 1) throw new RangeError("MaxPool2d: input smaller than 2x2");
    this.inputShape = [channels, height, width];
    this.outputShape = [channels, this.outHeight, this.outWidth];
  }

  forward(input: Float32Array, batch: number): Float32Array {
    const { channels: c, height: h, width: w, outHeight: oh, outWidth: ow } = this;
    checkBatch("MaxPool2d.forward", input, batch, c * h * w);
    const out = new Float32Array(batch * c * oh * ow);
    const argmax = new Int32Array(out.length);
    for (let plane = 0; plane < batch * c; plane++) {
      const inBase = plane * h * w;
      const outBase = plane * oh * ow;
      for (let oy = 0; oy < oh; oy++) {
        for (let ox = 0; ox < ow; ox++) {
          const i0 = inBase + 2 * oy * w + 2 * ox;
          let best = i0;
          if (input[i0 + 1] > input[best]) best = i0 + 1;
          if (input[i0 + w] > input[best]) best = i0 + w;
          if (input[i0 + w + 1] > input[best]) best = i0 + w + 1;
          out[outBase + oy * ow + ox] = input[best];
          argmax[outBase + oy * ow + ox] = best;
        }
      }
    }
    this.argmax = argmax;
    return out;
  }

  backward(gradOutput: Float32Array, batch: number): Float32Array {
    const { channels: c, height: h, width: w, outHeight: oh, outWidth: ow } = this;
    checkBatch("MaxPool2d.backward", gradOutput, batch, c * oh * ow);
    const g = new Float32Array(batch * c * h * w);
    for (let i = 0; i < gradOutput.length; i++) g[this.argmax[i]] += gradOutput[i];
    return g;
  }
}
