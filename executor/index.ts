/**
 * The public API of the Verity reference executor: import an ONNX model, quantize it to an integer program,
 * execute it, commit the trace, and prove chunks of states and weights.
 *
 *   const graph = loadOnnx(bytes);
 *   const program = quantizeGraph(graph, calibration);
 *   const { outputFloat, trace } = infer(program, input);
 *   trace.traceRoot; weightsRoot(program); programDigest(program);
 */
export * from "./errors";

// Model: the float graph IR, ONNX I/O, a builder for tests and exporters, content addressing.
export * from "./model/graph";
export { loadOnnx, decodeOnnx, encodeOnnx, decodeTensorProto, encodeTensorProto } from "./model/onnx";
export { canonicalGraph, prepareGraph } from "./model/simplify";
export type { NodeFate, PreparedGraph } from "./model/simplify";
export { MIN_OPSET, MAX_OPSET, CANONICAL_OPSET } from "./model/opset/versions";
export { inspectGraph } from "./inspect";
export type { InspectReport, InspectedNode, InspectedLayer } from "./inspect";
export { GraphBuilder, tensorF32, tensorI64 } from "./model/builder";
export { cidOf, cidBytes } from "./model/cid";

// Quantization and the integer runtime.
export { quantizeGraph, quantizeInput, dequantizeOutput, evaluateFloat, runFloat, graphInputShape } from "./quant";
export type { QuantizeOptions } from "./quant";
export * from "./runtime";

// Commitments, and the byte-level keccak256 and hex they are built on.
export { keccak256 } from "./trace/keccak-wasm";
export { fromHex, HexError } from "./trace/hex";
export * from "./trace/merkle";
export * from "./trace/trace";
export * from "./trace/weights";

// One committed inference.
export { infer } from "./infer";
export type { InferenceResult } from "./infer";

// Generation: a byte-level model run pass by pass (docs/GENERATION.md).
export {
  generate,
  generatePasses,
  runPass,
  checkSpec,
  chooseByte,
  stopsCorrectly,
  greedyByte,
  sampledByte,
  contextLength,
  passInput,
} from "./generate";
export type { Generation, GenerationSpec, Pass, SamplingRule } from "./generate";
