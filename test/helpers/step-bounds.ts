/** Pure helpers of the one-step bound tests: a one-layer program, and the verifier's share of a layer's gas bound. */
import type { Layer, Program } from "../../executor/runtime/types";
import { stepProofGas, type StepWitnessBound } from "../../executor/runtime/step-witness";

/** A one-layer program on an input of `inputShape`, with unit quantization at both edges. */
export function oneLayerProgram(
  inputShape: number[],
  layer: Omit<Layer, "inputs" | "output">,
  name = "one-layer",
): Program {
  return {
    name,
    version: 1,
    inputShape,
    outputShape: layer.outShape,
    input: { scale: 1, zeroPoint: 0 },
    output: { scale: 1, zeroPoint: 0 },
    layers: [{ ...layer, inputs: [0], output: 1 }],
  };
}

/** GAS_MODEL's bound of a transaction to the verifier itself (no game) with the layer's worst witness of `path`. */
export function verifierBound(b: StepWitnessBound, path: "contiguous" | "sparse"): number {
  const w = b[path];
  const shape = {
    calldata: w.calldata,
    chunks: w.chunks,
    siblings: w.siblings,
    family: b.family,
    reads: b.reads,
    trips: b.trips,
  };
  return stepProofGas(shape, path, false);
}
