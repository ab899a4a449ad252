import { encodeOnnx } from "../../executor/model/onnx";
import { GraphBuilder, tensorF32 } from "../../executor/model/builder";
import type { Graph } from "../../executor/model/graph";
import { Conv2d } from "./conv2d";
import { Dense } from "./dense";
import { Network } from "./network";

/** The graph input and output names of every exported demo model. */
export const EXPORT_INPUT_NAME = "input";
export const EXPORT_OUTPUT_NAME = "probabilities";

/**
 * The trained network as an opset-13 float graph for a batch of one: each layer becomes one ONNX node
 * (Dense -> Gemm transB=1, Conv2d -> Conv, Relu, MaxPool2d -> MaxPool 2x2/2, Flatten axis 1), then a
 * Softmax over the class axis. `inputDims` is the ONNX input shape, e.g. [1, 784] or [1, 1, 28, 28].
 */
export function networkToGraph(network: Network, name: string, inputDims: readonly number[]): Graph {
  const b = new GraphBuilder(name, 13);
  let x = b.input(EXPORT_INPUT_NAME, inputDims);
  const counts = new Map<string, number>();
  const nextName = (op: string): string => {
    const n = (counts.get(op) ?? 0) + 1;
    counts.set(op, n);
    return `${op}_${n}`;
  };
  for (const layer of network.layers) {
    if (layer instanceof Dense) {
      const id = nextName("gemm");
      const w = b.initializer(`${id}.weight`, tensorF32(layer.weight.dims, layer.weight.value));
      const bias = b.initializer(`${id}.bias`, tensorF32(layer.bias.dims, layer.bias.value));
      x = b.node("Gemm", [x, w, bias], { transB: 1 }, { name: id });
    } else if (layer instanceof Conv2d) {
      const id = nextName("conv");
      const w = b.initializer(`${id}.weight`, tensorF32(layer.weight.dims, layer.weight.value));
      const bias = b.initializer(`${id}.bias`, tensorF32(layer.bias.dims, layer.bias.value));
      const p = layer.pad;
      x = b.node(
        "Conv",
        [x, w, bias],
        {
          kernel_shape: [layer.kernel, layer.kernel],
          pads: [p, p, p, p],
          strides: [1, 1],
          dilations: [1, 1],
          group: 1,
        },
        { name: id },
      );
    } else if (layer.kind === "relu") {
      x = b.node("Relu", [x], {}, { name: nextName("relu") });
    } else if (layer.kind === "maxpool2d") {
      x = b.node("MaxPool", [x], { kernel_shape: [2, 2], strides: [2, 2] }, { name: nextName("maxpool") });
    } else if (layer.kind === "flatten") {
      x = b.node("Flatten", [x], { axis: 1 }, { name: nextName("flatten") });
    } else {
      throw new RangeError(`networkToGraph: no ONNX mapping for layer kind '${layer.kind}'`);
    }
  }
  b.node("Softmax", [x], { axis: 1 }, { name: "softmax", outputs: [EXPORT_OUTPUT_NAME] });
  b.output(EXPORT_OUTPUT_NAME, [1, network.outputSize]);
  return b.build();
}

/** `networkToGraph` encoded as ONNX ModelProto bytes. */
export function exportOnnx(network: Network, name: string, inputDims: readonly number[]): Uint8Array {
  return encodeOnnx(networkToGraph(network, name, inputDims), { producerName: "verity-train" });
}
