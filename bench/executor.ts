/**
 * Executor throughput: committed integer inferences per second (quantize the input, run every layer, commit the
 * Merkle trace) for the demo MLP and CNN, against onnxruntime-node running the float models on the same inputs.
 * Both sides are single-threaded (ORT: intraOpNumThreads = interOpNumThreads = 1, sequential execution).
 *
 *   npx ts-node bench/executor.ts            prints a table
 *   benchExecutor()                          what `npm run bench` records under `executor` in bench/results.json
 */
import * as fs from "fs";
import * as path from "path";
import * as ort from "onnxruntime-node";
import { infer } from "../executor/infer";
import { loadOnnx } from "../executor/model/onnx";
import { graphInputShape, quantizeGraph } from "../executor/quant";
import type { Program } from "../executor/runtime/program";
import { commitTrace } from "../executor/trace/trace";

const MODELS = path.join(__dirname, "..", "models");
/** Distinct test images each side runs on (cycled until the time budget is spent). */
const INPUTS = 100;
/** Calibration samples used to quantize (the publisher's step; not timed). */
const CALIBRATION = 64;
/** Minimum measured time per side and model, in milliseconds (after one warm-up pass). */
const MIN_MS = Number(process.env.VERITY_BENCH_MS ?? 1500);

export interface ModelBench {
  /** Committed integer inferences per second (trace commitment included). */
  inferencesPerSec: number;
  /** onnxruntime-node float inferences per second on the same inputs. */
  ortInferencesPerSec: number;
  /** inferencesPerSec / ortInferencesPerSec. */
  ortRatio: number;
  /** Fraction of inputs whose int8 argmax equals onnxruntime's float argmax. */
  top1Agreement: number;
  /** Mean milliseconds per committed inference spent in the trace commitment alone. */
  commitMsPerInference: number;
}

export interface ExecutorBench {
  mlp: ModelBench;
  cnn: ModelBench;
}

interface Digits {
  images: number[][];
  labels: number[];
}

function readDigits(file: string): Digits {
  return JSON.parse(fs.readFileSync(path.join(MODELS, file), "utf8")) as Digits;
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** Runs `once(i)` over the inputs, cycling, for at least MIN_MS; returns calls per second. */
async function rate(n: number, once: (i: number) => unknown): Promise<number> {
  for (let i = 0; i < n; i++) await once(i); // warm-up: JIT, allocations, ORT arenas
  let calls = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0;
  do {
    for (let i = 0; i < n; i++) await once(i);
    calls += n;
    elapsed = Number(process.hrtime.bigint() - start) / 1e6;
  } while (elapsed < MIN_MS);
  return (calls * 1000) / elapsed;
}

export async function benchModel(
  file: string,
  calibration: Float32Array[],
  inputs: Float32Array[],
): Promise<ModelBench> {
  const bytes = new Uint8Array(fs.readFileSync(path.join(MODELS, file)));
  const graph = loadOnnx(bytes);
  const program: Program = quantizeGraph(graph, calibration);
  const dims = graphInputShape(graph);

  const session = await ort.InferenceSession.create(bytes, {
    intraOpNumThreads: 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
  });
  const inputName = session.inputNames[0];
  const outputName = session.outputNames[0];
  const feeds = inputs.map((x) => ({ [inputName]: new ort.Tensor("float32", x, dims) }));

  let agree = 0;
  for (let i = 0; i < inputs.length; i++) {
    const ref = (await session.run(feeds[i]))[outputName].data as Float32Array;
    if (argmax(ref) === argmax(infer(program, inputs[i]).outputFloat)) agree++;
  }

  const ours = await rate(inputs.length, (i) => infer(program, inputs[i]));
  const theirs = await rate(inputs.length, (i) => session.run(feeds[i]));
  await session.release();

  // The commitment's share, measured on the same states.
  const states = inputs.map((x) => infer(program, x).states);
  const commits = await rate(states.length, (i) => commitTrace(states[i]));

  return {
    inferencesPerSec: round(ours),
    ortInferencesPerSec: round(theirs),
    ortRatio: round(ours / theirs, 4),
    top1Agreement: agree / inputs.length,
    commitMsPerInference: round(1000 / commits, 4),
  };
}

function round(x: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

export async function benchExecutor(): Promise<ExecutorBench> {
  const calibration = readDigits("digits-calibration.json")
    .images.slice(0, CALIBRATION)
    .map((v) => Float32Array.from(v));
  const inputs = readDigits("digits-test.json")
    .images.slice(0, INPUTS)
    .map((v) => Float32Array.from(v));
  const mlp = await benchModel("mlp.onnx", calibration, inputs);
  const cnn = await benchModel("cnn.onnx", calibration, inputs);
  return { mlp, cnn };
}

if (require.main === module) {
  benchExecutor()
    .then((r) => {
      const rows = Object.entries(r).map(([name, b]) => ({
        model: name,
        "verity inf/s": b.inferencesPerSec,
        "ort inf/s": b.ortInferencesPerSec,
        ratio: b.ortRatio,
        "top-1 agreement": b.top1Agreement,
        "commit ms": b.commitMsPerInference,
      }));
      console.table(rows);
    })
    .catch((e: unknown) => {
      console.error(e);
      process.exitCode = 1;
    });
}
