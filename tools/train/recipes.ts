import type { ArchitectureName } from "./architectures";
import type { SplitOptions } from "./data";
import type { TrainOptions } from "./trainer";

/**
 * The exact settings that produced the committed `models/` files (`tools/train-models.ts`).
 * Change them only together with a re-run of the script and an update of `models/README.md`.
 */

/** 50 held-out digits per class (500 total) and 64 calibration digits taken from training. */
export const DEMO_SPLIT: SplitOptions = { seed: 20240601, testPerClass: 50, calibrationCount: 64 };

export interface DemoRecipe {
  readonly architecture: ArchitectureName;
  /** Seeds the weight initialisation. */
  readonly initSeed: number;
  readonly train: TrainOptions;
  /** ONNX input shape of the exported model (batch of one). */
  readonly inputDims: readonly number[];
  /** Minimum float top-1 accuracy on the held-out split, checked with onnxruntime-node. */
  readonly targetAccuracy: number;
}

export const DEMO_RECIPES: Readonly<Record<ArchitectureName, DemoRecipe>> = {
  mlp: {
    architecture: "mlp",
    initSeed: 1,
    train: {
      seed: 101,
      epochs: 12,
      batchSize: 32,
      learningRate: 0.05,
      warmupSteps: 100,
      momentum: 0.9,
      weightDecay: 5e-4,
      maxShift: 1,
    },
    inputDims: [1, 784],
    targetAccuracy: 0.95,
  },
  cnn: {
    architecture: "cnn",
    initSeed: 2,
    train: {
      seed: 102,
      epochs: 8,
      batchSize: 32,
      learningRate: 0.05,
      warmupSteps: 100,
      momentum: 0.9,
      weightDecay: 5e-4,
      maxShift: 1,
    },
    inputDims: [1, 1, 28, 28],
    targetAccuracy: 0.97,
  },
};
