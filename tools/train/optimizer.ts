import { Param } from "./layer";

export interface SgdOptions {
  readonly momentum: number;
  /** L2 penalty on weights (not biases), added to the gradient. */
  readonly weightDecay: number;
}

/** Stochastic gradient descent with (heavy-ball) momentum: v = m v + g; p -= lr v. */
export class Sgd {
  private readonly velocity: Float32Array[];

  constructor(
    private readonly params: readonly Param[],
    private readonly options: SgdOptions,
  ) {
    this.velocity = params.map((p) => new Float32Array(p.value.length));
  }

  step(learningRate: number): void {
    const { momentum, weightDecay } = this.options;
    for (let k = 0; k < this.params.length; k++) {
      const p = this.params[k];
      const v = this.velocity[k];
      const decay = p.role === "weight" ? weightDecay : 0;
      const value = p.value;
      const grad = p.grad;
      for (let i = 0; i < value.length; i++) {
        const g = grad[i] + decay * value[i];
        v[i] = momentum * v[i] + g;
        value[i] -= learningRate * v[i];
      }
    }
  }
}
