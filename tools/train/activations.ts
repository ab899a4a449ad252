import { Layer, Param, checkBatch, shapeSize } from "./layer";

/** Elementwise max(x, 0). The gradient at exactly 0 is taken as 0. */
export class Relu implements Layer {
  readonly kind = "relu";
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly params: readonly Param[] = [];
  private output: Float32Array = new Float32Array(0);
  private readonly size: number;

  constructor(shape: readonly number[]) {
    this.inputShape = [...shape];
    this.outputShape = [...shape];
    this.size = shapeSize(shape);
  }

  forward(input: Float32Array, batch: number): Float32Array {
    checkBatch("Relu.forward", input, batch, this.size);
    const out = new Float32Array(input.length);
    for (let i = 0; i < input.length; i++) out[i] = input[i] > 0 ? input[i] : 0;
    this.output = out;
    return out;
  }

  backward(gradOutput: Float32Array, batch: number): Float32Array {
    checkBatch("Relu.backward", gradOutput, batch, this.size);
    const y = this.output;
    const g = new Float32Array(gradOutput.length);
    for (let i = 0; i < g.length; i++) g[i] = y[i] > 0 ? gradOutput[i] : 0;
    return g;
  }
}

/**
 * ONNX Flatten(axis = 1) on an NCHW batch. The row-major layout is unchanged, so this only renames the
 * shape; it exists so the layer list mirrors the exported graph.
 */
export class Flatten implements Layer {
  readonly kind = "flatten";
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  readonly params: readonly Param[] = [];
  private readonly size: number;

  constructor(shape: readonly number[]) {
    this.inputShape = [...shape];
    this.size = shapeSize(shape);
    this.outputShape = [this.size];
  }

  forward(input: Float32Array, batch: number): Float32Array {
    checkBatch("Flatten.forward", input, batch, this.size);
    return input;
  }

  backward(gradOutput: Float32Array, batch: number): Float32Array {
    checkBatch("Flatten.backward", gradOutput, batch, this.size);
    return gradOutput;
  }
}
