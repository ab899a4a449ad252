import type { LmConfig } from "./params";

/** The committed model's sizes and recipe. */
export const LM_CONFIG: LmConfig = { context: 64, width: 64, layers: 2, heads: 4, mlp: 256 };
export const LM_RECIPE: Recipe = {
  seed: 20261205,
  batch: 32,
  steps: 4000,
  lr: 3e-3,
  warmup: 200,
  minLrFraction: 0.05,
  weightDecay: 0.01,
  beta1: 0.9,
  beta2: 0.99,
  clip: 1,
};

/** The optimizer and schedule settings (AdamW, linear warm-up then cosine decay to `minLrFraction`). */
export interface Recipe {
  readonly seed: number;
  readonly batch: number;
  readonly steps: number;
  readonly lr: number;
  readonly warmup: number;
  readonly minLrFraction: number;
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly clip: number;
}

/** Learning rate at `step` (0-based). */
export function learningRate(r: Recipe, step: number): number {
  if (step < r.warmup) return (r.lr * (step + 1)) / r.warmup;
  const t = Math.min(1, (step - r.warmup) / Math.max(1, r.steps - r.warmup));
  return r.lr * (r.minLrFraction + (1 - r.minLrFraction) * 0.5 * (1 + Math.cos(Math.PI * t)));
}
