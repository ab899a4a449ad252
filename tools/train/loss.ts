/** Softmax cross-entropy over a batch of logits [batch, classes]. */
export interface LossResult {
  /** Mean loss over the batch. */
  readonly loss: number;
  /** dMeanLoss/dLogits, [batch, classes]. */
  readonly grad: Float32Array;
  /** How many samples have their label as the (first) largest logit. */
  readonly correct: number;
}

export function softmaxCrossEntropy(logits: Float32Array, labels: ArrayLike<number>, classes: number): LossResult {
  const batch = labels.length;
  if (logits.length !== batch * classes) {
    throw new RangeError(`softmaxCrossEntropy: ${logits.length} logits for ${batch} x ${classes}`);
  }
  const grad = new Float32Array(logits.length);
  let total = 0;
  let correct = 0;
  for (let s = 0; s < batch; s++) {
    const base = s * classes;
    const label = labels[s];
    if (!Number.isInteger(label) || label < 0 || label >= classes) throw new RangeError(`bad label ${label}`);
    let max = logits[base];
    let arg = 0;
    for (let j = 1; j < classes; j++) {
      if (logits[base + j] > max) {
        max = logits[base + j];
        arg = j;
      }
    }
    if (arg === label) correct++;
    let sum = 0;
    for (let j = 0; j < classes; j++) sum += Math.exp(logits[base + j] - max);
    const logSum = Math.log(sum) + max;
    total += logSum - logits[base + label];
    for (let j = 0; j < classes; j++) {
      const p = Math.exp(logits[base + j] - logSum);
      grad[base + j] = (p - (j === label ? 1 : 0)) / batch;
    }
  }
  return { loss: total / batch, grad, correct };
}
