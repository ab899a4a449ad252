/**
 * Trains the byte-level language model on the Brown corpus with TensorFlow.js (WebAssembly backend) and writes
 * models/lm/byte-lm.onnx, models/lm/calibration.json and models/lm/training-report.json.
 *
 *   npm run train:lm -- [--minutes 70] [--steps 4000] [--work <dir>] [--out models/lm] [--export-only]
 *
 * Deterministic for a given seed and step count (the wall-clock budget only stops a run early, and the report
 * then says so). It checkpoints every few minutes to `<work>/last.ckpt` and resumes from it when restarted
 * with the same arguments; the checkpoint with the best validation bits per byte is kept in `<work>/best.ckpt`
 * and is the one exported. `--export-only` skips training and exports `<work>/best.ckpt`.
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { type CheckpointState, loadCheckpoint, saveCheckpoint } from "./checkpoint";
import { loadSamples, paddedStream } from "./corpus";
import { Rng, initParameters, parameterCount } from "./params";
import { LM_CONFIG, LM_RECIPE, type Recipe } from "./recipe";
import { TrainState, bitsPerByte, drawBatch } from "./trainer";

interface Args {
  minutes: number;
  steps: number;
  work: string;
  out: string;
  exportOnly: boolean;
  evalEvery: number;
  checkpointMinutes: number;
  finalEvalEvery: number;
}

function parseArgs(argv: readonly string[]): Args {
  const a: Args = {
    minutes: 70,
    steps: LM_RECIPE.steps,
    work: join(tmpdir(), "verity-lm"),
    out: resolve(__dirname, "..", "..", "models", "lm"),
    exportOnly: false,
    evalEvery: 500,
    checkpointMinutes: 3,
    finalEvalEvery: 1,
  };
  const numbers: Record<string, "minutes" | "steps" | "evalEvery" | "finalEvalEvery"> = {
    "--minutes": "minutes",
    "--steps": "steps",
    "--eval-every": "evalEvery",
    "--final-eval-every": "finalEvalEvery",
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = argv[i + 1];
    const numeric = numbers[k];
    if (k === "--export-only") a.exportOnly = true;
    else if (numeric && v !== undefined && Number(v) > 0) a[numeric] = Number(argv[++i]);
    else if ((k === "--work" || k === "--out") && v) a[k === "--work" ? "work" : "out"] = resolve(argv[++i]);
    else {
      console.error(
        "usage: train.ts [--minutes N] [--steps N] [--eval-every N] [--work <dir>] [--out <dir>] [--export-only] " +
          `[--final-eval-every N]  (bad argument '${k}')`,
      );
      process.exit(64);
    }
  }
  return a;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  await tf.setBackend("wasm");
  await tf.ready();
  mkdirSync(args.work, { recursive: true });
  const recipe: Recipe = { ...LM_RECIPE, steps: args.steps };
  const config = LM_CONFIG;
  const samples = loadSamples();
  const train = paddedStream(samples, "train", config.context);
  const valid = paddedStream(samples, "valid", config.context);
  const lastFile = join(args.work, "last.ckpt");
  const bestFile = join(args.work, "best.ckpt");
  console.log(
    `byte LM: ${JSON.stringify(config)}, ${parameterCount(config)} parameters; train ${train.length} B, ` +
      `valid ${valid.length} B; backend ${tf.getBackend()}; work ${args.work}`,
  );
  let stoppedByBudget = false;
  if (!args.exportOnly) {
    const resumed = loadCheckpoint(lastFile);
    let st: CheckpointState;
    let state: TrainState;
    if (resumed) {
      st = resumed.state;
      const pick = (prefix: string) =>
        resumed.arrays
          .filter((a) => a.name.startsWith(prefix))
          .map((a) => ({ ...a, name: a.name.slice(prefix.length) }));
      state = new TrainState(config, pick("p:"), { m: pick("m:"), v: pick("v:") });
      console.log(`resumed at step ${st.step} (${st.seconds.toFixed(0)} s trained)`);
    } else {
      const rng = new Rng(recipe.seed);
      state = new TrainState(config, initParameters(config, rng));
      st = {
        config,
        step: 0,
        rngState: rng.state,
        seconds: 0,
        bestValidBpb: Infinity,
        bestStep: -1,
        history: [],
      };
    }
    const rng = new Rng(st.rngState);
    const all = () => [
      ...state.snapshot("params").map((a) => ({ ...a, name: `p:${a.name}` })),
      ...state.snapshot("m").map((a) => ({ ...a, name: `m:${a.name}` })),
      ...state.snapshot("v").map((a) => ({ ...a, name: `v:${a.name}` })),
    ];
    const runStart = Date.now();
    const baseSeconds = st.seconds;
    let lastSave = Date.now();
    let lossAcc = 0;
    let lossN = 0;
    let history = [...st.history];
    let { bestValidBpb, bestStep } = st;
    const seconds = () => baseSeconds + (Date.now() - runStart) / 1000;
    const save = (step: number) =>
      saveCheckpoint(
        lastFile,
        { config, step, rngState: rng.state, seconds: seconds(), bestValidBpb, bestStep, history },
        all(),
      );
    /** Saves the parameters as best.ckpt when `validBpb` beats the best validation figure so far. */
    const keepIfBest = (validBpb: number, done: number) => {
      if (validBpb >= bestValidBpb) return;
      bestValidBpb = validBpb;
      bestStep = done;
      saveCheckpoint(
        bestFile,
        { config, step: done, rngState: rng.state, seconds: seconds(), bestValidBpb, bestStep, history },
        state.snapshot("params").map((a) => ({ ...a, name: `p:${a.name}` })),
      );
    };
    for (let step = st.step; step < recipe.steps; step++) {
      const { x, y, w } = drawBatch(train, config.context, recipe.batch, rng);
      lossAcc += state.step(recipe, step, x, y, w);
      lossN++;
      const done = step + 1;
      if (done % 50 === 0) {
        console.log(
          `step ${done}/${recipe.steps}  loss ${(lossAcc / lossN / Math.LN2).toFixed(3)} bpb  ` +
            `${seconds().toFixed(0)} s  (${((Date.now() - runStart) / (done - st.step)).toFixed(0)} ms/step)`,
        );
      }
      if (done % args.evalEvery === 0 || done === recipe.steps) {
        const validBpb = bitsPerByte(state, valid, 8);
        const trainLoss = lossAcc / Math.max(1, lossN) / Math.LN2;
        history = [...history, { step: done, seconds: Math.round(seconds()), trainLoss, validBpb }];
        lossAcc = 0;
        lossN = 0;
        console.log(`  eval step ${done}: valid ${validBpb.toFixed(4)} bpb (1/8 of the windows)`);
        keepIfBest(validBpb, done);
        save(done);
        lastSave = Date.now();
      } else if (Date.now() - lastSave > args.checkpointMinutes * 60_000) {
        save(done);
        lastSave = Date.now();
      }
      if (seconds() > args.minutes * 60 && done < recipe.steps) {
        console.log(`wall-clock budget of ${args.minutes} min reached at step ${done}: stopping`);
        stoppedByBudget = true;
        const validBpb = bitsPerByte(state, valid, 8);
        keepIfBest(validBpb, done);
        save(done);
        break;
      }
    }
  }
  // Loaded only now, so a long run picks up the exporter as it is when training ends.
  const { finalize } = (await import("./finalize")) as typeof import("./finalize");
  await finalize({
    work: args.work,
    out: args.out,
    recipe,
    stoppedByBudget,
    minutes: args.minutes,
    evalEvery: args.finalEvalEvery,
  });
}

if (require.main === module)
  main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
