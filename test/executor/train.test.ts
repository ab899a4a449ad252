import { expect } from "chai";
import * as ort from "onnxruntime-node";
import { Flatten, Relu } from "../../tools/train/activations";
import { buildCnn, buildMlp } from "../../tools/train/architectures";
import { Conv2d } from "../../tools/train/conv2d";
import { DIGIT_PIXELS, DigitSet, gatherBatch, splitDigits } from "../../tools/train/data";
import { Dense } from "../../tools/train/dense";
import { exportOnnx, EXPORT_INPUT_NAME, EXPORT_OUTPUT_NAME, networkToGraph } from "../../tools/train/export";
import { Layer } from "../../tools/train/layer";
import { softmaxCrossEntropy } from "../../tools/train/loss";
import { MaxPool2d } from "../../tools/train/maxpool";
import { Network } from "../../tools/train/network";
import { Rng } from "../../tools/train/rng";
import { TrainOptions, train } from "../../tools/train/trainer";

/** Uniform values in [-1, 1) from a seeded Rng. */
function randomArray(n: number, rng: Rng): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = 2 * rng.next() - 1;
  return a;
}

/** A scalar probe loss L = sum(c * y), accumulated in float64, whose dL/dy is exactly c. */
function probe(y: Float32Array, c: Float32Array): number {
  let s = 0;
  for (let i = 0; i < y.length; i++) s += y[i] * c[i];
  return s;
}

/** Central finite difference of `f` with respect to `values[i]` (restored afterwards). */
function numericGrad(values: Float32Array, i: number, eps: number, f: () => number): number {
  const saved = values[i];
  values[i] = saved + eps;
  const up = f();
  values[i] = saved - eps;
  const down = f();
  values[i] = saved;
  return (up - down) / (2 * eps);
}

function expectClose(actual: number, expected: number, tol: number, what: string): void {
  expect(Math.abs(actual - expected), `${what}: analytic ${actual} vs numeric ${expected}`).to.be.at.most(
    tol * Math.max(1, Math.abs(expected)),
  );
}

/**
 * Checks a layer's backward against finite differences of the probe loss, for every input value and every
 * parameter value.
 */
function checkLayerGradients(layer: Layer, batch: number, seed: number, eps = 1e-2, tol = 2e-3): void {
  const rng = new Rng(seed);
  const inSize = layer.inputShape.reduce((a, b) => a * b, 1);
  const outSize = layer.outputShape.reduce((a, b) => a * b, 1);
  for (const p of layer.params) p.value.set(randomArray(p.value.length, rng));
  const x = randomArray(batch * inSize, rng);
  const c = randomArray(batch * outSize, rng);
  const loss = (): number => probe(layer.forward(x, batch), c);
  layer.forward(x, batch);
  const gx = layer.backward(c, batch);
  const paramGrads = layer.params.map((p) => Float32Array.from(p.grad));
  for (let i = 0; i < x.length; i++) expectClose(gx[i], numericGrad(x, i, eps, loss), tol, `dL/dx[${i}]`);
  layer.params.forEach((p, k) => {
    for (let i = 0; i < p.value.length; i++) {
      expectClose(paramGrads[k][i], numericGrad(p.value, i, eps, loss), tol, `dL/d${p.role}[${i}]`);
    }
  });
}

/** A small synthetic digit set (random pixels in [0, 1), labels cycling 0..9). */
function syntheticDigits(count: number, seed: number): DigitSet {
  const rng = new Rng(seed);
  const images = new Float32Array(count * DIGIT_PIXELS);
  for (let i = 0; i < images.length; i++) images[i] = rng.next();
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10);
  return { count, images, labels };
}

const FEW_STEPS: TrainOptions = {
  seed: 5,
  epochs: 2,
  batchSize: 8,
  learningRate: 0.05,
  warmupSteps: 2,
  momentum: 0.9,
  weightDecay: 5e-4,
  maxShift: 2,
  maxSteps: 6,
};

describe("tools/train", () => {
  describe("Rng", () => {
    it("repeats the same stream for the same seed and differs for another seed", () => {
      const a = new Rng(9);
      const b = new Rng(9);
      const c = new Rng(10);
      const sa = Array.from({ length: 8 }, () => a.nextUint32());
      const sb = Array.from({ length: 8 }, () => b.nextUint32());
      const sc = Array.from({ length: 8 }, () => c.nextUint32());
      expect(sa).to.deep.equal(sb);
      expect(sa).to.not.deep.equal(sc);
    });

    it("shuffles into a permutation", () => {
      const items = Array.from({ length: 100 }, (_, i) => i);
      const shuffled = new Rng(3).shuffle([...items]);
      expect(shuffled).to.not.deep.equal(items);
      expect([...shuffled].sort((x, y) => x - y)).to.deep.equal(items);
    });
  });

  describe("backward passes match finite differences", () => {
    it("Dense (5 -> 3, batch 2)", () => {
      checkLayerGradients(new Dense(5, 3, new Rng(1)), 2, 11);
    });

    it("Conv2d 2 -> 3 channels, 3x3, pad 1, on a non-square 4x5 input (batch 2)", () => {
      checkLayerGradients(new Conv2d(2, 3, 4, 5, 3, 1, new Rng(2)), 2, 12);
    });

    it("Conv2d 1 -> 2 channels, 3x3, no padding, on 5x4", () => {
      checkLayerGradients(new Conv2d(1, 2, 5, 4, 3, 0, new Rng(3)), 1, 13);
    });

    it("MaxPool2d on 2 channels of 4x6 (distinct values, so the max is unique)", () => {
      checkLayerGradients(new MaxPool2d(2, 4, 6), 2, 14, 1e-3);
    });

    it("Relu away from its kink", () => {
      checkLayerGradients(new Relu([7]), 3, 15, 1e-4);
    });

    it("softmax cross-entropy with respect to the logits", () => {
      const rng = new Rng(16);
      const logits = randomArray(3 * 4, rng).map((v) => 3 * v);
      const labels = [2, 0, 3];
      const { grad } = softmaxCrossEntropy(logits, labels, 4);
      const loss = (): number => softmaxCrossEntropy(logits, labels, 4).loss;
      for (let i = 0; i < logits.length; i++)
        expectClose(grad[i], numericGrad(logits, i, 1e-2, loss), 2e-3, `dL/dz[${i}]`);
    });

    it("a whole conv -> relu -> pool -> flatten -> dense chain under cross-entropy", () => {
      const rng = new Rng(17);
      const net = new Network([
        new Conv2d(1, 2, 6, 6, 3, 1, rng),
        new Relu([2, 6, 6]),
        new MaxPool2d(2, 6, 6),
        new Flatten([2, 3, 3]),
        new Dense(18, 4, rng),
      ]);
      const x = randomArray(2 * 36, rng);
      const labels = [1, 3];
      // Finite differences are only meaningful away from ReLU's kink: a weight step of eps moves each
      // pre-activation by at most eps * max|x| <= eps, so no pre-activation may lie within eps of 0.
      const eps = 1e-4;
      const preActivations = net.layers[0].forward(x, 2);
      expect(Math.min(...Array.from(preActivations, Math.abs)), "test precondition").to.be.above(10 * eps);
      const loss = (): number => softmaxCrossEntropy(net.forward(x, 2), labels, 4).loss;
      net.backward(softmaxCrossEntropy(net.forward(x, 2), labels, 4).grad, 2);
      const analytic = net.params.map((p) => Float32Array.from(p.grad));
      net.params.forEach((p, k) => {
        for (let i = 0; i < p.value.length; i++) {
          expectClose(analytic[k][i], numericGrad(p.value, i, eps, loss), 1e-2, `param ${k}[${i}]`);
        }
      });
    });
  });

  describe("MaxPool2d", () => {
    it("takes the max of each 2x2 window and drops an odd trailing row and column", () => {
      const pool = new MaxPool2d(1, 3, 5);
      // prettier-ignore
      const x = Float32Array.from([
        1, 5, 2, 0, 9,
        3, 4, 8, 1, 9,
        9, 9, 9, 9, 9,
      ]);
      expect(Array.from(pool.forward(x, 1))).to.deep.equal([5, 8]);
      expect(pool.outputShape).to.deep.equal([1, 1, 2]);
    });
  });

  describe("train", () => {
    it("gives bit-identical weights for two runs with the same seeds", () => {
      const data = syntheticDigits(40, 1);
      const a = buildMlp(new Rng(7));
      const b = buildMlp(new Rng(7));
      train(a, data, FEW_STEPS);
      train(b, data, FEW_STEPS);
      expect(Buffer.from(a.snapshot().buffer).equals(Buffer.from(b.snapshot().buffer))).to.equal(true);
    });

    it("gives different weights when only the data-order seed changes", () => {
      const data = syntheticDigits(40, 1);
      const a = buildMlp(new Rng(7));
      const b = buildMlp(new Rng(7));
      train(a, data, FEW_STEPS);
      train(b, data, { ...FEW_STEPS, seed: 6 });
      expect(Buffer.from(a.snapshot().buffer).equals(Buffer.from(b.snapshot().buffer))).to.equal(false);
    });

    it("lowers the loss when fitting a small batch", () => {
      const data = syntheticDigits(16, 2);
      const net = buildMlp(new Rng(8));
      const before = softmaxCrossEntropy(net.forward(data.images, 16), data.labels, 10).loss;
      train(net, data, {
        ...FEW_STEPS,
        batchSize: 16,
        epochs: 30,
        maxShift: 0,
        maxSteps: undefined,
        learningRate: 0.02,
      });
      const after = softmaxCrossEntropy(net.forward(data.images, 16), data.labels, 10).loss;
      expect(after).to.be.below(before / 4);
    });
  });

  describe("data", () => {
    it("shifts a digit by the drawn offset with zero fill", () => {
      const set = syntheticDigits(1, 3);
      const out = new Float32Array(DIGIT_PIXELS);
      const rng = new Rng(4);
      const probe = new Rng(4);
      const dx = probe.int(5) - 2;
      const dy = probe.int(5) - 2;
      gatherBatch(set, [0], 0, 1, 2, rng, out, new Uint8Array(1));
      const want = new Float32Array(DIGIT_PIXELS);
      for (let y = 0; y < 28; y++) {
        for (let x = 0; x < 28; x++) {
          const sx = x - dx;
          const sy = y - dy;
          want[y * 28 + x] = sx >= 0 && sx < 28 && sy >= 0 && sy < 28 ? set.images[sy * 28 + sx] : 0;
        }
      }
      expect(dx !== 0 || dy !== 0, "seed 4 must draw a non-zero shift").to.equal(true);
      expect(Array.from(out)).to.deep.equal(Array.from(want));
    });

    it("splits per class, without overlap, with calibration drawn from training", () => {
      const set = syntheticDigits(300, 5);
      const split = splitDigits(set, { seed: 1, testPerClass: 3, calibrationCount: 10 });
      expect(split.test.count).to.equal(30);
      expect(split.train.count).to.equal(270);
      for (let d = 0; d < 10; d++) expect(Array.from(split.test.labels).filter((l) => l === d)).to.have.length(3);
      const key = (s: DigitSet, k: number): string =>
        s.images.subarray(k * DIGIT_PIXELS, (k + 1) * DIGIT_PIXELS).join(",");
      const trainKeys = new Set(Array.from({ length: split.train.count }, (_, k) => key(split.train, k)));
      for (let k = 0; k < split.test.count; k++) expect(trainKeys.has(key(split.test, k))).to.equal(false);
      for (let k = 0; k < split.calibration.count; k++) expect(trainKeys.has(key(split.calibration, k))).to.equal(true);
    });
  });

  describe("export", () => {
    async function ortProbabilities(bytes: Uint8Array, x: Float32Array, dims: number[]): Promise<Float32Array> {
      const session = await ort.InferenceSession.create(bytes);
      const out = await session.run({ [EXPORT_INPUT_NAME]: new ort.Tensor("float32", x, dims) });
      await session.release();
      return out[EXPORT_OUTPUT_NAME].data as Float32Array;
    }

    function softmax(logits: Float32Array): number[] {
      const max = Math.max(...logits);
      const e = Array.from(logits, (v) => Math.exp(v - max));
      const s = e.reduce((a, b) => a + b, 0);
      return e.map((v) => v / s);
    }

    for (const [name, build, dims] of [
      ["mlp", buildMlp, [1, 784]],
      ["cnn", buildCnn, [1, 1, 28, 28]],
    ] as const) {
      it(`${name}: onnxruntime-node on the exported model agrees with the trainer's forward pass`, async () => {
        const rng = new Rng(21);
        const net = build(new Rng(22));
        for (const p of net.params)
          if (p.role === "bias") p.value.set(randomArray(p.value.length, rng).map((v) => v * 0.1));
        const x = Float32Array.from({ length: DIGIT_PIXELS }, () => rng.next());
        const want = softmax(net.forward(x, 1));
        const got = await ortProbabilities(exportOnnx(net, name, dims), x, [...dims]);
        expect(got.length).to.equal(10);
        for (let j = 0; j < 10; j++) expect(Math.abs(got[j] - want[j]), `class ${j}`).to.be.below(1e-5);
      });
    }

    it("maps layers to Gemm/Conv/Relu/MaxPool/Flatten nodes and ends with Softmax", () => {
      const graph = networkToGraph(buildCnn(new Rng(1)), "cnn", [1, 1, 28, 28]);
      expect(graph.nodes.map((n) => n.opType)).to.deep.equal([
        "Conv",
        "Relu",
        "MaxPool",
        "Conv",
        "Relu",
        "MaxPool",
        "Flatten",
        "Gemm",
        "Softmax",
      ]);
      expect(graph.inputs[0].dims).to.deep.equal([1, 1, 28, 28]);
      expect(graph.outputs[0].dims).to.deep.equal([1, 10]);
    });
  });
});
