/**
 * The end of a training run: the best checkpoint is measured (bits per byte on the training, validation and test
 * text), exported to ONNX, checked in onnxruntime-node (exact inference contexts), imported and quantized by the
 * executor (top-1 agreement with the float model, committed tokens per second, worst one-step gas), and written to
 * `<out>/byte-lm.onnx`, `<out>/calibration.json` and `<out>/training-report.json`.
 */
import { createHash } from "node:crypto";
import { writeFileSync, mkdirSync } from "node:fs";
import { join, relative } from "node:path";
import * as ort from "onnxruntime-node";
import { inspectGraph } from "../../executor/inspect";
import { infer } from "../../executor/infer";
import { loadOnnx } from "../../executor/model/onnx";
import { evaluateFloat, quantizeGraph } from "../../executor/quant";
import { commitTrace } from "../../executor/trace/trace";
import { loadCheckpoint } from "./checkpoint";
import { CORPUS_LICENCE, loadSamples, paddedStream } from "./corpus";
import { LM_INPUT_NAME, LM_OUTPUT_NAME, exportLmOnnx, lmToGraph } from "./export";
import { type LmConfig, type NamedArray, PAD_BYTE, Rng, VOCAB, parameterCount } from "./params";
import type { Recipe } from "./recipe";
import { TrainState, bitsPerByte } from "./trainer";

/** How far below the lowest real attention score (over the sampled windows) the masked value sits. */
export const MASK_MARGIN = 12;
/** Windows sampled from the training text to place the mask value. */
const MASK_WINDOWS = 32;
/** Held-out positions scored in onnxruntime-node with their exact inference context. */
const ORT_POSITIONS = 4000;
/** Held-out positions on which the quantized program's argmax is compared with the float model's. */
const AGREEMENT_POSITIONS = 300;
/** Calibration windows written for `verity model import`. */
const CALIBRATION_WINDOWS = 32;

export interface FinalizeOptions {
  readonly work: string;
  readonly out: string;
  readonly recipe: Recipe;
  readonly stoppedByBudget: boolean;
  readonly minutes: number;
  /** Evaluate every n-th window only (1 for the report; more for a quick check of the pipeline). */
  readonly evalEvery: number;
}

/** The context window (left-padded with the pad byte) that predicts stream[t]. */
function windowBefore(stream: Uint8Array, t: number, c: number): Float32Array {
  const x = new Float32Array(c);
  for (let j = 0; j < c; j++) {
    const s = t - c + j;
    x[j] = s >= 0 ? stream[s] : PAD_BYTE;
  }
  return x;
}

/** Random positions t of `stream` whose byte is not a pad byte. */
function positions(stream: Uint8Array, n: number, rng: Rng): number[] {
  const out: number[] = [];
  while (out.length < n) {
    const t = 1 + rng.below(stream.length - 1);
    if (stream[t] !== PAD_BYTE) out.push(t);
  }
  return out;
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

function logSoftmaxAt(logits: ArrayLike<number>, k: number): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) max = Math.max(max, logits[i]);
  let sum = 0;
  for (let i = 0; i < logits.length; i++) sum += Math.exp(logits[i] - max);
  return logits[k] - max - Math.log(sum);
}

/**
 * The masked attention value of each masked block: MASK_MARGIN below the lowest real (unmasked) score seen on
 * MASK_WINDOWS training windows, rounded down to an integer. The last block has no mask (see export.ts).
 */
export function maskValues(config: LmConfig, params: readonly NamedArray[], stream: Uint8Array, rng: Rng): number[] {
  const graph = lmToGraph(
    config,
    params,
    Array.from({ length: config.layers }, () => -1e4),
  );
  const c = config.context;
  const lowest = new Array<number>(config.layers).fill(Infinity);
  for (const t of positions(stream, MASK_WINDOWS, rng)) {
    const env = evaluateFloat(graph, windowBefore(stream, t, c));
    for (let l = 0; l < config.layers - 1; l++) {
      const scores = env.get(`block${l}.attn.scores_out`);
      if (!scores) throw new RangeError(`maskValues: no tensor block${l}.attn.scores_out`);
      const heads = scores.data.length / (c * c);
      for (let h = 0; h < heads; h++)
        for (let i = 0; i < c; i++)
          for (let j = 0; j <= i; j++) lowest[l] = Math.min(lowest[l], scores.data[(h * c + i) * c + j]);
    }
  }
  return lowest.map((v, l) => (l === config.layers - 1 ? 0 : Math.floor(v) - MASK_MARGIN));
}

export async function finalize(o: FinalizeOptions): Promise<void> {
  const best = loadCheckpoint(join(o.work, "best.ckpt"));
  if (!best) throw new Error(`no checkpoint ${join(o.work, "best.ckpt")}: train first`);
  const config = best.state.config;
  const params = best.arrays.map((a) => ({ ...a, name: a.name.replace(/^p:/, "") }));
  const last = loadCheckpoint(join(o.work, "last.ckpt"));
  const samples = loadSamples();
  const streams = {
    train: paddedStream(samples, "train", config.context),
    valid: paddedStream(samples, "valid", config.context),
    test: paddedStream(samples, "test", config.context),
  };
  const rng = new Rng(o.recipe.seed ^ 0x5eed);

  // 1. Bits per byte of the float model (TensorFlow.js, half-overlapping windows).
  const state = new TrainState(config, params);
  const t0 = Date.now();
  const bpb = {
    train: bitsPerByte(state, streams.train, 8 * o.evalEvery),
    valid: bitsPerByte(state, streams.valid, o.evalEvery),
    test: bitsPerByte(state, streams.test, o.evalEvery),
  };
  console.log(
    `bits per byte: train ${bpb.train.toFixed(4)} (1/8 of the windows), valid ${bpb.valid.toFixed(4)}, ` +
      `test ${bpb.test.toFixed(4)}  (${((Date.now() - t0) / 1000).toFixed(0)} s)`,
  );

  // 2. Export.
  const masks = maskValues(config, params, streams.train, rng);
  const bytes = exportLmOnnx(config, params, masks);
  mkdirSync(o.out, { recursive: true });
  const onnxFile = join(o.out, "byte-lm.onnx");
  writeFileSync(onnxFile, bytes);
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  console.log(`wrote ${relative(process.cwd(), onnxFile)} (${bytes.length} bytes, sha256 ${sha256}); masks ${masks}`);

  // 3. onnxruntime-node: exact inference contexts (the last C bytes, left-padded) on held-out positions.
  const session = await ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const c = config.context;
  const runOrt = async (x: Float32Array): Promise<Float32Array> => {
    const ids = new ort.Tensor(
      "int64",
      BigInt64Array.from(x, (v) => BigInt(v)),
      [1, c],
    );
    return (await session.run({ [LM_INPUT_NAME]: ids }))[LM_OUTPUT_NAME].data as Float32Array;
  };
  let nats = 0;
  let correct = 0;
  const testPositions = positions(streams.test, ORT_POSITIONS, rng);
  for (const t of testPositions) {
    const logits = await runOrt(windowBefore(streams.test, t, c));
    nats -= logSoftmaxAt(logits, streams.test[t]);
    if (argmax(logits) === streams.test[t]) correct++;
  }
  const ortBpb = nats / testPositions.length / Math.LN2;
  console.log(
    `onnxruntime-node, ${ORT_POSITIONS} test positions with their exact context: ${ortBpb.toFixed(4)} bpb, ` +
      `next-byte top-1 ${((100 * correct) / ORT_POSITIONS).toFixed(1)}%`,
  );

  // 4. The executor: import, quantize on calibration windows, agreement, speed, worst one-step proof.
  const calibration = positions(streams.train, CALIBRATION_WINDOWS, rng).map((t) => windowBefore(streams.train, t, c));
  // two windows at a sample's start, so the pad byte is calibrated too
  calibration[0] = windowBefore(streams.train, c, c);
  calibration[1] = windowBefore(streams.train, c + 5, c);
  writeFileSync(join(o.out, "calibration.json"), JSON.stringify(calibration.map((x) => Array.from(x))) + "\n");
  const graph = loadOnnx(bytes);
  const program = quantizeGraph(graph, calibration);
  let agree = 0;
  const agreementPositions = testPositions.slice(0, AGREEMENT_POSITIONS);
  const inputs = agreementPositions.map((t) => windowBefore(streams.test, t, c));
  for (const x of inputs) if (argmax(infer(program, x).outputFloat) === argmax(await runOrt(x))) agree++;
  await session.release();
  for (let i = 0; i < 5; i++) infer(program, inputs[i]);
  // committed inferences per second of wall-clock time and per second of this process's CPU time (the machine is
  // shared: the CPU figure is what one dedicated core would give), and the trace commitment's share
  const speed = (once: (i: number) => unknown): { wall: number; cpu: number } => {
    const w0 = process.hrtime.bigint();
    const c0 = process.cpuUsage();
    let runs = 0;
    while (Number(process.hrtime.bigint() - w0) < 8e9) once(runs++ % inputs.length);
    const c = process.cpuUsage(c0);
    return { wall: runs / (Number(process.hrtime.bigint() - w0) / 1e9), cpu: runs / ((c.user + c.system) / 1e6) };
  };
  const full = speed((i) => infer(program, inputs[i]));
  const states = inputs.slice(0, 20).map((x) => infer(program, x).states);
  const commit = speed((i) => commitTrace(states[i % states.length]));
  const tokensPerSec = full.wall;
  const inspected = inspectGraph(loadOnnx(bytes));
  const layers = inspected.program?.layers ?? [];
  const worst = layers.reduce((w, l) => (l.gas > w.gas ? l : w), layers[0]);
  console.log(
    `executor: ${program.layers.length} layers, top-1 agreement with the float model ` +
      `${((100 * agree) / inputs.length).toFixed(1)}% on ${inputs.length} test positions, ` +
      `${full.cpu.toFixed(1)} committed tokens per CPU second (${tokensPerSec.toFixed(1)}/s wall-clock, shared ` +
      `machine; commitment ${(1000 / commit.cpu).toFixed(2)} ms), worst one-step ` +
      `${worst.gas} gas (layer ${worst.index}, ${worst.op})`,
  );

  const history = last?.state.history ?? best.state.history;
  const report = {
    model: "byte-lm.onnx",
    sha256,
    onnxBytes: bytes.length,
    architecture: {
      kind: "decoder-only transformer over bytes, pre-LayerNorm, learned positions, GELU (erf) MLP, untied head",
      vocab: VOCAB,
      ...config,
      parameters: parameterCount(config),
      padByte: PAD_BYTE,
      maskValues: masks.slice(0, config.layers - 1),
      opset: 17,
      input: `${LM_INPUT_NAME} int64 [1, ${c}]`,
      output: `${LM_OUTPUT_NAME} float32 [1, ${VOCAB}] (next byte after the window)`,
    },
    corpus: {
      source: CORPUS_LICENCE,
      split: "by sample file: sorted index i % 10 == 0 test, == 5 validation, others training",
      bytes: {
        train: samples.filter((s) => s.split === "train").reduce((n, s) => n + s.bytes.length, 0),
        valid: samples.filter((s) => s.split === "valid").reduce((n, s) => n + s.bytes.length, 0),
        test: samples.filter((s) => s.split === "test").reduce((n, s) => n + s.bytes.length, 0),
      },
    },
    training: {
      framework: "@tensorflow/tfjs 4.22.0, wasm backend",
      recipe: o.recipe,
      stepsScheduled: o.recipe.steps,
      stepsRun: last?.state.step ?? best.state.step,
      exportedStep: best.state.bestStep,
      stoppedByWallClockBudget: o.stoppedByBudget,
      budgetMinutes: o.minutes,
      trainingSeconds: Math.round(last?.state.seconds ?? best.state.seconds),
      history: history.map((h) => ({
        step: h.step,
        seconds: h.seconds,
        trainBpb: Math.round(h.trainLoss * 1e4) / 1e4,
        validBpbEstimate: Math.round(h.validBpb * 1e4) / 1e4,
      })),
    },
    bitsPerByte: {
      method: "half-overlapping windows: each byte predicted once from context/2+1 .. context bytes (TensorFlow.js)",
      windowsEvaluated: o.evalEvery === 1 ? "all" : `every ${o.evalEvery}th`,
      train: Math.round(bpb.train * 1e4) / 1e4,
      trainNote: "every 8th window of the training text",
      valid: Math.round(bpb.valid * 1e4) / 1e4,
      test: Math.round(bpb.test * 1e4) / 1e4,
      testOnnxruntime: {
        method: `${ORT_POSITIONS} random test positions, each from its exact inference context (last ${c} bytes, left-padded)`,
        bpb: Math.round(ortBpb * 1e4) / 1e4,
        top1NextByte: correct / ORT_POSITIONS,
      },
    },
    executor: {
      layers: program.layers.length,
      top1AgreementWithFloat: agree / inputs.length,
      agreementPositions: inputs.length,
      calibration: `calibration.json: ${CALIBRATION_WINDOWS} training windows`,
      committedTokensPerSec: {
        note: "single-threaded infer() (quantize, run every layer, commit the trace) on held-out windows",
        perCpuSecond: Math.round(full.cpu * 10) / 10,
        perWallSecondOnSharedMachine: Math.round(full.wall * 10) / 10,
        traceCommitmentMsPerToken: Math.round((1000 / commit.cpu) * 100) / 100,
      },
      stateBytesPerToken: states[0].reduce((n, st) => n + st.length, 0),
      worstOneStepGas: worst.gas,
      worstOneStepLayer: `${worst.index} ${worst.op}`,
    },
  };
  writeFileSync(join(o.out, "training-report.json"), JSON.stringify(report, null, 2) + "\n");
  console.log(`wrote ${relative(process.cwd(), join(o.out, "training-report.json"))}`);
}
