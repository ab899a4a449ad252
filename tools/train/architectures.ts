import { Flatten, Relu } from "./activations";
import { Conv2d } from "./conv2d";
import { Dense } from "./dense";
import { MaxPool2d } from "./maxpool";
import { Network } from "./network";
import { Rng } from "./rng";

export type ArchitectureName = "mlp" | "cnn";

/** MLP 784-128-64-10: Gemm-Relu-Gemm-Relu-Gemm (Softmax is added at export). Input [784]. */
export function buildMlp(rng: Rng): Network {
  return new Network([
    new Dense(784, 128, rng),
    new Relu([128]),
    new Dense(128, 64, rng),
    new Relu([64]),
    new Dense(64, 10, rng),
  ]);
}

/**
 * CNN: Conv(1->8, 3x3, pad 1)-Relu-MaxPool(2) then Conv(8->16, 3x3, pad 1)-Relu-MaxPool(2), Flatten,
 * Gemm(784 -> 10) (Softmax is added at export). Input [1, 28, 28].
 */
export function buildCnn(rng: Rng): Network {
  return new Network([
    new Conv2d(1, 8, 28, 28, 3, 1, rng),
    new Relu([8, 28, 28]),
    new MaxPool2d(8, 28, 28),
    new Conv2d(8, 16, 14, 14, 3, 1, rng),
    new Relu([16, 14, 14]),
    new MaxPool2d(16, 14, 14),
    new Flatten([16, 7, 7]),
    new Dense(16 * 7 * 7, 10, rng),
  ]);
}

export function buildArchitecture(name: ArchitectureName, rng: Rng): Network {
  return name === "mlp" ? buildMlp(rng) : buildCnn(rng);
}
