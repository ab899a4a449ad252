import { DIGIT_PIXELS, DigitSet, gatherBatch } from "./data";
import { softmaxCrossEntropy } from "./loss";
import { Network } from "./network";
import { Sgd } from "./optimizer";
import { Rng } from "./rng";

export interface TrainOptions {
  /** Seeds data order and augmentation (weight init has its own Rng, given to the architecture). */
  readonly seed: number;
  readonly epochs: number;
  readonly batchSize: number;
  /** Peak learning rate; it follows a cosine decay to 0 over all steps, after `warmupSteps` linear warm-up. */
  readonly learningRate: number;
  readonly warmupSteps: number;
  readonly momentum: number;
  readonly weightDecay: number;
  /** Random translation of up to this many pixels per training digit (0 = no augmentation). */
  readonly maxShift: number;
  /** Stop after this many optimizer steps (for tests); default: all. */
  readonly maxSteps?: number;
}

export interface EpochReport {
  readonly epoch: number;
  readonly meanLoss: number;
  readonly trainAccuracy: number;
  readonly seconds: number;
}

export function learningRateAt(options: TrainOptions, step: number, totalSteps: number): number {
  if (step < options.warmupSteps) return (options.learningRate * (step + 1)) / options.warmupSteps;
  const t = (step - options.warmupSteps) / Math.max(1, totalSteps - options.warmupSteps);
  return options.learningRate * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t)));
}

/** Top-1 accuracy of `network` on `set`, evaluated in batches. */
export function accuracy(network: Network, set: DigitSet, batchSize = 250): number {
  let correct = 0;
  for (let start = 0; start < set.count; start += batchSize) {
    const n = Math.min(batchSize, set.count - start);
    const pred = network.predict(set.images.subarray(start * DIGIT_PIXELS, (start + n) * DIGIT_PIXELS), n);
    for (let k = 0; k < n; k++) if (pred[k] === set.labels[start + k]) correct++;
  }
  return correct / set.count;
}

/**
 * Mini-batch SGD with momentum on softmax cross-entropy. Deterministic: the data order of each epoch is
 * a shuffle drawn from `options.seed`, and the last partial batch is kept.
 */
export function train(
  network: Network,
  data: DigitSet,
  options: TrainOptions,
  onEpoch?: (report: EpochReport) => void,
): EpochReport[] {
  if (network.inputSize !== DIGIT_PIXELS) throw new RangeError(`network input must be ${DIGIT_PIXELS} pixels`);
  const rng = new Rng(options.seed);
  const optimizer = new Sgd(network.params, { momentum: options.momentum, weightDecay: options.weightDecay });
  const stepsPerEpoch = Math.ceil(data.count / options.batchSize);
  const totalSteps = stepsPerEpoch * options.epochs;
  const maxSteps = options.maxSteps ?? totalSteps;
  const batchImages = new Float32Array(options.batchSize * DIGIT_PIXELS);
  const batchLabels = new Uint8Array(options.batchSize);
  const order = Array.from({ length: data.count }, (_, i) => i);
  const reports: EpochReport[] = [];
  let step = 0;
  for (let epoch = 1; epoch <= options.epochs && step < maxSteps; epoch++) {
    const started = Date.now();
    rng.shuffle(order);
    let lossSum = 0;
    let correct = 0;
    let seen = 0;
    for (let start = 0; start < data.count && step < maxSteps; start += options.batchSize) {
      const n = Math.min(options.batchSize, data.count - start);
      gatherBatch(data, order, start, n, options.maxShift, rng, batchImages, batchLabels);
      const x = batchImages.subarray(0, n * DIGIT_PIXELS);
      const labels = batchLabels.subarray(0, n);
      const logits = network.forward(x, n);
      const result = softmaxCrossEntropy(logits, labels, network.outputSize);
      network.backward(result.grad, n);
      optimizer.step(learningRateAt(options, step, totalSteps));
      lossSum += result.loss * n;
      correct += result.correct;
      seen += n;
      step++;
    }
    const report: EpochReport = {
      epoch,
      meanLoss: lossSum / seen,
      trainAccuracy: correct / seen,
      seconds: (Date.now() - started) / 1000,
    };
    reports.push(report);
    onEpoch?.(report);
  }
  return reports;
}
