/**
 * The byte-level language model (models/lm/byte-lm.onnx), measured as issue 14 asks:
 *   executor.lm.tokensPerSec   greedy generation in the executor, one thread, every pass executed and its trace
 *                              committed (docs/GENERATION.md), 64 bytes after a 64-byte prompt;
 *   executor.lm.ortRatio       that rate over onnxruntime-node's on the float model for the same 64 pass windows
 *                              (one session, one thread, in the same run);
 *   executor.lm.top1Agreement  the int8 program's argmax against the float model's (onnxruntime) on held-out windows
 *                              of the Brown corpus's test files;
 *   executor.lm.bitsPerByte    the float model's held-out figure, from models/lm/training-report.json (measured by
 *                              the training run, `npm run train:lm`; re-measuring needs the trainer);
 *   gas.oneStepMaxLm           the costliest one-step proof of the LM's layers, sent to the router as calldata (the
 *                              first, middle and last element of every layer, the cheaper witness each).
 * Standalone: `npx hardhat run bench/lm.ts` (prints; `npm run bench` also records it).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";

import { generate, greedyByte, passInput, type GenerationSpec } from "../executor/generate";
import { execute, type Program } from "../executor/runtime";
import { WeightsCommitment } from "../executor/trace/weights";
import { languageModel } from "../models/lm";
import { loadSamples, paddedStream } from "../tools/lm/corpus";
import { deployRouter, measureStep } from "./one-step";

const LM_DIR = path.join(__dirname, "..", "models", "lm");
const PROMPT_BYTES = 64;
const TOKENS = 64;
const AGREEMENT_WINDOWS = 300;

export interface LmBench {
  tokensPerSec: number;
  ortTokensPerSec: number;
  ortRatio: number;
  top1Agreement: number;
  agreementWindows: number;
  bitsPerByte: number;
  layers: number;
}

/** The committed LM as an integer program, quantized on its committed calibration windows (models/lm.ts). */
export function lmProgram(): { program: Program; onnx: Uint8Array } {
  const { program, onnx } = languageModel();
  return { program, onnx };
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

async function ortSession(onnx: Uint8Array): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(onnx, { intraOpNumThreads: 1, interOpNumThreads: 1 });
}

async function ortLogits(s: ort.InferenceSession, window: ArrayLike<number>): Promise<Float32Array> {
  const ids = new ort.Tensor("int64", BigInt64Array.from(Array.from(window, (v) => BigInt(v))), [1, window.length]);
  const out = await s.run({ [s.inputNames[0]]: ids });
  return out[s.outputNames[0]].data as Float32Array;
}

/** Executor and onnxruntime speed, top-1 agreement. */
export async function benchLm(log: (line: string) => void = () => {}): Promise<LmBench> {
  const { program, onnx } = lmProgram();
  const context = program.inputShape.reduce((a, b) => a * b, 1);
  const test = paddedStream(loadSamples(), "test", context);
  const prompt = test.subarray(10_000, 10_000 + PROMPT_BYTES);
  const spec: GenerationSpec = { prompt, maxTokens: TOKENS, padByte: 0, rule: { kind: "greedy" } };

  generate(program, { ...spec, maxTokens: 4 }); // warm-up (JIT)
  const t0 = process.hrtime.bigint();
  const g = generate(program, spec);
  const execSeconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const tokensPerSec = g.output.length / execSeconds;
  log(`  executor: ${g.output.length} bytes in ${execSeconds.toFixed(2)} s, ${tokensPerSec.toFixed(1)} tokens/s`);
  log(
    `  generated: ${JSON.stringify(new TextDecoder().decode(prompt))} -> ${JSON.stringify(new TextDecoder().decode(g.output))}`,
  );

  const session = await ortSession(onnx);
  const windows = Array.from({ length: g.output.length }, (_, t) =>
    Array.from(passInput(prompt, g.output, t, context, 0), (v) => v + 128),
  );
  await ortLogits(session, windows[0]); // warm-up
  const t1 = process.hrtime.bigint();
  for (const w of windows) await ortLogits(session, w);
  const ortSeconds = Number(process.hrtime.bigint() - t1) / 1e9;
  const ortTokensPerSec = windows.length / ortSeconds;
  log(`  onnxruntime (float, 1 thread): ${ortTokensPerSec.toFixed(1)} passes/s`);

  // top-1 agreement on held-out windows spread over the test text (positions whose byte is not padding)
  let agree = 0;
  let n = 0;
  const stride = Math.floor((test.length - context) / AGREEMENT_WINDOWS);
  for (let k = 0; n < AGREEMENT_WINDOWS && k * stride + context < test.length; k++) {
    const end = context + k * stride;
    if (test[end] === 0) continue;
    const w = test.subarray(end - context, end);
    const s0 = Int8Array.from(w, (v) => v - 128);
    const states = execute(program, s0);
    const floatTop = argmax(await ortLogits(session, w));
    if (greedyByte(states[states.length - 1]) === floatTop) agree++;
    n++;
  }
  const report = JSON.parse(readFileSync(path.join(LM_DIR, "training-report.json"), "utf8"));
  const bitsPerByte = Number(report.bitsPerByte.test);
  log(`  top-1 agreement: ${agree}/${n}; float bits per byte (training report, test split): ${bitsPerByte}`);
  return {
    tokensPerSec: round(tokensPerSec, 1),
    ortTokensPerSec: round(ortTokensPerSec, 1),
    ortRatio: round(tokensPerSec / ortTokensPerSec, 3),
    top1Agreement: round(agree / n, 4),
    agreementWindows: n,
    bitsPerByte,
    layers: program.layers.length,
  };
}

const round = (v: number, d: number) => Math.round(v * 10 ** d) / 10 ** d;

/** gas.oneStepMaxLm: the costliest one-step proof among the first, middle and last element of every layer. */
export async function benchLmOneStep(log: (line: string) => void = () => {}): Promise<number> {
  const { program } = lmProgram();
  const verifier = await deployRouter();
  const context = program.inputShape.reduce((a, b) => a * b, 1);
  const states = execute(
    program,
    Int8Array.from({ length: context }, (_, i) => ((i * 37) % 200) - 100),
  );
  const weights = new WeightsCommitment(program);
  let worst = { gas: 0, layer: -1, op: "" };
  for (let layer = 0; layer < program.layers.length; layer++) {
    const n = states[layer + 1].length;
    for (const element of new Set([0, n >> 1, n - 1])) {
      const [best] = await measureStep(verifier, program, states, layer, element, weights);
      if (best.gas > worst.gas) worst = { gas: best.gas, layer, op: program.layers[layer].op };
    }
  }
  log(`  oneStepMaxLm: ${worst.gas.toLocaleString("en-US")} gas (layer ${worst.layer}, ${worst.op})`);
  return worst.gas;
}

if (require.main === module) {
  (async () => {
    console.log(JSON.stringify(await benchLm(console.log), null, 2));
    await benchLmOneStep(console.log);
  })().catch((e) => {
    console.error(e);
    process.exitCode = 1;
  });
}
