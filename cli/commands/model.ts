/**
 * `verity model import <model.onnx> --calibration <file>... --out <dir>`: quantize a float ONNX model into an
 * integer program, write program.bin + manifest.json, and report the accuracy against the float model.
 */
import * as fs from "fs";
import * as path from "path";
import type { Command } from "commander";
import { InvalidInputError } from "../../executor/errors";
import { sizeOf } from "../../executor/model/graph";
import { dequantizeOutput, quantizeInput, runFloat } from "../../executor/quant";
import { encodeProgram, run, type Program } from "../../executor/runtime";
import type { Graph } from "../../executor/model/graph";
import { readCalibration, type CalibrationSet } from "../io";
import {
  MANIFEST_FILE,
  PROGRAM_FILE,
  buildManifest,
  quantizeWithProgress,
  readOnnx,
  type AccuracyReport,
  type Manifest,
} from "../model-source";
import { withProgress } from "../progress";
import { registerInspectCommand } from "./model-inspect";

interface ImportOptions {
  calibration: string[];
  out: string;
  json?: boolean;
}

function argmax(a: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

/** Compares the int8 program with the float graph on every calibration sample. */
export async function measureAccuracy(graph: Graph, program: Program, set: CalibrationSet): Promise<AccuracyReport> {
  let agree = 0;
  let maxAbsError = 0;
  let floatRight = 0;
  let quantRight = 0;
  let labelled = 0;
  await withProgress("accuracy", set.samples.length, (tick) => {
    set.samples.forEach((x, k) => {
      const f = runFloat(graph, x).data;
      const q = dequantizeOutput(program, run(program, quantizeInput(program, x)));
      const fa = argmax(f);
      const qa = argmax(q);
      if (fa === qa) agree++;
      for (let i = 0; i < f.length; i++) maxAbsError = Math.max(maxAbsError, Math.abs(f[i] - q[i]));
      const label = set.labels[k];
      if (label !== undefined) {
        labelled++;
        if (fa === label) floatRight++;
        if (qa === label) quantRight++;
      }
      tick(k + 1);
    });
  });
  const n = set.samples.length;
  return {
    samples: n,
    top1Agreement: agree / n,
    maxAbsError,
    ...(labelled > 0 ? { floatAccuracy: floatRight / labelled, quantizedAccuracy: quantRight / labelled } : {}),
  };
}

function pct(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

export function formatManifest(m: Manifest, programBytes: number, dir: string): string {
  const q = m.quantization;
  const lines = [
    ["model", m.name],
    ["artifactCid", `${m.artifactCid}  (source ONNX)`],
    ["programCid", `${m.programCid}  (${PROGRAM_FILE}, ${programBytes} bytes)`],
    ["programDigest", m.programDigest],
    ["weightsRoot", m.weightsRoot],
    ["layers", String(m.layers)],
    ["input", `[${m.inputShape.join(", ")}]  scale ${q.input.scale.toPrecision(6)}, zero point ${q.input.zeroPoint}`],
    [
      "output",
      `[${m.outputShape.join(", ")}]  scale ${q.output.scale.toPrecision(6)}, zero point ${q.output.zeroPoint}`,
    ],
  ];
  const a = m.accuracy;
  if (a) {
    lines.push([
      "accuracy",
      `top-1 agreement with the float model ${pct(a.top1Agreement)} on ${a.samples} samples, max abs error ${a.maxAbsError.toPrecision(4)}`,
    ]);
    if (a.floatAccuracy !== undefined && a.quantizedAccuracy !== undefined) {
      lines.push(["labels", `float ${pct(a.floatAccuracy)}, int8 ${pct(a.quantizedAccuracy)}`]);
    }
  }
  lines.push(["wrote", `${path.join(dir, PROGRAM_FILE)}, ${path.join(dir, MANIFEST_FILE)}`]);
  return lines.map(([k, v]) => `${k.padEnd(14)}${v}`).join("\n") + "\n";
}

async function importModel(file: string, opts: ImportOptions): Promise<void> {
  const model = readOnnx(file);
  const calibration = readCalibration(opts.calibration, sizeOf(model.inputShape));
  const program = await quantizeWithProgress(model, calibration.samples);
  const accuracy = await measureAccuracy(model.graph, program, calibration);
  const bytes = encodeProgram(program);
  const manifest = buildManifest(program, model.bytes, accuracy);
  try {
    fs.mkdirSync(opts.out, { recursive: true });
    fs.writeFileSync(path.join(opts.out, PROGRAM_FILE), bytes);
    fs.writeFileSync(path.join(opts.out, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + "\n");
  } catch (e) {
    throw new InvalidInputError(`cannot write to --out '${opts.out}': ${(e as Error).message}`);
  }
  process.stdout.write(opts.json ? JSON.stringify(manifest) + "\n" : formatManifest(manifest, bytes.length, opts.out));
}

export function registerModelCommands(cli: Command): void {
  const model = cli
    .command("model")
    .description(
      "publishers: inspect an ONNX model, import it as a Verity integer program, publish it, list the registry",
    );
  model
    .command("import")
    .description(
      "quantize a float ONNX model on calibration inputs and write <out>/program.bin and <out>/manifest.json",
    )
    .argument("<model.onnx>", "float ONNX model")
    .requiredOption(
      "-c, --calibration <files...>",
      'calibration inputs: JSON {"images": [[...]], "labels"?: [...]}, a JSON array of samples, or TensorProto .pb files',
    )
    .requiredOption("-o, --out <dir>", "output directory (created if missing)")
    .option("--json", "print the manifest as one JSON line instead of a table")
    .action(async (file: string, opts: ImportOptions) => importModel(file, opts));
  registerInspectCommand(model);
}
