/**
 * The contract every trainable block follows. Activations are batches stored row-major in one
 * Float32Array: sample after sample, each sample laid out as its per-sample shape (NCHW without the N).
 */

/** A trainable tensor with its gradient (same length, same layout). */
export interface Param {
  /** Role in the exported ONNX node: "weight" (Gemm B / Conv W) or "bias". */
  readonly role: "weight" | "bias";
  readonly dims: readonly number[];
  readonly value: Float32Array;
  readonly grad: Float32Array;
}

export interface Layer {
  readonly kind: "dense" | "conv2d" | "relu" | "maxpool2d" | "flatten";
  /** Per-sample input and output shapes, fixed at construction. */
  readonly inputShape: readonly number[];
  readonly outputShape: readonly number[];
  /** Computes the batch's output and keeps what `backward` needs. */
  forward(input: Float32Array, batch: number): Float32Array;
  /**
   * Given dLoss/dOutput for the batch of the last `forward`, overwrites every param's `grad` with
   * dLoss/dParam (summed over the batch) and returns dLoss/dInput.
   */
  backward(gradOutput: Float32Array, batch: number): Float32Array;
  readonly params: readonly Param[];
}

export function shapeSize(dims: readonly number[]): number {
  let n = 1;
  for (const d of dims) n *= d;
  return n;
}

/** Throws unless `array` holds exactly `batch` samples of `perSample` values. */
export function checkBatch(what: string, array: Float32Array, batch: number, perSample: number): void {
  if (!Number.isInteger(batch) || batch < 1 || array.length !== batch * perSample) {
    throw new RangeError(`${what}: expected ${batch} x ${perSample} values, got ${array.length}`);
  }
}

export function makeParam(role: Param["role"], dims: readonly number[]): Param {
  const n = shapeSize(dims);
  return { role, dims: [...dims], value: new Float32Array(n), grad: new Float32Array(n) };
}
