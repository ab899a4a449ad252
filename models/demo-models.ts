/**
 * The demo models as the protocol sees them: models/<name>.onnx quantized on the first 64 calibration digits,
 * with their commitments and the held-out digits to query them with. Shared by the demo, the golden-vector
 * generator and the tests, so all of them run the very same programs. Quantizing is done once per process.
 */
import * as fs from "fs";
import * as path from "path";

import { cidBinaryOf } from "../executor/model/cid";
import { toHex } from "../executor/trace/hex";
import { loadOnnx } from "../executor/model/onnx";
import { quantizeGraph, quantizeInput } from "../executor/quant";
import type { Program } from "../executor/runtime/program";
import { programDigest, WeightsCommitment } from "../executor/trace/weights";

export type DemoModelName = "mlp" | "cnn";

const ROOT = path.join(__dirname, "..");
/** The first CALIBRATION_SAMPLES images of models/digits-calibration.json quantize the models. */
export const CALIBRATION_SAMPLES = 64;

export interface Digits {
  images: number[][];
  labels: number[];
}

export interface DemoModel {
  name: DemoModelName;
  onnx: Uint8Array;
  program: Program;
  weights: WeightsCommitment;
  artifactCid: Uint8Array;
  programDigest: string;
  /** Quantizes a held-out image into the request input S0. */
  quantize(image: readonly number[]): Int8Array;
}

export function readDigits(file: "digits-test.json" | "digits-calibration.json"): Digits {
  return JSON.parse(fs.readFileSync(path.join(ROOT, "models", file), "utf8")) as Digits;
}

const cache = new Map<DemoModelName, DemoModel>();

export function demoModel(name: DemoModelName): DemoModel {
  const hit = cache.get(name);
  if (hit) return hit;
  const onnx = new Uint8Array(fs.readFileSync(path.join(ROOT, "models", `${name}.onnx`)));
  const calibration = readDigits("digits-calibration.json")
    .images.slice(0, CALIBRATION_SAMPLES)
    .map((v) => Float32Array.from(v));
  const program = quantizeGraph(loadOnnx(onnx), calibration);
  const model: DemoModel = {
    name,
    onnx,
    program,
    weights: new WeightsCommitment(program),
    artifactCid: cidBinaryOf(onnx),
    programDigest: programDigest(program),
    quantize: (image) => quantizeInput(program, Float32Array.from(image)),
  };
  cache.set(name, model);
  return model;
}

const DEMO_MODELS: readonly DemoModelName[] = ["mlp", "cnn"];
let demoCids: Map<string, DemoModelName> | null = null;

/** The demo model whose ONNX artifact has this binary CID (0x-hex, any case), if it is one of models/*.onnx. */
export function demoModelByCid(cidHex: string): DemoModel | undefined {
  if (demoCids === null) {
    demoCids = new Map();
    for (const name of DEMO_MODELS) {
      const file = path.join(ROOT, "models", `${name}.onnx`);
      if (fs.existsSync(file)) demoCids.set(toHex(cidBinaryOf(new Uint8Array(fs.readFileSync(file)))), name);
    }
  }
  const name = demoCids.get(cidHex.toLowerCase());
  return name === undefined ? undefined : demoModel(name);
}
