/**
 * The error bounds the conformance cases assert, in output quantization steps (|dequantized - onnxruntime| / the
 * output scale): the figures of docs/NUMERICS.md §16, per operator. Each is just above the largest error measured
 * over its cases (the inputs are seeded, so the measurement repeats exactly); §16 gives both. A case whose graph
 * chains several operators asserts its own bound (test/conformance/import.test.ts, §16's importer table).
 */
export const STEPS = {
  /** Index maps and comparisons (Slice, Pad, Tile, Gather, Reshape, Transpose, MaxPool, ReduceMax): the input's half step. */
  indexMap: 0.51,
  /** One requantization (Concat, Where). */
  oneRequant: 1.01,
  /** Gemm and MatMul by a constant, also split into partial products (§27.3). */
  gemm: 1.05,
  conv: 1.2,
  convTranspose: 1.15,
  /** AveragePool and GlobalAveragePool, 1-D and 2-D; 3-D rounds twice (§24). */
  averagePool: 0.95,
  averagePool3d: 1.2,
  /** MatMul of two computed operands. */
  matMul: 1.45,
  /** Single-head attention: three projections, Q K^T, Softmax, times V. */
  attention: 2.25,
  /** Every unary activation tabulated as a Lut (Exp over [-4, 2] and Sqrt over [0, 4] apart). */
  lut: 1.8,
  lutExpWide: 3.05,
  lutSqrt: 4.5,
  /** ReduceSum and ReduceMean; a long axis reduced in partial steps (§18.1). */
  reduceSum: 1.0,
  reduceSumLong: 1.55,
  /** LayerNormalization and InstanceNormalization (also a LayerNorm written out and fused); long chains (§27.2). */
  norm: 1.4,
  layerNormLong: 1.9,
  instanceNormLong: 1.75,
  /** A LayerNorm written out op by op and not fused (every intermediate requantized). */
  layerNormOpByOp: 2.2,
  div: 1.6,
  prelu: 1.2,
  /** Mul and Add by constants. */
  binaryConst: 1.05,
  softmax: 1.8,
  /** Softmax chains (§27.1): inputs in [-4, 4], in [-1, 1], and on a strided axis. */
  softmaxLong: 4.4,
  softmaxLongNarrow: 2.15,
  softmaxLongStrided: 5.6,
  logSoftmax: 1.25,
  logSoftmaxLong: 1.05,
  /** BatchNormalization that folds into nothing: Affine. */
  batchNorm: 0.9,
} as const;
