/**
 * Golden vectors: the commitments of the demo models on a fixed input, frozen in test/golden/*.json.
 * test/executor/golden.test.ts recomputes every value and compares it byte for byte, so any change to the ONNX
 * import, the quantizer, the kernels, the program encoding or the commitments shows up as a diff to review.
 * A Solidity verifier can use the same files as its test vectors.
 *
 *   npx ts-node tools/golden.ts        (re)writes test/golden/{mlp,cnn,commitments}.json
 */
import * as fs from "fs";
import * as path from "path";
import { hexlify, keccak256 } from "ethers";
import { infer } from "../executor/infer";
import { cidOf } from "../executor/model/cid";
import { loadOnnx } from "../executor/model/onnx";
import { quantizeGraph } from "../executor/quant";
import { encodeProgram } from "../executor/runtime/program";
import { MerkleTree } from "../executor/trace/merkle";
import { commitTrace } from "../executor/trace/trace";
import { WeightsCommitment, programDigest } from "../executor/trace/weights";

const ROOT = path.join(__dirname, "..");
export const GOLDEN_DIR = path.join(ROOT, "test", "golden");
/** The first CALIBRATION_SAMPLES images of models/digits-calibration.json quantize the models. */
export const CALIBRATION_SAMPLES = 64;
/** The input is image INPUT_INDEX of models/digits-test.json. */
export const INPUT_INDEX = 0;

export interface ModelGolden {
  model: string;
  calibration: string;
  input: string;
  artifactCid: string;
  programCid: string;
  programDigest: string;
  weightsRoot: string;
  layerRoots: string[];
  steps: number;
  stateLengths: number[];
  stateRoots: string[];
  traceRoot: string;
  /** keccak256 of every state's bytes: pins the states themselves, not only their roots. */
  stateDigests: string[];
  output: number[];
}

function readImages(file: string): number[][] {
  return (JSON.parse(fs.readFileSync(path.join(ROOT, "models", file), "utf8")) as { images: number[][] }).images;
}

/** Computes the golden vector of models/<name>.onnx from scratch. */
export function modelGolden(name: "mlp" | "cnn"): ModelGolden {
  const onnx = new Uint8Array(fs.readFileSync(path.join(ROOT, "models", `${name}.onnx`)));
  const calibration = readImages("digits-calibration.json")
    .slice(0, CALIBRATION_SAMPLES)
    .map((v) => Float32Array.from(v));
  const input = Float32Array.from(readImages("digits-test.json")[INPUT_INDEX]);
  const program = quantizeGraph(loadOnnx(onnx), calibration);
  const weights = new WeightsCommitment(program);
  const { states, trace, output } = infer(program, input);
  return {
    model: `models/${name}.onnx`,
    calibration: `models/digits-calibration.json, images 0..${CALIBRATION_SAMPLES - 1}`,
    input: `models/digits-test.json, image ${INPUT_INDEX}`,
    artifactCid: cidOf(onnx),
    programCid: cidOf(encodeProgram(program)),
    programDigest: programDigest(program),
    weightsRoot: weights.root,
    layerRoots: program.layers.map((_, l) => weights.layerRoot(l)),
    steps: program.layers.length,
    stateLengths: [...trace.stateLengths],
    stateRoots: [...trace.stateRoots],
    traceRoot: trace.traceRoot,
    stateDigests: states.map((s) => keccak256(new Uint8Array(s.buffer, s.byteOffset, s.byteLength))),
    output: Array.from(output),
  };
}

export interface CommitmentsGolden {
  /** data = bytes 0, 1, ..., 99 (4 chunks, the last one zero-padded). */
  data: string;
  chunkRoot: string;
  chunkProofs: { index: number; chunk: string; proof: string[] }[];
  /** Three states: 5 bytes of -1, 64 bytes 0..63 as int8, 33 bytes of -128. */
  states: string[];
  stateRoots: string[];
  traceRoot: string;
}

/** Model-independent vectors of the Merkle and trace rules (docs/COMMITMENTS.md sections 1 and 2). */
export function commitmentsGolden(): CommitmentsGolden {
  const data = Uint8Array.from({ length: 100 }, (_, i) => i);
  const tree = MerkleTree.fromData(data);
  const chunk = (i: number): string => {
    const c = new Uint8Array(32);
    c.set(data.subarray(32 * i, 32 * i + 32));
    return hexlify(c);
  };
  const states = [new Int8Array(5).fill(-1), Int8Array.from({ length: 64 }, (_, i) => i), new Int8Array(33).fill(-128)];
  const trace = commitTrace(states);
  return {
    data: hexlify(data),
    chunkRoot: tree.root,
    chunkProofs: [0, 1, 2, 3].map((index) => ({ index, chunk: chunk(index), proof: tree.proof(index) })),
    states: states.map((s) => hexlify(new Uint8Array(s.buffer))),
    stateRoots: [...trace.stateRoots],
    traceRoot: trace.traceRoot,
  };
}

function write(file: string, value: unknown): void {
  fs.mkdirSync(GOLDEN_DIR, { recursive: true });
  fs.writeFileSync(path.join(GOLDEN_DIR, file), JSON.stringify(value, null, 2) + "\n");
  console.log(`wrote test/golden/${file}`);
}

if (require.main === module) {
  write("commitments.json", commitmentsGolden());
  for (const name of ["mlp", "cnn"] as const) write(`${name}.json`, modelGolden(name));
}
