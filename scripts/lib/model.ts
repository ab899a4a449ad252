/**
 * The model version that `npm run demo` publishes. With the reference executor and models/mlp.onnx present (the
 * normal case), every field is the real one: the CIDv1 of the ONNX bytes, the quantized program's digest and
 * weights root, its layer count and shapes, computed by the executor. On a checkout without them the demo still
 * runs, on clearly labelled placeholder values, so that it never depends on optional files.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { hexlify, keccak256, toUtf8Bytes } from "ethers";

const ROOT = path.resolve(__dirname, "../..");
const MLP_ONNX = path.join(ROOT, "models/mlp.onnx");
const CALIBRATION = path.join(ROOT, "models/digits-calibration.json");
const TEST_DIGITS = path.join(ROOT, "models/digits-test.json");
const EXECUTOR = path.join(ROOT, "executor/index.ts");

/** How each value was obtained, printed next to it. */
export type Provenance = "executor" | "onnx bytes" | "PLACEHOLDER";

export interface DemoModel {
  name: string;
  artifactCid: Uint8Array;
  artifactCidText: string;
  programDigest: string;
  weightsRoot: string;
  layerCount: number;
  inputShape: number[];
  outputShape: number[];
  provenance: { artifactCid: Provenance; program: Provenance };
  /** Present when the executor ran the model: one committed inference on a held-out digit. */
  sampleInference?: { label: number; predicted: number; traceRoot: string; states: number };
  /** Why the executor path was not used, when it was not. */
  fallbackReason?: string;
}

/** CIDv1, raw codec, sha2-256 (binary form: 0x01 0x55 0x12 0x20 ‖ digest), as ModelRegistry stores it. */
export function cidV1Raw(bytes: Uint8Array): Uint8Array {
  const digest = createHash("sha256").update(bytes).digest();
  return Uint8Array.from([0x01, 0x55, 0x12, 0x20, ...digest]);
}

/** The multibase base32 text form ('b' + RFC 4648 lower case, no padding) of a binary CID. */
export function cidText(cid: Uint8Array): string {
  const alphabet = "abcdefghijklmnopqrstuvwxyz234567";
  let out = "b";
  let bits = 0;
  let value = 0;
  for (const byte of cid) {
    value = ((value << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      out += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += alphabet[(value << (5 - bits)) & 31];
  return out;
}

function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

type Fn = (...args: never[]) => unknown;

/** Runs the real pipeline through executor/index.ts; throws with a reason if anything it needs is missing. */
async function fromExecutor(onnx: Uint8Array): Promise<DemoModel> {
  if (!existsSync(EXECUTOR)) throw new Error("executor/index.ts is absent");
  if (!existsSync(CALIBRATION)) throw new Error("models/digits-calibration.json is absent");
  const ex = (await import(EXECUTOR)) as Record<string, unknown>;
  const need = ["loadOnnx", "quantizeGraph", "programDigest", "weightsRoot"] as const;
  for (const name of need) {
    if (typeof ex[name] !== "function") throw new Error(`executor/index.ts does not export ${name}()`);
  }
  const loadOnnx = ex.loadOnnx as (bytes: Uint8Array) => unknown;
  const quantizeGraph = ex.quantizeGraph as (
    graph: unknown,
    calibration: Float32Array[],
  ) => {
    inputShape: number[];
    outputShape: number[];
    layers: unknown[];
  };
  const programDigest = ex.programDigest as (program: unknown) => string;
  const weightsRoot = ex.weightsRoot as (program: unknown) => string;

  const digits = JSON.parse(readFileSync(CALIBRATION, "utf8")) as { images: number[][] };
  const calibration = digits.images.slice(0, 32).map((image) => Float32Array.from(image));
  const program = quantizeGraph(loadOnnx(onnx), calibration);
  const artifactCid = cidV1Raw(onnx);

  const model: DemoModel = {
    name: "mnist-mlp-784-128-64-10",
    artifactCid,
    artifactCidText:
      typeof ex.cidOf === "function" ? (ex.cidOf as (b: Uint8Array) => string)(onnx) : cidText(artifactCid),
    programDigest: programDigest(program),
    weightsRoot: weightsRoot(program),
    layerCount: program.layers.length,
    inputShape: [...program.inputShape],
    outputShape: [...program.outputShape],
    provenance: { artifactCid: "onnx bytes", program: "executor" },
  };

  if (typeof ex.infer === "function" && existsSync(TEST_DIGITS)) {
    const test = JSON.parse(readFileSync(TEST_DIGITS, "utf8")) as { images: number[][]; labels: number[] };
    const result = (
      ex.infer as Fn as (
        p: unknown,
        x: Float32Array,
      ) => {
        outputFloat: Float32Array;
        trace: { traceRoot: string };
        states: unknown[];
      }
    )(program, Float32Array.from(test.images[0]));
    model.sampleInference = {
      label: test.labels[0],
      predicted: argmax(result.outputFloat),
      traceRoot: result.trace.traceRoot,
      states: result.states.length,
    };
  }
  return model;
}

/** Labelled placeholders: a real CID when the ONNX file exists, derived dummies for the program fields. */
function placeholder(onnx: Uint8Array | undefined, reason: string): DemoModel {
  const source = onnx ?? toUtf8Bytes("verity demo: no models/mlp.onnx in this checkout");
  const artifactCid = cidV1Raw(source);
  const tag = hexlify(artifactCid);
  return {
    name: "mnist-mlp-784-128-64-10",
    artifactCid,
    artifactCidText: cidText(artifactCid),
    programDigest: keccak256(toUtf8Bytes(`verity demo placeholder program digest of ${tag}`)),
    weightsRoot: keccak256(toUtf8Bytes(`verity demo placeholder weights root of ${tag}`)),
    layerCount: 5,
    inputShape: [1, 784],
    outputShape: [1, 10],
    provenance: { artifactCid: onnx ? "onnx bytes" : "PLACEHOLDER", program: "PLACEHOLDER" },
    fallbackReason: reason,
  };
}

export async function demoModel(): Promise<DemoModel> {
  const onnx = existsSync(MLP_ONNX) ? new Uint8Array(readFileSync(MLP_ONNX)) : undefined;
  if (onnx === undefined) return placeholder(undefined, "models/mlp.onnx is absent");
  try {
    return await fromExecutor(onnx);
  } catch (error) {
    return placeholder(onnx, (error as Error).message.split("\n")[0]);
  }
}
