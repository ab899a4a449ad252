import { Rng } from "./rng";
import { Layer, Param, checkBatch, makeParam } from "./layer";

/**
 * A square-kernel 2-D convolution, stride 1, zero padding `pad` on every side, NCHW: exactly ONNX
 * Conv(X, W [cout, cin, k, k], B [cout], pads = [pad, pad, pad, pad]).
 */
export class Conv2d implements Layer {
  readonly kind = "conv2d";
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly weight: Param;
  readonly bias: Param;
  readonly params: readonly Param[];
  readonly outHeight: number;
  readonly outWidth: number;
  private input: Float32Array = new Float32Array(0);

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly height: number,
    readonly width: number,
    readonly kernel: number,
    readonly pad: number,
    rng: Rng,
  ) {
    this.outHeight = height + 2 * pad - kernel + 1;
    this.outWidth = width + 2 * pad - kernel + 1;
    if (this.outHeight < 1 || this.outWidth < 1) throw new RangeError("Conv2d: kernel larger than padded input");
    this.inputShape = [inChannels, height, width];
    this.outputShape = [outChannels, this.outHeight, this.outWidth];
    this.weight = makeParam("weight", [outChannels, inChannels, kernel, kernel]);
    this.bias = makeParam("bias", [outChannels]);
    this.params = [this.weight, this.bias];
    const std = Math.sqrt(2 / (inChannels * kernel * kernel));
    const w = this.weight.value;
    for (let i = 0; i < w.length; i++) w[i] = rng.normal() * std;
  }

  forward(input: Float32Array, batch: number): Float32Array {
    const {
      inChannels: ci,
      outChannels: co,
      height: h,
      width: wd,
      kernel: k,
      pad: p,
      outHeight: oh,
      outWidth: ow,
    } = this;
    checkBatch("Conv2d.forward", input, batch, ci * h * wd);
    this.input = input;
    const w = this.weight.value;
    const b = this.bias.value;
    const out = new Float32Array(batch * co * oh * ow);
    for (let s = 0; s < batch; s++) {
      const inBase = s * ci * h * wd;
      for (let o = 0; o < co; o++) {
        const outBase = (s * co + o) * oh * ow;
        out.fill(b[o], outBase, outBase + oh * ow);
        for (let c = 0; c < ci; c++) {
          const plane = inBase + c * h * wd;
          for (let ky = 0; ky < k; ky++) {
            const oyLo = Math.max(0, p - ky);
            const oyHi = Math.min(oh, h + p - ky);
            for (let kx = 0; kx < k; kx++) {
              const wv = w[((o * ci + c) * k + ky) * k + kx];
              const oxLo = Math.max(0, p - kx);
              const oxHi = Math.min(ow, wd + p - kx);
              for (let oy = oyLo; oy < oyHi; oy++) {
                const row = plane + (oy + ky - p) * wd + kx - p;
                const orow = outBase + oy * ow;
                for (let ox = oxLo; ox < oxHi; ox++) out[orow + ox] += wv * input[row + ox];
              }
            }
          }
        }
      }
    }
    return out;
  }

  backward(gradOutput: Float32Array, batch: number): Float32Array {
    const {
      inChannels: ci,
      outChannels: co,
      height: h,
      width: wd,
      kernel: k,
      pad: p,
      outHeight: oh,
      outWidth: ow,
    } = this;
    checkBatch("Conv2d.backward", gradOutput, batch, co * oh * ow);
    checkBatch("Conv2d.backward (cached input)", this.input, batch, ci * h * wd);
    const x = this.input;
    const w = this.weight.value;
    const gw = this.weight.grad;
    const gb = this.bias.grad;
    gw.fill(0);
    gb.fill(0);
    const gradInput = new Float32Array(batch * ci * h * wd);
    for (let s = 0; s < batch; s++) {
      const inBase = s * ci * h * wd;
      for (let o = 0; o < co; o++) {
        const outBase = (s * co + o) * oh * ow;
        let bsum = 0;
        for (let i = 0; i < oh * ow; i++) bsum += gradOutput[outBase + i];
        gb[o] += bsum;
        for (let c = 0; c < ci; c++) {
          const plane = inBase + c * h * wd;
          for (let ky = 0; ky < k; ky++) {
            const oyLo = Math.max(0, p - ky);
            const oyHi = Math.min(oh, h + p - ky);
            for (let kx = 0; kx < k; kx++) {
              const wi = ((o * ci + c) * k + ky) * k + kx;
              const wv = w[wi];
              const oxLo = Math.max(0, p - kx);
              const oxHi = Math.min(ow, wd + p - kx);
              let acc = 0;
              for (let oy = oyLo; oy < oyHi; oy++) {
                const row = plane + (oy + ky - p) * wd + kx - p;
                const orow = outBase + oy * ow;
                for (let ox = oxLo; ox < oxHi; ox++) {
                  const g = gradOutput[orow + ox];
                  acc += g * x[row + ox];
                  gradInput[row + ox] += wv * g;
                }
              }
              gw[wi] += acc;
            }
          }
        }
      }
    }
    return gradInput;
  }
}
