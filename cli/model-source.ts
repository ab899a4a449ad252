/**
 * Where a CLI command gets its program from: a directory written by `verity model import` (program.bin +
 * manifest.json), or a float `.onnx` file that is quantized on the spot.
 */
import * as fs from "fs";
import * as path from "path";
import { InvalidInputError, ProgramDecodeError } from "../executor/errors";
import { cidOf } from "../executor/model/cid";
import type { Graph } from "../executor/model/graph";
import { loadOnnx } from "../executor/model/onnx";
import { graphInputShape, quantizeGraph } from "../executor/quant";
import { decodeProgram, encodeProgram, type Program } from "../executor/runtime/program";
import { programDigest, weightsRoot } from "../executor/trace/weights";
import { isProgramDir, readFileBytes } from "./io";
import { withProgress } from "./progress";

export const PROGRAM_FILE = "program.bin";
export const MANIFEST_FILE = "manifest.json";
export const MANIFEST_FORMAT = "verity-manifest/1";

/** manifest.json, written next to program.bin by `verity model import`. */
export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  name: string;
  /** CIDv1 (raw, sha2-256) of the source ONNX bytes. */
  artifactCid: string;
  /** CIDv1 (raw, sha2-256) of program.bin. */
  programCid: string;
  /** keccak256(program.bin). */
  programDigest: string;
  /** The model commitment the registry stores (docs/COMMITMENTS.md). */
  weightsRoot: string;
  layers: number;
  inputShape: number[];
  outputShape: number[];
  quantization: { input: { scale: number; zeroPoint: number }; output: { scale: number; zeroPoint: number } };
  accuracy?: AccuracyReport;
}

export interface AccuracyReport {
  samples: number;
  /** Fraction of samples whose int8 argmax equals the float model's argmax. */
  top1Agreement: number;
  /** Largest |dequantized int8 output - float output| over every output value of every sample. */
  maxAbsError: number;
  /** Label accuracy of the float and the int8 model, when the calibration files carry labels. */
  floatAccuracy?: number;
  quantizedAccuracy?: number;
}

export function buildManifest(program: Program, onnxBytes: Uint8Array, accuracy?: AccuracyReport): Manifest {
  const bytes = encodeProgram(program);
  return {
    format: MANIFEST_FORMAT,
    name: program.name,
    artifactCid: cidOf(onnxBytes),
    programCid: cidOf(bytes),
    programDigest: programDigest(program),
    weightsRoot: weightsRoot(program),
    layers: program.layers.length,
    inputShape: [...program.inputShape],
    outputShape: [...program.outputShape],
    quantization: {
      input: { scale: program.input.scale, zeroPoint: program.input.zeroPoint },
      output: { scale: program.output.scale, zeroPoint: program.output.zeroPoint },
    },
    ...(accuracy ? { accuracy } : {}),
  };
}

/** A float model ready to be quantized. */
export interface OnnxModel {
  readonly bytes: Uint8Array;
  readonly graph: Graph;
  readonly inputShape: number[];
}

export function readOnnx(file: string): OnnxModel {
  const bytes = readFileBytes(file, "model");
  const graph = loadOnnx(bytes, { name: path.basename(file).replace(/\.onnx$/i, "") });
  return { bytes, graph, inputShape: graphInputShape(graph) };
}

export async function quantizeWithProgress(model: OnnxModel, calibration: Float32Array[]): Promise<Program> {
  return withProgress("calibrating", calibration.length, (tick) =>
    quantizeGraph(model.graph, calibration, { onProgress: tick }),
  );
}

/** A program directory, decoded and checked against its manifest. */
export function readProgramDir(dir: string): { program: Program; manifest: Manifest } {
  if (!isProgramDir(dir)) throw new InvalidInputError(`'${dir}' is not a program directory (no ${PROGRAM_FILE} in it)`);
  const bytes = readFileBytes(path.join(dir, PROGRAM_FILE), "program");
  const program = decodeProgram(bytes);
  const manifestPath = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(manifestPath))
    throw new InvalidInputError(`'${dir}' has no ${MANIFEST_FILE}; re-run verity model import`);
  let manifest: Manifest;
  try {
    manifest = JSON.parse(fs.readFileSync(manifestPath, "utf8")) as Manifest;
  } catch (e) {
    throw new InvalidInputError(`'${manifestPath}' is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof manifest.artifactCid !== "string" || manifest.programCid !== cidOf(bytes)) {
    throw new ProgramDecodeError(
      `'${manifestPath}' does not describe ${PROGRAM_FILE} (programCid ${String(manifest.programCid)}, but the file hashes to ${cidOf(bytes)})`,
    );
  }
  return { program, manifest };
}
