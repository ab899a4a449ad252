/**
 * `verity infer --model <model.onnx | program dir> --input <file> [--calibration <file>...] [--shape 1,784] [--json]`:
 * one committed inference. With --json, stdout is exactly one JSON object:
 *   {"output": number[], "shape": number[], "traceRoot": "0x…", "programDigest": "0x…", "artifactCid": "…", "steps": L}
 * where `output` is the dequantized output, flattened, and `steps` the layer count L.
 */
import * as fs from "fs";
import { Option, type Command } from "commander";
import { InvalidInputError } from "../../executor/errors";
import { infer } from "../../executor/infer";
import { cidOf } from "../../executor/model/cid";
import { sizeOf } from "../../executor/model/graph";
import { quantizeInput } from "../../executor/quant";
import type { Program } from "../../executor/runtime/program";
import { programDigest } from "../../executor/trace/weights";
import { checkInputShape, isProgramDir, parseShape, readCalibration, readTensorFile } from "../io";
import { UsageError } from "../usage";
import { quantizeWithProgress, readOnnx, readProgramDir } from "../model-source";

interface InferOptions {
  model: string;
  input: string;
  calibration?: string[];
  shape?: string;
  json?: boolean;
}

/** The machine-readable result of `verity infer --json`. */
export interface InferJson {
  output: number[];
  shape: number[];
  traceRoot: string;
  programDigest: string;
  artifactCid: string;
  steps: number;
}

async function loadProgram(
  opts: InferOptions,
  inputFile: string,
  shape: number[] | undefined,
): Promise<{ program: Program; artifactCid: string }> {
  if (isProgramDir(opts.model)) {
    if (opts.calibration)
      throw new UsageError("--calibration applies to a float .onnx model, not to an imported program directory");
    const { program, manifest } = readProgramDir(opts.model);
    return { program, artifactCid: manifest.artifactCid };
  }
  if (fs.existsSync(opts.model) && fs.statSync(opts.model).isDirectory()) {
    throw new InvalidInputError(
      `--model '${opts.model}' is a directory without program.bin; pass a .onnx file or a directory written by 'verity model import'`,
    );
  }
  const model = readOnnx(opts.model);
  const size = sizeOf(model.inputShape);
  let calibration: Float32Array[];
  if (opts.calibration) calibration = readCalibration(opts.calibration, size).samples;
  else {
    // No calibration set: calibrate on the input itself (the program is then specific to this input).
    const t = readTensorFile(inputFile, shape);
    checkInputShape(t, model.inputShape, inputFile);
    calibration = [t.data];
  }
  const program = await quantizeWithProgress(model, calibration);
  return { program, artifactCid: cidOf(model.bytes) };
}

async function runInfer(opts: InferOptions): Promise<void> {
  const shape = opts.shape !== undefined ? parseShape(opts.shape) : undefined;
  const { program, artifactCid } = await loadProgram(opts, opts.input, shape);
  const input = readTensorFile(opts.input, shape);
  checkInputShape(input, program.inputShape, opts.input);
  const result = infer(program, quantizeInput(program, input.data, `--input '${opts.input}'`));
  const out: InferJson = {
    output: Array.from(result.outputFloat),
    shape: [...program.outputShape],
    traceRoot: result.trace.traceRoot,
    programDigest: programDigest(program),
    artifactCid,
    steps: program.layers.length,
  };
  if (opts.json) {
    process.stdout.write(JSON.stringify(out) + "\n");
    return;
  }
  let top = 0;
  for (let i = 1; i < out.output.length; i++) if (out.output[i] > out.output[top]) top = i;
  const rows = [
    ["output", `[${out.output.map((v) => Number(v.toPrecision(5))).join(", ")}]`],
    ["shape", `[${out.shape.join(", ")}]`],
    ["argmax", String(top)],
    ["int8 output", `[${Array.from(result.output).join(", ")}]`],
    ["traceRoot", out.traceRoot],
    ["programDigest", out.programDigest],
    ["artifactCid", out.artifactCid],
    ["steps", String(out.steps)],
  ];
  process.stdout.write(rows.map(([k, v]) => `${k.padEnd(14)}${v}`).join("\n") + "\n");
}

export function registerInferCommand(cli: Command): void {
  cli
    .command("infer")
    .description("run one committed inference and print the output and the trace root")
    .addOption(
      new Option("-m, --model <path>", "a float .onnx model, or a program directory written by 'verity model import'")
        .env("VERITY_MODEL")
        .makeOptionMandatory(),
    )
    .requiredOption(
      "-i, --input <file>",
      "input tensor: JSON array (nested, or flat with --shape) or ONNX TensorProto .pb",
    )
    .option("-c, --calibration <files...>", "calibration inputs for a float .onnx model (default: the input itself)")
    .option("-s, --shape <dims>", "shape of a flat JSON input, e.g. 1,784")
    .option("--json", "print one JSON object: output, shape, traceRoot, programDigest, artifactCid, steps")
    .action(async (opts: InferOptions) => runInfer(opts));
}
